// SPDX-License-Identifier: MIT
/*
 * The worker's memory objects (host/memory.c) driven through the dispatcher, the way the ring
 * feeds them: allocations of every kind, resources, quotas, residency with eviction and restore,
 * offer/reclaim with discard under pressure, paging queues and their fences, video memory
 * queries and reservations, GPU virtual addresses and the teardown cascades. After every step
 * the memory object graph must agree with its own books (memory_check()).
 *
 * Most tests use a device-local backend of their own (malloc'ed buffers with a capacity), so
 * they are exact and fast; test_vulkan_evict_restore runs the same path on the first real
 * Vulkan adapter (lavapipe here): a pattern written into device memory with vk_buffer_write()
 * survives eviction to host memory and comes back on MAKE_RESIDENT.
 *
 * argv[1]: the directory with memory_fill.spv and memory_pointer.spv (memory_spirv/).
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>

#include <misc/d3dkmthk.h>
#include <misc/opendxg.h>
#include <opendxg/handle.h>
#include <opendxg/wire.h>

#include "exec.h"
#include "mem_fixture.h"
#include "memory.h"
#include "objects.h"
#include "vk_device.h"
#include "wire_body.h"
#include "worker_dispatch.h"

static const char *spirv_dir = ".";

static uint64_t fence_at(struct fixture *f, uint64_t offset)
{
	return dxg_get_le64(f->region + offset);
}

static void *read_file(const char *name, uint32_t *size)
{
	char path[512];
	FILE *fp;
	long len;
	void *data;

	snprintf(path, sizeof(path), "%s/%s", spirv_dir, name);
	fp = fopen(path, "rb");
	assert_non_null(fp);
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	len = ftell(fp);
	assert_true(len > 0);
	rewind(fp);
	data = malloc((size_t)len);
	assert_non_null(data);
	assert_int_equal(fread(data, 1, (size_t)len, fp), (size_t)len);
	fclose(fp);
	*size = (uint32_t)len;
	return data;
}

/* ---- tests ---- */

static void test_kinds_and_charges(void **state)
{
	struct fixture *f = *state;
	struct proc p = new_proc(f, "kinds");
	uint32_t size, hv, dl, prog;
	void *code = read_file("memory_fill.spv", &size);
	const struct desc d = { .kind = OPENDXG_ALLOC_KIND_PROGRAM, .size = size, .code = code,
				.code_size = size };
	struct memory_stats s;

	assert_int_equal(alloc1(f, &p, OPENDXG_ALLOC_KIND_HOST_VISIBLE, 1, &hv), 0);
	assert_int_equal(alloc1(f, &p, OPENDXG_ALLOC_KIND_DEVICE_LOCAL, 4097, &dl), 0);
	assert_int_equal(create(f, &p, 0, 0, NULL, 0, &d, 1, &prog), 0);
	assert_true(r64(f, 16) == 4096);
	s = stats(f, 0);
	assert_int_equal(s.allocations, 3);
	assert_true(s.bytes[MEM_CAT_HOST_VISIBLE] == 4096);
	assert_true(s.bytes[MEM_CAT_DEVICE_LOCAL] == 8192);
	assert_true(s.bytes[MEM_CAT_PROGRAM] == 4096);
	assert_true(s.claimed == 16384);
	/* The other adapter is untouched. */
	assert_int_equal(stats(f, 1).allocations, 0);

	/* Only host-visible allocations can be locked. */
	assert_int_equal(lock_op(f, DXGW_OP_LOCK, &p, dl), -EINVAL);
	assert_int_equal(lock_op(f, DXGW_OP_LOCK, &p, prog), -EINVAL);
	assert_int_equal(lock_op(f, DXGW_OP_LOCK, &p, hv), 0);
	assert_true(r64(f, 0) >= HEAP_OFFSET && r64(f, 0) % 4096 == 0);
	assert_true(r64(f, 8) == 4096);
	assert_int_equal(r32(f, 16), 0);
	assert_int_equal(r32(f, 20), p.adapter);

	assert_int_equal(free1(f, &p, hv), 0);
	assert_int_equal(free1(f, &p, dl), 0);
	assert_int_equal(free1(f, &p, prog), 0);
	/* Destroyed handles are gone for good. */
	assert_int_equal(free1(f, &p, prog), -EINVAL);
	assert_int_equal(lock_op(f, DXGW_OP_LOCK, &p, hv), -EINVAL);
	s = stats(f, 0);
	assert_int_equal(s.allocations, 0);
	assert_true(s.claimed == 0);
	assert_true(memory_heap_largest_free(&f->vm) == HEAP_SIZE);
	free(code);
}

static void test_program_checks(void **state)
{
	struct fixture *f = *state;
	struct proc p = new_proc(f, "programs");
	uint32_t good_size, bad_size, h;
	void *good = read_file("memory_fill.spv", &good_size);
	void *bad = read_file("memory_pointer.spv", &bad_size);
	struct desc d = { .kind = OPENDXG_ALLOC_KIND_PROGRAM };
	uint32_t garbage[16];

	d.code = bad;
	d.size = d.code_size = bad_size;
	assert_int_equal(create(f, &p, 0, 0, NULL, 0, &d, 1, &h), -EINVAL);
	for (uint32_t i = 0; i < 16; i++)
		garbage[i] = 0x07230203u + i * 0x01010101u;
	d.code = garbage;
	d.size = d.code_size = sizeof(garbage);
	assert_int_equal(create(f, &p, 0, 0, NULL, 0, &d, 1, &h), -EINVAL);
	/* A program whose descriptor size is not its code size is malformed. */
	d.code = good;
	d.code_size = good_size;
	d.size = good_size + 4;
	assert_int_equal(create(f, &p, 0, 0, NULL, 0, &d, 1, &h), -EINVAL);
	d.size = good_size;
	assert_int_equal(create(f, &p, 0, 0, NULL, 0, &d, 1, &h), 0);
	assert_int_equal(stats(f, 0).allocations, 1);
	assert_int_equal(free1(f, &p, h), 0);
	free(good);
	free(bad);
}

static void test_host_visible_zeroed(void **state)
{
	struct fixture *f = *state;
	struct proc a = new_proc(f, "tenant-a");
	struct proc b = new_proc(f, "tenant-b");
	/* One size zeroed with memset, one with hole punching. */
	const uint64_t sizes[] = { 8 * KiB, 1 * MiB };

	for (size_t i = 0; i < 2; i++) {
		uint32_t ha, hb;
		uint64_t off_a, off_b;

		assert_int_equal(alloc1(f, &a, OPENDXG_ALLOC_KIND_HOST_VISIBLE, sizes[i], &ha), 0);
		assert_int_equal(lock_op(f, DXGW_OP_LOCK, &a, ha), 0);
		off_a = r64(f, 0);
		memset(f->region + off_a, 0xa5, sizes[i]);
		assert_int_equal(free1(f, &a, ha), 0);
		/* Best fit hands the same pages to the next tenant: they must read as zeros. */
		assert_int_equal(alloc1(f, &b, OPENDXG_ALLOC_KIND_HOST_VISIBLE, sizes[i], &hb), 0);
		assert_int_equal(lock_op(f, DXGW_OP_LOCK, &b, hb), 0);
		off_b = r64(f, 0);
		assert_true(off_a == off_b);
		for (uint64_t k = 0; k < sizes[i]; k++)
			assert_int_equal(f->region[off_b + k], 0);
		assert_int_equal(lock_op(f, DXGW_OP_UNLOCK, &b, hb), 0);
		assert_int_equal(free1(f, &b, hb), 0);
	}
}

