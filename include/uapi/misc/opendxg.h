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
	/* Execution limits (0 from hosts before protocol 1.2). */
	__u32 max_workgroup_count[3];	/* per dimension of one DISPATCH */
	__u32 max_binding_size;		/* bytes of one DISPATCH binding */
	__u32 max_push_constants;	/* bytes; at least OPENDXG_CMD_MAX_PUSH_CONSTANTS */
	__u32 timestamp_valid_bits;	/* 0: TIMESTAMP packets are -EINVAL on this adapter */
	__u32 reserved[2];
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
	/* Execution, VM-wide (every adapter); 0 from hosts before protocol 1.2. */
	__u64 jobs_submitted;		/* command buffers accepted by SUBMIT */
	__u64 jobs_completed;		/* ... that finished */
	__u32 sync_objects;		/* live sync objects, queue fences included */
	__u32 hw_queues;		/* live hardware queues */
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

/*
 * ---- Command buffers (docs/cmdbuf.md) ----
 *
 * What SUBMITCOMMAND / SUBMITCOMMANDTOHWQUEUE point at: a header, then packets back to back, all
 * little-endian, in a host-visible allocation mapped in the submitting process's GPU VA space.
 * The host copies the whole buffer during the submit ioctl and validates every packet before
 * anything reaches the GPU. Packets without a BARRIER between them may run in any order or
 * overlap; a BARRIER makes everything before it complete (and its writes visible) before
 * anything after it starts. Nothing is ordered across command buffers except by their queue: a
 * buffer starts after the previous one on its queue completed.
 */
#define OPENDXG_CMD_MAGIC 0x43475844u		/* "DXGC" read as a little-endian u32 */
#define OPENDXG_CMD_VERSION_MAJOR 1u		/* incompatible changes */
#define OPENDXG_CMD_VERSION_MINOR 0u		/* additions (new packet types) */
#define OPENDXG_CMD_HEADER_SIZE 16u
#define OPENDXG_CMD_MAX_SIZE (1u << 20)		/* bytes of one command buffer */
#define OPENDXG_CMD_MAX_PACKETS 4096u
#define OPENDXG_CMD_MAX_BINDINGS 16u		/* per DISPATCH: bindings 0..15 of set 0 */
#define OPENDXG_CMD_MAX_PUSH_CONSTANTS 128u	/* bytes per DISPATCH */
#define OPENDXG_CMD_MAX_TIMESTAMPS 256u		/* per command buffer */
#define OPENDXG_CMD_MAX_GROUPS (1u << 24)	/* x * y * z of one DISPATCH */
#define OPENDXG_CMD_BINDING_ALIGN 256u		/* binding addresses: every Vulkan device accepts it */
#define OPENDXG_CMD_ENTRY_NAME_LEN 64u		/* entry point name, NUL terminated and padded */

struct opendxg_cmd_header {
	__u32 magic;			/* OPENDXG_CMD_MAGIC */
	__u16 version_major;		/* OPENDXG_CMD_VERSION_MAJOR */
	__u16 version_minor;		/* any: a host rejects packet types it does not know */
	__u32 size;			/* the whole buffer, header included: the submitted length */
	__u32 packet_count;		/* packets that follow, exactly */
};

#define OPENDXG_CMD_COPY 1u		/* struct opendxg_cmd_copy */
#define OPENDXG_CMD_FILL 2u		/* struct opendxg_cmd_fill */
#define OPENDXG_CMD_DISPATCH 3u		/* struct opendxg_cmd_dispatch + bindings + push constants */
#define OPENDXG_CMD_BARRIER 4u		/* struct opendxg_cmd_packet alone */
#define OPENDXG_CMD_TIMESTAMP 5u	/* struct opendxg_cmd_timestamp */

/* Every packet starts with this; size covers the whole packet, a multiple of 8, at least 8. */
struct opendxg_cmd_packet {
	__u16 type;			/* OPENDXG_CMD_* */
	__u16 flags;			/* none defined: MBZ */
	__u32 size;
};

/* Copies size bytes (any alignment); the ranges must not overlap. */
struct opendxg_cmd_copy {
	struct opendxg_cmd_packet hdr;
	__u64 src_va;
	__u64 dst_va;
	__u64 size;			/* >= 1 */
};

/* Writes the u32 value repeatedly; dst_va and size are multiples of 4. */
struct opendxg_cmd_fill {
	struct opendxg_cmd_packet hdr;
	__u64 dst_va;
	__u64 size;			/* >= 4 */
	__u32 value;
	__u32 reserved;			/* MBZ */
};

