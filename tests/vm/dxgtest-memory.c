// SPDX-License-Identifier: MIT
/*
 * dxgtest-memory: guest memory through the WSL ABI (issue 3), one table of cases.
 *
 * Every case creates what it needs and destroys it again, and the host's memory counters
 * (OPENDXG_QAI_VM_STATS) and this process's usage (QUERYVIDEOMEMORYINFO) must be back where the
 * case started: a case that leaks fails even when its own checks passed. At the end, with the
 * test's device and paging queue gone, every counter must equal the baseline taken at the start.
 *
 * Usage: dxgtest-memory [--list] [CASE...]   (no CASE: all of them, in table order)
 *        dxgtest-memory --restart             (with a host that kills the worker, see README)
 *
 * The 64 MiB host-visible allocation needs a shared region larger than dxgd's default 64 MiB:
 * run it with `scripts/vm-run --region-size 128M`.
 */
#include "dxgmem.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bufref_comp_spv.h"
#include "memtest_comp_spv.h"
#include "notcompute_frag_spv.h"

#define FENCE_TIMEOUT_MS 10000u
#define RELEASE_WAIT_MS 2000u
#define LARGEST_HOST_VISIBLE (64ull * DXGMEM_MIB)

/* Handle values no process holds: index bits set, instance bits zero, as real handles are. */
#define GARBAGE_HANDLE ((struct d3dkmthandle){ 0x3fffffc0u })

struct bad_memory {
	char *page;		/* a mapped, writable page */
	/*
	 * A PROT_NONE page: no access, like an unmapped one, but it stays reserved, so none of the
	 * many mappings this test makes later (LOCK2, malloc) can land there and make it readable.
	 */
	void *noaccess;
};

struct ctx {
	int fd;
	struct d3dkmt_adapterinfo *adapters;
	uint32_t adapter_count;
	struct d3dkmthandle adapter;
	struct d3dkmthandle device;
	struct d3dkmthandle context;
	struct d3dkmt_paging_queue queue;
	struct bad_memory bad;
};

struct test_case {
	const char *name;
	const char *what;
	void (*run)(struct ctx *c);
};

static const struct d3dkmthandle no_handle = { 0 };

/*
 * Per-case tallies for the summary: every check of this file goes through these macros, which
 * count the result and pass it on (a macro does not expand inside its own expansion, so the
 * names inside call the guestsys functions).
 */
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

/* ---- small helpers ---- */

static int create_kind(struct ctx *c, uint32_t kind, uint64_t size, struct d3dkmthandle *out)
{
	return d3dkmt_create_allocation(c->fd, c->device, kind, size, out);
}

static int create_kind_on(int fd, struct d3dkmthandle device, uint64_t size,
			  struct d3dkmthandle *out)
{
	return d3dkmt_create_allocation(fd, device, OPENDXG_ALLOC_KIND_HOST_VISIBLE, size, out);
}

static void destroy_quietly(struct ctx *c, struct d3dkmthandle allocation)
{
	if (allocation.v)
		d3dkmt_destroy_allocation(c->fd, c->device, allocation);
}

static uint32_t residency_of(struct ctx *c, struct d3dkmthandle allocation)
{
	uint32_t status = 0;
	int ret = d3dkmt_query_allocation_residency(c->fd, c->device, no_handle, &allocation, 1,
						    &status);

	return ret < 0 ? 0 : status;
}

static const char *residency_name(uint32_t status)
{
	switch (status) {
	case D3DKMT_ALLOCATIONRESIDENCYSTATUS_RESIDENTINGPUMEMORY:
		return "RESIDENTINGPUMEMORY";
	case D3DKMT_ALLOCATIONRESIDENCYSTATUS_RESIDENTINSHAREDMEMORY:
		return "RESIDENTINSHAREDMEMORY";
	case D3DKMT_ALLOCATIONRESIDENCYSTATUS_NOTRESIDENT:
		return "NOTRESIDENT";
	default:
		return "?";
	}
}

static bool check_residency(struct ctx *c, struct d3dkmthandle allocation, uint32_t want,
			    const char *what)
{
	uint32_t got = residency_of(c, allocation);

	return tap_ok(got == want, "%s: residency %s (got %s)", what, residency_name(want),
		      residency_name(got));
}

static bool check_faults(const volatile void *addr, bool write, const char *what)
{
	int sig = dxgmem_probe(addr, write);

	return tap_ok(sig == SIGSEGV || sig == SIGBUS, "%s (got %s)", what,
		      sig == 0 ? "no fault" : strsignal(sig));
}

static bool check_accessible(const volatile void *addr, bool write, const char *what)
{
	int sig = dxgmem_probe(addr, write);

	return tap_ok(sig == 0, "%s (got %s)", what, sig == 0 ? "no fault" : strsignal(sig));
}

/*
 * Waits for the queue's fence to reach @value after a call that returned @ret: 0 means the
 * operation completed within the call, DXG_STATUS_PENDING that it completes later. Either way
 * the fence must get there.
 */
static bool wait_fence(struct ctx *c, int ret, uint64_t value, const char *what)
{
	int wait = d3dkmt_wait_paging_fence(c->queue.fence, value, FENCE_TIMEOUT_MS);
	const char *how = ret == DXG_STATUS_PENDING ? "STATUS_PENDING" :
			  ret == 0 ? "0" : errno_name(-ret);

	return tap_ok((ret == 0 || ret == DXG_STATUS_PENDING) && wait == 0,
		      "%s: returned %s, paging fence reached %llu (now %llu)", what, how,
		      (unsigned long long)value, (unsigned long long)*c->queue.fence);
}

static int raw_create(struct ctx *c, const void *priv, uint32_t priv_size, uint32_t flags,
		      struct d3dkmthandle *out)
{
	struct d3dddi_allocationinfo2 info;
	struct d3dkmt_createallocation args;
	int ret;

	memset(&info, 0, sizeof(info));
	info.priv_drv_data = (uintptr_t)priv;
	info.priv_drv_data_size = priv_size;
	memset(&args, 0, sizeof(args));
	args.device = c->device;
	args.alloc_count = 1;
	args.allocation_info = (uintptr_t)&info;
	args.flags = flags;
	ret = d3dkmt_create_allocation_args(c->fd, &args);
	*out = ret == 0 ? info.allocation : no_handle;
	return ret;
}

/* Expects @ret to be -@want_errno; an unexpected success is cleaned up so no count drifts. */
static void expect_create_errno(struct ctx *c, int ret, struct d3dkmthandle made, int want_errno,
				const char *what)
{
	tap_errno(ret, want_errno, "%s", what);
	if (ret == 0)
		destroy_quietly(c, made);
}

/* ---- cases ---- */

static void case_host_visible_sizes(struct ctx *c)
{
	static const uint64_t sizes[] = {
		4 * DXGMEM_KIB, 64 * DXGMEM_KIB + 1, DXGMEM_MIB, 16 * DXGMEM_MIB,
		LARGEST_HOST_VISIBLE,
	};

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint64_t size = sizes[i], charged = dxgmem_page_round(size), bad;
		struct dxgmem_snapshot before, during;
		struct d3dkmthandle a;
		void *p = NULL;
		int ret;

		if (dxgmem_snapshot(c->fd, c->adapter, &before) < 0)
			continue;
		if (size == LARGEST_HOST_VISIBLE &&
		    before.non_local.budget - before.non_local.current_usage < charged)
			tap_diag("the non-local budget is %llu bytes: a 64 MiB allocation needs a "
				 "larger region (scripts/vm-run --region-size 128M)",
				 (unsigned long long)before.non_local.budget);
		ret = create_kind(c, OPENDXG_ALLOC_KIND_HOST_VISIBLE, size, &a);
		if (!tap_ret0(ret, "host-visible %llu bytes: create", (unsigned long long)size))
			continue;
		if (tap_ret0(dxgmem_snapshot(c->fd, c->adapter, &during), "query counters")) {
			tap_ok(during.non_local.current_usage ==
				       before.non_local.current_usage + charged,
			       "%llu bytes: non-local usage grew by exactly %llu (got %lld)",
			       (unsigned long long)size, (unsigned long long)charged,
			       (long long)(during.non_local.current_usage -
					   before.non_local.current_usage));
			tap_ok(during.vm.host_visible_bytes ==
					       before.vm.host_visible_bytes + charged &&
				       during.vm.allocations == before.vm.allocations + 1,
			       "%llu bytes: VM counters: one more allocation, %llu more bytes",
			       (unsigned long long)size, (unsigned long long)charged);
			tap_ok(during.local.current_usage == before.local.current_usage,
			       "%llu bytes: local usage unchanged", (unsigned long long)size);
		}
		ret = d3dkmt_lock2(c->fd, c->device, a, &p);
		if (tap_ret0(ret, "%llu bytes: LOCK2", (unsigned long long)size)) {
			tap_ok(((uintptr_t)p & (DXGMEM_PAGE - 1)) == 0,
			       "LOCK2 address is page aligned");
			bad = dxgmem_first_nonzero(p, charged);
			tap_ok(bad == UINT64_MAX,
			       "%llu bytes: reads zero (all %llu mapped bytes)%s",
			       (unsigned long long)size, (unsigned long long)charged,
			       bad == UINT64_MAX ? "" : ", a non-zero byte found");
			dxgmem_fill(p, charged, size);
			bad = dxgmem_check(p, charged, size);
			tap_ok(bad == UINT64_MAX, "%llu bytes: pattern written and read back",
			       (unsigned long long)size);
			tap_ret0(d3dkmt_unlock2(c->fd, c->device, a), "%llu bytes: UNLOCK2",
				 (unsigned long long)size);
		}
		tap_ret0(d3dkmt_destroy_allocation(c->fd, c->device, a), "%llu bytes: destroy",
			 (unsigned long long)size);
	}
}

/* Pages handed out again must not carry the previous tenant's bytes. */
static void case_zeroed_on_reuse(struct ctx *c)
{
	const uint64_t size = 2 * DXGMEM_MIB;

	for (int round = 0; round < 3; round++) {
		struct d3dkmthandle a;
		void *p;
		uint64_t bad;

		if (!tap_ret0(create_kind(c, OPENDXG_ALLOC_KIND_HOST_VISIBLE, size, &a),
			      "round %d: create 2 MiB", round))
			return;
		if (tap_ret0(d3dkmt_lock2(c->fd, c->device, a, &p), "round %d: LOCK2", round)) {
			bad = dxgmem_first_nonzero(p, size);
			tap_ok(bad == UINT64_MAX, "round %d: the new allocation reads zero%s",
			       round,
			       bad == UINT64_MAX ? "" : " (the previous round's pattern?)");
			memset(p, 0xa5, size);
			d3dkmt_unlock2(c->fd, c->device, a);
		}
		tap_ret0(d3dkmt_destroy_allocation(c->fd, c->device, a), "round %d: destroy",
			 round);
	}
}

static void case_lock_counting(struct ctx *c)
{
	struct d3dkmthandle a;
	void *p1 = NULL, *p2 = NULL, *p3 = NULL;

	if (!tap_ret0(create_kind(c, OPENDXG_ALLOC_KIND_HOST_VISIBLE, 3 * DXGMEM_PAGE, &a),
		      "create 3 pages"))
		return;
	if (!tap_ret0(d3dkmt_lock2(c->fd, c->device, a, &p1), "first LOCK2"))
		goto out;
	tap_ret0(d3dkmt_lock2(c->fd, c->device, a, &p2), "second LOCK2");
	tap_ok(p1 == p2, "both locks return the same address (%p, %p)", p1, p2);
	dxgmem_fill(p1, 3 * DXGMEM_PAGE, 7);
	tap_ret0(d3dkmt_unlock2(c->fd, c->device, a), "first UNLOCK2");
	check_accessible(p1, true, "after one of two unlocks the mapping is still there");
	tap_ret0(d3dkmt_unlock2(c->fd, c->device, a), "second UNLOCK2");
	check_faults(p1, false, "after the last unlock reading the old address faults");
	check_faults((char *)p1 + 2 * DXGMEM_PAGE, false, "... so does its last page");
	tap_errno(d3dkmt_unlock2(c->fd, c->device, a), EINVAL, "a third UNLOCK2 -> EINVAL");
	if (tap_ret0(d3dkmt_lock2(c->fd, c->device, a, &p3), "LOCK2 again")) {
		tap_ok(dxgmem_check(p3, 3 * DXGMEM_PAGE, 7) == UINT64_MAX,
		       "the contents survived unlock and lock");
		tap_ret0(d3dkmt_unlock2(c->fd, c->device, a), "UNLOCK2");
	}
out:
	tap_ret0(d3dkmt_destroy_allocation(c->fd, c->device, a), "destroy");
}

static void case_destroy_unmaps(struct ctx *c)
{
	struct d3dkmthandle a, device2 = { 0 }, b = { 0 };
	void *p = NULL;

	if (tap_ret0(create_kind(c, OPENDXG_ALLOC_KIND_HOST_VISIBLE, DXGMEM_PAGE, &a), "create") &&
	    tap_ret0(d3dkmt_lock2(c->fd, c->device, a, &p), "LOCK2")) {
		memset(p, 1, DXGMEM_PAGE);
		tap_ret0(d3dkmt_destroy_allocation(c->fd, c->device, a), "destroy while locked");
		check_faults(p, false, "the destroyed allocation's mapping is gone");
		tap_errno(d3dkmt_lock2(c->fd, c->device, a, &p), EINVAL,
			  "LOCK2 of the destroyed allocation -> EINVAL");
		tap_errno(d3dkmt_unlock2(c->fd, c->device, a), EINVAL,
			  "UNLOCK2 of the destroyed allocation -> EINVAL");
	}

	/* Destroying the device takes its allocations and their CPU mappings with it. */
	if (!tap_ret0(d3dkmt_create_device(c->fd, c->adapter, 0, &device2), "a second device"))
		return;
	if (tap_ret0(d3dkmt_create_allocation(c->fd, device2, OPENDXG_ALLOC_KIND_HOST_VISIBLE,
					      DXGMEM_PAGE, &b),
		     "an allocation on it") &&
	    tap_ret0(d3dkmt_lock2(c->fd, device2, b, &p), "LOCK2 it")) {
		tap_ret0(d3dkmt_destroy_device(c->fd, device2), "destroy the device while locked");
		check_faults(p, false, "the mapping went with the device");
		tap_errno(d3dkmt_destroy_allocation(c->fd, device2, b), EINVAL,
			  "its allocation went too -> EINVAL");
	} else {
		d3dkmt_destroy_device(c->fd, device2);
	}
}

