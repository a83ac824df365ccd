/* SPDX-License-Identifier: MIT */
/*
 * /dev/dxg helpers of the guest test programs built on libd3dkmt; their reporting (tap_*) is
 * guestsys.h's, which this header brings in. A program exits 77 when there is no adapter to test.
 */
#ifndef DXGTEST_H
#define DXGTEST_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "d3dkmt.h"
#include "guestsys.h"

/* Opens /dev/dxg or skips the program with a clear message when the driver is not loaded. */
int dxgtest_open_or_skip(void);

/*
 * Opens every adapter (compute-only filter included) and returns the malloc()ed list; skips the
 * program when there is none. *count receives the number of entries.
 */
struct d3dkmt_adapterinfo *dxgtest_adapters_or_skip(int fd, uint32_t *count);

/*
 * Polls OPENDXG_QAI_VM_STATS until processes/open_adapters/devices/contexts and the number of live
 * host handles equal @want, for at most @max_wait_ms (a test waits for a release it caused, and
 * the handle count catches host objects that no counter names).
 * Leaves the last answer in *@got. Returns 0 when they matched, -ETIMEDOUT or the query's -errno.
 */
int dxgtest_wait_stats(int fd, struct d3dkmthandle adapter, const struct opendxg_vm_stats *want,
		       struct opendxg_vm_stats *got, unsigned int max_wait_ms);
/* Prints the object counters of @s as a diagnostic line, tagged @label. */
void dxgtest_diag_stats(const char *label, const struct opendxg_vm_stats *s);
/* Whether the object counters (processes, open adapters, devices, contexts) are equal. */
bool dxgtest_stats_equal(const struct opendxg_vm_stats *x, const struct opendxg_vm_stats *y);

/* write()/read() of an exact number of bytes over a pipe; -errno or -EPIPE on a short transfer. */
int dxgtest_write_all(int fd, const void *buf, size_t size);
int dxgtest_read_all(int fd, void *buf, size_t size);

#endif /* DXGTEST_H */
