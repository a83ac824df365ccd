// SPDX-License-Identifier: MIT
/*
 * dxgtest-stress: concurrency stress of opendxg.ko inside a guest, against a real dxgd.
 *
 *   dxgtest-stress [--seconds N] [--threads N] [--restart]
 *
 * For N seconds (default 20), at once:
 * - N worker threads (default 4) run random sequences on /dev/dxg: open/close their own
 *   descriptors, enumerate and close adapters, open adapters by LUID, create and destroy devices
 *   and contexts (sometimes leaving the contexts to the device's destruction), close an adapter
 *   handle that still has a device, and a few calls that must fail with a known errno;
 * - "close races": a thread closes a descriptor while another thread is inside ioctls on it;
 * - a forker process (single-threaded, so fork() is safe) forks children that use an inherited
 *   descriptor (-ENOTTY), then open their own, create objects and start threads, and end by exit
 *   while threads are inside ioctls, by SIGKILL from the forker, or by closing their only
 *   descriptor in one thread while another thread is inside ioctls on it.
 *
 * Every result is checked against the errno that call must give. At the end everything was
 * closed and the host's counters for this VM (OPENDXG_QAI_VM_STATS) must be back where they were
 * at the start: every release really reached the host. The guest kernel log must not show the
 * driver complaining about the host (corrupt ring, malformed reply, no reply).
 *
 * --restart: dxgd's worker is killed while this runs (vm-run --host-during does that). ENODEV
 * (the worker went away) and EINVAL (a handle value of the dead worker) are then expected too;
 * the channel must come back (enumeration and a device/context cycle work again) and the kernel
 * log must not call the restart a corrupt ring.
 *
 * Output: "ok N - ..." / "not ok N - ..." lines, "# ..." diagnostics, "dxgtest-stress: N passed,
 * N failed". Exit status 0 (all passed), 1 (a check failed), 77 (no /dev/dxg or no adapter).
 *
 * Build by hand: gcc -static -O2 -I include/uapi -pthread tests/vm/dxgtest-stress.c \
 *                tests/vm/guestsys.c
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <misc/d3dkmthk.h>
#include <misc/opendxg.h>

#include "guestsys.h"

#define MAX_ADAPTERS 64
#define MAX_THREADS 16
#define MAX_CONTEXTS 2
/* Unexpected results printed per thread or child before going quiet (all are counted). */
#define REPORT_LIMIT 5

static const char *program = "dxgtest-stress";

/* ---- settings and shared state ---- */

static unsigned int run_seconds = 20;
static unsigned int thread_count = 4;
static bool restart_mode;

static int base_fd = -1;		/* held by the main thread for the whole run */
static struct winluid luids[MAX_ADAPTERS];
static uint32_t luid_count;
static uint64_t deadline_ns;

/* Totals over all threads; reported by the main thread. */
static atomic_ulong total_calls;
static atomic_ulong enodev_seen;	/* --restart: results of a worker that went away */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static bool time_is_up(void)
{
	return now_ns() >= deadline_ns;
}

/* xorshift64*: each thread and child has its own state. */
static uint32_t rnd(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return (uint32_t)((x * 0x2545F4914F6CDD1Dull) >> 32);
}

static void tiny_pause(uint64_t *state)
{
	struct timespec ts = { 0, (long)(rnd(state) % 2000) * 1000 };

	nanosleep(&ts, NULL);
}

/* ---- raw calls: 0 or -errno ---- */

static int dxg(int fd, unsigned long request, void *arg)
{
	atomic_fetch_add_explicit(&total_calls, 1, memory_order_relaxed);
	return ioctl(fd, request, arg) < 0 ? -errno : 0;
}

