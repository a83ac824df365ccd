/* SPDX-License-Identifier: MIT */
/*
 * Raw-ioctl helpers of the WSL compatibility suite (tests/compat/README.md). They only package
 * the ioctls that set up the objects a check needs (adapter, device, allocation, fence); the
 * checks themselves issue their ioctls directly, so what is tested is the /dev/dxg ABI as WSL
 * defines it, never a library's view of it. No libd3dkmt here.
 *
 * Every helper returns 0 (or the ioctl's non-negative value) on success and -errno on failure,
 * and leaves its outputs untouched on failure.
 */
#ifndef COMPAT_H
#define COMPAT_H

#include <stdbool.h>
#include <stdint.h>

#include <misc/d3dkmthk.h>
#include <misc/opendxg.h>

#include "guestsys.h"

#define COMPAT_MIB (1024ull * 1024ull)

/* ioctl() on /dev/dxg: its value (>= 0) or -errno. */
int compat_ioctl(int fd, unsigned long code, void *args);

/* Opens /dev/dxg (O_RDWR | O_CLOEXEC): the fd or -errno. */
int compat_open(void);
/* compat_open(), skipping the whole program when there is no /dev/dxg. */
int compat_open_or_skip(void);

/*
 * ENUMADAPTERS3 and keeps the first adapter; the handles of the others are closed. Retries for a
 * while when none is listed (a worker restart may be in progress): 0 or -errno.
 */
int compat_first_adapter(int fd, struct d3dkmthandle *adapter, struct winluid *luid);
/* compat_first_adapter(), skipping the program when there is none. */
void compat_first_adapter_or_skip(int fd, struct d3dkmthandle *adapter, struct winluid *luid);

int compat_close_adapter(int fd, struct d3dkmthandle adapter);
int compat_create_device(int fd, struct d3dkmthandle adapter, struct d3dkmthandle *device);
int compat_destroy_device(int fd, struct d3dkmthandle device);
/* CREATECONTEXTVIRTUAL, node 0, engine affinity 1. */
int compat_create_context(int fd, struct d3dkmthandle device, struct d3dkmthandle *context);
int compat_destroy_context(int fd, struct d3dkmthandle context);

/* One allocation's opendxg KMD private data (docs/kmd-format.md). */
void compat_alloc_priv(struct opendxg_alloc_priv *priv, uint32_t kind, uint64_t size);

/* One host-visible allocation of @size bytes, no resource. */
int compat_create_host_visible(int fd, struct d3dkmthandle device, uint64_t size,
			       struct d3dkmthandle *allocation);

/*
 * A shareable resource (create_resource | create_shared | nt_security_sharing) holding @count
 * host-visible allocations of @size bytes each, with @runtime_size bytes of runtime private data
 * (filled with the byte pattern 0xa0 + i) when non-zero.
 */
int compat_create_shared_resource(int fd, struct d3dkmthandle device, uint64_t size,
				  uint32_t count, uint32_t runtime_size,
				  struct d3dkmthandle *resource, struct d3dkmthandle *allocations);

/* DESTROYALLOCATION2 of one allocation, or of a resource with everything in it. */
int compat_destroy_allocation(int fd, struct d3dkmthandle device, struct d3dkmthandle allocation);
int compat_destroy_resource(int fd, struct d3dkmthandle device, struct d3dkmthandle resource);

int compat_lock2(int fd, struct d3dkmthandle device, struct d3dkmthandle allocation, void **cpu);
int compat_unlock2(int fd, struct d3dkmthandle device, struct d3dkmthandle allocation);

/*
 * A monitored fence with @flags (D3DDDI_SYNCOBJ_FLAG_*) starting at @initial; @cpu_va gets the
 * fence page's address in this process (may be NULL).
 */
int compat_create_monitored_fence(int fd, struct d3dkmthandle device, uint32_t flags,
				  uint64_t initial, struct d3dkmthandle *fence,
				  volatile uint64_t **cpu_va);
int compat_destroy_sync(int fd, struct d3dkmthandle sync_object);
/* SIGNALSYNCHRONIZATIONOBJECTFROMCPU of one monitored fence to @value. */
int compat_signal_cpu(int fd, struct d3dkmthandle device, struct d3dkmthandle fence,
		      uint64_t value);
/* WAITFORSYNCHRONIZATIONOBJECTFROMCPU of one fence for @value; blocks without a timeout. */
int compat_wait_cpu(int fd, struct d3dkmthandle device, struct d3dkmthandle fence,
		    uint64_t value);

/* SHAREOBJECTS of one object with @access: the new fd (>= 0) or -errno. */
int compat_share(int fd, struct d3dkmthandle object, uint32_t access);

/* QUERYVIDEOMEMORYINFO current_usage of @group for the calling process. */
int compat_usage(int fd, struct d3dkmthandle adapter, uint32_t group, uint64_t *usage);
/* opendxg's OPENDXG_QAI_VM_STATS (the host's per-VM object counts). */
int compat_vm_stats(int fd, struct d3dkmthandle adapter, struct opendxg_vm_stats *stats);

/* Reads/writes exactly @size bytes through a pipe: 0 or -errno (-EPIPE at end of file). */
int compat_read_all(int fd, void *buf, size_t size);
int compat_write_all(int fd, const void *buf, size_t size);

/* Sleeps @ms milliseconds (polling loops only; no check depends on how long anything takes). */
void compat_sleep_ms(unsigned int ms);

/* A code with a different size field than @code (same nr, type and direction). */
static inline unsigned long compat_resize(unsigned long code, unsigned int size)
{
	return _IOC(_IOC_DIR(code), _IOC_TYPE(code), _IOC_NR(code), size);
}

#endif /* COMPAT_H */
