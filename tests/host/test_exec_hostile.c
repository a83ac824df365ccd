/* SPDX-License-Identifier: MIT */
/*
 * Hostile execution through dxgd (real dxgd with three VMs, real lavapipe):
 *
 * - malformed command buffers (bad magic or version, lying sizes and counts, truncated packets,
 *   unknown types, reserved fields, absurd group counts, invalid, foreign and destroyed program
 *   handles, missing entry points, binding sets that do not match the module, unaligned or
 *   oversized bindings, bad push constants) are -EINVAL from SUBMIT and break only the offending
 *   context: ERROR_DMAFAULT, its pending signals reach UINT64_MAX, later SUBMIT/SIGNAL/WAIT on it
 *   are -ENODEV;
 * - GPU VAs that do not translate when the buffer runs (never mapped, partly mapped, another
 *   process's address, freed while queued) or lack write access (a write through a read-only
 *   mapping) break the context with ERROR_DMAPAGEFAULT, the address, access, packet and sequence
 *   in GET_DEVICE_STATE, the progress fence at UINT64_MAX and the next SUBMIT -ENODEV;
 * - after every case a second context of the offender, a second process and a second VM still
 *   compute correctly (CPU reference);
 * - destroying a process or a context with queued and in-flight work, and a guest disconnecting
 *   mid-flight, leave the worker's counters at their baseline, and memory the in-flight work
 *   wrote reaches the next tenant zeroed;
 * - many submissions from three user-space guests (three VMs, two processes each) at once.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "exec_util.h"

#define KiB 1024u
#define VMS 3
/* A GPU VA nothing in these tests maps: far above where dxgd places new ranges. */
#define NEVER_MAPPED_VA 0x500000000000ull
/* Where a bystander maps the buffer whose address an offender tries. */
#define VICTIM_WINDOW 0x300000000000ull

static struct uguest *guests[VMS];
static uint32_t observer[VMS], adapter[VMS];
static char *baseline_counters[VMS];
static struct opendxg_vm_stats baseline[VMS];
/* The bystanders: a process on vm0 next to the offenders, and one on vm1. */
static struct xproc by[2];
static struct xprograms by_progs[2];

static int connect_vm(unsigned vm)
{
	if (!guests[vm] && harness_connect(&harness_dxgd, vm, NULL, &guests[vm]) != 0)
		return -1;
	if (uguest_handshake(guests[vm], 0, NULL) != 0 ||
	    harness_open_first_adapter(guests[vm], "observer", &observer[vm], &adapter[vm]) != 0)
		return -1;
	return 0;
}

static int test_setup(void **state)
{
	(void)state;
	for (unsigned vm = 0; vm < VMS; vm++)
		if (connect_vm(vm))
			return -1;
	xproc_open(guests[0], "bystander0", &by[0]);
	xprograms(&by[0], &by_progs[0]);
	xproc_open(guests[1], "bystander1", &by[1]);
	xprograms(&by[1], &by_progs[1]);
	for (unsigned vm = 0; vm < VMS; vm++) {
		if (harness_vm_stats(guests[vm], observer[vm], adapter[vm], &baseline[vm]))
			return -1;
		free(baseline_counters[vm]);
		baseline_counters[vm] = xworker_counters(vm);
	}
	return 0;
}

static void expect_baseline(unsigned vm)
{
	struct opendxg_vm_stats s;
	char *now;

	assert_int_equal(harness_vm_stats(guests[vm], observer[vm], adapter[vm], &s), 0);
	assert_int_equal(s.processes, baseline[vm].processes);
	assert_int_equal(s.devices, baseline[vm].devices);
	assert_int_equal(s.contexts, baseline[vm].contexts);
	assert_int_equal(s.handles, baseline[vm].handles);
	assert_int_equal(s.allocations, baseline[vm].allocations);
	assert_int_equal(s.gpu_va_ranges, baseline[vm].gpu_va_ranges);
	now = xworker_counters(vm);
	assert_string_equal(now, baseline_counters[vm]);
	free(now);
}

/* Everybody else still computes: the offender's other context, a second process, a second VM. */
static void others_compute(struct xproc *off, const struct xprograms *off_progs,
			   uint32_t other_context)
{
	if (off)
		xcheck_axpy_on(off, off_progs, other_context, 300, 11);
	xcheck_axpy(&by[0], &by_progs[0], 300, 13);
	xcheck_axpy(&by[1], &by_progs[1], 300, 17);
}

/* ---- malformed command buffers ---- */

struct bad_case {
	const char *name;
	/* Builds the buffer in the offender's command area; returns the length to submit. */
	uint32_t (*build)(struct xproc *p, const struct xprograms *progs, const struct xbuf *x,
			  const struct xbuf *y);
};

static void put32(struct xproc *p, uint32_t offset, uint32_t v)
{
	uint32_t le = htole32(v);

	memcpy((unsigned char *)p->cmd.cpu + offset, &le, 4);
}

static uint32_t good_axpy(struct xproc *p, const struct xprograms *progs, const struct xbuf *x,
			  const struct xbuf *y)
{
	struct uguest_cmdbuf cb;

	xcmd_begin(p, &cb);
	xcmd_axpy(&cb, progs, x, y, 256, 3);
	return xcmd_end(&cb);
}

static uint32_t bad_magic(struct xproc *p, const struct xprograms *progs, const struct xbuf *x,
			  const struct xbuf *y)
{
	uint32_t len = good_axpy(p, progs, x, y);

	put32(p, 0, OPENDXG_CMD_MAGIC ^ 0x20u);
	return len;
}

static uint32_t bad_major(struct xproc *p, const struct xprograms *progs, const struct xbuf *x,
			  const struct xbuf *y)
{
	uint32_t len = good_axpy(p, progs, x, y);

	put32(p, 4, (OPENDXG_CMD_VERSION_MAJOR + 1) | OPENDXG_CMD_VERSION_MINOR << 16);
	return len;
}

static uint32_t bad_header_size(struct xproc *p, const struct xprograms *progs,
				const struct xbuf *x, const struct xbuf *y)
{
	uint32_t len = good_axpy(p, progs, x, y);

	put32(p, 8, len + 8);
	return len;
}

static uint32_t bad_packet_count(struct xproc *p, const struct xprograms *progs,
				 const struct xbuf *x, const struct xbuf *y)
{
	uint32_t len = good_axpy(p, progs, x, y);

	put32(p, 12, 2);
	return len;
}

static uint32_t bad_zero_packets_with_bytes(struct xproc *p, const struct xprograms *progs,
					    const struct xbuf *x, const struct xbuf *y)
{
	uint32_t len = good_axpy(p, progs, x, y);

	put32(p, 12, 0);
	return len;
}

/* A COPY packet cut off after 24 of its 32 bytes, its size still saying 32. */
static uint32_t bad_truncated(struct xproc *p, const struct xprograms *progs,
			      const struct xbuf *x, const struct xbuf *y)
{
	struct opendxg_cmd_copy c = {
		.hdr = { .type = htole16(OPENDXG_CMD_COPY), .size = htole32(sizeof(c)) },
		.src_va = htole64(x->va), .dst_va = htole64(y->va), .size = htole64(64),
	};
	struct uguest_cmdbuf cb;

	(void)progs;
	xcmd_begin(p, &cb);
	uguest_cmd_raw(&cb, &c, 24);
	return xcmd_end(&cb);
}

