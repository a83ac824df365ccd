// SPDX-License-Identifier: MIT
/*
 * dxgcompat-device: devices and contexts of the WSL ABI (0x02 CREATEDEVICE, 0x04
 * CREATECONTEXTVIRTUAL, 0x05 DESTROYCONTEXT, 0x19 DESTROYDEVICE, 0x0e GETDEVICESTATE, 0x26
 * MARKDEVICEASERROR, 0x21/0x22/0x2f/0x30 scheduling priorities, 0x0d ESCAPE, 0x3d
 * QUERYCLOCKCALIBRATION), checked against the WSL driver's semantics with raw ioctls.
 *
 * - Devices: create/destroy five times in a row (libdxgtest); a bad adapter handle is -EINVAL;
 *   a destroyed device is -EINVAL (typed handle lookup fails).
 * - Contexts: CREATECONTEXTVIRTUAL on node 0, engine 1, with HW_QUEUE_SUPPORTED as libdxgtest
 *   does; DESTROYCONTEXT twice -EINVAL.
 * - Device state: a fresh device executes (ACTIVE); after MARKDEVICEASERROR it reports RESET.
 * - ESCAPE: private data above 128 KiB is -EINVAL (WSL's limit), an unreadable buffer -EFAULT.
 * - QUERYCLOCKCALIBRATION: the GPU frequency is non-zero and the two counters never go back.
 */
#include "guestsys.h"

#include <misc/opendxg.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define MAX_ADAPTERS 16
#define GARBAGE_HANDLE 0x7ffffc03u

static int dxg_fd = -1;

static int dxg(unsigned long request, void *arg)
{
	int ret = ioctl(dxg_fd, request, arg);

	return ret < 0 ? -errno : ret;
}

static int create_device(struct d3dkmthandle adapter, struct d3dkmthandle *device)
{
	struct d3dkmt_createdevice args;
	int ret;

	memset(&args, 0, sizeof(args));
	args.adapter = adapter;
	ret = dxg(LX_DXCREATEDEVICE, &args);
	*device = args.device;
	return ret;
}

static int destroy_device(struct d3dkmthandle device)
{
	struct d3dkmt_destroydevice args = { .device = device };

	return dxg(LX_DXDESTROYDEVICE, &args);
}

static int create_context(struct d3dkmthandle device, uint32_t flags,
			  struct d3dkmthandle *context)
{
	struct d3dkmt_createcontextvirtual args;
	int ret;

	memset(&args, 0, sizeof(args));
	args.device = device;
	args.node_ordinal = 0;
	args.engine_affinity = 1;
	args.flags = flags;
	args.client_hint = D3DKMT_CLIENTHINT_CDD;
	ret = dxg(LX_DXCREATECONTEXTVIRTUAL, &args);
	*context = args.context;
	return ret;
}

static int destroy_context(struct d3dkmthandle context)
{
	struct d3dkmt_destroycontext args = { .context = context };

	return dxg(LX_DXDESTROYCONTEXT, &args);
}

static int device_execution_state(struct d3dkmthandle device, uint32_t *state)
{
	struct d3dkmt_getdevicestate args;
	int ret;

	memset(&args, 0, sizeof(args));
	args.device = device;
	args.state_type = D3DKMT_DEVICESTATE_EXECUTION;
	ret = dxg(LX_DXGETDEVICESTATE, &args);
	*state = args.execution_state;
	return ret;
}

static void test_devices(struct d3dkmthandle adapter, struct winluid luid)
{
	struct d3dkmthandle device = { 0 }, closed = { 0 };
	struct d3dkmt_openadapterfromluid open_args;
	struct d3dkmt_closeadapter close_args;
	unsigned int created = 0, destroyed = 0;

	for (int i = 0; i < 5; i++) {
		if (create_device(adapter, &device) == 0 && device.v != 0) {
			created++;
			if (destroy_device(device) == 0)
				destroyed++;
		}
	}
	tap_ok(created == 5 && destroyed == 5, "CREATEDEVICE + DESTROYDEVICE five times (%u, %u)",
	       created, destroyed);

	tap_errno(create_device((struct d3dkmthandle){ 0 }, &device), EINVAL,
		  "CREATEDEVICE on adapter handle 0 -> EINVAL");
	tap_errno(create_device((struct d3dkmthandle){ GARBAGE_HANDLE }, &device), EINVAL,
		  "CREATEDEVICE on a garbage adapter handle -> EINVAL");
	memset(&open_args, 0, sizeof(open_args));
	open_args.adapter_luid = luid;
	if (tap_ret0(dxg(LX_DXOPENADAPTERFROMLUID, &open_args), "open an adapter to close it")) {
		closed = open_args.adapter_handle;
		close_args.adapter_handle = closed;
		dxg(LX_DXCLOSEADAPTER, &close_args);
		tap_errno(create_device(closed, &device), EINVAL,
			  "CREATEDEVICE on a closed adapter handle -> EINVAL");
	}

	if (!tap_ret0(create_device(adapter, &device), "CREATEDEVICE"))
		return;
	/* A device handle is not an adapter handle: typed lookups. */
	tap_errno(create_device(device, &closed), EINVAL,
		  "CREATEDEVICE on a device handle -> EINVAL");
	tap_ret0(destroy_device(device), "DESTROYDEVICE");
	tap_errno(destroy_device(device), EINVAL, "DESTROYDEVICE twice -> EINVAL");
	tap_errno(destroy_device((struct d3dkmthandle){ 0 }), EINVAL,
		  "DESTROYDEVICE of handle 0 -> EINVAL");
}

