// SPDX-License-Identifier: MIT
/*
 * One VM driven through the worker's dispatcher (decode -> objects -> reply), with a fake adapter
 * instead of Vulkan: object lifetimes, ownership, quotas, QUERYADAPTERINFO and the reply format.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <misc/opendxg.h>
#include <opendxg/handle.h>
#include <opendxg/wire.h>

#include "adapter_info.h"
#include "memory.h"
#include "objects.h"
#include "worker_dispatch.h"
#include "worker_region.h"

struct fixture {
	struct vk_adapter adapters[2];
	struct vk_backend vk;
	struct dxg_vm vm;
	struct dxg_ratelimit log;
	unsigned char reply[DXGW_MAX_MESSAGE];
	uint32_t reply_len;
	uint64_t next_id;
	unsigned char *region;		/* a private stand-in for the shared region */
};

/* Region stand-in: fence storage at 64 KiB (64 KiB), the heap at 1 MiB (1 MiB). */
#define FAKE_REGION_SIZE (2u << 20)
#define FAKE_FENCE_OFFSET (64u << 10)
#define FAKE_FENCE_SIZE (64u << 10)
#define FAKE_HEAP_OFFSET (1u << 20)
#define FAKE_HEAP_SIZE (1u << 20)

static void fake_adapter(struct vk_adapter *a, const char *name, uint32_t type, uint8_t uuid0)
{
	memset(a, 0, sizeof(*a));
	snprintf(a->name, sizeof(a->name), "%s", name);
	snprintf(a->driver_name, sizeof(a->driver_name), "fakedrv");
	a->vendor_id = 0x10005;
	a->device_id = 0x1234;
	a->device_type = type;
	a->api_version = (1u << 22) | (3u << 12);
	a->driver_version = 42;
	a->max_workgroup_size[0] = 1024;
	a->max_workgroup_size[1] = 512;
	a->max_workgroup_size[2] = 64;
	a->max_workgroup_invocations = 1024;
	a->max_shared_memory = 32768;
	a->subgroup_size = 8;
	a->timestamp_period_ns = 1.5f;
	a->max_workgroup_count[0] = 65535;
	a->max_workgroup_count[1] = 4096;
	a->max_workgroup_count[2] = 16;
	a->max_binding_size = 128u << 20;
	a->max_push_constants = 256;
	a->timestamp_valid_bits = 48;
	a->device_uuid[0] = uuid0;
	a->device_local_bytes = 1ull << 33;
	a->external_memory_host = true;
	vk_backend_derive_luid(0x1234, a->device_uuid, &a->luid_low, &a->luid_high);
}

static struct fixture *setup_limits(const struct dxg_vm_limits *limits)
{
	const struct vm_memory_quota quota = VM_MEMORY_DEFAULT_QUOTA;
	struct fixture *f = calloc(1, sizeof(*f));
	struct vm_memory_setup setup_mem;

	assert_non_null(f);
	fake_adapter(&f->adapters[0], "fake cpu device \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80",
		     OPENDXG_DEVICE_TYPE_CPU, 1);
	fake_adapter(&f->adapters[1], "fake discrete gpu", OPENDXG_DEVICE_TYPE_DISCRETE, 2);
	f->vk.adapters = f->adapters;
	f->vk.adapter_count = 2;
	f->log = (struct dxg_ratelimit)DXG_RATELIMIT_INIT(1000, 0);
	f->next_id = 100;
	f->region = calloc(1, FAKE_REGION_SIZE);
	assert_non_null(f->region);
	setup_mem = (struct vm_memory_setup){
		.region = f->region,
		.region_fd = -1,
		.fence_offset = FAKE_FENCE_OFFSET,
		.fence_size = FAKE_FENCE_SIZE,
		.heap_offset = FAKE_HEAP_OFFSET,
		.heap_size = FAKE_HEAP_SIZE,
		.quota = quota,
	};
	assert_int_equal(vm_init(&f->vm, &f->vk, 9, limits, &setup_mem), 0);
	return f;
}

static int setup(void **state)
{
	const struct dxg_vm_limits limits = DXG_VM_DEFAULT_LIMITS;

	*state = setup_limits(&limits);
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	vm_fini(&f->vm);
	free(f->region);
	free(f);
	return 0;
}

/* Sends one request; returns the reply status and leaves the reply body at f->reply + 32. */
static int request(struct fixture *f, uint16_t opcode, uint32_t process, const void *body,
		   uint32_t body_len)
{
	static unsigned char rec[DXGW_MAX_MESSAGE];
	struct dxgw_hdr h;
	struct dxgw_hdr r;
	uint64_t id = f->next_id++;

	memset(&h, 0, sizeof(h));
	h.size = dxg_to_le32((uint32_t)sizeof(h) + body_len);
	h.opcode = dxg_to_le16(opcode);
	h.request_id = dxg_to_le64(id);
	h.process = dxg_to_le32(process);
	memcpy(rec, &h, sizeof(h));
	if (body_len)
		memcpy(rec + sizeof(h), body, body_len);
	f->reply_len = worker_dispatch(&f->vm, rec, (uint32_t)sizeof(h) + body_len, f->reply,
				       sizeof(f->reply), &f->log);
	assert_true(f->reply_len >= sizeof(r));
	memcpy(&r, f->reply, sizeof(r));
	assert_int_equal(dxg_from_le32(r.size), f->reply_len);
	assert_int_equal(dxg_from_le16(r.opcode), opcode);
	assert_int_equal(dxg_from_le16(r.flags), DXGW_FLAG_REPLY);
	assert_true(dxg_from_le64(r.request_id) == id);
	assert_int_equal(dxg_from_le32(r.process), process);
	assert_true(r.reserved == 0);
	/* Failures carry no body. */
	if (r.status)
		assert_int_equal(f->reply_len, sizeof(r));
	return (int)dxg_from_le32(r.status);
}

static const unsigned char *body(struct fixture *f)
{
	return f->reply + sizeof(struct dxgw_hdr);
}

static uint32_t body_u32(struct fixture *f, size_t off)
{
	uint32_t v;

	memcpy(&v, body(f) + off, sizeof(v));
	return dxg_from_le32(v);
}

static uint32_t create_process(struct fixture *f, const char *name)
{
	struct dxgw_create_process_req req;

	memset(&req, 0, sizeof(req));
	req.pid = dxg_to_le32(77);
	memcpy(req.name, name, strnlen(name, sizeof(req.name)));
	assert_int_equal(request(f, DXGW_OP_CREATE_PROCESS, 0, &req, sizeof(req)), 0);
	assert_int_equal(f->reply_len, sizeof(struct dxgw_hdr) + 8);
	return body_u32(f, 0);
}

