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
#include "memory.h"
#include "objects.h"
#include "vk_device.h"
#include "wire_body.h"
#include "worker_dispatch.h"

#define KiB 1024ull
#define MiB (1024ull * 1024ull)

/* Region stand-in (a memfd, so hole punching is exercised): fences at 64 KiB, heap at 1 MiB. */
#define REGION_SIZE (8 * MiB)
#define FENCE_OFFSET (64 * KiB)
#define FENCE_SIZE (16 * KiB)
#define HEAP_OFFSET (1 * MiB)
#define HEAP_SIZE (7 * MiB)

/* ---- a device-local backend without a GPU ---- */

struct fake_buffer {
	uint64_t size;
	unsigned char *data;
};

static uint64_t fake_capacity = 1ull << 40;
static uint64_t fake_used;
static int fake_read_error;
static int fake_device_token;

static int fake_open(const struct vk_adapter *a, VkInstance instance, struct vk_device **out)
{
	(void)a;
	(void)instance;
	*out = (struct vk_device *)&fake_device_token;
	return 0;
}

static void fake_close(struct vk_device *d)
{
	(void)d;
}

static uint64_t fake_max_buffer(const struct vk_device *d)
{
	(void)d;
	return 1ull << 32;
}

static int fake_create(struct vk_device *d, uint64_t size, struct vk_buffer **out)
{
	struct fake_buffer *b;

	(void)d;
	if (size > fake_capacity - fake_used)
		return -ENOMEM;
	b = calloc(1, sizeof(*b));
	if (!b || !(b->data = calloc(1, size))) {
		free(b);
		return -ENOMEM;
	}
	b->size = size;
	fake_used += size;
	*out = (struct vk_buffer *)b;
	return 0;
}

static void fake_destroy(struct vk_buffer *vb)
{
	struct fake_buffer *b = (struct fake_buffer *)vb;

	fake_used -= b->size;
	free(b->data);
	free(b);
}

static int fake_read(struct vk_buffer *vb, uint64_t off, void *dst, uint64_t len)
{
	struct fake_buffer *b = (struct fake_buffer *)vb;

	if (fake_read_error)
		return fake_read_error;
	assert_true(off + len <= b->size);
	memcpy(dst, b->data + off, len);
	return 0;
}

static int fake_write(struct vk_buffer *vb, uint64_t off, const void *src, uint64_t len)
{
	struct fake_buffer *b = (struct fake_buffer *)vb;

	assert_true(off + len <= b->size);
	memcpy(b->data + off, src, len);
	return 0;
}

static const struct mem_device_ops fake_ops = {
	.open = fake_open,
	.close = fake_close,
	.max_buffer = fake_max_buffer,
	.buffer_create = fake_create,
	.buffer_destroy = fake_destroy,
	.buffer_read = fake_read,
	.buffer_write = fake_write,
};

/* ---- fixture ---- */

struct fixture {
	struct vk_adapter fake_adapters[2];
	struct vk_backend vk;
	bool real_vulkan;
	struct dxg_vm vm;
	struct dxg_ratelimit log;
	unsigned char reply[DXGW_MAX_MESSAGE];
	uint32_t reply_len;
	int status;
	uint64_t next_id;
	unsigned char *region;
	int fd;
};

/* One guest process with a device on adapter 0. */
struct proc {
	uint32_t handle;
	uint32_t adapter;
	uint32_t device;
};

static void fake_adapter(struct vk_adapter *a, uint8_t uuid0)
{
	memset(a, 0, sizeof(*a));
	snprintf(a->name, sizeof(a->name), "fake %u", uuid0);
	a->device_type = OPENDXG_DEVICE_TYPE_DISCRETE;
	a->device_uuid[0] = uuid0;
	a->device_local_bytes = 1ull << 30;
	a->luid_low = uuid0;
}

static struct fixture *fixture_new(const struct vm_memory_quota *quota, bool real_vulkan)
{
	const struct dxg_vm_limits limits = DXG_VM_DEFAULT_LIMITS;
	struct fixture *f = calloc(1, sizeof(*f));
	struct vm_memory_setup setup;

