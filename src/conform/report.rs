//! Views over a conformance [`Report`]: text for people, JSON for tools, JUnit XML for CI
//! test reporters (one testcase per check). All redact
//! secret-bearing headers (`X-Webhook-Secret`, `Authorization`, `Cookie`) and cut long
//! bodies short.

use std::fmt::Write as _;

use serde_json::{Value, json};

use super::checks::fmt_latency;
use super::{Exchange, Report, Status};
use crate::record::{headers_json, redact};

/// Bodies longer than this are cut in reports.
pub const BODY_SHOWN: usize = 2048;

/// At most this many failed requests are printed per check in the text report.
pub const EXCHANGES_SHOWN: usize = 3;

/// JUnit XML: one `<testsuite>` named after the profile and URL, one `<testcase>` per check
/// (`classname` `conform.PROFILE`, `time` the sum of its requests' latencies). A failed
/// check is a `<failure>` whose message is the check's one line and whose text lists each
/// request with its answer; a skipped one is `<skipped>` with the reason; a warning passes
/// with the remark in `<system-out>`.
pub fn junit(r: &Report) -> String {
    use quick_junit::{NonSuccessKind, Report as JReport, TestCase, TestCaseStatus, TestSuite};
    let mut report = JReport::new("hookrig conform");
    let mut suite = TestSuite::new(format!("conform {} {}", r.profile, r.url));
    for c in &r.results {
        let mut status = match c.status {
            Status::Pass | Status::Warn => TestCaseStatus::success(),
            Status::Skip => TestCaseStatus::skipped(),
            Status::Fail => TestCaseStatus::non_success(NonSuccessKind::Failure),
        };
        if matches!(c.status, Status::Fail | Status::Skip) {
            status.set_message(c.message.as_str());
        }
        if c.status == Status::Fail {
            let mut text = format!("{}\ncorrect receiver: {}\n", c.title, c.correct);
            for x in &c.exchanges {
                let answer = match &x.answer {
                    Ok(a) => a.status.to_string(),
                    Err(e) => e.clone(),
                };
                let _ = writeln!(
                    text,
                    "[{}] {}: {answer} ({})",
                    x.status.label(),
                    x.label,
                    fmt_latency(x.latency)
                );
            }
            status.set_type(c.id).set_description(text);
        }
        let mut case = TestCase::new(c.id, status);
        case.set_classname(format!("conform.{}", r.profile))
            .set_time(c.exchanges.iter().map(|x| x.latency).sum());
        if c.status == Status::Warn {
            case.set_system_out(format!("warning: {}\n", c.message));
        }
        suite.add_test_case(case);
    }
    report.add_test_suite(suite);
    report.to_string().unwrap_or_else(|e| {
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"hookrig conform\" tests=\"0\" failures=\"0\" errors=\"1\"><!-- {} --></testsuites>\n",
            e.to_string().replace("--", "- -")
        )
    })
}

/// The text report.
pub fn text(r: &Report) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "hookrig conform: profile {} → {} (timeout {})\n",
        r.profile,
        r.url,
        humantime::format_duration(r.timeout)
    );
    let width = r.results.iter().map(|c| c.id.len()).max().unwrap_or(0);
    for c in &r.results {
        let tag = match c.status {
            Status::Pass => "PASS",
            Status::Warn => "WARN",
            Status::Fail => "FAIL",
            Status::Skip => "SKIP",
        };
        let _ = writeln!(s, "{tag}  {:<width$}  {}", c.id, c.message);
        if matches!(c.status, Status::Fail | Status::Warn) {
            let _ = writeln!(s, "      check: {}", c.title);
            let shown: Vec<&Exchange> = c
                .exchanges
                .iter()
                .filter(|x| x.status == c.status)
                .collect();
            for x in shown.iter().take(EXCHANGES_SHOWN) {
                exchange_text(&mut s, x);
            }
            if shown.len() > EXCHANGES_SHOWN {
                let _ = writeln!(
                    s,
                    "      … and {} more like these (--format json lists every one)",
                    shown.len() - EXCHANGES_SHOWN
                );
            }
            let _ = writeln!(s, "      a correct receiver {}\n", c.correct);
        }
    }
    if !s.ends_with("\n\n") {
        s.push('\n');
    }
    let _ = writeln!(
        s,
        "hookrig conform: {} passed, {} failed, {} warned, {} skipped",
        r.count(Status::Pass),
        r.count(Status::Fail),
        r.count(Status::Warn),
        r.count(Status::Skip)
    );
    s
}

