// SPDX-License-Identifier: MIT
/*
 * QUERY_STATISTICS and IS_FEATURE_ENABLED (host/stats.c) driven through the dispatcher, the way
 * the ring feeds them: two processes allocate on a VM with two fake adapters (a device-local
 * backend without a GPU, a memfd region with a heap), and every per-adapter, per-segment and
 * per-process number must equal what was allocated, evicted and reserved; the execution numbers
 * are set the way exec.c keeps them and must come back in the Windows units and fields; bad
 * types, ids, adapters and targets are -EINVAL; feature answers are exact.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>

#include <misc/d3dkmthk.h>
#include <misc/opendxg.h>
#include <opendxg/wire.h>

#include "exec.h"
#include "log.h"
#include "memory.h"
#include "objects.h"
#include "wire_body.h"
#include "worker_dispatch.h"

#define KiB 1024ull
#define MiB (1024ull * 1024ull)
#define REGION_SIZE (8 * MiB)
#define FENCE_OFFSET (64 * KiB)
#define FENCE_SIZE (16 * KiB)
#define HEAP_OFFSET (1 * MiB)
#define HEAP_SIZE (7 * MiB)
#define DEVICE_LOCAL_BYTES (1ull << 30)

/* ---- device-local memory without a GPU ---- */

static int fake_device_token;

static int fake_open(const struct vk_adapter *a, VkInstance instance, struct vk_device **out)
{
	(void)a;
	(void)instance;
	*out = (struct vk_device *)&fake_device_token;
	return 0;
}

static void fake_close(struct vk_device *d)
{
	(void)d;
}

static uint64_t fake_max_buffer(const struct vk_device *d)
{
	(void)d;
	return 1ull << 32;
}

static int fake_create(struct vk_device *d, uint64_t size, struct vk_buffer **out)
{
	unsigned char *b = calloc(1, size);

	(void)d;
	if (!b)
		return -ENOMEM;
	*out = (struct vk_buffer *)b;
	return 0;
}

static void fake_destroy(struct vk_buffer *vb)
{
	free(vb);
}

static int fake_read(struct vk_buffer *vb, uint64_t off, void *dst, uint64_t len)
{
	memcpy(dst, (unsigned char *)vb + off, len);
	return 0;
}

static int fake_write(struct vk_buffer *vb, uint64_t off, const void *src, uint64_t len)
{
	memcpy((unsigned char *)vb + off, src, len);
	return 0;
}

static const struct mem_device_ops fake_ops = {
	.open = fake_open,
	.close = fake_close,
	.max_buffer = fake_max_buffer,
	.buffer_create = fake_create,
	.buffer_destroy = fake_destroy,
	.buffer_read = fake_read,
	.buffer_write = fake_write,
};

/* ---- fixture ---- */

struct fixture {
	struct vk_adapter fake_adapters[2];
	struct vk_backend vk;
	struct dxg_vm vm;
	struct dxg_ratelimit log;
	unsigned char reply[DXGW_MAX_MESSAGE];
	uint32_t reply_len;
	uint64_t next_id;
	unsigned char *region;
	int fd;
};

struct proc {
	uint32_t handle;
	uint32_t adapter;	/* adapter 0, open */
	uint32_t device;
};

static void fake_adapter(struct vk_adapter *a, uint8_t uuid0)
{
	memset(a, 0, sizeof(*a));
	snprintf(a->name, sizeof(a->name), "fake %u", uuid0);
	a->device_type = OPENDXG_DEVICE_TYPE_DISCRETE;
	a->device_uuid[0] = uuid0;
	a->device_local_bytes = DEVICE_LOCAL_BYTES;
	a->luid_low = uuid0;
}

static int setup_quota(void **state, uint64_t quota_bytes)
{
	const struct dxg_vm_limits limits = DXG_VM_DEFAULT_LIMITS;
	struct vm_memory_quota quota = VM_MEMORY_DEFAULT_QUOTA;
	struct fixture *f = calloc(1, sizeof(*f));
	struct vm_memory_setup setup;

	assert_non_null(f);
	quota.quota_bytes = quota_bytes;
	f->log = (struct dxg_ratelimit)DXG_RATELIMIT_INIT(1000, 0);
	f->next_id = 1;
	fake_adapter(&f->fake_adapters[0], 1);
	fake_adapter(&f->fake_adapters[1], 2);
	f->vk.adapters = f->fake_adapters;
	f->vk.adapter_count = 2;
	f->fd = memfd_create("test-stats-region", MFD_CLOEXEC);
	assert_true(f->fd >= 0);
	assert_int_equal(ftruncate(f->fd, REGION_SIZE), 0);
	f->region = mmap(NULL, REGION_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, f->fd, 0);
	assert_true(f->region != MAP_FAILED);
	setup = (struct vm_memory_setup){
		.region = f->region,
		.region_fd = f->fd,
		.fence_offset = FENCE_OFFSET,
		.fence_size = FENCE_SIZE,
		.heap_offset = HEAP_OFFSET,
		.heap_size = HEAP_SIZE,
		.quota = quota,
		.device_ops = &fake_ops,
	};
	assert_int_equal(vm_init(&f->vm, &f->vk, 3, &limits, &setup), 0);
	*state = f;
	return 0;
}

