//! `hookrig profiles NAME`: every rule of a profile in words, each followed by its
//! sources. The words are computed from the profile's data, so they cannot drift from
//! what the sender does; the sources sit beside each rule in the provider's file.

use std::fmt::Write as _;
use std::time::Duration;

use super::{BodyEncoding, HeaderEntry, Profile, Rule, SecretRule, retry_starts};
use crate::retry::{Backoff, RetryAfter, RetryOn, RetryPolicy};
use crate::signing::{Encoding, KeyReading, Piece, Scheme, Signed};

/// Width of the rule labels.
const LABEL: usize = 15;

impl Profile {
    /// The rules in words, each with its sources, then the event catalogue.
    pub fn describe(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "{} — {}", self.name, self.provider);
        let _ = writeln!(s);
        for r in &self.rules {
            let words = self.rule_words(r.rule);
            let mut lines = words.lines();
            let _ = writeln!(
                s,
                "{:<LABEL$}{}",
                r.rule.label(),
                lines.next().unwrap_or_default()
            );
            for more in lines {
                let _ = writeln!(s, "{:<LABEL$}{more}", "");
            }
            for src in &r.sources {
                let _ = writeln!(s, "{:<LABEL$}  source: {src}", "");
            }
        }
        let _ = writeln!(s);
        let _ = writeln!(
            s,
            "events ({}{}{}):",
            self.catalogue.len(),
            self.api_version
                .as_ref()
                .map(|v| format!(", API version {v}"))
                .unwrap_or_default(),
            if self.other.is_some() {
                ", any other type name is accepted too"
            } else {
                ""
            }
        );
        for e in self.catalogue.iter() {
            let _ = writeln!(s, "  {:<34} {}", e.name, e.description);
        }
        let assumed: Vec<String> = self
            .rules
            .iter()
            .filter(|r| r.sources.iter().any(|s| s.is_assumption()))
            .map(|r| r.rule.label().to_owned())
            .collect();
        let _ = writeln!(s);
        if assumed.is_empty() {
            let _ = writeln!(s, "assumptions: none; every rule has a published source");
        } else {
            let _ = writeln!(
                s,
                "assumptions (not published by the provider): {}",
                assumed.join(", ")
            );
        }
        s
    }

    /// One rule in words, from the profile's data.
    pub fn rule_words(&self, rule: Rule) -> String {
        let r = &self.retry;
        match rule {
            Rule::Version => self.version.clone(),
            Rule::Body => self.body_words(),
            Rule::BodyBytes => {
                let mut w = match self.envelope.encoding {
                    BodyEncoding::Compact => "compact JSON: no spaces, UTF-8 text as is".to_owned(),
                    BodyEncoding::Pretty => "pretty JSON: two-space indents, `\n` line breaks, `\": \"` after keys, UTF-8 text as is".to_owned(),
                    BodyEncoding::PythonJsonDumps => "Python json.dumps defaults: \", \" and \": \" separators, non-ASCII escaped as \\uXXXX, floats as Python's repr".to_owned(),
                };
                if self.envelope.as_json_string.is_some() {
                    w.push_str("; when `as_json_string` holds (output_format `string`, the default) that JSON is encoded once more as a JSON string, `json` sends it as is");
                }
                w.push_str("; the body is built once and re-sent unchanged on every retry (its event time too)");
                w
            }
            Rule::Headers => self.header_words(),
            Rule::CustomHeaders => self.custom_header_words(),
            Rule::Signature => scheme_words(&self.scheme),
            Rule::Secret => self.secret_words(),
            Rule::Attempts => format!(
                "{} (the first and {} retries)",
                r.attempts,
                r.attempts.saturating_sub(1)
            ),
            Rule::Waits => waits_words(r),
            Rule::Jitter => {
                if r.jitter_percent == 0 {
                    "none: waits are exact".to_owned()
                } else {
                    format!(
                        "each wait is drawn uniformly within ±{} % of its planned length (whole milliseconds), from the run's seeded RNG: the same seed gives the same waits",
                        r.jitter_percent
                    )
                }
            }
            Rule::Overload => match &r.overload {
                None => "none".to_owned(),
                Some(o) => {
                    let mut what = Vec::new();
                    if o.on_timeout {
                        what.push("a timeout".to_owned());
                    }
                    what.extend(o.statuses.iter().map(|s| format!("a {s}")));
                    format!(
                        "after {} the next wait is at least {} (before Retry-After and jitter)",
                        what.join(" or "),
                        fmt_d(o.min_wait)
                    )
                }
            },
            Rule::RetryAfter => match &r.retry_after {
                RetryAfter::Ignored => "ignored".to_owned(),
                RetryAfter::Lengthens { statuses, cap } => format!(
                    "on {}: the wait becomes max(scheduled wait, Retry-After), at most {}; seconds (fractions rounded up) or an HTTP date",
                    statuses
                        .iter()
                        .map(u16::to_string)
                        .collect::<Vec<_>>()
                        .join(" and "),
                    fmt_d(*cap)
                ),
                RetryAfter::Clamped { max_factor } => format!(
                    "on any failed answer: the wait becomes Retry-After clamped to [wait, {max_factor} × wait]; seconds (fractions rounded up) or an HTTP date"
                ),
            },
            Rule::Timeout => format!(
                "{} per attempt{}",
                fmt_d(r.timeout),
                if r.max_redirects > 0 {
                    " (each redirect hop has its own)"
                } else {
                    ""
                }
            ),
            Rule::RetryOn => retry_words(r),
            Rule::Redirects => redirect_words(r),
            Rule::Resend => match r.resend_quick_connection_error {
                None => "none".to_owned(),
                Some(d) => format!(
                    "a connection error less than {} after the request started is sent once more at once, in the same attempt (the receiver sees two requests); live runs keep this window in real time at every --time-scale",
                    fmt_d(d)
                ),
            },
            Rule::Disable => {
                if r.disable_on.is_empty() {
                    "no status disables the endpoint: a 410 is a failed answer like any other"
                        .to_owned()
                } else {
                    format!(
                        "{} disables the endpoint: this and every later attempt to it stop (gave_up)",
                        join_statuses(&r.disable_on, " or ")
                    )
                }
            }
            Rule::Stop => match &r.stop_header {
                Some((name, value)) => format!(
                    "a failed answer with `{name}: {value}` stops the retries (gave_up); other events are not affected"
                ),
                None => "no answer stops the retries early".to_owned(),
            },
            Rule::Status => match self.pending_status {
                Some(p) => format!(
                    "between attempts the delivery's status is `{p}`; the journal, the JSON report and the TUI show it"
                ),
                None => "the provider names no status between attempts".to_owned(),
            },
            Rule::Events => {
                let mut w = format!("{} event types", self.catalogue.len());
                if let Some(v) = &self.api_version {
                    let others: Vec<&str> = self
                        .api_versions
                        .iter()
                        .map(|a| a.name.as_str())
                        .filter(|n| n != v)
                        .collect();
                    w.push_str(&format!(
                        " of API version {v}; `endpoint.api_version` selects another ({})",
                        others.join(", ")
                    ));
                }
                if self.other.is_some() {
                    w.push_str("; any other type name is accepted too");
                }
                w
            }
        }
    }

    fn body_words(&self) -> String {
        let mut w = self.envelope.words.clone();
        if !self.ids.is_empty() {
            let ids: Vec<String> = self
                .ids
                .iter()
                .map(|i| {
                    format!(
                        "{} = {}{}",
                        i.name,
                        i.words,
                        if i.repeat {
                            ""
                        } else {
                            " (afresh per attempt)"
                        }
                    )
                })
                .collect();
            let _ = write!(
                w,
                "\nids: {}; drawn from the run's seeded RNG once per delivery and repeated on every retry",
                ids.join(", ")
            );
        }
        if let Some(why) = &self.envelope.data_must_be_object {
            let _ = write!(w, "\n{why}");
        }
        w
    }

    fn header_words(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        for h in self.headers.iter() {
            match h {
                HeaderEntry::Custom => parts.push("custom headers".into()),
                HeaderEntry::Signature => parts.extend(self.signature_header_words()),
                HeaderEntry::Header {
                    name, words, when, ..
                } => {
                    let mut p = format!("{name}: {words}");
                    if when.is_some() {
                        p.push_str(" (when it applies)");
                    }
                    parts.push(p);
                }
            }
        }
        if !self
            .headers
            .iter()
            .any(|h| matches!(h, HeaderEntry::Signature))
        {
            parts.extend(self.signature_header_words());
        }
        if !self
            .headers
            .iter()
            .any(|h| matches!(h, HeaderEntry::Custom))
        {
            parts.push("custom headers".into());
        }
        let mut w = parts.join(", ");
        w.push_str("; `{timestamp}`, `now` and `attempt` are fresh per attempt, ids and `time` (when the event happened) repeat");
        w
    }

    fn signature_header_words(&self) -> Vec<String> {
        self.scheme
            .headers
            .iter()
            .map(|h| {
                format!(
                    "{} (the signature{})",
                    h.name,
                    if self.always_signs() {
                        ""
                    } else {
                        ", with a secret"
                    }
                )
            })
            .collect()
    }

    fn custom_header_words(&self) -> String {
        let h = &self.header_rules;
        let mut parts = Vec::new();
        if let Some(l) = &h.limits {
            if let Some(n) = l.name_max_chars {
                parts.push(format!("names ^[A-Za-z0-9-]{{1,{n}}}$"));
            }
            if let Some(n) = l.max_count {
                parts.push(format!("at most {n}"));
            }
            if let Some(n) = l.max_value_chars {
                parts.push(format!("values ≤ {n} chars"));
            }
            if l.no_control_chars {
                parts.push("no CR/LF/NUL in values".into());
            }
            if !l.denied.is_empty() {
                parts.push(format!("refused: {}", l.denied.join(", ")));
            }
            if !l.denied_prefixes.is_empty() {
                parts.push(format!(
                    "refused prefixes: {}",
                    l.denied_prefixes.join(", ")
                ));
            }
            parts.insert(
                0,
                "checked when the endpoint is configured (hookrig: when the scenario loads)".into(),
            );
        }
        if h.protected.is_empty() {
            parts.push("a custom header replaces a default of the same name".into());
        } else {
            parts.push(format!(
                "cannot override {} (dropped)",
                h.protected.join(", ")
            ));
        }
        parts.join("; ")
    }

    fn secret_words(&self) -> String {
        let mut w = match &self.secret {
            _ if !self.scheme.signs() => "none: the provider does not sign".to_owned(),
            SecretRule::Optional => {
                "optional: without a secret the requests carry no signature".to_owned()
            }
            SecretRule::Generated { words, .. } => format!(
                "always: every endpoint has one; without `secret`, hookrig generates one from the run's seed ({words}) and shows it in the report and the journal"
            ),
        };
        match &self.scheme.key {
            KeyReading::Base64 { prefix } => {
                let _ = write!(
                    w,
                    "; `{prefix}` + base64, its `=` padding optional (the reference libraries decode `secret + \"==\"`)"
                );
            }
            KeyReading::Hex { prefix } => {
                let _ = write!(w, "; `{prefix}` + hex");
            }
            KeyReading::Utf8 => {}
        }
        if let Some(join) = &self.scheme.rotation {
            let _ = write!(
                w,
                "; several secrets sign with each (key rotation), joined with `{join}`"
            );
        }
        w
    }
}

