#!/usr/bin/env bash
# Proves hookrig conform-sender and scenarios with `sender:` on the example senders: the
# correct one passes everything; each broken one fails exactly the checks
# expected-failures.txt lists for it.
#
#   bash examples/senders/run.sh
#
# Needs python3 (venv + pip) and cargo. Creates or reuses a virtual environment in
# target/senders-venv (SENDERS_VENV) with the pinned `standardwebhooks` library.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
here=examples/senders
venv="${SENDERS_VENV:-target/senders-venv}"
case "$venv" in /*) ;; *) venv="$root/$venv" ;; esac
if ! "$venv/bin/python" -c 'import standardwebhooks' >/dev/null 2>&1; then
  echo "senders: creating $venv"
  rm -rf "$venv"
  "${PYTHON:-python3}" -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "standardwebhooks==1.1.0"
fi
export PYTHON="$venv/bin/python"
hookrig="${HOOKRIG:-}"
if [ -z "$hookrig" ]; then
  cargo build --release --locked --quiet
  hookrig="${CARGO_TARGET_DIR:-target}/release/hookrig"
fi
secret=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
status=0
# Timing checks get 1 s of tolerance (not the default 250 ms): CI machines are loaded.

echo "== the example sender as a scenario with sender:"
"$hookrig" run "$here/scenario.yaml" || status=1

while IFS= read -r line; do
  case "$line" in '#'*|'') continue ;; esac
  script="${line%%:*}"
  want="$(echo "${line#*:}" | xargs -n1 | sort | xargs)"
  echo "== conform-sender on $script (must fail: ${want:-nothing})"
  set +e
  report="$("$hookrig" conform-sender --profile "$here/profile.yaml" --secret "$secret" \
    --trigger "cd $here && $PYTHON $script {url}" --tolerance 1s --format json)"
  code=$?
  set -e
  got="$(printf '%s' "$report" | "$PYTHON" -c 'import json,sys; r=json.load(sys.stdin); print(" ".join(sorted(c["id"] for c in r["checks"] if c["status"]=="fail")))')"
  want_code=1; [ -z "$want" ] && want_code=0
  if [ "$got" != "$want" ] || [ "$code" != "$want_code" ]; then
    echo "FAIL  $script: exit $code (wanted $want_code), failed [$got], wanted [$want]"
    printf '%s\n' "$report" | head -c 4000
    status=1
  else
    echo "ok    $script: exit $code, failed [${got}]"
  fi
done < "$here/expected-failures.txt"
exit $status