static int setup(void **state)
{
	return setup_quota(state, MEM_QUOTA_UNLIMITED);
}

/* 64 MiB per adapter: the heap (7 MiB) and the device (1 GiB) both larger or smaller. */
static int setup_quota_64m(void **state)
{
	return setup_quota(state, 64 * MiB);
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	assert_null(memory_check(&f->vm));
	vm_fini(&f->vm);
	munmap(f->region, REGION_SIZE);
	close(f->fd);
	free(f);
	return 0;
}

static int req(struct fixture *f, uint16_t opcode, uint32_t process, const struct body *b)
{
	static unsigned char rec[DXGW_MAX_MESSAGE];
	struct dxgw_hdr h;
	int status;

	memset(&h, 0, sizeof(h));
	h.size = dxg_to_le32((uint32_t)sizeof(h) + (b ? b->len : 0));
	h.opcode = dxg_to_le16(opcode);
	h.request_id = dxg_to_le64(f->next_id++);
	h.process = dxg_to_le32(process);
	memcpy(rec, &h, sizeof(h));
	if (b && b->len)
		memcpy(rec + sizeof(h), b->b, b->len);
	f->reply_len = worker_dispatch(&f->vm, rec, (uint32_t)sizeof(h) + (b ? b->len : 0),
				       f->reply, sizeof(f->reply), &f->log);
	assert_true(f->reply_len >= sizeof(h));
	memcpy(&h, f->reply, sizeof(h));
	status = (int)dxg_from_le32(h.status);
	if (status < 0)
		assert_int_equal(f->reply_len, sizeof(h));
	memory_after_reply(&f->vm);
	assert_null(memory_check(&f->vm));
	return status;
}

static const unsigned char *body(struct fixture *f)
{
	return f->reply + sizeof(struct dxgw_hdr);
}

static uint32_t body_len(struct fixture *f)
{
	return f->reply_len - (uint32_t)sizeof(struct dxgw_hdr);
}

#define R32(f, type, member) dxg_get_le32(body(f) + offsetof(type, member))
#define R64(f, type, member) dxg_get_le64(body(f) + offsetof(type, member))

static uint32_t open_adapter(struct fixture *f, uint32_t process, uint32_t index)
{
	struct body b = { .len = 0 };
	uint32_t adapter = f->vm.adapters[index].handle;

	b_u32(&b, adapter);
	b_u32(&b, 0);
	assert_int_equal(req(f, DXGW_OP_OPEN_ADAPTER, process, &b), 0);
	return adapter;
}

static struct proc new_proc(struct fixture *f, const char *name)
{
	struct body b = { .len = 0 };
	struct proc p;

	b_u32(&b, 1234);
	b_u32(&b, 0);
	memset(b.b + b.len, 0, DXGW_PROCESS_NAME_LEN);
	memcpy(b.b + b.len, name, strlen(name));
	b.len += DXGW_PROCESS_NAME_LEN;
	assert_int_equal(req(f, DXGW_OP_CREATE_PROCESS, 0, &b), 0);
	p.handle = dxg_get_le32(body(f));
	p.adapter = open_adapter(f, p.handle, 0);
	b.len = 0;
	b_u32(&b, p.adapter);
	b_u32(&b, 0);
	assert_int_equal(req(f, DXGW_OP_CREATE_DEVICE, p.handle, &b), 0);
	p.device = dxg_get_le32(body(f));
	return p;
}

static uint32_t alloc1(struct fixture *f, const struct proc *p, uint32_t kind, uint64_t size)
{
	struct body b = { .len = 0 };

	b_u32(&b, p->device);
	b_u32(&b, 0);		/* resource */
	b_u32(&b, 0);		/* flags */
	b_u32(&b, 1);		/* count */
	b_u32(&b, 0);		/* runtime data */
	b_u32(&b, 0);
	b_u32(&b, kind);
	b_u32(&b, 0);
	b_u64(&b, size);
	b_u32(&b, 0);		/* priority */
	b_u32(&b, 0);		/* code size */
	assert_int_equal(req(f, DXGW_OP_CREATE_ALLOCATION, p->handle, &b), 0);
	return dxg_get_le32(body(f) + 8);
}

static int evict1(struct fixture *f, const struct proc *p, uint32_t allocation)
{
	struct body b = { .len = 0 };

	b_u32(&b, p->device);
	b_u32(&b, 1);
	b_u32(&b, 0);
	b_u32(&b, 0);
	b_list(&b, &allocation, 1);
	return req(f, DXGW_OP_EVICT, p->handle, &b);
}

