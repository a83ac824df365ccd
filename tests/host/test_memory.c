/* SPDX-License-Identifier: MIT */
/*
 * Memory through dxgd and a user-space guest (real dxgd, real lavapipe): host-visible
 * allocations from 4 KiB to 64 MiB locked, written and read through the guest's own mapping of
 * the region; proof that the pages a LOCK names are the pages the host hands out and zeroes;
 * zeroing between processes; 10,000 create/destroy cycles back to the baseline; eviction and
 * restore of device-local memory with a PENDING reply and the paging fence reaching its value;
 * GPU virtual address rules; SPIR-V programs accepted and refused; exact errnos for misuse; the
 * memory counters in OPENDXG_QAI_VM_STATS and in the control socket's status.
 *
 * argv[1]: dxgd, argv[2]: the directory with memory_fill.spv and memory_pointer.spv.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <json-c/json.h>
#include <misc/d3dkmthk.h>
#include <misc/opendxg.h>

#include "harness.h"

#define KiB 1024ull
#define MiB (1024ull * 1024ull)

static const char *spirv_dir = ".";
static struct uguest *g;
static uint32_t observer, adapter;
static struct opendxg_vm_stats baseline;

struct proc {
	uint32_t handle;
	uint32_t device;
};

static void stats(struct opendxg_vm_stats *s)
{
	assert_int_equal(harness_vm_stats(g, observer, adapter, s), 0);
	assert_true(s->size >= sizeof(*s));
}

/* Every test starts from a fresh CONNECT with one observer and must end at its baseline. */
static int test_setup(void **state)
{
	(void)state;
	if (!g && harness_connect(&harness_dxgd, 0, NULL, &g) != 0)
		return -1;
	if (uguest_handshake(g, 0, NULL) != 0 ||
	    harness_open_first_adapter(g, "observer", &observer, &adapter) != 0 ||
	    harness_vm_stats(g, observer, adapter, &baseline) != 0)
		return -1;
	if (baseline.allocations || baseline.host_visible_bytes || baseline.paging_queues)
		return -1;
	return 0;
}

static void expect_baseline(void)
{
	struct opendxg_vm_stats s;

	stats(&s);
	assert_int_equal(s.processes, baseline.processes);
	assert_int_equal(s.devices, baseline.devices);
	assert_int_equal(s.handles, baseline.handles);
	assert_int_equal(s.allocations, 0);
	assert_int_equal(s.resources, 0);
	assert_int_equal(s.paging_queues, 0);
	assert_int_equal(s.gpu_va_ranges, 0);
	assert_true(s.host_visible_bytes == 0 && s.device_local_bytes == 0 &&
		    s.program_bytes == 0 && s.evicted_bytes == 0);
}

static struct proc new_proc(const char *name)
{
	struct proc p;

	assert_int_equal(uguest_create_process(g, 77, name, &p.handle), 0);
	assert_int_equal(uguest_open_adapter(g, p.handle, adapter), 0);
	assert_int_equal(uguest_create_device(g, p.handle, adapter, 0, &p.device), 0);
	return p;
}

static void end_proc(const struct proc *p)
{
	assert_int_equal(uguest_destroy_process(g, p->handle), 0);
}

static uint64_t page_round(uint64_t n)
{
	return (n + 4095) / 4096 * 4096;
}

static bool all_bytes(const unsigned char *p, uint64_t n, unsigned char v)
{
	for (uint64_t i = 0; i < n; i++) {
		if (p[i] != v)
			return false;
	}
	return true;
}

static void *read_spirv(const char *name, uint32_t *size)
{
	char path[512];
	FILE *fp;
	long len;
	void *data;

	snprintf(path, sizeof(path), "%s/%s", spirv_dir, name);
	fp = fopen(path, "rb");
	assert_non_null(fp);
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	len = ftell(fp);
	rewind(fp);
	data = malloc((size_t)len);
	assert_non_null(data);
	assert_int_equal(fread(data, 1, (size_t)len, fp), (size_t)len);
	fclose(fp);
	*size = (uint32_t)len;
	return data;
}

