// SPDX-License-Identifier: MIT
/*
 * dxgcompat-misc: the queries and maintenance calls of WSL's dxgkrnl (0x1f, 0x24, 0x43, 0x48,
 * 0x49), docs/abi.md.
 *
 *   - FLUSHHEAPTRANSITIONS: adapter 0 or unknown -> -EINVAL; a good adapter -> 0 and the
 *     caller's adapter field still holds its own handle (WSL writes the host's handle there;
 *     opendxg keeps handles local)
 *   - INVALIDATECACHE: unknown device or allocation, a range outside the allocation, an
 *     overflowing range -> -EINVAL; a range inside it -> 0
 *   - QUERYSTATISTICS: an unknown LUID -> -EINVAL (WSL returns 0 and copies nothing: opendxg
 *     deviation), an unknown pid -> -EINVAL; ADAPTER (Allocations.Created), PROCESS_ADAPTER
 *     (CommitmentData.BytesBySegmentPreference[0]) and PROCESS_SEGMENT_GROUP NON_LOCAL (Usage)
 *     grow by exactly 1 MiB with a 1 MiB host-visible allocation, and shrink back when it goes;
 *     the process field may name this process's pid
 *   - ENUMPROCESSES: an unknown LUID -> -EINVAL with buffer_count 0; a NULL buffer -> -EOVERFLOW
 *     with the count; a buffer one entry short -> -EOVERFLOW; then the list holds getpid() and a
 *     forked child that opened the adapter, and the child drops out when it exits
 *   - LX_ISFEATUREENABLED: HWSCH enabled and known; PAGE_BASED_MEMORY_MANAGER (32) and
 *     KERNEL_MODE_TESTING (33) known, not enabled; an unknown adapter -> -EINVAL
 */
#include "compat.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Windows result layouts (docs/abi.md, "0x43"): offsets into d3dkmt_querystatistics.result. */
#define ADAPTER_ALLOCATIONS_CREATED_COUNT 0x218u	/* Allocations.Created.Count, u32 */
#define ADAPTER_ALLOCATIONS_CREATED_BYTES 0x220u	/* Allocations.Created.Bytes, u64 */
#define PROCESS_ADAPTER_NB_SEGMENTS 0x0u		/* u32 */
#define PROCESS_ADAPTER_BYTES_BY_PREFERENCE0 0x30u	/* CommitmentData.BytesBySegmentPreference[0] */
#define SEGMENT_GROUP_BUDGET 0x0u
#define SEGMENT_GROUP_USAGE 0x10u
/* The Windows query union after the result: PROCESS_SEGMENT_GROUP's group is its first u32. */
#define QUERY_UNION_OFFSET 0x320u

#define UNKNOWN_HANDLE ((struct d3dkmthandle){ 0x7fffffc0u })
#define ALLOC_SIZE (1u * 1024u * 1024u)
#define MAX_PROCESSES 64u

struct state {
	int fd;
	struct d3dkmthandle adapter, device;
	struct winluid luid;
};

static uint32_t get32(const struct d3dkmt_querystatistics *q, size_t offset)
{
	uint32_t v;

	memcpy(&v, q->result + offset, sizeof(v));
	return v;
}

static uint64_t get64(const struct d3dkmt_querystatistics *q, size_t offset)
{
	uint64_t v;

	memcpy(&v, q->result + offset, sizeof(v));
	return v;
}

static int query_statistics(int fd, uint32_t type, struct winluid luid, uint64_t process,
			    uint32_t query, struct d3dkmt_querystatistics *q)
{
	memset(q, 0, sizeof(*q));
	q->type = type;
	q->adapter_luid = luid;
	q->process = process;
	memcpy((uint8_t *)q + QUERY_UNION_OFFSET, &query, sizeof(query));
	return compat_ioctl(fd, LX_DXQUERYSTATISTICS, q);
}

/* The three memory numbers the 1 MiB allocation must move. */
struct memory_numbers {
	uint32_t created_count;
	uint64_t created_bytes;
	uint64_t preferred_bytes;
	uint64_t group_usage;
};

static bool read_numbers(struct state *s, struct memory_numbers *n)
{
	struct d3dkmt_querystatistics q;
	bool ok = true;

	ok &= query_statistics(s->fd, D3DKMT_QUERYSTATISTICS_ADAPTER, s->luid, 0, 0, &q) == 0;
	n->created_count = get32(&q, ADAPTER_ALLOCATIONS_CREATED_COUNT);
	n->created_bytes = get64(&q, ADAPTER_ALLOCATIONS_CREATED_BYTES);
	ok &= query_statistics(s->fd, D3DKMT_QUERYSTATISTICS_PROCESS_ADAPTER, s->luid, 0, 0,
			       &q) == 0;
	n->preferred_bytes = get64(&q, PROCESS_ADAPTER_BYTES_BY_PREFERENCE0);
	ok &= query_statistics(s->fd, D3DKMT_QUERYSTATISTICS_PROCESS_SEGMENT_GROUP, s->luid, 0,
			       D3DKMT_MEMORY_SEGMENT_GROUP_NON_LOCAL, &q) == 0;
	n->group_usage = get64(&q, SEGMENT_GROUP_USAGE);
	return ok;
}

