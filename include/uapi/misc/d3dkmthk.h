/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR MIT) */
/*
 * The /dev/dxg user ABI: the ioctl numbers and argument layouts of the WSL2 GPU paravirtualization
 * driver (dxgkrnl), restated so that user space built for WSL runs unchanged on opendxg.
 *
 * Rules every layout here follows:
 *
 * - Every request is _IOWR('G' = 0x47, nr, struct), so the 32-bit code is
 *   0xC0000000 | sizeof(struct) << 16 | 0x4700 | nr. The driver looks a request up by nr, then
 *   compares the caller's whole code with its own: a different size, direction or type gets
 *   -ENOTTY, as do an unknown nr and the slots WSL leaves empty. Struct sizes are thus part of the
 *   ABI; each one below is asserted against the size the x86_64 WSL driver was built with.
 * - Only fixed-width fields. User pointers are __u64 in the kernel and in user space alike, so
 *   32-bit and 64-bit callers share one layout. Every hole the compiler would pad is a named member
 *   (-Wpadded proves it), which also makes the i386 layout identical to the x86_64 one.
 * - Windows declares flag words as bitfields and enumerations as enums. Here a flag word is a
 *   plain __u32 or __u64 with masks at the same bit positions, and an enumeration is a __u32
 *   (__s32 where Windows has negative values) with #defined values.
 * - Members named reserved or pad fill holes. Several are implicit padding in the Windows structs
 *   that libdxg passes through unchanged, so such callers may leave garbage there: a driver that
 *   serves libdxg must not insist on zero in them. Only the flags defined here are meaningful.
 * - Handles (struct d3dkmthandle) are opaque 32-bit values. The guest driver issues adapter
 *   handles, the host every other one. A LUID is two 32-bit halves, a = LowPart, b = HighPart.
 * - Strings crossing this ABI are UTF-16LE (__u16), as on Windows.
 * - A return value >= 0 is success. Positive values are NTSTATUS success codes passed through
 *   from the host (DXG_STATUS_PENDING: wait until the paging fence reaches the value returned in
 *   the arguments). Failures are -1 with errno: EFAULT bad pointer, EINVAL bad argument, ENOTTY
 *   bad request, ENODEV adapter or device gone, EOVERFLOW output buffer too small, or the errno
 *   that stands for the host's NTSTATUS.
 * - A process may only use descriptors that its own thread group opened.
 *
 * The ioctl numbers, all 73 slots 0x01..0x49 (the slots WSL leaves empty are marked "-"):
 *
 *   nr   LX_DX...                                 argument struct                         bytes
 *   0x01 OPENADAPTERFROMLUID                      d3dkmt_openadapterfromluid                 12
 *   0x02 CREATEDEVICE                             d3dkmt_createdevice                        64
 *   0x03 CREATECONTEXT                          - d3dkmt_createcontext                       96
 *   0x04 CREATECONTEXTVIRTUAL                     d3dkmt_createcontextvirtual                40
 *   0x05 DESTROYCONTEXT                           d3dkmt_destroycontext                       4
 *   0x06 CREATEALLOCATION                         d3dkmt_createallocation                    72
 *   0x07 CREATEPAGINGQUEUE                        d3dkmt_createpagingqueue                   32
 *   0x08 RESERVEGPUVIRTUALADDRESS                 d3dddi_reservegpuvirtualaddress            72
 *   0x09 QUERYADAPTERINFO                         d3dkmt_queryadapterinfo                    24
 *   0x0a QUERYVIDEOMEMORYINFO                     d3dkmt_queryvideomemoryinfo                56
 *   0x0b MAKERESIDENT                             d3dddi_makeresident                        48
 *   0x0c MAPGPUVIRTUALADDRESS                     d3dddi_mapgpuvirtualaddress               104
 *   0x0d ESCAPE                                   d3dkmt_escape                              32
 *   0x0e GETDEVICESTATE                           d3dkmt_getdevicestate                      56
 *   0x0f SUBMITCOMMAND                            d3dkmt_submitcommand                      384
 *   0x10 CREATESYNCHRONIZATIONOBJECT              d3dkmt_createsynchronizationobject2        96
 *   0x11 SIGNALSYNCHRONIZATIONOBJECT              d3dkmt_signalsynchronizationobject2       464
 *   0x12 WAITFORSYNCHRONIZATIONOBJECT             d3dkmt_waitforsynchronizationobject2      200
 *   0x13 DESTROYALLOCATION2                       d3dkmt_destroyallocation2                  24
 *   0x14 ENUMADAPTERS2                            d3dkmt_enumadapters2                       16
 *   0x15 CLOSEADAPTER                             d3dkmt_closeadapter                         4
 *   0x16 CHANGEVIDEOMEMORYRESERVATION             d3dkmt_changevideomemoryreservation        32
 *   0x17 CREATEHWCONTEXT                        - d3dkmt_createhwcontext                     40
 *   0x18 CREATEHWQUEUE                            d3dkmt_createhwqueue                       48
 *   0x19 DESTROYDEVICE                            d3dkmt_destroydevice                        4
 *   0x1a DESTROYHWCONTEXT                       - d3dkmt_destroyhwcontext                     4
 *   0x1b DESTROYHWQUEUE                           d3dkmt_destroyhwqueue                       4
 *   0x1c DESTROYPAGINGQUEUE                       d3dddi_destroypagingqueue                   4
 *   0x1d DESTROYSYNCHRONIZATIONOBJECT             d3dkmt_destroysynchronizationobject         4
 *   0x1e EVICT                                    d3dkmt_evict                               32
 *   0x1f FLUSHHEAPTRANSITIONS                     d3dkmt_flushheaptransitions                 4
 *   0x20 FREEGPUVIRTUALADDRESS                    d3dkmt_freegpuvirtualaddress               24
 *   0x21 GETCONTEXTINPROCESSSCHEDULINGPRIORITY    d3dkmt_getcontextinprocessschedulingpriority 8
 *   0x22 GETCONTEXTSCHEDULINGPRIORITY             d3dkmt_getcontextschedulingpriority         8
 *   0x23 GETSHAREDRESOURCEADAPTERLUID           - d3dkmt_getsharedresourceadapterluid        24
 *   0x24 INVALIDATECACHE                          d3dkmt_invalidatecache                     24
 *   0x25 LOCK2                                    d3dkmt_lock2                               24
 *   0x26 MARKDEVICEASERROR                        d3dkmt_markdeviceaserror                    8
 *   0x27 OFFERALLOCATIONS                         d3dkmt_offerallocations                    40
 *   0x28 OPENRESOURCE                           - d3dkmt_openresource                        72
 *   0x29 OPENSYNCHRONIZATIONOBJECT              - d3dkmt_opensynchronizationobject           72
 *   0x2a QUERYALLOCATIONRESIDENCY                 d3dkmt_queryallocationresidency            32
 *   0x2b QUERYRESOURCEINFO                      - d3dkmt_queryresourceinfo                   32
 *   0x2c RECLAIMALLOCATIONS2                      d3dkmt_reclaimallocations2                 40
 *   0x2d RENDER                                 - d3dkmt_render                             368
 *   0x2e SETALLOCATIONPRIORITY                    d3dkmt_setallocationpriority               32
 *   0x2f SETCONTEXTINPROCESSSCHEDULINGPRIORITY    d3dkmt_setcontextinprocessschedulingpriority 8
 *   0x30 SETCONTEXTSCHEDULINGPRIORITY             d3dkmt_setcontextschedulingpriority         8
 *   0x31 SIGNALSYNCHRONIZATIONOBJECTFROMCPU       d3dkmt_signalsynchronizationobjectfromcpu  32
 *   0x32 SIGNALSYNCHRONIZATIONOBJECTFROMGPU       d3dkmt_signalsynchronizationobjectfromgpu  80
 *   0x33 SIGNALSYNCHRONIZATIONOBJECTFROMGPU2      d3dkmt_signalsynchronizationobjectfromgpu2 96
 *   0x34 SUBMITCOMMANDTOHWQUEUE                   d3dkmt_submitcommandtohwqueue              56
 *   0x35 SUBMITSIGNALSYNCOBJECTSTOHWQUEUE         d3dkmt_submitsignalsyncobjectstohwqueue    40
 *   0x36 SUBMITWAITFORSYNCOBJECTSTOHWQUEUE        d3dkmt_submitwaitforsyncobjectstohwqueue   24
 *   0x37 UNLOCK2                                  d3dkmt_unlock2                              8
 *   0x38 UPDATEALLOCPROPERTY                      d3dddi_updateallocproperty                 40
 *   0x39 UPDATEGPUVIRTUALADDRESS                  d3dkmt_updategpuvirtualaddress             56
 *   0x3a WAITFORSYNCHRONIZATIONOBJECTFROMCPU      d3dkmt_waitforsynchronizationobjectfromcpu 40
 *   0x3b WAITFORSYNCHRONIZATIONOBJECTFROMGPU      d3dkmt_waitforsynchronizationobjectfromgpu 80
 *   0x3c GETALLOCATIONPRIORITY                    d3dkmt_getallocationpriority               32
 *   0x3d QUERYCLOCKCALIBRATION                    d3dkmt_queryclockcalibration (packed)      40
 *   0x3e ENUMADAPTERS3                            d3dkmt_enumadapters3                       24
 *   0x3f SHAREOBJECTS                             d3dkmt_shareobjects                        40
 *   0x40 OPENSYNCOBJECTFROMNTHANDLE2              d3dkmt_opensyncobjectfromnthandle2         88
 *   0x41 QUERYRESOURCEINFOFROMNTHANDLE            d3dkmt_queryresourceinfofromnthandle       40
 *   0x42 OPENRESOURCEFROMNTHANDLE                 d3dkmt_openresourcefromnthandle           104
 *   0x43 QUERYSTATISTICS                          d3dkmt_querystatistics                    808
 *   0x44 SHAREOBJECTWITHHOST                      d3dkmt_shareobjectwithhost                 24
 *   0x45 CREATESYNCFILE                           d3dkmt_createsyncfile                      24
 *   0x46 WAITSYNCFILE                             d3dkmt_waitsyncfile                        16
 *   0x47 OPENSYNCOBJECTFROMSYNCFILE               d3dkmt_opensyncobjectfromsyncfile          40
 *   0x48 ENUMPROCESSES                            d3dkmt_enumprocesses                       24
 *   0x49 ISFEATUREENABLED                         d3dkmt_isfeatureenabled                    12
 */
#ifndef _UAPI_MISC_D3DKMTHK_H
#define _UAPI_MISC_D3DKMTHK_H

#include <linux/ioctl.h>
#include <linux/types.h>

#ifdef __cplusplus
#define D3DKMTHK_ASSERT_SIZE(type, size) \
	static_assert(sizeof(type) == (size), "size of " #type " is not " #size)
#define D3DKMTHK_ASSERT_OFFSET(type, member, offset) \
	static_assert(__builtin_offsetof(type, member) == (offset), \
		      #type "." #member " not at " #offset)
#else
#define D3DKMTHK_ASSERT_SIZE(type, size) \
	_Static_assert(sizeof(type) == (size), "size of " #type " is not " #size)
#define D3DKMTHK_ASSERT_OFFSET(type, member, offset) \
	_Static_assert(__builtin_offsetof(type, member) == (offset), \
		       #type "." #member " not at " #offset)
#endif

/* ---- Ioctl type and range ---- */

#define LX_DXG_IOCTL_TYPE		0x47	/* 'G' */
#define LX_DXG_IOCTL_FIRST		0x01
#define LX_DXG_IOCTL_MAX		0x49	/* highest nr, inclusive */
#define LX_DXG_IOCTL_COUNT		(LX_DXG_IOCTL_MAX - LX_DXG_IOCTL_FIRST + 1)

/* ---- Common types, limits and status codes ---- */

/* An object handle: index bits 6..29, generation bits 30..31; bits 0..5 are always zero. */
struct d3dkmthandle {
	__u32 v;
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmthandle, 4);

#define D3DKMTHANDLE_INSTANCE_MASK	0x0000003fu
#define D3DKMTHANDLE_INDEX_SHIFT	6
#define D3DKMTHANDLE_INDEX_MASK		0x3fffffc0u
#define D3DKMTHANDLE_UNIQUE_SHIFT	30
#define D3DKMTHANDLE_UNIQUE_MASK	0xc0000000u

/* A Windows LUID: a = LowPart, b = HighPart. */
struct winluid {
	__u32 a;
	__u32 b;
};
D3DKMTHK_ASSERT_SIZE(struct winluid, 8);

/* NTSTATUS success codes that an ioctl can return as its (non-negative) value. */
#define DXG_STATUS_SUCCESS		0x00000000
#define DXG_STATUS_TIMEOUT		0x00000102
#define DXG_STATUS_PENDING		0x00000103

/* Array sizes and count limits; the WSL driver answers a count above its limit with -EINVAL. */
#define D3DDDI_MAX_WRITTEN_PRIMARIES		16
#define D3DDDI_MAX_MPO_PRESENT_DIRTY_RECTS	0xFFF
#define D3DDDI_MAX_BROADCAST_CONTEXT		64	/* contexts or hw queues per call */
#define D3DDDI_MAX_OBJECT_WAITED_ON		32
#define D3DDDI_MAX_OBJECT_SIGNALED		32
#define D3DKMT_CREATEALLOCATION_MAX		1024	/* allocations per create/destroy */
#define D3DKMT_MAKERESIDENT_ALLOC_MAX		(1024 * 10)	/* resident, evict, offer */
#define D3DKMT_ADAPTERS_MAX			64	/* ENUMADAPTERS2 */
#define D3DKMT_ENUMADAPTERS3_MAX		0xffffu
#define D3DKMT_MAX_PRIVATE_DATA_SIZE		(128u * 1024u)	/* any private data */
#define D3DKMT_UPDATEGPUVA_MAX_OPERATIONS	2048
#define D3DKMT_SUBMIT_MAX_HISTORY_BUFFERS	1024
#define D3DKMT_SHAREOBJECTS_MAX			1	/* SHAREOBJECTS takes one object */

/* ---- Lists shared by the legacy device and context calls ---- */

/* One entry of a legacy allocation list (CREATEDEVICE, CREATECONTEXT, RENDER outputs). */
struct d3dddi_allocationlist {
	struct d3dkmthandle allocation;
	__u32 flags;			/* D3DDDI_ALLOCATIONLIST_* */
};
D3DKMTHK_ASSERT_SIZE(struct d3dddi_allocationlist, 8);

#define D3DDDI_ALLOCATIONLIST_WRITE_OPERATION		0x00000001u
#define D3DDDI_ALLOCATIONLIST_DO_NOT_RETIRE_INSTANCE	0x00000002u
#define D3DDDI_ALLOCATIONLIST_OFFER_PRIORITY_SHIFT	2
#define D3DDDI_ALLOCATIONLIST_OFFER_PRIORITY_MASK	0x0000001cu	/* 3 bits */

/* One entry of a legacy patch location list. */
struct d3dddi_patchlocationlist {
	__u32 allocation_index;
	__u32 value;			/* slot id in D3DDDI_PATCHLOCATIONLIST_SLOT_ID_MASK */
	__u32 driver_id;
	__u32 allocation_offset;
	__u32 patch_offset;
	__u32 split_offset;
};
D3DKMTHK_ASSERT_SIZE(struct d3dddi_patchlocationlist, 24);

#define D3DDDI_PATCHLOCATIONLIST_SLOT_ID_MASK		0x00ffffffu

/* ---- 0x01 LX_DXOPENADAPTERFROMLUID ---- */

struct d3dkmt_openadapterfromluid {
	struct winluid adapter_luid;
	struct d3dkmthandle adapter_handle;	/* out */
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_openadapterfromluid, 12);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_openadapterfromluid, adapter_handle, 8);

/* ---- 0x02 LX_DXCREATEDEVICE ---- */

#define D3DKMT_CREATEDEVICE_FLAG_LEGACY_MODE		0x00000001u
#define D3DKMT_CREATEDEVICE_FLAG_REQUEST_VSYNC		0x00000002u
#define D3DKMT_CREATEDEVICE_FLAG_DISABLE_GPU_TIMEOUT	0x00000004u
#define D3DKMT_CREATEDEVICE_FLAG_GDI_DEVICE		0x00000008u

struct d3dkmt_createdevice {
	struct d3dkmthandle adapter;
	__u32 reserved3;		/* high half of the Windows adapter-pointer union */
	__u32 flags;			/* D3DKMT_CREATEDEVICE_FLAG_* */
	struct d3dkmthandle device;	/* out */
	__u64 command_buffer;		/* out, legacy */
	__u32 command_buffer_size;
	__u32 reserved;
	__u64 allocation_list;		/* out, legacy: struct d3dddi_allocationlist[] */
	__u32 allocation_list_size;
	__u32 reserved1;
	__u64 patch_location_list;	/* out, legacy: struct d3dddi_patchlocationlist[] */
	__u32 patch_location_list_size;
	__u32 reserved2;
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_createdevice, 64);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_createdevice, flags, 8);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_createdevice, device, 12);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_createdevice, command_buffer, 16);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_createdevice, allocation_list, 32);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_createdevice, patch_location_list, 48);

