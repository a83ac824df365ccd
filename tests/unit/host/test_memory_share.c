// SPDX-License-Identifier: MIT
/*
 * Resource sharing in the worker's memory module (memory.h "Sharing resources") and
 * INVALIDATE_CACHE: a resource shared by one process and opened by another names the same
 * memory (one charge, one state), read-only opens cannot write through LOCK or GPU VA, the
 * memory outlives its creator while a share hold or an opened handle is left and goes with the
 * last of them. Shares are taken and opened with the memory_share_* calls share.c makes; every
 * other step goes through the dispatcher, and memory_check() runs after each request.
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

#define SHARED_FLAGS (D3DKMT_CREATEALLOCATION_FLAG_CREATE_RESOURCE | \
		      D3DKMT_CREATEALLOCATION_FLAG_CREATE_SHARED | \
		      D3DKMT_CREATEALLOCATION_FLAG_NT_SECURITY_SHARING)

static struct dxg_process *process_of(struct fixture *f, const struct proc *p)
{
	struct dxg_process *dp = vm_find_process(&f->vm, p->handle);

	assert_non_null(dp);
	return dp;
}

static struct mem_share *share(struct fixture *f, const struct proc *p, uint32_t resource)
{
	struct mem_share *s = NULL;

	assert_int_equal(memory_share_resource(&f->vm, process_of(f, p), resource, &s), 0);
	assert_non_null(s);
	assert_null(memory_check(&f->vm));
	return s;
}

/* OPEN_SHARED_RESOURCE as share.c hands it over; the reply lands in f->reply's body. */
static int open_shared(struct fixture *f, const struct proc *p, struct mem_share *s,
		       uint32_t access, uint32_t count)
{
	struct dxgw_request rq;
	int ret;

	memset(&rq, 0, sizeof(rq));
	rq.opcode = DXGW_OP_OPEN_SHARED_RESOURCE;
	rq.process = p->handle;
	rq.open_shared_resource.device = p->device;
	rq.open_shared_resource.access = access;
	rq.open_shared_resource.share_id = 1;
	rq.open_shared_resource.allocation_count = count;
	f->reply_len = 0xffff;
	ret = memory_share_open(&f->vm, process_of(f, p), &rq, s,
				f->reply + sizeof(struct dxgw_hdr),
				sizeof(f->reply) - sizeof(struct dxgw_hdr), &f->reply_len);
	if (ret)
		assert_int_equal(f->reply_len, 0);
	f->reply_len += sizeof(struct dxgw_hdr);
	assert_null(memory_check(&f->vm));
	return ret;
}

static int query_shared(struct fixture *f, const struct proc *p, uint32_t device,
			struct mem_share *s)
{
	int ret;

	ret = memory_share_query(&f->vm, process_of(f, p), device, s,
				 f->reply + sizeof(struct dxgw_hdr),
				 sizeof(f->reply) - sizeof(struct dxgw_hdr), &f->reply_len);
	f->reply_len += sizeof(struct dxgw_hdr);
	return ret;
}

static void put(struct fixture *f, struct mem_share *s)
{
	memory_share_put(&f->vm, s);
	assert_null(memory_check(&f->vm));
}

/* LOCK: the region offset, the reply checked for its size; flags to *flags. */
static uint64_t lock(struct fixture *f, const struct proc *p, uint32_t alloc, uint32_t *flags)
{
	assert_int_equal(lock_op(f, DXGW_OP_LOCK, p, alloc), 0);
	assert_int_equal(body_len(f), sizeof(struct dxgw_lock_reply));
	if (flags)
		*flags = r32(f, offsetof(struct dxgw_lock_reply, flags));
	return r64(f, 0);
}

static int invalidate(struct fixture *f, const struct proc *p, uint32_t alloc, uint64_t offset,
		      uint64_t length)
{
	struct body b = { .len = 0 };

	b_u32(&b, p->device);
	b_u32(&b, alloc);
	b_u64(&b, offset);
	b_u64(&b, length);
	return req(f, DXGW_OP_INVALIDATE_CACHE, p->handle, &b);
}

static void destroy_process(struct fixture *f, const struct proc *p)
{
	struct body b = { .len = 0 };

	assert_int_equal(req(f, DXGW_OP_DESTROY_PROCESS, p->handle, &b), 0);
}

