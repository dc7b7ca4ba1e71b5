#!/usr/bin/env python3
"""Broken: signs once and re-sends the first attempt's timestamp and signature on every
retry, so a retry hours later fails the receiver's 5-minute tolerance. Fails
`timestamp-fresh`."""
from sender import Sender, main


class StaleTimestamp(Sender):
    first = None

    def sign(self, msg_id, body, attempt):
        if self.first is None:
            self.first = super().sign(msg_id, body, attempt)
        return self.first


if __name__ == "__main__":
    raise SystemExit(main(StaleTimestamp))
