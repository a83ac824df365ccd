// SPDX-License-Identifier: MIT
/*
 * vk_exec on the first real Vulkan adapter (lavapipe here): dispatches on device-local buffers
 * and on a page-aligned mapping standing in for the VM's heap, checked against CPU references;
 * copy, fill, barriers, timestamps, empty jobs, many jobs in flight reaped in order with one
 * eventfd signal each, program references held by running jobs, entry points, push constant
 * padding, jobs and programs the backend must refuse, and clock calibration.
 *
 * argv[1]: the directory with the SPIR-V modules built from shaders/.
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
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "log.h"
#include "spirv_check.h"
#include "vk_backend.h"
#include "vk_device.h"
#include "vk_exec.h"

#define HEAP_SIZE (1u << 20)
#define SAXPY_N 1000u		/* not a multiple of the workgroup size (64) */
#define SAXPY_GROUPS ((SAXPY_N + 63) / 64)

static const char *shader_dir;

struct fixture {
	struct vk_backend vk;
	struct vk_device *dev;
	struct vk_exec *exec;
	unsigned char *heap;	/* HEAP_SIZE bytes, shared anonymous: like the region's heap */
	int event_fd;
	struct vk_program *saxpy;
	struct vk_program *push_sum;
	struct vk_program *two_entries;
	uint64_t next_cookie;
};

static struct fixture *fx_of(void **state)
{
	return *state;
}

static void *read_module(const char *name, size_t *size)
{
	char path[4096];
	FILE *f;
	void *data;
	long len;

	snprintf(path, sizeof(path), "%s/%s", shader_dir, name);
	f = fopen(path, "rb");
	if (!f) {
		print_error("cannot open %s\n", path);
		return NULL;
	}
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	fseek(f, 0, SEEK_SET);
	data = len > 0 ? malloc((size_t)len) : NULL;
	if (data && fread(data, 1, (size_t)len, f) != (size_t)len) {
		free(data);
		data = NULL;
	}
	fclose(f);
	*size = data ? (size_t)len : 0;
	return data;
}

/*
 * A program from a module file. The binding mask and push constant size are stated here, from
 * the shader sources: spirv_check()'s own test covers extracting them, and this test must not
 * depend on it to exercise vk_exec.
 */
static int load_program(struct fixture *fx, const char *name, uint32_t binding_mask,
			uint32_t push_constant_size, struct vk_program **out)
{
	struct spirv_info info;
	char why[SPIRV_CHECK_WHY_LEN];
	size_t size;
	void *code = read_module(name, &size);
	int err;

	if (!code)
		return -ENOENT;
	err = spirv_check(code, size, &info, why);
	if (err) {
		print_error("spirv_check(%s): %s\n", name, why);
		free(code);
		return err;
	}
	info.binding_mask = binding_mask;
	info.push_constant_size = push_constant_size;
	err = vk_program_create(fx->exec, code, size, &info, out);
	free(code);
	return err;
}

static int group_setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	struct vk_exec_setup setup;
	int err;

	if (!fx)
		return -1;
	dxg_log_init("test-vk-exec", DXG_LOG_WARN);
	vk_backend_init(&fx->vk, 1, 1);
	/* lavapipe is a dependency (mesa-vulkan-drivers): no adapter is a failure, not a skip. */
	if (fx->vk.adapter_count == 0) {
		print_error("no Vulkan adapter (is mesa-vulkan-drivers installed?)\n");
		return -1;
	}
	err = vk_device_open(&fx->vk.adapters[0], fx->vk.instance, &fx->dev);
	if (err) {
		print_error("vk_device_open: %d\n", err);
		return -1;
	}
	fx->heap = mmap(NULL, HEAP_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1,
			0);
	fx->event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (fx->heap == MAP_FAILED || fx->event_fd < 0) {
		print_error("mmap or eventfd failed\n");
		return -1;
	}
	setup = (struct vk_exec_setup){
		.heap = fx->heap,
		.heap_size = HEAP_SIZE,
		.notify_fd = fx->event_fd,
	};
	err = vk_exec_open(fx->dev, &setup, &fx->exec);
	if (err) {
		print_error("vk_exec_open: %d\n", err);
		return -1;
	}
	if (load_program(fx, "saxpy.spv", 0x9, 8, &fx->saxpy) ||
	    load_program(fx, "push_sum.spv", 0x4, 16, &fx->push_sum) ||
	    load_program(fx, "two_entries.spv", 0x80, 0, &fx->two_entries)) {
		print_error("cannot create the test programs\n");
		return -1;
	}
	fx->next_cookie = 1;
	*state = fx;
	return 0;
}

static int group_teardown(void **state)
{
	struct fixture *fx = *state;

	vk_program_unref(fx->saxpy);
	vk_program_unref(fx->push_sum);
	vk_program_unref(fx->two_entries);
	if (vk_exec_live_programs(fx->exec) != 0)
		print_error("programs leaked\n");
	vk_exec_close(fx->exec);
	vk_device_close(fx->dev);
	vk_backend_fini(&fx->vk);
	munmap(fx->heap, HEAP_SIZE);
	close(fx->event_fd);
	free(fx);
	return 0;
}

/* Every test starts with nothing in flight, no signal pending and a zeroed heap. */
static int test_setup(void **state)
{
	struct fixture *fx = *state;
	uint64_t count;

	if (vk_exec_pending(fx->exec) != 0)
		return -1;
	while (read(fx->event_fd, &count, sizeof(count)) == sizeof(count))
		;
	memset(fx->heap, 0, HEAP_SIZE);
	return 0;
}

/* Blocks until the eventfd is signalled; returns its count (completions since the last read). */
static uint64_t wait_signal(struct fixture *fx)
{
	struct pollfd pfd = { .fd = fx->event_fd, .events = POLLIN };
	uint64_t count = 0;

	assert_int_equal(poll(&pfd, 1, 60000), 1);
	assert_int_equal(read(fx->event_fd, &count, sizeof(count)), sizeof(count));
	assert_true(count >= 1);
	return count;
}

/* Submits a job and waits for its completion, which must be the next one and succeed. */
static struct vk_completion run_ops(struct fixture *fx, const struct vk_job_op *ops, uint32_t n)
{
	struct vk_job job = { .cookie = fx->next_cookie++, .op_count = n, .ops = ops };
	struct vk_completion c;