/* ---- tests ---- */

static void test_sizes_lock_write_read(void **state)
{
	static const uint64_t sizes[] = {
		4 * KiB, 8 * KiB + 1, 64 * KiB, 1 * MiB, 16 * MiB - 5, 64 * MiB,
	};
	struct proc p = new_proc("sizes");
	struct opendxg_vm_stats s;
	uint64_t region_size, heap_lo, heap_hi;
	unsigned char *region = uguest_region(g, &region_size);
	const struct dxg_region_header *h = (const void *)region;

	(void)state;
	heap_lo = le64toh(h->heap_offset);
	heap_hi = heap_lo + le64toh(h->heap_size);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct uguest_lock l, again;
		unsigned char *bytes;
		uint32_t a;

		assert_int_equal(uguest_alloc(g, p.handle, p.device, OPENDXG_ALLOC_KIND_HOST_VISIBLE,
					      sizes[i], &a), 0);
		stats(&s);
		assert_true(s.host_visible_bytes == page_round(sizes[i]));
		assert_int_equal(uguest_lock(g, p.handle, p.device, a, &l), 0);
		assert_true(l.size == page_round(sizes[i]));
		assert_true(l.region_offset % 4096 == 0);
		assert_true(l.region_offset >= heap_lo && l.region_offset + l.size <= heap_hi);
		assert_int_equal(l.resource, 0);
		assert_int_equal(l.adapter, adapter);
		bytes = uguest_lock_ptr(g, &l);
		assert_non_null(bytes);
		/* New memory is zero, all of it. */
		assert_true(all_bytes(bytes, l.size, 0));
		for (uint64_t k = 0; k < l.size; k++)
			bytes[k] = (unsigned char)(k ^ (k >> 12) ^ i);
		/* A second LOCK names the same pages: the bytes we wrote are there. */
		assert_int_equal(uguest_lock(g, p.handle, p.device, a, &again), 0);
		assert_true(again.region_offset == l.region_offset && again.size == l.size);
		for (uint64_t k = 0; k < l.size; k++)
			assert_int_equal(bytes[k], (unsigned char)(k ^ (k >> 12) ^ i));
		assert_int_equal(uguest_unlock(g, p.handle, p.device, a), 0);
		assert_int_equal(uguest_unlock(g, p.handle, p.device, a), 0);
		assert_int_equal(uguest_unlock(g, p.handle, p.device, a), -EINVAL);
		assert_int_equal(uguest_free(g, p.handle, p.device, a), 0);
	}
	end_proc(&p);
	expect_baseline();
}

/*
 * The LOCK offsets are the host's own pages: a neighbour allocation's zeroing leaves our bytes
 * alone, and the pages we wrote through our mapping come back zeroed, at the same offset, in
 * the next allocation. (Host and guest therefore address the same bytes, no copy between.)
 */
static void test_zero_copy_pages(void **state)
{
	static const uint64_t sizes[] = { 8 * KiB, 1 * MiB };
	struct proc p = new_proc("pages");

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		struct uguest_lock la, lb, lc;
		uint32_t a, b, c;
		unsigned char *pa;

		assert_int_equal(uguest_alloc(g, p.handle, p.device, OPENDXG_ALLOC_KIND_HOST_VISIBLE,
					      sizes[i], &a), 0);
		assert_int_equal(uguest_lock(g, p.handle, p.device, a, &la), 0);
		pa = uguest_lock_ptr(g, &la);
		memset(pa, 0xa5, la.size);
		assert_int_equal(uguest_alloc(g, p.handle, p.device, OPENDXG_ALLOC_KIND_HOST_VISIBLE,
					      sizes[i], &b), 0);
		assert_int_equal(uguest_lock(g, p.handle, p.device, b, &lb), 0);
		assert_true(lb.region_offset + lb.size <= la.region_offset ||
			    la.region_offset + la.size <= lb.region_offset);
		assert_true(all_bytes(uguest_lock_ptr(g, &lb), lb.size, 0));
		assert_true(all_bytes(pa, la.size, 0xa5));
		/* Freed with the lock held: destruction drops the locks. */
		assert_int_equal(uguest_free(g, p.handle, p.device, a), 0);
		assert_int_equal(uguest_alloc(g, p.handle, p.device, OPENDXG_ALLOC_KIND_HOST_VISIBLE,
					      sizes[i], &c), 0);
		assert_int_equal(uguest_lock(g, p.handle, p.device, c, &lc), 0);
		assert_true(lc.region_offset == la.region_offset);
		assert_true(all_bytes(pa, la.size, 0));
		assert_int_equal(uguest_free(g, p.handle, p.device, b), 0);
		assert_int_equal(uguest_free(g, p.handle, p.device, c), 0);
	}
	end_proc(&p);
	expect_baseline();
}

