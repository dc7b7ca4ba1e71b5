//! Signing and verification: pure functions, time passed in.
//!
//! Each provider's scheme is a variant of [`Scheme`]. [`Scheme::sign`] returns the headers
//! a request carries; [`Scheme::verify`] judges a received request at a given wall-clock
//! time, comparing MACs in constant time. Nothing here reads a clock or logs a secret.
//!
//! | scheme | headers | MAC input | encoding |
//! |---|---|---|---|
//! | [`Scheme::LlamaCloud`] | `LC-Signature: sha256=…` | body | lowercase hex |
//! | [`Scheme::PerfectParser`] | `X-PerfectParser-Signature` | body | lowercase hex |
//! | [`Scheme::Extend`] | `x-extend-request-timestamp`, `x-extend-request-signature` | `v0:{ts}:{body}` | lowercase hex |
//! | [`Scheme::StandardWebhooks`] | `webhook-id`, `webhook-timestamp`, `webhook-signature: v1,…` | `{id}.{ts}.{body}` | base64, key = base64-decoded secret after `whsec_` |
//! | [`Scheme::Svix`] | `svix-id`, `svix-timestamp`, `svix-signature: v1,…` | `{id}.{ts}.{body}` | as Standard Webhooks |
//!
//! A `whsec_` secret is read as the reference libraries read it: base64 with or without
//! its `=` padding (the Python library decodes `secret + "=="`), and trailing bits are not
//! judged; anything outside the base64 alphabet is an error.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// How long a Standard Webhooks timestamp stays acceptable either side of now (the
/// reference libraries' tolerance).
pub const STANDARD_TOLERANCE: Duration = Duration::from_secs(300);
/// Extend verifiers reject a timestamp older than this…
pub const EXTEND_MAX_AGE: Duration = Duration::from_secs(300);
/// …or further than this in the future.
pub const EXTEND_MAX_FUTURE: Duration = Duration::from_secs(60);

/// A provider's signing scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// No signature (Crawl4AI).
    None,
    /// `LC-Signature: sha256=<hex HMAC-SHA256(secret, body)>`, GitHub's form.
    LlamaCloud,
    /// `X-PerfectParser-Signature: <hex HMAC-SHA256(secret, body)>`.
    PerfectParser,
    /// Extend: hex HMAC-SHA256 of `v0:{timestamp}:{body}`.
    Extend,
    /// Standard Webhooks: `v1,<base64 HMAC-SHA256>` of `{id}.{timestamp}.{body}` in
    /// `webhook-*` headers.
    StandardWebhooks,
    /// Svix: the Standard Webhooks scheme in `svix-*` headers (svix-server's default,
    /// `whitelabel_headers = false`).
    Svix,
}

/// The three headers of a Standard Webhooks-style scheme: id, timestamp, signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StandardHeaders {
    /// The message id header (`webhook-id`).
    pub id: &'static str,
    /// The timestamp header (`webhook-timestamp`).
    pub timestamp: &'static str,
    /// The signature header (`webhook-signature`).
    pub signature: &'static str,
}

/// `webhook-id`, `webhook-timestamp`, `webhook-signature`.
pub const WEBHOOK_HEADERS: StandardHeaders = StandardHeaders {
    id: "webhook-id",
    timestamp: "webhook-timestamp",
    signature: "webhook-signature",
};

/// `svix-id`, `svix-timestamp`, `svix-signature`.
pub const SVIX_HEADERS: StandardHeaders = StandardHeaders {
    id: "svix-id",
    timestamp: "svix-timestamp",
    signature: "svix-signature",
};

/// Base64 as the Standard Webhooks reference libraries decode a secret: the standard
/// alphabet, padding optional, trailing bits not judged.
const LENIENT_B64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// Why a secret cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    /// A Standard Webhooks secret that is not base64 after its `whsec_` prefix.
    #[error(
        "a whsec_ secret must be base64 after `whsec_` (letters, digits, `+`, `/`, padding optional), e.g. whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    )]
    NotBase64,
    /// An empty secret.
    #[error("the secret is empty")]
    Empty,
}

