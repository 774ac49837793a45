#!/bin/bash
# The pod lifecycle against a real CRI runtime: a private containerd (CRI
# plugin, runc, CNI bridge) and a registry on loopback, started here by
# lib.sh. The agent's status file, the audit log and ctr are the record.
set -u
staticpodd=$1
. "$(dirname "$0")/lib.sh"
spd_require
trap 'stop_agent; spd_harness_stop' EXIT
trap 'exit 1' INT TERM
spd_harness_start --registry

M=$SPD_DIR/manifests
STATUS=$SPD_DIR/run/status.json
AUDIT=$SPD_DIR/audit.log
LOG=$SPD_DIR/agent.log
agent=
n=0 failed=0
mkdir -m 700 "$M"

ok() {	# name, status, diagnostic
	n=$((n + 1))
	if [ "$2" -eq 0 ]; then
		echo "ok $n - $1"
	else
		echo "not ok $n - $1"
		# on stderr too: the test log shows a failed test's stderr
		{ echo "$3"; echo "--- agent log"; tail -15 "$LOG"; [ -n "${SPD_KEEP_LOG:-}" ] && cp "$LOG" "$SPD_KEEP_LOG"; } |
			sed "s/^/# $1: /" | tee /dev/stderr
		failed=$((failed + 1))
	fi
}

cat >"$SPD_DIR/config.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
containerLogMaxSize: 64Ki
containerLogMaxFiles: 2
staticpodd:
  memoryVolumeDir: $SPD_DIR/mem
EOF
chmod 600 "$SPD_DIR/config.yaml"
# the operator's tmpfs for memory volumes (lib.sh unmounts it)
mkdir "$SPD_DIR/mem"
mount -t tmpfs -o size=16m,mode=0755 staticpodd-test "$SPD_DIR/mem"

start_agent() {	# extra flags
	"$staticpodd" "$@" --config "$SPD_DIR/config.yaml" --pod-manifest-path "$M" \
		--container-runtime-endpoint "unix://$SPD_CRI_SOCKET" \
		--state-dir "$SPD_DIR/state" --run-dir "$SPD_DIR/run" \
		--pod-logs-dir "$SPD_DIR/logs" --hostname-override node1 \
		--audit-log "$AUDIT" --file-check-frequency 1s >>"$LOG" 2>&1 &
	agent=$!
}

stop_agent() {
	[ -n "$agent" ] || return 0
	kill -TERM "$agent" 2>/dev/null
	wait "$agent" 2>/dev/null
	agent=
}

# Waits (at most $2 seconds, default 60) until jq expression $1 is true.
wait_status() {
	local expr=$1 limit=${2:-60} i
	for i in $(seq $((limit * 5))); do
		[ -f "$STATUS" ] && jq -e "$expr" "$STATUS" >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	return 1
}

pod() {	# pod NAME -> its status object
	jq -c --arg p "default/$1-node1" '.pods[] | select(.pod == $p)' "$STATUS"
}

ctr_id() {	# ctr_id POD CONTAINER
	jq -r --arg p "default/$1-node1" --arg c "$2" \
		'.pods[] | select(.pod == $p) | .containers[] | select(.name == $c) | .id' "$STATUS"
}

put() {	# put FILE: stdin, written aside and renamed in
	cat >"$M/.tmp"
	chmod 600 "$M/.tmp"
	mv "$M/.tmp" "$M/$1"
}

running() {	# running POD -> jq: the pod is Running
	echo ".pods[] | select(.pod == \"default/$1-node1\") | .phase == \"Running\""
}

put host.yaml <<EOF
apiVersion: v1
kind: Pod
metadata: {name: host}
spec:
  hostNetwork: true
  terminationGracePeriodSeconds: 2
  containers:
  - name: sleep
    image: $SPD_IMAGE
    imagePullPolicy: Never
    command: [/bin/sleep, "3600"]
