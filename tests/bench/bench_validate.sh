#!/bin/bash
# validate_throughput: manifests per second for `staticpodd validate` on a
# directory of generated manifests, side by side with a bare libyaml event
# scan of the same files (bench_yaml_scan). The two alternate, round by
# round and in turned order (ABBA), so that both see the same machine; the
# numbers are medians, and the ratio of the two is what compares across
# machines. Target: validate within 2x of the scan.
#
# A benchmark, not a test: it exits 1 only when a run fails (a manifest
# that does not validate would make the numbers meaningless), never because
# a number is high.
#
# usage: bench_validate.sh [-n count] [-r rounds] [-s seed] [-k dir]
#            STATICPODD GEN_MANIFESTS BENCH_YAML_SCAN
#   -n  manifests to generate (2000)
#   -r  rounds of one validate and one scan each (9, at least 1)
#   -s  generator seed (1); the same seed writes the same bytes
#   -k  write the manifests into dir (which must not exist) and keep them,
#       to profile or rerun on the same files
set -u
export LC_ALL=C	# a decimal point in every number read or printed

COUNT_DEFAULT=2000
COUNT_MAX=10000		# validate reads at most this many files a run
ROUNDS_DEFAULT=9
TARGET_RATIO=2.0
NODE=bench-node

usage() {
	echo "usage: bench_validate.sh [-n count] [-r rounds] [-s seed]" \
	    "[-k dir] STATICPODD GEN_MANIFESTS BENCH_YAML_SCAN" >&2
	exit 2
}

count=$COUNT_DEFAULT rounds=$ROUNDS_DEFAULT seed=1 keep=
while getopts n:r:s:k: opt; do
	case $opt in
	n) count=$OPTARG ;;
	r) rounds=$OPTARG ;;
	s) seed=$OPTARG ;;
	k) keep=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 3 ] || usage
case $count.$rounds.$seed in *[!0-9.]* | .* | *..* | *.) usage ;; esac
[ "$count" -ge 1 ] && [ "$count" -le "$COUNT_MAX" ] && [ "$rounds" -ge 1 ] ||
    usage
staticpodd=$1 gen=$2 scan=$3

scratch=$(mktemp -d) || exit 1
trap 'rm -rf "$scratch"' EXIT
if [ -n "$keep" ]; then
	dir=$keep
	mkdir "$dir" || exit 1
else
	dir=$scratch/manifests
	mkdir "$dir" || exit 1
fi

fail() {
	echo "validate_throughput: $*" >&2
	[ -s "$scratch/err" ] && head -n 20 "$scratch/err" >&2
	exit 1
}

# Each run's wall, user and system seconds, from bash's own clock. CPU time
# (user + system) is printed beside the wall time: it moves far less than
# wall time when other work shares the machine.
timed() {
	local TIMEFORMAT='%3R %3U %3S'

	{ time "$@"; } 2>"$scratch/time"
	read -r real user sys <"$scratch/time" || fail "cannot time $1"
	cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.3f", u + s }')
}

run_validate() {
	"$staticpodd" validate --node-name "$NODE" -o none "$dir" \
	    >/dev/null 2>"$scratch/err" || fail "validate failed"
}

run_scan() {
	"$scan" "${files[@]}" >"$scratch/scan.out" 2>"$scratch/err" ||
	    fail "bench_yaml_scan failed"
}