static void test_quota_exact(void **state)
{
	struct fixture *f = *state;
	struct proc p = new_proc(f, "quota");
	struct proc q = new_proc(f, "quota2");
	struct proc other = new_proc_on(f, "other-adapter", 1);
	uint32_t h[4], x;

	/* 1 MiB on adapter 0, shared by the VM's processes, every kind counted. */
	assert_int_equal(alloc1(f, &p, OPENDXG_ALLOC_KIND_HOST_VISIBLE, 512 * KiB - 1, &h[0]), 0);
	assert_int_equal(alloc1(f, &q, OPENDXG_ALLOC_KIND_DEVICE_LOCAL, 256 * KiB, &h[1]), 0);
	assert_int_equal(alloc1(f, &p, OPENDXG_ALLOC_KIND_DEVICE_LOCAL, 256 * KiB - 4096, &h[2]),
			 0);
	/* Exactly at the quota: one more page fits, one more byte does not. */
	assert_int_equal(alloc1(f, &p, OPENDXG_ALLOC_KIND_HOST_VISIBLE, 4097, &x), -ENOMEM);
	assert_int_equal(alloc1(f, &p, OPENDXG_ALLOC_KIND_HOST_VISIBLE, 4096, &h[3]), 0);
	assert_true(stats(f, 0).claimed == 1 * MiB);
	assert_int_equal(alloc1(f, &q, OPENDXG_ALLOC_KIND_HOST_VISIBLE, 1, &x), -ENOMEM);
	/* Adapter 1 has its own quota. */
	assert_int_equal(alloc1(f, &other, OPENDXG_ALLOC_KIND_DEVICE_LOCAL, 1 * MiB, &x), 0);
	assert_int_equal(alloc1(f, &other, OPENDXG_ALLOC_KIND_DEVICE_LOCAL, 1, &x), -ENOMEM);
	/* A batch is all or nothing: the one that does not fit sinks all three. */
	assert_int_equal(free1(f, &p, h[3]), 0);
	{
		const struct desc d[3] = {
			{ .kind = OPENDXG_ALLOC_KIND_HOST_VISIBLE, .size = 2048 },
			{ .kind = OPENDXG_ALLOC_KIND_HOST_VISIBLE, .size = 2048 },
			{ .kind = OPENDXG_ALLOC_KIND_DEVICE_LOCAL, .size = 1 },
		};
		uint32_t before = stats(f, 0).allocations;

		assert_int_equal(create(f, &p, 0, 0, NULL, 0, d, 3, NULL), -ENOMEM);
		assert_int_equal(stats(f, 0).allocations, before);
		assert_int_equal(create(f, &p, 0, 0, NULL, 0, d, 1, &h[3]), 0);
	}
	/* Evicted contents still use host memory: they stay charged. */
	assert_int_equal(evict(f, &q, &h[1], 1), 0);
	assert_true(stats(f, 0).bytes[MEM_CAT_EVICTED] == 256 * KiB);
	assert_true(stats(f, 0).claimed == 1 * MiB);
	assert_int_equal(alloc1(f, &p, OPENDXG_ALLOC_KIND_HOST_VISIBLE, 1, &x), -ENOMEM);
}

static void test_max_allocations(void **state)
{
	struct fixture *f = *state;
	struct proc p = new_proc(f, "count");
	uint32_t h[64], x;

	for (int i = 0; i < 64; i++)
		assert_int_equal(alloc1(f, &p, OPENDXG_ALLOC_KIND_DEVICE_LOCAL, 1, &h[i]), 0);
	assert_int_equal(alloc1(f, &p, OPENDXG_ALLOC_KIND_DEVICE_LOCAL, 1, &x), -ENOMEM);
	assert_int_equal(destroy(f, &p, 0, h, 64), 0);
	assert_int_equal(stats(f, 0).allocations, 0);
}

static void test_resources(void **state)
{
	struct fixture *f = *state;
	struct proc p = new_proc(f, "resources");
	const struct desc d[2] = {
		{ .kind = OPENDXG_ALLOC_KIND_HOST_VISIBLE, .size = 100 },
		{ .kind = OPENDXG_ALLOC_KIND_DEVICE_LOCAL, .size = 200 },
	};
	const char runtime[] = "runtime private data";
	uint32_t h[2], j, resource, v[1];

	assert_int_equal(create(f, &p, D3DKMT_CREATEALLOCATION_FLAG_CREATE_RESOURCE, 0, runtime,
				sizeof(runtime), d, 2, h), 0);
	resource = r32(f, 0);
	assert_true(resource != 0);
	assert_int_equal(stats(f, 0).resources, 1);
	/* Joining the resource: no runtime data now. */
	assert_int_equal(create(f, &p, 0, resource, NULL, 0, d, 1, &j), 0);
	assert_int_equal(r32(f, 0), resource);
	/* A member goes only with its resource; LOCK names it. */
	assert_int_equal(free1(f, &p, h[0]), -EINVAL);
	assert_int_equal(lock_op(f, DXGW_OP_LOCK, &p, j), 0);
	assert_int_equal(r32(f, 16), resource);
	/* One value for the whole resource: the least resident member. */
	assert_int_equal(evict(f, &p, &h[1], 1), 0);
	assert_int_equal(alloc_list(f, DXGW_OP_QUERY_RESIDENCY, &p, resource, NULL, 0, NULL), 0);
	assert_int_equal(r32(f, 0), 1);
	assert_int_equal(r32(f, 8), D3DKMT_ALLOCATIONRESIDENCYSTATUS_NOTRESIDENT);
	v[0] = 0x50000000;
	assert_int_equal(alloc_list(f, DXGW_OP_SET_PRIORITY, &p, resource, NULL, 0, v), 0);
	assert_int_equal(alloc_list(f, DXGW_OP_GET_PRIORITY, &p, resource, NULL, 0, NULL), 0);
	assert_int_equal(r32(f, 8), 0x50000000);
	assert_int_equal(destroy(f, &p, resource, NULL, 0), 0);
	assert_int_equal(stats(f, 0).allocations, 0);
	assert_int_equal(stats(f, 0).resources, 0);
	assert_int_equal(destroy(f, &p, resource, NULL, 0), -EINVAL);
	assert_int_equal(lock_op(f, DXGW_OP_LOCK, &p, j), -EINVAL);
}

static void test_lock_rules(void **state)
{
	struct fixture *f = *state;
	struct proc p = new_proc(f, "lock");
	struct proc other = new_proc(f, "other");
	uint32_t h;

	assert_int_equal(alloc1(f, &p, OPENDXG_ALLOC_KIND_HOST_VISIBLE, 3 * 4096 + 5, &h), 0);
	assert_int_equal(lock_op(f, DXGW_OP_UNLOCK, &p, h), -EINVAL);
	assert_int_equal(lock_op(f, DXGW_OP_LOCK, &p, h), 0);
	assert_true(r64(f, 8) == 4 * 4096);
	assert_int_equal(lock_op(f, DXGW_OP_LOCK, &p, h), 0);
	assert_int_equal(lock_op(f, DXGW_OP_UNLOCK, &p, h), 0);
	assert_int_equal(lock_op(f, DXGW_OP_UNLOCK, &p, h), 0);
	assert_int_equal(lock_op(f, DXGW_OP_UNLOCK, &p, h), -EINVAL);
	/* Another process names neither the allocation nor, through its own device, the pair. */
	assert_int_equal(lock_op(f, DXGW_OP_LOCK, &other, h), -EINVAL);
	{
		struct proc mixed = { .handle = other.handle, .device = p.device };

		assert_int_equal(lock_op(f, DXGW_OP_LOCK, &mixed, h), -EINVAL);
	}
	assert_int_equal(free1(f, &other, h), -EINVAL);
	assert_int_equal(free1(f, &p, h), 0);
}