	assert_int_equal(vk_exec_submit(fx->exec, &job), 0);
	assert_int_equal(vk_exec_pending(fx->exec), 1);
	do
		wait_signal(fx);
	while (vk_exec_reap(fx->exec, &c, 1) == 0);
	assert_true(c.cookie == job.cookie);
	assert_int_equal(c.status, 0);
	assert_int_equal(vk_exec_pending(fx->exec), 0);
	return c;
}

static uint32_t float_bits(float f)
{
	uint32_t u;

	memcpy(&u, &f, sizeof(u));
	return u;
}

static struct vk_ref heap_ref(uint64_t offset)
{
	return (struct vk_ref){ .buffer = NULL, .offset = offset };
}

static struct vk_ref buffer_ref(struct vk_buffer *b, uint64_t offset)
{
	return (struct vk_ref){ .buffer = b, .offset = offset };
}

/* y = a * x + y over SAXPY_N floats; x and y as given. */
static struct vk_job_op saxpy_op(struct fixture *fx, struct vk_ref x, struct vk_ref y, float a)
{
	struct vk_job_op op;
	uint32_t n = SAXPY_N;

	memset(&op, 0, sizeof(op));
	op.type = OPENDXG_CMD_DISPATCH;
	op.dispatch.program = fx->saxpy;
	op.dispatch.entry = 0;
	op.dispatch.group_count[0] = SAXPY_GROUPS;
	op.dispatch.group_count[1] = 1;
	op.dispatch.group_count[2] = 1;
	op.dispatch.binding_count = 2;
	op.dispatch.bindings[0] = (struct vk_job_binding){
		.binding = 3, .ref = y, .size = SAXPY_N * sizeof(float) };
	op.dispatch.bindings[1] = (struct vk_job_binding){
		.binding = 0, .ref = x, .size = SAXPY_N * sizeof(float) };
	op.dispatch.push_constant_size = 8;
	memcpy(op.dispatch.push_constants, &a, 4);
	memcpy(op.dispatch.push_constants + 4, &n, 4);
	return op;
}

/*
 * Inputs whose products and sums are small integers: exact in float, so the result is the
 * same whether or not the device fuses the multiply-add.
 */
static void saxpy_inputs(float *x, float *y)
{
	for (uint32_t i = 0; i < SAXPY_N; i++) {
		x[i] = (float)i;
		y[i] = (float)(2 * i + 1);
	}
}

static void expect_saxpy(const float *x, const float *y_before, const float *y, float a)
{
	for (uint32_t i = 0; i < SAXPY_N; i++) {
		float expect = a * x[i] + y_before[i];

		if (y[i] != expect)
			fail_msg("y[%u] = %f, expected %f", i, (double)y[i], (double)expect);
	}
}

static void test_limits(void **state)
{
	struct fixture *fx = fx_of(state);
	const struct vk_adapter *a = &fx->vk.adapters[0];
	const VkPhysicalDeviceLimits *l = vk_device_limits(fx->dev);
	struct cmdbuf_limits limits;

	vk_exec_limits(fx->exec, &limits);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(limits.max_workgroup_count[i], l->maxComputeWorkGroupCount[i]);
		assert_int_equal(limits.max_workgroup_count[i], a->max_workgroup_count[i]);
	}
	assert_true(limits.max_binding_size == (l->maxStorageBufferRange & ~3u));
	assert_true(limits.max_binding_size == a->max_binding_size);
	assert_int_equal(a->max_push_constants, l->maxPushConstantsSize);
	/* lavapipe has 64-bit timestamps and imports host memory. */
	assert_int_equal(limits.timestamp_valid_bits, a->timestamp_valid_bits);
	assert_true(limits.timestamp_valid_bits > 0);
	assert_true(vk_exec_timestamp_period(fx->exec) > 0.0);
	assert_true(vk_exec_heap_usable(fx->exec));
}

static void test_saxpy_device_local(void **state)
{
	struct fixture *fx = fx_of(state);
	const size_t bytes = SAXPY_N * sizeof(float);
	float x[SAXPY_N], y[SAXPY_N], out[SAXPY_N];
	struct vk_buffer *bx, *by;
	struct vk_job_op op;

	saxpy_inputs(x, y);
	assert_int_equal(vk_buffer_create(fx->dev, bytes, &bx), 0);
	assert_int_equal(vk_buffer_create(fx->dev, bytes, &by), 0);
	assert_int_equal(vk_buffer_write(bx, 0, x, bytes), 0);
	assert_int_equal(vk_buffer_write(by, 0, y, bytes), 0);
	op = saxpy_op(fx, buffer_ref(bx, 0), buffer_ref(by, 0), 3.0f);
	run_ops(fx, &op, 1);
	assert_int_equal(vk_buffer_read(by, 0, out, bytes), 0);
	expect_saxpy(x, y, out, 3.0f);
	/* Twice more through the same pipeline and a recycled job record. */
	run_ops(fx, &op, 1);
	run_ops(fx, &op, 1);
	assert_int_equal(vk_buffer_read(by, 0, out, bytes), 0);
	for (uint32_t i = 0; i < SAXPY_N; i++)
		assert_true(out[i] == 9.0f * x[i] + y[i]);
	vk_buffer_destroy(bx);
	vk_buffer_destroy(by);
}

/* Zero copy: the shader reads and writes the mapping itself; nothing copies in or out. */
static void test_saxpy_heap(void **state)
{
	struct fixture *fx = fx_of(state);
	float *x = (float *)fx->heap;
	float *y = (float *)(fx->heap + (64u << 10));
	float y_before[SAXPY_N];
	struct vk_job_op op;

	saxpy_inputs(x, y);
	memcpy(y_before, y, sizeof(y_before));
	op = saxpy_op(fx, heap_ref(0), heap_ref(64u << 10), -2.0f);
	run_ops(fx, &op, 1);
	expect_saxpy(x, y_before, y, -2.0f);
	/* x is read only: untouched. */
	for (uint32_t i = 0; i < SAXPY_N; i++)
		assert_true(x[i] == (float)i);
}

