#!/usr/bin/env bash
# The main job, from a fresh Debian 12 machine (as root):
#   install the Debian packages, build everything, start dxgd on lavapipe, boot a QEMU guest with
#   opendxg.ko, and show
#     - the host's adapters as the guest sees them through /dev/dxg (dxgctl adapters, in the guest),
#     - the host's view from dxgd while the guest holds a device and a context on every adapter
#       (dxgctl host status, on the host).
# Options are passed to scripts/vm-run (e.g. --vms 2, --accel tcg, --keep).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

if [ "$(id -u)" -ne 0 ]; then
	echo "main.sh: run as root (it installs Debian packages and boots QEMU guests)" >&2
	exit 2
fi

echo "== installing Debian packages (if missing) =="
scripts/install-deps
echo "== building dxgd, tools and opendxg.ko =="
scripts/build
echo "== booting a guest against dxgd (lavapipe) =="
# The host view is taken while the guest holds its objects: scripts/host-view polls dxgd until a
# guest process with a device shows up, then prints dxgd's status table.
exec scripts/vm-run --no-build "$@" \
	--host-during "scripts/host-view" \
	build/tools/dxgctl -- dxgctl demo --hold 10
