#!/usr/bin/env python3
"""Broken: no timeout, so a receiver that never answers, or answers a byte at a time,
holds the delivery forever. Fails `timeout-hang` and `timeout-dribble`."""
from sender import Sender, main


class NoTimeout(Sender):
    timeout = None


if __name__ == "__main__":
    raise SystemExit(main(NoTimeout))