static int video_memory(struct fixture *f, uint16_t op, const struct proc *p, uint32_t group,
			uint64_t reservation)
{
	struct body b = { .len = 0 };

	b_u32(&b, p->adapter);
	b_u32(&b, group);
	b_u64(&b, reservation);
	return req(f, op, p->handle, &b);
}

/* QUERY_STATISTICS by `caller`; on success the body is exactly the result union. */
static int query(struct fixture *f, uint32_t caller, uint32_t adapter, uint32_t type,
		 uint32_t id, uint32_t target)
{
	struct body b = { .len = 0 };
	int ret;

	b_u32(&b, adapter);
	b_u32(&b, type);
	b_u32(&b, id);
	b_u32(&b, 0);
	b_u32(&b, target);
	b_u32(&b, 0);
	ret = req(f, DXGW_OP_QUERY_STATISTICS, caller, &b);
	if (ret == 0)
		assert_int_equal(body_len(f), DXGW_QUERY_STATISTICS_RESULT_SIZE);
	return ret;
}

static bool body_is_zero(struct fixture *f)
{
	for (uint32_t i = 0; i < body_len(f); i++) {
		if (body(f)[i])
			return false;
	}
	return true;
}

#define ADAPTER_INFO struct d3dkmt_querystatistics_adapter_information
#define SEGMENT_INFO struct d3dkmt_querystatistics_segment_information
#define PROCESS_INFO struct d3dkmt_querystatistics_process_information
#define PROCESS_ADAPTER_INFO struct d3dkmt_querystatistics_process_adapter_information
#define PROCESS_SEGMENT_INFO struct d3dkmt_querystatistics_process_segment_information
#define GROUP_INFO struct d3dkmt_querystatistics_process_segment_group_information
#define NODE_INFO struct d3dkmt_querystatistics_node_information
#define PROCESS_NODE_INFO struct d3dkmt_querystatistics_process_node_information

#define HV OPENDXG_ALLOC_KIND_HOST_VISIBLE
#define DL OPENDXG_ALLOC_KIND_DEVICE_LOCAL
#define LOCAL D3DKMT_MEMORY_SEGMENT_GROUP_LOCAL
#define NON_LOCAL D3DKMT_MEMORY_SEGMENT_GROUP_NON_LOCAL

/* ---- tests ---- */

/*
 * A: host-visible 5000 B (8 KiB charged), device-local 12 KiB; B: device-local 8193 B (12 KiB),
 * host-visible 4 KiB. Adapter and segment numbers are the VM's sums; then an eviction moves A's
 * device-local bytes out of segment 0.
 */
