#!/bin/bash
# The directory source, end to end through the real daemon: a temp manifest
# directory (0700, files root:root 0600) and the runtime's log as the
# record of what it decided. Needs root (CI runs as root).
set -u
staticpodd=$1
if [ "$(id -u)" != 0 ]; then
	echo "1..0 # SKIP the daemon must start as root (CI runs as root)"
	exit 77
fi
tmp=$(mktemp -d)
dir=$tmp/manifests
log=$tmp/log
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
n=0 failed=0
ok() {	# name, status, diagnostic
	n=$((n + 1))
	if [ "$2" -eq 0 ]; then
		echo "ok $n - $1"
	else
		echo "not ok $n - $1"
		sed 's/^/# /' <<<"$3" | tail -20
		failed=$((failed + 1))
	fi
}

pod() {	# name [image] -> a manifest on stdout
	printf 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: %s\nspec:\n  containers:\n  - name: c\n    image: %s\n' "$1" "${2:-busybox:1.36}"
}

put() {	# file name [image]: written aside, then renamed in, root 0600
	pod "$2" "${3:-}" >"$tmp/.new"
	chmod 600 "$tmp/.new"
	mv "$tmp/.new" "$dir/$1"
}

# Waits until the log has $2 lines matching $1 (default 1), at most $3
# seconds (default 10; sanitizer builds are several times slower).
wait_for() {
	local want=$1 count=${2:-1} limit=${3:-10} i
	for i in $(seq $((limit * 20))); do
		[ "$(grep -c -- "$want" "$log")" -ge "$count" ] && return 0
		sleep 0.05
	done
	return 1
}

count() { grep -c -- "$1" "$log"; }

mkdir -m 700 "$dir"
put a.yaml a
"$staticpodd" --pod-manifest-path "$dir" --state-dir "$tmp/state" \
	--run-dir "$tmp/run" --hostname-override node1 \
	--file-check-frequency 1s >"$log" 2>&1 &
pid=$!

wait_for "pod default/a-node1 (uid [0-9a-f]*) desired from directory a.yaml"
ok dir_initial_file_is_desired $? "$(cat "$log")"
wait_for "directory fetcher: first complete view received"
ok dir_first_complete_view_is_reported $? "$(cat "$log")"

put b.yaml b
wait_for "pod default/b-node1 .* desired from directory b.yaml"
ok dir_atomic_rename_is_picked_up $? "$(cat "$log")"

uid1=$(grep -o "a-node1 (uid [0-9a-f]*)" "$log" | head -1)
pod a busybox:1.37 >"$dir/a.yaml"
wait_for "pod default/a-node1 .* desired from directory a.yaml" 2
uid2=$(grep -o "a-node1 (uid [0-9a-f]*)" "$log" | tail -1)
[ "$uid1" != "$uid2" ]
ok dir_edit_in_place_is_a_new_uid $? "$uid1 / $uid2"

rm "$dir/b.yaml"
wait_for "pod default/b-node1 .* from directory b.yaml is no longer desired"
ok dir_delete_removes_the_pod $? "$(cat "$log")"

mv "$dir/a.yaml" "$tmp/a.yaml"
wait_for "pod default/a-node1 .* from directory a.yaml is no longer desired"
r1=$?
mv "$tmp/a.yaml" "$dir/a.yaml"
wait_for "pod default/a-node1 .* desired from directory a.yaml" 3
[ $r1 -eq 0 ] && [ $? -eq 0 ]
ok dir_rename_away_and_back $? "$(cat "$log")"

before=$(count "desired from directory")
put .hidden.yaml hidden
put c.yaml.bak bak
put c.yaml~ tilde
put .c.yaml.swp swp
put 4913 vim
put '#c.yaml#' emacs
sleep 2.5	# two re-lists
[ "$(count "desired from directory")" -eq "$before" ] && ! grep -qE "hidden|bak|tilde|swp|vim|emacs" "$log"
ok dir_ignores_dotfiles_and_editor_leftovers $? "$(cat "$log")"

mkfifo -m 600 "$dir/fifo.yaml"
wait_for "fifo.yaml: skipped: a FIFO"
r1=$?
put d.yaml d
wait_for "pod default/d-node1 .* desired from directory d.yaml"
[ $r1 -eq 0 ] && [ $? -eq 0 ]
ok dir_skips_a_fifo_and_keeps_serving $? "$(cat "$log")"

