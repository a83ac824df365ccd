#!/bin/bash
# Host side of dxgtest-reconnect; run it as vm-run --host-during.
#
#   host-stop-worker.sh DXGCTL --stop-after-marker TEXT --cont-after-marker TEXT
#       wait until the first TEXT appears on vm0's console (the guest test writes it to
#       /dev/kmsg), SIGSTOP vm0's worker; wait for the second TEXT, SIGCONT it. Then check that
#       it is still the same worker in the same generation: the guest must have recovered
#       without a restart (and so without a control interrupt).
#
# DXGCTL is the dxgctl binary; DXGD_CONTROL and VMRUN_DIR come from vm-run. The worker is
# continued on every exit path. Exits non-zero when a marker never came, no worker was found, or
# the worker was restarted meanwhile.
set -euo pipefail

dxgctl=$1
shift
stop_marker='' cont_marker=''
while [[ $# -gt 0 ]]; do
	case $1 in
	--stop-after-marker) stop_marker=$2; shift 2 ;;
	--cont-after-marker) cont_marker=$2; shift 2 ;;
	*) echo "host-stop-worker: unknown argument $1" >&2; exit 2 ;;
	esac
done
[[ -n $stop_marker && -n $cont_marker ]] || { echo "host-stop-worker: both markers needed" >&2; exit 2; }

# "worker     ready, pid 9586, generation 1, restarts 0, crashes 0" (docs/dxgctl.md)
worker_line() { "$dxgctl" host status | sed -n 's/^ *worker *//p' | head -n 1; }
worker_pid() { worker_line | sed -n 's/.*pid \([0-9][0-9]*\).*/\1/p'; }
worker_generation() { worker_line | sed -n 's/.*generation \([0-9][0-9]*\).*/\1/p'; }

# 240 s at most: the guest test's own watchdog.
wait_marker() {
	for _ in $(seq 1200); do
		grep -qF -- "$1" "$VMRUN_DIR/vm0.console" 2>/dev/null && return 0
		sleep 0.2
	done
	echo "marker never seen: $1"
	return 1
}

wait_marker "$stop_marker"
pid=$(worker_pid)
generation=$(worker_generation)
[[ -n $pid ]] || { echo "no worker pid in: $(worker_line)"; exit 1; }
# Never leave a stopped worker behind, whatever happens below.
trap 'kill -CONT "$pid" 2>/dev/null || true' EXIT
kill -STOP "$pid"
echo "stopped worker $pid (generation $generation)"

wait_marker "$cont_marker"
kill -CONT "$pid"
echo "continued worker $pid"
line=$(worker_line)
echo "now: $line"
[[ $(worker_pid) == "$pid" && $(worker_generation) == "$generation" ]] ||
	{ echo "the worker was restarted meanwhile: not the case under test"; exit 1; }
