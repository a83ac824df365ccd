/* SPDX-License-Identifier: MIT */
/*
 * Helpers of the guest memory tests (dxgtest-memory, dxgtest-quota): fault probes for CPU
 * mappings, the host's memory counters, and pattern fill/check of mapped allocations.
 */
#ifndef DXGMEM_H
#define DXGMEM_H

#include <stdbool.h>
#include <stdint.h>

#include "dxgtest.h"

#define DXGMEM_PAGE 4096ull
#define DXGMEM_KIB 1024ull
#define DXGMEM_MIB (1024ull * 1024ull)

static inline uint64_t dxgmem_page_round(uint64_t size)
{
	return (size + DXGMEM_PAGE - 1) & ~(DXGMEM_PAGE - 1);
}

/*
 * Touches one byte at @addr (a read, or a read then a write of the same value) and reports what
 * happened: 0 when the access worked, SIGSEGV or SIGBUS when it faulted. The fault is caught in
 * this process: a child would not tell us anything, since mappings of /dev/dxg are not inherited.
 */
int dxgmem_probe(const volatile void *addr, bool write);

/* The host's memory view of this VM on @adapter and this process's view of both segment groups. */
struct dxgmem_snapshot {
	struct opendxg_vm_stats vm;
	struct d3dkmt_video_memory local;
	struct d3dkmt_video_memory non_local;
};

/* Takes a snapshot: 0 or the first failing query's -errno. */
int dxgmem_snapshot(int fd, struct d3dkmthandle adapter, struct dxgmem_snapshot *snap);
/* Whether the memory counters of the VM and the usage of the process are equal. */
bool dxgmem_counters_equal(const struct dxgmem_snapshot *x, const struct dxgmem_snapshot *y);
/* Prints the memory counters of @s as diagnostics, tagged @label. */
void dxgmem_diag(const char *label, const struct dxgmem_snapshot *s);
/*
 * Polls until the memory counters equal @want (a release the test caused may complete on the host
 * a moment after the ioctl returned), for at most @max_wait_ms. 0, -ETIMEDOUT or -errno.
 */
int dxgmem_wait_counters(int fd, struct d3dkmthandle adapter, const struct dxgmem_snapshot *want,
			 struct dxgmem_snapshot *got, unsigned int max_wait_ms);

/* Writes a pattern derived from @seed over @size bytes (a multiple of 8) at @p. */
void dxgmem_fill(void *p, uint64_t size, uint64_t seed);
/* Index of the first u64 that differs from the pattern of @seed, or UINT64_MAX when none does. */
uint64_t dxgmem_check(const void *p, uint64_t size, uint64_t seed);
/* Index of the first non-zero byte, or UINT64_MAX when all @size bytes are zero. */
uint64_t dxgmem_first_nonzero(const void *p, uint64_t size);

#endif /* DXGMEM_H */