/* Opens a handle to every adapter (compute-only included); returns the count or -errno. */
static int enum_adapters(int fd, struct d3dkmthandle *handles, struct winluid *out_luids)
{
	struct d3dkmt_adapterinfo info[MAX_ADAPTERS];
	struct d3dkmt_enumadapters3 args = {
		.filter = D3DKMT_ENUMADAPTERS_FILTER_COMPUTE_ONLY,
		.adapter_count = MAX_ADAPTERS,
		.adapters = (uintptr_t)info,
	};
	uint32_t i;
	int ret;

	memset(info, 0, sizeof(info));
	ret = dxg(fd, LX_DXENUMADAPTERS3, &args);
	if (ret)
		return ret;
	for (i = 0; i < args.adapter_count; i++) {
		handles[i] = info[i].adapter_handle;
		if (out_luids)
			out_luids[i] = info[i].adapter_luid;
	}
	return (int)args.adapter_count;
}

static int close_adapter(int fd, struct d3dkmthandle h)
{
	struct d3dkmt_closeadapter args = { .adapter_handle = h };

	return dxg(fd, LX_DXCLOSEADAPTER, &args);
}

static int open_adapter(int fd, struct winluid luid, struct d3dkmthandle *h)
{
	struct d3dkmt_openadapterfromluid args = { .adapter_luid = luid };
	int ret = dxg(fd, LX_DXOPENADAPTERFROMLUID, &args);

	if (!ret)
		*h = args.adapter_handle;
	return ret;
}

static int query_adapter_type(int fd, struct d3dkmthandle adapter)
{
	uint32_t type = 0;
	struct d3dkmt_queryadapterinfo args = {
		.adapter = adapter,
		.type = KMTQAITYPE_ADAPTERTYPE,
		.private_data = (uintptr_t)&type,
		.private_data_size = sizeof(type),
	};
	int ret = dxg(fd, LX_DXQUERYADAPTERINFO, &args);

	/* The driver asserts ComputeOnly and Paravirtualized on every adapter. */
	if (!ret && (type & 0x880) != 0x880)
		return -EBADMSG;
	return ret;
}

static int query_stats(int fd, struct d3dkmthandle adapter, struct opendxg_vm_stats *s)
{
	struct d3dkmt_queryadapterinfo args = {
		.adapter = adapter,
		.type = OPENDXG_QAI_VM_STATS,
		.private_data = (uintptr_t)s,
		.private_data_size = sizeof(*s),
	};

	memset(s, 0, sizeof(*s));
	return dxg(fd, LX_DXQUERYADAPTERINFO, &args);
}

static int create_device(int fd, struct d3dkmthandle adapter, struct d3dkmthandle *dev)
{
	struct d3dkmt_createdevice args = { .adapter = adapter };
	int ret = dxg(fd, LX_DXCREATEDEVICE, &args);

	if (!ret)
		*dev = args.device;
	return ret;
}

static int destroy_device(int fd, struct d3dkmthandle dev)
{
	struct d3dkmt_destroydevice args = { .device = dev };

	return dxg(fd, LX_DXDESTROYDEVICE, &args);
}

static int create_context(int fd, struct d3dkmthandle dev, struct d3dkmthandle *ctx)
{
	struct d3dkmt_createcontextvirtual args = {
		.device = dev,
		.client_hint = D3DKMT_CLIENTHINT_VULKAN,
	};
	int ret = dxg(fd, LX_DXCREATECONTEXTVIRTUAL, &args);

	if (!ret)
		*ctx = args.context;
	return ret;
}

static int destroy_context(int fd, struct d3dkmthandle ctx)
{
	struct d3dkmt_destroycontext args = { .context = ctx };

	return dxg(fd, LX_DXDESTROYCONTEXT, &args);
}

/* ---- result checking ---- */

/* Where unexpected results go: a worker thread's tally, or a child's. */
struct tally {
	const char *who;
	unsigned long ops;
	atomic_ulong unexpected;	/* a child's threads share one */
};

/*
 * Records one result. Without --restart only `want` is accepted; with it a vanished worker
 * (ENODEV) and a handle value of the dead worker (EINVAL) are accepted as well.
 */