/* One tenant fills 32 MiB with a pattern and leaves; the next one finds only zeros. */
static void test_zero_between_processes(void **state)
{
	struct proc a = new_proc("tenant-a");
	struct proc b;
	struct uguest_lock l;
	uint32_t h[32];

	(void)state;
	for (int i = 0; i < 32; i++) {
		assert_int_equal(uguest_alloc(g, a.handle, a.device, OPENDXG_ALLOC_KIND_HOST_VISIBLE,
					      1 * MiB, &h[i]), 0);
		assert_int_equal(uguest_lock(g, a.handle, a.device, h[i], &l), 0);
		memset(uguest_lock_ptr(g, &l), 0xa5, l.size);
	}
	end_proc(&a);
	b = new_proc("tenant-b");
	assert_int_equal(uguest_alloc(g, b.handle, b.device, OPENDXG_ALLOC_KIND_HOST_VISIBLE,
				      32 * MiB, &h[0]), 0);
	assert_int_equal(uguest_lock(g, b.handle, b.device, h[0], &l), 0);
	assert_true(all_bytes(uguest_lock_ptr(g, &l), l.size, 0));
	end_proc(&b);
	expect_baseline();
}

static long long status_number(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
		return -1;
	return json_object_get_int64(v);
}

/* vm0's worker object in the control socket's status. */
static struct json_object *worker_status(struct json_object **doc)
{
	char *json = harness_control_status(&harness_dxgd);
	struct json_object *vms, *worker = NULL;

	assert_non_null(json);
	*doc = json_tokener_parse(json);
	free(json);
	assert_non_null(*doc);
	assert_true(json_object_object_get_ex(*doc, "vms", &vms));
	for (size_t i = 0; i < json_object_array_length(vms); i++) {
		struct json_object *vm = json_object_array_get_idx(vms, i), *name;

		if (json_object_object_get_ex(vm, "name", &name) &&
		    strcmp(json_object_get_string(name), "vm0") == 0)
			json_object_object_get_ex(vm, "worker", &worker);
	}
	assert_non_null(worker);
	return worker;
}

static void heap_status(long long *size, long long *largest_free, long long *allocations)
{
	struct json_object *doc, *worker = worker_status(&doc), *heap, *adapters, *mem;

	assert_true(json_object_object_get_ex(worker, "heap", &heap));
	*size = status_number(heap, "size");
	*largest_free = status_number(heap, "largest_free");
	assert_true(json_object_object_get_ex(worker, "adapters", &adapters));
	assert_true(json_object_object_get_ex(json_object_array_get_idx(adapters, 0), "memory",
					      &mem));
	*allocations = status_number(mem, "allocations");
	json_object_put(doc);
}

static void test_cycles_back_to_baseline(void **state)
{
	struct proc p = new_proc("cycles");
	long long size, largest, allocations;
	struct opendxg_vm_stats s;

	(void)state;
	for (int i = 0; i < 10000; i++) {
		uint32_t a;

		assert_int_equal(uguest_alloc(g, p.handle, p.device,
					      i % 3 ? OPENDXG_ALLOC_KIND_HOST_VISIBLE
						    : OPENDXG_ALLOC_KIND_DEVICE_LOCAL,
					      4096 + (uint64_t)(i % 7) * 1000, &a), 0);
		assert_int_equal(uguest_free(g, p.handle, p.device, a), 0);
	}
	stats(&s);
	assert_int_equal(s.allocations, 0);
	assert_true(s.host_visible_bytes == 0 && s.device_local_bytes == 0);
	assert_int_equal(s.handles, baseline.handles + 2);	/* the process and its device */
	heap_status(&size, &largest, &allocations);
	assert_true(size > 64 * (long long)MiB);
	assert_true(largest == size);
	assert_int_equal(allocations, 0);
	end_proc(&p);
	expect_baseline();
}