/// What a signature check concluded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// A signature matched.
    Valid,
    /// Signature headers were there but did not verify; the reason says why.
    Invalid(String),
    /// The request carried no signature header.
    Absent,
}

impl Verdict {
    /// `valid`, `invalid` or `absent`.
    pub fn label(&self) -> &'static str {
        match self {
            Verdict::Valid => "valid",
            Verdict::Invalid(_) => "invalid",
            Verdict::Absent => "absent",
        }
    }
}

/// What a request being signed is made of. `id` is the message id for schemes that sign
/// it (Standard Webhooks); `timestamp` is Unix seconds.
#[derive(Debug, Clone, Copy)]
pub struct SignInput<'a> {
    /// Message id (Standard Webhooks `webhook-id`).
    pub id: &'a str,
    /// Unix seconds.
    pub timestamp: i64,
    /// The raw body exactly as sent.
    pub body: &'a [u8],
}

/// HMAC-SHA256 of the concatenation of `parts` under `key`.
pub fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes keys of any length");
    for p in parts {
        mac.update(p);
    }
    mac.finalize().into_bytes().into()
}

/// Constant-time check that `tag` is the HMAC-SHA256 of `parts` under `key`.
pub fn hmac_sha256_matches(key: &[u8], parts: &[&[u8]], tag: &[u8]) -> bool {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes keys of any length");
    for p in parts {
        mac.update(p);
    }
    mac.verify_slice(tag).is_ok()
}

/// `sha256=<hex>` over the body: LlamaCloud's `LC-Signature` (and GitHub's `X-Hub-Signature-256`).
pub fn sign_sha256_prefixed(secret: &str, body: &[u8]) -> String {
    format!("sha256={}", sign_hex_body(secret, body))
}

/// Lowercase hex HMAC-SHA256 of the raw body (PerfectParser).
pub fn sign_hex_body(secret: &str, body: &[u8]) -> String {
    hex::encode(hmac_sha256(secret.as_bytes(), &[body]))
}

/// Extend's signature: lowercase hex HMAC-SHA256 of `v0:{timestamp}:{body}`.
pub fn sign_extend(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let ts = timestamp.to_string();
    hex::encode(hmac_sha256(
        secret.as_bytes(),
        &[b"v0:", ts.as_bytes(), b":", body],
    ))
}

/// The key bytes of a Standard Webhooks secret: base64-decoded, after an optional
/// `whsec_`, padded or not (as the reference libraries take it).
pub fn standard_key(secret: &str) -> Result<Vec<u8>, SecretError> {
    let b64 = secret.strip_prefix("whsec_").unwrap_or(secret);
    if b64.is_empty() {
        return Err(SecretError::Empty);
    }
    let key = LENIENT_B64
        .decode(b64)
        .map_err(|_| SecretError::NotBase64)?;
    if key.is_empty() {
        return Err(SecretError::Empty);
    }
    Ok(key)
}

/// One Standard Webhooks signature, `v1,<base64>`.
pub fn sign_standard(
    secret: &str,
    id: &str,
    timestamp: i64,
    body: &[u8],
) -> Result<String, SecretError> {
    let key = standard_key(secret)?;
    let ts = timestamp.to_string();
    let mac = hmac_sha256(&key, &[id.as_bytes(), b".", ts.as_bytes(), b".", body]);
    Ok(format!("v1,{}", B64.encode(mac)))
}