static void test_evict_restore_pending(void **state)
{
	struct fixture *f = *state;
	struct proc p = new_proc(f, "residency");
	struct queue q = new_queue(f, &p);
	const uint64_t size = 3 * 4096 + 123;
	struct dxg_allocation *a;
	struct fake_buffer *fb;
	uint32_t h, hv, both[2];
	uint64_t value;
	struct memory_stats s;

	assert_true(q.fence_offset >= FENCE_OFFSET && q.fence_offset < FENCE_OFFSET + FENCE_SIZE);
	assert_true(fence_at(f, q.fence_offset) == 0);
	assert_int_equal(alloc1(f, &p, OPENDXG_ALLOC_KIND_DEVICE_LOCAL, size, &h), 0);
	assert_int_equal(alloc1(f, &p, OPENDXG_ALLOC_KIND_HOST_VISIBLE, 4096, &hv), 0);
	a = memory_find_allocation(&f->vm, vm_find_process(&f->vm, p.handle), h);
	assert_non_null(a);
	fb = (struct fake_buffer *)a->buffer;
	for (uint64_t i = 0; i < size; i++)
		fb->data[i] = (unsigned char)(i * 13 + 7);

	/* Resident already: MAKE_RESIDENT only counts, the fence is reached before the reply. */
	both[0] = h;
	both[1] = hv;
	assert_int_equal(make_resident(f, &p, &q, both, 2, NULL, true), 0);
	value = r64(f, 0);
	assert_true(value == 1 && fence_at(f, q.fence_offset) == 1);
	assert_int_equal(evict(f, &p, both, 2), 0);
	s = stats(f, 0);
	assert_true(s.bytes[MEM_CAT_DEVICE_LOCAL] == 4 * 4096);	/* count 2 -> 1: still there */
	assert_int_equal(evict(f, &p, both, 2), 0);
	s = stats(f, 0);
	assert_true(s.bytes[MEM_CAT_DEVICE_LOCAL] == 0);
	assert_true(s.bytes[MEM_CAT_EVICTED] == 4 * 4096);
	assert_true(s.bytes[MEM_CAT_HOST_VISIBLE] == 4096);
	assert_int_equal(fake_used, 0);
	/* At 0 a further EVICT is an error, and it is all or nothing. */
	assert_int_equal(evict(f, &p, &h, 1), -EINVAL);
	assert_int_equal(alloc_list(f, DXGW_OP_QUERY_RESIDENCY, &p, 0, both, 2, NULL), 0);
	assert_int_equal(r32(f, 8), D3DKMT_ALLOCATIONRESIDENCYSTATUS_NOTRESIDENT);
	assert_int_equal(r32(f, 12), D3DKMT_ALLOCATIONRESIDENCYSTATUS_NOTRESIDENT);

	/* The restore: PENDING with the next value, which the fence reaches only afterwards. */
	assert_int_equal(make_resident(f, &p, &q, both, 2, NULL, false), DXGW_STATUS_PENDING);
	assert_int_equal(body_len(f), 16);
	value = r64(f, 0);
	assert_true(value == 2);
	assert_true(r64(f, 8) == 0);
	assert_true(memory_has_deferred(&f->vm));
	assert_true(fence_at(f, q.fence_offset) == 1);
	memory_after_reply(&f->vm);
	assert_true(fence_at(f, q.fence_offset) == 2);
	a = memory_find_allocation(&f->vm, vm_find_process(&f->vm, p.handle), h);
	fb = (struct fake_buffer *)a->buffer;
	for (uint64_t i = 0; i < size; i++)
		assert_int_equal(fb->data[i], (unsigned char)(i * 13 + 7));
	s = stats(f, 0);
	assert_true(s.bytes[MEM_CAT_DEVICE_LOCAL] == 4 * 4096 && s.bytes[MEM_CAT_EVICTED] == 0);
	assert_int_equal(alloc_list(f, DXGW_OP_QUERY_RESIDENCY, &p, 0, both, 2, NULL), 0);
	assert_int_equal(r32(f, 8), D3DKMT_ALLOCATIONRESIDENCYSTATUS_RESIDENTINGPUMEMORY);
	assert_int_equal(r32(f, 12), D3DKMT_ALLOCATIONRESIDENCYSTATUS_RESIDENTINSHAREDMEMORY);

	/* A failing read leaves everything as it was. */
	fake_read_error = -EIO;
	assert_int_equal(evict(f, &p, &h, 1), -EIO);
	fake_read_error = 0;
	assert_true(stats(f, 0).bytes[MEM_CAT_DEVICE_LOCAL] == 4 * 4096);

	/* Duplicates and foreign handles. */
	both[1] = h;
	assert_int_equal(evict(f, &p, both, 2), -EINVAL);
	assert_int_equal(make_resident(f, &p, &q, both, 2, NULL, true), -EINVAL);
	/* Priorities given with MAKE_RESIDENT replace the allocation's. */
	{
		const uint32_t prio = 0x10000000;

		assert_int_equal(make_resident(f, &p, &q, &h, 1, &prio, true), 0);
		assert_int_equal(alloc_list(f, DXGW_OP_GET_PRIORITY, &p, 0, &h, 1, NULL), 0);
		assert_int_equal(r32(f, 8), prio);
	}
	/* A restore still queued when the device goes is finished first, not leaked. */
	assert_int_equal(evict(f, &p, &h, 1), 0);
	assert_int_equal(evict(f, &p, &h, 1), 0);
	assert_int_equal(make_resident(f, &p, &q, &h, 1, NULL, false), DXGW_STATUS_PENDING);
	{
		struct body b = { .len = 0 };

		b_u32(&b, p.device);
		b_u32(&b, 0);
		assert_int_equal(req(f, DXGW_OP_DESTROY_DEVICE, p.handle, &b), 0);
	}
	assert_int_equal(stats(f, 0).allocations, 0);
	assert_int_equal(stats(f, 0).paging_queues, 0);
}

