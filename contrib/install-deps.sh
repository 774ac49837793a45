#!/bin/bash
# Installs what building and testing staticpodd needs on Debian 12, and
# nothing when it is all there already. Run as root.
set -euo pipefail

packages=(
	# build
	meson ninja-build pkg-config gcc clang libclang-rt-14-dev
	libyaml-dev libjson-c-dev libcurl4-openssl-dev libprotobuf-c-dev
	protobuf-c-compiler libseccomp-dev libcap-ng-dev libnghttp2-dev
	libssl-dev
	# tests
	procps coreutils jq
	# integration tests: a private containerd, images built and served locally
	containerd runc busybox-static umoci containernetworking-plugins
	docker-registry skopeo iproute2 iptables util-linux
	# URL source tests: a web server, a test CA, signed manifests
	nginx-light openssl minisign
)

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "installing: ${missing[*]}"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		"${missing[@]}" >/dev/null
fi
