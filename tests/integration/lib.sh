#!/bin/bash
# The integration harness: a private containerd (CRI plugin, runc, a CNI
# bridge) and optionally a private registry on loopback, all under one
# temporary directory, built from Debian packages only and touching no
# system service. See ../shared/reference/real-cri-runtime-here.md.
#
# As a library (". lib.sh"):
#	spd_harness_start [--registry]	sets and exports
#		SPD_DIR		the temporary directory (everything lives here)
#		SPD_CRI_SOCKET	containerd's socket
#		SPD_IMAGE	localhost/busybox:1.36, imported, never pulled
#		SPD_PAUSE_IMAGE	localhost/pause:3.9, the sandbox image
#		SPD_PULL_IMAGE	127.0.0.1:PORT/busybox:1.36 (with --registry)
#		SPD_BRIDGE_OK	1 when the kernel can make the CNI bridge
#		SPD_RESTART	a command that restarts containerd in place
#	spd_harness_stop		stops everything started, by pid
# As a command:
#	lib.sh restart-containerd DIR	what SPD_RESTART runs
#	lib.sh stop DIR			spd_harness_stop for a DIR
#
# Only processes whose pids this harness recorded are stopped, plus the
# containerd shims whose -address is this harness's own socket.

SPD_LIB=$(readlink -f "${BASH_SOURCE[0]}")
SPD_CTRD_WAIT=30	# seconds for containerd's socket to appear
SPD_REGISTRY_WAIT=15	# seconds for the registry to listen
SPD_STOP_WAIT=10	# seconds between SIGTERM and SIGKILL

spd_log() {
	echo "# harness: $*" >&2
}

spd_die() {
	spd_log "$*"
	exit 1
}

# Exit 77 (meson's "skipped") only for what this kernel cannot do; a
# missing package or lack of privilege is a failure in CI.
spd_require() {
	local cmd ns
	if [ "$(id -u)" != 0 ]; then
		[ -n "${CI:-}" ] && spd_die "the integration tests need root"
		spd_log "skipped: not root (CI runs these as root)"
		exit 77
	fi
	for cmd in containerd ctr runc umoci busybox ip; do
		command -v "$cmd" >/dev/null ||
			spd_die "$cmd is missing: run contrib/install-deps.sh"
	done
	[ -x /usr/lib/cni/bridge ] && [ -x /usr/lib/cni/host-local ] &&
		[ -x /usr/lib/cni/loopback ] ||
		spd_die "CNI plugins are missing: run contrib/install-deps.sh"
	for ns in mnt pid ipc uts net; do
		if [ ! -e "/proc/self/ns/$ns" ]; then
			spd_log "skipped: the kernel has no $ns namespaces"
			exit 77
		fi
	done
	if ! grep -q cgroup /proc/self/mounts; then
		spd_log "skipped: no cgroup file system is mounted"
		exit 77
	fi
}

spd_pid_alive() {
	[ -n "$1" ] && kill -0 "$1" 2>/dev/null
}

# Stops one recorded pid: SIGTERM, then SIGKILL after SPD_STOP_WAIT.
spd_stop_pid() {
	local pid=$1 i
	spd_pid_alive "$pid" || return 0
	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < SPD_STOP_WAIT * 10; i++)); do
		spd_pid_alive "$pid" || return 0
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
	for ((i = 0; i < 50; i++)); do
		spd_pid_alive "$pid" || return 0
		sleep 0.1
	done
	spd_log "pid $pid did not exit"
}

# A private /16 no interface or route of this machine uses yet.
spd_pick_subnet() {
	local n i
	n=$((100 + $$ % 100))
	for ((i = 0; i < 100; i++)); do
		if ! ip -4 route show | grep -q "^10\.$n\." &&
			! ip -4 addr show | grep -q "inet 10\.$n\."; then
			echo "10.$n.0.0/16"
			return 0
		fi
		n=$((100 + (n - 99) % 100))
	done
	return 1
}