static void test_adapter_and_segments(void **state)
{
	struct fixture *f = *state;
	struct proc a = new_proc(f, "a"), b = new_proc(f, "b");
	uint32_t a_dl;
	uint64_t props;

	alloc1(f, &a, HV, 5000);
	a_dl = alloc1(f, &a, DL, 12 * KiB);
	alloc1(f, &b, DL, 8193);
	alloc1(f, &b, HV, 4 * KiB);

	assert_int_equal(query(f, a.handle, a.adapter, D3DKMT_QUERYSTATISTICS_ADAPTER, 0, 0), 0);
	assert_int_equal(R32(f, ADAPTER_INFO, nb_segments), 2);
	assert_int_equal(R32(f, ADAPTER_INFO, node_count), 1);
	assert_int_equal(R32(f, ADAPTER_INFO, vidpn_source_count), 0);
	assert_int_equal(R32(f, ADAPTER_INFO, allocations.created.count), 4);
	assert_int_equal(R64(f, ADAPTER_INFO, allocations.created.bytes), 36 * KiB);
	assert_int_equal(R32(f, ADAPTER_INFO, allocations.destroyed.count), 0);
	assert_int_equal(R32(f, ADAPTER_INFO, paging_fault.evictions.count), 0);
	assert_int_equal(R64(f, ADAPTER_INFO, flags), 2);

	/* Segment 0: device-local. */
	assert_int_equal(query(f, b.handle, a.adapter, D3DKMT_QUERYSTATISTICS_SEGMENT, 0, 0), 0);
	assert_int_equal(R64(f, SEGMENT_INFO, commit_limit), DEVICE_LOCAL_BYTES);
	assert_int_equal(R64(f, SEGMENT_INFO, bytes_committed), 24 * KiB);
	assert_int_equal(R64(f, SEGMENT_INFO, bytes_resident), 24 * KiB);
	assert_int_equal(R32(f, SEGMENT_INFO, memory.allocs_committed), 2);
	assert_int_equal(R32(f, SEGMENT_INFO, memory.allocs_resident), 2);
	assert_int_equal(R32(f, SEGMENT_INFO, aperture), 0);
	props = R64(f, SEGMENT_INFO, segment_properties);
	assert_int_equal(props, (uint64_t)D3DKMT_QUERYSTATISTICS_SEGMENT_TYPE_MEMORY
					<< D3DKMT_QUERYSTATISTICS_SEGMENT_TYPE_SHIFT);

	/* Segment 1: the heap. */
	assert_int_equal(query(f, b.handle, a.adapter, D3DKMT_QUERYSTATISTICS_SEGMENT, 1, 0), 0);
	assert_int_equal(R64(f, SEGMENT_INFO, commit_limit), HEAP_SIZE);
	assert_int_equal(R64(f, SEGMENT_INFO, bytes_committed), 12 * KiB);
	assert_int_equal(R32(f, SEGMENT_INFO, memory.allocs_committed), 2);
	props = R64(f, SEGMENT_INFO, segment_properties);
	assert_true(props & D3DKMT_QUERYSTATISTICS_SEGMENT_SYSTEM_MEMORY);
	assert_true(props & D3DKMT_QUERYSTATISTICS_SEGMENT_FULLY_CPU_VISIBLE);
	assert_int_equal((props & D3DKMT_QUERYSTATISTICS_SEGMENT_TYPE_MASK) >>
			 D3DKMT_QUERYSTATISTICS_SEGMENT_TYPE_SHIFT,
			 D3DKMT_QUERYSTATISTICS_SEGMENT_TYPE_SYSMEM);
	assert_int_equal((props & D3DKMT_QUERYSTATISTICS_SEGMENT_GROUP_MASK) >>
			 D3DKMT_QUERYSTATISTICS_SEGMENT_GROUP_SHIFT, NON_LOCAL);

	/* The other adapter has nothing. */
	assert_int_equal(query(f, a.handle, f->vm.adapters[1].handle,
			       D3DKMT_QUERYSTATISTICS_SEGMENT, 0, 0), 0);
	assert_int_equal(R64(f, SEGMENT_INFO, bytes_committed), 0);
	assert_int_equal(R32(f, SEGMENT_INFO, memory.allocs_committed), 0);

	/* Evicting A's device-local allocation: out of segment 0, held evicted. */
	assert_int_equal(evict1(f, &a, a_dl), 0);
	assert_int_equal(query(f, a.handle, a.adapter, D3DKMT_QUERYSTATISTICS_SEGMENT, 0, 0), 0);
	assert_int_equal(R64(f, SEGMENT_INFO, bytes_resident), 12 * KiB);
	assert_int_equal(R32(f, SEGMENT_INFO, memory.allocs_resident), 1);
	assert_int_equal(R64(f, SEGMENT_INFO, memory.total_bytes_evicted), 12 * KiB);
	assert_int_equal(query(f, a.handle, a.adapter, D3DKMT_QUERYSTATISTICS_ADAPTER, 0, 0), 0);
	assert_int_equal(R32(f, ADAPTER_INFO, paging_fault.evictions.count), 1);
	assert_int_equal(R64(f, ADAPTER_INFO, paging_fault.evictions.bytes), 12 * KiB);
	assert_int_equal(R32(f, ADAPTER_INFO, allocations.created.count), 4);
	assert_int_equal(R64(f, ADAPTER_INFO, allocations.created.bytes), 36 * KiB);
}

