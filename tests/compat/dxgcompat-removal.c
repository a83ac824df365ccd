// SPDX-License-Identifier: MIT
/*
 * dxgcompat-removal: adapter removal as WSL's dxgkrnl reports it (docs/abi.md): once the adapter
 * is stopped, every call that takes the adapter or device lock fails with -ENODEV (the handle
 * lookups still succeed, so it is not -EINVAL), CLOSEADAPTER still works, and enumerating again
 * gives new adapter handles that work.
 *
 * opendxg removes an adapter when dxgd's worker for the VM restarts. This program needs the host
 * to kill the worker when the marker below shows on the console:
 *
 *   scripts/vm-run --no-build \
 *       --host-during "tests/vm/host-kill-worker.sh build/tools/dxgctl \
 *                      --after-marker 'dxgcompat-removal: ready'" \
 *       build/tests/compat/dxgcompat-removal -- dxgcompat-removal
 *
 * Without that host side it waits (bounded) and then fails.
 */
#include "compat.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define RESTART_MARKER "dxgcompat-removal: ready"
#define ALLOC_SIZE (1u * 1024u * 1024u)
/* How long the worker restart may take to reach the guest (polled, 50 ms steps). */
#define RESTART_TRIES 1200u

struct old_objects {
	struct d3dkmthandle adapter, device, context, allocation, fence;
	struct winluid luid;
};

static int query_usage_ret(int fd, struct d3dkmthandle adapter)
{
	uint64_t usage;

	return compat_usage(fd, adapter, D3DKMT_MEMORY_SEGMENT_GROUP_NON_LOCAL, &usage);
}

static void check_old_handles(int fd, const struct old_objects *o)
{
	struct d3dkmthandle scratch;
	void *map = NULL;

	tap_diag("the old handles");
	tap_errno(compat_create_device(fd, o->adapter, &scratch), ENODEV,
		  "CREATEDEVICE on the old adapter -> ENODEV");
	{
		struct opendxg_adapter_caps caps;
		struct d3dkmt_queryadapterinfo args = {
			.adapter = o->adapter,
			.type = OPENDXG_QAI_ADAPTER_CAPS,
			.private_data = (uintptr_t)&caps,
			.private_data_size = sizeof(caps),
		};

		tap_errno(compat_ioctl(fd, LX_DXQUERYADAPTERINFO, &args), ENODEV,
			  "QUERYADAPTERINFO on the old adapter -> ENODEV");
	}
	{
		struct d3dkmt_flushheaptransitions args = { .adapter = o->adapter };

		tap_errno(compat_ioctl(fd, LX_DXFLUSHHEAPTRANSITIONS, &args), ENODEV,
			  "FLUSHHEAPTRANSITIONS on the old adapter -> ENODEV");
	}
	{
		struct d3dkmt_isfeatureenabled args = { .adapter = o->adapter };

		tap_errno(compat_ioctl(fd, LX_DXISFEATUREENABLED, &args), ENODEV,
			  "LX_ISFEATUREENABLED on the old adapter -> ENODEV");
	}
	tap_errno(compat_create_host_visible(fd, o->device, ALLOC_SIZE, &scratch), ENODEV,
		  "CREATEALLOCATION on the old device -> ENODEV");
	tap_errno(compat_lock2(fd, o->device, o->allocation, &map), ENODEV,
		  "LOCK2 of the old allocation -> ENODEV");
	tap_errno(compat_create_context(fd, o->device, &scratch), ENODEV,
		  "CREATECONTEXTVIRTUAL on the old device -> ENODEV");
	tap_errno(compat_create_monitored_fence(fd, o->device, 0, 0, &scratch, NULL), ENODEV,
		  "CREATESYNCHRONIZATIONOBJECT on the old device -> ENODEV");
	tap_errno(compat_signal_cpu(fd, o->device, o->fence, 1), ENODEV,
		  "SIGNALSYNCHRONIZATIONOBJECTFROMCPU of the old fence -> ENODEV");
	tap_errno(compat_wait_cpu(fd, o->device, o->fence, 1), ENODEV,
		  "WAITFORSYNCHRONIZATIONOBJECTFROMCPU of the old fence -> ENODEV");
	{
		struct d3dkmt_createsyncfile args = { .device = o->device,
						      .monitored_fence = o->fence,
						      .fence_value = 1 };

		tap_errno(compat_ioctl(fd, LX_DXCREATESYNCFILE, &args), ENODEV,
			  "CREATESYNCFILE on the old device -> ENODEV");
	}
	{
		struct d3dkmt_invalidatecache args = { .device = o->device,
						       .allocation = o->allocation,
						       .length = 4096 };

		tap_errno(compat_ioctl(fd, LX_DXINVALIDATECACHE, &args), ENODEV,
			  "INVALIDATECACHE on the old device -> ENODEV");
	}
	tap_errno(compat_destroy_allocation(fd, o->device, o->allocation), ENODEV,
		  "DESTROYALLOCATION2 of the old allocation -> ENODEV");
	tap_errno(compat_destroy_context(fd, o->context), ENODEV,
		  "DESTROYCONTEXT of the old context -> ENODEV");
	tap_errno(compat_create_device(fd, (struct d3dkmthandle){ 0x7fffffc0u }, &scratch), EINVAL,
		  "an unknown adapter handle is still EINVAL, not ENODEV");
}

