#!/usr/bin/env bash
# Runs every opendxg test, from a fresh Debian 12 machine (as root):
#   1. installs the Debian packages the project needs (scripts/install-deps),
#   2. builds everything, plus a clang ASan/UBSan build of the host code with the fuzzers
#      (scripts/build --asan),
#   3. unit and host tests under the sanitizers (meson test in build-asan/),
#   4. the same tests in the optimised gcc build (the ring stress test at full speed),
#   5. kernel style (checkpatch) on the guest driver,
#   6. libFuzzer on the worker's dispatch, the ring and the command buffer parser, 90 s each
#      (OPENDXG_FUZZ_SECONDS),
#   7. guest tests in real QEMU guests with opendxg.ko against a real dxgd on lavapipe
#      (one guest, two guests on one dxgd, stress with worker restarts, the handshake race),
#      through scripts/vm-run, and the README's main job,
#   8. a short benchmark run, to prove the benchmark works (its numbers are not judged).
# Prints one line per step and ends with "N passed, N failed"; exits non-zero if any step failed.
# Logs of every step are kept in out/test-logs/.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1

if [ "$(id -u)" -ne 0 ]; then
	echo "test.sh: run as root (it installs Debian packages and boots QEMU guests)" >&2
	exit 2
fi

logdir="$top/out/test-logs"
rm -rf "$logdir"
mkdir -p "$logdir"

passed=0
failed=0
failed_steps=()

# step NAME COMMAND... : runs COMMAND with its output in $logdir/NAME.log.
step() {
	local name=$1
	shift
	local log="$logdir/$name.log"
	local start=$SECONDS
	if "$@" >"$log" 2>&1; then
		passed=$((passed + 1))
		printf 'PASS  %-28s (%ds)\n' "$name" $((SECONDS - start))
	else
		failed=$((failed + 1))
		failed_steps+=("$name")
		printf 'FAIL  %-28s (%ds) — last lines of %s:\n' "$name" $((SECONDS - start)) "$log"
		tail -n 40 "$log" | sed 's/^/    | /'
	fi
}

echo "== opendxg tests =="
step install-deps scripts/install-deps
step build scripts/build --asan
if [ "$failed" -ne 0 ]; then
	echo "build failed: not running tests"
	echo "$passed passed, $failed failed"
	exit 1
fi

# Host code under ASan/UBSan: unit tests (ring, handle table, decoder, ABI) and dxgd driven by
# user-space guests. UBSan reports abort the test (halt_on_error) so none can pass unnoticed.
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
step unit-host-asan meson test -C build-asan --print-errorlogs --no-rebuild --suite opendxg
# The optimised build runs the stress test at full speed and the host tests once more without
# sanitizer timing distortions.
step unit-host meson test -C build --print-errorlogs --no-rebuild --suite opendxg

step checkpatch scripts/checkpatch

# libFuzzer with ASan+UBSan on what the guest drives: the worker's request dispatch (stateful, with
# object-graph invariants) and the ring against hostile shared memory. Bounded time per harness.
step fuzz tests/fuzz/run-fuzzers.sh build-asan "${OPENDXG_FUZZ_SECONDS:-90}"

vmrun=(scripts/vm-run --no-build --timeout 600)
vmbin=build/tests/vm
guest_bins=("$vmbin"/dxgtest-wsl "$vmbin"/dxgtest-errors "$vmbin"/dxgtest-process
	"$vmbin"/dxgtest-twovm "$vmbin"/dxgtest-stress "$vmbin"/dxgtest-handshake
	"$vmbin"/dxgtest-reconnect build/tools/dxgctl)
kill_worker=(tests/vm/host-kill-worker.sh build/tools/dxgctl)
step vm-wsl-sequence "${vmrun[@]}" "${guest_bins[@]}" -- dxgtest-wsl
step vm-errors "${vmrun[@]}" "${guest_bins[@]}" -- dxgtest-errors
step vm-process-isolation "${vmrun[@]}" "${guest_bins[@]}" -- dxgtest-process
step vm-two-guests "${vmrun[@]}" --vms 2 "${guest_bins[@]}" -- dxgtest-twovm
step vm-stress "${vmrun[@]}" "${guest_bins[@]}" -- dxgtest-stress
# dxgd's worker is killed under load: guests see -ENODEV, reconnect, and leave nothing behind.
step vm-stress-worker-restarts "${vmrun[@]}" \
	--host-during "${kill_worker[*]} --times 3 --every 6" \
	"${guest_bins[@]}" -- dxgtest-stress --seconds 30 --restart
