/* SPDX-License-Identifier: MIT */
/*
 * uguest: a user-space guest for dxgd.
 *
 * A host process that attaches to a dxgd VM socket exactly like QEMU's ivshmem-doorbell device
 * does (ivshmem client protocol: version, own peer id, the region memfd, every peer's eventfds),
 * maps the shared region, checks its header like the guest driver, attaches to the rings and
 * speaks the wire protocol of include/opendxg/wire.h. Host tests, fuzzers and benchmarks use it to
 * drive dxgd without booting a VM. docs/uguest.md describes it in full.
 *
 * Conventions:
 * - Every function that can fail returns 0 (or a count) on success and a negative errno on failure.
 *   A reply's own status (a negative errno from dxgd) is returned the same way, so callers compare
 *   against exact values: uguest_destroy_device() on a stale handle returns what dxgd answered.
 * - Waits are bounded by the uguest's timeout (default UGUEST_DEFAULT_TIMEOUT_MS): -ETIMEDOUT.
 * - Sticky failures: once the reply ring is corrupt (-EPROTO), the region's generation or state
 *   changed under us (-ENODEV: the worker was restarted and every host object is gone) or dxgd
 *   closed the socket (-ECONNRESET), every later call returns that error. Connect a new uguest.
 * - Thread safety: none. A uguest belongs to one thread at a time (the rings are single-producer
 *   single-consumer and the reply stash is unlocked). Use one uguest per thread, or lock around
 *   every call.
 */
#ifndef OPENDXG_UGUEST_H
#define OPENDXG_UGUEST_H

#include <stdbool.h>
#include <stdint.h>

#include <opendxg/ring.h>
#include <opendxg/wire.h>

#define UGUEST_DEFAULT_TIMEOUT_MS 10000u

enum uguest_wait_mode {
	/*
	 * Sleep in poll() on our own ring eventfd, using the ring's suppression handshake: dxgd
	 * kicks us only while we announce that we sleep. What a guest driver with interrupts does.
	 */
	UGUEST_WAIT_BLOCK = 0,
	/* Busy-poll the reply ring and never ask to be kicked: lowest latency, one CPU burnt. */
	UGUEST_WAIT_SPIN = 1,
};

/* Do not send DXGW_OP_CONNECT after attaching (tests that want to send it themselves). */
#define UGUEST_F_NO_CONNECT 0x1u

struct uguest_options {
	enum uguest_wait_mode wait_mode;
	uint32_t timeout_ms;		/* 0: UGUEST_DEFAULT_TIMEOUT_MS */
	uint32_t flags;			/* UGUEST_F_* */
	/*
	 * Wait until the region's generation is at least this (0: any). After a disconnect dxgd
	 * restarts the VM's worker; a reconnecting test passes old generation + 1 so it cannot
	 * attach to the rings of the worker that is about to go.
	 */
	uint32_t min_generation;
};

struct uguest;

/* What we learned while connecting. Host byte order. */
struct uguest_info {
	uint32_t peer_id;		/* our ivshmem peer id */
	uint32_t generation;		/* region generation we attached to */
	uint32_t host_version;		/* region header version (DXG_PROTOCOL_VERSION of the host) */
	uint32_t max_message;		/* region header max_message_size */
	uint64_t region_size;
	uint64_t host_features;
	/* From the DXGW_OP_CONNECT reply; zero with UGUEST_F_NO_CONNECT. */
	uint32_t connect_version;
	uint32_t adapter_count;
	uint64_t features;
};

struct uguest_stats {
	uint64_t requests;		/* records published on the request ring */
	uint64_t replies;		/* records taken from the reply ring */
	uint64_t kicks;			/* doorbells rung (request published, or reply space freed) */
	uint64_t sleeps;		/* poll() calls made to wait for dxgd */
};