EOF
if [ "$SPD_BRIDGE_OK" = 1 ]; then
	put web.yaml <<EOF
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  terminationGracePeriodSeconds: 2
  initContainers:
  - name: index
    image: $SPD_IMAGE
    imagePullPolicy: Never
    command: [/bin/sh, -c, "echo hello from \$(POD_NAME) > /www/index.html"]
    env:
    - name: POD_NAME
      valueFrom: {fieldRef: {fieldPath: metadata.name}}
    volumeMounts: [{name: www, mountPath: /www}]
  containers:
  - name: web
    image: $SPD_IMAGE
    imagePullPolicy: Never
    command: [/bin/httpd, -f, -p, "8080", -h, /www]
    volumeMounts: [{name: www, mountPath: /www, readOnly: true}]
  volumes:
  - name: www
    emptyDir: {}
EOF
fi
start_agent

wait_status "$(running host)"
ok lifecycle_host_network_pod_runs $? "$(cat "$STATUS" 2>/dev/null)"

if [ "$SPD_BRIDGE_OK" = 1 ]; then
	wait_status "$(running web)"
	ip=$(pod web | jq -r .podIP)
	body=$(wget -qO- -T 5 "http://$ip:8080/" 2>&1)
	[ "$body" = "hello from web-node1" ]
	ok lifecycle_bridge_pod_serves_http_after_its_init_container $? "ip $ip: $body"
else
	echo "ok $((n += 1)) - lifecycle_bridge_pod_serves_http # SKIP the kernel cannot make the CNI bridge"
fi

grep -q '"decision":"started".*"container":"sleep"' "$AUDIT"
ok lifecycle_audit_records_the_start_with_the_manifest_sha256 $? "$(cat "$AUDIT")"

sha=$(sha256sum "$M/host.yaml" | cut -d' ' -f1)
grep -q "\"decision\":\"started\",\"source\":\"file\",\"origin\":\"$M/host.yaml\",\"sha256\":\"$sha\"" "$AUDIT"
ok lifecycle_audit_sha256_is_the_files_own $? "$sha: $(cat "$AUDIT")"

id=$(ctr_id host sleep)
link="$SPD_DIR/containers/host-node1_default_sleep-$id.log"
[ -L "$link" ] && [ "$(readlink "$link")" = "$SPD_DIR/logs/default_host-node1_$(pod host | jq -r .uid)/sleep/0.log" ]
ok lifecycle_links_each_container_log_in_the_containers_directory $? "$(ls -l "$SPD_DIR/containers" 2>&1)"

# what operators read: the status command (table and JSON) and the
# textfile collector's metrics
table=$("$staticpodd" status --run-dir "$SPD_DIR/run" 2>&1)
json=$("$staticpodd" status -o json --run-dir "$SPD_DIR/run" 2>&1)
grep -q "default/host-node1 .*Running" <<<"$table" &&
	[ "$(jq -r '.pods[] | select(.pod == "default/host-node1") | .containers[0].state' <<<"$json")" = running ]
ok lifecycle_status_shows_the_pod_as_a_table_and_as_json $? "$table"
metrics=$(cat "$SPD_DIR/run/metrics.prom" 2>&1)
grep -Eq '^staticpodd_pods\{phase="Running"\} [1-9]' <<<"$metrics" &&
	grep -q '^staticpodd_runtime_ready 1$' <<<"$metrics" &&
	grep -q '^staticpodd_source_errors_total 0$' <<<"$metrics"
ok lifecycle_metrics_count_the_running_pods $? "$metrics"

# restart of the agent: adopted, same container IDs, no restarts; the
# status goes with the agent, so the one waited for is the new agent's
before=$(ctr_id host sleep)
stop_agent
[ ! -e "$STATUS" ] && [ ! -e "$SPD_DIR/run/metrics.prom" ]
ok lifecycle_the_status_files_go_with_the_agent $? "$(ls -l "$SPD_DIR/run")"
start_agent
wait_status "$(running host)"
after=$(ctr_id host sleep)
for i in $(seq 50); do grep -q '"decision":"adopted"' "$AUDIT" && break; sleep 0.2; done
grep -q '"decision":"adopted"' "$AUDIT"
r=$?
[ -n "$before" ] && [ "$before" = "$after" ] && [ $r -eq 0 ] &&
	[ "$(pod host | jq '.containers[0].restarts')" = 0 ]
