//! Small text helpers shared by every input check and every view: durations as a
//! scenario writes them (parsed and printed), the nearest valid name to a typo,
//! "unknown X: did you mean Y? (valid: …)" messages, and serde-saphyr's errors in the
//! words and positions hookrig prints. A leaf: it imports nothing of ours.

use std::time::Duration;

/// The longest duration a scenario or profile may name.
pub const MAX_DURATION: Duration = Duration::from_secs(30 * 24 * 3600);

/// Parses a humantime duration, refusing bare numbers and anything over 30 days.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    if t.parse::<f64>().is_ok() {
        return Err(format!(
            "`{t}` is a bare number; give a unit, e.g. `{t}s`, `{t}ms` or `{t}m`"
        ));
    }
    if t.starts_with('-') {
        return Err(format!("`{t}` is negative; durations are zero or more"));
    }
    let d = humantime::parse_duration(t)
        .map_err(|e| format!("`{t}` is not a duration ({e}); e.g. `500ms`, `5m`, `2h 35m 5s`"))?;
    if d > MAX_DURATION {
        return Err(format!(
            "`{t}` is over 30 days, the longest duration a scenario may use"
        ));
    }
    Ok(d)
}

/// A duration as a scenario would write it, to the millisecond: `0s`, `5m`, `35m 10s`,
/// `1s 500ms`.
pub fn fmt_duration(d: Duration) -> String {
    let ms = Duration::from_millis(d.as_millis() as u64);
    if ms.is_zero() {
        "0s".into()
    } else {
        humantime::format_duration(ms).to_string()
    }
}

/// The choice closest to `word`, if one is close enough to be a likely typo.
pub fn nearest<'a>(word: &str, choices: &[&'a str]) -> Option<&'a str> {
    let word_l = word.to_ascii_lowercase();
    choices
        .iter()
        .map(|c| (strsim::levenshtein(&word_l, &c.to_ascii_lowercase()), *c))
        .filter(|(d, c)| *d <= (c.len().max(word.len()) / 3).max(2))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// `: did you mean `x`?` with the choice nearest to `word`, or nothing when none is near.
pub fn did_you_mean(word: &str, choices: &[&str]) -> String {
    nearest(word, choices)
        .map(|n| format!(": did you mean `{n}`?"))
        .unwrap_or_default()
}

/// `unknown WHAT `given`: did you mean `x`? (valid: a, b, c)` — the list only when it is
/// short enough to read.
pub fn choice_error(what: &str, given: &str, choices: &[&str]) -> String {
    let mut s = format!("unknown {what} `{given}`");
    s.push_str(&did_you_mean(given, choices));
    if choices.len() <= 24 {
        s.push_str(&format!(" (valid: {})", choices.join(", ")));
    }
    s
}

/// For serde's "unknown field `x`, expected one of a, b" (with or without backticks
/// around the choices): a "did you mean" hint.
pub fn unknown_field_hint(msg: &str) -> Option<String> {
    let rest = msg.split("unknown field `").nth(1)?;
    let (field, rest) = rest.split_once('`')?;
    let list = rest.split_once("expected ").map_or(rest, |(_, l)| l);
    let list = list.strip_prefix("one of ").unwrap_or(list);
    let choices: Vec<&str> = list
        .split([',', ' '])
        .map(|c| c.trim_matches(|ch: char| ch == '`' || ch.is_whitespace()))
        .filter(|c| !c.is_empty() && *c != "or")
        .collect();
    let best = nearest(field, &choices)?;
    Some(format!(" (did you mean `{best}`?)"))
}

/// A serde-saphyr error in hookrig's words: its 1-based line and column (when known) and
/// a message naming the YAML key it is about, what was expected, what was found, and the
/// nearest valid key for an unknown one.
pub fn yaml_error(text: &str, e: &serde_saphyr::Error) -> (Option<u64>, Option<u64>, String) {
    let (line, column) = match e.location() {
        Some(l) if l.line() > 0 => (Some(l.line()), Some(l.column())),
        _ => (None, None),
    };
    let mut message = e.without_snippet().to_string();
    // serde-saphyr appends the location in words; we print it as file:line:col instead.
    if let Some(i) = message.find(" at line ") {
        message.truncate(i);
    }
    let plain = [
        ("invalid i64", "expected a whole number"),
        ("invalid u64", "expected a whole number"),
        ("invalid boolean", "expected true or false"),
        ("expected string scalar", "expected text"),
        (
            "expected mapping start",
            "expected a mapping (key: value lines)",
        ),
        ("expected sequence start", "expected a list"),
    ];
    for (from, to) in plain {
        if message == from {
            message = to.to_owned();
        }
    }
    let source_line = line.and_then(|l| text.lines().nth(l as usize - 1));
    if let (Some(src), Some(col)) = (source_line, column) {
        let col = (col as usize).saturating_sub(1).min(src.len());
        let (before, after) = src.split_at(src.floor_char_boundary(col));
        if let Some((key, _)) = before.rsplit_once(':') {
            let key = key.trim().trim_start_matches("- ").trim();
            if !key.is_empty() && !message.contains("unknown field") {
                message = format!("{key}: {message}");
            }
        }
        let found = after.trim();
        if !found.is_empty()
            && message.starts_with(|c: char| c.is_alphanumeric())
            && message.contains("expected")
            && !message.contains("unknown field")
        {
            let found: String = found.chars().take(40).collect();
            message.push_str(&format!(", found `{found}`"));
        }
    }
    if let Some(hint) = unknown_field_hint(&message) {
        message.push_str(&hint);
    }
    (line, column, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_print_the_way_scenarios_write_them() {
        assert_eq!(fmt_duration(Duration::ZERO), "0s");
        assert_eq!(fmt_duration(Duration::from_secs(35 * 60 + 10)), "35m 10s");
        assert_eq!(fmt_duration(Duration::from_micros(1_500_900)), "1s 500ms");
    }

    #[test]
    fn a_typo_gets_the_nearest_choice_and_a_stranger_none() {
        assert_eq!(
            nearest("perfectparsr", &["llamacloud", "perfectparser"]),
            Some("perfectparser")
        );
        assert_eq!(nearest("zzzzzzzz", &["llamacloud", "perfectparser"]), None);
    }

    #[test]
    fn an_unknown_field_message_gets_a_did_you_mean() {
        let hint =
            unknown_field_hint("unknown field `atempts`, expected one of `attempts`, `waits`");
        assert_eq!(hint.as_deref(), Some(" (did you mean `attempts`?)"));
    }
}