static int translate(struct fixture *f, const struct proc *p, uint64_t va, bool write,
		     struct dxg_allocation **a, uint64_t *off)
{
	return memory_translate_gpu_va(process_of(f, p), 0, va, 16, write, a, off);
}

/*
 * Host-visible: one memory through two processes' LOCKs and GPU VAs, charged once, surviving its
 * creator's resource and process, freed with the last handle.
 */
static void test_share_host_visible(void **state)
{
	struct fixture *f = *state;
	struct proc a = new_proc(f, "creator");
	struct proc b = new_proc(f, "opener");
	const struct desc d[2] = {
		{ .kind = OPENDXG_ALLOC_KIND_HOST_VISIBLE, .size = 8 * KiB + 1 },
		{ .kind = OPENDXG_ALLOC_KIND_HOST_VISIBLE, .size = 4 * KiB },
	};
	const char runtime[] = "runtime-private";	/* 16 bytes with the NUL */
	uint32_t h[2], res, opened, oh[2], flags;
	uint64_t off_a, off_b, va, off;
	struct dxg_allocation *holder, *t;
	struct queue qb;
	struct mem_share *s;

	assert_int_equal(create(f, &a, SHARED_FLAGS, 0, runtime, 15, d, 2, h), 0);
	res = r32(f, 0);
	assert_true(stats(f, 0).claimed == 16 * KiB);
	s = share(f, &a, res);
	/* A second share of the same resource: the same memory, one more hold. */
	assert_ptr_equal(share(f, &a, res), s);
	put(f, s);

	assert_int_equal(query_shared(f, &b, b.device, s), 0);
	assert_int_equal(body_len(f), 8);
	assert_int_equal(r32(f, 0), 2);
	assert_int_equal(r32(f, 4), 15);

	assert_int_equal(open_shared(f, &b, s, DXGW_ACCESS_RESOURCE_ALL, 2), 0);
	assert_int_equal(body_len(f), 16 + 2 * 16 + 16);
	opened = r32(f, 0);
	assert_int_not_equal(opened, 0);
	assert_int_equal(r32(f, 4), 2);
	assert_int_equal(r32(f, 8), 15);
	oh[0] = r32(f, 16);
	oh[1] = r32(f, 32);
	assert_int_equal(r32(f, 20), OPENDXG_ALLOC_KIND_HOST_VISIBLE);
	assert_true(r64(f, 24) == 8 * KiB + 1);
	assert_true(r64(f, 40) == 4 * KiB);
	assert_memory_equal(f->reply + sizeof(struct dxgw_hdr) + 48, runtime, 15);
	assert_int_equal(f->reply[sizeof(struct dxgw_hdr) + 48 + 15], 0);	/* padding */
	/* Opened handles cost nothing more: the same bytes, two more allocation handles. */
	assert_true(stats(f, 0).claimed == 16 * KiB);
	assert_true(stats(f, 0).bytes[MEM_CAT_HOST_VISIBLE] == 16 * KiB);
	assert_int_equal(stats(f, 0).allocations, 4);
	assert_int_equal(stats(f, 0).resources, 2);

	/* One memory: what one process writes through its LOCK, the other reads through its own. */
	off_a = lock(f, &a, h[0], &flags);
	assert_int_equal(flags, 0);
	off_b = lock(f, &b, oh[0], &flags);
	assert_int_equal(flags, 0);
	assert_true(off_a == off_b);
	assert_int_equal(r32(f, offsetof(struct dxgw_lock_reply, resource)), opened);
	memcpy(f->region + off_a + 100, "shared bytes", 12);
	assert_memory_equal(f->region + off_b + 100, "shared bytes", 12);
	/* One lock count on the memory: the creator's UNLOCK and the opener's together. */
	assert_int_equal(lock_op(f, DXGW_OP_UNLOCK, &b, oh[0]), 0);
	assert_int_equal(lock_op(f, DXGW_OP_UNLOCK, &a, h[0]), 0);
	assert_int_equal(lock_op(f, DXGW_OP_UNLOCK, &b, oh[0]), -EINVAL);

	/* The opener's GPU VA translates to the creator's memory, writable. */
	qb = new_queue(f, &b);
	va = reserve(f, &b, 0, 0, 0, 16 * KiB, 0);
	assert_int_equal(map_va(f, &b, &qb, oh[0], va, 0, 3, D3DDDIGPUVA_PROTECTION_WRITE), 0);
	holder = memory_find_allocation(&f->vm, process_of(f, &a), h[0]);
	assert_non_null(holder);
	assert_int_equal(translate(f, &b, va + 100, true, &t, &off), 0);
	assert_ptr_equal(t, holder);
	assert_true(off == 100);
	assert_true(holder->heap_offset == off_b);

	/* The creator's resource goes: the memory stays, charged to the VM, not to the creator. */
	assert_int_equal(destroy(f, &a, res, NULL, 0), 0);
	assert_int_equal(stats(f, 0).allocations, 2);
	assert_int_equal(stats(f, 0).resources, 1);
	assert_true(stats(f, 0).claimed == 16 * KiB);
	assert_int_equal(video_memory(f, DXGW_OP_QUERY_VIDEO_MEMORY, &a,
				      D3DKMT_MEMORY_SEGMENT_GROUP_NON_LOCAL, 0), 0);
	assert_true(r64(f, 8) == 0);
	assert_null(memory_find_allocation(&f->vm, process_of(f, &a), h[0]));
	/* ... and its process too. */
	destroy_process(f, &a);
	assert_true(lock(f, &b, oh[0], NULL) == off_b);
	assert_memory_equal(f->region + off_b + 100, "shared bytes", 12);
	assert_int_equal(lock_op(f, DXGW_OP_UNLOCK, &b, oh[0]), 0);
	assert_int_equal(translate(f, &b, va + 100, false, &t, &off), 0);
	assert_true(t->heap_offset == off_b);
	assert_memory_equal(f->region + t->heap_offset + off, "shared bytes", 12);
	/* A later open still gets the runtime data, though its resource is gone. */
	assert_int_equal(open_shared(f, &b, s, DXGW_ACCESS_READ, 2), 0);
	assert_int_equal(r32(f, 8), 15);
	assert_memory_equal(f->reply + sizeof(struct dxgw_hdr) + 48, runtime, 15);
	assert_int_equal(destroy(f, &b, r32(f, 0), NULL, 0), 0);

	/* The share's hold goes: the opener's handle still keeps the memory. */
	put(f, s);
	assert_true(stats(f, 0).claimed == 16 * KiB);
	assert_memory_equal(f->region + off_b + 100, "shared bytes", 12);
	/* The last handle goes: the pages return, the VM's charge drops to 0. */
	assert_int_equal(destroy(f, &b, opened, NULL, 0), 0);
	assert_true(stats(f, 0).claimed == 0);
	assert_int_equal(stats(f, 0).allocations, 0);
	assert_true(stats(f, 0).bytes[MEM_CAT_HOST_VISIBLE] == 0);
	assert_true(memory_heap_largest_free(&f->vm) == HEAP_SIZE);
	/* The opener's mapping went with its handle. */
	assert_int_equal(translate(f, &b, va, false, &t, &off), -EFAULT);
}

