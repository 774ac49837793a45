#!/bin/bash
# Runs a test program against a private containerd and registry started
# for it (lib.sh), and stops them however the program ends.
# usage: run_cri.sh PROGRAM [ARG...]
set -u
. "$(dirname "$0")/lib.sh"
trap spd_harness_stop EXIT
trap 'exit 1' INT TERM
spd_harness_start --registry
"$@"