/* Mixed: x on the heap, y in a device-local buffer. */
static void test_saxpy_heap_and_device_local(void **state)
{
	struct fixture *fx = fx_of(state);
	const size_t bytes = SAXPY_N * sizeof(float);
	float *x = (float *)(fx->heap + 4096);
	float y[SAXPY_N], out[SAXPY_N];
	struct vk_buffer *by;
	struct vk_job_op op;

	saxpy_inputs(x, y);
	assert_int_equal(vk_buffer_create(fx->dev, bytes + 512, &by), 0);
	assert_int_equal(vk_buffer_write(by, 256, y, bytes), 0);
	op = saxpy_op(fx, heap_ref(4096), buffer_ref(by, 256), 0.5f);
	run_ops(fx, &op, 1);
	assert_int_equal(vk_buffer_read(by, 256, out, bytes), 0);
	expect_saxpy(x, y, out, 0.5f);
	vk_buffer_destroy(by);
}

static void test_copy_and_fill(void **state)
{
	struct fixture *fx = fx_of(state);
	struct vk_buffer *b;
	unsigned char back[1000];
	struct vk_job_op ops[4];

	for (int i = 0; i < 1000; i++)
		fx->heap[100 + i] = (unsigned char)(i * 7 + 1);
	assert_int_equal(vk_buffer_create(fx->dev, 4096, &b), 0);
	memset(ops, 0, sizeof(ops));
	/* heap -> buffer at odd offsets, then buffer -> heap: no alignment needed for copies. */
	ops[0].type = OPENDXG_CMD_COPY;
	ops[0].copy.src = heap_ref(100);
	ops[0].copy.dst = buffer_ref(b, 333);
	ops[0].copy.size = 999;
	ops[1].type = OPENDXG_CMD_BARRIER;
	ops[2].type = OPENDXG_CMD_COPY;
	ops[2].copy.src = buffer_ref(b, 333);
	ops[2].copy.dst = heap_ref(8191);
	ops[2].copy.size = 999;
	/* Unordered with the copies: a region of its own. */
	ops[3].type = OPENDXG_CMD_FILL;
	ops[3].fill.dst = heap_ref(16384);
	ops[3].fill.size = 4096;
	ops[3].fill.value = 0xdeadbeef;
	run_ops(fx, ops, 4);

	assert_memory_equal(fx->heap + 8191, fx->heap + 100, 999);
	assert_int_equal(fx->heap[8191 + 999], 0);
	assert_int_equal(fx->heap[8190], 0);
	for (uint32_t i = 0; i < 1024; i++) {
		uint32_t v;

		memcpy(&v, fx->heap + 16384 + 4 * i, 4);
		assert_int_equal(v, 0xdeadbeef);
	}
	assert_int_equal(fx->heap[16384 + 4096], 0);
	assert_int_equal(fx->heap[16383], 0);
	assert_int_equal(vk_buffer_read(b, 333, back, 999), 0);
	assert_memory_equal(back, fx->heap + 100, 999);

	/* A fill of a device-local buffer. */
	memset(ops, 0, sizeof(ops));
	ops[0].type = OPENDXG_CMD_FILL;
	ops[0].fill.dst = buffer_ref(b, 0);
	ops[0].fill.size = 4096;
	ops[0].fill.value = 0x01010101;
	run_ops(fx, ops, 1);
	assert_int_equal(vk_buffer_read(b, 0, back, 1000), 0);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(back[i], 1);
	vk_buffer_destroy(b);
}

/* FILL, BARRIER, then a dispatch that reads what the fills wrote, in one job. */
static void test_barrier_orders_fill_before_dispatch(void **state)
{
	struct fixture *fx = fx_of(state);
	const float *y = (const float *)(fx->heap + 8192);
	struct vk_job_op ops[4];

	memset(ops, 0, sizeof(ops));
	ops[0].type = OPENDXG_CMD_FILL;
	ops[0].fill.dst = heap_ref(0);
	ops[0].fill.size = SAXPY_N * 4;
	ops[0].fill.value = float_bits(5.0f);
	ops[1].type = OPENDXG_CMD_FILL;
	ops[1].fill.dst = heap_ref(8192);
	ops[1].fill.size = SAXPY_N * 4;
	ops[1].fill.value = float_bits(1.0f);
	ops[2].type = OPENDXG_CMD_BARRIER;
	ops[3] = saxpy_op(fx, heap_ref(0), heap_ref(8192), 2.0f);
	run_ops(fx, ops, 4);
	for (uint32_t i = 0; i < SAXPY_N; i++)
		assert_true(y[i] == 11.0f);
	/* Only what the binding covers was written. */
	assert_int_equal(fx->heap[8192 + SAXPY_N * 4], 0);
}

/* Two dispatches on the same data separated by a barrier: the second sees the first's result. */
static void test_barrier_orders_dispatches(void **state)
{
	struct fixture *fx = fx_of(state);
	float *x = (float *)fx->heap;
	float *y = (float *)(fx->heap + 8192);
	float y_before[SAXPY_N];
	struct vk_job_op ops[3];

	saxpy_inputs(x, y);
	memcpy(y_before, y, sizeof(y_before));
	ops[0] = saxpy_op(fx, heap_ref(0), heap_ref(8192), 1.0f);
	memset(&ops[1], 0, sizeof(ops[1]));
	ops[1].type = OPENDXG_CMD_BARRIER;
	ops[2] = saxpy_op(fx, heap_ref(0), heap_ref(8192), 1.0f);
	run_ops(fx, ops, 3);
	for (uint32_t i = 0; i < SAXPY_N; i++)
		assert_true(y[i] == 2.0f * x[i] + y_before[i]);
}

/* Each job starts after the previous one: a copy in job 2 sees the dispatch of job 1. */
static void test_jobs_ordered(void **state)
{
	struct fixture *fx = fx_of(state);
	float *x = (float *)fx->heap;
	float *y = (float *)(fx->heap + 8192);
	const float *copy = (const float *)(fx->heap + 65536);
	float y_before[SAXPY_N];
	struct vk_job_op dispatch, copy_op;
	struct vk_job jobs[2] = {
		{ .cookie = 71, .op_count = 1, .ops = &dispatch },
		{ .cookie = 72, .op_count = 1, .ops = &copy_op },
	};
	struct vk_completion c[2];
	uint32_t got = 0;

	saxpy_inputs(x, y);
	memcpy(y_before, y, sizeof(y_before));
	dispatch = saxpy_op(fx, heap_ref(0), heap_ref(8192), 4.0f);
	memset(&copy_op, 0, sizeof(copy_op));
	copy_op.type = OPENDXG_CMD_COPY;
	copy_op.copy.src = heap_ref(8192);
	copy_op.copy.dst = heap_ref(65536);
	copy_op.copy.size = SAXPY_N * 4;
	assert_int_equal(vk_exec_submit(fx->exec, &jobs[0]), 0);
	assert_int_equal(vk_exec_submit(fx->exec, &jobs[1]), 0);
	while (got < 2) {
		wait_signal(fx);
		got += vk_exec_reap(fx->exec, &c[got], 2 - got);
	}
	assert_true(c[0].cookie == 71 && c[1].cookie == 72);
	expect_saxpy(x, y_before, copy, 4.0f);
}