/* The process's own mmap calls meet LOCK2 mappings: what may and may not happen to them. */
static void case_user_mappings(struct ctx *c)
{
	const size_t size = 2 * DXGMEM_PAGE;
	struct d3dkmthandle a;
	void *p = NULL, *q = NULL, *anon;
	int ret;

	if (!tap_ret0(create_kind(c, OPENDXG_ALLOC_KIND_HOST_VISIBLE, size, &a), "create 2 pages"))
		return;
	if (!tap_ret0(d3dkmt_lock2(c->fd, c->device, a, &p), "LOCK2"))
		goto out;
	dxgmem_fill(p, size, 21);
	tap_ret0(d3dkmt_lock2(c->fd, c->device, a, &q), "LOCK2 twice");
	q = NULL;
	ret = munmap(p, DXGMEM_PAGE);
	tap_errno(ret < 0 ? -errno : 0, EINVAL,
		  "munmap() of half the LOCK2 mapping -> EINVAL (it cannot be split)");
	check_accessible((char *)p + DXGMEM_PAGE, false, "both pages are still mapped");
	ret = munmap(p, size);
	tap_ret0(ret < 0 ? -errno : 0, "munmap() of the whole LOCK2 mapping by the process");
	check_faults(p, false, "the address is gone");
	/*
	 * Something of the process's own now takes the old address. The driver still counts two
	 * locks and remembers that address: neither LOCK2 nor the last UNLOCK2 may touch it.
	 */
	anon = mmap(p, size, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (!tap_ok(anon == p, "an anonymous mapping of the process at the old address"))
		goto unlock;
	memset(anon, 0x77, size);
	if (tap_ret0(d3dkmt_lock2(c->fd, c->device, a, &q), "LOCK2 again maps the pages again")) {
		tap_ok(q != p, "elsewhere (%p, the old address is taken)", q);
		tap_ok(dxgmem_check(q, size, 21) == UINT64_MAX, "with the contents written before");
		tap_ret0(d3dkmt_unlock2(c->fd, c->device, a), "UNLOCK2 (one of three locks)");
	}
	tap_ret0(d3dkmt_unlock2(c->fd, c->device, a), "UNLOCK2 (two of three)");
	tap_ret0(d3dkmt_unlock2(c->fd, c->device, a), "UNLOCK2 (the last lock)");
	if (q)
		check_faults(q, false, "the new mapping is gone");
	tap_ok(dxgmem_probe(anon, true) == 0 && ((unsigned char *)anon)[size - 1] == 0x77,
	       "the process's own mapping at the old address was left alone, bytes intact");
	munmap(anon, size);
	goto out;
unlock:
	d3dkmt_unlock2(c->fd, c->device, a);
out:
	tap_ret0(d3dkmt_destroy_allocation(c->fd, c->device, a), "destroy");
}

/*
 * A child with its own descriptor: closing the process's last adapter handle, or the descriptor
 * itself, takes LOCK2 mappings away (the mapping holds no reference that keeps the process alive).
 */
static void teardown_child(bool close_fd)
{
	struct d3dkmt_adapterinfo *adapters;
	struct d3dkmthandle device, a;
	uint32_t count = 0;
	void *p = NULL, *fence_page;
	struct d3dkmt_paging_queue queue;
	int fd = d3dkmt_open();

	if (fd < 0 ||
	    d3dkmt_enum_adapters_alloc(fd, D3DKMT_ENUMADAPTERS_FILTER_COMPUTE_ONLY, &adapters,
				       &count) < 0 || count == 0) {
		tap_ok(false, "child: open and enumerate");
		return;
	}
	if (!tap_ret0(d3dkmt_create_device(fd, adapters[0].adapter_handle, 0, &device),
		      "child: device") ||
	    !tap_ret0(d3dkmt_create_paging_queue(fd, device, 0, &queue), "child: paging queue") ||
	    !tap_ret0(d3dkmt_create_allocation(fd, device, OPENDXG_ALLOC_KIND_HOST_VISIBLE,
					       DXGMEM_PAGE, &a), "child: allocation") ||
	    !tap_ret0(d3dkmt_lock2(fd, device, a, &p), "child: LOCK2"))
		return;
	memset(p, 0x3c, DXGMEM_PAGE);
	fence_page = (void *)(uintptr_t)queue.fence;
	if (close_fd) {
		tap_ret0(d3dkmt_close(fd), "child: close /dev/dxg with the allocation locked");
	} else {
		for (uint32_t i = 1; i < count; i++)
			d3dkmt_close_adapter(fd, adapters[i].adapter_handle);
		tap_ret0(d3dkmt_close_adapter(fd, adapters[0].adapter_handle),
			 "child: close the last handle of the adapter with the allocation locked");
	}
	check_faults(p, false, "child: the LOCK2 mapping is gone");
	check_faults(fence_page, false, "child: the paging fence mapping is gone");
	free(adapters);
}

static void case_teardown_unmaps(struct ctx *c)
{
	for (int close_fd = 0; close_fd <= 1; close_fd++) {
		pid_t pid = tap_fork();

		if (pid == 0) {
			teardown_child(close_fd);
			tap_child_exit();
		}
		if (pid < 0)
			tap_ok(false, "fork: %s", errno_name(errno));
		else
			tap_wait_child(pid, close_fd ? "close() of the descriptor unmaps everything"
						     : "closing the last adapter handle unmaps");
	}
	(void)c;
}

struct toucher {
	volatile uint64_t *words;
	uint64_t count;
};

/* Writes every word over and over until the mapping disappears under it (the signal kills us). */
static void *touch_forever(void *arg)
{
	struct toucher *t = arg;

	for (uint64_t round = 1;; round++)
		for (uint64_t i = 0; i < t->count; i += 512)
			t->words[i] = round;
	return NULL;
}

/*
 * Revocation racing with faults: a thread of a child process keeps faulting the pages of a
 * locked allocation in while the main thread destroys it (or unlocks it, or destroys its
 * device). The writer must die of SIGBUS or SIGSEGV, nothing else: no kernel warning (vm-run
 * checks the log), no hang, and no leak (the case's counter check).
 */
static void race_child(int how)
{
	struct d3dkmt_adapterinfo *adapters;
	struct d3dkmthandle device, a;
	struct toucher t;
	struct timespec pause = { 0, 5 * 1000 * 1000 };
	pthread_t thread;
	uint32_t count = 0;
	void *p;
	int fd = d3dkmt_open();

	if (fd < 0 || d3dkmt_enum_adapters_alloc(fd, D3DKMT_ENUMADAPTERS_FILTER_COMPUTE_ONLY,
						 &adapters, &count) < 0 || count == 0 ||
	    d3dkmt_create_device(fd, adapters[0].adapter_handle, 0, &device) < 0 ||
	    d3dkmt_create_allocation(fd, device, OPENDXG_ALLOC_KIND_HOST_VISIBLE, DXGMEM_MIB,
				     &a) < 0 ||
	    d3dkmt_lock2(fd, device, a, &p) < 0)
		_exit(3);
	t.words = p;
	t.count = DXGMEM_MIB / 8;
	if (pthread_create(&thread, NULL, touch_forever, &t))
		_exit(4);
	nanosleep(&pause, NULL);
	if (how == 0)
		d3dkmt_destroy_allocation(fd, device, a);
	else if (how == 1)
		d3dkmt_unlock2(fd, device, a);
	else
		d3dkmt_destroy_device(fd, device);
	/* The writer faults within a few instructions: 5 s before calling it a miss is ample. */
	pause.tv_nsec = 0;
	pause.tv_sec = 5;
	nanosleep(&pause, NULL);
	_exit(5);
}

static void case_revoke_race(struct ctx *c)
{
	static const char *const hows[] = { "destroy", "unlock", "destroy the device" };
	unsigned int killed[3] = { 0, 0, 0 };
	const unsigned int rounds = 8;

	for (int how = 0; how < 3; how++) {
		for (unsigned int i = 0; i < rounds; i++) {
			int status = 0;
			pid_t pid = fork();

			if (pid == 0)
				race_child(how);
			if (pid < 0 || waitpid(pid, &status, 0) != pid)
				continue;
			if (WIFSIGNALED(status) &&
			    (WTERMSIG(status) == SIGBUS || WTERMSIG(status) == SIGSEGV))
				killed[how]++;
			else
				tap_diag("%s round %u: child status 0x%x", hows[how], i, status);
		}
		tap_ok(killed[how] == rounds,
		       "%s while another thread writes the pages: the writer faults (%u of %u)",
		       hows[how], killed[how], rounds);
	}
	(void)c;
}

#define LOCK_THREADS 4
#define LOCK_ROUNDS 300

struct locker {
	int fd;
	struct d3dkmthandle device;
	struct d3dkmthandle allocation;
	unsigned int index;
	unsigned int failures;	/* calls that failed, or bytes that did not read back */
};

/* Lock, write this thread's byte, read it back, unlock: a held lock must keep the mapping. */
static void *lock_loop(void *arg)
{
	struct locker *l = arg;

	for (unsigned int i = 0; i < LOCK_ROUNDS; i++) {
		volatile unsigned char *p = NULL;
		void *addr;

		if (d3dkmt_lock2(l->fd, l->device, l->allocation, &addr) < 0) {
			l->failures++;
			continue;
		}
		p = addr;
		p[l->index * 64] = (unsigned char)i;
		if (p[l->index * 64] != (unsigned char)i)
			l->failures++;
		if (d3dkmt_unlock2(l->fd, l->device, l->allocation) < 0)
			l->failures++;
	}
	return NULL;
}

/*
 * Threads of one process lock and unlock one allocation concurrently (the count crosses zero
 * again and again, so the mapping comes and goes) while each touches it only under its own
 * lock: a fault kills the process, a failed call counts. Afterwards nothing is locked. It runs
 * in a child with its own descriptor, so a fault fails this case instead of the whole program.
 */
static void lock_threads_child(void)
{
	struct d3dkmt_adapterinfo *adapters;
	struct locker lockers[LOCK_THREADS];
	pthread_t threads[LOCK_THREADS];
	struct d3dkmthandle device, a;
	unsigned int failures = 0, started = 0;
	uint32_t count = 0;
	int fd = d3dkmt_open();

	if (fd < 0 || d3dkmt_enum_adapters_alloc(fd, D3DKMT_ENUMADAPTERS_FILTER_COMPUTE_ONLY,
						 &adapters, &count) < 0 || count == 0 ||
	    !tap_ret0(d3dkmt_create_device(fd, adapters[0].adapter_handle, 0, &device),
		      "child: device") ||
	    !tap_ret0(create_kind_on(fd, device, DXGMEM_PAGE, &a), "child: allocation"))
		return;
	for (unsigned int i = 0; i < LOCK_THREADS; i++) {
		lockers[i] = (struct locker){ .fd = fd, .device = device, .allocation = a,
					      .index = i };
		if (pthread_create(&threads[i], NULL, lock_loop, &lockers[i]) == 0)
			started++;
	}
	for (unsigned int i = 0; i < started; i++) {
		pthread_join(threads[i], NULL);
		failures += lockers[i].failures;
	}
	tap_ok(started == LOCK_THREADS && failures == 0,
	       "child: %u threads x %u lock/write/read/unlock rounds, %u failures", started,
	       LOCK_ROUNDS, failures);
	tap_errno(d3dkmt_unlock2(fd, device, a), EINVAL, "child: afterwards nothing is locked");
	tap_ret0(d3dkmt_destroy_allocation(fd, device, a), "child: destroy");
	d3dkmt_destroy_device(fd, device);
	free(adapters);
	d3dkmt_close(fd);
}

static void case_lock_threads(struct ctx *c)
{
	pid_t pid = tap_fork();

	if (pid == 0) {
		lock_threads_child();
		tap_child_exit();
	}
	if (pid < 0)
		tap_ok(false, "fork: %s", errno_name(errno));
	else
		tap_wait_child(pid, "concurrent LOCK2/UNLOCK2 of one allocation by threads");
	(void)c;
}

static void case_fork(struct ctx *c)
{
	struct d3dkmthandle a;
	void *p = NULL;
	pid_t pid;

	if (!tap_ret0(create_kind(c, OPENDXG_ALLOC_KIND_HOST_VISIBLE, DXGMEM_PAGE, &a), "create"))
		return;
	if (!tap_ret0(d3dkmt_lock2(c->fd, c->device, a, &p), "LOCK2"))
		goto out;
	dxgmem_fill(p, DXGMEM_PAGE, 11);
	pid = tap_fork();
	if (pid == 0) {
		struct d3dkmt_video_memory info;
		void *q = NULL;

		check_faults(p, false, "child: the parent's LOCK2 mapping is not inherited");
		check_faults(c->queue.fence, false,
			     "child: the parent's paging fence mapping is not inherited");
		tap_errno(d3dkmt_lock2(c->fd, c->device, a, &q), ENOTTY,
			  "child: LOCK2 on the inherited descriptor -> ENOTTY");
		tap_errno(d3dkmt_query_video_memory(c->fd, c->adapter,
						    D3DKMT_MEMORY_SEGMENT_GROUP_NON_LOCAL, &info),
			  ENOTTY,
			  "child: QUERYVIDEOMEMORYINFO on the inherited descriptor -> ENOTTY");
		tap_errno(d3dkmt_destroy_allocation(c->fd, c->device, a), ENOTTY,
			  "child: DESTROYALLOCATION2 on the inherited descriptor -> ENOTTY");
		tap_child_exit();
	}
	if (pid < 0)
		tap_ok(false, "fork: %s", errno_name(errno));
	else
		tap_wait_child(pid, "forked child: no inherited mappings, inherited fd is ENOTTY");
	check_accessible(p, true, "the parent's mapping is intact after the child");
	tap_ok(dxgmem_check(p, DXGMEM_PAGE, 11) == UINT64_MAX, "and so are its contents");
	tap_ret0(d3dkmt_unlock2(c->fd, c->device, a), "UNLOCK2");
out:
	tap_ret0(d3dkmt_destroy_allocation(c->fd, c->device, a), "destroy");
}

/* A child with its own descriptor, device and adapter handle tries the parent's handles. */
static void foreign_process_checks(struct ctx *c, struct d3dkmthandle parent_alloc,
				   struct d3dkmthandle parent_dl)
{
	struct d3dkmt_adapterinfo *adapters;
	struct d3dkmthandle device, list[1] = { parent_alloc };
	uint32_t count = 0, status = 0, priority = 0;
	uint64_t fence = 0;
	void *p = NULL;
	int fd = d3dkmt_open();

	if (!tap_ret0(fd < 0 ? fd : 0, "child: open its own /dev/dxg"))
		return;
	if (d3dkmt_enum_adapters_alloc(fd, D3DKMT_ENUMADAPTERS_FILTER_COMPUTE_ONLY, &adapters,
				       &count) < 0 || count == 0) {
		tap_ok(false, "child: enumerate adapters");
		return;
	}
	if (!tap_ret0(d3dkmt_create_device(fd, adapters[0].adapter_handle, 0, &device),
		      "child: its own device"))
		return;
	tap_errno(d3dkmt_lock2(fd, c->device, parent_alloc, &p), EINVAL,
		  "child: LOCK2 of the parent's allocation with the parent's device -> EINVAL");
	tap_errno(d3dkmt_lock2(fd, device, parent_alloc, &p), EINVAL,
		  "child: LOCK2 of the parent's allocation with its own device -> EINVAL");
	tap_errno(d3dkmt_destroy_allocation(fd, device, parent_alloc), EINVAL,
		  "child: destroy the parent's allocation with its own device -> EINVAL");
	tap_errno(d3dkmt_destroy_allocation(fd, c->device, parent_alloc), EINVAL,
		  "child: destroy the parent's allocation with the parent's device -> EINVAL");
	tap_errno(d3dkmt_query_allocation_residency(fd, device, no_handle, list, 1, &status),
		  EINVAL, "child: query residency of the parent's allocation -> EINVAL");
	tap_errno(d3dkmt_get_allocation_priority(fd, device, no_handle, list, 1, &priority),
		  EINVAL, "child: get the priority of the parent's allocation -> EINVAL");
	tap_errno(d3dkmt_evict(fd, device, &parent_dl, 1, 0, NULL), EINVAL,
		  "child: evict the parent's device-local allocation -> EINVAL");
	tap_errno(d3dkmt_make_resident(fd, c->queue.handle, list, 1, NULL, 0, &fence, NULL), EINVAL,
		  "child: MAKERESIDENT on the parent's paging queue -> EINVAL");
	tap_errno(d3dkmt_destroy_paging_queue(fd, c->queue.handle), EINVAL,
		  "child: destroy the parent's paging queue -> EINVAL");
	d3dkmt_destroy_device(fd, device);
	for (uint32_t i = 0; i < count; i++)
		d3dkmt_close_adapter(fd, adapters[i].adapter_handle);
	free(adapters);
	d3dkmt_close(fd);
}

static void case_foreign_process(struct ctx *c)
{
	struct d3dkmthandle a, dl = { 0 };
	void *p = NULL;
	pid_t pid;

	if (!tap_ret0(create_kind(c, OPENDXG_ALLOC_KIND_HOST_VISIBLE, DXGMEM_PAGE, &a),
		      "create a host-visible allocation"))
		return;
	if (!tap_ret0(create_kind(c, OPENDXG_ALLOC_KIND_DEVICE_LOCAL, DXGMEM_PAGE, &dl),
		      "create a device-local allocation"))
		goto out;
	pid = tap_fork();
	if (pid == 0) {
		foreign_process_checks(c, a, dl);
		tap_child_exit();
	}
	if (pid < 0)
		tap_ok(false, "fork: %s", errno_name(errno));
	else
		tap_wait_child(pid, "another process cannot use this process's memory handles");
	if (tap_ret0(d3dkmt_lock2(c->fd, c->device, a, &p),
		     "the allocation is still ours and alive")) {
		check_accessible(p, true, "and mapped");
		d3dkmt_unlock2(c->fd, c->device, a);
	}
	check_residency(c, dl, D3DKMT_ALLOCATIONRESIDENCYSTATUS_RESIDENTINGPUMEMORY,
			"the device-local allocation was not evicted by the child");
	destroy_quietly(c, dl);
out:
	tap_ret0(d3dkmt_destroy_allocation(c->fd, c->device, a), "destroy");
}

static void case_device_local(struct ctx *c)
{
	const uint64_t size = DXGMEM_MIB + 100, charged = dxgmem_page_round(size);
	struct dxgmem_snapshot s0, s1, s2, s3;
	struct d3dkmthandle dl, hv = { 0 };
	uint64_t fence = 0;
	void *p = NULL;
	int ret;

	if (dxgmem_snapshot(c->fd, c->adapter, &s0) < 0 ||
	    !tap_ret0(create_kind(c, OPENDXG_ALLOC_KIND_DEVICE_LOCAL, size, &dl),
		      "create device-local 1 MiB + 100"))
		return;
	if (tap_ret0(dxgmem_snapshot(c->fd, c->adapter, &s1), "query counters")) {
		tap_ok(s1.local.current_usage == s0.local.current_usage + charged &&
			       s1.non_local.current_usage == s0.non_local.current_usage,
		       "local usage grew by exactly %llu, non-local unchanged",
		       (unsigned long long)charged);
		tap_ok(s1.vm.device_local_bytes == s0.vm.device_local_bytes + charged,
		       "VM device-local bytes grew by %llu", (unsigned long long)charged);
	}
	tap_errno(d3dkmt_lock2(c->fd, c->device, dl, &p), EINVAL, "LOCK2 -> EINVAL");
	tap_errno(d3dkmt_unlock2(c->fd, c->device, dl), EINVAL, "UNLOCK2 -> EINVAL");
	check_residency(c, dl, D3DKMT_ALLOCATIONRESIDENCYSTATUS_RESIDENTINGPUMEMORY, "new");

	tap_ret0(d3dkmt_evict(c->fd, c->device, &dl, 1, 0, NULL), "EVICT");
	check_residency(c, dl, D3DKMT_ALLOCATIONRESIDENCYSTATUS_NOTRESIDENT, "evicted");
	if (tap_ret0(dxgmem_snapshot(c->fd, c->adapter, &s2), "query counters")) {
		tap_ok(s2.vm.evicted_bytes == s0.vm.evicted_bytes + charged &&
			       s2.vm.device_local_bytes == s0.vm.device_local_bytes,
		       "evicted: VM counts the bytes as evicted, not device-local");
		tap_ok(s2.local.current_usage == s0.local.current_usage &&
			       s2.non_local.current_usage == s0.non_local.current_usage + charged,
		       "evicted contents count as non-local usage");
	}
	tap_errno(d3dkmt_evict(c->fd, c->device, &dl, 1, 0, NULL), EINVAL,
		  "EVICT at residency count 0 -> EINVAL");

	ret = d3dkmt_make_resident(c->fd, c->queue.handle, &dl, 1, NULL, 0, &fence, NULL);
	tap_diag("MAKERESIDENT returned %d, fence value %llu", ret, (unsigned long long)fence);
	wait_fence(c, ret, fence, "MAKERESIDENT of the evicted allocation");
	check_residency(c, dl, D3DKMT_ALLOCATIONRESIDENCYSTATUS_RESIDENTINGPUMEMORY, "restored");
	if (tap_ret0(dxgmem_snapshot(c->fd, c->adapter, &s3), "query counters"))
		tap_ok(dxgmem_counters_equal(&s3, &s1), "restored: every counter as before EVICT");

	/* Residency counts: two MAKERESIDENTs need two EVICTs. */
	ret = d3dkmt_make_resident(c->fd, c->queue.handle, &dl, 1, NULL, 0, &fence, NULL);
	wait_fence(c, ret, fence, "MAKERESIDENT of a resident allocation");
	tap_ret0(d3dkmt_evict(c->fd, c->device, &dl, 1, 0, NULL), "EVICT once");
	check_residency(c, dl, D3DKMT_ALLOCATIONRESIDENCYSTATUS_RESIDENTINGPUMEMORY,
			"still resident after one of two EVICTs");
	tap_ret0(d3dkmt_evict(c->fd, c->device, &dl, 1, 0, NULL), "EVICT twice");
	check_residency(c, dl, D3DKMT_ALLOCATIONRESIDENCYSTATUS_NOTRESIDENT, "evicted again");
	tap_ret0(d3dkmt_destroy_allocation(c->fd, c->device, dl), "destroy while evicted");

	if (tap_ret0(create_kind(c, OPENDXG_ALLOC_KIND_HOST_VISIBLE, DXGMEM_PAGE, &hv),
		     "create host-visible")) {
		check_residency(c, hv, D3DKMT_ALLOCATIONRESIDENCYSTATUS_RESIDENTINSHAREDMEMORY,
				"host-visible");
		tap_ret0(d3dkmt_evict(c->fd, c->device, &hv, 1, 0, NULL), "EVICT host-visible");
		check_residency(c, hv, D3DKMT_ALLOCATIONRESIDENCYSTATUS_NOTRESIDENT,
				"evicted host-visible");
		ret = d3dkmt_make_resident(c->fd, c->queue.handle, &hv, 1, NULL, 0, &fence, NULL);
		wait_fence(c, ret, fence, "MAKERESIDENT host-visible");
		check_residency(c, hv, D3DKMT_ALLOCATIONRESIDENCYSTATUS_RESIDENTINSHAREDMEMORY,
				"host-visible resident again");
		destroy_quietly(c, hv);
	}
}

static void case_programs(struct ctx *c)
{
	static const uint32_t garbage[] = { 0x07230203, 0x00010300, 0, 0x100, 0, 0xdeadbeef,
					    0xdeadbeef, 0xdeadbeef };
	struct dxgmem_snapshot s0, s1;
	struct d3dkmthandle prog, other;
	void *p = NULL;
	uint32_t priv_size;
	unsigned char *priv;
	int ret;

	if (dxgmem_snapshot(c->fd, c->adapter, &s0) < 0)
		return;
	ret = d3dkmt_create_program(c->fd, c->device, memtest_comp_spv, sizeof(memtest_comp_spv),
				    &prog);
	if (tap_ret0(ret, "a valid compute module (%zu bytes) is accepted",
		     sizeof(memtest_comp_spv))) {
		uint64_t charged = dxgmem_page_round(sizeof(memtest_comp_spv));

		if (tap_ret0(dxgmem_snapshot(c->fd, c->adapter, &s1), "query counters"))
			tap_ok(s1.local.current_usage == s0.local.current_usage + charged &&
				       s1.vm.program_bytes == s0.vm.program_bytes + charged,
			       "a program is charged %llu bytes of local memory",
			       (unsigned long long)charged);
		tap_errno(d3dkmt_lock2(c->fd, c->device, prog, &p), EINVAL,
			  "LOCK2 of a program -> EINVAL");
		check_residency(c, prog, D3DKMT_ALLOCATIONRESIDENCYSTATUS_RESIDENTINGPUMEMORY,
				"program");
		tap_ret0(d3dkmt_destroy_allocation(c->fd, c->device, prog), "destroy the program");
	}

	ret = d3dkmt_create_program(c->fd, c->device, notcompute_frag_spv,
				    sizeof(notcompute_frag_spv), &other);
	expect_create_errno(c, ret, other, EINVAL,
			    "a valid fragment shader (not compute) -> EINVAL");
	ret = d3dkmt_create_program(c->fd, c->device, bufref_comp_spv, sizeof(bufref_comp_spv),
				    &other);
	expect_create_errno(c, ret, other, EINVAL,
			    "a compute module using buffer device addresses -> EINVAL");
	ret = d3dkmt_create_program(c->fd, c->device, garbage, sizeof(garbage), &other);
	expect_create_errno(c, ret, other, EINVAL, "garbage after a SPIR-V magic -> EINVAL");
	ret = d3dkmt_create_program(c->fd, c->device, memtest_comp_spv, 16, &other);
	expect_create_errno(c, ret, other, EINVAL,
			    "16 bytes of SPIR-V (less than a header) -> EINVAL");
	ret = d3dkmt_create_program(c->fd, c->device, memtest_comp_spv,
				    sizeof(memtest_comp_spv) - 2,
				    &other);
	expect_create_errno(c, ret, other, EINVAL, "a size that is not a multiple of 4 -> EINVAL");
	ret = d3dkmt_create_program(c->fd, c->device, memtest_comp_spv,
				    sizeof(memtest_comp_spv) - 4,
				    &other);
	expect_create_errno(c, ret, other, EINVAL, "a truncated module -> EINVAL");

	/* KMD size and the code that follows must agree. */
	priv = d3dkmt_program_priv_alloc(memtest_comp_spv, sizeof(memtest_comp_spv), &priv_size);
	if (tap_ok(priv != NULL, "build program private data")) {
		struct opendxg_alloc_priv *header = (struct opendxg_alloc_priv *)priv;

		ret = raw_create(c, priv, priv_size - 4, 0, &other);
		expect_create_errno(c, ret, other, EINVAL,
				    "program: private data shorter than header + size -> EINVAL");
		header->size -= 4;
		ret = raw_create(c, priv, priv_size, 0, &other);
		expect_create_errno(c, ret, other, EINVAL,
				    "program: KMD size less than the code that follows -> EINVAL");
		header->size += 4;
		ret = raw_create(c, priv, sizeof(*header), 0, &other);
		expect_create_errno(c, ret, other, EINVAL,
				    "program: header only, no code -> EINVAL");
		free(priv);
	}
}

static void case_paging_queue(struct ctx *c)
{
	const volatile uint64_t *fence = c->queue.fence;
	struct d3dkmt_gpu_va_mapping map;
	struct d3dkmt_paging_queue q2 = { 0 };
	struct d3dkmthandle a;
	uint64_t before, value = 0, va = 0;
	uintptr_t page;
	int ret;

	tap_ok(fence != NULL && ((uintptr_t)fence & 7) == 0,
	       "the paging fence has an 8-byte aligned CPU address (%p)", (const void *)fence);
	if (!check_accessible(fence, false, "the paging fence is readable"))
		return;
	check_faults(fence, true, "writing to the paging fence faults (read-only mapping)");
	page = (uintptr_t)fence & ~(uintptr_t)(DXGMEM_PAGE - 1);
	ret = mprotect((void *)page, DXGMEM_PAGE, PROT_READ | PROT_WRITE);
	tap_errno(ret < 0 ? -errno : 0, EACCES,
		  "mprotect(PROT_WRITE) on the fence page -> EACCES (it cannot be made writable)");

	if (!tap_ret0(create_kind(c, OPENDXG_ALLOC_KIND_HOST_VISIBLE, 4 * DXGMEM_PAGE, &a),
		      "create an allocation to map"))
		return;
	before = *fence;
	memset(&map, 0, sizeof(map));
	map.allocation = a;
	map.size_in_pages = 4;
	map.protection = D3DDDIGPUVA_PROTECTION_WRITE;
	ret = d3dkmt_map_gpu_va(c->fd, c->queue.handle, &map, &va, &value);
	if (tap_ok(ret >= 0, "MAPGPUVIRTUALADDRESS (a new range) (%s)",
		   ret < 0 ? errno_name(-ret) : "ok")) {
		tap_ok(value > before, "MAP takes a new fence value (%llu > %llu)",
		       (unsigned long long)value, (unsigned long long)before);
		wait_fence(c, ret, value, "MAP");
		tap_ret0(d3dkmt_free_gpu_va(c->fd, c->adapter, va, 4 * DXGMEM_PAGE),
			 "free the implicit reservation");
	}
	before = *fence;
	ret = d3dkmt_make_resident(c->fd, c->queue.handle, &a, 1, NULL, 0, &value, NULL);
	if (tap_ok(ret >= 0, "MAKERESIDENT (%s)", ret < 0 ? errno_name(-ret) : "ok")) {
		tap_ok(value > before, "MAKERESIDENT takes a new fence value (%llu > %llu)",
		       (unsigned long long)value, (unsigned long long)before);
		wait_fence(c, ret, value, "MAKERESIDENT");
		d3dkmt_evict(c->fd, c->device, &a, 1, 0, NULL);
	}
	destroy_quietly(c, a);

	/* A second queue has a fence of its own that starts at 0. */
	if (tap_ret0(d3dkmt_create_paging_queue(c->fd, c->device,
						D3DDDI_PAGINGQUEUE_PRIORITY_ABOVE_NORMAL, &q2),
		     "a second paging queue")) {
		tap_ok(q2.fence != fence && q2.handle.v != c->queue.handle.v &&
			       q2.sync_object.v != c->queue.sync_object.v,
		       "it has its own handle, fence object and fence address");
		tap_ok(check_accessible(q2.fence, false, "its fence is readable") && *q2.fence == 0,
		       "its fence starts at 0");
		tap_ret0(d3dkmt_destroy_paging_queue(c->fd, q2.handle), "destroy it");
		tap_errno(d3dkmt_destroy_paging_queue(c->fd, q2.handle), EINVAL,
			  "destroy it again -> EINVAL");
	}
	tap_errno(d3dkmt_create_paging_queue(c->fd, GARBAGE_HANDLE, 0, &q2), EINVAL,
		  "paging queue on a garbage device -> EINVAL");
	tap_errno(d3dkmt_create_paging_queue(c->fd, c->device, 2, &q2), EINVAL,
		  "paging queue priority 2 -> EINVAL");
	tap_errno(d3dkmt_destroy_paging_queue(c->fd, c->device), EINVAL,
		  "DESTROYPAGINGQUEUE on a device handle -> EINVAL");
}

/* UPDATEGPUVIRTUALADDRESS of @n operations on the test device and context, no fence. */
static int update_ops(struct ctx *c, const struct d3dddi_updategpuvirtualaddress_operation *ops,
		      uint32_t n)
{
	return d3dkmt_update_gpu_va(c->fd, c->device, c->context, no_handle, 0, ops, n, 0);
}

/* The same with one operation, once the paging fence has reached @value. */
static int update_after(struct ctx *c, uint64_t value,
			const struct d3dddi_updategpuvirtualaddress_operation *ops)
{
	return d3dkmt_update_gpu_va(c->fd, c->device, c->context, c->queue.sync_object, value, ops,
				    1, 0);
}

static void case_gpu_va(struct ctx *c)
{
	const uint64_t base = 0x10000000ull, size = DXGMEM_MIB;
	struct d3dkmt_gpu_va_reservation r;
	struct d3dkmt_gpu_va_mapping m;
	struct dxgmem_snapshot s0, s1;
	struct d3dkmthandle a;
	uint64_t va = 0, any = 0, win = 0, fence = 0;
	int ret;

	if (dxgmem_snapshot(c->fd, c->adapter, &s0) < 0 ||
	    !tap_ret0(create_kind(c, OPENDXG_ALLOC_KIND_HOST_VISIBLE, 16 * DXGMEM_PAGE, &a),
		      "create a 64 KiB allocation to map"))
		return;

	memset(&r, 0, sizeof(r));
	r.base_address = base;
	r.size = size;
	ret = d3dkmt_reserve_gpu_va(c->fd, c->adapter, &r, &va);
	if (!tap_ret0(ret, "reserve exactly [0x%llx, +1 MiB)", (unsigned long long)base))
		goto out;
	tap_ok(va == base, "the exact reservation is where asked (0x%llx)", (unsigned long long)va);

	memset(&r, 0, sizeof(r));
	r.size = 64 * DXGMEM_KIB;
	if (tap_ret0(d3dkmt_reserve_gpu_va(c->fd, c->adapter, &r, &any), "reserve 64 KiB anywhere"))
		tap_ok(any >= 0x10000 && any % DXGMEM_PAGE == 0 &&
			       (any + r.size <= base || any >= base + size),
		       "it is aligned, at or above 0x10000, and outside the first (0x%llx)",
		       (unsigned long long)any);
	r.minimum_address = 0x40000000ull;
	r.maximum_address = 0x40100000ull;
	if (tap_ret0(d3dkmt_reserve_gpu_va(c->fd, c->adapter, &r, &win),
		     "reserve 64 KiB anywhere in [1 GiB, 1 GiB + 1 MiB)"))
		tap_ok(win >= r.minimum_address && win + r.size <= r.maximum_address,
		       "it lies in the window (0x%llx)", (unsigned long long)win);
	if (tap_ret0(dxgmem_snapshot(c->fd, c->adapter, &s1), "query counters"))
		tap_ok(s1.vm.gpu_va_ranges == s0.vm.gpu_va_ranges + 3,
		       "the VM counts 3 more GPU VA ranges (%u -> %u)", s0.vm.gpu_va_ranges,
		       s1.vm.gpu_va_ranges);

	memset(&r, 0, sizeof(r));
	r.base_address = base + size - DXGMEM_PAGE;
	r.size = 2 * DXGMEM_PAGE;
	tap_errno(d3dkmt_reserve_gpu_va(c->fd, c->adapter, &r, &va), EINVAL,
		  "reserve overlapping the end of a reservation -> EINVAL");
	r.base_address = base + DXGMEM_PAGE;
	r.size = DXGMEM_PAGE;
	tap_errno(d3dkmt_reserve_gpu_va(c->fd, c->adapter, &r, &va), EINVAL,
		  "reserve inside a reservation -> EINVAL");
	r.base_address = base + 2 * size + 100;
	tap_errno(d3dkmt_reserve_gpu_va(c->fd, c->adapter, &r, &va), EINVAL,
		  "reserve at a misaligned base -> EINVAL");
	r.base_address = base + 2 * size;
	r.size = DXGMEM_PAGE + 1;
	tap_errno(d3dkmt_reserve_gpu_va(c->fd, c->adapter, &r, &va), EINVAL,
		  "reserve a misaligned size -> EINVAL");
	r.size = 0;
	tap_errno(d3dkmt_reserve_gpu_va(c->fd, c->adapter, &r, &va), EINVAL,
		  "reserve size 0 -> EINVAL");
	r.base_address = 0x1000;
	r.size = DXGMEM_PAGE;
	tap_errno(d3dkmt_reserve_gpu_va(c->fd, c->adapter, &r, &va), EINVAL,
		  "reserve below 0x10000 -> EINVAL");
	r.base_address = (1ull << 47) - DXGMEM_PAGE;
	r.size = 2 * DXGMEM_PAGE;
	tap_errno(d3dkmt_reserve_gpu_va(c->fd, c->adapter, &r, &va), EINVAL,
		  "reserve across 2^47 -> EINVAL");
	r.base_address = 1ull << 47;
	r.size = DXGMEM_PAGE;
	tap_errno(d3dkmt_reserve_gpu_va(c->fd, c->adapter, &r, &va), EINVAL,
		  "reserve at 2^47 -> EINVAL");
	tap_errno(d3dkmt_reserve_gpu_va(c->fd, GARBAGE_HANDLE, &r, &va), EINVAL,
		  "reserve on a garbage adapter handle -> EINVAL");

	memset(&m, 0, sizeof(m));
	m.allocation = a;
	m.base_address = base + 4 * DXGMEM_PAGE;
	m.size_in_pages = 16;
	m.protection = D3DDDIGPUVA_PROTECTION_WRITE;
	ret = d3dkmt_map_gpu_va(c->fd, c->queue.handle, &m, &va, &fence);
	if (tap_ok(ret >= 0, "map the allocation inside the reservation (%s)",
		   ret < 0 ? errno_name(-ret) : "ok")) {
		tap_ok(va == m.base_address, "mapped where asked (0x%llx)", (unsigned long long)va);
		wait_fence(c, ret, fence, "MAP inside the reservation");
	}
	m.base_address = base + 2 * size;
	tap_errno(d3dkmt_map_gpu_va(c->fd, c->queue.handle, &m, &va, &fence), EINVAL,
		  "map outside any reservation -> EINVAL");
	m.base_address = base + size - 8 * DXGMEM_PAGE;
	tap_errno(d3dkmt_map_gpu_va(c->fd, c->queue.handle, &m, &va, &fence), EINVAL,
		  "map across the end of the reservation -> EINVAL");
	m.base_address = base + 100;
	tap_errno(d3dkmt_map_gpu_va(c->fd, c->queue.handle, &m, &va, &fence), EINVAL,
		  "map at a misaligned address -> EINVAL");
	m.base_address = base;
	m.size_in_pages = 17;
	tap_errno(d3dkmt_map_gpu_va(c->fd, c->queue.handle, &m, &va, &fence), EINVAL,
		  "map 17 pages of a 16-page allocation -> EINVAL");
	m.size_in_pages = 1;
	m.offset_in_pages = 16;
	tap_errno(d3dkmt_map_gpu_va(c->fd, c->queue.handle, &m, &va, &fence), EINVAL,
		  "map at page offset 16 of a 16-page allocation -> EINVAL");
	m.offset_in_pages = 0;
	m.allocation = GARBAGE_HANDLE;
	tap_errno(d3dkmt_map_gpu_va(c->fd, c->queue.handle, &m, &va, &fence), EINVAL,
		  "map a garbage allocation handle -> EINVAL");
	m.allocation = a;
	tap_errno(d3dkmt_map_gpu_va(c->fd, c->device, &m, &va, &fence), EINVAL,
		  "map with a device handle as paging queue -> EINVAL");

	{
		struct d3dddi_updategpuvirtualaddress_operation ops[4];
		uint64_t now = *c->queue.fence;

		ops[0] = d3dkmt_gpu_va_op_map(base, 16 * DXGMEM_PAGE, a, 0);
		ops[1] = d3dkmt_gpu_va_op_map_protect(base + 16 * DXGMEM_PAGE, 8 * DXGMEM_PAGE, a,
						      8 * DXGMEM_PAGE,
						      D3DDDIGPUVA_PROTECTION_WRITE);
		ops[2] = d3dkmt_gpu_va_op_copy(base, base + 32 * DXGMEM_PAGE, 16 * DXGMEM_PAGE);
		ops[3] = d3dkmt_gpu_va_op_unmap(base + 4 * DXGMEM_PAGE, 4 * DXGMEM_PAGE);
		tap_ret0(update_ops(c, ops, 4),
			 "UPDATEGPUVIRTUALADDRESS: map, map-protect, copy, unmap");
		tap_ret0(update_after(c, now, ops),
			 "UPDATEGPUVIRTUALADDRESS after the paging fence's current value");
		{
			/*
			 * Since protocol 1.2 an update behind a fence not yet reached is queued on
			 * its context (it applies when the fence gets there); a context of its own
			 * keeps the synchronous checks below on the test context. Destroying that
			 * context drops the update.
			 */
			struct d3dkmt_context_params params = { .engine_affinity = 1 };
			struct d3dkmthandle waiting;

			if (tap_ret0(d3dkmt_create_context_virtual(c->fd, c->device, &params,
								   &waiting),
				     "a second context for a queued update")) {
				tap_ret0(d3dkmt_update_gpu_va(c->fd, c->device, waiting,
							      c->queue.sync_object, now + 1000, ops,
							      1, 0),
					 "UPDATEGPUVIRTUALADDRESS after a fence value not reached is "
					 "queued");
				tap_ret0(d3dkmt_destroy_context(c->fd, waiting),
					 "destroying that context drops the queued update");
			}
		}
		ops[1] = d3dkmt_gpu_va_op_map(base + size, DXGMEM_PAGE, a, 0);
		tap_errno(update_ops(c, ops, 2), EINVAL,
			  "UPDATEGPUVIRTUALADDRESS with a map outside the reservation -> EINVAL");
		ops[1] = d3dkmt_gpu_va_op_map(base, DXGMEM_PAGE, a, 100);
		tap_errno(update_ops(c, ops, 2), EINVAL,
			  "UPDATEGPUVIRTUALADDRESS with a misaligned allocation offset -> EINVAL");
		ops[1] = d3dkmt_gpu_va_op_copy(base, base + size - DXGMEM_PAGE, 2 * DXGMEM_PAGE);
		tap_errno(update_ops(c, ops, 2), EINVAL,
			  "UPDATEGPUVIRTUALADDRESS copying past the reservation -> EINVAL");
		ops[1] = ops[0];
		ops[1].operation = 7;
		tap_errno(update_ops(c, ops, 2), EINVAL,
			  "UPDATEGPUVIRTUALADDRESS with operation 7 -> EINVAL");
		tap_errno(d3dkmt_update_gpu_va(c->fd, c->device, no_handle, no_handle, 0, ops, 1,
					       0),
			  EINVAL, "UPDATEGPUVIRTUALADDRESS without a context -> EINVAL");
		tap_errno(update_ops(c, ops, 0), EINVAL,
			  "UPDATEGPUVIRTUALADDRESS with 0 operations -> EINVAL");
	}

	tap_errno(d3dkmt_free_gpu_va(c->fd, c->adapter, base, size / 2), EINVAL,
		  "free half a reservation -> EINVAL");
	tap_errno(d3dkmt_free_gpu_va(c->fd, c->adapter, base + DXGMEM_PAGE, size - DXGMEM_PAGE),
		  EINVAL, "free a reservation's tail -> EINVAL");
	tap_errno(d3dkmt_free_gpu_va(c->fd, c->adapter, base, 2 * size), EINVAL,
		  "free more than a reservation -> EINVAL");
	tap_ret0(d3dkmt_free_gpu_va(c->fd, c->adapter, base, size), "free the exact reservation");
	tap_errno(d3dkmt_free_gpu_va(c->fd, c->adapter, base, size), EINVAL,
		  "free it again -> EINVAL");
	if (any)
		tap_ret0(d3dkmt_free_gpu_va(c->fd, c->adapter, any, 64 * DXGMEM_KIB),
			 "free the anywhere reservation");
	if (win)
		tap_ret0(d3dkmt_free_gpu_va(c->fd, c->adapter, win, 64 * DXGMEM_KIB),
			 "free the window reservation");
out:
	destroy_quietly(c, a);
}

static void case_video_memory_info(struct ctx *c)
{
	struct d3dkmt_queryvideomemoryinfo raw;
	struct d3dkmt_video_memory info;
	struct dxgmem_snapshot s0, s1;
	struct d3dkmthandle h[3] = { { 0 } };
	uint64_t hv_sum = dxgmem_page_round(5000) + dxgmem_page_round(3 * DXGMEM_PAGE);
	uint64_t local_sum = dxgmem_page_round(12345) + dxgmem_page_round(sizeof(memtest_comp_spv));
	struct d3dkmthandle prog = { 0 };
	int ret;

	if (!tap_ret0(dxgmem_snapshot(c->fd, c->adapter, &s0), "query both segment groups"))
		return;
	tap_ok(s0.local.budget >= s0.local.current_usage &&
		       s0.non_local.budget >= s0.non_local.current_usage,
	       "budgets are at least the usage (local %llu >= %llu, non-local %llu >= %llu)",
	       (unsigned long long)s0.local.budget, (unsigned long long)s0.local.current_usage,
	       (unsigned long long)s0.non_local.budget,
	       (unsigned long long)s0.non_local.current_usage);
	ret = create_kind(c, OPENDXG_ALLOC_KIND_HOST_VISIBLE, 5000, &h[0]);
	if (ret == 0)
		ret = create_kind(c, OPENDXG_ALLOC_KIND_HOST_VISIBLE, 3 * DXGMEM_PAGE, &h[1]);
	if (ret == 0)
		ret = create_kind(c, OPENDXG_ALLOC_KIND_DEVICE_LOCAL, 12345, &h[2]);
	if (ret == 0)
		ret = d3dkmt_create_program(c->fd, c->device, memtest_comp_spv,
					    sizeof(memtest_comp_spv), &prog);
	if (tap_ret0(ret, "two host-visible, one device-local and one program allocation") &&
	    tap_ret0(dxgmem_snapshot(c->fd, c->adapter, &s1), "query again")) {
		tap_ok(s1.non_local.current_usage - s0.non_local.current_usage == hv_sum,
		       "non-local usage is exactly the charged host-visible bytes (+%llu, "
		       "want %llu)",
		       (unsigned long long)(s1.non_local.current_usage -
					    s0.non_local.current_usage),
		       (unsigned long long)hv_sum);
		tap_ok(s1.local.current_usage - s0.local.current_usage == local_sum,
		       "local usage is exactly the charged device-local + program bytes (+%llu, "
		       "want %llu)",
		       (unsigned long long)(s1.local.current_usage - s0.local.current_usage),
		       (unsigned long long)local_sum);
	}
	for (int i = 0; i < 3; i++)
		destroy_quietly(c, h[i]);
	destroy_quietly(c, prog);
	ret = dxgmem_wait_counters(c->fd, c->adapter, &s0, &s1, RELEASE_WAIT_MS);
	tap_ret0(ret, "usage back to the start after destroy");

	tap_ret0(d3dkmt_change_video_memory_reservation(c->fd, c->adapter,
						       D3DKMT_MEMORY_SEGMENT_GROUP_LOCAL,
						       DXGMEM_MIB),
		 "reserve 1 MiB of local memory");
	if (tap_ret0(d3dkmt_query_video_memory(c->fd, c->adapter, D3DKMT_MEMORY_SEGMENT_GROUP_LOCAL,
					       &info), "query local"))
		tap_ok(info.current_reservation == DXGMEM_MIB,
		       "current reservation is 1 MiB (%llu)",
		       (unsigned long long)info.current_reservation);
	tap_ret0(d3dkmt_change_video_memory_reservation(c->fd, c->adapter,
						       D3DKMT_MEMORY_SEGMENT_GROUP_LOCAL, 0),
		 "release the reservation");
	if (tap_ret0(d3dkmt_query_video_memory(c->fd, c->adapter, D3DKMT_MEMORY_SEGMENT_GROUP_LOCAL,
					       &info), "query local"))
		tap_ok(info.current_reservation == 0, "current reservation is 0");
	tap_errno(d3dkmt_change_video_memory_reservation(c->fd, c->adapter, 2, 0), EINVAL,
		  "CHANGEVIDEOMEMORYRESERVATION of segment group 2 -> EINVAL");

	tap_errno(d3dkmt_query_video_memory(c->fd, c->adapter, 2, &info), EINVAL,
		  "QUERYVIDEOMEMORYINFO of segment group 2 -> EINVAL");
	tap_errno(d3dkmt_query_video_memory(c->fd, no_handle, D3DKMT_MEMORY_SEGMENT_GROUP_LOCAL,
					    &info),
		  EINVAL, "QUERYVIDEOMEMORYINFO on adapter handle 0 -> EINVAL");
	tap_errno(d3dkmt_query_video_memory(c->fd, c->device, D3DKMT_MEMORY_SEGMENT_GROUP_LOCAL,
					    &info),
		  EINVAL, "QUERYVIDEOMEMORYINFO on a device handle -> EINVAL");
	memset(&raw, 0, sizeof(raw));
	raw.process = 1;
	raw.adapter = c->adapter;
	tap_errno(d3dkmt_ioctl(c->fd, LX_DXQUERYVIDEOMEMORYINFO, &raw), EINVAL,
		  "QUERYVIDEOMEMORYINFO for another process (process != 0) -> EINVAL");
	tap_errno(d3dkmt_ioctl(c->fd, LX_DXQUERYVIDEOMEMORYINFO, c->bad.noaccess), EFAULT,
		  "QUERYVIDEOMEMORYINFO with an inaccessible argument -> EFAULT");
}

static void case_priority_offer_property(struct ctx *c)
{
	struct d3dkmt_alloc_property prop;
	struct d3dkmthandle dl, hv = { 0 }, both[2];
	uint32_t prio[2] = { 0, 0 }, results[2] = { 9, 9 };
	uint64_t fence = 0;
	int ret;

	if (!tap_ret0(create_kind(c, OPENDXG_ALLOC_KIND_DEVICE_LOCAL, 64 * DXGMEM_KIB, &dl),
		      "create device-local"))
		return;
	if (!tap_ret0(create_kind(c, OPENDXG_ALLOC_KIND_HOST_VISIBLE, 64 * DXGMEM_KIB, &hv),
		      "create host-visible"))
		goto out;
	both[0] = dl;
	both[1] = hv;
	tap_ret0(d3dkmt_get_allocation_priority(c->fd, c->device, no_handle, both, 2, prio),
		 "GETALLOCATIONPRIORITY");
	tap_ok(prio[0] == D3DDDI_ALLOCATIONPRIORITY_NORMAL &&
		       prio[1] == D3DDDI_ALLOCATIONPRIORITY_NORMAL,
	       "new allocations have NORMAL priority (0x%x, 0x%x)", prio[0], prio[1]);
	prio[0] = D3DDDI_ALLOCATIONPRIORITY_LOW;
	prio[1] = D3DDDI_ALLOCATIONPRIORITY_HIGH;
	tap_ret0(d3dkmt_set_allocation_priority(c->fd, c->device, no_handle, both, 2, prio),
		 "SETALLOCATIONPRIORITY low, high");
	prio[0] = prio[1] = 0;
	tap_ret0(d3dkmt_get_allocation_priority(c->fd, c->device, no_handle, both, 2, prio),
		 "GETALLOCATIONPRIORITY");
	tap_ok(prio[0] == D3DDDI_ALLOCATIONPRIORITY_LOW &&
		       prio[1] == D3DDDI_ALLOCATIONPRIORITY_HIGH,
	       "the priorities read back (0x%x, 0x%x)", prio[0], prio[1]);
	tap_errno(d3dkmt_set_allocation_priority(c->fd, c->device, no_handle, both, 0, prio),
		  EINVAL, "SETALLOCATIONPRIORITY with no allocation and no resource -> EINVAL");
	tap_errno(d3dkmt_get_allocation_priority(c->fd, c->device, no_handle, both, 2,
						 c->bad.noaccess),
		  EFAULT, "GETALLOCATIONPRIORITY into inaccessible memory -> EFAULT");

	tap_ret0(d3dkmt_offer_allocations(c->fd, c->device, NULL, &dl, 1,
					  D3DKMT_OFFER_PRIORITY_LOW, 0),
		 "OFFERALLOCATIONS device-local");
	tap_errno(d3dkmt_offer_allocations(c->fd, c->device, NULL, &dl, 1,
					   D3DKMT_OFFER_PRIORITY_LOW, 0),
		  EINVAL, "offer it again -> EINVAL");
	tap_errno(d3dkmt_offer_allocations(c->fd, c->device, NULL, NULL, 1,
					   D3DKMT_OFFER_PRIORITY_LOW, 0),
		  EINVAL, "OFFERALLOCATIONS with neither list -> EINVAL");
	tap_errno(d3dkmt_offer_allocations(c->fd, c->device, &hv, &dl, 1,
					   D3DKMT_OFFER_PRIORITY_LOW, 0),
		  EINVAL, "OFFERALLOCATIONS with both lists -> EINVAL");
	ret = d3dkmt_reclaim_allocations2(c->fd, c->queue.handle, NULL, &dl, 1, results, &fence);
	if (tap_ok(ret >= 0, "RECLAIMALLOCATIONS2 (%s)", ret < 0 ? errno_name(-ret) : "ok")) {
		tap_ok(results[0] == D3DDDI_RECLAIM_RESULT_OK ||
			       results[0] == D3DDDI_RECLAIM_RESULT_DISCARDED,
		       "reclaim result is OK or DISCARDED (%u)", results[0]);
		wait_fence(c, ret, fence, "RECLAIM");
	}
	tap_errno(d3dkmt_reclaim_allocations2(c->fd, c->queue.handle, NULL, &dl, 1, results,
					      &fence),
		  EINVAL, "reclaim what is not offered -> EINVAL");

	memset(&prop, 0, sizeof(prop));
	prop.supported_segment_set = 1u << 0;
	prop.property_mask = D3DDDI_UPDATEALLOCPROPERTY_SET_SUPPORTED_SEGMENT_SET;
	ret = d3dkmt_update_alloc_property(c->fd, c->queue.handle, dl, &prop, &fence);
	if (tap_ok(ret >= 0, "UPDATEALLOCPROPERTY: device-local in segment 1 (%s)",
		   ret < 0 ? errno_name(-ret) : "ok"))
		wait_fence(c, ret, fence, "UPDATEALLOCPROPERTY");
	prop.supported_segment_set = 1u << 1;
	tap_errno(d3dkmt_update_alloc_property(c->fd, c->queue.handle, dl, &prop, &fence), EINVAL,
		  "UPDATEALLOCPROPERTY: a set without the allocation's segment -> EINVAL");
	ret = d3dkmt_update_alloc_property(c->fd, c->queue.handle, hv, &prop, &fence);
	tap_ok(ret >= 0, "UPDATEALLOCPROPERTY: host-visible in segment 2 (%s)",
	       ret < 0 ? errno_name(-ret) : "ok");
	prop.property_mask = 0;
	tap_errno(d3dkmt_update_alloc_property(c->fd, c->queue.handle, dl, &prop, &fence), EINVAL,
		  "UPDATEALLOCPROPERTY with an empty mask -> EINVAL");
	prop.property_mask = 0x80;
	tap_errno(d3dkmt_update_alloc_property(c->fd, c->queue.handle, dl, &prop, &fence), EINVAL,
		  "UPDATEALLOCPROPERTY with an unknown mask bit -> EINVAL");
	destroy_quietly(c, hv);
out:
	destroy_quietly(c, dl);
}

static void case_resources(struct ctx *c)
{
	struct opendxg_alloc_priv priv[2];
	struct d3dddi_allocationinfo2 info[2];
	struct d3dkmt_createallocation args;
	struct dxgmem_snapshot s0, s1;
	unsigned char runtime[24];
	uint32_t status = 0, prio = 0;
	struct d3dkmthandle resource;
	int ret;

	if (dxgmem_snapshot(c->fd, c->adapter, &s0) < 0)
		return;
	memset(runtime, 0x5c, sizeof(runtime));
	d3dkmt_alloc_priv_init(&priv[0], OPENDXG_ALLOC_KIND_HOST_VISIBLE, 8192);
	d3dkmt_alloc_priv_init(&priv[1], OPENDXG_ALLOC_KIND_DEVICE_LOCAL, 8192);
	memset(info, 0, sizeof(info));
	for (int i = 0; i < 2; i++) {
		info[i].priv_drv_data = (uintptr_t)&priv[i];
		info[i].priv_drv_data_size = sizeof(priv[i]);
	}
	memset(&args, 0, sizeof(args));
	args.device = c->device;
	args.flags = D3DKMT_CREATEALLOCATION_FLAG_CREATE_RESOURCE;
	args.private_runtime_data = (uintptr_t)runtime;
	args.private_runtime_data_size = sizeof(runtime);
	args.alloc_count = 2;
	args.allocation_info = (uintptr_t)info;
	ret = d3dkmt_create_allocation_args(c->fd, &args);
	if (!tap_ret0(ret, "a resource with two allocations and runtime data"))
		return;
	resource = args.resource;
	tap_ok(resource.v != 0 && info[0].allocation.v != 0 && info[1].allocation.v != 0 &&
		       info[0].allocation.v != info[1].allocation.v,
	       "a resource handle and two distinct allocation handles");
	if (tap_ret0(dxgmem_snapshot(c->fd, c->adapter, &s1), "query counters"))
		tap_ok(s1.vm.resources == s0.vm.resources + 1 &&
			       s1.vm.allocations == s0.vm.allocations + 2,
		       "the VM counts one more resource and two more allocations");
	tap_errno(d3dkmt_destroy_allocation(c->fd, c->device, info[0].allocation), EINVAL,
		  "destroying a resource's allocation by itself -> EINVAL");
	ret = d3dkmt_query_allocation_residency(c->fd, c->device, resource, NULL, 0, &status);
	tap_ret0(ret, "QUERYALLOCATIONRESIDENCY of the resource");
	tap_ok(status == D3DKMT_ALLOCATIONRESIDENCYSTATUS_RESIDENTINGPUMEMORY ||
		       status == D3DKMT_ALLOCATIONRESIDENCYSTATUS_RESIDENTINSHAREDMEMORY,
	       "the resource is resident (%s)", residency_name(status));
	prio = D3DDDI_ALLOCATIONPRIORITY_HIGH;
	tap_ret0(d3dkmt_set_allocation_priority(c->fd, c->device, resource, NULL, 0, &prio),
		 "SETALLOCATIONPRIORITY of the resource");
	prio = 0;
	tap_ret0(d3dkmt_get_allocation_priority(c->fd, c->device, no_handle, &info[1].allocation, 1,
						&prio),
		 "GETALLOCATIONPRIORITY of its second allocation");
	tap_ok(prio == D3DDDI_ALLOCATIONPRIORITY_HIGH,
	       "setting the resource's priority set its allocations' (0x%x)", prio);
	tap_ret0(d3dkmt_destroy_allocation2(c->fd, c->device, resource, NULL, 0, 0),
		 "destroy the resource");
	tap_errno(d3dkmt_query_allocation_residency(c->fd, c->device, no_handle,
						    &info[1].allocation, 1, &status),
		  EINVAL, "its allocations went with it -> EINVAL");
	tap_errno(d3dkmt_destroy_allocation2(c->fd, c->device, resource, NULL, 0, 0), EINVAL,
		  "destroy the resource again -> EINVAL");

	/* Runtime data belongs to resources only. */
	memset(&args, 0, sizeof(args));
	args.device = c->device;
	args.private_runtime_data = (uintptr_t)runtime;
	args.private_runtime_data_size = sizeof(runtime);
	args.alloc_count = 1;
	args.allocation_info = (uintptr_t)info;
	ret = d3dkmt_create_allocation_args(c->fd, &args);
	expect_create_errno(c, ret, info[0].allocation, EINVAL,
			    "runtime data without CREATE_RESOURCE -> EINVAL");
}

static void case_bad_kmd_data(struct ctx *c)
{
	struct opendxg_alloc_priv good, p;
	unsigned char big[sizeof(good) + 8];
	struct d3dkmthandle made;
	int ret;

	d3dkmt_alloc_priv_init(&good, OPENDXG_ALLOC_KIND_HOST_VISIBLE, DXGMEM_PAGE);
	ret = raw_create(c, &good, sizeof(good), 0, &made);
	if (tap_ret0(ret, "the well-formed private data works"))
		destroy_quietly(c, made);

	p = good;
	p.version = 0;
	expect_create_errno(c, raw_create(c, &p, sizeof(p), 0, &made), made, EINVAL,
			    "KMD version 0 -> EINVAL");
	p = good;
	p.version = OPENDXG_ALLOC_PRIV_VERSION + 1;
	expect_create_errno(c, raw_create(c, &p, sizeof(p), 0, &made), made, EINVAL,
			    "KMD version 2 (unknown) -> EINVAL");
	p = good;
	p.header_size = 16;
	expect_create_errno(c, raw_create(c, &p, sizeof(p), 0, &made), made, EINVAL,
			    "KMD header_size 16 -> EINVAL");
	p = good;
	p.header_size = sizeof(p) + 8;
	memset(big, 0, sizeof(big));
	memcpy(big, &p, sizeof(p));
	expect_create_errno(c, raw_create(c, big, sizeof(big), 0, &made), made, EINVAL,
			    "KMD header_size 40 with 40 bytes of version-1 data -> EINVAL");
	memcpy(big, &good, sizeof(good));
	expect_create_errno(c, raw_create(c, big, sizeof(big), 0, &made), made, EINVAL,
			    "private data 8 bytes longer than header_size -> EINVAL");
	expect_create_errno(c, raw_create(c, &good, sizeof(good) - 4, 0, &made), made, EINVAL,
			    "private data 4 bytes shorter than the header -> EINVAL");
	expect_create_errno(c, raw_create(c, &good, 0, 0, &made), made, EINVAL,
			    "no private data -> EINVAL");
	p = good;
	p.kind = 0;
	expect_create_errno(c, raw_create(c, &p, sizeof(p), 0, &made), made, EINVAL,
			    "kind 0 -> EINVAL");
	p.kind = 4;
	expect_create_errno(c, raw_create(c, &p, sizeof(p), 0, &made), made, EINVAL,
			    "kind 4 -> EINVAL");
	p = good;
	p.flags = 1;
	expect_create_errno(c, raw_create(c, &p, sizeof(p), 0, &made), made, EINVAL,
			    "KMD flags 1 -> EINVAL");
	p = good;
	p.reserved = 1;
	expect_create_errno(c, raw_create(c, &p, sizeof(p), 0, &made), made, EINVAL,
			    "KMD reserved != 0 -> EINVAL");
	p = good;
	p.size = 0;
	expect_create_errno(c, raw_create(c, &p, sizeof(p), 0, &made), made, EINVAL,
			    "size 0 -> EINVAL");
	p.kind = OPENDXG_ALLOC_KIND_DEVICE_LOCAL;
	expect_create_errno(c, raw_create(c, &p, sizeof(p), 0, &made), made, EINVAL,
			    "device-local size 0 -> EINVAL");
	p = good;
	p.kind = OPENDXG_ALLOC_KIND_PROGRAM;
	p.size = 0;
	expect_create_errno(c, raw_create(c, &p, sizeof(p), 0, &made), made, EINVAL,
			    "program size 0 -> EINVAL");
	p = good;
	p.size = 1ull << 62;
	expect_create_errno(c, raw_create(c, &p, sizeof(p), 0, &made), made, ENOMEM,
			    "host-visible 2^62 bytes -> ENOMEM");
	expect_create_errno(c, raw_create(c, c->bad.noaccess, sizeof(good), 0, &made), made, EFAULT,
			    "private data in inaccessible memory -> EFAULT");
	expect_create_errno(c, raw_create(c, NULL, sizeof(good), 0, &made), made, EFAULT,
			    "NULL private data with a size -> EFAULT");
}

static void case_create_flags(struct ctx *c)
{
	static const struct {
		uint32_t flags;
		const char *what;
	} refused[] = {
		{ D3DKMT_CREATEALLOCATION_FLAG_EXISTING_SYSMEM, "EXISTING_SYSMEM" },
		{ D3DKMT_CREATEALLOCATION_FLAG_CREATE_PROTECTED, "CREATE_PROTECTED" },
		{ D3DKMT_CREATEALLOCATION_FLAG_STANDARD_ALLOCATION, "STANDARD_ALLOCATION" },
		{ D3DKMT_CREATEALLOCATION_FLAG_EXISTING_SECTION, "EXISTING_SECTION" },
		{ D3DKMT_CREATEALLOCATION_FLAG_CROSS_ADAPTER, "CROSS_ADAPTER" },
		{ D3DKMT_CREATEALLOCATION_FLAG_OPEN_CROSS_ADAPTER, "OPEN_CROSS_ADAPTER" },
		{ D3DKMT_CREATEALLOCATION_FLAG_WRITE_WATCH, "WRITE_WATCH" },
		{ D3DKMT_CREATEALLOCATION_FLAG_SWAP_CHAIN_BACK_BUFFER, "SWAP_CHAIN_BACK_BUFFER" },
		{ D3DKMT_CREATEALLOCATION_FLAG_PARTIAL_SHARED_CREATION, "PARTIAL_SHARED_CREATION" },
		{ D3DKMT_CREATEALLOCATION_FLAG_CREATE_SHARED, "CREATE_SHARED alone" },
		{ D3DKMT_CREATEALLOCATION_FLAG_CREATE_SHARED |
			  D3DKMT_CREATEALLOCATION_FLAG_CREATE_RESOURCE,
		  "CREATE_SHARED | CREATE_RESOURCE without NT_SECURITY_SHARING" },
		{ 1u << 20, "unknown bit 20" },
		{ 1u << 31, "unknown bit 31" },
	};
	struct opendxg_alloc_priv priv;
	struct d3dddi_allocationinfo2 info;
	struct d3dkmt_createallocation args;
	struct d3dkmthandle made;
	int ret;

	d3dkmt_alloc_priv_init(&priv, OPENDXG_ALLOC_KIND_HOST_VISIBLE, DXGMEM_PAGE);
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		ret = raw_create(c, &priv, sizeof(priv), refused[i].flags, &made);
		tap_errno(ret, EINVAL, "CREATEALLOCATION flag %s -> EINVAL", refused[i].what);
		if (ret == 0)
			destroy_quietly(c, made);
	}
	ret = raw_create(c, &priv, sizeof(priv), D3DKMT_CREATEALLOCATION_FLAG_ZEROED |
						 D3DKMT_CREATEALLOCATION_FLAG_CREATE_CACHED,
			 &made);
	if (tap_ret0(ret, "CREATEALLOCATION flags ZEROED | CREATE_CACHED are accepted"))
		destroy_quietly(c, made);

	/* Wrapping existing user memory is not something opendxg can do. */
	memset(&info, 0, sizeof(info));
	info.priv_drv_data = (uintptr_t)&priv;
	info.priv_drv_data_size = sizeof(priv);
	info.sysmem = (uintptr_t)c->bad.page;
	memset(&args, 0, sizeof(args));
	args.device = c->device;
	args.alloc_count = 1;
	args.allocation_info = (uintptr_t)&info;
	ret = d3dkmt_create_allocation_args(c->fd, &args);
	expect_create_errno(c, ret, info.allocation, EINVAL,
			    "an allocation with a sysmem pointer -> EINVAL");
	info.sysmem = 0;
	args.priv_drv_data = (uintptr_t)&priv;
	args.priv_drv_data_size = sizeof(priv);
	ret = d3dkmt_create_allocation_args(c->fd, &args);
	expect_create_errno(c, ret, info.allocation, EINVAL,
			    "resource-level private data (opendxg uses none) -> EINVAL");
	args.priv_drv_data = 0;
	args.priv_drv_data_size = 0;
	args.device = GARBAGE_HANDLE;
	ret = d3dkmt_create_allocation_args(c->fd, &args);
	expect_create_errno(c, ret, info.allocation, EINVAL,
			    "CREATEALLOCATION on a garbage device -> EINVAL");
	args.device = c->context;
	ret = d3dkmt_create_allocation_args(c->fd, &args);
	expect_create_errno(c, ret, info.allocation, EINVAL,
			    "CREATEALLOCATION on a context handle -> EINVAL");
}

