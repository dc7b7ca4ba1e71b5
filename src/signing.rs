//! Signing and verification: pure functions over a scheme described as data, time passed
//! in.
//!
//! A [`Scheme`] is what a profile file's `signature:` section says, compiled: the HMAC
//! algorithm, how the key is read from the secret (UTF-8, or base64 or hex after a prefix
//! such as `whsec_`), the signed string as pieces (`{id}`, `{timestamp}`, `{body}`,
//! `{url}`, `{method}` and literal text), the encoding of the MAC (hex or base64), the
//! header(s) it goes in with their value templates (`sha256={sig}`,
//! `t={timestamp},{signatures}` with each signature `v1={sig}`), how several secrets'
//! signatures are joined during key rotation, and the verifier's tolerance. One code path
//! signs every provider ([`Scheme::sign`]) and one verifies them ([`Scheme::verify`]),
//! reading the same description backwards: the value template says where the signatures
//! (and a timestamp, if it is there) sit in a received header. MACs are compared in
//! constant time; nothing here reads a clock or logs a secret.
//!
//! A base64 key is read as the Standard Webhooks reference libraries read it: with or
//! without its `=` padding (the Python library decodes `secret + "=="`), trailing bits not
//! judged; anything outside the base64 alphabet is an error.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use hmac::{Hmac, KeyInit, Mac};

/// A header's name or value: the type `record::HeaderText` names (this module imports none
/// of ours, so it names the type itself).
pub type HeaderText = smol_str::SmolStr;

/// One header, as `record::Header`.
pub type Header = (HeaderText, HeaderText);

/// An HMAC hash function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    /// HMAC-SHA1 (GitHub's legacy `X-Hub-Signature`).
    Sha1,
    /// HMAC-SHA256.
    Sha256,
    /// HMAC-SHA512.
    Sha512,
}

impl Algorithm {
    /// The names a profile file uses, in the order of [`Algorithm::ALL`].
    pub const NAMES: &[&str] = &["hmac-sha1", "hmac-sha256", "hmac-sha512"];
    /// Every algorithm.
    pub const ALL: &[Algorithm] = &[Algorithm::Sha1, Algorithm::Sha256, Algorithm::Sha512];

    /// The algorithm a profile file names, e.g. `hmac-sha256`.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::NAMES
            .iter()
            .position(|n| *n == name)
            .map(|i| Self::ALL[i])
    }

    /// `HMAC-SHA256`, for words.
    pub fn label(self) -> &'static str {
        match self {
            Algorithm::Sha1 => "HMAC-SHA1",
            Algorithm::Sha256 => "HMAC-SHA256",
            Algorithm::Sha512 => "HMAC-SHA512",
        }
    }
}

/// How the HMAC key is read from a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyReading {
    /// The whole secret string as UTF-8 bytes (a prefix such as Stripe's `whsec_` is part
    /// of the key).
    Utf8,
    /// Base64 after an optional prefix (Standard Webhooks: `whsec_`).
    Base64 {
        /// Stripped before decoding when present.
        prefix: String,
    },
    /// Hex after an optional prefix.
    Hex {
        /// Stripped before decoding when present.
        prefix: String,
    },
}

/// How the MAC is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// Lowercase hex.
    Hex,
    /// Standard base64 with padding.
    Base64,
}

/// One piece of the signed string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Signed {
    /// Literal text.
    Lit(String),
    /// The message id.
    Id,
    /// The attempt's Unix seconds, in decimal.
    Timestamp,
    /// The raw body.
    Body,
    /// The request URL as sent.
    Url,
    /// The request method.
    Method,
}

/// One piece of a signature header's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// Literal text.
    Lit(String),
    /// One encoded MAC (in the `each` template).
    Sig,
    /// The attempt's Unix seconds.
    Timestamp,
    /// The message id.
    Id,
    /// Every secret's `each`, joined (in the `value` template).
    Signatures,
}

/// A header carrying signatures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigHeader {
    /// Its name (shared by every request that sends it, not copied per attempt).
    pub name: HeaderText,
    /// The HMAC it carries.
    pub algorithm: Algorithm,
    /// The whole value: literal text, `{timestamp}`, `{id}` and `{signatures}` once.
    pub value: Vec<Piece>,
    /// One signature: literal text and `{sig}` once.
    pub each: Vec<Piece>,
}

/// How old or how far ahead a signed timestamp may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Tolerance {
    /// The oldest accepted; `None`: no limit.
    pub past: Option<Duration>,
    /// The furthest ahead accepted; `None`: no limit.
    pub future: Option<Duration>,
}

/// A signing scheme, as data. [`Scheme::none`] signs nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scheme {
    /// How the key is read from a secret.
    pub key: KeyReading,
    /// The signed string.
    pub signed: Vec<Signed>,
    /// How the MAC is written.
    pub encoding: Encoding,
    /// The headers carrying signatures, the primary one first; empty: unsigned.
    pub headers: Vec<SigHeader>,
    /// Several secrets (key rotation): one signature each, joined with this; `None`: one
    /// secret only.
    pub rotation: Option<String>,
    /// The verifier's tolerance for the signed timestamp; `None`: no time check.
    pub tolerance: Option<Tolerance>,
    /// The request header that carries the message id, for verifying `{id}`.
    pub id_header: Option<String>,
    /// The request header that carries the timestamp, when the signature header does not.
    pub timestamp_header: Option<String>,
}

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
    /// A secret that is not base64 after its prefix.
    #[error("{}", not_base64(prefix))]
    NotBase64 {
        /// The prefix before the base64.
        prefix: String,
    },
    /// A secret that is not hex after its prefix.
    #[error("the secret must be hex digits after `{prefix}`")]
    NotHex {
        /// The prefix before the hex.
        prefix: String,
    },
    /// An empty secret.
    #[error("the secret is empty")]
    Empty,
}

fn not_base64(prefix: &str) -> String {
    if prefix.is_empty() {
        "the secret must be base64 (letters, digits, `+`, `/`, padding optional)".into()
    } else {
        format!(
            "a {prefix} secret must be base64 after `{prefix}` (letters, digits, `+`, `/`, padding optional), e.g. {prefix}MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
        )
    }
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

/// What a request being signed is made of.
#[derive(Debug, Clone, Copy)]
pub struct SignInput<'a> {
    /// Message id.
    pub id: &'a str,
    /// Unix seconds.
    pub timestamp: i64,
    /// The raw body exactly as sent.
    pub body: &'a [u8],
    /// The URL as sent (a path in sim mode).
    pub url: &'a str,
    /// The method.
    pub method: &'a str,
}

impl<'a> SignInput<'a> {
    /// A `POST` of `body` to an unknown URL.
    pub fn post(id: &'a str, timestamp: i64, body: &'a [u8]) -> Self {
        Self {
            id,
            timestamp,
            body,
            url: "",
            method: "POST",
        }
    }
}

/// A received request, as a verifier sees it.
#[derive(Debug, Clone, Copy)]
pub struct Received<'a> {
    /// The method.
    pub method: &'a str,
    /// The URL (or path) it was sent to.
    pub url: &'a str,
    /// Its headers.
    pub headers: &'a [Header],
    /// Its raw body.
    pub body: &'a [u8],
}

