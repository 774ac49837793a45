#!/bin/bash
# The node policy and the audit log through the real daemon, without a CRI
# runtime: --policy is opened by root and parsed by the first fetcher, the
# runtime judges every pod and writes its decision to --audit-log, with the
# sha256 that `sha256sum` gives for the manifest. A bad policy file stops
# the agent with status 2 and FILE:LINE:COLUMN; the configuration file
# cannot name one. `staticpodd validate --policy` decides the same offline.
# Needs root (the daemon refuses otherwise).
set -u
staticpodd=$1
src=$2
if [ "$(id -u)" != 0 ]; then
	echo "1..0 # SKIP the daemon must start as root (CI runs as root)"
	exit 77
fi
tmp=$(mktemp -d)
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
		sed 's/^/# /' <<<"$3" | tail -30
		failed=$((failed + 1))
	fi
}

dir=$tmp/manifests
audit=$tmp/audit.log
log=$tmp/log
mkdir -m 700 "$dir"

put() {	# file, then the manifest on stdin; root 0600
	cat >"$tmp/.new"
	chmod 600 "$tmp/.new"
	mv "$tmp/.new" "$dir/$1"
}

put web.yaml <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: kube-system
spec:
  containers:
  - name: web
    image: registry.k8s.io/pause:3.10
EOF
put priv.yaml <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  name: priv
  namespace: kube-system
spec:
  containers:
  - name: c
    image: registry.k8s.io/pause:3.10
    securityContext:
      privileged: true
EOF
put elsewhere.yaml <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  name: elsewhere
  namespace: kube-system
spec:
  containers:
  - name: c
    image: docker.io/library/busybox:1.36
EOF
printf 'apiVersion: v1\nkind: Pod\nmetadata: [\n' | put broken.yaml

cat >"$tmp/policy.yaml" <<'EOF'
apiVersion: staticpodd.io/v1
kind: NodePolicy
preset: default
images:
  allowedPrefixes: [registry.k8s.io/]
  forbiddenTags: [latest]
namespaces:
  allowed: [kube-system]
EOF
chmod 600 "$tmp/policy.yaml"

# Waits until the audit log has a line matching every pattern, at most 30 s
# (the reconciler retries an absent CRI runtime in between).
wait_audit() {
	local i line
	for i in $(seq 300); do
		line=$(cat "$audit" 2>/dev/null)
		for p in "$@"; do
			line=$(grep -F -- "$p" <<<"$line")
		done
		[ -n "$line" ] && return 0
		sleep 0.1
	done
	return 1
}

"$staticpodd" --pod-manifest-path "$dir" --state-dir "$tmp/state" \
	--run-dir "$tmp/run" --hostname-override node1 \
	--container-runtime-endpoint "unix://$tmp/no-cri.sock" \
	--policy "$tmp/policy.yaml" --audit-log "$audit" >"$log" 2>&1 &
pid=$!

sha=$(sha256sum "$dir/web.yaml" | cut -d' ' -f1)
wait_audit '"decision":"admitted"' "\"origin\":\"$dir/web.yaml\"" \
	"\"sha256\":\"$sha\"" '"sha256Reported":false' \
	'"pod":"kube-system/web-node1"'
ok policy_daemon_admits_and_audits_with_the_manifest_sha256 $? \
	"$(cat "$audit" "$log")"

sha=$(sha256sum "$dir/priv.yaml" | cut -d' ' -f1)
wait_audit '"decision":"refused"' "\"sha256\":\"$sha\"" '"rule":"privileged"' \
	'"reason":"spec.containers[0].securityContext.privileged: privileged containers are not allowed"'
ok policy_daemon_refuses_a_privileged_pod_and_audits_the_rule $? \
	"$(cat "$audit" "$log")"

wait_audit '"decision":"refused"' '"rule":"images"' \
	'"pod":"kube-system/elsewhere-node1"'
ok policy_daemon_applies_the_file_s_overrides $? "$(cat "$audit" "$log")"

sha=$(sha256sum "$dir/broken.yaml" | cut -d' ' -f1)
wait_audit '"decision":"source-error"' "\"origin\":\"$dir/broken.yaml\"" \
	"\"sha256\":\"$sha\""