static void test_evict_restore_pending(void **state)
{
	struct proc p = new_proc("residency");
	struct uguest_paging_queue q;
	struct opendxg_vm_stats s;
	uint64_t value, value2;
	uint32_t a, status[1];

	(void)state;
	assert_int_equal(uguest_create_paging_queue(g, p.handle, p.device, 0, &q), 0);
	assert_true(uguest_fence_value(g, q.fence_offset) == 0);
	assert_int_equal(uguest_alloc(g, p.handle, p.device, OPENDXG_ALLOC_KIND_DEVICE_LOCAL,
				      3 * MiB + 1, &a), 0);
	stats(&s);
	assert_true(s.device_local_bytes == 3 * MiB + 4096);
	assert_int_equal(s.paging_queues, 1);

	/* Resident: MAKE_RESIDENT completes at once. */
	assert_int_equal(uguest_make_resident(g, p.handle, q.paging_queue, &a, 1, NULL, 0, &value),
			 0);
	assert_true(value == 1 && uguest_fence_value(g, q.fence_offset) == 1);
	assert_int_equal(uguest_evict(g, p.handle, p.device, &a, 1, 0, NULL), 0);
	assert_int_equal(uguest_evict(g, p.handle, p.device, &a, 1, 0, NULL), 0);
	assert_int_equal(uguest_evict(g, p.handle, p.device, &a, 1, 0, NULL), -EINVAL);
	stats(&s);
	assert_true(s.device_local_bytes == 0 && s.evicted_bytes == 3 * MiB + 4096);
	assert_int_equal(uguest_query_residency(g, p.handle, p.device, 0, &a, 1, status), 0);
	assert_int_equal(status[0], D3DKMT_ALLOCATIONRESIDENCYSTATUS_NOTRESIDENT);

	/* The restore: PENDING, then the fence reaches the value the reply named. */
	assert_int_equal(uguest_make_resident(g, p.handle, q.paging_queue, &a, 1, NULL, 0, &value2),
			 DXGW_STATUS_PENDING);
	assert_true(value2 == 2);
	assert_int_equal(uguest_wait_fence(g, q.fence_offset, value2), 0);
	assert_true(uguest_fence_value(g, q.fence_offset) == 2);
	stats(&s);
	assert_true(s.device_local_bytes == 3 * MiB + 4096 && s.evicted_bytes == 0);
	assert_int_equal(uguest_query_residency(g, p.handle, p.device, 0, &a, 1, status), 0);
	assert_int_equal(status[0], D3DKMT_ALLOCATIONRESIDENCYSTATUS_RESIDENTINGPUMEMORY);
	/* A fence offset outside the fence storage is refused by the waiter itself. */
	assert_int_equal(uguest_wait_fence(g, 8, 1), -EINVAL);
	assert_int_equal(uguest_destroy_paging_queue(g, p.handle, q.paging_queue), 0);
	assert_int_equal(uguest_destroy_paging_queue(g, p.handle, q.paging_queue), -EINVAL);
	end_proc(&p);
	expect_baseline();
}

