#!/bin/bash
# Runs a libFuzzer target for a bounded time from the committed corpus;
# new inputs go to a temp dir, never into the tree.
set -u
exe=$1 corpus=$2 seconds=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$exe" -max_total_time="$seconds" -rss_limit_mb=1024 -max_len=65536 \
	-timeout=10 -print_final_stats=1 "$tmp" "$corpus"