static uint32_t raw_packet(struct xproc *p, const void *packet, uint32_t size)
{
	struct uguest_cmdbuf cb;

	xcmd_begin(p, &cb);
	uguest_cmd_raw(&cb, packet, size);
	return xcmd_end(&cb);
}

static uint32_t bad_packet_size_unaligned(struct xproc *p, const struct xprograms *progs,
					  const struct xbuf *x, const struct xbuf *y)
{
	struct opendxg_cmd_copy c = {
		.hdr = { .type = htole16(OPENDXG_CMD_COPY), .size = htole32(28) },
		.src_va = htole64(x->va), .dst_va = htole64(y->va), .size = htole64(64),
	};

	(void)progs;
	return raw_packet(p, &c, 28);
}

static uint32_t bad_packet_size_zero(struct xproc *p, const struct xprograms *progs,
				     const struct xbuf *x, const struct xbuf *y)
{
	struct opendxg_cmd_packet h = { .type = htole16(OPENDXG_CMD_BARRIER), .size = 0 };

	(void)progs;
	(void)x;
	(void)y;
	return raw_packet(p, &h, sizeof(h));
}

static uint32_t bad_packet_type(struct xproc *p, const struct xprograms *progs,
				const struct xbuf *x, const struct xbuf *y)
{
	struct opendxg_cmd_packet h = { .type = htole16(99), .size = htole32(8) };

	(void)progs;
	(void)x;
	(void)y;
	return raw_packet(p, &h, sizeof(h));
}

static uint32_t bad_packet_flags(struct xproc *p, const struct xprograms *progs,
				 const struct xbuf *x, const struct xbuf *y)
{
	struct opendxg_cmd_packet h = {
		.type = htole16(OPENDXG_CMD_BARRIER), .flags = htole16(1), .size = htole32(8),
	};

	(void)progs;
	(void)x;
	(void)y;
	return raw_packet(p, &h, sizeof(h));
}

static uint32_t bad_fill_reserved(struct xproc *p, const struct xprograms *progs,
				  const struct xbuf *x, const struct xbuf *y)
{
	struct opendxg_cmd_fill f = {
		.hdr = { .type = htole16(OPENDXG_CMD_FILL), .size = htole32(sizeof(f)) },
		.dst_va = htole64(y->va), .size = htole64(64), .value = 1, .reserved = htole32(1),
	};

	(void)progs;
	(void)x;
	return raw_packet(p, &f, sizeof(f));
}

static uint32_t bad_fill_unaligned(struct xproc *p, const struct xprograms *progs,
				   const struct xbuf *x, const struct xbuf *y)
{
	struct uguest_cmdbuf cb;

	(void)progs;
	(void)x;
	xcmd_begin(p, &cb);
	uguest_cmd_fill(&cb, y->va, 6, 1);
	return xcmd_end(&cb);
}

static uint32_t bad_copy_empty(struct xproc *p, const struct xprograms *progs,
			       const struct xbuf *x, const struct xbuf *y)
{
	struct uguest_cmdbuf cb;

	(void)progs;
	xcmd_begin(p, &cb);
	uguest_cmd_copy(&cb, x->va, y->va, 0);
	return xcmd_end(&cb);
}

static uint32_t bad_copy_overlap(struct xproc *p, const struct xprograms *progs,
				 const struct xbuf *x, const struct xbuf *y)
{
	struct uguest_cmdbuf cb;

	(void)progs;
	(void)x;
	xcmd_begin(p, &cb);
	uguest_cmd_copy(&cb, y->va, y->va + 100, 200);
	return xcmd_end(&cb);
}

static uint32_t bad_timestamp_unaligned(struct xproc *p, const struct xprograms *progs,
					const struct xbuf *x, const struct xbuf *y)
{
	struct uguest_cmdbuf cb;

	(void)progs;
	(void)x;
	xcmd_begin(p, &cb);
	uguest_cmd_timestamp(&cb, y->va + 4);
	return xcmd_end(&cb);
}

/* An axpy dispatch with every field the caller's to choose. */
static uint32_t axpy_with(struct xproc *p, uint32_t program, const char *entry, uint32_t gx,
			  uint32_t gy, uint32_t gz, const struct uguest_cmd_binding *b,
			  uint32_t nb, uint32_t push_size)
{
	const uint32_t push[40] = { htole32(3), htole32(256) };
	struct uguest_cmdbuf cb;

	xcmd_begin(p, &cb);
	uguest_cmd_dispatch(&cb, program, entry, gx, gy, gz, b, nb, push, push_size);
	return xcmd_end(&cb);
}

#define AXPY_BINDINGS(x, y) { \
	{ .va = (x)->va, .size = 1024, .binding = 0, .flags = OPENDXG_BINDING_READ_ONLY }, \
	{ .va = (y)->va, .size = 1024, .binding = 1 }, \
}

static uint32_t bad_groups_product(struct xproc *p, const struct xprograms *progs,
				   const struct xbuf *x, const struct xbuf *y)
{
	const struct uguest_cmd_binding b[2] = AXPY_BINDINGS(x, y);

	return axpy_with(p, progs->axpy, "main", 4096, 4096, 2, b, 2, 8);
}

static uint32_t bad_groups_dimension(struct xproc *p, const struct xprograms *progs,
				     const struct xbuf *x, const struct xbuf *y)
{
	const struct uguest_cmd_binding b[2] = AXPY_BINDINGS(x, y);

	/* Beyond the adapter's limit in one dimension (or the largest u32, as absurd). */
	return axpy_with(p, progs->axpy, "main", 1,
			 p->max_workgroup_count[1] < UINT32_MAX ? p->max_workgroup_count[1] + 1
								: UINT32_MAX, 1, b, 2, 8);
}

static uint32_t bad_program_zero(struct xproc *p, const struct xprograms *progs,
				 const struct xbuf *x, const struct xbuf *y)
{
	const struct uguest_cmd_binding b[2] = AXPY_BINDINGS(x, y);

	(void)progs;
	return axpy_with(p, 0, "main", 4, 1, 1, b, 2, 8);
}

static uint32_t bad_program_not_program(struct xproc *p, const struct xprograms *progs,
					const struct xbuf *x, const struct xbuf *y)
{
	const struct uguest_cmd_binding b[2] = AXPY_BINDINGS(x, y);

	(void)progs;
	return axpy_with(p, y->allocation, "main", 4, 1, 1, b, 2, 8);
}

static uint32_t bad_program_foreign(struct xproc *p, const struct xprograms *progs,
				    const struct xbuf *x, const struct xbuf *y)
{
	const struct uguest_cmd_binding b[2] = AXPY_BINDINGS(x, y);

	(void)progs;
	/* The bystander's own axpy program on the same adapter: not this process's handle. */
	return axpy_with(p, by_progs[0].axpy, "main", 4, 1, 1, b, 2, 8);
}

