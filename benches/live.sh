#!/usr/bin/env bash
# Live benchmarks, side by side in one run, with the ratios the targets are stated in.
#
#   bash benches/live.sh                 # every section
#   bash benches/live.sh receiver sustained   # only these (receiver, sustained, sender,
#                                             # clients, accuracy, memory)
#
# Installs oha (cargo install oha --locked) when it is missing, builds hookrig and the
# `live` bench binary in release mode, then:
#   receiver   oha against `hookrig receive` and a bare axum handler answering 200 — same
#              load generator, concurrency and request count, rounds interleaved — once
#              with the small body (a 156-byte parse.success) and once with a 1 KB body;
#              target: hookrig >= 0.90 of bare axum with each;
#   sustained  `hookrig receive` and a wiremock-rs MockServer, each a fresh process, under
#              successive oha rounds of SUSTAIN_N requests with the 1 KB body up to
#              SUSTAIN_TOTAL (default 1,000,000), rounds interleaved; the rate and the
#              server's resident memory after every round. wiremock-rs keeps every request,
#              so it slows and grows; target: hookrig's last round >= 0.90 of its first, its
#              memory flat. A wiremock-rs past SUSTAIN_MAX_RSS_MIB is stopped (and said so);
#   sender     hookrig's sender (signed llamacloud deliveries, every attempt journaled)
#              against the bare axum receiver, beside oha against the same receiver — on
#              one thread (as `hookrig send` runs) and on one single-thread runtime per core
#              (as a service embedding the sender would run it, and as oha runs);
#              oha sends what the sender sends: the same headers (a signed request the
#              bench builds, `live sample`; `--disable-compression`, so no accept-encoding
#              of oha's own) and a body of the same size, so the receiver and the kernel
#              do the same work for each; targets: sender / oha >= 0.90 on all cores,
#              >= 0.80 on one thread;
#   clients    the two HTTP clients alone (raw reqwest, raw hyper-util), same receiver;
#   accuracy   schedule accuracy at time scale 1 (p50/p99 over 240 retries; target p99 <= 1 ms);
#   memory     resident memory with 100,000 deliveries waiting to retry (target <= 128 MiB).
# Throughput figures are the median of ROUNDS interleaved rounds (default 5): on a shared
# 2-core machine one run can differ from the next by a third, and interleaving keeps a
# slow minute from landing on one side only. Every round's figures are printed too.
# Figures mean something only on a quiet machine (nothing else building or serving).
# A smoke run that only proves the script works:
#   N=2000 ROUNDS=1 SUSTAIN_N=5000 SUSTAIN_TOTAL=10000 bash benches/live.sh
# Everything listens on 127.0.0.1 only; every loop is bounded.
set -euo pipefail
cd "$(dirname "$0")/.."

N="${N:-20000}"   # requests per oha run
C="${C:-50}"      # concurrency
ROUNDS="${ROUNDS:-5}"
SUSTAIN_N="${SUSTAIN_N:-100000}"           # requests per sustained round
SUSTAIN_TOTAL="${SUSTAIN_TOTAL:-1000000}"  # requests per server over all sustained rounds
SUSTAIN_MAX_RSS_MIB="${SUSTAIN_MAX_RSS_MIB:-8192}"
SECTIONS="${*:-receiver sustained sender clients accuracy memory}"
BODY='{"event_id":"149744dd-9002-4411-a6c7-9635da372caa","event_type":"parse.success","timestamp":1753985275.1154444,"data":{"id":"a9a57884","job_id":"a9a57884"}}'

want() { [[ " $SECTIONS " == *" $1 "* ]]; }
for s in $SECTIONS; do
  case "$s" in receiver|sustained|sender|clients|accuracy|memory) ;; *) echo "unknown section: $s (receiver, sustained, sender, clients, accuracy, memory)" >&2; exit 2 ;; esac
done

command -v oha >/dev/null 2>&1 || cargo install oha --locked
cargo build --release --locked --quiet
cargo bench --locked --bench live --no-run --quiet 2>/dev/null || cargo bench --locked --bench live --no-run
bench="$(ls -t target/release/deps/live-* | grep -v '\.d$' | head -n 1)"

tmp="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT

# The 1 KB body: the same parse.success event with a longer job result, exactly 1024 bytes.
python3 - "$tmp/body-1k.json" <<'EOF'
import json, sys
e = {"event_id": "149744dd-9002-4411-a6c7-9635da372caa", "event_type": "parse.success",
     "timestamp": 1753985275.1154444, "data": {"id": "a9a57884", "job_id": "a9a57884", "text": ""}}