static void test_priorities(struct d3dkmthandle context)
{
	struct d3dkmt_setcontextschedulingpriority set;
	struct d3dkmt_getcontextschedulingpriority get;
	struct d3dkmt_setcontextinprocessschedulingpriority set_in;
	struct d3dkmt_getcontextinprocessschedulingpriority get_in;
	bool round_trip = true, round_trip_in = true;

	/* opendxg's documented range is -7..7 (docs/kernel.md); WSL forwards it to the host. */
	for (int priority = -7; priority <= 7; priority++) {
		set.context = context;
		set.priority = priority;
		memset(&get, 0, sizeof(get));
		get.context = context;
		get.priority = 99;
		if (dxg(LX_DXSETCONTEXTSCHEDULINGPRIORITY, &set) != 0 ||
		    dxg(LX_DXGETCONTEXTSCHEDULINGPRIORITY, &get) != 0 || get.priority != priority)
			round_trip = false;
		set_in.context = context;
		set_in.priority = -priority;
		memset(&get_in, 0, sizeof(get_in));
		get_in.context = context;
		get_in.priority = 99;
		if (dxg(LX_DXSETCONTEXTINPROCESSSCHEDULINGPRIORITY, &set_in) != 0 ||
		    dxg(LX_DXGETCONTEXTINPROCESSSCHEDULINGPRIORITY, &get_in) != 0 ||
		    get_in.priority != -priority)
			round_trip_in = false;
	}
	tap_ok(round_trip, "SET/GETCONTEXTSCHEDULINGPRIORITY round-trip -7..7");
	tap_ok(round_trip_in, "SET/GETCONTEXTINPROCESSSCHEDULINGPRIORITY round-trip -7..7");

	set.context = context;
	set.priority = 8;
	tap_errno(dxg(LX_DXSETCONTEXTSCHEDULINGPRIORITY, &set), EINVAL,
		  "SETCONTEXTSCHEDULINGPRIORITY 8 (out of range) -> EINVAL");
	set_in.context = context;
	set_in.priority = -8;
	tap_errno(dxg(LX_DXSETCONTEXTINPROCESSSCHEDULINGPRIORITY, &set_in), EINVAL,
		  "SETCONTEXTINPROCESSSCHEDULINGPRIORITY -8 (out of range) -> EINVAL");
	get.context = (struct d3dkmthandle){ GARBAGE_HANDLE };
	tap_errno(dxg(LX_DXGETCONTEXTSCHEDULINGPRIORITY, &get), EINVAL,
		  "GETCONTEXTSCHEDULINGPRIORITY of a garbage context -> EINVAL");
	get_in.context = (struct d3dkmthandle){ 0 };
	tap_errno(dxg(LX_DXGETCONTEXTINPROCESSSCHEDULINGPRIORITY, &get_in), EINVAL,
		  "GETCONTEXTINPROCESSSCHEDULINGPRIORITY of context 0 -> EINVAL");
}