static void test_gpu_va(void **state)
{
	struct proc p = new_proc("gpuva");
	struct proc other = new_proc("other");
	struct uguest_paging_queue q;
	struct uguest_reserve_gpu_va r = { .adapter = adapter, .size = 64 * KiB };
	struct uguest_map_gpu_va m;
	struct opendxg_vm_stats s;
	uint64_t va, mapped;
	uint32_t a, foreign;

	(void)state;
	assert_int_equal(uguest_create_paging_queue(g, p.handle, p.device, 0, &q), 0);
	assert_int_equal(uguest_alloc(g, p.handle, p.device, OPENDXG_ALLOC_KIND_HOST_VISIBLE,
				      16 * KiB, &a), 0);
	assert_int_equal(uguest_alloc(g, other.handle, other.device,
				      OPENDXG_ALLOC_KIND_HOST_VISIBLE, 4 * KiB, &foreign), 0);
	assert_int_equal(uguest_reserve_gpu_va(g, p.handle, &r, &va, NULL), 0);
	assert_true(va >= DXGW_GPUVA_MIN && va % 4096 == 0);
	stats(&s);
	assert_int_equal(s.gpu_va_ranges, 1);
	/* Overlap, alignment, bounds. */
	r.base_address = va + 60 * KiB;
	r.size = 8 * KiB;
	assert_int_equal(uguest_reserve_gpu_va(g, p.handle, &r, &mapped, NULL), -EINVAL);
	r.base_address = 0x2000001;
	assert_int_equal(uguest_reserve_gpu_va(g, p.handle, &r, &mapped, NULL), -EINVAL);
	r.base_address = DXGW_GPUVA_LIMIT - 4096;
	assert_int_equal(uguest_reserve_gpu_va(g, p.handle, &r, &mapped, NULL), -EINVAL);
	r.base_address = 0;
	r.size = 4097;
	assert_int_equal(uguest_reserve_gpu_va(g, p.handle, &r, &mapped, NULL), -EINVAL);

	memset(&m, 0, sizeof(m));
	m.paging_queue = q.paging_queue;
	m.allocation = a;
	m.base_address = va + 8 * KiB;
	m.size_in_pages = 4;
	m.protection = D3DDDIGPUVA_PROTECTION_WRITE;
	assert_int_equal(uguest_map_gpu_va(g, p.handle, &m, &mapped, NULL), 0);
	assert_true(mapped == va + 8 * KiB);
	/* Beyond the allocation, outside the reservation, another process's allocation. */
	m.offset_in_pages = 1;
	assert_int_equal(uguest_map_gpu_va(g, p.handle, &m, &mapped, NULL), -EINVAL);
	m.offset_in_pages = 0;
	m.base_address = va + 62 * KiB;
	assert_int_equal(uguest_map_gpu_va(g, p.handle, &m, &mapped, NULL), -EINVAL);
	m.base_address = va;
	m.allocation = foreign;
	m.size_in_pages = 1;
	assert_int_equal(uguest_map_gpu_va(g, p.handle, &m, &mapped, NULL), -EINVAL);
	/* MAP with base 0 places a new range itself, inside the window it is given. */
	m.allocation = a;
	m.base_address = 0;
	m.minimum_address = 0x40000000;
	m.maximum_address = 0x80000000;
	assert_int_equal(uguest_map_gpu_va(g, p.handle, &m, &mapped, NULL), 0);
	assert_true(mapped >= 0x40000000 && mapped + 4096 <= 0x80000000);
	stats(&s);
	assert_int_equal(s.gpu_va_ranges, 2);
	assert_int_equal(uguest_free_gpu_va(g, p.handle, adapter, va, 32 * KiB), -EINVAL);
	assert_int_equal(uguest_free_gpu_va(g, p.handle, adapter, va, 64 * KiB), 0);
	assert_int_equal(uguest_free_gpu_va(g, p.handle, adapter, va, 64 * KiB), -EINVAL);
	end_proc(&p);
	end_proc(&other);
	expect_baseline();
}