ok lifecycle_agent_restart_adopts_without_restarting_containers $? "$before -> $after"

# a killed container is restarted, then backs off
id=$(ctr_id host sleep)
ctr -a "$SPD_CRI_SOCKET" -n k8s.io tasks kill -s KILL "$id" >/dev/null 2>&1
wait_status ".pods[] | select(.pod == \"default/host-node1\") | .containers[0].restarts == 1 and .containers[0].state == \"running\"" 30
ok lifecycle_a_killed_container_is_restarted $? "$(pod host)"
id=$(ctr_id host sleep)
t0=$(date +%s)
ctr -a "$SPD_CRI_SOCKET" -n k8s.io tasks kill -s KILL "$id" >/dev/null 2>&1
wait_status ".pods[] | select(.pod == \"default/host-node1\") | .containers[0].restarts == 2 and .containers[0].state == \"running\"" 60
r=$?
t1=$(date +%s)
[ $r -eq 0 ] && [ $((t1 - t0)) -ge 9 ]
ok lifecycle_the_second_restart_waits_for_the_backoff $? "restarted after $((t1 - t0)) s: $(pod host)"
# the kubelet's container GC: the newest exited attempt stays, with its
# log, for the logs of the attempt before; the older one goes, log and all
logdir=$SPD_DIR/logs/default_host-node1_$(pod host | jq -r .uid)/sleep
for i in $(seq 50); do [ -e "$logdir/0.log" ] || break; sleep 0.2; done
[ ! -e "$logdir/0.log" ] && [ -e "$logdir/1.log" ] && [ -e "$logdir/2.log" ] &&
	[ -z "$(find "$SPD_DIR/containers" -xtype l)" ]
ok lifecycle_old_attempts_are_collected_with_their_logs $? "$(ls "$logdir"); $(ls -l "$SPD_DIR/containers")"

# a sandbox that is no longer ready (its pause process gone, as after a
# reboot) is removed and made anew with the next attempt
sb=$(pod host | jq -r .sandbox)
ctr -a "$SPD_CRI_SOCKET" -n k8s.io tasks kill -s KILL "$sb" >/dev/null 2>&1
wait_status ".pods[] | select(.pod == \"default/host-node1\") | .sandbox != \"$sb\" and .phase == \"Running\""
r=$?
[ $r -eq 0 ] && grep -q "sandbox not ready; made anew" "$LOG" &&
	grep -q "pod default/host-node1 (uid [0-9a-f]*): sandbox [0-9a-f]* (attempt 1)" "$LOG"
ok lifecycle_a_sandbox_no_longer_ready_is_made_anew_with_the_next_attempt $? "$(pod host)"

# containerd restarts: the agent waits, reconnects, and runs the same pods
# (each new connection is checked and said ready once: the count proves a
# reconnection, where a status not yet updated would prove nothing)
id=$(ctr_id host sleep)
readies=$(grep -c "CRI runtime .* is ready" "$LOG")
$SPD_RESTART >/dev/null 2>&1
for i in $(seq 300); do
	[ "$(grep -c "CRI runtime .* is ready" "$LOG")" -gt "$readies" ] && break
	sleep 0.2
done
wait_status ".runtimeReady and ([$(running host)] | any)"
r=$?
[ $r -eq 0 ] && [ "$(grep -c "CRI runtime .* is ready" "$LOG")" -gt "$readies" ] &&
	[ "$(ctr_id host sleep)" = "$id" ]
ok lifecycle_containerd_restart_is_survived $? "$(pod host)"

# an edited manifest is a new pod; the old one goes first
olduid=$(pod host | jq -r .uid)
sed -i 's/"3600"/"3601"/' "$M/host.yaml"
wait_status ".pods[] | select(.pod == \"default/host-node1\") | .uid != \"$olduid\" and .phase == \"Running\""
r=$?
left=$(ctr -a "$SPD_CRI_SOCKET" -n k8s.io containers ls -q 2>/dev/null | wc -l)
[ $r -eq 0 ] && grep -q "replaced by a new version of its manifest" "$LOG"
ok lifecycle_an_edited_manifest_replaces_its_pod $? "containers now: $left"