base = len(json.dumps(e, separators=(",", ":")))
e["data"]["text"] = ("Quarterly report, page 1. " * 64)[: 1024 - base]
s = json.dumps(e, separators=(",", ":"))
assert len(s) == 1024, len(s)
open(sys.argv[1], "w").write(s)
EOF
printf '%s' "$BODY" > "$tmp/body-small.json"

wait_port() { for _ in $(seq 1 100); do (echo > "/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.05; done; echo "port $1 never opened" >&2; return 1; }

rate() { # URL BODYFILE [REQUESTS] -> requests per second
  oha -n "${3:-$N}" -c "$C" -m POST -D "$2" -H 'Content-Type: application/json' --no-tui --output-format json "$1" \
    | python3 -c 'import json,sys; print("%.0f" % json.load(sys.stdin)["summary"]["requestsPerSec"])'
}
rss_mib() { awk '/^VmRSS:/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status" 2>/dev/null || echo 0; }
median() { python3 -c 'import statistics,sys; print("%.0f" % statistics.median(float(x) for x in sys.argv[1:]))' "$@"; }
ratio() { python3 -c "print('%.2f' % ($1 / $2))"; }
size() { wc -c < "$1" | tr -d ' '; }

"$bench" serve-axum 18083 > /dev/null & pids+=($!)
wait_port 18083
rate http://127.0.0.1:18083/warmup "$tmp/body-small.json" > /dev/null

if want receiver; then
  ./target/release/hookrig receive --listen 127.0.0.1:18081 --quiet > /dev/null & hookrig_pid=$!; pids+=($hookrig_pid)
  wait_port 18081
  rate http://127.0.0.1:18081/warmup "$tmp/body-small.json" > /dev/null
  echo "receiver (oha, $N POSTs per run, concurrency $C, median of $ROUNDS interleaved rounds):"
  for kind in small 1k; do
    body="$tmp/body-$kind.json"
    hs=(); as=()
    for r in $(seq 1 "$ROUNDS"); do
      h=$(rate http://127.0.0.1:18081/hooks "$body"); a=$(rate http://127.0.0.1:18083/hooks "$body")
      echo "  round $r, $(size "$body")-byte body: hookrig receive $h, bare axum $a req/s"
      hs+=("$h"); as+=("$a")
    done
    hookrig=$(median "${hs[@]}"); axum=$(median "${as[@]}")
    echo "  $(size "$body")-byte body: hookrig receive $hookrig req/s, bare axum $axum req/s -> hookrig / axum = $(ratio "$hookrig" "$axum") (target >= 0.90)"
  done
  echo "  hookrig receive resident memory after the runs: $(rss_mib "$hookrig_pid") MiB"
  kill "$hookrig_pid" 2>/dev/null || true
fi

if want sustained; then
  body="$tmp/body-1k.json"
  rounds=$(( (SUSTAIN_TOTAL + SUSTAIN_N - 1) / SUSTAIN_N ))
  ./target/release/hookrig receive --listen 127.0.0.1:18084 --quiet > /dev/null & hookrig_pid=$!; pids+=($hookrig_pid)
  "$bench" serve-wiremock 18082 > /dev/null & wiremock_pid=$!; pids+=($wiremock_pid)
  wait_port 18084; wait_port 18082
  echo "sustained ($rounds rounds of $SUSTAIN_N POSTs with the $(size "$body")-byte body, concurrency $C, each server a fresh process; rate and resident memory after each round):"
  printf '  %5s %9s | %14s %8s | %14s %8s\n' round requests "hookrig req/s" "RSS MiB" "wiremock req/s" "RSS MiB"
  hr=(); wr=(); hm=(); wm=(); wiremock_on=1
  for r in $(seq 1 "$rounds"); do
    h=$(rate http://127.0.0.1:18084/hooks "$body" "$SUSTAIN_N"); hmem=$(rss_mib "$hookrig_pid")
    hr+=("$h"); hm+=("$hmem")
    w="-"; wmem="-"
    if [ "$wiremock_on" = 1 ]; then
      w=$(rate http://127.0.0.1:18082/hooks "$body" "$SUSTAIN_N"); wmem=$(rss_mib "$wiremock_pid")
      wr+=("$w"); wm+=("$wmem")
      if [ "$wmem" -gt "$SUSTAIN_MAX_RSS_MIB" ]; then
        wiremock_on=0; kill "$wiremock_pid" 2>/dev/null || true
        echo "  (wiremock-rs stopped after round $r: $wmem MiB resident is over SUSTAIN_MAX_RSS_MIB=$SUSTAIN_MAX_RSS_MIB)"
      fi
    fi
    printf '  %5s %9s | %14s %8s | %14s %8s\n' "$r" "$((r * SUSTAIN_N))" "$h" "$hmem" "$w" "$wmem"
  done
  summary() { # NAME REQUESTS-PER-ROUND RATES… -- RSS…
    python3 - "$@" <<'EOF'
import sys
name, per, rest = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
cut = rest.index("--")
rates, rss = [float(x) for x in rest[:cut]], [float(x) for x in rest[cut + 1:]]
print("  %-11s %d requests: first round %.0f req/s, last %.0f req/s (last / first = %.2f); resident %.0f MiB after the first round, %.0f MiB at most"
      % (name, per * len(rates), rates[0], rates[-1], rates[-1] / rates[0], rss[0], max(rss)))
EOF
  }
  summary hookrig "$SUSTAIN_N" "${hr[@]}" -- "${hm[@]}"
  summary wiremock-rs "$SUSTAIN_N" "${wr[@]}" -- "${wm[@]}"
  echo "  target: hookrig's last round >= 0.90 of its first, its memory flat (wiremock-rs keeps every request)"
  kill "$hookrig_pid" "$wiremock_pid" 2>/dev/null || true
fi

CORES="$(nproc)"
if want sender; then
  sender_rate() { # THREADS -> deliveries per second
    "$bench" sender http://127.0.0.1:18083/hooks "$N" "$C" "$1" | sed -E 's/.*= ([0-9]+) deliveries.*/\1/'
  }
  # oha with the sender's request: its headers (8 on the wire with accept, host and
  # content-length, as the sender's) and its body.
  "$bench" sample "$tmp/sender-request"
  as_sender=(--disable-compression)
  while IFS= read -r h; do as_sender+=(-H "$h"); done < "$tmp/sender-request/headers"
  oha_as_sender() {
    oha -n "$N" -c "$C" -m POST -D "$tmp/sender-request/body" "${as_sender[@]}" --no-tui --output-format json http://127.0.0.1:18083/hooks \
      | python3 -c 'import json,sys; print("%.0f" % json.load(sys.stdin)["summary"]["requestsPerSec"])'
  }
  echo "sender: oha sends the sender's request, $(size "$tmp/sender-request/body")-byte body, headers: $(cut -d: -f1 "$tmp/sender-request/headers" | paste -sd, -)"
  s1s=(); sns=(); os=()
  for r in $(seq 1 "$ROUNDS"); do
    s1=$(sender_rate 1); sn=$(sender_rate "$CORES"); o=$(oha_as_sender)
    echo "round $r: sender $s1 (1 thread) / $sn ($CORES threads) deliveries/s, oha $o req/s"
    s1s+=("$s1"); sns+=("$sn"); os+=("$o")
  done
  sender1=$(median "${s1s[@]}"); sender=$(median "${sns[@]}"); oha_axum=$(median "${os[@]}")
  echo "sender (signed llamacloud deliveries, every attempt journaled, $N per round, concurrency $C, median of $ROUNDS rounds):"
  echo "  oha                           $oha_axum req/s against the same bare axum receiver, the sender's headers and body (oha uses every core)"
  echo "  hookrig sender, $CORES threads      $sender deliveries/s -> sender / oha = $(ratio "$sender" "$oha_axum") (target >= 0.90)"
  echo "  hookrig sender, 1 thread      $sender1 deliveries/s -> sender / oha = $(ratio "$sender1" "$oha_axum") (as hookrig send runs; target >= 0.80)"
fi

if want clients; then
  cl=()
  for r in $(seq 1 "$ROUNDS"); do
    cl+=("$("$bench" clients http://127.0.0.1:18083/hooks "$N" "$C")")
  done
  printf '%s\n' "${cl[@]}" | python3 -c '
import re, statistics, sys
rows = [tuple(map(int, re.findall(r"(\d+) req/s", l))) for l in sys.stdin if "req/s" in l]
print("HTTP clients alone, no signing or journal (median of %d rounds): reqwest %d req/s, hyper-util %d req/s"
      % (len(rows), statistics.median(r[0] for r in rows), statistics.median(r[1] for r in rows)))'
fi
if want accuracy; then "$bench" accuracy; fi
if want memory; then "$bench" memory 100000; fi