/// A duration as a scenario writes it.
fn fmt_d(d: Duration) -> String {
    crate::text::fmt_duration(d)
}

fn waits_words(r: &RetryPolicy) -> String {
    let waits: Vec<String> = r.waits().iter().map(|d| fmt_d(*d)).collect();
    let mut w = if waits.is_empty() {
        "none".to_owned()
    } else {
        waits.join(", ")
    };
    match &r.backoff {
        Backoff::Exponential { initial, cap } => {
            let _ = write!(
                w,
                " (wait k = min({}·2^(k−1), {}))",
                fmt_d(*initial),
                fmt_d(*cap)
            );
        }
        Backoff::Table(_) => w.push_str(" (a table; the last entry repeats)"),
    }
    let starts: Vec<String> = retry_starts(r).iter().map(|d| fmt_d(*d)).collect();
    let _ = write!(
        w,
        "\nattempts start at {} when each fails at once; wait k starts when attempt k ends",
        starts.join(", ")
    );
    w
}

/// A value template written back: `{sig}`, `{signatures}`, `{timestamp}`, `{id}`.
fn pieces_words(pieces: &[Piece], each: &[Piece]) -> String {
    let mut s = String::new();
    for p in pieces {
        match p {
            Piece::Lit(l) => s.push_str(l),
            Piece::Sig => s.push_str("{sig}"),
            Piece::Timestamp => s.push_str("{timestamp}"),
            Piece::Id => s.push_str("{id}"),
            Piece::Signatures => s.push_str(&pieces_words(each, &[])),
        }
    }
    s
}

