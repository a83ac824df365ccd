// SPDX-License-Identifier: MIT
// Compiles the /dev/dxg ABI header as C++17; the header's own static_asserts are the test.
#include <misc/d3dkmthk.h>

static_assert(LX_DXOPENADAPTERFROMLUID == 0xC00C4701u, "OPENADAPTERFROMLUID code");
static_assert(sizeof(d3dkmt_createcontextvirtual) == 40, "CREATECONTEXTVIRTUAL size");

int main()
{
	d3dkmt_createsynchronizationobject2 args{};

	// Members of the anonymous union are reachable as in C.
	args.info.monitored_fence.initial_fence_value = 1;
	return args.info.monitored_fence.initial_fence_value == 1 ? 0 : 1;
}
