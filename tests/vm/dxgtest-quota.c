// SPDX-License-Identifier: MIT
/*
 * dxgtest-quota: the per-VM memory quota of dxgd, seen from inside a guest. Run it in every guest
 * of `scripts/vm-run --vms 2` with a quota configured for each VM (different amounts, so one
 * guest's numbers cannot pass for the other's); it reads its own quota from OPENDXG_QAI_VM_STATS
 * and skips (77) when the VM has none.
 *
 *   exact       the VM's allocations reach the quota exactly (+0 bytes works), one page more is
 *               ENOMEM for every kind, QUERYVIDEOMEMORYINFO's budget says there is no room left,
 *               and freeing a page makes room for exactly a page
 *   isolation   while full, the guest holds its quota for a few seconds and checks that the VM
 *               counters stay exactly at its own numbers; both guests run this at the same time,
 *               so each fills its quota while the other holds its own
 *   offer       a full VM discards its offered device-local allocations to make room; reclaiming
 *               one then says DISCARDED (and ENOMEM while there is no room for it)
 *   reservation a process's reservation sets quota aside: another process of the VM cannot
 *               allocate into it, and gets it back once the reservation is released
 *   zeroing     this guest fills every host-visible byte it may with a pattern and frees it, then
 *               allocates everything again and finds only zeros (each guest does this, at the
 *               same time as the other guest)
 *   teardown    every counter back to the baseline
 */
#include "dxgmem.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_HELD 256
#define CHUNK (4 * DXGMEM_MIB)
#define HOLD_ROUNDS 25		/* x 200 ms */
#define RELEASE_WAIT_MS 2000u
#define FENCE_TIMEOUT_MS 10000u

struct held {
	struct d3dkmthandle handles[MAX_HELD];
	uint64_t charged[MAX_HELD];
	uint32_t count;
};

static int fd;
static unsigned int vm;
static struct d3dkmthandle adapter, device;
static struct d3dkmt_paging_queue queue;

static uint64_t vm_charged(const struct opendxg_vm_stats *s)
{
	return s->host_visible_bytes + s->device_local_bytes + s->program_bytes + s->evicted_bytes;
}