/*
 * Connects to the VM socket `socket_path` (opt may be NULL for defaults), waits until dxgd's
 * worker has formatted the region (state READY), attaches the rings and, unless
 * UGUEST_F_NO_CONNECT, sends DXGW_OP_CONNECT. Errors: -errno from socket calls; -EPROTO for a
 * server that breaks the ivshmem protocol or a region header that fails validation;
 * -ETIMEDOUT; -ECONNRESET when dxgd hangs up; -EBUSY when dxgd refuses us because another guest
 * is attached to the VM; or the CONNECT reply's status.
 */
int uguest_connect(const char *socket_path, const struct uguest_options *opt, struct uguest **out);

/* Disconnects (dxgd then restarts the VM's worker) and frees everything. NULL is a no-op. */
void uguest_close(struct uguest *g);

void uguest_get_info(const struct uguest *g, struct uguest_info *info);
uint32_t uguest_generation(const struct uguest *g);
void uguest_get_stats(const struct uguest *g, struct uguest_stats *stats);
void uguest_set_timeout(struct uguest *g, uint32_t timeout_ms);
void uguest_set_wait_mode(struct uguest *g, enum uguest_wait_mode mode);

/*
 * Publishes one request (header built here, body copied after it) and rings the doorbell if dxgd
 * sleeps. `*request_id` receives the id to wait for. A full request ring is waited out (draining
 * replies meanwhile, so dxgd can never block on us). Does not wait for the reply: several requests
 * may be outstanding, and replies may arrive in any order.
 */
int uguest_send(struct uguest *g, uint16_t opcode, uint32_t process, const void *body,
		uint32_t body_len, uint64_t *request_id);

/*
 * Waits for the reply to `request_id` (replies to other ids that arrive meanwhile are kept for
 * their own uguest_wait). Returns the reply's status (0, DXGW_STATUS_PENDING, or a negative errno
 * from dxgd) or a local error. PENDING is a success with a body whose work continues after the
 * reply (MAKE_RESIDENT restoring contents: wait for the paging fence, uguest_wait_fence()).
 * On success the reply body is copied to `reply_body` (up to `reply_max` bytes; the rest
 * of the buffer is zeroed, so nothing stale survives a short body) and `*reply_len` (may be NULL)
 * gets the body length dxgd sent, which may exceed reply_max (a longer, newer body). Whether a
 * short body is acceptable is the caller's call: the typed helpers below answer -EPROTO.
 */
int uguest_wait(struct uguest *g, uint64_t request_id, void *reply_body, uint32_t reply_max,
		uint32_t *reply_len);

/* uguest_send() + uguest_wait(). */
int uguest_call(struct uguest *g, uint16_t opcode, uint32_t process, const void *body,
		uint32_t body_len, void *reply_body, uint32_t reply_max, uint32_t *reply_len);

/*
 * For hostile tests: publishes `len` arbitrary bytes as one ring record (no header is added or
 * checked) and rings the doorbell. If the bytes carry a header whose request id you chose, its
 * reply can be awaited with uguest_wait(); pick ids with bit 63 set, uguest_send() never uses
 * those. -EMSGSIZE when len is 0 or exceeds the ring's max payload.
 */
int uguest_send_raw(struct uguest *g, const void *record, uint32_t len);

/* Replies received but not yet claimed by uguest_wait() (e.g. answers to raw records). */
uint32_t uguest_pending_replies(const struct uguest *g);

/* Drops every unclaimed reply. */
void uguest_discard_replies(struct uguest *g);

/*
 * Raw access for tests that corrupt shared state: the mapped region (header at offset 0) and our
 * two ring views (request: we produce; reply: we consume). Writing through these breaks the VM on
 * purpose; dxgd must survive it.
 */
void *uguest_region(const struct uguest *g, uint64_t *size);
struct dxg_ring *uguest_request_ring(struct uguest *g);
struct dxg_ring *uguest_reply_ring(struct uguest *g);

/* Rings dxgd's DXG_VECTOR_RING doorbell unconditionally (what a guest's doorbell write does). */
int uguest_kick(struct uguest *g);

/* ---- typed helpers for the opcodes (host byte order in and out) ---- */

