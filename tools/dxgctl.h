/* SPDX-License-Identifier: MIT */
/*
 * dxgctl internals: one file per side (guest commands through /dev/dxg, host commands through
 * dxgd's control socket), sharing the option conventions and the error style below.
 *
 * Commands print their result on stdout and one clear line on stderr for any failure, and return
 * the process exit status: 0 success, 1 failure, 2 usage error.
 */
#ifndef DXGCTL_H
#define DXGCTL_H

#include <stdbool.h>
#include <stdint.h>

#define DXGCTL_EXIT_OK 0
#define DXGCTL_EXIT_FAILURE 1
#define DXGCTL_EXIT_USAGE 2

#define DXGCTL_DEFAULT_CONTROL "/run/opendxg/dxgd.sock"
#define DXGCTL_CONTROL_ENV "DXGD_CONTROL"

/* Guest: `dxgctl adapters [--json]`. */
int dxgctl_adapters(int argc, char **argv);
/* Guest: `dxgctl stats [--json]`. */
int dxgctl_stats(int argc, char **argv);
/* Guest: `dxgctl processes [--json]`: per adapter, the processes using it and their statistics. */
int dxgctl_processes(int argc, char **argv);
/* Guest: `dxgctl demo [--hold SECONDS]`: adapters, then hold a device and a context on each. */
int dxgctl_demo(int argc, char **argv);
/*
 * Host: `dxgctl host status [--json] [--control PATH] [--wait-devices N [--timeout S]]`
 * (argv starts at "status").
 */
int dxgctl_host(int argc, char **argv);

/*
 * Guest: opens /dev/dxg and enumerates opendxg's adapters (all compute-only). Returns the fd, with
 * *adapters (an array the caller releases with dxgctl_close_adapters()) and *count set, or -1 after
 * printing why. With @need_one, finding no adapter is an error too.
 */
struct d3dkmt_adapterinfo;
int dxgctl_open_adapters(struct d3dkmt_adapterinfo **adapters, uint32_t *count, bool need_one);
/* Closes every adapter handle of the array, frees it and closes @fd. */
void dxgctl_close_adapters(int fd, struct d3dkmt_adapterinfo *adapters, uint32_t count);

/* Prints "dxgctl: <message>" on stderr. */
__attribute__((format(printf, 1, 2))) void dxgctl_error(const char *fmt, ...);

/* Formats @bytes as "64.0 MiB" (or "0 B") into @buf. */
const char *dxgctl_format_bytes(uint64_t bytes, char *buf, unsigned int size);

#endif /* DXGCTL_H */
