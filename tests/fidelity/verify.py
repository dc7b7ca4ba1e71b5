#!/usr/bin/env python3
"""Fidelity check: hookrig's signed requests must verify in the providers' own verifiers.

Usage: verify.py JOURNAL.jsonl [--root DIR]

Reads a `hookrig run --journal` file. For every attempt line it loads the scenario file the
line names (`file`, relative to --root, default: the current directory) with PyYAML, takes
the profile and `endpoint.secret` (a string, or a list during key rotation) from it, and
checks the request exactly as the receiver got it (headers and raw body), judged AT THE
ATTEMPT'S OWN WALL-CLOCK TIME (`wall_ms`): each library's notion of "now" is frozen there.

Verifiers, by profile:

* svix — PyPI `svix` (`svix.webhooks.Webhook(secret).verify(body, headers)`) on requests
  that carry the svix-* headers only (svix-id, svix-timestamp, svix-signature; a request
  with any webhook-* header is a mismatch), and a stdlib re-implementation reading the
  svix-* headers. Scenarios with no `endpoint.secret` are signed with the secret the run
  generated from its seed; the journal shows it (`generated_secret`) and it is used.
* standard-webhooks — PyPI `standardwebhooks` (`standardwebhooks.Webhook(secret).verify`,
  the Standard Webhooks reference library) and PyPI `svix` (`svix.webhooks.Webhook(secret)
  .verify(body, headers)`). Note: since svix 1.x, `svix.webhooks.Webhook` is a thin
  wrapper that delegates to `standardwebhooks.webhooks.Webhook` (it only maps `svix-*`
  header names), so the two are not independent implementations; an independent stdlib
  re-implementation of the spec is run as a third check. With several secrets (rotation)
  the request must verify with EACH secret on its own, in every library.
  Clock: both read `datetime.now(tz=timezone.utc)` in `standardwebhooks.webhooks`; that
  module's `datetime` name is patched with a subclass whose `now()` is frozen.
* extend — PyPI `extend-ai` DOES ship a verifier: `extend_ai.wrapper.webhooks.Webhooks`,
  reached as `Extend(token=...).webhooks`, with `verify(body, headers, signing_secret,
  max_age_seconds=300) -> bool` (and `verify_and_parse`). It checks
  `x-extend-request-timestamp`/`x-extend-request-signature`, lowercase hex HMAC-SHA256 of
  `v0:{timestamp}:{body}` keyed with the secret's UTF-8 bytes, `hmac.compare_digest`,
  and rejects age > 300 s or > 60 s in the future. Clock: it calls `time.time()` through
  the module's `time` name, which is patched. A stdlib re-implementation of the documented
  scheme runs beside it.
* stripe — PyPI `stripe` (`stripe.Webhook.construct_event(body, Stripe-Signature, secret,
  tolerance=300)`, the SDK's own check: every `v1=` a candidate, `t` too old fails, a
  future `t` passes). Clock: `stripe._webhook` calls `time.time()` through its `time`
  name, which is patched. A stdlib re-implementation of the documented scheme runs beside
  it. During a roll (two secrets) the request must verify with each secret on its own.
* github — npm `@octokit/webhooks-methods` (`verify(secret, payload, signature)` on
  X-Hub-Signature-256; v6 checks SHA-256 only), run in Node through
  tests/fidelity/octokit-verify.mjs, and GitHub's documented recipe in stdlib `hmac` for
  both X-Hub-Signature-256 and the legacy SHA-1 X-Hub-Signature. No timestamp, and GitHub
  never retries, so its attempts are first attempts only.
* shopify — no Python library verifies Shopify webhooks; Shopify's documented recipe
  (base64 HMAC-SHA256 of the raw body with the client secret, `hmac.compare_digest`) in
  stdlib, plus the headers `@shopify/shopify-api`'s validate() requires
  (X-Shopify-Hmac-Sha256, -Topic, -Shop-Domain, -API-Version, -Webhook-Id).
* slack — PyPI `slack-sdk` (`SignatureVerifier(secret, clock=…).is_valid_request(body,
  headers)`: `v0=` hex HMAC-SHA256 of `v0:{timestamp}:{body}`, 5 minutes either way); the
  clock is injected, as the SDK allows. A stdlib re-implementation runs beside it.
* crawl4ai — unsigned; its body bytes must be what CPython's `json.dumps` writes (the
  default separators, `\\uXXXX` escapes): `json.dumps(json.loads(body)) == body`.
* llamacloud (`LC-Signature: sha256=<hex HMAC-SHA256(secret, raw body)>`) and
  perfectparser (`X-PerfectParser-Signature: <hex HMAC-SHA256(secret, raw body)>`) — no
  public verifier library exists for either provider, so these are checked with Python's
  stdlib `hmac` + `hmac.compare_digest` over the raw body bytes. They carry no timestamp.

Negative controls, so the check cannot pass vacuously: for every attempt and every
verifier, a copy of the body with one byte changed and a wrong secret must both be
REJECTED; for the timestamped schemes the untouched request must also be rejected when
judged too late (timestamp + 301 s) and too early (timestamp - 301 s for Standard
Webhooks, Svix and Slack, - 61 s for Extend; Stripe's verifier accepts a future `t`, so it
has no early control). Each profile must have at least one attempt and one retry (GitHub,
which never retries, first attempts only), and a whsec_ secret without its base64 padding must be among the checked ones
(the reference library decodes `secret + "=="`).

Prints one line per profile with counts and exits 1 on any mismatch (each named by
scenario, event, attempt and library), 2 on unusable input. Secrets are never printed.
"""