static bool expect(struct tally *t, int ret, int want, const char *what)
{
	if (ret == want)
		return true;
	if (restart_mode && (ret == -ENODEV || ret == -EINVAL)) {
		if (ret == -ENODEV)
			atomic_fetch_add_explicit(&enodev_seen, 1, memory_order_relaxed);
		return false;
	}
	if (atomic_fetch_add(&t->unexpected, 1) < REPORT_LIMIT) {
		/* write(2): also used by forked children, where stdio is best left alone. */
		char line[160];
		int n = snprintf(line, sizeof(line), "# %s: %s returned %s, expected %s\n", t->who,
				 what, errno_name(-ret), errno_name(-want));

		if (n > 0 && write(STDOUT_FILENO, line, (size_t)n) < 0)
			return false;
	}
	return false;
}

/* ---- the worker threads' operations ---- */

struct worker {
	pthread_t thread;
	unsigned int index;
	uint64_t rng;
	char name[24];
	struct tally tally;
};

static struct winluid pick_luid(uint64_t *rng)
{
	return luids[rnd(rng) % luid_count];
}

/* Enumerate (on the shared or an own descriptor) and close every handle again. */
static void op_enum_close(struct worker *w, int fd)
{
	struct d3dkmthandle handles[MAX_ADAPTERS];
	int n, i;

	n = enum_adapters(fd, handles, NULL);
	if (n < 0) {
		expect(&w->tally, n, 0, "EnumAdapters3");
		return;
	}
	/* With --restart, no adapters while the channel is down is the no-device answer. */
	if (!(restart_mode && n == 0) &&
	    !expect(&w->tally, n == (int)luid_count ? 0 : -EBADMSG, 0, "EnumAdapters3 count"))
		return;
	for (i = 0; i < n; i++) {
		if (rnd(&w->rng) % 4 == 0)
			expect(&w->tally, query_adapter_type(fd, handles[i]), 0, "QAI ADAPTERTYPE");
		expect(&w->tally, close_adapter(fd, handles[i]), 0, "CloseAdapter");
	}
}

/*
 * A device with contexts on an adapter opened by LUID. Sometimes the contexts are left to the
 * device's destruction, sometimes the adapter handle is closed while the device lives (the
 * process holds other references through base_fd, so the host keeps the device).
 */
static void op_device_cycle(struct worker *w, int fd)
{
	struct d3dkmthandle adapter = { 0 }, dev = { 0 }, ctx[MAX_CONTEXTS] = { 0 };
	unsigned int nctx = rnd(&w->rng) % (MAX_CONTEXTS + 1), i, made = 0;
	bool close_adapter_first = rnd(&w->rng) % 4 == 0;
	bool keep_contexts = rnd(&w->rng) % 3 == 0;
	int ret;

	ret = open_adapter(fd, pick_luid(&w->rng), &adapter);
	if (!expect(&w->tally, ret, 0, "OpenAdapterFromLuid"))
		return;
	ret = create_device(fd, adapter, &dev);
	if (!expect(&w->tally, ret, 0, "CreateDevice")) {
		expect(&w->tally, close_adapter(fd, adapter), 0, "CloseAdapter");
		return;
	}
	for (i = 0; i < nctx; i++) {
		ret = create_context(fd, dev, &ctx[made]);
		if (expect(&w->tally, ret, 0, "CreateContextVirtual"))
			made++;
	}
	if (close_adapter_first)
		expect(&w->tally, close_adapter(fd, adapter), 0, "CloseAdapter (device alive)");
	if (!keep_contexts)
		for (i = 0; i < made; i++)
			expect(&w->tally, destroy_context(fd, ctx[i]), 0, "DestroyContext");
	expect(&w->tally, destroy_device(fd, dev), 0, "DestroyDevice");
	if (!keep_contexts && made)
		expect(&w->tally, destroy_context(fd, ctx[0]), -EINVAL, "DestroyContext (destroyed)");
	if (keep_contexts && made)
		expect(&w->tally, destroy_context(fd, ctx[0]), -EINVAL,
		       "DestroyContext (gone with its device)");
	if (!close_adapter_first)
		expect(&w->tally, close_adapter(fd, adapter), 0, "CloseAdapter");
}