static void check_flush(struct state *s)
{
	struct d3dkmt_flushheaptransitions args = { .adapter = { 0 } };

	tap_diag("FLUSHHEAPTRANSITIONS");
	tap_errno(compat_ioctl(s->fd, LX_DXFLUSHHEAPTRANSITIONS, &args), EINVAL,
		  "adapter 0 -> EINVAL");
	args.adapter = UNKNOWN_HANDLE;
	tap_errno(compat_ioctl(s->fd, LX_DXFLUSHHEAPTRANSITIONS, &args), EINVAL,
		  "an unknown adapter -> EINVAL");
	args.adapter = s->device;
	tap_errno(compat_ioctl(s->fd, LX_DXFLUSHHEAPTRANSITIONS, &args), EINVAL,
		  "a device handle -> EINVAL");
	args.adapter = s->adapter;
	tap_ret0(compat_ioctl(s->fd, LX_DXFLUSHHEAPTRANSITIONS, &args), "a good adapter -> 0");
	tap_ok(args.adapter.v == s->adapter.v,
	       "the adapter field still holds the caller's handle (0x%08x)", args.adapter.v);
}

static int invalidate(struct state *s, struct d3dkmthandle device, struct d3dkmthandle allocation,
		      uint64_t offset, uint64_t length)
{
	struct d3dkmt_invalidatecache args = {
		.device = device,
		.allocation = allocation,
		.offset = offset,
		.length = length,
	};

	return compat_ioctl(s->fd, LX_DXINVALIDATECACHE, &args);
}

static void check_invalidate(struct state *s)
{
	struct d3dkmthandle allocation;

	tap_diag("INVALIDATECACHE");
	if (!tap_ret0(compat_create_host_visible(s->fd, s->device, 64 * 1024, &allocation),
		      "a 64 KiB host-visible allocation"))
		return;
	tap_errno(invalidate(s, (struct d3dkmthandle){ 0 }, allocation, 0, 4096), EINVAL,
		  "device 0 -> EINVAL");
	tap_errno(invalidate(s, UNKNOWN_HANDLE, allocation, 0, 4096), EINVAL,
		  "an unknown device -> EINVAL");
	tap_errno(invalidate(s, s->device, UNKNOWN_HANDLE, 0, 4096), EINVAL,
		  "an unknown allocation -> EINVAL");
	tap_errno(invalidate(s, s->device, s->device, 0, 4096), EINVAL,
		  "the device as allocation -> EINVAL");
	tap_errno(invalidate(s, s->device, allocation, 64 * 1024, 1), EINVAL,
		  "a range starting at the end -> EINVAL");
	tap_errno(invalidate(s, s->device, allocation, 4096, 64 * 1024), EINVAL,
		  "a range running past the end -> EINVAL");
	tap_errno(invalidate(s, s->device, allocation, UINT64_MAX - 10, 4096), EINVAL,
		  "an overflowing range -> EINVAL");
	tap_ret0(invalidate(s, s->device, allocation, 0, 4096), "the first page -> 0");
	tap_ret0(invalidate(s, s->device, allocation, 0, 64 * 1024), "the whole allocation -> 0");
	compat_destroy_allocation(s->fd, s->device, allocation);
}

