// SPDX-License-Identifier: MIT
/*
 * dxgcompat-dispatch: the /dev/dxg dispatcher as WSL's dxgkrnl defines it (docs/abi.md).
 *
 *   - all 73 slots 0x01..0x49 are present with their WSL codes; the 8 slots WSL leaves empty
 *     (0x03, 0x17, 0x1a, 0x23, 0x28, 0x29, 0x2b, 0x2d) are -ENOTTY with their WSL sizes
 *   - every implemented nr: the right code is not -ENOTTY (zeroed arguments are refused for
 *     another reason), the same nr with size + 8, with another direction, or with another type
 *     letter is -ENOTTY; nr 0 and 0x4a are -ENOTTY
 *   - after fork(), the child's calls on the inherited descriptor are -ENOTTY (the descriptor
 *     belongs to the parent's process), and a descriptor it opens itself works
 *   - lifetime: the process's objects belong to the process, not to one descriptor: a handle
 *     made through one descriptor works through a second; closing one keeps them; closing the
 *     last one frees them, and after reopening the old handles are -EINVAL
 */
#include "compat.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

struct slot {
	unsigned int nr;
	unsigned long code;
	const char *name;
	bool implemented;
};

/* In nr order: slot i is nr i + 1. */
static const struct slot slots[] = {
	{ 0x01, LX_DXOPENADAPTERFROMLUID, "OPENADAPTERFROMLUID", true },
	{ 0x02, LX_DXCREATEDEVICE, "CREATEDEVICE", true },
	{ 0x03, LX_DXCREATECONTEXT, "CREATECONTEXT", false },
	{ 0x04, LX_DXCREATECONTEXTVIRTUAL, "CREATECONTEXTVIRTUAL", true },
	{ 0x05, LX_DXDESTROYCONTEXT, "DESTROYCONTEXT", true },
	{ 0x06, LX_DXCREATEALLOCATION, "CREATEALLOCATION", true },
	{ 0x07, LX_DXCREATEPAGINGQUEUE, "CREATEPAGINGQUEUE", true },
	{ 0x08, LX_DXRESERVEGPUVIRTUALADDRESS, "RESERVEGPUVIRTUALADDRESS", true },
	{ 0x09, LX_DXQUERYADAPTERINFO, "QUERYADAPTERINFO", true },
	{ 0x0a, LX_DXQUERYVIDEOMEMORYINFO, "QUERYVIDEOMEMORYINFO", true },
	{ 0x0b, LX_DXMAKERESIDENT, "MAKERESIDENT", true },
	{ 0x0c, LX_DXMAPGPUVIRTUALADDRESS, "MAPGPUVIRTUALADDRESS", true },
	{ 0x0d, LX_DXESCAPE, "ESCAPE", true },
	{ 0x0e, LX_DXGETDEVICESTATE, "GETDEVICESTATE", true },
	{ 0x0f, LX_DXSUBMITCOMMAND, "SUBMITCOMMAND", true },
	{ 0x10, LX_DXCREATESYNCHRONIZATIONOBJECT, "CREATESYNCHRONIZATIONOBJECT", true },
	{ 0x11, LX_DXSIGNALSYNCHRONIZATIONOBJECT, "SIGNALSYNCHRONIZATIONOBJECT", true },
	{ 0x12, LX_DXWAITFORSYNCHRONIZATIONOBJECT, "WAITFORSYNCHRONIZATIONOBJECT", true },
	{ 0x13, LX_DXDESTROYALLOCATION2, "DESTROYALLOCATION2", true },
	{ 0x14, LX_DXENUMADAPTERS2, "ENUMADAPTERS2", true },
	{ 0x15, LX_DXCLOSEADAPTER, "CLOSEADAPTER", true },
	{ 0x16, LX_DXCHANGEVIDEOMEMORYRESERVATION, "CHANGEVIDEOMEMORYRESERVATION", true },
	{ 0x17, LX_DXCREATEHWCONTEXT, "CREATEHWCONTEXT", false },
	{ 0x18, LX_DXCREATEHWQUEUE, "CREATEHWQUEUE", true },
	{ 0x19, LX_DXDESTROYDEVICE, "DESTROYDEVICE", true },
	{ 0x1a, LX_DXDESTROYHWCONTEXT, "DESTROYHWCONTEXT", false },
	{ 0x1b, LX_DXDESTROYHWQUEUE, "DESTROYHWQUEUE", true },
	{ 0x1c, LX_DXDESTROYPAGINGQUEUE, "DESTROYPAGINGQUEUE", true },
	{ 0x1d, LX_DXDESTROYSYNCHRONIZATIONOBJECT, "DESTROYSYNCHRONIZATIONOBJECT", true },
	{ 0x1e, LX_DXEVICT, "EVICT", true },
	{ 0x1f, LX_DXFLUSHHEAPTRANSITIONS, "FLUSHHEAPTRANSITIONS", true },
	{ 0x20, LX_DXFREEGPUVIRTUALADDRESS, "FREEGPUVIRTUALADDRESS", true },
	{ 0x21, LX_DXGETCONTEXTINPROCESSSCHEDULINGPRIORITY, "GETCONTEXTINPROCESSSCHEDULINGPRIORITY", true },
	{ 0x22, LX_DXGETCONTEXTSCHEDULINGPRIORITY, "GETCONTEXTSCHEDULINGPRIORITY", true },
	{ 0x23, LX_DXGETSHAREDRESOURCEADAPTERLUID, "GETSHAREDRESOURCEADAPTERLUID", false },
	{ 0x24, LX_DXINVALIDATECACHE, "INVALIDATECACHE", true },
	{ 0x25, LX_DXLOCK2, "LOCK2", true },
	{ 0x26, LX_DXMARKDEVICEASERROR, "MARKDEVICEASERROR", true },
	{ 0x27, LX_DXOFFERALLOCATIONS, "OFFERALLOCATIONS", true },
	{ 0x28, LX_DXOPENRESOURCE, "OPENRESOURCE", false },
	{ 0x29, LX_DXOPENSYNCHRONIZATIONOBJECT, "OPENSYNCHRONIZATIONOBJECT", false },
	{ 0x2a, LX_DXQUERYALLOCATIONRESIDENCY, "QUERYALLOCATIONRESIDENCY", true },
	{ 0x2b, LX_DXQUERYRESOURCEINFO, "QUERYRESOURCEINFO", false },
	{ 0x2c, LX_DXRECLAIMALLOCATIONS2, "RECLAIMALLOCATIONS2", true },
	{ 0x2d, LX_DXRENDER, "RENDER", false },
	{ 0x2e, LX_DXSETALLOCATIONPRIORITY, "SETALLOCATIONPRIORITY", true },
	{ 0x2f, LX_DXSETCONTEXTINPROCESSSCHEDULINGPRIORITY, "SETCONTEXTINPROCESSSCHEDULINGPRIORITY", true },
	{ 0x30, LX_DXSETCONTEXTSCHEDULINGPRIORITY, "SETCONTEXTSCHEDULINGPRIORITY", true },
	{ 0x31, LX_DXSIGNALSYNCHRONIZATIONOBJECTFROMCPU, "SIGNALSYNCHRONIZATIONOBJECTFROMCPU", true },
	{ 0x32, LX_DXSIGNALSYNCHRONIZATIONOBJECTFROMGPU, "SIGNALSYNCHRONIZATIONOBJECTFROMGPU", true },
	{ 0x33, LX_DXSIGNALSYNCHRONIZATIONOBJECTFROMGPU2, "SIGNALSYNCHRONIZATIONOBJECTFROMGPU2", true },
	{ 0x34, LX_DXSUBMITCOMMANDTOHWQUEUE, "SUBMITCOMMANDTOHWQUEUE", true },
	{ 0x35, LX_DXSUBMITSIGNALSYNCOBJECTSTOHWQUEUE, "SUBMITSIGNALSYNCOBJECTSTOHWQUEUE", true },
	{ 0x36, LX_DXSUBMITWAITFORSYNCOBJECTSTOHWQUEUE, "SUBMITWAITFORSYNCOBJECTSTOHWQUEUE", true },
	{ 0x37, LX_DXUNLOCK2, "UNLOCK2", true },
	{ 0x38, LX_DXUPDATEALLOCPROPERTY, "UPDATEALLOCPROPERTY", true },
	{ 0x39, LX_DXUPDATEGPUVIRTUALADDRESS, "UPDATEGPUVIRTUALADDRESS", true },
	{ 0x3a, LX_DXWAITFORSYNCHRONIZATIONOBJECTFROMCPU, "WAITFORSYNCHRONIZATIONOBJECTFROMCPU", true },
	{ 0x3b, LX_DXWAITFORSYNCHRONIZATIONOBJECTFROMGPU, "WAITFORSYNCHRONIZATIONOBJECTFROMGPU", true },
	{ 0x3c, LX_DXGETALLOCATIONPRIORITY, "GETALLOCATIONPRIORITY", true },
	{ 0x3d, LX_DXQUERYCLOCKCALIBRATION, "QUERYCLOCKCALIBRATION", true },
	{ 0x3e, LX_DXENUMADAPTERS3, "ENUMADAPTERS3", true },
	{ 0x3f, LX_DXSHAREOBJECTS, "SHAREOBJECTS", true },
	{ 0x40, LX_DXOPENSYNCOBJECTFROMNTHANDLE2, "OPENSYNCOBJECTFROMNTHANDLE2", true },
	{ 0x41, LX_DXQUERYRESOURCEINFOFROMNTHANDLE, "QUERYRESOURCEINFOFROMNTHANDLE", true },
	{ 0x42, LX_DXOPENRESOURCEFROMNTHANDLE, "OPENRESOURCEFROMNTHANDLE", true },
	{ 0x43, LX_DXQUERYSTATISTICS, "QUERYSTATISTICS", true },
	{ 0x44, LX_DXSHAREOBJECTWITHHOST, "SHAREOBJECTWITHHOST", true },
	{ 0x45, LX_DXCREATESYNCFILE, "CREATESYNCFILE", true },
	{ 0x46, LX_DXWAITSYNCFILE, "WAITSYNCFILE", true },
	{ 0x47, LX_DXOPENSYNCOBJECTFROMSYNCFILE, "OPENSYNCOBJECTFROMSYNCFILE", true },
	{ 0x48, LX_DXENUMPROCESSES, "ENUMPROCESSES", true },
	{ 0x49, LX_DXISFEATUREENABLED, "ISFEATUREENABLED", true },
};

