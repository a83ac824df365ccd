#!/bin/sh
# Runs every program of the WSL compatibility suite in this guest (tests/compat/README.md), one
# after the other, and exits non-zero when any failed. dxgcompat-removal is left out: it needs the
# host to restart dxgd's worker (it runs in its own vm-run with --host-during).
#
#   run-all.sh [DIR]     DIR holds the programs (default: the directory of this script)
dir=${1:-$(dirname "$0")}
failed=
for name in dispatch adapter device memory sync exec share syncfile misc; do
	program=$dir/dxgcompat-$name
	if [ ! -x "$program" ]; then
		echo "run-all: $program is missing"
		failed="$failed $name"
		continue
	fi
	echo "=== dxgcompat-$name"
	"$program"
	status=$?
	# 77: the program skipped everything (no /dev/dxg or no adapter): not a pass.
	if [ "$status" -ne 0 ]; then
		echo "=== dxgcompat-$name: exit status $status"
		failed="$failed $name"
	fi
done
if [ -n "$failed" ]; then
	echo "run-all: failed:$failed"
	exit 1
fi
echo "run-all: all passed"
