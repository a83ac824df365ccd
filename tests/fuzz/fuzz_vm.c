// SPDX-License-Identifier: MIT
#include "fuzz_vm.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <misc/opendxg.h>

#include "exec.h"
#include "memory.h"
#include "spirv_check.h"

/* ---- device-local memory without a GPU ---- */

struct fake_buffer {
	uint64_t size;
	unsigned char *data;
};

static uint64_t device_used;
static int device_token;

static int fake_open(const struct vk_adapter *a, VkInstance instance, struct vk_device **out)
{
	(void)a;
	(void)instance;
	*out = (struct vk_device *)&device_token;
	return 0;
}

static void fake_close(struct vk_device *d)
{
	(void)d;
}

static uint64_t fake_max_buffer(const struct vk_device *d)
{
	(void)d;
	return FUZZ_VM_DEVICE_BYTES;
}

static int fake_create(struct vk_device *d, uint64_t size, struct vk_buffer **out)
{
	struct fake_buffer *b;

	(void)d;
	if (size > FUZZ_VM_DEVICE_BYTES - device_used)
		return -ENOMEM;
	b = calloc(1, sizeof(*b));
	if (!b || !(b->data = calloc(1, size))) {
		free(b);
		return -ENOMEM;
	}
	b->size = size;
	device_used += size;
	*out = (struct vk_buffer *)b;
	return 0;
}

static void fake_destroy(struct vk_buffer *vb)
{
	struct fake_buffer *b = (struct fake_buffer *)vb;

	device_used -= b->size;
	free(b->data);
	free(b);
}

/* memory.c only asks for whole buffers; anything else would be a host bug the fuzzer finds. */
static int fake_read(struct vk_buffer *vb, uint64_t off, void *dst, uint64_t len)
{
	struct fake_buffer *b = (struct fake_buffer *)vb;

	if (off > b->size || len > b->size - off)
		abort();
	memcpy(dst, b->data + off, len);
	return 0;
}

static int fake_write(struct vk_buffer *vb, uint64_t off, const void *src, uint64_t len)
{
	struct fake_buffer *b = (struct fake_buffer *)vb;

	if (off > b->size || len > b->size - off)
		abort();
	memcpy(b->data + off, src, len);
	return 0;
}

static const struct mem_device_ops fake_device_ops = {
	.open = fake_open,
	.close = fake_close,
	.max_buffer = fake_max_buffer,
	.buffer_create = fake_create,
	.buffer_destroy = fake_destroy,
	.buffer_read = fake_read,
	.buffer_write = fake_write,
};

uint64_t fuzz_vm_device_bytes(void)
{
	return device_used;
}

/* ---- execution without a GPU ---- */

/*
 * A job the fake device accepted: in flight until fuzz_vm_after_record() (or a wait for idle)
 * completes it, then reaped in submission order.
 */
struct fake_job {
	uint64_t cookie;
	bool done;
};

struct fake_exec {
	unsigned char *heap;
	uint64_t heap_size;
	int notify_fd;
	struct fake_job *jobs;		/* in flight and done-not-reaped, oldest first */
	uint32_t count, cap;
	uint64_t ticks;			/* the timestamp clock: one tick per TIMESTAMP or query */
};

struct fake_program {
	uint32_t refs;
	struct spirv_info info;
};

static struct fake_exec *fake_execs[FUZZ_VM_MAX_ADAPTERS];
static uint32_t fake_exec_count, fake_program_count;

static __attribute__((noreturn)) void fake_exec_violation(const char *what)
{
	fprintf(stderr, "fuzz_vm: execution invariant violated: %s\n", what);
	__builtin_trap();
}

static int fake_exec_open(struct vk_device *d, const struct vk_exec_setup *setup,
			  struct vk_exec **out)
{
	struct fake_exec *x;

	(void)d;
	if (fake_exec_count >= FUZZ_VM_MAX_ADAPTERS)
		fake_exec_violation("more devices opened for execution than adapters");
	x = calloc(1, sizeof(*x));
	if (!x)
		return -ENOMEM;
	x->heap = setup->heap;
	x->heap_size = setup->heap ? setup->heap_size : 0;
	x->notify_fd = setup->notify_fd;
	for (uint32_t i = 0; i < FUZZ_VM_MAX_ADAPTERS; i++) {
		if (!fake_execs[i]) {
			fake_execs[i] = x;
			break;
		}
	}
	fake_exec_count++;
	*out = (struct vk_exec *)x;
	return 0;
}