static void check_statistics(struct state *s)
{
	struct d3dkmt_querystatistics q;
	struct memory_numbers before, during, after;
	struct d3dkmthandle allocation;
	struct winluid unknown = { .a = 0xdead0000u, .b = 0x7eadbeefu };

	tap_diag("QUERYSTATISTICS");
	tap_errno(query_statistics(s->fd, D3DKMT_QUERYSTATISTICS_ADAPTER, unknown, 0, 0, &q),
		  EINVAL, "an unknown LUID -> EINVAL (opendxg; WSL returns 0 with nothing)");
	tap_errno(query_statistics(s->fd, D3DKMT_QUERYSTATISTICS_PROCESS_ADAPTER, s->luid,
				   0x3fffffffu, 0, &q),
		  EINVAL, "an unknown pid -> EINVAL");
	if (tap_ret0(query_statistics(s->fd, D3DKMT_QUERYSTATISTICS_PROCESS_ADAPTER, s->luid,
				      (uint64_t)getpid(), 0, &q),
		     "PROCESS_ADAPTER for our own pid"))
		tap_ok(q.process == 0 && get32(&q, PROCESS_ADAPTER_NB_SEGMENTS) >= 1,
		       "the process field reads 0 afterwards, %u segments",
		       get32(&q, PROCESS_ADAPTER_NB_SEGMENTS));
	if (tap_ret0(query_statistics(s->fd, D3DKMT_QUERYSTATISTICS_ADAPTER, s->luid, 0, 0, &q),
		     "ADAPTER"))
		tap_ok(get32(&q, 0) >= 1 && get32(&q, 4) >= 1 &&
			       q.adapter_luid.a == s->luid.a && q.adapter_luid.b == s->luid.b,
		       "%u segments, %u nodes, the LUID is the guest's", get32(&q, 0),
		       get32(&q, 4));
	if (!tap_ok(read_numbers(s, &before), "the memory numbers before"))
		return;
	if (!tap_ret0(compat_create_host_visible(s->fd, s->device, ALLOC_SIZE, &allocation),
		      "a 1 MiB host-visible allocation"))
		return;
	if (tap_ok(read_numbers(s, &during), "the memory numbers with it")) {
		tap_ok(during.created_count == before.created_count + 1 &&
			       during.created_bytes == before.created_bytes + ALLOC_SIZE,
		       "ADAPTER Allocations.Created: +1 and +1 MiB (%u/%llu -> %u/%llu)",
		       before.created_count, (unsigned long long)before.created_bytes,
		       during.created_count, (unsigned long long)during.created_bytes);
		tap_ok(during.preferred_bytes == before.preferred_bytes + ALLOC_SIZE,
		       "PROCESS_ADAPTER BytesBySegmentPreference[0]: +1 MiB (%llu -> %llu)",
		       (unsigned long long)before.preferred_bytes,
		       (unsigned long long)during.preferred_bytes);
		tap_ok(during.group_usage == before.group_usage + ALLOC_SIZE,
		       "PROCESS_SEGMENT_GROUP NON_LOCAL Usage: +1 MiB (%llu -> %llu)",
		       (unsigned long long)before.group_usage,
		       (unsigned long long)during.group_usage);
	}
	{
		uint64_t usage = 0;

		if (compat_usage(s->fd, s->adapter, D3DKMT_MEMORY_SEGMENT_GROUP_NON_LOCAL,
				 &usage) >= 0)
			tap_ok(usage == during.group_usage,
			       "Usage agrees with QUERYVIDEOMEMORYINFO (%llu)",
			       (unsigned long long)usage);
	}
	tap_ret0(compat_destroy_allocation(s->fd, s->device, allocation), "destroy it");
	if (tap_ok(read_numbers(s, &after), "the memory numbers after"))
		tap_ok(after.created_count == before.created_count &&
			       after.created_bytes == before.created_bytes &&
			       after.preferred_bytes == before.preferred_bytes &&
			       after.group_usage == before.group_usage,
		       "all three are back where they were");
}

static int enum_processes(int fd, struct winluid luid, uint32_t *buffer, uint64_t *count)
{
	struct d3dkmt_enumprocesses args = {
		.adapter_luid = luid,
		.buffer = (uintptr_t)buffer,
		.buffer_count = *count,
	};
	int ret = compat_ioctl(fd, LX_DXENUMPROCESSES, &args);

	*count = args.buffer_count;
	return ret;
}

static bool listed(const uint32_t *pids, uint64_t count, pid_t pid)
{
	for (uint64_t i = 0; i < count; i++) {
		if (pids[i] == (uint32_t)pid)
			return true;
	}
	return false;
}