static int adapter_op(struct fixture *f, uint16_t op, uint32_t process, uint32_t adapter)
{
	struct dxgw_adapter_req req = { .adapter = dxg_to_le32(adapter) };

	return request(f, op, process, &req, sizeof(req));
}

static int create_device(struct fixture *f, uint32_t process, uint32_t adapter, uint32_t *device)
{
	struct dxgw_create_device_req req = { .adapter = dxg_to_le32(adapter) };
	int ret;

	*device = 0;
	ret = request(f, DXGW_OP_CREATE_DEVICE, process, &req, sizeof(req));
	if (!ret)
		*device = body_u32(f, 0);
	return ret;
}

static int create_context(struct fixture *f, uint32_t process, uint32_t device, uint32_t node,
			  uint32_t affinity, uint32_t *context)
{
	struct {
		struct dxgw_create_context_req req;
		unsigned char priv[40];
	} msg;
	int ret;

	*context = 0;
	memset(&msg, 0x5a, sizeof(msg));
	msg.req.device = dxg_to_le32(device);
	msg.req.node_ordinal = dxg_to_le32(node);
	msg.req.engine_affinity = dxg_to_le32(affinity);
	msg.req.flags = dxg_to_le32(0x10);
	msg.req.client_hint = dxg_to_le32(2);
	msg.req.priv_size = dxg_to_le32(sizeof(msg.priv));
	ret = request(f, DXGW_OP_CREATE_CONTEXT_VIRTUAL, process, &msg, sizeof(msg));
	if (!ret)
		*context = body_u32(f, 0);
	return ret;
}

static int destroy(struct fixture *f, uint16_t op, uint32_t process, uint32_t handle)
{
	struct dxgw_destroy_req req = { .handle = dxg_to_le32(handle) };

	return request(f, op, process, &req, sizeof(req));
}

static int qai(struct fixture *f, uint32_t process, uint32_t adapter, uint32_t type,
	       const void *in, uint32_t size)
{
	static struct {
		struct dxgw_query_adapter_info_req req;
		unsigned char data[DXGW_MAX_QAI_DATA];
	} msg;
	int ret;

	memset(&msg, 0, sizeof(msg));
	msg.req.adapter = dxg_to_le32(adapter);
	msg.req.type = dxg_to_le32(type);
	msg.req.data_size = dxg_to_le32(size);
	if (in)
		memcpy(msg.data, in, size);
	else
		memset(msg.data, 0xee, size);	/* garbage the host must not echo back */
	ret = request(f, DXGW_OP_QUERY_ADAPTER_INFO, process, &msg, sizeof(msg.req) + size);
	if (!ret) {
		assert_int_equal(f->reply_len, sizeof(struct dxgw_hdr) + 8 + size);
		assert_int_equal(body_u32(f, 0), size);
		assert_int_equal(body_u32(f, 4), 0);
	}
	return ret;
}

static const unsigned char *qai_data(struct fixture *f)
{
	return body(f) + sizeof(struct dxgw_query_adapter_info_reply);
}

static void test_connect(void **state)
{
	struct fixture *f = *state;
	struct dxgw_connect_req req = {
		.guest_version = dxg_to_le32(DXG_PROTOCOL_VERSION + 7),	/* newer minor: fine */
		.guest_features = dxg_to_le64(~0ull),
	};
	uint32_t p = create_process(f, "before");

	assert_int_equal(request(f, DXGW_OP_CONNECT, 0, &req, sizeof(req)), 0);
	assert_int_equal(f->reply_len, sizeof(struct dxgw_hdr) + sizeof(struct dxgw_connect_reply));
	assert_int_equal(body_u32(f, offsetof(struct dxgw_connect_reply, host_version)),
			 DXG_PROTOCOL_VERSION);
	assert_int_equal(body_u32(f, offsetof(struct dxgw_connect_reply, generation)), 9);
	assert_int_equal(body_u32(f, offsetof(struct dxgw_connect_reply, features)), 0);
	assert_int_equal(body_u32(f, offsetof(struct dxgw_connect_reply, features) + 4), 0);
	assert_int_equal(body_u32(f, offsetof(struct dxgw_connect_reply, adapter_count)), 2);
	/* CONNECT forgot the earlier process. */
	assert_int_equal(f->vm.counters.processes, 0);
	assert_int_equal(request(f, DXGW_OP_DESTROY_PROCESS, p, NULL, 0), -EINVAL);

	req.guest_version = dxg_to_le32((DXG_PROTOCOL_MAJOR + 1) << 16);
	assert_int_equal(request(f, DXGW_OP_CONNECT, 0, &req, sizeof(req)), -EPROTONOSUPPORT);
	req.guest_version = dxg_to_le32(0);
	assert_int_equal(request(f, DXGW_OP_CONNECT, 0, &req, sizeof(req)), -EPROTONOSUPPORT);
}

static void test_nop_and_enum(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(request(f, DXGW_OP_NOP, 0, NULL, 0), 0);
	assert_int_equal(f->reply_len, sizeof(struct dxgw_hdr));

	assert_int_equal(request(f, DXGW_OP_ENUM_ADAPTERS, 0, NULL, 0), 0);
	assert_int_equal(f->reply_len, sizeof(struct dxgw_hdr) + 8 + 2 * 16);
	assert_int_equal(body_u32(f, 0), 2);
	assert_int_equal(body_u32(f, 4), 0);
	for (uint32_t i = 0; i < 2; i++) {
		size_t d = 8 + 16 * i;

		assert_int_equal(body_u32(f, d + 0), f->vm.adapters[i].handle);
		assert_int_equal(body_u32(f, d + 4), f->adapters[i].luid_low);
		assert_int_equal(body_u32(f, d + 8), f->adapters[i].luid_high);
		assert_int_equal(body_u32(f, d + 12),
				 i == 0 ? (DXGW_ADAPTER_COMPUTE_ONLY | DXGW_ADAPTER_SOFTWARE)
					: DXGW_ADAPTER_COMPUTE_ONLY);
		assert_int_equal(dxg_handle_instance(f->vm.adapters[i].handle), 0);
	}
	assert_int_not_equal(f->adapters[0].luid_low, f->adapters[1].luid_low);
}

