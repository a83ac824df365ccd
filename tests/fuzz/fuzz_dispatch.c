// SPDX-License-Identifier: MIT
/*
 * fuzz-dispatch: hostile request records fed to the dxgd worker's dispatcher (worker_dispatch():
 * wire decoder, object model, handle table, QUERYADAPTERINFO), one VM per input, so a sequence of
 * records can build objects and then abuse them (stale, foreign and mistyped handles, quotas).
 *
 * The input format is in fuzz_vm.h. Each record is copied into a buffer of exactly its length so
 * AddressSanitizer sees any read past it. After every record the harness checks the reply against
 * the protocol (docs/protocol.md) and the VM's object graph against its counters and handle table,
 * the memory objects included (memory_check(): charged bytes equal the sum over live allocations,
 * claims within the quota, heap and GPU VA invariants, fence pages), the synchronization objects
 * (handles, owners, counts, and every fence slot's little-endian mirror equal to the value the
 * host keeps) and the execution state (exec_check(): queue items, bytes, hardware queues, jobs in
 * flight). Across each record no fence value goes backwards unless a signal with
 * ALLOW_FENCE_REWIND named it; after each input no sync object, queue, program or job of the fake
 * execution backend is left. Jobs run on that backend (fuzz_vm.h), which checks that every memory
 * reference a job was translated to lies inside what the guest owns. A violation prints what
 * failed and traps, which libFuzzer reports as a crash.
 *
 * FUZZ_DISPATCH_TRACE=1 prints every record, every reply and the worker's debug log, for
 * reproducing a crash by hand (docs/fuzzing.md).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include <misc/opendxg.h>
#include <opendxg/handle.h>
#include <opendxg/region.h>
#include <opendxg/wire.h>

#include "exec.h"
#include "fuzz_vm.h"
#include "memory.h"
#include "share.h"
#include "sync.h"
#include "wire_decode.h"
#include "worker_dispatch.h"
#include "worker_status.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* worker_dispatch.h: a reply is never longer than max(request length, this). */
#define ENUM_REPLY_LEN \
	(sizeof(struct dxgw_hdr) + sizeof(struct dxgw_enum_adapters_reply) + \
	 DXGW_MAX_ADAPTERS * sizeof(struct dxgw_adapter_desc))
#define ERRNO_MAX 4095
#define STATUS_MAX_LEN 65536u
#define STATUS_SMALL_MAX_LEN 256u