static void test_timestamps(void **state)
{
	struct fixture *fx = fx_of(state);
	float *x = (float *)fx->heap;
	float *y = (float *)(fx->heap + 8192);
	const double period = vk_exec_timestamp_period(fx->exec);
	struct vk_job_op ops[5];
	struct vk_completion c;
	uint64_t t[3];

	saxpy_inputs(x, y);
	memset(ops, 0, sizeof(ops));
	ops[0].type = OPENDXG_CMD_TIMESTAMP;
	ops[0].timestamp.dst = heap_ref(65536);
	ops[1] = saxpy_op(fx, heap_ref(0), heap_ref(8192), 1.0f);
	ops[2].type = OPENDXG_CMD_BARRIER;
	ops[3].type = OPENDXG_CMD_TIMESTAMP;
	ops[3].timestamp.dst = heap_ref(65536 + 8);
	ops[4].type = OPENDXG_CMD_TIMESTAMP;
	ops[4].timestamp.dst = heap_ref(65536 + 16);
	c = run_ops(fx, ops, 5);
	memcpy(t, fx->heap + 65536, sizeof(t));
	assert_true(t[0] != 0);
	assert_true(t[1] >= t[0]);
	assert_true(t[2] >= t[1]);
	/* The job's own timestamps bracket the ones its operations wrote. */
	assert_true(c.gpu_time_ns >= (uint64_t)((double)(t[2] - t[0]) * period + 0.5));
	/* A later job's timestamps come later. */
	run_ops(fx, ops, 1);
	memcpy(&t[1], fx->heap + 65536, sizeof(t[1]));
	assert_true(t[1] >= t[2]);
}

static void test_empty_job(void **state)
{
	struct fixture *fx = fx_of(state);
	struct vk_completion c;

	c = run_ops(fx, NULL, 0);
	assert_int_equal(c.status, 0);
	/* NULL ops with a count is the caller's bug. */
	{
		struct vk_job bad = { .cookie = 1, .op_count = 1, .ops = NULL };

		assert_int_equal(vk_exec_submit(fx->exec, &bad), -EINVAL);
	}
	assert_int_equal(vk_exec_submit(fx->exec, NULL), -EINVAL);
	assert_int_equal(vk_exec_pending(fx->exec), 0);
}

/*
 * Many jobs in flight: one eventfd signal per completion, completions in submission order,
 * reaped in small batches, each job's work done.
 */
static void test_many_jobs_in_flight(void **state)
{
	enum { JOBS = 150 };
	struct fixture *fx = fx_of(state);
	struct vk_job_op ops[JOBS][2];
	uint64_t signals = 0;
	uint32_t reaped = 0;

	memset(ops, 0, sizeof(ops));
	for (uint32_t i = 0; i < JOBS; i++) {
		struct vk_job job = { .cookie = 5000 + i, .op_count = 2, .ops = ops[i] };

		ops[i][0].type = OPENDXG_CMD_FILL;
		ops[i][0].fill.dst = heap_ref(4 * i);
		ops[i][0].fill.size = 4;
		ops[i][0].fill.value = i + 1;
		/* Every third job also dispatches, so records with and without pools mix. */
		if (i % 3 == 0)
			ops[i][1] = saxpy_op(fx, heap_ref(65536), heap_ref(131072), 1.0f);
		else
			ops[i][1].type = OPENDXG_CMD_BARRIER;
		assert_int_equal(vk_exec_submit(fx->exec, &job), 0);
	}
	assert_true(vk_exec_pending(fx->exec) >= 1);
	/*
	 * A job is reapable just before its signal is written (never after: the loop would then
	 * sleep on a completed job), so reaping may run ahead of the signals read so far, but
	 * after reading a count, at least that many completions can be reaped.
	 */
	while (reaped < JOBS || signals < JOBS) {
		struct vk_completion c[7];
		uint32_t n;

		signals += wait_signal(fx);
		while ((n = vk_exec_reap(fx->exec, c, 7)) > 0) {
			for (uint32_t k = 0; k < n; k++) {
				assert_true(c[k].cookie == 5000 + reaped + k);
				assert_int_equal(c[k].status, 0);
			}
			reaped += n;
		}
		assert_true(reaped >= signals);
	}
	assert_true(signals == JOBS);
	assert_int_equal(vk_exec_pending(fx->exec), 0);
	for (uint32_t i = 0; i < JOBS; i++) {
		uint32_t v;

		memcpy(&v, fx->heap + 4 * i, 4);
		assert_int_equal(v, i + 1);
	}
}

/* wait_idle, then reap: nothing left, and the signals were all sent. */
static void test_wait_idle(void **state)
{
	struct fixture *fx = fx_of(state);
	struct vk_completion c[8];
	uint64_t count = 0;

	for (uint32_t i = 0; i < 8; i++) {
		struct vk_job job = { .cookie = 100 + i };

		assert_int_equal(vk_exec_submit(fx->exec, &job), 0);
	}
	vk_exec_wait_idle(fx->exec);
	assert_int_equal(vk_exec_pending(fx->exec), 8);
	assert_int_equal(read(fx->event_fd, &count, sizeof(count)), sizeof(count));
	/* The last signal may follow the wakeup by a moment: wait for the rest. */
	while (count < 8)
		count += wait_signal(fx);
	assert_true(count == 8);
	assert_int_equal(vk_exec_reap(fx->exec, c, 8), 8);
	for (uint32_t i = 0; i < 8; i++)
		assert_true(c[i].cookie == 100 + i);
	assert_int_equal(vk_exec_pending(fx->exec), 0);
}

