#!/bin/bash
# Runs a test program against a private containerd and registry started
# for it (lib.sh), and stops them however the program ends. On failure the
# end of containerd's log goes to stderr, for the test log.
# usage: run_cri.sh PROGRAM [ARG...]
set -u
. "$(dirname "$0")/lib.sh"
trap spd_harness_stop EXIT
trap 'exit 1' INT TERM
spd_harness_start --registry
"$@"
rc=$?
if [ $rc -ne 0 ] && [ $rc -ne 77 ]; then
	echo "--- the end of containerd's log:" >&2
	tail -40 "$SPD_DIR/containerd.log" >&2
fi
exit $rc