#define SLOT_COUNT (sizeof(slots) / sizeof(slots[0]))
/* Room for the largest argument (QUERYSTATISTICS, 808 bytes) plus the grown sizes below. */
#define ARG_BUFFER_SIZE 1024u

static uint8_t arg_buffer[ARG_BUFFER_SIZE] __attribute__((aligned(16)));

/* The ioctl with zeroed arguments of the size its code names. */
static int call_zeroed(int fd, unsigned long code)
{
	memset(arg_buffer, 0, sizeof(arg_buffer));
	return compat_ioctl(fd, code, arg_buffer);
}

static void check_table(void)
{
	unsigned int implemented = 0;
	bool ordered = true;

	for (size_t i = 0; i < SLOT_COUNT; i++) {
		const struct slot *s = &slots[i];

		ordered &= _IOC_NR(s->code) == s->nr && s->nr == i + 1 &&
			   _IOC_TYPE(s->code) == LX_DXG_IOCTL_TYPE &&
			   _IOC_DIR(s->code) == (_IOC_READ | _IOC_WRITE);
		implemented += s->implemented;
	}
	tap_ok(SLOT_COUNT == 73 && ordered,
	       "the table has 73 slots 0x01..0x49, each _IOWR('G', nr, struct)");
	tap_ok(implemented == 65, "65 implemented numbers, 8 empty slots (%u implemented)",
	       implemented);
}