/// Verifies a Standard Webhooks signature header value (one or more space-separated
/// `v1,<base64>` entries) against any of `secrets`, at wall time `now`.
pub fn verify_standard(
    secrets: &[String],
    id: &str,
    timestamp: &str,
    signature_header: &str,
    body: &[u8],
    now: Duration,
) -> Verdict {
    let Ok(ts) = timestamp.trim().parse::<i64>() else {
        return Verdict::Invalid(format!("timestamp `{timestamp}` is not an integer"));
    };
    let now_s = now.as_secs() as i64;
    let tol = STANDARD_TOLERANCE.as_secs() as i64;
    if ts < now_s - tol {
        return Verdict::Invalid(format!(
            "timestamp is {} s old (tolerance {tol} s)",
            now_s - ts
        ));
    }
    if ts > now_s + tol {
        return Verdict::Invalid(format!(
            "timestamp is {} s in the future (tolerance {tol} s)",
            ts - now_s
        ));
    }
    let ts_s = ts.to_string();
    let mut keys = Vec::with_capacity(secrets.len());
    for s in secrets {
        match standard_key(s) {
            Ok(k) => keys.push(k),
            Err(e) => return Verdict::Invalid(e.to_string()),
        }
    }
    for entry in signature_header.split(' ').filter(|e| !e.is_empty()) {
        let Some((version, sig)) = entry.split_once(',') else {
            continue;
        };
        if version != "v1" {
            continue;
        }
        let Ok(tag) = B64.decode(sig) else { continue };
        for key in &keys {
            if hmac_sha256_matches(
                key,
                &[id.as_bytes(), b".", ts_s.as_bytes(), b".", body],
                &tag,
            ) {
                return Verdict::Valid;
            }
        }
    }
    Verdict::Invalid("no v1 signature matched".into())
}

/// Looks a header up by name, case-insensitively.
pub fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