/* ---- Context flags and client hints (0x03, 0x04) ---- */

#define D3DDDI_CREATECONTEXT_FLAG_NULL_RENDERING	0x00000001u
#define D3DDDI_CREATECONTEXT_FLAG_INITIAL_DATA		0x00000002u
#define D3DDDI_CREATECONTEXT_FLAG_DISABLE_GPU_TIMEOUT	0x00000004u
#define D3DDDI_CREATECONTEXT_FLAG_SYNCHRONIZATION_ONLY	0x00000008u
#define D3DDDI_CREATECONTEXT_FLAG_HW_QUEUE_SUPPORTED	0x00000010u

/* D3DKMT_CLIENTHINT: which runtime creates the context. */
#define D3DKMT_CLIENTHINT_UNKNOWN		0u
#define D3DKMT_CLIENTHINT_OPENGL		1u
#define D3DKMT_CLIENTHINT_CDD			2u
#define D3DKMT_CLIENTHINT_OPENCL		3u
#define D3DKMT_CLIENTHINT_VULKAN		4u
#define D3DKMT_CLIENTHINT_CUDA			5u
#define D3DKMT_CLIENTHINT_RESERVED		6u
#define D3DKMT_CLIENTHINT_DX7			7u
#define D3DKMT_CLIENTHINT_DX8			8u
#define D3DKMT_CLIENTHINT_DX9			9u
#define D3DKMT_CLIENTHINT_DX10			10u
#define D3DKMT_CLIENTHINT_DX11			11u
#define D3DKMT_CLIENTHINT_DX12			12u
#define D3DKMT_CLIENTHINT_9ON12			13u
#define D3DKMT_CLIENTHINT_11ON12		14u
#define D3DKMT_CLIENTHINT_MFT_ENCODE		15u
#define D3DKMT_CLIENTHINT_GLON12		16u
#define D3DKMT_CLIENTHINT_CLON12		17u
#define D3DKMT_CLIENTHINT_DML_TENSORFLOW	18u
#define D3DKMT_CLIENTHINT_ONEAPI_LEVEL0		19u

/* 0x03 LX_DXCREATECONTEXT (slot empty in WSL) */
struct d3dkmt_createcontext {
	struct d3dkmthandle device;
	__u32 node_ordinal;
	__u32 engine_affinity;
	__u32 flags;			/* D3DDDI_CREATECONTEXT_FLAG_* */
	__u64 priv_drv_data;
	__u32 priv_drv_data_size;
	__u32 client_hint;		/* D3DKMT_CLIENTHINT_* */
	struct d3dkmthandle context;	/* out */
	__u32 reserved0;
	__u64 command_buffer;		/* out */
	__u32 command_buffer_size;
	__u32 reserved1;
	__u64 allocation_list;		/* out */
	__u32 allocation_list_size;
	__u32 reserved2;
	__u64 patch_location_list;	/* out */
	__u32 patch_location_list_size;
	__u32 reserved3;
	__u64 obsolete;
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_createcontext, 96);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_createcontext, context, 32);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_createcontext, obsolete, 88);

/* ---- 0x04 LX_DXCREATECONTEXTVIRTUAL ---- */

struct d3dkmt_createcontextvirtual {
	struct d3dkmthandle device;
	__u32 node_ordinal;
	__u32 engine_affinity;
	__u32 flags;			/* D3DDDI_CREATECONTEXT_FLAG_* */
	__u64 priv_drv_data;
	__u32 priv_drv_data_size;
	__u32 client_hint;		/* D3DKMT_CLIENTHINT_* */
	struct d3dkmthandle context;	/* out */
	__u32 reserved;			/* tail padding in the Windows layout */
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_createcontextvirtual, 40);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_createcontextvirtual, flags, 12);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_createcontextvirtual, priv_drv_data, 16);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_createcontextvirtual, client_hint, 28);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_createcontextvirtual, context, 32);

/* ---- 0x05 LX_DXDESTROYCONTEXT ---- */

struct d3dkmt_destroycontext {
	struct d3dkmthandle context;
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_destroycontext, 4);

/* ---- 0x06 LX_DXCREATEALLOCATION ---- */

/* d3dkmt_createallocation.flags */
#define D3DKMT_CREATEALLOCATION_FLAG_CREATE_RESOURCE		0x00000001u
#define D3DKMT_CREATEALLOCATION_FLAG_CREATE_SHARED		0x00000002u
#define D3DKMT_CREATEALLOCATION_FLAG_NON_SECURE			0x00000004u
#define D3DKMT_CREATEALLOCATION_FLAG_CREATE_PROTECTED		0x00000008u
#define D3DKMT_CREATEALLOCATION_FLAG_RESTRICT_SHARED_ACCESS	0x00000010u
#define D3DKMT_CREATEALLOCATION_FLAG_EXISTING_SYSMEM		0x00000020u
#define D3DKMT_CREATEALLOCATION_FLAG_NT_SECURITY_SHARING	0x00000040u
#define D3DKMT_CREATEALLOCATION_FLAG_READ_ONLY			0x00000080u
#define D3DKMT_CREATEALLOCATION_FLAG_CREATE_WRITE_COMBINED	0x00000100u
#define D3DKMT_CREATEALLOCATION_FLAG_CREATE_CACHED		0x00000200u
#define D3DKMT_CREATEALLOCATION_FLAG_SWAP_CHAIN_BACK_BUFFER	0x00000400u
#define D3DKMT_CREATEALLOCATION_FLAG_CROSS_ADAPTER		0x00000800u
#define D3DKMT_CREATEALLOCATION_FLAG_OPEN_CROSS_ADAPTER		0x00001000u
#define D3DKMT_CREATEALLOCATION_FLAG_PARTIAL_SHARED_CREATION	0x00002000u
#define D3DKMT_CREATEALLOCATION_FLAG_ZEROED			0x00004000u
#define D3DKMT_CREATEALLOCATION_FLAG_WRITE_WATCH		0x00008000u
#define D3DKMT_CREATEALLOCATION_FLAG_STANDARD_ALLOCATION	0x00010000u
#define D3DKMT_CREATEALLOCATION_FLAG_EXISTING_SECTION		0x00020000u
#define D3DKMT_CREATEALLOCATION_FLAGS_KNOWN			0x0003ffffu

/* d3dddi_allocationinfo2.flags */
#define D3DDDI_ALLOCATIONINFO_FLAG_PRIMARY		0x00000001u
#define D3DDDI_ALLOCATIONINFO_FLAG_STEREO		0x00000002u
#define D3DDDI_ALLOCATIONINFO_FLAG_OVERRIDE_PRIORITY	0x00000004u

/* One allocation of a CREATEALLOCATION request (the array behind allocation_info). */
struct d3dddi_allocationinfo2 {
	struct d3dkmthandle allocation;	/* out */
	__u32 pad0;
	__u64 sysmem;			/* existing user memory to wrap, or 0 */
	__u64 priv_drv_data;
	__u32 priv_drv_data_size;
	__u32 vidpn_source_id;
	__u32 flags;			/* D3DDDI_ALLOCATIONINFO_FLAG_* */
	__u32 pad1;
	__u64 gpu_virtual_address;
	__u32 priority;			/* low half of a Windows union with a u64 */
	__u32 priority_high;
	__u64 reserved[5];
};
D3DKMTHK_ASSERT_SIZE(struct d3dddi_allocationinfo2, 96);
D3DKMTHK_ASSERT_OFFSET(struct d3dddi_allocationinfo2, sysmem, 8);
D3DKMTHK_ASSERT_OFFSET(struct d3dddi_allocationinfo2, flags, 32);
D3DKMTHK_ASSERT_OFFSET(struct d3dddi_allocationinfo2, gpu_virtual_address, 40);
D3DKMTHK_ASSERT_OFFSET(struct d3dddi_allocationinfo2, priority, 48);

/* d3dkmt_createstandardallocation.type */
#define D3DKMT_STANDARDALLOCATIONTYPE_EXISTINGHEAP	1u
#define D3DKMT_STANDARDALLOCATIONTYPE_CROSSADAPTER	2u

/* What standard_allocation points to when FLAG_STANDARD_ALLOCATION is set. */
struct d3dkmt_createstandardallocation {
	__u32 type;			/* D3DKMT_STANDARDALLOCATIONTYPE_* */
	__u32 reserved;
	__u64 existing_heap_size;	/* EXISTINGHEAP: bytes, page aligned */
	__u32 flags;			/* none defined */
	__u32 reserved1;
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_createstandardallocation, 24);

struct d3dkmt_createallocation {
	struct d3dkmthandle device;
	struct d3dkmthandle resource;	/* in/out */
	struct d3dkmthandle global_share;	/* out */
	__u32 reserved;
	__u64 private_runtime_data;
	__u32 private_runtime_data_size;
	__u32 reserved1;
	union {
		__u64 standard_allocation;	/* struct d3dkmt_createstandardallocation */
		__u64 priv_drv_data;
	};
	__u32 priv_drv_data_size;
	__u32 alloc_count;
	__u64 allocation_info;		/* struct d3dddi_allocationinfo2[alloc_count] */
	__u32 flags;			/* D3DKMT_CREATEALLOCATION_FLAG_* */
	__u32 reserved2;
	__u64 private_runtime_resource_handle;
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_createallocation, 72);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_createallocation, global_share, 8);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_createallocation, priv_drv_data, 32);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_createallocation, alloc_count, 44);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_createallocation, allocation_info, 48);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_createallocation, flags, 56);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_createallocation, private_runtime_resource_handle, 64);

/* ---- 0x07 LX_DXCREATEPAGINGQUEUE ---- */

#define D3DDDI_PAGINGQUEUE_PRIORITY_BELOW_NORMAL	(-1)
#define D3DDDI_PAGINGQUEUE_PRIORITY_NORMAL		0
#define D3DDDI_PAGINGQUEUE_PRIORITY_ABOVE_NORMAL	1

struct d3dkmt_createpagingqueue {
	struct d3dkmthandle device;
	__s32 priority;			/* D3DDDI_PAGINGQUEUE_PRIORITY_* */
	struct d3dkmthandle paging_queue;	/* out */
	struct d3dkmthandle sync_object;	/* out: the queue's paging fence */
	__u64 fence_cpu_virtual_address;	/* out: fence value mapped into the caller */
	__u32 physical_adapter_index;
	__u32 reserved;
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_createpagingqueue, 32);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_createpagingqueue, fence_cpu_virtual_address, 16);

/* ---- GPU virtual address types (0x08, 0x0c, 0x20, 0x39) ---- */

/* d3dddi_reservegpuvirtualaddress.reservation_type */
#define D3DDDIGPUVA_RESERVE_NO_ACCESS		0u
#define D3DDDIGPUVA_RESERVE_ZERO		1u
#define D3DDDIGPUVA_RESERVE_NO_COMMIT		2u

/* D3DDDIGPUVA_PROTECTION_TYPE, a 64-bit flag word */
#define D3DDDIGPUVA_PROTECTION_WRITE		0x0000000000000001ull
#define D3DDDIGPUVA_PROTECTION_EXECUTE		0x0000000000000002ull
#define D3DDDIGPUVA_PROTECTION_ZERO		0x0000000000000004ull
#define D3DDDIGPUVA_PROTECTION_NO_ACCESS	0x0000000000000008ull
#define D3DDDIGPUVA_PROTECTION_SYSTEM_USE_ONLY	0x0000000000000010ull

/* 0x08 LX_DXRESERVEGPUVIRTUALADDRESS */
struct d3dddi_reservegpuvirtualaddress {
	struct d3dkmthandle adapter;	/* Windows: adapter or paging queue */
	__u32 reserved0;
	__u64 base_address;
	__u64 minimum_address;
	__u64 maximum_address;
	__u64 size;
	__u32 reservation_type;		/* D3DDDIGPUVA_RESERVE_* */
	__u32 reserved1;
	__u64 driver_protection;
	__u64 virtual_address;		/* out */
	__u64 paging_fence_value;	/* out */
};
D3DKMTHK_ASSERT_SIZE(struct d3dddi_reservegpuvirtualaddress, 72);
D3DKMTHK_ASSERT_OFFSET(struct d3dddi_reservegpuvirtualaddress, reservation_type, 40);
D3DKMTHK_ASSERT_OFFSET(struct d3dddi_reservegpuvirtualaddress, virtual_address, 56);
D3DKMTHK_ASSERT_OFFSET(struct d3dddi_reservegpuvirtualaddress, paging_fence_value, 64);

/* ---- 0x09 LX_DXQUERYADAPTERINFO ---- */

/*
 * KMTQUERYADAPTERINFOTYPE, the `type` of QUERYADAPTERINFO. The WSL driver passes the private
 * data through to the host untouched except for ADAPTERTYPE and ADAPTERTYPE_RENDER, whose answer
 * it adjusts for the guest; private_data_size must be 1..D3DKMT_MAX_PRIVATE_DATA_SIZE.
 */
#define KMTQAITYPE_UMDRIVERPRIVATE				0
#define KMTQAITYPE_UMDRIVERNAME					1
#define KMTQAITYPE_UMOPENGLINFO					2
#define KMTQAITYPE_GETSEGMENTSIZE				3
#define KMTQAITYPE_ADAPTERGUID					4
#define KMTQAITYPE_FLIPQUEUEINFO				5
#define KMTQAITYPE_ADAPTERADDRESS				6
#define KMTQAITYPE_SETWORKINGSETINFO				7
#define KMTQAITYPE_ADAPTERREGISTRYINFO				8
#define KMTQAITYPE_CURRENTDISPLAYMODE				9
#define KMTQAITYPE_MODELIST					10
#define KMTQAITYPE_CHECKDRIVERUPDATESTATUS			11
#define KMTQAITYPE_VIRTUALADDRESSINFO				12
#define KMTQAITYPE_DRIVERVERSION				13
/* 14 is not assigned. */
#define KMTQAITYPE_ADAPTERTYPE					15
#define KMTQAITYPE_OUTPUTDUPLCONTEXTSCOUNT			16
#define KMTQAITYPE_WDDM_1_2_CAPS				17
#define KMTQAITYPE_UMD_DRIVER_VERSION				18
#define KMTQAITYPE_DIRECTFLIP_SUPPORT				19
#define KMTQAITYPE_MULTIPLANEOVERLAY_SUPPORT			20
#define KMTQAITYPE_DLIST_DRIVER_NAME				21
#define KMTQAITYPE_WDDM_1_3_CAPS				22
#define KMTQAITYPE_MULTIPLANEOVERLAY_HUD_SUPPORT		23
#define KMTQAITYPE_WDDM_2_0_CAPS				24
#define KMTQAITYPE_NODEMETADATA					25
#define KMTQAITYPE_CPDRIVERNAME					26
#define KMTQAITYPE_XBOX						27
#define KMTQAITYPE_INDEPENDENTFLIP_SUPPORT			28
#define KMTQAITYPE_MIRACASTCOMPANIONDRIVERNAME			29
#define KMTQAITYPE_PHYSICALADAPTERCOUNT				30
#define KMTQAITYPE_PHYSICALADAPTERDEVICEIDS			31
#define KMTQAITYPE_DRIVERCAPS_EXT				32
#define KMTQAITYPE_QUERY_MIRACAST_DRIVER_TYPE			33
#define KMTQAITYPE_QUERY_GPUMMU_CAPS				34
#define KMTQAITYPE_QUERY_MULTIPLANEOVERLAY_DECODE_SUPPORT	35
#define KMTQAITYPE_QUERY_HW_PROTECTION_TEARDOWN_COUNT		36
#define KMTQAITYPE_QUERY_ISBADDRIVERFORHWPROTECTIONDISABLED	37
#define KMTQAITYPE_MULTIPLANEOVERLAY_SECONDARY_SUPPORT		38
#define KMTQAITYPE_INDEPENDENTFLIP_SECONDARY_SUPPORT		39
#define KMTQAITYPE_PANELFITTER_SUPPORT				40
#define KMTQAITYPE_PHYSICALADAPTERPNPKEY			41
#define KMTQAITYPE_GETSEGMENTGROUPSIZE				42
#define KMTQAITYPE_MPO3DDI_SUPPORT				43
#define KMTQAITYPE_HWDRM_SUPPORT				44
#define KMTQAITYPE_MPOKERNELCAPS_SUPPORT			45
#define KMTQAITYPE_MULTIPLANEOVERLAY_STRETCH_SUPPORT		46
#define KMTQAITYPE_GET_DEVICE_VIDPN_OWNERSHIP_INFO		47
#define KMTQAITYPE_QUERYREGISTRY				48
#define KMTQAITYPE_KMD_DRIVER_VERSION				49
#define KMTQAITYPE_BLOCKLIST_KERNEL				50
#define KMTQAITYPE_BLOCKLIST_RUNTIME				51
#define KMTQAITYPE_ADAPTERGUID_RENDER				52
#define KMTQAITYPE_ADAPTERADDRESS_RENDER			53
#define KMTQAITYPE_ADAPTERREGISTRYINFO_RENDER			54
#define KMTQAITYPE_CHECKDRIVERUPDATESTATUS_RENDER		55
#define KMTQAITYPE_DRIVERVERSION_RENDER				56
#define KMTQAITYPE_ADAPTERTYPE_RENDER				57
#define KMTQAITYPE_WDDM_1_2_CAPS_RENDER				58
#define KMTQAITYPE_WDDM_1_3_CAPS_RENDER				59
#define KMTQAITYPE_QUERY_ADAPTER_UNIQUE_GUID			60
#define KMTQAITYPE_NODEPERFDATA					61
#define KMTQAITYPE_ADAPTERPERFDATA				62
#define KMTQAITYPE_ADAPTERPERFDATA_CAPS				63
/* Windows spells the next one KMTQUITYPE_GPUVERSION. */
#define KMTQAITYPE_GPUVERSION					64
#define KMTQAITYPE_DRIVER_DESCRIPTION				65
#define KMTQAITYPE_DRIVER_DESCRIPTION_RENDER			66
#define KMTQAITYPE_SCANOUT_CAPS					67
#define KMTQAITYPE_PARAVIRTUALIZATION_RENDER			68
#define KMTQAITYPE_SERVICENAME					69
#define KMTQAITYPE_WDDM_2_7_CAPS				70
#define KMTQAITYPE_DISPLAY_UMDRIVERNAME				71
#define KMTQAITYPE_TRACKEDWORKLOAD_SUPPORT			72
#define KMTQAITYPE_HYBRID_DLIST_DLL_SUPPORT			73
#define KMTQAITYPE_DISPLAY_CAPS					74
#define KMTQAITYPE_WDDM_2_9_CAPS				75
#define KMTQAITYPE_CROSSADAPTERRESOURCE_SUPPORT			76
#define KMTQAITYPE_WDDM_3_0_CAPS				77
#define KMTQAITYPE_WSAUMDIMAGENAME				78
#define KMTQAITYPE_VGPUINTERFACEID				79
#define KMTQAITYPE_WDDM_3_1_CAPS				80