static uint32_t bad_program_destroyed(struct xproc *p, const struct xprograms *progs,
				      const struct xbuf *x, const struct xbuf *y)
{
	const struct uguest_cmd_binding b[2] = AXPY_BINDINGS(x, y);
	uint32_t bytes;
	const uint32_t *code = xaxpy_spirv(&bytes);
	uint32_t program = xprogram(p, code, bytes);

	(void)progs;
	assert_int_equal(uguest_free(p->g, p->process, p->device, program), 0);
	return axpy_with(p, program, "main", 4, 1, 1, b, 2, 8);
}

static uint32_t bad_entry_missing(struct xproc *p, const struct xprograms *progs,
				  const struct xbuf *x, const struct xbuf *y)
{
	const struct uguest_cmd_binding b[2] = AXPY_BINDINGS(x, y);

	return axpy_with(p, progs->axpy, "nope", 4, 1, 1, b, 2, 8);
}

static uint32_t bad_entry_unterminated(struct xproc *p, const struct xprograms *progs,
				       const struct xbuf *x, const struct xbuf *y)
{
	const struct uguest_cmd_binding b[2] = AXPY_BINDINGS(x, y);
	uint32_t len = axpy_with(p, progs->axpy, "main", 4, 1, 1, b, 2, 8);

	/* "main" followed by 60 more name bytes and no NUL. */
	memset((unsigned char *)p->cmd.cpu + OPENDXG_CMD_HEADER_SIZE +
	       offsetof(struct opendxg_cmd_dispatch, entry_point) + 4, 'x',
	       OPENDXG_CMD_ENTRY_NAME_LEN - 4);
	return len;
}

static uint32_t bad_binding_missing(struct xproc *p, const struct xprograms *progs,
				    const struct xbuf *x, const struct xbuf *y)
{
	const struct uguest_cmd_binding b[2] = AXPY_BINDINGS(x, y);

	return axpy_with(p, progs->axpy, "main", 4, 1, 1, b + 1, 1, 8);
}

static uint32_t bad_binding_extra(struct xproc *p, const struct xprograms *progs,
				  const struct xbuf *x, const struct xbuf *y)
{
	const struct uguest_cmd_binding b[3] = {
		{ .va = x->va, .size = 1024, .binding = 0, .flags = OPENDXG_BINDING_READ_ONLY },
		{ .va = y->va, .size = 1024, .binding = 1 },
		{ .va = y->va + 4096, .size = 1024, .binding = 2 },
	};

	return axpy_with(p, progs->axpy, "main", 4, 1, 1, b, 3, 8);
}

static uint32_t bad_binding_duplicate(struct xproc *p, const struct xprograms *progs,
				      const struct xbuf *x, const struct xbuf *y)
{
	const struct uguest_cmd_binding b[2] = {
		{ .va = x->va, .size = 1024, .binding = 1, .flags = OPENDXG_BINDING_READ_ONLY },
		{ .va = y->va, .size = 1024, .binding = 1 },
	};

	return axpy_with(p, progs->axpy, "main", 4, 1, 1, b, 2, 8);
}

static uint32_t bad_binding_index(struct xproc *p, const struct xprograms *progs,
				  const struct xbuf *x, const struct xbuf *y)
{
	struct uguest_cmd_binding b[2] = AXPY_BINDINGS(x, y);

	b[1].binding = OPENDXG_CMD_MAX_BINDINGS;
	return axpy_with(p, progs->axpy, "main", 4, 1, 1, b, 2, 8);
}

static uint32_t bad_binding_unaligned(struct xproc *p, const struct xprograms *progs,
				      const struct xbuf *x, const struct xbuf *y)
{
	struct uguest_cmd_binding b[2] = AXPY_BINDINGS(x, y);

	b[1].va += 4;
	return axpy_with(p, progs->axpy, "main", 4, 1, 1, b, 2, 8);
}

static uint32_t bad_binding_size(struct xproc *p, const struct xprograms *progs,
				 const struct xbuf *x, const struct xbuf *y)
{
	struct uguest_cmd_binding b[2] = AXPY_BINDINGS(x, y);

	b[0].size = 6;
	return axpy_with(p, progs->axpy, "main", 4, 1, 1, b, 2, 8);
}

static uint32_t bad_binding_size_zero(struct xproc *p, const struct xprograms *progs,
				      const struct xbuf *x, const struct xbuf *y)
{
	struct uguest_cmd_binding b[2] = AXPY_BINDINGS(x, y);

	b[1].size = 0;
	return axpy_with(p, progs->axpy, "main", 4, 1, 1, b, 2, 8);
}

static uint32_t bad_binding_too_large(struct xproc *p, const struct xprograms *progs,
				      const struct xbuf *x, const struct xbuf *y)
{
	struct uguest_cmd_binding b[2] = AXPY_BINDINGS(x, y);

	/* Beyond caps max_binding_size (a multiple of 4, so only the limit is wrong). */
	b[1].size = ((uint64_t)p->max_binding_size + 4) & ~3ull;
	return axpy_with(p, progs->axpy, "main", 4, 1, 1, b, 2, 8);
}

static uint32_t bad_binding_flags(struct xproc *p, const struct xprograms *progs,
				  const struct xbuf *x, const struct xbuf *y)
{
	struct uguest_cmd_binding b[2] = AXPY_BINDINGS(x, y);

	b[1].flags = 0x2;
	return axpy_with(p, progs->axpy, "main", 4, 1, 1, b, 2, 8);
}

static uint32_t bad_binding_count(struct xproc *p, const struct xprograms *progs,
				  const struct xbuf *x, const struct xbuf *y)
{
	struct uguest_cmd_binding b[OPENDXG_CMD_MAX_BINDINGS + 1];

	for (uint32_t i = 0; i <= OPENDXG_CMD_MAX_BINDINGS; i++)
		b[i] = (struct uguest_cmd_binding){ .va = y->va, .size = 4, .binding = i };
	(void)x;
	return axpy_with(p, progs->axpy, "main", 4, 1, 1, b, OPENDXG_CMD_MAX_BINDINGS + 1, 8);
}

static uint32_t bad_push_unaligned(struct xproc *p, const struct xprograms *progs,
				   const struct xbuf *x, const struct xbuf *y)
{
	const struct uguest_cmd_binding b[2] = AXPY_BINDINGS(x, y);

	return axpy_with(p, progs->axpy, "main", 4, 1, 1, b, 2, 6);
}

static uint32_t bad_push_too_large(struct xproc *p, const struct xprograms *progs,
				   const struct xbuf *x, const struct xbuf *y)
{
	const struct uguest_cmd_binding b[2] = AXPY_BINDINGS(x, y);

	return axpy_with(p, progs->axpy, "main", 4, 1, 1, b, 2,
			 OPENDXG_CMD_MAX_PUSH_CONSTANTS + 8);
}