/* Per-process numbers: each process sees its own, and names the other by its handle. */
static void test_process_numbers(void **state)
{
	struct fixture *f = *state;
	struct proc a = new_proc(f, "a"), b = new_proc(f, "b");
	uint64_t budget_local, budget_non_local;
	uint32_t a_dl;

	alloc1(f, &a, HV, 5000);
	a_dl = alloc1(f, &a, DL, 12 * KiB);
	alloc1(f, &b, DL, 8193);
	alloc1(f, &b, DL, 1);
	alloc1(f, &b, HV, 4 * KiB);
	assert_int_equal(video_memory(f, DXGW_OP_CHANGE_RESERVATION, &a, LOCAL, 64 * KiB), 0);

	/* What QUERY_VIDEO_MEMORY tells A. */
	assert_int_equal(video_memory(f, DXGW_OP_QUERY_VIDEO_MEMORY, &a, LOCAL, 0), 0);
	budget_local = R64(f, struct dxgw_video_memory_reply, budget);
	assert_int_equal(R64(f, struct dxgw_video_memory_reply, current_usage), 12 * KiB);
	assert_int_equal(video_memory(f, DXGW_OP_QUERY_VIDEO_MEMORY, &a, NON_LOCAL, 0), 0);
	budget_non_local = R64(f, struct dxgw_video_memory_reply, budget);

	assert_int_equal(query(f, a.handle, a.adapter, D3DKMT_QUERYSTATISTICS_PROCESS_SEGMENT_GROUP,
			       LOCAL, 0), 0);
	assert_int_equal(R64(f, GROUP_INFO, budget), budget_local);
	assert_int_equal(R64(f, GROUP_INFO, requested), 64 * KiB);
	assert_int_equal(R64(f, GROUP_INFO, usage), 12 * KiB);
	assert_int_equal(query(f, a.handle, a.adapter, D3DKMT_QUERYSTATISTICS_PROCESS_SEGMENT_GROUP,
			       NON_LOCAL, 0), 0);
	assert_int_equal(R64(f, GROUP_INFO, budget), budget_non_local);
	assert_int_equal(R64(f, GROUP_INFO, requested), 0);
	assert_int_equal(R64(f, GROUP_INFO, usage), 8 * KiB);

	/* A asks about B: B's numbers. */
	assert_int_equal(query(f, a.handle, a.adapter, D3DKMT_QUERYSTATISTICS_PROCESS_SEGMENT_GROUP,
			       LOCAL, b.handle), 0);
	assert_int_equal(R64(f, GROUP_INFO, usage), 16 * KiB);
	assert_int_equal(R64(f, GROUP_INFO, requested), 0);

	assert_int_equal(query(f, a.handle, a.adapter, D3DKMT_QUERYSTATISTICS_PROCESS_SEGMENT, 0,
			       b.handle), 0);
	assert_int_equal(R64(f, PROCESS_SEGMENT_INFO, bytes_committed), 16 * KiB);
	assert_int_equal(R32(f, PROCESS_SEGMENT_INFO, video_memory.allocs_committed), 2);
	assert_int_equal(R32(f, PROCESS_SEGMENT_INFO, video_memory.allocs_resident_in_p[0].count), 2);
	assert_int_equal(R64(f, PROCESS_SEGMENT_INFO, video_memory.allocs_resident_in_p[0].bytes),
			 16 * KiB);
	assert_int_equal(query(f, a.handle, a.adapter, D3DKMT_QUERYSTATISTICS_PROCESS_SEGMENT, 1,
			       0), 0);
	assert_int_equal(R64(f, PROCESS_SEGMENT_INFO, bytes_committed), 8 * KiB);
	assert_int_equal(R32(f, PROCESS_SEGMENT_INFO, video_memory.allocs_committed), 1);
	assert_int_equal(R64(f, PROCESS_SEGMENT_INFO, maximum_working_set), budget_non_local);
	assert_int_equal(query(f, a.handle, a.adapter, D3DKMT_QUERYSTATISTICS_PROCESS_SEGMENT, 0,
			       0), 0);
	assert_int_equal(R64(f, PROCESS_SEGMENT_INFO, bytes_committed), 12 * KiB);
	assert_int_equal(R64(f, PROCESS_SEGMENT_INFO, maximum_working_set), budget_local);
	assert_int_equal(R64(f, PROCESS_SEGMENT_INFO, minimum_working_set), 64 * KiB);

	assert_int_equal(query(f, b.handle, a.adapter, D3DKMT_QUERYSTATISTICS_PROCESS_ADAPTER, 0,
			       0), 0);
	assert_int_equal(R32(f, PROCESS_ADAPTER_INFO, nb_segments), 2);
	assert_int_equal(R32(f, PROCESS_ADAPTER_INFO, node_count), 1);
	assert_int_equal(R64(f, PROCESS_ADAPTER_INFO,
			     commitment_data.bytes_by_segment_preference[0]), 20 * KiB);
	assert_int_equal(R64(f, PROCESS_ADAPTER_INFO,
			     commitment_data.total_bytes_evicted_from_process), 0);

	assert_int_equal(query(f, b.handle, a.adapter, D3DKMT_QUERYSTATISTICS_PROCESS, 0,
			       a.handle), 0);
	assert_int_equal(R32(f, PROCESS_INFO, node_count), 1);
	assert_int_equal(R64(f, PROCESS_INFO, system_memory.bytes_allocated), 8 * KiB);

	/* A's eviction: its usage moves to NON_LOCAL, as QUERY_VIDEO_MEMORY counts it. */
	assert_int_equal(evict1(f, &a, a_dl), 0);
	assert_int_equal(query(f, b.handle, a.adapter, D3DKMT_QUERYSTATISTICS_PROCESS_ADAPTER, 0,
			       a.handle), 0);
	assert_int_equal(R64(f, PROCESS_ADAPTER_INFO,
			     commitment_data.total_bytes_evicted_from_process), 12 * KiB);
	assert_int_equal(R64(f, PROCESS_ADAPTER_INFO,
			     commitment_data.bytes_by_segment_preference[0]), 20 * KiB);
	assert_int_equal(query(f, a.handle, a.adapter, D3DKMT_QUERYSTATISTICS_PROCESS_SEGMENT, 0,
			       0), 0);
	assert_int_equal(R64(f, PROCESS_SEGMENT_INFO, bytes_committed), 0);
	assert_int_equal(query(f, a.handle, a.adapter, D3DKMT_QUERYSTATISTICS_PROCESS_SEGMENT_GROUP,
			       NON_LOCAL, 0), 0);
	assert_int_equal(R64(f, GROUP_INFO, usage), 20 * KiB);

	/* An adapter A never opened: no usage, the whole free memory as budget. */
	assert_int_equal(query(f, a.handle, f->vm.adapters[1].handle,
			       D3DKMT_QUERYSTATISTICS_PROCESS_SEGMENT_GROUP, LOCAL, 0), 0);
	assert_int_equal(R64(f, GROUP_INFO, usage), 0);
	assert_int_equal(R64(f, GROUP_INFO, budget), DEVICE_LOCAL_BYTES);
}