	assert_non_null(f);
	f->log = (struct dxg_ratelimit)DXG_RATELIMIT_INIT(1000, 0);
	f->next_id = 1;
	f->real_vulkan = real_vulkan;
	if (real_vulkan) {
		vk_backend_init(&f->vk, 7, 1);
	} else {
		fake_adapter(&f->fake_adapters[0], 1);
		fake_adapter(&f->fake_adapters[1], 2);
		f->vk.adapters = f->fake_adapters;
		f->vk.adapter_count = 2;
	}
	f->fd = memfd_create("test-memory-share-region", MFD_CLOEXEC);
	assert_true(f->fd >= 0);
	assert_int_equal(ftruncate(f->fd, REGION_SIZE), 0);
	f->region = mmap(NULL, REGION_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, f->fd, 0);
	assert_true(f->region != MAP_FAILED);
	setup = (struct vm_memory_setup){
		.region = f->region,
		.region_fd = f->fd,
		.fence_offset = FENCE_OFFSET,
		.fence_size = FENCE_SIZE,
		.heap_offset = HEAP_OFFSET,
		.heap_size = HEAP_SIZE,
		.quota = *quota,
		.device_ops = real_vulkan ? NULL : &fake_ops,
	};
	assert_int_equal(vm_init(&f->vm, &f->vk, 3, &limits, &setup), 0);
	return f;
}

static int setup_default(void **state)
{
	const struct vm_memory_quota q = VM_MEMORY_DEFAULT_QUOTA;

	fake_capacity = 1ull << 40;
	fake_read_error = 0;
	*state = fixture_new(&q, false);
	return 0;
}

/* Quota 1 MiB per adapter, 64 allocations, 16 GPU VA entries per space. */
static int setup_small(void **state)
{
	const struct vm_memory_quota q = {
		.quota_bytes = 1 * MiB,
		.max_allocations = 64,
		.max_gpuva_entries = 16,
	};

	fake_capacity = 1ull << 40;
	fake_read_error = 0;
	*state = fixture_new(&q, false);
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	assert_null(memory_check(&f->vm));
	vm_fini(&f->vm);
	if (f->real_vulkan)
		vk_backend_fini(&f->vk);
	munmap(f->region, REGION_SIZE);
	close(f->fd);
	if (!f->real_vulkan)
		assert_int_equal(fake_used, 0);
	free(f);
	return 0;
}

/* ---- requests ---- */

/*
 * Dispatches one request like the worker does. The deferred work of a PENDING reply is left for
 * the caller unless `finish` (most callers), so tests can look between reply and completion.
 */
static int send_req(struct fixture *f, uint16_t opcode, uint32_t process, const struct body *b,
		    bool finish)
{
	static unsigned char rec[DXGW_MAX_MESSAGE];
	struct dxgw_hdr h;

	memset(&h, 0, sizeof(h));
	h.size = dxg_to_le32((uint32_t)sizeof(h) + (b ? b->len : 0));
	h.opcode = dxg_to_le16(opcode);
	h.request_id = dxg_to_le64(f->next_id++);
	h.process = dxg_to_le32(process);
	memcpy(rec, &h, sizeof(h));
	if (b && b->len)
		memcpy(rec + sizeof(h), b->b, b->len);
	f->reply_len = worker_dispatch(&f->vm, rec, (uint32_t)sizeof(h) + (b ? b->len : 0),
				       f->reply, sizeof(f->reply), &f->log);
	assert_true(f->reply_len >= sizeof(h));
	memcpy(&h, f->reply, sizeof(h));
	f->status = (int)dxg_from_le32(h.status);
	if (f->status < 0)
		assert_int_equal(f->reply_len, sizeof(h));
	if (finish) {
		/* As the worker does: the deferred fence write may release queued work. */
		memory_after_reply(&f->vm);
		exec_run(&f->vm);
	}
	/* Between a PENDING reply and its completion the books are mid-flight by design. */
	if (!memory_has_deferred(&f->vm))
		assert_null(memory_check(&f->vm));
	assert_null(exec_check(&f->vm));
	return f->status;
}

static int req(struct fixture *f, uint16_t opcode, uint32_t process, const struct body *b)
{
	return send_req(f, opcode, process, b, true);
}

static uint32_t r32(struct fixture *f, size_t off)
{
	return dxg_get_le32(f->reply + sizeof(struct dxgw_hdr) + off);
}

static uint64_t r64(struct fixture *f, size_t off)
{
	return dxg_get_le64(f->reply + sizeof(struct dxgw_hdr) + off);
}