/* Calls with one well-defined result (CLOSEADAPTER of handle 0 is a successful no-op, as in WSL). */
static void op_probes(struct worker *w, int fd)
{
	struct d3dkmthandle zero = { 0 };
	struct d3dkmt_destroydevice dd = { .device = zero };
	int ret;

	ret = query_adapter_type(fd, zero);
	expect(&w->tally, ret, -EINVAL, "QAI on adapter 0");
	expect(&w->tally, close_adapter(fd, zero), 0, "CloseAdapter 0");
	expect(&w->tally, dxg(fd, LX_DXDESTROYDEVICE, &dd), -EINVAL, "DestroyDevice 0");
	/* 0x03 is an empty slot. */
	expect(&w->tally, dxg(fd, _IOWR(LX_DXG_IOCTL_TYPE, 0x03, struct d3dkmt_createcontext),
			      &dd), -ENOTTY, "empty slot 0x03");
}

/* A descriptor of our own: open, use, close (objects made through it are the process's). */
static void op_fd_churn(struct worker *w)
{
	int fd = open("/dev/dxg", O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		expect(&w->tally, -errno, 0, "open /dev/dxg");
		return;
	}
	switch (rnd(&w->rng) % 3) {
	case 0:
		op_enum_close(w, fd);
		break;
	case 1:
		op_device_cycle(w, fd);
		break;
	default:
		break;
	}
	if (close(fd))
		expect(&w->tally, -errno, 0, "close /dev/dxg");
}

/* ---- close races: one thread closes a descriptor while another is inside ioctls on it ---- */

struct close_race {
	int fd;
	struct d3dkmthandle adapter;
	atomic_bool started;
	struct tally tally;
};

/*
 * Queries until the descriptor is gone. Before the close every call succeeds; after it the
 * number is closed (EBADF) or names another /dev/dxg file of this process (success again:
 * the handles are the process's, not the file's). Nothing else is acceptable.
 */
static void *close_race_user(void *arg)
{
	struct close_race *r = arg;
	unsigned int i;
	int ret;

	atomic_store(&r->started, true);
	for (i = 0; i < 100000; i++) {
		ret = query_adapter_type(r->fd, r->adapter);
		if (ret == -EBADF || !expect(&r->tally, ret, 0, "QAI during close"))
			break;
	}
	return NULL;
}

static void op_close_race(struct worker *w)
{
	struct close_race r = { .tally = { .who = w->name } };
	pthread_t user;
	int fd, ret;

	fd = open("/dev/dxg", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		expect(&w->tally, -errno, 0, "open /dev/dxg");
		return;
	}
	ret = open_adapter(fd, pick_luid(&w->rng), &r.adapter);
	if (!expect(&w->tally, ret, 0, "OpenAdapterFromLuid")) {
		close(fd);
		return;
	}
	r.fd = fd;
	if (pthread_create(&user, NULL, close_race_user, &r)) {
		expect(&w->tally, -EAGAIN, 0, "pthread_create");
		close(fd);
		return;
	}
	while (!atomic_load(&r.started))
		sched_yield();
	tiny_pause(&w->rng);
	if (close(fd))
		expect(&w->tally, -errno, 0, "close during ioctls");
	pthread_join(user, NULL);
	w->tally.unexpected += atomic_load(&r.tally.unexpected);
	/* The adapter handle belongs to the process: close it through the descriptor that stays. */
	expect(&w->tally, close_adapter(base_fd, r.adapter), 0, "CloseAdapter after the race");
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	while (!time_is_up()) {
		switch (rnd(&w->rng) % 10) {
		case 0:
		case 1:
			op_enum_close(w, base_fd);
			break;
		case 2:
		case 3:
		case 4:
			op_device_cycle(w, base_fd);
			break;
		case 5:
			op_probes(w, base_fd);
			break;
		case 6:
		case 7:
			op_fd_churn(w);
			break;
		default:
			op_close_race(w);
			break;
		}
		w->tally.ops++;
	}
	return NULL;
}

/* ---- the forker and its children ---- */

