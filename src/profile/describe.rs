//! `hookrig profiles NAME`: every rule of a profile in words, each followed by its
//! sources. The words are computed from the profile's data, so they cannot drift from
//! what the sender does; the sources sit beside each rule in the provider's file.

use std::fmt::Write as _;
use std::time::Duration;

use super::{
    BodyEncoding, Envelope, OutputFormat, Profile, Rule, SecretBody, SecretRule, retry_starts,
};
use crate::retry::{Backoff, RetryAfter, RetryOn, RetryPolicy};
use crate::signing::Scheme;

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
                .map(|v| format!(", API version {v}"))
                .unwrap_or_default(),
            if self.open_catalogue {
                ", any other type name is accepted too"
            } else {
                ""
            }
        );
        for e in &self.catalogue {
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
            Rule::Version => self.version.to_owned(),
            Rule::Body => envelope_words(self.envelope).to_owned(),
            Rule::BodyBytes => {
                let mut w = match self.body_encoding {
                    BodyEncoding::Compact => "compact JSON: no spaces, UTF-8 text as is".to_owned(),
                    BodyEncoding::PythonJsonDumps => "Python json.dumps defaults: \", \" and \": \" separators, non-ASCII escaped as \\uXXXX, floats as Python's repr".to_owned(),
                };
                if self.envelope == Envelope::LlamaCloud {
                    w.push_str(&format!(
                        "; output_format `string` ({}) sends that JSON encoded once more as a JSON string, `json` sends it as is",
                        if OutputFormat::default() == OutputFormat::String {
                            "the default"
                        } else {
                            "optional"
                        }
                    ));
                }
                w.push_str("; the body is built once and re-sent unchanged on every retry (its event time too)");
                w
            }
            Rule::Headers => self.header_words(),
            Rule::CustomHeaders => self.custom_header_words(),
            Rule::Signature => scheme_words(self.scheme).to_owned(),
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
            Rule::Gone => {
                if r.disable_on_410 {
                    "410 disables the endpoint: this and every later attempt to it stop (gave_up)"
                        .to_owned()
                } else {
                    "no special meaning: a failed answer like any other".to_owned()
                }
            }
            Rule::Status => match self.pending_status {
                Some(p) => format!(
                    "between attempts the delivery's status is `{p}`; the journal, the JSON report and the TUI show it"
                ),
                None => "the provider names no status between attempts".to_owned(),
            },
            Rule::Events => {
                let mut w = format!("{} event types", self.catalogue.len());
                if let Some(v) = self.api_version {
                    let others: Vec<&str> = self
                        .api_versions
                        .iter()
                        .map(|a| a.name)
                        .filter(|n| *n != v)
                        .collect();
                    w.push_str(&format!(
                        " of API version {v}; `endpoint.api_version` selects another ({})",
                        others.join(", ")
                    ));
                }
                if self.open_catalogue {
                    w.push_str("; any other type name is accepted too");
                }
                w
            }
        }
    }

    fn header_words(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        if let Some(h) = self.scheme.standard_headers() {
            parts.push(format!(
                "{}, {} (unix s, fresh per attempt), {}",
                h.id, h.timestamp, h.signature
            ));
        }
        parts.extend(self.static_headers.iter().map(|(k, v)| format!("{k}: {v}")));
        match self.envelope {
            Envelope::LlamaCloud => {
                parts.push("X-Webhook-Event-ID, X-Webhook-Event-Type".into());
                parts.push("LC-Signature (with a secret)".into());
            }
            Envelope::PerfectParser => {
                parts.push("X-Webhook-Secret (when a static secret is set)".into());
                parts.push("X-PerfectParser-Signature".into());
            }
            Envelope::Extend => parts.push(
                "x-extend-request-timestamp (unix s, fresh per attempt), x-extend-request-signature"
                    .into(),
            ),
            Envelope::Crawl4ai | Envelope::StandardWebhooks => {}
        }
        parts.push("custom headers".into());
        if self.header_rules.content_type_last {
            parts.push("Content-Type: application/json forced last".into());
        }
        parts.join(", ")
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
        let mut w = match self.secret {
            SecretRule::Optional if self.scheme == Scheme::None => {
                "none: the provider does not sign".to_owned()
            }
            SecretRule::Optional => {
                "optional: without a secret the requests carry no signature".to_owned()
            }
            SecretRule::Generated(f) => {
                let body = match f.body {
                    SecretBody::Alnum(n) => format!("{n} letters and digits"),
                    SecretBody::Hex(n) => format!("{n} hex digits"),
                    SecretBody::Base64Bytes(n) => format!("base64 of {n} random bytes"),
                };
                format!(
                    "always: every endpoint has one; without `secret`, hookrig generates one from the run's seed ({}{body}) and shows it in the report and the journal",
                    if f.prefix.is_empty() {
                        String::new()
                    } else {
                        format!("`{}` + ", f.prefix)
                    }
                )
            }
        };
        if self.scheme.standard_headers().is_some() {
            w.push_str("; `whsec_` + base64, its `=` padding optional (the reference libraries decode `secret + \"==\"`); several secrets sign with each (key rotation)");
        }
        w
    }
}

/// A duration as a scenario writes it.
fn fmt_d(d: Duration) -> String {
    crate::scenario::expect::fmt_duration(d)
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

fn envelope_words(e: Envelope) -> &'static str {
    match e {
        Envelope::LlamaCloud => {
            "{event_id: uuid, event_type, timestamp: float unix s (when the event happened), data: {id, job_id, …}}"
        }
        Envelope::Crawl4ai => {
            "{task_id, task_type, status, timestamp: ISO-8601 +00:00 (when the job ended), urls} + error (failed) + data (with data_in_payload and a result: a crawl job's whole /crawl response {success, results: [one per URL], server_processing_time_s, server_memory_delta_mb, server_peak_memory_mb}; an LLM job's {extracted_content})"
        }
        Envelope::Extend => "{eventId: event_…, eventType, payload: {object, id, …}}",
        Envelope::PerfectParser => {
            "flat {event, created_at: ISO-8601 (when the event happened), …event fields}"
        }
        Envelope::StandardWebhooks => "{type, timestamp: ISO-8601 (when the event happened), data}",
    }
}

fn scheme_words(s: Scheme) -> &'static str {
    match s {
        Scheme::None => "none",
        Scheme::LlamaCloud => "LC-Signature: sha256=<hex HMAC-SHA256(secret, raw body)>",
        Scheme::PerfectParser => {
            "X-PerfectParser-Signature: <hex HMAC-SHA256(signing secret, raw body)>"
        }
        Scheme::Extend => {
            "x-extend-request-signature: hex HMAC-SHA256(secret as UTF-8, \"v0:{timestamp}:{body}\"); verifiers reject age > 300 s or > 60 s in the future"
        }
        Scheme::StandardWebhooks => {
            "webhook-signature: v1,<base64 HMAC-SHA256(base64-decoded secret, \"{id}.{timestamp}.{body}\")>, space-separated during key rotation; verifiers allow 5 min either way"
        }
        Scheme::Svix => {
            "svix-signature: v1,<base64 HMAC-SHA256(base64-decoded secret, \"{id}.{timestamp}.{body}\")>, space-separated during key rotation; verifiers allow 5 min either way"
        }
    }
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