static void test_contexts_and_state(struct d3dkmthandle adapter)
{
	struct d3dkmthandle device = { 0 }, context = { 0 }, second = { 0 };
	struct d3dkmt_markdeviceaserror mark;
	struct d3dkmt_getdevicestate state_args;
	uint32_t state = 0;

	if (!tap_ret0(create_device(adapter, &device), "CREATEDEVICE for contexts"))
		return;
	if (tap_ret0(create_context(device, D3DDDI_CREATECONTEXT_FLAG_HW_QUEUE_SUPPORTED,
				    &context),
		     "CREATECONTEXTVIRTUAL node 0, engine 1, HW_QUEUE_SUPPORTED, client CDD")) {
		tap_ok(context.v != 0, "the context has a handle (0x%x)", context.v);
		test_priorities(context);
	}
	tap_errno(create_context((struct d3dkmthandle){ 0 }, 0, &second), EINVAL,
		  "CREATECONTEXTVIRTUAL on device 0 -> EINVAL");
	if (tap_ret0(create_context(device, 0, &second), "CREATECONTEXTVIRTUAL without flags")) {
		tap_ret0(destroy_context(second), "DESTROYCONTEXT");
		tap_errno(destroy_context(second), EINVAL, "DESTROYCONTEXT twice -> EINVAL");
	}
	tap_errno(destroy_context(device), EINVAL, "DESTROYCONTEXT of a device handle -> EINVAL");

	if (tap_ret0(device_execution_state(device, &state), "GETDEVICESTATE EXECUTION"))
		tap_ok(state == D3DKMT_DEVICEEXECUTION_ACTIVE, "a fresh device is ACTIVE (%u)",
		       state);
	memset(&state_args, 0, sizeof(state_args));
	state_args.device = (struct d3dkmthandle){ GARBAGE_HANDLE };
	state_args.state_type = D3DKMT_DEVICESTATE_EXECUTION;
	tap_errno(dxg(LX_DXGETDEVICESTATE, &state_args), EINVAL,
		  "GETDEVICESTATE of a garbage device -> EINVAL");

	mark.device = (struct d3dkmthandle){ 0 };
	mark.reason = D3DKMT_DEVICE_ERROR_REASON_GENERIC;
	tap_errno(dxg(LX_DXMARKDEVICEASERROR, &mark), EINVAL,
		  "MARKDEVICEASERROR of device 0 -> EINVAL");
	mark.device = device;
	mark.reason = D3DKMT_DEVICE_ERROR_REASON_GENERIC;
	if (tap_ret0(dxg(LX_DXMARKDEVICEASERROR, &mark), "MARKDEVICEASERROR (generic)") &&
	    tap_ret0(device_execution_state(device, &state), "GETDEVICESTATE after the mark"))
		tap_ok(state == D3DKMT_DEVICEEXECUTION_RESET,
		       "a device marked as error reports RESET (%u)", state);

	if (context.v)
		tap_ret0(destroy_context(context), "DESTROYCONTEXT of the HW_QUEUE_SUPPORTED one");
	tap_ret0(destroy_device(device), "DESTROYDEVICE with its contexts gone");
	tap_errno(device_execution_state(device, &state), EINVAL,
		  "GETDEVICESTATE of a destroyed device -> EINVAL");
}

static int escape(struct d3dkmthandle adapter, struct d3dkmthandle device,
		  struct d3dkmthandle context, void *data, uint32_t size)
{
	struct d3dkmt_escape args;

	memset(&args, 0, sizeof(args));
	args.adapter = adapter;
	args.device = device;
	args.type = D3DKMT_ESCAPE_DRIVERPRIVATE;
	args.priv_drv_data = (uintptr_t)data;
	args.priv_drv_data_size = size;
	args.context = context;
	return dxg(LX_DXESCAPE, &args);
}

static void test_escape(struct d3dkmthandle adapter)
{
	static char big[D3DKMT_MAX_PRIVATE_DATA_SIZE + 1];
	struct opendxg_escape_context_stats stats;
	struct d3dkmthandle device = { 0 }, context = { 0 };
	void *gone;

	if (!tap_ret0(create_device(adapter, &device), "CREATEDEVICE for escapes"))
		return;
	if (!tap_ret0(create_context(device, 0, &context), "CREATECONTEXTVIRTUAL for escapes")) {
		destroy_device(device);
		return;
	}
	tap_errno(escape(adapter, device, context, big, sizeof(big)), EINVAL,
		  "ESCAPE with 128 KiB + 1 of private data -> EINVAL");
	gone = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (gone != MAP_FAILED) {
		munmap(gone, 4096);
		tap_errno(escape(adapter, device, context, gone, sizeof(stats)), EFAULT,
			  "ESCAPE with an unmapped private data buffer -> EFAULT");
	}
	tap_errno(escape((struct d3dkmthandle){ GARBAGE_HANDLE }, device, context, &stats,
			 sizeof(stats)),
		  EINVAL, "ESCAPE on a garbage adapter handle -> EINVAL");
	/* opendxg's own escapes need their 8-byte header (docs/cmdbuf.md, "Escapes"). */
	tap_errno(escape(adapter, device, context, &stats, 4), EINVAL,
		  "ESCAPE with 4 bytes (less than opendxg's escape header) -> EINVAL");

	memset(&stats, 0, sizeof(stats));
	stats.hdr.code = OPENDXG_ESCAPE_CONTEXT_STATS;
	stats.hdr.size = sizeof(stats);
	if (tap_ret0(escape(adapter, device, context, &stats, sizeof(stats)),
		     "ESCAPE DRIVERPRIVATE context stats, answered in place"))
		tap_ok(stats.hdr.code == OPENDXG_ESCAPE_CONTEXT_STATS &&
		       stats.execution_state == D3DKMT_DEVICEEXECUTION_ACTIVE &&
		       stats.submitted == 0 && stats.completed == 0,
		       "a new context: ACTIVE, nothing submitted (state %u, %llu, %llu)",
		       stats.execution_state, (unsigned long long)stats.submitted,
		       (unsigned long long)stats.completed);
	destroy_context(context);
	destroy_device(device);
}