from __future__ import annotations

import argparse
import base64
import os
import subprocess
import contextlib
import datetime as _dt
import hashlib
import hmac
import importlib.metadata as md
import json
import sys
import time as _time
import types
from collections import defaultdict
from pathlib import Path
from unittest import mock

import yaml

import standardwebhooks
import standardwebhooks.webhooks as sw_module
import svix.webhooks as svix_module
from svix.webhooks import Webhook as SvixWebhook
import extend_ai.wrapper.webhooks as extend_module
from extend_ai import Extend
import stripe
import stripe._webhook as stripe_module
from slack_sdk.signature import SignatureVerifier

PROFILES = ("standard-webhooks", "svix", "extend", "llamacloud", "perfectparser", "crawl4ai",
            "stripe", "github", "shopify", "slack")
SIG_HEADER = {
    "standard-webhooks": "webhook-signature",
    "svix": "svix-signature",
    "extend": "x-extend-request-signature",
    "llamacloud": "lc-signature",
    "perfectparser": "x-perfectparser-signature",
    "stripe": "stripe-signature",
    "github": "x-hub-signature-256",
    "shopify": "x-shopify-hmac-sha256",
    "slack": "x-slack-signature",
}
# Profiles that never retry by themselves.
NO_RETRIES = {"github"}
# A valid whsec_ secret that no scenario uses, and a plain one for the hex schemes.
WRONG_SW_SECRET = "whsec_" + base64.b64encode(b"hookrig-fidelity-wrong-secret!!!").decode()
WRONG_PLAIN_SECRET = "hookrig-fidelity-wrong-secret"


# --------------------------------------------------------------------------- clock


class _Clock:
    now_s: float = 0.0


class _FrozenDatetime(_dt.datetime):
    """`datetime` whose `now()` is the frozen verification time."""

    @classmethod
    def now(cls, tz=None):  # noqa: D102
        return _dt.datetime.fromtimestamp(_Clock.now_s, tz=tz)

    @classmethod
    def utcnow(cls):  # noqa: D102
        return _dt.datetime.fromtimestamp(_Clock.now_s, tz=_dt.timezone.utc).replace(tzinfo=None)


def _frozen_time_module():
    ns = types.SimpleNamespace(**{k: getattr(_time, k) for k in dir(_time) if not k.startswith("__")})
    ns.time = lambda: _Clock.now_s
    ns.time_ns = lambda: int(_Clock.now_s * 1e9)
    return ns


_FROZEN_TIME = _frozen_time_module()