static void case_counts_and_pointers(struct ctx *c)
{
	struct d3dkmthandle *many = calloc(D3DKMT_MAKERESIDENT_ALLOC_MAX + 1, sizeof(*many));
	struct d3dddi_updategpuvirtualaddress_operation op;
	struct opendxg_alloc_priv priv;
	struct d3dddi_allocationinfo2 *infos;
	struct d3dkmt_createallocation args;
	struct d3dkmthandle a = { 0 };
	uint32_t status, *prios;
	uint64_t fence;

	infos = calloc(D3DKMT_CREATEALLOCATION_MAX + 1, sizeof(*infos));
	prios = calloc(D3DKMT_MAKERESIDENT_ALLOC_MAX + 1, sizeof(*prios));
	if (!tap_ok(many && infos && prios, "allocate argument arrays") ||
	    !tap_ret0(create_kind(c, OPENDXG_ALLOC_KIND_DEVICE_LOCAL, DXGMEM_PAGE, &a),
		      "create an allocation"))
		goto out;
	for (uint32_t i = 0; i <= D3DKMT_MAKERESIDENT_ALLOC_MAX; i++)
		many[i] = a;
	d3dkmt_alloc_priv_init(&priv, OPENDXG_ALLOC_KIND_HOST_VISIBLE, DXGMEM_PAGE);
	for (uint32_t i = 0; i <= D3DKMT_CREATEALLOCATION_MAX; i++) {
		infos[i].priv_drv_data = (uintptr_t)&priv;
		infos[i].priv_drv_data_size = sizeof(priv);
	}

	memset(&args, 0, sizeof(args));
	args.device = c->device;
	args.allocation_info = (uintptr_t)infos;
	args.alloc_count = 0;
	tap_errno(d3dkmt_create_allocation_args(c->fd, &args), EINVAL,
		  "CREATEALLOCATION of 0 allocations -> EINVAL");
	args.alloc_count = D3DKMT_CREATEALLOCATION_MAX + 1;
	tap_errno(d3dkmt_create_allocation_args(c->fd, &args), EINVAL,
		  "CREATEALLOCATION of 1025 allocations -> EINVAL");
	args.alloc_count = 1;
	args.allocation_info = 0;
	tap_errno(d3dkmt_create_allocation_args(c->fd, &args), EFAULT,
		  "CREATEALLOCATION with a NULL allocation array -> EFAULT");
	args.allocation_info = (uintptr_t)c->bad.noaccess;
	tap_errno(d3dkmt_create_allocation_args(c->fd, &args), EFAULT,
		  "CREATEALLOCATION with an inaccessible allocation array -> EFAULT");
	tap_errno(d3dkmt_ioctl(c->fd, LX_DXCREATEALLOCATION, NULL), EFAULT,
		  "CREATEALLOCATION with a NULL argument -> EFAULT");

	tap_errno(d3dkmt_destroy_allocation2(c->fd, c->device, no_handle, many, 0, 0), EINVAL,
		  "DESTROYALLOCATION2 of 0 allocations and no resource -> EINVAL");
	tap_errno(d3dkmt_destroy_allocation2(c->fd, c->device, no_handle, many,
					     D3DKMT_CREATEALLOCATION_MAX + 1, 0),
		  EINVAL, "DESTROYALLOCATION2 of 1025 allocations -> EINVAL");
	tap_errno(d3dkmt_destroy_allocation2(c->fd, c->device, no_handle, many, 2, 0), EINVAL,
		  "DESTROYALLOCATION2 naming one allocation twice -> EINVAL");
	tap_errno(d3dkmt_destroy_allocation2(c->fd, c->device, no_handle, c->bad.noaccess, 1, 0),
		  EFAULT, "DESTROYALLOCATION2 with an inaccessible list -> EFAULT");
	tap_errno(d3dkmt_destroy_allocation2(c->fd, c->device, no_handle, &a, 1, 0x4),
		  EINVAL, "DESTROYALLOCATION2 with unknown flag 0x4 -> EINVAL");

	tap_errno(d3dkmt_make_resident(c->fd, c->queue.handle, many, 0, NULL, 0, &fence, NULL),
		  EINVAL, "MAKERESIDENT of 0 allocations -> EINVAL");
	tap_errno(d3dkmt_make_resident(c->fd, c->queue.handle, many,
				       D3DKMT_MAKERESIDENT_ALLOC_MAX + 1, NULL, 0, &fence, NULL),
		  EINVAL, "MAKERESIDENT of 10241 allocations -> EINVAL");
	tap_errno(d3dkmt_make_resident(c->fd, c->queue.handle, many, 2, NULL, 0, &fence, NULL),
		  EINVAL, "MAKERESIDENT naming one allocation twice -> EINVAL");
	tap_errno(d3dkmt_make_resident(c->fd, c->queue.handle, c->bad.noaccess, 1, NULL, 0, &fence,
				       NULL),
		  EFAULT, "MAKERESIDENT with an inaccessible list -> EFAULT");
	tap_errno(d3dkmt_make_resident(c->fd, c->queue.handle, &a, 1, c->bad.noaccess, 0, &fence,
				       NULL),
		  EFAULT, "MAKERESIDENT with an inaccessible priority list -> EFAULT");
	tap_errno(d3dkmt_evict(c->fd, c->device, many, 0, 0, NULL), EINVAL,
		  "EVICT of 0 allocations -> EINVAL");
	tap_errno(d3dkmt_evict(c->fd, c->device, many, D3DKMT_MAKERESIDENT_ALLOC_MAX + 1, 0, NULL),
		  EINVAL, "EVICT of 10241 allocations -> EINVAL");
	tap_errno(d3dkmt_evict(c->fd, c->device, c->bad.noaccess, 1, 0, NULL), EFAULT,
		  "EVICT with an inaccessible list -> EFAULT");
	tap_errno(d3dkmt_offer_allocations(c->fd, c->device, NULL, many, 0,
					   D3DKMT_OFFER_PRIORITY_LOW, 0),
		  EINVAL, "OFFERALLOCATIONS of 0 allocations -> EINVAL");
	tap_errno(d3dkmt_offer_allocations(c->fd, c->device, NULL, many,
					   D3DKMT_MAKERESIDENT_ALLOC_MAX + 1,
					   D3DKMT_OFFER_PRIORITY_LOW, 0),
		  EINVAL, "OFFERALLOCATIONS of 10241 allocations -> EINVAL");
	tap_errno(d3dkmt_reclaim_allocations2(c->fd, c->queue.handle, NULL, many, 0, NULL, &fence),
		  EINVAL, "RECLAIMALLOCATIONS2 of 0 allocations -> EINVAL");
	tap_errno(d3dkmt_reclaim_allocations2(c->fd, c->queue.handle, NULL, many,
					      D3DKMT_MAKERESIDENT_ALLOC_MAX + 1, NULL, &fence),
		  EINVAL, "RECLAIMALLOCATIONS2 of 10241 allocations -> EINVAL");
	tap_errno(d3dkmt_set_allocation_priority(c->fd, c->device, no_handle, many,
						 D3DKMT_MAKERESIDENT_ALLOC_MAX + 1, prios),
		  EINVAL, "SETALLOCATIONPRIORITY of 10241 allocations -> EINVAL");
	tap_errno(d3dkmt_get_allocation_priority(c->fd, c->device, no_handle, many,
						 D3DKMT_MAKERESIDENT_ALLOC_MAX + 1, prios),
		  EINVAL, "GETALLOCATIONPRIORITY of 10241 allocations -> EINVAL");
	tap_errno(d3dkmt_query_allocation_residency(c->fd, c->device, no_handle, many,
						    D3DKMT_MAKERESIDENT_ALLOC_MAX + 1, prios),
		  EINVAL, "QUERYALLOCATIONRESIDENCY of 10241 allocations -> EINVAL");
	tap_errno(d3dkmt_query_allocation_residency(c->fd, c->device, no_handle, many, 0, &status),
		  EINVAL, "QUERYALLOCATIONRESIDENCY of 0 allocations and no resource -> EINVAL");
	tap_errno(d3dkmt_query_allocation_residency(c->fd, c->device, no_handle, &a, 1,
						    c->bad.noaccess),
		  EFAULT, "QUERYALLOCATIONRESIDENCY into inaccessible memory -> EFAULT");
	tap_errno(d3dkmt_query_allocation_residency(c->fd, c->device, no_handle, c->bad.noaccess, 1,
						    &status),
		  EFAULT, "QUERYALLOCATIONRESIDENCY with an inaccessible list -> EFAULT");

	op = d3dkmt_gpu_va_op_unmap(0x10000000ull, DXGMEM_PAGE);
	tap_errno(d3dkmt_update_gpu_va(c->fd, c->device, c->context, no_handle, 0, &op,
				       D3DKMT_UPDATEGPUVA_MAX_OPERATIONS + 1, 0),
		  EINVAL, "UPDATEGPUVIRTUALADDRESS with 2049 operations -> EINVAL");
	tap_errno(d3dkmt_update_gpu_va(c->fd, c->device, c->context, no_handle, 0, c->bad.noaccess,
				       1, 0),
		  EFAULT, "UPDATEGPUVIRTUALADDRESS with inaccessible operations -> EFAULT");

	tap_errno(d3dkmt_ioctl(c->fd, LX_DXLOCK2, NULL), EFAULT,
		  "LOCK2 with a NULL argument -> EFAULT");
	tap_errno(d3dkmt_ioctl(c->fd, LX_DXMAKERESIDENT, c->bad.noaccess), EFAULT,
		  "MAKERESIDENT with an inaccessible argument -> EFAULT");
	tap_errno(d3dkmt_ioctl(c->fd, LX_DXRESERVEGPUVIRTUALADDRESS, NULL), EFAULT,
		  "RESERVEGPUVIRTUALADDRESS with a NULL argument -> EFAULT");
	tap_errno(d3dkmt_ioctl(c->fd, LX_DXCREATEPAGINGQUEUE, c->bad.noaccess), EFAULT,
		  "CREATEPAGINGQUEUE with an inaccessible argument -> EFAULT");
out:
	destroy_quietly(c, a);
	free(many);
	free(infos);
	free(prios);
}