/* Without DXGW_ACCESS_WRITE: LOCK says read-only, GPU VA mappings never allow writes. */
static void test_share_read_only(void **state)
{
	struct fixture *f = *state;
	struct proc a = new_proc(f, "creator");
	struct proc b = new_proc(f, "reader");
	const struct desc d = { .kind = OPENDXG_ALLOC_KIND_HOST_VISIBLE, .size = 4 * KiB };
	uint32_t h, oh, flags;
	uint64_t va, off;
	struct dxg_allocation *t;
	struct queue qa, qb;
	struct mem_share *s, *again;

	assert_int_equal(create(f, &a, SHARED_FLAGS, 0, NULL, 0, &d, 1, &h), 0);
	s = share(f, &a, r32(f, 0));
	/* READ is needed to open at all. */
	assert_int_equal(open_shared(f, &b, s, 0, 1), -EACCES);
	assert_int_equal(open_shared(f, &b, s, DXGW_ACCESS_WRITE, 1), -EACCES);
	assert_int_equal(open_shared(f, &b, s, DXGW_ACCESS_READ, 1), 0);
	oh = r32(f, 16);
	/* A read-only handle cannot pass on more than it has: it may not share the resource. */
	again = s;
	assert_int_equal(memory_share_resource(&f->vm, process_of(f, &b), r32(f, 0), &again),
			 -EACCES);
	assert_null(again);

	(void)lock(f, &b, oh, &flags);
	assert_int_equal(flags, DXGW_LOCK_READ_ONLY);
	(void)lock(f, &a, h, &flags);
	assert_int_equal(flags, 0);

	qb = new_queue(f, &b);
	va = reserve(f, &b, 0, 0, 0, 4 * KiB, 0);
	assert_int_equal(map_va(f, &b, &qb, oh, va, 0, 1, D3DDDIGPUVA_PROTECTION_WRITE), 0);
	assert_int_equal(translate(f, &b, va, false, &t, &off), 0);
	assert_int_equal(translate(f, &b, va, true, &t, &off), -EACCES);
	/* The creator's own mapping of the same memory stays writable. */
	qa = new_queue(f, &a);
	va = reserve(f, &a, 0, 0, 0, 4 * KiB, 0);
	assert_int_equal(map_va(f, &a, &qa, h, va, 0, 1, D3DDDIGPUVA_PROTECTION_WRITE), 0);
	assert_int_equal(translate(f, &a, va, true, &t, &off), 0);
	put(f, s);
}

