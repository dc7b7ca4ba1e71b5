//! Where each rule of a profile comes from.
//!
//! Every rule a profile states — body, headers, signature, schedule, timeout, what is
//! retried, … — carries its sources as data in the profile file's `sources:` section: a
//! seed document (the provider's webhook page as published, by the name of the saved copy
//! the profile was written from), a file in the provider's public code (with the
//! constant or function), a documentation page, or an assumption and why it was made.
//! Loading refuses a profile that states a rule without a source. `hookrig profiles NAME`
//! prints them rule by rule.

use std::fmt;

/// One source of a rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A seed document (the provider's webhook page as published, named by the saved copy
    /// the profile was written from) and what it says.
    Seed {
        /// The file name, e.g. `llamacloud-webhooks.txt`.
        file: String,
        /// What it says, in brief.
        says: String,
    },
    /// A file in the provider's public code.
    Code {
        /// `owner/name` on GitHub, with the version or commit read.
        repo: String,
        /// The path inside the repository.
        file: String,
        /// The constant, function or line, and what it says.
        at: String,
    },
    /// A documentation page.
    Doc {
        /// Its address.
        url: String,
        /// What it says, in brief.
        says: String,
    },
    /// Not published anywhere we could find: an assumption, and why it was made.
    Assumption(String),
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
                write!(f, "seed doc {file}: {says}")
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
    /// Statuses that disable the endpoint (410 Gone).
    Disable,
    /// A response header that stops the retries.
    Stop,
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
            Rule::Disable => "disable",
            Rule::Stop => "stop",
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

impl Rule {
    /// Every rule, with the key a profile file's `sources:` names it by.
    pub const ALL: &[(&str, Rule)] = &[
        ("version", Rule::Version),
        ("body", Rule::Body),
        ("body_bytes", Rule::BodyBytes),
        ("headers", Rule::Headers),
        ("custom_headers", Rule::CustomHeaders),
        ("signature", Rule::Signature),
        ("secret", Rule::Secret),
        ("attempts", Rule::Attempts),
        ("waits", Rule::Waits),
        ("jitter", Rule::Jitter),
        ("overload", Rule::Overload),
        ("retry_after", Rule::RetryAfter),
        ("timeout", Rule::Timeout),
        ("retry_on", Rule::RetryOn),
        ("redirects", Rule::Redirects),
        ("resend", Rule::Resend),
        ("disable", Rule::Disable),
        ("stop", Rule::Stop),
        ("status", Rule::Status),
        ("events", Rule::Events),
    ];

    /// The rule a `sources:` key names.
    pub fn from_key(key: &str) -> Option<Rule> {
        Self::ALL.iter().find(|(k, _)| *k == key).map(|(_, r)| *r)
    }

    /// The key of this rule in `sources:`.
    pub fn key(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, r)| *r == self)
            .map_or("", |(k, _)| k)
    }
}