static void check_new_adapter(int fd, const struct old_objects *o)
{
	struct d3dkmthandle adapter, by_luid, device, allocation;
	struct winluid luid;
	void *map = NULL;

	tap_diag("enumerating again");
	if (!tap_ret0(compat_first_adapter(fd, &adapter, &luid), "ENUMADAPTERS3 lists an adapter"))
		return;
	tap_diag("old adapter 0x%08x LUID %08x:%08x, new adapter 0x%08x LUID %08x:%08x",
		 o->adapter.v, o->luid.b, o->luid.a, adapter.v, luid.b, luid.a);
	{
		struct d3dkmt_openadapterfromluid args = { .adapter_luid = luid };

		if (tap_ret0(compat_ioctl(fd, LX_DXOPENADAPTERFROMLUID, &args),
			     "OPENADAPTERFROMLUID of the listed LUID")) {
			by_luid = args.adapter_handle;
			tap_ok(by_luid.v != 0, "a handle 0x%08x", by_luid.v);
			tap_ret0(compat_close_adapter(fd, by_luid), "CLOSEADAPTER of it");
		}
	}
	if (!tap_ret0(compat_create_device(fd, adapter, &device), "CREATEDEVICE on the new adapter") ||
	    !tap_ret0(compat_create_host_visible(fd, device, ALLOC_SIZE, &allocation),
		      "a 1 MiB host-visible allocation") ||
	    !tap_ret0(compat_lock2(fd, device, allocation, &map), "LOCK2"))
		return;
	{
		volatile uint8_t *p = map;
		bool zero = true, same = true;

		for (size_t i = 0; i < ALLOC_SIZE; i += 4096)
			zero &= p[i] == 0;
		tap_ok(zero, "the new allocation reads zero");
		for (size_t i = 0; i < ALLOC_SIZE; i++)
			p[i] = (uint8_t)(i * 13u + 5u);
		for (size_t i = 0; i < ALLOC_SIZE; i++)
			same &= p[i] == (uint8_t)(i * 13u + 5u);
		tap_ok(same, "what was written reads back");
	}
	tap_ret0(compat_unlock2(fd, device, allocation), "UNLOCK2");
	tap_ret0(compat_destroy_allocation(fd, device, allocation), "DESTROYALLOCATION2");
	tap_ret0(compat_destroy_device(fd, device), "DESTROYDEVICE");
	tap_ret0(compat_close_adapter(fd, adapter), "CLOSEADAPTER");
}

int main(void)
{
	struct old_objects o;
	void *map = NULL;
	int fd, ret = 0;

	tap_begin("dxgcompat-removal", 300);
	fd = compat_open_or_skip();
	compat_first_adapter_or_skip(fd, &o.adapter, &o.luid);
	if (!tap_ret0(compat_create_device(fd, o.adapter, &o.device), "a device") ||
	    !tap_ret0(compat_create_context(fd, o.device, &o.context), "a context") ||
	    !tap_ret0(compat_create_host_visible(fd, o.device, ALLOC_SIZE, &o.allocation),
		      "a 1 MiB host-visible allocation") ||
	    !tap_ret0(compat_lock2(fd, o.device, o.allocation, &map), "LOCK2") ||
	    !tap_ret0(compat_create_monitored_fence(fd, o.device, 0, 0, &o.fence, NULL),
		      "a monitored fence"))
		return tap_end();
	memset(map, 0x5a, ALLOC_SIZE);
	tap_ret0(compat_unlock2(fd, o.device, o.allocation), "UNLOCK2");

	guest_kmsg("<4>" RESTART_MARKER "; waiting for a worker restart\n");
	for (unsigned int i = 0; i < RESTART_TRIES; i++) {
		ret = query_usage_ret(fd, o.adapter);
		if (ret < 0)
			break;
		compat_sleep_ms(50);
	}
	if (!tap_errno(ret, ENODEV, "after the worker restart the old adapter is ENODEV"))
		return tap_end();
	check_old_handles(fd, &o);
	tap_ret0(compat_close_adapter(fd, o.adapter), "CLOSEADAPTER of the old adapter still works");
	check_new_adapter(fd, &o);
	close(fd);
	return tap_end();
}
