#!/usr/bin/env python3
"""A correct Standard Webhooks sender: one delivery to URL, signed with the
`standardwebhooks` library, retried on the schedule of profile.yaml beside this file.

    python3 sender.py URL              # the secret is $HOOKRIG_SECRET (a whsec_ key)

The rules it keeps (each is a check of `hookrig conform-sender`):
- the message id is drawn once and sent on every attempt (`id-stable`);
- each attempt is signed afresh at its own time (`signature`, `timestamp-fresh`);
- the body is built once and re-sent byte for byte (`body-identical`);
- any non-2xx answer, a dropped or reset connection, and no answer within TIMEOUT
  (the whole exchange, a slow body included) are failures, retried after WAITS
  (`retry-*`, `timeout-*`, `on-4xx`, `on-3xx`: a 3xx is a failure, never followed);
- 410 stops it (`on-410`); Retry-After on 429/503 lengthens the wait (`retry-after`);
- ATTEMPTS in all (`schedule`); no secret ever goes in a header.

The broken variants beside it each change one method of `Sender`.
"""
import datetime
import http.client
import json
import os
import secrets
import sys
import time
import urllib.parse

from standardwebhooks.webhooks import Webhook

ATTEMPTS = 3
WAITS = [1.0, 2.0]   # after attempt 1, after attempt 2
TIMEOUT = 2.0        # per attempt, the whole exchange


class Sender:
    attempts = ATTEMPTS
    waits = WAITS
    timeout = TIMEOUT

    def __init__(self, url, secret):
        self.url = url
        self.secret = secret
        self.webhook = Webhook(secret)

    def message_id(self, attempt, first):
        """The delivery's id: drawn once, the same on every retry."""
        return first

    def sign(self, msg_id, body, attempt):
        """(timestamp, signature) for this attempt, at this attempt's time."""
        now = datetime.datetime.now(tz=datetime.timezone.utc)
        return str(int(now.timestamp())), self.webhook.sign(msg_id, now, body)

    def post(self, headers, body):
        """The answer's (status, headers), or (None, None) on a timeout or a connection
        error. The timeout bounds the whole exchange, a body that dribbles in included."""
        u = urllib.parse.urlsplit(self.url)
        deadline = None if self.timeout is None else time.monotonic() + self.timeout
        try:
            conn = http.client.HTTPConnection(u.hostname, u.port or 80, timeout=self.timeout)
            conn.request("POST", u.path or "/", body=body.encode(), headers=headers)
            resp = conn.getresponse()
            while True:
                if deadline is not None:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        conn.close()
                        return None, None
                    conn.sock.settimeout(left)
                if not resp.read1(1024):
                    break
            conn.close()
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}
        except (OSError, http.client.HTTPException):
            return None, None

    def wait_after(self, attempt, status, headers):
        wait = self.waits[min(attempt - 1, len(self.waits) - 1)]
        retry_after = (headers or {}).get("retry-after", "")
        if status in (429, 503) and retry_after.isdigit():
            wait = max(wait, float(retry_after))
        return wait

    def deliver(self, event_type, data):
        first_id = "msg_" + secrets.token_urlsafe(18)
        body = json.dumps(
            {
                "type": event_type,
                "timestamp": datetime.datetime.now(datetime.timezone.utc)
                .isoformat(timespec="milliseconds")
                .replace("+00:00", "Z"),
                "data": data,
            },
            separators=(",", ":"),
        )
        for attempt in range(1, self.attempts + 1):
            msg_id = self.message_id(attempt, first_id)
            timestamp, signature = self.sign(msg_id, body, attempt)
            headers = {
                "webhook-id": msg_id,
                "webhook-timestamp": timestamp,
                "webhook-signature": signature,
                "Content-Type": "application/json",
            }
            status, answer_headers = self.post(headers, body)
            print(f"attempt {attempt}: {status if status is not None else 'no answer'}", flush=True)
            if status is not None and 200 <= status < 300:
                return True
            if status == 410 or attempt == self.attempts:
                return False
            time.sleep(self.wait_after(attempt, status, answer_headers))
        return False


def main(sender_class=Sender):
    if len(sys.argv) != 2:
        print(f"usage: {sys.argv[0]} URL (secret in $HOOKRIG_SECRET)", file=sys.stderr)
        return 2
    secret = os.environ.get("HOOKRIG_SECRET")
    if not secret:
        print("set HOOKRIG_SECRET to the endpoint's whsec_ secret", file=sys.stderr)
        return 2
    sender = sender_class(sys.argv[1], secret)
    sender.deliver("user.created", {"id": "user_1", "email": "ada@example.com", "name": "Ada Lovelace"})
    # The delivery's outcome is the receiver's to judge: the trigger itself succeeded.
    return 0


if __name__ == "__main__":
    sys.exit(main())
