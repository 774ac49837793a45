#!/bin/bash
# The main job: staticpodd running the "Create static Pods" example for
# real. Installs what is missing, builds, and — when the node has no CRI-O
# socket — starts a private containerd in a temporary directory (no system
# service is touched), builds a busybox image locally (there is no
# registry here), and runs the agent on examples/manifests/static-web.yaml:
# the pod comes up and answers HTTP, shows in `staticpodd status`, is
# restarted when its container is killed, goes when its file is moved out
# and comes back when it is moved in. Everything it started is stopped at
# the end. Run as root.
set -uo pipefail
cd "$(dirname "$0")/.."
top=$PWD
bash contrib/install-deps.sh || exit 1
[ -d build ] || meson setup build >/dev/null || exit 1
ninja -C build >/dev/null || exit 1
staticpodd=$top/build/staticpodd

say() { printf '\n== %s\n' "$*"; }

agent=
cleanup() {
	[ -n "$agent" ] && kill -TERM "$agent" 2>/dev/null && wait "$agent" 2>/dev/null
	[ -n "${SPD_DIR:-}" ] && spd_harness_stop
}
trap cleanup EXIT
trap 'exit 1' INT TERM

if [ -S /var/run/crio/crio.sock ]; then
	say "using the node's CRI-O at /var/run/crio/crio.sock"
	endpoint=unix:///var/run/crio/crio.sock
	work=$(mktemp -d)
	image=localhost/busybox:1.36
else
	say "no CRI-O socket: starting a private containerd"
	. tests/integration/lib.sh
	spd_harness_start || exit 1
	endpoint=unix://$SPD_CRI_SOCKET
	work=$SPD_DIR
	image=$SPD_IMAGE
fi

manifests=$work/manifests
mkdir -m 700 "$manifests"
sed "s#localhost/busybox:1.36#$image#" examples/manifests/static-web.yaml >"$manifests/static-web.yaml"
chmod 600 "$manifests/static-web.yaml"
run=$work/run

say "staticpodd validate $manifests (what the agent will decide)"
"$staticpodd" validate --node-name demo-node "$manifests"

say "starting staticpodd on $manifests"
"$staticpodd" --pod-manifest-path "$manifests" \
	--container-runtime-endpoint "$endpoint" --hostname-override demo-node \
	--state-dir "$work/state" --run-dir "$run" --pod-logs-dir "$work/logs" \
	--audit-log "$work/audit.log" --file-check-frequency 2s \
	>"$work/agent.log" 2>&1 &
agent=$!

phase() {
	jq -r '.pods[] | select(.pod == "default/static-web-demo-node") | .phase + " " + (.containers[1].restarts|tostring)' \
		"$run/status.json" 2>/dev/null
}
wait_for() {	# jq-free: until phase() prints $1, at most 60 s
	local i
	for i in $(seq 300); do
		[ "$(phase)" = "$1" ] && return 0
		sleep 0.2
	done
	echo "timed out waiting for: $1 (now: $(phase))"
	return 1
}

wait_for "Running 0" || { cat "$work/agent.log"; exit 1; }
"$staticpodd" status --run-dir "$run"

ip=$(jq -r '.pods[0].podIP' "$run/status.json")
say "the pod answers HTTP on $ip:8080"
wget -qO- -T 5 "http://$ip:8080/" || exit 1

say "killing its web container: the agent restarts it"
id=$(jq -r '.pods[0].containers[1].id' "$run/status.json")
ctr -a "${SPD_CRI_SOCKET:-/var/run/crio/crio.sock}" -n k8s.io tasks kill -s KILL "$id" >/dev/null 2>&1
wait_for "Running 1" || exit 1
"$staticpodd" status --run-dir "$run"

say "moving the manifest out: the pod goes"
mv "$manifests/static-web.yaml" "$work/static-web.yaml"
for i in $(seq 150); do
	[ "$(jq '.pods | length' "$run/status.json")" = 0 ] && break
	sleep 0.2
done
"$staticpodd" status --run-dir "$run"

say "moving it back in: the pod comes back"
mv "$work/static-web.yaml" "$manifests/static-web.yaml"
wait_for "Running 0" || exit 1
"$staticpodd" status --run-dir "$run"
wget -qO- -T 5 "http://$(jq -r '.pods[0].podIP' "$run/status.json"):8080/"

say "the audit log: which manifest (sha256) started which container"
cut -c1-240 "$work/audit.log"

say "done: stopping the agent (pods stay running under a real node; here the private containerd is stopped too)"
