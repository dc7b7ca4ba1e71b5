#!/usr/bin/env bash
# The suite benchmark of docs/benchmarks.md ("Suites"): builds a folder of N scenario files
# (default 10,000) from the shipped ones, copied round after round with " copy K" added
# to each name (names are unique in a run), then times `hookrig run DIR --format json` and
# `hookrig validate DIR` with /usr/bin/time: wall s, user s, sys s, peak RSS KB.
#
#   bash benches/suite.sh [DIR]        N=… to change the count, BIN=… another binary,
#                                      ROUNDS=… (default 3) runs of each
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-10000}
DIR=${1:-${TMPDIR:-/tmp}/hookrig-suite-$N}
BIN=${BIN:-target/release/hookrig}
ROUNDS=${ROUNDS:-3}
[ -x "$BIN" ] || cargo build --release
rm -rf "$DIR"
python3 - "$N" "$DIR" <<'PY'
import glob, os, re, sys
n, out = int(sys.argv[1]), sys.argv[2]
src = sorted(glob.glob("scenarios/**/*.yaml", recursive=True))
made, k = 0, 0
while made < n:
    for f in src:
        if made == n:
            break
        text = open(f).read()
        def named(m):
            v = m.group(1)
            if v[0] in "\"'":
                return "name: " + v[:-1] + " copy %d" % k + v[-1]
            return "name: " + v + " copy %d" % k
        text = re.sub(r"^name: (.*)$", named, text, count=1, flags=re.M)
        d = os.path.join(out, "c%03d" % k, os.path.dirname(f))
        os.makedirs(d, exist_ok=True)
        open(os.path.join(d, os.path.basename(f)), "w").write(text)
        made += 1
    k += 1
PY
echo "$N scenario files in $DIR; wall s, user s, sys s, peak RSS KB:"
for _ in $(seq "$ROUNDS"); do
  /usr/bin/time -f "run --format json  %e %U %S %M" "$BIN" run "$DIR" --format json >/dev/null
  /usr/bin/time -f "validate           %e %U %S %M" "$BIN" validate "$DIR" >/dev/null
done
