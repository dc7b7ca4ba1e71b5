//! Plans: what the emulated provider does with the jobs it is given — how long each takes,
//! which fail and with what error, which URLs, documents or pages of a job fail, which
//! submissions the API refuses — read from `--plan FILE` or `POST /_hookrig/plan`.
//!
//! ```yaml
//! processing: 1s            # every job's processing time (default 1s; scaled by --time-scale)
//! jobs:                     # rules; every rule whose `when` holds applies, later keys win
//!   - when: {kind: llm}
//!     after: 5s
//!   - when: {nth: 2}        # the second job submitted since this plan was installed
//!     fail: "500: Browser closed unexpectedly"
//!   - when: {url: https://example.com/missing}
//!     fail_urls: [https://example.com/missing]
//!     error: "net::ERR_NAME_NOT_RESOLVED"
//!   - when: {nth: 3}
//!     reject: {status: 503}
//! ```
//!
//! Every key is checked: an unknown key, a key another provider uses, a bad duration or
//! an unknown job kind is an error naming the source, line and column and the valid
//! choices. The format's reference is docs/emulate.md.

use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;
use serde_saphyr::Spanned;

use crate::text::{choice_error, parse_duration, yaml_error};

/// The processing time of a job no rule times.
pub const DEFAULT_PROCESSING: Duration = Duration::from_secs(1);

/// A plan error: where and what.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{origin}{}: {message}", position(*.line, *.column))]
pub struct PlanError {
    /// The file, or `POST /_hookrig/plan`.
    pub origin: String,
    /// 1-based line.
    pub line: Option<u64>,
    /// 1-based column.
    pub column: Option<u64>,
    /// What is wrong, with the valid choices.
    pub message: String,
}

fn position(line: Option<u64>, column: Option<u64>) -> String {
    match (line, column) {
        (Some(l), Some(c)) => format!(":{l}:{c}"),
        (Some(l), None) => format!(":{l}"),
        _ => String::new(),
    }
}

/// What a provider's plans may say.
#[derive(Debug, Clone, Copy)]
pub struct Vocabulary {
    /// The provider, in messages.
    pub provider: &'static str,
    /// Its job kinds (`when: {kind: …}`).
    pub kinds: &'static [&'static str],
    /// The `when:` keys it takes.
    pub when: &'static [&'static str],
    /// The outcome keys it takes.
    pub outcomes: &'static [&'static str],
}

/// A checked plan.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plan {
    /// The processing time of a job no rule times.
    pub processing: Option<Duration>,
    /// The rules, in order.
    pub rules: Vec<Rule>,
}

/// One rule.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rule {
    /// When it applies.
    pub when: When,
    /// What it decides.
    pub then: Decision,
}

/// A rule's condition: every key given must hold.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct When {
    /// The job's 1-based number since the plan was installed.
    pub nth: Option<u64>,
    /// The job's kind.
    pub kind: Option<String>,
    /// A URL the job was given.
    pub url: Option<String>,
    /// A file name the job was given.
    pub filename: Option<String>,
    /// The PerfectParser parser the job runs.
    pub parser: Option<String>,
    /// The Extend workflow the run belongs to.
    pub workflow: Option<String>,
    /// The Extend processor the run uses.
    pub processor: Option<String>,
}

/// How a job ends, as far as rules say; `None` keys are left to later rules or the
/// defaults.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Decision {
    /// Processing time.
    pub after: Option<Duration>,
    /// The job fails: `Some(None)` with the provider's default error, `Some(Some(text))`
    /// with this one.
    pub fail: Option<Option<String>>,
    /// Crawl4AI: URLs whose results fail inside a completed job.
    pub fail_urls: Option<Vec<String>>,
    /// PerfectParser: documents (1-based position or file name) that fail.
    pub fail_documents: Option<Vec<DocumentRef>>,
    /// LlamaCloud: parse pages (1-based) that fail (the job ends `partial_success`).
    pub fail_pages: Option<Vec<u32>>,
    /// The error of the failed URLs, documents or pages.
    pub error: Option<String>,
    /// Extend: the run stops for review.
    pub needs_review: Option<bool>,
    /// The API refuses the submission with this error.
    pub reject: Option<Reject>,
}

/// A document of a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DocumentRef {
    /// By 1-based position.
    Position(u64),
    /// By file name.
    Name(String),
}

/// An API error answered instead of creating the job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reject {
    /// The status, 400–599.
    pub status: u16,
    /// The provider's error code (PerfectParser, Extend), when given.
    pub code: Option<String>,
    /// The message, when given.
    pub message: Option<String>,
}