/* The caller drops its reference while the job runs: the job's own keeps the program alive. */
static void test_program_ref_held_by_job(void **state)
{
	struct fixture *fx = fx_of(state);
	uint32_t live = vk_exec_live_programs(fx->exec);
	struct vk_program *p;
	struct vk_job_op op;
	struct vk_job job = { .cookie = 9, .op_count = 1, .ops = &op };
	struct vk_completion c;
	uint32_t *out = (uint32_t *)(fx->heap + 4096);

	assert_int_equal(load_program(fx, "two_entries.spv", 0x80, 0, &p), 0);
	assert_int_equal(vk_exec_live_programs(fx->exec), live + 1);
	memset(&op, 0, sizeof(op));
	op.type = OPENDXG_CMD_DISPATCH;
	op.dispatch.program = p;
	op.dispatch.entry = 1;
	op.dispatch.group_count[0] = 16;
	op.dispatch.group_count[1] = 1;
	op.dispatch.group_count[2] = 1;
	op.dispatch.binding_count = 1;
	op.dispatch.bindings[0] = (struct vk_job_binding){
		.binding = 7, .ref = heap_ref(4096), .size = 64 };
	assert_int_equal(vk_exec_submit(fx->exec, &job), 0);
	vk_program_unref(p);
	/* Not reaped yet: still alive, whether or not the job completed. */
	assert_int_equal(vk_exec_live_programs(fx->exec), live + 1);
	do
		wait_signal(fx);
	while (vk_exec_reap(fx->exec, &c, 1) == 0);
	assert_int_equal(c.status, 0);
	assert_int_equal(vk_exec_live_programs(fx->exec), live);
	for (int i = 0; i < 16; i++)
		assert_int_equal(out[i], 2);
	assert_int_equal(out[16], 0);

	/* An extra reference works the same way. */
	assert_int_equal(load_program(fx, "two_entries.spv", 0x80, 0, &p), 0);
	vk_program_ref(p);
	vk_program_unref(p);
	assert_int_equal(vk_exec_live_programs(fx->exec), live + 1);
	vk_program_unref(p);
	assert_int_equal(vk_exec_live_programs(fx->exec), live);
}

static void test_entry_points(void **state)
{
	struct fixture *fx = fx_of(state);
	const uint32_t *out = (const uint32_t *)(fx->heap + 512);
	struct vk_job_op ops[2];

	assert_int_equal(vk_program_entry(fx->two_entries, "write_one"), 0);
	assert_int_equal(vk_program_entry(fx->two_entries, "write_two"), 1);
	assert_int_equal(vk_program_entry(fx->two_entries, "main"), -EINVAL);
	assert_int_equal(vk_program_entry(fx->two_entries, "write_"), -EINVAL);
	assert_int_equal(vk_program_entry(fx->two_entries, ""), -EINVAL);
	assert_int_equal(vk_program_entry(fx->saxpy, "main"), 0);
	assert_int_equal(vk_program_binding_mask(fx->two_entries), 0x80);
	assert_int_equal(vk_program_binding_mask(fx->saxpy), 0x9);

	/* Both entries in one job, on separate ranges: each has its own pipeline. */
	memset(ops, 0, sizeof(ops));
	for (int i = 0; i < 2; i++) {
		ops[i].type = OPENDXG_CMD_DISPATCH;
		ops[i].dispatch.program = fx->two_entries;
		ops[i].dispatch.entry = (uint32_t)i;
		ops[i].dispatch.group_count[0] = 4;
		ops[i].dispatch.group_count[1] = 1;
		ops[i].dispatch.group_count[2] = 1;
		ops[i].dispatch.binding_count = 1;
		ops[i].dispatch.bindings[0] = (struct vk_job_binding){
			.binding = 7, .ref = heap_ref(512 + 256 * (uint64_t)i), .size = 16 };
	}
	run_ops(fx, ops, 2);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(out[i], 1);
		assert_int_equal(out[64 + i], 2);
	}
	assert_int_equal(out[4], 0);
	assert_int_equal(out[68], 0);
}

/* Fewer push constant bytes than the block declares: the rest read as zero. */
static void test_push_constants_zero_padded(void **state)
{
	struct fixture *fx = fx_of(state);
	const uint32_t words[4] = { 5, 7, 1000, 100000 };
	uint32_t sum;
	struct vk_job_op op;

	memset(&op, 0, sizeof(op));
	op.type = OPENDXG_CMD_DISPATCH;
	op.dispatch.program = fx->push_sum;
	op.dispatch.group_count[0] = 1;
	op.dispatch.group_count[1] = 1;
	op.dispatch.group_count[2] = 1;
	op.dispatch.binding_count = 1;
	op.dispatch.bindings[0] = (struct vk_job_binding){
		.binding = 2, .ref = heap_ref(256), .size = 4 };
	op.dispatch.push_constant_size = 16;
	memcpy(op.dispatch.push_constants, words, 16);
	run_ops(fx, &op, 1);
	memcpy(&sum, fx->heap + 256, 4);
	assert_int_equal(sum, 5 + 7 + 1000 + 100000);

	/* 8 bytes given; bytes past them in the job's array must not leak through. */
	op.dispatch.push_constant_size = 8;
	run_ops(fx, &op, 1);
	memcpy(&sum, fx->heap + 256, 4);
	assert_int_equal(sum, 5 + 7);

	op.dispatch.push_constant_size = 0;
	run_ops(fx, &op, 1);
	memcpy(&sum, fx->heap + 256, 4);
	assert_int_equal(sum, 0);
}

/* A group count of 0 runs nothing, but the job completes. */
static void test_zero_groups(void **state)
{
	struct fixture *fx = fx_of(state);
	float *x = (float *)fx->heap;
	float *y = (float *)(fx->heap + 8192);
	struct vk_job_op op;

	saxpy_inputs(x, y);
	op = saxpy_op(fx, heap_ref(0), heap_ref(8192), 2.0f);
	op.dispatch.group_count[1] = 0;
	run_ops(fx, &op, 1);
	for (uint32_t i = 0; i < SAXPY_N; i++)
		assert_true(y[i] == (float)(2 * i + 1));
}