struct d3dkmt_queryadapterinfo {
	struct d3dkmthandle adapter;
	__u32 type;			/* KMTQAITYPE_* */
	__u64 private_data;		/* in/out buffer of private_data_size bytes */
	__u32 private_data_size;
	__u32 reserved;			/* tail padding in the Windows layout */
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_queryadapterinfo, 24);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_queryadapterinfo, private_data, 8);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_queryadapterinfo, private_data_size, 16);

/* KMTQAITYPE_ADAPTERTYPE and KMTQAITYPE_ADAPTERTYPE_RENDER answer a D3DKMT_ADAPTERTYPE_* word. */
struct d3dkmt_adaptertype {
	__u32 value;
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_adaptertype, 4);

#define D3DKMT_ADAPTERTYPE_RENDER_SUPPORTED			0x00000001u
#define D3DKMT_ADAPTERTYPE_DISPLAY_SUPPORTED			0x00000002u
#define D3DKMT_ADAPTERTYPE_SOFTWARE_DEVICE			0x00000004u
#define D3DKMT_ADAPTERTYPE_POST_DEVICE				0x00000008u
#define D3DKMT_ADAPTERTYPE_HYBRID_DISCRETE			0x00000010u
#define D3DKMT_ADAPTERTYPE_HYBRID_INTEGRATED			0x00000020u
#define D3DKMT_ADAPTERTYPE_INDIRECT_DISPLAY_DEVICE		0x00000040u
#define D3DKMT_ADAPTERTYPE_PARAVIRTUALIZED			0x00000080u
#define D3DKMT_ADAPTERTYPE_ACG_SUPPORTED			0x00000100u
#define D3DKMT_ADAPTERTYPE_SUPPORT_SET_TIMINGS_FROM_VIDPN	0x00000200u
#define D3DKMT_ADAPTERTYPE_DETACHABLE				0x00000400u
#define D3DKMT_ADAPTERTYPE_COMPUTE_ONLY				0x00000800u
#define D3DKMT_ADAPTERTYPE_PROTOTYPE				0x00001000u
#define D3DKMT_ADAPTERTYPE_RUNTIME_POWER_MANAGEMENT		0x00002000u	/* WDDM 2.9 */

/* KMTQAITYPE_PHYSICALADAPTERDEVICEIDS: PCI identity of one physical adapter. */
struct d3dkmt_device_ids {
	__u32 vendor_id;
	__u32 device_id;
	__u32 sub_vendor_id;
	__u32 sub_system_id;
	__u32 revision_id;
	__u32 bus_type;
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_device_ids, 24);

struct d3dkmt_query_device_ids {
	__u32 physical_adapter_index;	/* in */
	struct d3dkmt_device_ids device_ids;	/* out */
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_query_device_ids, 28);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_query_device_ids, device_ids, 4);

/* KMTQAITYPE_WDDM_2_7_CAPS answers a D3DKMT_WDDM_2_7_CAPS_* word. */
struct d3dkmt_wddm_2_7_caps {
	__u32 value;
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_wddm_2_7_caps, 4);

#define D3DKMT_WDDM_2_7_CAPS_HWSCH_SUPPORTED		0x1u
#define D3DKMT_WDDM_2_7_CAPS_HWSCH_ENABLED		0x2u
#define D3DKMT_WDDM_2_7_CAPS_HWSCH_ENABLED_BY_DEFAULT	0x4u
#define D3DKMT_WDDM_2_7_CAPS_INDEPENDENT_VIDPN_VSYNC	0x8u

/*
 * KMTQAITYPE_DRIVER_DESCRIPTION(_RENDER): a NUL-terminated UTF-16 string. Windows declares
 * WCHAR[4096]; across this ABI a WCHAR is 2 bytes, so the buffer is 8192 bytes.
 */
#define D3DKMT_DRIVER_DESCRIPTION_CHARS		4096

struct d3dkmt_driver_description {
	__u16 driver_description[D3DKMT_DRIVER_DESCRIPTION_CHARS];
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_driver_description, 8192);

/* ---- 0x0a LX_DXQUERYVIDEOMEMORYINFO ---- */

#define D3DKMT_MEMORY_SEGMENT_GROUP_LOCAL	0u
#define D3DKMT_MEMORY_SEGMENT_GROUP_NON_LOCAL	1u

struct d3dkmt_queryvideomemoryinfo {
	__u64 process;			/* must be 0: the calling process */
	struct d3dkmthandle adapter;
	__u32 memory_segment_group;	/* D3DKMT_MEMORY_SEGMENT_GROUP_* */
	__u64 budget;			/* out */
	__u64 current_usage;		/* out */
	__u64 current_reservation;	/* out */
	__u64 available_for_reservation;	/* out */
	__u32 physical_adapter_index;
	__u32 reserved;
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_queryvideomemoryinfo, 56);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_queryvideomemoryinfo, budget, 16);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_queryvideomemoryinfo, physical_adapter_index, 48);

/* ---- 0x0b LX_DXMAKERESIDENT ---- */

#define D3DDDI_MAKERESIDENT_FLAG_CANT_TRIM_FURTHER	0x00000001u
#define D3DDDI_MAKERESIDENT_FLAG_MUST_SUCCEED		0x00000002u

struct d3dddi_makeresident {
	struct d3dkmthandle paging_queue;
	__u32 alloc_count;
	__u64 allocation_list;		/* struct d3dkmthandle[alloc_count] */
	__u64 priority_list;		/* __u32[alloc_count] */
	__u32 flags;			/* D3DDDI_MAKERESIDENT_FLAG_* */
	__u32 reserved;
	__u64 paging_fence_value;	/* out: wait for it after DXG_STATUS_PENDING */
	__u64 num_bytes_to_trim;	/* out */
};
D3DKMTHK_ASSERT_SIZE(struct d3dddi_makeresident, 48);
D3DKMTHK_ASSERT_OFFSET(struct d3dddi_makeresident, flags, 24);
D3DKMTHK_ASSERT_OFFSET(struct d3dddi_makeresident, paging_fence_value, 32);
D3DKMTHK_ASSERT_OFFSET(struct d3dddi_makeresident, num_bytes_to_trim, 40);

/* ---- 0x0c LX_DXMAPGPUVIRTUALADDRESS ---- */

struct d3dddi_mapgpuvirtualaddress {
	struct d3dkmthandle paging_queue;
	__u32 reserved2;
	__u64 base_address;
	__u64 minimum_address;
	__u64 maximum_address;
	struct d3dkmthandle allocation;
	__u32 reserved3;
	__u64 offset_in_pages;
	__u64 size_in_pages;
	__u64 protection;		/* D3DDDIGPUVA_PROTECTION_* */
	__u64 driver_protection;
	__u32 reserved0;
	__u32 reserved4;
	__u64 reserved1;
	__u64 virtual_address;		/* out */
	__u64 paging_fence_value;	/* out */
};
D3DKMTHK_ASSERT_SIZE(struct d3dddi_mapgpuvirtualaddress, 104);
D3DKMTHK_ASSERT_OFFSET(struct d3dddi_mapgpuvirtualaddress, allocation, 32);
D3DKMTHK_ASSERT_OFFSET(struct d3dddi_mapgpuvirtualaddress, protection, 56);
D3DKMTHK_ASSERT_OFFSET(struct d3dddi_mapgpuvirtualaddress, virtual_address, 88);
D3DKMTHK_ASSERT_OFFSET(struct d3dddi_mapgpuvirtualaddress, paging_fence_value, 96);

/* ---- 0x0d LX_DXESCAPE ---- */

/* d3dkmt_escape.type */
#define D3DKMT_ESCAPE_DRIVERPRIVATE	0u
#define D3DKMT_ESCAPE_VIDMM		1u
#define D3DKMT_ESCAPE_VIDSCH		3u
#define D3DKMT_ESCAPE_DEVICE		4u
#define D3DKMT_ESCAPE_DRT_TEST		8u

/* d3dkmt_escape.flags; bit 4 is reserved */
#define D3DDDI_ESCAPE_FLAG_HARDWARE_ACCESS		0x00000001u
#define D3DDDI_ESCAPE_FLAG_DEVICE_STATUS_QUERY		0x00000002u
#define D3DDDI_ESCAPE_FLAG_CHANGE_FRAME_LATENCY		0x00000004u
#define D3DDDI_ESCAPE_FLAG_NO_ADAPTER_SYNCHRONIZATION	0x00000008u
#define D3DDDI_ESCAPE_FLAG_VIRTUAL_MACHINE_DATA		0x00000020u
#define D3DDDI_ESCAPE_FLAG_DRIVER_KNOWN_ESCAPE		0x00000040u
#define D3DDDI_ESCAPE_FLAG_DRIVER_COMMON_ESCAPE		0x00000080u

struct d3dkmt_escape {
	struct d3dkmthandle adapter;
	struct d3dkmthandle device;
	__u32 type;			/* D3DKMT_ESCAPE_* */
	__u32 flags;			/* D3DDDI_ESCAPE_FLAG_* */
	__u64 priv_drv_data;		/* in/out */
	__u32 priv_drv_data_size;
	struct d3dkmthandle context;
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_escape, 32);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_escape, priv_drv_data, 16);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_escape, context, 28);

/*
 * Escapes of type DRIVERPRIVATE with FLAG_DRIVER_KNOWN_ESCAPE: the private data starts with a
 * D3DDDI_DRIVERESCAPETYPE_* word. WSL answers the two TRANSLATE escapes in the guest (guest and
 * host handle values are the same) and sizes BUILDTESTCOMMANDBUFFER itself.
 */
#define D3DDDI_DRIVERESCAPETYPE_TRANSLATEALLOCATIONHANDLE	0u
#define D3DDDI_DRIVERESCAPETYPE_TRANSLATERESOURCEHANDLE		1u
#define D3DDDI_DRIVERESCAPETYPE_CPUEVENTUSAGE			2u
#define D3DDDI_DRIVERESCAPETYPE_BUILDTESTCOMMANDBUFFER		3u

#define D3DDDI_MAXTESTBUFFERSIZE			4096
#define D3DDDI_MAXTESTBUFFERPRIVATEDRIVERDATASIZE	1024

/* Private data of D3DDDI_DRIVERESCAPETYPE_TRANSLATEALLOCATIONHANDLE. */
struct d3dddi_translate_allocation_handle {
	__u32 escape_type;		/* D3DDDI_DRIVERESCAPETYPE_TRANSLATEALLOCATIONHANDLE */
	struct d3dkmthandle allocation;
};
D3DKMTHK_ASSERT_SIZE(struct d3dddi_translate_allocation_handle, 8);

/* Private data of D3DDDI_DRIVERESCAPETYPE_BUILDTESTCOMMANDBUFFER. */
struct d3dddi_buildtestcommandbuffer {
	__u32 escape_type;		/* D3DDDI_DRIVERESCAPETYPE_BUILDTESTCOMMANDBUFFER */
	struct d3dkmthandle device;
	struct d3dkmthandle context;
	__u32 flags;
	__u8 command[72];		/* D3DDDI_TESTCOMMAND, opaque here */
	__u64 dma_buffer;		/* out: dma_buffer_size bytes */
	__u64 dma_buffer_priv_data;	/* out: dma_buffer_priv_data_size bytes */
	__u32 dma_buffer_size;		/* in/out, 4..D3DDDI_MAXTESTBUFFERSIZE */
	__u32 dma_buffer_priv_data_size;	/* in/out */
};
D3DKMTHK_ASSERT_SIZE(struct d3dddi_buildtestcommandbuffer, 112);
D3DKMTHK_ASSERT_OFFSET(struct d3dddi_buildtestcommandbuffer, dma_buffer, 88);

/* ---- 0x0e LX_DXGETDEVICESTATE ---- */

/* d3dkmt_getdevicestate.state_type */
#define D3DKMT_DEVICESTATE_EXECUTION		1u
#define D3DKMT_DEVICESTATE_PRESENT		2u
#define D3DKMT_DEVICESTATE_RESET		3u
#define D3DKMT_DEVICESTATE_PRESENT_DWM		4u
#define D3DKMT_DEVICESTATE_PAGE_FAULT		5u
#define D3DKMT_DEVICESTATE_PRESENT_QUEUE	6u

/* d3dkmt_getdevicestate.execution_state */
#define D3DKMT_DEVICEEXECUTION_ACTIVE			1u
#define D3DKMT_DEVICEEXECUTION_RESET			2u
#define D3DKMT_DEVICEEXECUTION_HUNG			3u
#define D3DKMT_DEVICEEXECUTION_STOPPED			4u
#define D3DKMT_DEVICEEXECUTION_ERROR_OUTOFMEMORY	5u
#define D3DKMT_DEVICEEXECUTION_ERROR_DMAFAULT		6u
#define D3DKMT_DEVICEEXECUTION_ERROR_DMAPAGEFAULT	7u

/* d3dkmt_getdevicestate.reset_state */
#define D3DKMT_DEVICERESET_DESKTOP_SWITCHED	0x00000001u

/* d3dkmt_devicepagefault_state.faulted_pipeline_stage */
#define DXGK_RENDER_PIPELINE_STAGE_UNKNOWN		0u
#define DXGK_RENDER_PIPELINE_STAGE_INPUT_ASSEMBLER	1u
#define DXGK_RENDER_PIPELINE_STAGE_VERTEX_SHADER	2u
#define DXGK_RENDER_PIPELINE_STAGE_GEOMETRY_SHADER	3u
#define DXGK_RENDER_PIPELINE_STAGE_STREAM_OUTPUT	4u
#define DXGK_RENDER_PIPELINE_STAGE_RASTERIZER		5u
#define DXGK_RENDER_PIPELINE_STAGE_PIXEL_SHADER		6u
#define DXGK_RENDER_PIPELINE_STAGE_OUTPUT_MERGER	7u

/* d3dkmt_devicepagefault_state.page_fault_flags */
#define DXGK_PAGE_FAULT_WRITE			0x00000001u
#define DXGK_PAGE_FAULT_FENCE_INVALID		0x00000002u
#define DXGK_PAGE_FAULT_ADAPTER_RESET_REQUIRED	0x00000004u
#define DXGK_PAGE_FAULT_ENGINE_RESET_REQUIRED	0x00000008u
#define DXGK_PAGE_FAULT_FATAL_HARDWARE_ERROR	0x00000010u
#define DXGK_PAGE_FAULT_IOMMU			0x00000020u
#define DXGK_PAGE_FAULT_HW_CONTEXT_VALID	0x00000040u
#define DXGK_PAGE_FAULT_PROCESS_HANDLE_VALID	0x00000080u