/// The scheme in words, from its data.
pub fn scheme_words(s: &Scheme) -> String {
    if !s.signs() {
        return "none".to_owned();
    }
    let signed: String = s
        .signed
        .iter()
        .map(|p| match p {
            Signed::Lit(l) => l.clone(),
            Signed::Id => "{id}".into(),
            Signed::Timestamp => "{timestamp}".into(),
            Signed::Body => "{body}".into(),
            Signed::Url => "{url}".into(),
            Signed::Method => "{method}".into(),
        })
        .collect();
    let key = match &s.key {
        KeyReading::Utf8 => "secret as UTF-8".to_owned(),
        KeyReading::Base64 { prefix } if prefix.is_empty() => "base64-decoded secret".to_owned(),
        KeyReading::Base64 { prefix } => format!("base64-decoded secret after `{prefix}`"),
        KeyReading::Hex { prefix } if prefix.is_empty() => "hex-decoded secret".to_owned(),
        KeyReading::Hex { prefix } => format!("hex-decoded secret after `{prefix}`"),
    };
    let enc = match s.encoding {
        Encoding::Hex => "lowercase hex",
        Encoding::Base64 => "base64",
    };
    let mut parts: Vec<String> = s
        .headers
        .iter()
        .map(|h| {
            format!(
                "{}: {} where {{sig}} = {enc} {}({key}, \"{signed}\")",
                h.name,
                pieces_words(&h.value, &h.each),
                h.algorithm.label()
            )
        })
        .collect();
    if let Some(join) = &s.rotation {
        parts.push(format!(
            "one signature per secret during key rotation, joined with `{join}`"
        ));
    }
    match &s.tolerance {
        Some(t) => {
            let mut w = Vec::new();
            if let Some(p) = t.past {
                w.push(format!("older than {} s", p.as_secs()));
            }
            if let Some(f) = t.future {
                w.push(format!("more than {} s ahead", f.as_secs()));
            }
            let open = match (t.past, t.future) {
                (Some(_), None) => " (a timestamp ahead of the clock passes)",
                (None, Some(_)) => " (however old)",
                _ => "",
            };
            parts.push(format!(
                "verifiers reject a timestamp {}{open}",
                w.join(" or ")
            ));
        }
        None => parts.push("no timestamp is judged".into()),
    }
    parts.join("; ")
}

