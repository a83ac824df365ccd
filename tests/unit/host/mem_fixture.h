/* SPDX-License-Identifier: MIT */
/*
 * The memory tests' world (test_memory.c, test_memory_share.c): a VM over a memfd region
 * (fences at 64 KiB, heap at 1 MiB), a device-local backend without a GPU (malloc'ed buffers
 * with a capacity and an injectable read error) or the first real Vulkan adapter, and request
 * helpers that dispatch like the worker does.
 */
#ifndef MEM_FIXTURE_H
#define MEM_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <opendxg/wire.h>

#include "log.h"
#include "memory.h"
#include "objects.h"
#include "vk_backend.h"
#include "wire_body.h"

#define KiB 1024ull
#define MiB (1024ull * 1024ull)

/* Region stand-in (a memfd, so hole punching is exercised): fences at 64 KiB, heap at 1 MiB. */
#define REGION_SIZE (8 * MiB)
#define FENCE_OFFSET (64 * KiB)
#define FENCE_SIZE (16 * KiB)
#define HEAP_OFFSET (1 * MiB)
#define HEAP_SIZE (7 * MiB)

/* The fake device-local backend: its buffers, knobs and books. */
struct fake_buffer {
	uint64_t size;
	unsigned char *data;
};

extern uint64_t fake_capacity;
extern uint64_t fake_used;
extern int fake_read_error;

struct fixture {
	struct vk_adapter fake_adapters[2];
	struct vk_backend vk;
	bool real_vulkan;
	struct dxg_vm vm;
	struct dxg_ratelimit log;
	unsigned char reply[DXGW_MAX_MESSAGE];
	uint32_t reply_len;
	int status;
	uint64_t next_id;
	unsigned char *region;
	int fd;
};

/* One guest process with a device on adapter 0. */
struct proc {
	uint32_t handle;
	uint32_t adapter;
	uint32_t device;
};

struct desc {
	uint32_t kind;
	uint64_t size;
	uint32_t priority;
	const void *code;
	uint32_t code_size;
};

struct queue {
	uint32_t handle;
	uint32_t sync;
	uint64_t fence_offset;
};

struct fixture *fixture_new(const struct vm_memory_quota *quota, bool real_vulkan);
int setup_default(void **state);
int setup_small(void **state);
int teardown(void **state);
int send_req(struct fixture *f, uint16_t opcode, uint32_t process, const struct body *b,
	     bool finish);
int req(struct fixture *f, uint16_t opcode, uint32_t process, const struct body *b);
uint32_t r32(struct fixture *f, size_t off);
uint64_t r64(struct fixture *f, size_t off);
uint32_t body_len(struct fixture *f);
struct proc new_proc_on(struct fixture *f, const char *name, uint32_t adapter_index);
struct proc new_proc(struct fixture *f, const char *name);
int create(struct fixture *f, const struct proc *p, uint32_t flags, uint32_t resource,
	   const void *runtime, uint32_t runtime_size, const struct desc *d, uint32_t n,
	   uint32_t *handles);
int alloc1(struct fixture *f, const struct proc *p, uint32_t kind, uint64_t size,
	   uint32_t *handle);
int destroy(struct fixture *f, const struct proc *p, uint32_t resource,
	    const uint32_t *handles, uint32_t n);
int free1(struct fixture *f, const struct proc *p, uint32_t handle);
int lock_op(struct fixture *f, uint16_t op, const struct proc *p, uint32_t alloc);
struct queue new_queue(struct fixture *f, const struct proc *p);
int make_resident(struct fixture *f, const struct proc *p, const struct queue *q,
		  const uint32_t *h, uint32_t n, const uint32_t *prio, bool finish);
int evict(struct fixture *f, const struct proc *p, const uint32_t *h, uint32_t n);
int alloc_list(struct fixture *f, uint16_t op, const struct proc *p, uint32_t resource,
	       const uint32_t *h, uint32_t n, const uint32_t *values);
int offer(struct fixture *f, const struct proc *p, uint32_t priority, bool resources,
	  const uint32_t *h, uint32_t n);
int reclaim(struct fixture *f, const struct proc *p, const struct queue *q,
	    bool resources, const uint32_t *h, uint32_t n);
int video_memory(struct fixture *f, uint16_t op, const struct proc *p, uint32_t group,
		 uint64_t reservation);
struct memory_stats stats(struct fixture *f, uint32_t index);

#endif /* MEM_FIXTURE_H */