/*
 * d3dkmt_devicepagefault_state.fault_error_code: bit 0 set means bits 1..31 hold a device-specific
 * code; clear means they hold a DXGK_GENERAL_ERROR_* value.
 */
#define DXGK_FAULT_ERROR_CODE_DEVICE_SPECIFIC	0x00000001u
#define DXGK_FAULT_ERROR_CODE_SHIFT		1
#define DXGK_GENERAL_ERROR_PAGE_FAULT		0u
#define DXGK_GENERAL_ERROR_INVALID_INSTRUCTION	1u

struct d3dkmt_devicepagefault_state {
	__u64 faulted_primitive_api_sequence_number;
	__u32 faulted_pipeline_stage;	/* DXGK_RENDER_PIPELINE_STAGE_* */
	__u32 faulted_bind_table_entry;
	__u32 page_fault_flags;		/* DXGK_PAGE_FAULT_* */
	__u32 fault_error_code;		/* DXGK_FAULT_ERROR_CODE_* */
	__u64 faulted_virtual_address;
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_devicepagefault_state, 32);

struct d3dkmt_present_stats {
	__u32 present_count;
	__u32 present_refresh_count;
	__u32 sync_refresh_count;
	__u32 reserved;
	__u64 sync_qpc_time;
	__u64 sync_gpu_time;
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_present_stats, 32);

struct d3dkmt_devicepresent_state {
	__u32 vidpn_source_id;
	__u32 reserved;
	struct d3dkmt_present_stats present_stats;
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_devicepresent_state, 40);

struct d3dkmt_present_stats_dwm {
	__u32 present_count;
	__u32 present_refresh_count;
	__u64 present_qpc_time;
	__u32 sync_refresh_count;
	__u32 reserved;
	__u64 sync_qpc_time;
	__u32 custom_present_duration;
	__u32 reserved1;
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_present_stats_dwm, 40);

struct d3dkmt_devicepresent_state_dwm {
	__u32 vidpn_source_id;
	__u32 reserved;
	struct d3dkmt_present_stats_dwm present_stats;
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_devicepresent_state_dwm, 48);

struct d3dkmt_devicepresent_queue_state {
	__u32 vidpn_source_id;
	__u8 queued_present_limit_reached;	/* Windows BOOLEAN */
	__u8 reserved[3];
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_devicepresent_queue_state, 8);

struct d3dkmt_getdevicestate {
	struct d3dkmthandle device;
	__u32 state_type;		/* D3DKMT_DEVICESTATE_*: selects the union member, out */
	union {
		__u32 execution_state;	/* D3DKMT_DEVICEEXECUTION_* */
		__u32 reset_state;	/* D3DKMT_DEVICERESET_* */
		struct d3dkmt_devicepresent_state present_state;
		struct d3dkmt_devicepresent_state_dwm present_state_dwm;
		struct d3dkmt_devicepagefault_state page_fault_state;
		struct d3dkmt_devicepresent_queue_state present_queue_state;
		__u64 state_reserved[6];
	};
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_getdevicestate, 56);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_getdevicestate, execution_state, 8);

/* ---- 0x0f LX_DXSUBMITCOMMAND ---- */

#define D3DKMT_SUBMITCOMMAND_FLAG_NULL_RENDERING	0x00000001u
#define D3DKMT_SUBMITCOMMAND_FLAG_PRESENT_REDIRECTED	0x00000002u

struct d3dkmt_submitcommand {
	__u64 command_buffer;		/* GPU VA of the commands */
	__u32 command_length;
	__u32 flags;			/* D3DKMT_SUBMITCOMMAND_FLAG_* */
	__u64 present_history_token;
	__u32 broadcast_context_count;	/* 1..D3DDDI_MAX_BROADCAST_CONTEXT */
	struct d3dkmthandle broadcast_context[D3DDDI_MAX_BROADCAST_CONTEXT];
	__u32 reserved;
	__u64 priv_drv_data;
	__u32 priv_drv_data_size;
	__u32 num_primaries;
	struct d3dkmthandle written_primaries[D3DDDI_MAX_WRITTEN_PRIMARIES];
	__u32 num_history_buffers;	/* 0..D3DKMT_SUBMIT_MAX_HISTORY_BUFFERS */
	__u32 reserved1;
	__u64 history_buffer_array;	/* struct d3dkmthandle[num_history_buffers] */
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_submitcommand, 384);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_submitcommand, broadcast_context, 28);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_submitcommand, priv_drv_data, 288);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_submitcommand, written_primaries, 304);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_submitcommand, history_buffer_array, 376);

/* ---- Synchronization objects: 0x10 create, 0x11 signal, 0x12 wait ---- */

/* d3dddi_synchronizationobjectinfo2.type */
#define D3DDDI_SYNCHRONIZATION_MUTEX		1u
#define D3DDDI_SEMAPHORE			2u
#define D3DDDI_FENCE				3u
#define D3DDDI_CPU_NOTIFICATION			4u	/* event is an eventfd */
#define D3DDDI_MONITORED_FENCE			5u
#define D3DDDI_PERIODIC_MONITORED_FENCE		6u

/* D3DDDI_SYNCHRONIZATIONOBJECT_FLAGS */
#define D3DDDI_SYNCOBJ_FLAG_SHARED			0x00000001u
#define D3DDDI_SYNCOBJ_FLAG_NT_SECURITY_SHARING		0x00000002u
#define D3DDDI_SYNCOBJ_FLAG_CROSS_ADAPTER		0x00000004u
#define D3DDDI_SYNCOBJ_FLAG_TOP_OF_PIPELINE		0x00000008u
#define D3DDDI_SYNCOBJ_FLAG_NO_SIGNAL			0x00000010u
#define D3DDDI_SYNCOBJ_FLAG_NO_WAIT			0x00000020u
#define D3DDDI_SYNCOBJ_FLAG_NO_SIGNAL_MAX_VALUE_ON_TDR	0x00000040u
#define D3DDDI_SYNCOBJ_FLAG_NO_GPU_ACCESS		0x00000080u

/* D3DDDICB_SIGNALFLAGS */
#define D3DDDICB_SIGNAL_FLAG_SIGNAL_AT_SUBMISSION	0x00000001u
#define D3DDDICB_SIGNAL_FLAG_ENQUEUE_CPU_EVENT		0x00000002u
#define D3DDDICB_SIGNAL_FLAG_ALLOW_FENCE_REWIND		0x00000004u
#define D3DDDICB_SIGNAL_FLAG_INTERNAL0			0x80000000u

struct d3dddi_synchronizationobject_mutex {
	__u32 initial_state;
};
D3DKMTHK_ASSERT_SIZE(struct d3dddi_synchronizationobject_mutex, 4);

struct d3dddi_synchronizationobject_semaphore {
	__u32 max_count;
	__u32 initial_count;
};
D3DKMTHK_ASSERT_SIZE(struct d3dddi_synchronizationobject_semaphore, 8);

struct d3dddi_synchronizationobject_fence {
	__u64 fence_value;
};
D3DKMTHK_ASSERT_SIZE(struct d3dddi_synchronizationobject_fence, 8);

struct d3dddi_synchronizationobject_cpu_notification {
	__u64 event;			/* an eventfd descriptor */
};
D3DKMTHK_ASSERT_SIZE(struct d3dddi_synchronizationobject_cpu_notification, 8);

struct d3dddi_synchronizationobject_monitored_fence {
	__u64 initial_fence_value;
	__u64 fence_cpu_virtual_address;	/* out: fence page mapped into the caller */
	__u64 fence_gpu_virtual_address;	/* out */
	__u32 engine_affinity;
	__u32 reserved;
};
D3DKMTHK_ASSERT_SIZE(struct d3dddi_synchronizationobject_monitored_fence, 32);

struct d3dddi_synchronizationobject_periodic_monitored_fence {
	struct d3dkmthandle adapter;
	__u32 vidpn_target_id;
	__u64 time;
	__u64 fence_cpu_virtual_address;	/* out */
	__u64 fence_gpu_virtual_address;	/* out */
	__u32 engine_affinity;
	__u32 reserved;
};
D3DKMTHK_ASSERT_SIZE(struct d3dddi_synchronizationobject_periodic_monitored_fence, 40);

/* The description of a new synchronization object; the union member follows `type`. */
struct d3dddi_synchronizationobjectinfo2 {
	__u32 type;			/* D3DDDI_SYNCHRONIZATION_MUTEX .. */
	__u32 flags;			/* D3DDDI_SYNCOBJ_FLAG_* */
	union {
		struct d3dddi_synchronizationobject_mutex synchronization_mutex;
		struct d3dddi_synchronizationobject_semaphore semaphore;
		struct d3dddi_synchronizationobject_fence fence;
		struct d3dddi_synchronizationobject_cpu_notification cpu_notification;
		struct d3dddi_synchronizationobject_monitored_fence monitored_fence;
		struct d3dddi_synchronizationobject_periodic_monitored_fence
			periodic_monitored_fence;
		__u64 reserved[8];
	};
	struct d3dkmthandle shared_handle;	/* out */
	__u32 reserved1;
};
D3DKMTHK_ASSERT_SIZE(struct d3dddi_synchronizationobjectinfo2, 80);
D3DKMTHK_ASSERT_OFFSET(struct d3dddi_synchronizationobjectinfo2, monitored_fence, 8);
D3DKMTHK_ASSERT_OFFSET(struct d3dddi_synchronizationobjectinfo2, shared_handle, 72);

/* 0x10 LX_DXCREATESYNCHRONIZATIONOBJECT */
struct d3dkmt_createsynchronizationobject2 {
	struct d3dkmthandle device;
	__u32 reserved;
	struct d3dddi_synchronizationobjectinfo2 info;
	struct d3dkmthandle sync_object;	/* out */
	__u32 reserved1;
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_createsynchronizationobject2, 96);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_createsynchronizationobject2, info, 8);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_createsynchronizationobject2, sync_object, 88);

/* 0x11 LX_DXSIGNALSYNCHRONIZATIONOBJECT */
struct d3dkmt_signalsynchronizationobject2 {
	struct d3dkmthandle context;
	__u32 object_count;
	struct d3dkmthandle object_array[D3DDDI_MAX_OBJECT_SIGNALED];
	__u32 flags;			/* D3DDDICB_SIGNAL_FLAG_* */
	__u32 context_count;		/* more signalling contexts, < 64 */
	struct d3dkmthandle contexts[D3DDDI_MAX_BROADCAST_CONTEXT];
	union {
		__u64 fence_value;
		__u64 cpu_event_handle;	/* eventfd, with ..._SIGNAL_FLAG_ENQUEUE_CPU_EVENT */
		__u64 reserved[8];
	};
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_signalsynchronizationobject2, 464);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_signalsynchronizationobject2, flags, 136);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_signalsynchronizationobject2, contexts, 144);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_signalsynchronizationobject2, fence_value, 400);

/* 0x12 LX_DXWAITFORSYNCHRONIZATIONOBJECT */
struct d3dkmt_waitforsynchronizationobject2 {
	struct d3dkmthandle context;
	__u32 object_count;
	struct d3dkmthandle object_array[D3DDDI_MAX_OBJECT_WAITED_ON];
	union {
		__u64 fence_value;
		__u64 reserved[8];
	};
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_waitforsynchronizationobject2, 200);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_waitforsynchronizationobject2, fence_value, 136);

/* ---- 0x13 LX_DXDESTROYALLOCATION2 ---- */

#define D3DDDICB_DESTROYALLOCATION2_FLAG_ASSUME_NOT_IN_USE	0x00000001u
#define D3DDDICB_DESTROYALLOCATION2_FLAG_SYNCHRONOUS_DESTROY	0x00000002u
#define D3DDDICB_DESTROYALLOCATION2_FLAG_SYSTEM_USE_ONLY	0x80000000u

struct d3dkmt_destroyallocation2 {
	struct d3dkmthandle device;
	struct d3dkmthandle resource;	/* either a resource or an allocation list, not both */
	__u64 allocations;		/* struct d3dkmthandle[alloc_count] */
	__u32 alloc_count;
	__u32 flags;			/* D3DDDICB_DESTROYALLOCATION2_FLAG_* */
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_destroyallocation2, 24);

/* ---- 0x14 LX_DXENUMADAPTERS2 ---- */

/* One enumerated adapter; the WSL driver fills in only the handle and the LUID. */
struct d3dkmt_adapterinfo {
	struct d3dkmthandle adapter_handle;
	struct winluid adapter_luid;
	__u32 num_of_sources;
	__u32 present_move_regions_preferred;
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_adapterinfo, 20);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_adapterinfo, adapter_luid, 4);

/*
 * adapters == 0 asks for the count only. Otherwise num_adapters is the capacity (at most
 * D3DKMT_ADAPTERS_MAX); every call that fills the array opens new adapter handles.
 */
struct d3dkmt_enumadapters2 {
	__u32 num_adapters;		/* in/out */
	__u32 reserved;
	__u64 adapters;			/* struct d3dkmt_adapterinfo[num_adapters] */
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_enumadapters2, 16);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_enumadapters2, adapters, 8);

/* ---- 0x15 LX_DXCLOSEADAPTER ---- */

struct d3dkmt_closeadapter {
	struct d3dkmthandle adapter_handle;
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_closeadapter, 4);

/* ---- 0x16 LX_DXCHANGEVIDEOMEMORYRESERVATION ---- */

struct d3dkmt_changevideomemoryreservation {
	__u64 process;			/* must be 0 */
	struct d3dkmthandle adapter;
	__u32 memory_segment_group;	/* D3DKMT_MEMORY_SEGMENT_GROUP_* */
	__u64 reservation;
	__u32 physical_adapter_index;
	__u32 reserved;
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_changevideomemoryreservation, 32);

/* ---- 0x17 LX_DXCREATEHWCONTEXT (slot empty in WSL) ---- */

struct d3dkmt_createhwcontext {
	struct d3dkmthandle device;
	__u32 node_ordinal;
	__u32 engine_affinity;
	__u32 flags;			/* none defined */
	__u32 priv_drv_data_size;
	__u32 reserved;
	__u64 priv_drv_data;
	struct d3dkmthandle context;	/* out */
	__u32 reserved1;
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_createhwcontext, 40);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_createhwcontext, priv_drv_data, 24);

/* ---- 0x18 LX_DXCREATEHWQUEUE ---- */

#define D3DDDI_CREATEHWQUEUE_FLAG_DISABLE_GPU_TIMEOUT	0x00000001u

struct d3dkmt_createhwqueue {
	struct d3dkmthandle context;
	__u32 flags;			/* D3DDDI_CREATEHWQUEUE_FLAG_* */
	__u32 priv_drv_data_size;
	__u32 reserved;
	__u64 priv_drv_data;
	struct d3dkmthandle queue;	/* out */
	struct d3dkmthandle queue_progress_fence;	/* out: a monitored fence */
	__u64 queue_progress_fence_cpu_va;	/* out */
	__u64 queue_progress_fence_gpu_va;	/* out */
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_createhwqueue, 48);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_createhwqueue, queue, 24);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_createhwqueue, queue_progress_fence_cpu_va, 32);

/* ---- 0x19 LX_DXDESTROYDEVICE ---- */

struct d3dkmt_destroydevice {
	struct d3dkmthandle device;
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_destroydevice, 4);

/* ---- 0x1a LX_DXDESTROYHWCONTEXT (slot empty in WSL) ---- */

struct d3dkmt_destroyhwcontext {
	struct d3dkmthandle context;
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_destroyhwcontext, 4);

/* ---- 0x1b LX_DXDESTROYHWQUEUE ---- */

struct d3dkmt_destroyhwqueue {
	struct d3dkmthandle queue;
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_destroyhwqueue, 4);

/* ---- 0x1c LX_DXDESTROYPAGINGQUEUE ---- */

struct d3dddi_destroypagingqueue {
	struct d3dkmthandle paging_queue;
};
D3DKMTHK_ASSERT_SIZE(struct d3dddi_destroypagingqueue, 4);

/* ---- 0x1d LX_DXDESTROYSYNCHRONIZATIONOBJECT ---- */

struct d3dkmt_destroysynchronizationobject {
	struct d3dkmthandle sync_object;
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_destroysynchronizationobject, 4);

/* ---- 0x1e LX_DXEVICT ---- */

#define D3DDDI_EVICT_FLAG_EVICT_ONLY_IF_NECESSARY	0x00000001u
#define D3DDDI_EVICT_FLAG_NOT_WRITTEN_TO		0x00000002u

struct d3dkmt_evict {
	struct d3dkmthandle device;
	__u32 alloc_count;
	__u64 allocations;		/* struct d3dkmthandle[alloc_count] */
	__u32 flags;			/* D3DDDI_EVICT_FLAG_* */
	__u32 reserved;
	__u64 num_bytes_to_trim;	/* out */
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_evict, 32);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_evict, num_bytes_to_trim, 24);

/* ---- 0x1f LX_DXFLUSHHEAPTRANSITIONS ---- */