# pull policies against the loopback registry
put pull.yaml <<EOF
apiVersion: v1
kind: Pod
metadata: {name: pull}
spec:
  hostNetwork: true
  terminationGracePeriodSeconds: 1
  containers:
  - name: always
    image: $SPD_PULL_IMAGE
    imagePullPolicy: Always
    command: [/bin/sleep, "3600"]
  - name: ifnotpresent
    image: $SPD_PULL_IMAGE
    imagePullPolicy: IfNotPresent
    command: [/bin/sleep, "3600"]
EOF
wait_status "$(running pull)" 90
r=$?
pulls() { grep -c "pod default/pull-node1: container $1: pulled $SPD_PULL_IMAGE" "$LOG"; }
[ $r -eq 0 ] && [ "$(pulls always)" = 1 ] && [ "$(pulls ifnotpresent)" = 0 ]
ok lifecycle_pulls_with_always_and_if_not_present $? "$(pod pull); $(grep pulled "$LOG")"
# each start of an Always container pulls; IfNotPresent's never does
for c in always ifnotpresent; do
	ctr -a "$SPD_CRI_SOCKET" -n k8s.io tasks kill -s KILL "$(ctr_id pull "$c")" >/dev/null 2>&1
done
wait_status '[.pods[] | select(.pod == "default/pull-node1") | .containers[] | select(.restarts == 1 and .state == "running")] | length == 2' 60
r=$?
[ $r -eq 0 ] && [ "$(pulls always)" = 2 ] && [ "$(pulls ifnotpresent)" = 0 ]
ok lifecycle_a_restart_pulls_again_only_under_always $? "$(pod pull); $(grep pulled "$LOG")"

put never.yaml <<EOF
apiVersion: v1
kind: Pod
metadata: {name: never}
spec:
  hostNetwork: true
  containers:
  - name: c
    image: 127.0.0.1:1/absent:1.0
    imagePullPolicy: Never
EOF
wait_status '.pods[] | select(.pod == "default/never-node1") | .error | test("ErrImageNeverPull")'
ok lifecycle_a_missing_image_with_never_is_an_error_not_a_pull $? "$(pod never)"

# removal stops and removes the pod and its sandbox, and its logs
pulllogs=$SPD_DIR/logs/default_pull-node1_$(pod pull | jq -r .uid)
[ -d "$pulllogs" ] || echo "# $pulllogs is not there before the removal" >&2
rm "$M/pull.yaml" "$M/never.yaml"
sb=$(pod pull | jq -r .sandbox)
wait_status '[.pods[] | select(.pod == "default/pull-node1")] | length == 0'
r=$?
sleep 3
ctr -a "$SPD_CRI_SOCKET" -n k8s.io containers ls -q 2>/dev/null | grep -q "^$sb"
gone=$?
[ $r -eq 0 ] && [ $gone -ne 0 ] && grep -q '"decision":"removed".*"pod":"default/pull-node1"' "$AUDIT" &&
	[ ! -e "$pulllogs" ]
ok lifecycle_a_removed_manifest_stops_and_removes_its_pod $? "sandbox $sb; $(tail -3 "$AUDIT")"

# a chatty container's log is rotated by size, keeping MaxFiles files
put chatty.yaml <<EOF
apiVersion: v1
kind: Pod
metadata: {name: chatty}
spec:
  hostNetwork: true
  terminationGracePeriodSeconds: 1
  containers:
  - name: c
    image: $SPD_IMAGE
    imagePullPolicy: Never
    command: [/bin/sh, -c, "while true; do head -c 20000 /dev/zero | tr '\\\\0' x; echo; sleep 0.1; done"]
EOF
wait_status "$(running chatty)"
dir="$SPD_DIR/logs/default_chatty-node1_$(pod chatty | jq -r .uid)/c"
for i in $(seq 60); do
	[ "$(ls "$dir" | grep -c '^0\.log\.')" -ge 1 ] && break
	sleep 1
