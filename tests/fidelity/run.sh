#!/usr/bin/env bash
# Fidelity check: requests hookrig produces (first attempts and retries) must verify with
# the providers' own published verifiers. See tests/fidelity/verify.py for what is checked.
#
#   bash tests/fidelity/run.sh
#
# Needs python3 (with venv + pip) and cargo. Creates or reuses a virtual environment in
# target/fidelity-venv, installs the pinned verifier libraries, replays
# tests/fidelity/scenarios in sim mode with --journal, and verifies every attempt.
# Environment: PYTHON (default python3), FIDELITY_VENV (default target/fidelity-venv).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"

python="${PYTHON:-python3}"
venv="${FIDELITY_VENV:-target/fidelity-venv}"
journal="target/fidelity-journal.jsonl"

# The exact versions this check was written and run against. svix's Webhook delegates to
# standardwebhooks (verify.py says so); extend-ai ships Webhooks.verify.
pins=(
  "standardwebhooks==1.1.0"
  "svix==2.9.1"
  "extend-ai==1.20.0"
  "PyYAML==6.0.3"
)

if ! "$venv/bin/python" -c 'import sys' >/dev/null 2>&1; then
  echo "fidelity: creating $venv"
  rm -rf "$venv"
  mkdir -p "$(dirname "$venv")"
  if ! "$python" -m venv "$venv"; then
    echo "fidelity: '$python -m venv' failed; install the venv module (e.g. apt-get install python3-venv)" >&2
    exit 2
  fi
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "${pins[@]}"

echo "fidelity: replaying tests/fidelity/scenarios"
rm -f "$journal"
cargo build --quiet --release
if ! cargo run --quiet --release -- run tests/fidelity/scenarios --journal "$journal"; then
  echo "fidelity: the fidelity scenarios themselves failed (hookrig run exited non-zero)" >&2
  exit 1
fi

echo "fidelity: verifying every attempt in $journal with the providers' verifiers"
"$venv/bin/python" tests/fidelity/verify.py "$journal" --root "$root"
