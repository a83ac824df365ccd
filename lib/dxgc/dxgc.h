/* SPDX-License-Identifier: MIT */
/*
 * libdxgc: a small compute runtime (the user-mode driver) on top of libd3dkmt and /dev/dxg.
 *
 * One dxgc_device is one adapter opened for compute: a D3DKMT device, a context with one
 * hardware queue (submissions are ordered on it and complete in order, each one raising the
 * queue's progress fence to the value dxgc_submit() returned), and a paging queue for GPU VA
 * mappings and residency. Buffers are allocations mapped into the process's GPU VA space;
 * programs are SPIR-V modules; command lists are packet streams (include/uapi/misc/opendxg.h)
 * built in process memory and copied into a host-visible command allocation at submission.
 *
 * Conventions: every function that can fail returns 0 (or a documented non-negative value) or a
 * negative errno; errno is not used. -ENODEV means the device is lost (a command buffer broke
 * the context, the device was marked as error, or the host's worker restarted):
 * dxgc_device_status() tells which and where. Set DXGC_DEBUG=1 in the environment to have the
 * library print why a call failed on stderr.
 *
 * Threads: a device, its buffers and programs may be used from any thread of the process that
 * opened it (submission and transfers are serialized inside); one command list must not be
 * recorded from two threads at once. A fork() child cannot use its parent's device (/dev/dxg
 * descriptors belong to the process that opened them): it opens its own.
 *
 * docs/dxgc.md and dxgc(3) are the full reference.
 */
#ifndef DXGC_H
#define DXGC_H

#include <stddef.h>
#include <stdint.h>

#include "d3dkmt.h"