static void test_offer_discard_reclaim(void **state)
{
	struct fixture *f = *state;
	struct proc p = new_proc(f, "offer");
	struct proc other = new_proc(f, "pressure");
	struct queue q = new_queue(f, &p);
	uint32_t low, high, hv, big, x, results[3];
	struct dxg_allocation *a;

	/* 1 MiB quota: two offered device-local allocations of 256 KiB, one host-visible. */
	assert_int_equal(alloc1(f, &p, OPENDXG_ALLOC_KIND_DEVICE_LOCAL, 256 * KiB, &low), 0);
	assert_int_equal(alloc1(f, &p, OPENDXG_ALLOC_KIND_DEVICE_LOCAL, 256 * KiB, &high), 0);
	assert_int_equal(alloc1(f, &p, OPENDXG_ALLOC_KIND_HOST_VISIBLE, 256 * KiB, &hv), 0);
	a = memory_find_allocation(&f->vm, vm_find_process(&f->vm, p.handle), high);
	memset(((struct fake_buffer *)a->buffer)->data, 0x5a, 256 * KiB);
	assert_int_equal(offer(f, &p, D3DKMT_OFFER_PRIORITY_LOW, false, &low, 1), 0);
	assert_int_equal(offer(f, &p, D3DKMT_OFFER_PRIORITY_HIGH, false, &high, 1), 0);
	assert_int_equal(offer(f, &p, D3DKMT_OFFER_PRIORITY_LOW, false, &hv, 1), 0);
	/* Offering twice is an error. */
	assert_int_equal(offer(f, &p, D3DKMT_OFFER_PRIORITY_LOW, false, &low, 1), -EINVAL);
	/* Not offered: reclaim is an error. */
	assert_int_equal(alloc1(f, &p, OPENDXG_ALLOC_KIND_DEVICE_LOCAL, 1, &x), 0);
	assert_int_equal(reclaim(f, &p, &q, false, &x, 1), -EINVAL);
	assert_int_equal(free1(f, &p, x), 0);

	/* 256 KiB left: another process's 512 KiB needs one discard, the lowest offer first. */
	assert_int_equal(alloc1(f, &other, OPENDXG_ALLOC_KIND_DEVICE_LOCAL, 512 * KiB, &big), 0);
	a = memory_find_allocation(&f->vm, vm_find_process(&f->vm, p.handle), low);
	assert_true(a->discarded);
	a = memory_find_allocation(&f->vm, vm_find_process(&f->vm, p.handle), high);
	assert_false(a->discarded);
	assert_true(stats(f, 0).claimed == 1 * MiB);
	/* Host-visible pages are never discarded: nothing is left to take. */
	assert_int_equal(alloc1(f, &other, OPENDXG_ALLOC_KIND_DEVICE_LOCAL, 256 * KiB + 1, &x),
			 -ENOMEM);
	a = memory_find_allocation(&f->vm, vm_find_process(&f->vm, p.handle), high);
	assert_false(a->discarded);

	/* A request that would discard but then fails (device memory here) discards nothing. */
	fake_capacity = fake_used;
	assert_int_equal(alloc1(f, &other, OPENDXG_ALLOC_KIND_DEVICE_LOCAL, 256 * KiB, &x),
			 -ENOMEM);
	fake_capacity = 1ull << 40;
	a = memory_find_allocation(&f->vm, vm_find_process(&f->vm, p.handle), high);
	assert_false(a->discarded);
	assert_true(stats(f, 0).claimed == 1 * MiB);

	/* Reclaiming discarded memory needs quota again: all or nothing. */
	{
		const uint32_t all[3] = { low, high, hv };

		assert_int_equal(reclaim(f, &p, &q, false, all, 3), -ENOMEM);
		assert_int_equal(free1(f, &other, big), 0);
		assert_int_equal(reclaim(f, &p, &q, false, all, 3), 0);
		assert_int_equal(r32(f, 8), 3);
		for (int i = 0; i < 3; i++)
			results[i] = r32(f, 16 + 4 * i);
		assert_int_equal(results[0], D3DDDI_RECLAIM_RESULT_DISCARDED);
		assert_int_equal(results[1], D3DDDI_RECLAIM_RESULT_OK);
		assert_int_equal(results[2], D3DDDI_RECLAIM_RESULT_OK);
		assert_true(r64(f, 0) == 1 && fence_at(f, q.fence_offset) == 1);
	}
	/* Discarded contents come back zeroed; kept contents are intact. */
	a = memory_find_allocation(&f->vm, vm_find_process(&f->vm, p.handle), low);
	for (uint64_t i = 0; i < 256 * KiB; i++)
		assert_int_equal(((struct fake_buffer *)a->buffer)->data[i], 0);
	a = memory_find_allocation(&f->vm, vm_find_process(&f->vm, p.handle), high);
	for (uint64_t i = 0; i < 256 * KiB; i++)
		assert_int_equal(((struct fake_buffer *)a->buffer)->data[i], 0x5a);
	assert_true(stats(f, 0).claimed == 768 * KiB);
}

static void test_offer_resources(void **state)
{
	struct fixture *f = *state;
	struct proc p = new_proc(f, "offer-res");
	struct queue q = new_queue(f, &p);
	const struct desc d[2] = {
		{ .kind = OPENDXG_ALLOC_KIND_DEVICE_LOCAL, .size = 4096 },
		{ .kind = OPENDXG_ALLOC_KIND_DEVICE_LOCAL, .size = 4096 },
	};
	uint32_t h[2], r, rr[2];

	assert_int_equal(create(f, &p, D3DKMT_CREATEALLOCATION_FLAG_CREATE_RESOURCE, 0, NULL, 0, d,
				2, h), 0);
	r = r32(f, 0);
	rr[0] = rr[1] = r;
	assert_int_equal(offer(f, &p, D3DKMT_OFFER_PRIORITY_NORMAL, true, rr, 2), -EINVAL);
	assert_int_equal(offer(f, &p, D3DKMT_OFFER_PRIORITY_NORMAL, true, &r, 1), 0);
	assert_int_equal(offer(f, &p, D3DKMT_OFFER_PRIORITY_NORMAL, false, &h[1], 1), -EINVAL);
	assert_int_equal(reclaim(f, &p, &q, true, &r, 1), 0);
	/* One result per handle named: the resource's two allocations share one. */
	assert_int_equal(body_len(f), 16 + 8);
	assert_int_equal(r32(f, 8), 1);
	assert_int_equal(r32(f, 16), D3DDDI_RECLAIM_RESULT_OK);
	assert_int_equal(destroy(f, &p, r, NULL, 0), 0);

	/* Under the 1 MiB quota: one member discarded makes the resource's result DISCARDED. */
	{
		const struct desc big[2] = {
			{ .kind = OPENDXG_ALLOC_KIND_DEVICE_LOCAL, .size = 256 * KiB },
			{ .kind = OPENDXG_ALLOC_KIND_DEVICE_LOCAL, .size = 256 * KiB },
		};
		uint32_t other;

		assert_int_equal(create(f, &p, D3DKMT_CREATEALLOCATION_FLAG_CREATE_RESOURCE, 0, NULL,
					0, big, 2, h), 0);
		r = r32(f, 0);
		assert_int_equal(offer(f, &p, D3DKMT_OFFER_PRIORITY_NORMAL, true, &r, 1), 0);
		assert_int_equal(alloc1(f, &p, OPENDXG_ALLOC_KIND_DEVICE_LOCAL, 768 * KiB, &other),
				 0);
		assert_true(stats(f, 0).claimed == 1 * MiB);
		assert_int_equal(reclaim(f, &p, &q, true, &r, 1), -ENOMEM);
		assert_int_equal(free1(f, &p, other), 0);
		assert_int_equal(reclaim(f, &p, &q, true, &r, 1), 0);
		assert_int_equal(r32(f, 8), 1);
		assert_int_equal(r32(f, 16), D3DDDI_RECLAIM_RESULT_DISCARDED);
		assert_true(stats(f, 0).claimed == 512 * KiB);
	}
}