static uint32_t body_len(struct fixture *f)
{
	return f->reply_len - (uint32_t)sizeof(struct dxgw_hdr);
}

static struct proc new_proc_on(struct fixture *f, const char *name, uint32_t adapter_index)
{
	struct body b = { .len = 0 };
	struct proc p;

	b_u32(&b, 1234);
	b_u32(&b, 0);
	memset(b.b + b.len, 0, DXGW_PROCESS_NAME_LEN);
	memcpy(b.b + b.len, name, strlen(name));
	b.len += DXGW_PROCESS_NAME_LEN;
	assert_int_equal(req(f, DXGW_OP_CREATE_PROCESS, 0, &b), 0);
	p.handle = r32(f, 0);
	p.adapter = f->vm.adapters[adapter_index].handle;
	b.len = 0;
	b_u32(&b, p.adapter);
	b_u32(&b, 0);
	assert_int_equal(req(f, DXGW_OP_OPEN_ADAPTER, p.handle, &b), 0);
	b.len = 0;
	b_u32(&b, p.adapter);
	b_u32(&b, 0);
	assert_int_equal(req(f, DXGW_OP_CREATE_DEVICE, p.handle, &b), 0);
	p.device = r32(f, 0);
	return p;
}

static struct proc new_proc(struct fixture *f, const char *name)
{
	return new_proc_on(f, name, 0);
}

struct desc {
	uint32_t kind;
	uint64_t size;
	uint32_t priority;
	const void *code;
	uint32_t code_size;
};

/* CREATE_ALLOCATION; handles[] (may be NULL) gets the allocations, the reply stays in f. */
static int create(struct fixture *f, const struct proc *p, uint32_t flags, uint32_t resource,
		  const void *runtime, uint32_t runtime_size, const struct desc *d, uint32_t n,
		  uint32_t *handles)
{
	static struct body b;
	int ret;

	b.len = 0;
	b_u32(&b, p->device);
	b_u32(&b, resource);
	b_u32(&b, flags);
	b_u32(&b, n);
	b_u32(&b, runtime_size);
	b_u32(&b, 0);
	/* memcpy's source must not be NULL even for 0 bytes (UBSan's nonnull check). */
	if (runtime_size)
		memcpy(b.b + b.len, runtime, runtime_size);
	b.len += runtime_size;
	b_pad8(&b);
	for (uint32_t i = 0; i < n; i++) {
		b_u32(&b, d[i].kind);
		b_u32(&b, 0);
		b_u64(&b, d[i].size);
		b_u32(&b, d[i].priority);
		b_u32(&b, d[i].code_size);
	}
	for (uint32_t i = 0; i < n; i++) {
		if (!d[i].code_size)
			continue;
		memcpy(b.b + b.len, d[i].code, d[i].code_size);
		b.len += d[i].code_size;
		b_pad8(&b);
	}
	ret = req(f, DXGW_OP_CREATE_ALLOCATION, p->handle, &b);
	if (ret == 0) {
		assert_int_equal(body_len(f), 8 + 16 * n);
		assert_int_equal(r32(f, 4), n);
		for (uint32_t i = 0; handles && i < n; i++)
			handles[i] = r32(f, 8 + 16 * i);
	}
	return ret;
}

static int alloc1(struct fixture *f, const struct proc *p, uint32_t kind, uint64_t size,
		  uint32_t *handle)
{
	const struct desc d = { .kind = kind, .size = size };
	int ret = create(f, p, 0, 0, NULL, 0, &d, 1, handle);

	if (!ret)
		assert_true(r64(f, 16) == (size + 4095) / 4096 * 4096);
	return ret;
}

static int destroy(struct fixture *f, const struct proc *p, uint32_t resource,
		   const uint32_t *handles, uint32_t n)
{
	struct body b = { .len = 0 };

	b_u32(&b, p->device);
	b_u32(&b, resource);
	b_u32(&b, n);
	b_u32(&b, 0);
	b_list(&b, handles, n);
	return req(f, DXGW_OP_DESTROY_ALLOCATION, p->handle, &b);
}

static int free1(struct fixture *f, const struct proc *p, uint32_t handle)
{
	return destroy(f, p, 0, &handle, 1);
}