static const struct bad_case bad_cases[] = {
	{ "bad magic", bad_magic },
	{ "major version", bad_major },
	{ "header size", bad_header_size },
	{ "packet count", bad_packet_count },
	{ "zero packets, bytes left", bad_zero_packets_with_bytes },
	{ "truncated packet", bad_truncated },
	{ "packet size not a multiple of 8", bad_packet_size_unaligned },
	{ "packet size 0", bad_packet_size_zero },
	{ "unknown packet type", bad_packet_type },
	{ "packet flags", bad_packet_flags },
	{ "fill reserved", bad_fill_reserved },
	{ "fill unaligned", bad_fill_unaligned },
	{ "copy of 0 bytes", bad_copy_empty },
	{ "copy overlapping", bad_copy_overlap },
	{ "timestamp unaligned", bad_timestamp_unaligned },
	{ "group count product", bad_groups_product },
	{ "group count beyond the limit", bad_groups_dimension },
	{ "program 0", bad_program_zero },
	{ "program is not a program", bad_program_not_program },
	{ "another process's program", bad_program_foreign },
	{ "destroyed program", bad_program_destroyed },
	{ "entry point missing", bad_entry_missing },
	{ "entry point not terminated", bad_entry_unterminated },
	{ "binding missing", bad_binding_missing },
	{ "binding the module lacks", bad_binding_extra },
	{ "binding twice", bad_binding_duplicate },
	{ "binding index 16", bad_binding_index },
	{ "binding unaligned", bad_binding_unaligned },
	{ "binding size not a multiple of 4", bad_binding_size },
	{ "binding size 0", bad_binding_size_zero },
	{ "binding beyond max_binding_size", bad_binding_too_large },
	{ "binding flags", bad_binding_flags },
	{ "17 bindings", bad_binding_count },
	{ "push constants not a multiple of 4", bad_push_unaligned },
	{ "push constants beyond 128 bytes", bad_push_too_large },
};

static void test_malformed_buffers(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		struct xproc off;
		struct xprograms progs;
		struct xbuf x, y;
		struct uguest_sync_object f, pending;
		struct uguest_device_state ds;
		uint64_t one = 1;
		uint32_t len, good_len;

		print_message("case: %s\n", bad_cases[i].name);
		xproc_open(guests[0], "offender", &off);
		xprograms(&off, &progs);
		xbuf_create(&off, OPENDXG_ALLOC_KIND_HOST_VISIBLE, 16 * KiB,
			    D3DDDIGPUVA_PROTECTION_WRITE, &x);
		xbuf_create(&off, OPENDXG_ALLOC_KIND_HOST_VISIBLE, 16 * KiB,
			    D3DDDIGPUVA_PROTECTION_WRITE, &y);
		/* A signal queued behind a wait, so the break finds pending work to drop. */
		assert_int_equal(uguest_create_fence(off.g, off.process, off.device, 0, &f), 0);
		assert_int_equal(uguest_create_fence(off.g, off.process, off.device, 0, &pending),
				 0);
		assert_int_equal(uguest_wait_on_queue(off.g, off.process, off.context, &f.handle,
						      &one, 1), 0);
		assert_int_equal(uguest_signal_on_queue(off.g, off.process, 0, &off.context, 1,
							&pending.handle, &one, 1), 0);

		len = bad_cases[i].build(&off, &progs, &x, &y);
		assert_int_equal(xsubmit(&off, off.context, len, 0), -EINVAL);
		assert_int_equal(uguest_get_device_state(off.g, off.process, off.device,
							 D3DKMT_DEVICESTATE_EXECUTION, &ds), 0);
		assert_int_equal(ds.execution_state, D3DKMT_DEVICEEXECUTION_ERROR_DMAFAULT);
		assert_int_equal(ds.broken_context, off.context);
		assert_int_equal(uguest_wait_fence(off.g, pending.fence_offset, UINT64_MAX), 0);
		/* Broken for good: a valid buffer, a signal and a wait are -ENODEV. */
		good_len = good_axpy(&off, &progs, &x, &y);
		assert_int_equal(xsubmit(&off, off.context, good_len, 0), -ENODEV);
		assert_int_equal(uguest_signal_on_queue(off.g, off.process, 0, &off.context, 1,
							&f.handle, &one, 1), -ENODEV);
		assert_int_equal(uguest_wait_on_queue(off.g, off.process, off.context, &f.handle,
						      &one, 1), -ENODEV);
		/* Only the offender's context: its other contexts and everybody else compute. */
		others_compute(&off, &progs, xcontext(&off, 0));
		xrun_hw(&off, good_axpy(&off, &progs, &x, &y));
		xproc_close(&off);
		expect_baseline(0);
	}
	expect_baseline(1);
}

/* SUBMIT of a buffer that is not in a readable host-visible mapping, or of a bad length. */
static void test_submit_source(void **state)
{
	struct xproc off;
	struct xprograms progs;
	struct xbuf dl, hv;
	struct uguest_cmdbuf cb;
	uint32_t len;

	(void)state;
	xproc_open(guests[0], "source", &off);
	xprograms(&off, &progs);
	xbuf_create(&off, OPENDXG_ALLOC_KIND_DEVICE_LOCAL, 4 * KiB, D3DDDIGPUVA_PROTECTION_WRITE,
		    &dl);
	xbuf_create(&off, OPENDXG_ALLOC_KIND_HOST_VISIBLE, 4 * KiB, D3DDDIGPUVA_PROTECTION_WRITE,
		    &hv);
	xcmd_begin(&off, &cb);
	uguest_cmd_fill(&cb, hv.va, 4 * KiB, 7);
	len = xcmd_end(&cb);
	/* Unmapped, device-local, running past the mapping, lengths out of range. */
	assert_int_equal(uguest_submit(off.g, off.process, xcontext(&off, 0), 0, NEVER_MAPPED_VA,
				       len, 0), -EINVAL);
	assert_int_equal(uguest_submit(off.g, off.process, xcontext(&off, 0), 0, dl.va, len, 0),
			 -EINVAL);
	assert_int_equal(uguest_submit(off.g, off.process, xcontext(&off, 0), 0,
				       off.cmd.va + XCMD_BYTES - 8, len, 0), -EINVAL);
	assert_int_equal(xsubmit(&off, xcontext(&off, 0), 8, 0), -EINVAL);
	assert_int_equal(xsubmit(&off, xcontext(&off, 0), OPENDXG_CMD_MAX_SIZE + 8, 0), -EINVAL);
	/* Unknown submit flags; a queue of another process; not a queue. */
	assert_int_equal(uguest_submit(off.g, off.process, xcontext(&off, 0), 0x80000000u,
				       off.cmd.va, len, 0), -EINVAL);
	assert_int_equal(xsubmit(&off, by[0].context, len, 0), -EINVAL);
	assert_int_equal(xsubmit(&off, off.device, len, 0), -EINVAL);
	others_compute(&off, &progs, off.context);
	xproc_close(&off);
	expect_baseline(0);
}

/* ---- faults when a buffer runs ---- */

enum fault_kind {
	FAULT_NEVER_MAPPED,
	FAULT_PARTLY_MAPPED,
	FAULT_FOREIGN_VA,
	FAULT_WRITE_READ_ONLY,
	FAULT_COPY_TO_READ_ONLY,
	FAULT_FREED_WHILE_QUEUED,
};