/// The HMAC of the concatenation of `parts` under `key`.
pub fn hmac(alg: Algorithm, key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    fn run<M: Mac + KeyInit>(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
        let mut mac = <M as KeyInit>::new_from_slice(key).expect("HMAC takes keys of any length");
        for p in parts {
            mac.update(p);
        }
        mac.finalize().into_bytes().to_vec()
    }
    match alg {
        Algorithm::Sha1 => run::<Hmac<sha1::Sha1>>(key, parts),
        Algorithm::Sha256 => run::<Hmac<sha2::Sha256>>(key, parts),
        Algorithm::Sha512 => run::<Hmac<sha2::Sha512>>(key, parts),
    }
}

/// An HMAC already keyed with one secret. Keying hashes the key into the inner and outer
/// block states (two runs of the digest's compression function, after decoding the
/// secret); a signer that signs many messages with one secret keys once and clones the
/// keyed state for each message, which gives the same MAC as keying afresh.
#[derive(Clone)]
pub enum KeyedMac {
    /// HMAC-SHA1.
    Sha1(Hmac<sha1::Sha1>),
    /// HMAC-SHA256.
    Sha256(Hmac<sha2::Sha256>),
    /// HMAC-SHA512.
    Sha512(Hmac<sha2::Sha512>),
}

impl std::fmt::Debug for KeyedMac {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the key.
        f.write_str(match self {
            KeyedMac::Sha1(_) => "KeyedMac(SHA-1)",
            KeyedMac::Sha256(_) => "KeyedMac(SHA-256)",
            KeyedMac::Sha512(_) => "KeyedMac(SHA-512)",
        })
    }
}

impl KeyedMac {
    /// `alg` keyed with `key`.
    pub fn new(alg: Algorithm, key: &[u8]) -> Self {
        fn keyed<M: KeyInit>(key: &[u8]) -> M {
            <M as KeyInit>::new_from_slice(key).expect("HMAC takes keys of any length")
        }
        match alg {
            Algorithm::Sha1 => KeyedMac::Sha1(keyed(key)),
            Algorithm::Sha256 => KeyedMac::Sha256(keyed(key)),
            Algorithm::Sha512 => KeyedMac::Sha512(keyed(key)),
        }
    }

    /// The HMAC of the concatenation of `parts` (the same bytes as [`hmac`] under the key).
    pub fn mac(&self, parts: &[&[u8]]) -> Vec<u8> {
        let mut tag = [0u8; MAX_TAG];
        let len = self.mac_into(parts, &mut tag);
        tag[..len].to_vec()
    }

    /// [`KeyedMac::mac`] written into `tag` (no allocation); its length in bytes (20, 32
    /// or 64).
    pub fn mac_into(&self, parts: &[&[u8]], tag: &mut [u8; MAX_TAG]) -> usize {
        fn run<M: Mac + Clone>(keyed: &M, parts: &[&[u8]], tag: &mut [u8; MAX_TAG]) -> usize {
            let mut mac = keyed.clone();
            for p in parts {
                mac.update(p);
            }
            let out = mac.finalize().into_bytes();
            tag[..out.len()].copy_from_slice(&out);
            out.len()
        }
        match self {
            KeyedMac::Sha1(m) => run(m, parts, tag),
            KeyedMac::Sha256(m) => run(m, parts, tag),
            KeyedMac::Sha512(m) => run(m, parts, tag),
        }
    }
}

/// How many parts of a signed string [`Scheme::message`] keeps on the stack.
const FEW_PARTS: usize = 8;

/// A signed string's parts ([`Scheme::message`]).
enum Parts<'a> {
    /// The first `.1` of these.
    Few([&'a [u8]; FEW_PARTS], usize),
    /// More than [`FEW_PARTS`].
    Many(Vec<&'a [u8]>),
}

impl<'a> std::ops::Deref for Parts<'a> {
    type Target = [&'a [u8]];
    fn deref(&self) -> &Self::Target {
        match self {
            Parts::Few(parts, n) => &parts[..*n],
            Parts::Many(parts) => parts,
        }
    }
}

/// The longest MAC any [`Algorithm`] gives, in bytes (HMAC-SHA512's).
pub const MAX_TAG: usize = 64;

/// The longest MAC encoded, in bytes (hex of [`MAX_TAG`] bytes; base64 of them is 88).
const MAX_ENCODED: usize = 2 * MAX_TAG;

impl KeyedMac {
    /// Constant-time check that `tag` is the MAC of the concatenation of `parts` (what
    /// [`hmac_matches`] says under the key).
    pub fn matches(&self, parts: &[&[u8]], tag: &[u8]) -> bool {
        fn run<M: Mac + Clone>(keyed: &M, parts: &[&[u8]], tag: &[u8]) -> bool {
            let mut mac = keyed.clone();
            for p in parts {
                mac.update(p);
            }
            mac.verify_slice(tag).is_ok()
        }
        match self {
            KeyedMac::Sha1(m) => run(m, parts, tag),
            KeyedMac::Sha256(m) => run(m, parts, tag),
            KeyedMac::Sha512(m) => run(m, parts, tag),
        }
    }
}

/// A scheme's keyed MACs for a list of secrets, one per signature header and secret
/// ([`Scheme::signing_keys`]), made once and used for every request signed with them.
#[derive(Debug, Clone)]
pub struct SigningKeys {
    /// `macs[header][secret]`.
    macs: Vec<Vec<KeyedMac>>,
}

/// The keyed MACs a thread signed with last, and what they were made from
/// ([`Scheme::sign`]).
struct LastKeys {
    reading: KeyReading,
    algorithms: Vec<Algorithm>,
    secrets: Vec<String>,
    keys: Rc<SigningKeys>,
}

thread_local! {
    static LAST_KEYS: RefCell<Option<LastKeys>> = const { RefCell::new(None) };
    /// A signature header's signatures as [`Scheme::sign_with`] writes them, before they
    /// are copied into the header's value: the buffer kept for the next request, so that
    /// a value is one allocation (none when short), not a buffer and a copy of it.
    static SIGNATURES: RefCell<String> = const { RefCell::new(String::new()) };
}

/// Constant-time check that `tag` is the HMAC of `parts` under `key`.
pub fn hmac_matches(alg: Algorithm, key: &[u8], parts: &[&[u8]], tag: &[u8]) -> bool {
    fn run<M: Mac + KeyInit>(key: &[u8], parts: &[&[u8]], tag: &[u8]) -> bool {
        let mut mac = <M as KeyInit>::new_from_slice(key).expect("HMAC takes keys of any length");
        for p in parts {
            mac.update(p);
        }
        mac.verify_slice(tag).is_ok()
    }
    match alg {
        Algorithm::Sha1 => run::<Hmac<sha1::Sha1>>(key, parts, tag),
        Algorithm::Sha256 => run::<Hmac<sha2::Sha256>>(key, parts, tag),
        Algorithm::Sha512 => run::<Hmac<sha2::Sha512>>(key, parts, tag),
    }
}

/// HMAC-SHA256 of the concatenation of `parts` under `key`.
pub fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    hmac(Algorithm::Sha256, key, parts)
}

/// `sha256=<hex HMAC-SHA256(secret, body)>`: GitHub's `X-Hub-Signature-256` form (and
/// LlamaCloud's `LC-Signature`), for receivers written against hookrig in Rust.
pub fn sign_sha256_prefixed(secret: &str, body: &[u8]) -> String {
    format!(
        "sha256={}",
        hex::encode(hmac_sha256(secret.as_bytes(), &[body]))
    )
}

/// Looks a header up by name, case-insensitively.
pub fn header<'a, K: AsRef<str>, V: AsRef<str>>(
    headers: &'a [(K, V)],
    name: &str,
) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.as_ref().eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_ref())
}