fn exchange_text(s: &mut String, x: &Exchange) {
    let mark = if x.status == Status::Warn { "!" } else { "✗" };
    let _ = writeln!(s, "      {mark} {}", x.label);
    if let Some(n) = &x.note {
        let _ = writeln!(s, "        {n}");
    }
    let _ = writeln!(s, "        request:");
    for (k, v) in &x.headers {
        let _ = writeln!(s, "          {k}: {}", redact(k, v));
    }
    let _ = writeln!(s, "          body: {}", shown(&x.body));
    match &x.answer {
        Ok(a) => {
            let _ = writeln!(
                s,
                "        answer: {} in {}",
                a.status,
                fmt_latency(x.latency)
            );
            for (k, v) in &a.headers {
                let _ = writeln!(s, "          {k}: {}", redact(k, v));
            }
            if !a.body.is_empty() {
                let _ = writeln!(s, "          body: {}", shown(&a.body));
            }
        }
        Err(_) => {
            let _ = writeln!(s, "        answer: none after {}", fmt_latency(x.latency));
        }
    }
}

/// A body as text, cut at [`BODY_SHOWN`] bytes.
fn shown(b: &[u8]) -> String {
    let text = String::from_utf8_lossy(b);
    if text.len() <= BODY_SHOWN {
        return text.into_owned();
    }
    let cut = text.floor_char_boundary(BODY_SHOWN);
    format!("{}… ({} bytes in all)", &text[..cut], b.len())
}

/// The JSON report: `{"profile", "url", "timeout_ms", "passed", "failed", "warned",
/// "skipped", "errors": [...], "checks": [{"id", "title", "status", "message", "correct",
/// "exchanges": [{"label", "status", "note", "request": {"headers", "body"},
/// "response": {"status", "headers", "body"} | null, "error", "latency_ms"}]}]}`.
pub fn json(r: &Report) -> String {
    let checks: Vec<Value> = r
        .results
        .iter()
        .map(|c| {
            json!({
                "id": c.id,
                "title": c.title,
                "status": c.status.label(),
                "message": c.message,
                "correct": c.correct,
                "exchanges": c.exchanges.iter().map(exchange_json).collect::<Vec<_>>(),
            })
        })
        .collect();
    let v = json!({
        "profile": r.profile,
        "url": r.url,
        "timeout_ms": r.timeout.as_millis() as u64,
        "passed": r.count(Status::Pass),
        "failed": r.count(Status::Fail),
        "warned": r.count(Status::Warn),
        "skipped": r.count(Status::Skip),
        "errors": r.input_errors,
        "checks": checks,
    });
    let mut s = serde_json::to_string_pretty(&v).unwrap_or_default();
    s.push('\n');
    s
}

fn exchange_json(x: &Exchange) -> Value {
    let (response, error) = match &x.answer {
        Ok(a) => (
            json!({ "status": a.status, "headers": headers_json(&a.headers), "body": shown(&a.body) }),
            Value::Null,
        ),
        Err(e) => (Value::Null, json!(e)),
    };
    json!({
        "label": x.label,
        "status": x.status.label(),
        "note": x.note,
        "request": { "headers": headers_json(&x.headers), "body": shown(&x.body) },
        "response": response,
        "error": error,
        "latency_ms": x.latency.as_millis() as u64,
    })
}