struct d3dkmt_flushheaptransitions {
	struct d3dkmthandle adapter;
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_flushheaptransitions, 4);

/* ---- 0x20 LX_DXFREEGPUVIRTUALADDRESS ---- */

struct d3dkmt_freegpuvirtualaddress {
	struct d3dkmthandle adapter;
	__u32 reserved;
	__u64 base_address;
	__u64 size;
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_freegpuvirtualaddress, 24);

/* ---- 0x21, 0x22, 0x2f, 0x30: context scheduling priorities ---- */

/* 0x21 LX_DXGETCONTEXTINPROCESSSCHEDULINGPRIORITY */
struct d3dkmt_getcontextinprocessschedulingpriority {
	struct d3dkmthandle context;
	__s32 priority;			/* out */
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_getcontextinprocessschedulingpriority, 8);

/* 0x22 LX_DXGETCONTEXTSCHEDULINGPRIORITY */
struct d3dkmt_getcontextschedulingpriority {
	struct d3dkmthandle context;
	__s32 priority;			/* out */
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_getcontextschedulingpriority, 8);

/* 0x2f LX_DXSETCONTEXTINPROCESSSCHEDULINGPRIORITY */
struct d3dkmt_setcontextinprocessschedulingpriority {
	struct d3dkmthandle context;
	__s32 priority;
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_setcontextinprocessschedulingpriority, 8);

/* 0x30 LX_DXSETCONTEXTSCHEDULINGPRIORITY */
struct d3dkmt_setcontextschedulingpriority {
	struct d3dkmthandle context;
	__s32 priority;
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_setcontextschedulingpriority, 8);

/* ---- 0x23 LX_DXGETSHAREDRESOURCEADAPTERLUID (slot empty in WSL) ---- */

struct d3dkmt_getsharedresourceadapterluid {
	struct d3dkmthandle global_share;
	__u32 reserved;
	__u64 handle;
	struct winluid adapter_luid;	/* out */
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_getsharedresourceadapterluid, 24);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_getsharedresourceadapterluid, adapter_luid, 16);

/* ---- 0x24 LX_DXINVALIDATECACHE ---- */

struct d3dkmt_invalidatecache {
	struct d3dkmthandle device;
	struct d3dkmthandle allocation;
	__u64 offset;
	__u64 length;
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_invalidatecache, 24);

/* ---- 0x25 LX_DXLOCK2 ---- */

struct d3dkmt_lock2 {
	struct d3dkmthandle device;
	struct d3dkmthandle allocation;
	__u32 flags;			/* none defined */
	__u32 reserved;
	__u64 data;			/* out: CPU address of the allocation in the caller */
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_lock2, 24);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_lock2, data, 16);

/* ---- 0x26 LX_DXMARKDEVICEASERROR ---- */

#define D3DKMT_DEVICE_ERROR_REASON_GENERIC		0x80000000u
#define D3DKMT_DEVICE_ERROR_REASON_DRIVER_ERROR		0x80000006u

struct d3dkmt_markdeviceaserror {
	struct d3dkmthandle device;
	__u32 reason;			/* D3DKMT_DEVICE_ERROR_REASON_* */
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_markdeviceaserror, 8);

/* ---- 0x27 LX_DXOFFERALLOCATIONS ---- */

#define D3DKMT_OFFER_PRIORITY_LOW	1u
#define D3DKMT_OFFER_PRIORITY_NORMAL	2u
#define D3DKMT_OFFER_PRIORITY_HIGH	3u
#define D3DKMT_OFFER_PRIORITY_AUTO	4u

#define D3DKMT_OFFER_FLAG_OFFER_IMMEDIATELY	0x00000001u
#define D3DKMT_OFFER_FLAG_ALLOW_DECOMMIT	0x00000002u

struct d3dkmt_offerallocations {
	struct d3dkmthandle device;
	__u32 reserved;
	__u64 resources;		/* exactly one of resources and allocations */
	__u64 allocations;
	__u32 allocation_count;
	__u32 priority;			/* D3DKMT_OFFER_PRIORITY_* */
	__u32 flags;			/* D3DKMT_OFFER_FLAG_* */
	__u32 reserved1;
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_offerallocations, 40);

/* ---- Opening shared resources (0x28, 0x41, 0x42) ---- */

/* One allocation of an opened resource. */
struct d3dddi_openallocationinfo2 {
	struct d3dkmthandle allocation;	/* out */
	__u32 reserved0;
	__u64 priv_drv_data;
	__u32 priv_drv_data_size;
	__u32 reserved1;
	__u64 gpu_va;
	__u64 reserved[6];
};
D3DKMTHK_ASSERT_SIZE(struct d3dddi_openallocationinfo2, 80);
D3DKMTHK_ASSERT_OFFSET(struct d3dddi_openallocationinfo2, gpu_va, 24);

/* 0x28 LX_DXOPENRESOURCE (slot empty in WSL) */
struct d3dkmt_openresource {
	struct d3dkmthandle device;
	struct d3dkmthandle global_share;
	__u32 allocation_count;
	__u32 reserved0;
	__u64 open_alloc_info;		/* d3dddi_openallocationinfo2[allocation_count] */
	__u64 private_runtime_data;
	__s32 private_runtime_data_size;
	__u32 reserved1;
	__u64 resource_priv_drv_data;
	__u32 resource_priv_drv_data_size;
	__u32 reserved2;
	__u64 total_priv_drv_data;
	__u32 total_priv_drv_data_size;
	struct d3dkmthandle resource;	/* out */
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_openresource, 72);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_openresource, open_alloc_info, 16);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_openresource, resource, 68);

/* ---- 0x29 LX_DXOPENSYNCHRONIZATIONOBJECT (slot empty in WSL) ---- */

struct d3dkmt_opensynchronizationobject {
	struct d3dkmthandle shared_handle;
	struct d3dkmthandle sync_object;	/* out */
	__u64 reserved[8];
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_opensynchronizationobject, 72);

/* ---- 0x2a LX_DXQUERYALLOCATIONRESIDENCY ---- */

#define D3DKMT_ALLOCATIONRESIDENCYSTATUS_RESIDENTINGPUMEMORY	1u
#define D3DKMT_ALLOCATIONRESIDENCYSTATUS_RESIDENTINSHAREDMEMORY	2u
#define D3DKMT_ALLOCATIONRESIDENCYSTATUS_NOTRESIDENT		3u

struct d3dkmt_queryallocationresidency {
	struct d3dkmthandle device;
	struct d3dkmthandle resource;
	__u64 allocations;		/* struct d3dkmthandle[allocation_count] */
	__u32 allocation_count;
	__u32 reserved;
	__u64 residency_status;		/* out: __u32[allocation_count] */
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_queryallocationresidency, 32);

/* ---- 0x2b LX_DXQUERYRESOURCEINFO (slot empty in WSL) ---- */

struct d3dkmt_queryresourceinfo {
	struct d3dkmthandle device;
	struct d3dkmthandle global_share;
	__u64 private_runtime_data;
	__u32 private_runtime_data_size;
	__u32 total_priv_drv_data_size;	/* out */
	__u32 resource_priv_drv_data_size;	/* out */
	__u32 allocation_count;		/* out */
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_queryresourceinfo, 32);

/* ---- 0x2c LX_DXRECLAIMALLOCATIONS2 ---- */

#define D3DDDI_RECLAIM_RESULT_OK		0u
#define D3DDDI_RECLAIM_RESULT_DISCARDED		1u
#define D3DDDI_RECLAIM_RESULT_NOT_COMMITTED	2u

struct d3dkmt_reclaimallocations2 {
	struct d3dkmthandle paging_queue;
	__u32 allocation_count;
	__u64 resources;		/* exactly one of resources and allocations */
	__u64 allocations;
	union {
		__u64 discarded;	/* out: __u32[allocation_count] booleans */
		__u64 results;		/* out: __u32[], D3DDDI_RECLAIM_RESULT_* */
	};
	__u64 paging_fence_value;	/* out */
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_reclaimallocations2, 40);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_reclaimallocations2, paging_fence_value, 32);

/* ---- 0x2d LX_DXRENDER (slot empty in WSL) ---- */

#define D3DKMT_RENDER_FLAG_RESIZE_COMMAND_BUFFER	0x00000001u
#define D3DKMT_RENDER_FLAG_RESIZE_ALLOCATION_LIST	0x00000002u
#define D3DKMT_RENDER_FLAG_RESIZE_PATCH_LOCATION_LIST	0x00000004u
#define D3DKMT_RENDER_FLAG_NULL_RENDERING		0x00000008u
#define D3DKMT_RENDER_FLAG_PRESENT_REDIRECTED		0x00000010u
#define D3DKMT_RENDER_FLAG_RENDER_KM			0x00000020u
#define D3DKMT_RENDER_FLAG_RENDER_KM_READBACK		0x00000040u

struct d3dkmt_render {
	union {
		struct d3dkmthandle device;
		struct d3dkmthandle context;
	};
	__u32 command_offset;
	__u32 command_length;
	__u32 allocation_count;
	__u32 patch_location_count;
	__u32 reserved0;
	__u64 new_command_buffer;	/* out */
	__u32 new_command_buffer_size;
	__u32 reserved1;
	__u64 new_allocation_list;	/* out */
	__u32 new_allocation_list_size;
	__u32 reserved2;
	__u64 new_patch_location_list;	/* out */
	__u32 new_patch_location_list_size;
	__u32 flags;			/* D3DKMT_RENDER_FLAG_* */
	__u64 present_history_token;
	__u32 broadcast_context_count;
	struct d3dkmthandle broadcast_context[D3DDDI_MAX_BROADCAST_CONTEXT];
	__u32 queued_buffer_count;	/* out */
	__u64 obsolete;
	__u64 priv_drv_data;
	__u32 priv_drv_data_size;
	__u32 reserved3;
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_render, 368);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_render, new_command_buffer, 24);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_render, flags, 68);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_render, broadcast_context, 84);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_render, queued_buffer_count, 340);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_render, priv_drv_data, 352);

/* ---- 0x2e LX_DXSETALLOCATIONPRIORITY, 0x3c LX_DXGETALLOCATIONPRIORITY ---- */

/* 0x2e LX_DXSETALLOCATIONPRIORITY */
struct d3dkmt_setallocationpriority {
	struct d3dkmthandle device;
	struct d3dkmthandle resource;
	__u64 allocation_list;		/* struct d3dkmthandle[allocation_count] */
	__u32 allocation_count;
	__u32 reserved;
	__u64 priorities;		/* __u32[allocation_count], or one for the resource */
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_setallocationpriority, 32);

/* 0x3c LX_DXGETALLOCATIONPRIORITY */
struct d3dkmt_getallocationpriority {
	struct d3dkmthandle device;
	struct d3dkmthandle resource;
	__u64 allocation_list;
	__u32 allocation_count;
	__u32 reserved;
	__u64 priorities;		/* out */
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_getallocationpriority, 32);

/* ---- 0x31 LX_DXSIGNALSYNCHRONIZATIONOBJECTFROMCPU ---- */

struct d3dkmt_signalsynchronizationobjectfromcpu {
	struct d3dkmthandle device;
	__u32 object_count;
	__u64 objects;			/* struct d3dkmthandle[object_count] */
	__u64 fence_values;		/* __u64[object_count] */
	__u32 flags;			/* D3DDDICB_SIGNAL_FLAG_* */
	__u32 reserved;
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_signalsynchronizationobjectfromcpu, 32);

/* ---- 0x32 LX_DXSIGNALSYNCHRONIZATIONOBJECTFROMGPU ---- */

struct d3dkmt_signalsynchronizationobjectfromgpu {
	struct d3dkmthandle context;
	__u32 object_count;
	__u64 objects;			/* struct d3dkmthandle[object_count] */
	union {
		__u64 monitored_fence_values;	/* __u64[object_count] */
		__u64 reserved[8];
	};
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_signalsynchronizationobjectfromgpu, 80);

/* ---- 0x33 LX_DXSIGNALSYNCHRONIZATIONOBJECTFROMGPU2 ---- */

struct d3dkmt_signalsynchronizationobjectfromgpu2 {
	__u32 object_count;
	__u32 reserved1;
	__u64 objects;			/* struct d3dkmthandle[object_count] */
	__u32 flags;			/* D3DDDICB_SIGNAL_FLAG_* */
	__u32 context_count;
	__u64 contexts;			/* struct d3dkmthandle[context_count] */
	union {
		__u64 fence_value;
		__u64 cpu_event_handle;	/* eventfd, with ..._SIGNAL_FLAG_ENQUEUE_CPU_EVENT */
		__u64 monitored_fence_values;	/* __u64[object_count] */
		__u64 reserved[8];
	};
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_signalsynchronizationobjectfromgpu2, 96);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_signalsynchronizationobjectfromgpu2, contexts, 24);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_signalsynchronizationobjectfromgpu2, fence_value, 32);

/* ---- 0x34 LX_DXSUBMITCOMMANDTOHWQUEUE ---- */

struct d3dkmt_submitcommandtohwqueue {
	struct d3dkmthandle hwqueue;
	__u32 reserved;
	__u64 hwqueue_progress_fence_id;
	__u64 command_buffer;		/* GPU VA of the commands */
	__u32 command_length;
	__u32 priv_drv_data_size;
	__u64 priv_drv_data;
	__u32 num_primaries;
	__u32 reserved1;
	__u64 written_primaries;	/* struct d3dkmthandle[num_primaries] */
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_submitcommandtohwqueue, 56);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_submitcommandtohwqueue, priv_drv_data, 32);

/* ---- 0x35 LX_DXSUBMITSIGNALSYNCOBJECTSTOHWQUEUE ---- */

struct d3dkmt_submitsignalsyncobjectstohwqueue {
	__u32 flags;			/* D3DDDICB_SIGNAL_FLAG_* */
	__u32 hwqueue_count;		/* 1..D3DDDI_MAX_BROADCAST_CONTEXT */
	__u64 hwqueues;			/* struct d3dkmthandle[hwqueue_count] */
	__u32 object_count;
	__u32 reserved;
	__u64 objects;			/* struct d3dkmthandle[object_count] */
	__u64 fence_values;		/* __u64[object_count] */
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_submitsignalsyncobjectstohwqueue, 40);

/* ---- 0x36 LX_DXSUBMITWAITFORSYNCOBJECTSTOHWQUEUE ---- */

struct d3dkmt_submitwaitforsyncobjectstohwqueue {
	struct d3dkmthandle hwqueue;
	__u32 object_count;
	__u64 objects;			/* struct d3dkmthandle[object_count] */
	__u64 fence_values;		/* __u64[object_count] */
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_submitwaitforsyncobjectstohwqueue, 24);

/* ---- 0x37 LX_DXUNLOCK2 ---- */

struct d3dkmt_unlock2 {
	struct d3dkmthandle device;
	struct d3dkmthandle allocation;
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_unlock2, 8);

/* ---- 0x38 LX_DXUPDATEALLOCPROPERTY ---- */

/* d3dddi_updateallocproperty.preferred_segment: five (segment id, direction) pairs */
#define D3DDDI_SEGMENTPREFERENCE_SEGMENT_ID_BITS	5
#define D3DDDI_SEGMENTPREFERENCE_SEGMENT_ID_MASK	0x1fu
#define D3DDDI_SEGMENTPREFERENCE_SEGMENT_ID_SHIFT(i)	((i) * 6)
#define D3DDDI_SEGMENTPREFERENCE_DIRECTION(i)		(1u << ((i) * 6 + 5))

#define D3DDDI_UPDATEALLOCPROPERTY_FLAG_ACCESSED_PHYSICALLY	0x00000001u

/* d3dddi_updateallocproperty.property_mask: which properties to change */
#define D3DDDI_UPDATEALLOCPROPERTY_SET_ACCESSED_PHYSICALLY	0x00000001u
#define D3DDDI_UPDATEALLOCPROPERTY_SET_SUPPORTED_SEGMENT_SET	0x00000002u
#define D3DDDI_UPDATEALLOCPROPERTY_SET_PREFERRED_SEGMENT	0x00000004u

struct d3dddi_updateallocproperty {
	struct d3dkmthandle paging_queue;
	struct d3dkmthandle allocation;
	__u32 supported_segment_set;
	__u32 preferred_segment;	/* D3DDDI_SEGMENTPREFERENCE_* */
	__u32 flags;			/* D3DDDI_UPDATEALLOCPROPERTY_FLAG_* */
	__u32 reserved0;
	__u64 paging_fence_value;	/* out */
	__u32 property_mask;		/* D3DDDI_UPDATEALLOCPROPERTY_SET_* */
	__u32 reserved1;
};
D3DKMTHK_ASSERT_SIZE(struct d3dddi_updateallocproperty, 40);
D3DKMTHK_ASSERT_OFFSET(struct d3dddi_updateallocproperty, paging_fence_value, 24);
D3DKMTHK_ASSERT_OFFSET(struct d3dddi_updateallocproperty, property_mask, 32);

