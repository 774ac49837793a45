#!/bin/bash
# Builds staticpodd twice (release flags, then ASan+UBSan) and runs the whole
# test suite on each; the fuzz targets are built with libFuzzer and run
# briefly. Ends with one line: N passed, N failed[, N skipped].
set -uo pipefail
cd "$(dirname "$0")/.."
bash contrib/install-deps.sh || exit 1

passed=0 failed=0 skipped=0

tally() {	# build dir: adds meson's counts for its last run
	local results
	results=$(grep -o '"result": "[A-Z]*"' "$1/meson-logs/testlog.json")
	passed=$((passed + $(grep -c '"OK"' <<<"$results")))
	failed=$((failed + $(grep -Ec '"(FAIL|ERROR|TIMEOUT|UNEXPECTEDPASS)"' <<<"$results")))
	skipped=$((skipped + $(grep -c '"SKIP"' <<<"$results")))
}

run_suite() {	# build dir, meson test options, meson setup options...
	local dir=$1 test_args=$2
	shift 2
	if [ ! -d "$dir" ]; then
		meson setup "$dir" "$@" >/dev/null || { failed=$((failed + 1)); return; }
	fi
	if ! ninja -C "$dir" >/dev/null; then
		ninja -C "$dir" | tail -30
		failed=$((failed + 1))
		return
	fi
	# shellcheck disable=SC2086
	meson test -C "$dir" --print-errorlogs $test_args
	tally "$dir"
}

echo "== release build"
run_suite build ""
echo "== ASan+UBSan build"
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
run_suite build-sanitize "" -Db_sanitize=address,undefined -Db_lundef=false
echo "== libFuzzer build (fuzz suite only)"
CC=clang run_suite build-fuzz "--suite fuzz" -Dfuzzing=true \
	-Db_sanitize=address,undefined -Db_lundef=false

echo
if [ $skipped -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ $failed -eq 0 ]
