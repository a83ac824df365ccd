// SPDX-License-Identifier: MIT
/*
 * Helpers of the guest memory tests (see dxgmem.h).
 */
#include "dxgmem.h"

#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <string.h>
#include <time.h>

static sigjmp_buf probe_jump;
static volatile sig_atomic_t probe_signal;

static void on_probe_fault(int sig)
{
	probe_signal = sig;
	siglongjmp(probe_jump, 1);
}

int dxgmem_probe(const volatile void *addr, bool write)
{
	volatile uint8_t *byte = (volatile uint8_t *)(uintptr_t)addr;
	struct sigaction sa, old_segv, old_bus;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_probe_fault;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, &old_segv);
	sigaction(SIGBUS, &sa, &old_bus);
	probe_signal = 0;
	/* savemask 1: the jump out of the handler must unblock the signal again. */
	if (sigsetjmp(probe_jump, 1) == 0) {
		uint8_t value = *byte;

		if (write)
			*byte = value;
	}
	sigaction(SIGSEGV, &old_segv, NULL);
	sigaction(SIGBUS, &old_bus, NULL);
	return probe_signal;
}

int dxgmem_snapshot(int fd, struct d3dkmthandle adapter, struct dxgmem_snapshot *snap)
{
	int ret;

	memset(snap, 0, sizeof(*snap));
	ret = d3dkmt_query_vm_stats(fd, adapter, &snap->vm);
	if (ret == 0)
		ret = d3dkmt_query_video_memory(fd, adapter, D3DKMT_MEMORY_SEGMENT_GROUP_LOCAL,
						&snap->local);
	if (ret == 0)
		ret = d3dkmt_query_video_memory(fd, adapter, D3DKMT_MEMORY_SEGMENT_GROUP_NON_LOCAL,
						&snap->non_local);
	return ret;
}

bool dxgmem_counters_equal(const struct dxgmem_snapshot *x, const struct dxgmem_snapshot *y)
{
	const struct opendxg_vm_stats *a = &x->vm, *b = &y->vm;

	return a->allocations == b->allocations && a->resources == b->resources &&
	       a->paging_queues == b->paging_queues && a->gpu_va_ranges == b->gpu_va_ranges &&
	       a->host_visible_bytes == b->host_visible_bytes &&
	       a->device_local_bytes == b->device_local_bytes &&
	       a->program_bytes == b->program_bytes && a->evicted_bytes == b->evicted_bytes &&
	       x->local.current_usage == y->local.current_usage &&
	       x->non_local.current_usage == y->non_local.current_usage;
}

void dxgmem_diag(const char *label, const struct dxgmem_snapshot *s)
{
	const struct opendxg_vm_stats *v = &s->vm;

	tap_diag("%s: allocations %u, resources %u, paging queues %u, gpu va ranges %u, handles %u",
		 label, v->allocations, v->resources, v->paging_queues, v->gpu_va_ranges,
		 v->handles);
	tap_diag("%s: bytes host-visible %llu, device-local %llu, program %llu, evicted %llu, "
		 "quota %llu", label, (unsigned long long)v->host_visible_bytes,
		 (unsigned long long)v->device_local_bytes, (unsigned long long)v->program_bytes,
		 (unsigned long long)v->evicted_bytes, (unsigned long long)v->quota_bytes);
	tap_diag("%s: process usage local %llu (budget %llu), non-local %llu (budget %llu)", label,
		 (unsigned long long)s->local.current_usage, (unsigned long long)s->local.budget,
		 (unsigned long long)s->non_local.current_usage,
		 (unsigned long long)s->non_local.budget);
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

int dxgmem_wait_counters(int fd, struct d3dkmthandle adapter, const struct dxgmem_snapshot *want,
			 struct dxgmem_snapshot *got, unsigned int max_wait_ms)
{
	const unsigned int step_ms = 20;

	for (unsigned int waited = 0;; waited += step_ms) {
		int ret = dxgmem_snapshot(fd, adapter, got);

		if (ret < 0)
			return ret;
		if (dxgmem_counters_equal(got, want))
			return 0;
		if (waited >= max_wait_ms)
			return -ETIMEDOUT;
		sleep_ms(step_ms);
	}
}

/* splitmix64: cheap, and every word differs, so a shifted or stale page cannot pass. */
static uint64_t pattern_word(uint64_t seed, uint64_t index)
{
	uint64_t z = seed + (index + 1) * 0x9e3779b97f4a7c15ull;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

void dxgmem_fill(void *p, uint64_t size, uint64_t seed)
{
	uint64_t *words = p;

	for (uint64_t i = 0; i < size / 8; i++)
		words[i] = pattern_word(seed, i);
}

uint64_t dxgmem_check(const void *p, uint64_t size, uint64_t seed)
{
	const uint64_t *words = p;

	for (uint64_t i = 0; i < size / 8; i++)
		if (words[i] != pattern_word(seed, i))
			return i;
	return UINT64_MAX;
}

uint64_t dxgmem_first_nonzero(const void *p, uint64_t size)
{
	const uint64_t *words = p;
	const uint8_t *bytes = p;
	uint64_t i;

	for (i = 0; i < size / 8; i++)
		if (words[i])
			break;
	for (i *= 8; i < size; i++)
		if (bytes[i])
			return i;
	return UINT64_MAX;
}
