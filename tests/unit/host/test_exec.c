// SPDX-License-Identifier: MIT
/*
 * Sync objects and execution (host/sync.c, host/exec.c) driven through the dispatcher, the way
 * the ring feeds them: sync object types and CPU signals, hardware queues and progress fences,
 * submissions in order with one job in flight per queue, signals and waits across queues
 * (fences, mutexes, semaphores, joins over several queues), broken contexts (bad command
 * buffers, page faults, MARK_DEVICE_ERROR) and their isolation, destruction while work is
 * queued or running, program checks, queued GPU VA updates, limits and the small opcodes.
 *
 * Most tests run on a backend of their own (fake_exec below): a "GPU" that runs copies, fills
 * and timestamps on the real memory (the region's heap, malloc'ed device-local buffers) only
 * when the test says so, which makes every ordering question exact. test_vulkan_saxpy runs the
 * whole path on the first real Vulkan adapter (lavapipe here): a saxpy dispatch on host-visible
 * memory, device-local fill and copy, a timestamp, progress fences through the eventfd.
 * After every request the object graphs must agree with their own books (memory_check(),
 * exec_check()).
 *
 * argv[1]: the directory with saxpy.spv (tests/unit/host/shaders).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
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
#include "share.h"
#include "sync.h"
#include "wire_body.h"
#include "worker_dispatch.h"

#define KiB 1024ull
#define MiB (1024ull * 1024ull)
#define REGION_SIZE (8 * MiB)
#define FENCE_OFFSET (64 * KiB)
#define FENCE_SIZE (16 * KiB)
#define HEAP_OFFSET (1 * MiB)
#define HEAP_SIZE (7 * MiB)
#define ERROR_VALUE DXGW_FENCE_VALUE_ERROR

static const char *shader_dir = ".";

/* ---- device-local memory without a GPU ---- */

struct fake_buffer {
	uint64_t size;
	unsigned char *data;
};

static int fake_device_token;
static uint32_t fake_buffers;

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
	return 1ull << 30;
}

static int fake_buffer_create(struct vk_device *d, uint64_t size, struct vk_buffer **out)
{
	struct fake_buffer *b = calloc(1, sizeof(*b));

	(void)d;
	if (!b || !(b->data = calloc(1, size))) {
		free(b);
		return -ENOMEM;
	}
	b->size = size;
	fake_buffers++;
	*out = (struct vk_buffer *)b;
	return 0;
}

static void fake_buffer_destroy(struct vk_buffer *vb)
{
	struct fake_buffer *b = (struct fake_buffer *)vb;

	fake_buffers--;
	free(b->data);
	free(b);
}

static int fake_buffer_read(struct vk_buffer *vb, uint64_t off, void *dst, uint64_t len)
{
	struct fake_buffer *b = (struct fake_buffer *)vb;

	assert_true(off + len <= b->size);
	memcpy(dst, b->data + off, len);
	return 0;
}

static int fake_buffer_write(struct vk_buffer *vb, uint64_t off, const void *src, uint64_t len)
{
	struct fake_buffer *b = (struct fake_buffer *)vb;

	assert_true(off + len <= b->size);
	memcpy(b->data + off, src, len);
	return 0;
}

static const struct mem_device_ops fake_mem_ops = {
	.open = fake_open,
	.close = fake_close,
	.max_buffer = fake_max_buffer,
	.buffer_create = fake_buffer_create,
	.buffer_destroy = fake_buffer_destroy,
	.buffer_read = fake_buffer_read,
	.buffer_write = fake_buffer_write,
};

/* ---- a GPU that runs when told to ---- */

#define FAKE_MAX_JOBS 256u

struct fake_job {
	uint64_t cookie;
	uint32_t op_count;
	struct vk_job_op *ops;
};

struct fake_program {
	uint32_t refs;
	uint32_t entry_count;
	char entries[4][SPIRV_ENTRY_NAME_LEN];
};

static struct fake_exec {
	int notify_fd;
	unsigned char *heap;
	uint64_t heap_size;
	struct fake_job jobs[FAKE_MAX_JOBS];
	uint32_t submitted;		/* jobs ever submitted */
	uint32_t executed;		/* ... run (they complete in order) */
	uint32_t reaped;
	uint32_t idle_calls;
	uint32_t programs_created;
	uint32_t programs_live;
	uint32_t dispatches;
	uint64_t timestamp;
	int submit_error;		/* returned by the next submits while set */
	int job_status;			/* the status completions report */
	bool open;
} gpu;

static int fake_exec_open(struct vk_device *d, const struct vk_exec_setup *setup,
			  struct vk_exec **out)
{
	assert_ptr_equal(d, &fake_device_token);
	assert_false(gpu.open);
	gpu.open = true;
	gpu.notify_fd = setup->notify_fd;
	gpu.heap = setup->heap;
	gpu.heap_size = setup->heap_size;
	*out = (struct vk_exec *)&gpu;
	return 0;
}

static void fake_exec_close(struct vk_exec *x)
{
	assert_ptr_equal(x, &gpu);
	/* Every job was reaped and every program reference dropped before the close. */
	assert_int_equal(gpu.reaped, gpu.submitted);
	assert_int_equal(gpu.programs_live, 0);
	gpu.open = false;
}

static void fake_limits(const struct vk_exec *x, struct cmdbuf_limits *out)
{
	(void)x;
	memset(out, 0, sizeof(*out));
	out->max_workgroup_count[0] = out->max_workgroup_count[1] = 65535;
	out->max_workgroup_count[2] = 65535;
	out->max_binding_size = 1u << 30;
	out->timestamp_valid_bits = 64;
}

static double fake_timestamp_period(const struct vk_exec *x)
{
	(void)x;
	return 2.0;	/* ns per tick: 500 MHz */
}

static int fake_program_create(struct vk_exec *x, const void *code, size_t size,
			       const struct spirv_info *info, struct vk_program **out)
{
	struct fake_program *p = calloc(1, sizeof(*p));

	(void)x;
	(void)code;
	(void)size;
	if (!p)
		return -ENOMEM;
	p->refs = 1;
	p->entry_count = info->entry_count < 4 ? info->entry_count : 4;
	for (uint32_t i = 0; i < p->entry_count; i++)
		memcpy(p->entries[i], info->entry_names[i], SPIRV_ENTRY_NAME_LEN);
	gpu.programs_created++;
	gpu.programs_live++;
	*out = (struct vk_program *)p;
	return 0;
}

static void fake_program_ref(struct vk_program *vp)
{
	((struct fake_program *)vp)->refs++;
}

static void fake_program_unref(struct vk_program *vp)
{
	struct fake_program *p = (struct fake_program *)vp;

	if (--p->refs == 0) {
		gpu.programs_live--;
		free(p);
	}
}

static int fake_program_entry(const struct vk_program *vp, const char *name)
{
	const struct fake_program *p = (const struct fake_program *)vp;

	for (uint32_t i = 0; i < p->entry_count; i++) {
		if (!strcmp(p->entries[i], name))
			return (int)i;
	}
	return -EINVAL;
}

static int fake_submit(struct vk_exec *x, const struct vk_job *job)
{
	struct fake_job *j;

	(void)x;
	if (gpu.submit_error)
		return gpu.submit_error;
	assert_true(gpu.submitted - gpu.reaped < FAKE_MAX_JOBS);
	j = &gpu.jobs[gpu.submitted % FAKE_MAX_JOBS];
	j->cookie = job->cookie;
	j->op_count = job->op_count;
	j->ops = calloc(job->op_count ? job->op_count : 1, sizeof(*j->ops));
	assert_non_null(j->ops);
	memcpy(j->ops, job->ops, job->op_count * sizeof(*j->ops));
	/* The job keeps its programs until it is reaped (vk_exec.h). */
	for (uint32_t i = 0; i < job->op_count; i++) {
		if (job->ops[i].type == OPENDXG_CMD_DISPATCH)
			fake_program_ref(job->ops[i].dispatch.program);
	}
	gpu.submitted++;
	return 0;
}

static unsigned char *ref_ptr(const struct vk_ref *r, uint64_t len)
{
	if (r->buffer) {
		struct fake_buffer *b = (struct fake_buffer *)r->buffer;

		assert_true(r->offset + len <= b->size);
		return b->data + r->offset;
	}
	assert_true(r->offset + len <= gpu.heap_size);
	return gpu.heap + r->offset;
}

/* Runs the next `n` submitted jobs (copies, fills, timestamps for real) and signals each. */
static void gpu_run(uint32_t n)
{
	const uint64_t one = 1;

	for (; n && gpu.executed < gpu.submitted; n--) {
		struct fake_job *j = &gpu.jobs[gpu.executed % FAKE_MAX_JOBS];

		for (uint32_t i = 0; i < j->op_count; i++) {
			const struct vk_job_op *o = &j->ops[i];

			switch (o->type) {
			case OPENDXG_CMD_COPY:
				memmove(ref_ptr(&o->copy.dst, o->copy.size),
					ref_ptr(&o->copy.src, o->copy.size), o->copy.size);
				break;
			case OPENDXG_CMD_FILL:
				for (uint64_t k = 0; k < o->fill.size; k += 4)
					memcpy(ref_ptr(&o->fill.dst, o->fill.size) + k,
					       &o->fill.value, 4);
				break;
			case OPENDXG_CMD_TIMESTAMP:
				gpu.timestamp += 100;
				memcpy(ref_ptr(&o->timestamp.dst, 8), &gpu.timestamp, 8);
				break;
			case OPENDXG_CMD_DISPATCH:
				gpu.dispatches++;
				break;
			default:
				break;
			}
		}
		gpu.executed++;
		assert_int_equal(write(gpu.notify_fd, &one, sizeof(one)), (ssize_t)sizeof(one));
	}
}

static uint32_t fake_reap(struct vk_exec *x, struct vk_completion *out, uint32_t max)
{
	uint32_t n = 0;

	(void)x;
	while (n < max && gpu.reaped < gpu.executed) {
		struct fake_job *j = &gpu.jobs[gpu.reaped % FAKE_MAX_JOBS];

		out[n] = (struct vk_completion){ .cookie = j->cookie, .status = gpu.job_status,
						 .gpu_time_ns = 1000 };
		for (uint32_t i = 0; i < j->op_count; i++) {
			if (j->ops[i].type == OPENDXG_CMD_DISPATCH)
				fake_program_unref(j->ops[i].dispatch.program);
		}
		free(j->ops);
		j->ops = NULL;
		gpu.reaped++;
		n++;
	}
	return n;
}

static void fake_wait_idle(struct vk_exec *x)
{
	(void)x;
	gpu.idle_calls++;
	gpu_run(FAKE_MAX_JOBS);
}

static int fake_calibrate(struct vk_exec *x, uint64_t *gpu_ticks, uint64_t *host_ns)
{
	(void)x;
	*gpu_ticks = 123456;
	*host_ns = 987654321;
	return 0;
}

static const struct exec_device_ops fake_exec_ops = {
	.open = fake_exec_open,
	.close = fake_exec_close,
	.limits = fake_limits,
	.timestamp_period = fake_timestamp_period,
	.program_create = fake_program_create,
	.program_ref = fake_program_ref,
	.program_unref = fake_program_unref,
	.program_entry = fake_program_entry,
	.submit = fake_submit,
	.reap = fake_reap,
	.wait_idle = fake_wait_idle,
	.calibrate = fake_calibrate,
};

/* ---- fixture ---- */

struct fixture {
	struct vk_adapter fake_adapter;
	struct vk_backend vk;
	bool real;
	struct dxg_vm vm;
	struct dxg_ratelimit log;
	unsigned char reply[DXGW_MAX_MESSAGE];
	uint32_t reply_len;
	uint64_t next_id;
	unsigned char *region;
	int fd;
};