/// What a rule is matched against.
#[derive(Debug, Clone, Default)]
pub struct JobFacts {
    /// The kind.
    pub kind: &'static str,
    /// URLs it was given.
    pub urls: Vec<String>,
    /// File names it was given.
    pub filenames: Vec<String>,
    /// PerfectParser parser.
    pub parser: Option<String>,
    /// Extend workflow.
    pub workflow: Option<String>,
    /// Extend processor.
    pub processor: Option<String>,
}

impl When {
    fn holds(&self, nth: u64, f: &JobFacts) -> bool {
        self.nth.is_none_or(|n| n == nth)
            && self.kind.as_deref().is_none_or(|k| k == f.kind)
            && self
                .url
                .as_deref()
                .is_none_or(|u| f.urls.iter().any(|x| same_url(x, u)))
            && self
                .filename
                .as_deref()
                .is_none_or(|n| f.filenames.iter().any(|x| x == n))
            && self
                .parser
                .as_deref()
                .is_none_or(|p| f.parser.as_deref() == Some(p))
            && self
                .workflow
                .as_deref()
                .is_none_or(|w| f.workflow.as_deref() == Some(w))
            && self
                .processor
                .as_deref()
                .is_none_or(|p| f.processor.as_deref() == Some(p))
    }
}

/// Whether two URLs are the same once normalised (`https://a.com` = `https://a.com/`).
pub fn same_url(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    match (reqwest::Url::parse(a), reqwest::Url::parse(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}

impl Decision {
    fn overlay(&mut self, later: &Decision) {
        macro_rules! take {
            ($($f:ident),*) => { $( if later.$f.is_some() { self.$f = later.$f.clone(); } )* };
        }
        take!(
            after,
            fail,
            fail_urls,
            fail_documents,
            fail_pages,
            error,
            needs_review,
            reject
        );
    }
}

impl Plan {
    /// What the rules decide for the `nth` job (1-based since the plan was installed):
    /// every matching rule in order, a later one's keys over an earlier one's.
    pub fn decide(&self, nth: u64, facts: &JobFacts) -> Decision {
        let mut d = Decision::default();
        for r in &self.rules {
            if r.when.holds(nth, facts) {
                d.overlay(&r.then);
            }
        }
        if d.after.is_none() {
            d.after = Some(self.processing.unwrap_or(DEFAULT_PROCESSING));
        }
        d
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPlan {
    processing: Option<Spanned<Value>>,
    #[serde(default)]
    jobs: Vec<Spanned<RawRule>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    when: Option<Spanned<RawWhen>>,
    after: Option<Spanned<Value>>,
    fail: Option<Spanned<Value>>,
    fail_urls: Option<Spanned<Vec<String>>>,
    fail_documents: Option<Spanned<Vec<Value>>>,
    fail_pages: Option<Spanned<Vec<u32>>>,
    error: Option<Spanned<String>>,
    needs_review: Option<Spanned<bool>>,
    reject: Option<Spanned<RawReject>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWhen {
    nth: Option<Spanned<u64>>,
    kind: Option<Spanned<String>>,
    url: Option<Spanned<String>>,
    filename: Option<Spanned<String>>,
    parser: Option<Spanned<String>>,
    workflow: Option<Spanned<String>>,
    processor: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawReject {
    status: Spanned<u16>,
    code: Option<String>,
    message: Option<String>,
}

struct Cx<'a> {
    origin: &'a str,
    vocab: &'a Vocabulary,
    errors: Vec<PlanError>,
}

fn loc<T>(s: &Spanned<T>) -> (Option<u64>, Option<u64>) {
    let l = &s.referenced;
    if l.line() == 0 {
        (None, None)
    } else {
        (Some(l.line()), Some(l.column()))
    }
}

impl Cx<'_> {
    fn err(&mut self, at: (Option<u64>, Option<u64>), message: String) {
        self.errors.push(PlanError {
            origin: self.origin.to_owned(),
            line: at.0,
            column: at.1,
            message,
        });
    }

    /// Whether `key` is for this provider; an error otherwise.
    fn allowed<T>(
        &mut self,
        list: &[&str],
        section: &str,
        key: &str,
        v: &Option<Spanned<T>>,
    ) -> bool {
        let Some(v) = v else { return false };
        if list.contains(&key) {
            return true;
        }
        self.err(
            loc(v),
            format!(
                "{section}.{key} is not for {} plans ({} takes: {})",
                self.vocab.provider,
                section,
                list.join(", ")
            ),
        );
        false
    }

    fn duration(&mut self, what: &str, v: &Spanned<Value>) -> Option<Duration> {
        let text = match &v.value {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            _ => {
                self.err(loc(v), format!("{what}: expected a duration such as `2s`"));
                return None;
            }
        };
        match parse_duration(&text) {
            Ok(d) => Some(d),
            Err(e) => {
                self.err(loc(v), format!("{what}: {e}"));
                None
            }
        }
    }

    fn rule(&mut self, r: &Spanned<RawRule>) -> Rule {
        let v = self.vocab;
        let raw = &r.value;
        let mut when = When::default();
        if let Some(w) = &raw.when {
            let ww = &w.value;
            if self.allowed(v.when, "when", "nth", &ww.nth)
                && let Some(n) = &ww.nth
            {
                if n.value == 0 {
                    self.err(loc(n), "when.nth: jobs are counted from 1".into());
                }
                when.nth = Some(n.value);
            }
            if self.allowed(v.when, "when", "kind", &ww.kind)
                && let Some(k) = &ww.kind
            {
                if !v.kinds.contains(&k.value.as_str()) {
                    let msg = choice_error(&format!("{} job kind", v.provider), &k.value, v.kinds);
                    self.err(loc(k), format!("when.kind: {msg}"));
                }
                when.kind = Some(k.value.clone());
            }
            macro_rules! text {
                ($($f:ident),*) => {$(
                    if self.allowed(v.when, "when", stringify!($f), &ww.$f) {
                        when.$f = ww.$f.as_ref().map(|s| s.value.clone());
                    }
                )*};
            }
            text!(url, filename, parser, workflow, processor);
        }
        let mut then = Decision::default();
        if self.allowed(v.outcomes, "jobs[]", "after", &raw.after) {
            then.after = raw.after.as_ref().and_then(|a| self.duration("after", a));
        }
        if self.allowed(v.outcomes, "jobs[]", "fail", &raw.fail)
            && let Some(f) = &raw.fail
        {
            match &f.value {
                Value::Bool(true) => then.fail = Some(None),
                Value::Bool(false) => {}
                Value::String(s) if !s.is_empty() => then.fail = Some(Some(s.clone())),
                _ => self.err(
                    loc(f),
                    "fail: expected true (the provider's usual error) or the error's text".into(),
                ),
            }
        }
        if self.allowed(v.outcomes, "jobs[]", "fail_urls", &raw.fail_urls) {
            then.fail_urls = raw.fail_urls.as_ref().map(|u| u.value.clone());
        }
        if self.allowed(v.outcomes, "jobs[]", "fail_documents", &raw.fail_documents)
            && let Some(docs) = &raw.fail_documents
        {
            let mut refs = Vec::new();
            for d in &docs.value {
                match d {
                    Value::Number(n) if n.as_u64().is_some_and(|n| n >= 1) => {
                        refs.push(DocumentRef::Position(n.as_u64().unwrap_or(1)));
                    }
                    Value::String(s) if !s.is_empty() => refs.push(DocumentRef::Name(s.clone())),
                    other => self.err(
                        loc(docs),
                        format!(
                            "fail_documents: `{other}` is neither a 1-based position nor a file name"
                        ),
                    ),
                }
            }
            then.fail_documents = Some(refs);
        }
        if self.allowed(v.outcomes, "jobs[]", "fail_pages", &raw.fail_pages)
            && let Some(p) = &raw.fail_pages
        {
            if p.value.contains(&0) {
                self.err(loc(p), "fail_pages: pages are numbered from 1".into());
            }
            then.fail_pages = Some(p.value.clone());
        }
        if self.allowed(v.outcomes, "jobs[]", "error", &raw.error) {
            then.error = raw.error.as_ref().map(|e| e.value.clone());
        }
        if self.allowed(v.outcomes, "jobs[]", "needs_review", &raw.needs_review) {
            then.needs_review = raw.needs_review.as_ref().map(|b| b.value);
        }
        if self.allowed(v.outcomes, "jobs[]", "reject", &raw.reject)
            && let Some(rj) = &raw.reject
        {
            let s = rj.value.status.value;
            if !(400..=599).contains(&s) {
                self.err(
                    loc(&rj.value.status),
                    format!("reject.status: {s} is not an error status (400 to 599)"),
                );
            }
            then.reject = Some(Reject {
                status: s,
                code: rj.value.code.clone(),
                message: rj.value.message.clone(),
            });
        }
        if then == Decision::default() {
            self.err(
                loc(r),
                format!(
                    "jobs[]: the rule decides nothing; give one of: {}",
                    v.outcomes.join(", ")
                ),
            );
        }
        Rule { when, then }
    }
}

/// Reads a plan from `text` (YAML or JSON); `origin` names it in errors. An empty text
/// is the empty plan.
pub fn parse(text: &str, origin: &str, vocab: &Vocabulary) -> Result<Plan, Vec<PlanError>> {
    if text.trim().is_empty() {
        return Ok(Plan::default());
    }
    let raw: RawPlan = serde_saphyr::from_str(text).map_err(|e| {
        let (line, column, message) = yaml_error(text, &e);
        vec![PlanError {
            origin: origin.to_owned(),
            line,
            column,
            message,
        }]
    })?;
    let mut cx = Cx {
        origin,
        vocab,
        errors: Vec::new(),
    };
    let processing = raw
        .processing
        .as_ref()
        .and_then(|p| cx.duration("processing", p));
    let rules = raw.jobs.iter().map(|r| cx.rule(r)).collect();
    if cx.errors.is_empty() {
        Ok(Plan { processing, rules })
    } else {
        Err(cx.errors)
    }
}

/// Reads a plan file.
pub fn load(path: &std::path::Path, vocab: &Vocabulary) -> Result<Plan, Vec<PlanError>> {
    let origin = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| {
        vec![PlanError {
            origin: origin.clone(),
            line: None,
            column: None,
            message: format!("cannot read: {e}"),
        }]
    })?;
    parse(&text, &origin, vocab)
}

#[cfg(test)]
mod tests {
    use super::*;

    const V: Vocabulary = Vocabulary {
        provider: "crawl4ai",
        kinds: &["crawl", "llm"],
        when: &["nth", "kind", "url"],
        outcomes: &["after", "fail", "fail_urls", "error", "reject"],
    };

    fn facts(kind: &'static str, url: &str) -> JobFacts {
        JobFacts {
            kind,
            urls: vec![url.into()],
            ..JobFacts::default()
        }
    }

    #[test]
    fn matching_rules_apply_in_order_and_later_keys_win() {
        let plan = parse(
            "processing: 2s\njobs:\n  - when: {kind: llm}\n    after: 5s\n  - when: {nth: 2}\n    fail: boom\n  - when: {url: 'https://a.example'}\n    after: 9s\n",
            "plan.yaml",
            &V,
        )
        .unwrap();
        let first = plan.decide(1, &facts("crawl", "https://b.example/"));
        assert_eq!(first.after, Some(Duration::from_secs(2)));
        assert_eq!(first.fail, None);
        let second = plan.decide(2, &facts("llm", "https://a.example/"));
        assert_eq!(second.after, Some(Duration::from_secs(9)));
        assert_eq!(second.fail, Some(Some("boom".into())));
    }

    #[test]
    fn a_key_of_another_provider_is_an_error_with_its_line_and_column() {
        let errors = parse("jobs:\n  - fail_documents: [1]\n", "p.yaml", &V).unwrap_err();
        let text = errors[0].to_string();
        assert!(text.starts_with("p.yaml:2:"), "{text}");
        assert!(
            text.contains("fail_documents is not for crawl4ai"),
            "{text}"
        );
    }

    #[test]
    fn an_unknown_key_a_bad_kind_and_a_bare_number_are_errors() {
        let e = parse("jobs:\n  - aftr: 1s\n", "p", &V).unwrap_err();
        assert!(e[0].message.contains("did you mean `after`"), "{}", e[0]);
        let e = parse("jobs:\n  - when: {kind: crawll}\n    after: 1s\n", "p", &V).unwrap_err();
        assert!(e[0].message.contains("did you mean `crawl`"), "{}", e[0]);
        let e = parse("jobs:\n  - after: 3\n", "p", &V).unwrap_err();
        assert!(e[0].message.contains("bare number"), "{}", e[0]);
        let e = parse("jobs:\n  - when: {nth: 1}\n", "p", &V).unwrap_err();
        assert!(e[0].message.contains("decides nothing"), "{}", e[0]);
    }

    #[test]
    fn json_is_a_plan_too_and_empty_text_is_the_empty_plan() {
        let plan = parse(
            r#"{"jobs": [{"when": {"nth": 1}, "reject": {"status": 503}}]}"#,
            "p",
            &V,
        )
        .unwrap();
        assert_eq!(plan.rules[0].then.reject.as_ref().unwrap().status, 503);
        assert_eq!(parse("  \n", "p", &V).unwrap(), Plan::default());
    }
}