struct uguest_adapter {
	uint32_t handle;
	uint32_t luid_low;
	uint32_t luid_high;
	uint32_t flags;			/* DXGW_ADAPTER_* */
};

/* DXGW_OP_CONNECT again (the host forgets the VM's objects); fills the connect fields of info. */
int uguest_handshake(struct uguest *g, uint64_t guest_features, struct uguest_info *info);
int uguest_nop(struct uguest *g);
int uguest_create_process(struct uguest *g, uint32_t pid, const char *name, uint32_t *process);
int uguest_destroy_process(struct uguest *g, uint32_t process);
/* Fills up to `max` adapters; *count gets how many dxgd reported (may exceed max). */
int uguest_enum_adapters(struct uguest *g, struct uguest_adapter *adapters, uint32_t max,
			 uint32_t *count);
int uguest_open_adapter(struct uguest *g, uint32_t process, uint32_t adapter);
int uguest_close_adapter(struct uguest *g, uint32_t process, uint32_t adapter);
/* `data` is input and output, `size` bytes (1..DXGW_MAX_QAI_DATA). */
int uguest_query_adapter_info(struct uguest *g, uint32_t process, uint32_t adapter, uint32_t type,
			      void *data, uint32_t size);
int uguest_create_device(struct uguest *g, uint32_t process, uint32_t adapter, uint32_t flags,
			 uint32_t *device);
int uguest_destroy_device(struct uguest *g, uint32_t process, uint32_t device);

struct uguest_context_args {
	uint32_t device;
	uint32_t node_ordinal;
	uint32_t engine_affinity;
	uint32_t flags;
	uint32_t client_hint;
	const void *priv;
	uint32_t priv_size;
};
int uguest_create_context(struct uguest *g, uint32_t process,
			  const struct uguest_context_args *args, uint32_t *context);
int uguest_destroy_context(struct uguest *g, uint32_t process, uint32_t context);

/* ---- memory (0x04xx): docs/protocol.md "Memory" has the semantics and errors ---- */

/* One allocation to create: host order; `code` is the SPIR-V of a PROGRAM (code_size bytes). */
struct uguest_alloc_desc {
	uint32_t kind;			/* OPENDXG_ALLOC_KIND_* */
	uint32_t flags;			/* MBZ */
	uint64_t size;			/* PROGRAM: equals code_size */
	uint32_t priority;		/* 0: normal */
	uint32_t code_size;
	const void *code;
};

struct uguest_alloc_result {
	uint32_t allocation;
	uint64_t charged;
};

struct uguest_create_allocation_args {
	uint32_t device;
	uint32_t resource;		/* an existing resource to join, or 0 */
	uint32_t flags;			/* D3DKMT_CREATEALLOCATION_FLAG_* */
	const void *runtime_data;	/* with CREATE_RESOURCE only */
	uint32_t runtime_data_size;
	const struct uguest_alloc_desc *descs;
	uint32_t count;
};

/*
 * CREATE_ALLOCATION: `results` receives `count` results, *resource (may be NULL) the new or
 * joined resource (0 for standalone allocations).
 */
int uguest_create_allocation(struct uguest *g, uint32_t process,
			     const struct uguest_create_allocation_args *args,
			     uint32_t *resource, struct uguest_alloc_result *results);
/* One standalone allocation of `kind` and `size` (not a PROGRAM). */
int uguest_alloc(struct uguest *g, uint32_t process, uint32_t device, uint32_t kind,
		 uint64_t size, uint32_t *allocation);
/* DESTROY_ALLOCATION: a resource (count 0) or `count` standalone allocations. */
int uguest_destroy_allocations(struct uguest *g, uint32_t process, uint32_t device,
			       uint32_t resource, const uint32_t *allocations, uint32_t count,
			       uint32_t flags);
int uguest_free(struct uguest *g, uint32_t process, uint32_t device, uint32_t allocation);

struct uguest_lock {
	uint64_t region_offset;		/* the allocation's pages in the region */
	uint64_t size;			/* bytes mapped (a page multiple) */
	uint32_t resource;
	uint32_t adapter;
};