static void test_programs(void **state)
{
	struct proc p = new_proc("programs");
	struct uguest_alloc_desc d = { .kind = OPENDXG_ALLOC_KIND_PROGRAM };
	struct uguest_create_allocation_args args = { .device = p.device, .descs = &d, .count = 1 };
	struct uguest_alloc_result res;
	struct opendxg_vm_stats s;
	uint32_t size;
	void *good = read_spirv("memory_fill.spv", &size);
	void *bad;

	(void)state;
	d.code = good;
	d.size = d.code_size = size;
	assert_int_equal(uguest_create_allocation(g, p.handle, &args, NULL, &res), 0);
	assert_true(res.charged == page_round(size));
	stats(&s);
	assert_true(s.program_bytes == page_round(size));
	/* Programs cannot be mapped by the CPU. */
	assert_int_equal(uguest_lock(g, p.handle, p.device, res.allocation, &(struct uguest_lock){0}),
			 -EINVAL);
	bad = read_spirv("memory_pointer.spv", &size);
	d.code = bad;
	d.size = d.code_size = size;
	assert_int_equal(uguest_create_allocation(g, p.handle, &args, NULL, &res), -EINVAL);
	free(good);
	free(bad);
	end_proc(&p);
	expect_baseline();
}

static void test_misuse(void **state)
{
	struct proc p = new_proc("misuse");
	struct proc other = new_proc("misuse-other");
	const struct uguest_alloc_desc two[2] = {
		{ .kind = OPENDXG_ALLOC_KIND_HOST_VISIBLE, .size = 4096 },
		{ .kind = OPENDXG_ALLOC_KIND_DEVICE_LOCAL, .size = 4096 },
	};
	struct uguest_create_allocation_args args = {
		.device = p.device,
		.flags = D3DKMT_CREATEALLOCATION_FLAG_CREATE_RESOURCE,
		.runtime_data = "umd",
		.runtime_data_size = 3,
		.descs = two,
		.count = 2,
	};
	struct uguest_alloc_result res[2];
	struct opendxg_vm_stats before, after;
	struct uguest_lock l;
	uint32_t resource, hv, dl, dup[2];

	(void)state;
	assert_int_equal(uguest_create_allocation(g, p.handle, &args, &resource, res), 0);
	assert_int_not_equal(resource, 0);
	assert_int_equal(uguest_alloc(g, p.handle, p.device, OPENDXG_ALLOC_KIND_HOST_VISIBLE, 1,
				      &hv), 0);
	assert_int_equal(uguest_alloc(g, p.handle, p.device, OPENDXG_ALLOC_KIND_DEVICE_LOCAL, 1,
				      &dl), 0);
	/* Another process's allocation, through its own device or ours. */
	assert_int_equal(uguest_lock(g, other.handle, other.device, hv, &l), -EINVAL);
	assert_int_equal(uguest_lock(g, other.handle, p.device, hv, &l), -EINVAL);
	assert_int_equal(uguest_free(g, other.handle, other.device, hv), -EINVAL);
	assert_int_equal(uguest_evict(g, other.handle, other.device, &dl, 1, 0, NULL), -EINVAL);
	/* Wrong kinds and states. */
	assert_int_equal(uguest_lock(g, p.handle, p.device, dl, &l), -EINVAL);
	assert_int_equal(uguest_unlock(g, p.handle, p.device, hv), -EINVAL);
	/* A resource member goes only with the resource; the resource locks name it. */
	assert_int_equal(uguest_free(g, p.handle, p.device, res[0].allocation), -EINVAL);
	assert_int_equal(uguest_lock(g, p.handle, p.device, res[0].allocation, &l), 0);
	assert_int_equal(l.resource, resource);
	/* Duplicates are -EINVAL, and nothing is destroyed. */
	dup[0] = dup[1] = hv;
	assert_int_equal(uguest_destroy_allocations(g, p.handle, p.device, 0, dup, 2, 0), -EINVAL);
	/* Malformed requests (the decoder's): counted as rejected. */
	stats(&before);
	args.flags = 0;
	assert_int_equal(uguest_create_allocation(g, p.handle, &args, NULL, res), -EINVAL);
	args.runtime_data_size = 0;
	args.count = 0;
	assert_int_equal(uguest_create_allocation(g, p.handle, &args, NULL, res), -EINVAL);
	{
		struct uguest_alloc_desc bad = { .kind = 9, .size = 1 };

		args.descs = &bad;
		args.count = 1;
		assert_int_equal(uguest_create_allocation(g, p.handle, &args, NULL, res), -EINVAL);
		bad.kind = OPENDXG_ALLOC_KIND_HOST_VISIBLE;
		bad.size = 0;
		assert_int_equal(uguest_create_allocation(g, p.handle, &args, NULL, res), -EINVAL);
		bad.size = 1;
		bad.flags = 1;
		assert_int_equal(uguest_create_allocation(g, p.handle, &args, NULL, res), -EINVAL);
	}
	assert_int_equal(uguest_destroy_allocations(g, p.handle, p.device, resource, &hv, 1, 0),
			 -EINVAL);
	stats(&after);
	assert_true(after.rejected == before.rejected + 6);
	assert_int_equal(after.allocations, 4);
	/* Destroyed handles. */
	assert_int_equal(uguest_destroy_allocations(g, p.handle, p.device, resource, NULL, 0, 0), 0);
	assert_int_equal(uguest_destroy_allocations(g, p.handle, p.device, resource, NULL, 0, 0),
			 -EINVAL);
	assert_int_equal(uguest_lock(g, p.handle, p.device, res[0].allocation, &l), -EINVAL);
	assert_int_equal(uguest_free(g, p.handle, p.device, hv), 0);
	assert_int_equal(uguest_free(g, p.handle, p.device, hv), -EINVAL);
	/* The device takes the rest with it. */
	assert_int_equal(uguest_destroy_device(g, p.handle, p.device), 0);
	assert_int_equal(uguest_free(g, p.handle, p.device, dl), -EINVAL);
	stats(&after);
	assert_int_equal(after.allocations, 0);
	end_proc(&p);
	end_proc(&other);
	expect_baseline();
}

