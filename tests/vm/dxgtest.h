/* SPDX-License-Identifier: MIT */
/*
 * Shared pieces of the guest test programs: TAP-like reporting and a few /dev/dxg helpers.
 *
 * Output: one "ok N - what" / "not ok N - what" line per check, "# ..." diagnostics, and a final
 * "N passed, N failed" line. The program exits 0 only when nothing failed, 77 when it skipped
 * everything (no adapter to test).
 *
 * Checks made inside forked children print indented ("    ok - ...") with the child's own counts;
 * the child exits non-zero when one of them failed and the parent turns that into one check.
 */
#ifndef DXGTEST_H
#define DXGTEST_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "d3dkmt.h"

#define DXGTEST_EXIT_SKIP 77

/* Starts a program: names it in the output and arms a watchdog that fails a hung run. */
void tap_begin(const char *program, unsigned int timeout_s);
/* Prints the summary line; returns the exit status (0 all passed, 1 otherwise). */
int tap_end(void);
/* Skips the whole program (summary line, exit status 77). */
__attribute__((noreturn, format(printf, 1, 2))) void tap_skip_all(const char *fmt, ...);

__attribute__((format(printf, 2, 3))) bool tap_ok(bool cond, const char *fmt, ...);
__attribute__((format(printf, 1, 2))) void tap_diag(const char *fmt, ...);
/* Passes when ret == 0; otherwise reports the errno it got. */
__attribute__((format(printf, 2, 3))) bool tap_ret0(int ret, const char *fmt, ...);
/* Passes when ret == -want_errno; reports both errno names. */
__attribute__((format(printf, 3, 4))) bool tap_errno(int ret, int want_errno, const char *fmt, ...);

/*
 * fork() for tests: flushes stdout first (so buffered lines are not printed twice) and switches the
 * child to indented output with its own counters. Returns like fork().
 */
pid_t tap_fork(void);
/* Ends a child made by tap_fork(): exit status 0 when all its checks passed, 1 otherwise. */
__attribute__((noreturn)) void tap_child_exit(void);
/* Waits for a tap_fork() child and records one check: it exited 0. */
bool tap_wait_child(pid_t pid, const char *what);

/* The errno's symbolic name ("EINVAL"), or its number as text. */
const char *errno_name(int err);

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