int uguest_lock(struct uguest *g, uint32_t process, uint32_t device, uint32_t allocation,
		struct uguest_lock *out);
int uguest_unlock(struct uguest *g, uint32_t process, uint32_t device, uint32_t allocation);
/*
 * The bytes a LOCK reply names, in our mapping of the region: what a guest driver maps into
 * the caller. NULL when the range is not inside the region's heap (a dxgd bug).
 */
void *uguest_lock_ptr(const struct uguest *g, const struct uguest_lock *lock);

struct uguest_video_memory {
	uint64_t budget;
	uint64_t current_usage;
	uint64_t current_reservation;
	uint64_t available_for_reservation;
};

int uguest_query_video_memory(struct uguest *g, uint32_t process, uint32_t adapter,
			      uint32_t segment_group, struct uguest_video_memory *out);
int uguest_change_reservation(struct uguest *g, uint32_t process, uint32_t adapter,
			      uint32_t segment_group, uint64_t reservation);

/*
 * QUERY_RESIDENCY / GET_PRIORITY: a resource (count 0: one value) or `count` allocations;
 * `values` receives max(count, 1) values. SET_PRIORITY takes max(count, 1) priorities.
 */
int uguest_query_residency(struct uguest *g, uint32_t process, uint32_t device,
			   uint32_t resource, const uint32_t *allocations, uint32_t count,
			   uint32_t *values);
int uguest_get_priority(struct uguest *g, uint32_t process, uint32_t device, uint32_t resource,
			const uint32_t *allocations, uint32_t count, uint32_t *values);
int uguest_set_priority(struct uguest *g, uint32_t process, uint32_t device, uint32_t resource,
			const uint32_t *allocations, uint32_t count, const uint32_t *priorities);

/* OFFER / RECLAIM: `handles` name resources when `resources`, else allocations. */
int uguest_offer(struct uguest *g, uint32_t process, uint32_t device, uint32_t priority,
		 uint32_t flags, bool resources, const uint32_t *handles, uint32_t count);
/* `results` (count values, D3DDDI_RECLAIM_RESULT_*) and `fence_value` may be NULL. */
int uguest_reclaim(struct uguest *g, uint32_t process, uint32_t paging_queue, bool resources,
		   const uint32_t *handles, uint32_t count, uint32_t *results,
		   uint64_t *fence_value);

struct uguest_alloc_property {
	uint32_t paging_queue;
	uint32_t allocation;
	uint32_t supported_segment_set;
	uint32_t preferred_segment;
	uint32_t flags;
	uint32_t property_mask;
};

int uguest_update_alloc_property(struct uguest *g, uint32_t process,
				 const struct uguest_alloc_property *args, uint64_t *fence_value);

struct uguest_paging_queue {
	uint32_t paging_queue;
	uint32_t sync_object;		/* the queue's monitored fence */
	uint64_t fence_offset;		/* where its value lives in the region */
};

int uguest_create_paging_queue(struct uguest *g, uint32_t process, uint32_t device,
			       int32_t priority, struct uguest_paging_queue *out);
int uguest_destroy_paging_queue(struct uguest *g, uint32_t process, uint32_t paging_queue);

/*
 * MAKE_RESIDENT: returns 0 (the fence has reached *fence_value) or DXGW_STATUS_PENDING (wait
 * for it with uguest_wait_fence()), or a negative errno. `priorities` may be NULL.
 */
int uguest_make_resident(struct uguest *g, uint32_t process, uint32_t paging_queue,
			 const uint32_t *allocations, uint32_t count, const uint32_t *priorities,
			 uint32_t flags, uint64_t *fence_value);
int uguest_evict(struct uguest *g, uint32_t process, uint32_t device, const uint32_t *allocations,
		 uint32_t count, uint32_t flags, uint64_t *bytes_to_trim);

/*
 * The current value of the fence at region offset `fence_offset` (an acquire load); 0 for an
 * offset that is not an 8-byte slot of the region's fence storage.
 */