static void test_status_json(void **state)
{
	struct proc p = new_proc("status");
	struct json_object *doc, *worker, *adapters, *mem, *quota;
	uint32_t a, b;

	(void)state;
	assert_int_equal(uguest_alloc(g, p.handle, p.device, OPENDXG_ALLOC_KIND_HOST_VISIBLE,
				      5000, &a), 0);
	assert_int_equal(uguest_alloc(g, p.handle, p.device, OPENDXG_ALLOC_KIND_DEVICE_LOCAL,
				      4096, &b), 0);
	worker = worker_status(&doc);
	assert_true(json_object_object_get_ex(worker, "adapters", &adapters));
	assert_true(json_object_object_get_ex(json_object_array_get_idx(adapters, 0), "memory",
					      &mem));
	assert_int_equal(status_number(mem, "allocations"), 2);
	assert_int_equal(status_number(mem, "host_visible_bytes"), 8192);
	assert_int_equal(status_number(mem, "device_local_bytes"), 4096);
	assert_int_equal(status_number(mem, "claimed_bytes"), 12288);
	/* No quota configured for this VM. */
	assert_true(json_object_object_get_ex(mem, "quota_bytes", &quota));
	assert_null(quota);
	json_object_put(doc);
	end_proc(&p);
	expect_baseline();
}

static void test_shutdown(void **state)
{
	(void)state;
	harness_shutdown(&g, 1);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_sizes_lock_write_read, test_setup),
		cmocka_unit_test_setup(test_zero_copy_pages, test_setup),
		cmocka_unit_test_setup(test_zero_between_processes, test_setup),
		cmocka_unit_test_setup(test_cycles_back_to_baseline, test_setup),
		cmocka_unit_test_setup(test_evict_restore_pending, test_setup),
		cmocka_unit_test_setup(test_gpu_va, test_setup),
		cmocka_unit_test_setup(test_programs, test_setup),
		cmocka_unit_test_setup(test_misuse, test_setup),
		cmocka_unit_test_setup(test_status_json, test_setup),
		cmocka_unit_test(test_shutdown),
	};

	if (argc > 2)
		spirv_dir = argv[2];
	/* 64 MiB allocations need a heap above 64 MiB; untouched region pages cost nothing. */
	harness_region = "128M";
	return harness_run(argc, argv, "host-memory", tests, sizeof(tests) / sizeof(tests[0]), 1);
}
