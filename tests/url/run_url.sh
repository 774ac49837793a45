#!/bin/bash
# The URL source against real servers on loopback, all under one temporary
# directory: nginx from Debian serving HTTPS with a CA and certificates
# made here by openssl, manifests signed here by minisign, and hostile.c
# for what nginx will not do. Every process started here is stopped by its
# pid on the way out.
#
#   run_url.sh fetcher TEST_URL HOSTILE FETCHER
#	test_url drives staticpodd-fetcher --role url directly (TAP)
#   run_url.sh daemon TEST_URL HOSTILE STATICPODD
#	the same source through the real daemon and its monitor (TAP)
set -u
mode=$1 test_url=$2 hostile=$3 prog=$4
URLT_WAIT=10		# seconds for a server to listen
URLT_STOP_WAIT=5	# seconds between SIGTERM and SIGKILL
URLT_DAEMON_WAIT=30	# seconds for the daemon to log what it accepted

if [ "$(id -u)" != 0 ]; then
	[ -n "${CI:-}" ] && { echo "Bail out! the URL tests need root"; exit 1; }
	echo "1..0 # SKIP nginx is run as root (CI runs these as root)"
	exit 77
fi
for cmd in nginx openssl minisign; do
	command -v "$cmd" >/dev/null ||
		{ echo "Bail out! $cmd is missing: run contrib/install-deps.sh"; exit 1; }
done