static void test_video_memory_and_reservations(void **state)
{
	struct fixture *f = *state;
	struct proc p = new_proc(f, "budget");
	struct proc q = new_proc(f, "budget2");
	uint32_t h, x;

	assert_int_equal(alloc1(f, &p, OPENDXG_ALLOC_KIND_DEVICE_LOCAL, 100 * KiB, &h), 0);
	assert_int_equal(video_memory(f, DXGW_OP_QUERY_VIDEO_MEMORY, &p,
				      D3DKMT_MEMORY_SEGMENT_GROUP_LOCAL, 0), 0);
	assert_int_equal(body_len(f), 32);
	assert_true(r64(f, 8) == 100 * KiB);			/* usage */
	assert_true(r64(f, 0) == 1 * MiB);			/* budget: usage + room */
	assert_true(r64(f, 16) == 0);
	assert_true(r64(f, 24) == 1 * MiB);
	assert_int_equal(video_memory(f, DXGW_OP_QUERY_VIDEO_MEMORY, &q,
				      D3DKMT_MEMORY_SEGMENT_GROUP_NON_LOCAL, 0), 0);
	assert_true(r64(f, 8) == 0);
	assert_true(r64(f, 0) == 1 * MiB - 100 * KiB);

	/* q reserves 600 KiB: p may then hold at most 424 KiB in total. */
	assert_int_equal(video_memory(f, DXGW_OP_CHANGE_RESERVATION, &q,
				      D3DKMT_MEMORY_SEGMENT_GROUP_NON_LOCAL, 600 * KiB), 0);
	assert_true(stats(f, 0).claimed == 700 * KiB);
	assert_int_equal(alloc1(f, &p, OPENDXG_ALLOC_KIND_HOST_VISIBLE, 324 * KiB + 1, &x),
			 -ENOMEM);
	assert_int_equal(alloc1(f, &p, OPENDXG_ALLOC_KIND_HOST_VISIBLE, 324 * KiB, &x), 0);
	/* Within its reservation q allocates without claiming more. */
	assert_int_equal(alloc1(f, &q, OPENDXG_ALLOC_KIND_HOST_VISIBLE, 600 * KiB, &h), 0);
	assert_true(stats(f, 0).claimed == 1 * MiB);
	assert_int_equal(video_memory(f, DXGW_OP_QUERY_VIDEO_MEMORY, &q,
				      D3DKMT_MEMORY_SEGMENT_GROUP_NON_LOCAL, 0), 0);
	assert_true(r64(f, 16) == 600 * KiB);
	/* Raising a reservation beyond the quota fails; lowering to 0 releases it. */
	assert_int_equal(video_memory(f, DXGW_OP_CHANGE_RESERVATION, &q,
				      D3DKMT_MEMORY_SEGMENT_GROUP_LOCAL, 4096), -ENOMEM);
	assert_int_equal(free1(f, &q, h), 0);
	assert_true(stats(f, 0).claimed == 1 * MiB);
	assert_int_equal(video_memory(f, DXGW_OP_CHANGE_RESERVATION, &q,
				      D3DKMT_MEMORY_SEGMENT_GROUP_NON_LOCAL, 0), 0);
	assert_true(stats(f, 0).claimed == 424 * KiB);
	/* Unknown group, reservation word set in a query, an adapter not open: -EINVAL. */
	assert_int_equal(video_memory(f, DXGW_OP_QUERY_VIDEO_MEMORY, &p, 2, 0), -EINVAL);
	assert_int_equal(video_memory(f, DXGW_OP_QUERY_VIDEO_MEMORY, &p, 0, 1), -EINVAL);
	{
		struct proc closed = p;

		closed.adapter = f->vm.adapters[1].handle;
		assert_int_equal(video_memory(f, DXGW_OP_QUERY_VIDEO_MEMORY, &closed, 0, 0),
				 -EINVAL);
	}
}

static void test_paging_queue_fences(void **state)
{
	struct fixture *f = *state;
	struct proc a = new_proc(f, "fence-a");
	struct proc b = new_proc(f, "fence-b");
	struct queue qa1 = new_queue(f, &a);
	struct queue qa2 = new_queue(f, &a);
	struct queue qb = new_queue(f, &b);
	struct body body = { .len = 0 };

	/* One process's fences share a page; another process gets its own page. */
	assert_true(qa1.fence_offset / 4096 == qa2.fence_offset / 4096);
	assert_true(qa1.fence_offset != qa2.fence_offset);
	assert_true(qb.fence_offset / 4096 != qa1.fence_offset / 4096);
	assert_int_equal(stats(f, 0).paging_queues, 3);
	/* The guest scribbles on a's page; when a lets it go, b's next page starts clean. */
	memset(f->region + qa1.fence_offset / 4096 * 4096, 0xff, 4096);
	b_u32(&body, qa1.handle);
	b_u32(&body, 0);
	assert_int_equal(req(f, DXGW_OP_DESTROY_PAGING_QUEUE, b.handle, &body), -EINVAL);
	assert_int_equal(req(f, DXGW_OP_DESTROY_PAGING_QUEUE, a.handle, &body), 0);
	assert_int_equal(req(f, DXGW_OP_DESTROY_PAGING_QUEUE, a.handle, &body), -EINVAL);
	body.len = 0;
	b_u32(&body, qa2.handle);
	b_u32(&body, 0);
	assert_int_equal(req(f, DXGW_OP_DESTROY_PAGING_QUEUE, a.handle, &body), 0);
	{
		struct proc c = new_proc(f, "fence-c");
		struct queue qc = new_queue(f, &c);

		assert_true(qc.fence_offset / 4096 == qa1.fence_offset / 4096);
		for (int i = 0; i < 4096; i++)
			assert_int_equal(f->region[qa1.fence_offset / 4096 * 4096 + i], 0);
	}
	/* Fence storage is 4 pages here: d and e take the last two, g finds none. */
	{
		struct proc d = new_proc(f, "fence-d");
		struct proc e = new_proc(f, "fence-e");
		struct proc g = new_proc(f, "fence-g");

		(void)new_queue(f, &d);
		(void)new_queue(f, &e);
		body.len = 0;
		b_u32(&body, g.device);
		b_u32(&body, 0);
		assert_int_equal(req(f, DXGW_OP_CREATE_PAGING_QUEUE, g.handle, &body), -ENOMEM);
	}
	/* The queue's fence is a SYNCOBJECT; its handle is no paging queue. */
	body.len = 0;
	b_u32(&body, qb.sync);
	b_u32(&body, 0);
	assert_int_equal(req(f, DXGW_OP_DESTROY_PAGING_QUEUE, b.handle, &body), -EINVAL);
	/* Priorities outside -1..1 are malformed. */
	body.len = 0;
	b_u32(&body, b.device);
	b_u32(&body, 2);
	assert_int_equal(req(f, DXGW_OP_CREATE_PAGING_QUEUE, b.handle, &body), -EINVAL);
}

static void test_update_alloc_property(void **state)
{
	struct fixture *f = *state;
	struct proc p = new_proc(f, "property");
	struct queue q = new_queue(f, &p);
	uint32_t hv;
	struct body b;

	assert_int_equal(alloc1(f, &p, OPENDXG_ALLOC_KIND_HOST_VISIBLE, 1, &hv), 0);
	/* Supported set {1}: it lacks segment 2, where the allocation lives. */
	b.len = 0;
	b_u32(&b, q.handle);
	b_u32(&b, hv);
	b_u32(&b, 0x1);
	b_u32(&b, 0);
	b_u32(&b, 0);
	b_u32(&b, D3DDDI_UPDATEALLOCPROPERTY_SET_SUPPORTED_SEGMENT_SET);
	assert_int_equal(req(f, DXGW_OP_UPDATE_ALLOC_PROPERTY, p.handle, &b), -EINVAL);
	b.len = 0;
	b_u32(&b, q.handle);
	b_u32(&b, hv);
	b_u32(&b, 0x3);
	b_u32(&b, 1);
	b_u32(&b, D3DDDI_UPDATEALLOCPROPERTY_FLAG_ACCESSED_PHYSICALLY);
	b_u32(&b, D3DDDI_UPDATEALLOCPROPERTY_SET_SUPPORTED_SEGMENT_SET |
		   D3DDDI_UPDATEALLOCPROPERTY_SET_PREFERRED_SEGMENT |
		   D3DDDI_UPDATEALLOCPROPERTY_SET_ACCESSED_PHYSICALLY);
	assert_int_equal(req(f, DXGW_OP_UPDATE_ALLOC_PROPERTY, p.handle, &b), 0);
	assert_true(r64(f, 0) == 1 && fence_at(f, q.fence_offset) == 1);
	/* Mask 0 is malformed. */
	memset(b.b + 20, 0, 4);
	assert_int_equal(req(f, DXGW_OP_UPDATE_ALLOC_PROPERTY, p.handle, &b), -EINVAL);
}