enum child_end {
	CHILD_EXIT,		/* exit() while its threads are inside ioctls */
	CHILD_KILLED,		/* SIGKILL from the forker */
	CHILD_CLOSE_LAST,	/* closes its only descriptor while a thread is inside ioctls */
	CHILD_ENDS,
};

struct child_loop {
	int fd;
	struct d3dkmthandle adapter;
	struct tally *tally;
	uint64_t rng;
	atomic_bool started;
};

/*
 * A child's busy thread: devices, contexts and queries until its descriptor is closed (EBADF)
 * or the process ends. A call in flight when the last descriptor is closed still completes
 * normally: the file, and with it the process's state, lives until the call returns.
 */
static void *child_busy(void *arg)
{
	struct child_loop *c = arg;
	struct d3dkmthandle dev = { 0 }, ctx = { 0 };
	uint64_t rng = c->rng ^ (uintptr_t)&dev;	/* each thread its own */
	int ret;

	atomic_store(&c->started, true);
	for (;;) {
		ret = create_device(c->fd, c->adapter, &dev);
		if (ret == -EBADF || !expect(c->tally, ret, 0, "child CreateDevice"))
			break;
		ret = create_context(c->fd, dev, &ctx);
		if (ret == -EBADF || !expect(c->tally, ret, 0, "child CreateContextVirtual"))
			break;
		if (rnd(&rng) % 2) {
			ret = destroy_device(c->fd, dev);
			if (ret == -EBADF || !expect(c->tally, ret, 0, "child DestroyDevice"))
				break;
		}
	}
	return NULL;
}

/*
 * One child. Returns its exit status: 0, or 1 when a result was unexpected (reported on
 * stdout with write(2)).
 */
static int child_run(int inherited_fd, enum child_end end, uint64_t seed)
{
	struct tally tally = { .who = "child" };
	struct child_loop loop = { .tally = &tally, .rng = seed };
	struct d3dkmthandle handles[MAX_ADAPTERS], dev = { 0 }, ctx = { 0 };
	pthread_t threads[2];
	unsigned int nthreads = 0, i;
	int fd, n, ret;

	/* WSL: a descriptor inherited across fork() is not the child's. */
	n = enum_adapters(inherited_fd, handles, NULL);
	expect(&tally, n, -ENOTTY, "inherited descriptor");

	fd = open("/dev/dxg", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		expect(&tally, -errno, 0, "child open");
		return 1;
	}
	n = enum_adapters(fd, handles, NULL);
	if (n <= 0) {
		/* With --restart the channel may be down (no adapters, or ENODEV). */
		if (restart_mode && n == 0)
			return 0;
		if (n == 0)
			n = -EBADMSG;
		expect(&tally, n, 0, "child EnumAdapters3");
		return tally.unexpected ? 1 : 0;
	}
	/* Objects the host must free when the process goes. */
	ret = create_device(fd, handles[0], &dev);
	if (expect(&tally, ret, 0, "child CreateDevice"))
		expect(&tally, create_context(fd, dev, &ctx), 0, "child CreateContextVirtual");

	loop.fd = fd;
	loop.adapter = handles[0];
	for (i = 0; i < 2; i++) {
		if (pthread_create(&threads[i], NULL, child_busy, &loop) == 0)
			nthreads++;
	}
	while (nthreads && !atomic_load(&loop.started))
		sched_yield();

	switch (end) {
	case CHILD_CLOSE_LAST:
		tiny_pause(&loop.rng);
		if (close(fd))
			expect(&tally, -errno, 0, "child close of its last descriptor");
		for (i = 0; i < nthreads; i++)
			pthread_join(threads[i], NULL);
		break;
	case CHILD_KILLED:
		/* The forker kills us; keep the threads busy until then. */
		for (;;)
			pause();
	default:
		tiny_pause(&loop.rng);
		break;
	}
	return tally.unexpected ? 1 : 0;
}