/* Who may share, open and query, and the seal. */
static void test_share_rules(void **state)
{
	struct fixture *f = *state;
	struct proc a = new_proc(f, "creator");
	struct proc b = new_proc(f, "opener");
	struct proc other = new_proc_on(f, "other adapter", 1);
	const struct desc d = { .kind = OPENDXG_ALLOC_KIND_HOST_VISIBLE, .size = 4 * KiB };
	uint32_t h, plain_res, res, standalone, extra, oh;
	struct mem_share *s = NULL;

	/* Only resources created with CREATE_SHARED, of the caller, by a resource handle. */
	assert_int_equal(create(f, &a, D3DKMT_CREATEALLOCATION_FLAG_CREATE_RESOURCE, 0, NULL, 0,
				&d, 1, &h), 0);
	plain_res = r32(f, 0);
	assert_int_equal(memory_share_resource(&f->vm, process_of(f, &a), plain_res, &s),
			 -EINVAL);
	assert_null(s);
	assert_int_equal(alloc1(f, &a, OPENDXG_ALLOC_KIND_HOST_VISIBLE, 4096, &standalone), 0);
	assert_int_equal(memory_share_resource(&f->vm, process_of(f, &a), standalone, &s),
			 -EINVAL);
	assert_int_equal(create(f, &a, SHARED_FLAGS, 0, NULL, 0, &d, 1, &h), 0);
	res = r32(f, 0);
	assert_int_equal(memory_share_resource(&f->vm, process_of(f, &b), res, &s), -EINVAL);
	assert_int_equal(memory_share_resource(&f->vm, process_of(f, &a), 0, &s), -EINVAL);

	/* Before sharing, allocations may join the resource; after, it is sealed. */
	assert_int_equal(create(f, &a, 0, res, NULL, 0, &d, 1, &extra), 0);
	s = share(f, &a, res);
	assert_int_equal(create(f, &a, 0, res, NULL, 0, &d, 1, &extra), -EINVAL);
	assert_int_equal(create(f, &a, 0, plain_res, NULL, 0, &d, 1, &extra), 0);

	/* The device: the caller's, on the resource's adapter. */
	assert_int_equal(query_shared(f, &b, a.device, s), -EINVAL);
	assert_int_equal(query_shared(f, &other, other.device, s), -EINVAL);
	assert_int_equal(query_shared(f, &b, 0, s), -EINVAL);
	assert_int_equal(query_shared(f, &a, a.device, s), 0);
	assert_int_equal(r32(f, 0), 2);
	assert_int_equal(open_shared(f, &other, s, DXGW_ACCESS_RESOURCE_ALL, 2), -EINVAL);
	/* The allocation count must match; unknown access bits are invalid. */
	assert_int_equal(open_shared(f, &b, s, DXGW_ACCESS_RESOURCE_ALL, 1), -EINVAL);
	assert_int_equal(open_shared(f, &b, s, DXGW_ACCESS_RESOURCE_ALL, 3), -EINVAL);
	assert_int_equal(open_shared(f, &b, s, DXGW_ACCESS_READ | 0x10, 2), -EINVAL);
	assert_int_equal(stats(f, 0).resources, 2);

	/* The creator may open its own share too: a second handle on the same memory. */
	assert_int_equal(open_shared(f, &a, s, DXGW_ACCESS_RESOURCE_ALL, 2), 0);
	oh = r32(f, 16);
	/* An opened resource is sealed, and its allocations go only with it. */
	assert_int_equal(create(f, &a, 0, r32(f, 0), NULL, 0, &d, 1, &extra), -EINVAL);
	assert_int_equal(free1(f, &a, oh), -EINVAL);
	/* Two handles naming one memory in one list: -EINVAL, nothing changes. */
	assert_int_equal(evict(f, &a, (uint32_t[]){ h, oh }, 2), -EINVAL);
	/* An opened resource may be shared again: the same memory. */
	assert_ptr_equal(share(f, &a, r32(f, 0)), s);
	put(f, s);
	put(f, s);
}