static const char *const fault_names[] = {
	"never mapped", "partly mapped", "another process's address",
	"dispatch writes a read-only mapping", "copy into a read-only mapping",
	"allocation freed while queued",
};

static void run_fault_case(enum fault_kind kind)
{
	const uint32_t n = 256;
	struct xproc off;
	struct xprograms progs;
	struct xbuf x, y, ro, victim;
	struct uguest_cmdbuf cb;
	struct uguest_sync_object pending, f;
	struct uguest_device_state ds;
	uint64_t one = 1, expect_va = 0, victim_va = 0, partial_va = 0;
	uint32_t expect_flags = 0, len;
	uint32_t *victim_words = NULL;

	print_message("fault: %s\n", fault_names[kind]);
	xproc_open(guests[0], "faulter", &off);
	xprograms(&off, &progs);
	xbuf_create(&off, OPENDXG_ALLOC_KIND_HOST_VISIBLE, 4 * KiB, D3DDDIGPUVA_PROTECTION_WRITE,
		    &x);
	xbuf_create(&off, OPENDXG_ALLOC_KIND_HOST_VISIBLE, 4 * KiB, D3DDDIGPUVA_PROTECTION_WRITE,
		    &y);
	xbuf_create(&off, OPENDXG_ALLOC_KIND_HOST_VISIBLE, 4 * KiB, 0, &ro);
	assert_int_equal(uguest_create_fence(off.g, off.process, off.device, 0, &pending), 0);
	assert_int_equal(uguest_create_fence(off.g, off.process, off.device, 0, &f), 0);
	if (kind == FAULT_FOREIGN_VA) {
		/* The bystander maps a buffer high up, where the offender has nothing. */
		struct uguest_map_gpu_va m = {
			.paging_queue = by[0].pq.paging_queue,
			.size_in_pages = 1,
			.minimum_address = VICTIM_WINDOW,
			.maximum_address = VICTIM_WINDOW + 0x100000000ull,
			.protection = D3DDDIGPUVA_PROTECTION_WRITE,
		};
		uint64_t fence;

		xbuf_create(&by[0], OPENDXG_ALLOC_KIND_HOST_VISIBLE, 4 * KiB,
			    D3DDDIGPUVA_PROTECTION_WRITE, &victim);
		m.allocation = victim.allocation;
		assert_int_equal(uguest_map_gpu_va(by[0].g, by[0].process, &m, &victim_va, &fence),
				 0);
		assert_int_equal(uguest_wait_fence(by[0].g, by[0].pq.fence_offset, fence), 0);
		victim_words = victim.cpu;
		for (uint32_t i = 0; i < n; i++)
			victim_words[i] = 1000 + i;
	}

	/* Sequence 1: a good buffer. */
	xcmd_begin(&off, &cb);
	xcmd_axpy(&cb, &progs, &x, &y, n, 1);
	xrun_hw(&off, xcmd_end(&cb));

	/* Sequence 2: a FILL (packet at 16), then the faulting packet at 48. */
	xcmd_begin(&off, &cb);
	uguest_cmd_fill(&cb, y.va, 64, 5);
	switch (kind) {
	case FAULT_NEVER_MAPPED: {
		const struct uguest_cmd_binding b[2] = {
			{ .va = NEVER_MAPPED_VA, .size = n * 4, .binding = 0,
			  .flags = OPENDXG_BINDING_READ_ONLY },
			{ .va = y.va, .size = n * 4, .binding = 1 },
		};
		const struct axpy_push push = { htole32(2), htole32(n) };

		uguest_cmd_dispatch(&cb, progs.axpy, "main", n / AXPY_LOCAL_SIZE, 1, 1, b, 2, &push,
				    sizeof(push));
		expect_va = NEVER_MAPPED_VA;
		expect_flags = DXGW_FAULT_NOT_MAPPED;
		break;
	}
	case FAULT_PARTLY_MAPPED: {
		/* Two reserved pages, the first mapped: the binding runs 4 KiB past the mapping. */
		const struct uguest_reserve_gpu_va r = { .adapter = off.adapter, .size = 8 * KiB };
		struct uguest_map_gpu_va m = {
			.paging_queue = off.pq.paging_queue, .allocation = y.allocation,
			.size_in_pages = 1, .protection = D3DDDIGPUVA_PROTECTION_WRITE,
		};
		uint64_t fence;

		assert_int_equal(uguest_reserve_gpu_va(off.g, off.process, &r, &partial_va, NULL),
				 0);
		m.base_address = partial_va;
		assert_int_equal(uguest_map_gpu_va(off.g, off.process, &m, &partial_va, &fence), 0);
		assert_int_equal(uguest_wait_fence(off.g, off.pq.fence_offset, fence), 0);
		const struct uguest_cmd_binding b[2] = {
			{ .va = x.va, .size = n * 4, .binding = 0,
			  .flags = OPENDXG_BINDING_READ_ONLY },
			{ .va = partial_va, .size = 8 * KiB, .binding = 1 },
		};
		const struct axpy_push push = { htole32(2), htole32(n) };

		uguest_cmd_dispatch(&cb, progs.axpy, "main", n / AXPY_LOCAL_SIZE, 1, 1, b, 2, &push,
				    sizeof(push));
		expect_va = 0;	/* somewhere in the unmapped page: checked below */
		expect_flags = DXGW_FAULT_NOT_MAPPED | DXGW_FAULT_WRITE;
		break;
	}
	case FAULT_FOREIGN_VA: {
		const struct uguest_cmd_binding b[2] = {
			{ .va = x.va, .size = n * 4, .binding = 0,
			  .flags = OPENDXG_BINDING_READ_ONLY },
			{ .va = victim_va, .size = n * 4, .binding = 1 },
		};
		const struct axpy_push push = { htole32(2), htole32(n) };

		uguest_cmd_dispatch(&cb, progs.axpy, "main", n / AXPY_LOCAL_SIZE, 1, 1, b, 2, &push,
				    sizeof(push));
		expect_va = victim_va;
		expect_flags = DXGW_FAULT_NOT_MAPPED | DXGW_FAULT_WRITE;
		break;
	}
	case FAULT_WRITE_READ_ONLY:
		xcmd_axpy(&cb, &progs, &x, &ro, n, 2);
		expect_va = ro.va;
		expect_flags = DXGW_FAULT_WRITE;
		break;
	case FAULT_COPY_TO_READ_ONLY:
		uguest_cmd_copy(&cb, x.va, ro.va + 64, 128);
		expect_va = ro.va + 64;
		expect_flags = DXGW_FAULT_WRITE;
		break;
	case FAULT_FREED_WHILE_QUEUED:
		uguest_cmd_fill(&cb, x.va, 4 * KiB, 9);
		expect_va = x.va;
		expect_flags = DXGW_FAULT_NOT_MAPPED | DXGW_FAULT_WRITE;
		break;
	}
	len = xcmd_end(&cb);
	/* Held by a wait, so it is still queued (not yet translated) when the next steps happen. */
	assert_int_equal(uguest_wait_on_queue(off.g, off.process, off.hw.queue, &f.handle, &one, 1),
			 0);
	/* Translation happens when the buffer runs: SUBMIT accepts it. */
	assert_int_equal(xsubmit(&off, off.hw.queue, len, 2), 0);
	assert_int_equal(uguest_signal_on_queue(off.g, off.process, 0, &off.hw.queue, 1,
						&pending.handle, &one, 1), 0);
	if (kind == FAULT_FREED_WHILE_QUEUED)
		xbuf_destroy(&off, &x);
	assert_int_equal(uguest_signal_from_cpu(off.g, off.process, off.device, 0, &f.handle, &one,
						1), 0);
	assert_int_equal(uguest_wait_fence(off.g, off.hw.fence_offset, UINT64_MAX), 0);
	assert_int_equal(uguest_wait_fence(off.g, pending.fence_offset, UINT64_MAX), 0);

	assert_int_equal(uguest_get_device_state(off.g, off.process, off.device,
						 D3DKMT_DEVICESTATE_EXECUTION, &ds), 0);
	assert_int_equal(ds.execution_state, D3DKMT_DEVICEEXECUTION_ERROR_DMAPAGEFAULT);
	assert_int_equal(ds.broken_context, off.hw_context);
	assert_int_equal(uguest_get_device_state(off.g, off.process, off.device,
						 D3DKMT_DEVICESTATE_PAGE_FAULT, &ds), 0);
	print_message("  fault_va %#llx flags %#x packet %u sequence %llu\n",
		      (unsigned long long)ds.fault_va, ds.fault_flags, ds.fault_packet,
		      (unsigned long long)ds.fault_sequence);
	/*
	 * A range that translates only in part: dxgd reports the operand's address (the range
	 * is translated as a whole); an address in the unmapped page would say the same.
	 */
	if (kind == FAULT_PARTLY_MAPPED)
		assert_true(ds.fault_va == partial_va ||
			    (ds.fault_va >= partial_va + 4 * KiB &&
			     ds.fault_va < partial_va + 8 * KiB));
	else
		assert_true(ds.fault_va == expect_va);
	assert_int_equal(ds.fault_flags, expect_flags);
	assert_int_equal(ds.fault_packet, OPENDXG_CMD_HEADER_SIZE + sizeof(struct opendxg_cmd_fill));
	assert_true(ds.fault_sequence == 2);
	assert_int_equal(ds.broken_context, off.hw_context);
	/* The next SUBMIT on the broken queue, or its context's, is -ENODEV. */
	xcmd_begin(&off, &cb);
	assert_int_equal(xsubmit(&off, off.hw.queue, xcmd_end(&cb), 3), -ENODEV);
	/* Nothing of the faulting buffer reached the victim. */
	if (victim_words) {
		for (uint32_t i = 0; i < n; i++)
			assert_int_equal(victim_words[i], 1000 + i);
		assert_int_equal(uguest_free_gpu_va(by[0].g, by[0].process, by[0].adapter,
						    victim_va, 4 * KiB), 0);
		xbuf_destroy(&by[0], &victim);
	}
	others_compute(&off, &progs, off.context);
	xproc_close(&off);
}