impl KeyReading {
    /// The key bytes of `secret`.
    pub fn key(&self, secret: &str) -> Result<Vec<u8>, SecretError> {
        if secret.is_empty() {
            return Err(SecretError::Empty);
        }
        let key = match self {
            KeyReading::Utf8 => secret.as_bytes().to_vec(),
            KeyReading::Base64 { prefix } => {
                let b64 = secret.strip_prefix(prefix.as_str()).unwrap_or(secret);
                if b64.is_empty() {
                    return Err(SecretError::Empty);
                }
                LENIENT_B64
                    .decode(b64)
                    .map_err(|_| SecretError::NotBase64 {
                        prefix: prefix.clone(),
                    })?
            }
            KeyReading::Hex { prefix } => {
                let h = secret.strip_prefix(prefix.as_str()).unwrap_or(secret);
                hex::decode(h).map_err(|_| SecretError::NotHex {
                    prefix: prefix.clone(),
                })?
            }
        };
        if key.is_empty() {
            return Err(SecretError::Empty);
        }
        Ok(key)
    }
}

impl Encoding {
    /// `mac` written out.
    pub fn encode(self, mac: &[u8]) -> String {
        match self {
            Encoding::Hex => lower_hex(mac),
            Encoding::Base64 => B64.encode(mac),
        }
    }

    /// [`Encoding::encode`] written into `buf` (no allocation): the same text.
    fn encode_into<'b>(self, mac: &[u8], buf: &'b mut [u8; MAX_ENCODED]) -> &'b str {
        let len = match self {
            Encoding::Hex => {
                let len = 2 * mac.len();
                // Exactly twice the input, the one size `encode_to_slice` accepts.
                match hex::encode_to_slice(mac, &mut buf[..len]) {
                    Ok(()) => len,
                    Err(_) => 0,
                }
            }
            Encoding::Base64 => B64.encode_slice(mac, &mut buf[..]).unwrap_or(0),
        };
        // Hex digits and base64 are ASCII.
        std::str::from_utf8(&buf[..len]).unwrap_or_default()
    }

    /// The MAC bytes of an encoded signature, if it is well formed.
    pub fn decode(self, sig: &str) -> Option<Vec<u8>> {
        match self {
            Encoding::Hex => hex::decode(sig.trim()).ok(),
            Encoding::Base64 => B64.decode(sig.trim()).ok(),
        }
    }
}

/// `bytes` in lowercase hex, written by the `hex` crate into a buffer made at its size
/// (`hex::encode` collects a `String` a character at a time; this runs for every signature).
fn lower_hex(bytes: &[u8]) -> String {
    let mut out = vec![0u8; bytes.len() * 2];
    // The buffer is exactly twice the input, the one size `encode_to_slice` accepts, and
    // hex digits are ASCII: neither fallback is ever taken.
    if hex::encode_to_slice(bytes, &mut out).is_err() {
        return hex::encode(bytes);
    }
    String::from_utf8(out).unwrap_or_default()
}

/// `pieces` written out with `sig`, `timestamp`, `id` and `signatures` in place.
fn render(pieces: &[Piece], sig: &str, ts: &str, id: &str, signatures: &str) -> String {
    let mut s = String::with_capacity(rendered_len(pieces, sig, ts, id, signatures));
    render_into(&mut s, pieces, sig, ts, id, signatures);
    s
}

/// The length of what [`render`] gives, to size its buffer once (a signature header was
/// grown three or four times per attempt).
fn rendered_len(pieces: &[Piece], sig: &str, ts: &str, id: &str, signatures: &str) -> usize {
    pieces
        .iter()
        .map(|p| match p {
            Piece::Lit(l) => l.len(),
            Piece::Sig => sig.len(),
            Piece::Timestamp => ts.len(),
            Piece::Id => id.len(),
            Piece::Signatures => signatures.len(),
        })
        .sum()
}

/// [`render`] appended to `s`.
fn render_into(s: &mut String, pieces: &[Piece], sig: &str, ts: &str, id: &str, signatures: &str) {
    for p in pieces {
        match p {
            Piece::Lit(l) => s.push_str(l),
            Piece::Sig => s.push_str(sig),
            Piece::Timestamp => s.push_str(ts),
            Piece::Id => s.push_str(id),
            Piece::Signatures => s.push_str(signatures),
        }
    }
}

/// What matching a template against received text found.
#[derive(Debug, Default)]
struct Found<'a> {
    sig: Option<&'a str>,
    timestamp: Option<&'a str>,
}

/// Matches `text` against `pieces` (each variable taking text up to the next literal, the
/// last to the end); `None` when it does not fit.
fn matches<'a>(pieces: &[Pat<'_>], text: &'a str) -> Option<Found<'a>> {
    let mut found = Found::default();
    let mut rest = text;
    let mut i = 0;
    while i < pieces.len() {
        match pieces[i] {
            Pat::Lit(l) => rest = rest.strip_prefix(l)?,
            Pat::Var(var) => {
                let end = match pieces.get(i + 1) {
                    Some(Pat::Lit(next)) => rest.find(next)?,
                    _ => rest.len(),
                };
                let (v, tail) = rest.split_at(end);
                match var {
                    Piece::Sig => found.sig = Some(v),
                    Piece::Timestamp => found.timestamp = Some(v),
                    _ => {}
                }
                rest = tail;
            }
        }
        i += 1;
    }
    rest.is_empty().then_some(found)
}

impl Scheme {
    /// A scheme that signs nothing.
    pub fn none() -> Self {
        Self {
            key: KeyReading::Utf8,
            signed: vec![Signed::Body],
            encoding: Encoding::Hex,
            headers: Vec::new(),
            rotation: None,
            tolerance: None,
            id_header: None,
            timestamp_header: None,
        }
    }

    /// Whether the scheme signs at all.
    pub fn signs(&self) -> bool {
        !self.headers.is_empty()
    }

    /// Whether a request's signature headers read its time: the signed string or a
    /// signature header's text holds `{timestamp}`. When none does, requests with the same
    /// id, body, URL, method and secrets carry the same signature headers, whenever they
    /// are sent (a delivery signs its repeated body once: [`crate::profile::HeaderMemo`]).
    pub fn reads_time(&self) -> bool {
        self.signed.contains(&Signed::Timestamp)
            || self
                .headers
                .iter()
                .any(|h| h.each.contains(&Piece::Timestamp) || h.value.contains(&Piece::Timestamp))
    }

    /// Whether the signed string holds the request's URL: a request sent to another URL
    /// then carries another signature, whatever else it shares.
    pub fn signs_url(&self) -> bool {
        self.signed.contains(&Signed::Url)
    }

