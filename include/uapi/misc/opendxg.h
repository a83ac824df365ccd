/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR MIT) */
/*
 * opendxg extensions to the /dev/dxg ABI that ride on existing WSL ioctls.
 *
 * Private QUERYADAPTERINFO types. They sit far above every KMTQAITYPE value, so WSL software never
 * sends them by accident, and they are answered by the host daemon like any other query. The data
 * is little-endian. The structs grow only by appending fields: a caller passes the size it knows
 * (at least 8 bytes: `version` and `size`) and gets min(that size, the host's) bytes, the rest of
 * its buffer zeroed; `size` says how many bytes the host filled.
 */
#ifndef _UAPI_MISC_OPENDXG_H
#define _UAPI_MISC_OPENDXG_H

#include <linux/types.h>

#define OPENDXG_QAI_ADAPTER_CAPS 0x4f440001u	/* struct opendxg_adapter_caps */
#define OPENDXG_QAI_VM_STATS 0x4f440002u	/* struct opendxg_vm_stats */

#define OPENDXG_CAPS_COMPUTE_ONLY 0x1u
#define OPENDXG_CAPS_SOFTWARE 0x2u		/* runs on the host CPU (lavapipe) */
#define OPENDXG_CAPS_EXTERNAL_MEMORY_HOST 0x4u	/* zero-copy host-visible memory possible */

/* Vulkan VkPhysicalDeviceType numbering. */
#define OPENDXG_DEVICE_TYPE_OTHER 0u
#define OPENDXG_DEVICE_TYPE_INTEGRATED 1u
#define OPENDXG_DEVICE_TYPE_DISCRETE 2u
#define OPENDXG_DEVICE_TYPE_VIRTUAL 3u
#define OPENDXG_DEVICE_TYPE_CPU 4u

struct opendxg_adapter_caps {
	__u32 version;			/* 1 */
	__u32 size;			/* bytes the host filled (see above) */
	__u32 vendor_id;
	__u32 device_id;
	__u32 device_type;		/* OPENDXG_DEVICE_TYPE_* */
	__u32 api_version;		/* Vulkan API version the host backend uses */
	__u32 driver_version;		/* host driver's own encoding */
	__u32 flags;			/* OPENDXG_CAPS_* */
	__u64 device_local_bytes;	/* sum of the host device's device-local heaps */
	__u64 host_visible_bytes;	/* this VM's shared heap (host-visible allocations) */
	__u32 max_workgroup_size[3];
	__u32 max_workgroup_invocations;
	__u32 max_shared_memory;	/* bytes of workgroup shared memory */
	__u32 subgroup_size;
	__u32 timestamp_period_ps;	/* picoseconds per timestamp tick, rounded */
	__u32 reserved0;
	__u8 device_uuid[16];
	char device_name[256];		/* UTF-8, NUL terminated */
	char driver_name[64];		/* UTF-8, NUL terminated */
	__u32 reserved[8];
};

/* Counters of the calling VM only: a VM never sees another VM's numbers. */
struct opendxg_vm_stats {
	__u32 version;			/* 1 */
	__u32 size;			/* bytes the host filled (see above) */
	__u32 generation;		/* region generation of the serving worker */
	__u32 processes;		/* live host process objects of this VM */
	__u32 open_adapters;		/* adapter references held by this VM's processes */
	__u32 devices;
	__u32 contexts;
	__u32 handles;			/* live handles in the VM's table, processes included */
	__u64 requests;			/* requests served since the worker started */
	__u64 rejected;			/* requests rejected as malformed */
	/* Memory, counted for the queried adapter only (still this VM only). */
	__u32 allocations;		/* live allocations, every kind */
	__u32 resources;
	__u32 paging_queues;
	__u32 gpu_va_ranges;		/* reserved GPU VA ranges of all processes */
	__u64 host_visible_bytes;	/* charged: host-visible allocations */
	__u64 device_local_bytes;	/* charged: resident device-local allocations */
	__u64 program_bytes;		/* charged: program allocations */
	__u64 evicted_bytes;		/* charged: evicted device-local contents held in host memory */
	__u64 quota_bytes;		/* the VM's quota on this adapter; ~0 when unlimited */
	__u64 reserved2[3];
};

/*
 * The KMD private data of one allocation (d3dddi_allocationinfo2.priv_drv_data): opendxg's
 * "KMD format", written by the user-mode driver, checked by the guest driver and again by the
 * host. priv_drv_data_size is header_size for HOST_VISIBLE and DEVICE_LOCAL, and header_size +
 * size for PROGRAM, whose SPIR-V words follow the header. Later versions may only grow the
 * header; a guest accepts the versions it knows. docs/kmd-format.md is the full description.
 */
#define OPENDXG_ALLOC_PRIV_VERSION 1u

/* Shared heap pages: CPU-mappable with LOCK2 in the guest, zero-copy for the host. */
#define OPENDXG_ALLOC_KIND_HOST_VISIBLE 1u
/* Host device memory (Vulkan): not CPU-mappable; may be evicted and restored. */
#define OPENDXG_ALLOC_KIND_DEVICE_LOCAL 2u
/* An immutable SPIR-V compute module, validated by the host before it is accepted. */
#define OPENDXG_ALLOC_KIND_PROGRAM 3u

struct opendxg_alloc_priv {
	__u32 version;			/* OPENDXG_ALLOC_PRIV_VERSION */
	__u32 kind;			/* OPENDXG_ALLOC_KIND_* */
	__u32 flags;			/* none defined: MBZ */
	__u32 header_size;		/* sizeof(struct opendxg_alloc_priv) for version 1 */
	__u64 size;			/* bytes (>= 1); PROGRAM: SPIR-V bytes, a multiple of 4 */
	__u64 reserved;			/* MBZ */
};

#ifdef __cplusplus
#define OPENDXG_ASSERT_SIZE(t, n) static_assert(sizeof(t) == (n), #t)
#else
#define OPENDXG_ASSERT_SIZE(t, n) _Static_assert(sizeof(t) == (n), #t)
#endif
OPENDXG_ASSERT_SIZE(struct opendxg_adapter_caps, 448);
OPENDXG_ASSERT_SIZE(struct opendxg_vm_stats, 128);
OPENDXG_ASSERT_SIZE(struct opendxg_alloc_priv, 32);

#endif /* _UAPI_MISC_OPENDXG_H */