static void test_program_create_errors(void **state)
{
	struct fixture *fx = fx_of(state);
	uint32_t live = vk_exec_live_programs(fx->exec);
	struct spirv_info info;
	struct vk_program *p = (struct vk_program *)&info;
	size_t size;
	void *code = read_module("saxpy.spv", &size);

	assert_non_null(code);
	assert_int_equal(spirv_check(code, size, &info, NULL), 0);
	info.binding_mask = 0x9;
	info.push_constant_size = 8;

	/* A feature the device does not have: never reaches the driver. */
	{
		struct spirv_info bad = info;

		bad.features |= 1u << 31;
		assert_int_equal(vk_program_create(fx->exec, code, size, &bad, &p), -EINVAL);
		assert_null(p);
		bad.features = ~vk_device_spirv_features(fx->dev);
		assert_int_equal(vk_program_create(fx->exec, code, size, &bad, &p), -EINVAL);
	}
	/* Resources outside the pipeline layout. */
	{
		struct spirv_info bad = info;

		bad.binding_mask = 1u << OPENDXG_CMD_MAX_BINDINGS;
		assert_int_equal(vk_program_create(fx->exec, code, size, &bad, &p), -EINVAL);
		bad = info;
		bad.push_constant_size = OPENDXG_CMD_MAX_PUSH_CONSTANTS + 4;
		assert_int_equal(vk_program_create(fx->exec, code, size, &bad, &p), -EINVAL);
		bad = info;
		bad.entry_count = 0;
		assert_int_equal(vk_program_create(fx->exec, code, size, &bad, &p), -EINVAL);
	}
	assert_int_equal(vk_program_create(fx->exec, code, size - 2, &info, &p), -EINVAL);
	assert_int_equal(vk_program_create(fx->exec, code, 0, &info, &p), -EINVAL);
	assert_int_equal(vk_program_create(fx->exec, NULL, size, &info, &p), -EINVAL);
	assert_int_equal(vk_exec_live_programs(fx->exec), live);

	/* The same module at an odd address (the caller's copy may sit anywhere). */
	{
		unsigned char *odd = malloc(size + 1);

		assert_non_null(odd);
		memcpy(odd + 1, code, size);
		assert_int_equal(vk_program_create(fx->exec, odd + 1, size, &info, &p), 0);
		free(odd);
		assert_int_equal(vk_exec_live_programs(fx->exec), live + 1);
		vk_program_unref(p);
	}
	free(code);
	assert_int_equal(vk_exec_live_programs(fx->exec), live);
}

/* Jobs the backend refuses, nothing submitted; exec.c checks these first, this is a backstop. */
static void test_bad_jobs(void **state)
{
	struct fixture *fx = fx_of(state);
	struct vk_job_op op;
	struct vk_job job = { .cookie = 1, .op_count = 1, .ops = &op };
	struct vk_buffer *b;

	assert_int_equal(vk_buffer_create(fx->dev, 4096, &b), 0);

	/* Out of range: heap and buffer, and offset + size wrapping around. */
	memset(&op, 0, sizeof(op));
	op.type = OPENDXG_CMD_FILL;
	op.fill.dst = heap_ref(HEAP_SIZE - 4);
	op.fill.size = 8;
	assert_int_equal(vk_exec_submit(fx->exec, &job), -EINVAL);
	op.fill.dst = heap_ref(UINT64_MAX - 3);
	op.fill.size = 8;
	assert_int_equal(vk_exec_submit(fx->exec, &job), -EINVAL);
	op.fill.dst = buffer_ref(b, 4092);
	assert_int_equal(vk_exec_submit(fx->exec, &job), -EINVAL);
	/* Fill alignment. */
	op.fill.dst = heap_ref(2);
	op.fill.size = 4;
	assert_int_equal(vk_exec_submit(fx->exec, &job), -EINVAL);
	op.fill.dst = heap_ref(0);
	op.fill.size = 6;
	assert_int_equal(vk_exec_submit(fx->exec, &job), -EINVAL);

	/* Copies: empty, overlapping, out of range. */
	memset(&op, 0, sizeof(op));
	op.type = OPENDXG_CMD_COPY;
	op.copy.src = heap_ref(0);
	op.copy.dst = heap_ref(4096);
	op.copy.size = 0;
	assert_int_equal(vk_exec_submit(fx->exec, &job), -EINVAL);
	op.copy.size = 4097;
	assert_int_equal(vk_exec_submit(fx->exec, &job), -EINVAL);
	op.copy.src = buffer_ref(b, 0);
	op.copy.dst = buffer_ref(b, 100);
	op.copy.size = 101;
	assert_int_equal(vk_exec_submit(fx->exec, &job), -EINVAL);
	op.copy.dst = heap_ref(0);
	op.copy.size = 4097;
	assert_int_equal(vk_exec_submit(fx->exec, &job), -EINVAL);

	/* Timestamps: 8-aligned destinations only. */
	memset(&op, 0, sizeof(op));
	op.type = OPENDXG_CMD_TIMESTAMP;
	op.timestamp.dst = heap_ref(4);
	assert_int_equal(vk_exec_submit(fx->exec, &job), -EINVAL);
	op.timestamp.dst = heap_ref(HEAP_SIZE - 4);
	assert_int_equal(vk_exec_submit(fx->exec, &job), -EINVAL);

	/* Unknown operation. */
	memset(&op, 0, sizeof(op));
	op.type = 99;
	assert_int_equal(vk_exec_submit(fx->exec, &job), -EINVAL);

	/* Dispatches. */
	op = saxpy_op(fx, heap_ref(0), heap_ref(8192), 1.0f);
	op.dispatch.entry = 1;
	assert_int_equal(vk_exec_submit(fx->exec, &job), -EINVAL);
	op = saxpy_op(fx, heap_ref(0), heap_ref(8192), 1.0f);
	op.dispatch.program = NULL;
	assert_int_equal(vk_exec_submit(fx->exec, &job), -EINVAL);
	op = saxpy_op(fx, heap_ref(0), heap_ref(8192), 1.0f);
	op.dispatch.group_count[0] = vk_device_limits(fx->dev)->maxComputeWorkGroupCount[0] + 1;
	assert_int_equal(vk_exec_submit(fx->exec, &job), -EINVAL);
	/* Bindings must be exactly the module's. */
	op = saxpy_op(fx, heap_ref(0), heap_ref(8192), 1.0f);
	op.dispatch.binding_count = 1;
	assert_int_equal(vk_exec_submit(fx->exec, &job), -EINVAL);
	op = saxpy_op(fx, heap_ref(0), heap_ref(8192), 1.0f);
	op.dispatch.bindings[1].binding = 3;	/* twice */
	assert_int_equal(vk_exec_submit(fx->exec, &job), -EINVAL);
	op = saxpy_op(fx, heap_ref(0), heap_ref(8192), 1.0f);
	op.dispatch.binding_count = 3;
	op.dispatch.bindings[2] = (struct vk_job_binding){
		.binding = 5, .ref = heap_ref(0), .size = 4 };
	assert_int_equal(vk_exec_submit(fx->exec, &job), -EINVAL);
	op = saxpy_op(fx, heap_ref(0), heap_ref(8192), 1.0f);
	op.dispatch.bindings[0].binding = 16;
	assert_int_equal(vk_exec_submit(fx->exec, &job), -EINVAL);
	/* Binding ranges: out of the heap, misaligned, empty. */
	op = saxpy_op(fx, heap_ref(0), heap_ref(HEAP_SIZE - 256), 1.0f);
	assert_int_equal(vk_exec_submit(fx->exec, &job), -EINVAL);
	op = saxpy_op(fx, heap_ref(0), heap_ref(8192 + 2), 1.0f);
	assert_int_equal(vk_exec_submit(fx->exec, &job), -EINVAL);
	op = saxpy_op(fx, heap_ref(0), heap_ref(8192), 1.0f);
	op.dispatch.bindings[0].size = 0;
	assert_int_equal(vk_exec_submit(fx->exec, &job), -EINVAL);
	op = saxpy_op(fx, heap_ref(0), heap_ref(8192), 1.0f);
	op.dispatch.push_constant_size = OPENDXG_CMD_MAX_PUSH_CONSTANTS + 4;
	assert_int_equal(vk_exec_submit(fx->exec, &job), -EINVAL);

	/* One bad operation among good ones refuses the whole job. */
	{
		struct vk_job_op two[2];
		struct vk_job job2 = { .cookie = 2, .op_count = 2, .ops = two };

		memset(two, 0, sizeof(two));
		two[0].type = OPENDXG_CMD_FILL;
		two[0].fill.dst = heap_ref(0);
		two[0].fill.size = 4;
		two[0].fill.value = 1;
		two[1].type = OPENDXG_CMD_FILL;
		two[1].fill.dst = heap_ref(HEAP_SIZE);
		two[1].fill.size = 4;
		assert_int_equal(vk_exec_submit(fx->exec, &job2), -EINVAL);
	}
	assert_int_equal(vk_exec_pending(fx->exec), 0);
	vk_exec_wait_idle(fx->exec);
	assert_int_equal(fx->heap[0], 0);
	vk_buffer_destroy(b);
}