/// The scheme in one line, the form fixtures' index.json shows: the header value with
/// each signature written `<encoding HMAC(key, signed string)>`, then the tolerance.
pub fn scheme_summary(s: &Scheme) -> String {
    if !s.signs() {
        return "none".to_owned();
    }
    let h = &s.headers[0];
    let name_of =
        |want: &Option<String>, fallback: &str| want.clone().unwrap_or_else(|| fallback.to_owned());
    let signed: Vec<String> = s
        .signed
        .iter()
        .map(|p| match p {
            Signed::Lit(l) => format!("{l:?}"),
            Signed::Id => name_of(&s.id_header, "the id"),
            Signed::Timestamp => name_of(&s.timestamp_header, "the timestamp"),
            Signed::Body => "raw body".into(),
            Signed::Url => "the URL".into(),
            Signed::Method => "the method".into(),
        })
        .collect();
    let key = match &s.key {
        KeyReading::Utf8 => "secret as UTF-8".to_owned(),
        KeyReading::Base64 { prefix } if prefix.is_empty() => "base64-decoded secret".to_owned(),
        KeyReading::Base64 { prefix } => format!("base64-decoded secret after {prefix}"),
        KeyReading::Hex { prefix } if prefix.is_empty() => "hex-decoded secret".to_owned(),
        KeyReading::Hex { prefix } => format!("hex-decoded secret after {prefix}"),
    };
    let enc = match s.encoding {
        Encoding::Hex => "lowercase hex",
        Encoding::Base64 => "base64",
    };
    let sig = format!(
        "<{enc} {}({key}, {})>",
        h.algorithm.label(),
        signed.join(" + ")
    );
    let each: Vec<Piece> = h
        .each
        .iter()
        .map(|p| match p {
            Piece::Sig => Piece::Lit(sig.clone()),
            other => other.clone(),
        })
        .collect();
    let mut out = pieces_words(&h.value, &each);
    if let Some(t) = &s.tolerance {
        match (t.past, t.future) {
            (Some(p), Some(f)) if p == f && p.as_secs() % 60 == 0 => {
                out.push_str(&format!("; tolerance {} min", p.as_secs() / 60));
            }
            (p, f) => {
                let mut w = Vec::new();
                if let Some(p) = p {
                    w.push(format!("age > {} s", p.as_secs()));
                }
                if let Some(f) = f {
                    w.push(format!("> {} s ahead", f.as_secs()));
                }
                out.push_str(&format!("; reject {}", w.join(" or ")));
            }
        }
    }
    out
}

fn join_statuses(s: &[u16], sep: &str) -> String {
    s.iter().map(u16::to_string).collect::<Vec<_>>().join(sep)
}

fn retry_words(r: &RetryPolicy) -> String {
    match r.retry_on {
        RetryOn::AnyFailure => "any non-2xx answer, a timeout, a connection error".to_owned(),
        RetryOn::ServerErrors => {
            "status ≥ 500, a timeout, a connection error; any other non-2xx answer (1xx, 3xx not followed, 4xx) ends the delivery at once"
                .to_owned()
        }
    }
}

fn redirect_words(r: &RetryPolicy) -> String {
    if r.max_redirects == 0 {
        return "never followed: a 3xx is a failed answer".to_owned();
    }
    format!(
        "{} with a Location are followed by hand, re-sending the POST, at most {} hops inside one attempt (one more redirect ends the delivery); each hop is a request the receiver counts; any other 3xx, or one without Location, is an answer",
        r.redirect_statuses
            .iter()
            .map(u16::to_string)
            .collect::<Vec<_>>()
            .join(", "),
        r.max_redirects
    )
}