static void test_runtime_faults(void **state)
{
	(void)state;
	for (int k = FAULT_NEVER_MAPPED; k <= FAULT_FREED_WHILE_QUEUED; k++) {
		run_fault_case((enum fault_kind)k);
		expect_baseline(0);
	}
	expect_baseline(1);
}

/* ---- teardown with work ---- */

/*
 * Says whether the context's job was still running when the test went on (for the log only:
 * whether it was is a matter of timing, and the test holds either way).
 */
static void report_in_flight(struct xproc *p)
{
	const struct uguest_escape_args args = {
		.adapter = p->adapter, .device = p->device, .context = p->context,
		.type = D3DKMT_ESCAPE_DRIVERPRIVATE,
	};
	struct opendxg_escape_context_stats st;

	memset(&st, 0, sizeof(st));
	st.hdr.code = htole32(OPENDXG_ESCAPE_CONTEXT_STATS);
	st.hdr.size = htole32(sizeof(st));
	assert_int_equal(uguest_escape(p->g, p->process, &args, &st, sizeof(st)), 0);
	print_message("  destroyed with %llu of %llu buffers of the context completed\n",
		      (unsigned long long)le64toh(st.completed),
		      (unsigned long long)le64toh(st.submitted));
}

/*
 * A process destroyed with work queued (a hardware queue held by a fence nobody signals, three
 * buffers behind it) and in flight (a long dispatch on its context, writing host-visible
 * memory): nothing is left behind, and the pages it was writing come to the next tenant zeroed.
 */
static void test_destroy_process_with_work(void **state)
{
	const uint32_t n = 64 * KiB;
	struct xproc p;
	struct xprograms progs;
	struct xbuf big, small;
	struct uguest_cmdbuf cb;
	struct uguest_sync_object never;
	uint64_t one = 1;
	uint32_t len;

	(void)state;
	xproc_open(guests[0], "doomed", &p);
	xprograms(&p, &progs);
	xbuf_create(&p, OPENDXG_ALLOC_KIND_HOST_VISIBLE, n * 4, D3DDDIGPUVA_PROTECTION_WRITE, &big);
	xbuf_create(&p, OPENDXG_ALLOC_KIND_DEVICE_LOCAL, 4 * KiB, D3DDDIGPUVA_PROTECTION_WRITE,
		    &small);
	memset(big.cpu, 0x5a, n * 4);
	assert_int_equal(uguest_create_fence(p.g, p.process, p.device, 0, &never), 0);
	assert_int_equal(uguest_wait_on_queue(p.g, p.process, p.hw.queue, &never.handle, &one, 1),
			 0);
	xcmd_begin(&p, &cb);
	uguest_cmd_fill(&cb, small.va, 4 * KiB, 1);
	len = xcmd_end(&cb);
	for (uint64_t v = 1; v <= 3; v++)
		assert_int_equal(xsubmit(&p, p.hw.queue, len, v), 0);
	/* In flight: long enough that the destroy below finds it running. */
	xcmd_begin(&p, &cb);
	xcmd_lcg(&cb, &progs, &big, n, 3000);
	assert_int_equal(xsubmit(&p, p.context, xcmd_end(&cb), 0), 0);
	report_in_flight(&p);
	xproc_close(&p);
	expect_baseline(0);

	/* The heap pages the dispatch wrote are the next tenant's, zeroed. */
	{
		struct xbuf fresh;
		const uint32_t *w;

		xbuf_create(&by[0], OPENDXG_ALLOC_KIND_HOST_VISIBLE, n * 4,
			    D3DDDIGPUVA_PROTECTION_WRITE, &fresh);
		w = fresh.cpu;
		for (uint32_t i = 0; i < n; i++)
			assert_int_equal(w[i], 0);
		xbuf_destroy(&by[0], &fresh);
	}
	others_compute(NULL, NULL, 0);
	expect_baseline(0);
	expect_baseline(1);
}