@contextlib.contextmanager
def frozen_clock():
    """Patch every verifier module's `datetime` / `time` name to read `_Clock.now_s`."""
    patches = []
    for mod in (sw_module, svix_module, extend_module, stripe_module):
        if getattr(mod, "datetime", None) is _dt.datetime:
            patches.append(mock.patch.object(mod, "datetime", _FrozenDatetime))
        if getattr(mod, "time", None) is _time:
            patches.append(mock.patch.object(mod, "time", _FROZEN_TIME))
    with contextlib.ExitStack() as stack:
        for p in patches:
            stack.enter_context(p)
        yield


# --------------------------------------------------------------------------- verifiers
# Each verifier takes (body: str, headers: dict, secret: str) and returns None when it
# accepts, or a short reason when it rejects. Library exceptions count as rejections.


def v_standardwebhooks(body, headers, secret):
    try:
        standardwebhooks.Webhook(secret).verify(body, headers)
        return None
    except Exception as e:  # WebhookVerificationError, or a malformed header
        return f"{type(e).__name__}: {e}"


def v_svix(body, headers, secret):
    try:
        SvixWebhook(secret).verify(body, headers)
        return None
    except Exception as e:
        return f"{type(e).__name__}: {e}"


def v_svix_only(body, headers, secret):
    """The svix library on the svix-* headers alone."""
    webhook = [k for k in headers if k.startswith("webhook-")]
    if webhook:
        return f"webhook-* headers present beside svix-*: {webhook}"
    svix_only = {k: v for k, v in headers.items() if k.startswith("svix-")}
    if sorted(svix_only) != ["svix-id", "svix-signature", "svix-timestamp"]:
        return f"svix-* headers are {sorted(svix_only)}"
    return v_svix(body, svix_only, secret)


def _standard_stdlib(body, headers, secret, prefix):
    """Independent re-implementation of the Standard Webhooks spec (5 min tolerance)."""
    try:
        msg_id, ts, sig = headers[f"{prefix}-id"], headers[f"{prefix}-timestamp"], headers[f"{prefix}-signature"]
    except KeyError as e:
        return f"missing header {e}"
    if not ts.isdigit():
        return f"webhook-timestamp {ts!r} is not an integer"
    if abs(int(_Clock.now_s) - int(ts)) > 300:
        return "timestamp outside the 5 min tolerance"
    key = base64.b64decode(secret.removeprefix("whsec_") + "==")  # padding optional
    expected = hmac.new(key, f"{msg_id}.{ts}.".encode() + body.encode("utf-8"), hashlib.sha256).digest()
    for entry in sig.split(" "):
        version, _, b64 = entry.partition(",")
        if version == "v1":
            try:
                if hmac.compare_digest(base64.b64decode(b64, validate=True), expected):
                    return None
            except ValueError:
                continue
    return "no v1 signature matched"


def v_standard_stdlib(body, headers, secret):
    return _standard_stdlib(body, headers, secret, "webhook")


def v_svix_stdlib(body, headers, secret):
    return _standard_stdlib(body, headers, secret, "svix")


def v_python_json_dumps(body, headers, secret):
    """Crawl4AI: the body must be byte for byte what json.dumps writes for it."""
    again = json.dumps(json.loads(body))
    if again != body:
        i = next((k for k, (a, b) in enumerate(zip(body, again)) if a != b), min(len(body), len(again)))
        return f"json.dumps writes {again[max(0, i - 30):i + 30]!r} where hookrig sent {body[max(0, i - 30):i + 30]!r}"
    return None


_EXTEND = Extend(token="unused-no-network-call").webhooks


def v_extend_ai(body, headers, secret):
    try:
        ok = _EXTEND.verify(body, headers, secret)
    except Exception as e:
        return f"{type(e).__name__}: {e}"
    if ok:
        return None
    # `verify` returns only a bool; ask the private checker for the reason.
    try:
        _EXTEND._verify_signature(body, headers, secret, 300)
    except Exception as e:
        return f"{type(e).__name__}: {e}"
    return "verify() returned False"


def v_extend_stdlib(body, headers, secret):
    ts = headers.get("x-extend-request-timestamp")
    sig = headers.get("x-extend-request-signature")
    if not ts or not sig:
        return "missing x-extend-request-timestamp or -signature"
    try:
        age = int(_Clock.now_s) - int(ts)
    except ValueError:
        return f"timestamp {ts!r} is not an integer"
    if age > 300:
        return f"timestamp {age} s old (> 300 s)"
    if age < -60:
        return f"timestamp {-age} s in the future (> 60 s)"
    expected = hmac.new(secret.encode(), f"v0:{ts}:".encode() + body.encode("utf-8"), hashlib.sha256).hexdigest()
    return None if hmac.compare_digest(sig, expected) else "signature does not match"


