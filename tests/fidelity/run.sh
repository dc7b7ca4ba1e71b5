#!/usr/bin/env bash
# Fidelity check: requests hookrig produces (first attempts and retries) must verify with
# the providers' own published verifiers. See tests/fidelity/verify.py for what is checked.
#
#   bash tests/fidelity/run.sh
#
# Needs python3 (with venv + pip), node + npm, and cargo. Creates or reuses a virtual
# environment in target/fidelity-venv and an npm folder in target/fidelity-npm, installs
# the pinned verifier libraries, replays tests/fidelity/scenarios in sim mode with
# --journal, and verifies every attempt.
# Environment: PYTHON (default python3), FIDELITY_VENV (default target/fidelity-venv),
# FIDELITY_NPM (default target/fidelity-npm).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"

python="${PYTHON:-python3}"
venv="${FIDELITY_VENV:-target/fidelity-venv}"
journal="target/fidelity-journal.jsonl"

# The exact versions this check was written and run against. svix's Webhook delegates to
# standardwebhooks (verify.py says so); extend-ai ships Webhooks.verify; stripe ships
# Webhook.construct_event; slack-sdk ships SignatureVerifier.
pins=(
  "standardwebhooks==1.1.0"
  "svix==2.9.1"
  "extend-ai==1.20.0"
  "stripe==16.1.0"
  "slack-sdk==3.48.0"
  "PyYAML==6.0.3"
  # The Python example of docs/fixtures.md (tests/it/docs.rs runs it with pytest).
  "pytest==9.2.0"
  "flask==3.1.3"
  "time-machine==3.6.0"
)
# GitHub's X-Hub-Signature-256 is checked with Octokit's verifier (Node).
# The Node example of docs/fixtures.md uses the Standard Webhooks package.
npm_pins=("@octokit/webhooks-methods@6.0.0" "standardwebhooks@1.1.1")
npm_dir="${FIDELITY_NPM:-target/fidelity-npm}"


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

if ! command -v npm >/dev/null 2>&1 || ! command -v node >/dev/null 2>&1; then
  echo "fidelity: node and npm are needed for GitHub's verifier (e.g. apt-get install nodejs npm)" >&2
  exit 2
fi
mkdir -p "$npm_dir"
if [ ! -f "$npm_dir/package.json" ]; then
  echo '{"private": true, "type": "module"}' > "$npm_dir/package.json"
fi
npm install --silent --no-audit --no-fund --prefix "$npm_dir" "${npm_pins[@]}" >/dev/null
cp tests/fidelity/octokit-verify.mjs "$npm_dir/octokit-verify.mjs"
export FIDELITY_OCTOKIT="$npm_dir/octokit-verify.mjs"

echo "fidelity: replaying tests/fidelity/scenarios"
rm -f "$journal"
cargo build --quiet --release
if ! cargo run --quiet --release -- run tests/fidelity/scenarios --journal "$journal"; then
  echo "fidelity: the fidelity scenarios themselves failed (hookrig run exited non-zero)" >&2
  exit 1
fi

echo "fidelity: verifying every attempt in $journal with the providers' verifiers"
"$venv/bin/python" tests/fidelity/verify.py "$journal" --root "$root"