static uint64_t reserve(struct fixture *f, const struct proc *p, uint64_t base, uint64_t min,
			uint64_t max, uint64_t size, int expect)
{
	struct body b = { .len = 0 };

	b_u32(&b, p->adapter);
	b_u32(&b, 0);
	b_u64(&b, base);
	b_u64(&b, min);
	b_u64(&b, max);
	b_u64(&b, size);
	b_u32(&b, 0);
	b_u32(&b, 0);
	b_u64(&b, 0);
	assert_int_equal(req(f, DXGW_OP_RESERVE_GPU_VA, p->handle, &b), expect);
	return expect ? 0 : r64(f, 0);
}

static int map_va(struct fixture *f, const struct proc *p, const struct queue *q, uint32_t alloc,
		  uint64_t base, uint64_t offset_pages, uint64_t pages, uint64_t protection)
{
	struct body b = { .len = 0 };

	b_u32(&b, q->handle);
	b_u32(&b, alloc);
	b_u64(&b, base);
	b_u64(&b, 0);
	b_u64(&b, 0);
	b_u64(&b, offset_pages);
	b_u64(&b, pages);
	b_u64(&b, protection);
	b_u64(&b, 0);
	return req(f, DXGW_OP_MAP_GPU_VA, p->handle, &b);
}

static void test_gpu_va(void **state)
{
	struct fixture *f = *state;
	struct proc p = new_proc(f, "gpuva");
	struct proc other = new_proc(f, "foreign");
	struct queue q = new_queue(f, &p);
	struct dxg_process *host_p = vm_find_process(&f->vm, p.handle);
	struct dxg_allocation *a;
	uint32_t h, foreign, ctx;
	uint64_t va, off;
	struct body b;

	assert_int_equal(alloc1(f, &p, OPENDXG_ALLOC_KIND_DEVICE_LOCAL, 4 * 4096, &h), 0);
	assert_int_equal(alloc1(f, &other, OPENDXG_ALLOC_KIND_DEVICE_LOCAL, 4096, &foreign), 0);
	va = reserve(f, &p, 0x100000, 0, 0, 16 * 4096, 0);
	assert_true(va == 0x100000);
	/* Overlap, misalignment, out of bounds, zero size. */
	reserve(f, &p, 0x100000 + 15 * 4096, 0, 0, 4096 * 2, -EINVAL);
	reserve(f, &p, 0x200001, 0, 0, 4096, -EINVAL);
	reserve(f, &p, 0, 0, 0, 4097, -EINVAL);
	reserve(f, &p, 0x8000, 0, 0, 4096, -EINVAL);
	reserve(f, &p, DXGW_GPUVA_LIMIT - 4096, 0, 0, 2 * 4096, -EINVAL);
	reserve(f, &p, 0, 0, 0, 0, -EINVAL);
	assert_int_equal(stats(f, 0).gpu_va_ranges, 1);

	/* Map pages 1..2 of the allocation at va + 4 pages; translate goes back to them. */
	assert_int_equal(map_va(f, &p, &q, h, va + 4 * 4096, 1, 2, D3DDDIGPUVA_PROTECTION_WRITE),
			 0);
	assert_true(r64(f, 0) == va + 4 * 4096 && r64(f, 8) == 1);
	assert_int_equal(memory_translate_gpu_va(host_p, 0, va + 5 * 4096 + 8, 16, true, &a, &off),
			 0);
	assert_true(a == memory_find_allocation(&f->vm, host_p, h));
	assert_true(off == 2 * 4096 + 8);
	assert_int_equal(memory_translate_gpu_va(host_p, 0, va, 4, false, &a, &off), -EFAULT);
	/* Beyond the allocation, outside any reservation, a foreign allocation. */
	assert_int_equal(map_va(f, &p, &q, h, va, 3, 2, 0), -EINVAL);
	assert_int_equal(map_va(f, &p, &q, h, 0x900000, 0, 1, 0), -EINVAL);
	assert_int_equal(map_va(f, &p, &q, foreign, va, 0, 1, 0), -EINVAL);
	/* Read-only mapping: a write translation is refused. */
	assert_int_equal(map_va(f, &p, &q, h, va + 8 * 4096, 0, 1, 0), 0);
	assert_int_equal(memory_translate_gpu_va(host_p, 0, va + 8 * 4096, 4, true, &a, &off),
			 -EACCES);

	/* UPDATE: all or nothing. A bad second operation leaves the first undone. */
	b.len = 0;
	b_u32(&b, p.device);
	for (int i = 0; i < 5; i++)
		b_u32(&b, 0);
	assert_int_equal(req(f, DXGW_OP_CREATE_CONTEXT_VIRTUAL, p.handle, &b), 0);
	ctx = r32(f, 0);
	{
		struct body u = { .len = 0 };

		b_u32(&u, p.device);
		b_u32(&u, ctx);
		b_u32(&u, q.sync);
		b_u32(&u, 2);
		b_u64(&u, 1);		/* the queue's fence is at 1 after the map */
		b_u32(&u, 0);
		b_u32(&u, 0);
		/* op 1: MAP page 0 at va + 12 pages */
		b_u32(&u, D3DDDI_UPDATEGPUVIRTUALADDRESS_MAP);
		b_u32(&u, 0);
		b_u64(&u, va + 12 * 4096);
		b_u64(&u, 4096);
		b_u64(&u, 0);
		b_u32(&u, h);
		b_u32(&u, 0);
		b_u64(&u, 0);
		b_u64(&u, 0);
		b_u64(&u, 0);
		/* op 2: UNMAP outside any reservation (the retry below unmaps va + 4 pages) */
		b_u32(&u, D3DDDI_UPDATEGPUVIRTUALADDRESS_UNMAP);
		b_u32(&u, 0);
		b_u64(&u, 0x40000000);
		b_u64(&u, 4096);
		b_u64(&u, 0);
		b_u32(&u, 0);
		b_u32(&u, 0);
		b_u64(&u, 0);
		b_u64(&u, 0);
		b_u64(&u, 0);
		assert_int_equal(req(f, DXGW_OP_UPDATE_GPU_VA, p.handle, &u), -EINVAL);
		assert_int_equal(memory_translate_gpu_va(host_p, 0, va + 12 * 4096, 4, false, &a,
							 &off), -EFAULT);
		/* The same with a good second operation: both apply. */
		dxg_le64 good = dxg_to_le64(va + 4 * 4096);

		memcpy(u.b + 32 + 64 + 8, &good, 8);
		assert_int_equal(req(f, DXGW_OP_UPDATE_GPU_VA, p.handle, &u), 0);
		assert_int_equal(memory_translate_gpu_va(host_p, 0, va + 12 * 4096, 4, true, &a,
							 &off), 0);
		assert_int_equal(memory_translate_gpu_va(host_p, 0, va + 4 * 4096, 4, false, &a,
							 &off), -EFAULT);
		/*
		 * A fence value not reached yet: the update waits on the context's queue (0 now)
		 * and applies once the paging fence gets there (the next paging operation).
		 */
		struct body later = { .len = 0 };

		b_u32(&later, p.device);
		b_u32(&later, ctx);
		b_u32(&later, q.sync);
		b_u32(&later, 1);
		b_u64(&later, 3);	/* two maps so far: the fence is at 2 */
		b_u32(&later, 0);
		b_u32(&later, 0);
		b_u32(&later, D3DDDI_UPDATEGPUVIRTUALADDRESS_UNMAP);
		b_u32(&later, 0);
		b_u64(&later, va + 12 * 4096);
		b_u64(&later, 4096);
		for (int i = 0; i < 5; i++)	/* dest, allocation, offset, protections */
			b_u64(&later, 0);
		assert_int_equal(req(f, DXGW_OP_UPDATE_GPU_VA, p.handle, &later), 0);
		assert_int_equal(f->vm.counters.queue_items, 1);
		assert_int_equal(memory_translate_gpu_va(host_p, 0, va + 12 * 4096, 4, false, &a,
							 &off), 0);
		assert_int_equal(map_va(f, &p, &q, h, va + 9 * 4096, 0, 1, 0), 0);
		assert_true(r64(f, 8) == 3);
		assert_int_equal(f->vm.counters.queue_items, 0);
		assert_int_equal(memory_translate_gpu_va(host_p, 0, va + 12 * 4096, 4, false, &a,
							 &off), -EFAULT);
		/* A fence that is not a fence of the device, or a context of no device of ours. */
		memcpy(later.b + 8, &(dxg_le32){ dxg_to_le32(p.device) }, 4);
		assert_int_equal(req(f, DXGW_OP_UPDATE_GPU_VA, p.handle, &later), -EINVAL);
		memset(u.b + 4, 0, 4);
		assert_int_equal(req(f, DXGW_OP_UPDATE_GPU_VA, p.handle, &u), -EINVAL);
	}

	/* Destroying the allocation removes its mappings; the reservation stays. */
	assert_int_equal(free1(f, &p, h), 0);
	assert_int_equal(memory_translate_gpu_va(host_p, 0, va + 12 * 4096, 4, false, &a, &off),
			 -EFAULT);
	assert_int_equal(stats(f, 0).gpu_va_ranges, 1);
	/* FREE takes exactly one reservation. */
	b.len = 0;
	b_u32(&b, p.adapter);
	b_u32(&b, 0);
	b_u64(&b, va);
	b_u64(&b, 8 * 4096);
	assert_int_equal(req(f, DXGW_OP_FREE_GPU_VA, p.handle, &b), -EINVAL);
	b.len = 0;
	b_u32(&b, p.adapter);
	b_u32(&b, 0);
	b_u64(&b, va);
	b_u64(&b, 16 * 4096);
	assert_int_equal(req(f, DXGW_OP_FREE_GPU_VA, p.handle, &b), 0);
	assert_int_equal(stats(f, 0).gpu_va_ranges, 0);
	/* The space's entry limit (16 here) is -ENOMEM. */
	for (int i = 0; i < 16; i++)
		reserve(f, &p, 0, 0, 0, 4096, 0);
	reserve(f, &p, 0, 0, 0, 4096, -ENOMEM);
	/* The last CLOSE_ADAPTER takes the space with it. */
	b.len = 0;
	b_u32(&b, p.adapter);
	b_u32(&b, 0);
	assert_int_equal(req(f, DXGW_OP_CLOSE_ADAPTER, p.handle, &b), 0);
	assert_int_equal(stats(f, 0).gpu_va_ranges, 0);
	assert_int_equal(memory_translate_gpu_va(host_p, 0, 0x10000, 4, false, &a, &off), -EFAULT);
}