    /// The name of the header that carries the (primary) signature, if the scheme has one.
    pub fn signature_header(&self) -> Option<&str> {
        self.headers.first().map(|h| h.name.as_str())
    }

    /// Whether the scheme accepts several secrets at once (key rotation).
    pub fn supports_rotation(&self) -> bool {
        self.rotation.is_some()
    }

    /// Whether the signature covers a timestamp that a verifier checks.
    pub fn checks_timestamp(&self) -> bool {
        self.tolerance.is_some() && self.signed.contains(&Signed::Timestamp)
    }

    /// Checks a secret before any request is made.
    pub fn check_secret(&self, secret: &str) -> Result<(), SecretError> {
        self.key.key(secret).map(drop)
    }

    /// The signed string's parts for `input`: on the stack when there are at most
    /// [`FEW_PARTS`] (every built-in signs three at most), so that signing or checking a
    /// request allocates no list of them.
    fn message<'a>(&'a self, input: &SignInput<'a>, ts: &'a str) -> Parts<'a> {
        let part = |p: &'a Signed| -> &'a [u8] {
            match p {
                Signed::Lit(l) => l.as_bytes(),
                Signed::Id => input.id.as_bytes(),
                Signed::Timestamp => ts.as_bytes(),
                Signed::Body => input.body,
                Signed::Url => input.url.as_bytes(),
                Signed::Method => input.method.as_bytes(),
            }
        };
        if self.signed.len() > FEW_PARTS {
            return Parts::Many(self.signed.iter().map(part).collect());
        }
        let mut few: [&[u8]; FEW_PARTS] = [&[]; FEW_PARTS];
        for (slot, p) in few.iter_mut().zip(&self.signed) {
            *slot = part(p);
        }
        Parts::Few(few, self.signed.len())
    }

    /// The encoded MAC of `input` under `secret` with `alg`.
    pub fn mac(
        &self,
        alg: Algorithm,
        secret: &str,
        input: SignInput<'_>,
    ) -> Result<String, SecretError> {
        let key = self.key.key(secret)?;
        let ts = input.timestamp.to_string();
        let parts = self.message(&input, &ts);
        Ok(self.encoding.encode(&hmac(alg, &key, &parts)))
    }

    /// The signature headers for a request (none when there are no secrets or the scheme
    /// does not sign): one signature per secret in each header, joined for rotation.
    /// The secrets are keyed once per thread for as long as it signs with the same ones
    /// under the same key reading and algorithms ([`Scheme::sign_with`]).
    pub fn sign(
        &self,
        secrets: &[String],
        input: SignInput<'_>,
    ) -> Result<Vec<Header>, SecretError> {
        self.sign_with(secrets, None, input)
    }

    /// The keyed MACs for `secrets`: those this thread made last when they were made for
    /// the same secrets, key reading and algorithms, else made now and kept in their place.
    /// One entry per thread: a run signs with one endpoint's secrets at a time, and a
    /// delivery waiting to retry holds no keys of its own.
    fn remembered_keys(&self, secrets: &[String]) -> Result<Rc<SigningKeys>, SecretError> {
        LAST_KEYS.with(|cell| {
            if let Some(last) = cell.borrow().as_ref()
                && last.reading == self.key
                && last.secrets == secrets
                && last
                    .algorithms
                    .iter()
                    .eq(self.headers.iter().map(|h| &h.algorithm))
            {
                return Ok(Rc::clone(&last.keys));
            }
            let keys = Rc::new(self.signing_keys(secrets)?);
            *cell.borrow_mut() = Some(LastKeys {
                reading: self.key.clone(),
                algorithms: self.headers.iter().map(|h| h.algorithm).collect(),
                secrets: secrets.to_vec(),
                keys: Rc::clone(&keys),
            });
            Ok(keys)
        })
    }

    /// The keyed MACs for `secrets`, one per signature header and secret, to sign many
    /// requests with ([`Scheme::sign_with`]); the error [`Scheme::sign`] would give for a
    /// secret the scheme cannot read.
    pub fn signing_keys(&self, secrets: &[String]) -> Result<SigningKeys, SecretError> {
        let keys = secrets
            .iter()
            .map(|s| self.key.key(s))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(SigningKeys {
            macs: self
                .headers
                .iter()
                .map(|h| keys.iter().map(|k| KeyedMac::new(h.algorithm, k)).collect())
                .collect(),
        })
    }

    /// [`Scheme::sign`], with the MACs of [`Scheme::signing_keys`] for the same `secrets`
    /// when the caller made them (the same headers, without keying each MAC afresh); `None`
    /// takes the thread's remembered ones.
    pub fn sign_with(
        &self,
        secrets: &[String],
        keys: Option<&SigningKeys>,
        input: SignInput<'_>,
    ) -> Result<Vec<Header>, SecretError> {
        if secrets.is_empty() || self.headers.is_empty() {
            return Ok(Vec::new());
        }
        let remembered;
        let keys = match keys {
            Some(k)
                if k.macs.len() == self.headers.len()
                    && k.macs.iter().all(|m| m.len() == secrets.len()) =>
            {
                k
            }
            _ => {
                remembered = self.remembered_keys(secrets)?;
                &*remembered
            }
        };
        // Written without `fmt` and kept on the stack (the same text as `to_string`).
        let mut ts_text = itoa::Buffer::new();
        let ts = ts_text.format(input.timestamp);
        let parts = self.message(&input, ts);
        let join = self.rotation.as_deref().unwrap_or("");
        let mut out = Vec::with_capacity(self.headers.len());
        for (h, macs) in self.headers.iter().zip(&keys.macs) {
            // Each signature rendered straight into the joined list, sized exactly as it goes
            // (one allocation for one secret; exact, as the value is kept in the record), and
            // the list is the value itself when the value template is only the list.
            // Each MAC and its text made on the stack, not in buffers of their own.
            let (mut tag, mut text) = ([0u8; MAX_TAG], [0u8; MAX_ENCODED]);
            let value: HeaderText = SIGNATURES.with_borrow_mut(|signatures| {
                signatures.clear();
                for (i, mac) in macs.iter().enumerate() {
                    let len = mac.mac_into(&parts, &mut tag);
                    let sig = self.encoding.encode_into(&tag[..len], &mut text);
                    if i > 0 {
                        signatures.push_str(join);
                    }
                    render_into(signatures, &h.each, sig, ts, input.id, "");
                }
                let value = match h.value.as_slice() {
                    [Piece::Signatures] => HeaderText::new(signatures.as_str()),
                    _ => render(&h.value, "", ts, input.id, signatures).into(),
                };
                // A buffer grown by an unusual request is not kept.
                if signatures.capacity() > 4096 {
                    *signatures = String::new();
                }
                value
            });
            // The name (short: kept inline) and the value (shared from here on by the
            // sender's record and the receiver's).
            out.push((h.name.clone(), value));
        }
        Ok(out)
    }

    /// Judges a received `POST`'s signature at wall time `now` (for schemes that sign no
    /// URL; see [`Scheme::verify_request`]).
    pub fn verify(
        &self,
        secrets: &[String],
        headers: &[Header],
        body: &[u8],
        now: Duration,
    ) -> Verdict {
        self.verify_request(
            secrets,
            Received {
                method: "POST",
                url: "",
                headers,
                body,
            },
            now,
        )
    }

    /// Judges a received request's signature at wall time `now`, as the provider's own
    /// verifier would: every signature header present must hold a signature (of any of
    /// `secrets`) that matches; the primary one must be there.
    pub fn verify_request(&self, secrets: &[String], req: Received<'_>, now: Duration) -> Verdict {
        let Some(primary) = self.headers.first() else {
            return Verdict::Absent;
        };
        if header(req.headers, &primary.name).is_none() {
            return Verdict::Absent;
        }
        if secrets.is_empty() {
            return Verdict::Invalid("no secret configured to check it with".into());
        }
        let id = match &self.id_header {
            Some(name) if self.signed.contains(&Signed::Id) => match header(req.headers, name) {
                Some(id) => id,
                None => return Verdict::Invalid(format!("{name} is missing")),
            },
            _ => "",
        };
        // The secrets keyed once per thread for as long as it checks (or signs) with the
        // same ones ([`Scheme::signing_keys`]): the same MACs as keying afresh, without
        // decoding the secrets and running the key's two blocks for every request.
        let keys = match self.remembered_keys(secrets) {
            Ok(k) => k,
            Err(e) => return Verdict::Invalid(e.to_string()),
        };
        let mut checked_time = false;
        for (h, macs) in self.headers.iter().zip(&keys.macs) {
            let Some(value) = header(req.headers, &h.name) else {
                continue;
            };
            let (sigs, ts_in_value) = self.candidates(h, value);
            let ts_text = match (&self.timestamp_header, ts_in_value) {
                (_, Some(t)) => Some(t),
                (Some(name), None) => match header(req.headers, name) {
                    Some(t) => Some(t),
                    None if self.signed.contains(&Signed::Timestamp) => {
                        return Verdict::Invalid(format!("{name} is missing"));
                    }
                    None => None,
                },
                (None, None) => None,
            };
            let needs_ts = self.signed.contains(&Signed::Timestamp) || self.tolerance.is_some();
            let ts: i64 = match ts_text {
                Some(t) => match t.trim().parse::<i64>() {
                    Ok(ts) => ts,
                    Err(_) => {
                        let what = self.timestamp_header.as_deref().unwrap_or("timestamp");
                        return Verdict::Invalid(format!("{what} `{t}` is not an integer"));
                    }
                },
                None if needs_ts => {
                    return Verdict::Invalid(format!("{} carries no timestamp", h.name));
                }
                None => 0,
            };
            if !checked_time && let Some(tol) = self.tolerance {
                checked_time = true;
                let now_s = now.as_secs() as i64;
                if let Some(past) = tol.past
                    && now_s - ts > past.as_secs() as i64
                {
                    return Verdict::Invalid(format!(
                        "timestamp is {} s old (tolerance {} s)",
                        now_s - ts,
                        past.as_secs()
                    ));
                }
                if let Some(future) = tol.future
                    && ts - now_s > future.as_secs() as i64
                {
                    return Verdict::Invalid(format!(
                        "timestamp is {} s in the future (tolerance {} s)",
                        ts - now_s,
                        future.as_secs()
                    ));
                }
            }
            let mut ts_text = itoa::Buffer::new();
            let ts_s = ts_text.format(ts);
            // A scheme that signs the URL: the URL as recorded, and — for a receiver that
            // saw only the path — the URL rebuilt from the Host header.
            // The recorded URL borrowed; only the rebuilt ones are made.
            let mut rebuilt = Vec::new();
            if self.signed.contains(&Signed::Url)
                && req.url.starts_with('/')
                && let Some(host) = header(req.headers, "host")
            {
                rebuilt.push(format!("http://{host}{}", req.url));
                rebuilt.push(format!("https://{host}{}", req.url));
            }
            let mut urls = std::iter::once(req.url).chain(rebuilt.iter().map(String::as_str));
            let ok = urls.any(|url| {
                let input = SignInput {
                    id,
                    timestamp: ts,
                    body: req.body,
                    url,
                    method: req.method,
                };
                let parts = self.message(&input, ts_s);
                sigs.iter()
                    .any(|tag| macs.iter().any(|m| m.matches(&parts, tag)))
            });
            if !ok {
                return Verdict::Invalid(format!("no signature in {} matched", h.name));
            }
        }
        Verdict::Valid
    }

    /// The well-formed signatures in a received header value, and the timestamp it
    /// carries (when its template holds one).
    fn candidates<'a>(&self, h: &SigHeader, value: &'a str) -> (Vec<Vec<u8>>, Option<&'a str>) {
        // The value template with `{signatures}` standing for one `each`, split at the
        // rotation join into the forms one item of the received value can take; the forms
        // borrow their text from the scheme (this runs for every signature checked).
        let mut whole: Vec<Pat<'_>> = Vec::with_capacity(h.value.len() + h.each.len());
        for p in &h.value {
            match p {
                Piece::Signatures => whole.extend(h.each.iter().map(Pat::of)),
                other => whole.push(Pat::of(other)),
            }
        }
        let join = self.rotation.as_deref().filter(|j| !j.is_empty());
        // Without a rotation join the one form is the whole template, borrowed (no list of
        // one made for every signature checked).
        let split;
        let forms: &[Vec<Pat<'_>>] = match join {
            Some(join) => {
                split = split_pieces(&whole, join);
                &split
            }
            None => std::slice::from_ref(&whole),
        };
        let mut sigs = Vec::new();
        let mut ts = None;
        let mut read = |item: &'a str| {
            if item.is_empty() {
                return;
            }
            for form in forms {
                if let Some(f) = matches(form, item) {
                    if let Some(s) = f.sig
                        && let Some(tag) = self.encoding.decode(s)
                    {
                        sigs.push(tag);
                    }
                    if f.timestamp.is_some() {
                        ts = f.timestamp;
                    }
                    break;
                }
            }
        };
        match join {
            Some(join) => value.split(join).for_each(&mut read),
            None => read(value),
        }
        (sigs, ts)
    }
}

