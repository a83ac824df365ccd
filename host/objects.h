/* SPDX-License-Identifier: MIT */
/*
 * The object model of one VM, as a worker keeps it: adapters (one per host Vulkan device, VM
 * scope), processes (one per guest thread group), and per process the devices and contexts it
 * created. Every object has a handle in the VM's handle table; process-scoped objects are owned by
 * their process's handle, so one process can never name another's objects.
 *
 * Destruction cascades: a context (with its hardware queues, exec.h), allocation, resource, paging
 * queue or sync object (sync.h) goes with its device, a device with its process or with the
 * process's last reference to the device's adapter, every process with a CONNECT. Destroying
 * anything that may have GPU work in flight waits for that work first (exec.h). Functions return
 * 0 or a negative errno: -EINVAL for a handle that is bad, foreign, of the wrong type or already
 * destroyed, -ENOMEM for a quota or memory shortage.
 */
#ifndef DXGD_OBJECTS_H
#define DXGD_OBJECTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <opendxg/wire.h>

#include "handle_table.h"
#include "vk_backend.h"

/* Intrusive circular doubly-linked list: objects unlink themselves in O(1) on destruction. */
struct obj_list {
	struct obj_list *prev, *next;
};

static inline void obj_list_init(struct obj_list *l)
{
	l->prev = l->next = l;
}

static inline bool obj_list_empty(const struct obj_list *l)
{
	return l->next == l;
}

static inline void obj_list_add_tail(struct obj_list *head, struct obj_list *node)
{
	node->prev = head->prev;
	node->next = head;
	head->prev->next = node;
	head->prev = node;
}

static inline void obj_list_del(struct obj_list *node)
{
	node->prev->next = node->next;
	node->next->prev = node->prev;
	node->prev = node->next = node;
}

#define obj_container_of(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))

/* Engines per node and nodes per adapter: opendxg adapters have one compute node, one engine. */
#define DXG_ADAPTER_NODES 1u
#define DXG_NODE_ENGINE_MASK 0x1u

/*
 * Execution numbers for QUERY_STATISTICS (stats.c reads them, exec.c counts): per adapter (its
 * one node) for the VM, and per process and adapter. The queue depth is what was submitted and
 * neither completed nor dropped; running_time_ns sums the GPU time of completed jobs.
 */
struct dxg_exec_stats {
	uint64_t jobs_submitted;
	uint64_t jobs_completed;	/* finished on the device, failed ones included */
	uint64_t jobs_failed;		/* the device reported an error */
	uint64_t jobs_dropped;		/* never ran: their context broke or went first */
	uint64_t running_time_ns;
};

struct dxg_adapter {
	uint32_t handle;		/* VM scope: the same for every process */
	uint32_t index;			/* position in dxg_vm.adapters */
	const struct vk_adapter *vk;
	struct dxg_exec_stats exec_stats;	/* every process of the VM */
};

struct dxg_process {
	struct obj_list link;		/* in dxg_vm.processes */
	uint32_t handle;
	uint32_t pid;			/* guest tgid, display only */
	char name[DXGW_PROCESS_NAME_LEN + 1];	/* printable ASCII only */
	uint32_t adapter_refs[DXGW_MAX_ADAPTERS];	/* open references per adapter index */
	uint32_t open_adapters;		/* sum of adapter_refs */
	struct obj_list devices;
	uint32_t device_count;
	uint32_t context_count;
	struct process_memory *mem;	/* memory.c: GPU VA spaces, usage; NULL until used */
	struct dxg_exec_stats exec_stats[DXGW_MAX_ADAPTERS];	/* by adapter index */
};