static void case_destroyed_handles(struct ctx *c)
{
	struct d3dkmt_gpu_va_mapping m;
	struct d3dkmthandle a;
	uint32_t status, prio = D3DDDI_ALLOCATIONPRIORITY_LOW;
	uint64_t fence, va;
	void *p;

	if (!tap_ret0(create_kind(c, OPENDXG_ALLOC_KIND_HOST_VISIBLE, DXGMEM_PAGE, &a), "create") ||
	    !tap_ret0(d3dkmt_destroy_allocation(c->fd, c->device, a), "destroy"))
		return;
	tap_errno(d3dkmt_destroy_allocation(c->fd, c->device, a), EINVAL,
		  "DESTROYALLOCATION2 of a destroyed allocation -> EINVAL");
	tap_errno(d3dkmt_lock2(c->fd, c->device, a, &p), EINVAL, "LOCK2 -> EINVAL");
	tap_errno(d3dkmt_query_allocation_residency(c->fd, c->device, no_handle, &a, 1, &status),
		  EINVAL, "QUERYALLOCATIONRESIDENCY -> EINVAL");
	tap_errno(d3dkmt_set_allocation_priority(c->fd, c->device, no_handle, &a, 1, &prio), EINVAL,
		  "SETALLOCATIONPRIORITY -> EINVAL");
	tap_errno(d3dkmt_make_resident(c->fd, c->queue.handle, &a, 1, NULL, 0, &fence, NULL),
		  EINVAL,
		  "MAKERESIDENT -> EINVAL");
	tap_errno(d3dkmt_evict(c->fd, c->device, &a, 1, 0, NULL), EINVAL, "EVICT -> EINVAL");
	tap_errno(d3dkmt_offer_allocations(c->fd, c->device, NULL, &a, 1, D3DKMT_OFFER_PRIORITY_LOW,
					   0),
		  EINVAL, "OFFERALLOCATIONS -> EINVAL");
	memset(&m, 0, sizeof(m));
	m.allocation = a;
	m.size_in_pages = 1;
	tap_errno(d3dkmt_map_gpu_va(c->fd, c->queue.handle, &m, &va, &fence), EINVAL,
		  "MAPGPUVIRTUALADDRESS -> EINVAL");
	tap_errno(d3dkmt_lock2(c->fd, c->device, c->device, &p), EINVAL,
		  "LOCK2 of a device handle -> EINVAL");
	tap_errno(d3dkmt_lock2(c->fd, c->device, c->queue.handle, &p), EINVAL,
		  "LOCK2 of a paging queue handle -> EINVAL");
	tap_errno(d3dkmt_destroy_allocation(c->fd, c->device, c->queue.sync_object), EINVAL,
		  "DESTROYALLOCATION2 of the paging fence handle -> EINVAL");
}