static int clock_calibration(struct d3dkmthandle adapter, uint32_t physical,
			     struct dxgk_gpuclockdata *out)
{
	struct d3dkmt_queryclockcalibration args;
	int ret;

	memset(&args, 0, sizeof(args));
	args.adapter = adapter;
	args.node_ordinal = 0;
	args.physical_adapter_index = physical;
	ret = dxg(LX_DXQUERYCLOCKCALIBRATION, &args);
	memcpy(out, &args.clock_data, sizeof(*out));
	return ret;
}

static void test_clock_calibration(struct d3dkmthandle adapter)
{
	struct dxgk_gpuclockdata first, second;
	uint64_t freq1, freq2, gpu1, gpu2, cpu1, cpu2;

	if (!tap_ret0(clock_calibration(adapter, 0, &first), "QUERYCLOCKCALIBRATION") ||
	    !tap_ret0(clock_calibration(adapter, 0, &second), "QUERYCLOCKCALIBRATION again"))
		return;
	/* Copies: the struct is packed, its u64 members unaligned. */
	freq1 = first.gpu_frequency;
	freq2 = second.gpu_frequency;
	gpu1 = first.gpu_clock_counter;
	gpu2 = second.gpu_clock_counter;
	cpu1 = first.cpu_clock_counter;
	cpu2 = second.cpu_clock_counter;
	tap_ok(freq1 != 0 && freq1 == freq2, "the GPU frequency is non-zero and stable (%llu Hz)",
	       (unsigned long long)freq1);
	tap_ok(gpu2 >= gpu1, "the GPU counter never goes back (%llu -> %llu)",
	       (unsigned long long)gpu1, (unsigned long long)gpu2);
	tap_ok(cpu2 >= cpu1 && cpu1 != 0, "the CPU counter never goes back (%llu -> %llu)",
	       (unsigned long long)cpu1, (unsigned long long)cpu2);
	tap_errno(clock_calibration((struct d3dkmthandle){ GARBAGE_HANDLE }, 0, &first), EINVAL,
		  "QUERYCLOCKCALIBRATION on a garbage adapter -> EINVAL");
	tap_errno(clock_calibration(adapter, 1, &first), EINVAL,
		  "QUERYCLOCKCALIBRATION of physical adapter 1 -> EINVAL");
}

int main(void)
{
	struct d3dkmt_adapterinfo adapters[MAX_ADAPTERS];
	struct d3dkmt_enumadapters3 enum_args;

	tap_begin("dxgcompat-device", 120);
	dxg_fd = open("/dev/dxg", O_RDONLY | O_CLOEXEC);
	if (dxg_fd < 0)
		tap_skip_all("no /dev/dxg: %s", errno_name(errno));
	memset(&enum_args, 0, sizeof(enum_args));
	enum_args.filter = D3DKMT_ENUMADAPTERS_FILTER_COMPUTE_ONLY;
	enum_args.adapter_count = MAX_ADAPTERS;
	enum_args.adapters = (uintptr_t)adapters;
	if (dxg(LX_DXENUMADAPTERS3, &enum_args) < 0 || enum_args.adapter_count == 0)
		tap_skip_all("no adapter");

	test_devices(adapters[0].adapter_handle, adapters[0].adapter_luid);
	test_contexts_and_state(adapters[0].adapter_handle);
	test_escape(adapters[0].adapter_handle);
	test_clock_calibration(adapters[0].adapter_handle);

	for (uint32_t i = 0; i < enum_args.adapter_count; i++) {
		struct d3dkmt_closeadapter close_args = {
			.adapter_handle = adapters[i].adapter_handle,
		};

		dxg(LX_DXCLOSEADAPTER, &close_args);
	}
	close(dxg_fd);
	return tap_end();
}