uint64_t uguest_fence_value(const struct uguest *g, uint64_t fence_offset);
/*
 * Waits (bounded by the uguest's timeout: -ETIMEDOUT) until the fence at `fence_offset`
 * reaches `value`. -EINVAL for an offset outside the region's fence storage. In BLOCK mode it
 * sleeps on our ring interrupt (dxgd rings it after every fence write) and re-reads the slot
 * after each one; in SPIN mode it polls the slot. uguest_wait_fences() below has the details.
 */
int uguest_wait_fence(struct uguest *g, uint64_t fence_offset, uint64_t value);

struct uguest_reserve_gpu_va {
	uint32_t adapter;		/* or 0 and a paging queue */
	uint32_t paging_queue;
	uint64_t base_address;
	uint64_t minimum_address;
	uint64_t maximum_address;
	uint64_t size;
	uint32_t reservation_type;
	uint64_t driver_protection;
};

struct uguest_map_gpu_va {
	uint32_t paging_queue;
	uint32_t allocation;
	uint64_t base_address;
	uint64_t minimum_address;
	uint64_t maximum_address;
	uint64_t offset_in_pages;
	uint64_t size_in_pages;
	uint64_t protection;
	uint64_t driver_protection;
};

/* One UPDATE_GPU_VA operation (D3DDDI_UPDATEGPUVIRTUALADDRESS_*), host order. */
struct uguest_gpu_va_op {
	uint32_t operation;
	uint64_t base_address;
	uint64_t size;
	uint64_t dest_address;
	uint32_t allocation;
	uint64_t allocation_offset;
	uint64_t protection;
	uint64_t driver_protection;
};

/* `fence_value` may be NULL in these. */
int uguest_reserve_gpu_va(struct uguest *g, uint32_t process,
			  const struct uguest_reserve_gpu_va *args, uint64_t *va,
			  uint64_t *fence_value);
int uguest_map_gpu_va(struct uguest *g, uint32_t process, const struct uguest_map_gpu_va *args,
		      uint64_t *va, uint64_t *fence_value);
int uguest_free_gpu_va(struct uguest *g, uint32_t process, uint32_t adapter, uint64_t base,
		       uint64_t size);
int uguest_update_gpu_va(struct uguest *g, uint32_t process, uint32_t device, uint32_t context,
			 uint32_t fence_object, uint64_t fence_value, uint32_t flags,
			 const struct uguest_gpu_va_op *ops, uint32_t count);

/*
 * Maps the first `size` bytes (rounded up to pages) of `allocation` at a new GPU VA chosen by
 * dxgd, with `protection` (D3DDDIGPUVA_PROTECTION_*; 0: read-only), and waits until the paging
 * queue's fence reaches the value the reply names. A convenience for tests and benchmarks.
 */
int uguest_map_allocation(struct uguest *g, uint32_t process,
			  const struct uguest_paging_queue *queue, uint32_t allocation,
			  uint64_t size, uint64_t protection, uint64_t *va);

/* ---- synchronization objects (0x05xx): docs/protocol.md "Synchronization" ---- */

struct uguest_sync_object {
	uint32_t handle;
	uint64_t fence_offset;		/* MONITORED_FENCE, CPU_NOTIFICATION: the slot; else 0 */
	uint64_t fence_gpu_va;		/* 0: fences are not in GPU VA spaces */
};

/*
 * CREATE_SYNC_OBJECT: `type` D3DDDI_SYNCHRONIZATION_MUTEX (value0: initially owned),
 * D3DDDI_SEMAPHORE (value0 max count, value1 initial count), D3DDDI_FENCE or
 * D3DDDI_MONITORED_FENCE (value0: initial value) or D3DDDI_CPU_NOTIFICATION; flags
 * D3DDDI_SYNCOBJ_FLAG_*.
 */
int uguest_create_sync_object(struct uguest *g, uint32_t process, uint32_t device, uint32_t type,
			      uint32_t flags, uint64_t value0, uint64_t value1,
			      struct uguest_sync_object *out);
