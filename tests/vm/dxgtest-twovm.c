// SPDX-License-Identifier: MIT
/*
 * dxgtest-twovm: run in every guest of a multi-guest vm-run (DXG_VM_INDEX names the guest).
 *
 * Each guest sees every host adapter (same LUIDs everywhere, printed for the log), and the per-VM
 * counters count this guest's objects only: a guest that finds another guest's processes, devices
 * or contexts in its numbers has found an isolation bug. The guests run concurrently but are not
 * synchronized; each holds a guest-specific number of objects for a while and checks the exact
 * counters repeatedly, so the windows overlap in practice, and every single check is exact.
 */
#include "dxgtest.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_DEVICES 16
#define CHECK_ROUNDS 20

static void pause_briefly(void)
{
	struct timespec ts = { .tv_sec = 0, .tv_nsec = 100 * 1000 * 1000 };

	nanosleep(&ts, NULL);
}

static bool counters_are(const struct opendxg_vm_stats *s, uint32_t processes, uint32_t devices,
			 uint32_t contexts)
{
	return s->processes == processes && s->devices == devices && s->contexts == contexts;
}

int main(void)
{
	const char *index_env = getenv("DXG_VM_INDEX");
	unsigned int vm = index_env ? (unsigned int)strtoul(index_env, NULL, 10) : 0;
	struct d3dkmt_context_params params = { .engine_affinity = 1 };
	struct d3dkmthandle devices[MAX_DEVICES] = { { 0 } }, contexts[MAX_DEVICES] = { { 0 } };
	struct d3dkmt_adapterinfo *adapters;
	struct opendxg_vm_stats stats;
	char program[32];
	uint32_t count, held = 0, want;
	bool exact = true;
	int fd, ret;

	snprintf(program, sizeof(program), "dxgtest-twovm[vm%u]", vm);
	tap_begin(program, 300);
	fd = dxgtest_open_or_skip();
	adapters = dxgtest_adapters_or_skip(fd, &count);
	/* Different amounts per guest, so one guest's objects cannot pass for the other's. */
	want = 2 + 3 * (vm % 4);

	for (uint32_t i = 0; i < count; i++) {
		struct opendxg_adapter_caps caps;
		struct d3dkmthandle again;

		ret = d3dkmt_query_opendxg_caps(fd, adapters[i].adapter_handle, &caps);
		tap_diag("vm%u adapter %u luid 0x%08x:0x%08x \"%s\"", vm, i,
			 adapters[i].adapter_luid.b, adapters[i].adapter_luid.a,
			 ret == 0 ? caps.device_name : "?");
		ret = d3dkmt_open_adapter_from_luid(fd, adapters[i].adapter_luid, &again);
		if (tap_ret0(ret, "vm%u: adapter %u opens by LUID", vm, i))
			d3dkmt_close_adapter(fd, again);
	}

	ret = d3dkmt_query_vm_stats(fd, adapters[0].adapter_handle, &stats);
	if (tap_ret0(ret, "vm%u: VM counters", vm)) {
		dxgtest_diag_stats("start", &stats);
		tap_ok(counters_are(&stats, 1, 0, 0),
		       "vm%u: a fresh guest counts only this process, no devices, no contexts", vm);
	}

	for (held = 0; held < want; held++) {
		ret = d3dkmt_create_device(fd, adapters[0].adapter_handle, 0, &devices[held]);
		if (ret == 0)
			ret = d3dkmt_create_context_virtual(fd, devices[held], &params,
							    &contexts[held]);
		if (ret < 0) {
			if (contexts[held].v == 0 && devices[held].v != 0)
				d3dkmt_destroy_device(fd, devices[held]);
			break;
		}
	}
	tap_ok(held == want, "vm%u: created %u devices with a context each", vm, held);

	for (int round = 0; round < CHECK_ROUNDS; round++) {
		ret = d3dkmt_query_vm_stats(fd, adapters[0].adapter_handle, &stats);
		if (ret < 0 || !counters_are(&stats, 1, held, held)) {
			exact = false;
			dxgtest_diag_stats("unexpected", &stats);
			break;
		}
		pause_briefly();
	}
	tap_ok(exact,
	       "vm%u: counters show exactly this guest's %u devices and contexts (%d checks)", vm,
	       held, CHECK_ROUNDS);

	for (uint32_t i = 0; i < held; i++) {
		d3dkmt_destroy_context(fd, contexts[i]);
		d3dkmt_destroy_device(fd, devices[i]);
	}
	ret = d3dkmt_query_vm_stats(fd, adapters[0].adapter_handle, &stats);
	tap_ok(ret == 0 && counters_are(&stats, 1, 0, 0), "vm%u: counters back to zero", vm);

	for (uint32_t i = 0; i < count; i++)
		d3dkmt_close_adapter(fd, adapters[i].adapter_handle);
	free(adapters);
	d3dkmt_close(fd);
	return tap_end();
}
