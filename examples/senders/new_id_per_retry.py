#!/usr/bin/env python3
"""Broken: draws a new message id for every attempt, so a receiver that deduplicates on
webhook-id processes each retry again. Fails `id-stable`."""
import secrets

from sender import Sender, main


class NewIdPerRetry(Sender):
    def message_id(self, attempt, first):
        return first if attempt == 1 else "msg_" + secrets.token_urlsafe(18)


if __name__ == "__main__":
    raise SystemExit(main(NewIdPerRetry))