/* A monitored fence starting at `initial` (flags 0). */
int uguest_create_fence(struct uguest *g, uint32_t process, uint32_t device, uint64_t initial,
			struct uguest_sync_object *out);
int uguest_destroy_sync_object(struct uguest *g, uint32_t process, uint32_t sync_object);
/* SIGNAL_FROM_CPU: objects[i] takes values[i]; flags D3DDDICB_SIGNAL_FLAG_ALLOW_FENCE_REWIND. */
int uguest_signal_from_cpu(struct uguest *g, uint32_t process, uint32_t device, uint32_t flags,
			   const uint32_t *objects, const uint64_t *values, uint32_t count);
/* GET_FENCE_SLOTS: offsets[i] receives the region offset of objects[i]'s slot. */
int uguest_get_fence_slots(struct uguest *g, uint32_t process, uint32_t device,
			   const uint32_t *objects, uint32_t count, uint64_t *offsets);
/* SIGNAL_ON_QUEUE: behind the work of every queue (contexts or hardware queues). */
int uguest_signal_on_queue(struct uguest *g, uint32_t process, uint32_t flags,
			   const uint32_t *queues, uint32_t queue_count, const uint32_t *objects,
			   const uint64_t *values, uint32_t object_count);
/* WAIT_ON_QUEUE: later work of `queue` waits for every object. */
int uguest_wait_on_queue(struct uguest *g, uint32_t process, uint32_t queue,
			 const uint32_t *objects, const uint64_t *values, uint32_t count);

/*
 * Waits until the fences at offsets[0..count) reach values[i]: all of them, or any one when
 * `wait_any` (then *which, if not NULL, gets the index of the first one found reached). This is
 * the guest side of WAITFORSYNCHRONIZATIONOBJECTFROMCPU: dxgd stores a fence value, then rings
 * our ring vector; we re-read the slots after every interrupt. No periodic re-check: a lost
 * interrupt shows up as -ETIMEDOUT. -EINVAL for an offset outside the fence storage or count 0.
 *
 * After fork() the child may wait on its copy of the uguest too (the region mapping and the
 * interrupt eventfd are shared), but reading the eventfd consumes the interrupt: the parent must
 * then not sleep on it (UGUEST_WAIT_SPIN), or the two would steal each other's wake-ups.
 */
int uguest_wait_fences(struct uguest *g, const uint64_t *fence_offsets, const uint64_t *values,
		       uint32_t count, bool wait_any, uint32_t *which);

/* ---- execution (0x06xx) ---- */

struct uguest_hw_queue {
	uint32_t queue;
	uint32_t progress_fence;	/* sync object handle, owned by the queue */
	uint64_t fence_offset;		/* the progress fence's slot */
	uint64_t fence_gpu_va;
};

int uguest_create_hw_queue(struct uguest *g, uint32_t process, uint32_t context, uint32_t flags,
			   const void *priv, uint32_t priv_size, struct uguest_hw_queue *out);
int uguest_destroy_hw_queue(struct uguest *g, uint32_t process, uint32_t queue);

/*
 * SUBMIT: the command buffer at GPU VA `command_buffer`, `length` bytes (its header's size), to
 * a context or a hardware queue; `progress_fence_value` (hardware queues) is what the queue's
 * progress fence becomes when the buffer completed (contexts: 0). flags
 * D3DKMT_SUBMITCOMMAND_FLAG_NULL_RENDERING.
 */
int uguest_submit(struct uguest *g, uint32_t process, uint32_t queue, uint32_t flags,
		  uint64_t command_buffer, uint32_t length, uint64_t progress_fence_value);

int uguest_set_scheduling_priority(struct uguest *g, uint32_t process, uint32_t context,
				   int32_t priority, bool in_process);
int uguest_get_scheduling_priority(struct uguest *g, uint32_t process, uint32_t context,
				   bool in_process, int32_t *priority);