#define CHECK(cond) \
	do { \
		if (!(cond)) \
			check_failed(#cond, __LINE__); \
	} while (0)

static struct fuzz_vm fuzz;
static unsigned char *reply;
static uint32_t reply_cap;
static bool trace;
static uint32_t record_number;

static __attribute__((noreturn)) void check_failed(const char *what, int line)
{
	fprintf(stderr, "fuzz-dispatch: record %u: invariant violated (line %d): %s\n",
		record_number, line, what);
	__builtin_trap();
}

static void put_le32(unsigned char *p, uint32_t v)
{
	dxg_le32 le = dxg_to_le32(v);

	memcpy(p, &le, sizeof(le));
}

/* The VM's memory objects and bytes summed over its adapters. */
struct memory_totals {
	uint64_t objects;		/* allocations + resources + paging queues (each 1 handle) */
	uint64_t paging_queues;		/* each has a second handle: its fence */
	uint64_t gpu_va_ranges;
	uint64_t bytes[MEM_CATEGORIES];
};

static struct memory_totals memory_totals(const struct dxg_vm *vm)
{
	struct memory_totals t;

	memset(&t, 0, sizeof(t));
	for (uint32_t i = 0; i < vm->adapter_count; i++) {
		struct memory_stats m;

		memory_adapter_stats(vm, i, &m);
		t.objects += (uint64_t)m.allocations + m.resources + m.paging_queues;
		t.paging_queues += m.paging_queues;
		t.gpu_va_ranges += m.gpu_va_ranges;
		for (int c = 0; c < MEM_CATEGORIES; c++)
			t.bytes[c] += m.bytes[c];
	}
	return t;
}

static bool has_slot(uint32_t type)
{
	return type == D3DDDI_MONITORED_FENCE || type == D3DDDI_CPU_NOTIFICATION;
}

/*
 * A live sync object of device `d`: found through its handle, consistent in type, owner and value,
 * and (monitored fences, CPU notifications) with a slot in the fence storage whose little-endian
 * mirror is exactly the value the host keeps (the guest's waits read only the slot).
 */
static void check_sync_object(struct dxg_vm *vm, const struct dxg_process *p,
			      const struct dxg_device *d, const struct dxg_sync_object *so)
{
	CHECK(handle_table_lookup(&vm->handles, so->handle, DXG_HTYPE_SYNCOBJECT, p->handle) == so);
	CHECK(so->device == d);
	CHECK(so->refs >= 1);
	CHECK(so->type >= D3DDDI_SYNCHRONIZATION_MUTEX && so->type <= D3DDDI_MONITORED_FENCE);
	CHECK((so->flags & ~DXGW_SYNC_OBJECT_FLAGS) == 0);
	if (so->owner != SYNC_OWNER_DEVICE)
		CHECK(so->type == D3DDDI_MONITORED_FENCE);
	if (has_slot(so->type)) {
		CHECK(so->slot % 8 == 0 && so->slot >= FUZZ_VM_FENCE_OFFSET &&
		      so->slot < FUZZ_VM_FENCE_OFFSET + FUZZ_VM_FENCE_SIZE);
		CHECK(dxg_get_le64(fuzz_vm_region() + so->slot) == so->value);
	} else {
		CHECK(so->slot == 0);
	}
	if (so->type == D3DDDI_SEMAPHORE)
		CHECK(so->max_count >= 1 && so->max_count <= INT32_MAX && so->value <= so->max_count);
	if (so->type == D3DDDI_SYNCHRONIZATION_MUTEX)
		CHECK(so->value <= 1);
}

/*
 * The object graph agrees with itself: every object is found through its handle with its type and
 * owner, the per-object and per-VM counters equal what the lists hold, nothing exceeds a quota, a
 * device only exists while its process holds its adapter open, and the handle table holds exactly
 * the live objects (a failed create leaked no handle, a destroy freed every one).
 */
static void check_vm(struct dxg_vm *vm)
{
	const uint32_t live = handle_table_live(&vm->handles);
	uint32_t processes = 0, devices = 0, contexts = 0, refs = 0, syncs = 0, user_syncs = 0;

	CHECK(vm->adapter_count <= FUZZ_VM_MAX_ADAPTERS);
	for (uint32_t i = 0; i < vm->adapter_count; i++) {
		CHECK(vm_find_adapter(vm, vm->adapters[i].handle) == &vm->adapters[i]);
		CHECK(vm->adapters[i].index == i);
	}
	for (struct obj_list *pl = vm->processes.next; pl != &vm->processes; pl = pl->next) {
		struct dxg_process *p = obj_container_of(pl, struct dxg_process, link);
		uint32_t p_devices = 0, p_contexts = 0, p_refs = 0;

		CHECK(++processes <= live);	/* also bounds the walk of a corrupt list */
		CHECK(pl->next->prev == pl);
		CHECK(vm_find_process(vm, p->handle) == p);
		CHECK(dxg_handle_instance(p->handle) == 0);
		for (uint32_t i = 0; i < DXGW_MAX_ADAPTERS; i++) {
			CHECK(p->adapter_refs[i] <= vm->limits.max_adapter_refs);
			CHECK(i < vm->adapter_count || p->adapter_refs[i] == 0);
			p_refs += p->adapter_refs[i];
		}
		CHECK(p_refs == p->open_adapters);
		refs += p_refs;
		for (size_t i = 0; p->name[i]; i++)
			CHECK(p->name[i] >= 0x20 && p->name[i] <= 0x7e);
		for (struct obj_list *dl = p->devices.next; dl != &p->devices; dl = dl->next) {
			struct dxg_device *d = obj_container_of(dl, struct dxg_device, link);
			uint32_t d_contexts = 0;

			CHECK(++devices <= live);
			CHECK(dl->next->prev == dl);
			CHECK(d->process == p);
			CHECK(handle_table_lookup(&vm->handles, d->handle, DXG_HTYPE_DEVICE,
						  p->handle) == d);
			CHECK(d->adapter >= vm->adapters &&
			      d->adapter < vm->adapters + vm->adapter_count);
			CHECK(p->adapter_refs[d->adapter->index] > 0);
			for (struct obj_list *cl = d->contexts.next; cl != &d->contexts;
			     cl = cl->next) {
				struct dxg_context *c =
					obj_container_of(cl, struct dxg_context, link);

				CHECK(++contexts <= live);
				CHECK(cl->next->prev == cl);
				CHECK(c->device == d);
				CHECK(handle_table_lookup(&vm->handles, c->handle,
							  DXG_HTYPE_CONTEXT, p->handle) == c);
				CHECK(c->node_ordinal < DXG_ADAPTER_NODES);
				CHECK((c->engine_affinity & ~DXG_NODE_ENGINE_MASK) == 0);
				CHECK(c->priv_size <= DXGW_MAX_CONTEXT_PRIV);
				d_contexts++;
			}
			CHECK(d->context_count == d_contexts);
			CHECK(d->execution_state >= D3DKMT_DEVICEEXECUTION_ACTIVE &&
			      d->execution_state <= D3DKMT_DEVICEEXECUTION_ERROR_DMAPAGEFAULT);
			for (struct obj_list *sl = d->sync_objects.next; sl != &d->sync_objects;
			     sl = sl->next) {
				struct dxg_sync_object *so =
					obj_container_of(sl, struct dxg_sync_object, link);

				CHECK(++syncs <= live);
				CHECK(sl->next->prev == sl);
				check_sync_object(vm, p, d, so);
				user_syncs += so->owner == SYNC_OWNER_DEVICE;
			}
			p_contexts += d_contexts;
			p_devices++;
		}
		CHECK(p->device_count == p_devices);
		CHECK(p->context_count == p_contexts);
	}
	CHECK(vm->counters.processes == processes);
	CHECK(vm->counters.devices == devices);
	CHECK(vm->counters.contexts == contexts);
	CHECK(vm->counters.open_adapters == refs);
	CHECK(refs <= vm->limits.max_open_adapters);
	CHECK(processes <= vm->limits.max_processes);
	CHECK(devices <= vm->limits.max_devices);
	CHECK(contexts <= vm->limits.max_contexts);
	CHECK(live <= vm->handles.max_live);
	CHECK(vm->counters.sync_objects == syncs);
	CHECK(vm->counters.user_sync_objects == user_syncs);
	CHECK(user_syncs <= vm->limits.max_sync_objects);
	CHECK(vm->counters.hw_queues <= vm->limits.max_hw_queues);
	{
		const char *why = memory_check(vm);
		const char *xwhy = exec_check(vm);
		const struct memory_totals t = memory_totals(vm);

		if (why)
			fprintf(stderr, "fuzz-dispatch: memory_check: %s\n", why);
		CHECK(why == NULL);
		if (xwhy)
			fprintf(stderr, "fuzz-dispatch: exec_check: %s\n", xwhy);
		CHECK(xwhy == NULL);
		xwhy = share_check(vm);
		if (xwhy)
			fprintf(stderr, "fuzz-dispatch: share_check: %s\n", xwhy);
		CHECK(xwhy == NULL);
		/* Paging-queue and hardware-queue fences are sync objects (one handle each). */
		CHECK(live == vm->adapter_count + processes + devices + contexts + t.objects + syncs +
			      vm->counters.hw_queues);
	}
}

struct vm_snapshot {
	struct dxg_vm_counters counters;
	uint32_t live;
	struct memory_totals memory;
};

/*
 * A quota refusal (-ENOMEM) is only allowed when the request really hit a limit. A refused request
 * changes nothing, so the state after it is the state it was refused in.
 */
static bool at_limit(struct dxg_vm *vm, const struct vm_snapshot *before,
		     const struct dxgw_request *req)
{
	const struct dxg_vm_limits *l = &vm->limits;
	const bool handles_full = before->live >= vm->handles.max_live;

	switch (req->opcode) {
	case DXGW_OP_CREATE_PROCESS:
		return handles_full || before->counters.processes >= l->max_processes;
	case DXGW_OP_CREATE_DEVICE:
		return handles_full || before->counters.devices >= l->max_devices;
	case DXGW_OP_CREATE_CONTEXT_VIRTUAL:
		return handles_full || before->counters.contexts >= l->max_contexts;
	case DXGW_OP_OPEN_ADAPTER: {
		struct dxg_process *p = vm_find_process(vm, req->process);
		struct dxg_adapter *a = vm_find_adapter(vm, req->adapter.adapter);

		return p && a && (p->adapter_refs[a->index] >= l->max_adapter_refs ||
				  before->counters.open_adapters >= l->max_open_adapters);
	}
	default:
		/*
		 * Memory requests run into many bounds (quota, heap extents, device memory, fence
		 * pages, GPU VA entries, handles); memory_check() holds them all to their books.
		 * Sync objects and execution have theirs (sync objects, fence slots, hardware queues,
		 * queue items and bytes per queue and VM, handles): exec_check() and the sync object
		 * walk keep those honest.
		 */
		return (req->opcode & 0xff00) >= 0x0400 && (req->opcode & 0xff00) <= 0x0800;
	}
}

/* The memory opcodes' successful replies (docs/protocol.md, "Memory"). */
static void check_memory_success(struct dxg_vm *vm, const struct dxgw_request *req,
				 const unsigned char *body, uint32_t body_len)
{
	struct dxg_process *p = vm_find_process(vm, req->process);

	CHECK(p != NULL);
	switch (req->opcode) {
	case DXGW_OP_CREATE_ALLOCATION: {
		const uint32_t n = req->create_allocation.alloc_count;
		uint32_t resource = dxg_get_le32(body);

		CHECK(body_len == 8 + 16 * n);
		CHECK(dxg_get_le32(body + 4) == n);
		if (req->create_allocation.flags & D3DKMT_CREATEALLOCATION_FLAG_CREATE_RESOURCE)
			CHECK(resource != 0);
		else
			CHECK(resource == req->create_allocation.resource);
		for (uint32_t i = 0; i < n; i++) {
			const unsigned char *r = body + 8 + 16 * i;
			struct dxg_allocation *a = memory_find_allocation(vm, p, dxg_get_le32(r));
			struct dxgw_alloc_info d;

			dxgw_get_alloc_desc(req, i, &d);
			CHECK(a != NULL);
			CHECK(dxg_get_le32(r + 4) == 0);
			CHECK(dxg_get_le64(r + 8) == a->charged);
			CHECK(a->size == d.size && a->kind == d.kind && a->residency == 1);
			CHECK(a->device->handle == req->create_allocation.device);
			CHECK((a->resource ? a->resource->handle : 0) == resource);
			/* Zeroed before the guest got the handle (first and last pages). */
			if (a->kind == OPENDXG_ALLOC_KIND_HOST_VISIBLE) {
				const unsigned char *pages = fuzz_vm_region() + a->heap_offset;

				for (uint64_t k = 0; k < a->charged && k < 8192; k++)
					CHECK(pages[k] == 0 && pages[a->charged - 1 - k] == 0);
			}
		}
		break;
	}
	case DXGW_OP_LOCK: {
		uint64_t off = dxg_get_le64(body), size = dxg_get_le64(body + 8);
		struct dxg_allocation *a = memory_find_allocation(vm, p, req->lock.allocation);

		CHECK(body_len == sizeof(struct dxgw_lock_reply));
		CHECK(a != NULL && a->kind == OPENDXG_ALLOC_KIND_HOST_VISIBLE && a->locks > 0);
		CHECK(off == a->heap_offset && size == a->charged && off % 4096 == 0);
		CHECK(off >= FUZZ_VM_HEAP_OFFSET && off + size <= FUZZ_VM_REGION_SIZE);
		CHECK(dxg_get_le32(body + 20) == a->device->adapter->handle);
		/* The guest writes what it locked; whoever gets these pages next must not see it. */
		memset(fuzz_vm_region() + off, 0xa5, size < 8192 ? size : 8192);
		memset(fuzz_vm_region() + off + size - (size < 8192 ? size : 8192), 0xa5,
		       size < 8192 ? size : 8192);
		break;
	}
	case DXGW_OP_QUERY_VIDEO_MEMORY:
		CHECK(body_len == sizeof(struct dxgw_video_memory_reply));
		CHECK(dxg_get_le64(body) >= dxg_get_le64(body + 8));	/* budget >= usage */
		break;
	case DXGW_OP_QUERY_RESIDENCY:
	case DXGW_OP_GET_PRIORITY: {
		uint32_t n = req->alloc_list.count ? req->alloc_list.count : 1;

		CHECK(body_len == 8 + dxgw_list_bytes(n));
		CHECK(dxg_get_le32(body) == n && dxg_get_le32(body + 4) == 0);
		if (req->opcode == DXGW_OP_QUERY_RESIDENCY) {
			for (uint32_t i = 0; i < n; i++) {
				uint32_t v = dxg_get_le32(body + 8 + 4 * i);

				CHECK(v >= D3DKMT_ALLOCATIONRESIDENCYSTATUS_RESIDENTINGPUMEMORY &&
				      v <= D3DKMT_ALLOCATIONRESIDENCYSTATUS_NOTRESIDENT);
			}
		}
		if (n % 2)
			CHECK(dxg_get_le32(body + 8 + 4 * n) == 0);
		break;
	}
	case DXGW_OP_RECLAIM: {
		uint32_t n = req->reclaim.count;

		/* One result per handle named (a resource's allocations share one). */
		CHECK(body_len >= 16 && dxg_get_le32(body + 8) == n);
		CHECK(body_len == 16 + dxgw_list_bytes(n));
		CHECK(dxg_get_le32(body + 12) == 0);
		for (uint32_t i = 0; i < n; i++)
			CHECK(dxg_get_le32(body + 16 + 4 * i) <= D3DDDI_RECLAIM_RESULT_DISCARDED);
		break;
	}
	case DXGW_OP_UPDATE_ALLOC_PROPERTY:
		CHECK(body_len == sizeof(struct dxgw_paging_reply));
		break;
	case DXGW_OP_CREATE_PAGING_QUEUE: {
		uint64_t off = dxg_get_le64(body + 8);

		CHECK(body_len == sizeof(struct dxgw_create_paging_queue_reply));
		CHECK(handle_table_lookup(&vm->handles, dxg_get_le32(body), DXG_HTYPE_PAGINGQUEUE,
					  req->process) != NULL);
		CHECK(handle_table_lookup(&vm->handles, dxg_get_le32(body + 4),
					  DXG_HTYPE_SYNCOBJECT, req->process) != NULL);
		CHECK(off % 8 == 0 && off >= FUZZ_VM_FENCE_OFFSET &&
		      off < FUZZ_VM_FENCE_OFFSET + FUZZ_VM_FENCE_SIZE);
		break;
	}
	case DXGW_OP_MAKE_RESIDENT:
	case DXGW_OP_EVICT:
		CHECK(body_len == sizeof(struct dxgw_residency_reply));
		CHECK(dxg_get_le64(body + 8) == 0);
		if (req->opcode == DXGW_OP_EVICT)
			CHECK(dxg_get_le64(body) == 0);
		break;
	case DXGW_OP_RESERVE_GPU_VA:
	case DXGW_OP_MAP_GPU_VA: {
		uint64_t va = dxg_get_le64(body);

		CHECK(body_len == sizeof(struct dxgw_gpu_va_reply));
		CHECK(va >= DXGW_GPUVA_MIN && va < DXGW_GPUVA_LIMIT && va % DXGW_GPUVA_PAGE == 0);
		break;
	}
	default:
		/* DESTROY_*, UNLOCK, CHANGE_RESERVATION, SET_PRIORITY, OFFER, FREE/UPDATE_GPU_VA */
		CHECK(body_len == 0);
		break;
	}
}

/* The synchronization and execution opcodes' successful replies (wire.h 0x05xx, 0x06xx). */
static void check_exec_success(struct dxg_vm *vm, const struct dxgw_request *req,
			       const unsigned char *body, uint32_t body_len)
{
	switch (req->opcode) {
	case DXGW_OP_CREATE_SYNC_OBJECT: {
		struct dxg_sync_object *so = handle_table_lookup(
			&vm->handles, dxg_get_le32(body), DXG_HTYPE_SYNCOBJECT, req->process);

		CHECK(body_len == sizeof(struct dxgw_create_sync_object_reply));
		CHECK(so != NULL && so->owner == SYNC_OWNER_DEVICE);
		CHECK(so->type == req->create_sync_object.type);
		CHECK(so->device->handle == req->create_sync_object.device);
		CHECK(dxg_get_le32(body + 4) == 0);
		CHECK(dxg_get_le64(body + 8) == so->slot);
		CHECK(has_slot(so->type) == (so->slot != 0));
		CHECK(dxg_get_le64(body + 16) == 0);
		break;
	}
	case DXGW_OP_GET_FENCE_SLOTS:
		CHECK(body_len == 8u * req->get_fence_slots.count);
		for (uint32_t i = 0; i < req->get_fence_slots.count; i++) {
			struct dxg_sync_object *so = handle_table_lookup(
				&vm->handles, dxgw_list_get(req->get_fence_slots.handles, i),
				DXG_HTYPE_SYNCOBJECT, req->process);

			CHECK(so != NULL && so->type == D3DDDI_MONITORED_FENCE);
			CHECK(so->device->handle == req->get_fence_slots.device);
			CHECK(dxg_get_le64(body + 8u * i) == so->slot);
		}
		break;
	case DXGW_OP_CREATE_HW_QUEUE: {
		struct dxg_sync_object *fence = handle_table_lookup(
			&vm->handles, dxg_get_le32(body + 4), DXG_HTYPE_SYNCOBJECT, req->process);

		CHECK(body_len == sizeof(struct dxgw_create_hw_queue_reply));
		CHECK(handle_table_lookup(&vm->handles, dxg_get_le32(body), DXG_HTYPE_HWQUEUE,
					  req->process) != NULL);
		CHECK(fence != NULL && fence->owner == SYNC_OWNER_HW_QUEUE && fence->value == 0);
		CHECK(dxg_get_le64(body + 8) == fence->slot);
		CHECK(dxg_get_le64(body + 16) == 0);
		break;
	}
	case DXGW_OP_GET_SCHEDULING_PRIORITY: {
		int32_t prio = (int32_t)dxg_get_le32(body);

		CHECK(body_len == sizeof(struct dxgw_priority_reply));
		CHECK(prio >= DXGW_PRIORITY_MIN && prio <= DXGW_PRIORITY_MAX);
		CHECK(dxg_get_le32(body + 4) == 0);
		break;
	}
	case DXGW_OP_GET_DEVICE_STATE: {
		uint32_t state = dxg_get_le32(body);

		CHECK(body_len == sizeof(struct dxgw_device_state_reply));
		CHECK(state >= D3DKMT_DEVICEEXECUTION_ACTIVE &&
		      state <= D3DKMT_DEVICEEXECUTION_ERROR_DMAPAGEFAULT);
		CHECK((dxg_get_le32(body + offsetof(struct dxgw_device_state_reply, fault_flags)) &
		       ~(DXGW_FAULT_WRITE | DXGW_FAULT_NOT_MAPPED)) == 0);
		break;
	}
	case DXGW_OP_QUERY_CLOCK_CALIBRATION:
		CHECK(body_len == sizeof(struct dxgw_clock_calibration_reply));
		break;
	case DXGW_OP_ESCAPE:
		/* Answered in place: the same size, the header echoed. */
		CHECK(body_len == sizeof(struct dxgw_escape_reply) + req->escape.priv_size);
		CHECK(dxg_get_le32(body) == req->escape.priv_size && dxg_get_le32(body + 4) == 0);
		CHECK(dxg_get_le32(body + 8) == req->escape.code);
		CHECK(dxg_get_le32(body + 12) == req->escape.priv_size);
		break;
	case DXGW_OP_DESTROY_SYNC_OBJECT:
		CHECK(body_len == 0);
		CHECK(handle_table_lookup(&vm->handles, req->destroy.handle, DXG_HTYPE_SYNCOBJECT,
					  req->process) == NULL);
		break;
	case DXGW_OP_DESTROY_HW_QUEUE:
		CHECK(body_len == 0);
		CHECK(handle_table_lookup(&vm->handles, req->destroy.handle, DXG_HTYPE_HWQUEUE,
					  req->process) == NULL);
		break;
	default:
		/* SIGNAL_*, WAIT_ON_QUEUE, SUBMIT, SET_SCHEDULING_PRIORITY, MARK_DEVICE_ERROR */
		CHECK(body_len == 0);
		break;
	}
}

/* The sharing opcodes' successful replies (wire.h 0x07xx; resources are memory.c's). */
static void check_share_success(struct dxg_vm *vm, const struct dxgw_request *req,
				const unsigned char *body, uint32_t body_len)
{
	switch (req->opcode) {
	case DXGW_OP_SHARE_OBJECT: {
		uint32_t kind = dxg_get_le32(body + offsetof(struct dxgw_share_object_reply, kind));

		CHECK(body_len == sizeof(struct dxgw_share_object_reply));
		CHECK(dxg_get_le64(body) != 0);
		CHECK(kind == DXGW_SHARE_KIND_SYNC_OBJECT || kind == DXGW_SHARE_KIND_RESOURCE);
		CHECK(share_count(vm) >= 1);
		break;
	}
	case DXGW_OP_OPEN_SHARED_SYNC_OBJECT: {
		struct dxg_process *p = vm_find_process(vm, req->process);
		struct dxg_sync_object *s;

		CHECK(body_len == sizeof(struct dxgw_open_shared_sync_object_reply));
		CHECK(p != NULL);
		s = sync_find(vm, p, dxg_get_le32(body));
		CHECK(s != NULL && s->owner == SYNC_OWNER_DEVICE);
		CHECK(s->access == req->open_shared_sync_object.access);
		CHECK(dxg_get_le64(body + 8) == s->slot);
		break;
	}
	case DXGW_OP_CLOSE_SHARE:
	case DXGW_OP_WAIT_SHARE_ON_QUEUE:
		CHECK(body_len == 0);
		break;
	default:
		break;
	}
}

/* What a successful reply must carry, opcode by opcode (docs/protocol.md). */
static void check_success(struct dxg_vm *vm, const struct dxgw_request *req,
			  const unsigned char *body, uint32_t body_len)
{
	switch (req->opcode) {
	case DXGW_OP_CONNECT:
		CHECK((req->connect.guest_version >> 16) == DXG_PROTOCOL_MAJOR);
		CHECK(body_len == sizeof(struct dxgw_connect_reply));
		CHECK(dxg_get_le32(body + offsetof(struct dxgw_connect_reply, host_version)) ==
		      DXG_PROTOCOL_VERSION);
		CHECK(dxg_get_le32(body + offsetof(struct dxgw_connect_reply, generation)) ==
		      FUZZ_VM_GENERATION);
		CHECK(dxg_get_le64(body + offsetof(struct dxgw_connect_reply, features)) ==
		      (req->connect.guest_features & DXG_FEATURE_MASK));
		CHECK(dxg_get_le32(body + offsetof(struct dxgw_connect_reply, adapter_count)) ==
		      vm->adapter_count);
		CHECK(dxg_get_le32(body + offsetof(struct dxgw_connect_reply, reserved0)) == 0);
		CHECK(vm->counters.processes == 0);
		/* A new driver instance: nothing of the old one's execution is left. */
		CHECK(vm->counters.sync_objects == 0 && vm->counters.hw_queues == 0);
		CHECK(vm->counters.queue_items == 0 && vm->counters.queued_bytes == 0);
		CHECK(share_count(vm) == 0);
		break;
	case DXGW_OP_CREATE_PROCESS: {
		uint32_t handle = dxg_get_le32(body);
		struct dxg_process *p;

		CHECK(body_len == sizeof(struct dxgw_create_process_reply));
		CHECK(dxg_get_le32(body + 4) == 0);
		CHECK(handle != 0 && dxg_handle_instance(handle) == 0);
		p = vm_find_process(vm, handle);
		CHECK(p != NULL);
		CHECK(p->pid == req->create_process.pid);
		CHECK(p->open_adapters == 0 && p->device_count == 0);
		break;
	}
	case DXGW_OP_ENUM_ADAPTERS: {
		uint32_t count = dxg_get_le32(body);

		CHECK(count == vm->adapter_count);
		CHECK(body_len == sizeof(struct dxgw_enum_adapters_reply) +
				  count * sizeof(struct dxgw_adapter_desc));
		CHECK(dxg_get_le32(body + 4) == 0);
		for (uint32_t i = 0; i < count; i++) {
			const unsigned char *d = body + 8 + 16 * i;
			uint32_t flags = dxg_get_le32(d + offsetof(struct dxgw_adapter_desc, flags));

			CHECK(dxg_get_le32(d) == vm->adapters[i].handle);
			CHECK(flags & DXGW_ADAPTER_COMPUTE_ONLY);
			CHECK((flags & ~(DXGW_ADAPTER_COMPUTE_ONLY | DXGW_ADAPTER_SOFTWARE)) == 0);
		}
		break;
	}
	case DXGW_OP_QUERY_ADAPTER_INFO: {
		struct dxg_process *p = vm_find_process(vm, req->process);

		CHECK(body_len == sizeof(struct dxgw_query_adapter_info_reply) +
				  req->query_adapter_info.data_size);
		CHECK(dxg_get_le32(body) == req->query_adapter_info.data_size);
		CHECK(dxg_get_le32(body + 4) == 0);
		CHECK(p != NULL);
		CHECK(process_find_open_adapter(vm, p, req->query_adapter_info.adapter) != NULL);
		break;
	}
	case DXGW_OP_CREATE_DEVICE: {
		uint32_t handle = dxg_get_le32(body);
		struct dxg_device *d =
			handle_table_lookup(&vm->handles, handle, DXG_HTYPE_DEVICE, req->process);

		CHECK(body_len == sizeof(struct dxgw_handle_reply));
		CHECK(dxg_get_le32(body + 4) == 0);
		CHECK(d != NULL);
		CHECK(d->adapter->handle == req->create_device.adapter);
		CHECK(d->flags == req->create_device.flags);
		break;
	}
	case DXGW_OP_CREATE_CONTEXT_VIRTUAL: {
		uint32_t handle = dxg_get_le32(body);
		struct dxg_context *c =
			handle_table_lookup(&vm->handles, handle, DXG_HTYPE_CONTEXT, req->process);

		CHECK(body_len == sizeof(struct dxgw_handle_reply));
		CHECK(dxg_get_le32(body + 4) == 0);
		CHECK(c != NULL);
		CHECK(c->device->handle == req->create_context.device);
		CHECK(c->priv_size == req->create_context.priv_size);
		break;
	}
	case DXGW_OP_DESTROY_PROCESS:
		CHECK(body_len == 0);
		CHECK(vm_find_process(vm, req->process) == NULL);
		break;
	case DXGW_OP_DESTROY_DEVICE:
		CHECK(body_len == 0);
		CHECK(handle_table_lookup(&vm->handles, req->destroy.handle, DXG_HTYPE_DEVICE,
					  req->process) == NULL);
		break;
	case DXGW_OP_DESTROY_CONTEXT:
		CHECK(body_len == 0);
		CHECK(handle_table_lookup(&vm->handles, req->destroy.handle, DXG_HTYPE_CONTEXT,
					  req->process) == NULL);
		break;
	case DXGW_OP_NOP:
	case DXGW_OP_OPEN_ADAPTER:
	case DXGW_OP_CLOSE_ADAPTER:
		CHECK(body_len == 0);
		break;
	default:
		if ((req->opcode & 0xff00) == 0x0500 || (req->opcode & 0xff00) == 0x0600)
			check_exec_success(vm, req, body, body_len);
		else if ((req->opcode & 0xff00) == 0x0700)
			check_share_success(vm, req, body, body_len);
		else if ((req->opcode & 0xff00) == 0x0400 || req->opcode == DXGW_OP_INVALIDATE_CACHE)
			check_memory_success(vm, req, body, body_len);
		break;
	}
}

/* The largest n with a padded list of n u32 handles and n u64 values within `bytes`. */
static uint32_t count_with_values(uint32_t bytes)
{
	uint32_t n = bytes / 12;

	while (n && dxgw_list_bytes(n) + 8u * n > bytes)
		n--;
	return n;
}

/* FUZZ_RECORD_FIX_BODY_SIZE: a variable-length opcode's own size field, from the record length. */
static void fix_body_size(unsigned char *rec, uint32_t len)
{
	const uint32_t hdr = sizeof(struct dxgw_hdr);

	if (len < hdr)
		return;
	switch (dxg_get_le16(rec + offsetof(struct dxgw_hdr, opcode))) {
	case DXGW_OP_QUERY_ADAPTER_INFO:
		if (len >= hdr + sizeof(struct dxgw_query_adapter_info_req))
			put_le32(rec + hdr +
				 offsetof(struct dxgw_query_adapter_info_req, data_size),
				 len - hdr - (uint32_t)sizeof(struct dxgw_query_adapter_info_req));
		break;
	case DXGW_OP_CREATE_CONTEXT_VIRTUAL:
		if (len >= hdr + sizeof(struct dxgw_create_context_req))
			put_le32(rec + hdr + offsetof(struct dxgw_create_context_req, priv_size),
				 len - hdr - (uint32_t)sizeof(struct dxgw_create_context_req));
		break;
	case DXGW_OP_UPDATE_GPU_VA:
		if (len >= hdr + sizeof(struct dxgw_update_gpu_va_req))
			put_le32(rec + hdr + offsetof(struct dxgw_update_gpu_va_req, num_operations),
				 (len - hdr - (uint32_t)sizeof(struct dxgw_update_gpu_va_req)) /
				 (uint32_t)sizeof(struct dxgw_gpu_va_op));
		break;
	/* Handle lists: the count the rest of the record holds (u32 entries). */
	case DXGW_OP_DESTROY_ALLOCATION:
		if (len >= hdr + sizeof(struct dxgw_destroy_allocation_req))
			put_le32(rec + hdr + offsetof(struct dxgw_destroy_allocation_req,
						      alloc_count),
				 (len - hdr - (uint32_t)sizeof(struct dxgw_destroy_allocation_req)) / 4);
		break;
	case DXGW_OP_EVICT:
		if (len >= hdr + sizeof(struct dxgw_evict_req))
			put_le32(rec + hdr + offsetof(struct dxgw_evict_req, count),
				 (len - hdr - (uint32_t)sizeof(struct dxgw_evict_req)) / 4);
		break;
	case DXGW_OP_OFFER:
		if (len >= hdr + sizeof(struct dxgw_offer_req))
			put_le32(rec + hdr + offsetof(struct dxgw_offer_req, count),
				 (len - hdr - (uint32_t)sizeof(struct dxgw_offer_req)) / 4);
		break;
	case DXGW_OP_RECLAIM:
		if (len >= hdr + sizeof(struct dxgw_reclaim_req))
			put_le32(rec + hdr + offsetof(struct dxgw_reclaim_req, count),
				 (len - hdr - (uint32_t)sizeof(struct dxgw_reclaim_req)) / 4);
		break;
	case DXGW_OP_GET_FENCE_SLOTS:
		if (len >= hdr + sizeof(struct dxgw_get_fence_slots_req))
			put_le32(rec + hdr + offsetof(struct dxgw_get_fence_slots_req, count),
				 (len - hdr - (uint32_t)sizeof(struct dxgw_get_fence_slots_req)) / 4);
		break;
	/* A handle list, then as many u64 values: the largest count the rest holds. */
	case DXGW_OP_SIGNAL_FROM_CPU:
		if (len >= hdr + sizeof(struct dxgw_signal_from_cpu_req))
			put_le32(rec + hdr + offsetof(struct dxgw_signal_from_cpu_req, count),
				 count_with_values(len - hdr - (uint32_t)sizeof(
					 struct dxgw_signal_from_cpu_req)));
		break;
	case DXGW_OP_WAIT_ON_QUEUE:
		if (len >= hdr + sizeof(struct dxgw_wait_on_queue_req))
			put_le32(rec + hdr + offsetof(struct dxgw_wait_on_queue_req, object_count),
				 count_with_values(len - hdr -
						   (uint32_t)sizeof(struct dxgw_wait_on_queue_req)));
		break;
	case DXGW_OP_CREATE_HW_QUEUE:
		if (len >= hdr + sizeof(struct dxgw_create_hw_queue_req))
			put_le32(rec + hdr + offsetof(struct dxgw_create_hw_queue_req, priv_size),
				 len - hdr - (uint32_t)sizeof(struct dxgw_create_hw_queue_req));
		break;
	case DXGW_OP_ESCAPE:
		if (len >= hdr + sizeof(struct dxgw_escape_req))
			put_le32(rec + hdr + offsetof(struct dxgw_escape_req, priv_size),
				 len - hdr - (uint32_t)sizeof(struct dxgw_escape_req));
		break;
	}
}

/*
 * Fence values only move forward. Before each record every FENCE and MONITORED_FENCE is noted;
 * after it (and the job completions that follow it) each that still exists must be at least
 * where it was, unless an accepted signal with ALLOW_FENCE_REWIND has named it during this input
 * (a queued one may take effect records later, so the permission is sticky).
 */
struct fence_note {
	const struct dxg_sync_object *object;
	uint32_t handle;
	uint32_t process;
	uint64_t value;
};

static struct fence_note *notes;
static uint32_t note_count, note_cap;
static uint32_t *rewindable;
static uint32_t rewindable_count, rewindable_cap;

static void *grow(void *array, uint32_t *cap, size_t elem)
{
	uint32_t n = *cap ? *cap * 2 : 64;
	void *bigger = realloc(array, n * elem);

	if (!bigger)
		abort();
	*cap = n;
	return bigger;
}

static void note_fences(struct dxg_vm *vm)
{
	note_count = 0;
	for (struct obj_list *pl = vm->processes.next; pl != &vm->processes; pl = pl->next) {
		struct dxg_process *p = obj_container_of(pl, struct dxg_process, link);

		for (struct obj_list *dl = p->devices.next; dl != &p->devices; dl = dl->next) {
			struct dxg_device *d = obj_container_of(dl, struct dxg_device, link);

			for (struct obj_list *sl = d->sync_objects.next; sl != &d->sync_objects;
			     sl = sl->next) {
				struct dxg_sync_object *so =
					obj_container_of(sl, struct dxg_sync_object, link);

				if (!sync_is_fence(so))
					continue;
				if (note_count == note_cap)
					notes = grow(notes, &note_cap, sizeof(*notes));
				notes[note_count++] = (struct fence_note){
					.object = so, .handle = so->handle, .process = p->handle,
					.value = so->value,
				};
			}
		}
	}
}

static bool may_rewind(uint32_t handle)
{
	for (uint32_t i = 0; i < rewindable_count; i++)
		if (rewindable[i] == handle)
			return true;
	return false;
}

static void allow_rewind(uint32_t handle)
{
	if (may_rewind(handle))
		return;
	if (rewindable_count == rewindable_cap)
		rewindable = grow(rewindable, &rewindable_cap, sizeof(*rewindable));
	rewindable[rewindable_count++] = handle;
}

/* An accepted request that may move fences backwards, now or when its queue reaches it. */
static void note_rewinds(const struct dxgw_request *req)
{
	if (req->opcode == DXGW_OP_SIGNAL_FROM_CPU &&
	    (req->signal_from_cpu.flags & D3DDDICB_SIGNAL_FLAG_ALLOW_FENCE_REWIND)) {
		for (uint32_t i = 0; i < req->signal_from_cpu.count; i++)
			allow_rewind(dxgw_list_get(req->signal_from_cpu.handles, i));
	}
	if (req->opcode == DXGW_OP_SIGNAL_ON_QUEUE &&
	    (req->signal_on_queue.flags & D3DDDICB_SIGNAL_FLAG_ALLOW_FENCE_REWIND)) {
		for (uint32_t i = 0; i < req->signal_on_queue.object_count; i++)
			allow_rewind(dxgw_list_get(req->signal_on_queue.objects, i));
	}
}

static void check_fences_forward(struct dxg_vm *vm)
{
	for (uint32_t i = 0; i < note_count; i++) {
		const struct fence_note *n = &notes[i];
		const struct dxg_sync_object *so = handle_table_lookup(
			&vm->handles, n->handle, DXG_HTYPE_SYNCOBJECT, n->process);

		if (so != n->object || so->value >= n->value)
			continue;
		if (!may_rewind(n->handle))
			fprintf(stderr, "fuzz-dispatch: fence 0x%x went from %llu back to %llu\n",
				n->handle, (unsigned long long)n->value,
				(unsigned long long)so->value);
		CHECK(may_rewind(n->handle));
	}
}

static void dispatch_one(const unsigned char *rec, uint32_t len)
{
	struct dxg_vm *vm = &fuzz.vm;
	const struct vm_snapshot before = {
		.counters = vm->counters,
		.live = handle_table_live(&vm->handles),
		.memory = memory_totals(vm),
	};
	const uint32_t bound = len > ENUM_REPLY_LEN ? len : (uint32_t)ENUM_REPLY_LEN;
	struct dxgw_request req;
	bool id_valid;
	int decoded, status;
	uint32_t reply_len;

	/* The decoder is pure: decoding here first tells what the dispatcher must report. */
	decoded = dxgw_decode_request(rec, len, &req, &id_valid);
	/* Poison what a correct reply may cover, so an unwritten reserved field shows up. */
	memset(reply, 0xa5, bound < reply_cap ? bound : reply_cap);
	reply_len = worker_dispatch(vm, rec, len, reply, reply_cap, &fuzz.reject_log);

	if (trace)
		fprintf(stderr, "record %u: %u bytes, opcode 0x%04x, decode %d -> reply %u bytes, "
			"status %d\n", record_number, len, req.opcode, decoded, reply_len,
			reply_len >= sizeof(struct dxgw_hdr) ?
				(int)dxg_get_le32(reply + offsetof(struct dxgw_hdr, status)) : 0);

	CHECK(vm->counters.requests == before.counters.requests + 1);
	CHECK(vm->counters.rejected == before.counters.rejected + (decoded != 0));
	CHECK(id_valid == (len >= offsetof(struct dxgw_hdr, request_id) + 8));
	if (!id_valid) {
		CHECK(decoded != 0);
		CHECK(reply_len == 0);
		return;
	}
	CHECK(reply_len >= sizeof(struct dxgw_hdr));
	CHECK(reply_len <= reply_cap);
	CHECK(reply_len <= bound);
	CHECK(dxg_get_le32(reply + offsetof(struct dxgw_hdr, size)) == reply_len);
	CHECK(dxg_get_le16(reply + offsetof(struct dxgw_hdr, opcode)) ==
	      dxg_get_le16(rec + offsetof(struct dxgw_hdr, opcode)));
	CHECK(dxg_get_le16(reply + offsetof(struct dxgw_hdr, flags)) == DXGW_FLAG_REPLY);
	CHECK(dxg_get_le64(reply + offsetof(struct dxgw_hdr, request_id)) ==
	      dxg_get_le64(rec + offsetof(struct dxgw_hdr, request_id)));
	CHECK(dxg_get_le64(reply + offsetof(struct dxgw_hdr, reserved)) == 0);
	if (decoded == 0)
		CHECK(dxg_get_le32(reply + offsetof(struct dxgw_hdr, process)) ==
		      dxg_get_le32(rec + offsetof(struct dxgw_hdr, process)));
	status = (int)dxg_get_le32(reply + offsetof(struct dxgw_hdr, status));
	/* PENDING: only a MAKE_RESIDENT restoring contents; the worker finishes it after the reply. */
	CHECK(status <= 0 ? status >= -ERRNO_MAX
			  : status == DXGW_STATUS_PENDING && req.opcode == DXGW_OP_MAKE_RESIDENT);
	CHECK(memory_has_deferred(vm) == (status == DXGW_STATUS_PENDING));
	if (status == DXGW_STATUS_PENDING)
		memory_after_reply(vm);
	if (decoded)
		CHECK(status == decoded);
	if (status < 0) {
		const struct memory_totals t = memory_totals(vm);
		/* A refused request, malformed or not, changes no object ("loses nothing"). */
		CHECK(handle_table_live(&vm->handles) == before.live);
		CHECK(vm->counters.processes == before.counters.processes);
		CHECK(vm->counters.open_adapters == before.counters.open_adapters);
		CHECK(vm->counters.devices == before.counters.devices);
		CHECK(vm->counters.contexts == before.counters.contexts);
		CHECK(memcmp(&t, &before.memory, sizeof(t)) == 0);
		CHECK(reply_len == sizeof(struct dxgw_hdr));
		if (status == -ENOMEM)
			CHECK(at_limit(vm, &before, &req));
		return;
	}
	check_success(vm, &req, reply + sizeof(struct dxgw_hdr),
		      reply_len - (uint32_t)sizeof(struct dxgw_hdr));
	note_rewinds(&req);
}

/*
 * The status JSON carries guest-chosen process names to the broker and dxgctl: it must parse, list
 * exactly the VM's processes under their names, and fit the limit unless it says it was truncated.
 */
static void check_status_json(struct dxg_vm *vm, size_t max_len)
{
	struct json_object *root, *procs, *truncated;
	size_t len = 0, i = 0;
	char *text = worker_status_json(vm, false, max_len, &len);

	CHECK(text != NULL);
	CHECK(strlen(text) == len);
	root = json_tokener_parse(text);
	CHECK(root != NULL);
	CHECK(json_object_object_get_ex(root, "processes", &procs));
	CHECK(json_object_is_type(procs, json_type_array));
	if (json_object_object_get_ex(root, "processes_truncated", &truncated)) {
		CHECK(json_object_get_boolean(truncated));
		CHECK(json_object_array_length(procs) == 0);
	} else {
		CHECK(len <= max_len);
		CHECK(json_object_array_length(procs) == vm->counters.processes);
		for (struct obj_list *pl = vm->processes.next; pl != &vm->processes;
		     pl = pl->next, i++) {
			struct dxg_process *p = obj_container_of(pl, struct dxg_process, link);
			struct json_object *name;

			CHECK(json_object_object_get_ex(json_object_array_get_idx(procs, i), "name",
							&name));
			CHECK(strcmp(json_object_get_string(name), p->name) == 0);
		}
	}
	json_object_put(root);
	free(text);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *t = getenv("FUZZ_DISPATCH_TRACE");

	(void)argc;
	(void)argv;
	trace = t && *t && strcmp(t, "0") != 0;
	dxg_log_init("fuzz-dispatch", trace ? DXG_LOG_DEBUG : DXG_LOG_ERROR);
	reply_cap = worker_dispatch_reply_cap(DXGW_MAX_MESSAGE);
	reply = malloc(reply_cap);
	if (!reply)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t pos = 1;

	if (size == 0)
		return 0;
	fuzz_vm_start(&fuzz, data[0]);
	if (trace)
		fuzz.reject_log.burst = UINT32_MAX;
	record_number = 0;
	rewindable_count = 0;
	check_vm(&fuzz.vm);
	while (size - pos >= FUZZ_RECORD_PREFIX) {
		uint32_t n = (uint32_t)data[pos] | (uint32_t)data[pos + 1] << 8;
		uint8_t mode = data[pos + 2];
		uint32_t extend =
			(uint32_t)(mode >> FUZZ_RECORD_EXTEND_SHIFT) * FUZZ_RECORD_EXTEND_UNIT;
		unsigned char *rec;
		uint32_t len;

		pos += FUZZ_RECORD_PREFIX;
		if (n > size - pos)
			n = (uint32_t)(size - pos);
		len = n + extend;
		/* Exactly `len` bytes: ASan flags any read past the record. */
		rec = malloc(len);
		if (!rec && len)
			abort();
		if (n)
			memcpy(rec, data + pos, n);
		if (extend)
			memset(rec + n, 0, extend);
		pos += n;
		if ((mode & FUZZ_RECORD_FIX_SIZE) && len >= sizeof(dxg_le32))
			put_le32(rec, len);
		if (mode & FUZZ_RECORD_FIX_BODY_SIZE)
			fix_body_size(rec, len);
		record_number++;
		note_fences(&fuzz.vm);
		/* A guest-write pseudo-record is the guest writing its memory, not a request. */
		if (!fuzz_vm_guest_write(&fuzz, rec, len))
			dispatch_one(rec, len);
		free(rec);
		fuzz_vm_after_record(&fuzz, record_number);
		check_vm(&fuzz.vm);
		check_fences_forward(&fuzz.vm);
	}
	if (data[0] & FUZZ_VM_CONFIG_STATUS)
		check_status_json(&fuzz.vm, (data[0] & FUZZ_VM_CONFIG_STATUS_SMALL) ?
					    STATUS_SMALL_MAX_LEN : STATUS_MAX_LEN);
	fuzz_vm_stop(&fuzz);
	/* Every device-local buffer went with its VM, and every program and job of the backend. */
	CHECK(fuzz_vm_device_bytes() == 0);
	CHECK(fuzz_vm_exec_objects() == 0);
	return 0;
}