static void test_process_lifecycle(void **state)
{
	struct fixture *f = *state;
	const uint32_t a = f->vm.adapters[0].handle;
	uint32_t p = create_process(f, "app\x01\x7f");
	uint32_t dev, ctx;
	struct dxg_process *proc = vm_find_process(&f->vm, p);

	assert_non_null(proc);
	assert_string_equal(proc->name, "app??");
	assert_int_equal(proc->pid, 77);
	assert_int_equal(adapter_op(f, DXGW_OP_OPEN_ADAPTER, p, a), 0);
	assert_int_equal(create_device(f, p, a, &dev), 0);
	assert_int_equal(create_context(f, p, dev, 0, 1, &ctx), 0);
	assert_int_equal(f->vm.counters.contexts, 1);
	assert_int_equal(handle_table_live(&f->vm.handles), 2 + 3);

	assert_int_equal(request(f, DXGW_OP_DESTROY_PROCESS, p, NULL, 0), 0);
	assert_int_equal(f->vm.counters.processes, 0);
	assert_int_equal(f->vm.counters.devices, 0);
	assert_int_equal(f->vm.counters.contexts, 0);
	assert_int_equal(f->vm.counters.open_adapters, 0);
	assert_int_equal(handle_table_live(&f->vm.handles), 2);	/* the adapters */
	/* The process handle is gone: every process-scoped request with it fails. */
	assert_int_equal(request(f, DXGW_OP_DESTROY_PROCESS, p, NULL, 0), -EINVAL);
	assert_int_equal(adapter_op(f, DXGW_OP_OPEN_ADAPTER, p, a), -EINVAL);
}

static void test_bad_process_handles(void **state)
{
	struct fixture *f = *state;
	const uint32_t a = f->vm.adapters[0].handle;

	/* An adapter handle is not a process handle; neither are garbage values. */
	assert_int_equal(adapter_op(f, DXGW_OP_OPEN_ADAPTER, a, a), -EINVAL);
	assert_int_equal(adapter_op(f, DXGW_OP_OPEN_ADAPTER, 0x12345678, a), -EINVAL);
	assert_int_equal(adapter_op(f, DXGW_OP_OPEN_ADAPTER, 0xffffffc0, a), -EINVAL);
}

static void test_adapter_references(void **state)
{
	struct fixture *f = *state;
	const uint32_t a0 = f->vm.adapters[0].handle, a1 = f->vm.adapters[1].handle;
	uint32_t p = create_process(f, "refs");
	uint32_t d0, d1, ctx;

	/* Opening something that is not an adapter. */
	assert_int_equal(adapter_op(f, DXGW_OP_OPEN_ADAPTER, p, p), -EINVAL);
	assert_int_equal(adapter_op(f, DXGW_OP_OPEN_ADAPTER, p, 0), -EINVAL);
	assert_int_equal(adapter_op(f, DXGW_OP_CLOSE_ADAPTER, p, a0), -EINVAL);
	/* A device needs the adapter open. */
	assert_int_equal(create_device(f, p, a0, &d0), -EINVAL);

	assert_int_equal(adapter_op(f, DXGW_OP_OPEN_ADAPTER, p, a0), 0);
	assert_int_equal(adapter_op(f, DXGW_OP_OPEN_ADAPTER, p, a0), 0);
	assert_int_equal(adapter_op(f, DXGW_OP_OPEN_ADAPTER, p, a1), 0);
	assert_int_equal(f->vm.counters.open_adapters, 3);
	assert_int_equal(create_device(f, p, a0, &d0), 0);
	assert_int_equal(create_device(f, p, a1, &d1), 0);
	assert_int_equal(create_context(f, p, d0, 0, 0, &ctx), 0);

	/* Dropping one of two references keeps the device; the last one destroys it. */
	assert_int_equal(adapter_op(f, DXGW_OP_CLOSE_ADAPTER, p, a0), 0);
	assert_non_null(handle_table_lookup(&f->vm.handles, d0, DXG_HTYPE_DEVICE, p));
	assert_int_equal(adapter_op(f, DXGW_OP_CLOSE_ADAPTER, p, a0), 0);
	assert_null(handle_table_lookup(&f->vm.handles, d0, DXG_HTYPE_DEVICE, p));
	assert_null(handle_table_lookup(&f->vm.handles, ctx, DXG_HTYPE_CONTEXT, p));
	assert_int_equal(destroy(f, DXGW_OP_DESTROY_DEVICE, p, d0), -EINVAL);
	assert_int_equal(destroy(f, DXGW_OP_DESTROY_CONTEXT, p, ctx), -EINVAL);
	assert_int_equal(adapter_op(f, DXGW_OP_CLOSE_ADAPTER, p, a0), -EINVAL);
	/* The device on the other adapter is untouched. */
	assert_non_null(handle_table_lookup(&f->vm.handles, d1, DXG_HTYPE_DEVICE, p));
	assert_int_equal(f->vm.counters.devices, 1);
	assert_int_equal(f->vm.counters.contexts, 0);
	assert_int_equal(f->vm.counters.open_adapters, 1);
}

static void test_foreign_handles(void **state)
{
	struct fixture *f = *state;
	const uint32_t a = f->vm.adapters[0].handle;
	uint32_t p1 = create_process(f, "one");
	uint32_t p2 = create_process(f, "two");
	uint32_t dev, ctx, other;

	assert_int_equal(adapter_op(f, DXGW_OP_OPEN_ADAPTER, p1, a), 0);
	assert_int_equal(create_device(f, p1, a, &dev), 0);
	assert_int_equal(create_context(f, p1, dev, 0, 1, &ctx), 0);

	/* p2 has the adapter open too, but p1's objects stay p1's. */
	assert_int_equal(adapter_op(f, DXGW_OP_OPEN_ADAPTER, p2, a), 0);
	assert_int_equal(destroy(f, DXGW_OP_DESTROY_DEVICE, p2, dev), -EINVAL);
	assert_int_equal(destroy(f, DXGW_OP_DESTROY_CONTEXT, p2, ctx), -EINVAL);
	assert_int_equal(create_context(f, p2, dev, 0, 1, &other), -EINVAL);
	/* A handle of the wrong type fails even for its owner. */
	assert_int_equal(destroy(f, DXGW_OP_DESTROY_DEVICE, p1, ctx), -EINVAL);
	assert_int_equal(destroy(f, DXGW_OP_DESTROY_CONTEXT, p1, dev), -EINVAL);
	assert_int_equal(create_context(f, p1, ctx, 0, 1, &other), -EINVAL);
	/* Still alive for the owner. */
	assert_int_equal(destroy(f, DXGW_OP_DESTROY_CONTEXT, p1, ctx), 0);
	assert_int_equal(destroy(f, DXGW_OP_DESTROY_CONTEXT, p1, ctx), -EINVAL);
	assert_int_equal(destroy(f, DXGW_OP_DESTROY_DEVICE, p1, dev), 0);
	assert_int_equal(destroy(f, DXGW_OP_DESTROY_DEVICE, p1, dev), -EINVAL);
}