struct uguest_device_state {
	uint32_t execution_state;	/* D3DKMT_DEVICEEXECUTION_* */
	uint32_t broken_context;
	uint64_t fault_sequence;
	uint64_t fault_va;
	uint32_t fault_flags;		/* DXGW_FAULT_* */
	uint32_t fault_packet;
};

/* GET_DEVICE_STATE: state_type D3DKMT_DEVICESTATE_EXECUTION or _PAGE_FAULT. */
int uguest_get_device_state(struct uguest *g, uint32_t process, uint32_t device,
			    uint32_t state_type, struct uguest_device_state *out);
int uguest_mark_device_error(struct uguest *g, uint32_t process, uint32_t device,
			     uint32_t reason);

struct uguest_clock_calibration {
	uint64_t gpu_frequency;
	uint64_t gpu_clock_counter;
	uint64_t host_clock_ns;
};

int uguest_query_clock_calibration(struct uguest *g, uint32_t process, uint32_t adapter,
				   uint32_t node_ordinal, struct uguest_clock_calibration *out);

struct uguest_escape_args {
	uint32_t adapter;
	uint32_t device;		/* 0 or the process's own */
	uint32_t context;		/* 0 or the process's own */
	uint32_t type;			/* D3DKMT_ESCAPE_* */
	uint32_t flags;
};

/* ESCAPE: `data` (size bytes) goes out and comes back answered in place. */
int uguest_escape(struct uguest *g, uint32_t process, const struct uguest_escape_args *args,
		  void *data, uint32_t size);

/* ---- sharing (0x07xx): docs/protocol.md "Sharing" ---- */

struct uguest_share {
	uint64_t share_id;
	uint32_t kind;			/* DXGW_SHARE_KIND_* */
	uint32_t sync_type;		/* sync objects: D3DDDI_*; resources: 0 */
	uint64_t fence_offset;		/* monitored fences: the share's own slot; else 0 */
};

/* SHARE_OBJECT: a sync object or resource of `process`; flags DXGW_SHARE_*. */
int uguest_share_object(struct uguest *g, uint32_t process, uint32_t object, uint32_t flags,
			struct uguest_share *out);
/* CLOSE_SHARE (VM scope): drops one reference. */
int uguest_close_share(struct uguest *g, uint64_t share_id);

struct uguest_opened_sync_object {
	uint32_t handle;
	uint32_t type;			/* D3DDDI_* */
	uint64_t fence_offset;		/* the new handle's own slot (monitored fences, ...) */
	uint64_t fence_gpu_va;
	uint64_t fence_value;		/* fences: the value when opened */
};

/* OPEN_SHARED_SYNC_OBJECT: a handle of `process` on `device`; access DXGW_ACCESS_WAIT|SIGNAL. */
int uguest_open_shared_sync_object(struct uguest *g, uint32_t process, uint32_t device,
				   uint32_t access, uint64_t share_id,
				   struct uguest_opened_sync_object *out);
/* QUERY_SHARED_RESOURCE: what uguest_open_shared_resource() needs. */
int uguest_query_shared_resource(struct uguest *g, uint32_t process, uint32_t device,
				 uint64_t share_id, uint32_t *allocation_count,
				 uint32_t *runtime_data_size);

struct uguest_shared_allocation {
	uint32_t allocation;
	uint32_t kind;			/* OPENDXG_ALLOC_KIND_* */
	uint64_t size;
};

/*
 * OPEN_SHARED_RESOURCE: `allocations` receives allocation_count entries, `runtime_data` (may
 * be NULL) up to runtime_data_max bytes of the resource's runtime data; *runtime_data_size (may
 * be NULL) its full size. access: DXGW_ACCESS_READ | DXGW_ACCESS_WRITE bits.
 */
int uguest_open_shared_resource(struct uguest *g, uint32_t process, uint32_t device,
				uint32_t access, uint64_t share_id, uint32_t allocation_count,
				uint32_t *resource, struct uguest_shared_allocation *allocations,
				void *runtime_data, uint32_t runtime_data_max,
				uint32_t *runtime_data_size);
