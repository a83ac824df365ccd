#!/usr/bin/env bash
# The main job, from a fresh Debian 12 machine (as root):
#   install the Debian packages, build everything, start dxgd on lavapipe, boot TWO QEMU guests
#   at once with opendxg.ko, and in each guest
#     - show the host's adapters as the guest sees them through /dev/dxg (dxgctl adapters),
#     - hold a device on every adapter (dxgctl demo) while it runs the three compute samples,
#       dxgc-saxpy, dxgc-sgemm and dxgc-reduce, each checked against a CPU reference;
#   meanwhile, on the host, show dxgd's view with both VMs sharing the adapter (scripts/host-view),
#   and at the end every sample's verdict per guest.
# It fails if any sample in any guest mismatched or failed, or the host never saw both VMs on
# the adapter at once. Options are passed to scripts/vm-run (e.g. --vms 3, --accel tcg, --keep).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

if [ "$(id -u)" -ne 0 ]; then
	echo "main.sh: run as root (it installs Debian packages and boots QEMU guests)" >&2
	exit 2
fi

build=${BUILD_DIR:-build}

echo "== installing Debian packages (if missing) =="
scripts/install-deps
echo "== building dxgd, tools, samples and opendxg.ko =="
scripts/build
for program in tools/dxgctl samples/dxgc-saxpy samples/dxgc-sgemm samples/dxgc-reduce; do
	if [ ! -x "$build/$program" ]; then
		echo "main.sh: $build/$program was not built (glslang-tools missing?)" >&2
		exit 3
	fi
done

# What every guest runs. The demo holds a device and a context on every adapter for a while (in
# the background, so the host view finds every VM on the adapter even between two samples); the
# samples run one after another and each exits non-zero on a mismatch. (Single quotes: the
# guest's shell expands it.)
# shellcheck disable=SC2016
guest_script='
dxgctl adapters || exit 1
dxgctl demo --hold 10 >/tmp/demo.log 2>&1 &
demo=$!
status=0
for sample in dxgc-saxpy dxgc-sgemm dxgc-reduce; do
	"$sample" || status=1
done
wait "$demo" || { cat /tmp/demo.log; status=1; }
exit $status
'

echo "== booting two guests against one dxgd (lavapipe); each runs the three samples =="
exec scripts/vm-run --no-build --vms 2 "$@" \
	--host-during "scripts/host-view" \
	--host-after "scripts/host-view --results" \
	"$build/tools/dxgctl" "$build/samples/dxgc-saxpy" "$build/samples/dxgc-sgemm" \
	"$build/samples/dxgc-reduce" -- sh -c "$guest_script"
