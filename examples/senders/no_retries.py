#!/usr/bin/env python3
"""Broken: one attempt and never a retry. Fails `retry-5xx` and every check that needs a
second attempt (the retry, timeout, 4xx/3xx, Retry-After and schedule checks, and the
ones that compare a retry with the first attempt)."""
from sender import Sender, main


class NoRetries(Sender):
    attempts = 1


if __name__ == "__main__":
    raise SystemExit(main(NoRetries))
