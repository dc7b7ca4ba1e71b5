//! Where each rule of a profile comes from.
//!
//! Every rule a profile states — body, headers, signature, schedule, timeout, what is
//! retried, … — carries its sources as data beside it: a seed document in
//! `../shared/reference/`, a file in the provider's public code (with the constant or
//! function), a documentation page, or an assumption and why it was made.
//! `hookrig profiles NAME` prints them rule by rule.

use std::fmt;

/// One source of a rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A seed document (a file in `../shared/reference/`) and what it says.
    Seed {
        /// The file name, e.g. `llamacloud-webhooks.txt`.
        file: &'static str,
        /// What it says, in brief.
        says: &'static str,
    },
    /// A file in the provider's public code.
    Code {
        /// `owner/name` on GitHub, with the version or commit read.
        repo: &'static str,
        /// The path inside the repository.
        file: &'static str,
        /// The constant, function or line, and what it says.
        at: &'static str,
    },
    /// A documentation page.
    Doc {
        /// Its address.
        url: &'static str,
        /// What it says, in brief.
        says: &'static str,
    },
    /// Not published anywhere we could find: an assumption, and why it was made.
    Assumption(&'static str),
}

impl Source {
    /// Whether this source is an assumption.
    pub fn is_assumption(&self) -> bool {
        matches!(self, Source::Assumption(_))
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Seed { file, says } => {
                write!(f, "seed doc ../shared/reference/{file}: {says}")
            }
            Source::Code { repo, file, at } => write!(f, "code {repo} {file}: {at}"),
            Source::Doc { url, says } => write!(f, "doc {url}: {says}"),
            Source::Assumption(why) => write!(f, "assumption: {why}"),
        }
    }
}

/// The rules a profile states, in the order `hookrig profiles NAME` prints them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rule {
    /// Which release or API version the profile models.
    Version,
    /// The body's fields.
    Body,
    /// The body's exact bytes (serialisation).
    BodyBytes,
    /// The fixed and generated headers.
    Headers,
    /// What custom endpoint headers may do.
    CustomHeaders,
    /// The signature scheme.
    Signature,
    /// Which secrets are taken, and what happens without one.
    Secret,
    /// How many attempts.
    Attempts,
    /// The waits between them.
    Waits,
    /// Random variation of the waits.
    Jitter,
    /// The least wait after an overload.
    Overload,
    /// What `Retry-After` does.
    RetryAfter,
    /// The per-attempt timeout.
    Timeout,
    /// Which outcomes are retried.
    RetryOn,
    /// Redirects.
    Redirects,
    /// A connection error sent again at once.
    Resend,
    /// 410 Gone.
    Gone,
    /// The delivery status shown between attempts.
    Status,
    /// The event catalogue.
    Events,
}

impl Rule {
    /// The label printed before the rule.
    pub fn label(self) -> &'static str {
        match self {
            Rule::Version => "models",
            Rule::Body => "body",
            Rule::BodyBytes => "body bytes",
            Rule::Headers => "headers",
            Rule::CustomHeaders => "custom headers",
            Rule::Signature => "signature",
            Rule::Secret => "secret",
            Rule::Attempts => "attempts",
            Rule::Waits => "waits",
            Rule::Jitter => "jitter",
            Rule::Overload => "overload",
            Rule::RetryAfter => "retry-after",
            Rule::Timeout => "timeout",
            Rule::RetryOn => "retry on",
            Rule::Redirects => "redirects",
            Rule::Resend => "resend",
            Rule::Gone => "410",
            Rule::Status => "status",
            Rule::Events => "events",
        }
    }
}

/// A rule and where it comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sourced {
    /// The rule.
    pub rule: Rule,
    /// Its sources, strongest first.
    pub sources: Vec<Source>,
}

/// `rule` with `sources`: `sourced(Rule::Timeout, [doc(…)])`.
pub fn sourced(rule: Rule, sources: impl IntoIterator<Item = Source>) -> Sourced {
    Sourced {
        rule,
        sources: sources.into_iter().collect(),
    }
}

/// A seed document source.
pub const fn seed(file: &'static str, says: &'static str) -> Source {
    Source::Seed { file, says }
}

/// A code source.
pub const fn code(repo: &'static str, file: &'static str, at: &'static str) -> Source {
    Source::Code { repo, file, at }
}

/// A documentation page source.
pub const fn doc(url: &'static str, says: &'static str) -> Source {
    Source::Doc { url, says }
}

/// An assumption and why.
pub const fn assumption(why: &'static str) -> Source {
    Source::Assumption(why)
}
