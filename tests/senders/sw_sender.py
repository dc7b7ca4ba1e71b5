#!/usr/bin/env python3
"""A Standard Webhooks sender in the standard library alone, for hookrig's own tests of
scenarios with `sender:` and of `hookrig conform-sender` (examples/senders/ holds the one
written with the `standardwebhooks` library, for people to read).

    python3 sw_sender.py URL [--count N] [--type T] [--attempts 3] [--waits 1,2]
                             [--timeout 2] [--bug none|new-id|stale|no-retry|wrong-secret|no-timeout|flood]
                             [--fail-with N]

The secret is $HOOKRIG_SECRET (a `whsec_` key). Each delivery is retried on the schedule
given, honours Retry-After on 429/503, stops on 2xx and 410; 3xx is a failure.
"""
import argparse
import base64
import hashlib
import hmac
import http.client
import json
import os
import secrets
import sys
import time
import urllib.parse

DEFAULT_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def sign(secret, msg_id, ts, body):
    key = base64.b64decode(secret.removeprefix("whsec_"))
    mac = hmac.new(key, f"{msg_id}.{ts}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def post(url, headers, body, timeout):
    """(status, headers) or (None, None) on a timeout or connection error; the timeout
    bounds the whole exchange, a slow body included (None: no timeout at all)."""
    u = urllib.parse.urlsplit(url)
    deadline = None if timeout is None else time.monotonic() + timeout
    try:
        conn = http.client.HTTPConnection(u.hostname, u.port or 80, timeout=timeout)
        conn.request("POST", u.path or "/", body=body, headers=headers)
        resp = conn.getresponse()
        while True:
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    conn.close()
                    return None, None
                conn.sock.settimeout(left)
            if not resp.read1(256):
                break
        conn.close()
        return resp.status, dict(resp.getheaders())
    except (OSError, http.client.HTTPException):
        return None, None


def deliver(url, event_type, args, secret):
    msg_id = "msg_" + secrets.token_hex(12)
    body = json.dumps(
        {"type": event_type, "timestamp": "2026-01-01T00:00:00.000Z", "data": {"id": "user_1", "email": "ada@example.com", "name": "Ada Lovelace"}},
        separators=(",", ":"),
    ).encode()
    waits = [float(w) for w in args.waits.split(",") if w]
    first_ts = None
    timeout = None if args.bug == "no-timeout" else args.timeout
    attempts = 1 if args.bug == "no-retry" else args.attempts
    if args.bug == "flood":
        attempts = args.attempts + 3
        waits = [0.05]
    for n in range(1, attempts + 1):
        if args.bug == "new-id" and n > 1:
            msg_id = "msg_" + secrets.token_hex(12)
        ts = str(int(time.time()))
        key = "whsec_" + base64.b64encode(b"not the receiver's key 32 bytes!").decode() if args.bug == "wrong-secret" else secret
        sig = sign(key, msg_id, ts, body)
        if args.bug == "stale":
            if first_ts is None:
                first_ts = (ts, sig)
            ts, sig = first_ts
        headers = {
            "webhook-id": msg_id,
            "webhook-timestamp": ts,
            "webhook-signature": sig,
            "Content-Type": "application/json",
        }
        status, resp_headers = post(url, headers, body, timeout)
        print(f"attempt {n}: {status}", flush=True)
        if status is not None and 200 <= status < 300 and args.bug != "flood":
            return True
        if status == 410:
            return False
        if n == attempts:
            return False
        wait = waits[min(n - 1, len(waits) - 1)] if waits else 0
        if status in (429, 503) and resp_headers:
            ra = {k.lower(): v for k, v in resp_headers.items()}.get("retry-after")
            if ra and ra.isdigit():
                wait = max(wait, float(ra))
        time.sleep(wait)
    return False


def main():
    p = argparse.ArgumentParser()
    p.add_argument("url")
    p.add_argument("--count", type=int, default=1)
    p.add_argument("--type", default="user.created")
    p.add_argument("--attempts", type=int, default=3)
    p.add_argument("--waits", default="1,2")
    p.add_argument("--timeout", type=float, default=2.0)
    p.add_argument("--bug", default="none")
    p.add_argument("--fail-with", type=int, default=0)
    args = p.parse_args()
    secret = os.environ.get("HOOKRIG_SECRET", DEFAULT_SECRET)
    for i in range(args.count):
        deliver(args.url, args.type, args, secret)
    if args.fail_with:
        print("the sender failed on purpose", file=sys.stderr)
    return args.fail_with


if __name__ == "__main__":
    sys.exit(main())