/* ---- 0x39 LX_DXUPDATEGPUVIRTUALADDRESS ---- */

/* d3dddi_updategpuvirtualaddress_operation.operation */
#define D3DDDI_UPDATEGPUVIRTUALADDRESS_MAP		0u
#define D3DDDI_UPDATEGPUVIRTUALADDRESS_UNMAP		1u
#define D3DDDI_UPDATEGPUVIRTUALADDRESS_COPY		2u
#define D3DDDI_UPDATEGPUVIRTUALADDRESS_MAP_PROTECT	3u

#define D3DKMT_UPDATEGPUVIRTUALADDRESS_FLAG_DO_NOT_WAIT	0x00000001u

struct d3dddi_updategpuvirtualaddress_map {
	__u64 base_address;
	__u64 size;
	struct d3dkmthandle allocation;
	__u32 reserved;
	__u64 allocation_offset;
	__u64 allocation_size;
};
D3DKMTHK_ASSERT_SIZE(struct d3dddi_updategpuvirtualaddress_map, 40);

struct d3dddi_updategpuvirtualaddress_map_protect {
	__u64 base_address;
	__u64 size;
	struct d3dkmthandle allocation;
	__u32 reserved;
	__u64 allocation_offset;
	__u64 allocation_size;
	__u64 protection;		/* D3DDDIGPUVA_PROTECTION_* */
	__u64 driver_protection;
};
D3DKMTHK_ASSERT_SIZE(struct d3dddi_updategpuvirtualaddress_map_protect, 56);

struct d3dddi_updategpuvirtualaddress_unmap {
	__u64 base_address;
	__u64 size;
	__u64 protection;		/* D3DDDIGPUVA_PROTECTION_* */
};
D3DKMTHK_ASSERT_SIZE(struct d3dddi_updategpuvirtualaddress_unmap, 24);

struct d3dddi_updategpuvirtualaddress_copy {
	__u64 source_address;
	__u64 size;
	__u64 dest_address;
};
D3DKMTHK_ASSERT_SIZE(struct d3dddi_updategpuvirtualaddress_copy, 24);

/* One operation of an UPDATEGPUVIRTUALADDRESS request; the union member follows `operation`. */
struct d3dddi_updategpuvirtualaddress_operation {
	__u32 operation;		/* D3DDDI_UPDATEGPUVIRTUALADDRESS_* */
	__u32 reserved;
	union {
		struct d3dddi_updategpuvirtualaddress_map map;
		struct d3dddi_updategpuvirtualaddress_map_protect map_protect;
		struct d3dddi_updategpuvirtualaddress_unmap unmap;
		struct d3dddi_updategpuvirtualaddress_copy copy;
	};
};
D3DKMTHK_ASSERT_SIZE(struct d3dddi_updategpuvirtualaddress_operation, 64);
D3DKMTHK_ASSERT_OFFSET(struct d3dddi_updategpuvirtualaddress_operation, map, 8);

struct d3dkmt_updategpuvirtualaddress {
	struct d3dkmthandle device;
	struct d3dkmthandle context;
	struct d3dkmthandle fence_object;
	__u32 num_operations;		/* 1..D3DKMT_UPDATEGPUVA_MAX_OPERATIONS */
	__u64 operations;		/* struct d3dddi_updategpuvirtualaddress_operation[] */
	__u32 reserved0;
	__u32 reserved1;
	__u64 reserved2;
	__u64 fence_value;
	__u32 flags;			/* D3DKMT_UPDATEGPUVIRTUALADDRESS_FLAG_* */
	__u32 reserved3;
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_updategpuvirtualaddress, 56);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_updategpuvirtualaddress, operations, 16);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_updategpuvirtualaddress, fence_value, 40);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_updategpuvirtualaddress, flags, 48);

/* ---- 0x3a LX_DXWAITFORSYNCHRONIZATIONOBJECTFROMCPU ---- */

#define D3DDDI_WAITFORSYNCOBJECTFROMCPU_FLAG_WAIT_ANY	0x00000001u

/*
 * async_event == 0 blocks (interruptibly, without a timeout) until the objects reach their values;
 * an eventfd makes the call return at once and the eventfd is signalled when they do.
 */
struct d3dkmt_waitforsynchronizationobjectfromcpu {
	struct d3dkmthandle device;
	__u32 object_count;
	__u64 objects;			/* struct d3dkmthandle[object_count] */
	__u64 fence_values;		/* __u64[object_count] */
	__u64 async_event;		/* eventfd, or 0 */
	__u32 flags;			/* D3DDDI_WAITFORSYNCOBJECTFROMCPU_FLAG_* */
	__u32 reserved;
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_waitforsynchronizationobjectfromcpu, 40);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_waitforsynchronizationobjectfromcpu, async_event, 24);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_waitforsynchronizationobjectfromcpu, flags, 32);

/* ---- 0x3b LX_DXWAITFORSYNCHRONIZATIONOBJECTFROMGPU ---- */

struct d3dkmt_waitforsynchronizationobjectfromgpu {
	struct d3dkmthandle context;
	__u32 object_count;
	__u64 objects;			/* struct d3dkmthandle[object_count] */
	union {
		__u64 monitored_fence_values;	/* __u64[object_count] */
		__u64 fence_value;
		__u64 reserved[8];
	};
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_waitforsynchronizationobjectfromgpu, 80);

/* ---- 0x3d LX_DXQUERYCLOCKCALIBRATION ---- */

#define DXGK_GPUCLOCKDATA_FLAG_CONTEXT_MANAGEMENT_PROCESSOR	0x00000001u

/*
 * The only byte-packed layout of the ABI (Windows declares it under pack(1)): the 64-bit counters
 * sit at offsets 12, 20 and 28. Read them through the struct, never through a pointer to a member.
 */
struct dxgk_gpuclockdata {
	__u64 gpu_frequency;
	__u64 gpu_clock_counter;
	__u64 cpu_clock_counter;
	__u32 flags;			/* DXGK_GPUCLOCKDATA_FLAG_* */
} __attribute__((packed));
D3DKMTHK_ASSERT_SIZE(struct dxgk_gpuclockdata, 28);

struct d3dkmt_queryclockcalibration {
	struct d3dkmthandle adapter;
	__u32 node_ordinal;
	__u32 physical_adapter_index;
	struct dxgk_gpuclockdata clock_data;	/* out */
} __attribute__((packed));
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_queryclockcalibration, 40);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_queryclockcalibration, clock_data, 12);

/* ---- 0x3e LX_DXENUMADAPTERS3 ---- */

#define D3DKMT_ENUMADAPTERS_FILTER_COMPUTE_ONLY		0x0000000000000001ull
#define D3DKMT_ENUMADAPTERS_FILTER_DISPLAY_ONLY		0x0000000000000002ull

/* Like ENUMADAPTERS2 with a count limit of D3DKMT_ENUMADAPTERS3_MAX. WSL ignores the filter. */
struct d3dkmt_enumadapters3 {
	__u64 filter;			/* D3DKMT_ENUMADAPTERS_FILTER_* */
	__u32 adapter_count;		/* in/out */
	__u32 reserved;
	__u64 adapters;			/* struct d3dkmt_adapterinfo[adapter_count] */
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_enumadapters3, 24);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_enumadapters3, adapter_count, 8);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_enumadapters3, adapters, 16);

/* ---- 0x3f LX_DXSHAREOBJECTS ---- */

/*
 * Turns one shared object (created with NT security sharing) into a file descriptor, written as a
 * __u64 to *shared_handle. That descriptor is the "NT handle" of 0x40..0x42.
 */
struct d3dkmt_shareobjects {
	__u32 object_count;		/* D3DKMT_SHAREOBJECTS_MAX */
	__u32 reserved;
	__u64 objects;			/* struct d3dkmthandle[object_count] */
	__u64 object_attr;		/* Windows security attributes, unused */
	__u32 desired_access;
	__u32 reserved1;
	__u64 shared_handle;		/* __u64 out: the new descriptor */
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_shareobjects, 40);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_shareobjects, shared_handle, 32);

/* ---- 0x40 LX_DXOPENSYNCOBJECTFROMNTHANDLE2 ---- */

struct d3dkmt_opensyncobject_monitored_fence {
	__u64 fence_value_cpu_va;	/* out */
	__u64 fence_value_gpu_va;	/* out */
	__u32 engine_affinity;
	__u32 reserved;
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_opensyncobject_monitored_fence, 24);

struct d3dkmt_opensyncobjectfromnthandle2 {
	__u64 nt_handle;		/* descriptor from SHAREOBJECTS */
	struct d3dkmthandle device;
	__u32 flags;			/* D3DDDI_SYNCOBJ_FLAG_* */
	struct d3dkmthandle sync_object;	/* out */
	__u32 reserved1;
	union {
		struct d3dkmt_opensyncobject_monitored_fence monitored_fence;
		__u64 reserved[8];
	};
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_opensyncobjectfromnthandle2, 88);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_opensyncobjectfromnthandle2, sync_object, 16);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_opensyncobjectfromnthandle2, monitored_fence, 24);

/* ---- 0x41 LX_DXQUERYRESOURCEINFOFROMNTHANDLE ---- */

struct d3dkmt_queryresourceinfofromnthandle {
	struct d3dkmthandle device;
	__u32 reserved;
	__u64 nt_handle;
	__u64 private_runtime_data;
	__u32 private_runtime_data_size;	/* in/out */
	__u32 total_priv_drv_data_size;	/* out */
	__u32 resource_priv_drv_data_size;	/* out */
	__u32 allocation_count;		/* out */
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_queryresourceinfofromnthandle, 40);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_queryresourceinfofromnthandle, allocation_count, 36);

/* ---- 0x42 LX_DXOPENRESOURCEFROMNTHANDLE ---- */

struct d3dkmt_openresourcefromnthandle {
	struct d3dkmthandle device;
	__u32 reserved;
	__u64 nt_handle;
	__u32 allocation_count;
	__u32 reserved1;
	__u64 open_alloc_info;		/* d3dddi_openallocationinfo2[allocation_count] */
	__s32 private_runtime_data_size;
	__u32 reserved2;
	__u64 private_runtime_data;
	__u32 resource_priv_drv_data_size;
	__u32 reserved3;
	__u64 resource_priv_drv_data;
	__u32 total_priv_drv_data_size;
	__u32 reserved4;
	__u64 total_priv_drv_data;
	struct d3dkmthandle resource;	/* out */
	struct d3dkmthandle keyed_mutex;	/* out */
	__u64 keyed_mutex_private_data;
	__u32 keyed_mutex_private_data_size;
	struct d3dkmthandle sync_object;	/* out */
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_openresourcefromnthandle, 104);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_openresourcefromnthandle, open_alloc_info, 24);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_openresourcefromnthandle, total_priv_drv_data, 72);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_openresourcefromnthandle, resource, 80);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_openresourcefromnthandle, sync_object, 100);

/* ---- 0x43 LX_DXQUERYSTATISTICS ---- */

#define D3DKMT_QUERYSTATISTICS_ADAPTER			0u
#define D3DKMT_QUERYSTATISTICS_PROCESS			1u
#define D3DKMT_QUERYSTATISTICS_PROCESS_ADAPTER		2u
#define D3DKMT_QUERYSTATISTICS_SEGMENT			3u
#define D3DKMT_QUERYSTATISTICS_PROCESS_SEGMENT		4u
#define D3DKMT_QUERYSTATISTICS_NODE			5u
#define D3DKMT_QUERYSTATISTICS_PROCESS_NODE		6u
#define D3DKMT_QUERYSTATISTICS_VIDPNSOURCE		7u
#define D3DKMT_QUERYSTATISTICS_PROCESS_VIDPNSOURCE	8u
#define D3DKMT_QUERYSTATISTICS_PROCESS_SEGMENT_GROUP	9u
#define D3DKMT_QUERYSTATISTICS_PHYSICAL_ADAPTER		10u

#define D3DKMT_QUERYSTATISTICS_RESULT_SIZE		0x308

/*
 * The members of the Windows D3DKMT_QUERYSTATISTICS_RESULT union, one struct per query type,
 * x86_64 layout with every hole a named pad member. Windows LARGE_INTEGER and ULONGLONG are
 * __s64/__u64, BOOL and UINT are __u32; bitfield words are plain integers with the masks below.
 */

/* Sizes of the Windows arrays in the results. */
#define D3DKMT_QUERYSTATISTICS_SEGMENT_PREFERENCE_MAX	5
#define D3DKMT_QUERYSTATISTICS_QUEUE_PACKET_TYPES	8	/* D3DKMT_QueuePacketTypeMax */
#define D3DKMT_QUERYSTATISTICS_DMA_PACKET_TYPES		4	/* D3DKMT_DmaPacketTypeMax */
#define D3DKMT_QUERYSTATISTICS_PREEMPTION_COUNTERS	16

/* D3DKMT_QUERYSTATISTICS_QUEUE_PACKET_TYPE: index of packet_information.queue_packet[] */
#define D3DKMT_QUEUE_PACKET_RENDER_COMMAND_BUFFER	0u
#define D3DKMT_QUEUE_PACKET_DEFERRED_COMMAND_BUFFER	1u
#define D3DKMT_QUEUE_PACKET_SYSTEM_COMMAND_BUFFER	2u
#define D3DKMT_QUEUE_PACKET_MMIO_FLIP_COMMAND_BUFFER	3u
#define D3DKMT_QUEUE_PACKET_WAIT_COMMAND_BUFFER		4u
#define D3DKMT_QUEUE_PACKET_SIGNAL_COMMAND_BUFFER	5u
#define D3DKMT_QUEUE_PACKET_DEVICE_COMMAND_BUFFER	6u
#define D3DKMT_QUEUE_PACKET_SOFTWARE_COMMAND_BUFFER	7u

/* D3DKMT_QUERYSTATISTICS_DMA_PACKET_TYPE: index of packet_information.dma_packet[] */
#define D3DKMT_DMA_PACKET_CLIENT_RENDER_BUFFER		0u
#define D3DKMT_DMA_PACKET_CLIENT_PAGING_BUFFER		1u
#define D3DKMT_DMA_PACKET_SYSTEM_PAGING_BUFFER		2u
#define D3DKMT_DMA_PACKET_SYSTEM_PREEMPTION_BUFFER	3u

/* D3DKMT_QUERYSTATISTICS_SEGMENT_TYPE: segment_properties bits 2..5 */
#define D3DKMT_QUERYSTATISTICS_SEGMENT_TYPE_APERTURE	0u
#define D3DKMT_QUERYSTATISTICS_SEGMENT_TYPE_MEMORY	1u
#define D3DKMT_QUERYSTATISTICS_SEGMENT_TYPE_SYSMEM	2u

struct d3dkmt_querystatistics_counter {
	__u32 count;
	__u32 pad;
	__u64 bytes;
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_querystatistics_counter, 16);

struct d3dkmt_querystatistics_reference_dma_buffer {
	__u32 nb_call;
	__u32 nb_allocations_referenced;
	__u32 max_nb_allocations_referenced;
	__u32 nb_null_reference;
	__u32 nb_write_reference;
	__u32 nb_renamed_allocations_referenced;
	__u32 nb_iteration_searching_renamed_allocation;
	__u32 nb_locked_allocation_referenced;
	__u32 nb_allocation_with_valid_prepatching_info_referenced;
	__u32 nb_allocation_with_invalid_prepatching_info_referenced;
	__u32 nb_dma_buffer_successfully_prepatched;
	__u32 nb_primaries_references_overflow;
	__u32 nb_allocation_with_non_preferred_resources;
	__u32 nb_allocation_inserted_in_migration_table;
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_querystatistics_reference_dma_buffer, 0x38);

struct d3dkmt_querystatistics_renaming {
	__u32 nb_allocations_renamed;
	__u32 nb_allocations_shrinked;
	__u32 nb_renamed_buffer;
	__u32 max_renaming_list_length;
	__u32 nb_failures_due_to_renaming_limit;
	__u32 nb_failures_due_to_create_allocation;
	__u32 nb_failures_due_to_open_allocation;
	__u32 nb_failures_due_to_low_resource;
	__u32 nb_failures_due_to_non_retired_limit;
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_querystatistics_renaming, 0x24);

struct d3dkmt_querystatistics_preparation {
	__u32 broadcast_stall;
	__u32 nb_dma_prepared;
	__u32 nb_dma_prepared_long_path;
	__u32 immediate_highest_preparation_pass;
	struct d3dkmt_querystatistics_counter allocations_trimmed;
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_querystatistics_preparation, 0x20);

