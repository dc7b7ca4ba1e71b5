#!/usr/bin/env python3
"""Broken: signs with a secret that is not the endpoint's (a stale key after rotation,
say). Fails `signature`."""
from standardwebhooks.webhooks import Webhook

from sender import Sender, main


class WrongSecret(Sender):
    def __init__(self, url, secret):
        super().__init__(url, secret)
        self.webhook = Webhook("whsec_" + "QW5vdGhlciBrZXksIG5vdCB0aGUgZW5kcG9pbnQncw==")


if __name__ == "__main__":
    raise SystemExit(main(WrongSecret))
