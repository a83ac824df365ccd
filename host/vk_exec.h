/* SPDX-License-Identifier: MIT */
/*
 * Execution on one adapter's Vulkan device (vk_device.h): programs (shader modules with their
 * pipelines, cached), and jobs (one guest command buffer each, already validated and translated
 * by exec.c into device references) recorded into Vulkan command buffers and submitted to the
 * device's compute queue.
 *
 * Memory a job names is either a device-local buffer (vk_buffer) or the VM's host-visible heap,
 * which is imported once as Vulkan memory through VK_EXT_external_memory_host (zero copy: guest
 * pages are what the shaders read and write). Without that extension jobs that name the heap are
 * -EOPNOTSUPP.
 *
 * Ordering: every job begins with a full memory barrier, so a job starts only after everything
 * submitted before it completed, and ends with one that makes its writes visible to the host.
 * Inside a job, only BARRIER operations order operations.
 *
 * Threads: all functions are called from one thread (the worker's loop), except that a private
 * completion thread waits for the device and writes 1 to the caller's eventfd each time a job
 * completed; the loop then collects completions with vk_exec_reap(). A job becomes reapable
 * before its signal is written: after reading the eventfd's count, at least that many more
 * completions can be reaped (a reap may also find jobs whose signal is still to come).
 * Functions return 0 or a negative errno: -ENOMEM, -EINVAL (a program the device cannot run),
 * -EOPNOTSUPP, -EIO (the driver failed or the device was lost).
 */
#ifndef DXGD_VK_EXEC_H
#define DXGD_VK_EXEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cmdbuf.h"
#include "spirv_check.h"
#include "vk_device.h"

struct vk_exec;
struct vk_program;

struct vk_exec_setup {
	/*
	 * The VM's host-visible heap as mapped by the worker (page aligned, shared with the guest),
	 * or NULL for none. References to it (struct vk_ref with buffer NULL) are byte offsets from
	 * `heap`, i.e. region offset minus the heap's region offset.
	 */
	void *heap;
	uint64_t heap_size;
	int notify_fd;			/* an eventfd the completion thread writes 1 to */
};

int vk_exec_open(struct vk_device *d, const struct vk_exec_setup *setup, struct vk_exec **out);
/*
 * Waits for every submitted job, then releases everything (reaped or not). The caller's program
 * references must be dropped first, and the vk_device closed only after this.
 */
void vk_exec_close(struct vk_exec *x);

/* The device's limits for cmdbuf_parse(). */
void vk_exec_limits(const struct vk_exec *x, struct cmdbuf_limits *out);
/* True when the heap was imported (jobs may reference it). */
bool vk_exec_heap_usable(const struct vk_exec *x);
/* Nanoseconds per timestamp tick (VkPhysicalDeviceLimits::timestampPeriod); 0: no timestamps. */
double vk_exec_timestamp_period(const struct vk_exec *x);

/*
 * A program: `code` (size bytes, the caller's validated private copy; the program keeps its own
 * copy) checked by spirv_check() into `info`. -EINVAL when info->features are not all in
 * vk_device_spirv_features(), or the module's resources do not fit the pipeline layout opendxg
 * uses (storage buffers 0..OPENDXG_CMD_MAX_BINDINGS-1 of set 0, push constants within
 * OPENDXG_CMD_MAX_PUSH_CONSTANTS bytes). Pipelines are created per entry point on first use and
 * kept, through one VkPipelineCache per device. Refcounted: a running job holds its programs.
 */
int vk_program_create(struct vk_exec *x, const void *code, size_t size,
		      const struct spirv_info *info, struct vk_program **out);
void vk_program_ref(struct vk_program *p);
void vk_program_unref(struct vk_program *p);
/* Index of entry point `name`, or -EINVAL. */
int vk_program_entry(const struct vk_program *p, const char *name);
/* Bit n: the module uses storage buffer binding n of set 0. */
uint32_t vk_program_binding_mask(const struct vk_program *p);
/* Programs created and not yet freed (references held by callers or by unreaped jobs). */
uint32_t vk_exec_live_programs(const struct vk_exec *x);