/* What one process left in host-visible pages must not reach the next one. */
static void case_zeroing_across_processes(struct ctx *c)
{
	const uint64_t chunk = 4 * DXGMEM_MIB;
	struct d3dkmt_video_memory info;
	struct d3dkmthandle list[64];
	uint64_t room;
	uint32_t n = 0, dirty = 0;
	pid_t pid;

	if (!tap_ret0(d3dkmt_query_video_memory(c->fd, c->adapter,
						D3DKMT_MEMORY_SEGMENT_GROUP_NON_LOCAL, &info),
		      "query the non-local budget"))
		return;
	room = info.budget - info.current_usage;
	if (room > 64 * chunk)
		room = 64 * chunk;
	tap_diag("filling %llu bytes in %llu-byte allocations", (unsigned long long)room,
		 (unsigned long long)chunk);

	pid = tap_fork();
	if (pid == 0) {
		int fd = d3dkmt_open();
		struct d3dkmt_adapterinfo *adapters;
		struct d3dkmthandle device;
		uint32_t count = 0, made = 0;

		if (!tap_ret0(fd < 0 ? fd : 0, "child: open /dev/dxg") ||
		    d3dkmt_enum_adapters_alloc(fd, D3DKMT_ENUMADAPTERS_FILTER_COMPUTE_ONLY,
					       &adapters,
					       &count) < 0 || count == 0 ||
		    !tap_ret0(d3dkmt_create_device(fd, adapters[0].adapter_handle, 0, &device),
			      "child: device"))
			tap_child_exit();
		for (uint64_t done = 0; done + chunk <= room; done += chunk) {
			struct d3dkmthandle a;
			void *p;

			if (d3dkmt_create_allocation(fd, device, OPENDXG_ALLOC_KIND_HOST_VISIBLE,
						     chunk, &a) < 0)
				break;
			if (d3dkmt_lock2(fd, device, a, &p) == 0)
				memset(p, 0xc3, chunk);
			made++;
		}
		tap_ok(made > 0, "child: filled %u allocations with 0xc3 and exits holding them",
		       made);
		/* Exit without destroying or unlocking: teardown must free and scrub them. */
		tap_child_exit();
	}
	if (pid < 0) {
		tap_ok(false, "fork: %s", errno_name(errno));
		return;
	}
	tap_wait_child(pid, "a child process filled the heap with a pattern and exited");

	for (uint64_t done = 0; done + chunk <= room && n < 64; done += chunk) {
		void *p;
		int ret = -EAGAIN;

		/* The child's teardown may still be reaching the host: retry briefly. */
		for (int attempt = 0; attempt < 100 && ret < 0; attempt++) {
			ret = create_kind(c, OPENDXG_ALLOC_KIND_HOST_VISIBLE, chunk, &list[n]);
			if (ret == -ENOMEM)
				usleep(20000);
			else
				break;
		}
		if (ret < 0) {
			tap_diag("allocation %u: %s", n, errno_name(-ret));
			break;
		}
		if (d3dkmt_lock2(c->fd, c->device, list[n], &p) == 0) {
			if (dxgmem_first_nonzero(p, chunk) != UINT64_MAX)
				dirty++;
			d3dkmt_unlock2(c->fd, c->device, list[n]);
		}
		n++;
	}
	tap_ok(n > 0 && (uint64_t)n * chunk >= room - (room % chunk),
	       "this process could allocate all the child had (%u allocations)", n);
	tap_ok(dirty == 0, "every allocation reads zero (%u of %u held the child's bytes)", dirty,
	       n);
	for (uint32_t i = 0; i < n; i++)
		destroy_quietly(c, list[i]);
}

