#!/usr/bin/env bash
# Throughput / memory benchmark: iotscope vs ndpiReader vs tshark on one large capture.
#
# usage: bench/run.sh [INPUT.pcap [IOTSCOPE_BIN]]
#   INPUT.pcap    default bench/work/bench.pcap (built at 300 MB with ../shared/tools/build-bench-input.sh if missing)
#   IOTSCOPE_BIN  default target/release/iotscope
# environment (optional):
#   BENCH_RUNS=3                       repetitions per tool (best wall time is kept)
#   BENCH_BY=ip|flow                   iotscope `flows --by`; tshark uses conv,ip or conv,tcp+conv,udp to match
#   BENCH_TOOLS="cat iotscope1 iotscope2 iotscope1p iotscope2p report1 report2 ndpiReader tshark"
#                                      subset/order of tools to run (iotscope*p: --all-parsers;
#                                      report*: `iotscope report --format json`)
#                                      (cat: reading the file alone, the floor any reader pays)
#
# A measurement, not a test: prints PASS/MISS against the targets but exits 0 whatever the figures.
# Exits 2 on a missing prerequisite, 1 if a measured tool itself fails.
set -euo pipefail

# Resolve the user's paths against the caller's directory before moving to the repo root.
input_arg=${1:-}; bin_arg=${2:-}
if [[ -n "$input_arg" ]]; then input_arg=$(realpath -m -- "$input_arg"); fi
if [[ -n "$bin_arg" ]]; then bin_arg=$(realpath -m -- "$bin_arg"); fi
cd "$(dirname "$0")/.."
repo=$(pwd)

input=${input_arg:-$repo/bench/work/bench.pcap}
bin=${bin_arg:-$repo/target/release/iotscope}
runs=${BENCH_RUNS:-3}
by=${BENCH_BY:-ip}
tools=${BENCH_TOOLS:-cat iotscope1 iotscope2 iotscope1p iotscope2p report1 report2 ndpiReader tshark}
builder=$repo/../shared/tools/build-bench-input.sh

die() { echo "error: $*" >&2; exit 2; }

# --- prerequisites -----------------------------------------------------------------------------
if [[ ! -x /usr/bin/time ]]; then
  echo "error: /usr/bin/time (GNU time) is missing; it measures peak RSS." >&2
  echo "       install it with:  sudo apt-get install time" >&2
  exit 2
fi
command -v capinfos >/dev/null || die "capinfos missing (install: sudo apt-get install wireshark-common)"
case "$by" in ip|flow) ;; *) die "BENCH_BY must be ip or flow, not '$by'";; esac
if [[ " $tools " == *" iotscope"* && ! -x "$bin" ]]; then
  echo "error: iotscope binary not found: $bin" >&2
  echo "       build it first:  cargo build --release   (in $repo)" >&2
  exit 2
fi
if [[ ! -f "$input" ]]; then
  if [[ -z "$input_arg" ]]; then
    [[ -x "$builder" || -f "$builder" ]] || die "input $input missing and builder $builder not found"
    mkdir -p "$(dirname "$input")"
    echo "building benchmark input $input (300 MB) ..."
    bash "$builder" "$input" 300
  else
    die "input file not found: $input"
  fi
fi

tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

# Every tool reads the file from the page cache, as it is cached after a read from disk. A file
# just written (by the input builder, say) is cached in the small pieces it was written in, and
# reading it costs more in the kernel: on the 2-core machine of bench/README.md, `flows` took
# 0.057 s on the builder's fresh file and 0.039 s once it had been dropped from the cache and
# read again; ndpiReader 0.199 s both ways. So the file's pages are dropped (GNU dd's `nocache`
# flag with no data asks the kernel to; pages not yet written to disk are not dropped, so the
# file is synced first) and read again once, before any tool runs.
sync -- "$input" 2>/dev/null || sync
if ! dd if="$input" iflag=nocache count=0 status=none; then
  echo "warning: could not drop $input from the page cache; figures may differ from bench/README.md" >&2
fi
cat "$input" > /dev/null

packets=$(capinfos -c -M -T -r "$input" | cut -f2)
bytes=$(stat -L -c %s "$input")
[[ "$packets" =~ ^[0-9]+$ && "$packets" -gt 0 ]] || die "could not count packets in $input (got '$packets')"

if [[ "$by" == ip ]]; then tshark_z=(-z conv,ip); else tshark_z=(-z conv,tcp -z conv,udp); fi

# Command line per tool (stdout always goes to /dev/null).
tool_cmd() {
  case "$1" in
    iotscope1)  cmd=("$bin" flows --by "$by" --threads 1 "$input") ;;
    iotscope2)  cmd=("$bin" flows --by "$by" --threads 2 "$input") ;;
    # The same with every application parser run to the end (DNS, TLS, HTTP, certificates...).
    iotscope1p) cmd=("$bin" flows --by "$by" --all-parsers --threads 1 "$input") ;;
    iotscope2p) cmd=("$bin" flows --by "$by" --all-parsers --threads 2 "$input") ;;
    # The whole assessment (every parser, analysis, findings), written as JSON.
    report1)    cmd=("$bin" report --threads 1 --quiet --format json "$input") ;;
    report2)    cmd=("$bin" report --threads 2 --quiet --format json "$input") ;;
    # -q: full DPI, no result printing. -n is ignored for pcap files in nDPI 4.2 (always 1 thread).
    ndpiReader) cmd=(ndpiReader -i "$input" -q) ;;
    tshark)     cmd=(tshark -n -q "${tshark_z[@]}" -r "$input") ;;
    # The floor: only reading the file from the page cache, no work at all.
    cat)        cmd=(cat "$input") ;;
    *) die "unknown tool '$1' in BENCH_TOOLS" ;;
  esac
}

