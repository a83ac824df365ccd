/* SPDX-License-Identifier: MIT */
/*
 * The core of every guest test program, libd3dkmt-free so that the raw-ioctl programs can use it:
 * TAP-like reporting, and the sysfs and kernel-log helpers of the programs that unbind and bind
 * the driver or hand the host side a marker on the console.
 *
 * Output: one "ok N - what" / "not ok N - what" line per check, "# ..." diagnostics, and a final
 * "PROGRAM: N passed, N failed" line. The program exits 0 only when nothing failed, 77 when it
 * skipped everything.
 *
 * Checks made inside forked children print indented ("    ok - ...") with the child's own counts;
 * the child exits non-zero when one of them failed and the parent turns that into one check.
 */
#ifndef GUESTSYS_H
#define GUESTSYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <misc/d3dkmthk.h>

#define TAP_EXIT_SKIP 77

/* Where opendxg.ko lists the PCI devices it is bound to (and takes bind/unbind requests). */
#define GUEST_OPENDXG_DRIVER_DIR "/sys/bus/pci/drivers/opendxg"

/* Names the program for the summary line and arms a watchdog that fails a hung run. */
void tap_start(const char *program, unsigned int timeout_s);
/* tap_start(), then a "# PROGRAM" header line. */
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

/* Writes all of @text to the file at @path (a sysfs attribute, /dev/kmsg): 0 or -errno. */
int guest_write_file(const char *path, const char *text);
/* Puts @line (with its "<level>" prefix) in the kernel log: the host side watches the console. */
int guest_kmsg(const char *line);

/* The PCI address ("0000:00:02.0") of the device opendxg is bound to; false when none. */
bool guest_find_opendxg_device(char *bdf, size_t size);
/* Binds/unbinds opendxg to/from the device at @bdf through sysfs: 0 or -errno. */
int guest_bind_opendxg(const char *bdf);
int guest_unbind_opendxg(const char *bdf);

/*
 * Counts the opendxg lines of the kernel log that contain one of @words, printing each as a
 * diagnostic. With @after, only the lines following one that contains @after count.
 */
unsigned int guest_klog_count(const char *after, const char *const *words, size_t word_count);

/* LX_DXENUMADAPTERS3 (compute-only adapters included) into @info: the adapter count or -errno. */
int guest_enum_adapters(int fd, struct d3dkmt_adapterinfo *info, uint32_t capacity);

#endif /* GUESTSYS_H */