/* Device memory a job operation names: a buffer, or the heap when `buffer` is NULL. */
struct vk_ref {
	struct vk_buffer *buffer;
	uint64_t offset;		/* bytes into the buffer, or into the heap */
};

struct vk_job_binding {
	uint32_t binding;
	struct vk_ref ref;
	uint64_t size;
};

struct vk_job_op {
	uint32_t type;			/* OPENDXG_CMD_* */
	union {
		struct {
			struct vk_ref src, dst;
			uint64_t size;
		} copy;
		struct {
			struct vk_ref dst;
			uint64_t size;
			uint32_t value;
		} fill;
		struct {
			struct vk_program *program;
			uint32_t entry;		/* vk_program_entry() */
			uint32_t group_count[3];
			uint32_t binding_count;
			struct vk_job_binding bindings[OPENDXG_CMD_MAX_BINDINGS];
			uint32_t push_constant_size;
			unsigned char push_constants[OPENDXG_CMD_MAX_PUSH_CONSTANTS];
		} dispatch;
		struct {
			struct vk_ref dst;
		} timestamp;
		/* OPENDXG_CMD_BARRIER: nothing */
	};
};

struct vk_job {
	uint64_t cookie;		/* the caller's; reported back on completion */
	uint32_t op_count;		/* 0 is fine: the job completes after the ones before it */
	const struct vk_job_op *ops;
};

/*
 * Records and submits a job. On return the caller may free `job` and its ops: the job keeps
 * references to its programs until it is reaped. Buffers and heap pages it names must stay
 * alive until then (exec.c waits with vk_exec_wait_idle() before it frees any). Returns 0, or an
 * error and nothing was submitted. As a backstop to exec.c's checks, every operation is checked
 * before anything is recorded (-EINVAL): ranges inside their buffer or the heap, no overlapping
 * copy, FILL offset and size multiples of 4, TIMESTAMP destinations 8-aligned (and timestamps
 * supported), group counts within the device's limits, binding offsets multiples of
 * minStorageBufferOffsetAlignment (OPENDXG_CMD_BINDING_ALIGN always is), bindings exactly the
 * program's mask, an entry index the program has. A heap reference without a usable heap is
 * -EOPNOTSUPP; a lost device -EIO.
 */
int vk_exec_submit(struct vk_exec *x, const struct vk_job *job);

struct vk_completion {
	uint64_t cookie;
	int status;			/* 0, or -EIO: the job failed on the device */
	/*
	 * Device time the job took (0: unknown): between timestamps around its commands, or on CPU
	 * devices (lavapipe, where a timestamp query costs more than a small job) by the host clock
	 * from the later of its submission and the previous job's completion to its own.
	 */
	uint64_t gpu_time_ns;
};

/* Collects up to `max` completed jobs in submission order; returns how many. */
uint32_t vk_exec_reap(struct vk_exec *x, struct vk_completion *out, uint32_t max);
/* Jobs submitted and not yet reaped. */
uint32_t vk_exec_pending(const struct vk_exec *x);
/* Blocks until every submitted job completed (they still have to be reaped). */
void vk_exec_wait_idle(struct vk_exec *x);

/*
 * A GPU timestamp and CLOCK_MONOTONIC taken together (ticks of vk_exec_timestamp_period()).
 * With VK_EXT_calibrated_timestamps (both clocks offered) the driver samples the pair; without,
 * vk_exec_calibrate_with_job() does. -EOPNOTSUPP: the device has no timestamps.
 */
int vk_exec_calibrate(struct vk_exec *x, uint64_t *gpu_ticks, uint64_t *host_ns);
/*
 * The fallback, public so tests reach it on drivers that have the extension: waits for every
 * submitted job, then runs a job that only writes a timestamp; host_ns is the middle of the
 * interval from just before vkQueueSubmit to the fence wait's return, so it is off by up to
 * half that interval (microseconds, a scheduler tick when the host is busy).
 */
int vk_exec_calibrate_with_job(struct vk_exec *x, uint64_t *gpu_ticks, uint64_t *host_ns);

#endif /* DXGD_VK_EXEC_H */