static struct fixture *fixture_new(bool real, const struct dxg_vm_limits *limits)
{
	const struct vm_memory_quota quota = VM_MEMORY_DEFAULT_QUOTA;
	struct fixture *f = calloc(1, sizeof(*f));
	struct vm_memory_setup setup;

	assert_non_null(f);
	f->log = (struct dxg_ratelimit)DXG_RATELIMIT_INIT(1000, 0);
	f->next_id = 1;
	f->real = real;
	if (real) {
		vk_backend_init(&f->vk, 11, 1);
	} else {
		memset(&gpu, 0, sizeof(gpu));
		snprintf(f->fake_adapter.name, sizeof(f->fake_adapter.name), "fake");
		f->fake_adapter.device_type = OPENDXG_DEVICE_TYPE_CPU;
		f->fake_adapter.device_local_bytes = 1ull << 30;
		f->vk.adapters = &f->fake_adapter;
		f->vk.adapter_count = 1;
	}
	f->fd = memfd_create("test-exec-region", MFD_CLOEXEC);
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
		.quota = quota,
		.device_ops = real ? NULL : &fake_mem_ops,
		.exec_ops = real ? NULL : &fake_exec_ops,
	};
	assert_int_equal(vm_init(&f->vm, &f->vk, 5, limits, &setup), 0);
	return f;
}

static int setup(void **state)
{
	const struct dxg_vm_limits limits = DXG_VM_DEFAULT_LIMITS;

	*state = fixture_new(false, &limits);
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	assert_null(memory_check(&f->vm));
	assert_null(exec_check(&f->vm));
	assert_null(share_check(&f->vm));
	vm_fini(&f->vm);
	if (f->real) {
		vk_backend_fini(&f->vk);
	} else {
		assert_false(gpu.open);
		assert_int_equal(fake_buffers, 0);
	}
	munmap(f->region, REGION_SIZE);
	close(f->fd);
	free(f);
	return 0;
}

/* ---- requests ---- */

