#!/bin/bash
# The daemon's start: configuration file and flags. A bad configuration is
# one clear error naming the file, line and field, with exit status 2 and
# no half-started agent; kubelet fields staticpodd does not use are noticed
# once; flags win over the file. Needs root (the daemon refuses otherwise).
set -u
staticpodd=$1
if [ "$(id -u)" != 0 ]; then
	echo "1..0 # SKIP the daemon must start as root (CI runs as root)"
	exit 77
fi
tmp=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	for m in "$tmp"/tmpfs-*; do mountpoint -q "$m" && umount "$m"; done
	rm -rf "$tmp"
}
trap cleanup EXIT
n=0 failed=0
ok() {	# name, condition status, diagnostic
	n=$((n + 1))
	if [ "$2" -eq 0 ]; then
		echo "ok $n - $1"
	else
		echo "not ok $n - $1"
		sed 's/^/# /' <<<"$3"
		failed=$((failed + 1))
	fi
}

mkdir -m 700 "$tmp/manifests"
printf 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n  - name: web\n    image: busybox:1.36\n' >"$tmp/manifests/web.yaml"
chmod 600 "$tmp/manifests/web.yaml"

conf() {	# writes $tmp/c.yaml from stdin, root-owned 0600
	cat >"$tmp/c.yaml"
	chmod 600 "$tmp/c.yaml"
}

run_to_exit() {	# runs the daemon until it exits by itself (at most 10s)
	timeout 10 "$staticpodd" --state-dir "$tmp/state" --run-dir "$tmp/run" \
		--hostname-override node1 "$@" 2>&1
}

# Runs the daemon until a line matching $1 appears (or 10s), then stops it.
run_until() {
	local want=$1 log=$tmp/log i
	shift
	"$staticpodd" --state-dir "$tmp/state" --run-dir "$tmp/run" \
		--hostname-override node1 "$@" >"$log" 2>&1 &
	local pid=$!
	pids+=("$pid")
	for i in $(seq 100); do
		grep -q -- "$want" "$log" && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -TERM "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	echo "exit=$?"
	cat "$log"
}

conf <<<'apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
staticPodPath: /etc/kubernetes/manifests'
chmod 664 "$tmp/c.yaml"
out=$(run_to_exit --config "$tmp/c.yaml"); rc=$?
[ $rc -eq 2 ] && grep -q "configuration $tmp/c.yaml: owned by uid 0 with mode 0664; it must be owned by root and not group- or world-writable" <<<"$out"
ok daemon_refuses_a_group_writable_config_naming_file_and_mode $? "exit $rc: $out"