done
sleep 12
rotated=$(ls "$dir" | grep -c '^0\.log\.')
[ "$rotated" -eq 1 ] && [ -f "$dir/0.log" ] && grep -q "container c's log rotated" "$LOG"
ok lifecycle_a_container_log_is_rotated_by_size_keeping_max_files $? "$(ls -l "$dir")"
rm "$M/chatty.yaml"

# a pod the node policy refuses never reaches the CRI runtime
put evil.yaml <<EOF
apiVersion: v1
kind: Pod
metadata: {name: evil}
spec:
  hostNetwork: true
  containers:
  - name: c
    image: $SPD_IMAGE
    imagePullPolicy: Never
    securityContext: {privileged: true}
EOF
wait_status '.pods[] | select(.pod == "default/evil-node1") | .phase == "Refused"'
r=$?
sleep 3
sha=$(sha256sum "$M/evil.yaml" | cut -d' ' -f1)
ctr -a "$SPD_CRI_SOCKET" -n k8s.io containers ls 2>/dev/null | grep -v CONTAINER >"$SPD_DIR/ctrs"
n_evil=$(jq -r '.pods[] | select(.pod == "default/evil-node1") | .uid' "$STATUS" | xargs -I{} grep -c {} "$SPD_DIR/ctrs")
[ $r -eq 0 ] && [ "$n_evil" = 0 ] &&
	grep -q "\"decision\":\"refused\".*\"sha256\":\"$sha\".*\"pod\":\"default/evil-node1\".*\"rule\":\"privileged\"" "$AUDIT" &&
	! grep -q '"decision":"started".*"pod":"default/evil-node1"' "$AUDIT"
ok lifecycle_a_pod_the_policy_refuses_never_reaches_the_cri_runtime $? "$(pod evil); $(grep evil "$AUDIT")"
rm "$M/evil.yaml"

# pod cgroups: the containers' summed limits, or the pod's own; the pod's
# DNS from its dnsConfig
put summed.yaml <<EOF
apiVersion: v1
kind: Pod
metadata: {name: summed}
spec:
  hostNetwork: true
  terminationGracePeriodSeconds: 1
  containers:
  - name: a
    image: $SPD_IMAGE
    imagePullPolicy: Never
    command: [/bin/sleep, "3600"]
    resources: {limits: {memory: 32Mi, cpu: 200m}}
  - name: b
    image: $SPD_IMAGE
    imagePullPolicy: Never
    command: [/bin/sleep, "3600"]
    resources: {limits: {memory: 16Mi, cpu: 100m}}
EOF
put own.yaml <<EOF
apiVersion: v1
kind: Pod
metadata: {name: own}
spec:
  hostNetwork: true
  terminationGracePeriodSeconds: 1
  dnsPolicy: None
  dnsConfig:
    nameservers: [192.0.2.53]
    searches: [example.test]
    options: [{name: ndots, value: "2"}]
  resources: {limits: {memory: 100Mi, cpu: 500m}}
  containers:
  - name: a
    image: $SPD_IMAGE
    imagePullPolicy: Never
    command: [/bin/sleep, "3600"]
EOF
wait_status "$(running summed)" && wait_status "$(running own)"
r=$?
cg_read() {	# cg_read POD v2FILE v1CONTROLLER v1FILE
	local uid
	uid=$(jq -r --arg p "default/$1-node1" '.pods[] | select(.pod == $p) | .uid' "$STATUS")
	if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
		cat "/sys/fs/cgroup/staticpodd/pod$uid/$2"
	else
		cat "/sys/fs/cgroup/$3/staticpodd/pod$uid/$4"
	fi
}
if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
	want_cpu="30000 100000" want_own_cpu="50000 100000"
else
	want_cpu=30000 want_own_cpu=50000