/* DESTROY_CONTEXT with a dispatch in flight and buffers queued on its hardware queues. */
static void test_destroy_context_with_work(void **state)
{
	struct xproc p;
	struct xprograms progs;
	struct xbuf big, small;
	struct uguest_cmdbuf cb;
	struct uguest_sync_object never, after;
	uint64_t one = 1;
	uint32_t len;

	(void)state;
	xproc_open(guests[0], "ctxdoomed", &p);
	xprograms(&p, &progs);
	xbuf_create(&p, OPENDXG_ALLOC_KIND_DEVICE_LOCAL, 256 * KiB, D3DDDIGPUVA_PROTECTION_WRITE,
		    &big);
	xbuf_create(&p, OPENDXG_ALLOC_KIND_HOST_VISIBLE, 4 * KiB, D3DDDIGPUVA_PROTECTION_WRITE,
		    &small);
	assert_int_equal(uguest_create_fence(p.g, p.process, p.device, 0, &never), 0);
	assert_int_equal(uguest_create_fence(p.g, p.process, p.device, 0, &after), 0);
	/* In flight on the hardware queue, then work held behind a wait. */
	xcmd_begin(&p, &cb);
	xcmd_lcg(&cb, &progs, &big, 64 * KiB, 3000);
	assert_int_equal(xsubmit(&p, p.hw.queue, xcmd_end(&cb), ++p.hw_value), 0);
	assert_int_equal(uguest_wait_on_queue(p.g, p.process, p.hw.queue, &never.handle, &one, 1),
			 0);
	xcmd_begin(&p, &cb);
	uguest_cmd_fill(&cb, small.va, 4 * KiB, 0xdead);
	len = xcmd_end(&cb);
	assert_int_equal(xsubmit(&p, p.hw.queue, len, ++p.hw_value), 0);
	assert_int_equal(uguest_signal_on_queue(p.g, p.process, 0, &p.hw.queue, 1, &after.handle,
						&one, 1), 0);
	assert_int_equal(uguest_destroy_context(p.g, p.process, p.hw_context), 0);
	/* The queue went with its context; the queued fill and signal never happen. */
	assert_int_equal(xsubmit(&p, p.hw.queue, len, ++p.hw_value), -EINVAL);
	assert_int_equal(uguest_signal_from_cpu(p.g, p.process, p.device, 0, &never.handle, &one,
						1), 0);
	xdrain(&p, p.context);
	assert_true(uguest_fence_value(p.g, after.fence_offset) == 0);
	for (uint32_t i = 0; i < KiB; i++)
		assert_int_equal(((const uint32_t *)small.cpu)[i], 0);
	/* The process's other context goes on. */
	xcheck_axpy(&p, &progs, 500, 3);
	xproc_close(&p);
	expect_baseline(0);
	others_compute(NULL, NULL, 0);
}

/* A guest that disconnects with work in flight: its VM restarts clean, the others go on. */
static void test_guest_disconnect_midflight(void **state)
{
	struct uguest *g2 = guests[2];
	struct uguest_options opt = { .min_generation = uguest_generation(g2) + 1 };
	struct xproc p;
	struct xprograms progs;
	struct xbuf big;
	struct uguest_cmdbuf cb;

	(void)state;
	xproc_open(g2, "leaver", &p);
	xprograms(&p, &progs);
	xbuf_create(&p, OPENDXG_ALLOC_KIND_HOST_VISIBLE, 256 * KiB, D3DDDIGPUVA_PROTECTION_WRITE,
		    &big);
	xcmd_begin(&p, &cb);
	xcmd_lcg(&cb, &progs, &big, 64 * KiB, 3000);
	assert_int_equal(xsubmit(&p, p.context, xcmd_end(&cb), 0), 0);
	xcmd_begin(&p, &cb);
	xcmd_lcg(&cb, &progs, &big, 64 * KiB, 3000);
	assert_int_equal(xsubmit(&p, p.hw.queue, xcmd_end(&cb), 1), 0);
	uguest_close(g2);
	guests[2] = NULL;
	assert_int_equal(harness_connect(&harness_dxgd, 2, &opt, &guests[2]), 0);
	assert_int_equal(harness_open_first_adapter(guests[2], "observer", &observer[2],
						    &adapter[2]), 0);
	xproc_open(guests[2], "rejoined", &p);
	xprograms(&p, &progs);
	xcheck_axpy(&p, &progs, 1000, 21);
	xproc_close(&p);
	others_compute(NULL, NULL, 0);
	expect_baseline(0);
	expect_baseline(1);
}

/* ---- many submitters at once ---- */

#define SUBMITTER_PROCS 2
#define SUBMITTER_BUFFERS 24
#define SUBMITTER_N 2048u

struct submitter {
	struct uguest *g;
	unsigned vm;
	int failed_line;		/* 0: all results matched */
	int error;
};

#define TRY(expr) \
	do { \
		int ret_ = (expr); \
		if (ret_ < 0) { \
			s->failed_line = __LINE__; \
			s->error = ret_; \
			return; \
		} \
	} while (0)

struct sproc {
	uint32_t process, device, context, hw_context, program;
	struct uguest_hw_queue hw;
	struct uguest_paging_queue pq;
	struct uguest_sync_object done;
	uint32_t x_alloc, y_alloc, cmd_alloc;
	uint64_t x_va, y_va, cmd_va;
	uint32_t *x, *y;
	unsigned char *cmd;
};

static int lock_ptr(struct uguest *g, uint32_t process, uint32_t device, uint32_t alloc,
		    void **out)
{
	struct uguest_lock l;
	int ret = uguest_lock(g, process, device, alloc, &l);

	if (ret)
		return ret;
	*out = uguest_lock_ptr(g, &l);
	return *out ? 0 : -EPROTO;
}