static void check_slots(int fd)
{
	for (size_t i = 0; i < SLOT_COUNT; i++) {
		const struct slot *s = &slots[i];
		unsigned int size = _IOC_SIZE(s->code);
		unsigned long wrong_type = _IOC(_IOC_DIR(s->code), 0x48, s->nr, size);
		unsigned long wrong_dir = _IOC(_IOC_WRITE, _IOC_TYPE(s->code), s->nr, size);

		if (!s->implemented) {
			tap_errno(call_zeroed(fd, s->code), ENOTTY,
				  "0x%02x %s (empty in WSL, %u bytes) -> ENOTTY", s->nr, s->name,
				  size);
			continue;
		}
		{
			int ret = call_zeroed(fd, s->code);

			tap_ok(ret != -ENOTTY, "0x%02x %s with its WSL size %u is served (%s)",
			       s->nr, s->name, size, ret < 0 ? errno_name(-ret) : "0");
		}
		tap_errno(call_zeroed(fd, compat_resize(s->code, size + 8)), ENOTTY,
			  "0x%02x %s with size %u + 8 -> ENOTTY", s->nr, s->name, size);
		tap_errno(call_zeroed(fd, wrong_dir), ENOTTY, "0x%02x %s as _IOW -> ENOTTY", s->nr,
			  s->name);
		tap_errno(call_zeroed(fd, wrong_type), ENOTTY,
			  "0x%02x %s with type 'H' -> ENOTTY", s->nr, s->name);
	}
	tap_errno(call_zeroed(fd, _IOWR(LX_DXG_IOCTL_TYPE, 0x00, struct d3dkmthandle)), ENOTTY,
		  "nr 0x00 -> ENOTTY");
	tap_errno(call_zeroed(fd, _IOWR(LX_DXG_IOCTL_TYPE, 0x4a, struct d3dkmthandle)), ENOTTY,
		  "nr 0x4a -> ENOTTY");
	tap_errno(call_zeroed(fd, _IOWR(LX_DXG_IOCTL_TYPE, 0xff, struct d3dkmt_enumadapters3)),
		  ENOTTY, "nr 0xff -> ENOTTY");
}