ok policy_daemon_audits_a_file_that_does_not_parse $? "$(cat "$audit" "$log")"

grep -q 'pod kube-system/priv-node1 (uid [0-9a-f]*) from directory priv.yaml is refused: policy privileged: spec.containers\[0\].securityContext.privileged: privileged containers are not allowed' "$log"
ok policy_daemon_logs_the_refusal_with_rule_and_field $? "$(cat "$log")"

# every line is one JSON object (the fields in order, nothing else)
bad=$(grep -cv '^{"time":"[0-9-]*T[0-9:.]*Z","decision":"[a-z-]*".*}$' "$audit")
[ "$bad" -eq 0 ]
ok policy_daemon_audit_log_is_json_lines $? "$(cat "$audit")"
[ "$(stat -c %a "$audit")" = 600 ]
ok policy_daemon_audit_log_is_0600 $? "$(stat -c %a "$audit")"
kill "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
pid=

# the same decisions offline
out=$("$staticpodd" validate --node-name node1 --policy "$tmp/policy.yaml" \
	"$dir" 2>&1)
st=$?
[ $st -eq 1 ] &&
grep -qx "$dir/priv.yaml: policy privileged: spec.containers\[0\].securityContext.privileged: privileged containers are not allowed" <<<"$out" &&
grep -q "^$dir/elsewhere.yaml: policy images: " <<<"$out" &&
grep -qx "kube-system/web-node1" <<<"$out"
ok validate_with_policy_shows_the_same_decision $? "exit $st: $out"

out=$("$staticpodd" validate --node-name node1 "$dir/priv.yaml" 2>&1)
ok validate_without_policy_judges_the_manifest_only $? "$out"

# the documented example admits the example control-plane pod
out=$("$staticpodd" validate --node-name node1 \
	--policy "$src/examples/policy.yaml" "$src/examples/manifests/etcd-like.yaml" 2>&1)
ok example_policy_admits_the_example_etcd_pod $? "$out"

run_to_exit() {	# the daemon until it exits by itself (at most 20 s)
	timeout 20 "$staticpodd" --pod-manifest-path "$dir" \
		--state-dir "$tmp/state" --run-dir "$tmp/run" \
		--hostname-override node1 \
		--container-runtime-endpoint "unix://$tmp/no-cri.sock" "$@" 2>&1
}

printf 'apiVersion: staticpodd.io/v1\nkind: NodePolicy\nallowPrivilegd: true\n' >"$tmp/typo.yaml"
chmod 600 "$tmp/typo.yaml"
out=$(run_to_exit --policy "$tmp/typo.yaml")
st=$?
[ $st -eq 2 ] && grep -q "$tmp/typo.yaml:3:1: allowPrivilegd: unknown field" <<<"$out"
ok policy_daemon_exits_2_on_a_misspelt_rule $? "exit $st: $out"

chmod 620 "$tmp/policy.yaml"
out=$(run_to_exit --policy "$tmp/policy.yaml")
st=$?
[ $st -eq 2 ] && grep -q "mode 0620" <<<"$out"
ok policy_daemon_refuses_a_group_writable_policy $? "exit $st: $out"
chmod 600 "$tmp/policy.yaml"

out=$(run_to_exit --policy "$tmp/missing.yaml")
[ $? -eq 2 ]
ok policy_daemon_exits_2_without_its_policy_file $? "$out"

printf 'apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nstaticpodd:\n  policyFile: /etc/staticpodd/policy.yaml\n' >"$tmp/c.yaml"
chmod 600 "$tmp/c.yaml"
out=$(run_to_exit --config "$tmp/c.yaml")
st=$?
[ $st -eq 2 ] && grep -q "staticpodd.policyFile: .*--policy" <<<"$out"
ok policy_daemon_refuses_a_policy_named_by_the_configuration $? "exit $st: $out"

ln -s "$tmp/elsewhere.log" "$tmp/link.log"
out=$(run_to_exit --audit-log "$tmp/link.log")
st=$?
[ $st -eq 2 ] && [ ! -e "$tmp/elsewhere.log" ]
ok policy_daemon_refuses_an_audit_log_that_is_a_link $? "exit $st: $out"

echo "1..$n"
[ $failed -eq 0 ]