static void fake_exec_close(struct vk_exec *vx)
{
	struct fake_exec *x = (struct fake_exec *)vx;

	for (uint32_t i = 0; i < FUZZ_VM_MAX_ADAPTERS; i++)
		if (fake_execs[i] == x)
			fake_execs[i] = NULL;
	fake_exec_count--;
	free(x->jobs);
	free(x);
}

static void fake_exec_limits(const struct vk_exec *x, struct cmdbuf_limits *out)
{
	(void)x;
	*out = (struct cmdbuf_limits){
		.max_workgroup_count = { 65535, 65535, 65535 },
		.max_binding_size = 1u << 27,
		.timestamp_valid_bits = 64,
	};
}

static double fake_exec_timestamp_period(const struct vk_exec *x)
{
	(void)x;
	return 1.0;
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
	p->info = *info;
	fake_program_count++;
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

	if (p->refs == 0)
		fake_exec_violation("program released more often than referenced");
	if (--p->refs == 0) {
		fake_program_count--;
		free(p);
	}
}

static int fake_program_entry(const struct vk_program *vp, const char *name)
{
	const struct fake_program *p = (const struct fake_program *)vp;

	for (uint32_t i = 0; i < p->info.entry_count && i < SPIRV_MAX_ENTRY_POINTS; i++)
		if (strncmp(p->info.entry_names[i], name, SPIRV_ENTRY_NAME_LEN) == 0)
			return (int)i;
	return -EINVAL;
}

/*
 * The memory a job operation names: inside the imported heap or inside the buffer, else the
 * translation handed out memory the guest does not own.
 */
static unsigned char *fake_ref(struct fake_exec *x, const struct vk_ref *ref, uint64_t size)
{
	if (!ref->buffer) {
		if (!x->heap || ref->offset > x->heap_size || size > x->heap_size - ref->offset)
			fake_exec_violation("job reaches outside the heap");
		return x->heap + ref->offset;
	} else {
		struct fake_buffer *b = (struct fake_buffer *)ref->buffer;

		if (ref->offset > b->size || size > b->size - ref->offset)
			fake_exec_violation("job reaches outside a device-local buffer");
		return b->data + ref->offset;
	}
}

static volatile uint32_t fake_touch_sink;

/* Carries the job out on the memory it names, checking every reference first. */
static void fake_run_op(struct fake_exec *x, const struct vk_job_op *op)
{
	switch (op->type) {
	case OPENDXG_CMD_COPY: {
		unsigned char *src = fake_ref(x, &op->copy.src, op->copy.size);
		unsigned char *dst = fake_ref(x, &op->copy.dst, op->copy.size);

		memmove(dst, src, op->copy.size);
		break;
	}
	case OPENDXG_CMD_FILL: {
		unsigned char *dst = fake_ref(x, &op->fill.dst, op->fill.size);

		for (uint64_t i = 0; i + 4 <= op->fill.size; i += 4)
			memcpy(dst + i, &op->fill.value, 4);
		break;
	}
	case OPENDXG_CMD_DISPATCH: {
		const struct fake_program *p = (const struct fake_program *)op->dispatch.program;

		if (!p || p->refs == 0 || op->dispatch.entry >= p->info.entry_count)
			fake_exec_violation("dispatch of a program the job holds no reference to");
		if (op->dispatch.binding_count > OPENDXG_CMD_MAX_BINDINGS ||
		    op->dispatch.push_constant_size > OPENDXG_CMD_MAX_PUSH_CONSTANTS)
			fake_exec_violation("dispatch beyond the format's limits");
		for (uint32_t i = 0; i < op->dispatch.binding_count; i++) {
			const struct vk_job_binding *b = &op->dispatch.bindings[i];
			unsigned char *m = fake_ref(x, &b->ref, b->size);
			uint32_t w;

			if (b->size < 4)
				fake_exec_violation("binding smaller than one word");
			memcpy(&w, m, 4);
			fake_touch_sink += w;
			memcpy(&w, m + b->size - 4, 4);
			fake_touch_sink += w;
		}
		break;
	}
	case OPENDXG_CMD_TIMESTAMP: {
		unsigned char *dst = fake_ref(x, &op->timestamp.dst, 8);
		uint64_t t = ++x->ticks;

		memcpy(dst, &t, 8);
		break;
	}
	case OPENDXG_CMD_BARRIER:
		break;
	default:
		fake_exec_violation("unknown operation in a job");
	}
}

static int fake_exec_submit(struct vk_exec *vx, const struct vk_job *job)
{
	struct fake_exec *x = (struct fake_exec *)vx;

	if (x->count == x->cap) {
		uint32_t cap = x->cap ? x->cap * 2 : 8;
		struct fake_job *jobs = realloc(x->jobs, cap * sizeof(*jobs));

		if (!jobs)
			return -ENOMEM;
		x->jobs = jobs;
		x->cap = cap;
	}
	for (uint32_t i = 0; i < job->op_count; i++)
		fake_run_op(x, &job->ops[i]);
	x->jobs[x->count++] = (struct fake_job){ .cookie = job->cookie };
	return 0;
}

