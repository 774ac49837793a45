#!/bin/bash
# The main job, as far as it is built today: install what is missing,
# build, and decide, as the agent would, which example manifests it would
# run. Later work grows this into a full run against a CRI runtime.
set -euo pipefail
cd "$(dirname "$0")/.."
bash contrib/install-deps.sh
[ -d build ] || meson setup build >/dev/null
ninja -C build >/dev/null
echo "== staticpodd validate examples/ (as the agent would read that directory)"
./build/staticpodd validate -o name examples/
echo
echo "== the canonical, defaulted static-web pod"
./build/staticpodd validate -o yaml examples/static-web.yaml
echo
echo "== a manifest the agent refuses, and why"
printf 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: bad\nspec:\n  serviceAccountName: admin\n  containers:\n  - name: c\n    image: busybox\n    imagePullPolcy: Always\n' >/tmp/staticpodd-demo-bad.yaml
./build/staticpodd validate /tmp/staticpodd-demo-bad.yaml || true
rm -f /tmp/staticpodd-demo-bad.yaml