#define OPENDXG_BINDING_READ_ONLY 0x1u	/* the kernel only reads: a read-only mapping is enough */

/* Storage buffer `binding` of descriptor set 0 is [va, va + size). */
struct opendxg_cmd_binding {
	__u64 va;			/* a multiple of OPENDXG_CMD_BINDING_ALIGN */
	__u64 size;			/* >= 4, a multiple of 4, <= caps max_binding_size */
	__u32 binding;			/* < OPENDXG_CMD_MAX_BINDINGS, each at most once */
	__u32 flags;			/* OPENDXG_BINDING_* */
};

/*
 * Runs entry point `entry_point` of the PROGRAM allocation `program` (a handle of the submitting
 * process on the queue's device) over group_count[0..2] workgroups. binding_count struct
 * opendxg_cmd_binding follow the packet, then push_constant_size bytes of push constants (offset
 * 0 of the push constant block), zero padded to a multiple of 8. The bindings must be exactly
 * the storage buffers the module declares (all in set 0); a module with other resources is not
 * accepted as a program. A group count of 0 in any dimension runs nothing.
 */
struct opendxg_cmd_dispatch {
	struct opendxg_cmd_packet hdr;
	__u32 program;			/* allocation handle */
	__u32 group_count[3];		/* each <= caps max_workgroup_count; product <= MAX_GROUPS */
	__u32 binding_count;		/* 0..OPENDXG_CMD_MAX_BINDINGS */
	__u32 push_constant_size;	/* 0..OPENDXG_CMD_MAX_PUSH_CONSTANTS, a multiple of 4 */
	char entry_point[OPENDXG_CMD_ENTRY_NAME_LEN];
};

/* Writes the adapter's u64 timestamp (caps timestamp_period_ps per tick) to dst_va, 8-aligned. */
struct opendxg_cmd_timestamp {
	struct opendxg_cmd_packet hdr;
	__u64 dst_va;
};

/*
 * ---- ESCAPE (D3DKMT_ESCAPE_DRIVERPRIVATE) ----
 *
 * The private data starts with this header; the host answers in place (the same buffer, the
 * same size). Codes are documented in docs/cmdbuf.md ("Escapes").
 */
#define OPENDXG_ESCAPE_CONTEXT_STATS 0x4f450001u	/* struct opendxg_escape_context_stats */

struct opendxg_escape_header {
	__u32 code;			/* OPENDXG_ESCAPE_* */
	__u32 size;			/* bytes of the whole escape data, header included */
};

/* In: the escape's context argument names the context. Out: its counters. */
struct opendxg_escape_context_stats {
	struct opendxg_escape_header hdr;
	__u32 execution_state;		/* D3DKMT_DEVICEEXECUTION_* of this context */
	__u32 queued;			/* items waiting on its queues (hardware queues included) */
	__u64 submitted;		/* command buffers accepted */
	__u64 completed;		/* command buffers that finished */
	__u64 gpu_time_ns;		/* measured with timestamps around each buffer (0 without) */
};

#ifdef __cplusplus
#define OPENDXG_ASSERT_SIZE(t, n) static_assert(sizeof(t) == (n), #t)
#else
#define OPENDXG_ASSERT_SIZE(t, n) _Static_assert(sizeof(t) == (n), #t)
#endif
OPENDXG_ASSERT_SIZE(struct opendxg_adapter_caps, 448);
OPENDXG_ASSERT_SIZE(struct opendxg_vm_stats, 128);
OPENDXG_ASSERT_SIZE(struct opendxg_alloc_priv, 32);
OPENDXG_ASSERT_SIZE(struct opendxg_cmd_header, 16);
OPENDXG_ASSERT_SIZE(struct opendxg_cmd_packet, 8);
OPENDXG_ASSERT_SIZE(struct opendxg_cmd_copy, 32);
OPENDXG_ASSERT_SIZE(struct opendxg_cmd_fill, 32);
OPENDXG_ASSERT_SIZE(struct opendxg_cmd_binding, 24);
OPENDXG_ASSERT_SIZE(struct opendxg_cmd_dispatch, 96);
OPENDXG_ASSERT_SIZE(struct opendxg_cmd_timestamp, 16);
OPENDXG_ASSERT_SIZE(struct opendxg_escape_header, 8);
OPENDXG_ASSERT_SIZE(struct opendxg_escape_context_stats, 40);

#endif /* _UAPI_MISC_OPENDXG_H */