/* The forker's own process: single-threaded, so fork() is safe. Returns failures. */
static int forker_run(uint64_t seed)
{
	unsigned long children = 0, killed = 0, failures = 0;
	uint64_t rng = seed;
	int fd, status;
	char line[160];
	pid_t pid;

	/* The descriptor the children inherit. */
	fd = open("/dev/dxg", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return 1;
	while (!time_is_up()) {
		enum child_end end = rnd(&rng) % CHILD_ENDS;
		uint64_t child_seed = rng ^ (children + 1) * 0x9E3779B97F4A7C15ull;

		pid = fork();
		if (pid < 0)
			return (int)failures + 1;
		if (pid == 0) {
			int ret = child_run(fd, end, child_seed);

			/* exit(), not _exit(): the threads may be inside ioctls. */
			exit(ret);
		}
		children++;
		if (end == CHILD_KILLED) {
			struct timespec ts = { 0, (long)(rnd(&rng) % 50 + 1) * 1000000 };

			nanosleep(&ts, NULL);
			kill(pid, SIGKILL);
		}
		if (waitpid(pid, &status, 0) != pid) {
			failures++;
			continue;
		}
		if (end == CHILD_KILLED && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) {
			killed++;
			continue;
		}
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			failures++;
			snprintf(line, sizeof(line), "# child %d (end %d) ended with status %#x\n",
				 (int)pid, (int)end, status);
			fputs(line, stdout);
			fflush(stdout);
		}
	}
	close(fd);
	printf("# forker: %lu children (%lu killed), %lu failed\n", children, killed, failures);
	fflush(stdout);
	return failures > 250 ? 250 : (int)failures;
}

/* ---- the end: counters and the kernel log ---- */

static bool stats_equal(const struct opendxg_vm_stats *a, const struct opendxg_vm_stats *b)
{
	return a->processes == b->processes && a->open_adapters == b->open_adapters &&
	       a->devices == b->devices && a->contexts == b->contexts && a->handles == b->handles;
}

static void diag_stats(const char *label, const struct opendxg_vm_stats *s)
{
	tap_diag("%s: generation %u, processes %u, open adapters %u, devices %u, contexts %u, "
	     "handles %u", label, s->generation, s->processes, s->open_adapters, s->devices,
	     s->contexts, s->handles);
}

/*
 * Every release this program caused has happened by the time close()/waitpid() returned, but a
 * child killed a moment ago may still be tearing down; poll (bounded) rather than assume.
 */
static bool wait_stats(struct d3dkmthandle adapter, const struct opendxg_vm_stats *want,
		       struct opendxg_vm_stats *got)
{
	unsigned int i;

	for (i = 0; i < 300; i++) {
		if (query_stats(base_fd, adapter, got) == 0 && stats_equal(got, want))
			return true;
		usleep(100000);
	}
	return false;
}

/* Lines of the kernel log in which the driver complains about the host. */
static unsigned int driver_complaints(void)
{
	static const char *const bad[] = {
		"corrupt", "malformed", "dropping a", "no reply to", "bad CONNECT",
	};

	return guest_klog_count(NULL, bad, sizeof(bad) / sizeof(bad[0]));
}

/* --restart: the channel is back: enumeration and a device/context cycle work. */
static bool channel_recovered(void)
{
	struct d3dkmthandle handles[MAX_ADAPTERS], dev = { 0 }, ctx = { 0 };
	unsigned int i;
	int n, ret = -ENODEV;

	for (i = 0; i < 300 && ret; i++) {
		n = enum_adapters(base_fd, handles, NULL);
		if (n > 0) {
			ret = create_device(base_fd, handles[0], &dev);
			if (!ret) {
				ret = create_context(base_fd, dev, &ctx);
				if (!ret)
					ret = destroy_device(base_fd, dev);
			}
			for (int j = 0; j < n; j++)
				close_adapter(base_fd, handles[j]);
		} else {
			ret = n ? n : -ENODEV;
		}
		if (ret)
			usleep(100000);
	}
	if (ret)
		tap_diag("last attempt: %s", errno_name(-ret));
	return ret == 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: %s [--seconds N] [--threads N] [--restart]\n", program);
	exit(2);
}