/* With a quota: segment sizes and budgets are bounded by it. */
static void test_quota_bounds(void **state)
{
	struct fixture *f = *state;
	struct proc a = new_proc(f, "a"), b = new_proc(f, "b");

	alloc1(f, &a, DL, 1 * MiB);
	alloc1(f, &b, DL, 3 * MiB);
	assert_int_equal(query(f, a.handle, a.adapter, D3DKMT_QUERYSTATISTICS_SEGMENT, 0, 0), 0);
	assert_int_equal(R64(f, SEGMENT_INFO, commit_limit), 64 * MiB);
	assert_int_equal(query(f, a.handle, a.adapter, D3DKMT_QUERYSTATISTICS_SEGMENT, 1, 0), 0);
	assert_int_equal(R64(f, SEGMENT_INFO, commit_limit), HEAP_SIZE);
	/* A may still add what the quota leaves: 64 - 1 - 3 MiB, plus its 1 MiB in use. */
	assert_int_equal(query(f, a.handle, a.adapter, D3DKMT_QUERYSTATISTICS_PROCESS_SEGMENT_GROUP,
			       LOCAL, 0), 0);
	assert_int_equal(R64(f, GROUP_INFO, usage), 1 * MiB);
	assert_int_equal(R64(f, GROUP_INFO, budget), 61 * MiB);
}

static void set_exec(struct dxg_exec_stats *st, uint64_t submitted, uint64_t completed,
		     uint64_t failed, uint64_t dropped, uint64_t ns)
{
	st->jobs_submitted = submitted;
	st->jobs_completed = completed;
	st->jobs_failed = failed;
	st->jobs_dropped = dropped;
	st->running_time_ns = ns;
}

static void check_node(struct fixture *f, size_t base, uint64_t submitted, uint64_t completed,
		       uint64_t failed, uint64_t dropped, uint64_t ticks)
{
	const unsigned char *n = body(f) + base;
	const size_t q = offsetof(PROCESS_NODE_INFO, packet_statistics.queue_packet[0]);
	const size_t d = offsetof(PROCESS_NODE_INFO, packet_statistics.dma_packet[0]);
	const uint64_t queued = submitted - completed - dropped;

	assert_int_equal(dxg_get_le64(n + offsetof(PROCESS_NODE_INFO, running_time)), ticks);
	assert_int_equal(dxg_get_le32(n + q), submitted);
	assert_int_equal(dxg_get_le32(n + q + 4), submitted - queued);
	/* Queue depth the way Windows tools compute it. */
	assert_int_equal(dxg_get_le32(n + q) - dxg_get_le32(n + q + 4), queued);
	assert_int_equal(dxg_get_le32(n + d), submitted);
	assert_int_equal(dxg_get_le32(n + d + 4), completed);
	assert_int_equal(dxg_get_le32(n + d + 8), dropped);
	assert_int_equal(dxg_get_le32(n + d + 12), failed);
	/* The other packet types stay empty. */
	for (size_t i = 8; i < 0x40; i++)
		assert_int_equal(n[q + i], 0);
	for (size_t i = 16; i < 0x40; i++)
		assert_int_equal(n[d + i], 0);
}

