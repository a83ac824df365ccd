/* SPDX-License-Identifier: MIT */
/*
 * What every benchmark that runs against a real dxgd needs: finding the binary, starting it with
 * one VM in a private directory, and stopping it again.
 */
#ifndef OPENDXG_BENCH_DXGD_H
#define OPENDXG_BENCH_DXGD_H

#include <sys/types.h>

struct bench_dxgd {
	pid_t pid;
	char dir[64];
	char vm_socket[108];
	char control_socket[108];
};

/* --dxgd, else $DXGD, else ../host/dxgd next to this binary (the meson build tree); or NULL. */
const char *bench_find_dxgd(const char *given);

/* Pins the calling process (and what it forks later) to one CPU; 0 or -errno. */
int bench_pin_to_cpu(int cpu);

void bench_sleep_ms(unsigned ms);

/*
 * Starts `exe` serving one VM "bench" with a region of `region_size` (dxgd's SIZE syntax) and the
 * NULL-terminated `extra_args` (may be NULL), pinned to `pin_cpu` unless it is negative (the
 * broker's workers inherit the affinity). Returns once dxgd is ready (its control socket exists):
 * 0, -ECHILD if it exited, -ETIMEDOUT, or -errno.
 */
int bench_dxgd_start(struct bench_dxgd *d, const char *exe, const char *region_size,
		     const char *const *extra_args, int pin_cpu);
void bench_dxgd_stop(struct bench_dxgd *d);

#endif /* OPENDXG_BENCH_DXGD_H */