/*
 * Without a heap, or with one that cannot be imported (not aligned to the import granule):
 * jobs naming the heap are -EOPNOTSUPP, device-local work still runs.
 */
static void test_unusable_heap(void **state)
{
	struct fixture *fx = fx_of(state);
	struct vk_exec_setup setups[2] = {
		{ .heap = NULL, .heap_size = 0, .notify_fd = fx->event_fd },
		{ .heap = fx->heap + 64, .heap_size = 4096, .notify_fd = fx->event_fd },
	};

	for (int i = 0; i < 2; i++) {
		struct vk_exec *x;
		struct vk_buffer *b;
		struct vk_job_op op;
		struct vk_job job = { .cookie = 3, .op_count = 1, .ops = &op };
		struct vk_completion c;
		uint32_t v = 0;

		assert_int_equal(vk_exec_open(fx->dev, &setups[i], &x), 0);
		assert_false(vk_exec_heap_usable(x));
		memset(&op, 0, sizeof(op));
		op.type = OPENDXG_CMD_FILL;
		op.fill.dst = heap_ref(0);
		op.fill.size = 4;
		op.fill.value = 77;
		assert_int_equal(vk_exec_submit(x, &job), -EOPNOTSUPP);
		assert_int_equal(vk_buffer_create(fx->dev, 4, &b), 0);
		op.fill.dst = buffer_ref(b, 0);
		assert_int_equal(vk_exec_submit(x, &job), 0);
		vk_exec_wait_idle(x);
		assert_int_equal(vk_exec_reap(x, &c, 1), 1);
		assert_int_equal(c.status, 0);
		assert_int_equal(vk_buffer_read(b, 0, &v, 4), 0);
		assert_int_equal(v, 77);
		vk_buffer_destroy(b);
		vk_exec_close(x);
	}
	/* Both wrote to the shared eventfd; the heap was never touched. */
	assert_int_equal(fx->heap[64], 0);
}

/*
 * A heap larger than one binding may span (maxStorageBufferRange): imported whole, bindings are
 * windows into it, anywhere. Pages are touched only where written.
 */
static void test_heap_larger_than_binding_range(void **state)
{
	struct fixture *fx = fx_of(state);
	const uint64_t range = vk_device_limits(fx->dev)->maxStorageBufferRange;
	const uint64_t size = (2 * range + 4095) & ~4095ull;
	struct vk_exec_setup setup = { .notify_fd = -1, .heap_size = size };
	struct vk_exec *x;
	struct vk_program *p;
	struct spirv_info info;
	struct vk_job_op ops[2];
	struct vk_job job = { .cookie = 1, .op_count = 2, .ops = ops };
	struct vk_completion c;
	unsigned char *heap;
	uint32_t words[4];
	size_t code_size;
	void *code = read_module("two_entries.spv", &code_size);

	assert_non_null(code);
	assert_int_equal(spirv_check(code, code_size, &info, NULL), 0);
	info.binding_mask = 0x80;
	info.push_constant_size = 0;
	heap = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(heap != MAP_FAILED);
	setup.heap = heap;
	assert_int_equal(vk_exec_open(fx->dev, &setup, &x), 0);
	assert_true(vk_exec_heap_usable(x));
	assert_int_equal(vk_program_create(x, code, code_size, &info, &p), 0);
	free(code);

	memset(ops, 0, sizeof(ops));
	ops[0].type = OPENDXG_CMD_DISPATCH;
	ops[0].dispatch.program = p;
	ops[0].dispatch.entry = 1;
	ops[0].dispatch.group_count[0] = 2;
	ops[0].dispatch.group_count[1] = 1;
	ops[0].dispatch.group_count[2] = 1;
	ops[0].dispatch.binding_count = 1;
	ops[0].dispatch.bindings[0] = (struct vk_job_binding){
		.binding = 7, .ref = heap_ref(size - 4096), .size = 8 };
	ops[1].type = OPENDXG_CMD_FILL;
	ops[1].fill.dst = heap_ref(size - 8);
	ops[1].fill.size = 8;
	ops[1].fill.value = 0x5a5a5a5a;
	assert_int_equal(vk_exec_submit(x, &job), 0);
	vk_exec_wait_idle(x);
	assert_int_equal(vk_exec_reap(x, &c, 1), 1);
	assert_int_equal(c.status, 0);
	memcpy(words, heap + size - 4096, 12);
	assert_int_equal(words[0], 2);
	assert_int_equal(words[1], 2);
	assert_int_equal(words[2], 0);
	memcpy(words, heap + size - 8, 8);
	assert_int_equal(words[0], 0x5a5a5a5a);
	assert_int_equal(words[1], 0x5a5a5a5a);
	vk_program_unref(p);
	vk_exec_close(x);
	munmap(heap, size);
}