static void pause_ms(unsigned int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static int hold(struct held *h, uint32_t kind, uint64_t size)
{
	int ret;

	if (h->count == MAX_HELD)
		return -ENOSPC;
	ret = d3dkmt_create_allocation(fd, device, kind, size, &h->handles[h->count]);
	if (ret == 0)
		h->charged[h->count++] = dxgmem_page_round(size);
	return ret;
}

static void release_all(struct held *h)
{
	for (uint32_t i = 0; i < h->count; i++)
		d3dkmt_destroy_allocation(fd, device, h->handles[i]);
	h->count = 0;
}

/* Fills the VM's quota exactly, the bulk as device-local memory, the last page host-visible. */
static bool fill_to_quota(struct held *h, uint64_t quota)
{
	struct opendxg_vm_stats s;
	uint64_t room;
	int ret;

	if (!tap_ret0(d3dkmt_query_vm_stats(fd, adapter, &s), "vm%u: counters before filling", vm))
		return false;
	room = quota - vm_charged(&s);
	tap_diag("vm%u: %llu bytes of quota left, filling them", vm, (unsigned long long)room);
	while (room > DXGMEM_PAGE) {
		uint64_t size = room - DXGMEM_PAGE < CHUNK ? room - DXGMEM_PAGE : CHUNK;

		ret = hold(h, OPENDXG_ALLOC_KIND_DEVICE_LOCAL, size);
		if (ret < 0)
			return tap_ret0(ret, "vm%u: device-local %llu bytes with %llu left", vm,
					(unsigned long long)size, (unsigned long long)room);
		room -= size;
	}
	return tap_ret0(hold(h, OPENDXG_ALLOC_KIND_HOST_VISIBLE, DXGMEM_PAGE),
			"vm%u: the last page of the quota (host-visible) is granted", vm);
}

static void check_full(uint64_t quota)
{
	struct dxgmem_snapshot s;
	struct d3dkmthandle extra;
	int ret;

	if (tap_ret0(dxgmem_snapshot(fd, adapter, &s), "vm%u: counters when full", vm)) {
		tap_ok(vm_charged(&s.vm) == quota,
		       "vm%u: the VM holds exactly its quota (%llu of %llu)",
		       vm, (unsigned long long)vm_charged(&s.vm), (unsigned long long)quota);
		tap_ok(s.local.budget == s.local.current_usage &&
			       s.non_local.budget == s.non_local.current_usage,
		       "vm%u: budgets equal usage, no room left (local %llu/%llu, "
		       "non-local %llu/%llu)",
		       vm, (unsigned long long)s.local.current_usage,
		       (unsigned long long)s.local.budget,
		       (unsigned long long)s.non_local.current_usage,
		       (unsigned long long)s.non_local.budget);
	}
	ret = d3dkmt_create_allocation(fd, device, OPENDXG_ALLOC_KIND_HOST_VISIBLE, 1, &extra);
	tap_errno(ret, ENOMEM, "vm%u: one byte more, host-visible -> ENOMEM", vm);
	if (ret == 0)
		d3dkmt_destroy_allocation(fd, device, extra);
	ret = d3dkmt_create_allocation(fd, device, OPENDXG_ALLOC_KIND_DEVICE_LOCAL, 1, &extra);
	tap_errno(ret, ENOMEM, "vm%u: one byte more, device-local -> ENOMEM", vm);
	if (ret == 0)
		d3dkmt_destroy_allocation(fd, device, extra);
}

static void test_exact_and_isolation(uint64_t quota)
{
	struct held h = { .count = 0 };
	struct opendxg_vm_stats s;
	struct d3dkmthandle page;
	bool steady = true;
	int ret;

	if (!fill_to_quota(&h, quota)) {
		release_all(&h);
		return;
	}
	check_full(quota);

	for (int round = 0; round < HOLD_ROUNDS && steady; round++) {
		ret = d3dkmt_query_vm_stats(fd, adapter, &s);
		steady = ret == 0 && vm_charged(&s) == quota && s.allocations == h.count;
		pause_ms(200);
	}
	tap_ok(steady, "vm%u: held the full quota for %d checks, counters unchanged (the other "
	       "guest's memory never shows here)", vm, HOLD_ROUNDS);

	/* Freeing the host-visible page makes room for exactly one page again. */
	h.count--;
	tap_ret0(d3dkmt_destroy_allocation(fd, device, h.handles[h.count]), "vm%u: free one page",
		 vm);
	ret = d3dkmt_create_allocation(fd, device, OPENDXG_ALLOC_KIND_HOST_VISIBLE,
				       DXGMEM_PAGE + 1, &page);
	tap_errno(ret, ENOMEM, "vm%u: a page and a byte do not fit in a page -> ENOMEM", vm);
	if (ret == 0)
		d3dkmt_destroy_allocation(fd, device, page);
	ret = d3dkmt_create_allocation(fd, device, OPENDXG_ALLOC_KIND_HOST_VISIBLE, DXGMEM_PAGE,
				       &page);
	if (tap_ret0(ret, "vm%u: exactly one page fits again", vm))
		d3dkmt_destroy_allocation(fd, device, page);
	release_all(&h);
}

static void test_offer_discard(uint64_t quota)
{
	struct held h = { .count = 0 };
	struct d3dkmthandle victim, newcomer;
	uint32_t result = 99;
	uint64_t fence = 0, size;
	int ret;

	if (!fill_to_quota(&h, quota) || h.count < 2) {
		release_all(&h);
		return;
	}
	victim = h.handles[0];
	size = h.charged[0];
	tap_ret0(d3dkmt_offer_allocations(fd, device, NULL, &victim, 1, D3DKMT_OFFER_PRIORITY_LOW,
					  0),
		 "vm%u: offer a %llu-byte device-local allocation", vm, (unsigned long long)size);
	ret = d3dkmt_create_allocation(fd, device, OPENDXG_ALLOC_KIND_DEVICE_LOCAL, size,
				       &newcomer);
	if (tap_ret0(ret, "vm%u: a full VM makes room by discarding the offered allocation", vm)) {
		ret = d3dkmt_reclaim_allocations2(fd, queue.handle, NULL, &victim, 1, &result,
						  &fence);
		tap_errno(ret, ENOMEM, "vm%u: reclaiming it while the quota is full -> ENOMEM", vm);
		d3dkmt_destroy_allocation(fd, device, newcomer);
	}
	ret = d3dkmt_reclaim_allocations2(fd, queue.handle, NULL, &victim, 1, &result, &fence);
	if (tap_ok(ret == 0 || ret == DXG_STATUS_PENDING, "vm%u: reclaim with room (%d)", vm,
		   ret)) {
		tap_ok(result == D3DDDI_RECLAIM_RESULT_DISCARDED,
		       "vm%u: the reclaim says DISCARDED (%u)", vm, result);
		tap_ret0(d3dkmt_wait_paging_fence(queue.fence, fence, FENCE_TIMEOUT_MS),
			 "vm%u: the reclaim's fence value is reached", vm);
	}
	release_all(&h);
}

/* A child's reservation takes quota this process may not use until it is released. */
static void test_reservation(uint64_t quota)
{
	int to_child[2], to_parent[2];
	struct opendxg_vm_stats s;
	struct d3dkmthandle page;
	char byte = 0;
	pid_t pid;
	int ret;

	if (!tap_ret0(d3dkmt_query_vm_stats(fd, adapter, &s), "vm%u: counters", vm))
		return;
	tap_errno(d3dkmt_change_video_memory_reservation(fd, adapter,
							 D3DKMT_MEMORY_SEGMENT_GROUP_LOCAL,
							 quota - vm_charged(&s) + DXGMEM_PAGE),
		  ENOMEM, "vm%u: a reservation above the quota -> ENOMEM", vm);
	if (pipe(to_child) < 0 || pipe(to_parent) < 0) {
		tap_ok(false, "pipes: %s", errno_name(errno));
		return;
	}
	pid = tap_fork();
	if (pid == 0) {
		struct d3dkmt_adapterinfo *adapters;
		struct d3dkmthandle child_device;
		uint32_t count = 0;
		int child_fd = d3dkmt_open();

		if (child_fd < 0 ||
		    d3dkmt_enum_adapters_alloc(child_fd, D3DKMT_ENUMADAPTERS_FILTER_COMPUTE_ONLY,
					       &adapters, &count) < 0 || count == 0 ||
		    d3dkmt_create_device(child_fd, adapters[0].adapter_handle, 0,
					 &child_device) < 0) {
			tap_ok(false, "child: open, enumerate, device");
			tap_child_exit();
		}
		ret = d3dkmt_change_video_memory_reservation(child_fd, adapters[0].adapter_handle,
							     D3DKMT_MEMORY_SEGMENT_GROUP_LOCAL,
							     quota - vm_charged(&s));
		tap_ret0(ret, "child: reserve all the quota that is left");
		dxgtest_write_all(to_parent[1], "r", 1);
		dxgtest_read_all(to_child[0], &byte, 1);
		tap_ret0(d3dkmt_change_video_memory_reservation(child_fd,
								adapters[0].adapter_handle,
								D3DKMT_MEMORY_SEGMENT_GROUP_LOCAL,
								0),
			 "child: release the reservation");
		dxgtest_write_all(to_parent[1], "r", 1);
		dxgtest_read_all(to_child[0], &byte, 1);
		tap_child_exit();
	}
	if (pid < 0) {
		tap_ok(false, "fork: %s", errno_name(errno));
		return;
	}
	if (dxgtest_read_all(to_parent[0], &byte, 1) == 0) {
		ret = d3dkmt_create_allocation(fd, device, OPENDXG_ALLOC_KIND_DEVICE_LOCAL, 1,
					       &page);
		tap_errno(ret, ENOMEM,
			  "vm%u: while another process reserves the rest, one byte -> ENOMEM", vm);
		if (ret == 0)
			d3dkmt_destroy_allocation(fd, device, page);
	}
	dxgtest_write_all(to_child[1], "g", 1);
	if (dxgtest_read_all(to_parent[0], &byte, 1) == 0) {
		ret = d3dkmt_create_allocation(fd, device, OPENDXG_ALLOC_KIND_DEVICE_LOCAL, 1,
					       &page);
		if (tap_ret0(ret, "vm%u: after the release the byte fits", vm))
			d3dkmt_destroy_allocation(fd, device, page);
	}
	dxgtest_write_all(to_child[1], "g", 1);
	tap_wait_child(pid, "a reservation of another process of the VM counts against the quota");
	close(to_child[0]);
	close(to_child[1]);
	close(to_parent[0]);
	close(to_parent[1]);
}

/* Fills every host-visible byte it may with @seed's pattern (or checks zeros), then frees. */
static void host_visible_pass(bool fill, uint64_t seed)
{
	struct held h = { .count = 0 };
	struct d3dkmt_video_memory info;
	uint32_t dirty = 0;
	uint64_t bytes = 0;

	if (d3dkmt_query_video_memory(fd, adapter, D3DKMT_MEMORY_SEGMENT_GROUP_NON_LOCAL,
				      &info) < 0)
		return;
	for (;;) {
		uint64_t room = info.budget - info.current_usage - bytes, size;
		void *p;

		size = room < CHUNK ? room & ~(DXGMEM_PAGE - 1) : CHUNK;
		if (size == 0 || hold(&h, OPENDXG_ALLOC_KIND_HOST_VISIBLE, size) < 0)
			break;
		bytes += size;
		if (d3dkmt_lock2(fd, device, h.handles[h.count - 1], &p) < 0)
			continue;
		if (fill)
			dxgmem_fill(p, size, seed + h.count);
		else if (dxgmem_first_nonzero(p, size) != UINT64_MAX)
			dirty++;
		d3dkmt_unlock2(fd, device, h.handles[h.count - 1]);
	}
	if (fill)
		tap_ok(bytes > 0, "vm%u: filled %llu host-visible bytes with a pattern", vm,
		       (unsigned long long)bytes);
	else
		tap_ok(bytes > 0 && dirty == 0,
		       "vm%u: allocated %llu host-visible bytes again: all zero (%u dirty "
		       "allocations)",
		       vm, (unsigned long long)bytes, dirty);
	release_all(&h);
}

int main(void)
{
	const char *index_env = getenv("DXG_VM_INDEX");
	struct dxgmem_snapshot baseline, end;
	struct d3dkmt_adapterinfo *adapters;
	char program[32];
	uint32_t count;
	uint64_t quota;
	int ret;

	vm = index_env ? (unsigned int)strtoul(index_env, NULL, 10) : 0;
	snprintf(program, sizeof(program), "dxgtest-quota[vm%u]", vm);
	tap_begin(program, 600);
	fd = dxgtest_open_or_skip();
	adapters = dxgtest_adapters_or_skip(fd, &count);
	adapter = adapters[0].adapter_handle;
	if (!tap_ret0(dxgmem_snapshot(fd, adapter, &baseline), "vm%u: baseline", vm))
		return tap_end();
	dxgmem_diag("baseline", &baseline);
	quota = baseline.vm.quota_bytes;
	if (quota == UINT64_MAX)
		tap_skip_all("vm%u has no memory quota on this adapter: run dxgd with one", vm);
	tap_ok(quota % DXGMEM_PAGE == 0 && quota > vm_charged(&baseline.vm) + 2 * DXGMEM_PAGE,
	       "vm%u: quota %llu bytes: a page multiple with room left", vm,
	       (unsigned long long)quota);
	/*
	 * The budget is what the quota really leaves (the lavapipe device has far more than any
	 * test quota); the non-local group is further bounded by the heap's largest free extent.
	 */
	tap_ok(baseline.local.budget - baseline.local.current_usage ==
		       quota - vm_charged(&baseline.vm),
	       "vm%u: the local budget is the quota's room (%llu)", vm,
	       (unsigned long long)baseline.local.budget);
	tap_ok(baseline.non_local.budget - baseline.non_local.current_usage <=
		       quota - vm_charged(&baseline.vm),
	       "vm%u: the non-local budget is within the quota's room (%llu)", vm,
	       (unsigned long long)baseline.non_local.budget);

	if (!tap_ret0(d3dkmt_create_device(fd, adapter, 0, &device), "vm%u: device", vm) ||
	    !tap_ret0(d3dkmt_create_paging_queue(fd, device, D3DDDI_PAGINGQUEUE_PRIORITY_NORMAL,
						 &queue),
		      "vm%u: paging queue", vm))
		return tap_end();

	test_exact_and_isolation(quota);
	test_offer_discard(quota);
	test_reservation(quota);
	host_visible_pass(true, 0x1234u + vm);
	host_visible_pass(false, 0);

	tap_ret0(d3dkmt_destroy_paging_queue(fd, queue.handle), "vm%u: destroy the paging queue",
		 vm);
	tap_ret0(d3dkmt_destroy_device(fd, device), "vm%u: destroy the device", vm);
	ret = dxgmem_wait_counters(fd, adapter, &baseline, &end, RELEASE_WAIT_MS);
	if (!tap_ret0(ret, "vm%u: every memory counter and the usage back at baseline", vm))
		dxgmem_diag("end", &end);

	for (uint32_t i = 0; i < count; i++)
		d3dkmt_close_adapter(fd, adapters[i].adapter_handle);
	free(adapters);
	d3dkmt_close(fd);
	return tap_end();
}