fi
mem=$(cg_read summed memory.max memory memory.limit_in_bytes)
cpu=$(cg_read summed cpu.max cpu cpu.cfs_quota_us)
[ $r -eq 0 ] && [ "$mem" = $((48 * 1024 * 1024)) ] && [ "$cpu" = "$want_cpu" ]
ok lifecycle_a_pod_cgroup_carries_the_sum_of_its_containers_limits $? "memory $mem, cpu $cpu; $(pod summed)"
mem=$(cg_read own memory.max memory memory.limit_in_bytes)
cpu=$(cg_read own cpu.max cpu cpu.cfs_quota_us)
[ "$mem" = $((100 * 1024 * 1024)) ] && [ "$cpu" = "$want_own_cpu" ]
ok lifecycle_a_pod_cgroup_carries_the_pods_own_limits $? "memory $mem, cpu $cpu; $(pod own)"
id=$(ctr_id own a)
resolv=$(ctr -a "$SPD_CRI_SOCKET" -n k8s.io tasks exec --exec-id dns$$ "$id" cat /etc/resolv.conf 2>&1)
grep -q "^nameserver 192.0.2.53" <<<"$resolv" && grep -q "^search example.test" <<<"$resolv" &&
	grep -q "^options ndots:2" <<<"$resolv"
ok lifecycle_a_pod_gets_the_dns_its_policy_and_config_give $? "$resolv"
rm "$M/summed.yaml" "$M/own.yaml"

# what a container is told of itself: env from the pod's fields and its
# resources, a downwardAPI volume, the pod's IP in /etc/hosts
put env.yaml <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: env
  labels: {tier: probe}
spec:
  hostNetwork: true
  terminationGracePeriodSeconds: 1
  containers:
  - name: c
    image: $SPD_IMAGE
    imagePullPolicy: Never
    command: [/bin/sleep, "3600"]
    resources:
      limits: {memory: 64Mi}
    env:
    - name: MY_NS
      valueFrom: {fieldRef: {fieldPath: metadata.namespace}}
    - name: MY_UID
      valueFrom: {fieldRef: {fieldPath: metadata.uid}}
    - name: MY_NODE
      valueFrom: {fieldRef: {fieldPath: spec.nodeName}}
    - name: MY_POD_IP
      valueFrom: {fieldRef: {fieldPath: status.podIP}}
    - name: MY_HOST_IP
      valueFrom: {fieldRef: {fieldPath: status.hostIP}}
    - name: MY_MEM_MI
      valueFrom: {resourceFieldRef: {resource: limits.memory, divisor: 1Mi}}
    - name: MY_TIER
      valueFrom: {fieldRef: {fieldPath: "metadata.labels['tier']"}}
    volumeMounts: [{name: info, mountPath: /info}]
  volumes:
  - name: info
    downwardAPI:
      items:
      - {path: labels, fieldRef: {fieldPath: metadata.labels}}
      - {path: name, fieldRef: {fieldPath: metadata.name}}
EOF
wait_status "$(running env)"
r=$?
id=$(ctr_id env c)
x() { ctr -a "$SPD_CRI_SOCKET" -n k8s.io tasks exec --exec-id env$$$1 "$id" "${@:2}" 2>&1; }
envs=$(x 1 /bin/env)
uid=$(pod env | jq -r .uid)
hostip=$(pod env | jq -r .podIP)
[ $r -eq 0 ] && grep -qx "MY_NS=default" <<<"$envs" && grep -qx "MY_UID=$uid" <<<"$envs" &&
	grep -qx "MY_NODE=node1" <<<"$envs" && grep -qx "MY_POD_IP=$hostip" <<<"$envs" &&
	grep -qx "MY_HOST_IP=$hostip" <<<"$envs" && grep -qx "MY_MEM_MI=64" <<<"$envs" &&
	grep -qx "MY_TIER=probe" <<<"$envs" && [ -n "$hostip" ] && [ "$hostip" != null ]
ok lifecycle_env_carries_the_pods_fields_and_resources $? "$envs; $(pod env)"
labels=$(x 2 /bin/cat /info/labels)
name=$(x 3 /bin/cat /info/name)
grep -qx 'tier="probe"' <<<"$labels" && [ "$name" = env-node1 ]
ok lifecycle_a_downward_api_volume_holds_the_pods_fields $? "labels: $labels; name: $name"
rm "$M/env.yaml"