static void test_context_arguments(void **state)
{
	struct fixture *f = *state;
	const uint32_t a = f->vm.adapters[0].handle;
	uint32_t p = create_process(f, "ctx");
	uint32_t dev, ctx, ctx2;

	assert_int_equal(adapter_op(f, DXGW_OP_OPEN_ADAPTER, p, a), 0);
	assert_int_equal(create_device(f, p, a, &dev), 0);
	assert_int_equal(create_context(f, p, dev, 1, 1, &ctx), -EINVAL);	/* one node only */
	assert_int_equal(create_context(f, p, dev, 0xffffffff, 1, &ctx), -EINVAL);
	assert_int_equal(create_context(f, p, dev, 0, 2, &ctx), -EINVAL);	/* one engine */
	assert_int_equal(create_context(f, p, dev, 0, 0, &ctx), 0);
	assert_int_equal(create_context(f, p, dev, 0, 1, &ctx2), 0);
	assert_int_not_equal(ctx, ctx2);
	/* Destroying the device takes its contexts along. */
	assert_int_equal(destroy(f, DXGW_OP_DESTROY_DEVICE, p, dev), 0);
	assert_int_equal(destroy(f, DXGW_OP_DESTROY_CONTEXT, p, ctx), -EINVAL);
	assert_int_equal(destroy(f, DXGW_OP_DESTROY_CONTEXT, p, ctx2), -EINVAL);
	assert_int_equal(f->vm.counters.contexts, 0);
}

static void test_quotas(void **state)
{
	struct dxg_vm_limits limits = DXG_VM_DEFAULT_LIMITS;
	struct fixture *f;
	uint32_t p, a, dev[3], ctx[3];

	(void)state;
	limits.max_processes = 2;
	limits.max_devices = 2;
	limits.max_contexts = 2;
	limits.max_adapter_refs = 2;
	f = setup_limits(&limits);
	a = f->vm.adapters[0].handle;
	p = create_process(f, "q1");
	create_process(f, "q2");
	{
		struct dxgw_create_process_req req = { .pid = 1 };

		assert_int_equal(request(f, DXGW_OP_CREATE_PROCESS, 0, &req, sizeof(req)), -ENOMEM);
	}
	assert_int_equal(adapter_op(f, DXGW_OP_OPEN_ADAPTER, p, a), 0);
	assert_int_equal(adapter_op(f, DXGW_OP_OPEN_ADAPTER, p, a), 0);
	assert_int_equal(adapter_op(f, DXGW_OP_OPEN_ADAPTER, p, a), -ENOMEM);
	assert_int_equal(create_device(f, p, a, &dev[0]), 0);
	assert_int_equal(create_device(f, p, a, &dev[1]), 0);
	assert_int_equal(create_device(f, p, a, &dev[2]), -ENOMEM);
	assert_int_equal(create_context(f, p, dev[0], 0, 1, &ctx[0]), 0);
	assert_int_equal(create_context(f, p, dev[1], 0, 1, &ctx[1]), 0);
	assert_int_equal(create_context(f, p, dev[1], 0, 1, &ctx[2]), -ENOMEM);
	/* Freeing gives the quota back exactly. */
	assert_int_equal(destroy(f, DXGW_OP_DESTROY_CONTEXT, p, ctx[0]), 0);
	assert_int_equal(create_context(f, p, dev[1], 0, 1, &ctx[2]), 0);
	assert_int_equal(destroy(f, DXGW_OP_DESTROY_DEVICE, p, dev[0]), 0);
	assert_int_equal(create_device(f, p, a, &dev[2]), 0);
	teardown((void **)&f);
}

/* The VM-wide cap on adapter references holds across processes and adapters. */
static void test_open_adapter_vm_quota(void **state)
{
	struct dxg_vm_limits limits = DXG_VM_DEFAULT_LIMITS;
	struct fixture *f;
	uint32_t p1, p2, a0, a1;

	(void)state;
	limits.max_open_adapters = 3;
	f = setup_limits(&limits);
	a0 = f->vm.adapters[0].handle;
	a1 = f->vm.adapters[1].handle;
	p1 = create_process(f, "r1");
	p2 = create_process(f, "r2");
	assert_int_equal(adapter_op(f, DXGW_OP_OPEN_ADAPTER, p1, a0), 0);
	assert_int_equal(adapter_op(f, DXGW_OP_OPEN_ADAPTER, p1, a1), 0);
	assert_int_equal(adapter_op(f, DXGW_OP_OPEN_ADAPTER, p2, a0), 0);
	assert_int_equal(adapter_op(f, DXGW_OP_OPEN_ADAPTER, p2, a1), -ENOMEM);
	assert_int_equal(f->vm.counters.open_adapters, 3);
	/* Closing gives the reference back exactly. */
	assert_int_equal(adapter_op(f, DXGW_OP_CLOSE_ADAPTER, p1, a1), 0);
	assert_int_equal(adapter_op(f, DXGW_OP_OPEN_ADAPTER, p2, a1), 0);
	teardown((void **)&f);
}

static void test_qai_requires_open_adapter(void **state)
{
	struct fixture *f = *state;
	const uint32_t a = f->vm.adapters[0].handle;
	uint32_t p = create_process(f, "qai");

	assert_int_equal(qai(f, p, a, KMTQAITYPE_ADAPTERTYPE_RENDER, NULL, 4), -EINVAL);
	assert_int_equal(adapter_op(f, DXGW_OP_OPEN_ADAPTER, p, a), 0);
	assert_int_equal(qai(f, p, a, KMTQAITYPE_ADAPTERTYPE_RENDER, NULL, 4), 0);
	assert_int_equal(qai(f, p, f->vm.adapters[1].handle, KMTQAITYPE_ADAPTERTYPE_RENDER, NULL, 4),
			 -EINVAL);
	assert_int_equal(qai(f, p, p, KMTQAITYPE_ADAPTERTYPE_RENDER, NULL, 4), -EINVAL);
}

