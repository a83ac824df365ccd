/* SPDX-License-Identifier: MIT */
/*
 * The command buffer parser: turns a private copy of a guest command buffer (the packet format of
 * include/uapi/misc/opendxg.h, docs/cmdbuf.md) into a list of decoded operations, checking
 * everything that does not depend on object state: header, framing, packet types, reserved
 * fields, sizes, alignments, counts and the adapter's limits. What depends on state (the program
 * handle, GPU VA translation) is checked by exec.c when the buffer is submitted or runs.
 *
 * Pure C, no Vulkan, no global state: callable from any thread, fuzzed by tests/fuzz.
 */
#ifndef DXGD_CMDBUF_H
#define DXGD_CMDBUF_H

#include <stddef.h>
#include <stdint.h>

#include <misc/opendxg.h>

/* The adapter's limits a buffer is checked against (from the Vulkan device's properties). */
struct cmdbuf_limits {
	uint32_t max_workgroup_count[3];
	uint64_t max_binding_size;
	uint32_t timestamp_valid_bits;	/* 0: TIMESTAMP packets are invalid */
};

struct cmdbuf_binding {
	uint64_t va;
	uint64_t size;
	uint32_t binding;
	uint32_t flags;			/* OPENDXG_BINDING_* */
};

struct cmdbuf_dispatch {
	uint32_t program;
	uint32_t group_count[3];
	uint32_t binding_count;
	uint32_t binding_mask;		/* bit n: binding n is present */
	uint32_t push_constant_size;
	char entry_point[OPENDXG_CMD_ENTRY_NAME_LEN];	/* NUL terminated */
	struct cmdbuf_binding bindings[OPENDXG_CMD_MAX_BINDINGS];	/* in packet order */
	unsigned char push_constants[OPENDXG_CMD_MAX_PUSH_CONSTANTS];	/* zero beyond size */
};

struct cmdbuf_op {
	uint32_t type;			/* OPENDXG_CMD_* */
	uint32_t offset;		/* byte offset of the packet in the buffer (fault reports) */
	union {
		struct {
			uint64_t src_va, dst_va, size;
		} copy;
		struct {
			uint64_t dst_va, size;
			uint32_t value;
		} fill;
		struct cmdbuf_dispatch *dispatch;	/* into cmdbuf.dispatches */
		struct {
			uint64_t dst_va;
		} timestamp;
	};
};

struct cmdbuf {
	uint32_t op_count;
	struct cmdbuf_op *ops;		/* op_count entries */
	uint32_t dispatch_count;
	struct cmdbuf_dispatch *dispatches;
	uint32_t timestamp_count;
	uint32_t total_bindings;	/* summed over dispatches (descriptor pool sizing) */
};

#define CMDBUF_WHY_LEN 160u

/*
 * Parses `len` bytes at `buf` (the caller's private copy). Returns 0 and fills `out` (release it
 * with cmdbuf_free()), -EINVAL with a one-line reason in `why` (CMDBUF_WHY_LEN bytes, may be NULL;
 * it names the packet's byte offset) and `*bad_offset` (may be NULL) the offending packet's
 * offset, or -ENOMEM. A buffer of just a header (no packets) is valid.
 */
int cmdbuf_parse(const void *buf, size_t len, const struct cmdbuf_limits *limits,
		 struct cmdbuf *out, char *why, uint32_t *bad_offset);
void cmdbuf_free(struct cmdbuf *cb);

#endif /* DXGD_CMDBUF_H */
