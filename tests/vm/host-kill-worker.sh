#!/bin/bash
# Host side of the guest tests that need a dxgd worker restart; run it as vm-run --host-during.
#
#   host-kill-worker.sh DXGCTL --times N --every SECONDS
#       kill vm0's worker N times, SECONDS apart (the first after SECONDS), each time waiting
#       until the broker has a new worker ready (dxgtest-stress --restart)
#   host-kill-worker.sh DXGCTL --after-marker TEXT
#       wait until TEXT appears on vm0's console (the guest test writes it to /dev/kmsg), then
#       kill vm0's worker once (dxgtest-handshake: "dxgtest-handshake: unbound")
#
# DXGCTL is the dxgctl binary; DXGD_CONTROL and VMRUN_DIR come from vm-run. Exits non-zero when
# a worker could not be found or did not come back within 30 s.
set -euo pipefail

dxgctl=$1
shift
times=1 every=0 marker=
while [[ $# -gt 0 ]]; do
	case $1 in
	--times) times=$2; shift 2 ;;
	--every) every=$2; shift 2 ;;
	--after-marker) marker=$2; shift 2 ;;
	*) echo "host-kill-worker: unknown argument $1" >&2; exit 2 ;;
	esac
done

# "worker     ready, pid 9586, generation 1, restarts 0, crashes 0" (docs/dxgctl.md)
worker_line() { "$dxgctl" host status | sed -n 's/^ *worker *//p' | head -n 1; }
worker_pid() { worker_line | sed -n 's/.*pid \([0-9][0-9]*\).*/\1/p'; }
worker_generation() { worker_line | sed -n 's/.*generation \([0-9][0-9]*\).*/\1/p'; }

if [[ -n $marker ]]; then
	for _ in $(seq 600); do
		grep -qF -- "$marker" "$VMRUN_DIR/vm0.console" 2>/dev/null && break
		sleep 0.2
	done
	grep -qF -- "$marker" "$VMRUN_DIR/vm0.console" || { echo "marker never seen"; exit 1; }
fi

for i in $(seq "$times"); do
	[[ $every == 0 ]] || sleep "$every"
	pid=$(worker_pid)
	generation=$(worker_generation)
	[[ -n $pid ]] || { echo "no worker pid in: $(worker_line)"; exit 1; }
	echo "kill $i: worker $pid (generation $generation)"
	kill -KILL "$pid"
	for _ in $(seq 150); do
		line=$(worker_line)
		[[ $line == ready,* && $(worker_generation) != "$generation" ]] && break
		sleep 0.2
	done
	echo "now: $(worker_line)"
	[[ $(worker_generation) != "$generation" ]] || exit 1
done