/* The execution numbers as exec.c keeps them, read back per adapter node and per process. */
static void test_node_numbers(void **state)
{
	struct fixture *f = *state;
	struct proc a = new_proc(f, "a"), b = new_proc(f, "b");
	struct dxg_process *pa = vm_find_process(&f->vm, a.handle);
	struct dxg_process *pb = vm_find_process(&f->vm, b.handle);

	assert_non_null(pa);
	assert_non_null(pb);
	/* Nothing ran yet: all zero. */
	assert_int_equal(query(f, a.handle, a.adapter, D3DKMT_QUERYSTATISTICS_NODE, 0, 0), 0);
	assert_true(body_is_zero(f));

	set_exec(&pa->exec_stats[0], 7, 4, 1, 1, 1234567);
	set_exec(&pb->exec_stats[0], 3, 2, 0, 0, 1000000);
	set_exec(&f->vm.adapters[0].exec_stats, 10, 6, 1, 1, 2234567);

	assert_int_equal(query(f, a.handle, a.adapter, D3DKMT_QUERYSTATISTICS_NODE, 0, 0), 0);
	check_node(f, offsetof(NODE_INFO, global_information), 10, 6, 1, 1, 22345);
	for (size_t i = offsetof(NODE_INFO, system_information); i < body_len(f); i++)
		assert_int_equal(body(f)[i], 0);

	assert_int_equal(query(f, a.handle, a.adapter, D3DKMT_QUERYSTATISTICS_PROCESS_NODE, 0, 0),
			 0);
	check_node(f, 0, 7, 4, 1, 1, 12345);
	assert_int_equal(query(f, a.handle, a.adapter, D3DKMT_QUERYSTATISTICS_PROCESS_NODE, 0,
			       b.handle), 0);
	check_node(f, 0, 3, 2, 0, 0, 10000);
	assert_int_equal(query(f, b.handle, a.adapter, D3DKMT_QUERYSTATISTICS_PROCESS_ADAPTER, 0,
			       0), 0);
	assert_int_equal(R32(f, PROCESS_ADAPTER_INFO, dma_buffer.size.count), 3);

	/* The other adapter's node ran nothing. */
	assert_int_equal(query(f, a.handle, f->vm.adapters[1].handle,
			       D3DKMT_QUERYSTATISTICS_PROCESS_NODE, 0, 0), 0);
	assert_true(body_is_zero(f));

	/* u32 fields saturate. */
	set_exec(&f->vm.adapters[0].exec_stats, 1ull << 33, 1ull << 33, 0, 0, 0);
	assert_int_equal(query(f, a.handle, a.adapter, D3DKMT_QUERYSTATISTICS_NODE, 0, 0), 0);
	assert_int_equal(R32(f, NODE_INFO, global_information.packet_statistics.dma_packet[0]
					   .packet_submitted), UINT32_MAX);
	set_exec(&f->vm.adapters[0].exec_stats, 0, 0, 0, 0, 0);
	set_exec(&pa->exec_stats[0], 0, 0, 0, 0, 0);
	set_exec(&pb->exec_stats[0], 0, 0, 0, 0, 0);
}

static void test_physical_adapter(void **state)
{
	struct fixture *f = *state;
	struct proc a = new_proc(f, "a");

	assert_int_equal(query(f, a.handle, a.adapter, D3DKMT_QUERYSTATISTICS_PHYSICAL_ADAPTER, 0,
			       0), 0);
	assert_true(body_is_zero(f));
	assert_int_equal(query(f, a.handle, a.adapter, D3DKMT_QUERYSTATISTICS_PHYSICAL_ADAPTER, 1,
			       0), -EINVAL);
}

static void test_errors(void **state)
{
	struct fixture *f = *state;
	struct proc a = new_proc(f, "a");
	const uint32_t bad_types[] = {
		D3DKMT_QUERYSTATISTICS_VIDPNSOURCE, D3DKMT_QUERYSTATISTICS_PROCESS_VIDPNSOURCE,
		11, 19, 0x80000000u, UINT32_MAX,
	};

	for (size_t i = 0; i < sizeof(bad_types) / sizeof(bad_types[0]); i++)
		assert_int_equal(query(f, a.handle, a.adapter, bad_types[i], 0, 0), -EINVAL);
	/* Adapters: unknown handles, a process handle. */
	assert_int_equal(query(f, a.handle, 0, D3DKMT_QUERYSTATISTICS_ADAPTER, 0, 0), -EINVAL);
	assert_int_equal(query(f, a.handle, 0xdeadbeef, D3DKMT_QUERYSTATISTICS_ADAPTER, 0, 0),
			 -EINVAL);
	assert_int_equal(query(f, a.handle, a.handle, D3DKMT_QUERYSTATISTICS_ADAPTER, 0, 0),
			 -EINVAL);
	/* Ids beyond what the adapter has. */
	assert_int_equal(query(f, a.handle, a.adapter, D3DKMT_QUERYSTATISTICS_SEGMENT, 2, 0),
			 -EINVAL);
	assert_int_equal(query(f, a.handle, a.adapter, D3DKMT_QUERYSTATISTICS_PROCESS_SEGMENT, 2,
			       0), -EINVAL);
	assert_int_equal(query(f, a.handle, a.adapter, D3DKMT_QUERYSTATISTICS_NODE, 1, 0), -EINVAL);
	assert_int_equal(query(f, a.handle, a.adapter, D3DKMT_QUERYSTATISTICS_PROCESS_NODE, 1, 0),
			 -EINVAL);
	assert_int_equal(query(f, a.handle, a.adapter, D3DKMT_QUERYSTATISTICS_PROCESS_SEGMENT_GROUP,
			       2, 0), -EINVAL);
	/* Targets: unknown, a device handle. */
	assert_int_equal(query(f, a.handle, a.adapter, D3DKMT_QUERYSTATISTICS_PROCESS, 0,
			       0x12345678), -EINVAL);
	assert_int_equal(query(f, a.handle, a.adapter, D3DKMT_QUERYSTATISTICS_PROCESS_NODE, 0,
			       a.device), -EINVAL);
	/* The decoder: reserved must be zero. */
	{
		struct body b = { .len = 0 };

		b_u32(&b, a.adapter);
		b_u32(&b, D3DKMT_QUERYSTATISTICS_ADAPTER);
		b_u32(&b, 0);
		b_u32(&b, 0);
		b_u32(&b, 0);
		b_u32(&b, 1);
		assert_int_equal(req(f, DXGW_OP_QUERY_STATISTICS, a.handle, &b), -EINVAL);
	}
	/* A good query still works afterwards. */
	assert_int_equal(query(f, a.handle, a.adapter, D3DKMT_QUERYSTATISTICS_ADAPTER, 0, 0), 0);
}