conf <<<'apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
staticPodPath: [unclosed'
out=$(run_to_exit --config "$tmp/c.yaml"); rc=$?
[ $rc -eq 2 ] && grep -q "^$tmp/c.yaml:4:1: staticPodPath\[1\]: YAML: " <<<"$out"
ok daemon_reports_a_yaml_error_with_file_line_and_field $? "exit $rc: $out"

conf <<<'apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
staticPodPath: /x
staticpodd:
  usr: nobody'
out=$(run_to_exit --config "$tmp/c.yaml"); rc=$?
[ $rc -eq 2 ] && grep -q "^$tmp/c.yaml:5:3: staticpodd.usr: unknown field \"usr\"" <<<"$out"
ok daemon_refuses_an_unknown_staticpodd_setting $? "exit $rc: $out"

conf <<<'apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
fileCheckFrequency: 20x'
out=$(run_to_exit --config "$tmp/c.yaml"); rc=$?
[ $rc -eq 2 ] && grep -q "^$tmp/c.yaml:3:21: fileCheckFrequency: \"20x\" is not a duration" <<<"$out"
ok daemon_refuses_a_bad_duration_with_its_position $? "exit $rc: $out"

conf <<<'apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
staticPodURL: http://127.0.0.1:1/pods'
out=$(run_to_exit --config "$tmp/c.yaml"); rc=$?
[ $rc -eq 2 ] && grep -q "$tmp/c.yaml:3:15: staticPodURL: \"http://127.0.0.1:1/pods\" is plain http; use https, or set staticpodd.allowHTTP" <<<"$out"
ok daemon_refuses_plain_http_unless_allowed $? "exit $rc: $out"

conf <<<'apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
staticPodPath: relative/path'
out=$(run_to_exit --config "$tmp/c.yaml"); rc=$?
[ $rc -eq 2 ] && grep -q "$tmp/c.yaml:3:16: staticPodPath: \"relative/path\" is not an absolute path" <<<"$out"
ok daemon_refuses_a_relative_manifest_path $? "exit $rc: $out"

conf <<<'apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
staticPodURL: https://127.0.0.1:1/pods
staticpodd:
  urlSignaturePublicKey: RWQnotakey'
out=$(run_to_exit --config "$tmp/c.yaml"); rc=$?
[ $rc -eq 2 ] && grep -q "$tmp/c.yaml:5:26: staticpodd.urlSignaturePublicKey: is not a minisign public key" <<<"$out"
ok daemon_refuses_a_bad_signature_key_at_start $? "exit $rc: $out"

conf <<<'apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
staticPodPath: /x
clusterDNS: [10.96.0.10, not-an-ip]
clusterDomain: Cluster_Local'
out=$(run_to_exit --config "$tmp/c.yaml"); rc=$?
[ $rc -eq 2 ] && grep -q 'clusterDNS: "not-an-ip" is not an IP address' <<<"$out" &&
	grep -q 'clusterDomain: "Cluster_Local" is not a DNS-1123 subdomain' <<<"$out"
ok daemon_refuses_a_cluster_dns_that_is_no_address $? "exit $rc: $out"

mkdir -p "$tmp/notmpfs"
conf <<<"apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
staticPodPath: /x
staticpodd:
  memoryVolumeDir: $tmp/notmpfs"
out=$(run_to_exit --config "$tmp/c.yaml"); rc=$?
[ $rc -eq 2 ] && grep -q "configuration: staticpodd.memoryVolumeDir $tmp/notmpfs is not a tmpfs: mount one sized for the pods' memory volumes" <<<"$out"
ok daemon_refuses_a_memory_volume_dir_that_is_not_a_tmpfs $? "exit $rc: $out"

memconf() {	# a configuration naming $1 as memoryVolumeDir
	conf <<<"apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
staticPodPath: /x
staticpodd:
  memoryVolumeDir: $1"
}
mkdir "$tmp/tmpfs-shared" "$tmp/tmpfs-ro"
mount -t tmpfs -o size=1m staticpodd-test "$tmp/tmpfs-shared" &&
	mount -t tmpfs -o size=1m,ro staticpodd-test "$tmp/tmpfs-ro" &&
	mkdir "$tmp/tmpfs-shared/sub"
memconf "$tmp/tmpfs-shared/sub"
out=$(run_to_exit --config "$tmp/c.yaml"); rc=$?
[ $rc -eq 2 ] && grep -q "configuration: staticpodd.memoryVolumeDir $tmp/tmpfs-shared/sub is on a tmpfs mounted above it, which pods would share: mount one there, sized for the pods' memory volumes" <<<"$out"
ok daemon_refuses_a_memory_volume_dir_on_a_tmpfs_mounted_above_it $? "exit $rc: $out"
memconf "$tmp/tmpfs-ro"
out=$(run_to_exit --config "$tmp/c.yaml"); rc=$?
[ $rc -eq 2 ] && grep -q "configuration: staticpodd.memoryVolumeDir $tmp/tmpfs-ro is mounted read-only" <<<"$out"
ok daemon_refuses_a_read_only_memory_volume_dir $? "exit $rc: $out"

out=$(run_to_exit --pod-manifest-path relative); rc=$?
[ $rc -eq 2 ] && grep -q 'configuration: staticPodPath: "relative" is not an absolute path' <<<"$out"
ok daemon_checks_flags_as_it_checks_the_file $? "exit $rc: $out"

out=$(run_to_exit --bogus-flag); rc=$?
[ $rc -eq 2 ]
ok daemon_exits_2_for_an_unknown_flag $? "exit $rc: $out"

conf <<<"apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: 0.0.0.0
evictionHard:
  memory.available: 100Mi
staticPodPath: /nonexistent/by/file
fileCheckFrequency: 1s"
out=$(run_until "desired from directory web.yaml" --config "$tmp/c.yaml" --pod-manifest-path "$tmp/manifests")
grep -q "kubelet settings staticpodd does not use, ignored: address, evictionHard" <<<"$out" &&
	grep -q "pod default/web-node1 (uid [0-9a-f]*) desired from directory web.yaml" <<<"$out" &&
	grep -q "^exit=0" <<<"$out"
ok daemon_notices_unused_kubelet_fields_and_lets_flags_win $? "$out"

# under systemd (JOURNAL_STREAM names stderr) each line carries its
# priority for the journal, the fetchers' lines too (the audit records,
# JSON lines on stderr without --audit-log, stay as they are)
: >"$tmp/log"
js=$(stat -c '%d:%i' "$tmp/log")
out=$(JOURNAL_STREAM=$js run_until "desired from directory web.yaml" --config "$tmp/c.yaml" --pod-manifest-path "$tmp/manifests")
lines=$(grep -v -e '^exit=' -e '^{' <<<"$out")
[ -n "$lines" ] && ! grep -qv '^<[0-7]>staticpodd' <<<"$lines" &&
	grep -q '^<6>staticpodd: pod default/web-node1 .* desired from directory web.yaml' <<<"$lines"
ok daemon_lines_carry_their_priority_for_the_journal $? "$out"
conf <<<'apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
staticPodPath: [unclosed'
: >"$tmp/log"
js=$(stat -c '%d:%i' "$tmp/log")
JOURNAL_STREAM=$js run_to_exit --config "$tmp/c.yaml" >"$tmp/log" 2>&1
grep -q "^<4>$tmp/c.yaml:4:1: staticPodPath\[1\]: YAML" "$tmp/log"
ok daemon_a_bad_configuration_is_a_warning_in_the_journal $? "$(cat "$tmp/log")"
out=$(JOURNAL_STREAM=1:1 run_to_exit --config "$tmp/c.yaml")
grep -q "^$tmp/c.yaml:4:1: staticPodPath\[1\]: YAML" <<<"$out"
ok daemon_lines_are_plain_when_stderr_is_not_the_journal $? "$out"

echo "1..$n"
[ $failed -eq 0 ]