tmp=$(mktemp -d /tmp/staticpodd-url.XXXXXX)
chmod 755 "$tmp"	# the daemon's fetcher runs as an unprivileged user
pids=()
stop_pid() {
	local pid=$1 i
	kill -0 "$pid" 2>/dev/null || return 0
	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < URLT_STOP_WAIT * 10; i++)); do
		kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
}
cleanup() {
	local p
	for p in "${pids[@]}"; do stop_pid "$p"; done
	rm -rf "$tmp"
}
trap cleanup EXIT
die() {
	echo "Bail out! $*"
	for f in "$tmp"/nginx/error.log "$tmp"/*.log; do
		[ -f "$f" ] && sed "s|^|# $(basename "$f"): |" "$f"
	done
	exit 1
}

wait_port() {	# port: until something listens
	local i
	for ((i = 0; i < URLT_WAIT * 10; i++)); do
		(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# --- a CA, a certificate for localhost and 127.0.0.1, one for another name
cd "$tmp" || exit 1
mkdir -p www nginx/tmp
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout ca.key -out ca.crt -days 1 -subj "/CN=staticpodd test CA" \
	-addext basicConstraints=critical,CA:TRUE \
	-addext keyUsage=critical,keyCertSign,cRLSign 2>openssl.log ||
	die "openssl: CA"
chmod 644 ca.crt
cert() {	# name subjectAltName
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$1.key" -out "$1.csr" -subj "/CN=$1" 2>>openssl.log &&
	openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key \
		-CAcreateserial -out "$1.crt" -days 1 \
		-extfile <(printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\n' "$2") \
		2>>openssl.log
}
cert server "DNS:localhost,IP:127.0.0.1" || die "openssl: server certificate"
cert wrong "DNS:wrong.example" || die "openssl: second certificate"

# --- manifests
pod() {	# name [namespace]
	printf 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: %s\n' "$1"
	[ -n "${2:-}" ] && printf '  namespace: %s\n' "$2"
	printf 'spec:\n  containers:\n  - name: c\n    image: busybox:1.36\n'
}
pod web >www/pod.yaml
mkdir -p www/secret
cat >www/list.json <<'EOF'
{"apiVersion": "v1", "kind": "PodList", "items": [
 {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "alpha"},
  "spec": {"containers": [{"name": "c", "image": "busybox:1.36"}]}},
 {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "beta", "namespace": "infra"},
  "spec": {"containers": [{"name": "c", "image": "busybox:1.36"}]}}
]}
EOF
printf 'apiVersion: v1\nkind: PodList\nitems: []\n' >www/empty-list.yaml
cat >www/bad-list.yaml <<'EOF'
apiVersion: v1
kind: PodList
items:
- apiVersion: v1
  kind: Pod
  metadata: {name: good}
  spec:
    containers: [{name: c, image: "busybox:1.36"}]
- apiVersion: v1
  kind: Pod
  metadata: {name: bad}
  spec:
    containers: [{name: c, image: "Not An Image!"}]
EOF
cat >www/dup-list.yaml <<'EOF'
apiVersion: v1
kind: PodList
items:
- apiVersion: v1
  kind: Pod
  metadata: {name: twin}
  spec:
    containers: [{name: c, image: "busybox:1.36"}]
- apiVersion: v1
  kind: Pod
  metadata: {name: twin}
  spec:
    containers: [{name: d, image: "busybox:1.36"}]
EOF

# --- signatures: minisign's own key pairs and files
minisign -G -W -p k1.pub -s k1.key >minisign.log 2>&1 || die "minisign -G"
minisign -G -W -p k2.pub -s k2.key >>minisign.log 2>&1 || die "minisign -G"
sign() {	# key file [minisign options]
	local k=$1 f=$2
	shift 2
	minisign -S -s "$k" -m "$f" -t "staticpodd test" "$@" >>minisign.log 2>&1
}
pod signed >www/signed.yaml && sign k1.key www/signed.yaml || die "sign"
pod legacy >www/legacy.yaml && sign k1.key www/legacy.yaml -l || die "sign -l"
pod wrongkey >www/wrongkey.yaml && sign k2.key www/wrongkey.yaml || die "sign"
pod tampered >www/tampered.yaml && sign k1.key www/tampered.yaml || die "sign"
pod tamperedx >www/tampered.yaml
pod tampered >www/tampered-bad.yaml && sign k1.key www/tampered-bad.yaml ||
	die "sign"
printf 'this: [is not a pod\n' >www/tampered-bad.yaml
pod badcomment >www/badcomment.yaml && sign k1.key www/badcomment.yaml ||
	die "sign"
sed -i 's/^trusted comment: .*/trusted comment: edited after signing/' \
	www/badcomment.yaml.minisig
pod nosig >www/nosig.yaml
pod garbage >www/garbage.yaml
printf 'untrusted comment: x\nnot base64\n' >www/garbage.yaml.minisig
cp www/pod.yaml www/secret/pod.yaml
chmod -R a+rX www

# --- servers
for ((i = 0; i < 10; i++)); do
	https_port=$("$test_url" --free-port) && wrong_port=$("$test_url" --free-port) &&
		dead_port=$("$test_url" --free-port) || die "no free port"
	[ "$https_port" != "$wrong_port" ] && [ "$wrong_port" != "$dead_port" ] &&
		[ "$https_port" != "$dead_port" ] && break
done
cat >nginx/nginx.conf <<EOF
daemon off;
master_process off;
worker_processes 1;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/error.log warn;
events { worker_connections 64; }
http {
	access_log $tmp/nginx/access.log;
	client_body_temp_path $tmp/nginx/tmp/body;
	proxy_temp_path $tmp/nginx/tmp/proxy;
	fastcgi_temp_path $tmp/nginx/tmp/fastcgi;
	uwsgi_temp_path $tmp/nginx/tmp/uwsgi;
	scgi_temp_path $tmp/nginx/tmp/scgi;
	types { application/json json; application/yaml yaml; }
	default_type text/plain;
	ssl_protocols TLSv1.2 TLSv1.3;
	server {
		listen 127.0.0.1:$https_port ssl;
		server_name localhost;
		ssl_certificate $tmp/server.crt;
		ssl_certificate_key $tmp/server.key;
		root $tmp/www;
		location /secret/ {
			if (\$http_x_token != "s3cret-value") { return 403; }
		}
	}
	server {
		listen 127.0.0.1:$wrong_port ssl;
		ssl_certificate $tmp/wrong.crt;
		ssl_certificate_key $tmp/wrong.key;
		root $tmp/www;
	}
}
EOF
nginx -e "$tmp/nginx/error.log" -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" \
	>"$tmp/nginx.log" 2>&1 &
nginx_pid=$!
pids+=($nginx_pid)
"$hostile" "$tmp/hostile.port" "$tmp/www" 2>"$tmp/hostile.log" &
pids+=($!)
wait_port "$https_port" && wait_port "$wrong_port" || die "nginx does not listen"
# what listens must be nginx, not another process that took the port first
sleep 0.2
kill -0 "$nginx_pid" 2>/dev/null || die "nginx exited: $(cat "$tmp/nginx/error.log" 2>/dev/null)"
for ((i = 0; i < URLT_WAIT * 10; i++)); do
	[ -s "$tmp/hostile.port" ] && break
	sleep 0.1
done
hostile_port=$(cat "$tmp/hostile.port" 2>/dev/null) || die "hostile.c did not start"

if [ "$mode" = fetcher ]; then
	URLT_FETCHER=$prog URLT_DIR=$tmp URLT_CA=$tmp/ca.crt \
	URLT_PUBKEY=$(sed -n 2p k1.pub) URLT_HTTPS_PORT=$https_port \
	URLT_WRONGNAME_PORT=$wrong_port URLT_HOSTILE_PORT=$hostile_port \
	URLT_DEAD_PORT=$dead_port "$test_url"
	exit $?
fi

# --- through the daemon: the monitor's log says what it accepted
n=0 failed=0
ok() {	# name, condition status
	n=$((n + 1))
	if [ "$2" -eq 0 ]; then
		echo "ok $n - $1"
	else
		echo "not ok $n - $1"
		sed 's/^/# /' "$tmp/daemon.log"
		failed=$((failed + 1))
	fi
}
# No CRI runtime here: the monitor's log says what the agent accepted.
wait_log() {	# pattern: until the daemon's log has it
	local i
	for ((i = 0; i < URLT_DAEMON_WAIT * 10; i++)); do
		grep -q -- "$1" "$tmp/daemon.log" && return 0
		kill -0 "$dpid" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}
cp www/list.json www/daemon.json
cat >c.yaml <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
httpCheckFrequency: 1s
staticpodd:
  urlCAFile: $tmp/ca.crt
EOF
chmod 600 c.yaml
sha=$(sha256sum www/daemon.json | cut -d' ' -f1)
# an empty manifest directory beside the URL: the agent runs both sources
mkdir -m 700 manifests
: >"$tmp/daemon.log"
"$prog" --config "$tmp/c.yaml" --manifest-url "https://127.0.0.1:$https_port/daemon.json" \
	--pod-manifest-path "$tmp/manifests" \
	--hostname-override node1 --state-dir "$tmp/state" --run-dir "$tmp/run" -v \
	>"$tmp/daemon.log" 2>&1 &
dpid=$!
pids+=($dpid)
wait_log "pod default/alpha-node1 (uid [0-9a-f]*) desired from URL default/alpha-node1, sha256 $sha" &&
	wait_log "pod infra/beta-node1 (uid [0-9a-f]*) desired from URL infra/beta-node1, sha256 $sha" &&
	wait_log "URL fetcher: first complete view received"
ok daemon_admits_every_pod_of_the_url_list_with_the_body_sha256 $?

rm www/daemon.json
wait_log "URL fetcher: manifest https://127.0.0.1:$https_port/daemon.json: HTTP 404 (200 is expected) (the pods it served stay)" &&
	! grep -q "no longer desired" "$tmp/daemon.log"
ok daemon_keeps_url_pods_while_the_server_fails $?
sleep 2.5	# more polls, all failing the same way

cp www/empty-list.yaml www/daemon.json
wait_log "pod default/alpha-node1 (uid [0-9a-f]*) from URL default/alpha-node1 is no longer desired" &&
	wait_log "pod infra/beta-node1 (uid [0-9a-f]*) from URL infra/beta-node1 is no longer desired"
ok daemon_removes_url_pods_when_the_server_serves_an_empty_list $?

# the channel is read in order: every repeat came before the removal
[ "$(grep -c 'URL fetcher: manifest .*HTTP 404' "$tmp/daemon.log")" -eq 1 ]
ok daemon_logs_a_repeated_url_failure_once $?

! ldd "$prog" | grep -q libcurl
ok staticpodd_does_not_link_libcurl $?

echo "1..$n"
[ $failed -eq 0 ]