# an emptyDir past its sizeLimit evicts its pod, and its disk is given back
put filler.yaml <<EOF
apiVersion: v1
kind: Pod
metadata: {name: filler}
spec:
  hostNetwork: true
  terminationGracePeriodSeconds: 1
  containers:
  - name: fill
    image: $SPD_IMAGE
    imagePullPolicy: Never
    command: [/bin/sh, -c, "dd if=/dev/zero of=/scratch/big bs=64k count=32; sleep 3600"]
    volumeMounts: [{name: scratch, mountPath: /scratch}]
  volumes:
  - name: scratch
    emptyDir: {sizeLimit: 1Mi}
EOF
wait_status '.pods[] | select(.pod == "default/filler-node1") | .phase == "Failed"' 60
r=$?
uid=$(jq -r '.pods[] | select(.pod == "default/filler-node1") | .uid' "$STATUS")
[ $r -eq 0 ] && [ -n "$uid" ] &&
	pod filler | grep -q 'evicted: emptyDir scratch uses more than its sizeLimit of 1048576 bytes' &&
	grep -q '"decision":"stopped".*"pod":"default/filler-node1".*emptyDir scratch uses more than its sizeLimit' "$AUDIT" &&
	[ ! -e "$SPD_DIR/state/pods/$uid/volumes/scratch/big" ] &&
	! ctr -a "$SPD_CRI_SOCKET" -n k8s.io tasks ls 2>/dev/null | grep -q "^$(ctr_id filler fill).*RUNNING"
ok lifecycle_an_emptydir_past_its_size_limit_evicts_its_pod $? "$(pod filler); $(grep filler "$AUDIT" | tail -2)"
rm "$M/filler.yaml"

# an emptyDir in memory is on the operator's tmpfs, and goes with its pod
# (within 20 s: the pod's grace period of 1 s is honoured, not 30 s)
put mem.yaml <<EOF
apiVersion: v1
kind: Pod
metadata: {name: mem}
spec:
  hostNetwork: true
  terminationGracePeriodSeconds: 1
  containers:
  - name: c
    image: $SPD_IMAGE
    imagePullPolicy: Never
    command: [/bin/sh, -c, "echo in-memory > /cache/x; sleep 3600"]
    volumeMounts: [{name: cache, mountPath: /cache}]
  volumes:
  - name: cache
    emptyDir: {medium: Memory, sizeLimit: 4Mi}
EOF
wait_status "$(running mem)"
r=$?
uid=$(jq -r '.pods[] | select(.pod == "default/mem-node1") | .uid' "$STATUS")
for i in $(seq 50); do [ -s "$SPD_DIR/mem/$uid/cache/x" ] && break; sleep 0.2; done
[ $r -eq 0 ] && [ "$(cat "$SPD_DIR/mem/$uid/cache/x" 2>/dev/null)" = in-memory ] &&
	[ "$(stat -f -c %T "$SPD_DIR/mem/$uid/cache")" = tmpfs ] &&
	[ ! -e "$SPD_DIR/state/pods/$uid/volumes/cache" ]
ok lifecycle_a_memory_emptydir_lives_on_the_operators_tmpfs $? "$(pod mem); $(ls -lR "$SPD_DIR/mem" 2>&1 | head)"
rm "$M/mem.yaml"
for i in $(seq 100); do [ -e "$SPD_DIR/mem/$uid" ] || break; sleep 0.2; done
[ ! -e "$SPD_DIR/mem/$uid" ]
ok lifecycle_a_memory_emptydir_goes_with_its_pod $? "$(ls -lR "$SPD_DIR/mem" 2>&1 | head)"

# on SIGTERM the agent leaves pods running
id=$(ctr_id host sleep)
stop_agent
ctr -a "$SPD_CRI_SOCKET" -n k8s.io tasks ls 2>/dev/null | grep -q "^$id.*RUNNING"
ok lifecycle_sigterm_leaves_pods_running $? "$(ctr -a "$SPD_CRI_SOCKET" -n k8s.io tasks ls 2>&1)"