static uint32_t fake_exec_reap(struct vk_exec *vx, struct vk_completion *out, uint32_t max)
{
	struct fake_exec *x = (struct fake_exec *)vx;
	uint32_t n = 0;

	while (n < max && n < x->count && x->jobs[n].done) {
		out[n] = (struct vk_completion){ .cookie = x->jobs[n].cookie };
		n++;
	}
	memmove(x->jobs, x->jobs + n, (x->count - n) * sizeof(*x->jobs));
	x->count -= n;
	return n;
}

/* Completes every job in flight and tells the worker's loop, as the completion thread would. */
static bool fake_exec_complete(struct fake_exec *x)
{
	const uint64_t one = 1;
	bool any = false;

	for (uint32_t i = 0; i < x->count; i++) {
		any |= !x->jobs[i].done;
		x->jobs[i].done = true;
	}
	if (any && write(x->notify_fd, &one, sizeof(one)) != sizeof(one))
		fake_exec_violation("notify eventfd");
	return any;
}

static void fake_exec_wait_idle(struct vk_exec *vx)
{
	fake_exec_complete((struct fake_exec *)vx);
}

static int fake_exec_calibrate(struct vk_exec *vx, uint64_t *gpu_ticks, uint64_t *host_ns)
{
	struct fake_exec *x = (struct fake_exec *)vx;

	*gpu_ticks = ++x->ticks;
	*host_ns = x->ticks * 1000;
	return 0;
}

static const struct exec_device_ops fake_exec_ops = {
	.open = fake_exec_open,
	.close = fake_exec_close,
	.limits = fake_exec_limits,
	.timestamp_period = fake_exec_timestamp_period,
	.program_create = fake_program_create,
	.program_ref = fake_program_ref,
	.program_unref = fake_program_unref,
	.program_entry = fake_program_entry,
	.submit = fake_exec_submit,
	.reap = fake_exec_reap,
	.wait_idle = fake_exec_wait_idle,
	.calibrate = fake_exec_calibrate,
};

uint32_t fuzz_vm_exec_objects(void)
{
	uint32_t jobs = 0;

	for (uint32_t i = 0; i < FUZZ_VM_MAX_ADAPTERS; i++)
		jobs += fake_execs[i] ? fake_execs[i]->count : 0;
	return fake_exec_count + fake_program_count + jobs;
}

void fuzz_vm_after_record(struct fuzz_vm *f, uint32_t record_number)
{
	bool completed = false;

	if (record_number % 2)
		return;
	for (uint32_t i = 0; i < FUZZ_VM_MAX_ADAPTERS; i++)
		if (fake_execs[i])
			completed |= fake_exec_complete(fake_execs[i]);
	if (completed)
		exec_poll(&f->vm);
}

/* One region for the whole process: untouched pages cost nothing, zeroing punches holes. */
static unsigned char *region;
static int region_fd = -1;

unsigned char *fuzz_vm_region(void)
{
	return region;
}

static void map_region(void)
{
	if (region)
		return;
	region_fd = memfd_create("fuzz-vm-region", MFD_CLOEXEC);
	if (region_fd < 0 || ftruncate(region_fd, (off_t)FUZZ_VM_REGION_SIZE) != 0) {
		perror("fuzz_vm: region");
		abort();
	}
	region = mmap(NULL, FUZZ_VM_REGION_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, region_fd, 0);
	if (region == MAP_FAILED) {
		perror("fuzz_vm: mmap");
		abort();
	}
}

/*
 * Adapter names cover what the UTF-8 -> UTF-16 conversion of QUERYADAPTERINFO must survive:
 * multi-byte and 4-byte sequences, invalid bytes, and the longest name Vulkan can report.
 */