static void test_qai_types(void **state)
{
	struct fixture *f = *state;
	const uint32_t a0 = f->vm.adapters[0].handle, a1 = f->vm.adapters[1].handle;
	uint32_t p = create_process(f, "qai");
	const unsigned char *d;
	uint32_t v;

	assert_int_equal(adapter_op(f, DXGW_OP_OPEN_ADAPTER, p, a0), 0);
	assert_int_equal(adapter_op(f, DXGW_OP_OPEN_ADAPTER, p, a1), 0);

	/* Adapter type: paravirtualized (7) | compute only (11) | software device (2) for a CPU. */
	assert_int_equal(qai(f, p, a0, KMTQAITYPE_ADAPTERTYPE, NULL, 4), 0);
	memcpy(&v, qai_data(f), 4);
	assert_int_equal(dxg_from_le32(v), 0x884);
	assert_int_equal(qai(f, p, a1, KMTQAITYPE_ADAPTERTYPE_RENDER, NULL, 4), 0);
	memcpy(&v, qai_data(f), 4);
	assert_int_equal(dxg_from_le32(v), 0x880);

	/* Device ids: index 0 only; everything but vendor and device zero. */
	{
		unsigned char in[sizeof(struct d3dkmt_query_device_ids)] = { 0 };
		uint32_t out[7];

		assert_int_equal(qai(f, p, a0, KMTQAITYPE_PHYSICALADAPTERDEVICEIDS, in, sizeof(in)), 0);
		memcpy(out, qai_data(f), sizeof(out));
		assert_int_equal(out[0], 0);
		assert_int_equal(out[1], 0x10005);
		assert_int_equal(out[2], 0x1234);
		for (int i = 3; i < 7; i++)
			assert_int_equal(out[i], 0);
		in[0] = 1;
		assert_int_equal(qai(f, p, a0, KMTQAITYPE_PHYSICALADAPTERDEVICEIDS, in, sizeof(in)), -EINVAL);
	}

	/* Driver description: UTF-16LE of the name (with a surrogate pair), zero padded. */
	{
		static const uint16_t expect[] = { 'f', 'a', 'k', 'e', ' ', 'c', 'p', 'u', ' ', 'd',
			'e', 'v', 'i', 'c', 'e', ' ', 0x00e9, 0x20ac, 0xd83d, 0xde00, 0 };

		assert_int_equal(qai(f, p, a0, KMTQAITYPE_DRIVER_DESCRIPTION, NULL, 8192), 0);
		d = qai_data(f);
		for (size_t i = 0; i < sizeof(expect) / sizeof(expect[0]); i++) {
			uint16_t c;

			memcpy(&c, d + 2 * i, 2);
			assert_int_equal(dxg_from_le16(c), expect[i]);
		}
		for (size_t i = sizeof(expect); i < 8192; i++)
			assert_int_equal(d[i], 0);
		assert_int_equal(qai(f, p, a1, KMTQAITYPE_DRIVER_DESCRIPTION_RENDER, NULL, 8192), 0);
		assert_int_equal(qai_data(f)[0], 'f');
		assert_int_equal(qai_data(f)[2], 'a');
	}

	assert_int_equal(qai(f, p, a0, KMTQAITYPE_WDDM_2_7_CAPS, NULL, 4), 0);
	memcpy(&v, qai_data(f), 4);
	assert_int_equal(dxg_from_le32(v), 0x3);
}

static void test_qai_opendxg_types(void **state)
{
	struct fixture *f = *state;
	const uint32_t a = f->vm.adapters[0].handle;
	uint32_t p = create_process(f, "caps");
	struct opendxg_adapter_caps caps;
	struct opendxg_vm_stats stats;
	uint32_t dev;

	assert_int_equal(adapter_op(f, DXGW_OP_OPEN_ADAPTER, p, a), 0);
	assert_int_equal(qai(f, p, a, OPENDXG_QAI_ADAPTER_CAPS, NULL, sizeof(caps)), 0);
	memcpy(&caps, qai_data(f), sizeof(caps));
	assert_int_equal(caps.version, 1);
	assert_int_equal(caps.size, sizeof(caps));
	assert_int_equal(caps.vendor_id, 0x10005);
	assert_int_equal(caps.device_id, 0x1234);
	assert_int_equal(caps.device_type, OPENDXG_DEVICE_TYPE_CPU);
	assert_int_equal(caps.flags, OPENDXG_CAPS_COMPUTE_ONLY | OPENDXG_CAPS_SOFTWARE |
				     OPENDXG_CAPS_EXTERNAL_MEMORY_HOST);
	assert_true(caps.device_local_bytes == 1ull << 33);
	assert_true(caps.host_visible_bytes == 1u << 20);
	assert_int_equal(caps.max_workgroup_size[1], 512);
	assert_int_equal(caps.max_workgroup_invocations, 1024);
	assert_int_equal(caps.max_shared_memory, 32768);
	assert_int_equal(caps.subgroup_size, 8);
	assert_int_equal(caps.timestamp_period_ps, 1500);
	assert_int_equal(caps.device_uuid[0], 1);
	assert_string_equal(caps.driver_name, "fakedrv");
	assert_int_equal(strncmp(caps.device_name, "fake cpu device", 15), 0);
	assert_int_equal(caps.max_workgroup_count[0], 65535);
	assert_int_equal(caps.max_workgroup_count[1], 4096);
	assert_int_equal(caps.max_workgroup_count[2], 16);
	assert_int_equal(caps.max_binding_size, 128u << 20);
	assert_int_equal(caps.max_push_constants, 256);
	assert_int_equal(caps.timestamp_valid_bits, 48);
	assert_int_equal(caps.reserved0, 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(caps.reserved[i], 0);

	assert_int_equal(create_device(f, p, a, &dev), 0);
	assert_int_equal(qai(f, p, a, OPENDXG_QAI_VM_STATS, NULL, sizeof(stats)), 0);
	memcpy(&stats, qai_data(f), sizeof(stats));
	assert_int_equal(stats.version, 1);
	assert_int_equal(stats.size, sizeof(stats));
	assert_int_equal(stats.generation, 9);
	assert_int_equal(stats.processes, 1);
	assert_int_equal(stats.open_adapters, 1);
	assert_int_equal(stats.devices, 1);
	assert_int_equal(stats.contexts, 0);
	assert_int_equal(stats.handles, 2 + 2);
	assert_true(stats.requests == f->vm.counters.requests);
	assert_true(stats.rejected == 0);
}

static void test_qai_wrong_sizes_and_types(void **state)
{
	struct fixture *f = *state;
	const uint32_t a = f->vm.adapters[0].handle;
	uint32_t p = create_process(f, "sizes");
	static const struct {
		uint32_t type, size;
	} good[] = {
		{ KMTQAITYPE_ADAPTERTYPE, 4 },
		{ KMTQAITYPE_ADAPTERTYPE_RENDER, 4 },
		{ KMTQAITYPE_PHYSICALADAPTERDEVICEIDS, sizeof(struct d3dkmt_query_device_ids) },
		{ KMTQAITYPE_DRIVER_DESCRIPTION, 8192 },
		{ KMTQAITYPE_DRIVER_DESCRIPTION_RENDER, 8192 },
		{ KMTQAITYPE_WDDM_2_7_CAPS, 4 },
	};
	static const uint32_t unknown[] = { 0, 1, 14, 16, 58, 64, 67, 71, 0x4f440000, 0x4f440003 };

	assert_int_equal(adapter_op(f, DXGW_OP_OPEN_ADAPTER, p, a), 0);
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		unsigned char zeros[8192 + 8] = { 0 };

		assert_int_equal(qai(f, p, a, good[i].type, zeros, good[i].size), 0);
		assert_int_equal(qai(f, p, a, good[i].type, zeros, good[i].size - 1), -EINVAL);
		assert_int_equal(qai(f, p, a, good[i].type, zeros, good[i].size + 1), -EINVAL);
		assert_int_equal(qai(f, p, a, good[i].type, zeros, good[i].size + 8), -EINVAL);
	}
	for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++)
		assert_int_equal(qai(f, p, a, unknown[i], NULL, 4), -EINVAL);
}