/* Device-local memory evicted through one process's handle, restored through the other's. */
static void test_share_device_local_residency(void **state)
{
	struct fixture *f = *state;
	struct proc a = new_proc(f, "creator");
	struct proc b = new_proc(f, "opener");
	const struct desc d = { .kind = OPENDXG_ALLOC_KIND_DEVICE_LOCAL, .size = 64 * KiB };
	unsigned char pattern[64 * KiB];
	struct fake_buffer *fb;
	struct dxg_allocation *holder;
	uint32_t h, oh, res, values[1];
	struct queue qa, qb;
	struct mem_share *s;

	for (size_t i = 0; i < sizeof(pattern); i++)
		pattern[i] = (unsigned char)(i * 7 + 3);
	assert_int_equal(create(f, &a, SHARED_FLAGS, 0, NULL, 0, &d, 1, &h), 0);
	res = r32(f, 0);
	holder = memory_find_allocation(&f->vm, process_of(f, &a), h);
	fb = (struct fake_buffer *)holder->buffer;
	memcpy(fb->data, pattern, sizeof(pattern));
	s = share(f, &a, res);
	assert_int_equal(open_shared(f, &b, s, DXGW_ACCESS_RESOURCE_ALL, 1), 0);
	oh = r32(f, 16);
	assert_true(stats(f, 0).bytes[MEM_CAT_DEVICE_LOCAL] == 64 * KiB);

	/* One residency count on the memory: the opener's EVICT makes it non-resident for both. */
	assert_int_equal(evict(f, &b, &oh, 1), 0);
	assert_null(holder->buffer);
	assert_non_null(holder->host_copy);
	assert_true(stats(f, 0).bytes[MEM_CAT_EVICTED] == 64 * KiB);
	assert_true(stats(f, 0).bytes[MEM_CAT_DEVICE_LOCAL] == 0);
	assert_int_equal(alloc_list(f, DXGW_OP_QUERY_RESIDENCY, &a, 0, &h, 1, NULL), 0);
	assert_int_equal(r32(f, 8), D3DKMT_ALLOCATIONRESIDENCYSTATUS_NOTRESIDENT);
	assert_int_equal(evict(f, &a, &h, 1), -EINVAL);

	/* The creator's MAKE_RESIDENT brings the contents back. */
	qa = new_queue(f, &a);
	assert_int_equal(make_resident(f, &a, &qa, &h, 1, NULL, true), DXGW_STATUS_PENDING);
	assert_non_null(holder->buffer);
	fb = (struct fake_buffer *)holder->buffer;
	assert_memory_equal(fb->data, pattern, sizeof(pattern));
	assert_int_equal(alloc_list(f, DXGW_OP_QUERY_RESIDENCY, &b, 0, &oh, 1, NULL), 0);
	assert_int_equal(r32(f, 8), D3DKMT_ALLOCATIONRESIDENCYSTATUS_RESIDENTINGPUMEMORY);

	/* Priorities are the memory's too. */
	values[0] = 0x12345678;
	assert_int_equal(alloc_list(f, DXGW_OP_SET_PRIORITY, &b, 0, &oh, 1, values), 0);
	assert_int_equal(alloc_list(f, DXGW_OP_GET_PRIORITY, &a, 0, &h, 1, NULL), 0);
	assert_int_equal(r32(f, 8), 0x12345678);

	/* Evicted after its creator went: the opener restores it, contents intact. */
	assert_int_equal(evict(f, &a, &h, 1), 0);
	destroy_process(f, &a);
	assert_true(stats(f, 0).bytes[MEM_CAT_EVICTED] == 64 * KiB);
	assert_true(stats(f, 0).claimed == 64 * KiB);
	qb = new_queue(f, &b);
	assert_int_equal(make_resident(f, &b, &qb, &oh, 1, NULL, true), DXGW_STATUS_PENDING);
	assert_non_null(holder->buffer);
	fb = (struct fake_buffer *)holder->buffer;
	assert_memory_equal(fb->data, pattern, sizeof(pattern));
	assert_true(stats(f, 0).bytes[MEM_CAT_DEVICE_LOCAL] == 64 * KiB);

	/* Offer through the opener, discard under pressure is the memory's: reclaim says so. */
	assert_int_equal(offer(f, &b, D3DKMT_OFFER_PRIORITY_LOW, false, &oh, 1), 0);
	assert_int_equal(reclaim(f, &b, &qb, false, &oh, 1), 0);
	assert_int_equal(r32(f, 16), D3DDDI_RECLAIM_RESULT_OK);

	put(f, s);
	assert_true(stats(f, 0).claimed == 64 * KiB);
	destroy_process(f, &b);
	assert_true(stats(f, 0).claimed == 0);
	assert_true(stats(f, 0).bytes[MEM_CAT_DEVICE_LOCAL] == 0);
	assert_int_equal(fake_used, 0);
}

