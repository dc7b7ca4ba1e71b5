#!/usr/bin/env bash
# Renders the HTML report of scenarios/ in headless Chromium and checks that the
# screenshot shows a page, not a blank or broken one: the PNG is 1280x2000, has many
# colours (text, boxes, anti-aliasing), is not all background, and shows timeline boxes
# in the 2xx and 5xx colours.
#
# Usage: tests/html/screenshot.sh [OUT_DIR]      (default: target/html-screenshot)
# Env:   HOOKRIG   the hookrig binary (default: cargo run --release --)
#        CHROMIUM  the browser (default: chromium, else chromium-browser)
# Needs: chromium (Debian: apt-get install -y chromium), python3.
set -euo pipefail
cd "$(dirname "$0")/../.."

out=${1:-target/html-screenshot}
mkdir -p "$out"
out=$(cd "$out" && pwd)
report="$out/report.html"
png="$out/report.png"
rm -f "$report" "$png"

chromium=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
if [ -z "$chromium" ]; then
    echo "screenshot.sh: chromium not found (apt-get install -y chromium)" >&2
    exit 3
fi

if [ -n "${HOOKRIG:-}" ]; then
    hookrig=("$HOOKRIG")
else
    hookrig=(cargo run --quiet --release --)
fi
status=0
"${hookrig[@]}" run scenarios --format junit --out "$out/junit.xml" --report "$report" || status=$?
if [ "$status" -gt 1 ] || [ ! -s "$report" ]; then
    echo "screenshot.sh: hookrig exited $status and wrote no report" >&2
    exit 1
fi

profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
if ! timeout 120 "$chromium" --headless --no-sandbox --disable-gpu \
    --disable-background-networking --disable-component-update --disable-sync \
    --no-first-run --user-data-dir="$profile" --hide-scrollbars \
    --screenshot="$png" --window-size=1280,2000 "file://$report" \
    >"$out/chromium.log" 2>&1; then
    echo "screenshot.sh: chromium failed:" >&2
    cat "$out/chromium.log" >&2
    exit 1
fi

python3 - "$png" <<'PY'
"""Reads the PNG with the standard library alone and judges it."""
import collections
import struct
import sys
import zlib

path = sys.argv[1]
data = open(path, "rb").read()
if data[:8] != b"\x89PNG\r\n\x1a\n":
    sys.exit(f"{path}: not a PNG")
pos, idat = 8, []
while pos < len(data):
    (n,) = struct.unpack(">I", data[pos : pos + 4])
    kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + n]
    pos += 12 + n
    if kind == b"IHDR":
        width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
    elif kind == b"IDAT":
        idat.append(body)
if (width, height) != (1280, 2000):
    sys.exit(f"{path}: {width}x{height}, expected 1280x2000")
if depth != 8 or colour not in (2, 6) or interlace:
    sys.exit(f"{path}: unexpected PNG format (depth {depth}, colour type {colour})")
bpp = 3 if colour == 2 else 4
stride = width * bpp
raw = zlib.decompress(b"".join(idat))

# Undo the per-row filters (PNG spec, section 9).
M7 = int.from_bytes(b"\x7f" * stride, "big")
M8 = int.from_bytes(b"\x80" * stride, "big")
prev = bytearray(stride)
rows = []
for y in range(height):
    f = raw[y * (stride + 1)]
    line = bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
    if f == 1:
        for i in range(bpp, stride):
            line[i] = (line[i] + line[i - bpp]) & 255
    elif f == 2:
        a, b = int.from_bytes(line, "big"), int.from_bytes(prev, "big")
        line = bytearray((((a & M7) + (b & M7)) ^ ((a ^ b) & M8)).to_bytes(stride, "big"))
    elif f == 3:
        for i in range(stride):
            left = line[i - bpp] if i >= bpp else 0
            line[i] = (line[i] + ((left + prev[i]) >> 1)) & 255
    elif f == 4:
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
            line[i] = (line[i] + pred) & 255
    elif f != 0:
        sys.exit(f"{path}: bad filter {f} on row {y}")
    rows.append(bytes(line))
    prev = line

pixels = collections.Counter()
for line in rows:
    pixels.update(line[i : i + 3] for i in range(0, stride, bpp))
total = width * height
background, bg_count = pixels.most_common(1)[0]


def near(rgb, tol=3):
    want = bytes.fromhex(rgb)
    return sum(n for px, n in pixels.items() if all(abs(px[k] - want[k]) <= tol for k in range(3)))


ok_px, server_px = near("1f883d"), near("cf222e")
print(
    f"{path}: {width}x{height}, {len(data)} bytes, {len(pixels)} colours, "
    f"background #{background.hex()} {100 * bg_count / total:.1f}%, "
    f"2xx-green {ok_px} px, 5xx-red {server_px} px"
)
problems = []
if len(pixels) < 64:
    problems.append(f"only {len(pixels)} colours: a blank or broken page")
if bg_count > 0.97 * total:
    problems.append("almost all background: nothing was drawn")
if ok_px < 1000:
    problems.append("no 2xx attempt boxes visible")
if server_px < 1000:
    problems.append("no 5xx attempt boxes visible")
if problems:
    sys.exit(f"{path}: " + "; ".join(problems))
PY
echo "screenshot.sh: ok ($png)"