# hostPath volumes are made only below prefixes the node policy lets pods
# write; the sandbox keeps the runtime from making paths anywhere else.
# They are in a directory of their own: the harness's holds the CRI socket,
# and anything there is refused.
hp=$(mktemp -d /tmp/staticpodd-hostpath.XXXXXX)
mkdir "$hp/rw" "$hp/ro"	# rw/data is made at run time
cat >"$SPD_DIR/policy.yaml" <<EOF
apiVersion: staticpodd.io/v1
kind: NodePolicy
preset: default
hostPaths:
  allowed:
  - pathPrefix: $hp/rw/data
    readOnly: false
  - pathPrefix: $hp/ro
EOF
chmod 600 "$SPD_DIR/policy.yaml"
start_agent --policy "$SPD_DIR/policy.yaml"
put hostrw.yaml <<EOF
apiVersion: v1
kind: Pod
metadata: {name: hostrw}
spec:
  hostNetwork: true
  terminationGracePeriodSeconds: 1
  containers:
  - name: c
    image: $SPD_IMAGE
    imagePullPolicy: Never
    command: [/bin/sh, -c, "echo made > /data/f; sleep 3600"]
    volumeMounts: [{name: d, mountPath: /data}]
  volumes:
  - name: d
    hostPath: {path: $hp/rw/data/etcd, type: DirectoryOrCreate}
EOF
put hostro.yaml <<EOF
apiVersion: v1
kind: Pod
metadata: {name: hostro}
spec:
  hostNetwork: true
  terminationGracePeriodSeconds: 1
  containers:
  - name: c
    image: $SPD_IMAGE
    imagePullPolicy: Never
    command: [/bin/sleep, "3600"]
    volumeMounts: [{name: d, mountPath: /data, readOnly: true}]
  volumes:
  - name: d
    hostPath: {path: $hp/ro/new, type: DirectoryOrCreate}
EOF
wait_status "$(running hostrw)"
r=$?
for i in $(seq 50); do [ -s "$hp/rw/data/etcd/f" ] && break; sleep 0.2; done
[ $r -eq 0 ] && [ "$(cat "$hp/rw/data/etcd/f" 2>/dev/null)" = made ]
ok lifecycle_a_directory_or_create_host_path_is_made_below_a_writable_prefix $? "$(pod hostrw)"
wait_status '.pods[] | select(.pod == "default/hostro-node1") | .error != null' 30
pod hostro | grep -q "hostPath $hp/ro/new: Permission denied (the agent makes paths only below the hostPath prefixes the node policy lets pods write)" &&
	[ ! -e "$hp/ro/new" ]
ok lifecycle_no_host_path_is_made_where_the_policy_does_not_let_pods_write $? "$(pod hostro)"
# a hostPath's type is checked as the kubelet checks it, before a sandbox
put hosttype.yaml <<EOF
apiVersion: v1
kind: Pod
metadata: {name: hosttype}
spec:
  hostNetwork: true
  terminationGracePeriodSeconds: 1
  containers:
  - name: c
    image: $SPD_IMAGE
    imagePullPolicy: Never
    command: [/bin/sleep, "3600"]
    volumeMounts: [{name: d, mountPath: /data, readOnly: true}]
  volumes:
  - name: d
    hostPath: {path: $hp/ro, type: File}
EOF
wait_status '.pods[] | select(.pod == "default/hosttype-node1") | .error != null' 30
pod hosttype | grep -q "hostPath $hp/ro is not of type File" &&
	[ "$(pod hosttype | jq -r .sandbox)" = null ]
ok lifecycle_a_host_path_of_the_wrong_type_is_an_error_before_the_sandbox $? "$(pod hosttype)"
rm "$M/hostrw.yaml" "$M/hostro.yaml" "$M/hosttype.yaml"
wait_status '[.pods[] | select(.pod == "default/hostrw-node1")] | length == 0' 30
stop_agent
rm -rf "$hp"

echo "1..$n"
[ $failed -eq 0 ]