struct d3dkmt_querystatistics_paging_fault {
	struct d3dkmt_querystatistics_counter faults;
	struct d3dkmt_querystatistics_counter faults_first_time_access;
	struct d3dkmt_querystatistics_counter faults_reclaimed;
	struct d3dkmt_querystatistics_counter faults_migration;
	struct d3dkmt_querystatistics_counter faults_incorrect_resource;
	struct d3dkmt_querystatistics_counter faults_lost_content;
	struct d3dkmt_querystatistics_counter faults_evicted;
	struct d3dkmt_querystatistics_counter allocations_mem_reset;
	struct d3dkmt_querystatistics_counter allocations_unreset_success;
	struct d3dkmt_querystatistics_counter allocations_unreset_fail;
	__u32 allocations_unreset_success_read;
	__u32 allocations_unreset_fail_read;
	struct d3dkmt_querystatistics_counter evictions;
	struct d3dkmt_querystatistics_counter evictions_due_to_preparation;
	struct d3dkmt_querystatistics_counter evictions_due_to_lock;
	struct d3dkmt_querystatistics_counter evictions_due_to_close;
	struct d3dkmt_querystatistics_counter evictions_due_to_purge;
	struct d3dkmt_querystatistics_counter evictions_due_to_suspend_cpu_access;
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_querystatistics_paging_fault, 0x108);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_querystatistics_paging_fault, evictions, 0xa8);

struct d3dkmt_querystatistics_paging_transfer {
	__u64 bytes_filled;
	__u64 bytes_discarded;
	__u64 bytes_mapped_into_aperture;
	__u64 bytes_unmapped_from_aperture;
	__u64 bytes_transferred_from_mdl_to_memory;
	__u64 bytes_transferred_from_memory_to_mdl;
	__u64 bytes_transferred_from_aperture_to_memory;
	__u64 bytes_transferred_from_memory_to_aperture;
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_querystatistics_paging_transfer, 0x40);

struct d3dkmt_querystatistics_swizzling_range {
	__u32 nb_ranges_acquired;
	__u32 nb_ranges_released;
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_querystatistics_swizzling_range, 8);

struct d3dkmt_querystatistics_locks {
	__u32 nb_locks;
	__u32 nb_locks_wait_flag;
	__u32 nb_locks_discard_flag;
	__u32 nb_locks_no_overwrite;
	__u32 nb_locks_no_read_sync;
	__u32 nb_locks_linearization;
	__u32 nb_complex_locks;
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_querystatistics_locks, 0x1c);

struct d3dkmt_querystatistics_allocations {
	struct d3dkmt_querystatistics_counter created;
	struct d3dkmt_querystatistics_counter destroyed;
	struct d3dkmt_querystatistics_counter opened;
	struct d3dkmt_querystatistics_counter closed;
	struct d3dkmt_querystatistics_counter migrated_success;
	struct d3dkmt_querystatistics_counter migrated_fail;
	struct d3dkmt_querystatistics_counter migrated_abandoned;
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_querystatistics_allocations, 0x70);

struct d3dkmt_querystatistics_terminations {
	struct d3dkmt_querystatistics_counter terminated_shared;
	struct d3dkmt_querystatistics_counter terminated_non_shared;
	struct d3dkmt_querystatistics_counter destroyed_shared;
	struct d3dkmt_querystatistics_counter destroyed_non_shared;
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_querystatistics_terminations, 0x40);

/* d3dkmt_querystatistics_adapter_information.flags */
#define D3DKMT_QUERYSTATISTICS_ADAPTER_MEMORY_GROUPS_MASK	0x3ull	/* NumberOfMemoryGroups */
#define D3DKMT_QUERYSTATISTICS_ADAPTER_SUPPORTS_DEMOTION	0x4ull

/* D3DKMT_QUERYSTATISTICS_ADAPTER */
struct d3dkmt_querystatistics_adapter_information {
	__u32 nb_segments;
	__u32 node_count;
	__u32 vidpn_source_count;
	__u32 vsync_enabled;
	__u32 tdr_detected_count;
	__u32 pad0;
	__s64 zero_length_dma_buffers;
	__u64 restarted_period;
	struct d3dkmt_querystatistics_reference_dma_buffer reference_dma_buffer;
	struct d3dkmt_querystatistics_renaming renaming;
	__u32 pad1;
	struct d3dkmt_querystatistics_preparation preparation;
	struct d3dkmt_querystatistics_paging_fault paging_fault;
	struct d3dkmt_querystatistics_paging_transfer paging_transfer;
	struct d3dkmt_querystatistics_swizzling_range swizzling_range;
	struct d3dkmt_querystatistics_locks locks;
	__u32 pad2;
	struct d3dkmt_querystatistics_allocations allocations;
	struct d3dkmt_querystatistics_terminations terminations;
	__u64 flags;			/* D3DKMT_QUERYSTATISTICS_ADAPTER_* */
	__u64 reserved[7];
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_querystatistics_adapter_information, 0x308);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_querystatistics_adapter_information, zero_length_dma_buffers,
		       0x18);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_querystatistics_adapter_information, reference_dma_buffer,
		       0x28);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_querystatistics_adapter_information, renaming, 0x60);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_querystatistics_adapter_information, preparation, 0x88);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_querystatistics_adapter_information, paging_fault, 0xa8);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_querystatistics_adapter_information, paging_transfer,
		       0x1b0);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_querystatistics_adapter_information, swizzling_range,
		       0x1f0);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_querystatistics_adapter_information, locks, 0x1f8);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_querystatistics_adapter_information, allocations, 0x218);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_querystatistics_adapter_information, terminations, 0x288);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_querystatistics_adapter_information, flags, 0x2c8);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_querystatistics_adapter_information, reserved, 0x2d0);

struct d3dkmt_querystatistics_system_memory {
	__u64 bytes_allocated;
	__u64 bytes_reserved;
	__u32 small_allocation_blocks;
	__u32 large_allocation_blocks;
	__u64 write_combined_bytes_allocated;
	__u64 write_combined_bytes_reserved;
	__u64 cached_bytes_allocated;
	__u64 cached_bytes_reserved;
	__u64 section_bytes_allocated;
	__u64 section_bytes_reserved;
	__u64 bytes_zeroed;
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_querystatistics_system_memory, 0x50);

/* D3DKMT_QUERYSTATISTICS_PROCESS */
struct d3dkmt_querystatistics_process_information {
	__u32 node_count;
	__u32 vidpn_source_count;
	struct d3dkmt_querystatistics_system_memory system_memory;
	__u64 reserved[7];
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_querystatistics_process_information, 0x90);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_querystatistics_process_information, system_memory, 8);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_querystatistics_process_information, reserved, 0x58);

struct d3dkmt_querystatistics_queue_packet_type_information {
	__u32 packet_submitted;
	__u32 packet_completed;
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_querystatistics_queue_packet_type_information, 8);

struct d3dkmt_querystatistics_dma_packet_type_information {
	__u32 packet_submitted;
	__u32 packet_completed;
	__u32 packet_preempted;
	__u32 packet_faulted;
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_querystatistics_dma_packet_type_information, 16);

struct d3dkmt_querystatistics_packet_information {
	struct d3dkmt_querystatistics_queue_packet_type_information
		queue_packet[D3DKMT_QUERYSTATISTICS_QUEUE_PACKET_TYPES];
	struct d3dkmt_querystatistics_dma_packet_type_information
		dma_packet[D3DKMT_QUERYSTATISTICS_DMA_PACKET_TYPES];
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_querystatistics_packet_information, 0x80);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_querystatistics_packet_information, dma_packet, 0x40);

struct d3dkmt_querystatistics_preemption_information {
	__u32 preemption_counter[D3DKMT_QUERYSTATISTICS_PREEMPTION_COUNTERS];
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_querystatistics_preemption_information, 0x40);

/* D3DKMT_QUERYSTATISTICS_PROCESS_NODE; also the two halves of the node information. */
struct d3dkmt_querystatistics_process_node_information {
	__s64 running_time;		/* 100 ns units */
	__u32 context_switch;
	struct d3dkmt_querystatistics_preemption_information preemption_statistics;
	struct d3dkmt_querystatistics_packet_information packet_statistics;
	__u32 pad;
	__u64 reserved[8];
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_querystatistics_process_node_information, 0x110);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_querystatistics_process_node_information, context_switch, 8);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_querystatistics_process_node_information,
		       preemption_statistics, 0xc);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_querystatistics_process_node_information,
		       packet_statistics, 0x4c);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_querystatistics_process_node_information, reserved, 0xd0);

struct d3dkmt_querystatistics_node_perf_data {
	__u32 node_ordinal;
	__u32 physical_adapter_index;
	__u64 frequency;
	__u64 max_frequency;
	__u64 max_frequency_oc;
	__u32 voltage;
	__u32 voltage_max;
	__u32 voltage_max_oc;
	__u32 pad;
	__u64 max_transition_latency;
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_querystatistics_node_perf_data, 0x38);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_querystatistics_node_perf_data, max_transition_latency, 0x30);

/* D3DKMT_QUERYSTATISTICS_NODE */
struct d3dkmt_querystatistics_node_information {
	struct d3dkmt_querystatistics_process_node_information global_information;
	struct d3dkmt_querystatistics_process_node_information system_information;
	struct d3dkmt_querystatistics_node_perf_data node_perf_data;
	__u32 reserved[3];
	__u32 pad;
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_querystatistics_node_information, 0x268);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_querystatistics_node_information, system_information, 0x110);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_querystatistics_node_information, node_perf_data, 0x220);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_querystatistics_node_information, reserved, 0x258);

struct d3dkmt_querystatistics_memory {
	__u64 total_bytes_evicted;
	__u32 allocs_committed;
	__u32 allocs_resident;
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_querystatistics_memory, 16);

/* d3dkmt_querystatistics_segment_information.power_flags */
#define D3DKMT_QUERYSTATISTICS_SEGMENT_PRESERVED_DURING_STANDBY		0x1ull
#define D3DKMT_QUERYSTATISTICS_SEGMENT_PRESERVED_DURING_HIBERNATE	0x2ull
#define D3DKMT_QUERYSTATISTICS_SEGMENT_PARTIALLY_PRESERVED_DURING_HIBERNATE 0x4ull

/* d3dkmt_querystatistics_segment_information.segment_properties */
#define D3DKMT_QUERYSTATISTICS_SEGMENT_SYSTEM_MEMORY		0x1ull
#define D3DKMT_QUERYSTATISTICS_SEGMENT_POPULATED_BY_FIRMWARE	0x2ull
#define D3DKMT_QUERYSTATISTICS_SEGMENT_TYPE_SHIFT		2
#define D3DKMT_QUERYSTATISTICS_SEGMENT_TYPE_MASK		0x3cull
#define D3DKMT_QUERYSTATISTICS_SEGMENT_GROUP_SHIFT		6
#define D3DKMT_QUERYSTATISTICS_SEGMENT_GROUP_MASK		0xc0ull
#define D3DKMT_QUERYSTATISTICS_SEGMENT_FULLY_CPU_VISIBLE	0x100ull

/* D3DKMT_QUERYSTATISTICS_SEGMENT: query.segment_id counts from 0 (0 .. nb_segments - 1). */
struct d3dkmt_querystatistics_segment_information {
	__u64 commit_limit;
	__u64 bytes_committed;
	__u64 bytes_resident;
	struct d3dkmt_querystatistics_memory memory;
	__u32 aperture;			/* BOOL */
	__u32 pad;
	__u64 total_bytes_evicted_by_priority[D3DKMT_QUERYSTATISTICS_SEGMENT_PREFERENCE_MAX];
	__u64 system_memory_end_address;
	__u64 power_flags;		/* D3DKMT_QUERYSTATISTICS_SEGMENT_PRESERVED_* */
	__u64 segment_properties;	/* D3DKMT_QUERYSTATISTICS_SEGMENT_* */
	__u64 reserved[5];
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_querystatistics_segment_information, 0x98);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_querystatistics_segment_information, memory, 0x18);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_querystatistics_segment_information, aperture, 0x28);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_querystatistics_segment_information,
		       total_bytes_evicted_by_priority, 0x30);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_querystatistics_segment_information,
		       system_memory_end_address, 0x58);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_querystatistics_segment_information, power_flags, 0x60);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_querystatistics_segment_information, segment_properties,
		       0x68);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_querystatistics_segment_information, reserved, 0x70);

struct d3dkmt_querystatistics_video_memory {
	__u32 allocs_committed;
	__u32 pad;
	struct d3dkmt_querystatistics_counter
		allocs_resident_in_p[D3DKMT_QUERYSTATISTICS_SEGMENT_PREFERENCE_MAX];
	struct d3dkmt_querystatistics_counter allocs_resident_in_non_preferred;
	__u64 total_bytes_evicted_due_to_preparation;
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_querystatistics_video_memory, 0x70);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_querystatistics_video_memory, allocs_resident_in_p, 8);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_querystatistics_video_memory,
		       allocs_resident_in_non_preferred, 0x58);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_querystatistics_video_memory,
		       total_bytes_evicted_due_to_preparation, 0x68);

/* D3DKMT_QUERYSTATISTICS_PROCESS_SEGMENT */
struct d3dkmt_querystatistics_process_segment_information {
	__u64 bytes_committed;
	__u64 maximum_working_set;
	__u64 minimum_working_set;
	__u32 nb_referenced_allocation_evicted_in_period;
	__u32 pad;
	struct d3dkmt_querystatistics_video_memory video_memory;
	__u64 policy;			/* bit 0: UseMRU */
	__u64 reserved[8];
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_querystatistics_process_segment_information, 0xd8);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_querystatistics_process_segment_information,
		       nb_referenced_allocation_evicted_in_period, 0x18);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_querystatistics_process_segment_information, video_memory,
		       0x20);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_querystatistics_process_segment_information, policy, 0x90);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_querystatistics_process_segment_information, reserved, 0x98);

struct d3dkmt_querystatistics_dma_buffer {
	struct d3dkmt_querystatistics_counter size;
	__u32 allocation_list_bytes;
	__u32 patch_location_list_bytes;
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_querystatistics_dma_buffer, 0x18);

struct d3dkmt_querystatistics_commitment_data {
	__u64 total_bytes_evicted_from_process;
	__u64 bytes_by_segment_preference[D3DKMT_QUERYSTATISTICS_SEGMENT_PREFERENCE_MAX];
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_querystatistics_commitment_data, 0x30);

struct d3dkmt_querystatistics_policy {
	__u64 prefer_aperture_for_read[D3DKMT_QUERYSTATISTICS_SEGMENT_PREFERENCE_MAX];
	__u64 prefer_aperture[D3DKMT_QUERYSTATISTICS_SEGMENT_PREFERENCE_MAX];
	__u64 mem_reset_on_paging;
	__u64 remove_pages_from_working_set_on_paging;
	__u64 migration_enabled;
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_querystatistics_policy, 0x68);

/* D3DKMT_QUERYSTATISTICS_PROCESS_ADAPTER */
struct d3dkmt_querystatistics_process_adapter_information {
	__u32 nb_segments;
	__u32 node_count;
	__u32 vidpn_source_count;
	__u32 virtual_memory_usage;
	struct d3dkmt_querystatistics_dma_buffer dma_buffer;
	struct d3dkmt_querystatistics_commitment_data commitment_data;
	struct d3dkmt_querystatistics_policy policy;
	__u64 process_interference_counters[9];
	__s32 client_hint;		/* D3DKMT_CLIENTHINT_* */
	__u32 pad;
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_querystatistics_process_adapter_information, 0x110);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_querystatistics_process_adapter_information, dma_buffer,
		       0x10);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_querystatistics_process_adapter_information,
		       commitment_data, 0x28);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_querystatistics_process_adapter_information, policy, 0x58);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_querystatistics_process_adapter_information,
		       process_interference_counters, 0xc0);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_querystatistics_process_adapter_information, client_hint,
		       0x108);

/* D3DKMT_QUERYSTATISTICS_PROCESS_SEGMENT_GROUP: query.segment_group is the group. */
struct d3dkmt_querystatistics_process_segment_group_information {
	__u64 budget;
	__u64 requested;
	__u64 usage;
	__u64 demoted[D3DKMT_QUERYSTATISTICS_SEGMENT_PREFERENCE_MAX];
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_querystatistics_process_segment_group_information, 0x40);

struct d3dkmt_adapter_perfdata {
	__u32 physical_adapter_index;
	__u32 pad0;
	__u64 memory_frequency;
	__u64 max_memory_frequency;
	__u64 max_memory_frequency_oc;
	__u64 memory_bandwidth;
	__u64 pcie_bandwidth;
	__u32 fan_rpm;
	__u32 power;			/* tenths of a percent */
	__u32 temperature;		/* deci-Celsius */
	__u8 power_state_override;
	__u8 pad1[3];
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_adapter_perfdata, 0x40);

struct d3dkmt_adapter_perfdatacaps {
	__u32 physical_adapter_index;
	__u32 pad0;
	__u64 max_memory_bandwidth;
	__u64 max_pcie_bandwidth;
	__u32 max_fan_rpm;
	__u32 temperature_max;
	__u32 temperature_warning;
	__u32 pad1;
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_adapter_perfdatacaps, 0x28);

