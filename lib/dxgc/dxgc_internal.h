/* SPDX-License-Identifier: MIT */
/*
 * libdxgc internals shared by its files: the objects behind the public opaque types.
 */
#ifndef DXGC_INTERNAL_H
#define DXGC_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "dxgc.h"

#define DXGC_PAGE 4096ull
/* The transfer staging buffer: device-local uploads and downloads go through it in pieces. */
#define DXGC_STAGING_SIZE (4ull << 20)
/* The first command allocation; it grows (powers of two) up to OPENDXG_CMD_MAX_SIZE. */
#define DXGC_CMD_ALLOC_MIN (64u << 10)

/* Every object a device made, so that dxgc_device_close() can free what the caller did not. */
struct dxgc_link {
	struct dxgc_link *prev, *next;
};

struct dxgc_buffer {
	struct dxgc_link link;
	struct dxgc_device *dev;
	uint32_t memory;		/* DXGC_MEMORY_* */
	uint64_t size;
	struct d3dkmthandle allocation;
	uint64_t gpu_va;		/* base of its own reservation, gpu_va_size bytes */
	uint64_t gpu_va_size;
	void *cpu;			/* LOCK2 address (host-visible), else NULL */
};

struct dxgc_program {
	struct dxgc_link link;
	struct dxgc_device *dev;
	struct d3dkmthandle allocation;
};

struct dxgc_cmdlist {
	struct dxgc_link link;
	struct dxgc_device *dev;
	struct d3dkmt_cmdbuf cb;	/* packets in malloc()ed memory (cb.data) */
};

struct dxgc_device {
	int fd;
	struct d3dkmthandle adapter;
	struct d3dkmthandle device;
	struct d3dkmthandle context;
	struct d3dkmt_hw_queue queue;
	struct d3dkmt_paging_queue paging;
	struct dxgc_device_info info;
	/* Cleared when the driver answers ENOTTY to WAITFORSYNCHRONIZATIONOBJECTFROMCPU. */
	bool cpu_wait;
	/* Set by dxgc_device_close(): releases leave the objects to DESTROYDEVICE. */
	bool closing;

	/* Guards `objects` (creation and destruction may come from any thread). */
	pthread_mutex_t objects_lock;
	struct dxgc_link objects_buffers, objects_programs, objects_cmdlists;

	/*
	 * Submission: the command allocation is reused by every submission (the host copies the
	 * buffer during the ioctl), and progress values must reach the queue in increasing order,
	 * so both live under one lock.
	 */
	pthread_mutex_t submit_lock;
	struct dxgc_buffer *cmd_alloc;
	uint64_t last_submitted;	/* written under submit_lock, read atomically */

	/* Device-local transfers: one staging buffer and one list, created on first use. */
	pthread_mutex_t transfer_lock;
	struct dxgc_buffer *staging;
	struct dxgc_cmdlist *transfer_list;
};

/* Prints "dxgc: ..." on stderr when DXGC_DEBUG is set; returns @err for tail calls. */
__attribute__((format(printf, 2, 3))) int dxgc_fail(int err, const char *fmt, ...);

void dxgc_link_add(struct dxgc_device *dev, struct dxgc_link *head, struct dxgc_link *link);
void dxgc_link_del(struct dxgc_device *dev, struct dxgc_link *link);

/* Waits until the paging queue's fence reaches @value (after MAP, MAKERESIDENT...). */
int dxgc_wait_paging(struct dxgc_device *dev, uint64_t value);

/* A buffer without waiting for the GPU first (the device knows it is idle or unused). */
int dxgc_buffer_create_internal(struct dxgc_device *dev, uint32_t memory, uint64_t size,
				struct dxgc_buffer **out);
void dxgc_buffer_release(struct dxgc_buffer *buf);
void dxgc_program_release(struct dxgc_program *prog);
void dxgc_cmdlist_release(struct dxgc_cmdlist *list);

#endif /* DXGC_INTERNAL_H */