static void check_fork(int fd)
{
	struct d3dkmthandle adapter;
	pid_t pid;

	if (!tap_ret0(compat_first_adapter(fd, &adapter, NULL), "parent: an adapter"))
		return;
	pid = tap_fork();
	if (pid == 0) {
		struct d3dkmt_adapterinfo info[4];
		struct d3dkmthandle device, own_adapter;
		int own;

		tap_errno(guest_enum_adapters(fd, info, 4), ENOTTY,
			  "child: ENUMADAPTERS3 on the inherited fd -> ENOTTY");
		tap_errno(compat_create_device(fd, adapter, &device), ENOTTY,
			  "child: CREATEDEVICE on the inherited fd -> ENOTTY");
		tap_errno(compat_close_adapter(fd, adapter), ENOTTY,
			  "child: CLOSEADAPTER on the inherited fd -> ENOTTY");
		{
			struct d3dkmt_enumprocesses ep = { .buffer_count = 0 };

			tap_errno(compat_ioctl(fd, LX_DXENUMPROCESSES, &ep), ENOTTY,
				  "child: ENUMPROCESSES on the inherited fd -> ENOTTY");
		}
		tap_errno(compat_ioctl(fd, LX_DXCREATECONTEXT, arg_buffer), ENOTTY,
			  "child: an empty slot is ENOTTY there too");
		own = compat_open();
		if (tap_ok(own >= 0, "child: opens /dev/dxg itself") &&
		    tap_ret0(compat_first_adapter(own, &own_adapter, NULL),
			     "child: ENUMADAPTERS3 on its own fd") &&
		    tap_ret0(compat_create_device(own, own_adapter, &device),
			     "child: CREATEDEVICE on its own fd"))
			tap_ret0(compat_destroy_device(own, device), "child: DESTROYDEVICE");
		/* Dropping the child's reference to the parent's file must not hurt the parent. */
		close(fd);
		tap_child_exit();
	}
	tap_wait_child(pid, "fork: inherited fd ENOTTY, own fd works");
	{
		struct d3dkmthandle device;

		if (tap_ret0(compat_create_device(fd, adapter, &device),
			     "parent: its fd and adapter still work after the child"))
			compat_destroy_device(fd, device);
	}
	compat_close_adapter(fd, adapter);
}

static void check_lifetime(void)
{
	struct d3dkmthandle adapter, device, context, again;
	int first, second, third;

	first = compat_open();
	second = compat_open();
	if (!tap_ok(first >= 0 && second >= 0, "lifetime: two descriptors of one process"))
		return;
	if (!tap_ret0(compat_first_adapter(first, &adapter, NULL),
		      "lifetime: adapter through the first") ||
	    !tap_ret0(compat_create_device(first, adapter, &device),
		      "lifetime: device through the first"))
		return;
	if (tap_ret0(compat_create_context(second, device, &context),
		     "lifetime: the second descriptor uses the first's device (one process)"))
		compat_destroy_context(second, context);
	close(first);
	if (tap_ret0(compat_create_context(second, device, &context),
		     "lifetime: closing the first descriptor keeps the device"))
		compat_destroy_context(second, context);
	close(second);
	third = compat_open();
	if (!tap_ok(third >= 0, "lifetime: reopen after closing both"))
		return;
	tap_errno(compat_create_context(third, device, &context), EINVAL,
		  "lifetime: the old device handle is EINVAL after the last close");
	tap_errno(compat_create_device(third, adapter, &again), EINVAL,
		  "lifetime: the old adapter handle is EINVAL after the last close");
	tap_errno(compat_close_adapter(third, adapter), EINVAL,
		  "lifetime: CLOSEADAPTER of the old adapter handle -> EINVAL");
	close(third);
}

int main(void)
{
	int fd;

	tap_begin("dxgcompat-dispatch", 300);
	fd = compat_open_or_skip();
	check_table();
	check_slots(fd);
	check_fork(fd);
	/* Lifetime needs this process to hold no other /dev/dxg descriptor. */
	close(fd);
	check_lifetime();
	return tap_end();
}