static void sproc_open(struct submitter *s, struct sproc *p, uint32_t adapter_handle,
		       unsigned index)
{
	struct uguest *g = s->g;
	struct uguest_context_args ctx = { 0 };
	struct uguest_alloc_desc prog = { .kind = OPENDXG_ALLOC_KIND_PROGRAM };
	struct uguest_create_allocation_args args = { .descs = &prog, .count = 1 };
	struct uguest_alloc_result res;
	void *ptr;

	prog.code = xaxpy_spirv(&prog.code_size);
	prog.size = prog.code_size;
	TRY(uguest_create_process(g, 100 + index, "submitter", &p->process));
	TRY(uguest_open_adapter(g, p->process, adapter_handle));
	TRY(uguest_create_device(g, p->process, adapter_handle, 0, &p->device));
	ctx.device = p->device;
	TRY(uguest_create_context(g, p->process, &ctx, &p->context));
	ctx.flags = D3DDDI_CREATECONTEXT_FLAG_HW_QUEUE_SUPPORTED;
	TRY(uguest_create_context(g, p->process, &ctx, &p->hw_context));
	TRY(uguest_create_hw_queue(g, p->process, p->hw_context, 0, NULL, 0, &p->hw));
	TRY(uguest_create_paging_queue(g, p->process, p->device, 0, &p->pq));
	TRY(uguest_create_fence(g, p->process, p->device, 0, &p->done));
	args.device = p->device;
	TRY(uguest_create_allocation(g, p->process, &args, NULL, &res));
	p->program = res.allocation;
	TRY(uguest_alloc(g, p->process, p->device, OPENDXG_ALLOC_KIND_HOST_VISIBLE,
			 SUBMITTER_N * 4, &p->x_alloc));
	TRY(uguest_alloc(g, p->process, p->device, OPENDXG_ALLOC_KIND_HOST_VISIBLE,
			 (uint64_t)SUBMITTER_BUFFERS * SUBMITTER_N * 4, &p->y_alloc));
	TRY(uguest_alloc(g, p->process, p->device, OPENDXG_ALLOC_KIND_HOST_VISIBLE, XCMD_BYTES,
			 &p->cmd_alloc));
	TRY(uguest_map_allocation(g, p->process, &p->pq, p->x_alloc, SUBMITTER_N * 4, 0,
				  &p->x_va));
	TRY(uguest_map_allocation(g, p->process, &p->pq, p->y_alloc,
				  (uint64_t)SUBMITTER_BUFFERS * SUBMITTER_N * 4,
				  D3DDDIGPUVA_PROTECTION_WRITE, &p->y_va));
	TRY(uguest_map_allocation(g, p->process, &p->pq, p->cmd_alloc, XCMD_BYTES, 0,
				  &p->cmd_va));
	TRY(lock_ptr(g, p->process, p->device, p->x_alloc, &ptr));
	p->x = ptr;
	TRY(lock_ptr(g, p->process, p->device, p->y_alloc, &ptr));
	p->y = ptr;
	TRY(lock_ptr(g, p->process, p->device, p->cmd_alloc, &ptr));
	p->cmd = ptr;
	for (uint32_t i = 0; i < SUBMITTER_N; i++)
		p->x[i] = i * 3u + index + s->vm * 7u;
	for (uint32_t i = 0; i < SUBMITTER_BUFFERS * SUBMITTER_N; i++)
		p->y[i] = i;
}

/* Buffer k of process `pi`: axpy with a = k + 1 on slice k, alternately on the two queues. */
static void submitter_run(struct submitter *s)
{
	struct uguest_adapter adapters[DXGW_MAX_ADAPTERS];
	struct sproc procs[SUBMITTER_PROCS];
	uint32_t count;
	uint64_t hw_values[SUBMITTER_PROCS] = { 0 };

	memset(procs, 0, sizeof(procs));
	TRY(uguest_enum_adapters(s->g, adapters, DXGW_MAX_ADAPTERS, &count));
	for (unsigned pi = 0; pi < SUBMITTER_PROCS; pi++) {
		sproc_open(s, &procs[pi], adapters[0].handle, pi);
		if (s->failed_line)
			return;
	}
	for (uint32_t k = 0; k < SUBMITTER_BUFFERS; k++) {
		for (unsigned pi = 0; pi < SUBMITTER_PROCS; pi++) {
			struct sproc *p = &procs[pi];
			const struct uguest_cmd_binding b[2] = {
				{ .va = p->x_va, .size = SUBMITTER_N * 4, .binding = 0,
				  .flags = OPENDXG_BINDING_READ_ONLY },
				{ .va = p->y_va + (uint64_t)k * SUBMITTER_N * 4,
				  .size = SUBMITTER_N * 4, .binding = 1 },
			};
			const struct axpy_push push = { htole32(k + 1), htole32(SUBMITTER_N) };
			struct uguest_cmdbuf cb;
			int len;

			uguest_cmd_init(&cb, p->cmd, XCMD_BYTES);
			uguest_cmd_dispatch(&cb, p->program, "main",
					    SUBMITTER_N / AXPY_LOCAL_SIZE, 1, 1, b, 2, &push,
					    sizeof(push));
			len = uguest_cmd_finish(&cb);
			TRY(len);
			if (k % 2)
				TRY(uguest_submit(s->g, p->process, p->hw.queue, 0, p->cmd_va,
						  (uint32_t)len, ++hw_values[pi]));
			else
				TRY(uguest_submit(s->g, p->process, p->context, 0, p->cmd_va,
						  (uint32_t)len, 0));
		}
	}
	for (unsigned pi = 0; pi < SUBMITTER_PROCS; pi++) {
		struct sproc *p = &procs[pi];
		uint64_t one = 1;

		TRY(uguest_signal_on_queue(s->g, p->process, 0, &p->context, 1, &p->done.handle,
					   &one, 1));
		TRY(uguest_wait_fence(s->g, p->done.fence_offset, 1));
		TRY(uguest_wait_fence(s->g, p->hw.fence_offset, hw_values[pi]));
		for (uint32_t k = 0; k < SUBMITTER_BUFFERS; k++) {
			for (uint32_t i = 0; i < SUBMITTER_N; i++) {
				uint32_t at = k * SUBMITTER_N + i;

				if (p->y[at] != (k + 1) * p->x[i] + at) {
					s->failed_line = __LINE__;
					return;
				}
			}
		}
		TRY(uguest_destroy_process(s->g, p->process));
	}
}

static void *submitter_thread(void *arg)
{
	submitter_run(arg);
	return NULL;
}

static void test_many_submitters(void **state)
{
	struct submitter s[VMS];
	pthread_t threads[VMS];

	(void)state;
	for (unsigned vm = 0; vm < VMS; vm++) {
		s[vm] = (struct submitter){ .g = guests[vm], .vm = vm };
		assert_int_equal(pthread_create(&threads[vm], NULL, submitter_thread, &s[vm]), 0);
	}
	for (unsigned vm = 0; vm < VMS; vm++) {
		assert_int_equal(pthread_join(threads[vm], NULL), 0);
		if (s[vm].failed_line)
			print_error("vm%u: failed at line %d (%d)\n", vm, s[vm].failed_line,
				    s[vm].error);
	}
	for (unsigned vm = 0; vm < VMS; vm++)
		assert_int_equal(s[vm].failed_line, 0);
	others_compute(NULL, NULL, 0);
	for (unsigned vm = 0; vm < VMS; vm++)
		expect_baseline(vm);
}

static void test_shutdown(void **state)
{
	(void)state;
	for (unsigned vm = 0; vm < VMS; vm++) {
		free(baseline_counters[vm]);
		baseline_counters[vm] = NULL;
	}
	harness_shutdown(guests, VMS);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_malformed_buffers, test_setup),
		cmocka_unit_test_setup(test_submit_source, test_setup),
		cmocka_unit_test_setup(test_runtime_faults, test_setup),
		cmocka_unit_test_setup(test_destroy_process_with_work, test_setup),
		cmocka_unit_test_setup(test_destroy_context_with_work, test_setup),
		cmocka_unit_test_setup(test_guest_disconnect_midflight, test_setup),
		cmocka_unit_test_setup(test_many_submitters, test_setup),
		cmocka_unit_test(test_shutdown),
	};

	harness_region = "32M";
	return harness_run(argc, argv, "host-exec-hostile", tests,
			   sizeof(tests) / sizeof(tests[0]), VMS);
}