struct dxg_device {
	struct obj_list link;		/* in dxg_process.devices */
	uint32_t handle;
	struct dxg_process *process;
	struct dxg_adapter *adapter;
	uint32_t flags;			/* d3dkmt_createdeviceflags */
	struct obj_list contexts;
	uint32_t context_count;
	/* memory.h: standalone allocations, resources (with theirs), paging queues */
	struct obj_list allocations;
	struct obj_list resources;
	struct obj_list paging_queues;
	/* sync.h: every sync object of the device, the queues' fences included */
	struct obj_list sync_objects;
	/*
	 * exec.h: D3DKMT_DEVICEEXECUTION_ACTIVE, or the first error any of its contexts took (or
	 * MARK_DEVICE_ERROR's RESET); sticky. fault is the first page fault of any of its contexts.
	 */
	uint32_t execution_state;
	uint32_t broken_context;	/* handle of the first context that broke, 0: none */
	bool has_fault;
	struct dxg_page_fault {
		uint64_t sequence;	/* the faulting SUBMIT: 1-based on its queue */
		uint64_t va;
		uint32_t flags;		/* DXGW_FAULT_* */
		uint32_t packet;	/* byte offset of the packet in its command buffer */
	} fault;
};

struct dxg_context {
	struct obj_list link;		/* in dxg_device.contexts */
	uint32_t handle;
	struct dxg_device *device;
	uint32_t node_ordinal;
	uint32_t engine_affinity;
	uint32_t flags;			/* d3dddi_createcontextflags */
	uint32_t client_hint;
	/*
	 * The host KMD defines no context private data yet: its size is recorded and the bytes are
	 * discarded (keeping up to 128 KiB per context would let a guest pin host memory for nothing).
	 */
	uint32_t priv_size;
	struct exec_context *exec;	/* exec.c: its queue, hardware queues and execution state */
};

struct dxg_vm_limits {
	uint32_t max_handles;		/* live handles in the VM's table */
	uint32_t max_processes;
	uint32_t max_devices;		/* per VM */
	uint32_t max_contexts;		/* per VM */
	uint32_t max_adapter_refs;	/* open references of one process to one adapter */
	/*
	 * Open adapter references of the whole VM. Each costs no memory, but the per-VM sum is
	 * reported as a u32 and max_processes x adapters x max_adapter_refs would overflow it.
	 */
	uint32_t max_open_adapters;
	/*
	 * Execution (docs/dxgd.md, "Limits"): what a guest can make the worker hold without bound
	 * otherwise. Sync objects count CREATE_SYNC_OBJECT objects (queue fences are bounded by
	 * their queues); queue items are submissions, signal markers, waits and queued GPU VA
	 * updates not yet run; queued bytes are the worker's copies of them (parsed command
	 * buffers, GPU VA operations), running jobs included.
	 */
	uint32_t max_sync_objects;	/* per VM */
	uint32_t max_hw_queues;		/* per VM */
	uint32_t max_queue_items;	/* per queue */
	uint32_t max_vm_queue_items;	/* per VM, every queue */
	uint64_t max_queued_bytes;	/* per VM */
};

#define DXG_VM_DEFAULT_LIMITS { \
	.max_handles = HANDLE_TABLE_DEFAULT_MAX_LIVE, \
	.max_processes = 1024, \
	.max_devices = 4096, \
	.max_contexts = 16384, \
	.max_adapter_refs = 65535, \
	.max_open_adapters = 1u << 22, \
	.max_sync_objects = 65536, \
	.max_hw_queues = 4096, \
	.max_queue_items = 1024, \
	.max_vm_queue_items = 65536, \
	.max_queued_bytes = 256ull << 20, \
}

struct dxg_vm_counters {
	uint32_t processes;
	uint32_t open_adapters;		/* references, summed over processes and adapters */
	uint32_t devices;
	uint32_t contexts;
	uint64_t requests;		/* records consumed from the request ring */
	uint64_t rejected;		/* records the decoder rejected */
	/* sync.h, exec.h */
	uint32_t sync_objects;		/* live, every kind (queue fences included) */
	uint32_t user_sync_objects;	/* live CREATE_SYNC_OBJECT objects (max_sync_objects) */
	uint32_t hw_queues;
	uint32_t queue_items;		/* waiting on all queues */
	uint64_t queued_bytes;
	uint64_t contexts_broken;	/* since the worker started */
	uint64_t jobs_submitted;	/* command buffers accepted by SUBMIT */
	uint64_t jobs_completed;	/* ... that finished (or completed without work) */
};