def v_llamacloud_stdlib(body, headers, secret):
    sig = headers.get("lc-signature")
    if sig is None:
        return "missing LC-Signature"
    if not sig.startswith("sha256="):
        return "LC-Signature lacks `sha256=`"
    expected = hmac.new(secret.encode(), body.encode("utf-8"), hashlib.sha256).hexdigest()
    return None if hmac.compare_digest(sig[len("sha256="):], expected) else "signature does not match"


def v_perfectparser_stdlib(body, headers, secret):
    sig = headers.get("x-perfectparser-signature")
    if sig is None:
        return "missing X-PerfectParser-Signature"
    expected = hmac.new(secret.encode(), body.encode("utf-8"), hashlib.sha256).hexdigest()
    return None if hmac.compare_digest(sig, expected) else "signature does not match"


def v_stripe(body, headers, secret):
    try:
        stripe.Webhook.construct_event(body, headers["stripe-signature"], secret, tolerance=300)
        return None
    except Exception as e:  # SignatureVerificationError, or a body that is no Event
        return f"{type(e).__name__}: {e}"


def _stripe_timestamp(headers):
    items = [i.split("=", 1) for i in headers.get("stripe-signature", "").split(",")]
    return int(next(v for k, v in items if k == "t"))


def v_stripe_stdlib(body, headers, secret):
    items = [i.split("=", 1) for i in headers.get("stripe-signature", "").split(",") if "=" in i]
    ts = [v for k, v in items if k == "t"]
    sigs = [v for k, v in items if k == "v1"]
    if not ts or not sigs:
        return "Stripe-Signature lacks t= or v1="
    if int(_Clock.now_s) - int(ts[0]) > 300:
        return "t older than 300 s"
    expected = hmac.new(secret.encode("utf-8"), f"{ts[0]}.".encode() + body.encode("utf-8"), hashlib.sha256).hexdigest()
    return None if any(hmac.compare_digest(s, expected) for s in sigs) else "no v1 signature matched"


OCTOKIT = os.environ.get("FIDELITY_OCTOKIT")


def v_octokit(body, headers, secret):
    sig = headers.get("x-hub-signature-256")
    if sig is None:
        return "missing X-Hub-Signature-256"
    line = json.dumps({"secret": secret, "payload": body, "signature": sig}) + "\n"
    out = subprocess.run(["node", OCTOKIT], input=line, capture_output=True, text=True, timeout=120)
    if out.returncode != 0:
        return f"node failed: {out.stderr.strip()[:300]}"
    return None if out.stdout.strip() == "true" else "verify() returned false"


def v_github_stdlib(body, headers, secret):
    for name, alg, prefix in (("x-hub-signature-256", hashlib.sha256, "sha256="), ("x-hub-signature", hashlib.sha1, "sha1=")):
        sig = headers.get(name)
        if sig is None:
            return f"missing {name}"
        expected = prefix + hmac.new(secret.encode("utf-8"), body.encode("utf-8"), alg).hexdigest()
        if not hmac.compare_digest(sig, expected):
            return f"{name} does not match"
    return None


SHOPIFY_REQUIRED = ("x-shopify-hmac-sha256", "x-shopify-topic", "x-shopify-shop-domain",
                    "x-shopify-api-version", "x-shopify-webhook-id")


def v_shopify_stdlib(body, headers, secret):
    missing = [h for h in SHOPIFY_REQUIRED if h not in headers]
    if missing:
        return f"missing headers {missing} (validate() requires them)"
    expected = base64.b64encode(hmac.new(secret.encode("utf-8"), body.encode("utf-8"), hashlib.sha256).digest()).decode()
    return None if hmac.compare_digest(headers["x-shopify-hmac-sha256"], expected) else "signature does not match"


class _SlackClock:
    def now(self):  # noqa: D102
        return _Clock.now_s


