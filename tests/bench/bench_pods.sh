#!/bin/bash
# Benchmark (not a test): pods from manifest rename to all containers
# running, for 1, 10 and 100 pods, against a private containerd (lib.sh);
# the time split into the CRI runtime's own (the sum of its calls, from
# the agent's counters, kill -USR1) and staticpodd's own time inside its
# passes. Then, with 100 pods running: peak RSS of each process and the
# agent's CPU time over 60 idle seconds. Timings here are noisy.
#
# usage: bench_pods.sh STATICPODD [IDLE_SECONDS]
set -u
staticpodd=$1
idle=${2:-60}
. "$(dirname "$0")/../integration/lib.sh"
spd_require
agent=
trap '[ -n "$agent" ] && kill $agent 2>/dev/null && wait $agent 2>/dev/null; spd_harness_stop' EXIT
trap 'exit 1' INT TERM
spd_harness_start

M=$SPD_DIR/manifests
S=$SPD_DIR/staging
LOG=$SPD_DIR/agent.log
STATUS=$SPD_DIR/run/status.json
mkdir -m 700 "$M" "$S"

"$staticpodd" --pod-manifest-path "$M" \
	--container-runtime-endpoint "unix://$SPD_CRI_SOCKET" \
	--state-dir "$SPD_DIR/state" --run-dir "$SPD_DIR/run" \
	--pod-logs-dir "$SPD_DIR/logs" --hostname-override node1 \
	--audit-log "$SPD_DIR/audit.log" >"$LOG" 2>&1 &
agent=$!
sleep 2

counters() {	# prints: cri_seconds own_seconds
	kill -USR1 "$agent"
	sleep 0.3
	grep "counters:" "$LOG" | tail -1 |
		sed -E 's/.*CRI calls taking ([0-9.]+) s, staticpodd.s own time ([0-9.]+) s.*/\1 \2/'
}

running() {
	jq '[.pods[] | select(.phase == "Running")] | length' "$STATUS" 2>/dev/null || echo 0
}

# Time on a CPU in nanoseconds (schedstat), not stat's 10 ms ticks: an
# idle minute is only a few ticks, too coarse to tell 0.08% from 0.1%.
cpu() { cat /proc/"$1"/task/*/schedstat | awk '{ t += $1 } END { printf "%.0f", t }'; }
now() { date +%s.%N; }

for n in 1 10 100; do
	for i in $(seq "$n"); do
		printf 'apiVersion: v1\nkind: Pod\nmetadata: {name: b%d}\nspec:\n  hostNetwork: true\n  terminationGracePeriodSeconds: 1\n  containers:\n  - name: c\n    image: %s\n    imagePullPolicy: Never\n    command: [/bin/sleep, "3600"]\n' \
			"$i" "$SPD_IMAGE" >"$S/b$i.yaml"
		chmod 600 "$S/b$i.yaml"
	done
	read -r cri0 own0 <<<"$(counters)"
	cpu0=$(cpu "$agent")
	t0=$(now)
	for i in $(seq "$n"); do mv "$S/b$i.yaml" "$M/"; done
	while [ "$(running)" -lt "$n" ]; do sleep 0.05; done
	t1=$(now)
	read -r cri1 own1 <<<"$(counters)"
	cpu1=$(cpu "$agent")
	# own time is wall time between calls, so it holds the waits for a
	# CPU that containerd keeps busy; the runtime's CPU time is the
	# stricter measure of what it costs, its CRI client included
	awk -v n="$n" -v t="$(echo "$t1 - $t0" | bc)" -v c="$(echo "$cri1 - $cri0" | bc)" \
		-v o="$(echo "$own1 - $own0" | bc)" -v u="$((cpu1 - cpu0))" 'BEGIN {
		printf "%3d pods: rename to all running %.2f s; CRI calls %.2f s; staticpodd own time %.1f ms (%.2f ms a pod), on a CPU %.1f ms (%.2f ms a pod); the rest is waiting (passes, debounce)\n",
			n, t, c, o * 1000, o * 1000 / n, u / 1e6, u / 1e6 / n }'
	if [ "$n" -lt 100 ]; then
		mv "$M"/*.yaml "$S/"
		while [ "$(jq '.pods | length' "$STATUS")" -ne 0 ]; do sleep 0.1; done
		sleep 3	# the removals finish
		rm -f "$S"/*.yaml
	fi
done

fetcher=$(pgrep -P "$agent" | head -1)
for p in "$agent" "$fetcher"; do
	name=$(tr '\0' ' ' </proc/"$p"/cmdline | cut -c1-40)
	echo "peak RSS with 100 pods: $(awk '/VmHWM/ {print $2, $3}' /proc/"$p"/status) ($name)"
done

a0=$(cpu "$agent"); f0=$(cpu "$fetcher")
sleep "$idle"
a1=$(cpu "$agent"); f1=$(cpu "$fetcher")
awk -v a=$((a1 - a0)) -v f=$((f1 - f0)) -v s="$idle" 'BEGIN {
	printf "idle %d s with 100 pods: runtime CPU %.3f s (%.3f%%), fetcher CPU %.3f s (%.3f%%)\n",
		s, a / 1e9, 100 * a / 1e9 / s, f / 1e9, 100 * f / 1e9 / s }'