static void test_teardown_cascades(void **state)
{
	struct fixture *f = *state;
	struct proc p = new_proc(f, "cascade");
	struct proc keep = new_proc(f, "survivor");
	const struct desc d[3] = {
		{ .kind = OPENDXG_ALLOC_KIND_HOST_VISIBLE, .size = 64 * KiB },
		{ .kind = OPENDXG_ALLOC_KIND_DEVICE_LOCAL, .size = 64 * KiB },
		{ .kind = OPENDXG_ALLOC_KIND_HOST_VISIBLE, .size = 1 },
	};
	uint32_t h[3], k;
	struct body b;

	assert_int_equal(create(f, &p, D3DKMT_CREATEALLOCATION_FLAG_CREATE_RESOURCE, 0, "x", 1, d,
				3, h), 0);
	assert_int_equal(create(f, &p, 0, 0, NULL, 0, d, 3, h), 0);
	(void)new_queue(f, &p);
	reserve(f, &p, 0, 0, 0, 4096, 0);
	assert_int_equal(video_memory(f, DXGW_OP_CHANGE_RESERVATION, &p, 0, 64 * KiB), 0);
	assert_int_equal(alloc1(f, &keep, OPENDXG_ALLOC_KIND_HOST_VISIBLE, 4096, &k), 0);
	assert_int_equal(stats(f, 0).allocations, 7);

	/* Process destruction: devices, their memory, GPU VA spaces, reservations. */
	b.len = 0;
	assert_int_equal(req(f, DXGW_OP_DESTROY_PROCESS, p.handle, &b), 0);
	assert_int_equal(stats(f, 0).allocations, 1);
	assert_int_equal(stats(f, 0).resources, 0);
	assert_int_equal(stats(f, 0).paging_queues, 0);
	assert_int_equal(stats(f, 0).gpu_va_ranges, 0);
	assert_true(stats(f, 0).claimed == 4096);
	/* CONNECT: everything. */
	b.len = 0;
	b_u32(&b, DXG_PROTOCOL_VERSION);
	b_u32(&b, 0);
	b_u64(&b, 0);
	assert_int_equal(req(f, DXGW_OP_CONNECT, 0, &b), 0);
	assert_int_equal(stats(f, 0).allocations, 0);
	assert_true(stats(f, 0).claimed == 0);
	assert_true(memory_heap_largest_free(&f->vm) == HEAP_SIZE);
	assert_int_equal(handle_table_live(&f->vm.handles), f->vm.adapter_count);
}

static void test_create_cycles_back_to_baseline(void **state)
{
	struct fixture *f = *state;
	struct proc p = new_proc(f, "cycles");
	uint32_t live = handle_table_live(&f->vm.handles);

	for (int i = 0; i < 2000; i++) {
		const struct desc d[2] = {
			{ .kind = OPENDXG_ALLOC_KIND_HOST_VISIBLE, .size = 1 + (uint64_t)i * 37 },
			{ .kind = OPENDXG_ALLOC_KIND_DEVICE_LOCAL, .size = 4096 },
		};
		uint32_t h[2];

		assert_int_equal(create(f, &p, 0, 0, NULL, 0, d, 2, h), 0);
		assert_int_equal(destroy(f, &p, 0, h, 2), 0);
	}
	assert_int_equal(handle_table_live(&f->vm.handles), live);
	assert_int_equal(stats(f, 0).allocations, 0);
	assert_true(stats(f, 0).claimed == 0);
	assert_true(memory_heap_largest_free(&f->vm) == HEAP_SIZE);
}