def v_slack_sdk(body, headers, secret):
    try:
        ok = SignatureVerifier(secret, clock=_SlackClock()).is_valid_request(body, headers)
    except Exception as e:
        return f"{type(e).__name__}: {e}"
    return None if ok else "is_valid_request() returned False"


def v_slack_stdlib(body, headers, secret):
    ts = headers.get("x-slack-request-timestamp")
    sig = headers.get("x-slack-signature")
    if not ts or not sig:
        return "missing X-Slack-Request-Timestamp or X-Slack-Signature"
    if abs(int(_Clock.now_s) - int(ts)) > 300:
        return "timestamp outside 5 minutes"
    expected = "v0=" + hmac.new(secret.encode("utf-8"), f"v0:{ts}:".encode() + body.encode("utf-8"), hashlib.sha256).hexdigest()
    return None if hmac.compare_digest(sig, expected) else "signature does not match"


def _ver(dist):
    return f"{dist} {md.version(dist)}"


VERIFIERS = {
    "standard-webhooks": [
        (_ver("standardwebhooks"), v_standardwebhooks),
        (_ver("svix"), v_svix),
        ("stdlib hmac", v_standard_stdlib),
    ],
    "svix": [
        (_ver("svix") + " (svix-* headers only)", v_svix_only),
        ("stdlib hmac", v_svix_stdlib),
    ],
    "extend": [(_ver("extend-ai"), v_extend_ai), ("stdlib hmac", v_extend_stdlib)],
    "llamacloud": [("stdlib hmac (no public verifier exists)", v_llamacloud_stdlib)],
    "perfectparser": [("stdlib hmac (no public verifier exists)", v_perfectparser_stdlib)],
    "crawl4ai": [(f"CPython {sys.version.split()[0]} json.dumps", v_python_json_dumps)],
    "stripe": [(_ver("stripe"), v_stripe), ("stdlib hmac", v_stripe_stdlib)],
    "github": [("npm @octokit/webhooks-methods 6.0.0", v_octokit),
               ("stdlib hmac (GitHub's documented recipe, SHA-256 and the legacy SHA-1)", v_github_stdlib)],
    "shopify": [("stdlib hmac (Shopify's documented recipe; no Python library verifies webhooks)", v_shopify_stdlib)],
    "slack": [(_ver("slack-sdk"), v_slack_sdk), ("stdlib hmac", v_slack_stdlib)],
}
# Profiles whose check is on the body's bytes, not a signature.
UNSIGNED = {"crawl4ai"}
# (label, offset of "now" from the header timestamp) at which an untouched request must fail.
def _header_ts(name):
    return lambda headers: int(headers[name])


WINDOW_CONTROLS = {
    "standard-webhooks": (_header_ts("webhook-timestamp"), [("too late (+301 s)", 301), ("too early (-301 s)", -301)]),
    "svix": (_header_ts("svix-timestamp"), [("too late (+301 s)", 301), ("too early (-301 s)", -301)]),
    "extend": (_header_ts("x-extend-request-timestamp"), [("too late (+301 s)", 301), ("too early (-61 s)", -61)]),
    "stripe": (_stripe_timestamp, [("too late (+301 s)", 301)]),
    "slack": (_header_ts("x-slack-request-timestamp"), [("too late (+301 s)", 301), ("too early (-301 s)", -301)]),
}


# --------------------------------------------------------------------------- input


class Scenarios:
    """Scenario files, loaded once, looked up by (file, name)."""

    def __init__(self, root: Path):
        self.root = root
        self.cache: dict[str, list[dict]] = {}

    def get(self, file: str, name: str) -> dict:
        if file not in self.cache:
            path = Path(file)
            if not path.is_absolute():
                path = self.root / path
            doc = yaml.safe_load(path.read_text(encoding="utf-8"))
            self.cache[file] = doc["scenarios"] if isinstance(doc, dict) and "scenarios" in doc else [doc]
        for s in self.cache[file]:
            if s.get("name") == name:
                return s
        raise KeyError(f"no scenario named {name!r} in {file}")


def profile_of(scenario: dict) -> str:
    p = scenario.get("profile")
    if isinstance(p, dict):
        p = p.get("base")
    if p not in PROFILES:
        raise ValueError(f"profile {p!r} is not one this check knows ({', '.join(PROFILES)})")
    return p