# The generation handshake, with the restart race forced through sysfs (protocol.md 2.3).
step vm-generation-handshake "${vmrun[@]}" \
	--host-during "${kill_worker[*]} --after-marker 'dxgtest-handshake: unbound'" \
	"${guest_bins[@]}" -- dxgtest-handshake
# A channel that failed to connect (worker stopped, same generation) comes back by itself.
step vm-reconnect-without-restart "${vmrun[@]}" \
	--host-during "tests/vm/host-stop-worker.sh build/tools/dxgctl --stop-after-marker 'dxgtest-reconnect: unbound' --cont-after-marker 'dxgtest-reconnect: down'" \
	"${guest_bins[@]}" -- dxgtest-reconnect
step vm-arbitrary-binary "${vmrun[@]}" --vms 2 "$vmbin"/hello-static -- hello-static
# Memory (issue 3): allocations 4 KiB..64 MiB need a region above 64 MiB; 2 vCPUs make the
# lock/unlock races real.
mem_bins=("$vmbin"/dxgtest-memory "$vmbin"/dxgtest-quota build/tools/dxgctl)
step vm-memory "${vmrun[@]}" --cpus 2 --region-size 128M "${mem_bins[@]}" -- dxgtest-memory
# A worker killed while the guest holds CPU mappings: they are revoked, handles become -ENODEV.
step vm-memory-worker-restart "${vmrun[@]}" \
	--host-during "${kill_worker[*]} --after-marker 'dxgtest-memory: locked'" \
	"${mem_bins[@]}" -- dxgtest-memory --restart
# Exact quotas in two concurrent VMs with different limits.
step vm-memory-quota "${vmrun[@]}" --vms 2 \
	--dxgd-arg --vm-limits --dxgd-arg vm0:quota_bytes=24M \
	--dxgd-arg --vm-limits --dxgd-arg vm1:quota_bytes=40M \
	"${mem_bins[@]}" -- dxgtest-quota
# Execution (issue 4): every packet type, sync objects and waits, hostile command buffers, killed
# submitters; then the same in two guests at once (the samples run in the main job).
exec_bins=("$vmbin"/dxgtest-exec build/samples/dxgc-saxpy build/samples/dxgc-sgemm
	build/samples/dxgc-reduce)
step vm-exec "${vmrun[@]}" --cpus 2 "${exec_bins[@]}" -- dxgtest-exec
step vm-exec-two-guests "${vmrun[@]}" --vms 2 "${exec_bins[@]}" -- dxgtest-exec
# The WSL compatibility suite (issue 5, docs/abi.md): one program per ioctl family, written from
# WSL's semantics, all in one guest; then adapter removal (a worker restart) and re-enumeration.
compat=build/tests/compat
compat_bins=()
for family in dispatch adapter device memory sync exec share syncfile misc; do
	compat_bins+=("$compat/dxgcompat-$family")
done
step vm-compat "${vmrun[@]}" --cpus 2 "${compat_bins[@]}" tests/compat/run-all.sh \
	-- run-all.sh /usr/local/bin
step vm-compat-removal "${vmrun[@]}" \
	--host-during "${kill_worker[*]} --after-marker 'dxgcompat-removal: ready'" \
	"$compat/dxgcompat-removal" build/tools/dxgctl -- dxgcompat-removal
# The README's first command, end to end (its install and build steps are no-ops by now).
step main-job scripts/main.sh

step bench-smoke build/bench/dxg-bench-rtt --iterations 2000
step bench-membw-smoke build/bench/dxg-bench-membw --samples 3
step bench-exec-smoke build/bench/dxg-bench-exec --quick

echo
if [ "$failed" -ne 0 ]; then
	echo "failed steps: ${failed_steps[*]} (logs in out/test-logs/)"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
