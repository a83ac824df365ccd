// SPDX-License-Identifier: MIT
/*
 * Statistics and queries (stats.h). QUERY_STATISTICS answers with the Windows result layouts of
 * include/uapi/misc/d3dkmthk.h ("0x43"), filled from the numbers the worker really keeps. Which
 * opendxg number lands in which Windows field (every field not named stays 0: opendxg has no
 * display, no DMA-buffer patching, no paging-buffer preparation, no power states, no history of
 * destroyed objects):
 *
 * Segments. QUERYSTATISTICS counts segment ids from 0, as Windows tools iterate them
 * (0 .. NbSegments - 1); they are the wire's DXGW_SEGMENT_* ids minus one:
 *   id 0 = DXGW_SEGMENT_LOCAL: device-local allocations and programs, segment type MEMORY,
 *          group LOCAL, CommitLimit = min(adapter device-local bytes, VM quota);
 *   id 1 = DXGW_SEGMENT_HOST_VISIBLE: the VM's shared heap, type SYSMEM, SystemMemory and
 *          FullyCPUVisible set, group NON_LOCAL, CommitLimit = min(heap size, VM quota).
 *   An allocation is committed to and resident in its one segment while it has backing there;
 *   evicted device-local contents live in worker memory, in no segment. Allocation counts
 *   walk the devices' allocations: a handle opened from a share counts nothing (its holder
 *   does), and shared memory whose creator's handle is gone is in the byte totals
 *   (memory_adapter_stats()) but in no count.
 *
 * ADAPTER: NbSegments 2, NodeCount 1 (DXG_ADAPTER_NODES), VidPnSourceCount 0;
 *   Allocations.Created = {live allocations of the VM on the adapter, their bytes} and
 *   Destroyed = 0 (so Created - Destroyed is what is alive: opendxg keeps no history);
 *   PagingFault.Evictions = {allocations evicted now, their bytes};
 *   Flags.NumberOfMemoryGroups = 2.
 * PROCESS (for the named adapter): NodeCount 1, SystemMemory.BytesAllocated = the process's
 *   NON_LOCAL usage and BytesReserved its NON_LOCAL reservation (QUERY_VIDEO_MEMORY's numbers).
 * PROCESS_ADAPTER: NbSegments 2, NodeCount 1; DmaBuffer.Size.Count = the process's jobs
 *   submitted; CommitmentData.TotalBytesEvictedFromProcess = its bytes evicted now,
 *   BytesBySegmentPreference[0] = its usage, both groups (every allocation sits in its
 *   preferred segment).
 * SEGMENT: BytesCommitted = BytesResident = the bytes in the segment (memory_adapter_stats());
 *   Memory.AllocsCommitted = AllocsResident = allocations in it; Memory.TotalBytesEvicted (id 0)
 *   = bytes evicted now; SegmentProperties and CommitLimit as above.
 * PROCESS_SEGMENT: BytesCommitted = the process's bytes in the segment; MaximumWorkingSet = its
 *   budget and MinimumWorkingSet its reservation in the segment's group (QUERY_VIDEO_MEMORY);
 *   VideoMemory.AllocsCommitted = its allocations there, AllocsResidentInP[0] = {count, bytes}.
 * NODE (id 0): GlobalInformation from the adapter's struct dxg_exec_stats (every process),
 *   SystemInformation 0 (no kernel-side work), NodePerfData = {ordinal 0, physical adapter 0}.
 * PROCESS_NODE (id 0): the process's struct dxg_exec_stats on the adapter. In both:
 *   RunningTime = running_time_ns / 100 (100 ns ticks);
 *   QueuePacket[RenderCommandBuffer] = {jobs_submitted, jobs_completed + jobs_dropped}, so
 *   Submitted - Completed is the queue depth (jobs queued or running);
 *   DmaPacket[ClientRenderBuffer] = {jobs_submitted, jobs_completed, jobs_dropped as Preempted
 *   (they never ran), jobs_failed as Faulted}. u32 fields saturate.
 * PROCESS_SEGMENT_GROUP (group LOCAL or NON_LOCAL): Budget, Requested (the reservation) and
 *   Usage exactly as QUERY_VIDEO_MEMORY reports them.
 * PHYSICAL_ADAPTER (index 0): the three PhysicalAdapterIndex fields 0, no perf data.
 *
 * PROCESS_* types describe `target` (0: the caller). A process that has the adapter open gets
 * what QUERY_VIDEO_MEMORY gives it; one that has not has no usage, and its budget is what the
 * quota and the free memory would still allow.
 */