static int lock_op(struct fixture *f, uint16_t op, const struct proc *p, uint32_t alloc)
{
	struct body b = { .len = 0 };

	b_u32(&b, p->device);
	b_u32(&b, alloc);
	b_u32(&b, 0);
	b_u32(&b, 0);
	return req(f, op, p->handle, &b);
}

struct queue {
	uint32_t handle;
	uint32_t sync;
	uint64_t fence_offset;
};

static struct queue new_queue(struct fixture *f, const struct proc *p)
{
	struct body b = { .len = 0 };
	struct queue q;

	b_u32(&b, p->device);
	b_u32(&b, 0);
	assert_int_equal(req(f, DXGW_OP_CREATE_PAGING_QUEUE, p->handle, &b), 0);
	assert_int_equal(body_len(f), 16);
	q.handle = r32(f, 0);
	q.sync = r32(f, 4);
	q.fence_offset = r64(f, 8);
	return q;
}

static int make_resident(struct fixture *f, const struct proc *p, const struct queue *q,
			 const uint32_t *h, uint32_t n, const uint32_t *prio, bool finish)
{
	struct body b = { .len = 0 };

	b_u32(&b, q->handle);
	b_u32(&b, n);
	b_u32(&b, 0);
	b_u32(&b, prio ? 1 : 0);
	b_list(&b, h, n);
	if (prio)
		b_list(&b, prio, n);
	return send_req(f, DXGW_OP_MAKE_RESIDENT, p->handle, &b, finish);
}

static int evict(struct fixture *f, const struct proc *p, const uint32_t *h, uint32_t n)
{
	struct body b = { .len = 0 };

	b_u32(&b, p->device);
	b_u32(&b, n);
	b_u32(&b, 0);
	b_u32(&b, 0);
	b_list(&b, h, n);
	return req(f, DXGW_OP_EVICT, p->handle, &b);
}

static int alloc_list(struct fixture *f, uint16_t op, const struct proc *p, uint32_t resource,
		      const uint32_t *h, uint32_t n, const uint32_t *values)
{
	struct body b = { .len = 0 };

	b_u32(&b, p->device);
	b_u32(&b, resource);
	b_u32(&b, n);
	b_u32(&b, 0);
	b_list(&b, h, n);
	if (values)
		b_list(&b, values, n ? n : 1);
	return req(f, op, p->handle, &b);
}

static int offer(struct fixture *f, const struct proc *p, uint32_t priority, bool resources,
		 const uint32_t *h, uint32_t n)
{
	struct body b = { .len = 0 };

	b_u32(&b, p->device);
	b_u32(&b, n);
	b_u32(&b, priority);
	b_u32(&b, 0);
	b_u32(&b, resources);
	b_u32(&b, 0);
	b_list(&b, h, n);
	return req(f, DXGW_OP_OFFER, p->handle, &b);
}

static int reclaim(struct fixture *f, const struct proc *p, const struct queue *q,
		   bool resources, const uint32_t *h, uint32_t n)
{
	struct body b = { .len = 0 };

	b_u32(&b, q->handle);
	b_u32(&b, n);
	b_u32(&b, resources);
	b_u32(&b, 0);
	b_list(&b, h, n);
	return req(f, DXGW_OP_RECLAIM, p->handle, &b);
}

static int video_memory(struct fixture *f, uint16_t op, const struct proc *p, uint32_t group,
			uint64_t reservation)
{
	struct body b = { .len = 0 };

	b_u32(&b, p->adapter);
	b_u32(&b, group);
	b_u64(&b, reservation);
	return req(f, op, p->handle, &b);
}

static struct memory_stats stats(struct fixture *f, uint32_t index)
{
	struct memory_stats s;

	memory_adapter_stats(&f->vm, index, &s);
	return s;
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
	struct mem_share *s;

	assert_int_equal(create(f, &a, SHARED_FLAGS, 0, NULL, 0, &d, 1, &h), 0);
	s = share(f, &a, r32(f, 0));
	/* READ is needed to open at all. */
	assert_int_equal(open_shared(f, &b, s, 0, 1), -EACCES);
	assert_int_equal(open_shared(f, &b, s, DXGW_ACCESS_WRITE, 1), -EACCES);
	assert_int_equal(open_shared(f, &b, s, DXGW_ACCESS_READ, 1), 0);
	oh = r32(f, 16);

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