echo "== iotscope benchmark  $(date -u '+%Y-%m-%d %H:%M:%SZ')  host $(hostname)  cpus $(nproc)"
echo "input   $input"
echo "        $packets packets, $bytes bytes ($(awk -v b="$bytes" 'BEGIN{printf "%.1f", b/1e6}') MB)"
echo "by      $by   runs per tool: $runs (best wall kept; RSS = max over runs)"
echo

declare -A wall rss failed
status=0
for t in $tools; do
  tool_cmd "$t"
  if ! command -v "${cmd[0]}" >/dev/null; then
    echo "$t: ${cmd[0]} not found, skipped"; continue
  fi
  cat "$input" > /dev/null   # warm the page cache
  printf '%-11s %s\n' "$t" "${cmd[*]}"
  best=; maxrss=0; all=()
  for ((i = 1; i <= runs; i++)); do
    # Wall time from bash's microsecond clock (GNU time's %e only has 10 ms resolution,
    # too coarse for sub-second runs); peak RSS (KiB) from GNU time's %M.
    t0=$EPOCHREALTIME
    if ! /usr/bin/time -o "$tmp/time" -f '%e %M' "${cmd[@]}" > /dev/null 2> "$tmp/stderr"; then
      echo "  run $i FAILED; stderr tail:"; tail -5 "$tmp/stderr" | sed 's/^/    /'
      failed[$t]=1; status=1; break
    fi
    t1=$EPOCHREALTIME
    read -r e m < <(tail -1 "$tmp/time")
    w=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.4f", b-a}')
    all+=("$w")
    printf '  run %d: wall %8.4f s  (time %%e %s s)  peak RSS %8.1f MiB\n' "$i" "$w" "$e" "$(awk -v k="$m" 'BEGIN{print k/1024}')"
    if [[ -z "$best" ]] || awk -v a="$w" -v b="$best" 'BEGIN{exit !(a<b)}'; then best=$w; fi
    if (( m > maxrss )); then maxrss=$m; fi
  done
  if [[ -z "${failed[$t]:-}" ]]; then
    wall[$t]=$best; rss[$t]=$maxrss
    echo "  all: ${all[*]}  best: $best s"
  fi
done

# --- table -------------------------------------------------------------------------------------
echo
printf '%-11s %9s %14s %10s %13s\n' tool "wall s" "packets/s" "MB/s" "peak RSS MiB"
for t in $tools; do
  if [[ -n "${wall[$t]:-}" ]]; then
    awk -v t="$t" -v w="${wall[$t]}" -v p="$packets" -v b="$bytes" -v r="${rss[$t]}" \
      'BEGIN{printf "%-11s %9.4f %14.0f %10.1f %13.1f\n", t, w, p/w, b/1e6/w, r/1024}'
  else
    if [[ -n "${failed[$t]:-}" ]]; then printf '%-11s %9s\n' "$t" FAILED; else printf '%-11s %9s\n' "$t" n/a; fi
  fi
done

# --- ratios ------------------------------------------------------------------------------------
# ratio NAME NUM DEN OP TARGET : NUM/DEN are "speed" (1/wall) or "rss" of a tool; OP is >= or <= or info
ratio() {
  local name=$1 kind=$2 a=$3 b=$4 op=$5 target=${6:-}
  if [[ -z "${wall[$a]:-}" || -z "${wall[$b]:-}" ]]; then
    printf '  %-42s %8s\n' "$name" "n/a"; return
  fi
  local va vb
  if [[ $kind == speed ]]; then va=${wall[$b]}; vb=${wall[$a]}; else va=${rss[$a]}; vb=${rss[$b]}; fi
  awk -v n="$name" -v x="$va" -v y="$vb" -v op="$op" -v tg="$target" 'BEGIN{
    r = x / y; v = "";
    if (op == ">=") v = (r >= tg) ? "PASS" : "MISS";
    if (op == "<=") v = (r <= tg) ? "PASS" : "MISS";
    if (op == "info") printf "  %-42s %8.2f\n", n, r;
    else printf "  %-42s %8.2f   target %s %s   %s\n", n, r, op, tg, v }'
}
echo
echo "ratios"
ratio "iotscope 1-thread pps / ndpiReader pps"  speed iotscope1 ndpiReader ">=" 5
ratio "iotscope 2-thread pps / 1-thread pps"    speed iotscope2 iotscope1  ">=" 1.7
ratio "all parsers, 1-thread / ndpiReader pps"   speed iotscope1p ndpiReader ">=" 4
ratio "all parsers, 2-thread / 1-thread pps"     speed iotscope2p iotscope1p info
ratio "report, 1-thread / ndpiReader pps"        speed report1 ndpiReader ">=" 3
ratio "report, 2-thread / 1-thread pps"         speed report2 report1    info
ratio "iotscope 1-thread pps / tshark pps"      speed iotscope1 tshark     info
ratio "reading the file alone (cat) / ndpiReader" speed cat ndpiReader      info
ratio "iotscope 1-thread RSS / ndpiReader RSS"  rss   iotscope1 ndpiReader "<=" 1
ratio "iotscope 2-thread RSS / ndpiReader RSS"  rss   iotscope2 ndpiReader "<=" 1
ratio "report 1-thread RSS / ndpiReader RSS"    rss   report1 ndpiReader   info

exit "$status"