#include "stats.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

#include <misc/d3dkmthk.h>
#include <misc/opendxg.h>

#include "memory.h"
#include "reply_buf.h"

#define STATS_SEGMENTS 2u
#define STATS_SEGMENT_LOCAL (DXGW_SEGMENT_LOCAL - 1u)
#define STATS_SEGMENT_HOST_VISIBLE (DXGW_SEGMENT_HOST_VISIBLE - 1u)

/* What lives in each segment (and what is evicted from all of them), counted per allocation. */
struct alloc_totals {
	uint32_t count[STATS_SEGMENTS];
	uint64_t bytes[STATS_SEGMENTS];
	uint32_t evicted_count;
	uint64_t evicted_bytes;
};

/* Per-process memory on one adapter, the QUERY_VIDEO_MEMORY numbers by segment group. */
struct group_memory {
	uint64_t budget[MEM_GROUPS];
	uint64_t usage[MEM_GROUPS];
	uint64_t reservation[MEM_GROUPS];
};

static uint32_t sat32(uint64_t v)
{
	return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* The same states memory.c charges: backing in the segment, or contents held evicted. */
static void count_allocation(struct alloc_totals *t, const struct dxg_allocation *a)
{
	uint32_t seg = STATS_SEGMENT_LOCAL;

	/* A handle opened from a share charges nothing: the memory is its holder's. */
	if (a->shared)
		return;
	switch (a->kind) {
	case OPENDXG_ALLOC_KIND_HOST_VISIBLE:
		seg = STATS_SEGMENT_HOST_VISIBLE;
		break;
	case OPENDXG_ALLOC_KIND_PROGRAM:
		break;
	default:
		if (a->discarded)
			return;
		if (a->host_copy) {
			t->evicted_count++;
			t->evicted_bytes += a->charged;
			return;
		}
		if (!a->buffer)
			return;
		break;
	}
	t->count[seg]++;
	t->bytes[seg] += a->charged;
}

static void count_list(struct alloc_totals *t, const struct obj_list *head)
{
	for (const struct obj_list *it = head->next; it != head; it = it->next)
		count_allocation(t, obj_container_of(it, const struct dxg_allocation, link));
}

static void process_totals(const struct dxg_process *p, uint32_t index, struct alloc_totals *t)
{
	for (const struct obj_list *it = p->devices.next; it != &p->devices; it = it->next) {
		const struct dxg_device *d = obj_container_of(it, const struct dxg_device, link);

		if (d->adapter->index != index)
			continue;
		count_list(t, &d->allocations);
		for (const struct obj_list *r = d->resources.next; r != &d->resources; r = r->next)
			count_list(t, &obj_container_of(r, const struct dxg_resource,
							link)->allocations);
	}
}

static void vm_totals(const struct dxg_vm *vm, uint32_t index, struct alloc_totals *t)
{
	for (const struct obj_list *it = vm->processes.next; it != &vm->processes; it = it->next)
		process_totals(obj_container_of(it, const struct dxg_process, link), index, t);
}

/*
 * The process's budget, usage and reservation in both groups, as QUERY_VIDEO_MEMORY reports
 * them (one function answers both); a process without the adapter open has nothing charged.
 */
static void group_memory(struct dxg_vm *vm, struct dxg_process *q, const struct dxg_adapter *a,
			 struct group_memory *out)
{
	const struct dxg_process *holder = process_find_open_adapter(vm, q, a->handle) ? q : NULL;

	for (uint32_t g = 0; g < MEM_GROUPS; g++) {
		struct memory_group_numbers n;

		memory_group_numbers(vm, holder, a->index, g, &n);
		out->budget[g] = n.budget;
		out->usage[g] = n.usage;
		out->reservation[g] = n.reservation;
	}
}

static uint32_t segment_group(uint32_t seg)
{
	return seg == STATS_SEGMENT_LOCAL ? D3DKMT_MEMORY_SEGMENT_GROUP_LOCAL
					  : D3DKMT_MEMORY_SEGMENT_GROUP_NON_LOCAL;
}

/* ---- results ---- */

#define ADAPTER_INFO struct d3dkmt_querystatistics_adapter_information
#define PROCESS_INFO struct d3dkmt_querystatistics_process_information
#define PROCESS_ADAPTER_INFO struct d3dkmt_querystatistics_process_adapter_information
#define SEGMENT_INFO struct d3dkmt_querystatistics_segment_information
#define PROCESS_SEGMENT_INFO struct d3dkmt_querystatistics_process_segment_information
#define NODE_INFO struct d3dkmt_querystatistics_node_information
#define PROCESS_NODE_INFO struct d3dkmt_querystatistics_process_node_information
#define GROUP_INFO struct d3dkmt_querystatistics_process_segment_group_information
#define PHYS_INFO struct d3dkmt_querystatistics_physical_adapter_information

static void fill_adapter(struct dxg_vm *vm, const struct dxg_adapter *a, unsigned char *out)
{
	struct alloc_totals t = { { 0 } };
	struct memory_stats m;
	uint64_t live_bytes = 0;

	memory_adapter_stats(vm, a->index, &m);
	vm_totals(vm, a->index, &t);
	for (int c = 0; c < MEM_CATEGORIES; c++)
		live_bytes += m.bytes[c];
	PUT32(out, ADAPTER_INFO, nb_segments, STATS_SEGMENTS);
	PUT32(out, ADAPTER_INFO, node_count, DXG_ADAPTER_NODES);
	PUT32(out, ADAPTER_INFO, allocations.created.count, m.allocations);
	PUT64(out, ADAPTER_INFO, allocations.created.bytes, live_bytes);
	PUT32(out, ADAPTER_INFO, paging_fault.evictions.count, t.evicted_count);
	PUT64(out, ADAPTER_INFO, paging_fault.evictions.bytes, t.evicted_bytes);
	PUT64(out, ADAPTER_INFO, flags, MEM_GROUPS & D3DKMT_QUERYSTATISTICS_ADAPTER_MEMORY_GROUPS_MASK);
}

static void fill_process(const struct group_memory *gm, unsigned char *out)
{
	const uint32_t nl = D3DKMT_MEMORY_SEGMENT_GROUP_NON_LOCAL;

	PUT32(out, PROCESS_INFO, node_count, DXG_ADAPTER_NODES);
	PUT64(out, PROCESS_INFO, system_memory.bytes_allocated, gm->usage[nl]);
	PUT64(out, PROCESS_INFO, system_memory.bytes_reserved, gm->reservation[nl]);
}

static void fill_process_adapter(const struct dxg_process *q, const struct dxg_adapter *a,
				 const struct group_memory *gm, unsigned char *out)
{
	struct alloc_totals t = { { 0 } };

	process_totals(q, a->index, &t);
	PUT32(out, PROCESS_ADAPTER_INFO, nb_segments, STATS_SEGMENTS);
	PUT32(out, PROCESS_ADAPTER_INFO, node_count, DXG_ADAPTER_NODES);
	PUT32(out, PROCESS_ADAPTER_INFO, dma_buffer.size.count,
	      sat32(q->exec_stats[a->index].jobs_submitted));
	PUT64(out, PROCESS_ADAPTER_INFO, commitment_data.total_bytes_evicted_from_process,
	      t.evicted_bytes);
	PUT64(out, PROCESS_ADAPTER_INFO, commitment_data.bytes_by_segment_preference[0],
	      gm->usage[0] + gm->usage[1]);
}

static uint64_t segment_size(struct dxg_vm *vm, const struct dxg_adapter *a, uint32_t seg,
			     const struct memory_stats *m)
{
	uint64_t size = seg == STATS_SEGMENT_LOCAL ? a->vk->device_local_bytes
						   : memory_heap_size(vm);

	return m->quota_bytes == MEM_QUOTA_UNLIMITED ? size : min_u64(size, m->quota_bytes);
}

static void fill_segment(struct dxg_vm *vm, const struct dxg_adapter *a, uint32_t seg,
			 unsigned char *out)
{
	struct alloc_totals t = { { 0 } };
	struct memory_stats m;
	uint64_t bytes, props;

	memory_adapter_stats(vm, a->index, &m);
	vm_totals(vm, a->index, &t);
	if (seg == STATS_SEGMENT_LOCAL) {
		bytes = m.bytes[MEM_CAT_DEVICE_LOCAL] + m.bytes[MEM_CAT_PROGRAM];
		props = (uint64_t)D3DKMT_QUERYSTATISTICS_SEGMENT_TYPE_MEMORY <<
			D3DKMT_QUERYSTATISTICS_SEGMENT_TYPE_SHIFT;
		PUT64(out, SEGMENT_INFO, memory.total_bytes_evicted, m.bytes[MEM_CAT_EVICTED]);
	} else {
		bytes = m.bytes[MEM_CAT_HOST_VISIBLE];
		props = D3DKMT_QUERYSTATISTICS_SEGMENT_SYSTEM_MEMORY |
			(uint64_t)D3DKMT_QUERYSTATISTICS_SEGMENT_TYPE_SYSMEM <<
				D3DKMT_QUERYSTATISTICS_SEGMENT_TYPE_SHIFT |
			D3DKMT_QUERYSTATISTICS_SEGMENT_FULLY_CPU_VISIBLE;
	}
	props |= (uint64_t)segment_group(seg) << D3DKMT_QUERYSTATISTICS_SEGMENT_GROUP_SHIFT;
	PUT64(out, SEGMENT_INFO, commit_limit, segment_size(vm, a, seg, &m));
	PUT64(out, SEGMENT_INFO, bytes_committed, bytes);
	PUT64(out, SEGMENT_INFO, bytes_resident, bytes);
	PUT32(out, SEGMENT_INFO, memory.allocs_committed, t.count[seg]);
	PUT32(out, SEGMENT_INFO, memory.allocs_resident, t.count[seg]);
	PUT64(out, SEGMENT_INFO, segment_properties, props);
}

static void fill_process_segment(const struct dxg_process *q, const struct dxg_adapter *a,
				 uint32_t seg, const struct group_memory *gm, unsigned char *out)
{
	struct alloc_totals t = { { 0 } };
	const uint32_t g = segment_group(seg);

	process_totals(q, a->index, &t);
	PUT64(out, PROCESS_SEGMENT_INFO, bytes_committed, t.bytes[seg]);
	PUT64(out, PROCESS_SEGMENT_INFO, maximum_working_set, gm->budget[g]);
	PUT64(out, PROCESS_SEGMENT_INFO, minimum_working_set, gm->reservation[g]);
	PUT32(out, PROCESS_SEGMENT_INFO, video_memory.allocs_committed, t.count[seg]);
	PUT32(out, PROCESS_SEGMENT_INFO, video_memory.allocs_resident_in_p[0].count, t.count[seg]);
	PUT64(out, PROCESS_SEGMENT_INFO, video_memory.allocs_resident_in_p[0].bytes, t.bytes[seg]);
}

/* One D3DKMT_QUERYSTATISTICS_PROCESS_NODE_INFORMATION at `out`. */
static void fill_node_numbers(const struct dxg_exec_stats *st, unsigned char *out)
{
	const size_t q = offsetof(PROCESS_NODE_INFO,
				  packet_statistics.queue_packet[D3DKMT_QUEUE_PACKET_RENDER_COMMAND_BUFFER]);
	const size_t d = offsetof(PROCESS_NODE_INFO,
				  packet_statistics.dma_packet[D3DKMT_DMA_PACKET_CLIENT_RENDER_BUFFER]);

	put64(out + offsetof(PROCESS_NODE_INFO, running_time), st->running_time_ns / 100u);
	PUT32(out + q, struct d3dkmt_querystatistics_queue_packet_type_information,
	      packet_submitted, sat32(st->jobs_submitted));
	PUT32(out + q, struct d3dkmt_querystatistics_queue_packet_type_information,
	      packet_completed, sat32(st->jobs_completed + st->jobs_dropped));
	PUT32(out + d, struct d3dkmt_querystatistics_dma_packet_type_information,
	      packet_submitted, sat32(st->jobs_submitted));
	PUT32(out + d, struct d3dkmt_querystatistics_dma_packet_type_information,
	      packet_completed, sat32(st->jobs_completed));
	PUT32(out + d, struct d3dkmt_querystatistics_dma_packet_type_information,
	      packet_preempted, sat32(st->jobs_dropped));
	PUT32(out + d, struct d3dkmt_querystatistics_dma_packet_type_information,
	      packet_faulted, sat32(st->jobs_failed));
}

static void fill_node(const struct dxg_adapter *a, unsigned char *out)
{
	fill_node_numbers(&a->exec_stats, out + offsetof(NODE_INFO, global_information));
	/* node_perf_data: ordinal 0 of physical adapter 0, no clocks or voltages to report. */
}

static void fill_process_segment_group(const struct group_memory *gm, uint32_t g,
				       unsigned char *out)
{
	PUT64(out, GROUP_INFO, budget, gm->budget[g]);
	PUT64(out, GROUP_INFO, requested, gm->reservation[g]);
	PUT64(out, GROUP_INFO, usage, gm->usage[g]);
}

/* Is the query union's id within what the type can name? */
static bool query_in_range(uint32_t type, uint32_t id)
{
	switch (type) {
	case D3DKMT_QUERYSTATISTICS_SEGMENT:
	case D3DKMT_QUERYSTATISTICS_PROCESS_SEGMENT:
		return id < STATS_SEGMENTS;
	case D3DKMT_QUERYSTATISTICS_NODE:
	case D3DKMT_QUERYSTATISTICS_PROCESS_NODE:
		return id < DXG_ADAPTER_NODES;
	case D3DKMT_QUERYSTATISTICS_PHYSICAL_ADAPTER:
		return id == 0;
	case D3DKMT_QUERYSTATISTICS_PROCESS_SEGMENT_GROUP:
		return id < MEM_GROUPS;
	default:
		return true;
	}
}

static int query_statistics(struct dxg_vm *vm, struct dxg_process *p,
			    const struct dxgw_request *req, struct reply_buf *reply)
{
	const uint32_t type = req->query_statistics.type;
	/* The Windows query union's first word; the rest of it is padding for every type here. */
	const uint32_t id = req->query_statistics.query[0];
	struct dxg_adapter *a = vm_find_adapter(vm, req->query_statistics.adapter);
	struct dxg_process *q = p;
	struct group_memory gm;
	unsigned char *out;

	if (!a)
		return -EINVAL;
	if (req->query_statistics.target) {
		q = vm_find_process(vm, req->query_statistics.target);
		if (!q)
			return -EINVAL;
	}
	if (type > D3DKMT_QUERYSTATISTICS_PHYSICAL_ADAPTER ||
	    type == D3DKMT_QUERYSTATISTICS_VIDPNSOURCE ||
	    type == D3DKMT_QUERYSTATISTICS_PROCESS_VIDPNSOURCE)
		return -EINVAL;
	if (!query_in_range(type, id))
		return -EINVAL;
	switch (type) {
	case D3DKMT_QUERYSTATISTICS_PROCESS:
	case D3DKMT_QUERYSTATISTICS_PROCESS_ADAPTER:
	case D3DKMT_QUERYSTATISTICS_PROCESS_SEGMENT:
	case D3DKMT_QUERYSTATISTICS_PROCESS_SEGMENT_GROUP:
		group_memory(vm, q, a, &gm);
		break;
	default:
		break;
	}
	out = reply_take(reply, DXGW_QUERY_STATISTICS_RESULT_SIZE);
	if (!out)
		return -ENOMEM;
	switch (type) {
	case D3DKMT_QUERYSTATISTICS_ADAPTER:
		fill_adapter(vm, a, out);
		break;
	case D3DKMT_QUERYSTATISTICS_PROCESS:
		fill_process(&gm, out);
		break;
	case D3DKMT_QUERYSTATISTICS_PROCESS_ADAPTER:
		fill_process_adapter(q, a, &gm, out);
		break;
	case D3DKMT_QUERYSTATISTICS_SEGMENT:
		fill_segment(vm, a, id, out);
		break;
	case D3DKMT_QUERYSTATISTICS_PROCESS_SEGMENT:
		fill_process_segment(q, a, id, &gm, out);
		break;
	case D3DKMT_QUERYSTATISTICS_NODE:
		fill_node(a, out);
		break;
	case D3DKMT_QUERYSTATISTICS_PROCESS_NODE:
		fill_node_numbers(&q->exec_stats[a->index], out);
		break;
	case D3DKMT_QUERYSTATISTICS_PROCESS_SEGMENT_GROUP:
		fill_process_segment_group(&gm, id, out);
		break;
	case D3DKMT_QUERYSTATISTICS_PHYSICAL_ADAPTER:
		/* One physical adapter per opendxg adapter: index 0 everywhere, already zero. */
		break;
	}
	return 0;
}

/* ---- IS_FEATURE_ENABLED ---- */

static int is_feature_enabled(struct dxg_vm *vm, struct dxg_process *p,
			      const struct dxgw_request *req, struct reply_buf *reply)
{
	unsigned char *out;
	uint32_t value;

	if (!process_find_open_adapter(vm, p, req->is_feature_enabled.adapter))
		return -EINVAL;
	switch (req->is_feature_enabled.feature_id) {
	case DXGK_FEATURE_HWSCH:
		/* As WDDM_2_7_CAPS says: the host schedules hardware queues itself, always on. */
		value = DXGK_ISFEATUREENABLED_ENABLED | DXGK_ISFEATUREENABLED_KNOWN_FEATURE |
			DXGK_ISFEATUREENABLED_SUPPORTED_BY_DRIVER |
			DXGK_ISFEATUREENABLED_SUPPORTED_ON_CONFIG;
		break;
	case DXGK_FEATURE_PAGE_BASED_MEMORY_MANAGER:
	case DXGK_FEATURE_KERNEL_MODE_TESTING:
		value = DXGK_ISFEATUREENABLED_KNOWN_FEATURE;
		break;
	default:
		/* WSL forwards any id; one the host does not know is an answer, not an error. */
		value = 0;
		break;
	}
	out = reply_take(reply, sizeof(struct dxgw_is_feature_enabled_reply));
	if (!out)
		return -ENOMEM;
	/* Version 0: opendxg defines no versions of these features. */
	PUT32(out, struct dxgw_is_feature_enabled_reply, version, 0);
	PUT32(out, struct dxgw_is_feature_enabled_reply, value, value);
	return 0;
}

int stats_handle_request(struct dxg_vm *vm, struct dxg_process *p, const struct dxgw_request *req,
			 unsigned char *reply, uint32_t reply_cap, uint32_t *reply_len)
{
	struct reply_buf r = { .data = reply, .cap = reply_cap };
	int ret;

	*reply_len = 0;
	if (!p)
		return -EINVAL;
	switch (req->opcode) {
	case DXGW_OP_QUERY_STATISTICS:
		ret = query_statistics(vm, p, req, &r);
		break;
	case DXGW_OP_IS_FEATURE_ENABLED:
		ret = is_feature_enabled(vm, p, req, &r);
		break;
	default:
		return -ENOSYS;
	}
	if (ret >= 0)
		*reply_len = r.len;
	return ret;
}