static void fake_adapter(struct vk_adapter *a, uint32_t index)
{
	static const uint32_t types[FUZZ_VM_MAX_ADAPTERS] = {
		OPENDXG_DEVICE_TYPE_CPU,
		OPENDXG_DEVICE_TYPE_DISCRETE,
		OPENDXG_DEVICE_TYPE_INTEGRATED,
	};

	memset(a, 0, sizeof(*a));
	switch (index) {
	case 0:
		snprintf(a->name, sizeof(a->name), "fuzz cpu \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
		break;
	case 1:
		memset(a->name, 'g', sizeof(a->name) - 1);
		break;
	default:
		/* Stray continuation, overlong, surrogate, > U+10FFFF, truncated at the end. */
		snprintf(a->name, sizeof(a->name),
			 "bad \x80\xc0\xaf\xed\xa0\x80\xf4\x90\x80\x80\xe2\x82");
		break;
	}
	snprintf(a->driver_name, sizeof(a->driver_name), "fuzzdrv%u", index);
	a->vendor_id = 0x10005;
	a->device_id = 0x1000 + index;
	a->device_type = types[index];
	a->api_version = (1u << 22) | (3u << 12);
	a->driver_version = 1;
	a->max_workgroup_size[0] = 1024;
	a->max_workgroup_size[1] = 1024;
	a->max_workgroup_size[2] = 64;
	a->max_workgroup_invocations = 1024;
	a->max_shared_memory = 32768;
	a->subgroup_size = 8;
	/* Periods the caps conversion must clamp rather than overflow, or zero when not a number. */
	a->timestamp_period_ns = index == 2 ? 1e30f : index == 1 ? NAN : 1.0f;
	a->device_uuid[0] = (uint8_t)(index + 1);
	a->device_local_bytes = 1ull << 32;
	a->external_memory_host = index != 1;
	a->luid_low = 0x1000u + index;
	a->luid_high = 0x10u;
}

void fuzz_vm_start(struct fuzz_vm *f, uint8_t config)
{
	const struct dxg_vm_limits defaults = DXG_VM_DEFAULT_LIMITS;
	const struct dxg_vm_limits small = FUZZ_VM_SMALL_LIMITS;
	const struct vm_memory_quota default_quota = VM_MEMORY_DEFAULT_QUOTA;
	const struct vm_memory_quota small_quota = FUZZ_VM_SMALL_MEMORY;
	const bool small_limits = config & FUZZ_VM_CONFIG_SMALL_LIMITS;
	uint32_t count = config & FUZZ_VM_CONFIG_ADAPTERS_MASK;
	struct vm_memory_setup setup;

	memset(f, 0, sizeof(*f));
	f->config = config;
	for (uint32_t i = 0; i < count; i++)
		fake_adapter(&f->adapters[i], i);
	f->vk.adapters = f->adapters;
	f->vk.adapter_count = count;
	/* Burst 0: rejections are counted by the limiter, never printed (keeps fuzzing quiet). */
	f->reject_log = (struct dxg_ratelimit)DXG_RATELIMIT_INIT(1000, 0);
	map_region();
	setup = (struct vm_memory_setup){
		.region = region,
		.region_fd = region_fd,
		.fence_offset = FUZZ_VM_FENCE_OFFSET,
		.fence_size = FUZZ_VM_FENCE_SIZE,
		.heap_offset = FUZZ_VM_HEAP_OFFSET,
		.heap_size = FUZZ_VM_HEAP_SIZE,
		.quota = small_limits ? small_quota : default_quota,
		.device_ops = &fake_device_ops,
		.exec_ops = &fake_exec_ops,
	};
	if (vm_init(&f->vm, &f->vk, FUZZ_VM_GENERATION, small_limits ? &small : &defaults,
		    &setup)) {
		fprintf(stderr, "fuzz_vm: vm_init failed\n");
		abort();
	}
}

void fuzz_vm_stop(struct fuzz_vm *f)
{
	vm_fini(&f->vm);
}

bool fuzz_vm_guest_write(struct fuzz_vm *f, const unsigned char *rec, uint32_t len)
{
	const uint32_t fixed = sizeof(struct dxgw_hdr) + FUZZ_GUEST_WRITE_FIXED;
	uint32_t handle, offset;
	struct dxg_allocation *a = NULL;

	if (len < sizeof(struct dxgw_hdr) ||
	    dxg_get_le16(rec + offsetof(struct dxgw_hdr, opcode)) != FUZZ_OP_GUEST_WRITE)
		return false;
	if (len < fixed)
		return true;
	handle = dxg_get_le32(rec + sizeof(struct dxgw_hdr));
	offset = dxg_get_le32(rec + sizeof(struct dxgw_hdr) + 4);
	for (struct obj_list *pl = f->vm.processes.next; !a && pl != &f->vm.processes;
	     pl = pl->next)
		a = memory_find_allocation(&f->vm, obj_container_of(pl, struct dxg_process, link),
					   handle);
	if (!a || a->kind != OPENDXG_ALLOC_KIND_HOST_VISIBLE || offset >= a->charged)
		return true;
	{
		uint64_t n = len - fixed;

		if (n > a->charged - offset)
			n = a->charged - offset;
		memcpy(region + a->heap_offset + offset, rec + fixed, n);
	}
	return true;
}