/*
 * A creator whose reservation covered the shared memory: when its handle goes, the bytes move
 * to the VM's shared charge and the reservation shrinks by them, so the total claim stays put
 * and within the quota.
 */
static void test_share_charge_moves_within_quota(void **state)
{
	struct fixture *f = *state;
	struct proc a = new_proc(f, "creator");
	struct proc b = new_proc(f, "opener");
	const struct desc d = { .kind = OPENDXG_ALLOC_KIND_HOST_VISIBLE, .size = 256 * KiB };
	uint32_t h, res, opened;
	struct mem_share *s;

	assert_int_equal(video_memory(f, DXGW_OP_CHANGE_RESERVATION, &a,
				      D3DKMT_MEMORY_SEGMENT_GROUP_NON_LOCAL, 1 * MiB), 0);
	assert_int_equal(create(f, &a, SHARED_FLAGS, 0, NULL, 0, &d, 1, &h), 0);
	res = r32(f, 0);
	assert_true(stats(f, 0).claimed == 1 * MiB);
	s = share(f, &a, res);
	assert_int_equal(open_shared(f, &b, s, DXGW_ACCESS_RESOURCE_ALL, 1), 0);
	opened = r32(f, 0);
	/* The quota is full: the opener cannot allocate, though opening cost nothing. */
	assert_int_equal(alloc1(f, &b, OPENDXG_ALLOC_KIND_HOST_VISIBLE, 4096, &h), -ENOMEM);

	assert_int_equal(destroy(f, &a, res, NULL, 0), 0);
	assert_true(stats(f, 0).claimed == 1 * MiB);
	assert_int_equal(video_memory(f, DXGW_OP_QUERY_VIDEO_MEMORY, &a,
				      D3DKMT_MEMORY_SEGMENT_GROUP_NON_LOCAL, 0), 0);
	assert_true(r64(f, 8) == 0);
	assert_true(r64(f, 16) == 768 * KiB);

	put(f, s);
	assert_int_equal(destroy(f, &b, opened, NULL, 0), 0);
	assert_true(stats(f, 0).claimed == 768 * KiB);
}