/*
 * --restart: a worker restart (the host kills dxgd's worker when it sees the marker, see
 * tests/vm/README.md) takes every mapping away, fails the old handles with ENODEV, and the new
 * worker hands out the same heap pages zeroed: the pattern written before must not come back.
 */
#define RESTART_MARKER "dxgtest-memory: locked"

static int run_restart(void)
{
	const uint64_t size = 8 * DXGMEM_MIB;
	struct d3dkmt_adapterinfo *adapters;
	struct d3dkmt_paging_queue queue;
	struct d3dkmt_video_memory info;
	struct d3dkmthandle device, a, again;
	uint32_t count;
	void *p = NULL, *q = NULL;
	int fd, ret = 0;

	fd = dxgtest_open_or_skip();
	adapters = dxgtest_adapters_or_skip(fd, &count);
	if (!tap_ret0(d3dkmt_create_device(fd, adapters[0].adapter_handle, 0, &device), "device") ||
	    !tap_ret0(d3dkmt_create_paging_queue(fd, device, 0, &queue), "paging queue") ||
	    !tap_ret0(create_kind_on(fd, device, size, &a), "8 MiB host-visible allocation") ||
	    !tap_ret0(d3dkmt_lock2(fd, device, a, &p), "LOCK2"))
		return tap_end();
	dxgmem_fill(p, size, 99);
	guest_kmsg("<4>" RESTART_MARKER "; waiting for a worker restart\n");
	for (int waited = 0; waited < 60000; waited += 50) {
		ret = d3dkmt_query_video_memory(fd, adapters[0].adapter_handle,
						D3DKMT_MEMORY_SEGMENT_GROUP_NON_LOCAL, &info);
		if (ret < 0)
			break;
		usleep(50 * 1000);
	}
	if (!tap_errno(ret, ENODEV, "after the worker restart the old adapter handle is ENODEV"))
		return tap_end();
	check_faults(p, false, "the LOCK2 mapping of the old worker's allocation is gone");
	check_faults(queue.fence, false, "the old paging fence mapping is gone");
	tap_errno(d3dkmt_lock2(fd, device, a, &q), ENODEV, "LOCK2 of the old allocation -> ENODEV");
	tap_errno(d3dkmt_destroy_allocation(fd, device, a), ENODEV,
		  "DESTROYALLOCATION2 of the old allocation -> ENODEV");
	for (uint32_t i = 0; i < count; i++)
		d3dkmt_close_adapter(fd, adapters[i].adapter_handle);
	free(adapters);
	d3dkmt_close(fd);

	fd = dxgtest_open_or_skip();
	adapters = NULL;
	for (int attempt = 0; attempt < 200; attempt++) {
		ret = d3dkmt_enum_adapters_alloc(fd, D3DKMT_ENUMADAPTERS_FILTER_COMPUTE_ONLY,
						 &adapters, &count);
		if (ret == 0 && count > 0)
			break;
		free(adapters);
		adapters = NULL;
		usleep(50 * 1000);
	}
	if (!tap_ok(adapters != NULL, "the adapters come back on a new descriptor"))
		return tap_end();
	if (tap_ret0(d3dkmt_create_device(fd, adapters[0].adapter_handle, 0, &device),
		     "a device on the new worker") &&
	    tap_ret0(create_kind_on(fd, device, size, &again), "the same 8 MiB again") &&
	    tap_ret0(d3dkmt_lock2(fd, device, again, &q), "LOCK2")) {
		tap_ok(dxgmem_first_nonzero(q, size) == UINT64_MAX,
		       "it reads zero: the new worker scrubbed the old worker's pages");
		tap_ret0(d3dkmt_unlock2(fd, device, again), "UNLOCK2");
		tap_ret0(d3dkmt_destroy_allocation(fd, device, again), "destroy");
		tap_ret0(d3dkmt_destroy_device(fd, device), "destroy the device");
	}
	for (uint32_t i = 0; i < count; i++)
		d3dkmt_close_adapter(fd, adapters[i].adapter_handle);
	free(adapters);
	d3dkmt_close(fd);
	return tap_end();
}