static void check_enum_processes(struct state *s)
{
	struct winluid unknown = { .a = 0xdead0000u, .b = 0x7eadbeefu };
	uint32_t pids[MAX_PROCESSES];
	uint64_t count;
	int ready[2], done[2];
	char byte = 0;
	pid_t child;

	tap_diag("ENUMPROCESSES");
	count = MAX_PROCESSES;
	tap_errno(enum_processes(s->fd, unknown, pids, &count), EINVAL,
		  "an unknown LUID -> EINVAL");
	tap_ok(count == 0, "... and buffer_count reads 0 (%llu)", (unsigned long long)count);
	count = 0;
	tap_errno(enum_processes(s->fd, s->luid, NULL, &count), EOVERFLOW,
		  "a NULL buffer -> EOVERFLOW");
	tap_ok(count >= 1, "... with the count (%llu)", (unsigned long long)count);

	if (!tap_ok(pipe(ready) == 0 && pipe(done) == 0, "pipes"))
		return;
	child = tap_fork();
	if (child == 0) {
		struct d3dkmthandle adapter;
		int fd = compat_open();

		close(ready[0]);
		close(done[1]);
		tap_ok(fd >= 0 && compat_first_adapter(fd, &adapter, NULL) == 0,
		       "child: opens the adapter");
		compat_write_all(ready[1], &byte, 1);
		compat_read_all(done[0], &byte, 1);
		tap_child_exit();
	}
	close(ready[1]);
	close(done[0]);
	compat_read_all(ready[0], &byte, 1);
	count = 0;
	tap_errno(enum_processes(s->fd, s->luid, NULL, &count), EOVERFLOW,
		  "NULL buffer with the child -> EOVERFLOW");
	if (count >= 2) {
		uint64_t small = count - 1;

		tap_errno(enum_processes(s->fd, s->luid, pids, &small), EOVERFLOW,
			  "a buffer one entry short -> EOVERFLOW");
		tap_ok(small == count, "... with the count %llu (%llu)", (unsigned long long)count,
		       (unsigned long long)small);
	} else {
		tap_ok(false, "the child counts (%llu processes)", (unsigned long long)count);
	}
	count = MAX_PROCESSES;
	if (tap_ret0(enum_processes(s->fd, s->luid, pids, &count), "a big enough buffer -> 0")) {
		tap_ok(listed(pids, count, getpid()), "it lists our pid %d (%llu processes)",
		       (int)getpid(), (unsigned long long)count);
		tap_ok(listed(pids, count, child), "it lists the child's pid %d", (int)child);
	}
	compat_write_all(done[1], &byte, 1);
	tap_wait_child(child, "the child opened the adapter");
	close(ready[0]);
	close(done[1]);
	count = MAX_PROCESSES;
	if (tap_ret0(enum_processes(s->fd, s->luid, pids, &count), "after the child exited"))
		tap_ok(listed(pids, count, getpid()) && !listed(pids, count, child),
		       "we are listed, the child no more");
}

static int feature(int fd, struct d3dkmthandle adapter, uint32_t id,
		   struct dxgk_isfeatureenabled_result *result)
{
	struct d3dkmt_isfeatureenabled args = { .adapter = adapter, .feature_id = id };
	int ret = compat_ioctl(fd, LX_DXISFEATUREENABLED, &args);

	*result = args.result;
	return ret;
}

static void check_features(struct state *s)
{
	struct dxgk_isfeatureenabled_result r;

	tap_diag("LX_ISFEATUREENABLED");
	if (tap_ret0(feature(s->fd, s->adapter, DXGK_FEATURE_HWSCH, &r), "HWSCH"))
		tap_ok((r.value & DXGK_ISFEATUREENABLED_ENABLED) &&
			       (r.value & DXGK_ISFEATUREENABLED_KNOWN_FEATURE),
		       "HWSCH is enabled and known (0x%04x)", r.value);
	if (tap_ret0(feature(s->fd, s->adapter, DXGK_FEATURE_PAGE_BASED_MEMORY_MANAGER, &r),
		     "PAGE_BASED_MEMORY_MANAGER"))
		tap_ok((r.value & DXGK_ISFEATUREENABLED_KNOWN_FEATURE) &&
			       !(r.value & DXGK_ISFEATUREENABLED_ENABLED),
		       "32 is known, not enabled (0x%04x)", r.value);
	if (tap_ret0(feature(s->fd, s->adapter, DXGK_FEATURE_KERNEL_MODE_TESTING, &r),
		     "KERNEL_MODE_TESTING"))
		tap_ok((r.value & DXGK_ISFEATUREENABLED_KNOWN_FEATURE) &&
			       !(r.value & DXGK_ISFEATUREENABLED_ENABLED),
		       "33 is known, not enabled (0x%04x)", r.value);
	tap_errno(feature(s->fd, (struct d3dkmthandle){ 0 }, DXGK_FEATURE_HWSCH, &r), EINVAL,
		  "adapter 0 -> EINVAL");
	tap_errno(feature(s->fd, UNKNOWN_HANDLE, DXGK_FEATURE_HWSCH, &r), EINVAL,
		  "an unknown adapter -> EINVAL");
	tap_errno(feature(s->fd, s->device, DXGK_FEATURE_HWSCH, &r), EINVAL,
		  "a device handle as adapter -> EINVAL");
}

int main(void)
{
	struct state s;

	tap_begin("dxgcompat-misc", 300);
	signal(SIGPIPE, SIG_IGN);
	s.fd = compat_open_or_skip();
	compat_first_adapter_or_skip(s.fd, &s.adapter, &s.luid);
	if (!tap_ret0(compat_create_device(s.fd, s.adapter, &s.device), "a device"))
		return tap_end();
	check_flush(&s);
	check_invalidate(&s);
	check_statistics(&s);
	check_enum_processes(&s);
	check_features(&s);
	compat_destroy_device(s.fd, s.device);
	close(s.fd);
	return tap_end();
}