/* Jobs still in flight at close: close waits for them and drops their program references. */
static void test_close_with_jobs_in_flight(void **state)
{
	struct fixture *fx = fx_of(state);
	struct vk_exec_setup setup = { .heap = fx->heap, .heap_size = HEAP_SIZE, .notify_fd = -1 };
	struct vk_exec *x;
	struct vk_program *p;
	struct spirv_info info;
	struct vk_job_op op;
	size_t size;
	void *code = read_module("two_entries.spv", &size);

	assert_non_null(code);
	assert_int_equal(spirv_check(code, size, &info, NULL), 0);
	info.binding_mask = 0x80;
	info.push_constant_size = 0;
	assert_int_equal(vk_exec_open(fx->dev, &setup, &x), 0);
	assert_int_equal(vk_program_create(x, code, size, &info, &p), 0);
	free(code);
	memset(&op, 0, sizeof(op));
	op.type = OPENDXG_CMD_DISPATCH;
	op.dispatch.program = p;
	op.dispatch.group_count[0] = 64;
	op.dispatch.group_count[1] = 1;
	op.dispatch.group_count[2] = 1;
	op.dispatch.binding_count = 1;
	op.dispatch.bindings[0] = (struct vk_job_binding){
		.binding = 7, .ref = heap_ref(0), .size = 256 };
	for (int i = 0; i < 20; i++) {
		struct vk_job job = { .cookie = (uint64_t)i, .op_count = 1, .ops = &op };

		assert_int_equal(vk_exec_submit(x, &job), 0);
	}
	vk_program_unref(p);
	assert_int_equal(vk_exec_live_programs(x), 1);
	vk_exec_close(x);
	assert_int_equal(fx->heap[0], 1);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/*
 * Both calibrations give pairs in the GPU's timestamp domain and CLOCK_MONOTONIC: a TIMESTAMP
 * written by a job between two calibrations lies between their GPU values, and each host value
 * lies between the clock readings around the call.
 */
static void check_calibration(struct fixture *fx,
			      int (*calibrate)(struct vk_exec *, uint64_t *, uint64_t *))
{
	uint64_t g0, h0, g1, h1, before, after, t;
	struct vk_job_op op;

	before = now_ns();
	assert_int_equal(calibrate(fx->exec, &g0, &h0), 0);
	after = now_ns();
	assert_true(h0 >= before && h0 <= after);

	memset(&op, 0, sizeof(op));
	op.type = OPENDXG_CMD_TIMESTAMP;
	op.timestamp.dst = heap_ref(0);
	run_ops(fx, &op, 1);
	memcpy(&t, fx->heap, 8);

	before = now_ns();
	assert_int_equal(calibrate(fx->exec, &g1, &h1), 0);
	after = now_ns();
	assert_true(h1 >= before && h1 <= after);
	assert_true(h1 >= h0);
	assert_true(g0 <= t);
	assert_true(t <= g1);
}

static void test_calibrate(void **state)
{
	check_calibration(fx_of(state), vk_exec_calibrate);
}

static void test_calibrate_with_job(void **state)
{
	check_calibration(fx_of(state), vk_exec_calibrate_with_job);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_limits, test_setup),
		cmocka_unit_test_setup(test_saxpy_device_local, test_setup),
		cmocka_unit_test_setup(test_saxpy_heap, test_setup),
		cmocka_unit_test_setup(test_saxpy_heap_and_device_local, test_setup),
		cmocka_unit_test_setup(test_copy_and_fill, test_setup),
		cmocka_unit_test_setup(test_barrier_orders_fill_before_dispatch, test_setup),
		cmocka_unit_test_setup(test_barrier_orders_dispatches, test_setup),
		cmocka_unit_test_setup(test_jobs_ordered, test_setup),
		cmocka_unit_test_setup(test_timestamps, test_setup),
		cmocka_unit_test_setup(test_empty_job, test_setup),
		cmocka_unit_test_setup(test_many_jobs_in_flight, test_setup),
		cmocka_unit_test_setup(test_wait_idle, test_setup),
		cmocka_unit_test_setup(test_program_ref_held_by_job, test_setup),
		cmocka_unit_test_setup(test_entry_points, test_setup),
		cmocka_unit_test_setup(test_push_constants_zero_padded, test_setup),
		cmocka_unit_test_setup(test_zero_groups, test_setup),
		cmocka_unit_test_setup(test_program_create_errors, test_setup),
		cmocka_unit_test_setup(test_bad_jobs, test_setup),
		cmocka_unit_test_setup(test_unusable_heap, test_setup),
		cmocka_unit_test_setup(test_heap_larger_than_binding_range, test_setup),
		cmocka_unit_test_setup(test_close_with_jobs_in_flight, test_setup),
		cmocka_unit_test_setup(test_calibrate, test_setup),
		cmocka_unit_test_setup(test_calibrate_with_job, test_setup),
	};

	if (argc < 2) {
		fprintf(stderr, "usage: %s SHADER_DIR\n", argv[0]);
		return 2;
	}
	shader_dir = argv[1];
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