#ifdef __cplusplus
extern "C" {
#endif

struct dxgc_device;
struct dxgc_buffer;
struct dxgc_program;
struct dxgc_cmdlist;

/* ---- devices ---- */

/* dxgc_adapter_count() - adapters /dev/dxg offers for compute. Return: the count or -errno. */
int dxgc_adapter_count(void);

/* dxgc_device_open() - the first adapter. Return: 0 or -errno (-ENOENT: no /dev/dxg or no adapter). */
int dxgc_device_open(struct dxgc_device **out);
/* dxgc_device_open_index() - adapter @index in enumeration order (-ENOENT beyond the last). */
int dxgc_device_open_index(uint32_t index, struct dxgc_device **out);
/* dxgc_device_open_luid() - the adapter with @luid (-EINVAL: no such adapter). */
int dxgc_device_open_luid(struct winluid luid, struct dxgc_device **out);
/*
 * dxgc_device_close() - waits for submitted work (errors ignored), then releases everything the
 * device made that the caller did not destroy (buffers, programs and command lists included:
 * their pointers become invalid) and closes /dev/dxg. NULL is ignored.
 */
void dxgc_device_close(struct dxgc_device *dev);

struct dxgc_device_info {
	uint32_t index;				/* in enumeration order; UINT32_MAX: opened by LUID */
	struct winluid luid;
	char name[256];				/* the host device's name, UTF-8 */
	char driver[64];			/* the host driver's name, UTF-8 */
	struct opendxg_adapter_caps caps;	/* limits: workgroups, bindings, timestamps */
};

/* dxgc_device_info() - what the adapter is; valid until dxgc_device_close(). */
const struct dxgc_device_info *dxgc_device_info(const struct dxgc_device *dev);

/* The D3DKMT objects behind a device, for callers that mix in libd3dkmt calls (tests). */
struct dxgc_handles {
	int fd;					/* the /dev/dxg descriptor (owned by the device) */
	struct d3dkmthandle adapter;
	struct d3dkmthandle device;
	struct d3dkmthandle context;
	struct d3dkmt_hw_queue queue;		/* progress fence included */
	struct d3dkmt_paging_queue paging_queue;
};

void dxgc_device_handles(const struct dxgc_device *dev, struct dxgc_handles *out);

/* What went wrong on a lost device (dxgc_device_status()). */
struct dxgc_fault {
	uint32_t execution_state;	/* D3DKMT_DEVICEEXECUTION_* */
	uint32_t has_page_fault;	/* 1: the fields below are valid */
	uint64_t address;		/* the GPU VA that did not translate */
	uint32_t flags;			/* DXGK_PAGE_FAULT_* (DXGK_PAGE_FAULT_WRITE: a write) */
	uint32_t reserved;
	uint64_t sequence;		/* the faulting submission's 1-based number on its queue */
};

/*
 * dxgc_device_status() - GETDEVICESTATE. Return: 0 while the device is active; -ENODEV when it is
 * not, with *@fault (may be NULL) filled; another -errno when the query failed.
 */
int dxgc_device_status(struct dxgc_device *dev, struct dxgc_fault *fault);

/* The D3DKMT_DEVICEEXECUTION_* value's name ("ERROR_DMAPAGEFAULT"), or "?". */
const char *dxgc_execution_state_name(uint32_t execution_state);

/* dxgc_timestamp_ns() - a TIMESTAMP tick count in nanoseconds (0 when the adapter has none). */
double dxgc_timestamp_ns(const struct dxgc_device *dev, uint64_t ticks);

/* ---- buffers ---- */

#define DXGC_MEMORY_HOST_VISIBLE 1u	/* shared heap pages: CPU-mapped, zero-copy */
#define DXGC_MEMORY_DEVICE_LOCAL 2u	/* host device memory: no CPU access */

/* Means "to the end of the buffer" wherever a size is asked for. */
#define DXGC_WHOLE_SIZE UINT64_MAX

/*
 * dxgc_buffer_create() - @size bytes (>= 1) of @memory (DXGC_MEMORY_*), zero-filled, mapped
 * read-write in the GPU VA space; host-visible buffers are also mapped into the process.
 * Return: 0 or -errno (-ENOMEM: quota, heap or device memory exhausted).
 */
int dxgc_buffer_create(struct dxgc_device *dev, uint32_t memory, uint64_t size,
		       struct dxgc_buffer **out);
/*
 * dxgc_buffer_destroy() - waits for the work submitted so far (it may use the buffer), then
 * frees the buffer. NULL is ignored.
 */
void dxgc_buffer_destroy(struct dxgc_buffer *buf);

/* dxgc_buffer_map() - the CPU address of a host-visible buffer, NULL for device-local ones. */
void *dxgc_buffer_map(const struct dxgc_buffer *buf);
uint64_t dxgc_buffer_size(const struct dxgc_buffer *buf);
uint64_t dxgc_buffer_gpu_va(const struct dxgc_buffer *buf);
uint32_t dxgc_buffer_memory(const struct dxgc_buffer *buf);
struct d3dkmthandle dxgc_buffer_handle(const struct dxgc_buffer *buf);

/*
 * dxgc_buffer_upload(), dxgc_buffer_download() - copy @size bytes between @data and the buffer
 * at @offset. Both first wait for every submission made so far (so they see its results and do
 * not race it), then copy: host-visible buffers with memcpy, device-local ones through a
 * host-visible staging buffer and COPY submissions, waited for. Return: 0 or -errno (-EINVAL:
 * out of range; -ENODEV: the device is lost).
 */
int dxgc_buffer_upload(struct dxgc_buffer *buf, uint64_t offset, const void *data,
		       uint64_t size);
int dxgc_buffer_download(struct dxgc_buffer *buf, uint64_t offset, void *data, uint64_t size);

/*
 * dxgc_buffer_evict(), dxgc_buffer_make_resident() - EVICT (device-local contents move to host
 * memory; the buffer must not be used by the GPU meanwhile) and MAKERESIDENT, waiting for the
 * paging fence when the restore completes later. Return: 0 or -errno.
 */
int dxgc_buffer_evict(struct dxgc_buffer *buf);
int dxgc_buffer_make_resident(struct dxgc_buffer *buf);

/* ---- programs ---- */

/*
 * dxgc_program_create() - a PROGRAM allocation holding the SPIR-V module @spirv (@size bytes, a
 * multiple of 4, at most 128 KiB less 32). The host validates it. Return: 0 or -errno (-EINVAL:
 * refused; the host's log says why).
 */
int dxgc_program_create(struct dxgc_device *dev, const void *spirv, size_t size,
			struct dxgc_program **out);
/* dxgc_program_destroy() - waits for the work submitted so far, then frees it. NULL: ignored. */
void dxgc_program_destroy(struct dxgc_program *prog);
struct d3dkmthandle dxgc_program_handle(const struct dxgc_program *prog);

/* ---- command lists ---- */

int dxgc_cmdlist_create(struct dxgc_device *dev, struct dxgc_cmdlist **out);
void dxgc_cmdlist_destroy(struct dxgc_cmdlist *list);
/* Forgets every command; the list can be recorded again. */
void dxgc_cmdlist_reset(struct dxgc_cmdlist *list);
/* Commands recorded since the last reset. */
uint32_t dxgc_cmdlist_count(const struct dxgc_cmdlist *list);

/*
 * Recording. Each call appends one command or, on error, nothing: -EINVAL for a range outside
 * its buffer, a buffer or program of another device, or an argument the packet format does not
 * allow (docs/dxgc.md); -E2BIG when the list would exceed one command buffer (1 MiB, 4096
 * commands): submit it and record the rest in another; -ENOMEM.
 */
int dxgc_cmd_copy(struct dxgc_cmdlist *list, struct dxgc_buffer *dst, uint64_t dst_offset,
		  struct dxgc_buffer *src, uint64_t src_offset, uint64_t size);
/* Writes @value over @size bytes (multiples of 4, like @offset; DXGC_WHOLE_SIZE: to the end). */
int dxgc_cmd_fill(struct dxgc_cmdlist *list, struct dxgc_buffer *dst, uint64_t offset,
		  uint64_t size, uint32_t value);

#define DXGC_BINDING_READ_ONLY OPENDXG_BINDING_READ_ONLY

/* Storage buffer binding n of set 0 (n = the index in dxgc_dispatch.bindings). */
struct dxgc_binding {
	struct dxgc_buffer *buffer;
	uint64_t offset;		/* a multiple of 256 */
	uint64_t size;			/* a multiple of 4; DXGC_WHOLE_SIZE: to the end (rounded down) */
	uint32_t flags;			/* DXGC_BINDING_READ_ONLY */
};

struct dxgc_dispatch {
	struct dxgc_program *program;
	const char *entry_point;	/* NULL: "main" */
	uint32_t groups[3];		/* workgroups per dimension (0: runs nothing) */
	const struct dxgc_binding *bindings;
	uint32_t binding_count;		/* exactly the storage buffers the module declares */
	const void *push_constants;
	uint32_t push_constant_size;	/* a multiple of 4, at most 128 */
};

int dxgc_cmd_dispatch(struct dxgc_cmdlist *list, const struct dxgc_dispatch *dispatch);
/* Everything before completes, and its writes are visible, before anything after starts. */
int dxgc_cmd_barrier(struct dxgc_cmdlist *list);
/* Writes the adapter's u64 timestamp at @offset (a multiple of 8) of @dst. */
int dxgc_cmd_timestamp(struct dxgc_cmdlist *list, struct dxgc_buffer *dst, uint64_t offset);

/* ---- submission and waits ---- */

/*
 * dxgc_submit() - queues the list (it stays recorded: submit it again, or reset it). *@fence_value
 * (may be NULL) receives the value the device's progress fence takes when it completed; values
 * increase with every submission. Return: 0, or -errno: -EINVAL when the host refused the
 * buffer (the device is now lost), -ENODEV when the device was lost before.
 */
int dxgc_submit(struct dxgc_device *dev, struct dxgc_cmdlist *list, uint64_t *fence_value);

/*
 * dxgc_wait() - blocks until the submission of @fence_value completed (signals do not end the
 * wait). Return: 0, -EINVAL for a value not submitted yet, -ENODEV when the device was lost
 * (its fence then reads UINT64_MAX; dxgc_device_status() says why).
 */
int dxgc_wait(struct dxgc_device *dev, uint64_t fence_value);
/* dxgc_wait_timeout() - the same, for at most @timeout_ms (0: just look). -ETIMEDOUT when late. */
int dxgc_wait_timeout(struct dxgc_device *dev, uint64_t fence_value, unsigned int timeout_ms);
/* dxgc_finish() - waits for every submission made so far. */
int dxgc_finish(struct dxgc_device *dev);
/* dxgc_fence_completed() - the progress fence's current value (UINT64_MAX: lost). */
uint64_t dxgc_fence_completed(const struct dxgc_device *dev);
/* dxgc_fence_submitted() - the value of the latest submission (0: none yet). */
uint64_t dxgc_fence_submitted(const struct dxgc_device *dev);

#ifdef __cplusplus
}
#endif

#endif /* DXGC_H */