/// A piece of the form a received value takes: literal text (borrowed from the scheme's
/// pieces, or a part of one cut at the rotation join) or one of its variables.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Pat<'s> {
    Lit(&'s str),
    Var(&'s Piece),
}

impl<'s> Pat<'s> {
    fn of(p: &'s Piece) -> Self {
        match p {
            Piece::Lit(l) => Pat::Lit(l),
            other => Pat::Var(other),
        }
    }
}

/// `pieces` cut at every occurrence of `join` inside their literal text.
fn split_pieces<'s>(pieces: &[Pat<'s>], join: &str) -> Vec<Vec<Pat<'s>>> {
    let mut out = vec![Vec::new()];
    for p in pieces {
        match p {
            Pat::Lit(l) => {
                let mut parts = l.split(join);
                if let Some(first) = parts.next()
                    && !first.is_empty()
                {
                    out.last_mut().expect("never empty").push(Pat::Lit(first));
                }
                for rest in parts {
                    out.push(Vec::new());
                    if !rest.is_empty() {
                        out.last_mut().expect("never empty").push(Pat::Lit(rest));
                    }
                }
            }
            var => out.last_mut().expect("never empty").push(*var),
        }
    }
    out.retain(|f| !f.is_empty());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SW_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const SW_ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const SW_TS: i64 = 1_614_265_330;
    const SW_BODY: &[u8] = br#"{"test": 2432232314}"#;

    fn lit(s: &str) -> Piece {
        Piece::Lit(s.into())
    }

    /// The Standard Webhooks scheme, written out by hand.
    fn standard() -> Scheme {
        Scheme {
            key: KeyReading::Base64 {
                prefix: "whsec_".into(),
            },
            signed: vec![
                Signed::Id,
                Signed::Lit(".".into()),
                Signed::Timestamp,
                Signed::Lit(".".into()),
                Signed::Body,
            ],
            encoding: Encoding::Base64,
            headers: vec![SigHeader {
                name: "webhook-signature".into(),
                algorithm: Algorithm::Sha256,
                value: vec![Piece::Signatures],
                each: vec![lit("v1,"), Piece::Sig],
            }],
            rotation: Some(" ".into()),
            tolerance: Some(Tolerance {
                past: Some(Duration::from_secs(300)),
                future: Some(Duration::from_secs(300)),
            }),
            id_header: Some("webhook-id".into()),
            timestamp_header: Some("webhook-timestamp".into()),
        }
    }

    /// Stripe's: the timestamp inside the signature header.
    fn stripe() -> Scheme {
        Scheme {
            key: KeyReading::Utf8,
            signed: vec![Signed::Timestamp, Signed::Lit(".".into()), Signed::Body],
            encoding: Encoding::Hex,
            headers: vec![SigHeader {
                name: "Stripe-Signature".into(),
                algorithm: Algorithm::Sha256,
                value: vec![lit("t="), Piece::Timestamp, lit(","), Piece::Signatures],
                each: vec![lit("v1="), Piece::Sig],
            }],
            rotation: Some(",".into()),
            tolerance: Some(Tolerance {
                past: Some(Duration::from_secs(300)),
                future: None,
            }),
            id_header: None,
            timestamp_header: None,
        }
    }

    fn sw_headers(sig: &str) -> Vec<Header> {
        vec![
            ("webhook-id".into(), SW_ID.into()),
            ("webhook-timestamp".into(), SW_TS.to_string().into()),
            ("webhook-signature".into(), sig.into()),
        ]
    }

    #[test]
    fn hex_signatures_are_the_lowercase_hex_the_hex_crate_writes() {
        // Arrange: every byte value, and lengths from empty to longer than a SHA-512 MAC.
        let every: Vec<u8> = (0..=255).collect();
        for len in (0..=70).chain([256]) {
            let bytes: Vec<u8> = every
                .iter()
                .cycle()
                .skip(len * 7)
                .take(len)
                .copied()
                .collect();
            // Act
            let written = lower_hex(&bytes);
            // Assert
            assert_eq!(written, hex::encode(&bytes));
            assert_eq!(Encoding::Hex.encode(&bytes), written);
        }
    }

    #[test]
    fn a_signed_timestamp_is_its_decimal_display_in_the_message_and_the_header() {
        for ts in [0, -1, 9, 10, SW_TS, i64::MAX, i64::MIN] {
            // Arrange: the MAC made with the timestamp as `to_string` writes it.
            let scheme = stripe();
            let mac = scheme
                .mac(
                    Algorithm::Sha256,
                    "whsec_x",
                    SignInput::post(SW_ID, ts, SW_BODY),
                )
                .unwrap();
            // Act
            let h = scheme
                .sign(&["whsec_x".into()], SignInput::post(SW_ID, ts, SW_BODY))
                .unwrap();
            // Assert
            assert_eq!(h[0].1, format!("t={ts},v1={mac}"));
        }
    }

    #[test]
    fn a_signed_string_of_more_parts_than_kept_on_the_stack_signs_and_checks_as_the_same_text_in_few()
     {
        // Arrange: `{id}` and eleven one-dot literals, against `{id}` and one literal of
        // eleven dots.
        let many = Scheme {
            signed: std::iter::once(Signed::Id)
                .chain(std::iter::repeat_n(Signed::Lit(".".into()), 11))
                .chain([Signed::Timestamp, Signed::Body])
                .collect(),
            ..standard()
        };
        let few = Scheme {
            signed: vec![
                Signed::Id,
                Signed::Lit(".".repeat(11)),
                Signed::Timestamp,
                Signed::Body,
            ],
            ..standard()
        };
        assert!(many.signed.len() > FEW_PARTS && few.signed.len() <= FEW_PARTS);
        let secrets = [SW_SECRET.to_owned()];

        // Act
        let signed = many
            .sign(&secrets, SignInput::post(SW_ID, SW_TS, SW_BODY))
            .unwrap();
        let expected = few
            .sign(&secrets, SignInput::post(SW_ID, SW_TS, SW_BODY))
            .unwrap();
        let mut received = signed.clone();
        received.push(("webhook-id".into(), SW_ID.into()));
        received.push(("webhook-timestamp".into(), SW_TS.to_string().into()));
        let verdict = many.verify(
            &secrets,
            &received,
            SW_BODY,
            Duration::from_secs(SW_TS as u64),
        );

        // Assert
        assert_eq!(signed, expected);
        assert_eq!(verdict, Verdict::Valid);
    }

    #[test]
    fn standard_webhooks_signature_matches_the_reference_vector() {
        let h = standard()
            .sign(&[SW_SECRET.into()], SignInput::post(SW_ID, SW_TS, SW_BODY))
            .unwrap();
        assert_eq!(h[0].1, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn signature_headers_rendered_in_place_are_each_mac_joined_then_put_in_the_value() {
        // Arrange: both value shapes (the list alone; the list inside other text), with
        // one, two and three secrets, against the MACs made one by one.
        let secrets = [
            SW_SECRET.to_owned(),
            "whsec_dGhlIHNlY29uZCBzZWNyZXQgb2YgdGhlIHRlc3Q=".to_owned(),
            "whsec_YSB0aGlyZCBvbmUsIHRvIHRlc3Qgam9pbmluZw==".to_owned(),
        ];
        for (scheme, want_value) in [
            (
                standard(),
                (|sigs: &[String], _ts: i64| sigs.join(" ")) as fn(&[String], i64) -> String,
            ),
            (stripe(), |sigs: &[String], ts: i64| {
                format!("t={ts},{}", sigs.join(","))
            }),
        ] {
            let each = |sig: &str| match scheme.encoding {
                Encoding::Base64 => format!("v1,{sig}"),
                _ => format!("v1={sig}"),
            };
            for n in 1..=secrets.len() {
                let input = SignInput::post(SW_ID, SW_TS, SW_BODY);
                let sigs: Vec<String> = secrets[..n]
                    .iter()
                    .map(|k| each(&scheme.mac(Algorithm::Sha256, k, input).unwrap()))
                    .collect();

                // Act
                let headers = scheme.sign(&secrets[..n], input).unwrap();

                // Assert
                assert_eq!(headers.len(), 1);
                assert_eq!(headers[0].0, scheme.headers[0].name);
                assert_eq!(headers[0].1, want_value(&sigs, SW_TS), "{n} secrets");
            }
        }
    }

    #[test]
    fn sha256_prefixed_signature_matches_githubs_documented_example() {
        assert_eq!(
            sign_sha256_prefixed("It's a Secret to Everybody", b"Hello, World!"),
            "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
        );
    }

    #[test]
    fn a_mac_encoded_on_the_stack_is_the_text_encoding_it_gives_for_every_length_and_encoding() {
        for alg in [Algorithm::Sha1, Algorithm::Sha256, Algorithm::Sha512] {
            // Arrange
            let keyed = KeyedMac::new(alg, b"Jefe");
            let mut tag = [0u8; MAX_TAG];
            let mut text = [0u8; MAX_ENCODED];

            // Act
            let len = keyed.mac_into(&[b"what do ya want for nothing?"], &mut tag);

            // Assert
            assert_eq!(
                tag[..len],
                hmac(alg, b"Jefe", &[b"what do ya want for nothing?"])
            );
            for enc in [Encoding::Hex, Encoding::Base64] {
                let on_stack = enc.encode_into(&tag[..len], &mut text).to_owned();
                assert_eq!(on_stack, enc.encode(&tag[..len]), "{alg:?} {enc:?}");
            }
        }
    }

    #[test]
    fn a_mac_keyed_once_gives_each_message_the_mac_of_keying_afresh() {
        // RFC 2202 test case 2 (HMAC-SHA1), RFC 4231 test case 2 (SHA-256, SHA-512), and a
        // key longer than the block, which HMAC hashes first.
        let long_key = [0xaa_u8; 131];
        for alg in [Algorithm::Sha1, Algorithm::Sha256, Algorithm::Sha512] {
            for key in [&b"Jefe"[..], &long_key[..]] {
                let keyed = KeyedMac::new(alg, key);
                for parts in [
                    &[&b"what do ya want "[..], b"for nothing?"][..],
                    &[b"second"],
                ] {
                    assert_eq!(keyed.mac(parts), hmac(alg, key, parts), "{alg:?}");
                }
            }
        }
    }

    #[test]
    fn a_thread_signing_with_other_secrets_in_turn_signs_each_with_its_own() {
        let sha256 = standard();
        let mut sha512 = standard();
        sha512.headers[0].algorithm = Algorithm::Sha512;
        let a = vec![SW_SECRET.to_owned()];
        let b = vec!["whsec_c2Vjb25kLXNlY3JldA==".to_owned()];
        let input = SignInput::post(SW_ID, SW_TS, SW_BODY);
        let fresh = |scheme: &Scheme, secrets: &[String]| {
            let keys = scheme.signing_keys(secrets).expect("the secret reads");
            scheme.sign_with(secrets, Some(&keys), input)
        };
        let (want_a, want_b, want_a512) =
            (fresh(&sha256, &a), fresh(&sha256, &b), fresh(&sha512, &a));
        assert_ne!(want_a, want_b);
        assert_ne!(want_a, want_a512);
        for _ in 0..2 {
            assert_eq!(sha256.sign(&a, input), want_a);
            assert_eq!(sha256.sign(&a, input), want_a);
            assert_eq!(sha256.sign(&b, input), want_b);
            assert_eq!(sha512.sign(&a, input), want_a512);
        }
    }

    #[test]
    fn signing_with_keys_made_once_gives_the_headers_of_signing_afresh() {
        let scheme = standard();
        let secrets = vec![
            SW_SECRET.to_owned(),
            "whsec_c2Vjb25kLXNlY3JldA==".to_owned(),
        ];
        let keys = scheme.signing_keys(&secrets).expect("both secrets read");
        for (id, ts) in [(SW_ID, SW_TS), ("msg_2", SW_TS + 5)] {
            let input = SignInput::post(id, ts, SW_BODY);
            assert_eq!(
                scheme.sign_with(&secrets, Some(&keys), input),
                scheme.sign(&secrets, input)
            );
        }
        // Keys made for other secrets are not used: the headers are those of `secrets`.
        let input = SignInput::post(SW_ID, SW_TS, SW_BODY);
        assert_eq!(
            scheme.sign_with(&secrets[..1], Some(&keys), input),
            scheme.sign(&secrets[..1], input)
        );
        assert!(scheme.signing_keys(&["whsec_!!".to_owned()]).is_err());
    }

    #[test]
    fn sha1_and_sha512_are_the_rfc_4231_and_2202_macs() {
        // RFC 2202 test case 2 (HMAC-SHA1) and RFC 4231 test case 2 (HMAC-SHA512).
        let data: &[&[u8]] = &[b"what do ya want for nothing?"];
        assert_eq!(
            hex::encode(hmac(Algorithm::Sha1, b"Jefe", data)),
            "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"
        );
        assert_eq!(
            hex::encode(hmac(Algorithm::Sha512, b"Jefe", data)),
            "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737"
        );
    }

    #[test]
    fn a_thread_checking_signatures_with_other_secrets_in_turn_judges_each_as_keying_afresh() {
        // The remembered keys are the checking thread's: a check after signing or checking
        // with other secrets, another algorithm or a bad secret still keys the right MACs.
        let sha256 = standard();
        let mut sha512 = standard();
        sha512.headers[0].algorithm = Algorithm::Sha512;
        let a = vec![SW_SECRET.to_owned()];
        let b = vec!["whsec_c2Vjb25kLXNlY3JldA==".to_owned()];
        let both = vec![b[0].clone(), a[0].clone()];
        let input = SignInput::post(SW_ID, SW_TS, SW_BODY);
        let now = Duration::from_secs(SW_TS as u64 + 10);
        let by = |scheme: &Scheme, secrets: &[String]| {
            let keys = scheme.signing_keys(secrets).expect("the secret reads");
            let sig = scheme.sign_with(secrets, Some(&keys), input).unwrap();
            sw_headers(&sig[0].1)
        };
        let (signed_a, signed_b, signed_a512) = (by(&sha256, &a), by(&sha256, &b), by(&sha512, &a));
        let afresh = |scheme: &Scheme, secrets: &[String], headers: &[Header]| {
            let keys: Vec<Vec<u8>> = secrets.iter().map(|s| scheme.key.key(s).unwrap()).collect();
            let sig = header(headers, "webhook-signature").unwrap();
            let parts = scheme.message(&input, "1614265330");
            let ok = sig
                .split(' ')
                .filter_map(|v| v.strip_prefix("v1,"))
                .any(|t| {
                    let tag = scheme.encoding.decode(t).unwrap_or_default();
                    keys.iter()
                        .any(|k| hmac_matches(scheme.headers[0].algorithm, k, &parts, &tag))
                });
            if ok {
                Verdict::Valid
            } else {
                Verdict::Invalid("no signature in webhook-signature matched".into())
            }
        };
        for _ in 0..2 {
            for (scheme, secrets, headers) in [
                (&sha256, &a, &signed_a),
                (&sha256, &b, &signed_a),
                (&sha256, &both, &signed_a),
                (&sha256, &b, &signed_b),
                (&sha512, &a, &signed_a512),
                (&sha512, &a, &signed_a),
                (&sha256, &a, &signed_a512),
            ] {
                let got = scheme.verify(secrets, headers, SW_BODY, now);
                assert_eq!(got, afresh(scheme, secrets, headers));
                // Signing in between switches the thread's keys; the next check still holds.
                let _ = sha512.sign(&b, input);
            }
            assert!(matches!(
                sha256.verify(&["whsec_***".to_owned()], &signed_a, SW_BODY, now),
                Verdict::Invalid(_)
            ));
        }
        assert_eq!(sha256.verify(&a, &signed_a, SW_BODY, now), Verdict::Valid);
        assert_eq!(
            sha256.verify(&both, &signed_b, SW_BODY, now),
            Verdict::Valid
        );
        assert!(matches!(
            sha256.verify(&a, &signed_b, SW_BODY, now),
            Verdict::Invalid(_)
        ));
    }

    #[test]
    fn a_received_value_is_read_into_its_well_formed_signatures_and_timestamp() {
        // Stripe's form: the timestamp and each signature are items of one comma list.
        let stripe = stripe();
        let (sigs, ts) = stripe.candidates(
            &stripe.headers[0],
            "t=1614265330,v1=0a0b,v0=ffff,,v1=zz,v1=c0de,junk",
        );
        assert_eq!(sigs, [vec![0x0a, 0x0b], vec![0xc0, 0xde]]);
        assert_eq!(ts, Some("1614265330"));
        // Standard Webhooks': space-separated `v1,<base64>` items, no timestamp in the value.
        let sw = standard();
        let (sigs, ts) = sw.candidates(&sw.headers[0], "v1,AAE= v2,AAI= v1,!! v1,AwQ=");
        assert_eq!(sigs, [vec![0, 1], vec![3, 4]]);
        assert_eq!(ts, None);
        // No rotation: the whole value is the one item, literal text around the list kept.
        let mut one = standard();
        one.rotation = None;
        one.headers[0].value = vec![lit("sig=("), Piece::Signatures, lit(")")];
        let (sigs, _) = one.candidates(&one.headers[0], "sig=(v1,AAE=)");
        assert_eq!(sigs, [vec![0, 1]]);
        let (sigs, _) = one.candidates(&one.headers[0], "sig=(v1,AAE= v1,AwQ=)");
        assert!(sigs.is_empty(), "{sigs:?}");
    }

    #[test]
    fn a_url_signature_verifies_against_the_recorded_url_or_the_one_rebuilt_from_the_host() {
        // A scheme signing `{url}{body}` (as Twilio's and Shopify-like schemes do).
        let mut s = stripe();
        s.signed = vec![Signed::Url, Signed::Body];
        s.tolerance = None;
        let secrets = vec!["k".to_owned()];
        let signed_to = |url: &str| {
            let input = SignInput {
                id: "",
                timestamp: SW_TS,
                body: SW_BODY,
                url,
                method: "POST",
            };
            s.sign(&secrets, input).unwrap()
        };
        let check = |url: &str, signed: &[Header], host: Option<&str>| {
            let mut headers = signed.to_vec();
            if let Some(h) = host {
                headers.push(("Host".into(), h.into()));
            }
            let req = Received {
                method: "POST",
                url,
                headers: &headers,
                body: SW_BODY,
            };
            s.verify_request(&secrets, req, Duration::ZERO)
        };
        for scheme in ["http", "https"] {
            let sig = signed_to(&format!("{scheme}://example.com/hook"));
            assert_eq!(check("/hook", &sig, Some("example.com")), Verdict::Valid);
            assert_eq!(
                check(&format!("{scheme}://example.com/hook"), &sig, None),
                Verdict::Valid
            );
            assert!(matches!(
                check("/hook", &sig, Some("other.com")),
                Verdict::Invalid(_)
            ));
            assert!(matches!(check("/hook", &sig, None), Verdict::Invalid(_)));
        }
        let sig = signed_to("/hook");
        assert_eq!(check("/hook", &sig, Some("example.com")), Verdict::Valid);
    }

    #[test]
    fn a_rotation_header_verifies_when_any_entry_matches() {
        let s = standard();
        let good = &s
            .sign(&[SW_SECRET.into()], SignInput::post(SW_ID, SW_TS, SW_BODY))
            .unwrap()[0]
            .1;
        let now = Duration::from_secs(SW_TS as u64 + 10);
        let header = format!("v2,abc v1,Zm9vYmFy {good}");
        assert_eq!(
            s.verify(&[SW_SECRET.into()], &sw_headers(&header), SW_BODY, now),
            Verdict::Valid
        );
    }

    #[test]
    fn a_timestamp_outside_the_tolerance_is_invalid_either_way() {
        let s = standard();
        let good = s
            .sign(&[SW_SECRET.into()], SignInput::post(SW_ID, SW_TS, SW_BODY))
            .unwrap()
            .remove(0)
            .1;
        for off in [-301i64, 301] {
            let now = Duration::from_secs((SW_TS + off) as u64);
            let v = s.verify(&[SW_SECRET.into()], &sw_headers(&good), SW_BODY, now);
            assert!(matches!(v, Verdict::Invalid(_)), "{off}: {v:?}");
        }
    }

    #[test]
    fn a_timestamp_in_the_signature_header_is_read_back_and_judged_one_sided() {
        let s = stripe();
        let secrets = vec!["whsec_test_secret".to_owned()];
        let body = br#"{"id":"evt_test_webhook","object":"event"}"#;
        let h = s
            .sign(&secrets, SignInput::post("", 1_492_774_577, body))
            .unwrap();
        assert_eq!(
            h[0].1,
            "t=1492774577,v1=88a022085c6bdb887b02cb26ff76dd681234d9675c0f22844059f55552a8883a"
        );
        let at = |s: i64| Duration::from_secs((1_492_774_577 + s) as u64);
        assert_eq!(s.verify(&secrets, &h, body, at(300)), Verdict::Valid);
        assert_eq!(s.verify(&secrets, &h, body, at(-100_000)), Verdict::Valid);
        assert!(matches!(
            s.verify(&secrets, &h, body, at(301)),
            Verdict::Invalid(_)
        ));
        // An extra scheme's entry (test mode's v0=) is ignored.
        let extra = vec![(h[0].0.clone(), format!("{},v0=deadbeef", h[0].1).into())];
        assert_eq!(s.verify(&secrets, &extra, body, at(1)), Verdict::Valid);
    }

    #[test]
    fn a_missing_signature_header_is_absent_not_invalid() {
        assert_eq!(
            standard().verify(&[SW_SECRET.into()], &[], b"{}", Duration::ZERO),
            Verdict::Absent
        );
        assert_eq!(
            Scheme::none().verify(&["s".into()], &[], b"{}", Duration::ZERO),
            Verdict::Absent
        );
    }

    #[test]
    fn a_malformed_base64_secret_is_refused() {
        for bad in ["whsec_***", "whsec_abc$def", "whsec_a", "whsec_===="] {
            assert!(standard().check_secret(bad).is_err(), "{bad} was accepted");
        }
    }

    #[test]
    fn an_unpadded_whsec_secret_gives_the_same_key_as_its_padded_form() {
        // 23 bytes: base64 needs one `=` of padding; the Python reference library decodes
        // `secret + "=="`, so the unpadded form is the same key.
        let padded = "whsec_aG9va3JpZy11bnBhZGRlZC1zZWNyZXQ=";
        let unpadded = padded.trim_end_matches('=');
        let k = standard().key;

        let a = k.key(padded).unwrap();
        let b = k.key(unpadded).unwrap();

        assert_eq!(a, b);
        assert_eq!(a.len(), 23);
    }
}