static int feature(struct fixture *f, uint32_t process, uint32_t adapter, uint32_t id,
		   uint32_t *version, uint32_t *value)
{
	struct body b = { .len = 0 };
	int ret;

	b_u32(&b, adapter);
	b_u32(&b, id);
	ret = req(f, DXGW_OP_IS_FEATURE_ENABLED, process, &b);
	if (ret == 0) {
		assert_int_equal(body_len(f), sizeof(struct dxgw_is_feature_enabled_reply));
		*version = R32(f, struct dxgw_is_feature_enabled_reply, version);
		*value = R32(f, struct dxgw_is_feature_enabled_reply, value);
	}
	return ret;
}

static void test_features(void **state)
{
	struct fixture *f = *state;
	struct proc a = new_proc(f, "a");
	uint32_t version = 99, value = 99;

	assert_int_equal(feature(f, a.handle, a.adapter, DXGK_FEATURE_HWSCH, &version, &value), 0);
	assert_int_equal(version, 0);
	assert_int_equal(value, DXGK_ISFEATUREENABLED_ENABLED | DXGK_ISFEATUREENABLED_KNOWN_FEATURE |
				DXGK_ISFEATUREENABLED_SUPPORTED_BY_DRIVER |
				DXGK_ISFEATUREENABLED_SUPPORTED_ON_CONFIG);
	assert_int_equal(feature(f, a.handle, a.adapter, DXGK_FEATURE_PAGE_BASED_MEMORY_MANAGER,
				 &version, &value), 0);
	assert_int_equal(value, DXGK_ISFEATUREENABLED_KNOWN_FEATURE);
	assert_int_equal(feature(f, a.handle, a.adapter, DXGK_FEATURE_KERNEL_MODE_TESTING, &version,
				 &value), 0);
	assert_int_equal(value, DXGK_ISFEATUREENABLED_KNOWN_FEATURE);
	/* Unknown features are an answer, not an error. */
	for (uint32_t id = 1; id < 40; id++) {
		if (id == DXGK_FEATURE_PAGE_BASED_MEMORY_MANAGER ||
		    id == DXGK_FEATURE_KERNEL_MODE_TESTING)
			continue;
		value = 99;
		assert_int_equal(feature(f, a.handle, a.adapter, id, &version, &value), 0);
		assert_int_equal(value, 0);
		assert_int_equal(version, 0);
	}
	assert_int_equal(feature(f, a.handle, a.adapter, UINT32_MAX, &version, &value), 0);
	assert_int_equal(value, 0);
	/* The adapter must be open by the caller: adapter 1 is not, 0 is no adapter. */
	assert_int_equal(feature(f, a.handle, f->vm.adapters[1].handle, DXGK_FEATURE_HWSCH,
				 &version, &value), -EINVAL);
	assert_int_equal(feature(f, a.handle, 0, DXGK_FEATURE_HWSCH, &version, &value), -EINVAL);
	open_adapter(f, a.handle, 1);
	assert_int_equal(feature(f, a.handle, f->vm.adapters[1].handle, DXGK_FEATURE_HWSCH,
				 &version, &value), 0);
	assert_int_equal(value & DXGK_ISFEATUREENABLED_ENABLED, DXGK_ISFEATUREENABLED_ENABLED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_adapter_and_segments, setup, teardown),
		cmocka_unit_test_setup_teardown(test_process_numbers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_quota_bounds, setup_quota_64m, teardown),
		cmocka_unit_test_setup_teardown(test_node_numbers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_physical_adapter, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_features, setup, teardown),
	};

	dxg_log_init("test-stats", DXG_LOG_WARN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