/* The share's hold alone keeps the memory; the last put frees it. A hold left at exit: no leak. */
static void test_share_hold_alone(void **state)
{
	struct fixture *f = *state;
	struct proc a = new_proc(f, "creator");
	const struct desc d[2] = {
		{ .kind = OPENDXG_ALLOC_KIND_HOST_VISIBLE, .size = 12 * KiB },
		{ .kind = OPENDXG_ALLOC_KIND_DEVICE_LOCAL, .size = 8 * KiB },
	};
	uint32_t h[2];
	struct mem_share *s, *left;

	assert_int_equal(create(f, &a, SHARED_FLAGS, 0, "rt", 2, d, 2, h), 0);
	s = share(f, &a, r32(f, 0));
	destroy_process(f, &a);
	assert_true(stats(f, 0).claimed == 20 * KiB);
	assert_int_equal(stats(f, 0).allocations, 0);
	assert_true(memory_heap_largest_free(&f->vm) < HEAP_SIZE);
	put(f, s);
	assert_true(stats(f, 0).claimed == 0);
	assert_true(stats(f, 0).bytes[MEM_CAT_HOST_VISIBLE] == 0);
	assert_true(stats(f, 0).bytes[MEM_CAT_DEVICE_LOCAL] == 0);
	assert_true(memory_heap_largest_free(&f->vm) == HEAP_SIZE);
	assert_int_equal(fake_used, 0);

	/* A hold nobody drops: vm_fini (in teardown) frees it; ASan and fake_used see the rest. */
	a = new_proc(f, "leaver");
	assert_int_equal(create(f, &a, SHARED_FLAGS, 0, "rt", 2, d, 2, h), 0);
	left = share(f, &a, r32(f, 0));
	assert_non_null(left);
}

static void test_invalidate_cache(void **state)
{
	struct fixture *f = *state;
	struct proc a = new_proc(f, "creator");
	struct proc b = new_proc(f, "opener");
	const struct desc d = { .kind = OPENDXG_ALLOC_KIND_DEVICE_LOCAL, .size = 5000 };
	uint32_t h, hv, oh;
	struct mem_share *s;

	assert_int_equal(alloc1(f, &a, OPENDXG_ALLOC_KIND_HOST_VISIBLE, 4096, &hv), 0);
	assert_int_equal(invalidate(f, &a, hv, 0, 4096), 0);
	assert_int_equal(body_len(f), 0);
	assert_int_equal(invalidate(f, &a, hv, 4095, 1), 0);
	assert_int_equal(invalidate(f, &a, hv, 4096, 1), -EINVAL);
	assert_int_equal(invalidate(f, &a, hv, 0, 4097), -EINVAL);
	assert_int_equal(invalidate(f, &a, hv, 0, 0), -EINVAL);
	assert_int_equal(invalidate(f, &a, hv, UINT64_MAX, 1), -EINVAL);
	assert_int_equal(invalidate(f, &a, hv, 1, UINT64_MAX), -EINVAL);
	/* Bad handles: not an allocation, another process's, another device's. */
	assert_int_equal(invalidate(f, &a, 0, 0, 1), -EINVAL);
	assert_int_equal(invalidate(f, &b, hv, 0, 1), -EINVAL);

	/* The range is the allocation's size, not its page-rounded charge; opened ones too. */
	assert_int_equal(create(f, &a, SHARED_FLAGS, 0, NULL, 0, &d, 1, &h), 0);
	s = share(f, &a, r32(f, 0));
	assert_int_equal(open_shared(f, &b, s, DXGW_ACCESS_READ, 1), 0);
	oh = r32(f, 16);
	assert_int_equal(invalidate(f, &a, h, 0, 5000), 0);
	assert_int_equal(invalidate(f, &a, h, 0, 5001), -EINVAL);
	assert_int_equal(invalidate(f, &b, oh, 4999, 1), 0);
	assert_int_equal(invalidate(f, &b, oh, 5000, 1), -EINVAL);
	assert_int_equal(invalidate(f, &b, h, 0, 1), -EINVAL);
	put(f, s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_share_host_visible, setup_default, teardown),
		cmocka_unit_test_setup_teardown(test_share_read_only, setup_default, teardown),
		cmocka_unit_test_setup_teardown(test_share_rules, setup_default, teardown),
		cmocka_unit_test_setup_teardown(test_share_device_local_residency, setup_default,
						teardown),
		cmocka_unit_test_setup_teardown(test_share_charge_moves_within_quota, setup_small,
						teardown),
		cmocka_unit_test_setup_teardown(test_share_hold_alone, setup_default, teardown),
		cmocka_unit_test_setup_teardown(test_invalidate_cache, setup_default, teardown),
	};

	dxg_log_init("test-memory-share", DXG_LOG_WARN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