struct dxg_vm {
	struct handle_table handles;
	struct dxg_adapter adapters[DXGW_MAX_ADAPTERS];
	uint32_t adapter_count;
	struct obj_list processes;
	struct dxg_vm_limits limits;
	struct dxg_vm_counters counters;
	uint32_t generation;
	uint64_t heap_size;		/* the region's host-visible heap */
	struct vm_memory *mem;		/* memory.c */
	struct vm_exec *exec;		/* exec.c */
	struct vm_shares *shares;	/* share.c */
	/*
	 * A fence slot in the region changed since the worker last interrupted the guest: the
	 * worker kicks DXG_VECTOR_RING (vm_take_fence_kick()) so guest waiters look again.
	 */
	bool fence_kick;
};

struct process_memory;
struct vm_memory;
struct vm_memory_setup;
struct exec_context;
struct vm_exec;
struct vm_shares;

/*
 * Sets up an empty VM serving the backend's adapters (each gets a VM-scoped handle). `vk` must
 * outlive the VM; so must the region `mem_setup` names (NULL: no region, default quotas, see
 * memory.h). Returns 0 or -ENOMEM.
 */
int vm_init(struct dxg_vm *vm, const struct vk_backend *vk, uint32_t generation,
	    const struct dxg_vm_limits *limits, const struct vm_memory_setup *mem_setup);
void vm_fini(struct dxg_vm *vm);

/* Destroys every process and what it owns (CONNECT: a new guest driver instance). */
void vm_destroy_all_processes(struct dxg_vm *vm);

struct dxg_adapter *vm_find_adapter(struct dxg_vm *vm, uint32_t handle);
struct dxg_process *vm_find_process(struct dxg_vm *vm, uint32_t handle);

/* `name` is sanitized to printable ASCII. */
int vm_create_process(struct dxg_vm *vm, uint32_t pid, const char *name, uint32_t *handle);
void vm_destroy_process(struct dxg_vm *vm, struct dxg_process *p);

int process_open_adapter(struct dxg_vm *vm, struct dxg_process *p, uint32_t adapter);
/* Dropping the last reference destroys the process's devices on that adapter. */
int process_close_adapter(struct dxg_vm *vm, struct dxg_process *p, uint32_t adapter);
/* The adapter when `p` holds at least one reference to it, else NULL. */
struct dxg_adapter *process_find_open_adapter(struct dxg_vm *vm, struct dxg_process *p,
					      uint32_t adapter);

int process_create_device(struct dxg_vm *vm, struct dxg_process *p, uint32_t adapter,
			  uint32_t flags, uint32_t *handle);
int process_destroy_device(struct dxg_vm *vm, struct dxg_process *p, uint32_t device);

struct context_params {
	uint32_t device;
	uint32_t node_ordinal;
	uint32_t engine_affinity;
	uint32_t flags;
	uint32_t client_hint;
	uint32_t priv_size;
};

int process_create_context(struct dxg_vm *vm, struct dxg_process *p,
			   const struct context_params *params, uint32_t *handle);
int process_destroy_context(struct dxg_vm *vm, struct dxg_process *p, uint32_t context);

/* True (once) when a fence slot changed since the last call: the guest needs an interrupt. */
static inline bool vm_take_fence_kick(struct dxg_vm *vm)
{
	bool kick = vm->fence_kick;

	vm->fence_kick = false;
	return kick;
}

/* Replaces every byte outside printable ASCII by '?', stopping at the first NUL. */
void sanitize_name(char *name);

#endif /* DXGD_OBJECTS_H */