ln -s a.yaml "$dir/link.yaml"
wait_for "link.yaml: skipped: a symbolic link"
ok dir_skips_a_symlink $? "$(cat "$log")"

mkdir "$dir/sub.yaml"
wait_for "sub.yaml: skipped: a directory"
ok dir_skips_a_subdirectory $? "$(cat "$log")"

head -c $((50 * 1024 * 1024)) /dev/zero >"$tmp/big" && chmod 600 "$tmp/big" && mv "$tmp/big" "$dir/big.yaml"
wait_for "big.yaml: skipped: 52428800 bytes, over the limit of 1048576"
ok dir_refuses_a_50_mib_file $? "$(cat "$log")"
rm -f "$dir/big.yaml"

put world.yaml world
chmod 666 "$dir/world.yaml"
wait_for "world.yaml: skipped: mode 0666 lets others write it"
ok dir_refuses_a_world_writable_file $? "$(cat "$log")"
put other.yaml other
chown 1000:1000 "$dir/other.yaml"
wait_for "other.yaml: skipped: owned by uid 1000, not root"
ok dir_refuses_a_file_not_owned_by_root $? "$(cat "$log")"
rm -f "$dir/world.yaml" "$dir/other.yaml"

put dup.yaml d
wait_for "pod default/d-node1 from directory dup.yaml is refused: directory d.yaml already defines it"
ok dir_refuses_a_duplicate_pod_name_in_the_later_file $? "$(cat "$log")"
rm "$dir/d.yaml"
wait_for "pod default/d-node1 from directory dup.yaml is admitted: the conflicting definition is gone"
ok dir_admits_the_duplicate_once_the_winner_goes $? "$(cat "$log")"
rm "$dir/dup.yaml"

# last known good: a file that stops parsing keeps its pod, and its error
# is reported once, not once per re-list
printf 'apiVersion: v1\nkind: Pod\nmetadata: [\n' >"$dir/a.yaml"
wait_for "directory fetcher: a.yaml:4:1: "
r1=$?
sleep 2.5
[ $r1 -eq 0 ] && [ "$(count "directory fetcher: a.yaml:")" -eq 1 ] && ! grep -q "a-node1 .* is no longer desired" <(tail -n +"$(grep -n "a.yaml:4:1" "$log" | head -1 | cut -d: -f1)" "$log")
ok dir_keeps_the_last_good_pod_and_reports_once $? "$(cat "$log")"
# the refusals above and this error are counted for node_exporter
for i in $(seq 50); do
	v=$(awk '/^staticpodd_source_errors_total /{print $2}' "$tmp/run/metrics.prom" 2>/dev/null)
	[ "${v:-0}" -ge 5 ] && break
	sleep 0.2
done
[ "${v:-0}" -ge 5 ]
ok dir_source_errors_are_counted_in_the_metrics $? "$(cat "$tmp/run/metrics.prom" 2>&1)"
put a.yaml a
wait_for "pod default/a-node1 .* desired from directory a.yaml" 4
ok dir_a_fixed_file_is_picked_up_again $? "$(cat "$log")"

before=$(count "desired from directory")
for i in $(seq 1000); do
	pod "burst$i" >"$tmp/.b" && chmod 600 "$tmp/.b" && mv "$tmp/.b" "$dir/burst$i.yaml"
done
wait_for "desired from directory" $((before + 1000)) 120
ok dir_a_burst_of_1000_files_is_picked_up $? "$(count "desired from directory") of $((before + 1000))"

mv "$dir" "$tmp/gone"
wait_for "the directory went away"
r1=$?
mkdir -m 700 "$dir"
put e.yaml e
wait_for "pod default/e-node1 .* desired from directory e.yaml"
r2=$?
wait_for "burst1.yaml is no longer desired"
[ $r1 -eq 0 ] && [ $r2 -eq 0 ] && [ $? -eq 0 ]
ok dir_deleted_and_recreated_is_watched_again $? "$(cat "$log")"

kill -0 "$pid"
ok dir_daemon_is_still_running $? "$(cat "$log")"

echo "1..$n"
[ $failed -eq 0 ]