def secrets_of(scenario: dict) -> list[str]:
    s = (scenario.get("endpoint") or {}).get("secret")
    if s is None:
        return []
    return [s] if isinstance(s, str) else list(s)


def tamper(body: str) -> str:
    """The body with one byte changed: the middle ASCII letter or digit, swapped."""
    idx = [i for i, c in enumerate(body) if c.isascii() and c.isalnum()]
    if not idx:
        return body + " "
    i = idx[len(idx) // 2]
    c = body[i]
    repl = "1" if c == "0" else "0" if c.isdigit() else ("b" if c == "a" else "a")
    return body[:i] + repl + body[i + 1:]


def fmt_ms(ms: int) -> str:
    s = ms // 1000
    d, s = divmod(s, 86400)
    h, s = divmod(s, 3600)
    m, s = divmod(s, 60)
    parts = [f"{d}d" if d else "", f"{h}h" if h else "", f"{m}m" if m else "", f"{s}s" if s or not (d or h or m) else ""]
    return " ".join(p for p in parts if p)


# --------------------------------------------------------------------------- main


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("journal", type=Path)
    ap.add_argument("--root", type=Path, default=Path.cwd(), help="where the journal's scenario paths are relative to")
    args = ap.parse_args(argv)
    if not OCTOKIT or not Path(OCTOKIT).exists():
        print("verify.py: FIDELITY_OCTOKIT does not name octokit-verify.mjs beside an npm install of "
              "@octokit/webhooks-methods: run it through tests/fidelity/run.sh", file=sys.stderr)
        return 2

    try:
        lines = [json.loads(l) for l in args.journal.read_text(encoding="utf-8").splitlines() if l.strip()]
    except (OSError, ValueError) as e:
        print(f"verify.py: cannot read journal {args.journal}: {e}", file=sys.stderr)
        return 2
    attempts = [l for l in lines if l.get("kind") == "attempt"]
    scenarios = Scenarios(args.root)

    failures: list[str] = []
    stats = defaultdict(lambda: {"attempts": 0, "first": 0, "retries": 0, "rejected": 0, "span_ms": 0,
                                 "scenarios": set(), "events": set(), "rotation": 0,
                                 "generated": 0, "unpadded": 0})
    first_wall: dict[tuple, int] = {}

    with frozen_clock():
        for a in attempts:
            where = f"scenario {a['scenario']!r} ({a['file']}) event {a['event_type']} delivery {a['delivery']} attempt n={a['n']}"
            try:
                sc = scenarios.get(a["file"], a["scenario"])
                profile = profile_of(sc)
            except (OSError, KeyError, ValueError, yaml.YAMLError) as e:
                print(f"verify.py: {where}: {e}", file=sys.stderr)
                return 2
            secrets = secrets_of(sc)
            generated = not secrets and bool(a.get("generated_secret"))
            if generated:
                # A provider that always signs, no secret given: the run's own secret.
                secrets = [a["generated_secret"]]
            req = a.get("request")
            if not secrets and profile not in UNSIGNED:
                failures.append(f"{where}: the scenario has no endpoint.secret and the journal no generated_secret, so nothing is checked")
                continue
            if not req or not isinstance(req.get("body"), str):
                failures.append(f"{where}: no request, or a body that is not UTF-8 text, in the journal")
                continue
            names = [k for k, _ in req["headers"]]
            if len(names) != len(set(names)):
                failures.append(f"{where}: repeated header names {names}")
                continue
            headers = dict(req["headers"])
            body = req["body"]
            if profile not in UNSIGNED and SIG_HEADER[profile] not in headers:
                failures.append(f"{where}: no {SIG_HEADER[profile]} header: {req['headers']}")
                continue

            st = stats[profile]
            st["attempts"] += 1
            st["scenarios"].add(a["scenario"])
            st["events"].add(a["event_type"])
            key = (a["file"], a["scenario"], a["delivery"])
            if a["n"] == 1:
                st["first"] += 1
                first_wall[key] = a["wall_ms"]
            else:
                st["retries"] += 1
                st["span_ms"] = max(st["span_ms"], a["wall_ms"] - first_wall.get(key, a["wall_ms"]))
            if len(secrets) > 1:
                st["rotation"] += 1
            st["generated"] += generated
            st["unpadded"] += profile in ("standard-webhooks", "svix") and any(
                s.startswith("whsec_") and len(s[6:]) % 4 for s in secrets)

            if profile in UNSIGNED:
                for lib, verify in VERIFIERS[profile]:
                    why = verify(body, headers, None)
                    if why is not None:
                        failures.append(f"MISMATCH {where}: {lib}: {why}")
                continue
            wrong = WRONG_SW_SECRET if profile in ("standard-webhooks", "svix") else WRONG_PLAIN_SECRET
            bad_body = tamper(body)
            for lib, verify in VERIFIERS[profile]:
                _Clock.now_s = a["wall_ms"] / 1000.0
                # Accept: with every secret on its own (key rotation: either secret).
                for i, secret in enumerate(secrets):
                    why = verify(body, headers, secret)
                    if why is not None:
                        failures.append(
                            f"MISMATCH {where} wall_ms={a['wall_ms']}: {lib} REJECTED hookrig's request "
                            f"with secret #{i + 1} of {len(secrets)}: {why}\n"
                            f"    headers: {json.dumps(req['headers'], ensure_ascii=False)}\n"
                            f"    body:    {json.dumps(body, ensure_ascii=False)}"
                        )
                # Reject: tampered body, wrong secret.
                controls = [(f"tampered body (one byte changed)", bad_body, headers, s) for s in secrets]
                controls.append(("wrong secret", body, headers, wrong))
                for label, b, h, s in controls:
                    if verify(b, h, s) is None:
                        failures.append(f"MISMATCH {where}: {lib} ACCEPTED a forgery: {label}")
                    else:
                        st["rejected"] += 1
                # Reject: the untouched request judged outside the timestamp window.
                if profile in WINDOW_CONTROLS:
                    ts_of, offsets = WINDOW_CONTROLS[profile]
                    ts = ts_of(headers)
                    for label, off in offsets:
                        _Clock.now_s = ts + off
                        if verify(body, headers, secrets[0]) is None:
                            failures.append(f"MISMATCH {where}: {lib} ACCEPTED a request judged {label}: "
                                            f"its timestamp window is not enforced (or the clock freeze failed)")
                        else:
                            st["rejected"] += 1

    for profile in PROFILES:
        st = stats.get(profile)
        names = [lib for lib, _ in VERIFIERS[profile]]
        libs = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
        if not st or st["attempts"] == 0:
            failures.append(f"{profile}: no attempts in the journal: the check would be vacuous")
            continue
        if st["retries"] == 0 and profile not in NO_RETRIES:
            failures.append(f"{profile}: no retries in the journal: retries are not exercised")
        if profile in ("standard-webhooks", "svix") and st["unpadded"] == 0:
            failures.append(f"{profile}: no attempt signed with an unpadded whsec_ secret")
        if profile in UNSIGNED:
            print(
                f"{profile}: {st['attempts']} bodies ({st['first']} first attempts and {st['retries']} retries, "
                f"{len(st['events'])} event types) are byte for byte what {libs} writes"
            )
            continue
        controls_desc = "tampered body, wrong secret" + (
            ", timestamp outside the window" if profile in WINDOW_CONTROLS else "")
        rot = f", {st['rotation']} under key rotation (each secret alone)" if st["rotation"] else ""
        gen = f", {st['generated']} with the run's generated secret" if st["generated"] else ""
        unpadded = f", {st['unpadded']} with an unpadded whsec_ secret" if st["unpadded"] else ""
        print(
            f"{profile}: {st['attempts']} attempts verified with {libs} "
            f"({st['first']} first attempts and {st['retries']} retries, up to {fmt_ms(st['span_ms'])} "
            f"after the first{rot}{gen}{unpadded}; {len(st['events'])} event types, {len(st['scenarios'])} scenario(s)), "
            f"{st['rejected']} forgeries rejected ({controls_desc})"
        )

    if failures:
        print(f"\nFIDELITY CHECK FAILED: {len(failures)} problem(s)", file=sys.stderr)
        for f in failures:
            print(f"  {f}", file=sys.stderr)
        return 1
    print("fidelity check passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
