#!/usr/bin/env bash
# Live benchmarks, side by side in one run, with the ratios the targets are stated in.
#
#   bash benches/live.sh
#
# Installs oha (cargo install oha --locked) when it is missing, builds hookrig and the
# `live` bench binary in release mode, then:
#   1. receiver: oha against `hookrig receive`, a wiremock-rs MockServer and a bare axum
#      handler answering 200 — same body, same concurrency, same request count;
#   2. sender: hookrig's sender (signed llamacloud deliveries, every attempt journaled)
#      against the bare axum receiver, beside oha against the same receiver — on one
#      thread (as `hookrig send` runs) and on one single-thread runtime per core (as a
#      service embedding the sender would run it, and as oha runs: on every core);
#   3. the two HTTP clients alone (raw reqwest, raw hyper-util) against the same receiver;
#   4. schedule accuracy at time scale 1 (p50/p99 over 240 retries);
#   5. resident memory with 100,000 deliveries waiting to retry.
# Throughput figures are the median of ROUNDS interleaved rounds (default 5): on a shared
# 2-core machine one run can differ from the next by a third, and interleaving keeps a
# slow minute from landing on one side only. Every round's figures are printed too.
# Everything listens on 127.0.0.1 only; every loop is bounded.
set -euo pipefail
cd "$(dirname "$0")/.."

N="${N:-20000}"   # requests per oha run
C="${C:-50}"      # concurrency
ROUNDS="${ROUNDS:-5}"
BODY='{"event_id":"149744dd-9002-4411-a6c7-9635da372caa","event_type":"parse.success","timestamp":1753985275.1154444,"data":{"id":"a9a57884","job_id":"a9a57884"}}'

command -v oha >/dev/null 2>&1 || cargo install oha --locked
cargo build --release --locked --quiet
cargo bench --locked --bench live --no-run --quiet 2>/dev/null || cargo bench --locked --bench live --no-run
bench="$(ls -t target/release/deps/live-* | grep -v '\.d$' | head -n 1)"

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

wait_port() { for _ in $(seq 1 100); do (echo > "/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.05; done; echo "port $1 never opened" >&2; return 1; }

rate() { # URL -> requests per second
  oha -n "$N" -c "$C" -m POST -d "$BODY" -H 'Content-Type: application/json' --no-tui --output-format json "$1" \
    | python3 -c 'import json,sys; print("%.0f" % json.load(sys.stdin)["summary"]["requestsPerSec"])'
}

./target/release/hookrig receive --listen 127.0.0.1:18081 --quiet > /dev/null & pids+=($!)
"$bench" serve-wiremock 18082 > /dev/null & pids+=($!)
"$bench" serve-axum 18083 > /dev/null & pids+=($!)
wait_port 18081; wait_port 18082; wait_port 18083

median() { python3 -c 'import statistics,sys; print("%.0f" % statistics.median(float(x) for x in sys.argv[1:]))' "$@"; }
ratio() { python3 -c "print('%.2f' % ($1 / $2))"; }

rate http://127.0.0.1:18083/warmup > /dev/null
CORES="$(nproc)"
sender_rate() { # THREADS -> deliveries per second
  "$bench" sender http://127.0.0.1:18083/hooks "$N" "$C" "$1" | sed -E 's/.*= ([0-9]+) deliveries.*/\1/'
}
hs=(); ws=(); as=(); s1s=(); sns=(); os=()
for r in $(seq 1 "$ROUNDS"); do
  h=$(rate http://127.0.0.1:18081/hooks); w=$(rate http://127.0.0.1:18082/hooks); a=$(rate http://127.0.0.1:18083/hooks)
  s1=$(sender_rate 1); sn=$(sender_rate "$CORES")
  o=$(rate http://127.0.0.1:18083/hooks)
  echo "round $r: hookrig receive $h, wiremock-rs $w, bare axum $a req/s; sender $s1 (1 thread) / $sn ($CORES threads) deliveries/s, oha $o req/s"
  hs+=("$h"); ws+=("$w"); as+=("$a"); s1s+=("$s1"); sns+=("$sn"); os+=("$o")
done
hookrig=$(median "${hs[@]}"); wiremock=$(median "${ws[@]}"); axum=$(median "${as[@]}")
sender1=$(median "${s1s[@]}"); sender=$(median "${sns[@]}"); oha_axum=$(median "${os[@]}")

echo "receiver (oha, $N POSTs, concurrency $C, median of $ROUNDS rounds):"
echo "  hookrig receive  $hookrig req/s"
echo "  wiremock-rs      $wiremock req/s   -> hookrig / wiremock = $(ratio "$hookrig" "$wiremock") (target >= 3)"
echo "  bare axum        $axum req/s   -> hookrig / axum = $(ratio "$hookrig" "$axum") (target >= 0.70)"
echo "sender (signed llamacloud deliveries, every attempt journaled, $N per round, concurrency $C, median of $ROUNDS rounds):"
echo "  oha                           $oha_axum req/s against the same bare axum receiver (oha uses every core)"
echo "  hookrig sender, $CORES threads      $sender deliveries/s -> sender / oha = $(ratio "$sender" "$oha_axum") (target >= 0.70)"
echo "  hookrig sender, 1 thread      $sender1 deliveries/s -> sender / oha = $(ratio "$sender1" "$oha_axum") (as hookrig send runs)"
cl=()
for r in $(seq 1 "$ROUNDS"); do
  cl+=("$("$bench" clients http://127.0.0.1:18083/hooks "$N" "$C")")
done
printf '%s\n' "${cl[@]}" | python3 -c '
import re, statistics, sys
rows = [tuple(map(int, re.findall(r"(\d+) req/s", l))) for l in sys.stdin if "req/s" in l]
print("HTTP clients alone, no signing or journal (median of %d rounds): reqwest %d req/s, hyper-util %d req/s"
      % (len(rows), statistics.median(r[0] for r in rows), statistics.median(r[1] for r in rows)))'
"$bench" accuracy
"$bench" memory 100000