impl Scheme {
    /// The name of the header that carries the signature, if the scheme has one.
    pub fn signature_header(self) -> Option<&'static str> {
        match self {
            Scheme::None => None,
            Scheme::LlamaCloud => Some("LC-Signature"),
            Scheme::PerfectParser => Some("X-PerfectParser-Signature"),
            Scheme::Extend => Some("x-extend-request-signature"),
            Scheme::StandardWebhooks | Scheme::Svix => self.standard_headers().map(|h| h.signature),
        }
    }

    /// The id, timestamp and signature headers of a Standard Webhooks-style scheme.
    pub fn standard_headers(self) -> Option<StandardHeaders> {
        match self {
            Scheme::StandardWebhooks => Some(WEBHOOK_HEADERS),
            Scheme::Svix => Some(SVIX_HEADERS),
            _ => None,
        }
    }

    /// Whether the scheme accepts several secrets at once (key rotation).
    pub fn supports_rotation(self) -> bool {
        self.standard_headers().is_some()
    }

    /// Checks a secret before any request is made.
    pub fn check_secret(self, secret: &str) -> Result<(), SecretError> {
        match self {
            Scheme::StandardWebhooks | Scheme::Svix => standard_key(secret).map(drop),
            _ if secret.is_empty() => Err(SecretError::Empty),
            _ => Ok(()),
        }
    }

    /// The signature headers for a request (none when there are no secrets). Standard
    /// Webhooks' (and Svix's) id and timestamp headers are envelope headers, added by the
    /// profile, not here; Extend's timestamp header is added here because it is part of the
    /// signature.
    pub fn sign(
        self,
        secrets: &[String],
        input: SignInput<'_>,
    ) -> Result<Vec<(String, String)>, SecretError> {
        let Some(first) = secrets.first() else {
            return Ok(Vec::new());
        };
        Ok(match self {
            Scheme::None => Vec::new(),
            Scheme::LlamaCloud => vec![(
                "LC-Signature".into(),
                sign_sha256_prefixed(first, input.body),
            )],
            Scheme::PerfectParser => {
                vec![(
                    "X-PerfectParser-Signature".into(),
                    sign_hex_body(first, input.body),
                )]
            }
            Scheme::Extend => vec![
                (
                    "x-extend-request-timestamp".into(),
                    input.timestamp.to_string(),
                ),
                (
                    "x-extend-request-signature".into(),
                    sign_extend(first, input.timestamp, input.body),
                ),
            ],
            Scheme::StandardWebhooks | Scheme::Svix => {
                let sigs = secrets
                    .iter()
                    .map(|s| sign_standard(s, input.id, input.timestamp, input.body))
                    .collect::<Result<Vec<_>, _>>()?;
                let name = self.signature_header().unwrap_or("webhook-signature");
                vec![(name.into(), sigs.join(" "))]
            }
        })
    }

    /// Judges a received request's signature at wall time `now`, as the provider's own
    /// verifier would.
    pub fn verify(
        self,
        secrets: &[String],
        headers: &[(String, String)],
        body: &[u8],
        now: Duration,
    ) -> Verdict {
        let Some(sig_name) = self.signature_header() else {
            return Verdict::Absent;
        };
        let Some(sig) = header(headers, sig_name) else {
            return Verdict::Absent;
        };
        if secrets.is_empty() {
            return Verdict::Invalid("no secret configured to check it with".into());
        }
        match self {
            Scheme::None => Verdict::Absent,
            Scheme::LlamaCloud | Scheme::PerfectParser => {
                let hex_part = if self == Scheme::LlamaCloud {
                    match sig.strip_prefix("sha256=") {
                        Some(h) => h,
                        None => {
                            return Verdict::Invalid(
                                "LC-Signature lacks its `sha256=` prefix".into(),
                            );
                        }
                    }
                } else {
                    sig
                };
                let Ok(tag) = hex::decode(hex_part.trim()) else {
                    return Verdict::Invalid(format!("{sig_name} is not hex"));
                };
                if secrets
                    .iter()
                    .any(|s| hmac_sha256_matches(s.as_bytes(), &[body], &tag))
                {
                    Verdict::Valid
                } else {
                    Verdict::Invalid(format!("{sig_name} does not match the body"))
                }
            }
            Scheme::Extend => {
                let Some(ts_raw) = header(headers, "x-extend-request-timestamp") else {
                    return Verdict::Invalid("x-extend-request-timestamp is missing".into());
                };
                let Ok(ts) = ts_raw.trim().parse::<i64>() else {
                    return Verdict::Invalid(format!(
                        "x-extend-request-timestamp `{ts_raw}` is not an integer"
                    ));
                };
                let now_s = now.as_secs() as i64;
                if now_s - ts > EXTEND_MAX_AGE.as_secs() as i64 {
                    return Verdict::Invalid(format!(
                        "timestamp is {} s old (limit 300 s)",
                        now_s - ts
                    ));
                }
                if ts - now_s > EXTEND_MAX_FUTURE.as_secs() as i64 {
                    return Verdict::Invalid(format!(
                        "timestamp is {} s in the future (limit 60 s)",
                        ts - now_s
                    ));
                }
                let Ok(tag) = hex::decode(sig.trim()) else {
                    return Verdict::Invalid("x-extend-request-signature is not hex".into());
                };
                let ts_s = ts.to_string();
                let ok = secrets.iter().any(|s| {
                    hmac_sha256_matches(s.as_bytes(), &[b"v0:", ts_s.as_bytes(), b":", body], &tag)
                });
                if ok {
                    Verdict::Valid
                } else {
                    Verdict::Invalid("x-extend-request-signature does not match".into())
                }
            }
            Scheme::StandardWebhooks | Scheme::Svix => {
                let names = self.standard_headers().unwrap_or(WEBHOOK_HEADERS);
                let Some(id) = header(headers, names.id) else {
                    return Verdict::Invalid(format!("{} is missing", names.id));
                };
                let Some(ts) = header(headers, names.timestamp) else {
                    return Verdict::Invalid(format!("{} is missing", names.timestamp));
                };
                verify_standard(secrets, id, ts, sig, body, now)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SW_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const SW_ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const SW_TS: i64 = 1_614_265_330;
    const SW_BODY: &[u8] = br#"{"test": 2432232314}"#;

    #[test]
    fn standard_webhooks_signature_matches_the_reference_vector() {
        assert_eq!(
            sign_standard(SW_SECRET, SW_ID, SW_TS, SW_BODY).unwrap(),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn sha256_prefixed_signature_matches_githubs_documented_example() {
        assert_eq!(
            sign_sha256_prefixed("It's a Secret to Everybody", b"Hello, World!"),
            "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
        );
    }

    fn sw_headers(sig: &str) -> Vec<(String, String)> {
        vec![
            ("webhook-id".into(), SW_ID.into()),
            ("webhook-timestamp".into(), SW_TS.to_string()),
            ("webhook-signature".into(), sig.into()),
        ]
    }

    #[test]
    fn standard_webhooks_accepts_a_rotation_header_with_one_good_signature() {
        let good = sign_standard(SW_SECRET, SW_ID, SW_TS, SW_BODY).unwrap();
        let header = format!("v1,Zm9vYmFy {good}");
        let now = Duration::from_secs(SW_TS as u64 + 10);
        let v = Scheme::StandardWebhooks.verify(
            &[SW_SECRET.into()],
            &sw_headers(&header),
            SW_BODY,
            now,
        );
        assert_eq!(v, Verdict::Valid);
    }

    #[test]
    fn standard_webhooks_rejects_a_timestamp_outside_five_minutes() {
        let good = sign_standard(SW_SECRET, SW_ID, SW_TS, SW_BODY).unwrap();
        let late = Duration::from_secs(SW_TS as u64 + 301);
        let v =
            Scheme::StandardWebhooks.verify(&[SW_SECRET.into()], &sw_headers(&good), SW_BODY, late);
        assert!(matches!(v, Verdict::Invalid(_)), "{v:?}");
    }

    #[test]
    fn extend_rejects_old_and_future_timestamps_and_accepts_fresh_ones() {
        let body = br#"{"eventId":"event_1"}"#;
        let ts = 1_700_000_000;
        let headers = Scheme::Extend
            .sign(
                &["sec".into()],
                SignInput {
                    id: "",
                    timestamp: ts,
                    body,
                },
            )
            .unwrap();
        let at = |s: i64| Duration::from_secs((ts + s) as u64);
        assert_eq!(
            Scheme::Extend.verify(&["sec".into()], &headers, body, at(300)),
            Verdict::Valid
        );
        assert!(matches!(
            Scheme::Extend.verify(&["sec".into()], &headers, body, at(301)),
            Verdict::Invalid(_)
        ));
        assert!(matches!(
            Scheme::Extend.verify(&["sec".into()], &headers, body, at(-61)),
            Verdict::Invalid(_)
        ));
    }

    #[test]
    fn a_missing_signature_header_is_absent_not_invalid() {
        assert_eq!(
            Scheme::PerfectParser.verify(&["s".into()], &[], b"{}", Duration::ZERO),
            Verdict::Absent
        );
    }

    #[test]
    fn a_malformed_standard_secret_is_refused() {
        for bad in ["whsec_***", "whsec_abc$def", "whsec_a", "whsec_===="] {
            assert!(
                Scheme::StandardWebhooks.check_secret(bad).is_err(),
                "{bad} was accepted"
            );
        }
    }

    #[test]
    fn an_unpadded_whsec_secret_gives_the_same_key_as_its_padded_form() {
        // 23 bytes: base64 needs one `=` of padding; the Python reference library decodes
        // `secret + "=="`, so the unpadded form is the same key.
        let padded = "whsec_aG9va3JpZy11bnBhZGRlZC1zZWNyZXQ=";
        let unpadded = padded.trim_end_matches('=');

        let a = standard_key(padded).unwrap();
        let b = standard_key(unpadded).unwrap();

        assert_eq!(a, b);
        assert_eq!(a.len(), 23);
        assert_eq!(
            sign_standard(unpadded, SW_ID, SW_TS, SW_BODY).unwrap(),
            sign_standard(padded, SW_ID, SW_TS, SW_BODY).unwrap()
        );
    }

    #[test]
    fn svix_signs_and_verifies_in_its_own_headers() {
        let headers = vec![
            ("svix-id".to_owned(), SW_ID.to_owned()),
            ("svix-timestamp".to_owned(), SW_TS.to_string()),
            (
                "svix-signature".to_owned(),
                sign_standard(SW_SECRET, SW_ID, SW_TS, SW_BODY).unwrap(),
            ),
        ];
        let now = Duration::from_secs(SW_TS as u64);

        let svix = Scheme::Svix.verify(&[SW_SECRET.into()], &headers, SW_BODY, now);
        let plain = Scheme::StandardWebhooks.verify(&[SW_SECRET.into()], &headers, SW_BODY, now);

        assert_eq!(svix, Verdict::Valid);
        assert_eq!(plain, Verdict::Absent, "webhook-signature is not there");
    }
}