static int req(struct fixture *f, uint16_t opcode, uint32_t process, const struct body *b)
{
	static unsigned char rec[DXGW_MAX_MESSAGE];
	struct dxgw_hdr h;
	int status;

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
	status = (int)dxg_from_le32(h.status);
	if (status < 0)
		assert_int_equal(f->reply_len, sizeof(h));
	memory_after_reply(&f->vm);
	exec_run(&f->vm);
	assert_null(memory_check(&f->vm));
	assert_null(exec_check(&f->vm));
	assert_null(share_check(&f->vm));
	return status;
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

/* The worker's loop: a completion was signalled, collect it. */
static void poll_completions(struct fixture *f)
{
	exec_poll(&f->vm);
	assert_null(memory_check(&f->vm));
	assert_null(exec_check(&f->vm));
	assert_null(share_check(&f->vm));
}

/* Fake GPU: run `n` jobs, then let the worker collect them. */
static void run_jobs(struct fixture *f, uint32_t n)
{
	gpu_run(n);
	poll_completions(f);
}

static uint64_t slot(struct fixture *f, uint64_t offset)
{
	return dxg_get_le64(f->region + offset);
}

/* ---- objects ---- */

struct proc {
	uint32_t handle;
	uint32_t adapter;
	uint32_t device;
	uint32_t paging_queue;
};

static struct proc new_proc(struct fixture *f, const char *name)
{
	struct body b = { .len = 0 };
	struct proc p;

	b_u32(&b, 4321);
	b_u32(&b, 0);
	memset(b.b + b.len, 0, DXGW_PROCESS_NAME_LEN);
	memcpy(b.b + b.len, name, strlen(name));
	b.len += DXGW_PROCESS_NAME_LEN;
	assert_int_equal(req(f, DXGW_OP_CREATE_PROCESS, 0, &b), 0);
	p.handle = r32(f, 0);
	p.adapter = f->vm.adapters[0].handle;
	b.len = 0;
	b_u32(&b, p.adapter);
	b_u32(&b, 0);
	assert_int_equal(req(f, DXGW_OP_OPEN_ADAPTER, p.handle, &b), 0);
	b.len = 0;
	b_u32(&b, p.adapter);
	b_u32(&b, 0);
	assert_int_equal(req(f, DXGW_OP_CREATE_DEVICE, p.handle, &b), 0);
	p.device = r32(f, 0);
	b.len = 0;
	b_u32(&b, p.device);
	b_u32(&b, 0);
	assert_int_equal(req(f, DXGW_OP_CREATE_PAGING_QUEUE, p.handle, &b), 0);
	p.paging_queue = r32(f, 0);
	return p;
}

static uint32_t new_context_flags(struct fixture *f, const struct proc *p, uint32_t flags)
{
	struct body b = { .len = 0 };

	b_u32(&b, p->device);
	b_u32(&b, 0);
	b_u32(&b, 0);
	b_u32(&b, flags);
	b_u32(&b, 0);
	b_u32(&b, 0);
	assert_int_equal(req(f, DXGW_OP_CREATE_CONTEXT_VIRTUAL, p->handle, &b), 0);
	return r32(f, 0);
}

static uint32_t new_context(struct fixture *f, const struct proc *p)
{
	return new_context_flags(f, p, 0);
}

struct hwq {
	uint32_t handle;
	uint32_t fence;
	uint64_t slot;
};

static int create_hwq(struct fixture *f, const struct proc *p, uint32_t ctx, struct hwq *q)
{
	struct body b = { .len = 0 };
	int ret;

	b_u32(&b, ctx);
	b_u32(&b, 0);
	b_u32(&b, 5);		/* private data: recorded as a size */
	b_u32(&b, 0);
	memcpy(b.b + b.len, "hello", 5);
	b.len += 5;
	ret = req(f, DXGW_OP_CREATE_HW_QUEUE, p->handle, &b);
	if (!ret) {
		assert_int_equal(body_len(f), sizeof(struct dxgw_create_hw_queue_reply));
		q->handle = r32(f, 0);
		q->fence = r32(f, 4);
		q->slot = r64(f, 8);
		assert_int_equal(r64(f, 16), 0);
	}
	return ret;
}

static struct hwq new_hwq(struct fixture *f, const struct proc *p, uint32_t ctx)
{
	struct hwq q;

	assert_int_equal(create_hwq(f, p, ctx, &q), 0);
	return q;
}

static int create_sync(struct fixture *f, const struct proc *p, uint32_t type, uint32_t flags,
		       uint64_t v0, uint64_t v1, uint32_t *handle, uint64_t *slot_offset)
{
	struct body b = { .len = 0 };
	int ret;

	b_u32(&b, p->device);
	b_u32(&b, type);
	b_u32(&b, flags);
	b_u32(&b, 0);
	b_u64(&b, v0);
	b_u64(&b, v1);
	ret = req(f, DXGW_OP_CREATE_SYNC_OBJECT, p->handle, &b);
	if (!ret) {
		assert_int_equal(body_len(f), sizeof(struct dxgw_create_sync_object_reply));
		*handle = r32(f, 0);
		if (slot_offset)
			*slot_offset = r64(f, 8);
		assert_int_equal(r64(f, 16), 0);
	}
	return ret;
}

struct fence {
	uint32_t handle;
	uint64_t slot;
};

static struct fence new_fence(struct fixture *f, const struct proc *p, uint64_t initial,
			      uint32_t flags)
{
	struct fence fe;

	assert_int_equal(create_sync(f, p, D3DDDI_MONITORED_FENCE, flags, initial, 0, &fe.handle,
				     &fe.slot), 0);
	assert_true(fe.slot != 0);
	return fe;
}

static uint32_t new_sync(struct fixture *f, const struct proc *p, uint32_t type, uint64_t v0,
			 uint64_t v1)
{
	uint32_t h;
	uint64_t s;

	assert_int_equal(create_sync(f, p, type, 0, v0, v1, &h, &s), 0);
	return h;
}

static int destroy_op(struct fixture *f, uint16_t op, const struct proc *p, uint32_t handle)
{
	struct body b = { .len = 0 };

	b_u32(&b, handle);
	b_u32(&b, 0);
	return req(f, op, p->handle, &b);
}

static int signal_cpu(struct fixture *f, const struct proc *p, const uint32_t *objects,
		      const uint64_t *values, uint32_t n, uint32_t flags)
{
	struct body b = { .len = 0 };

	b_u32(&b, p->device);
	b_u32(&b, n);
	b_u32(&b, flags);
	b_u32(&b, 0);
	b_list(&b, objects, n);
	for (uint32_t i = 0; i < n; i++)
		b_u64(&b, values[i]);
	return req(f, DXGW_OP_SIGNAL_FROM_CPU, p->handle, &b);
}

static int signal_cpu1(struct fixture *f, const struct proc *p, uint32_t object, uint64_t value,
		       uint32_t flags)
{
	return signal_cpu(f, p, &object, &value, 1, flags);
}

static int fence_slots(struct fixture *f, const struct proc *p, const uint32_t *objects,
		       uint32_t n)
{
	struct body b = { .len = 0 };

	b_u32(&b, p->device);
	b_u32(&b, n);
	b_list(&b, objects, n);
	return req(f, DXGW_OP_GET_FENCE_SLOTS, p->handle, &b);
}

static int signal_queues(struct fixture *f, const struct proc *p, const uint32_t *queues,
			 uint32_t nq, const uint32_t *objects, const uint64_t *values, uint32_t no,
			 uint32_t flags)
{
	struct body b = { .len = 0 };

	b_u32(&b, nq);
	b_u32(&b, no);
	b_u32(&b, flags);
	b_u32(&b, 0);
	b_list(&b, queues, nq);
	b_list(&b, objects, no);
	for (uint32_t i = 0; i < no; i++)
		b_u64(&b, values[i]);
	return req(f, DXGW_OP_SIGNAL_ON_QUEUE, p->handle, &b);
}

static int signal_q(struct fixture *f, const struct proc *p, uint32_t queue, uint32_t object,
		    uint64_t value)
{
	return signal_queues(f, p, &queue, 1, &object, &value, 1, 0);
}

static int wait_q(struct fixture *f, const struct proc *p, uint32_t queue, uint32_t object,
		  uint64_t value)
{
	struct body b = { .len = 0 };

	b_u32(&b, queue);
	b_u32(&b, 1);
	b_list(&b, &object, 1);
	b_u64(&b, value);
	return req(f, DXGW_OP_WAIT_ON_QUEUE, p->handle, &b);
}

/* ---- sharing (share.c) ---- */

static int share(struct fixture *f, const struct proc *p, uint32_t object, uint32_t flags,
		 uint64_t *id, uint64_t *share_slot)
{
	struct body b = { .len = 0 };
	int ret;

	b_u32(&b, object);
	b_u32(&b, flags);
	ret = req(f, DXGW_OP_SHARE_OBJECT, p->handle, &b);
	if (!ret) {
		assert_int_equal(body_len(f), sizeof(struct dxgw_share_object_reply));
		*id = r64(f, 0);
		assert_int_equal(r32(f, 8), DXGW_SHARE_KIND_SYNC_OBJECT);
		if (share_slot)
			*share_slot = r64(f, 16);
	}
	return ret;
}

static int close_share(struct fixture *f, uint64_t id)
{
	struct body b = { .len = 0 };

	b_u64(&b, id);
	return req(f, DXGW_OP_CLOSE_SHARE, 0, &b);
}

static int open_shared(struct fixture *f, const struct proc *p, uint32_t access, uint64_t id,
		       struct fence *out)
{
	struct body b = { .len = 0 };
	int ret;

	b_u32(&b, p->device);
	b_u32(&b, access);
	b_u64(&b, id);
	ret = req(f, DXGW_OP_OPEN_SHARED_SYNC_OBJECT, p->handle, &b);
	if (!ret) {
		out->handle = r32(f, 0);
		out->slot = r64(f, 8);
	}
	return ret;
}

static int wait_share(struct fixture *f, const struct proc *p, uint32_t queue, uint64_t id,
		      uint64_t value)
{
	struct body b = { .len = 0 };

	b_u32(&b, queue);
	b_u32(&b, 0);
	b_u64(&b, id);
	b_u64(&b, value);
	return req(f, DXGW_OP_WAIT_SHARE_ON_QUEUE, p->handle, &b);
}

/* A host-visible (or device-local) allocation mapped read-write at a new GPU VA. */
struct buf {
	uint32_t handle;
	uint64_t va;
	uint64_t size;
	unsigned char *cpu;		/* host-visible: its bytes in the region */
};

static uint32_t alloc(struct fixture *f, const struct proc *p, uint32_t kind, uint64_t size,
		      const void *code)
{
	struct body b = { .len = 0 };

	b_u32(&b, p->device);
	b_u32(&b, 0);
	b_u32(&b, 0);
	b_u32(&b, 1);
	b_u32(&b, 0);
	b_u32(&b, 0);
	b_u32(&b, kind);
	b_u32(&b, 0);
	b_u64(&b, size);
	b_u32(&b, 0);
	b_u32(&b, kind == OPENDXG_ALLOC_KIND_PROGRAM ? (uint32_t)size : 0);
	if (code) {
		memcpy(b.b + b.len, code, size);
		b.len += (uint32_t)size;
		b_pad8(&b);
	}
	assert_int_equal(req(f, DXGW_OP_CREATE_ALLOCATION, p->handle, &b), 0);
	return r32(f, 8);
}

static uint64_t map(struct fixture *f, const struct proc *p, uint32_t allocation, uint64_t pages,
		    uint64_t protection)
{
	struct body b = { .len = 0 };

	b_u32(&b, p->paging_queue);
	b_u32(&b, allocation);
	b_u64(&b, 0);
	b_u64(&b, 0);
	b_u64(&b, 0);
	b_u64(&b, 0);
	b_u64(&b, pages);
	b_u64(&b, protection);
	b_u64(&b, 0);
	assert_int_equal(req(f, DXGW_OP_MAP_GPU_VA, p->handle, &b), 0);
	return r64(f, 0);
}

static struct buf new_buf(struct fixture *f, const struct proc *p, uint32_t kind, uint64_t size)
{
	struct body b = { .len = 0 };
	struct buf out = { .size = size };

	out.handle = alloc(f, p, kind, size, NULL);
	out.va = map(f, p, out.handle, (size + 4095) / 4096, D3DDDIGPUVA_PROTECTION_WRITE);
	if (kind == OPENDXG_ALLOC_KIND_HOST_VISIBLE) {
		b_u32(&b, p->device);
		b_u32(&b, out.handle);
		b_u32(&b, 0);
		b_u32(&b, 0);
		assert_int_equal(req(f, DXGW_OP_LOCK, p->handle, &b), 0);
		out.cpu = f->region + r64(f, 0);
	}
	return out;
}

static int destroy_alloc(struct fixture *f, const struct proc *p, uint32_t handle)
{
	struct body b = { .len = 0 };

	b_u32(&b, p->device);
	b_u32(&b, 0);
	b_u32(&b, 1);
	b_u32(&b, 0);
	b_list(&b, &handle, 1);
	return req(f, DXGW_OP_DESTROY_ALLOCATION, p->handle, &b);
}

/* ---- command buffers ---- */

struct cmd {
	unsigned char b[64 * 1024];
	uint32_t len;
	uint32_t count;
};

static void cmd_begin(struct cmd *c)
{
	memset(c, 0, sizeof(*c));
	c->len = OPENDXG_CMD_HEADER_SIZE;
}

static void *cmd_packet(struct cmd *c, uint16_t type, uint32_t size)
{
	struct opendxg_cmd_packet *h = (struct opendxg_cmd_packet *)(c->b + c->len);

	h->type = type;
	h->size = size;
	c->len += size;
	c->count++;
	return h;
}

static void cmd_fill(struct cmd *c, uint64_t va, uint64_t size, uint32_t value)
{
	struct opendxg_cmd_fill *p = cmd_packet(c, OPENDXG_CMD_FILL, sizeof(*p));

	p->dst_va = va;
	p->size = size;
	p->value = value;
}

static void cmd_copy(struct cmd *c, uint64_t src, uint64_t dst, uint64_t size)
{
	struct opendxg_cmd_copy *p = cmd_packet(c, OPENDXG_CMD_COPY, sizeof(*p));

	p->src_va = src;
	p->dst_va = dst;
	p->size = size;
}

static void cmd_barrier(struct cmd *c)
{
	cmd_packet(c, OPENDXG_CMD_BARRIER, sizeof(struct opendxg_cmd_packet));
}

static void cmd_timestamp(struct cmd *c, uint64_t va)
{
	struct opendxg_cmd_timestamp *p = cmd_packet(c, OPENDXG_CMD_TIMESTAMP, sizeof(*p));

	p->dst_va = va;
}

static void cmd_dispatch(struct cmd *c, uint32_t program, const char *entry, uint32_t groups,
			 const struct opendxg_cmd_binding *bindings, uint32_t n,
			 const void *push, uint32_t push_size)
{
	uint32_t size = (uint32_t)sizeof(struct opendxg_cmd_dispatch) +
			n * (uint32_t)sizeof(*bindings) + ((push_size + 7) & ~7u);
	struct opendxg_cmd_dispatch *p = cmd_packet(c, OPENDXG_CMD_DISPATCH, size);
	unsigned char *tail = (unsigned char *)(p + 1);

	p->program = program;
	p->group_count[0] = groups;
	p->group_count[1] = 1;
	p->group_count[2] = 1;
	p->binding_count = n;
	p->push_constant_size = push_size;
	snprintf(p->entry_point, sizeof(p->entry_point), "%s", entry);
	memcpy(tail, bindings, n * sizeof(*bindings));
	if (push_size)
		memcpy(tail + n * sizeof(*bindings), push, push_size);
}

static void cmd_end(struct cmd *c)
{
	struct opendxg_cmd_header *h = (struct opendxg_cmd_header *)c->b;

	h->magic = OPENDXG_CMD_MAGIC;
	h->version_major = OPENDXG_CMD_VERSION_MAJOR;
	h->version_minor = OPENDXG_CMD_VERSION_MINOR;
	h->size = c->len;
	h->packet_count = c->count;
}

/* Where command buffers are written: a 64 KiB host-visible allocation, slices of 4 KiB. */
struct cmdmem {
	struct buf buf;
	uint32_t next;
};

static struct cmdmem new_cmdmem(struct fixture *f, const struct proc *p)
{
	struct cmdmem m = { .buf = new_buf(f, p, OPENDXG_ALLOC_KIND_HOST_VISIBLE, 64 * KiB) };

	return m;
}

static int submit_flags(struct fixture *f, const struct proc *p, struct cmdmem *m, uint32_t queue,
			const struct cmd *c, uint32_t flags, uint64_t progress)
{
	struct body b = { .len = 0 };
	uint64_t at = (m->next++ % 16) * 4096;

	assert_true(c->len <= 4096);
	memcpy(m->buf.cpu + at, c->b, c->len);
	b_u32(&b, queue);
	b_u32(&b, flags);
	b_u64(&b, m->buf.va + at);
	b_u32(&b, c->len);
	b_u32(&b, 0);
	b_u64(&b, progress);
	return req(f, DXGW_OP_SUBMIT, p->handle, &b);
}

static int submit(struct fixture *f, const struct proc *p, struct cmdmem *m, uint32_t queue,
		  const struct cmd *c, uint64_t progress)
{
	return submit_flags(f, p, m, queue, c, 0, progress);
}

/* A command buffer of one FILL. */
static int submit_fill(struct fixture *f, const struct proc *p, struct cmdmem *m, uint32_t queue,
		       uint64_t va, uint32_t value, uint64_t progress)
{
	struct cmd c;

	cmd_begin(&c);
	cmd_fill(&c, va, 16, value);
	cmd_end(&c);
	return submit(f, p, m, queue, &c, progress);
}

struct device_state {
	int status;
	uint32_t execution_state;
	uint32_t broken_context;
	uint64_t sequence;
	uint64_t va;
	uint32_t flags;
	uint32_t packet;
};

static struct device_state device_state(struct fixture *f, const struct proc *p, uint32_t type)
{
	struct body b = { .len = 0 };
	struct device_state s = { 0 };

	b_u32(&b, p->device);
	b_u32(&b, type);
	s.status = req(f, DXGW_OP_GET_DEVICE_STATE, p->handle, &b);
	if (!s.status) {
		assert_int_equal(body_len(f), sizeof(struct dxgw_device_state_reply));
		s.execution_state = r32(f, 0);
		s.broken_context = r32(f, 4);
		s.sequence = r64(f, 8);
		s.va = r64(f, 16);
		s.flags = r32(f, 24);
		s.packet = r32(f, 28);
	}
	return s;
}

static uint32_t u32_at(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

/* ---- tests ---- */

static void test_sync_objects(void **state)
{
	struct fixture *f = *state;
	struct proc p = new_proc(f, "sync");
	struct proc other = new_proc(f, "other");
	struct fence mf = new_fence(f, &p, 5, 0);
	uint32_t cpu, mutex, sem, fence, paging_fence, h, list[2];
	uint64_t cpu_slot, s;
	uint32_t before;

	assert_true(slot(f, mf.slot) == 5);
	assert_true((mf.slot - FENCE_OFFSET) % 8 == 0);
	assert_int_equal(create_sync(f, &p, D3DDDI_CPU_NOTIFICATION, 0, 0, 0, &cpu, &cpu_slot), 0);
	assert_true(cpu_slot != 0 && slot(f, cpu_slot) == 0);
	/* Types without a slot answer 0. */
	assert_int_equal(create_sync(f, &p, D3DDDI_SYNCHRONIZATION_MUTEX, 0, 1, 0, &mutex, &s), 0);
	assert_int_equal(s, 0);
	assert_int_equal(create_sync(f, &p, D3DDDI_SEMAPHORE, 0, 2, 1, &sem, &s), 0);
	assert_int_equal(s, 0);
	assert_int_equal(create_sync(f, &p, D3DDDI_FENCE, 0, 3, 0, &fence, &s), 0);
	assert_int_equal(s, 0);
	/* The slots of one process share its fence pages, never another process's. */
	{
		struct fence of = new_fence(f, &other, 0, 0);

		assert_true(of.slot / 4096 != mf.slot / 4096);
		assert_int_equal(destroy_op(f, DXGW_OP_DESTROY_SYNC_OBJECT, &other, of.handle), 0);
	}
	/* Every kind of owner: a device of the calling process. */
	{
		struct body b = { .len = 0 };

		b_u32(&b, other.device);
		b_u32(&b, D3DDDI_MONITORED_FENCE);
		b_u32(&b, 0);
		b_u32(&b, 0);
		b_u64(&b, 0);
		b_u64(&b, 0);
		assert_int_equal(req(f, DXGW_OP_CREATE_SYNC_OBJECT, p.handle, &b), -EINVAL);
	}

	/* GET_FENCE_SLOTS: monitored fences only (the paging queue's too), each once. */
	paging_fence = 0;
	{
		struct dxg_process *hp = vm_find_process(&f->vm, p.handle);
		struct dxg_device *d = obj_container_of(hp->devices.next, struct dxg_device, link);
		struct dxg_paging_queue *pq = obj_container_of(d->paging_queues.next,
							       struct dxg_paging_queue, link);

		paging_fence = pq->fence->handle;
	}
	list[0] = mf.handle;
	list[1] = paging_fence;
	assert_int_equal(fence_slots(f, &p, list, 2), 0);
	assert_int_equal(body_len(f), 16);
	assert_true(r64(f, 0) == mf.slot);
	assert_true(r64(f, 8) != 0 && r64(f, 8) != mf.slot);
	list[1] = mf.handle;
	assert_int_equal(fence_slots(f, &p, list, 2), -EINVAL);
	assert_int_equal(fence_slots(f, &p, &cpu, 1), -EINVAL);
	assert_int_equal(fence_slots(f, &p, &mutex, 1), -EINVAL);
	assert_int_equal(fence_slots(f, &p, &fence, 1), -EINVAL);
	assert_int_equal(fence_slots(f, &other, &mf.handle, 1), -EINVAL);

	/* SIGNAL_FROM_CPU: forward only unless rewinding, monitored fences of the guest only. */
	vm_take_fence_kick(&f->vm);
	assert_int_equal(signal_cpu1(f, &p, mf.handle, 7, 0), 0);
	assert_true(slot(f, mf.slot) == 7);
	assert_true(vm_take_fence_kick(&f->vm));
	assert_int_equal(signal_cpu1(f, &p, mf.handle, 6, 0), -EINVAL);
	assert_true(slot(f, mf.slot) == 7);
	assert_int_equal(signal_cpu1(f, &p, mf.handle, 7, 0), 0);
	assert_int_equal(signal_cpu1(f, &p, mf.handle, 6, D3DDDICB_SIGNAL_FLAG_ALLOW_FENCE_REWIND),
			 0);
	assert_true(slot(f, mf.slot) == 6);
	assert_int_equal(signal_cpu1(f, &p, mutex, 1, 0), -EINVAL);
	assert_int_equal(signal_cpu1(f, &p, fence, 9, 0), -EINVAL);
	assert_int_equal(signal_cpu1(f, &p, paging_fence, 9, 0), -EINVAL);
	assert_int_equal(signal_cpu1(f, &other, mf.handle, 9, 0), -EINVAL);
	/* All or nothing: a bad second entry leaves the first alone. */
	{
		const uint32_t objs[2] = { mf.handle, mutex };
		const uint64_t vals[2] = { 100, 1 };
		const uint32_t dup[2] = { mf.handle, mf.handle };

		assert_int_equal(signal_cpu(f, &p, objs, vals, 2, 0), -EINVAL);
		assert_true(slot(f, mf.slot) == 6);
		assert_int_equal(signal_cpu(f, &p, dup, vals, 2, 0), -EINVAL);
	}

	/* Destruction: the guest's objects only; a queue's fence goes with its queue. */
	assert_int_equal(destroy_op(f, DXGW_OP_DESTROY_SYNC_OBJECT, &p, paging_fence), -EINVAL);
	assert_int_equal(destroy_op(f, DXGW_OP_DESTROY_SYNC_OBJECT, &other, mf.handle), -EINVAL);
	before = f->vm.counters.sync_objects;
	assert_int_equal(destroy_op(f, DXGW_OP_DESTROY_SYNC_OBJECT, &p, mf.handle), 0);
	assert_int_equal(f->vm.counters.sync_objects, before - 1);
	assert_int_equal(destroy_op(f, DXGW_OP_DESTROY_SYNC_OBJECT, &p, mf.handle), -EINVAL);
	assert_int_equal(signal_cpu1(f, &p, mf.handle, 8, 0), -EINVAL);

	/* The per-VM limit counts the guest's objects. */
	f->vm.limits.max_sync_objects = f->vm.counters.user_sync_objects + 1;
	assert_int_equal(create_sync(f, &p, D3DDDI_FENCE, 0, 0, 0, &h, NULL), 0);
	assert_int_equal(create_sync(f, &p, D3DDDI_FENCE, 0, 0, 0, &h, NULL), -ENOMEM);
	f->vm.limits.max_sync_objects = 65536;

	/* A device takes its objects with it. */
	assert_int_equal(destroy_op(f, DXGW_OP_DESTROY_DEVICE, &p, p.device), 0);
	assert_int_equal(destroy_op(f, DXGW_OP_DESTROY_DEVICE, &other, other.device), 0);
	assert_int_equal(f->vm.counters.sync_objects, 0);
	assert_int_equal(f->vm.counters.user_sync_objects, 0);
}

static void test_hw_queue_and_empty_submits(void **state)
{
	struct fixture *f = *state;
	struct proc p = new_proc(f, "hwq");
	uint32_t ctx = new_context(f, &p), ctx2 = new_context(f, &p);
	struct hwq q = new_hwq(f, &p, ctx);
	struct cmdmem m = new_cmdmem(f, &p);
	struct buf dst = new_buf(f, &p, OPENDXG_ALLOC_KIND_HOST_VISIBLE, 4096);
	struct device_state ds;
	struct hwq q2;
	struct cmd c;

	assert_true(q.slot != 0 && slot(f, q.slot) == 0);
	assert_int_equal(fence_slots(f, &p, &q.fence, 1), 0);
	assert_true(r64(f, 0) == q.slot);
	assert_int_equal(destroy_op(f, DXGW_OP_DESTROY_SYNC_OBJECT, &p, q.fence), -EINVAL);
	assert_int_equal(signal_cpu1(f, &p, q.fence, 1, 0), -EINVAL);
	assert_int_equal(signal_q(f, &p, ctx2, q.fence, 1), -EINVAL);
	assert_int_equal(wait_q(f, &p, ctx2, q.fence, 0), 0);
	assert_int_equal(f->vm.counters.hw_queues, 1);

	/* A header without packets completes at once, in order: the progress fence moves. */
	cmd_begin(&c);
	cmd_end(&c);
	assert_int_equal(submit(f, &p, &m, q.handle, &c, 1), 0);
	assert_true(slot(f, q.slot) == 1);
	assert_int_equal(gpu.submitted, 0);
	assert_int_equal(f->vm.counters.jobs_completed, 1);
	/* Progress values only go forward; the error value is reserved; contexts take none. */
	assert_int_equal(submit(f, &p, &m, q.handle, &c, 1), -EINVAL);
	assert_int_equal(submit(f, &p, &m, q.handle, &c, 0), -EINVAL);
	assert_int_equal(submit(f, &p, &m, q.handle, &c, ERROR_VALUE), -EINVAL);
	assert_int_equal(submit(f, &p, &m, ctx, &c, 3), -EINVAL);
	assert_int_equal(submit(f, &p, &m, ctx, &c, 0), 0);
	assert_int_equal(submit(f, &p, &m, q.handle, &c, 10), 0);
	assert_true(slot(f, q.slot) == 10);

	/* NULL_RENDERING validates but executes nothing. */
	memset(dst.cpu, 0, 16);
	cmd_begin(&c);
	cmd_fill(&c, dst.va, 16, 0xabababab);
	cmd_end(&c);
	assert_int_equal(submit_flags(f, &p, &m, q.handle, &c,
				      D3DKMT_SUBMITCOMMAND_FLAG_NULL_RENDERING, 11), 0);
	assert_true(slot(f, q.slot) == 11);
	assert_int_equal(gpu.submitted, 0);
	assert_int_equal(u32_at(dst.cpu), 0);
	/* ... and so does every SUBMIT on a context created NULL_RENDERING. */
	{
		uint32_t nctx = new_context_flags(f, &p, D3DDDI_CREATECONTEXT_FLAG_NULL_RENDERING);

		assert_int_equal(submit(f, &p, &m, nctx, &c, 0), 0);
		assert_int_equal(gpu.submitted, 0);
		assert_int_equal(destroy_op(f, DXGW_OP_DESTROY_CONTEXT, &p, nctx), 0);
	}

	/* Not a command buffer: -EINVAL, and the context breaks with its hardware queues. */
	c.b[0] ^= 1;
	assert_int_equal(submit(f, &p, &m, q.handle, &c, 12), -EINVAL);
	ds = device_state(f, &p, D3DKMT_DEVICESTATE_EXECUTION);
	assert_int_equal(ds.status, 0);
	assert_int_equal(ds.execution_state, D3DKMT_DEVICEEXECUTION_ERROR_DMAFAULT);
	assert_int_equal(ds.broken_context, ctx);
	assert_int_equal(device_state(f, &p, D3DKMT_DEVICESTATE_PAGE_FAULT).status, -EINVAL);
	assert_true(slot(f, q.slot) == ERROR_VALUE);
	assert_int_equal(f->vm.counters.contexts_broken, 1);
	c.b[0] ^= 1;
	assert_int_equal(submit(f, &p, &m, q.handle, &c, 13), -ENODEV);
	assert_int_equal(submit(f, &p, &m, ctx, &c, 0), -ENODEV);
	assert_int_equal(create_hwq(f, &p, ctx, &q2), -ENODEV);
	/* The process's other context carries on. */
	q2 = new_hwq(f, &p, ctx2);
	cmd_begin(&c);
	cmd_end(&c);
	assert_int_equal(submit(f, &p, &m, q2.handle, &c, 1), 0);
	assert_true(slot(f, q2.slot) == 1);

	/* A command buffer that is not in one readable host-visible mapping breaks it too. */
	{
		struct buf dl = new_buf(f, &p, OPENDXG_ALLOC_KIND_DEVICE_LOCAL, 4096);
		struct body b = { .len = 0 };

		b_u32(&b, q2.handle);
		b_u32(&b, 0);
		b_u64(&b, dl.va);
		b_u32(&b, 16);
		b_u32(&b, 0);
		b_u64(&b, 2);
		assert_int_equal(req(f, DXGW_OP_SUBMIT, p.handle, &b), -EINVAL);
		assert_true(slot(f, q2.slot) == ERROR_VALUE);
	}
	/* The first error stays the device's. */
	assert_int_equal(device_state(f, &p, D3DKMT_DEVICESTATE_EXECUTION).broken_context, ctx);
	assert_int_equal(destroy_op(f, DXGW_OP_DESTROY_HW_QUEUE, &p, q.handle), 0);
	assert_int_equal(destroy_op(f, DXGW_OP_DESTROY_HW_QUEUE, &p, q.handle), -EINVAL);
	assert_int_equal(f->vm.counters.hw_queues, 1);
}

static void test_jobs_in_order(void **state)
{
	struct fixture *f = *state;
	struct proc p = new_proc(f, "order");
	uint32_t ctx = new_context(f, &p);
	struct hwq q = new_hwq(f, &p, ctx);
	struct cmdmem m = new_cmdmem(f, &p);
	struct buf src = new_buf(f, &p, OPENDXG_ALLOC_KIND_HOST_VISIBLE, 4096);
	struct buf dst = new_buf(f, &p, OPENDXG_ALLOC_KIND_HOST_VISIBLE, 4096);
	struct buf ts = new_buf(f, &p, OPENDXG_ALLOC_KIND_HOST_VISIBLE, 4096);
	uint64_t stamp[2];
	struct body b = { .len = 0 };
	struct cmd c;

	memcpy(src.cpu, "ABCDEFGH", 8);
	assert_int_equal(submit_fill(f, &p, &m, q.handle, dst.va, 0x11111111, 1), 0);
	/* The guest may reuse the memory once SUBMIT answered: the host has its own copy. */
	memset(m.buf.cpu, 0xee, 4096);
	cmd_begin(&c);
	cmd_timestamp(&c, ts.va);
	cmd_copy(&c, src.va, dst.va, 8);
	cmd_barrier(&c);
	cmd_timestamp(&c, ts.va + 8);
	cmd_end(&c);
	assert_int_equal(submit(f, &p, &m, q.handle, &c, 2), 0);
	/* One job in flight per queue: the second waits for the first. */
	assert_int_equal(gpu.submitted, 1);
	assert_int_equal(f->vm.counters.queue_items, 1);
	assert_true(slot(f, q.slot) == 0);

	run_jobs(f, 1);
	assert_true(slot(f, q.slot) == 1);
	assert_int_equal(u32_at(dst.cpu + 8), 0x11111111);
	assert_int_equal(gpu.submitted, 2);
	run_jobs(f, 1);
	assert_true(slot(f, q.slot) == 2);
	assert_memory_equal(dst.cpu, "ABCDEFGH", 8);
	assert_int_equal(u32_at(dst.cpu + 12), 0x11111111);
	memcpy(stamp, ts.cpu, 16);
	assert_true(stamp[0] != 0 && stamp[1] > stamp[0]);
	assert_int_equal(f->vm.counters.jobs_submitted, 2);
	assert_int_equal(f->vm.counters.jobs_completed, 2);
	assert_int_equal(f->vm.counters.queued_bytes, 0);

	/* The context's statistics (ESCAPE) count its hardware queues' work. */
	b_u32(&b, p.adapter);
	b_u32(&b, p.device);
	b_u32(&b, ctx);
	b_u32(&b, D3DKMT_ESCAPE_DRIVERPRIVATE);
	b_u32(&b, 0);
	b_u32(&b, 48);
	b_u32(&b, OPENDXG_ESCAPE_CONTEXT_STATS);
	b_u32(&b, 48);
	for (int i = 0; i < 10; i++)
		b_u32(&b, 0xffffffffu);
	assert_int_equal(req(f, DXGW_OP_ESCAPE, p.handle, &b), 0);
	assert_int_equal(body_len(f), 8 + 48);
	assert_int_equal(r32(f, 0), 48);
	assert_int_equal(r32(f, 8), OPENDXG_ESCAPE_CONTEXT_STATS);
	assert_int_equal(r32(f, 12), 48);
	assert_int_equal(r32(f, 8 + 8), D3DKMT_DEVICEEXECUTION_ACTIVE);
	assert_int_equal(r32(f, 8 + 12), 0);
	assert_true(r64(f, 8 + 16) == 2);
	assert_true(r64(f, 8 + 24) == 2);
	assert_true(r64(f, 8 + 32) == 2000);
	assert_true(r64(f, 8 + 40) == 0);	/* beyond the struct: zero */
	/* Only the context-stats escape with a context is answered. */
	memcpy(b.b + 24, &(uint32_t){ 0x4f450099u }, 4);
	assert_int_equal(req(f, DXGW_OP_ESCAPE, p.handle, &b), -EINVAL);
	memcpy(b.b + 24, &(uint32_t){ OPENDXG_ESCAPE_CONTEXT_STATS }, 4);
	memset(b.b + 8, 0, 4);
	assert_int_equal(req(f, DXGW_OP_ESCAPE, p.handle, &b), -EINVAL);
}

static void test_signal_wait_across_queues(void **state)
{
	struct fixture *f = *state;
	struct proc p = new_proc(f, "signal");
	uint32_t a = new_context(f, &p), b = new_context(f, &p);
	struct cmdmem m = new_cmdmem(f, &p);
	struct buf x = new_buf(f, &p, OPENDXG_ALLOC_KIND_HOST_VISIBLE, 4096);
	struct fence fe = new_fence(f, &p, 0, 0);
	struct fence done = new_fence(f, &p, 0, 0);
	uint32_t cpu, queues[2] = { a, b };
	uint64_t cpu_slot, ten = 10;

	/* A waits for the fence B signals after its job: A's job starts only then. */
	assert_int_equal(wait_q(f, &p, a, fe.handle, 1), 0);
	assert_int_equal(submit_fill(f, &p, &m, a, x.va, 0xaaaaaaaa, 0), 0);
	assert_int_equal(gpu.submitted, 0);
	assert_int_equal(submit_fill(f, &p, &m, b, x.va + 16, 0xbbbbbbbb, 0), 0);
	assert_int_equal(signal_q(f, &p, b, fe.handle, 1), 0);
	assert_int_equal(gpu.submitted, 1);
	assert_true(slot(f, fe.slot) == 0);
	run_jobs(f, 1);
	assert_true(slot(f, fe.slot) == 1);
	assert_int_equal(u32_at(x.cpu + 16), 0xbbbbbbbb);
	assert_int_equal(gpu.submitted, 2);
	assert_int_equal(u32_at(x.cpu), 0);
	run_jobs(f, 1);
	assert_int_equal(u32_at(x.cpu), 0xaaaaaaaa);
	assert_int_equal(f->vm.counters.queue_items, 0);

	/* Signal values: no rewind without the flag, checked at the request. */
	assert_int_equal(signal_q(f, &p, b, fe.handle, 0), -EINVAL);
	/* SIGNAL_AT_SUBMISSION does not wait for the queue's work. */
	assert_int_equal(submit_fill(f, &p, &m, a, x.va, 1, 0), 0);
	{
		uint64_t five = 5;

		assert_int_equal(signal_queues(f, &p, &a, 1, &fe.handle, &five, 1,
					       D3DDDICB_SIGNAL_FLAG_SIGNAL_AT_SUBMISSION), 0);
		assert_true(slot(f, fe.slot) == 5);
	}
	/* A join over two queues: done once both reached it (A's job still runs). */
	assert_int_equal(signal_queues(f, &p, queues, 2, &done.handle, &ten, 1, 0), 0);
	assert_true(slot(f, done.slot) == 0);
	assert_int_equal(f->vm.counters.queue_items, 1);	/* A's marker; B's was reached */
	run_jobs(f, 1);
	assert_true(slot(f, done.slot) == 10);
	/* Queues of one device only, each named once. */
	{
		struct proc other = new_proc(f, "other");
		uint32_t oc = new_context(f, &other);
		uint32_t dupq[2] = { a, a };

		assert_int_equal(signal_queues(f, &p, dupq, 2, &done.handle, &ten, 1, 0), -EINVAL);
		queues[1] = oc;
		assert_int_equal(signal_queues(f, &p, queues, 2, &done.handle, &ten, 1, 0),
				 -EINVAL);
		assert_int_equal(wait_q(f, &other, oc, fe.handle, 1), -EINVAL);
	}

	/* CPU notifications count signals in their slot; nothing waits on them on a queue. */
	assert_int_equal(create_sync(f, &p, D3DDDI_CPU_NOTIFICATION, 0, 0, 0, &cpu, &cpu_slot), 0);
	assert_int_equal(signal_q(f, &p, a, cpu, 0), 0);
	assert_int_equal(signal_q(f, &p, b, cpu, 0), 0);
	assert_true(slot(f, cpu_slot) == 2);
	assert_int_equal(wait_q(f, &p, a, cpu, 1), -EINVAL);

	/* A wait naming an object destroyed meanwhile is satisfied. */
	assert_int_equal(wait_q(f, &p, a, fe.handle, 1000), 0);
	assert_int_equal(signal_q(f, &p, a, done.handle, 11), 0);
	assert_true(slot(f, done.slot) == 10);
	assert_int_equal(destroy_op(f, DXGW_OP_DESTROY_SYNC_OBJECT, &p, fe.handle), 0);
	assert_true(slot(f, done.slot) == 11);
}

static void test_mutex_and_semaphore(void **state)
{
	struct fixture *f = *state;
	struct proc p = new_proc(f, "mutex");
	uint32_t a = new_context(f, &p), b = new_context(f, &p);
	uint32_t mutex = new_sync(f, &p, D3DDDI_SYNCHRONIZATION_MUTEX, 0, 0);
	uint32_t owned = new_sync(f, &p, D3DDDI_SYNCHRONIZATION_MUTEX, 1, 0);
	uint32_t sem = new_sync(f, &p, D3DDDI_SEMAPHORE, 2, 0);
	struct fence fa = new_fence(f, &p, 0, 0), fb = new_fence(f, &p, 0, 0);

	/* A takes the mutex; B's wait blocks until A releases it. */
	assert_int_equal(wait_q(f, &p, a, mutex, 0), 0);
	assert_int_equal(signal_q(f, &p, a, fa.handle, 1), 0);
	assert_true(slot(f, fa.slot) == 1);
	assert_int_equal(wait_q(f, &p, b, mutex, 0), 0);
	assert_int_equal(signal_q(f, &p, b, fb.handle, 1), 0);
	assert_true(slot(f, fb.slot) == 0);
	assert_int_equal(signal_q(f, &p, a, mutex, 0), 0);
	assert_true(slot(f, fb.slot) == 1);
	/* Created owned: nobody gets it before a signal. */
	assert_int_equal(wait_q(f, &p, a, owned, 0), 0);
	assert_int_equal(signal_q(f, &p, a, fa.handle, 2), 0);
	assert_true(slot(f, fa.slot) == 1);
	assert_int_equal(signal_q(f, &p, b, owned, 0), 0);
	assert_true(slot(f, fa.slot) == 2);

	/* The semaphore starts at 0 and counts to its maximum (2), never beyond. */
	assert_int_equal(wait_q(f, &p, a, sem, 0), 0);
	assert_int_equal(signal_q(f, &p, a, fa.handle, 3), 0);
	assert_true(slot(f, fa.slot) == 2);
	/* Four signals: A takes the first, the count stops at 2 of the other three. */
	for (int i = 0; i < 4; i++)
		assert_int_equal(signal_q(f, &p, b, sem, 0), 0);
	assert_true(slot(f, fa.slot) == 3);
	for (uint64_t v = 4; v <= 6; v++) {
		assert_int_equal(wait_q(f, &p, a, sem, 0), 0);
		assert_int_equal(signal_q(f, &p, a, fa.handle, v), 0);
	}
	assert_true(slot(f, fa.slot) == 5);
	assert_int_equal(signal_q(f, &p, b, sem, 0), 0);
	assert_true(slot(f, fa.slot) == 6);

	/* A wait on several objects is all or nothing: it holds no mutex while blocked. */
	{
		struct body w = { .len = 0 };
		uint32_t both[2] = { mutex, sem };

		assert_int_equal(signal_q(f, &p, b, mutex, 0), 0);	/* B still owned it */
		b_u32(&w, a);
		b_u32(&w, 2);
		b_list(&w, both, 2);
		b_u64(&w, 0);
		b_u64(&w, 0);
		assert_int_equal(req(f, DXGW_OP_WAIT_ON_QUEUE, p.handle, &w), 0);
		assert_int_equal(wait_q(f, &p, b, mutex, 0), 0);
		assert_int_equal(signal_q(f, &p, b, fb.handle, 2), 0);
		assert_true(slot(f, fb.slot) == 2);	/* B got the mutex: A did not hold it */
		assert_int_equal(signal_q(f, &p, b, mutex, 0), 0);
		assert_int_equal(signal_q(f, &p, a, fa.handle, 7), 0);
		assert_true(slot(f, fa.slot) == 6);	/* A still waits for the semaphore */
		assert_int_equal(signal_q(f, &p, b, sem, 0), 0);
		assert_true(slot(f, fa.slot) == 7);
		/* The same object twice in one list is refused. */
		both[1] = mutex;
		w.len = 8;
		b_list(&w, both, 2);
		b_u64(&w, 0);
		b_u64(&w, 0);
		assert_int_equal(req(f, DXGW_OP_WAIT_ON_QUEUE, p.handle, &w), -EINVAL);
	}
}

static void test_page_fault_isolation(void **state)
{
	struct fixture *f = *state;
	struct proc p = new_proc(f, "faulty"), good = new_proc(f, "good");
	uint32_t ctx = new_context(f, &p), other_ctx = new_context(f, &p);
	uint32_t good_ctx = new_context(f, &good);
	struct hwq q = new_hwq(f, &p, ctx);
	struct cmdmem m = new_cmdmem(f, &p), gm = new_cmdmem(f, &good);
	struct buf x = new_buf(f, &p, OPENDXG_ALLOC_KIND_HOST_VISIBLE, 4096);
	struct buf gx = new_buf(f, &good, OPENDXG_ALLOC_KIND_HOST_VISIBLE, 4096);
	struct fence fe = new_fence(f, &p, 0, 0);
	struct fence keeps = new_fence(f, &p, 3, D3DDDI_SYNCOBJ_FLAG_NO_SIGNAL_MAX_VALUE_ON_TDR);
	uint32_t objs[2] = { fe.handle, keeps.handle };
	uint64_t vals[2] = { 1, 4 };
	struct device_state ds;
	struct cmd c;

	/* The job is valid; its second packet names an address the process never mapped. */
	cmd_begin(&c);
	cmd_fill(&c, x.va, 16, 1);
	cmd_fill(&c, gx.va + 0x100000, 16, 2);
	cmd_end(&c);
	assert_int_equal(submit_fill(f, &p, &m, q.handle, x.va, 7, 1), 0);
	assert_int_equal(submit(f, &p, &m, q.handle, &c, 2), 0);
	assert_int_equal(submit_fill(f, &p, &m, q.handle, x.va, 9, 3), 0);
	assert_int_equal(signal_queues(f, &p, &q.handle, 1, objs, vals, 2, 0), 0);
	assert_int_equal(device_state(f, &p, D3DKMT_DEVICESTATE_EXECUTION).execution_state,
			 D3DKMT_DEVICEEXECUTION_ACTIVE);
	run_jobs(f, 1);
	/* The second job faulted when it started: dropped with what followed it. */
	assert_int_equal(gpu.submitted, 1);
	assert_int_equal(u32_at(x.cpu), 7);
	assert_true(slot(f, q.slot) == ERROR_VALUE);
	assert_true(slot(f, fe.slot) == ERROR_VALUE);
	assert_true(slot(f, keeps.slot) == 3);
	ds = device_state(f, &p, D3DKMT_DEVICESTATE_PAGE_FAULT);
	assert_int_equal(ds.status, 0);
	assert_int_equal(ds.execution_state, D3DKMT_DEVICEEXECUTION_ERROR_DMAPAGEFAULT);
	assert_int_equal(ds.broken_context, ctx);
	assert_true(ds.sequence == 2);
	assert_true(ds.va == gx.va + 0x100000);
	assert_int_equal(ds.flags, DXGW_FAULT_WRITE | DXGW_FAULT_NOT_MAPPED);
	assert_int_equal(ds.packet, OPENDXG_CMD_HEADER_SIZE + sizeof(struct opendxg_cmd_fill));
	assert_int_equal(f->vm.counters.queue_items, 0);
	/* Later work on it is refused, and its signals fail with the error value at once. */
	assert_int_equal(submit_fill(f, &p, &m, q.handle, x.va, 1, 4), -ENODEV);
	assert_int_equal(wait_q(f, &p, ctx, fe.handle, 0), -ENODEV);
	{
		struct fence late = new_fence(f, &p, 0, 0);

		assert_int_equal(signal_q(f, &p, q.handle, late.handle, 1), -ENODEV);
		assert_true(slot(f, late.slot) == ERROR_VALUE);
	}
	/* Another process and the process's other context are untouched. */
	assert_int_equal(submit_fill(f, &good, &gm, good_ctx, gx.va, 5, 0), 0);
	run_jobs(f, 1);
	assert_int_equal(u32_at(gx.cpu), 5);
	assert_int_equal(device_state(f, &good, D3DKMT_DEVICESTATE_EXECUTION).execution_state,
			 D3DKMT_DEVICEEXECUTION_ACTIVE);
	assert_int_equal(device_state(f, &good, D3DKMT_DEVICESTATE_PAGE_FAULT).status, -EINVAL);
	/* A write to a read-only mapping: mapped, without the access. */
	{
		uint64_t ro = map(f, &p, x.handle, 1, 0);
		struct device_state first;

		assert_int_equal(submit_fill(f, &p, &m, other_ctx, ro, 1, 0), 0);
		first = device_state(f, &p, D3DKMT_DEVICESTATE_PAGE_FAULT);
		/* The device keeps reporting the first fault. */
		assert_true(first.va == gx.va + 0x100000);
		assert_int_equal(gpu.submitted, 2);
	}
	/* Evicted device-local memory is not there to be used. */
	{
		uint32_t ctx3 = new_context(f, &p);
		struct buf dl = new_buf(f, &p, OPENDXG_ALLOC_KIND_DEVICE_LOCAL, 4096);
		struct body b = { .len = 0 };

		b_u32(&b, p.device);
		b_u32(&b, 1);
		b_u32(&b, 0);
		b_u32(&b, 0);
		b_list(&b, &dl.handle, 1);
		assert_int_equal(req(f, DXGW_OP_EVICT, p.handle, &b), 0);
		assert_int_equal(submit_fill(f, &p, &m, ctx3, dl.va, 1, 0), 0);
		assert_int_equal(submit_fill(f, &p, &m, ctx3, dl.va, 1, 0), -ENODEV);
		assert_int_equal(gpu.submitted, 2);
	}
	assert_int_equal(f->vm.counters.contexts_broken, 3);
}

static void test_destroy_while_queued(void **state)
{
	struct fixture *f = *state;
	struct proc p = new_proc(f, "destroy");
	uint32_t ctx = new_context(f, &p);
	struct hwq q = new_hwq(f, &p, ctx);
	struct cmdmem m = new_cmdmem(f, &p);
	struct buf x = new_buf(f, &p, OPENDXG_ALLOC_KIND_HOST_VISIBLE, 4096);
	struct buf dl = new_buf(f, &p, OPENDXG_ALLOC_KIND_DEVICE_LOCAL, 4096);
	struct fence fe = new_fence(f, &p, 0, 0);
	struct fence outlive = new_fence(f, &p, 0, 0);
	uint32_t wait_ctx = new_context(f, &p);

	/* One job running, two queued, a signal behind them. */
	assert_int_equal(submit_fill(f, &p, &m, q.handle, x.va, 1, 1), 0);
	assert_int_equal(submit_fill(f, &p, &m, q.handle, x.va, 2, 2), 0);
	assert_int_equal(submit_fill(f, &p, &m, q.handle, x.va, 3, 3), 0);
	assert_int_equal(signal_q(f, &p, q.handle, fe.handle, 1), 0);
	/* Another queue waits on the hardware queue's progress fence. */
	assert_int_equal(wait_q(f, &p, wait_ctx, q.fence, 3), 0);
	assert_int_equal(signal_q(f, &p, wait_ctx, outlive.handle, 1), 0);
	assert_int_equal(gpu.submitted, 1);
	assert_int_equal(destroy_op(f, DXGW_OP_DESTROY_HW_QUEUE, &p, q.handle), 0);
	/* The running job finished first; the queued work is gone, its signal never happens. */
	assert_int_equal(gpu.idle_calls, 1);
	assert_int_equal(gpu.reaped, 1);
	assert_int_equal(gpu.submitted, 1);
	assert_int_equal(u32_at(x.cpu), 1);
	assert_true(slot(f, fe.slot) == 0);
	/* The waiter's fence went with the queue: its wait is satisfied. */
	assert_true(slot(f, outlive.slot) == 1);
	assert_int_equal(f->vm.counters.queue_items, 0);
	assert_int_equal(f->vm.counters.queued_bytes, 0);

	/* Freeing memory a running job uses waits for the job. */
	assert_int_equal(submit_fill(f, &p, &m, ctx, dl.va, 4, 0), 0);
	assert_int_equal(gpu.submitted, 2);
	assert_int_equal(destroy_alloc(f, &p, dl.handle), 0);
	assert_int_equal(gpu.idle_calls, 2);
	assert_int_equal(gpu.reaped, 2);
	/* Nothing in flight: no wait. */
	assert_int_equal(destroy_alloc(f, &p, x.handle), 0);
	assert_int_equal(gpu.idle_calls, 2);

	/* A context with work running and queued; then the whole process. */
	{
		struct buf y = new_buf(f, &p, OPENDXG_ALLOC_KIND_HOST_VISIBLE, 4096);
		uint32_t c2 = new_context(f, &p);

		assert_int_equal(submit_fill(f, &p, &m, c2, y.va, 1, 0), 0);
		assert_int_equal(submit_fill(f, &p, &m, c2, y.va, 2, 0), 0);
		assert_int_equal(destroy_op(f, DXGW_OP_DESTROY_CONTEXT, &p, c2), 0);
		assert_int_equal(gpu.reaped, gpu.submitted);
		assert_int_equal(u32_at(y.cpu), 1);
		c2 = new_context(f, &p);
		assert_int_equal(submit_fill(f, &p, &m, c2, y.va, 3, 0), 0);
		assert_int_equal(submit_fill(f, &p, &m, c2, y.va, 4, 0), 0);
		assert_int_equal(wait_q(f, &p, c2, outlive.handle, 99), 0);
	}
	assert_int_equal(req(f, DXGW_OP_DESTROY_PROCESS, p.handle, NULL), 0);
	assert_int_equal(gpu.reaped, gpu.submitted);
	assert_int_equal(f->vm.counters.queue_items, 0);
	assert_int_equal(f->vm.counters.queued_bytes, 0);
	assert_int_equal(f->vm.counters.sync_objects, 0);
	assert_int_equal(f->vm.counters.hw_queues, 0);
	assert_int_equal(handle_table_live(&f->vm.handles), 1);	/* the adapter */
}

static void *read_module(const char *name, uint32_t *size)
{
	char path[4096];
	FILE *fp;
	void *data;
	long len;

	snprintf(path, sizeof(path), "%s/%s", shader_dir, name);
	fp = fopen(path, "rb");
	assert_non_null(fp);
	fseek(fp, 0, SEEK_END);
	len = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	data = malloc((size_t)len);
	assert_non_null(data);
	assert_int_equal(fread(data, 1, (size_t)len, fp), (size_t)len);
	fclose(fp);
	*size = (uint32_t)len;
	return data;
}

/* saxpy.comp: x at binding 0 (read-only), y at binding 3; push constants { float a; uint n; }. */
static void saxpy_bindings(struct opendxg_cmd_binding *b, uint64_t x, uint64_t y, uint64_t bytes)
{
	memset(b, 0, 2 * sizeof(*b));
	b[0] = (struct opendxg_cmd_binding){ .va = x, .size = bytes, .binding = 0,
					     .flags = OPENDXG_BINDING_READ_ONLY };
	b[1] = (struct opendxg_cmd_binding){ .va = y, .size = bytes, .binding = 3 };
}

static void test_program_checks(void **state)
{
	struct fixture *f = *state;
	struct proc p = new_proc(f, "programs"), other = new_proc(f, "other");
	struct cmdmem m = new_cmdmem(f, &p);
	struct buf x = new_buf(f, &p, OPENDXG_ALLOC_KIND_HOST_VISIBLE, 4096);
	struct buf y = new_buf(f, &p, OPENDXG_ALLOC_KIND_HOST_VISIBLE, 4096);
	struct opendxg_cmd_binding bind[2];
	struct { float a; uint32_t n; uint32_t extra[2]; } push = { 2.0f, 16, { 0, 0 } };
	uint32_t size, prog, foreign, ctx;
	void *code = read_module("saxpy.spv", &size);
	struct cmd c;

	prog = alloc(f, &p, OPENDXG_ALLOC_KIND_PROGRAM, size, code);
	foreign = alloc(f, &other, OPENDXG_ALLOC_KIND_PROGRAM, size, code);
	saxpy_bindings(bind, x.va, y.va, 256);

	/* A good dispatch; the module is made once and cached in the allocation. */
	ctx = new_context(f, &p);
	cmd_begin(&c);
	cmd_dispatch(&c, prog, "main", 1, bind, 2, &push, 8);
	cmd_end(&c);
	assert_int_equal(submit(f, &p, &m, ctx, &c, 0), 0);
	assert_int_equal(submit(f, &p, &m, ctx, &c, 0), 0);
	assert_int_equal(gpu.programs_created, 1);
	/* More push bytes than the block needs are fine (a module reads what it declares). */
	cmd_begin(&c);
	cmd_dispatch(&c, prog, "main", 1, bind, 2, &push, 16);
	cmd_end(&c);
	assert_int_equal(submit(f, &p, &m, ctx, &c, 0), 0);
	for (int i = 0; i < 3; i++)
		run_jobs(f, 1);
	assert_int_equal(gpu.dispatches, 3);

	/* Each way to get it wrong: -EINVAL, the context breaks, nothing runs. */
	struct {
		uint32_t program;
		const char *entry;
		uint32_t bindings;
		uint32_t push;
	} bad[] = {
		{ x.handle, "main", 2, 8 },	/* not a program */
		{ foreign, "main", 2, 8 },	/* another process's */
		{ prog, "nope", 2, 8 },		/* no such entry point */
		{ prog, "main", 1, 8 },		/* binding 3 missing */
		{ prog, "main", 2, 4 },		/* push constants the module reads are missing */
		{ 0, "main", 2, 8 },		/* no handle */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint32_t bctx = new_context(f, &p);

		cmd_begin(&c);
		cmd_dispatch(&c, bad[i].program, bad[i].entry, 1, bind, bad[i].bindings, &push,
			     bad[i].push);
		cmd_end(&c);
		assert_int_equal(submit(f, &p, &m, bctx, &c, 0), -EINVAL);
		assert_int_equal(submit(f, &p, &m, bctx, &c, 0), -ENODEV);
	}
	assert_int_equal(gpu.submitted, 3);

	/* A queued job keeps its module when the program allocation goes. */
	{
		uint32_t wctx = new_context(f, &p);
		struct fence gate = new_fence(f, &p, 0, 0);

		assert_int_equal(wait_q(f, &p, wctx, gate.handle, 1), 0);
		cmd_begin(&c);
		cmd_dispatch(&c, prog, "main", 1, bind, 2, &push, 8);
		cmd_end(&c);
		assert_int_equal(submit(f, &p, &m, wctx, &c, 0), 0);
		assert_int_equal(destroy_alloc(f, &p, prog), 0);
		assert_int_equal(gpu.programs_live, 1);	/* the queued job's reference */
		assert_int_equal(signal_cpu1(f, &p, gate.handle, 1, 0), 0);
		assert_int_equal(gpu.submitted, 4);
		run_jobs(f, 1);
		assert_int_equal(gpu.programs_live, 0);
	}
	free(code);
}

static void test_gpu_va_update_ordering(void **state)
{
	struct fixture *f = *state;
	struct proc p = new_proc(f, "gpuva");
	uint32_t ctx = new_context(f, &p);
	struct cmdmem m = new_cmdmem(f, &p);
	struct buf a = new_buf(f, &p, OPENDXG_ALLOC_KIND_HOST_VISIBLE, 4096);
	struct buf b = new_buf(f, &p, OPENDXG_ALLOC_KIND_HOST_VISIBLE, 4096);
	struct fence gate = new_fence(f, &p, 0, 0);
	struct body u = { .len = 0 };

	/* A job queued behind a wait, then an update that remaps its target to b. */
	assert_int_equal(wait_q(f, &p, ctx, gate.handle, 1), 0);
	assert_int_equal(submit_fill(f, &p, &m, ctx, a.va, 0x1234, 0), 0);
	b_u32(&u, p.device);
	b_u32(&u, ctx);
	b_u32(&u, 0);
	b_u32(&u, 1);
	b_u64(&u, 0);
	b_u32(&u, 0);
	b_u32(&u, 0);
	b_u32(&u, D3DDDI_UPDATEGPUVIRTUALADDRESS_MAP);
	b_u32(&u, 0);
	b_u64(&u, a.va);
	b_u64(&u, 4096);
	b_u64(&u, 0);
	b_u32(&u, b.handle);
	b_u32(&u, 0);
	b_u64(&u, 0);
	b_u64(&u, 0);
	b_u64(&u, 0);
	/* Queued on the context: the job before it still sees the old mapping. */
	assert_int_equal(req(f, DXGW_OP_UPDATE_GPU_VA, p.handle, &u), 0);
	assert_int_equal(f->vm.counters.queue_items, 3);
	assert_int_equal(signal_cpu1(f, &p, gate.handle, 1, 0), 0);
	assert_int_equal(gpu.submitted, 1);
	run_jobs(f, 1);
	assert_int_equal(u32_at(a.cpu), 0x1234);
	assert_int_equal(u32_at(b.cpu), 0);
	assert_int_equal(f->vm.counters.queue_items, 0);
	/* ... and the next job the new one. */
	assert_int_equal(submit_fill(f, &p, &m, ctx, a.va, 0x5678, 0), 0);
	run_jobs(f, 1);
	assert_int_equal(u32_at(b.cpu), 0x5678);
	assert_int_equal(u32_at(a.cpu), 0x1234);
	/* An update that fails when it runs breaks its context. */
	assert_int_equal(wait_q(f, &p, ctx, gate.handle, 2), 0);
	memset(u.b + 32 + 8, 0, 8);		/* base address 0: outside any reservation */
	assert_int_equal(req(f, DXGW_OP_UPDATE_GPU_VA, p.handle, &u), 0);
	assert_int_equal(signal_cpu1(f, &p, gate.handle, 2, 0), 0);
	assert_int_equal(device_state(f, &p, D3DKMT_DEVICESTATE_EXECUTION).execution_state,
			 D3DKMT_DEVICEEXECUTION_ERROR_DMAFAULT);
	assert_int_equal(f->vm.counters.queue_items, 0);
	/* A broken context takes no update that would have to wait. */
	memcpy(u.b + 8, &gate.handle, 4);
	memcpy(u.b + 16, &(uint64_t){ 100 }, 8);
	memcpy(u.b + 32 + 8, &a.va, 8);
	assert_int_equal(req(f, DXGW_OP_UPDATE_GPU_VA, p.handle, &u), -ENODEV);
	/* One that need not wait still applies (GPU VA spaces belong to the process). */
	memcpy(u.b + 16, &(uint64_t){ 2 }, 8);
	assert_int_equal(req(f, DXGW_OP_UPDATE_GPU_VA, p.handle, &u), 0);
}

static void test_device_error_and_small_opcodes(void **state)
{
	struct fixture *f = *state;
	struct proc p = new_proc(f, "misc");
	uint32_t c1 = new_context(f, &p), c2 = new_context(f, &p);
	struct hwq q = new_hwq(f, &p, c2);
	struct fence fe = new_fence(f, &p, 0, 0);
	struct body b = { .len = 0 };

	/* Priorities: stored per variant. */
	b_u32(&b, c1);
	b_u32(&b, (uint32_t)-3);
	b_u32(&b, 0);
	b_u32(&b, 0);
	assert_int_equal(req(f, DXGW_OP_SET_SCHEDULING_PRIORITY, p.handle, &b), 0);
	memcpy(b.b + 4, &(uint32_t){ 6 }, 4);
	memcpy(b.b + 8, &(uint32_t){ 1 }, 4);
	assert_int_equal(req(f, DXGW_OP_SET_SCHEDULING_PRIORITY, p.handle, &b), 0);
	memset(b.b + 4, 0, 4);
	memset(b.b + 8, 0, 4);
	assert_int_equal(req(f, DXGW_OP_GET_SCHEDULING_PRIORITY, p.handle, &b), 0);
	assert_int_equal(body_len(f), 8);
	assert_int_equal((int32_t)r32(f, 0), -3);
	memcpy(b.b + 8, &(uint32_t){ 1 }, 4);
	assert_int_equal(req(f, DXGW_OP_GET_SCHEDULING_PRIORITY, p.handle, &b), 0);
	assert_int_equal((int32_t)r32(f, 0), 6);
	memcpy(b.b, &q.handle, 4);		/* a hardware queue is not a context */
	assert_int_equal(req(f, DXGW_OP_GET_SCHEDULING_PRIORITY, p.handle, &b), -EINVAL);

	/* Clock calibration: the backend's pair and its frequency. */
	b.len = 0;
	b_u32(&b, p.adapter);
	b_u32(&b, 0);
	assert_int_equal(req(f, DXGW_OP_QUERY_CLOCK_CALIBRATION, p.handle, &b), 0);
	assert_int_equal(body_len(f), 24);
	assert_true(r64(f, 0) == 500000000ull);
	assert_true(r64(f, 8) == 123456);
	assert_true(r64(f, 16) == 987654321);
	memcpy(b.b, &p.device, 4);
	assert_int_equal(req(f, DXGW_OP_QUERY_CLOCK_CALIBRATION, p.handle, &b), -EINVAL);

	/* MARK_DEVICE_ERROR: every context breaks as reset; signals and waits are refused. */
	assert_int_equal(wait_q(f, &p, c1, fe.handle, 5), 0);
	b.len = 0;
	b_u32(&b, p.device);
	b_u32(&b, D3DKMT_DEVICE_ERROR_REASON_GENERIC);
	assert_int_equal(req(f, DXGW_OP_MARK_DEVICE_ERROR, p.handle, &b), 0);
	{
		struct device_state ds = device_state(f, &p, D3DKMT_DEVICESTATE_EXECUTION);

		assert_int_equal(ds.execution_state, D3DKMT_DEVICEEXECUTION_RESET);
		assert_int_equal(ds.broken_context, c1);
	}
	assert_true(slot(f, q.slot) == ERROR_VALUE);
	assert_int_equal(f->vm.counters.queue_items, 0);
	assert_int_equal(wait_q(f, &p, c2, fe.handle, 1), -ENODEV);
	assert_int_equal(signal_q(f, &p, c1, fe.handle, 1), -ENODEV);
	assert_true(slot(f, fe.slot) == ERROR_VALUE);
	/* A device without contexts is marked all the same. */
	{
		struct proc lone = new_proc(f, "lone");

		assert_int_equal(req(f, DXGW_OP_MARK_DEVICE_ERROR, lone.handle, &b), -EINVAL);
		memcpy(b.b, &lone.device, 4);
		assert_int_equal(req(f, DXGW_OP_MARK_DEVICE_ERROR, lone.handle, &b), 0);
		struct device_state ds = device_state(f, &lone, D3DKMT_DEVICESTATE_EXECUTION);

		assert_int_equal(ds.execution_state, D3DKMT_DEVICEEXECUTION_RESET);
	}
}

/*
 * Sharing a monitored fence: one value through every handle and the share's slot, queue waits
 * through the share, the share slot's error when the last handle goes, the counters of opened
 * handles, and nothing left behind by CLOSE_SHARE, process teardown or CONNECT.
 */
static void test_share_sync_object(void **state)
{
	struct fixture *f = *state;
	const uint32_t shared = D3DDDI_SYNCOBJ_FLAG_SHARED |
				D3DDDI_SYNCOBJ_FLAG_NT_SECURITY_SHARING;
	struct proc a = new_proc(f, "a"), b = new_proc(f, "b");
	uint32_t ctx_b = new_context(f, &b);
	struct fence fa = new_fence(f, &a, 3, shared), fb, fb2, done = new_fence(f, &b, 0, 0);
	const uint32_t users = f->vm.counters.user_sync_objects;
	uint64_t id, id2, share_slot;

	assert_int_equal(share(f, &a, done.handle, 0, &id, NULL), -EINVAL);
	assert_int_equal(share(f, &a, fa.handle, 0, &id, &share_slot), 0);
	assert_int_equal(share_count(&f->vm), 1);
	assert_true(id != 0 && slot(f, share_slot) == 3);
	assert_int_equal(share(f, &a, fa.handle, DXGW_SHARE_SYNC_FILE, &id2, NULL), 0);
	assert_true(id2 == id);
	assert_int_equal(share_count(&f->vm), 1);
	assert_int_equal(open_shared(f, &b, DXGW_ACCESS_WAIT, id, &fb), 0);
	assert_int_equal(r32(f, 4), D3DDDI_MONITORED_FENCE);
	assert_true(r64(f, 24) == 3 && slot(f, fb.slot) == 3);
	assert_int_equal(f->vm.counters.user_sync_objects, users + 1);
	assert_int_equal(signal_cpu1(f, &b, fb.handle, 4, 0), -EACCES);
	assert_int_equal(signal_cpu1(f, &a, fa.handle, 4, 0), 0);
	assert_true(slot(f, fb.slot) == 4 && slot(f, share_slot) == 4);

	/* B's queue: a wait on the share, then its own fence. */
	assert_int_equal(wait_share(f, &b, ctx_b, id, 6), 0);
	assert_int_equal(wait_share(f, &b, ctx_b, id + 1, 6), -EINVAL);
	assert_int_equal(signal_q(f, &b, ctx_b, done.handle, 1), 0);
	assert_true(slot(f, done.slot) == 0);
	assert_int_equal(signal_cpu1(f, &a, fa.handle, 6, 0), 0);
	assert_true(slot(f, done.slot) == 1);

	/* The creator's handle goes: B's keeps the object; then B's goes too. */
	assert_int_equal(destroy_op(f, DXGW_OP_DESTROY_SYNC_OBJECT, &a, fa.handle), 0);
	assert_true(slot(f, share_slot) == 6);
	assert_int_equal(wait_share(f, &b, ctx_b, id, 100), 0);
	assert_int_equal(signal_q(f, &b, ctx_b, done.handle, 2), 0);
	assert_true(slot(f, done.slot) == 1);
	assert_int_equal(open_shared(f, &b, DXGW_ACCESS_SYNC_ALL, id, &fb2), 0);
	assert_int_equal(destroy_op(f, DXGW_OP_DESTROY_SYNC_OBJECT, &b, fb.handle), 0);
	assert_int_equal(destroy_op(f, DXGW_OP_DESTROY_SYNC_OBJECT, &b, fb2.handle), 0);
	assert_true(slot(f, share_slot) == ERROR_VALUE);
	assert_true(slot(f, done.slot) == 2);
	assert_int_equal(f->vm.counters.user_sync_objects, users - 1);	/* fa went */

	assert_int_equal(close_share(f, id), 0);
	assert_int_equal(share_count(&f->vm), 1);
	assert_int_equal(close_share(f, id), 0);
	assert_int_equal(share_count(&f->vm), 0);
	assert_int_equal(close_share(f, id), -EINVAL);

	/* Shares and opened handles left to CONNECT (and a WAIT_SHARE item to the teardown). */
	fa = new_fence(f, &a, 0, shared);
	assert_int_equal(share(f, &a, fa.handle, 0, &id, &share_slot), 0);
	assert_true(share_slot != 0);
	assert_int_equal(open_shared(f, &b, DXGW_ACCESS_SYNC_ALL, id, &fb), 0);
	assert_int_equal(wait_share(f, &b, ctx_b, id, 9), 0);
	vm_destroy_all_processes(&f->vm);
	assert_int_equal(share_count(&f->vm), 0);
	assert_null(share_check(&f->vm));
	assert_null(memory_check(&f->vm));
	assert_null(exec_check(&f->vm));
	/* And shares left to vm_fini (the teardown): a new process, a new share. */
	a = new_proc(f, "a2");
	fa = new_fence(f, &a, 0, shared);
	assert_int_equal(share(f, &a, fa.handle, 0, &id2, NULL), 0);
	assert_true(id2 != id);
}

static void test_limits(void **state)
{
	struct fixture *f = *state;
	struct proc p = new_proc(f, "limits");
	uint32_t ctx = new_context(f, &p), ctx2 = new_context(f, &p);
	struct fence fe = new_fence(f, &p, 0, 0);
	struct hwq q;
	uint32_t queues[2] = { ctx, ctx2 };
	uint64_t one = 1;

	f->vm.limits.max_queue_items = 2;
	assert_int_equal(wait_q(f, &p, ctx, fe.handle, 1), 0);
	assert_int_equal(wait_q(f, &p, ctx, fe.handle, 2), 0);
	assert_int_equal(wait_q(f, &p, ctx, fe.handle, 3), -ENOMEM);
	/* A join is all or nothing: ctx is full, so ctx2 gets no marker either. */
	assert_int_equal(signal_queues(f, &p, queues, 2, &fe.handle, &one, 1, 0), -ENOMEM);
	assert_int_equal(f->vm.counters.queue_items, 2);
	f->vm.limits.max_queue_items = 1024;
	f->vm.limits.max_vm_queue_items = 3;
	assert_int_equal(wait_q(f, &p, ctx2, fe.handle, 1), 0);
	assert_int_equal(wait_q(f, &p, ctx2, fe.handle, 1), -ENOMEM);
	f->vm.limits.max_vm_queue_items = 65536;
	f->vm.limits.max_queued_bytes = f->vm.counters.queued_bytes + 1;
	assert_int_equal(wait_q(f, &p, ctx2, fe.handle, 1), -ENOMEM);
	f->vm.limits.max_queued_bytes = 256 * MiB;
	assert_int_equal(signal_cpu1(f, &p, fe.handle, 3, 0), 0);
	assert_int_equal(f->vm.counters.queue_items, 0);

	f->vm.limits.max_hw_queues = 1;
	q = new_hwq(f, &p, ctx);
	assert_int_equal(create_hwq(f, &p, ctx, &q), -ENOMEM);
	f->vm.limits.max_hw_queues = 4096;
}

/* ---- the real thing ---- */

static int setup_vulkan(void **state)
{
	const struct dxg_vm_limits limits = DXG_VM_DEFAULT_LIMITS;
	struct fixture *f = fixture_new(true, &limits);

	if (f->vk.adapter_count == 0) {
		vm_fini(&f->vm);
		vk_backend_fini(&f->vk);
		munmap(f->region, REGION_SIZE);
		close(f->fd);
		free(f);
		*state = NULL;
		return 0;
	}
	*state = f;
	return 0;
}

static int teardown_vulkan(void **state)
{
	return *state ? teardown(state) : 0;
}

/* Waits (without a time limit of its own: meson's test timeout is the guard) for a fence. */
static void wait_fence(struct fixture *f, uint64_t offset, uint64_t value)
{
	while (slot(f, offset) < value) {
		struct pollfd pfd = { .fd = exec_notify_fd(&f->vm), .events = POLLIN };

		assert_true(poll(&pfd, 1, 1000) >= 0);
		poll_completions(f);
	}
}

static void test_vulkan_saxpy(void **state)
{
	struct fixture *f = *state;
	struct proc p;
	struct cmdmem m;
	struct buf x, y, out, dl;
	struct opendxg_cmd_binding bind[2];
	struct { float a; uint32_t n; } push = { 3.0f, 1000 };
	struct hwq q;
	uint32_t ctx, size, prog;
	void *code;
	float *xs, *ys;
	struct cmd c;

	if (!f)
		skip();
	p = new_proc(f, "saxpy");
	ctx = new_context(f, &p);
	q = new_hwq(f, &p, ctx);
	m = new_cmdmem(f, &p);
	x = new_buf(f, &p, OPENDXG_ALLOC_KIND_HOST_VISIBLE, 4096);
	y = new_buf(f, &p, OPENDXG_ALLOC_KIND_HOST_VISIBLE, 4096);
	out = new_buf(f, &p, OPENDXG_ALLOC_KIND_HOST_VISIBLE, 4096);
	dl = new_buf(f, &p, OPENDXG_ALLOC_KIND_DEVICE_LOCAL, 8192);
	code = read_module("saxpy.spv", &size);
	prog = alloc(f, &p, OPENDXG_ALLOC_KIND_PROGRAM, size, code);
	free(code);
	xs = (float *)x.cpu;
	ys = (float *)y.cpu;
	for (uint32_t i = 0; i < 1024; i++) {
		xs[i] = (float)i;
		ys[i] = 1.0f;
	}

	/* y = 3x + y over 1000 elements (16 groups of 64), then a timestamp. */
	saxpy_bindings(bind, x.va, y.va, 4096);
	cmd_begin(&c);
	cmd_dispatch(&c, prog, "main", 16, bind, 2, &push, 8);
	cmd_barrier(&c);
	cmd_timestamp(&c, out.va + 64);
	cmd_end(&c);
	assert_int_equal(submit(f, &p, &m, q.handle, &c, 1), 0);
	/* Device-local memory: fill it, copy a slice back to host-visible memory. */
	cmd_begin(&c);
	cmd_fill(&c, dl.va, 8192, 0x3f800000u);
	cmd_barrier(&c);
	cmd_copy(&c, dl.va + 4096, out.va, 32);
	cmd_end(&c);
	assert_int_equal(submit(f, &p, &m, q.handle, &c, 2), 0);
	wait_fence(f, q.slot, 2);
	assert_true(slot(f, q.slot) == 2);
	for (uint32_t i = 0; i < 1024; i++)
		assert_true(ys[i] == (i < 1000 ? 3.0f * (float)i + 1.0f : 1.0f));
	for (uint32_t i = 0; i < 8; i++)
		assert_int_equal(u32_at(out.cpu + 4 * i), 0x3f800000u);
	assert_true(dxg_get_le64(out.cpu + 64) != 0);

	/* The adapter's clocks, taken together. */
	{
		struct body b = { .len = 0 };

		b_u32(&b, p.adapter);
		b_u32(&b, 0);
		assert_int_equal(req(f, DXGW_OP_QUERY_CLOCK_CALIBRATION, p.handle, &b), 0);
		assert_true(r64(f, 0) > 0 && r64(f, 16) > 0);
	}
	/* A page fault on the real backend: the context breaks, the fence says so. */
	cmd_begin(&c);
	cmd_fill(&c, dl.va + 0x100000, 16, 1);
	cmd_end(&c);
	assert_int_equal(submit(f, &p, &m, q.handle, &c, 3), 0);
	assert_true(slot(f, q.slot) == ERROR_VALUE);
	/* Destroying the process with nothing left running, everything goes. */
	assert_int_equal(req(f, DXGW_OP_DESTROY_PROCESS, p.handle, NULL), 0);
	assert_int_equal(f->vm.counters.sync_objects, 0);
	assert_int_equal(f->vm.counters.queued_bytes, 0);
}

static void test_vulkan_destroy_in_flight(void **state)
{
	struct fixture *f = *state;
	struct proc p;
	struct cmdmem m;
	struct buf big;
	uint32_t ctx;
	struct cmd c;

	if (!f)
		skip();
	p = new_proc(f, "inflight");
	ctx = new_context(f, &p);
	m = new_cmdmem(f, &p);
	big = new_buf(f, &p, OPENDXG_ALLOC_KIND_DEVICE_LOCAL, 4 * MiB);
	cmd_begin(&c);
	for (int i = 0; i < 8; i++)
		cmd_fill(&c, big.va, 4 * MiB, (uint32_t)i);
	cmd_end(&c);
	for (int i = 0; i < 4; i++)
		assert_int_equal(submit(f, &p, &m, ctx, &c, 0), 0);
	/* The process goes while its jobs run or wait: nothing is left behind. */
	assert_int_equal(req(f, DXGW_OP_DESTROY_PROCESS, p.handle, NULL), 0);
	assert_int_equal(f->vm.counters.queue_items, 0);
	assert_int_equal(f->vm.counters.queued_bytes, 0);
	assert_int_equal(handle_table_live(&f->vm.handles), 1);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_sync_objects, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hw_queue_and_empty_submits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_jobs_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_signal_wait_across_queues, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mutex_and_semaphore, setup, teardown),
		cmocka_unit_test_setup_teardown(test_page_fault_isolation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_destroy_while_queued, setup, teardown),
		cmocka_unit_test_setup_teardown(test_program_checks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gpu_va_update_ordering, setup, teardown),
		cmocka_unit_test_setup_teardown(test_device_error_and_small_opcodes, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_share_sync_object, setup, teardown),
		cmocka_unit_test_setup_teardown(test_limits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vulkan_saxpy, setup_vulkan, teardown_vulkan),
		cmocka_unit_test_setup_teardown(test_vulkan_destroy_in_flight, setup_vulkan,
						teardown_vulkan),
	};

	if (argc > 1)
		shader_dir = argv[1];
	dxg_log_init("test-exec", DXG_LOG_WARN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