static const struct test_case cases[] = {
	{ "host-visible-sizes", "create/LOCK2/zero/write/read 4 KiB .. 64 MiB, exact usage",
	  case_host_visible_sizes },
	{ "zeroed-on-reuse", "freed pages come back zeroed", case_zeroed_on_reuse },
	{ "lock-counting", "LOCK2 twice, UNLOCK2 twice, then the mapping is gone",
	  case_lock_counting },
	{ "destroy-unmaps", "destroying an allocation or its device removes the mapping",
	  case_destroy_unmaps },
	{ "user-mappings", "munmap, split and remap of LOCK2 mappings by the process",
	  case_user_mappings },
	{ "teardown-unmaps", "closing the last adapter handle or the fd removes the mappings",
	  case_teardown_unmaps },
	{ "lock-threads", "threads lock and unlock one allocation concurrently",
	  case_lock_threads },
	{ "revoke-race", "pages revoked while another thread faults them in",
	  case_revoke_race },
	{ "fork", "children inherit no mapping, their inherited fd is ENOTTY", case_fork },
	{ "foreign-process", "another process cannot use our handles", case_foreign_process },
	{ "device-local", "LOCK2 refused, evict/make-resident, residency and usage",
	  case_device_local },
	{ "programs", "SPIR-V compute accepted, everything else refused", case_programs },
	{ "paging-queue", "read-only fence mapping, fence values advance", case_paging_queue },
	{ "gpu-va", "reserve/map/free/update and their range checks", case_gpu_va },
	{ "video-memory-info", "exact usage per segment group, reservations",
	case_video_memory_info },
	{ "priority-offer-property", "priorities, offer/reclaim, UPDATEALLOCPROPERTY",
	  case_priority_offer_property },
	{ "resources", "allocations grouped in a resource", case_resources },
	{ "bad-kmd-data", "malformed KMD private data", case_bad_kmd_data },
	{ "create-flags", "CREATEALLOCATION flags opendxg cannot honour", case_create_flags },
	{ "counts-and-pointers", "count limits and bad pointers", case_counts_and_pointers },
	{ "destroyed-handles", "destroyed and wrong-type handles", case_destroyed_handles },
	{ "zeroing-across-processes", "a process never sees another's bytes",
	  case_zeroing_across_processes },
};
#define CASE_COUNT (sizeof(cases) / sizeof(cases[0]))

