// SPDX-License-Identifier: MIT
/* The memory tests' world (mem_fixture.h). */
#include "mem_fixture.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>

#include <misc/d3dkmthk.h>
#include <misc/opendxg.h>
#include <opendxg/handle.h>

#include "exec.h"
#include "vk_device.h"
#include "worker_dispatch.h"

/* ---- a device-local backend without a GPU ---- */

uint64_t fake_capacity = 1ull << 40;
uint64_t fake_used;
int fake_read_error;
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

static void fake_adapter(struct vk_adapter *a, uint8_t uuid0)
{
	memset(a, 0, sizeof(*a));
	snprintf(a->name, sizeof(a->name), "fake %u", uuid0);
	a->device_type = OPENDXG_DEVICE_TYPE_DISCRETE;
	a->device_uuid[0] = uuid0;
	a->device_local_bytes = 1ull << 30;
	a->luid_low = uuid0;
}

struct fixture *fixture_new(const struct vm_memory_quota *quota, bool real_vulkan)
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
	f->fd = memfd_create("test-memory-region", MFD_CLOEXEC);
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

int setup_default(void **state)
{
	const struct vm_memory_quota q = VM_MEMORY_DEFAULT_QUOTA;

	fake_capacity = 1ull << 40;
	fake_read_error = 0;
	*state = fixture_new(&q, false);
	return 0;
}

/* Quota 1 MiB per adapter, 64 allocations, 16 GPU VA entries per space. */

int setup_small(void **state)
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

int teardown(void **state)
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

int send_req(struct fixture *f, uint16_t opcode, uint32_t process, const struct body *b,
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

int req(struct fixture *f, uint16_t opcode, uint32_t process, const struct body *b)
{
	return send_req(f, opcode, process, b, true);
}

uint32_t r32(struct fixture *f, size_t off)
{
	return dxg_get_le32(f->reply + sizeof(struct dxgw_hdr) + off);
}

uint64_t r64(struct fixture *f, size_t off)
{
	return dxg_get_le64(f->reply + sizeof(struct dxgw_hdr) + off);
}

uint32_t body_len(struct fixture *f)
{
	return f->reply_len - (uint32_t)sizeof(struct dxgw_hdr);
}

struct proc new_proc_on(struct fixture *f, const char *name, uint32_t adapter_index)
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

struct proc new_proc(struct fixture *f, const char *name)
{
	return new_proc_on(f, name, 0);
}

/* CREATE_ALLOCATION; handles[] (may be NULL) gets the allocations, the reply stays in f. */

int create(struct fixture *f, const struct proc *p, uint32_t flags, uint32_t resource,
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

int alloc1(struct fixture *f, const struct proc *p, uint32_t kind, uint64_t size,
	   uint32_t *handle)
{
	const struct desc d = { .kind = kind, .size = size };
	int ret = create(f, p, 0, 0, NULL, 0, &d, 1, handle);

	if (!ret)
		assert_true(r64(f, 16) == (size + 4095) / 4096 * 4096);
	return ret;
}

int destroy(struct fixture *f, const struct proc *p, uint32_t resource,
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

int free1(struct fixture *f, const struct proc *p, uint32_t handle)
{
	return destroy(f, p, 0, &handle, 1);
}

int lock_op(struct fixture *f, uint16_t op, const struct proc *p, uint32_t alloc)
{
	struct body b = { .len = 0 };

	b_u32(&b, p->device);
	b_u32(&b, alloc);
	b_u32(&b, 0);
	b_u32(&b, 0);
	return req(f, op, p->handle, &b);
}

struct queue new_queue(struct fixture *f, const struct proc *p)
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

int make_resident(struct fixture *f, const struct proc *p, const struct queue *q,
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


int evict(struct fixture *f, const struct proc *p, const uint32_t *h, uint32_t n)
{
	struct body b = { .len = 0 };

	b_u32(&b, p->device);
	b_u32(&b, n);
	b_u32(&b, 0);
	b_u32(&b, 0);
	b_list(&b, h, n);
	return req(f, DXGW_OP_EVICT, p->handle, &b);
}


int alloc_list(struct fixture *f, uint16_t op, const struct proc *p, uint32_t resource,
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


int offer(struct fixture *f, const struct proc *p, uint32_t priority, bool resources,
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


int reclaim(struct fixture *f, const struct proc *p, const struct queue *q,
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


int video_memory(struct fixture *f, uint16_t op, const struct proc *p, uint32_t group,
		 uint64_t reservation)
{
	struct body b = { .len = 0 };

	b_u32(&b, p->adapter);
	b_u32(&b, group);
	b_u64(&b, reservation);
	return req(f, op, p->handle, &b);
}


struct memory_stats stats(struct fixture *f, uint32_t index)
{
	struct memory_stats s;

	memory_adapter_stats(&f->vm, index, &s);
	return s;
}