static void test_misuse(void **state)
{
	struct fixture *f = *state;
	struct proc p = new_proc(f, "misuse");
	struct proc other = new_proc(f, "misuse2");
	const struct desc hv = { .kind = OPENDXG_ALLOC_KIND_HOST_VISIBLE, .size = 1 };
	uint32_t h, two[2];

	assert_int_equal(alloc1(f, &p, OPENDXG_ALLOC_KIND_HOST_VISIBLE, 1, &h), 0);
	/* Another process's device, a device handle used as a resource, a destroyed resource. */
	assert_int_equal(create(f, &other, 0, 0, NULL, 0, &hv, 1, NULL), 0);
	{
		struct proc wrong = { .handle = other.handle, .device = p.device };

		assert_int_equal(create(f, &wrong, 0, 0, NULL, 0, &hv, 1, NULL), -EINVAL);
	}
	assert_int_equal(create(f, &p, 0, p.device, NULL, 0, &hv, 1, NULL), -EINVAL);
	assert_int_equal(create(f, &p, 0, h, NULL, 0, &hv, 1, NULL), -EINVAL);
	/* Runtime data without CREATE_RESOURCE; CREATE_SHARED without its companions. */
	assert_int_equal(create(f, &p, 0, 0, "r", 1, &hv, 1, NULL), -EINVAL);
	assert_int_equal(create(f, &p, D3DKMT_CREATEALLOCATION_FLAG_CREATE_RESOURCE |
				D3DKMT_CREATEALLOCATION_FLAG_CREATE_SHARED, 0, NULL, 0, &hv, 1,
				NULL), -EINVAL);
	assert_int_equal(create(f, &p, D3DKMT_CREATEALLOCATION_FLAG_EXISTING_SYSMEM, 0, NULL, 0,
				&hv, 1, NULL), -EINVAL);
	/* Bad descriptors: kind, size 0. */
	{
		struct desc bad = { .kind = 4, .size = 1 };

		assert_int_equal(create(f, &p, 0, 0, NULL, 0, &bad, 1, NULL), -EINVAL);
		bad.kind = OPENDXG_ALLOC_KIND_DEVICE_LOCAL;
		bad.size = 0;
		assert_int_equal(create(f, &p, 0, 0, NULL, 0, &bad, 1, NULL), -EINVAL);
		/* Larger than anything: quota/memory, not malformed. */
		bad.size = 1ull << 50;
		assert_int_equal(create(f, &p, 0, 0, NULL, 0, &bad, 1, NULL), -ENOMEM);
		bad.kind = OPENDXG_ALLOC_KIND_HOST_VISIBLE;
		bad.size = HEAP_SIZE + 1;
		assert_int_equal(create(f, &p, 0, 0, NULL, 0, &bad, 1, NULL), -ENOMEM);
	}
	/* Duplicates in a destroy list. */
	two[0] = two[1] = h;
	assert_int_equal(destroy(f, &p, 0, two, 2), -EINVAL);
	assert_int_equal(stats(f, 0).allocations, 2);
	/* A list naming a foreign allocation destroys nothing. */
	assert_int_equal(free1(f, &p, h), 0);
	assert_int_equal(alloc1(f, &p, OPENDXG_ALLOC_KIND_HOST_VISIBLE, 1, &two[0]), 0);
	assert_int_equal(alloc1(f, &other, OPENDXG_ALLOC_KIND_HOST_VISIBLE, 1, &two[1]), 0);
	assert_int_equal(destroy(f, &p, 0, two, 2), -EINVAL);
	assert_int_equal(stats(f, 0).allocations, 3);
}

/* The real thing: a pattern in lavapipe device memory survives eviction and comes back. */
static void test_vulkan_evict_restore(void **state)
{
	const struct vm_memory_quota quota = VM_MEMORY_DEFAULT_QUOTA;
	struct fixture *f = fixture_new(&quota, true);
	const uint64_t size = 5 * MiB + 77;
	unsigned char *pattern, *back;
	struct dxg_allocation *a;
	struct proc p;
	struct queue q;
	uint32_t h;

	(void)state;
	if (f->vm.adapter_count == 0) {
		print_error("no Vulkan adapter (is mesa-vulkan-drivers installed?)\n");
		fail();
	}
	p = new_proc(f, "vulkan");
	q = new_queue(f, &p);
	assert_int_equal(alloc1(f, &p, OPENDXG_ALLOC_KIND_DEVICE_LOCAL, size, &h), 0);
	a = memory_find_allocation(&f->vm, vm_find_process(&f->vm, p.handle), h);
	pattern = malloc(size);
	back = malloc(size);
	assert_non_null(pattern);
	assert_non_null(back);
	/* Zeroed when created. */
	assert_int_equal(vk_buffer_read(a->buffer, 0, back, size), 0);
	for (uint64_t i = 0; i < size; i++)
		assert_int_equal(back[i], 0);
	for (uint64_t i = 0; i < size; i++)
		pattern[i] = (unsigned char)((i * 2654435761u) >> 13);
	assert_int_equal(vk_buffer_write(a->buffer, 0, pattern, size), 0);

	assert_int_equal(evict(f, &p, &h, 1), 0);
	assert_null(a->buffer);
	assert_true(stats(f, 0).bytes[MEM_CAT_EVICTED] == (size + 4095) / 4096 * 4096);
	assert_true(stats(f, 0).bytes[MEM_CAT_DEVICE_LOCAL] == 0);

	assert_int_equal(make_resident(f, &p, &q, &h, 1, NULL, false), DXGW_STATUS_PENDING);
	assert_true(fence_at(f, q.fence_offset) == 0);
	memory_after_reply(&f->vm);
	assert_true(fence_at(f, q.fence_offset) == r64(f, 0));
	assert_non_null(a->buffer);
	memset(back, 0, size);
	assert_int_equal(vk_buffer_read(a->buffer, 0, back, size), 0);
	assert_memory_equal(back, pattern, size);
	assert_true(stats(f, 0).bytes[MEM_CAT_EVICTED] == 0);
	assert_true(stats(f, 0).bytes[MEM_CAT_DEVICE_LOCAL] == (size + 4095) / 4096 * 4096);
	free(pattern);
	free(back);
	teardown((void **)&f);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_kinds_and_charges, setup_default, teardown),
		cmocka_unit_test_setup_teardown(test_program_checks, setup_default, teardown),
		cmocka_unit_test_setup_teardown(test_host_visible_zeroed, setup_default, teardown),
		cmocka_unit_test_setup_teardown(test_quota_exact, setup_small, teardown),
		cmocka_unit_test_setup_teardown(test_max_allocations, setup_small, teardown),
		cmocka_unit_test_setup_teardown(test_resources, setup_default, teardown),
		cmocka_unit_test_setup_teardown(test_lock_rules, setup_default, teardown),
		cmocka_unit_test_setup_teardown(test_evict_restore_pending, setup_default, teardown),
		cmocka_unit_test_setup_teardown(test_offer_discard_reclaim, setup_small, teardown),
		cmocka_unit_test_setup_teardown(test_offer_resources, setup_small, teardown),
		cmocka_unit_test_setup_teardown(test_video_memory_and_reservations, setup_small,
						teardown),
		cmocka_unit_test_setup_teardown(test_paging_queue_fences, setup_default, teardown),
		cmocka_unit_test_setup_teardown(test_update_alloc_property, setup_default, teardown),
		cmocka_unit_test_setup_teardown(test_gpu_va, setup_small, teardown),
		cmocka_unit_test_setup_teardown(test_teardown_cascades, setup_default, teardown),
		cmocka_unit_test_setup_teardown(test_create_cycles_back_to_baseline, setup_default,
						teardown),
		cmocka_unit_test_setup_teardown(test_misuse, setup_default, teardown),
		cmocka_unit_test(test_vulkan_evict_restore),
	};

	if (argc > 1)
		spirv_dir = argv[1];
	dxg_log_init("test-memory", DXG_LOG_WARN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
