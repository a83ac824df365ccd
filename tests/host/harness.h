/* SPDX-License-Identifier: MIT */
/*
 * Host test harness: starts a private dxgd with a few VMs on temporary sockets and connects
 * user-space guests (lib/uguest) to them. Every tests/host program is a cmocka group whose setup
 * starts dxgd and whose teardown stops it and checks that it exited cleanly.
 *
 * The dxgd binary comes from argv[1] (meson passes the built one) or $DXGD; without either the
 * program exits 77 (skipped).
 */
#ifndef OPENDXG_TESTS_HOST_HARNESS_H
#define OPENDXG_TESTS_HOST_HARNESS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "uguest.h"

#define HARNESS_MAX_VMS 4
#define HARNESS_REGION "8M"

/* The exit status meson (and automake) read as "skipped". */
#define HARNESS_SKIP 77

struct dxgd_instance {
	pid_t pid;
	unsigned vm_count;
	char dir[64];				/* temporary directory holding the sockets */
	char vm_socket[HARNESS_MAX_VMS][108];	/* sizeof(sun_path) */
	char control_socket[108];
};

/* The dxgd every test of the running program talks to (started by harness_run()). */
extern struct dxgd_instance harness_dxgd;

struct CMUnitTest;

/*
 * Runs `tests` as one cmocka group: the group setup starts dxgd with `vm_count` VMs, the group
 * teardown stops it if a test has not. Make the last test call harness_expect_clean_exit().
 */
int harness_run(int argc, char **argv, const char *group, const struct CMUnitTest *tests,
		size_t count, unsigned vm_count);
/* The same with `extra_args` (NULL terminated) appended to dxgd's command line. */
int harness_run_args(int argc, char **argv, const char *group, const struct CMUnitTest *tests,
		     size_t count, unsigned vm_count, const char *const *extra_args);

/* The region size harness_start() gives every VM (HARNESS_REGION unless a test changes it). */
extern const char *harness_region;

/* Asserts that dxgd still runs, then stops it and asserts an orderly exit (status 0). */
void harness_expect_clean_exit(void);

/* The usual last test: closes (and clears) `count` guests, then harness_expect_clean_exit(). */
void harness_shutdown(struct uguest **guests, size_t count);

/* Finds the dxgd binary (argv[1] or $DXGD); exits 77 when there is none. */
const char *harness_dxgd_path(int argc, char **argv);

/*
 * Starts `exe` with `vm_count` VMs named vm0, vm1, ... and waits until its control socket
 * exists (dxgd creates it once every VM socket listens). `extra_args` (NULL terminated, may be
 * NULL) are appended to the command line. Returns 0 or a negative errno.
 */
int harness_start(struct dxgd_instance *d, const char *exe, unsigned vm_count,
		  const char *const *extra_args);

/* True while dxgd runs. */
bool harness_alive(struct dxgd_instance *d);

/*
 * Stops dxgd with SIGTERM and waits for it. Returns its exit status (0 for an orderly
 * shutdown), 128 + signal when it died by a signal, or -1 when it had to be killed.
 */
int harness_stop(struct dxgd_instance *d);

/*
 * Connects a user-space guest to VM `vm`. Retries while dxgd still refuses the socket because
 * it has not yet noticed the previous guest's disconnect. Returns 0 or a negative errno.
 */
int harness_connect(struct dxgd_instance *d, unsigned vm, const struct uguest_options *opt,
		    struct uguest **out);

/* Sends `status` on the control socket; returns the malloc'ed JSON reply or NULL. */
char *harness_control_status(struct dxgd_instance *d);

/* The integer `key` of VM `vm` in a status document (e.g. worker_pid); -1 when absent. */
long long harness_json_vm_number(const char *json, const char *vm, const char *key);

/* The boolean `key` of VM `vm`'s "worker" object (e.g. broken): 1, 0, or -1 when absent. */
int harness_json_worker_bool(const char *json, const char *vm, const char *key);

/* CLOCK_MONOTONIC in milliseconds, for the deadlines of bounded waits. */
uint64_t harness_now_ms(void);
/* Sleeps the whole `ms`, even when a signal (a child's exit) interrupts the pause. */
void harness_sleep_ms(unsigned ms);

/* ---- wire helpers for tests ---- */

/* QUERYADAPTERINFO type numbers of the WSL ABI used by the tests. */
#define QAI_ADAPTERTYPE_RENDER 57u
#define QAI_PHYSICALADAPTERDEVICEIDS 31u
#define QAI_DRIVER_DESCRIPTION 65u
#define QAI_WDDM_2_7_CAPS 70u
#define QAI_DRIVER_DESCRIPTION_SIZE 8192u
#define QAI_DEVICE_IDS_SIZE 28u

/* Builds a request record (header + body) in `buf`; returns its length. */
uint32_t harness_build_request(void *buf, uint16_t opcode, uint64_t request_id,
			       uint32_t process, const void *body, uint32_t body_len);

/*
 * Reads OPENDXG_QAI_VM_STATS of `adapter` through `process`, every field converted to host
 * order (memory counters included); 0 or negative errno.
 */
struct opendxg_vm_stats;
int harness_vm_stats(struct uguest *g, uint32_t process, uint32_t adapter,
		     struct opendxg_vm_stats *stats);

/*
 * One process with the first adapter open, for tests that need a working baseline. Returns 0 or
 * a negative errno.
 */
int harness_open_first_adapter(struct uguest *g, const char *name, uint32_t *process,
			       uint32_t *adapter);

#endif /* OPENDXG_TESTS_HOST_HARNESS_H */