/*
 * opendxg's own queries take any size from the version and size words up: an older caller gets
 * a prefix, a newer caller's tail stays zero, and `size` says how much the host filled.
 */
static void test_qai_opendxg_sizes(void **state)
{
	struct fixture *f = *state;
	const uint32_t a = f->vm.adapters[0].handle;
	uint32_t p = create_process(f, "versioned");
	static const struct {
		uint32_t type, size;
	} types[] = {
		{ OPENDXG_QAI_ADAPTER_CAPS, sizeof(struct opendxg_adapter_caps) },
		{ OPENDXG_QAI_VM_STATS, sizeof(struct opendxg_vm_stats) },
	};

	assert_int_equal(adapter_op(f, DXGW_OP_OPEN_ADAPTER, p, a), 0);
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		const uint32_t full = types[i].size;
		const uint32_t sizes[] = { 8, 12, full - 4, full, full + 4, full + 64 };
		const unsigned char *d;

		assert_int_equal(qai(f, p, a, types[i].type, NULL, 7), -EINVAL);
		assert_int_equal(qai(f, p, a, types[i].type, NULL, 4), -EINVAL);
		for (size_t j = 0; j < sizeof(sizes) / sizeof(sizes[0]); j++) {
			uint32_t want = sizes[j] < full ? sizes[j] : full;

			assert_int_equal(qai(f, p, a, types[i].type, NULL, sizes[j]), 0);
			d = qai_data(f);
			assert_int_equal(dxg_get_le32(d), 1);		/* version */
			assert_int_equal(dxg_get_le32(d + 4), want);	/* size filled */
			for (uint32_t k = full; k < sizes[j]; k++)
				assert_int_equal(d[k], 0);
		}
	}
}

static void test_rejections_counted(void **state)
{
	struct fixture *f = *state;
	unsigned char rec[32] = { 0 };
	struct dxgw_hdr h;
	uint64_t before = f->vm.counters.rejected;

	/* Unknown opcode: answered (-ENOSYS), counted. */
	assert_int_equal(request(f, 0x0666, 0, NULL, 0), -ENOSYS);
	/* A body where none belongs: -EINVAL, counted. */
	assert_int_equal(request(f, DXGW_OP_NOP, 0, "12345678", 8), -EINVAL);
	/* Semantic failures are not malformed requests. */
	assert_int_equal(request(f, DXGW_OP_DESTROY_PROCESS, 0x40000080, NULL, 0), -EINVAL);
	assert_true(f->vm.counters.rejected == before + 2);

	/* A record too short to carry a request id gets no reply at all. */
	memset(&h, 0, sizeof(h));
	h.size = 12;
	memcpy(rec, &h, sizeof(h));
	assert_int_equal(worker_dispatch(&f->vm, rec, 12, f->reply, sizeof(f->reply), &f->log), 0);
	assert_true(f->vm.counters.rejected == before + 3);
}

static void test_utf16_conversion(void **state)
{
	unsigned char out[16];
	uint16_t u[8];

	(void)state;
	/* Cut at a character boundary: a surrogate pair never gets split. */
	assert_int_equal(utf8_to_utf16le("ab\xf0\x9f\x98\x80", out, 4), 2);
	memcpy(u, out, 6);
	assert_int_equal(u[0], 'a');
	assert_int_equal(u[2], 0);
	/* Invalid input: stray continuation, overlong encoding, surrogate, truncated sequence. */
	assert_int_equal(utf8_to_utf16le("\x80\xc0\xaf\xed\xa0\x80\xe2\x82", out, 8), 4);
	memcpy(u, out, 10);
	assert_int_equal(u[0], 0xfffd);
	assert_int_equal(u[1], 0xfffd);
	assert_int_equal(u[2], 0xfffd);
	assert_int_equal(u[3], 0xfffd);
	assert_int_equal(u[4], 0);
	assert_int_equal(utf8_to_utf16le("", out, 1), 0);
}

static void test_luid_derivation(void **state)
{
	uint8_t uuid[16] = { 0 };
	uint32_t lo1, hi1, lo2, hi2;

	(void)state;
	vk_backend_derive_luid(1, uuid, &lo1, &hi1);
	vk_backend_derive_luid(1, uuid, &lo2, &hi2);
	assert_int_equal(lo1, lo2);	/* stable */
	assert_int_equal(hi1, hi2);
	vk_backend_derive_luid(2, uuid, &lo2, &hi2);
	assert_true(lo1 != lo2 || hi1 != hi2);	/* seeded */
	for (uint32_t s = 0; s < 1000; s++) {
		uuid[0] = (uint8_t)s;
		uuid[1] = (uint8_t)(s >> 8);
		vk_backend_derive_luid(s * 0x9e3779b97f4a7c15ull, uuid, &lo1, &hi1);
		assert_int_equal(hi1 & 0x80000000u, 0);
		assert_true(lo1 || hi1);
	}
}