static void parse_args(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
			run_seconds = (unsigned int)strtoul(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--threads") && i + 1 < argc)
			thread_count = (unsigned int)strtoul(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--restart"))
			restart_mode = true;
		else
			usage();
	}
	if (!run_seconds || !thread_count || thread_count > MAX_THREADS)
		usage();
}

int main(int argc, char **argv)
{
	static struct worker workers[MAX_THREADS];
	struct d3dkmthandle base_handles[MAX_ADAPTERS];
	struct opendxg_vm_stats before, after;
	unsigned long ops = 0, unexpected = 0;
	uint64_t seed = now_ns() ^ ((uint64_t)getpid() << 32);
	pid_t forker;
	unsigned int i;
	int n, status;

	parse_args(argc, argv);
	/* A hang must fail, not block the VM until vm-run's timeout. */
	tap_start(program, run_seconds + 120);
	printf("# %s: %u s, %u threads%s, seed %#llx\n", program, run_seconds, thread_count,
	       restart_mode ? ", worker restarts expected" : "", (unsigned long long)seed);

	base_fd = open("/dev/dxg", O_RDWR | O_CLOEXEC);
	if (base_fd < 0)
		tap_skip_all("no /dev/dxg: %s", strerror(errno));
	n = enum_adapters(base_fd, base_handles, luids);
	if (n <= 0)
		tap_skip_all("no adapter: %s", n ? errno_name(-n) : "none");
	luid_count = (uint32_t)n;
	if (!tap_ok(query_stats(base_fd, base_handles[0], &before) == 0, "VM stats before"))
		goto out;
	diag_stats("before", &before);

	deadline_ns = now_ns() + (uint64_t)run_seconds * 1000000000ull;

	/* Fork the forker before any thread exists. */
	forker = fork();
	if (forker == 0)
		_exit(forker_run(seed ^ 0xf0f0f0f0f0f0f0f0ull));
	tap_ok(forker > 0, "start the forker process");

	for (i = 0; i < thread_count; i++) {
		struct worker *w = &workers[i];

		w->index = i;
		w->rng = seed + (i + 1) * 0x9E3779B97F4A7C15ull;
		snprintf(w->name, sizeof(w->name), "thread %u", i);
		w->tally.who = w->name;
		if (pthread_create(&w->thread, NULL, worker_main, w)) {
			tap_ok(false, "start worker thread %u", i);
			thread_count = i;
			break;
		}
	}
	for (i = 0; i < thread_count; i++) {
		pthread_join(workers[i].thread, NULL);
		ops += workers[i].tally.ops;
		unexpected += workers[i].tally.unexpected;
	}
	tap_diag("%u threads: %lu operations, %lu ioctls", thread_count, ops,
	     atomic_load(&total_calls));
	tap_ok(unexpected == 0, "worker threads: no unexpected result (%lu)", unexpected);

	if (forker > 0) {
		tap_ok(waitpid(forker, &status, 0) == forker && WIFEXITED(status) &&
		      WEXITSTATUS(status) == 0,
		      "forked children (inherited descriptor, exit, SIGKILL, last close): all as "
		      "expected");
	}

	if (restart_mode) {
		tap_diag("ENODEV results seen: %lu", atomic_load(&enodev_seen));
		tap_ok(channel_recovered(), "the channel works after the worker restarts");
		/* Handles of the dead worker are only forgotten; enumerate afresh. */
		for (i = 0; i < luid_count; i++)
			close_adapter(base_fd, base_handles[i]);
		n = enum_adapters(base_fd, base_handles, NULL);
		if (!tap_ok(n == (int)luid_count, "enumerate again after the restarts"))
			goto out;
	}

	if (!tap_ok(wait_stats(base_handles[0], &before, &after),
		   "host counters back to the start (processes, adapters, devices, contexts, "
		   "handles)"))
		diag_stats("before", &before);
	diag_stats("after", &after);
	tap_ok(driver_complaints() == 0, "kernel log: no driver complaint about the host");

	for (i = 0; i < luid_count; i++)
		tap_ok(close_adapter(base_fd, base_handles[i]) == 0, "close adapter %u", i);
out:
	close(base_fd);
	return tap_end();
}
