/* SPDX-License-Identifier: MIT */
/*
 * Shared helpers of the execution and synchronization host tests (test_exec*.c, test_sync.c):
 * a guest process with a device, contexts, a paging queue, a command buffer area and a fence to
 * wait on; buffers mapped in its GPU VA space; programs; running a command buffer and waiting
 * for it. The helpers assert with cmocka, so a failure points at the test that used them.
 */
#ifndef OPENDXG_TESTS_HOST_EXEC_UTIL_H
#define OPENDXG_TESTS_HOST_EXEC_UTIL_H

#include <stdbool.h>
#include <stdint.h>

#include <misc/d3dkmthk.h>
#include <misc/opendxg.h>

#include "harness.h"

/* Bytes of each process's command buffer area (host-visible, mapped read-only). */
#define XCMD_BYTES (64u * 1024u)

/* One allocation mapped in the process's GPU VA space. */
struct xbuf {
	uint32_t allocation;
	uint32_t kind;			/* OPENDXG_ALLOC_KIND_* */
	uint64_t size;
	uint64_t va;
	void *cpu;			/* host-visible: the locked bytes; else NULL */
};

/*
 * A guest process on the first adapter: a device, one context for SUBMIT (`context`), one that
 * supports hardware queues (`hw_context`) with one hardware queue (`hw`), a paging queue, a
 * command buffer area and a monitored fence `done` that xrun() signals behind each buffer.
 */
struct xproc {
	struct uguest *g;
	uint32_t adapter;
	uint32_t process;
	uint32_t device;
	uint32_t context;
	uint32_t hw_context;
	struct uguest_hw_queue hw;
	uint64_t hw_value;		/* the last progress fence value submitted on `hw` */
	struct uguest_paging_queue pq;
	struct xbuf cmd;
	struct uguest_sync_object done;
	uint64_t done_value;
	/* Caps, host order: what the tests need of them. */
	uint32_t max_workgroup_count[3];
	uint32_t max_binding_size;
	uint32_t timestamp_valid_bits;
	uint32_t timestamp_period_ps;
};

/* Opens the first adapter in a new process named `name` and sets everything above up. */
void xproc_open(struct uguest *g, const char *name, struct xproc *p);
/* DESTROY_PROCESS: everything the process had goes with it. */
void xproc_close(struct xproc *p);

/* A new context of the process's device (flags: d3dddi_createcontextflags bits). */
uint32_t xcontext(struct xproc *p, uint32_t flags);

/*
 * Creates an allocation of `kind` and `size` bytes, maps it with `protection`
 * (D3DDDIGPUVA_PROTECTION_WRITE for read-write, 0 read-only) and, host-visible, locks it.
 */
void xbuf_create(struct xproc *p, uint32_t kind, uint64_t size, uint64_t protection,
		 struct xbuf *b);
/* Frees the GPU VA range xbuf_create() reserved, then the allocation. */
void xbuf_destroy(struct xproc *p, struct xbuf *b);
/* A PROGRAM allocation from SPIR-V words. */
uint32_t xprogram(struct xproc *p, const uint32_t *code, uint32_t code_bytes);

/* Starts a command buffer in the process's command area. */
void xcmd_begin(struct xproc *p, struct uguest_cmdbuf *cb);
/* Finishes it: the length to submit (asserts that the builder had no error). */
uint32_t xcmd_end(struct uguest_cmdbuf *cb);

/* Submits `len` bytes of the command area on `queue` (a context: progress value 0). */
int xsubmit(struct xproc *p, uint32_t queue, uint32_t len, uint64_t progress_value);
/* SUBMIT on p->context, a signal of p->done behind it, and a wait for that signal. */
void xrun(struct xproc *p, uint32_t len);
/* The same on another context of the process. */
void xrun_on(struct xproc *p, uint32_t context, uint32_t len);
/* SUBMIT on the hardware queue with the next progress value, and a wait for it. */
void xrun_hw(struct xproc *p, uint32_t len);
/* Signals p->done on `queue` with the next value and waits for it: the queue has drained. */
void xdrain(struct xproc *p, uint32_t queue);

/* GET_DEVICE_STATE(EXECUTION) of the process's device. */
uint32_t xexecution_state(struct xproc *p);

/* The programs every test uses, created once per process by xprograms(). */
struct xprograms {
	uint32_t axpy;			/* y[i] = a * x[i] + y[i] (u32), bindings 0 (ro) and 1 */
	uint32_t lcg;			/* d[i] = lcg^iterations(d[i]), binding 0 */
};
void xprograms(struct xproc *p, struct xprograms *out);
/* The SPIR-V of axpy.comp (for tests that create programs without xprogram()). */
const uint32_t *xaxpy_spirv(uint32_t *bytes);

/* Push constants of the two programs (std430, as the shaders declare them). */
struct axpy_push {
	uint32_t a;
	uint32_t n;
};
struct lcg_push {
	uint32_t n;
	uint32_t iterations;
};
#define AXPY_LOCAL_SIZE 64u
#define LCG_LOCAL_SIZE 64u

/* The CPU reference of lcg.comp. */
uint32_t lcg_reference(uint32_t v, uint32_t iterations);

/*
 * A complete computation with a CPU reference: `n` elements of axpy with `a`, in host-visible
 * buffers, through xrun(). Asserts the result. Used to prove that a process still computes.
 */
void xcheck_axpy(struct xproc *p, const struct xprograms *progs, uint32_t n, uint32_t a);
/* The same on another context of the process. */
void xcheck_axpy_on(struct xproc *p, const struct xprograms *progs, uint32_t context,
		    uint32_t n, uint32_t a);

/* Appends a DISPATCH of axpy over x and y (n elements) to `cb`. */
void xcmd_axpy(struct uguest_cmdbuf *cb, const struct xprograms *progs, const struct xbuf *x,
	       const struct xbuf *y, uint32_t n, uint32_t a);
/* Appends a DISPATCH of lcg over d (n elements). */
void xcmd_lcg(struct uguest_cmdbuf *cb, const struct xprograms *progs, const struct xbuf *d,
	      uint32_t n, uint32_t iterations);

/*
 * The worker's counters in the control socket's status (vm `vm`): a JSON object of every
 * integer under worker.counters and worker.adapters[*].memory except the request counts, as a
 * malloc'ed canonical string. Two calls compare equal when no object was left behind.
 */
char *xworker_counters(unsigned vm);

#endif /* OPENDXG_TESTS_HOST_EXEC_UTIL_H */