static void test_region_layouts(void **state)
{
	struct region_layout l;

	(void)state;
	for (uint64_t size = 1u << 20; size <= (1ull << 36); size <<= 1) {
		assert_int_equal(region_layout_compute(size, &l), 0);
		assert_true(region_layout_valid(&l));
		assert_true(l.heap_size > 0);
		assert_true(l.request_size >= REGION_RING_MIN_DATA);
		assert_true(l.request_size <= REGION_RING_MAX_DATA);
		if (size >= (16u << 20))
			assert_int_equal(l.request_size, 1u << 20);
		/* Fence storage: region/32 in 16 KiB..16 MiB, right before the heap. */
		{
			uint64_t fence = size / 32;

			if (fence < (16u << 10))
				fence = 16u << 10;
			if (fence > (16u << 20))
				fence = 16u << 20;
			assert_true(l.fence_size == fence);
			assert_true(l.fence_offset + l.fence_size == l.heap_offset);
		}
	}
	/* The smallest region cannot hold a full-size message in half a 256 KiB ring. */
	assert_int_equal(region_layout_compute(1u << 20, &l), 0);
	assert_int_equal(l.max_message, 128u * 1024u - 8u);
	assert_true(l.heap_offset + l.heap_size == l.region_size);
	assert_int_equal(region_layout_compute(2u << 20, &l), 0);
	assert_int_equal(l.max_message, 128u * 1024u - 8u);
	assert_int_equal(region_layout_compute(8u << 20, &l), 0);
	assert_int_equal(l.max_message, DXGW_MAX_MESSAGE);

	assert_int_equal(region_layout_compute(0, &l), -EINVAL);
	assert_int_equal(region_layout_compute(1u << 19, &l), -EINVAL);
	assert_int_equal(region_layout_compute(3u << 20, &l), -EINVAL);
	assert_int_equal(region_layout_compute(1ull << 37, &l), -EINVAL);

	/* The validator catches overlaps and misalignment. */
	assert_int_equal(region_layout_compute(64u << 20, &l), 0);
	l.reply_data -= 64;
	assert_false(region_layout_valid(&l));
	assert_int_equal(region_layout_compute(64u << 20, &l), 0);
	l.heap_size += 4096;
	assert_false(region_layout_valid(&l));
	assert_int_equal(region_layout_compute(64u << 20, &l), 0);
	l.request_ctrl = 8;
	assert_false(region_layout_valid(&l));
	assert_int_equal(region_layout_compute(64u << 20, &l), 0);
	l.max_message = l.request_size;
	assert_false(region_layout_valid(&l));
}

/* Formats a region of @size in fresh memory; the caller frees the returned base. */
static unsigned char *format_region(uint64_t size, struct region_layout *l)
{
	unsigned char *base;

	assert_int_equal(region_layout_compute(size, l), 0);
	base = aligned_alloc(DXG_PAGE_SIZE, (size_t)size);
	assert_non_null(base);
	region_begin_init(base);
	region_format(base, -1, l, 7);
	return base;
}

/*
 * Every layout the worker writes must pass the guests' validator (dxg_region_parse(), used by the
 * kernel driver and the user-space guest) and come out as written.
 */
static void test_region_parse_accepts_worker_layouts(void **state)
{
	static const uint64_t sizes[] = { 1u << 20, 2u << 20, 8u << 20, 16u << 20, 64u << 20 };

	(void)state;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct region_layout l;
		struct dxg_region_layout parsed;
		unsigned char *base = format_region(sizes[i], &l);
		const char *why = "unset";

		assert_int_equal(dxg_region_parse((struct dxg_region_header *)base, sizes[i],
						  &parsed, &why), 0);
		assert_null(why);
		assert_int_equal(parsed.generation, 7);
		assert_int_equal(parsed.max_message, l.max_message);
		assert_int_equal(parsed.ring_ctrl[0], l.request_ctrl);
		assert_int_equal(parsed.ring_data[0], l.request_data);
		assert_int_equal(parsed.ring_size[0], l.request_size);
		assert_int_equal(parsed.ring_ctrl[1], l.reply_ctrl);
		assert_int_equal(parsed.ring_data[1], l.reply_data);
		assert_int_equal(parsed.ring_size[1], l.reply_size);
		assert_int_equal(parsed.heap_offset, l.heap_offset);
		assert_int_equal(parsed.heap_size, l.heap_size);
		/* The mapping size is part of the check. */
		assert_int_equal(dxg_region_parse((struct dxg_region_header *)base, sizes[i] / 2,
						  &parsed, &why), -EPROTO);
		free(base);
	}
}

/* One corruption of a valid header and the error the validator must give for it. */
struct header_corruption {
	const char *name;
	void (*apply)(struct dxg_region_header *h, const struct region_layout *l);
	int error;
};

static void bad_magic(struct dxg_region_header *h, const struct region_layout *l)
{
	(void)l;
	h->magic ^= dxg_to_le64(1);
}

static void next_major(struct dxg_region_header *h, const struct region_layout *l)
{
	(void)l;
	h->version = dxg_to_le32((DXG_PROTOCOL_MAJOR + 1) << 16);
}

static void newer_minor(struct dxg_region_header *h, const struct region_layout *l)
{
	(void)l;
	h->version = dxg_to_le32(DXG_PROTOCOL_VERSION + 1);
	h->reserved[3] = dxg_to_le64(42);	/* a later minor version may use reserved words */
}

static void small_header(struct dxg_region_header *h, const struct region_layout *l)
{
	(void)l;
	h->header_size = dxg_to_le32(128);
}

static void tiny_max_message(struct dxg_region_header *h, const struct region_layout *l)
{
	(void)l;
	h->max_message_size = dxg_to_le32(DXG_REGION_MIN_MESSAGE - 8);
}

static void huge_max_message(struct dxg_region_header *h, const struct region_layout *l)
{
	/* Still within DXG_REGION_MAX_MESSAGE, but two records no longer fit in the ring. */
	h->max_message_size = dxg_to_le32(l->request_size / 2);
}

static void ring_not_power_of_two(struct dxg_region_header *h, const struct region_layout *l)
{
	h->reply_ring.data_size = dxg_to_le32(l->reply_size - 4096);
}

static void ring_past_end(struct dxg_region_header *h, const struct region_layout *l)
{
	h->request_ring.data_offset = dxg_to_le64(l->region_size - l->request_size / 2);
}

static void ring_offset_wraps(struct dxg_region_header *h, const struct region_layout *l)
{
	(void)l;
	h->request_ring.data_offset = dxg_to_le64(UINT64_MAX - 63);
}

static void ctrl_in_header(struct dxg_region_header *h, const struct region_layout *l)
{
	(void)l;
	h->reply_ring.ctrl_offset = dxg_to_le64(64);
}

