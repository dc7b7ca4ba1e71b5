#!/usr/bin/env bash
# hookrig emulate against the providers' own SDKs: LlamaCloud's llama-cloud and Extend's
# extend-ai, each pointed at the emulator's base URL (tests/emulate/sdk_test.py).
#
#   bash tests/emulate/run.sh
#
# Needs python3 (with venv + pip) and cargo. Creates or reuses a virtual environment in
# target/emulate-venv, installs the pinned SDKs, builds hookrig and runs the test.
# Environment: PYTHON (default python3), EMULATE_VENV (default target/emulate-venv).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"

python="${PYTHON:-python3}"
venv="${EMULATE_VENV:-target/emulate-venv}"

# The versions the emulators were written against (docs/emulate.md says which routes
# each calls).
pins=(
  "llama-cloud==2.19.0"
  "extend-ai==1.20.0"
)

if ! "$venv/bin/python" -c 'import sys' >/dev/null 2>&1; then
  echo "emulate: creating $venv"
  rm -rf "$venv"
  mkdir -p "$(dirname "$venv")"
  if ! "$python" -m venv "$venv"; then
    echo "emulate: '$python -m venv' failed; install the venv module (e.g. apt-get install python3-venv)" >&2
    exit 2
  fi
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "${pins[@]}"

cargo build --quiet --release --locked
# The SDKs read their keys from the environment at import; the test passes its own.
env -u LLAMA_CLOUD_API_KEY -u LLAMA_CLOUD_BASE_URL -u EXTEND_API_KEY \
  HOOKRIG="$root/target/release/hookrig" "$venv/bin/python" tests/emulate/sdk_test.py