struct d3dkmt_gpuversion {
	__u32 physical_adapter_index;
	__u16 bios_version[32];		/* UTF-16 */
	__u16 gpu_architecture[32];	/* UTF-16 */
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_gpuversion, 0x84);

/* D3DKMT_QUERYSTATISTICS_PHYSICAL_ADAPTER: query.physical_adapter_index */
struct d3dkmt_querystatistics_physical_adapter_information {
	struct d3dkmt_adapter_perfdata adapter_perf_data;
	struct d3dkmt_adapter_perfdatacaps adapter_perf_data_caps;
	struct d3dkmt_gpuversion gpu_version;
	__u32 pad;
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_querystatistics_physical_adapter_information, 0xf0);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_querystatistics_physical_adapter_information,
		       adapter_perf_data_caps, 0x40);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_querystatistics_physical_adapter_information, gpu_version,
		       0x68);

/*
 * The result is the Windows D3DKMT_QUERYSTATISTICS_RESULT union (its members' layouts are
 * declared above as d3dkmt_querystatistics_*); `query` is the Windows query union that follows
 * it: the node, segment, segment group, VidPN source or physical adapter a type asks about.
 */
struct d3dkmt_querystatistics {
	__u32 type;			/* D3DKMT_QUERYSTATISTICS_* */
	struct winluid adapter_luid;
	__u32 reserved;
	__u64 process;			/* 0: the caller; else a pid of the caller's namespace */
	__u8 result[D3DKMT_QUERYSTATISTICS_RESULT_SIZE];	/* out */
	union {
		__u32 segment_id;	/* SEGMENT, PROCESS_SEGMENT */
		__u32 node_id;		/* NODE, PROCESS_NODE */
		__u32 vidpn_source_id;	/* VIDPNSOURCE, PROCESS_VIDPNSOURCE */
		__u32 segment_group;	/* PROCESS_SEGMENT_GROUP: D3DKMT_MEMORY_SEGMENT_GROUP_* */
		__u32 physical_adapter_index;	/* PHYSICAL_ADAPTER */
		__u32 query[2];		/* the union as raw words (the second is padding) */
	};
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_querystatistics, 808);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_querystatistics, process, 16);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_querystatistics, result, 24);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_querystatistics, node_id, 800);

/* ---- 0x44 LX_DXSHAREOBJECTWITHHOST ---- */

struct d3dkmt_shareobjectwithhost {
	struct d3dkmthandle device_handle;
	struct d3dkmthandle object_handle;
	__u64 reserved;
	__u64 object_vail_nt_handle;	/* out: the host's handle */
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_shareobjectwithhost, 24);

/* ---- 0x45 LX_DXCREATESYNCFILE ---- */

/* A sync_file descriptor that signals when monitored_fence reaches fence_value. */
struct d3dkmt_createsyncfile {
	struct d3dkmthandle device;
	struct d3dkmthandle monitored_fence;
	__u64 fence_value;
	__u64 sync_file_handle;		/* out: the descriptor */
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_createsyncfile, 24);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_createsyncfile, sync_file_handle, 16);

/* ---- 0x46 LX_DXWAITSYNCFILE ---- */

/* Makes context wait (on the GPU) for a sync_file from CREATESYNCFILE. */
struct d3dkmt_waitsyncfile {
	__u64 sync_file_handle;
	struct d3dkmthandle context;
	__u32 reserved;
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_waitsyncfile, 16);

/* ---- 0x47 LX_DXOPENSYNCOBJECTFROMSYNCFILE ---- */

struct d3dkmt_opensyncobjectfromsyncfile {
	__u64 sync_file_handle;
	struct d3dkmthandle device;
	struct d3dkmthandle syncobj;	/* out: a monitored fence */
	__u64 fence_value;		/* out */
	__u64 fence_value_cpu_va;	/* out */
	__u64 fence_value_gpu_va;	/* out */
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_opensyncobjectfromsyncfile, 40);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_opensyncobjectfromsyncfile, syncobj, 12);

/* ---- 0x48 LX_DXENUMPROCESSES ---- */

struct d3dkmt_enumprocesses {
	struct winluid adapter_luid;
	__u64 buffer;			/* out: __u32[buffer_count] process ids */
	__u64 buffer_count;		/* in/out */
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_enumprocesses, 24);

/* ---- 0x49 LX_DXISFEATUREENABLED ---- */

/* d3dkmt_isfeatureenabled.feature_id: the DXGK_FEATURE_ID values WSL forwards */
#define DXGK_FEATURE_HWSCH				0u
#define DXGK_FEATURE_PAGE_BASED_MEMORY_MANAGER		32u
#define DXGK_FEATURE_KERNEL_MODE_TESTING		33u

/* dxgk_isfeatureenabled_result.value */
#define DXGK_ISFEATUREENABLED_ENABLED			0x0001u
#define DXGK_ISFEATUREENABLED_KNOWN_FEATURE		0x0002u
#define DXGK_ISFEATUREENABLED_SUPPORTED_BY_DRIVER	0x0004u
#define DXGK_ISFEATUREENABLED_SUPPORTED_ON_CONFIG	0x0008u

struct dxgk_isfeatureenabled_result {
	__u16 version;
	__u16 value;			/* DXGK_ISFEATUREENABLED_* */
};
D3DKMTHK_ASSERT_SIZE(struct dxgk_isfeatureenabled_result, 4);

struct d3dkmt_isfeatureenabled {
	struct d3dkmthandle adapter;
	__u32 feature_id;		/* DXGK_FEATURE_* */
	struct dxgk_isfeatureenabled_result result;	/* out */
};
D3DKMTHK_ASSERT_SIZE(struct d3dkmt_isfeatureenabled, 12);
D3DKMTHK_ASSERT_OFFSET(struct d3dkmt_isfeatureenabled, result, 8);

/* ---- The ioctl codes, by number ---- */

#define LX_DXOPENADAPTERFROMLUID \
	_IOWR(0x47, 0x01, struct d3dkmt_openadapterfromluid)
#define LX_DXCREATEDEVICE \
	_IOWR(0x47, 0x02, struct d3dkmt_createdevice)
#define LX_DXCREATECONTEXT \
	_IOWR(0x47, 0x03, struct d3dkmt_createcontext)
#define LX_DXCREATECONTEXTVIRTUAL \
	_IOWR(0x47, 0x04, struct d3dkmt_createcontextvirtual)
#define LX_DXDESTROYCONTEXT \
	_IOWR(0x47, 0x05, struct d3dkmt_destroycontext)
#define LX_DXCREATEALLOCATION \
	_IOWR(0x47, 0x06, struct d3dkmt_createallocation)
#define LX_DXCREATEPAGINGQUEUE \
	_IOWR(0x47, 0x07, struct d3dkmt_createpagingqueue)
#define LX_DXRESERVEGPUVIRTUALADDRESS \
	_IOWR(0x47, 0x08, struct d3dddi_reservegpuvirtualaddress)
#define LX_DXQUERYADAPTERINFO \
	_IOWR(0x47, 0x09, struct d3dkmt_queryadapterinfo)
#define LX_DXQUERYVIDEOMEMORYINFO \
	_IOWR(0x47, 0x0a, struct d3dkmt_queryvideomemoryinfo)
#define LX_DXMAKERESIDENT \
	_IOWR(0x47, 0x0b, struct d3dddi_makeresident)
#define LX_DXMAPGPUVIRTUALADDRESS \
	_IOWR(0x47, 0x0c, struct d3dddi_mapgpuvirtualaddress)
#define LX_DXESCAPE \
	_IOWR(0x47, 0x0d, struct d3dkmt_escape)
#define LX_DXGETDEVICESTATE \
	_IOWR(0x47, 0x0e, struct d3dkmt_getdevicestate)
#define LX_DXSUBMITCOMMAND \
	_IOWR(0x47, 0x0f, struct d3dkmt_submitcommand)
#define LX_DXCREATESYNCHRONIZATIONOBJECT \
	_IOWR(0x47, 0x10, struct d3dkmt_createsynchronizationobject2)
#define LX_DXSIGNALSYNCHRONIZATIONOBJECT \
	_IOWR(0x47, 0x11, struct d3dkmt_signalsynchronizationobject2)
#define LX_DXWAITFORSYNCHRONIZATIONOBJECT \
	_IOWR(0x47, 0x12, struct d3dkmt_waitforsynchronizationobject2)
#define LX_DXDESTROYALLOCATION2 \
	_IOWR(0x47, 0x13, struct d3dkmt_destroyallocation2)
#define LX_DXENUMADAPTERS2 \
	_IOWR(0x47, 0x14, struct d3dkmt_enumadapters2)
#define LX_DXCLOSEADAPTER \
	_IOWR(0x47, 0x15, struct d3dkmt_closeadapter)
#define LX_DXCHANGEVIDEOMEMORYRESERVATION \
	_IOWR(0x47, 0x16, struct d3dkmt_changevideomemoryreservation)
#define LX_DXCREATEHWCONTEXT \
	_IOWR(0x47, 0x17, struct d3dkmt_createhwcontext)
#define LX_DXCREATEHWQUEUE \
	_IOWR(0x47, 0x18, struct d3dkmt_createhwqueue)
#define LX_DXDESTROYDEVICE \
	_IOWR(0x47, 0x19, struct d3dkmt_destroydevice)
#define LX_DXDESTROYHWCONTEXT \
	_IOWR(0x47, 0x1a, struct d3dkmt_destroyhwcontext)
#define LX_DXDESTROYHWQUEUE \
	_IOWR(0x47, 0x1b, struct d3dkmt_destroyhwqueue)
#define LX_DXDESTROYPAGINGQUEUE \
	_IOWR(0x47, 0x1c, struct d3dddi_destroypagingqueue)
#define LX_DXDESTROYSYNCHRONIZATIONOBJECT \
	_IOWR(0x47, 0x1d, struct d3dkmt_destroysynchronizationobject)
#define LX_DXEVICT \
	_IOWR(0x47, 0x1e, struct d3dkmt_evict)
#define LX_DXFLUSHHEAPTRANSITIONS \
	_IOWR(0x47, 0x1f, struct d3dkmt_flushheaptransitions)
#define LX_DXFREEGPUVIRTUALADDRESS \
	_IOWR(0x47, 0x20, struct d3dkmt_freegpuvirtualaddress)
#define LX_DXGETCONTEXTINPROCESSSCHEDULINGPRIORITY \
	_IOWR(0x47, 0x21, struct d3dkmt_getcontextinprocessschedulingpriority)
#define LX_DXGETCONTEXTSCHEDULINGPRIORITY \
	_IOWR(0x47, 0x22, struct d3dkmt_getcontextschedulingpriority)
#define LX_DXGETSHAREDRESOURCEADAPTERLUID \
	_IOWR(0x47, 0x23, struct d3dkmt_getsharedresourceadapterluid)
#define LX_DXINVALIDATECACHE \
	_IOWR(0x47, 0x24, struct d3dkmt_invalidatecache)
#define LX_DXLOCK2 \
	_IOWR(0x47, 0x25, struct d3dkmt_lock2)
#define LX_DXMARKDEVICEASERROR \
	_IOWR(0x47, 0x26, struct d3dkmt_markdeviceaserror)
#define LX_DXOFFERALLOCATIONS \
	_IOWR(0x47, 0x27, struct d3dkmt_offerallocations)
#define LX_DXOPENRESOURCE \
	_IOWR(0x47, 0x28, struct d3dkmt_openresource)
#define LX_DXOPENSYNCHRONIZATIONOBJECT \
	_IOWR(0x47, 0x29, struct d3dkmt_opensynchronizationobject)
#define LX_DXQUERYALLOCATIONRESIDENCY \
	_IOWR(0x47, 0x2a, struct d3dkmt_queryallocationresidency)
#define LX_DXQUERYRESOURCEINFO \
	_IOWR(0x47, 0x2b, struct d3dkmt_queryresourceinfo)
#define LX_DXRECLAIMALLOCATIONS2 \
	_IOWR(0x47, 0x2c, struct d3dkmt_reclaimallocations2)
#define LX_DXRENDER \
	_IOWR(0x47, 0x2d, struct d3dkmt_render)
#define LX_DXSETALLOCATIONPRIORITY \
	_IOWR(0x47, 0x2e, struct d3dkmt_setallocationpriority)
#define LX_DXSETCONTEXTINPROCESSSCHEDULINGPRIORITY \
	_IOWR(0x47, 0x2f, struct d3dkmt_setcontextinprocessschedulingpriority)
#define LX_DXSETCONTEXTSCHEDULINGPRIORITY \
	_IOWR(0x47, 0x30, struct d3dkmt_setcontextschedulingpriority)
#define LX_DXSIGNALSYNCHRONIZATIONOBJECTFROMCPU \
	_IOWR(0x47, 0x31, struct d3dkmt_signalsynchronizationobjectfromcpu)
#define LX_DXSIGNALSYNCHRONIZATIONOBJECTFROMGPU \
	_IOWR(0x47, 0x32, struct d3dkmt_signalsynchronizationobjectfromgpu)
#define LX_DXSIGNALSYNCHRONIZATIONOBJECTFROMGPU2 \
	_IOWR(0x47, 0x33, struct d3dkmt_signalsynchronizationobjectfromgpu2)
#define LX_DXSUBMITCOMMANDTOHWQUEUE \
	_IOWR(0x47, 0x34, struct d3dkmt_submitcommandtohwqueue)
#define LX_DXSUBMITSIGNALSYNCOBJECTSTOHWQUEUE \
	_IOWR(0x47, 0x35, struct d3dkmt_submitsignalsyncobjectstohwqueue)
#define LX_DXSUBMITWAITFORSYNCOBJECTSTOHWQUEUE \
	_IOWR(0x47, 0x36, struct d3dkmt_submitwaitforsyncobjectstohwqueue)
#define LX_DXUNLOCK2 \
	_IOWR(0x47, 0x37, struct d3dkmt_unlock2)
#define LX_DXUPDATEALLOCPROPERTY \
	_IOWR(0x47, 0x38, struct d3dddi_updateallocproperty)
#define LX_DXUPDATEGPUVIRTUALADDRESS \
	_IOWR(0x47, 0x39, struct d3dkmt_updategpuvirtualaddress)
#define LX_DXWAITFORSYNCHRONIZATIONOBJECTFROMCPU \
	_IOWR(0x47, 0x3a, struct d3dkmt_waitforsynchronizationobjectfromcpu)
#define LX_DXWAITFORSYNCHRONIZATIONOBJECTFROMGPU \
	_IOWR(0x47, 0x3b, struct d3dkmt_waitforsynchronizationobjectfromgpu)
#define LX_DXGETALLOCATIONPRIORITY \
	_IOWR(0x47, 0x3c, struct d3dkmt_getallocationpriority)
#define LX_DXQUERYCLOCKCALIBRATION \
	_IOWR(0x47, 0x3d, struct d3dkmt_queryclockcalibration)
#define LX_DXENUMADAPTERS3 \
	_IOWR(0x47, 0x3e, struct d3dkmt_enumadapters3)
#define LX_DXSHAREOBJECTS \
	_IOWR(0x47, 0x3f, struct d3dkmt_shareobjects)
#define LX_DXOPENSYNCOBJECTFROMNTHANDLE2 \
	_IOWR(0x47, 0x40, struct d3dkmt_opensyncobjectfromnthandle2)
#define LX_DXQUERYRESOURCEINFOFROMNTHANDLE \
	_IOWR(0x47, 0x41, struct d3dkmt_queryresourceinfofromnthandle)
#define LX_DXOPENRESOURCEFROMNTHANDLE \
	_IOWR(0x47, 0x42, struct d3dkmt_openresourcefromnthandle)
#define LX_DXQUERYSTATISTICS \
	_IOWR(0x47, 0x43, struct d3dkmt_querystatistics)
#define LX_DXSHAREOBJECTWITHHOST \
	_IOWR(0x47, 0x44, struct d3dkmt_shareobjectwithhost)
#define LX_DXCREATESYNCFILE \
	_IOWR(0x47, 0x45, struct d3dkmt_createsyncfile)
#define LX_DXWAITSYNCFILE \
	_IOWR(0x47, 0x46, struct d3dkmt_waitsyncfile)
#define LX_DXOPENSYNCOBJECTFROMSYNCFILE \
	_IOWR(0x47, 0x47, struct d3dkmt_opensyncobjectfromsyncfile)
#define LX_DXENUMPROCESSES \
	_IOWR(0x47, 0x48, struct d3dkmt_enumprocesses)
#define LX_DXISFEATUREENABLED \
	_IOWR(0x47, 0x49, struct d3dkmt_isfeatureenabled)

/* WSL's spelling of 0x49. */
#define LX_ISFEATUREENABLED		LX_DXISFEATUREENABLED

#undef D3DKMTHK_ASSERT_SIZE
#undef D3DKMTHK_ASSERT_OFFSET

#endif /* _UAPI_MISC_D3DKMTHK_H */