median() {
	printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 }
	    END { print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

"$gen" -n "$count" -s "$seed" "$dir" 2>"$scratch/err" ||
    fail "gen_manifests failed"
files=("$dir"/*)
[ "${#files[@]}" -eq "$count" ] ||
    fail "generated ${#files[@]} files, not $count"
nyaml=$(printf '%s\n' "${files[@]}" | grep -c '\.yaml$')
bytes=$(cat "${files[@]}" | wc -c)

# Untimed: every manifest must be valid and counted, and the page cache
# warm for both programs.
"$staticpodd" validate --node-name "$NODE" -o name "$dir" \
    >"$scratch/names" 2>"$scratch/err" ||
    fail "the generated manifests do not all validate"
[ "$(wc -l <"$scratch/names")" -eq "$count" ] ||
    fail "validate named $(wc -l <"$scratch/names") pods, not $count"
run_scan
events=$(awk '{ print $5 }' "$scratch/scan.out")

# Turned order each round (validate first, then scan first), so a machine
# that speeds up or slows down over the run favours neither.
vw=() vc=() sw=() sc=() ratios=()
for ((r = 0; r < rounds; r++)); do
	if ((r % 2 == 0)); then
		timed run_validate; vw+=("$real") vc+=("$cpu")
		timed run_scan; sw+=("$real") sc+=("$cpu")
	else
		timed run_scan; sw+=("$real") sc+=("$cpu")
		timed run_validate; vw+=("$real") vc+=("$cpu")
	fi
	ratios+=("$(awk -v v="${vw[r]}" -v s="${sw[r]}" \
	    'BEGIN { printf "%.3f", (s > 0 ? v / s : 0) }')")
done

# Peak RSS in runs of their own, so the timed runs carry no wrapper.
vrss=n/a srss=n/a
if [ -x /usr/bin/time ]; then
	/usr/bin/time -f %M -o "$scratch/rss" "$staticpodd" validate \
	    --node-name "$NODE" -o none "$dir" >/dev/null 2>"$scratch/err" &&
	    vrss="$(tail -n 1 "$scratch/rss") KiB"
	/usr/bin/time -f %M -o "$scratch/rss" "$scan" "${files[@]}" \
	    >/dev/null 2>"$scratch/err" && srss="$(tail -n 1 "$scratch/rss") KiB"
else
	vrss="n/a (/usr/bin/time is not installed: apt-get install time)"
fi

sorted=($(printf '%s\n' "${ratios[@]}" | sort -n))
awk -v n="$count" -v ny="$nyaml" -v bytes="$bytes" -v ev="$events" \
    -v seed="$seed" -v rounds="$rounds" -v target="$TARGET_RATIO" \
    -v vw="$(median "${vw[@]}")" -v vc="$(median "${vc[@]}")" \
    -v sw="$(median "${sw[@]}")" -v sc="$(median "${sc[@]}")" \
    -v rmed="$(median "${ratios[@]}")" -v rmin="${sorted[0]}" \
    -v rmax="${sorted[rounds - 1]}" -v vrss="$vrss" -v srss="$srss" \
    -v vall="${vw[*]}" -v sall="${sw[*]}" '
function row(name, wall, cpu) {
	printf "  %-20s %9.1f %12.0f %8.1f %9.1f\n", name, wall * 1000,
	    n / wall, bytes / 1048576 / wall, cpu * 1000
}
BEGIN {
	if (vw <= 0 || sw <= 0) {
		print "validate_throughput: runs too short to time; raise -n"
		exit 1
	}
	printf "validate_throughput: %d manifests (%d YAML, %d JSON; %.2f MiB, " \
	    "%d libyaml events), seed %d, %d rounds\n", n, ny, n - ny,
	    bytes / 1048576, ev, seed, rounds
	printf "  %-20s %9s %12s %8s %9s\n", "median of the rounds", "wall ms",
	    "manifests/s", "MiB/s", "cpu ms"
	row("staticpodd validate", vw, vc)
	row("libyaml event scan", sw, sc)
	printf "  ratio validate/scan: %.2f (median of the per-round ratios, " \
	    "%.2f .. %.2f); medians: wall %.2f, cpu %.2f\n", rmed, rmin, rmax,
	    vw / sw, vc / sc
	printf "  target validate <= %.1fx scan: %s\n", target,
	    rmed <= target ? "met" : "missed"
	printf "  peak RSS: validate %s, scan %s\n", vrss, srss
	printf "  wall s by round: validate %s; scan %s\n", vall, sall
}'