static void ctrl_misaligned(struct dxg_region_header *h, const struct region_layout *l)
{
	h->reply_ring.ctrl_offset = dxg_to_le64(l->reply_ctrl + 8);
}

static void rings_overlap(struct dxg_region_header *h, const struct region_layout *l)
{
	h->reply_ring.data_offset = dxg_to_le64(l->request_data);
}

static void heap_over_ring(struct dxg_region_header *h, const struct region_layout *l)
{
	h->heap_offset = dxg_to_le64(l->reply_data);
}

static void heap_misaligned(struct dxg_region_header *h, const struct region_layout *l)
{
	h->heap_size = dxg_to_le64(l->heap_size - 64);
}

static void test_region_parse_rejects_corruption(void **state)
{
	static const struct header_corruption cases[] = {
		{ "bad magic", bad_magic, -EPROTO },
		{ "next major version", next_major, -EPROTONOSUPPORT },
		{ "newer minor version with reserved words in use", newer_minor, 0 },
		{ "header smaller than the struct", small_header, -EPROTO },
		{ "max_message below one page", tiny_max_message, -EPROTO },
		{ "max_message too large for the rings", huge_max_message, -EPROTO },
		{ "ring size not a power of two", ring_not_power_of_two, -EPROTO },
		{ "ring data past the end", ring_past_end, -EPROTO },
		{ "ring offset that wraps", ring_offset_wraps, -EPROTO },
		{ "control block inside the header", ctrl_in_header, -EPROTO },
		{ "misaligned control block", ctrl_misaligned, -EPROTO },
		{ "overlapping rings", rings_overlap, -EPROTO },
		{ "heap over a ring", heap_over_ring, -EPROTO },
		{ "heap not page sized", heap_misaligned, -EPROTO },
	};
	struct region_layout l;
	unsigned char *base = format_region(8u << 20, &l);

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct dxg_region_header copy;
		struct dxg_region_layout parsed;
		const char *why = NULL;
		int ret;

		memcpy(&copy, base, sizeof(copy));
		cases[i].apply(&copy, &l);
		ret = dxg_region_parse(&copy, l.region_size, &parsed, &why);
		if (ret != cases[i].error)
			fail_msg("%s: got %d, want %d", cases[i].name, ret, cases[i].error);
		if (ret && !why)
			fail_msg("%s: rejected without a reason", cases[i].name);
	}
	free(base);
}

/*
 * The ring control blocks are guest-writable from the moment the region exists: whatever a guest
 * stores there between region_format() and the worker attaching its rings (here: misaligned
 * indices) must not fail the attach, or a guest could make every new worker exit at start-up.
 */
static void test_region_attach_ignores_shared_indices(void **state)
{
	struct region_layout l;
	struct dxg_ring requests, replies, probe;
	unsigned char *base;
	struct dxg_ring_ctrl *req_ctrl, *rep_ctrl;

	(void)state;
	assert_int_equal(region_layout_compute(1u << 20, &l), 0);
	base = aligned_alloc(DXG_PAGE_SIZE, (size_t)l.region_size);
	assert_non_null(base);
	/* fd -1: no hole punching, the formatter falls back to writing zeros. */
	region_begin_init(base);
	region_format(base, -1, &l, 3);
	req_ctrl = (struct dxg_ring_ctrl *)(base + l.request_ctrl);
	rep_ctrl = (struct dxg_ring_ctrl *)(base + l.reply_ctrl);
	req_ctrl->head = dxg_to_le32(4);
	req_ctrl->tail = dxg_to_le32(0xfffffffdu);
	rep_ctrl->head = dxg_to_le32(12);
	rep_ctrl->tail = dxg_to_le32(0x80000004u);

	/* What attaching straight to the shared blocks would do. */
	assert_int_equal(dxg_ring_attach(&probe, rep_ctrl, base + l.reply_data, l.reply_size,
					 l.max_message, true), -EPROTO);

	memset(&requests, 0xa5, sizeof(requests));
	memset(&replies, 0xa5, sizeof(replies));
	assert_int_equal(region_attach_rings(base, &l, &requests, &replies), 0);
	assert_ptr_equal(requests.ctrl, req_ctrl);
	assert_ptr_equal(requests.data, base + l.request_data);
	assert_int_equal(requests.size, l.request_size);
	assert_int_equal(requests.max_payload, l.max_message);
	assert_int_equal(requests.local, 0);
	assert_ptr_equal(replies.ctrl, rep_ctrl);
	assert_ptr_equal(replies.data, base + l.reply_data);
	assert_int_equal(replies.size, l.reply_size);
	assert_int_equal(replies.max_payload, l.max_message);
	assert_int_equal(replies.local, 0);
	/* Nothing was written into the shared blocks either. */
	assert_int_equal(dxg_from_le32(req_ctrl->head), 4);
	assert_int_equal(dxg_from_le32(rep_ctrl->tail), 0x80000004u);

	/* A layout whose rings cannot be attached is a host bug, reported as such. */
	l.max_message = l.request_size;
	assert_int_equal(region_attach_rings(base, &l, &requests, &replies), -EINVAL);
	free(base);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_connect, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nop_and_enum, setup, teardown),
		cmocka_unit_test_setup_teardown(test_process_lifecycle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_process_handles, setup, teardown),
		cmocka_unit_test_setup_teardown(test_adapter_references, setup, teardown),
		cmocka_unit_test_setup_teardown(test_foreign_handles, setup, teardown),
		cmocka_unit_test_setup_teardown(test_context_arguments, setup, teardown),
		cmocka_unit_test(test_quotas),
		cmocka_unit_test_setup_teardown(test_qai_requires_open_adapter, setup, teardown),
		cmocka_unit_test_setup_teardown(test_qai_types, setup, teardown),
		cmocka_unit_test_setup_teardown(test_qai_opendxg_types, setup, teardown),
		cmocka_unit_test_setup_teardown(test_qai_wrong_sizes_and_types, setup, teardown),
		cmocka_unit_test_setup_teardown(test_qai_opendxg_sizes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rejections_counted, setup, teardown),
		cmocka_unit_test(test_utf16_conversion),
		cmocka_unit_test(test_luid_derivation),
		cmocka_unit_test(test_region_layouts),
		cmocka_unit_test(test_region_attach_ignores_shared_indices),
		cmocka_unit_test(test_open_adapter_vm_quota),
		cmocka_unit_test(test_region_parse_accepts_worker_layouts),
		cmocka_unit_test(test_region_parse_rejects_corruption),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