spd_write_cni() {
	local subnet
	subnet=$(spd_pick_subnet) || spd_die "no free private /16 for the pod network"
	mkdir -p "$SPD_DIR/cni/net.d" "$SPD_DIR/cni/ipam"
	# ipMasq off: pods reach the host, never beyond it.
	cat >"$SPD_DIR/cni/net.d/10-spd.conflist" <<EOF
{
  "cniVersion": "0.4.0",
  "name": "$SPD_NET",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$SPD_NET",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "dataDir": "$SPD_DIR/cni/ipam",
        "ranges": [[{ "subnet": "$subnet" }]],
        "routes": [{ "dst": "0.0.0.0/0" }]
      }
    },
    { "type": "portmap", "capabilities": { "portMappings": true } }
  ]
}
EOF
	echo "$subnet" >"$SPD_DIR/subnet"
}

spd_write_containerd_config() {
	local snapshotter=overlayfs mirror=""
	grep -qw overlay /proc/filesystems || snapshotter=native
	if [ -s "$SPD_DIR/registry.addr" ]; then
		local addr
		addr=$(cat "$SPD_DIR/registry.addr")
		mirror="[plugins.\"io.containerd.grpc.v1.cri\".registry.mirrors.\"$addr\"]
  endpoint = [\"http://$addr\"]"
	fi
	# restrict_oom_score_adj: without CAP_SYS_RESOURCE every sandbox fails
	# in runc otherwise. netns_mounts_under_state_dir keeps the pods'
	# network namespaces under SPD_DIR, so teardown finds them.
	cat >"$SPD_DIR/containerd.toml" <<EOF
version = 2
root = "$SPD_DIR/root"
state = "$SPD_DIR/state"
temp = "$SPD_DIR/tmp"
oom_score = 0

[grpc]
  address = "$SPD_CRI_SOCKET"

[ttrpc]
  address = "$SPD_CRI_SOCKET.ttrpc"

[debug]
  address = ""
  level = "info"

[metrics]
  address = ""

[plugins."io.containerd.internal.v1.opt"]
  path = "$SPD_DIR/opt"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$SPD_PAUSE_IMAGE"
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  disable_tcp_service = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  enable_selinux = false

[plugins."io.containerd.grpc.v1.cri".containerd]
  snapshotter = "$snapshotter"
  default_runtime_name = "runc"

[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
  runtime_type = "io.containerd.runc.v2"

[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
  Root = "$SPD_DIR/runc"
  SystemdCgroup = false

[plugins."io.containerd.grpc.v1.cri".cni]
  bin_dir = "/usr/lib/cni"
  conf_dir = "$SPD_DIR/cni/net.d"
  max_conf_num = 1

$mirror
EOF
}

spd_cri_started() {	# times the CRI plugin has finished starting
	grep -c 'Start streaming server' "$SPD_DIR/containerd.log" 2>/dev/null ||
		true
}

# Starts containerd in its own session and waits for its CRI service: the
# socket answers before the CRI plugin has recovered its state, and CRI
# calls fail with "server is not initialized yet" until then.
spd_containerd_start() {
	local pid i before
	mkdir -p "$SPD_DIR/tmp" "$SPD_DIR/runc"
	rm -f "$SPD_CRI_SOCKET"
	before=$(spd_cri_started)
	setsid containerd --config "$SPD_DIR/containerd.toml" \
		>>"$SPD_DIR/containerd.log" 2>&1 </dev/null &
	pid=$!
	echo "$pid" >"$SPD_DIR/containerd.pid"
	for ((i = 0; i < SPD_CTRD_WAIT * 10; i++)); do
		if ! spd_pid_alive "$pid"; then
			tail -20 "$SPD_DIR/containerd.log" >&2
			spd_die "containerd exited"
		fi
		if [ -S "$SPD_CRI_SOCKET" ] &&
			[ "$(spd_cri_started)" -gt "${before:-0}" ] &&
			ctr -a "$SPD_CRI_SOCKET" version >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.1
	done
	tail -20 "$SPD_DIR/containerd.log" >&2
	spd_die "containerd did not listen on $SPD_CRI_SOCKET in ${SPD_CTRD_WAIT}s"
}

spd_containerd_stop() {
	spd_stop_pid "$(cat "$SPD_DIR/containerd.pid" 2>/dev/null)"
	rm -f "$SPD_DIR/containerd.pid"
}

# Kills the containers' processes through containerd, so nothing of a test
# outlives the harness (a shim killed alone would leave its container).
spd_kill_tasks() {
	local t
	[ -S "$SPD_CRI_SOCKET" ] || return 0
	for t in $(ctr -a "$SPD_CRI_SOCKET" -n k8s.io tasks ls -q 2>/dev/null); do
		ctr -a "$SPD_CRI_SOCKET" -n k8s.io tasks kill -a -s SIGKILL "$t" \
			>/dev/null 2>&1
	done
}

# The shims of this containerd only: their -address is our socket.
spd_shim_pids() {
	local p arg prev
	for p in /proc/[0-9]*; do
		prev=""
		# a process may exit while we look: its cmdline is then gone
		{ while IFS= read -r -d '' arg; do
			if [ "$prev" = -address ] && [ "$arg" = "$SPD_CRI_SOCKET" ]; then
				echo "${p#/proc/}"
				break
			fi
			prev=$arg
		done <"$p/cmdline"; } 2>/dev/null
	done
}

spd_unmount_leftovers() {
	local m
	# deepest first; mountinfo field 5 is the mount point
	awk -v d="$SPD_DIR/" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo |
		sort -r | while read -r m; do
		umount -l "$m" 2>/dev/null || spd_log "cannot unmount $m"
	done
}

# Builds an OCI image layout with umoci from busybox-static, tagged TAG,
# whose command is the rest of the arguments.
spd_build_image() {
	local layout=$1 tag=$2
	shift 2
	local rootfs="$SPD_DIR/build/rootfs" args=() a
	if [ ! -d "$rootfs" ]; then
		mkdir -p "$rootfs/bin" "$rootfs/etc" "$rootfs/tmp" "$rootfs/var/www"
		cp /bin/busybox "$rootfs/bin/busybox"
		# relative links: --install -s would point at the host's path
		for a in $(busybox --list); do
			[ "$a" = busybox ] || ln -s busybox "$rootfs/bin/$a"
		done
		echo 'root:x:0:0:root:/root:/bin/sh' >"$rootfs/etc/passwd"
		echo 'root:x:0:' >"$rootfs/etc/group"
		chmod 1777 "$rootfs/tmp"
	fi
	for a in "$@"; do
		args+=(--config.cmd "$a")
	done
	umoci init --layout "$layout" &&
		umoci new --image "$layout:$tag" &&
		umoci insert --image "$layout:$tag" "$rootfs" / >/dev/null &&
		umoci config --image "$layout:$tag" --config.workingdir / \
			--config.env PATH=/bin "${args[@]}" ||
		spd_die "umoci could not build $layout:$tag"
}

spd_import_image() {	# layout, base name
	(cd "$1" && tar cf "$1.tar" .) || spd_die "cannot archive $1"
	ctr -a "$SPD_CRI_SOCKET" -n k8s.io images import --base-name "$2" \
		"$1.tar" >/dev/null || spd_die "ctr could not import $1 as $2"
}

spd_port_free() {
	! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# docker-registry on 127.0.0.1:5000, or the next free port when another
# test run holds 5000; the image is pushed with skopeo.
spd_registry_start() {
	local port=5000 pid i
	command -v docker-registry >/dev/null && command -v skopeo >/dev/null ||
		spd_die "docker-registry or skopeo is missing: run contrib/install-deps.sh"
	while ! spd_port_free "$port"; do
		port=$((port + 1))
		[ "$port" -lt 5100 ] || spd_die "no free port for the registry"
	done
	mkdir -p "$SPD_DIR/registry"
	cat >"$SPD_DIR/registry.yml" <<EOF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $SPD_DIR/registry
http:
  addr: 127.0.0.1:$port
EOF
	setsid docker-registry serve "$SPD_DIR/registry.yml" \
		>>"$SPD_DIR/registry.log" 2>&1 </dev/null &
	pid=$!
	echo "$pid" >"$SPD_DIR/registry.pid"
	for ((i = 0; i < SPD_REGISTRY_WAIT * 10; i++)); do
		spd_pid_alive "$pid" || {
			tail -5 "$SPD_DIR/registry.log" >&2
			spd_die "docker-registry exited"
		}
		spd_port_free "$port" || break
		sleep 0.1
	done
	spd_port_free "$port" && spd_die "docker-registry did not listen on $port"
	echo "127.0.0.1:$port" >"$SPD_DIR/registry.addr"
	echo '{"default":[{"type":"insecureAcceptAnything"}]}' >"$SPD_DIR/policy.json"
	skopeo --policy "$SPD_DIR/policy.json" copy --quiet \
		--dest-tls-verify=false "oci:$SPD_DIR/build/busybox:1.36" \
		"docker://127.0.0.1:$port/busybox:1.36" >/dev/null ||
		spd_die "skopeo could not push to the registry"
	SPD_PULL_IMAGE="127.0.0.1:$port/busybox:1.36"
}

spd_harness_start() {
	local registry=0
	[ "${1:-}" = --registry ] && registry=1
	spd_require
	# short: a unix socket path must fit in 108 bytes
	SPD_DIR=$(mktemp -d /tmp/spd.XXXXXX) || spd_die "mktemp"
	SPD_NET="spd-${SPD_DIR##*.}"	# bridge and network name, 10 chars
	SPD_CRI_SOCKET="$SPD_DIR/containerd.sock"
	SPD_IMAGE=localhost/busybox:1.36
	SPD_PAUSE_IMAGE=localhost/pause:3.9
	SPD_PULL_IMAGE=""
	SPD_RESTART="bash $SPD_LIB restart-containerd $SPD_DIR"
	echo "$SPD_NET" >"$SPD_DIR/net"
	export SPD_DIR SPD_CRI_SOCKET SPD_IMAGE SPD_PAUSE_IMAGE SPD_PULL_IMAGE
	export SPD_RESTART SPD_BRIDGE_OK

	mkdir -p "$SPD_DIR/build"
	spd_build_image "$SPD_DIR/build/busybox" 1.36 /bin/sh
	spd_build_image "$SPD_DIR/build/pause" 3.9 /bin/sleep 2147483647
	[ "$registry" = 1 ] && spd_registry_start

	# A kernel without bridges still runs host-network pods.
	SPD_BRIDGE_OK=0
	if ip link add name "$SPD_NET" type bridge 2>/dev/null; then
		ip link del "$SPD_NET"
		SPD_BRIDGE_OK=1
		spd_write_cni
	else
		spd_log "the kernel cannot make a bridge: host-network pods only"
	fi
	spd_write_containerd_config
	spd_containerd_start
	spd_import_image "$SPD_DIR/build/busybox" localhost/busybox
	spd_import_image "$SPD_DIR/build/pause" localhost/pause
	spd_log "containerd $(cat "$SPD_DIR/containerd.pid") on $SPD_CRI_SOCKET${SPD_PULL_IMAGE:+, registry image $SPD_PULL_IMAGE}"
}

spd_harness_stop() {
	local p net
	[ -n "${SPD_DIR:-}" ] && [ -d "$SPD_DIR" ] || return 0
	SPD_CRI_SOCKET="$SPD_DIR/containerd.sock"
	if spd_pid_alive "$(cat "$SPD_DIR/containerd.pid" 2>/dev/null)"; then
		spd_kill_tasks
	fi
	spd_containerd_stop
	for p in $(spd_shim_pids); do
		spd_stop_pid "$p"
	done
	spd_stop_pid "$(cat "$SPD_DIR/registry.pid" 2>/dev/null)"
	net=$(cat "$SPD_DIR/net" 2>/dev/null)
	if [ -n "$net" ] && ip link show "$net" >/dev/null 2>&1; then
		ip link del "$net" || spd_log "cannot remove bridge $net"
	fi
	spd_unmount_leftovers
	rm -rf --one-file-system "$SPD_DIR" 2>/dev/null ||
		spd_log "could not remove all of $SPD_DIR"
	SPD_DIR=""
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	set -u
	case "${1:-}" in
	restart-containerd)
		SPD_DIR=$2
		SPD_CRI_SOCKET="$SPD_DIR/containerd.sock"
		spd_containerd_stop
		spd_containerd_start
		;;
	stop)
		SPD_DIR=$2
		spd_harness_stop
		;;
	*)
		echo "usage: lib.sh restart-containerd DIR | stop DIR" >&2
		exit 2
		;;
	esac
fi
