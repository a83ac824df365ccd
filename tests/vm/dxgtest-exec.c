// SPDX-License-Identifier: MIT
/*
 * dxgtest-exec: execution through the WSL ABI (issue 4), one table of cases: every packet type
 * with checked results, submission on contexts and hardware queues, monitored fences (order,
 * wait-all/wait-any, eventfd waits, timeouts, many waiters, waits interrupted by signals), GPU
 * waits, mutexes and semaphores, several processes submitting at once, malicious command
 * buffers (each breaks only its own context: the test's own device in this process and a fresh
 * process compute correctly afterwards), a process killed mid-submission, escapes, clock
 * calibration, priorities and evict/restore of a buffer a dispatch filled.
 *
 * Usage: dxgtest-exec [--list] [CASE...]   (no CASE: all of them, in table order)
 *
 * Most cases use libdxgc for the plumbing and libd3dkmt for what they test. The host's object
 * counters (OPENDXG_QAI_VM_STATS) must be back at the baseline after every case: a case that
 * leaks host objects fails even when its own checks passed.
 */
#include "dxgtest.h"
#include "dxgc.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "exec_add_comp_spv.h"
#include "exec_spin_comp_spv.h"

/* Generous bounds for waits that must end: they only turn a hang into a failure. */
#define WAIT_MS 60000u
#define RELEASE_WAIT_MS 10000u
#define ADD_GROUP 64u
#define GARBAGE_HANDLE ((struct d3dkmthandle){ 0x3fffffc0u })
/* In the usable GPU VA range (2^16 .. 2^47) and never reserved by this test. */
#define UNMAPPED_VA 0x7ffe00000000ull

struct ctx {
	struct dxgc_device *dev;		/* the witness: must keep working throughout */
	struct dxgc_handles h;
	struct dxgc_program *add;
	struct dxgc_program *spin;
	struct opendxg_vm_stats baseline;
};

struct test_case {
	const char *name;
	const char *what;
	void (*run)(struct ctx *c);
};

static const struct d3dkmthandle no_handle = { 0 };

/* Per-case tallies for the summary (the same scheme as dxgtest-memory). */
static struct {
	unsigned int passed;
	unsigned int failed;
} tally;

static bool tally_check(bool passed)
{
	if (passed)
		tally.passed++;
	else
		tally.failed++;
	return passed;
}

#define tap_ok(...) tally_check(tap_ok(__VA_ARGS__))
#define tap_errno(...) tally_check(tap_errno(__VA_ARGS__))
#define tap_ret0(...) tally_check(tap_ret0(__VA_ARGS__))
#define tap_wait_child(...) tally_check(tap_wait_child(__VA_ARGS__))

struct add_push {
	uint32_t mul, add, n;
};

struct spin_push {
	uint32_t iterations;
};

static uint32_t add_expect(uint32_t src, uint32_t mul, uint32_t add)
{
	return src * mul + add;
}