static int map_bad_memory(struct bad_memory *mem)
{
	long page_size = sysconf(_SC_PAGESIZE);

	mem->page = mmap(NULL, page_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
			 0);
	mem->noaccess = mmap(NULL, page_size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem->page == MAP_FAILED || mem->noaccess == MAP_FAILED)
		return -errno;
	return 0;
}

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
	struct d3dkmt_context_params params = { .engine_affinity = 1 };
	struct dxgmem_snapshot baseline, start, end;
	unsigned int case_failed[CASE_COUNT], case_passed[CASE_COUNT];
	struct ctx c;
	int ret;

	if (argc == 2 && strcmp(argv[1], "--restart") == 0) {
		tap_begin("dxgtest-memory --restart", 300);
		return run_restart();
	}
	if (argc == 2 && strcmp(argv[1], "--list") == 0) {
		for (size_t i = 0; i < CASE_COUNT; i++)
			printf("%-26s %s\n", cases[i].name, cases[i].what);
		return 0;
	}
	for (int i = 1; i < argc; i++) {
		bool known = false;

		for (size_t k = 0; k < CASE_COUNT; k++)
			known |= strcmp(argv[i], cases[k].name) == 0;
		if (!known) {
			fprintf(stderr, "dxgtest-memory: no case '%s' (--list)\n", argv[i]);
			return 2;
		}
	}

	tap_begin("dxgtest-memory", 900);
	memset(&c, 0, sizeof(c));
	c.fd = dxgtest_open_or_skip();
	c.adapters = dxgtest_adapters_or_skip(c.fd, &c.adapter_count);
	c.adapter = c.adapters[0].adapter_handle;
	if (!tap_ret0(map_bad_memory(&c.bad), "set up inaccessible memory"))
		return tap_end();
	ret = dxgmem_snapshot(c.fd, c.adapter, &baseline);
	if (!tap_ret0(ret, "baseline: VM memory counters and video memory info"))
		return tap_end();
	dxgmem_diag("baseline", &baseline);

	if (!tap_ret0(d3dkmt_create_device(c.fd, c.adapter, 0, &c.device),
		      "create the test device") ||
	    !tap_ret0(d3dkmt_create_context_virtual(c.fd, c.device, &params, &c.context),
		      "create a context") ||
	    !tap_ret0(d3dkmt_create_paging_queue(c.fd, c.device, D3DDDI_PAGINGQUEUE_PRIORITY_NORMAL,
						 &c.queue),
		      "create the test paging queue"))
		return tap_end();

	for (size_t i = 0; i < CASE_COUNT; i++) {
		case_passed[i] = case_failed[i] = 0;
		if (!selected(argc, argv, cases[i].name))
			continue;
		tap_diag("---- case %s: %s", cases[i].name, cases[i].what);
		tally.passed = tally.failed = 0;
		if (tap_ret0(dxgmem_snapshot(c.fd, c.adapter, &start), "%s: counters at the start",
			     cases[i].name)) {
			cases[i].run(&c);
			ret = dxgmem_wait_counters(c.fd, c.adapter, &start, &end, RELEASE_WAIT_MS);
			if (!tap_ret0(ret, "%s: every memory counter back where the case started",
				      cases[i].name)) {
				dxgmem_diag("case start", &start);
				dxgmem_diag("case end", &end);
			}
		}
		case_passed[i] = tally.passed;
		case_failed[i] = tally.failed;
	}

	tap_ret0(d3dkmt_destroy_paging_queue(c.fd, c.queue.handle), "destroy the paging queue");
	tap_ret0(d3dkmt_destroy_context(c.fd, c.context), "destroy the context");
	tap_ret0(d3dkmt_destroy_device(c.fd, c.device), "destroy the device");
	ret = dxgmem_wait_counters(c.fd, c.adapter, &baseline, &end, RELEASE_WAIT_MS);
	if (!tap_ret0(ret,
		      "the VM's memory counters and this process's usage are back at baseline"))
		dxgmem_diag("end", &end);
	tap_ok(end.vm.handles == baseline.vm.handles && dxgtest_stats_equal(&end.vm, &baseline.vm),
	       "no host object left (handles %u, baseline %u)", end.vm.handles,
	       baseline.vm.handles);

	tap_diag("---- summary");
	for (size_t i = 0; i < CASE_COUNT; i++)
		if (selected(argc, argv, cases[i].name))
			tap_diag("%-26s %3u passed, %3u failed%s", cases[i].name, case_passed[i],
				 case_failed[i], case_failed[i] ? "  <--" : "");

	for (uint32_t i = 0; i < c.adapter_count; i++)
		d3dkmt_close_adapter(c.fd, c.adapters[i].adapter_handle);
	free(c.adapters);
	d3dkmt_close(c.fd);
	return tap_end();
}