/* WAIT_SHARE_ON_QUEUE: later work of `queue` waits for the share's fence to reach `value`. */
int uguest_wait_share_on_queue(struct uguest *g, uint32_t process, uint32_t queue,
			       uint64_t share_id, uint64_t value);

/* ---- statistics and queries (0x08xx) ---- */

/*
 * QUERY_STATISTICS: `result` receives DXGW_QUERY_STATISTICS_RESULT_SIZE bytes (the
 * D3DKMT_QUERYSTATISTICS_RESULT union, little-endian as dxgd wrote it). target 0: the caller.
 */
int uguest_query_statistics(struct uguest *g, uint32_t process, uint32_t adapter, uint32_t type,
			    const uint32_t query[2], uint32_t target, void *result);
/* IS_FEATURE_ENABLED: the two u16 of dxgk_isfeatureenabled_result. */
int uguest_is_feature_enabled(struct uguest *g, uint32_t process, uint32_t adapter,
			      uint32_t feature_id, uint32_t *version, uint32_t *value);
int uguest_invalidate_cache(struct uguest *g, uint32_t process, uint32_t device,
			    uint32_t allocation, uint64_t offset, uint64_t length);

/* ---- command buffers (include/uapi/misc/opendxg.h, docs/cmdbuf.md) ---- */

/*
 * A builder that writes a command buffer straight into memory the caller provides (typically a
 * locked host-visible allocation, so nothing is copied before SUBMIT): the header first, then one
 * packet per call, little-endian. Errors are sticky: a packet that does not fit sets -ENOSPC,
 * bad arguments -EINVAL, and uguest_cmd_finish() reports the first one. The builder checks only
 * what it needs to lay packets out; what dxgd validates is dxgd's to judge, so hostile tests can
 * build invalid packets (see uguest_cmd_raw() and the header fields set by finish).
 */
struct uguest_cmdbuf {
	unsigned char *data;
	uint32_t capacity;
	uint32_t size;			/* bytes written, header included */
	uint32_t packet_count;
	int error;			/* first error, sticky */
};

/* One storage buffer of a DISPATCH (host order). */
struct uguest_cmd_binding {
	uint64_t va;
	uint64_t size;
	uint32_t binding;
	uint32_t flags;			/* OPENDXG_BINDING_* */
};

/* Starts a buffer at `mem` (capacity bytes, >= OPENDXG_CMD_HEADER_SIZE). */
void uguest_cmd_init(struct uguest_cmdbuf *cb, void *mem, uint32_t capacity);
void uguest_cmd_copy(struct uguest_cmdbuf *cb, uint64_t src_va, uint64_t dst_va, uint64_t size);
void uguest_cmd_fill(struct uguest_cmdbuf *cb, uint64_t dst_va, uint64_t size, uint32_t value);
/* `entry` NULL: "main". push constants: push_size bytes (zero padded to 8 in the packet). */
void uguest_cmd_dispatch(struct uguest_cmdbuf *cb, uint32_t program, const char *entry,
			 uint32_t groups_x, uint32_t groups_y, uint32_t groups_z,
			 const struct uguest_cmd_binding *bindings, uint32_t binding_count,
			 const void *push, uint32_t push_size);
void uguest_cmd_barrier(struct uguest_cmdbuf *cb);
void uguest_cmd_timestamp(struct uguest_cmdbuf *cb, uint64_t dst_va);
/*
 * Appends `size` bytes as they are: a packet of the caller's making, valid or not, counted as one
 * packet (a test that wants the header to lie changes cb->packet_count before finishing).
 */
void uguest_cmd_raw(struct uguest_cmdbuf *cb, const void *bytes, uint32_t size);
/*
 * Writes the header (magic, version 1.0, size, packet_count). Returns the length to submit, or
 * the first error (negative). The buffer stays usable: more packets, then finish again.
 */
int uguest_cmd_finish(struct uguest_cmdbuf *cb);

#endif /* OPENDXG_UGUEST_H */