static uint32_t spin_expect(uint32_t index, uint32_t iterations)
{
	uint32_t x = index;

	for (uint32_t i = 0; i < iterations; i++)
		x = x * 1664525u + 1013904223u;
	return x;
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/*
 * The object and memory counters a case must leave as it found them: dxgtest_wait_stats()'s
 * (processes, adapters, devices, contexts, handles) plus allocations, paging queues, GPU VA
 * reservations and charged bytes, which handles alone do not cover.
 */
static bool exec_stats_equal(const struct opendxg_vm_stats *x, const struct opendxg_vm_stats *y)
{
	return dxgtest_stats_equal(x, y) && x->handles == y->handles &&
	       x->allocations == y->allocations && x->paging_queues == y->paging_queues &&
	       x->gpu_va_ranges == y->gpu_va_ranges &&
	       x->host_visible_bytes == y->host_visible_bytes &&
	       x->device_local_bytes == y->device_local_bytes &&
	       x->program_bytes == y->program_bytes && x->evicted_bytes == y->evicted_bytes;
}

static void exec_diag_stats(const char *label, const struct opendxg_vm_stats *s)
{
	dxgtest_diag_stats(label, s);
	tap_diag("%s: allocations %u, paging queues %u, GPU VA ranges %u, host-visible %llu, "
		 "device-local %llu, programs %llu, evicted %llu bytes", label, s->allocations,
		 s->paging_queues, s->gpu_va_ranges, (unsigned long long)s->host_visible_bytes,
		 (unsigned long long)s->device_local_bytes, (unsigned long long)s->program_bytes,
		 (unsigned long long)s->evicted_bytes);
}

/* Polls the VM's counters until they equal @want (a release may land a moment late). */
static int exec_wait_stats(int fd, struct d3dkmthandle adapter,
			   const struct opendxg_vm_stats *want, struct opendxg_vm_stats *got,
			   unsigned int max_wait_ms)
{
	for (unsigned int waited = 0;; waited += 20) {
		int ret = d3dkmt_query_vm_stats(fd, adapter, got);

		if (ret < 0)
			return ret;
		if (exec_stats_equal(got, want))
			return 0;
		if (waited >= max_wait_ms)
			return -ETIMEDOUT;
		sleep_ms(20);
	}
}

static const char *ret_name(int ret)
{
	return ret >= 0 ? "ok" : errno_name(-ret);
}

/*
 * Waits with an eventfd (so it cannot hang) until monitored fence @object of @device reaches
 * @value. 0, -ETIMEDOUT, or the ioctl's -errno.
 */
static int wait_fence_bounded(int fd, struct d3dkmthandle device, struct d3dkmthandle object,
			      uint64_t value, unsigned int timeout_ms)
{
	struct pollfd pfd = { .events = POLLIN };
	int ret, n;

	pfd.fd = eventfd(0, EFD_CLOEXEC);
	if (pfd.fd < 0)
		return -errno;
	ret = d3dkmt_wait_from_cpu(fd, device, &object, &value, 1, 0, pfd.fd);
	if (ret == 0) {
		do {
			n = poll(&pfd, 1, (int)timeout_ms);
		} while (n < 0 && errno == EINTR);
		ret = n > 0 ? 0 : n == 0 ? -ETIMEDOUT : -errno;
	}
	close(pfd.fd);
	return ret;
}

/* Whether @efd is readable after at most @timeout_ms; reads (clears) it when it is. */
static bool eventfd_fired(int efd, int timeout_ms)
{
	struct pollfd pfd = { .fd = efd, .events = POLLIN };
	uint64_t count;
	int n;

	do {
		n = poll(&pfd, 1, timeout_ms);
	} while (n < 0 && errno == EINTR);
	if (n <= 0)
		return false;
	return read(efd, &count, sizeof(count)) == sizeof(count) && count > 0;
}

/* ---- compute helpers ---- */

/* Records dst = src * mul + add over n elements of two buffers. */
static int record_add(struct dxgc_cmdlist *list, struct dxgc_program *prog,
		      struct dxgc_buffer *src, struct dxgc_buffer *dst, uint32_t n, uint32_t mul,
		      uint32_t add, const uint32_t groups[3])
{
	struct add_push push = { .mul = mul, .add = add, .n = n };
	struct dxgc_binding bindings[2] = {
		{ .buffer = src, .size = DXGC_WHOLE_SIZE, .flags = DXGC_BINDING_READ_ONLY },
		{ .buffer = dst, .size = DXGC_WHOLE_SIZE },
	};
	struct dxgc_dispatch d = {
		.program = prog,
		.groups = { (n + ADD_GROUP - 1) / ADD_GROUP, 1, 1 },
		.bindings = bindings,
		.binding_count = 2,
		.push_constants = &push,
		.push_constant_size = sizeof(push),
	};

	if (groups)
		memcpy(d.groups, groups, sizeof(d.groups));
	return dxgc_cmd_dispatch(list, &d);
}

/*
 * One complete computation on @dev: fills a host-visible source with a pattern of @seed, runs
 * the add kernel into a device-local destination, downloads and checks every element. Returns
 * 0, -EIO on a wrong element, or the first failing call's -errno.
 */
static int compute(struct dxgc_device *dev, struct dxgc_program *prog, uint32_t seed)
{
	const uint32_t n = 3000, mul = 3 + seed % 7, add = seed;
	struct dxgc_buffer *src = NULL, *dst = NULL;
	struct dxgc_cmdlist *list = NULL;
	uint32_t *in, *out = NULL;
	uint64_t fence = 0;
	int ret;

	ret = dxgc_buffer_create(dev, DXGC_MEMORY_HOST_VISIBLE, n * 4, &src);
	if (!ret)
		ret = dxgc_buffer_create(dev, DXGC_MEMORY_DEVICE_LOCAL, n * 4, &dst);
	if (!ret)
		ret = dxgc_cmdlist_create(dev, &list);
	if (ret)
		goto out;
	in = dxgc_buffer_map(src);
	for (uint32_t i = 0; i < n; i++)
		in[i] = i * 2654435761u + seed;
	ret = record_add(list, prog, src, dst, n, mul, add, NULL);
	if (!ret)
		ret = dxgc_submit(dev, list, &fence);
	if (!ret)
		ret = dxgc_wait(dev, fence);
	out = malloc(n * 4);
	if (!ret && !out)
		ret = -ENOMEM;
	if (!ret)
		ret = dxgc_buffer_download(dst, 0, out, n * 4);
	for (uint32_t i = 0; !ret && i < n; i++)
		if (out[i] != add_expect(in[i], mul, add)) {
			tap_diag("element %u: got %u, want %u", i, out[i],
				 add_expect(in[i], mul, add));
			ret = -EIO;
		}
out:
	free(out);
	dxgc_cmdlist_destroy(list);
	dxgc_buffer_destroy(src);
	dxgc_buffer_destroy(dst);
	return ret;
}

/* The witness: this process's own device (another context than the victim's) still computes. */
static bool witness_ok(struct ctx *c, const char *after)
{
	static uint32_t seed = 100;
	int ret = compute(c->dev, c->add, seed++);

	return tap_ok(ret == 0, "after %s: a second context in this process computes correctly (%s)",
		      after, ret_name(ret));
}

/* A fresh process (its own /dev/dxg, device and program) computes correctly. */
static bool other_process_ok(const char *after)
{
	pid_t pid = tap_fork();

	if (pid == 0) {
		struct dxgc_device *dev = NULL;
		struct dxgc_program *prog = NULL;
		int ret = dxgc_device_open(&dev);

		if (!ret)
			ret = dxgc_program_create(dev, exec_add_comp_spv, sizeof(exec_add_comp_spv),
						  &prog);
		if (!ret)
			ret = compute(dev, prog, (uint32_t)getpid());
		tap_ret0(ret, "another process computes correctly");
		dxgc_device_close(dev);
		tap_child_exit();
	}
	return tap_wait_child(pid, after);
}

static void after_fault(struct ctx *c, const char *what)
{
	witness_ok(c, what);
	other_process_ok(what);
}

/* ---- victims: fresh devices for command buffers that break their context ---- */

struct victim {
	struct dxgc_device *dev;
	struct dxgc_handles h;
	struct dxgc_buffer *cmd;		/* host-visible command memory */
	struct dxgc_program *add;
	struct dxgc_buffer *a, *b;		/* two 4 KiB host-visible buffers */
};

static bool victim_open(struct victim *v)
{
	int ret;

	memset(v, 0, sizeof(*v));
	ret = dxgc_device_open(&v->dev);
	if (!ret)
		ret = dxgc_buffer_create(v->dev, DXGC_MEMORY_HOST_VISIBLE, 64 * 1024, &v->cmd);
	if (!ret)
		ret = dxgc_program_create(v->dev, exec_add_comp_spv, sizeof(exec_add_comp_spv),
					  &v->add);
	if (!ret)
		ret = dxgc_buffer_create(v->dev, DXGC_MEMORY_HOST_VISIBLE, 4096, &v->a);
	if (!ret)
		ret = dxgc_buffer_create(v->dev, DXGC_MEMORY_HOST_VISIBLE, 4096, &v->b);
	if (!tap_ret0(ret, "open a victim device with its own context and queue"))
		return false;
	dxgc_device_handles(v->dev, &v->h);
	return true;
}

static void victim_close(struct victim *v)
{
	/* Closing the descriptor destroys the broken device and its objects on the host. */
	dxgc_device_close(v->dev);
	memset(v, 0, sizeof(*v));
}

/* A command buffer in the victim's command memory, built with the libd3dkmt builders. */
static void victim_cmdbuf(struct victim *v, struct d3dkmt_cmdbuf *cb)
{
	d3dkmt_cmdbuf_init(cb, dxgc_buffer_map(v->cmd), (uint32_t)dxgc_buffer_size(v->cmd));
}

/* Submits @length bytes of the victim's command memory with progress value 1 (its first). */
static int victim_submit(struct victim *v, uint32_t length)
{
	return d3dkmt_submit_to_hw_queue(v->h.fd, v->h.queue.handle, 1, dxgc_buffer_gpu_va(v->cmd),
					 length);
}

/*
 * The victim's context is broken with @want_state: GETDEVICESTATE says so, its progress fence
 * reaches UINT64_MAX, and the next submission is ENODEV.
 */
static void check_broken(struct victim *v, uint32_t want_state, const char *what)
{
	struct d3dkmt_cmdbuf cb;
	uint32_t state = 0;
	int ret;

	ret = wait_fence_bounded(v->h.fd, v->h.device, v->h.queue.progress_fence, UINT64_MAX,
				 WAIT_MS);
	tap_ok(ret == 0 && d3dkmt_fence_value(v->h.queue.progress) == UINT64_MAX,
	       "%s: the progress fence reaches UINT64_MAX (%s, value 0x%" PRIx64 ")", what,
	       ret_name(ret), d3dkmt_fence_value(v->h.queue.progress));
	ret = d3dkmt_get_execution_state(v->h.fd, v->h.device, &state);
	tap_ok(ret == 0 && state == want_state, "%s: GETDEVICESTATE says %s (got %s, %s)", what,
	       dxgc_execution_state_name(want_state), dxgc_execution_state_name(state),
	       ret_name(ret));
	victim_cmdbuf(v, &cb);
	d3dkmt_cmdbuf_barrier(&cb);
	tap_errno(d3dkmt_submit_to_hw_queue(v->h.fd, v->h.queue.handle, 2,
					    dxgc_buffer_gpu_va(v->cmd), d3dkmt_cmdbuf_finish(&cb)),
		  ENODEV, "%s: the next submission on the broken queue -> ENODEV", what);
}

/* ---- cases ---- */

static void case_packets(struct ctx *c)
{
	const uint32_t n = 1000, groups_3d[3] = { 4, 2, 3 };
	const uint32_t n3d = 4 * ADD_GROUP * 2 * 3;
	struct dxgc_buffer *hv = NULL, *hv2 = NULL, *dl = NULL, *ts = NULL, *src = NULL;
	struct dxgc_cmdlist *list = NULL;
	unsigned char *p, *q;
	uint32_t *w;
	uint64_t fence = 0;
	bool ok;
	int ret;

	ret = dxgc_buffer_create(c->dev, DXGC_MEMORY_HOST_VISIBLE, 8192, &hv);
	if (!ret)
		ret = dxgc_buffer_create(c->dev, DXGC_MEMORY_HOST_VISIBLE, 8192, &hv2);
	if (!ret)
		ret = dxgc_buffer_create(c->dev, DXGC_MEMORY_DEVICE_LOCAL, 8192, &dl);
	if (!ret)
		ret = dxgc_buffer_create(c->dev, DXGC_MEMORY_HOST_VISIBLE, 64, &ts);
	if (!ret)
		ret = dxgc_buffer_create(c->dev, DXGC_MEMORY_HOST_VISIBLE, n3d * 4, &src);
	if (!ret)
		ret = dxgc_cmdlist_create(c->dev, &list);
	if (!tap_ret0(ret, "buffers: host-visible, device-local, timestamps; a command list"))
		goto out;
	p = dxgc_buffer_map(hv);
	q = dxgc_buffer_map(hv2);

	/* FILL into both kinds; BARRIER; COPY device-local -> host-visible. */
	dxgc_cmd_fill(list, hv, 0, 4096, 0x11223344u);
	dxgc_cmd_fill(list, dl, 4096, 4096, 0xa5a5a5a5u);
	dxgc_cmd_barrier(list);
	ret = dxgc_cmd_copy(list, hv, 4096, dl, 4096, 4096);
	if (tap_ret0(ret, "record FILL, FILL, BARRIER, COPY") &&
	    tap_ret0(dxgc_submit(c->dev, list, &fence), "submit") &&
	    tap_ret0(dxgc_wait(c->dev, fence), "wait")) {
		ok = true;
		w = (uint32_t *)p;
		for (uint32_t i = 0; i < 2048 && ok; i++)
			ok = w[i] == (i < 1024 ? 0x11223344u : 0xa5a5a5a5u);
		tap_ok(ok, "FILL wrote host-visible memory; FILL+COPY through device-local memory "
		       "arrived behind the BARRIER");
	}

	/* COPY at odd offsets and sizes, both directions through device-local memory. */
	for (uint32_t i = 0; i < 8192; i++)
		p[i] = (unsigned char)(i * 7 + 1);
	memset(q, 0, 8192);
	dxgc_cmdlist_reset(list);
	dxgc_cmd_copy(list, dl, 3, hv, 5, 1001);
	dxgc_cmd_barrier(list);
	ret = dxgc_cmd_copy(list, hv2, 17, dl, 3, 1001);
	if (tap_ret0(ret, "record COPY 1001 bytes at odd offsets, both ways") &&
	    tap_ret0(dxgc_submit(c->dev, list, &fence), "submit") &&
	    tap_ret0(dxgc_wait(c->dev, fence), "wait")) {
		tap_ok(memcmp(q + 17, p + 5, 1001) == 0 && q[16] == 0 && q[17 + 1001] == 0,
		       "COPY moved exactly the 1001 bytes, nothing around them");
	}

	/* DISPATCH over a 3-D grid; a group count of 0 runs nothing. */
	w = dxgc_buffer_map(src);
	for (uint32_t i = 0; i < n3d; i++)
		w[i] = i ^ 0x5a5a;
	memset(p, 0xff, 8192);
	dxgc_cmdlist_reset(list);
	ret = record_add(list, c->add, src, hv, n3d, 5, 11, groups_3d);
	if (tap_ret0(ret, "record DISPATCH over 4 x 2 x 3 workgroups") &&
	    tap_ret0(dxgc_submit(c->dev, list, &fence), "submit") &&
	    tap_ret0(dxgc_wait(c->dev, fence), "wait")) {
		const uint32_t *out = (const uint32_t *)p;

		ok = true;
		for (uint32_t i = 0; i < n3d && ok; i++)
			ok = out[i] == add_expect(w[i], 5, 11);
		tap_ok(ok, "DISPATCH computed all %u elements of the 3-D grid", n3d);
	}
	memset(q, 0x77, 8192);
	dxgc_cmdlist_reset(list);
	ret = record_add(list, c->add, src, hv2, n, 2, 3, (const uint32_t[3]){ 0, 1, 1 });
	if (tap_ret0(ret, "record DISPATCH with 0 groups in x") &&
	    tap_ret0(dxgc_submit(c->dev, list, &fence), "submit") &&
	    tap_ret0(dxgc_wait(c->dev, fence), "wait"))
		tap_ok(q[0] == 0x77 && q[4095] == 0x77, "a DISPATCH of 0 groups wrote nothing");

	/* A second program, one binding, a loop count from its push constants. */
	struct spin_push spin_push = { .iterations = 1000 };
	struct dxgc_binding spin_binding = { .buffer = hv2, .size = DXGC_WHOLE_SIZE };
	struct dxgc_dispatch spin = { .program = c->spin, .groups = { 8192 / 4 / ADD_GROUP, 1, 1 },
				      .bindings = &spin_binding, .binding_count = 1,
				      .push_constants = &spin_push,
				      .push_constant_size = sizeof(spin_push) };

	dxgc_cmdlist_reset(list);
	if (tap_ret0(dxgc_cmd_dispatch(list, &spin), "record a DISPATCH of the spin program") &&
	    tap_ret0(dxgc_submit(c->dev, list, &fence), "submit") &&
	    tap_ret0(dxgc_wait(c->dev, fence), "wait")) {
		const uint32_t *out = (const uint32_t *)q;

		ok = true;
		for (uint32_t i = 0; i < 8192 / 4 && ok; i++)
			ok = out[i] == spin_expect(i, 1000);
		tap_ok(ok, "its 2048 invocations each ran 1000 LCG steps correctly");
	}

	/* TIMESTAMP around a dispatch. */
	dxgc_cmdlist_reset(list);
	ret = dxgc_cmd_timestamp(list, ts, 0);
	if (dxgc_device_info(c->dev)->caps.timestamp_valid_bits == 0) {
		tap_errno(ret, EINVAL, "TIMESTAMP on an adapter without timestamps -> EINVAL");
	} else if (tap_ret0(ret, "record TIMESTAMP, DISPATCH, TIMESTAMP")) {
		const volatile uint64_t *t = dxgc_buffer_map(ts);

		dxgc_cmd_barrier(list);
		record_add(list, c->add, src, hv, n3d, 1, 1, NULL);
		dxgc_cmd_barrier(list);
		dxgc_cmd_timestamp(list, ts, 8);
		if (tap_ret0(dxgc_submit(c->dev, list, &fence), "submit") &&
		    tap_ret0(dxgc_wait(c->dev, fence), "wait"))
			tap_ok(t[0] != 0 && t[1] >= t[0],
			       "TIMESTAMP wrote two ordered ticks (%" PRIu64 ", %" PRIu64
			       ", %.0f ns apart)", t[0], t[1], dxgc_timestamp_ns(c->dev, t[1] - t[0]));
	}
	/* An empty command buffer (header only) completes too. */
	dxgc_cmdlist_reset(list);
	if (tap_ret0(dxgc_submit(c->dev, list, &fence), "submit an empty command buffer"))
		tap_ret0(dxgc_wait(c->dev, fence), "it completes");
out:
	dxgc_cmdlist_destroy(list);
	dxgc_buffer_destroy(hv);
	dxgc_buffer_destroy(hv2);
	dxgc_buffer_destroy(dl);
	dxgc_buffer_destroy(ts);
	dxgc_buffer_destroy(src);
}

/*
 * Legacy submission: SUBMITCOMMAND on a context (no hardware queue), completion seen through a
 * monitored fence the context signals afterwards (SIGNALSYNCHRONIZATIONOBJECTFROMGPU and
 * ...FROMGPU2), NULL_RENDERING, and the one-context limit.
 */
static void case_submit_command(struct ctx *c)
{
	struct d3dkmt_context_params params = { .engine_affinity = 1 };
	struct d3dkmt_monitored_fence fence = { 0 };
	struct dxgc_buffer *cmd = NULL, *out = NULL;
	struct d3dkmthandle context = { 0 };
	struct d3dkmt_submitcommand args;
	struct d3dkmt_cmdbuf cb;
	uint64_t value;
	uint32_t len, *w;
	int fd = c->h.fd, ret;

	ret = dxgc_buffer_create(c->dev, DXGC_MEMORY_HOST_VISIBLE, 4096, &cmd);
	if (!ret)
		ret = dxgc_buffer_create(c->dev, DXGC_MEMORY_HOST_VISIBLE, 4096, &out);
	if (!tap_ret0(ret, "command and result buffers") ||
	    !tap_ret0(d3dkmt_create_context_virtual(fd, c->h.device, &params, &context),
		      "a context of its own") ||
	    !tap_ret0(d3dkmt_create_monitored_fence(fd, c->h.device, 0, 0, &fence),
		      "a monitored fence"))
		goto out;
	w = dxgc_buffer_map(out);

	d3dkmt_cmdbuf_init(&cb, dxgc_buffer_map(cmd), 4096);
	d3dkmt_cmdbuf_fill(&cb, dxgc_buffer_gpu_va(out), 256, 0xc0ffee00u);
	len = d3dkmt_cmdbuf_finish(&cb);
	value = 1;
	if (tap_ret0(d3dkmt_submit_command(fd, context, dxgc_buffer_gpu_va(cmd), len, 0),
		     "SUBMITCOMMAND on the context") &&
	    tap_ret0(d3dkmt_signal_from_gpu(fd, context, &fence.handle, &value, 1),
		     "SIGNALSYNCHRONIZATIONOBJECTFROMGPU fence=1 behind it")) {
		ret = wait_fence_bounded(fd, c->h.device, fence.handle, 1, WAIT_MS);
		tap_ok(ret == 0 && w[0] == 0xc0ffee00u && w[63] == 0xc0ffee00u && w[64] == 0,
		       "the fence reached 1 after the FILL completed (%s)", ret_name(ret));
	}

	/* NULL_RENDERING: validated, never run. */
	d3dkmt_cmdbuf_reset(&cb);
	d3dkmt_cmdbuf_fill(&cb, dxgc_buffer_gpu_va(out), 256, 0x12345678u);
	len = d3dkmt_cmdbuf_finish(&cb);
	value = 2;
	if (tap_ret0(d3dkmt_submit_command(fd, context, dxgc_buffer_gpu_va(cmd), len,
					   D3DKMT_SUBMITCOMMAND_FLAG_NULL_RENDERING),
		     "SUBMITCOMMAND with NULL_RENDERING") &&
	    tap_ret0(d3dkmt_signal_from_gpu2(fd, &context, 1, &fence.handle, &value, 1, 0),
		     "SIGNALSYNCHRONIZATIONOBJECTFROMGPU2 fence=2 behind it")) {
		ret = wait_fence_bounded(fd, c->h.device, fence.handle, 2, WAIT_MS);
		tap_ok(ret == 0 && w[0] == 0xc0ffee00u,
		       "the fence reached 2 and the NULL_RENDERING buffer wrote nothing (%s)",
		       ret_name(ret));
	}

	memset(&args, 0, sizeof(args));
	args.command_buffer = dxgc_buffer_gpu_va(cmd);
	args.command_length = len;
	args.broadcast_context_count = 2;
	args.broadcast_context[0] = context;
	args.broadcast_context[1] = c->h.context;
	tap_errno(d3dkmt_submit_command_args(fd, &args), EINVAL,
		  "SUBMITCOMMAND to two contexts -> EINVAL (one engine per adapter)");
	args.broadcast_context_count = 0;
	tap_errno(d3dkmt_submit_command_args(fd, &args), EINVAL,
		  "SUBMITCOMMAND to no context -> EINVAL");
	tap_errno(d3dkmt_submit_command(fd, GARBAGE_HANDLE, dxgc_buffer_gpu_va(cmd), len, 0),
		  EINVAL, "SUBMITCOMMAND on a garbage context -> EINVAL");
	tap_errno(d3dkmt_submit_command(fd, context, dxgc_buffer_gpu_va(cmd), len, 0x80000000u),
		  EINVAL, "SUBMITCOMMAND with an unknown flag -> EINVAL");
	/* The context is still fine after refusals that never reached its queue. */
	value = 3;
	d3dkmt_cmdbuf_reset(&cb);
	d3dkmt_cmdbuf_barrier(&cb);
	len = d3dkmt_cmdbuf_finish(&cb);
	if (tap_ret0(d3dkmt_submit_command(fd, context, dxgc_buffer_gpu_va(cmd), len, 0),
		     "SUBMITCOMMAND again on the context") &&
	    tap_ret0(d3dkmt_signal_from_gpu(fd, context, &fence.handle, &value, 1),
		     "signal fence=3"))
		tap_ret0(wait_fence_bounded(fd, c->h.device, fence.handle, 3, WAIT_MS),
			 "the fence reaches 3");
out:
	if (fence.handle.v)
		d3dkmt_destroy_sync_object(fd, fence.handle);
	if (context.v)
		tap_ret0(d3dkmt_destroy_context(fd, context), "destroy the context");
	dxgc_buffer_destroy(cmd);
	dxgc_buffer_destroy(out);
}

/* Samples fences while submissions complete: values only ever go up, work is done before. */
struct order_watch {
	uint64_t base;			/* progress value before the first submission */
	const volatile uint64_t *progress;
	const volatile uint64_t *fence;
	const volatile uint32_t *slots;
	uint32_t count;
	volatile int stop;
	int regressions;
	int early;
	uint64_t samples;
};

static void *order_watcher(void *arg)
{
	struct order_watch *ow = arg;
	uint64_t last_progress = 0, last_fence = 0;

	while (!ow->stop) {
		uint64_t progress = d3dkmt_fence_value(ow->progress);
		uint64_t fence = d3dkmt_fence_value(ow->fence);

		if (progress < last_progress || fence < last_fence)
			ow->regressions++;
		/*
		 * Progress value base + i + 1 means submission i completed: its slot is written
		 * (the acquire load of the fence orders these reads after the work's writes).
		 */
		for (uint64_t i = 0; i < ow->count && ow->base + i + 1 <= progress; i++)
			if (ow->slots[i] != (uint32_t)(ow->base + i + 1))
				ow->early++;
		last_progress = progress;
		last_fence = fence;
		ow->samples++;
	}
	return NULL;
}

static void case_fence_order(struct ctx *c)
{
	const uint32_t count = 24;
	struct d3dkmt_monitored_fence fence = { 0 };
	struct order_watch ow = { 0 };
	struct dxgc_buffer *slots = NULL;
	struct dxgc_cmdlist *list = NULL;
	uint64_t values[24], value;
	pthread_t watcher;
	bool submitted = true, waited = true;
	int fd = c->h.fd, ret;

	ret = dxgc_buffer_create(c->dev, DXGC_MEMORY_HOST_VISIBLE, 4096, &slots);
	if (!ret)
		ret = dxgc_cmdlist_create(c->dev, &list);
	if (!tap_ret0(ret, "a slot buffer and a command list") ||
	    !tap_ret0(d3dkmt_create_monitored_fence(fd, c->h.device, 0, 0, &fence),
		      "a monitored fence"))
		goto out;
	/* Submission i fills slot i with its own progress value, base + i + 1. */
	uint64_t base = dxgc_fence_submitted(c->dev);

	ow.base = base;
	ow.progress = c->h.queue.progress;
	ow.fence = fence.value;
	ow.slots = dxgc_buffer_map(slots);
	ow.count = count;
	pthread_create(&watcher, NULL, order_watcher, &ow);
	for (uint32_t i = 0; i < count; i++) {
		dxgc_cmdlist_reset(list);
		dxgc_cmd_fill(list, slots, 4 * i, 4, (uint32_t)(base + i + 1));
		if (dxgc_submit(c->dev, list, &values[i]) < 0) {
			submitted = false;
			break;
		}
		value = 10 * (i + 1);
		if (d3dkmt_signal_hw_queues(fd, &c->h.queue.handle, 1, &fence.handle, &value, 1,
					    0) < 0)
			submitted = false;
	}
	tap_ok(submitted, "%u submissions, each followed by SUBMITSIGNALSYNCOBJECTSTOHWQUEUE "
	       "fence = 10 * i", count);
	for (uint32_t i = 0; i < count && submitted; i++) {
		ret = dxgc_wait(c->dev, values[i]);
		if (ret < 0 || ow.slots[i] != (uint32_t)(base + i + 1))
			waited = false;
	}
	tap_ok(submitted && waited, "waiting for each progress value in turn finds its work done");
	tap_ok(values[count - 1] - values[0] == count - 1 && values[0] == base + 1,
	       "dxgc_submit() returned consecutive progress values %" PRIu64 "..%" PRIu64,
	       values[0], values[count - 1]);
	ret = wait_fence_bounded(fd, c->h.device, fence.handle, 10 * count, WAIT_MS);
	tap_ok(ret == 0 && d3dkmt_fence_value(fence.value) == 10 * count,
	       "the monitored fence ends at %u (%s, %" PRIu64 ")", 10 * count, ret_name(ret),
	       d3dkmt_fence_value(fence.value));
	ow.stop = 1;
	pthread_join(watcher, NULL);
	tap_ok(ow.regressions == 0, "no fence value ever went down (%" PRIu64 " samples)",
	       ow.samples);
	tap_ok(ow.early == 0, "no progress value was seen before its work was visible (%d)",
	       ow.early);

	/* Rewinding a fence needs ALLOW_FENCE_REWIND, from the CPU and from a queue. */
	value = 5;
	tap_errno(d3dkmt_signal_from_cpu(fd, c->h.device, &fence.handle, &value, 1, 0), EINVAL,
		  "SIGNALFROMCPU below the current value -> EINVAL");
	tap_errno(d3dkmt_signal_hw_queues(fd, &c->h.queue.handle, 1, &fence.handle, &value, 1, 0),
		  EINVAL, "signal on the queue below the current value -> EINVAL");
	tap_ret0(d3dkmt_signal_from_cpu(fd, c->h.device, &fence.handle, &value, 1,
					D3DDDICB_SIGNAL_FLAG_ALLOW_FENCE_REWIND),
		 "SIGNALFROMCPU below it with ALLOW_FENCE_REWIND");
	tap_ok(d3dkmt_fence_value(fence.value) == 5, "the fence reads 5 at once (%" PRIu64 ")",
	       d3dkmt_fence_value(fence.value));
out:
	if (fence.handle.v)
		d3dkmt_destroy_sync_object(fd, fence.handle);
	dxgc_cmdlist_destroy(list);
	dxgc_buffer_destroy(slots);
}

static void case_wait_any_all(struct ctx *c)
{
	struct d3dkmt_monitored_fence f[2];
	int fd = c->h.fd, all_fd = -1, any_fd = -1;
	struct d3dkmthandle objs[2];
	uint64_t want[2] = { 1, 1 }, one = 1;

	memset(f, 0, sizeof(f));
	if (!tap_ret0(d3dkmt_create_monitored_fence(fd, c->h.device, 0, 0, &f[0]), "fence A") ||
	    !tap_ret0(d3dkmt_create_monitored_fence(fd, c->h.device, 0, 0, &f[1]), "fence B"))
		goto out;
	objs[0] = f[0].handle;
	objs[1] = f[1].handle;
	all_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	any_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	tap_ret0(d3dkmt_wait_from_cpu(fd, c->h.device, objs, want, 2, 0, all_fd),
		 "wait-all A>=1, B>=1 with an eventfd");
	tap_ret0(d3dkmt_wait_from_cpu(fd, c->h.device, objs, want, 2,
				      D3DDDI_WAITFORSYNCOBJECTFROMCPU_FLAG_WAIT_ANY, any_fd),
		 "wait-any A>=1, B>=1 with an eventfd");
	tap_ok(!eventfd_fired(all_fd, 50) && !eventfd_fired(any_fd, 0),
	       "neither fires while both fences are 0");
	tap_ret0(d3dkmt_signal_from_cpu(fd, c->h.device, &f[0].handle, &one, 1, 0),
		 "signal A = 1 from the CPU");
	tap_ok(eventfd_fired(any_fd, WAIT_MS), "wait-any fires");
	tap_ok(!eventfd_fired(all_fd, 50), "wait-all does not fire with B still 0");
	tap_ret0(d3dkmt_signal_from_cpu(fd, c->h.device, &f[1].handle, &one, 1, 0),
		 "signal B = 1");
	tap_ok(eventfd_fired(all_fd, WAIT_MS), "wait-all fires");
	/* Blocking variants return at once for values already reached. */
	tap_ret0(d3dkmt_wait_from_cpu(fd, c->h.device, objs, want, 2, 0, -1),
		 "a blocking wait-all on reached values returns at once");
	want[1] = 100;
	tap_ret0(d3dkmt_wait_from_cpu(fd, c->h.device, objs, want, 2,
				      D3DDDI_WAITFORSYNCOBJECTFROMCPU_FLAG_WAIT_ANY, -1),
		 "a blocking wait-any with one value reached returns at once");
out:
	if (all_fd >= 0)
		close(all_fd);
	if (any_fd >= 0)
		close(any_fd);
	for (int i = 0; i < 2; i++)
		if (f[i].handle.v)
			d3dkmt_destroy_sync_object(fd, f[i].handle);
}

/* eventfd waits with poll timeouts, and timed waits on a queue held by a GPU wait. */
static void case_timeouts(struct ctx *c)
{
	struct d3dkmt_monitored_fence gate = { 0 };
	struct dxgc_buffer *buf = NULL;
	struct dxgc_cmdlist *list = NULL;
	uint64_t five = 5, one = 1, fence = 0;
	int fd = c->h.fd, efd = -1, ret;

	if (!tap_ret0(d3dkmt_create_monitored_fence(fd, c->h.device, 0, 0, &gate),
		      "a gate fence"))
		return;
	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	tap_ret0(d3dkmt_wait_from_cpu(fd, c->h.device, &gate.handle, &five, 1, 0, efd),
		 "eventfd wait for gate >= 5");
	tap_ok(!eventfd_fired(efd, 100), "poll with a 100 ms timeout returns nothing");
	tap_ret0(d3dkmt_signal_from_cpu(fd, c->h.device, &gate.handle, &one, 1, 0),
		 "signal gate = 1");
	tap_ok(!eventfd_fired(efd, 50), "still nothing at 1 of 5");
	tap_ret0(d3dkmt_signal_from_cpu(fd, c->h.device, &gate.handle, &five, 1, 0),
		 "signal gate = 5");
	tap_ok(eventfd_fired(efd, WAIT_MS), "now the eventfd fires");
	tap_ret0(d3dkmt_wait_from_cpu(fd, c->h.device, &gate.handle, &five, 1, 0, efd),
		 "eventfd wait for a value already reached");
	tap_ok(eventfd_fired(efd, WAIT_MS), "it fires at once");

	/* The queue waits for gate >= 6 on the GPU side; work behind it cannot complete. */
	ret = dxgc_buffer_create(c->dev, DXGC_MEMORY_HOST_VISIBLE, 4096, &buf);
	if (!ret)
		ret = dxgc_cmdlist_create(c->dev, &list);
	if (!tap_ret0(ret, "a buffer and a command list"))
		goto out;
	uint64_t six = 6;

	tap_ret0(d3dkmt_wait_hw_queue(fd, c->h.queue.handle, &gate.handle, &six, 1),
		 "SUBMITWAITFORSYNCOBJECTSTOHWQUEUE gate >= 6");
	dxgc_cmd_fill(list, buf, 0, 4096, 0xfeedfaceu);
	if (!tap_ret0(dxgc_submit(c->dev, list, &fence), "submit a FILL behind the wait"))
		goto out;
	tap_errno(dxgc_wait_timeout(c->dev, fence, 200), ETIMEDOUT,
		  "dxgc_wait_timeout(200 ms) -> ETIMEDOUT while the gate is closed");
	tap_errno(dxgc_wait_timeout(c->dev, fence, 0), ETIMEDOUT,
		  "dxgc_wait_timeout(0) -> ETIMEDOUT");
	tap_ok(*(volatile uint32_t *)dxgc_buffer_map(buf) == 0,
	       "the FILL behind the closed gate has not run");
	tap_ret0(d3dkmt_signal_from_cpu(fd, c->h.device, &gate.handle, &six, 1, 0),
		 "open the gate (signal 6)");
	tap_ret0(dxgc_wait_timeout(c->dev, fence, WAIT_MS), "now the submission completes");
	tap_ok(*(volatile uint32_t *)dxgc_buffer_map(buf) == 0xfeedfaceu, "and the FILL ran");
out:
	if (efd >= 0)
		close(efd);
	dxgc_cmdlist_destroy(list);
	dxgc_buffer_destroy(buf);
	d3dkmt_destroy_sync_object(fd, gate.handle);
}

/*
 * Fences owned by queues go with their queue: an eventfd wait naming one ends (its eventfd fires)
 * when the hardware queue, its context or the paging queue is destroyed, as for a destroyed sync
 * object, instead of never firing.
 */
static void case_queue_fence_waits(struct ctx *c)
{
	struct d3dkmt_context_params params = { .engine_affinity = 1 };
	struct d3dkmthandle context = { 0 };
	struct d3dkmt_hw_queue q1 = { 0 }, q2 = { 0 };
	struct d3dkmt_paging_queue pq = { 0 };
	const uint64_t far = 1000;
	int fd = c->h.fd, efd[3];

	for (int i = 0; i < 3; i++)
		efd[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (!tap_ok(efd[0] >= 0 && efd[1] >= 0 && efd[2] >= 0, "three eventfds") ||
	    !tap_ret0(d3dkmt_create_context_virtual(fd, c->h.device, &params, &context),
		      "a context of its own") ||
	    !tap_ret0(d3dkmt_create_hw_queue(fd, context, 0, NULL, 0, &q1), "hardware queue 1") ||
	    !tap_ret0(d3dkmt_create_hw_queue(fd, context, 0, NULL, 0, &q2), "hardware queue 2") ||
	    !tap_ret0(d3dkmt_create_paging_queue(fd, c->h.device,
						 D3DDDI_PAGINGQUEUE_PRIORITY_NORMAL, &pq),
		      "a paging queue"))
		goto out;
	tap_ret0(d3dkmt_wait_from_cpu(fd, c->h.device, &q1.progress_fence, &far, 1, 0, efd[0]),
		 "eventfd wait on queue 1's progress fence >= 1000");
	tap_ret0(d3dkmt_wait_from_cpu(fd, c->h.device, &q2.progress_fence, &far, 1, 0, efd[1]),
		 "eventfd wait on queue 2's progress fence >= 1000");
	tap_ret0(d3dkmt_wait_from_cpu(fd, c->h.device, &pq.sync_object, &far, 1, 0, efd[2]),
		 "eventfd wait on the paging fence >= 1000");
	tap_ok(!eventfd_fired(efd[0], 50) && !eventfd_fired(efd[1], 0) &&
	       !eventfd_fired(efd[2], 0), "none fires while the queues live");

	tap_ret0(d3dkmt_destroy_hw_queue(fd, q1.handle), "destroy hardware queue 1");
	q1.handle = no_handle;
	tap_ok(eventfd_fired(efd[0], WAIT_MS), "the wait on its progress fence ends");
	tap_ok(!eventfd_fired(efd[1], 0), "the wait on queue 2 goes on");
	tap_ret0(d3dkmt_destroy_context(fd, context), "destroy the context (and queue 2)");
	context = no_handle;
	q2.handle = no_handle;
	tap_ok(eventfd_fired(efd[1], WAIT_MS), "the wait on queue 2's progress fence ends");
	tap_ok(!eventfd_fired(efd[2], 0), "the paging-fence wait goes on");
	tap_ret0(d3dkmt_destroy_paging_queue(fd, pq.handle), "destroy the paging queue");
	pq.handle = no_handle;
	tap_ok(eventfd_fired(efd[2], WAIT_MS), "the wait on its fence ends");
out:
	if (pq.handle.v)
		d3dkmt_destroy_paging_queue(fd, pq.handle);
	if (context.v)
		d3dkmt_destroy_context(fd, context);
	for (int i = 0; i < 3; i++)
		if (efd[i] >= 0)
			close(efd[i]);
}

#define WAITER_THREADS 8
#define WAITER_EVENTFDS 16

struct waiter {
	int fd;
	struct d3dkmthandle device, fence;
	uint64_t value;
	int ret;
	int *started;
};

static void *blocking_waiter(void *arg)
{
	struct waiter *w = arg;

	__atomic_add_fetch(w->started, 1, __ATOMIC_RELEASE);
	w->ret = d3dkmt_wait_from_cpu(w->fd, w->device, &w->fence, &w->value, 1, 0, -1);
	return NULL;
}

static void case_many_waiters(struct ctx *c)
{
	struct d3dkmt_monitored_fence f = { 0 };
	struct waiter waiters[WAITER_THREADS];
	pthread_t threads[WAITER_THREADS];
	int efds[WAITER_EVENTFDS], started = 0, fired = 0, ok = 0;
	uint64_t value = 7;

	if (!tap_ret0(d3dkmt_create_monitored_fence(c->h.fd, c->h.device, 0, 0, &f), "a fence"))
		return;
	for (int i = 0; i < WAITER_THREADS; i++) {
		waiters[i] = (struct waiter){ .fd = c->h.fd, .device = c->h.device,
					      .fence = f.handle, .value = 3 + (uint64_t)i % 5,
					      .ret = 1, .started = &started };
		pthread_create(&threads[i], NULL, blocking_waiter, &waiters[i]);
	}
	for (int i = 0; i < WAITER_EVENTFDS; i++) {
		efds[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		d3dkmt_wait_from_cpu(c->h.fd, c->h.device, &f.handle, &value, 1, 0, efds[i]);
	}
	while (__atomic_load_n(&started, __ATOMIC_ACQUIRE) < WAITER_THREADS)
		sleep_ms(5);
	/* Give the threads time to block (the check does not depend on it: they must wake). */
	sleep_ms(100);
	tap_ret0(d3dkmt_signal_from_cpu(c->h.fd, c->h.device, &f.handle, &value, 1, 0),
		 "signal the fence to 7 once");
	for (int i = 0; i < WAITER_THREADS; i++) {
		pthread_join(threads[i], NULL);
		ok += waiters[i].ret == 0;
	}
	tap_ok(ok == WAITER_THREADS, "all %d blocking waiters (values 3..7) returned 0 (%d did)",
	       WAITER_THREADS, ok);
	for (int i = 0; i < WAITER_EVENTFDS; i++) {
		fired += eventfd_fired(efds[i], WAIT_MS);
		close(efds[i]);
	}
	tap_ok(fired == WAITER_EVENTFDS, "all %d eventfd waiters fired (%d did)", WAITER_EVENTFDS,
	       fired);
	d3dkmt_destroy_sync_object(c->h.fd, f.handle);
}

static volatile sig_atomic_t signals_seen;

static void count_signal(int sig)
{
	(void)sig;
	signals_seen++;
}

struct signaller {
	pthread_t target;
	int fd;
	struct d3dkmthandle device, fence;
	uint64_t value;			/* 0: only send signals */
	volatile int done;		/* the target's wait returned */
};

/*
 * value 0: interrupts @target with SIGUSR1 every 100 ms until its wait returned (a signal that
 * lands before the wait began only runs the handler; a later one interrupts the wait).
 * Otherwise: one SIGUSR1 after 100 ms, then the fence takes @value 100 ms later.
 */
static void *signal_later(void *arg)
{
	struct signaller *s = arg;

	if (!s->value) {
		do {
			sleep_ms(100);
			if (!s->done)
				pthread_kill(s->target, SIGUSR1);
		} while (!s->done);
		return NULL;
	}
	sleep_ms(100);
	pthread_kill(s->target, SIGUSR1);
	sleep_ms(100);
	d3dkmt_signal_from_cpu(s->fd, s->device, &s->fence, &s->value, 1, 0);
	return NULL;
}

static void case_signal_interrupt(struct ctx *c)
{
	struct d3dkmt_monitored_fence f = { 0 };
	struct opendxg_vm_stats before, after;
	struct sigaction sa, old;
	struct signaller s;
	pthread_t thread;
	uint64_t one = 1;
	int ret;

	if (!tap_ret0(d3dkmt_create_monitored_fence(c->h.fd, c->h.device, 0, 0, &f), "a fence"))
		return;
	d3dkmt_query_vm_stats(c->h.fd, c->h.adapter, &before);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = count_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;	/* no SA_RESTART */
	sigaction(SIGUSR1, &sa, &old);
	signals_seen = 0;
	s = (struct signaller){ .target = pthread_self() };
	pthread_create(&thread, NULL, signal_later, &s);
	ret = d3dkmt_wait_from_cpu(c->h.fd, c->h.device, &f.handle, &one, 1, 0, -1);
	s.done = 1;
	pthread_join(thread, NULL);
	tap_errno(ret, EINTR, "a blocking wait interrupted by a handler without SA_RESTART -> EINTR");
	tap_ok(signals_seen >= 1, "the handler ran (%d times)", (int)signals_seen);
	ret = d3dkmt_query_vm_stats(c->h.fd, c->h.adapter, &after);
	tap_ok(ret == 0 && after.handles == before.handles,
	       "the interrupted wait left no host object (handles %u -> %u)", before.handles,
	       after.handles);

	/* With SA_RESTART the wait goes on after the handler and ends when the fence moves. */
	sa.sa_flags = SA_RESTART;
	sigaction(SIGUSR1, &sa, NULL);
	signals_seen = 0;
	s = (struct signaller){ .target = pthread_self(), .fd = c->h.fd, .device = c->h.device,
				.fence = f.handle, .value = 1 };
	pthread_create(&thread, NULL, signal_later, &s);
	ret = d3dkmt_wait_from_cpu(c->h.fd, c->h.device, &f.handle, &one, 1, 0, -1);
	s.done = 1;
	pthread_join(thread, NULL);
	tap_ok(ret == 0 && signals_seen == 1,
	       "with SA_RESTART the wait survives the signal and returns 0 once signalled (%s, "
	       "%d signals)", ret_name(ret), (int)signals_seen);
	sigaction(SIGUSR1, &old, NULL);
	tap_ret0(d3dkmt_destroy_sync_object(c->h.fd, f.handle), "destroy the fence");
}

/* GPU-side waits: hardware queue (0x36), context (0x3b), legacy (0x12 on a monitored fence). */
static void case_gpu_waits(struct ctx *c)
{
	struct d3dkmt_context_params params = { .engine_affinity = 1 };
	struct d3dkmt_monitored_fence gate = { 0 }, done = { 0 };
	struct d3dkmthandle context = { 0 };
	struct dxgc_buffer *cmd = NULL;
	struct d3dkmt_cmdbuf cb;
	uint64_t v;
	uint32_t len;
	int fd = c->h.fd;

	if (!tap_ret0(dxgc_buffer_create(c->dev, DXGC_MEMORY_HOST_VISIBLE, 4096, &cmd),
		      "command memory") ||
	    !tap_ret0(d3dkmt_create_context_virtual(fd, c->h.device, &params, &context),
		      "a context") ||
	    !tap_ret0(d3dkmt_create_monitored_fence(fd, c->h.device, 0, 0, &gate), "gate") ||
	    !tap_ret0(d3dkmt_create_monitored_fence(fd, c->h.device, 0, 0, &done), "done"))
		goto out;
	d3dkmt_cmdbuf_init(&cb, dxgc_buffer_map(cmd), 4096);
	d3dkmt_cmdbuf_barrier(&cb);
	len = d3dkmt_cmdbuf_finish(&cb);

	v = 1;
	tap_ret0(d3dkmt_wait_from_gpu(fd, context, &gate.handle, &v, 1),
		 "WAITFORSYNCHRONIZATIONOBJECTFROMGPU gate >= 1 on the context");
	tap_ret0(d3dkmt_submit_command(fd, context, dxgc_buffer_gpu_va(cmd), len, 0),
		 "a submission behind it");
	tap_ret0(d3dkmt_signal_from_gpu(fd, context, &done.handle, &v, 1), "then done = 1");
	v = 2;
	tap_ret0(d3dkmt_wait_sync_object2(fd, context, &gate.handle, 1, 2),
		 "WAITFORSYNCHRONIZATIONOBJECT gate >= 2 (legacy, one value)");
	tap_ret0(d3dkmt_signal_sync_object2(fd, context, NULL, 0, &done.handle, 1, 0, 2),
		 "SIGNALSYNCHRONIZATIONOBJECT done = 2 (legacy)");
	tap_ok(d3dkmt_fence_value(done.value) == 0,
	       "done stays 0 while the gate is closed");
	v = 1;
	tap_ret0(d3dkmt_signal_from_cpu(fd, c->h.device, &gate.handle, &v, 1, 0), "gate = 1");
	tap_ret0(wait_fence_bounded(fd, c->h.device, done.handle, 1, WAIT_MS), "done reaches 1");
	tap_ok(d3dkmt_fence_value(done.value) == 1, "but not 2 before gate = 2 (%" PRIu64 ")",
	       d3dkmt_fence_value(done.value));
	v = 2;
	tap_ret0(d3dkmt_signal_from_cpu(fd, c->h.device, &gate.handle, &v, 1, 0), "gate = 2");
	tap_ret0(wait_fence_bounded(fd, c->h.device, done.handle, 2, WAIT_MS), "done reaches 2");

	/* A hardware queue waiting on the other context's signal: cross-queue ordering. */
	v = 3;
	tap_ret0(d3dkmt_wait_hw_queue(fd, c->h.queue.handle, &done.handle, &v, 1),
		 "the test queue waits for done >= 3");
	uint64_t fence = 0;
	struct dxgc_cmdlist *list = NULL;

	if (tap_ret0(dxgc_cmdlist_create(c->dev, &list), "a list") &&
	    tap_ret0(dxgc_submit(c->dev, list, &fence), "an empty submission behind the wait")) {
		tap_errno(dxgc_wait_timeout(c->dev, fence, 50), ETIMEDOUT, "it is held");
		tap_ret0(d3dkmt_signal_from_gpu(fd, context, &done.handle, &v, 1),
			 "the context signals done = 3");
		tap_ret0(dxgc_wait_timeout(c->dev, fence, WAIT_MS), "the queue goes on");
	}
	dxgc_cmdlist_destroy(list);
out:
	if (gate.handle.v)
		d3dkmt_destroy_sync_object(fd, gate.handle);
	if (done.handle.v)
		d3dkmt_destroy_sync_object(fd, done.handle);
	if (context.v)
		d3dkmt_destroy_context(fd, context);
	dxgc_buffer_destroy(cmd);
}

static int create_sync(int fd, struct d3dkmthandle device, uint32_t type, uint64_t v0,
		       uint64_t v1, struct d3dkmthandle *out)
{
	struct d3dddi_synchronizationobjectinfo2 info;

	memset(&info, 0, sizeof(info));
	info.type = type;
	switch (type) {
	case D3DDDI_SYNCHRONIZATION_MUTEX:
		info.synchronization_mutex.initial_state = (uint32_t)v0;
		break;
	case D3DDDI_SEMAPHORE:
		info.semaphore.max_count = (uint32_t)v0;
		info.semaphore.initial_count = (uint32_t)v1;
		break;
	case D3DDDI_FENCE:
		info.fence.fence_value = v0;
		break;
	}
	return d3dkmt_create_sync_object(fd, device, &info, out);
}

/* Mutex, semaphore and (plain) fence objects between two contexts' queues. */
static void case_mutex_semaphore(struct ctx *c)
{
	struct d3dkmt_context_params params = { .engine_affinity = 1 };
	struct d3dkmthandle ctx1 = { 0 }, ctx2 = { 0 }, mutex = { 0 }, sem = { 0 }, fence = { 0 };
	struct d3dkmt_monitored_fence m1 = { 0 }, m2 = { 0 };
	int fd = c->h.fd, ret;
	uint64_t v;

	ret = create_sync(fd, c->h.device, D3DDDI_SYNCHRONIZATION_MUTEX, 0, 0, &mutex);
	if (ret == -ENOTTY || ret == -EOPNOTSUPP) {
		tap_diag("mutex objects are not supported (%s): case skipped", errno_name(-ret));
		return;
	}
	if (!tap_ret0(ret, "a mutex (not owned)") ||
	    !tap_ret0(create_sync(fd, c->h.device, D3DDDI_SEMAPHORE, 2, 0, &sem),
		      "a semaphore (max 2, count 0)") ||
	    !tap_ret0(create_sync(fd, c->h.device, D3DDDI_FENCE, 0, 0, &fence),
		      "a fence object") ||
	    !tap_ret0(d3dkmt_create_context_virtual(fd, c->h.device, &params, &ctx1),
		      "context 1") ||
	    !tap_ret0(d3dkmt_create_context_virtual(fd, c->h.device, &params, &ctx2),
		      "context 2") ||
	    !tap_ret0(d3dkmt_create_monitored_fence(fd, c->h.device, 0, 0, &m1), "m1") ||
	    !tap_ret0(d3dkmt_create_monitored_fence(fd, c->h.device, 0, 0, &m2), "m2"))
		goto out;

	/* Mutex: context 1 takes it; context 2 waits for it until context 1 releases it. */
	v = 1;
	tap_ret0(d3dkmt_wait_sync_object2(fd, ctx1, &mutex, 1, 0), "context 1 acquires the mutex");
	tap_ret0(d3dkmt_signal_from_gpu(fd, ctx1, &m1.handle, &v, 1), "context 1: m1 = 1");
	tap_ret0(d3dkmt_wait_sync_object2(fd, ctx2, &mutex, 1, 0), "context 2 waits for it");
	tap_ret0(d3dkmt_signal_from_gpu(fd, ctx2, &m2.handle, &v, 1), "context 2: m2 = 1");
	tap_ret0(wait_fence_bounded(fd, c->h.device, m1.handle, 1, WAIT_MS), "m1 reaches 1");
	tap_ok(d3dkmt_fence_value(m2.value) == 0, "m2 is 0: context 2 does not own the mutex");
	tap_ret0(d3dkmt_signal_sync_object2(fd, ctx1, NULL, 0, &mutex, 1, 0, 0),
		 "context 1 releases the mutex");
	tap_ret0(wait_fence_bounded(fd, c->h.device, m2.handle, 1, WAIT_MS),
		 "m2 reaches 1: context 2 got it");

	/* Semaphore: context 1 waits on count 0 until context 2 counts it up. */
	v = 2;
	tap_ret0(d3dkmt_wait_sync_object2(fd, ctx1, &sem, 1, 0), "context 1 waits on the semaphore");
	tap_ret0(d3dkmt_signal_from_gpu(fd, ctx1, &m1.handle, &v, 1), "context 1: m1 = 2");
	tap_errno(wait_fence_bounded(fd, c->h.device, m1.handle, 2, 100), ETIMEDOUT,
		  "m1 stays below 2 while the count is 0");
	tap_ret0(d3dkmt_signal_sync_object2(fd, ctx2, NULL, 0, &sem, 1, 0, 0),
		 "context 2 signals the semaphore");
	tap_ret0(wait_fence_bounded(fd, c->h.device, m1.handle, 2, WAIT_MS), "m1 reaches 2");

	/* Plain fence object: legacy signal with a value, legacy wait for it. */
	v = 3;
	tap_ret0(d3dkmt_wait_sync_object2(fd, ctx2, &fence, 1, 9), "context 2 waits fence >= 9");
	tap_ret0(d3dkmt_signal_from_gpu(fd, ctx2, &m2.handle, &v, 1), "context 2: m2 = 3");
	tap_errno(wait_fence_bounded(fd, c->h.device, m2.handle, 3, 100), ETIMEDOUT,
		  "m2 stays below 3");
	tap_ret0(d3dkmt_signal_sync_object2(fd, ctx1, NULL, 0, &fence, 1, 0, 9),
		 "context 1 signals fence = 9");
	tap_ret0(wait_fence_bounded(fd, c->h.device, m2.handle, 3, WAIT_MS), "m2 reaches 3");
	/* Released/waited objects of the wrong kind. */
	tap_errno(d3dkmt_wait_from_cpu(fd, c->h.device, &mutex, &v, 1, 0, -1), EINVAL,
		  "a CPU wait on a mutex -> EINVAL (monitored fences only)");
	tap_errno(create_sync(fd, c->h.device, D3DDDI_SEMAPHORE, 2, 3, &m1.handle), EINVAL,
		  "a semaphore with initial count > max -> EINVAL");
out:
	for (int i = 0; i < 3; i++) {
		struct d3dkmthandle h = i == 0 ? mutex : i == 1 ? sem : fence;

		if (h.v)
			d3dkmt_destroy_sync_object(fd, h);
	}
	if (m1.handle.v)
		d3dkmt_destroy_sync_object(fd, m1.handle);
	if (m2.handle.v)
		d3dkmt_destroy_sync_object(fd, m2.handle);
	if (ctx1.v)
		d3dkmt_destroy_context(fd, ctx1);
	if (ctx2.v)
		d3dkmt_destroy_context(fd, ctx2);
}

#define PROCESSES 4

static void case_multi_process(struct ctx *c)
{
	pid_t pids[PROCESSES];
	int ok = 0;

	for (int i = 0; i < PROCESSES; i++) {
		pids[i] = tap_fork();
		if (pids[i] == 0) {
			struct dxgc_device *dev = NULL;
			struct dxgc_program *prog = NULL;
			int ret = dxgc_device_open(&dev), rounds = 0;

			if (!ret)
				ret = dxgc_program_create(dev, exec_add_comp_spv,
							  sizeof(exec_add_comp_spv), &prog);
			for (; ret == 0 && rounds < 10; rounds++)
				ret = compute(dev, prog, (uint32_t)(1000 * i + rounds));
			tap_ok(ret == 0, "process %d: %d computations correct (%s)", i, rounds,
			       ret_name(ret));
			dxgc_device_close(dev);
			tap_child_exit();
		}
	}
	for (int round = 0; round < 10; round++)
		ok += compute(c->dev, c->add, 5000u + (uint32_t)round) == 0;
	tap_ok(ok == 10, "the parent's 10 computations meanwhile are correct (%d)", ok);
	for (int i = 0; i < PROCESSES; i++)
		tap_wait_child(pids[i], "a submitting process");
}

static void case_fault_unmapped(struct ctx *c)
{
	struct d3dkmt_devicepagefault_state pf;
	struct d3dkmt_cmdbuf cb;
	struct victim v;
	int ret;

	if (!victim_open(&v))
		return;
	victim_cmdbuf(&v, &cb);
	d3dkmt_cmdbuf_fill(&cb, dxgc_buffer_gpu_va(v.a), 64, 1);
	d3dkmt_cmdbuf_copy(&cb, UNMAPPED_VA + 0x123, dxgc_buffer_gpu_va(v.a), 64);
	ret = victim_submit(&v, d3dkmt_cmdbuf_finish(&cb));
	tap_ret0(ret, "a COPY to an unmapped GPU VA is accepted at submission (valid format)");
	check_broken(&v, D3DKMT_DEVICEEXECUTION_ERROR_DMAPAGEFAULT, "unmapped VA");
	memset(&pf, 0, sizeof(pf));
	ret = d3dkmt_get_page_fault(v.h.fd, v.h.device, &pf);
	tap_ok(ret == 0 && pf.faulted_virtual_address == UNMAPPED_VA + 0x123 &&
		       (pf.page_fault_flags & DXGK_PAGE_FAULT_WRITE) &&
		       pf.faulted_primitive_api_sequence_number == 1,
	       "GETDEVICESTATE PAGE_FAULT: address 0x%llx, a write, submission 1 (%s, 0x%llx, "
	       "flags 0x%x, submission %llu)", UNMAPPED_VA + 0x123, ret_name(ret),
	       (unsigned long long)pf.faulted_virtual_address, pf.page_fault_flags,
	       (unsigned long long)pf.faulted_primitive_api_sequence_number);
	struct dxgc_fault fault;

	tap_errno(dxgc_device_status(v.dev, &fault), ENODEV,
		  "dxgc_device_status() -> ENODEV");
	tap_ok(fault.has_page_fault && fault.address == UNMAPPED_VA + 0x123,
	       "and reports the fault address");
	victim_close(&v);
	after_fault(c, "an unmapped VA");

	/* A read through a binding of unmapped memory, from a dispatch. */
	if (!victim_open(&v))
		return;
	struct opendxg_cmd_binding b[2] = {
		{ .va = UNMAPPED_VA, .size = 4096, .binding = 0, .flags = OPENDXG_BINDING_READ_ONLY },
		{ .va = dxgc_buffer_gpu_va(v.b), .size = 4096, .binding = 1 },
	};
	struct add_push push = { 1, 1, 16 };

	victim_cmdbuf(&v, &cb);
	d3dkmt_cmdbuf_dispatch(&cb, dxgc_program_handle(v.add), "main", (uint32_t[3]){ 1, 1, 1 },
			       b, 2, &push, sizeof(push));
	tap_ret0(victim_submit(&v, d3dkmt_cmdbuf_finish(&cb)),
		 "a DISPATCH binding an unmapped VA is accepted at submission");
	check_broken(&v, D3DKMT_DEVICEEXECUTION_ERROR_DMAPAGEFAULT, "unmapped binding");
	ret = d3dkmt_get_page_fault(v.h.fd, v.h.device, &pf);
	tap_ok(ret == 0 && pf.faulted_virtual_address == UNMAPPED_VA,
	       "the fault names the binding's address (0x%llx)",
	       (unsigned long long)pf.faulted_virtual_address);
	victim_close(&v);
	after_fault(c, "an unmapped binding");
}

static void case_fault_read_only(struct ctx *c)
{
	struct d3dkmt_devicepagefault_state pf;
	struct d3dkmt_gpu_va_mapping m;
	struct d3dkmt_cmdbuf cb;
	uint64_t ro_va = 0, fence = 0;
	struct victim v;
	int ret;

	if (!victim_open(&v))
		return;
	/* A second, read-only view of buffer b. */
	memset(&m, 0, sizeof(m));
	m.allocation = dxgc_buffer_handle(v.b);
	m.size_in_pages = 1;
	m.protection = 0;
	ret = d3dkmt_map_gpu_va(v.h.fd, v.h.paging_queue.handle, &m, &ro_va, &fence);
	if (!tap_ok(ret >= 0, "map buffer b again, read-only (%s)", ret_name(ret))) {
		victim_close(&v);
		return;
	}
	d3dkmt_wait_paging_queue(v.h.fd, v.h.device, &v.h.paging_queue, fence);
	victim_cmdbuf(&v, &cb);
	d3dkmt_cmdbuf_copy(&cb, dxgc_buffer_gpu_va(v.a), ro_va, 64);	/* reading is fine */
	d3dkmt_cmdbuf_barrier(&cb);
	d3dkmt_cmdbuf_fill(&cb, ro_va + 256, 64, 7);			/* writing is not */
	tap_ret0(victim_submit(&v, d3dkmt_cmdbuf_finish(&cb)), "submit read, then write");
	check_broken(&v, D3DKMT_DEVICEEXECUTION_ERROR_DMAPAGEFAULT, "write to a read-only VA");
	ret = d3dkmt_get_page_fault(v.h.fd, v.h.device, &pf);
	tap_ok(ret == 0 && pf.faulted_virtual_address == ro_va + 256 &&
		       (pf.page_fault_flags & DXGK_PAGE_FAULT_WRITE),
	       "the fault is a write at the read-only view + 256 (0x%llx, flags 0x%x)",
	       (unsigned long long)pf.faulted_virtual_address, pf.page_fault_flags);
	tap_ret0(d3dkmt_free_gpu_va(v.h.fd, v.h.adapter, ro_va, 4096),
		 "free the read-only view's reservation");
	victim_close(&v);
	after_fault(c, "a write to a read-only mapping");
}

/* Builds and submits one refused buffer on a fresh victim; checks the context broke. */
static void refused(struct ctx *c, const char *what, void (*build)(struct victim *v,
								   struct d3dkmt_cmdbuf *cb,
								   uint32_t *length))
{
	struct d3dkmt_cmdbuf cb;
	struct victim v;
	uint32_t length;

	if (!victim_open(&v))
		return;
	victim_cmdbuf(&v, &cb);
	build(&v, &cb, &length);
	tap_errno(victim_submit(&v, length), EINVAL, "%s -> EINVAL", what);
	check_broken(&v, D3DKMT_DEVICEEXECUTION_ERROR_DMAFAULT, what);
	victim_close(&v);
	after_fault(c, what);
}

static void build_out_of_range(struct victim *v, struct d3dkmt_cmdbuf *cb, uint32_t *length)
{
	d3dkmt_cmdbuf_copy(cb, 1ull << 47, dxgc_buffer_gpu_va(v->a), 64);
	*length = d3dkmt_cmdbuf_finish(cb);
}

static void build_va_zero(struct victim *v, struct d3dkmt_cmdbuf *cb, uint32_t *length)
{
	d3dkmt_cmdbuf_copy(cb, dxgc_buffer_gpu_va(v->a), 0x1000, 64);
	*length = d3dkmt_cmdbuf_finish(cb);
}

static void build_missing_entry(struct victim *v, struct d3dkmt_cmdbuf *cb, uint32_t *length)
{
	struct opendxg_cmd_binding b[2] = {
		{ .va = dxgc_buffer_gpu_va(v->a), .size = 4096, .binding = 0 },
		{ .va = dxgc_buffer_gpu_va(v->b), .size = 4096, .binding = 1 },
	};
	struct add_push push = { 1, 1, 16 };

	d3dkmt_cmdbuf_dispatch(cb, dxgc_program_handle(v->add), "no_such_entry",
			       (uint32_t[3]){ 1, 1, 1 }, b, 2, &push, sizeof(push));
	*length = d3dkmt_cmdbuf_finish(cb);
}

static void build_missing_binding(struct victim *v, struct d3dkmt_cmdbuf *cb, uint32_t *length)
{
	struct opendxg_cmd_binding b = { .va = dxgc_buffer_gpu_va(v->b), .size = 4096,
					 .binding = 1 };
	struct add_push push = { 1, 1, 16 };

	d3dkmt_cmdbuf_dispatch(cb, dxgc_program_handle(v->add), "main", (uint32_t[3]){ 1, 1, 1 },
			       &b, 1, &push, sizeof(push));
	*length = d3dkmt_cmdbuf_finish(cb);
}

static void build_push_too_small(struct victim *v, struct d3dkmt_cmdbuf *cb, uint32_t *length)
{
	struct opendxg_cmd_binding b[2] = {
		{ .va = dxgc_buffer_gpu_va(v->a), .size = 4096, .binding = 0 },
		{ .va = dxgc_buffer_gpu_va(v->b), .size = 4096, .binding = 1 },
	};
	uint32_t push = 1;

	/* The module's push constant block is 12 bytes: 4 do not fill it. */
	d3dkmt_cmdbuf_dispatch(cb, dxgc_program_handle(v->add), "main", (uint32_t[3]){ 1, 1, 1 },
			       b, 2, &push, sizeof(push));
	*length = d3dkmt_cmdbuf_finish(cb);
}

/* A DISPATCH packet written by hand (the builders refuse these group counts). */
static void raw_dispatch(struct victim *v, struct d3dkmt_cmdbuf *cb, const uint32_t groups[3])
{
	struct {
		struct opendxg_cmd_dispatch d;
		struct opendxg_cmd_binding b[2];
		uint32_t push[4];
	} p;

	memset(&p, 0, sizeof(p));
	p.d.hdr.type = OPENDXG_CMD_DISPATCH;
	p.d.hdr.size = sizeof(p);
	p.d.program = dxgc_program_handle(v->add).v;
	memcpy(p.d.group_count, groups, sizeof(p.d.group_count));
	p.d.binding_count = 2;
	p.d.push_constant_size = 12;
	strcpy(p.d.entry_point, "main");
	p.b[0] = (struct opendxg_cmd_binding){ .va = dxgc_buffer_gpu_va(v->a), .size = 4096 };
	p.b[1] = (struct opendxg_cmd_binding){ .va = dxgc_buffer_gpu_va(v->b), .size = 4096,
					       .binding = 1 };
	p.push[0] = 1;
	p.push[1] = 1;
	p.push[2] = 16;
	d3dkmt_cmdbuf_raw(cb, &p, sizeof(p));
}

static uint32_t limit_groups;

static void build_groups_over_limit(struct victim *v, struct d3dkmt_cmdbuf *cb,
				    uint32_t *length)
{
	raw_dispatch(v, cb, (uint32_t[3]){ limit_groups + 1, 1, 1 });
	*length = d3dkmt_cmdbuf_finish(cb);
}

static void build_groups_product(struct victim *v, struct d3dkmt_cmdbuf *cb, uint32_t *length)
{
	/* Each dimension within the usual 65535, the product 65535^2 far above 2^24. */
	raw_dispatch(v, cb, (uint32_t[3]){ 65535, 65535, 1 });
	*length = d3dkmt_cmdbuf_finish(cb);
}

static void build_truncated_packet(struct victim *v, struct d3dkmt_cmdbuf *cb, uint32_t *length)
{
	d3dkmt_cmdbuf_fill(cb, dxgc_buffer_gpu_va(v->a), 64, 1);
	d3dkmt_cmdbuf_finish(cb);
	/* Submit 8 bytes less than the buffer: the FILL packet runs past the end. */
	*length = cb->size - 8;
	((struct opendxg_cmd_header *)cb->data)->size = *length;
}

static void build_short_packet(struct victim *v, struct d3dkmt_cmdbuf *cb, uint32_t *length)
{
	struct opendxg_cmd_copy copy;

	memset(&copy, 0, sizeof(copy));
	copy.hdr.type = OPENDXG_CMD_COPY;
	copy.hdr.size = 16;	/* a COPY needs 32 */
	copy.src_va = dxgc_buffer_gpu_va(v->a);
	d3dkmt_cmdbuf_raw(cb, &copy, 16);
	*length = d3dkmt_cmdbuf_finish(cb);
}

static void build_count_mismatch(struct victim *v, struct d3dkmt_cmdbuf *cb, uint32_t *length)
{
	d3dkmt_cmdbuf_fill(cb, dxgc_buffer_gpu_va(v->a), 64, 1);
	d3dkmt_cmdbuf_finish(cb);
	((struct opendxg_cmd_header *)cb->data)->packet_count = 2;
	*length = cb->size;
}

static void build_unknown_type(struct victim *v, struct d3dkmt_cmdbuf *cb, uint32_t *length)
{
	struct opendxg_cmd_packet p = { .type = 99, .size = 8 };

	(void)v;
	d3dkmt_cmdbuf_raw(cb, &p, sizeof(p));
	*length = d3dkmt_cmdbuf_finish(cb);
}

static void build_bad_magic(struct victim *v, struct d3dkmt_cmdbuf *cb, uint32_t *length)
{
	(void)v;
	d3dkmt_cmdbuf_barrier(cb);
	*length = d3dkmt_cmdbuf_finish(cb);
	((struct opendxg_cmd_header *)cb->data)->magic ^= 1;
}

static void build_reserved_set(struct victim *v, struct d3dkmt_cmdbuf *cb, uint32_t *length)
{
	d3dkmt_cmdbuf_fill(cb, dxgc_buffer_gpu_va(v->a), 64, 1);
	*length = d3dkmt_cmdbuf_finish(cb);
	((struct opendxg_cmd_fill *)((char *)cb->data + OPENDXG_CMD_HEADER_SIZE))->reserved = 1;
}

static void case_malformed(struct ctx *c)
{
	limit_groups = dxgc_device_info(c->dev)->caps.max_workgroup_count[0];
	refused(c, "a COPY to VA 2^47 (out of range)", build_out_of_range);
	refused(c, "a COPY from VA 0x1000 (below the usable range)", build_va_zero);
	refused(c, "a packet running past the submitted length", build_truncated_packet);
	refused(c, "a COPY packet of 16 bytes", build_short_packet);
	refused(c, "a header promising 2 packets for 1", build_count_mismatch);
	refused(c, "an unknown packet type", build_unknown_type);
	refused(c, "a bad header magic", build_bad_magic);
	refused(c, "a FILL with its reserved field set", build_reserved_set);
}

static void case_bad_dispatch(struct ctx *c)
{
	limit_groups = dxgc_device_info(c->dev)->caps.max_workgroup_count[0];
	refused(c, "a DISPATCH of an entry point the module lacks", build_missing_entry);
	refused(c, "a DISPATCH without a binding the module declares", build_missing_binding);
	refused(c, "a DISPATCH with fewer push constant bytes than the module's block",
		build_push_too_small);
	if (limit_groups && limit_groups < UINT32_MAX)
		refused(c, "a DISPATCH with one group more than max_workgroup_count[0]",
			build_groups_over_limit);
	refused(c, "a DISPATCH of 65535 x 65535 groups (product above 2^24)",
		build_groups_product);
}

/* Another process's PROGRAM handle (and a buffer handle) in DISPATCH.program. */
static void case_foreign_program(struct ctx *c)
{
	struct d3dkmt_cmdbuf cb;
	struct victim v;
	uint32_t handle = 0;
	int to_parent[2], to_child[2];
	pid_t pid;

	if (pipe(to_parent) < 0 || pipe(to_child) < 0)
		return;
	pid = tap_fork();
	if (pid == 0) {
		struct dxgc_device *dev = NULL;
		struct dxgc_program *prog = NULL;
		char go;

		if (tap_ret0(dxgc_device_open(&dev), "child: a device") &&
		    tap_ret0(dxgc_program_create(dev, exec_add_comp_spv, sizeof(exec_add_comp_spv),
						 &prog), "child: a program")) {
			handle = dxgc_program_handle(prog).v;
			dxgtest_write_all(to_parent[1], &handle, sizeof(handle));
			/* Keep the program alive until the parent tried it. */
			dxgtest_read_all(to_child[0], &go, 1);
		} else {
			dxgtest_write_all(to_parent[1], &handle, sizeof(handle));
		}
		dxgc_device_close(dev);
		tap_child_exit();
	}
	if (dxgtest_read_all(to_parent[0], &handle, sizeof(handle)) < 0 || !handle) {
		tap_ok(false, "the child did not send its program handle");
	} else if (victim_open(&v)) {
		struct opendxg_cmd_binding b[2] = {
			{ .va = dxgc_buffer_gpu_va(v.a), .size = 4096, .binding = 0 },
			{ .va = dxgc_buffer_gpu_va(v.b), .size = 4096, .binding = 1 },
		};
		struct add_push push = { 1, 1, 16 };

		victim_cmdbuf(&v, &cb);
		d3dkmt_cmdbuf_dispatch(&cb, (struct d3dkmthandle){ handle }, "main",
				       (uint32_t[3]){ 1, 1, 1 }, b, 2, &push, sizeof(push));
		tap_errno(victim_submit(&v, d3dkmt_cmdbuf_finish(&cb)), EINVAL,
			  "a DISPATCH naming another process's program (0x%x) -> EINVAL", handle);
		check_broken(&v, D3DKMT_DEVICEEXECUTION_ERROR_DMAFAULT, "foreign program");
		victim_close(&v);
	}
	if (write(to_child[1], "g", 1) != 1)
		tap_diag("could not release the child");
	tap_wait_child(pid, "the program's owner");
	close(to_parent[0]);
	close(to_parent[1]);
	close(to_child[0]);
	close(to_child[1]);
	after_fault(c, "another process's program");

	/* Our own buffer's handle where a program belongs. */
	if (victim_open(&v)) {
		struct opendxg_cmd_binding b[2] = {
			{ .va = dxgc_buffer_gpu_va(v.a), .size = 4096, .binding = 0 },
			{ .va = dxgc_buffer_gpu_va(v.b), .size = 4096, .binding = 1 },
		};
		struct add_push push = { 1, 1, 16 };

		victim_cmdbuf(&v, &cb);
		d3dkmt_cmdbuf_dispatch(&cb, dxgc_buffer_handle(v.a), "main",
				       (uint32_t[3]){ 1, 1, 1 }, b, 2, &push, sizeof(push));
		tap_errno(victim_submit(&v, d3dkmt_cmdbuf_finish(&cb)), EINVAL,
			  "a DISPATCH naming a buffer allocation as its program -> EINVAL");
		check_broken(&v, D3DKMT_DEVICEEXECUTION_ERROR_DMAFAULT, "buffer as program");
		victim_close(&v);
	}
}

/*
 * A process is SIGKILLed holding a queue blocked on a GPU wait with submissions behind it, and
 * a second queue running a long dispatch: afterwards the host holds nothing of it.
 */
static void case_kill_mid_submission(struct ctx *c)
{
	struct opendxg_vm_stats now;
	int ready[2];
	pid_t pid;
	char byte = 0;
	int ret;

	if (pipe(ready) < 0)
		return;
	pid = fork();
	if (pid == 0) {
		struct dxgc_device *blocked = NULL, *busy = NULL;
		struct dxgc_program *spin = NULL;
		struct dxgc_buffer *out = NULL, *out2 = NULL;
		struct dxgc_cmdlist *list = NULL, *list2 = NULL;
		struct d3dkmt_monitored_fence gate = { 0 };
		struct dxgc_handles h;
		struct spin_push push = { .iterations = 1u << 14 };
		struct dxgc_binding b = { .size = DXGC_WHOLE_SIZE };
		uint64_t value = 1, fence;
		int err = 0;

		close(ready[0]);
		err |= dxgc_device_open(&blocked);
		err |= err ? 0 : dxgc_device_open(&busy);
		err |= err ? 0 : dxgc_program_create(busy, exec_spin_comp_spv,
						     sizeof(exec_spin_comp_spv), &spin);
		err |= err ? 0 : dxgc_buffer_create(blocked, DXGC_MEMORY_DEVICE_LOCAL, 1 << 20, &out);
		err |= err ? 0 : dxgc_buffer_create(busy, DXGC_MEMORY_HOST_VISIBLE, 64 * 256 * 4,
						    &out2);
		err |= err ? 0 : dxgc_cmdlist_create(blocked, &list);
		err |= err ? 0 : dxgc_cmdlist_create(busy, &list2);
		if (err)
			_exit(3);
		dxgc_device_handles(blocked, &h);
		if (d3dkmt_create_monitored_fence(h.fd, h.device, 0, 0, &gate) < 0 ||
		    d3dkmt_wait_hw_queue(h.fd, h.queue.handle, &gate.handle, &value, 1) < 0)
			_exit(4);
		dxgc_cmd_fill(list, out, 0, 1 << 20, 0x42);
		for (int i = 0; i < 16; i++)
			if (dxgc_submit(blocked, list, &fence) < 0)
				_exit(5);
		b.buffer = out2;
		struct dxgc_dispatch d = {
			.program = spin, .groups = { 256, 1, 1 }, .bindings = &b,
			.binding_count = 1, .push_constants = &push,
			.push_constant_size = sizeof(push),
		};
		if (dxgc_cmd_dispatch(list2, &d) < 0)
			_exit(6);
		for (int i = 0; i < 4; i++)
			if (dxgc_submit(busy, list2, &fence) < 0)
				_exit(7);
		if (write(ready[1], "r", 1) != 1)
			_exit(8);
		for (;;)
			pause();
	}
	close(ready[1]);
	ret = (int)read(ready[0], &byte, 1);
	close(ready[0]);
	if (!tap_ok(ret == 1, "the child queued 16 blocked submissions and 4 long dispatches")) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return;
	}
	ret = d3dkmt_query_vm_stats(c->h.fd, c->h.adapter, &now);
	tap_ok(ret == 0 && now.contexts >= c->baseline.contexts + 2 &&
		       now.handles > c->baseline.handles,
	       "the host holds the child's contexts (%u, baseline %u) and objects (%u, baseline "
	       "%u)", now.contexts, c->baseline.contexts, now.handles, c->baseline.handles);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	ret = exec_wait_stats(c->h.fd, c->h.adapter, &c->baseline, &now, 30000);
	if (!tap_ret0(ret, "after SIGKILL every host object of the child is gone: processes, "
		      "devices, contexts, handles, allocations and memory back at the baseline")) {
		exec_diag_stats("baseline", &c->baseline);
		exec_diag_stats("now", &now);
	}
	after_fault(c, "a process killed mid-submission");
}

static void case_escape_stats(struct ctx *c)
{
	struct opendxg_escape_context_stats stats;
	struct dxgc_device *dev = NULL;
	struct dxgc_cmdlist *list = NULL;
	struct dxgc_handles h;
	uint64_t fence = 0;
	struct d3dkmt_escape args;
	int ret;

	dxgc_finish(c->dev);
	ret = d3dkmt_escape_context_stats(c->h.fd, c->h.adapter, c->h.device, c->h.context, &stats);
	tap_ok(ret == 0 && stats.submitted >= 1 && stats.completed == stats.submitted,
	       "CONTEXT_STATS of the test context after dxgc_finish(): completed == submitted "
	       "(%s, %llu, %llu)", ret_name(ret), (unsigned long long)stats.submitted,
	       (unsigned long long)stats.completed);
	if (!tap_ret0(dxgc_device_open(&dev), "a fresh device") ||
	    !tap_ret0(dxgc_cmdlist_create(dev, &list), "a list"))
		goto out;
	dxgc_device_handles(dev, &h);
	ret = d3dkmt_escape_context_stats(h.fd, h.adapter, h.device, h.context, &stats);
	tap_ok(ret == 0 && stats.submitted == 0 && stats.completed == 0 &&
		       stats.execution_state == D3DKMT_DEVICEEXECUTION_ACTIVE,
	       "CONTEXT_STATS of a new context: ACTIVE, 0 submitted, 0 completed (%s)",
	       ret_name(ret));
	dxgc_cmd_barrier(list);
	for (int i = 0; i < 3; i++)
		dxgc_submit(dev, list, &fence);
	tap_ret0(dxgc_wait(dev, fence), "3 submissions complete");
	ret = d3dkmt_escape_context_stats(h.fd, h.adapter, h.device, h.context, &stats);
	tap_ok(ret == 0 && stats.submitted == 3 && stats.completed == 3 && stats.queued == 0 &&
		       stats.execution_state == D3DKMT_DEVICEEXECUTION_ACTIVE,
	       "CONTEXT_STATS: 3 submitted, 3 completed, 0 queued (%s: %llu, %llu, %u, gpu %llu "
	       "ns)", ret_name(ret), (unsigned long long)stats.submitted,
	       (unsigned long long)stats.completed, stats.queued,
	       (unsigned long long)stats.gpu_time_ns);
	/* Escapes the host does not know. */
	uint32_t unknown[4] = { 0x4f45ffffu, 16, 0, 0 };

	memset(&args, 0, sizeof(args));
	args.adapter = h.adapter;
	args.type = D3DKMT_ESCAPE_DRIVERPRIVATE;
	args.priv_drv_data = (uintptr_t)unknown;
	args.priv_drv_data_size = sizeof(unknown);
	tap_errno(d3dkmt_escape(h.fd, &args), EINVAL, "an unknown escape code -> EINVAL");
	args.type = D3DKMT_ESCAPE_VIDMM;
	tap_errno(d3dkmt_escape(h.fd, &args), EINVAL, "escape type VIDMM -> EINVAL");
	tap_errno(d3dkmt_escape_context_stats(h.fd, h.adapter, h.device, GARBAGE_HANDLE, &stats),
		  EINVAL, "CONTEXT_STATS of a garbage context -> EINVAL");
	/* A broken context reports its state. */
	tap_ret0(d3dkmt_mark_device_as_error(h.fd, h.device, D3DKMT_DEVICE_ERROR_REASON_GENERIC),
		 "MARKDEVICEASERROR");
	ret = d3dkmt_escape_context_stats(h.fd, h.adapter, h.device, h.context, &stats);
	tap_ok(ret == 0 && stats.execution_state == D3DKMT_DEVICEEXECUTION_RESET,
	       "CONTEXT_STATS then says RESET (%s, %s)", ret_name(ret),
	       dxgc_execution_state_name(stats.execution_state));
out:
	dxgc_device_close(dev);
}

static void case_mark_device_error(struct ctx *c)
{
	struct dxgc_device *dev = NULL;
	struct dxgc_cmdlist *list = NULL;
	struct dxgc_handles h;
	struct dxgc_fault fault;
	uint32_t state = 0;
	uint64_t fence;
	int ret;

	if (!tap_ret0(dxgc_device_open(&dev), "a fresh device") ||
	    !tap_ret0(dxgc_cmdlist_create(dev, &list), "a list"))
		goto out;
	dxgc_device_handles(dev, &h);
	tap_ret0(dxgc_device_status(dev, NULL), "dxgc_device_status(): active");
	tap_errno(d3dkmt_mark_device_as_error(h.fd, h.device, 12345), EINVAL,
		  "MARKDEVICEASERROR with an unknown reason -> EINVAL");
	tap_ret0(d3dkmt_mark_device_as_error(h.fd, h.device, D3DKMT_DEVICE_ERROR_REASON_DRIVER_ERROR),
		 "MARKDEVICEASERROR (DRIVER_ERROR)");
	ret = d3dkmt_get_execution_state(h.fd, h.device, &state);
	tap_ok(ret == 0 && state == D3DKMT_DEVICEEXECUTION_RESET,
	       "GETDEVICESTATE: RESET (%s)", dxgc_execution_state_name(state));
	ret = wait_fence_bounded(h.fd, h.device, h.queue.progress_fence, UINT64_MAX, WAIT_MS);
	tap_ok(ret == 0, "the queue's progress fence reaches UINT64_MAX (%s)", ret_name(ret));
	tap_errno(dxgc_submit(dev, list, &fence), ENODEV, "a submission -> ENODEV");
	tap_errno(dxgc_device_status(dev, &fault), ENODEV, "dxgc_device_status() -> ENODEV");
	tap_ok(!fault.has_page_fault && fault.execution_state == D3DKMT_DEVICEEXECUTION_RESET,
	       "with state RESET and no page fault");
	tap_errno(dxgc_finish(dev), ENODEV, "dxgc_finish() -> ENODEV");
out:
	dxgc_device_close(dev);
	after_fault(c, "MARKDEVICEASERROR on another device");
}

static void case_clock_calibration(struct ctx *c)
{
	struct d3dkmt_clock_calibration a, b;
	int ret;

	ret = d3dkmt_query_clock_calibration(c->h.fd, c->h.adapter, 0, &a);
	tap_ok(ret == 0 && a.gpu_frequency != 0 && a.cpu_clock_counter != 0,
	       "QUERYCLOCKCALIBRATION: %" PRIu64 " ticks/s, GPU %" PRIu64 ", CPU %" PRIu64 " (%s)",
	       a.gpu_frequency, a.gpu_clock_counter, a.cpu_clock_counter, ret_name(ret));
	sleep_ms(10);
	ret = d3dkmt_query_clock_calibration(c->h.fd, c->h.adapter, 0, &b);
	tap_ok(ret == 0 && b.gpu_frequency == a.gpu_frequency &&
		       b.gpu_clock_counter >= a.gpu_clock_counter &&
		       b.cpu_clock_counter > a.cpu_clock_counter,
	       "a second calibration: same frequency, neither clock went back");
	tap_errno(d3dkmt_query_clock_calibration(c->h.fd, c->h.adapter, 1, &b), EINVAL,
		  "node 1 -> EINVAL (one node per adapter)");
	tap_errno(d3dkmt_query_clock_calibration(c->h.fd, GARBAGE_HANDLE, 0, &b), EINVAL,
		  "a garbage adapter -> EINVAL");
}

static void case_priorities(struct ctx *c)
{
	int fd = c->h.fd, ok = 0, ok_in = 0;
	int32_t got;

	for (int32_t p = -7; p <= 7; p++) {
		got = 99;
		if (d3dkmt_set_context_scheduling_priority(fd, c->h.context, p) == 0 &&
		    d3dkmt_get_context_scheduling_priority(fd, c->h.context, &got) == 0 && got == p)
			ok++;
		got = 99;
		if (d3dkmt_set_context_in_process_scheduling_priority(fd, c->h.context, p) == 0 &&
		    d3dkmt_get_context_in_process_scheduling_priority(fd, c->h.context, &got) == 0 &&
		    got == p)
			ok_in++;
	}
	tap_ok(ok == 15, "SET/GETCONTEXTSCHEDULINGPRIORITY round trip for -7..7 (%d of 15)", ok);
	tap_ok(ok_in == 15, "SET/GETCONTEXTINPROCESSSCHEDULINGPRIORITY round trip (%d of 15)",
	       ok_in);
	tap_errno(d3dkmt_set_context_scheduling_priority(fd, c->h.context, 8), EINVAL,
		  "priority 8 -> EINVAL");
	tap_errno(d3dkmt_set_context_scheduling_priority(fd, c->h.context, -8), EINVAL,
		  "priority -8 -> EINVAL");
	tap_errno(d3dkmt_set_context_in_process_scheduling_priority(fd, c->h.context, 8), EINVAL,
		  "in-process priority 8 -> EINVAL");
	tap_errno(d3dkmt_get_context_scheduling_priority(fd, GARBAGE_HANDLE, &got), EINVAL,
		  "GET on a garbage context -> EINVAL");
	tap_errno(d3dkmt_set_context_scheduling_priority(fd, c->h.device, 0), EINVAL,
		  "SET on a device handle -> EINVAL");
	d3dkmt_set_context_scheduling_priority(fd, c->h.context, 0);
	d3dkmt_set_context_in_process_scheduling_priority(fd, c->h.context, 0);
	tap_ok(d3dkmt_get_context_scheduling_priority(fd, c->h.context, &got) == 0 && got == 0,
	       "the values are kept after refusals (back to 0)");
}

static void case_evict_restore(struct ctx *c)
{
	const uint32_t n = 64 * 1024;
	struct dxgc_buffer *src = NULL, *dl = NULL;
	struct dxgc_cmdlist *list = NULL;
	struct d3dkmthandle alloc;
	uint32_t *in, *out = NULL, status = 0;
	uint64_t fence = 0;
	bool same = true;
	int ret;

	ret = dxgc_buffer_create(c->dev, DXGC_MEMORY_HOST_VISIBLE, n * 4, &src);
	if (!ret)
		ret = dxgc_buffer_create(c->dev, DXGC_MEMORY_DEVICE_LOCAL, n * 4, &dl);
	if (!ret)
		ret = dxgc_cmdlist_create(c->dev, &list);
	out = malloc(n * 4);
	if (!tap_ret0(ret, "a 256 KiB device-local buffer") || !out)
		goto out;
	in = dxgc_buffer_map(src);
	for (uint32_t i = 0; i < n; i++)
		in[i] = i * 31u;
	record_add(list, c->add, src, dl, n, 3, 7, NULL);
	if (!tap_ret0(dxgc_submit(c->dev, list, &fence), "a dispatch fills it") ||
	    !tap_ret0(dxgc_wait(c->dev, fence), "wait"))
		goto out;
	alloc = dxgc_buffer_handle(dl);
	tap_ret0(dxgc_buffer_evict(dl), "EVICT");
	d3dkmt_query_allocation_residency(c->h.fd, c->h.device, no_handle, &alloc, 1, &status);
	tap_ok(status == D3DKMT_ALLOCATIONRESIDENCYSTATUS_NOTRESIDENT, "it is not resident");
	memset(in, 0, n * 4);
	tap_ret0(dxgc_buffer_make_resident(dl),
		 "MAKERESIDENT, waiting for the paging fence with WAITFORSYNCHRONIZATIONOBJECTFROMCPU");
	if (tap_ret0(dxgc_buffer_download(dl, 0, out, n * 4), "download it")) {
		for (uint32_t i = 0; i < n && same; i++)
			same = out[i] == add_expect(i * 31u, 3, 7);
		tap_ok(same, "every element the dispatch wrote survived eviction and restore");
	}
	/* And the GPU sees the restored contents too. */
	dxgc_cmdlist_reset(list);
	record_add(list, c->add, dl, src, n, 1, 1, NULL);
	if (tap_ret0(dxgc_submit(c->dev, list, &fence), "a dispatch reads it back") &&
	    tap_ret0(dxgc_wait(c->dev, fence), "wait")) {
		same = true;
		for (uint32_t i = 0; i < n && same; i++)
			same = in[i] == add_expect(i * 31u, 3, 7) + 1;
		tap_ok(same, "the restored buffer feeds a dispatch correctly");
	}
out:
	free(out);
	dxgc_cmdlist_destroy(list);
	dxgc_buffer_destroy(src);
	dxgc_buffer_destroy(dl);
}

/* Argument errors of the sync and queue ioctls. */
static void case_sync_errors(struct ctx *c)
{
	struct d3dkmthandle objs[D3DDDI_MAX_OBJECT_WAITED_ON + 1];
	uint64_t values[D3DDDI_MAX_OBJECT_WAITED_ON + 1];
	struct d3dkmt_monitored_fence f = { 0 };
	struct d3dddi_synchronizationobjectinfo2 info;
	struct d3dkmthandle h;
	struct d3dkmt_hw_queue q;
	int fd = c->h.fd, efd;

	if (!tap_ret0(d3dkmt_create_monitored_fence(fd, c->h.device, 0, 0, &f), "a fence"))
		return;
	for (unsigned int i = 0; i <= D3DDDI_MAX_OBJECT_WAITED_ON; i++) {
		objs[i] = f.handle;
		values[i] = 0;
	}
	tap_errno(d3dkmt_wait_from_cpu(fd, c->h.device, objs, values, 0, 0, -1), EINVAL,
		  "CPU wait on 0 objects -> EINVAL");
	tap_errno(d3dkmt_wait_from_cpu(fd, c->h.device, objs, values,
				       D3DDDI_MAX_OBJECT_WAITED_ON + 1, 0, -1),
		  EINVAL, "CPU wait on 33 objects -> EINVAL");
	tap_errno(d3dkmt_wait_from_cpu(fd, c->h.device, objs, values, 1, 0x2, -1), EINVAL,
		  "CPU wait with an unknown flag -> EINVAL");
	h = GARBAGE_HANDLE;
	tap_errno(d3dkmt_wait_from_cpu(fd, c->h.device, &h, values, 1, 0, -1), EINVAL,
		  "CPU wait on a garbage handle -> EINVAL");
	tap_errno(d3dkmt_wait_from_cpu(fd, c->h.device, &c->h.context, values, 1, 0, -1), EINVAL,
		  "CPU wait on a context handle -> EINVAL");
	tap_errno(d3dkmt_wait_from_cpu(fd, c->h.device, objs, NULL, 1, 0, -1), EFAULT,
		  "CPU wait with a NULL value array -> EFAULT");
	efd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	tap_errno(d3dkmt_wait_from_cpu(fd, c->h.device, objs, values, 1, 0, efd), EINVAL,
		  "CPU wait with a descriptor that is no eventfd -> EINVAL");
	close(efd);
	tap_errno(d3dkmt_signal_from_cpu(fd, c->h.device, objs, values, 0, 0), EINVAL,
		  "CPU signal of 0 objects -> EINVAL");
	tap_errno(d3dkmt_destroy_sync_object(fd, c->h.queue.progress_fence), EINVAL,
		  "DESTROYSYNCHRONIZATIONOBJECT of a queue's progress fence -> EINVAL");
	tap_errno(d3dkmt_destroy_sync_object(fd, c->h.paging_queue.sync_object), EINVAL,
		  "DESTROYSYNCHRONIZATIONOBJECT of a paging queue's fence -> EINVAL");
	tap_errno(d3dkmt_signal_sync_object2(fd, c->h.context, NULL, 0, objs, 1,
					     D3DDDICB_SIGNAL_FLAG_ENQUEUE_CPU_EVENT, 1),
		  EINVAL, "SIGNALSYNCHRONIZATIONOBJECT with ENQUEUE_CPU_EVENT -> EINVAL");
	memset(&info, 0, sizeof(info));
	info.type = D3DDDI_PERIODIC_MONITORED_FENCE;
	tap_errno(d3dkmt_create_sync_object(fd, c->h.device, &info, &h), EINVAL,
		  "a periodic monitored fence -> EINVAL (no display)");
	info.type = 42;
	tap_errno(d3dkmt_create_sync_object(fd, c->h.device, &info, &h), EINVAL,
		  "sync object type 42 -> EINVAL");
	info.type = D3DDDI_MONITORED_FENCE;
	info.flags = D3DDDI_SYNCOBJ_FLAG_SHARED;
	tap_errno(d3dkmt_create_sync_object(fd, c->h.device, &info, &h), EINVAL,
		  "SHARED without NT_SECURITY_SHARING -> EINVAL (WSL's rule)");
	info.flags = 0;
	tap_errno(d3dkmt_create_sync_object(fd, GARBAGE_HANDLE, &info, &h), EINVAL,
		  "a fence on a garbage device -> EINVAL");
	tap_errno(d3dkmt_create_hw_queue(fd, GARBAGE_HANDLE, 0, NULL, 0, &q), EINVAL,
		  "CREATEHWQUEUE on a garbage context -> EINVAL");
	tap_errno(d3dkmt_create_hw_queue(fd, c->h.context, 0x80000000u, NULL, 0, &q), EINVAL,
		  "CREATEHWQUEUE with an unknown flag -> EINVAL");
	tap_errno(d3dkmt_destroy_hw_queue(fd, c->h.context), EINVAL,
		  "DESTROYHWQUEUE of a context handle -> EINVAL");
	tap_errno(d3dkmt_wait_hw_queue(fd, c->h.queue.handle, objs, values, 0), EINVAL,
		  "queue wait on 0 objects -> EINVAL");
	tap_errno(d3dkmt_signal_hw_queues(fd, &c->h.queue.handle, 0, objs, values, 1, 0), EINVAL,
		  "queue signal on 0 queues -> EINVAL");
	tap_ret0(d3dkmt_destroy_sync_object(fd, f.handle), "destroy the fence");
	tap_errno(d3dkmt_destroy_sync_object(fd, f.handle), EINVAL, "destroy it again -> EINVAL");
	tap_errno(d3dkmt_signal_from_cpu(fd, c->h.device, &f.handle, values, 1, 0), EINVAL,
		  "signal a destroyed fence -> EINVAL");
	/* A hardware queue of our own: its progress values must increase. */
	if (tap_ret0(d3dkmt_create_hw_queue(fd, c->h.context, 0, NULL, 0, &q),
		     "a second hardware queue on the test context")) {
		tap_ok(q.progress && d3dkmt_fence_value(q.progress) == 0 &&
			       q.progress_fence.v != c->h.queue.progress_fence.v,
		       "its own progress fence, mapped, at 0");
		tap_ret0(d3dkmt_destroy_hw_queue(fd, q.handle), "destroy it");
		tap_errno(d3dkmt_destroy_hw_queue(fd, q.handle), EINVAL, "destroy it again -> EINVAL");
	}
}

/* The runtime's own argument checks (nothing reaches the driver). */
static void case_runtime_api(struct ctx *c)
{
	struct dxgc_buffer *buf = NULL, *other_buf = NULL;
	struct dxgc_device *other = NULL;
	struct dxgc_cmdlist *list = NULL;
	unsigned char bytes[64];
	uint64_t fence = 0;

	if (!tap_ret0(dxgc_buffer_create(c->dev, DXGC_MEMORY_HOST_VISIBLE, 1000, &buf), "a buffer") ||
	    !tap_ret0(dxgc_cmdlist_create(c->dev, &list), "a list") ||
	    !tap_ret0(dxgc_device_open(&other), "a second device") ||
	    !tap_ret0(dxgc_buffer_create(other, DXGC_MEMORY_DEVICE_LOCAL, 4096, &other_buf),
		      "a buffer of the second device"))
		goto out;
	tap_ok(dxgc_buffer_size(buf) == 1000 && dxgc_buffer_gpu_va(buf) % 4096 == 0 &&
		       dxgc_buffer_map(buf) && !dxgc_buffer_map(other_buf),
	       "size, page-aligned GPU VA, CPU mapping only for host-visible memory");
	tap_errno(dxgc_buffer_create(c->dev, 7, 4096, &buf), EINVAL, "memory type 7 -> EINVAL");
	tap_errno(dxgc_buffer_create(c->dev, DXGC_MEMORY_HOST_VISIBLE, 0, &buf), EINVAL,
		  "size 0 -> EINVAL");
	tap_errno(dxgc_buffer_upload(buf, 990, bytes, 11), EINVAL, "upload past the end -> EINVAL");
	tap_errno(dxgc_buffer_download(buf, 1001, bytes, 0), EINVAL,
		  "download at an offset past the end -> EINVAL");
	tap_errno(dxgc_cmd_copy(list, buf, 0, other_buf, 0, 16), EINVAL,
		  "COPY from another device's buffer -> EINVAL");
	tap_errno(dxgc_cmd_fill(list, buf, 2, 16, 0), EINVAL, "FILL at offset 2 -> EINVAL");
	tap_errno(dxgc_cmd_fill(list, buf, 0, 1004, 0), EINVAL, "FILL past the end -> EINVAL");
	tap_errno(dxgc_cmd_timestamp(list, buf, 4), EINVAL, "TIMESTAMP at offset 4 -> EINVAL");
	struct dxgc_binding b[2] = { { .buffer = buf, .offset = 4, .size = 16 },
				     { .buffer = buf, .size = DXGC_WHOLE_SIZE } };
	struct dxgc_dispatch d = { .program = c->add, .groups = { 1, 1, 1 }, .bindings = b,
				   .binding_count = 2 };

	tap_errno(dxgc_cmd_dispatch(list, &d), EINVAL, "a binding at offset 4 -> EINVAL");
	b[0].offset = 0;
	d.push_constant_size = 6;
	d.push_constants = bytes;
	tap_errno(dxgc_cmd_dispatch(list, &d), EINVAL, "6 bytes of push constants -> EINVAL");
	tap_ok(dxgc_cmdlist_count(list) == 0, "no refused command was recorded");
	tap_errno(dxgc_submit(other, list, &fence), EINVAL,
		  "submitting a list on another device -> EINVAL");
	tap_errno(dxgc_wait(c->dev, dxgc_fence_submitted(c->dev) + 1), EINVAL,
		  "waiting for a value not submitted yet -> EINVAL");
	for (int i = 0; i < 1000; i++)
		dxgc_cmd_barrier(list);
	tap_ok(dxgc_cmdlist_count(list) == 1000, "1000 commands recorded (the list grew)");
	uint64_t before = dxgc_fence_submitted(c->dev);

	if (tap_ret0(dxgc_submit(c->dev, list, &fence), "submit them") &&
	    tap_ret0(dxgc_submit(c->dev, list, NULL), "and again, the same list"))
		tap_ok(fence == before + 1 && dxgc_fence_submitted(c->dev) == before + 2,
		       "each submission takes the next progress value");
	tap_ret0(dxgc_finish(c->dev), "dxgc_finish()");
	tap_ok(dxgc_fence_completed(c->dev) >= before + 2, "the fence reached them");
out:
	dxgc_buffer_destroy(other_buf);
	dxgc_device_close(other);
	dxgc_cmdlist_destroy(list);
	dxgc_buffer_destroy(buf);
}

static const struct test_case cases[] = {
	{ "packets", "COPY, FILL, DISPATCH, BARRIER, TIMESTAMP with checked results",
	  case_packets },
	{ "submit-command", "SUBMITCOMMAND on a context, GPU signals, NULL_RENDERING",
	  case_submit_command },
	{ "fence-order", "progress and signalled values arrive in order, after the work",
	  case_fence_order },
	{ "wait-any-all", "WAIT_ANY vs wait-all with eventfds and blocking", case_wait_any_all },
	{ "timeouts", "eventfd + poll timeouts, timed waits on a held queue", case_timeouts },
	{ "many-waiters", "threads and eventfds all woken by one signal", case_many_waiters },
	{ "queue-fence-waits", "eventfd waits on queue fences end when their queue goes",
	  case_queue_fence_waits },
	{ "signal-interrupt", "a blocking wait and signals, with and without SA_RESTART",
	  case_signal_interrupt },
	{ "gpu-waits", "queue waits on contexts and hardware queues", case_gpu_waits },
	{ "mutex-semaphore", "mutex, semaphore and fence objects between queues",
	  case_mutex_semaphore },
	{ "multi-process", "several processes submit at once", case_multi_process },
	{ "fault-unmapped", "unmapped VAs: DMAPAGEFAULT with the address", case_fault_unmapped },
	{ "fault-read-only", "a write through a read-only mapping", case_fault_read_only },
	{ "malformed", "malformed and truncated command buffers", case_malformed },
	{ "bad-dispatch", "invalid program use and absurd group counts", case_bad_dispatch },
	{ "foreign-program", "another process's allocation as a program", case_foreign_program },
	{ "kill-mid-submission", "SIGKILL with work queued and running leaves nothing",
	  case_kill_mid_submission },
	{ "escape-stats", "ESCAPE CONTEXT_STATS", case_escape_stats },
	{ "mark-device-error", "MARKDEVICEASERROR breaks only that device",
	  case_mark_device_error },
	{ "clock-calibration", "QUERYCLOCKCALIBRATION sanity", case_clock_calibration },
	{ "priorities", "context priorities round trip and range", case_priorities },
	{ "evict-restore", "a buffer a dispatch filled survives EVICT + MAKERESIDENT",
	  case_evict_restore },
	{ "sync-errors", "argument errors of the sync and queue ioctls", case_sync_errors },
	{ "runtime-api", "libdxgc's own argument checks", case_runtime_api },
};
#define CASE_COUNT (sizeof(cases) / sizeof(cases[0]))

static bool selected(int argc, char **argv, const char *name)
{
	if (argc <= 1)
		return true;
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return true;
	return false;
}

int main(int argc, char **argv)
{
	unsigned int case_failed[CASE_COUNT], case_passed[CASE_COUNT];
	struct opendxg_vm_stats start, end;
	struct ctx c;
	int ret;

	if (argc == 2 && strcmp(argv[1], "--list") == 0) {
		for (size_t i = 0; i < CASE_COUNT; i++)
			printf("%-22s %s\n", cases[i].name, cases[i].what);
		return 0;
	}
	for (int i = 1; i < argc; i++) {
		bool known = false;

		for (size_t k = 0; k < CASE_COUNT; k++)
			known |= strcmp(argv[i], cases[k].name) == 0;
		if (!known) {
			fprintf(stderr, "dxgtest-exec: no case '%s' (--list)\n", argv[i]);
			return 2;
		}
	}

	tap_begin("dxgtest-exec", 600);
	memset(&c, 0, sizeof(c));
	d3dkmt_close(dxgtest_open_or_skip());
	ret = dxgc_device_open(&c.dev);
	if (ret == -ENOENT)
		tap_skip_all("no adapter: is the opendxg device attached, dxgd running?");
	if (!tap_ret0(ret, "open the test device (device, context, hardware queue, paging queue)"))
		return tap_end();
	dxgc_device_handles(c.dev, &c.h);
	tap_diag("adapter \"%s\", max groups %u x %u x %u, max binding %u bytes, timestamps %u "
		 "bits", dxgc_device_info(c.dev)->name,
		 dxgc_device_info(c.dev)->caps.max_workgroup_count[0],
		 dxgc_device_info(c.dev)->caps.max_workgroup_count[1],
		 dxgc_device_info(c.dev)->caps.max_workgroup_count[2],
		 dxgc_device_info(c.dev)->caps.max_binding_size,
		 dxgc_device_info(c.dev)->caps.timestamp_valid_bits);
	if (!tap_ret0(dxgc_program_create(c.dev, exec_add_comp_spv, sizeof(exec_add_comp_spv),
					  &c.add), "the add program") ||
	    !tap_ret0(dxgc_program_create(c.dev, exec_spin_comp_spv, sizeof(exec_spin_comp_spv),
					  &c.spin), "the spin program"))
		return tap_end();
	/* Warm up the runtime's lazily made objects so they are part of the baseline. */
	if (!tap_ret0(compute(c.dev, c.add, 1), "a first computation"))
		return tap_end();
	if (!tap_ret0(d3dkmt_query_vm_stats(c.h.fd, c.h.adapter, &c.baseline), "baseline counters"))
		return tap_end();
	dxgtest_diag_stats("baseline", &c.baseline);

	for (size_t i = 0; i < CASE_COUNT; i++) {
		case_passed[i] = case_failed[i] = 0;
		if (!selected(argc, argv, cases[i].name))
			continue;
		tap_diag("---- case %s: %s", cases[i].name, cases[i].what);
		tally.passed = tally.failed = 0;
		if (tap_ret0(d3dkmt_query_vm_stats(c.h.fd, c.h.adapter, &start),
			     "%s: counters at the start", cases[i].name)) {
			cases[i].run(&c);
			ret = exec_wait_stats(c.h.fd, c.h.adapter, &start, &end, RELEASE_WAIT_MS);
			if (!tap_ret0(ret, "%s: every host object and byte the case made is gone",
				      cases[i].name)) {
				exec_diag_stats("case start", &start);
				exec_diag_stats("case end", &end);
			}
		}
		case_passed[i] = tally.passed;
		case_failed[i] = tally.failed;
	}

	ret = exec_wait_stats(c.h.fd, c.h.adapter, &c.baseline, &end, RELEASE_WAIT_MS);
	if (!tap_ret0(ret, "the VM's object and memory counters are back at the baseline")) {
		exec_diag_stats("baseline", &c.baseline);
		exec_diag_stats("end", &end);
	}
	tap_diag("---- summary");
	for (size_t i = 0; i < CASE_COUNT; i++)
		if (selected(argc, argv, cases[i].name))
			tap_diag("%-22s %3u passed, %3u failed%s", cases[i].name, case_passed[i],
				 case_failed[i], case_failed[i] ? "  <--" : "");
	dxgc_device_close(c.dev);
	return tap_end();
}
