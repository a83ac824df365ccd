// SPDX-License-Identifier: MIT
/*
 * fuzz-seeds: writes the seed corpus of a fuzzer into a directory.
 *
 *   fuzz-seeds dispatch DIR    valid messages of every opcode, whole object lifecycles, quota
 *                              runs and a few malformed records (input format: fuzz_vm.h)
 *   fuzz-seeds ring DIR        record streams for each fuzz-ring scenario (format: fuzz_ring.c)
 *
 * Dispatch seeds are built by running each request on the same fake VM the fuzzer uses and taking
 * the handles from the replies, so the seeds stay valid when handle allocation changes. Generating
 * them (instead of keeping binary files) keeps them in step with include/opendxg/wire.h.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <misc/d3dkmthk.h>
#include <misc/opendxg.h>
#include <opendxg/ring.h>
#include <opendxg/wire.h>

#include "fuzz_vm.h"
#include "memory.h"
#include "worker_dispatch.h"

struct bytes {
	unsigned char *data;
	size_t len, cap;
};

static void bytes_put(struct bytes *b, const void *p, size_t n)
{
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 256;

		while (cap < b->len + n)
			cap *= 2;
		b->data = realloc(b->data, cap);
		if (!b->data) {
			perror("fuzz-seeds");
			exit(1);
		}
		b->cap = cap;
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

static void bytes_u8(struct bytes *b, uint8_t v)
{
	bytes_put(b, &v, 1);
}

static void bytes_u16(struct bytes *b, uint16_t v)
{
	bytes_u8(b, (uint8_t)v);
	bytes_u8(b, (uint8_t)(v >> 8));
}

static void bytes_u32(struct bytes *b, uint32_t v)
{
	bytes_u16(b, (uint16_t)v);
	bytes_u16(b, (uint16_t)(v >> 16));
}

static const char *out_dir;
static unsigned seeds_written;

static void write_seed(const struct bytes *b, const char *name)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", out_dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(b->data, 1, b->len, f) != b->len || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
	seeds_written++;
}

/* ---- dispatch seeds ---- */

struct dispatch_seed {
	struct bytes input;
	struct fuzz_vm vm;
	uint64_t next_id;
	unsigned char *reply;
	uint32_t reply_cap;
	const char *name;
	uint32_t records;		/* as the harness counts them (fuzz_vm_after_record()) */
};

static void seed_begin(struct dispatch_seed *s, const char *name, uint8_t config)
{
	memset(&s->input, 0, sizeof(s->input));
	s->name = name;
	s->next_id = 1;
	s->records = 0;
	s->reply_cap = worker_dispatch_reply_cap(DXGW_MAX_MESSAGE);
	s->reply = malloc(s->reply_cap);
	if (!s->reply) {
		perror("fuzz-seeds");
		exit(1);
	}
	fuzz_vm_start(&s->vm, config);
	bytes_u8(&s->input, config);
}

static void seed_end(struct dispatch_seed *s)
{
	write_seed(&s->input, s->name);
	fuzz_vm_stop(&s->vm);
	free(s->input.data);
	free(s->reply);
}

/*
 * Appends one raw record (`raw`, then `extend_units` * 4096 zero bytes) and runs it on the VM.
 * Returns the reply status, or 1 for a record that gets no reply.
 */
static int seed_raw(struct dispatch_seed *s, const void *raw, uint16_t n, uint8_t extend_units)
{
	const uint32_t len = n + (uint32_t)extend_units * FUZZ_RECORD_EXTEND_UNIT;
	unsigned char *rec = calloc(1, len ? len : 1);
	dxg_le32 status;
	uint32_t reply_len;

	if (!rec) {
		perror("fuzz-seeds");
		exit(1);
	}
	memcpy(rec, raw, n);
	bytes_u16(&s->input, n);
	bytes_u8(&s->input, (uint8_t)(extend_units << FUZZ_RECORD_EXTEND_SHIFT));
	bytes_put(&s->input, raw, n);
	s->records++;
	/* The same steps as the harness, so the seed reaches the states it was written for. */
	if (fuzz_vm_guest_write(&s->vm, rec, len)) {
		free(rec);
		fuzz_vm_after_record(&s->vm, s->records);
		return 1;
	}
	reply_len = worker_dispatch(&s->vm.vm, rec, len, s->reply, s->reply_cap,
				    &s->vm.reject_log);
	/* As the worker does once the reply is out (PENDING restores); the fuzzer does the same. */
	memory_after_reply(&s->vm.vm);
	free(rec);
	fuzz_vm_after_record(&s->vm, s->records);
	if (reply_len < sizeof(struct dxgw_hdr))
		return 1;
	memcpy(&status, s->reply + offsetof(struct dxgw_hdr, status), sizeof(status));
	return (int)dxg_from_le32(status);
}

static int seed_request_ext(struct dispatch_seed *s, uint16_t opcode, uint32_t process,
			    const void *body, uint16_t body_len, uint8_t extend_units)
{
	unsigned char rec[sizeof(struct dxgw_hdr) + 1024];
	struct dxgw_hdr h;

	if (body_len > sizeof(rec) - sizeof(h)) {
		fprintf(stderr, "fuzz-seeds: %s: body of %u bytes too large\n", s->name, body_len);
		exit(1);
	}
	memset(&h, 0, sizeof(h));
	h.size = dxg_to_le32((uint32_t)sizeof(h) + body_len +
			     (uint32_t)extend_units * FUZZ_RECORD_EXTEND_UNIT);
	h.opcode = dxg_to_le16(opcode);
	h.request_id = dxg_to_le64(s->next_id++);
	h.process = dxg_to_le32(process);
	memcpy(rec, &h, sizeof(h));
	if (body_len)
		memcpy(rec + sizeof(h), body, body_len);
	return seed_raw(s, rec, (uint16_t)(sizeof(h) + body_len), extend_units);
}

static int seed_request(struct dispatch_seed *s, uint16_t opcode, uint32_t process,
			const void *body, uint16_t body_len)
{
	return seed_request_ext(s, opcode, process, body, body_len, 0);
}

/* The first u32 of the last reply's body: the handle a create returned. */
static uint32_t reply_handle(const struct dispatch_seed *s)
{
	dxg_le32 v;

	memcpy(&v, s->reply + sizeof(struct dxgw_hdr), sizeof(v));
	return dxg_from_le32(v);
}

static void expect(const struct dispatch_seed *s, int got, int want, const char *what)
{
	if (got != want) {
		fprintf(stderr, "fuzz-seeds: %s: %s returned %d, expected %d\n", s->name, what, got,
			want);
		exit(1);
	}
}

static void connect_vm(struct dispatch_seed *s)
{
	struct dxgw_connect_req req = { .guest_version = dxg_to_le32(DXG_PROTOCOL_VERSION) };

	expect(s, seed_request(s, DXGW_OP_CONNECT, 0, &req, sizeof(req)), 0, "CONNECT");
}

static uint32_t create_process(struct dispatch_seed *s, const char *name, int want)
{
	struct dxgw_create_process_req req = { .pid = dxg_to_le32(4242) };

	memcpy(req.name, name, strnlen(name, sizeof(req.name)));
	expect(s, seed_request(s, DXGW_OP_CREATE_PROCESS, 0, &req, sizeof(req)), want,
	       "CREATE_PROCESS");
	return want ? 0 : reply_handle(s);
}

static void adapter_op(struct dispatch_seed *s, uint16_t op, uint32_t process, uint32_t adapter,
		       int want)
{
	struct dxgw_adapter_req req = { .adapter = dxg_to_le32(adapter) };

	expect(s, seed_request(s, op, process, &req, sizeof(req)), want, "OPEN/CLOSE_ADAPTER");
}

static uint32_t create_device(struct dispatch_seed *s, uint32_t process, uint32_t adapter,
			      int want)
{
	struct dxgw_create_device_req req = { .adapter = dxg_to_le32(adapter) };

	expect(s, seed_request(s, DXGW_OP_CREATE_DEVICE, process, &req, sizeof(req)), want,
	       "CREATE_DEVICE");
	return want ? 0 : reply_handle(s);
}

static uint32_t create_context(struct dispatch_seed *s, uint32_t process, uint32_t device,
			       uint16_t priv_size, int want)
{
	struct {
		struct dxgw_create_context_req req;
		unsigned char priv[64];
	} msg;

	memset(&msg, 0x3c, sizeof(msg));
	msg.req.device = dxg_to_le32(device);
	msg.req.node_ordinal = 0;
	msg.req.engine_affinity = dxg_to_le32(1);
	msg.req.flags = dxg_to_le32(D3DDDI_CREATECONTEXT_FLAG_DISABLE_GPU_TIMEOUT);
	msg.req.client_hint = dxg_to_le32(3);
	msg.req.priv_size = dxg_to_le32(priv_size);
	expect(s, seed_request(s, DXGW_OP_CREATE_CONTEXT_VIRTUAL, process, &msg,
			       (uint16_t)(sizeof(msg.req) + priv_size)),
	       want, "CREATE_CONTEXT_VIRTUAL");
	return want ? 0 : reply_handle(s);
}

static void destroy(struct dispatch_seed *s, uint16_t op, uint32_t process, uint32_t handle,
		    int want)
{
	struct dxgw_destroy_req req = { .handle = dxg_to_le32(handle) };

	expect(s, seed_request(s, op, process, &req, sizeof(req)), want, "DESTROY");
}

/* QUERYADAPTERINFO with `size` bytes of zeroed data, carried as zero extension when large. */
static void query(struct dispatch_seed *s, uint32_t process, uint32_t adapter, uint32_t type,
		  uint32_t size, int want)
{
	struct {
		struct dxgw_query_adapter_info_req req;
		unsigned char data[512];
	} msg;
	const uint8_t units = (uint8_t)(size / FUZZ_RECORD_EXTEND_UNIT);
	const uint16_t inline_size = (uint16_t)(size % FUZZ_RECORD_EXTEND_UNIT);

	if (inline_size > sizeof(msg.data)) {
		fprintf(stderr, "fuzz-seeds: %s: query data of %u bytes too large\n", s->name,
			size);
		exit(1);
	}
	memset(&msg, 0, sizeof(msg));
	msg.req.adapter = dxg_to_le32(adapter);
	msg.req.type = dxg_to_le32(type);
	msg.req.data_size = dxg_to_le32(size);
	expect(s, seed_request_ext(s, DXGW_OP_QUERY_ADAPTER_INFO, process, &msg,
				   (uint16_t)(sizeof(msg.req) + inline_size), units),
	       want, "QUERY_ADAPTER_INFO");
}

static uint32_t adapter_handle(const struct dispatch_seed *s, uint32_t i)
{
	return s->vm.vm.adapters[i].handle;
}

static void dispatch_single_opcodes(void)
{
	struct dispatch_seed s;
	uint32_t p, d, c;

	seed_begin(&s, "op-connect", 1);
	connect_vm(&s);
	seed_end(&s);

	seed_begin(&s, "op-nop", 1);
	expect(&s, seed_request(&s, DXGW_OP_NOP, 0, NULL, 0), 0, "NOP");
	seed_end(&s);

	seed_begin(&s, "op-enum-adapters", 3);
	expect(&s, seed_request(&s, DXGW_OP_ENUM_ADAPTERS, 0, NULL, 0), 0, "ENUM_ADAPTERS");
	seed_end(&s);

	seed_begin(&s, "op-create-destroy-process", 1);
	p = create_process(&s, "proc", 0);
	expect(&s, seed_request(&s, DXGW_OP_DESTROY_PROCESS, p, NULL, 0), 0, "DESTROY_PROCESS");
	seed_end(&s);

	seed_begin(&s, "op-open-close-adapter", 1);
	p = create_process(&s, "adapter", 0);
	adapter_op(&s, DXGW_OP_OPEN_ADAPTER, p, adapter_handle(&s, 0), 0);
	adapter_op(&s, DXGW_OP_CLOSE_ADAPTER, p, adapter_handle(&s, 0), 0);
	seed_end(&s);

	seed_begin(&s, "op-device", 1);
	p = create_process(&s, "device", 0);
	adapter_op(&s, DXGW_OP_OPEN_ADAPTER, p, adapter_handle(&s, 0), 0);
	d = create_device(&s, p, adapter_handle(&s, 0), 0);
	destroy(&s, DXGW_OP_DESTROY_DEVICE, p, d, 0);
	seed_end(&s);

	seed_begin(&s, "op-context", 1);
	p = create_process(&s, "context", 0);
	adapter_op(&s, DXGW_OP_OPEN_ADAPTER, p, adapter_handle(&s, 0), 0);
	d = create_device(&s, p, adapter_handle(&s, 0), 0);
	c = create_context(&s, p, d, 0, 0);
	destroy(&s, DXGW_OP_DESTROY_CONTEXT, p, c, 0);
	seed_end(&s);
}

static void dispatch_queries(void)
{
	static const struct {
		const char *name;
		uint32_t type, size;
	} types[] = {
		{ "qai-adaptertype", KMTQAITYPE_ADAPTERTYPE, 4 },
		{ "qai-adaptertype-render", KMTQAITYPE_ADAPTERTYPE_RENDER, 4 },
		{ "qai-device-ids", KMTQAITYPE_PHYSICALADAPTERDEVICEIDS,
		  sizeof(struct d3dkmt_query_device_ids) },
		{ "qai-driver-description", KMTQAITYPE_DRIVER_DESCRIPTION,
		  sizeof(struct d3dkmt_driver_description) },
		{ "qai-driver-description-render", KMTQAITYPE_DRIVER_DESCRIPTION_RENDER,
		  sizeof(struct d3dkmt_driver_description) },
		{ "qai-wddm27-caps", KMTQAITYPE_WDDM_2_7_CAPS, 4 },
		{ "qai-opendxg-caps", OPENDXG_QAI_ADAPTER_CAPS,
		  sizeof(struct opendxg_adapter_caps) },
		{ "qai-opendxg-vm-stats", OPENDXG_QAI_VM_STATS, sizeof(struct opendxg_vm_stats) },
	};

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		struct dispatch_seed s;
		uint32_t p;

		/* Three adapters: the query runs on each, so every fake name gets converted. */
		seed_begin(&s, types[i].name, 3);
		p = create_process(&s, "qai", 0);
		for (uint32_t a = 0; a < 3; a++) {
			adapter_op(&s, DXGW_OP_OPEN_ADAPTER, p, adapter_handle(&s, a), 0);
			query(&s, p, adapter_handle(&s, a), types[i].type, types[i].size, 0);
		}
		seed_end(&s);
	}
}

/* The guest driver's usual life: the sequence the brief's host tests also run. */
static void dispatch_lifecycles(void)
{
	struct dispatch_seed s;
	uint32_t p, p2, d, d2, c, c2, a0, a1;

	seed_begin(&s, "life-full", 2 | FUZZ_VM_CONFIG_STATUS);
	a0 = adapter_handle(&s, 0);
	connect_vm(&s);
	p = create_process(&s, "app", 0);
	expect(&s, seed_request(&s, DXGW_OP_ENUM_ADAPTERS, 0, NULL, 0), 0, "ENUM_ADAPTERS");
	adapter_op(&s, DXGW_OP_OPEN_ADAPTER, p, a0, 0);
	query(&s, p, a0, KMTQAITYPE_ADAPTERTYPE, 4, 0);
	d = create_device(&s, p, a0, 0);
	c = create_context(&s, p, d, 16, 0);
	destroy(&s, DXGW_OP_DESTROY_CONTEXT, p, c, 0);
	destroy(&s, DXGW_OP_DESTROY_DEVICE, p, d, 0);
	adapter_op(&s, DXGW_OP_CLOSE_ADAPTER, p, a0, 0);
	expect(&s, seed_request(&s, DXGW_OP_DESTROY_PROCESS, p, NULL, 0), 0, "DESTROY_PROCESS");
	seed_end(&s);

	/* Teardown by cascade: closing the last adapter reference, CONNECT with live objects. */
	seed_begin(&s, "life-cascade", 2);
	a0 = adapter_handle(&s, 0);
	a1 = adapter_handle(&s, 1);
	p = create_process(&s, "cascade", 0);
	adapter_op(&s, DXGW_OP_OPEN_ADAPTER, p, a0, 0);
	adapter_op(&s, DXGW_OP_OPEN_ADAPTER, p, a0, 0);
	adapter_op(&s, DXGW_OP_OPEN_ADAPTER, p, a1, 0);
	d = create_device(&s, p, a0, 0);
	d2 = create_device(&s, p, a1, 0);
	c = create_context(&s, p, d, 0, 0);
	c2 = create_context(&s, p, d2, 8, 0);
	adapter_op(&s, DXGW_OP_CLOSE_ADAPTER, p, a0, 0);
	adapter_op(&s, DXGW_OP_CLOSE_ADAPTER, p, a0, 0);
	destroy(&s, DXGW_OP_DESTROY_CONTEXT, p, c, -EINVAL);
	destroy(&s, DXGW_OP_DESTROY_DEVICE, p, d, -EINVAL);
	(void)c2;
	connect_vm(&s);
	destroy(&s, DXGW_OP_DESTROY_DEVICE, p, d2, -EINVAL);
	seed_end(&s);

	/* One process names another's objects: every such request fails. */
	seed_begin(&s, "life-foreign", 1);
	a0 = adapter_handle(&s, 0);
	p = create_process(&s, "one", 0);
	p2 = create_process(&s, "two", 0);
	adapter_op(&s, DXGW_OP_OPEN_ADAPTER, p, a0, 0);
	adapter_op(&s, DXGW_OP_OPEN_ADAPTER, p2, a0, 0);
	d = create_device(&s, p, a0, 0);
	c = create_context(&s, p, d, 0, 0);
	destroy(&s, DXGW_OP_DESTROY_CONTEXT, p2, c, -EINVAL);
	destroy(&s, DXGW_OP_DESTROY_DEVICE, p2, d, -EINVAL);
	create_context(&s, p2, d, 0, -EINVAL);
	destroy(&s, DXGW_OP_DESTROY_DEVICE, p, c, -EINVAL);
	expect(&s, seed_request(&s, DXGW_OP_DESTROY_PROCESS, p, NULL, 0), 0, "DESTROY_PROCESS");
	destroy(&s, DXGW_OP_DESTROY_CONTEXT, p2, c, -EINVAL);
	seed_end(&s);

	/* Stale handles: destroy and recreate until slots are reused. */
	seed_begin(&s, "life-stale", 1);
	a0 = adapter_handle(&s, 0);
	p = create_process(&s, "stale", 0);
	adapter_op(&s, DXGW_OP_OPEN_ADAPTER, p, a0, 0);
	d = create_device(&s, p, a0, 0);
	for (int i = 0; i < 6; i++) {
		c = create_context(&s, p, d, 0, 0);
		destroy(&s, DXGW_OP_DESTROY_CONTEXT, p, c, 0);
		destroy(&s, DXGW_OP_DESTROY_CONTEXT, p, c, -EINVAL);
	}
	seed_end(&s);
}

/* ---- memory (0x04xx) ---- */

/*
 * The smallest compute module the host's SPIR-V gate accepts: OpCapability Shader, Logical
 * GLSL450, one GLCompute entry point "main" with LocalSize 1 1 1 and an empty body.
 */
static const uint32_t minimal_spirv[] = {
	0x07230203u, 0x00010300u, 0x00000000u, 0x00000005u, 0x00000000u,
	0x00020011u, 0x00000001u,				/* OpCapability Shader */
	0x0003000eu, 0x00000000u, 0x00000001u,			/* OpMemoryModel */
	0x0005000fu, 0x00000005u, 0x00000001u, 0x6e69616du, 0x00000000u,	/* OpEntryPoint */
	0x00060010u, 0x00000001u, 0x00000011u, 0x00000001u, 0x00000001u, 0x00000001u,
	0x00020013u, 0x00000002u,				/* %2 = OpTypeVoid */
	0x00030021u, 0x00000003u, 0x00000002u,			/* %3 = OpTypeFunction %2 */
	0x00050036u, 0x00000002u, 0x00000001u, 0x00000000u, 0x00000003u,
	0x000200f8u, 0x00000004u,				/* OpLabel */
	0x000100fdu,						/* OpReturn */
	0x00010038u,						/* OpFunctionEnd */
};

static void bytes_u64(struct bytes *b, uint64_t v)
{
	bytes_u32(b, (uint32_t)v);
	bytes_u32(b, (uint32_t)(v >> 32));
}

static void bytes_pad8(struct bytes *b)
{
	while (b->len % 8)
		bytes_u8(b, 0);
}

static void bytes_list(struct bytes *b, const uint32_t *v, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		bytes_u32(b, v[i]);
	bytes_pad8(b);
}

/* Sends the body built in `b` (then emptied); returns the status. */
static int mem_send(struct dispatch_seed *s, uint16_t op, uint32_t process, struct bytes *b)
{
	int ret = seed_request(s, op, process, b->data, (uint16_t)b->len);

	b->len = 0;
	return ret;
}

static uint32_t reply_u32(const struct dispatch_seed *s, size_t off)
{
	return dxg_get_le32(s->reply + sizeof(struct dxgw_hdr) + off);
}

static uint64_t reply_u64(const struct dispatch_seed *s, size_t off)
{
	return dxg_get_le64(s->reply + sizeof(struct dxgw_hdr) + off);
}

struct mem_desc {
	uint32_t kind;
	uint64_t size;
};

/* CREATE_ALLOCATION; PROGRAM descriptors carry minimal_spirv. handles[] gets the results. */
static uint32_t mem_create(struct dispatch_seed *s, uint32_t p, uint32_t d, uint32_t flags,
			   uint32_t resource, const char *runtime, const struct mem_desc *descs,
			   uint32_t n, uint32_t *handles, int want)
{
	struct bytes b = { 0 };
	uint32_t runtime_size = runtime ? (uint32_t)strlen(runtime) : 0;

	bytes_u32(&b, d);
	bytes_u32(&b, resource);
	bytes_u32(&b, flags);
	bytes_u32(&b, n);
	bytes_u32(&b, runtime_size);
	bytes_u32(&b, 0);
	if (runtime_size)
		bytes_put(&b, runtime, runtime_size);
	bytes_pad8(&b);
	for (uint32_t i = 0; i < n; i++) {
		bool program = descs[i].kind == OPENDXG_ALLOC_KIND_PROGRAM;

		bytes_u32(&b, descs[i].kind);
		bytes_u32(&b, 0);
		bytes_u64(&b, program ? sizeof(minimal_spirv) : descs[i].size);
		bytes_u32(&b, 0);
		bytes_u32(&b, program ? (uint32_t)sizeof(minimal_spirv) : 0);
	}
	for (uint32_t i = 0; i < n; i++) {
		if (descs[i].kind != OPENDXG_ALLOC_KIND_PROGRAM)
			continue;
		bytes_put(&b, minimal_spirv, sizeof(minimal_spirv));
		bytes_pad8(&b);
	}
	expect(s, mem_send(s, DXGW_OP_CREATE_ALLOCATION, p, &b), want, "CREATE_ALLOCATION");
	free(b.data);
	for (uint32_t i = 0; !want && handles && i < n; i++)
		handles[i] = reply_u32(s, 8 + 16 * i);
	return want ? 0 : reply_u32(s, 0);
}

static uint32_t mem_alloc(struct dispatch_seed *s, uint32_t p, uint32_t d, uint32_t kind,
			  uint64_t size, int want)
{
	const struct mem_desc desc = { kind, size };
	uint32_t h = 0;

	mem_create(s, p, d, 0, 0, NULL, &desc, 1, &h, want);
	return h;
}

/* DESTROY_ALLOCATION, EVICT, OFFER-style requests: fixed words, then a handle list. */
static void mem_list_req(struct dispatch_seed *s, uint16_t op, uint32_t p, const uint32_t *fixed,
			 uint32_t nfixed, const uint32_t *list, uint32_t n,
			 const uint32_t *values, uint32_t nvalues, int want, const char *what)
{
	struct bytes b = { 0 };

	for (uint32_t i = 0; i < nfixed; i++)
		bytes_u32(&b, fixed[i]);
	bytes_list(&b, list, n);
	if (values)
		bytes_list(&b, values, nvalues);
	expect(s, mem_send(s, op, p, &b), want, what);
	free(b.data);
}

struct mem_queue {
	uint32_t queue;
	uint32_t sync;
};

static struct mem_queue mem_queue(struct dispatch_seed *s, uint32_t p, uint32_t d)
{
	struct bytes b = { 0 };
	struct mem_queue q;

	bytes_u32(&b, d);
	bytes_u32(&b, 0);
	expect(s, mem_send(s, DXGW_OP_CREATE_PAGING_QUEUE, p, &b), 0, "CREATE_PAGING_QUEUE");
	free(b.data);
	q.queue = reply_u32(s, 0);
	q.sync = reply_u32(s, 4);
	return q;
}

static void mem_video(struct dispatch_seed *s, uint16_t op, uint32_t p, uint32_t adapter,
		      uint32_t group, uint64_t reservation, int want)
{
	struct bytes b = { 0 };

	bytes_u32(&b, adapter);
	bytes_u32(&b, group);
	bytes_u64(&b, reservation);
	expect(s, mem_send(s, op, p, &b), want, "video memory");
	free(b.data);
}

static uint64_t mem_reserve(struct dispatch_seed *s, uint32_t p, uint32_t adapter,
			    uint32_t queue, uint64_t base, uint64_t size, int want)
{
	struct bytes b = { 0 };

	bytes_u32(&b, adapter);
	bytes_u32(&b, queue);
	bytes_u64(&b, base);
	bytes_u64(&b, 0);
	bytes_u64(&b, 0);
	bytes_u64(&b, size);
	bytes_u32(&b, D3DDDIGPUVA_RESERVE_NO_ACCESS);
	bytes_u32(&b, 0);
	bytes_u64(&b, 0);
	expect(s, mem_send(s, DXGW_OP_RESERVE_GPU_VA, p, &b), want, "RESERVE_GPU_VA");
	free(b.data);
	return want ? 0 : reply_u64(s, 0);
}

static uint64_t mem_map(struct dispatch_seed *s, uint32_t p, uint32_t queue, uint32_t alloc,
			uint64_t base, uint64_t offset_pages, uint64_t pages, int want)
{
	struct bytes b = { 0 };

	bytes_u32(&b, queue);
	bytes_u32(&b, alloc);
	bytes_u64(&b, base);
	bytes_u64(&b, 0);
	bytes_u64(&b, 0);
	bytes_u64(&b, offset_pages);
	bytes_u64(&b, pages);
	bytes_u64(&b, D3DDDIGPUVA_PROTECTION_WRITE);
	bytes_u64(&b, 0);
	expect(s, mem_send(s, DXGW_OP_MAP_GPU_VA, p, &b), want, "MAP_GPU_VA");
	free(b.data);
	return want ? 0 : reply_u64(s, 0);
}

static void mem_va_op(struct bytes *b, uint32_t op, uint64_t base, uint64_t size, uint64_t dest,
		      uint32_t alloc, uint64_t protection)
{
	bytes_u32(b, op);
	bytes_u32(b, 0);
	bytes_u64(b, base);
	bytes_u64(b, size);
	bytes_u64(b, dest);
	bytes_u32(b, alloc);
	bytes_u32(b, 0);
	bytes_u64(b, 0);
	bytes_u64(b, protection);
	bytes_u64(b, 0);
}

/* Every memory opcode in a guest driver's order, ending with the device's cascade. */
static void dispatch_memory(void)
{
	const struct mem_desc resource_descs[3] = {
		{ OPENDXG_ALLOC_KIND_HOST_VISIBLE, 100 },
		{ OPENDXG_ALLOC_KIND_DEVICE_LOCAL, 5000 },
		{ OPENDXG_ALLOC_KIND_PROGRAM, 0 },
	};
	struct dispatch_seed s;
	struct mem_queue q;
	uint32_t p, d, a0, r, h[3], hv, dl, c;
	uint64_t va;

	seed_begin(&s, "mem-lifecycle", 1 | FUZZ_VM_CONFIG_STATUS);
	a0 = adapter_handle(&s, 0);
	p = create_process(&s, "mem", 0);
	adapter_op(&s, DXGW_OP_OPEN_ADAPTER, p, a0, 0);
	d = create_device(&s, p, a0, 0);
	r = mem_create(&s, p, d, D3DKMT_CREATEALLOCATION_FLAG_CREATE_RESOURCE, 0, "umd data",
		       resource_descs, 3, h, 0);
	hv = mem_alloc(&s, p, d, OPENDXG_ALLOC_KIND_HOST_VISIBLE, 70000, 0);
	dl = mem_alloc(&s, p, d, OPENDXG_ALLOC_KIND_DEVICE_LOCAL, 1, 0);
	{
		const uint32_t lock[4] = { d, hv, 0, 0 };

		mem_list_req(&s, DXGW_OP_LOCK, p, lock, 4, NULL, 0, NULL, 0, 0, "LOCK");
		mem_list_req(&s, DXGW_OP_UNLOCK, p, lock, 4, NULL, 0, NULL, 0, 0, "UNLOCK");
		mem_list_req(&s, DXGW_OP_UNLOCK, p, lock, 4, NULL, 0, NULL, 0, -EINVAL, "UNLOCK");
	}
	mem_video(&s, DXGW_OP_QUERY_VIDEO_MEMORY, p, a0, D3DKMT_MEMORY_SEGMENT_GROUP_LOCAL, 0, 0);
	mem_video(&s, DXGW_OP_CHANGE_RESERVATION, p, a0, D3DKMT_MEMORY_SEGMENT_GROUP_NON_LOCAL,
		  1 << 20, 0);
	mem_video(&s, DXGW_OP_QUERY_VIDEO_MEMORY, p, a0, D3DKMT_MEMORY_SEGMENT_GROUP_NON_LOCAL, 0,
		  0);
	{
		const uint32_t list_fixed[4] = { d, 0, 2, 0 };
		const uint32_t res_fixed[4] = { d, r, 0, 0 };
		const uint32_t two[2] = { hv, dl }, prio[2] = { 0x50000000, 0x60000000 };

		mem_list_req(&s, DXGW_OP_QUERY_RESIDENCY, p, list_fixed, 4, two, 2, NULL, 0, 0,
			     "QUERY_RESIDENCY");
		mem_list_req(&s, DXGW_OP_SET_PRIORITY, p, list_fixed, 4, two, 2, prio, 2, 0,
			     "SET_PRIORITY");
		mem_list_req(&s, DXGW_OP_GET_PRIORITY, p, res_fixed, 4, NULL, 0, NULL, 0, 0,
			     "GET_PRIORITY");
		mem_list_req(&s, DXGW_OP_SET_PRIORITY, p, res_fixed, 4, NULL, 0, prio, 1, 0,
			     "SET_PRIORITY resource");
		mem_list_req(&s, DXGW_OP_QUERY_RESIDENCY, p, res_fixed, 4, NULL, 0, NULL, 0, 0,
			     "QUERY_RESIDENCY resource");
	}
	q = mem_queue(&s, p, d);
	{
		const uint32_t mr[4] = { q.queue, 2, 0, 1 }, ev[4] = { d, 1, 0, 0 };
		const uint32_t two[2] = { hv, dl }, prio[2] = { 1, 2 };
		const uint32_t mr1[4] = { q.queue, 1, 0, 0 };

		mem_list_req(&s, DXGW_OP_MAKE_RESIDENT, p, mr, 4, two, 2, prio, 2, 0,
			     "MAKE_RESIDENT");
		mem_list_req(&s, DXGW_OP_EVICT, p, ev, 4, &dl, 1, NULL, 0, 0, "EVICT");
		mem_list_req(&s, DXGW_OP_EVICT, p, ev, 4, &dl, 1, NULL, 0, 0, "EVICT");
		mem_list_req(&s, DXGW_OP_EVICT, p, ev, 4, &dl, 1, NULL, 0, -EINVAL, "EVICT at 0");
		mem_list_req(&s, DXGW_OP_MAKE_RESIDENT, p, mr1, 4, &dl, 1, NULL, 0,
			     DXGW_STATUS_PENDING, "MAKE_RESIDENT (restore)");
	}
	{
		const uint32_t offer[6] = { d, 1, D3DKMT_OFFER_PRIORITY_LOW, 0, 0, 0 };
		const uint32_t offer_r[6] = { d, 1, D3DKMT_OFFER_PRIORITY_HIGH, 0, 1, 0 };
		const uint32_t reclaim[4] = { q.queue, 1, 0, 0 };
		const uint32_t reclaim_r[4] = { q.queue, 1, 1, 0 };
		const uint32_t prop[6] = { q.queue, dl, 0x1, 1, 1, 7 };

		mem_list_req(&s, DXGW_OP_OFFER, p, offer, 6, &dl, 1, NULL, 0, 0, "OFFER");
		mem_list_req(&s, DXGW_OP_OFFER, p, offer_r, 6, &r, 1, NULL, 0, 0, "OFFER resource");
		mem_list_req(&s, DXGW_OP_RECLAIM, p, reclaim, 4, &dl, 1, NULL, 0, 0, "RECLAIM");
		mem_list_req(&s, DXGW_OP_RECLAIM, p, reclaim_r, 4, &r, 1, NULL, 0, 0,
			     "RECLAIM resource");
		mem_list_req(&s, DXGW_OP_UPDATE_ALLOC_PROPERTY, p, prop, 6, NULL, 0, NULL, 0, 0,
			     "UPDATE_ALLOC_PROPERTY");
	}
	va = mem_reserve(&s, p, a0, 0, 0, 16 * 4096, 0);
	mem_reserve(&s, p, a0, 0, va + 4096, 4096, -EINVAL);
	mem_map(&s, p, q.queue, hv, va, 0, 16, 0);
	mem_map(&s, p, q.queue, hv, 0, 1, 2, 0);
	mem_map(&s, p, q.queue, hv, va, 18, 1, -EINVAL);	/* hv has 18 pages */
	c = create_context(&s, p, d, 0, 0);
	{
		struct bytes b = { 0 };

		bytes_u32(&b, d);
		bytes_u32(&b, c);
		bytes_u32(&b, q.sync);
		bytes_u32(&b, 4);
		bytes_u64(&b, 1);
		bytes_u32(&b, 0);
		bytes_u32(&b, 0);
		mem_va_op(&b, D3DDDI_UPDATEGPUVIRTUALADDRESS_UNMAP, va, 4096, 0, 0, 0);
		mem_va_op(&b, D3DDDI_UPDATEGPUVIRTUALADDRESS_MAP, va, 4096, 0, dl, 0);
		mem_va_op(&b, D3DDDI_UPDATEGPUVIRTUALADDRESS_COPY, va, 4096, va + 8 * 4096, 0, 0);
		mem_va_op(&b, D3DDDI_UPDATEGPUVIRTUALADDRESS_MAP_PROTECT, va + 4096, 4096, 0, hv,
			  D3DDDIGPUVA_PROTECTION_WRITE);
		expect(&s, mem_send(&s, DXGW_OP_UPDATE_GPU_VA, p, &b), 0, "UPDATE_GPU_VA");
		free(b.data);
	}
	{
		struct bytes b = { 0 };

		bytes_u32(&b, a0);
		bytes_u32(&b, 0);
		bytes_u64(&b, va);
		bytes_u64(&b, 16 * 4096);
		expect(&s, mem_send(&s, DXGW_OP_FREE_GPU_VA, p, &b), 0, "FREE_GPU_VA");
		free(b.data);
	}
	{
		const uint32_t destroy_list[4] = { d, 0, 1, 0 }, destroy_res[4] = { d, r, 0, 0 };

		mem_list_req(&s, DXGW_OP_DESTROY_ALLOCATION, p, destroy_list, 4, &h[0], 1, NULL, 0,
			     -EINVAL, "DESTROY_ALLOCATION of a resource member");
		mem_list_req(&s, DXGW_OP_DESTROY_ALLOCATION, p, destroy_list, 4, &hv, 1, NULL, 0, 0,
			     "DESTROY_ALLOCATION");
		mem_list_req(&s, DXGW_OP_DESTROY_ALLOCATION, p, destroy_res, 4, NULL, 0, NULL, 0, 0,
			     "DESTROY_ALLOCATION resource");
	}
	destroy(&s, DXGW_OP_DESTROY_PAGING_QUEUE, p, q.queue, 0);
	q = mem_queue(&s, p, d);
	/* The device takes the rest (dl, the new queue) with it. */
	destroy(&s, DXGW_OP_DESTROY_DEVICE, p, d, 0);
	seed_end(&s);

	/* Small memory quota (256 KiB, 8 allocations): refusals, discard under pressure, reclaim. */
	seed_begin(&s, "mem-quota", FUZZ_VM_CONFIG_SMALL_LIMITS | 1);
	a0 = adapter_handle(&s, 0);
	p = create_process(&s, "quota", 0);
	adapter_op(&s, DXGW_OP_OPEN_ADAPTER, p, a0, 0);
	d = create_device(&s, p, a0, 0);
	q = mem_queue(&s, p, d);
	dl = mem_alloc(&s, p, d, OPENDXG_ALLOC_KIND_DEVICE_LOCAL, 128 << 10, 0);
	hv = mem_alloc(&s, p, d, OPENDXG_ALLOC_KIND_HOST_VISIBLE, 128 << 10, 0);
	mem_alloc(&s, p, d, OPENDXG_ALLOC_KIND_HOST_VISIBLE, 1, -ENOMEM);
	{
		const uint32_t offer[6] = { d, 1, D3DKMT_OFFER_PRIORITY_LOW, 0, 0, 0 };
		const uint32_t reclaim[4] = { q.queue, 1, 0, 0 };
		const uint32_t destroy_list[4] = { d, 0, 1, 0 };
		const uint32_t residency[4] = { d, 0, 1, 0 };
		uint32_t hv64;

		mem_list_req(&s, DXGW_OP_OFFER, p, offer, 6, &dl, 1, NULL, 0, 0, "OFFER");
		/* Fits only by discarding the offered allocation. */
		hv64 = mem_alloc(&s, p, d, OPENDXG_ALLOC_KIND_HOST_VISIBLE, 64 << 10, 0);
		mem_list_req(&s, DXGW_OP_QUERY_RESIDENCY, p, residency, 4, &dl, 1, NULL, 0, 0,
			     "QUERY_RESIDENCY of a discarded allocation");
		mem_list_req(&s, DXGW_OP_RECLAIM, p, reclaim, 4, &dl, 1, NULL, 0, -ENOMEM,
			     "RECLAIM without room");
		mem_list_req(&s, DXGW_OP_DESTROY_ALLOCATION, p, destroy_list, 4, &hv64, 1, NULL, 0,
			     0, "DESTROY_ALLOCATION");
		mem_list_req(&s, DXGW_OP_RECLAIM, p, reclaim, 4, &dl, 1, NULL, 0, 0,
			     "RECLAIM of discarded contents");
		mem_list_req(&s, DXGW_OP_DESTROY_ALLOCATION, p, destroy_list, 4, &hv, 1, NULL, 0, 0,
			     "DESTROY_ALLOCATION");
	}
	mem_video(&s, DXGW_OP_CHANGE_RESERVATION, p, a0, 0, 1 << 20, -ENOMEM);
	for (int i = 0; i < 7; i++)
		mem_alloc(&s, p, d, OPENDXG_ALLOC_KIND_DEVICE_LOCAL, 1, 0);
	mem_alloc(&s, p, d, OPENDXG_ALLOC_KIND_DEVICE_LOCAL, 1, -ENOMEM);	/* 8 allocations */
	for (int i = 0; i < 8; i++)
		mem_reserve(&s, p, a0, 0, 0, 4096, 0);
	mem_reserve(&s, p, a0, 0, 0, 4096, -ENOMEM);
	connect_vm(&s);
	seed_end(&s);

	/* Two adapters, two processes: foreign handles, and the last CLOSE_ADAPTER's cascade. */
	seed_begin(&s, "mem-foreign-cascade", 2);
	{
		uint32_t a1 = adapter_handle(&s, 1), p2, d1, d2;

		a0 = adapter_handle(&s, 0);
		p = create_process(&s, "one", 0);
		p2 = create_process(&s, "two", 0);
		adapter_op(&s, DXGW_OP_OPEN_ADAPTER, p, a0, 0);
		adapter_op(&s, DXGW_OP_OPEN_ADAPTER, p, a1, 0);
		adapter_op(&s, DXGW_OP_OPEN_ADAPTER, p2, a0, 0);
		d = create_device(&s, p, a0, 0);
		d1 = create_device(&s, p, a1, 0);
		d2 = create_device(&s, p2, a0, 0);
		hv = mem_alloc(&s, p, d, OPENDXG_ALLOC_KIND_HOST_VISIBLE, 4096, 0);
		dl = mem_alloc(&s, p, d1, OPENDXG_ALLOC_KIND_DEVICE_LOCAL, 4096, 0);
		q = mem_queue(&s, p, d);
		mem_reserve(&s, p, 0, q.queue, 0, 4096, 0);
		mem_map(&s, p, q.queue, dl, 0, 0, 1, -EINVAL);	/* another adapter's allocation */
		{
			const uint32_t ev[4] = { d2, 1, 0, 0 };

			mem_list_req(&s, DXGW_OP_EVICT, p2, ev, 4, &hv, 1, NULL, 0, -EINVAL,
				     "EVICT of another process's allocation");
		}
		adapter_op(&s, DXGW_OP_CLOSE_ADAPTER, p, a0, 0);
		mem_alloc(&s, p, d, OPENDXG_ALLOC_KIND_HOST_VISIBLE, 1, -EINVAL);
		expect(&s, seed_request(&s, DXGW_OP_DESTROY_PROCESS, p, NULL, 0), 0,
		       "DESTROY_PROCESS");
		mem_alloc(&s, p2, d2, OPENDXG_ALLOC_KIND_DEVICE_LOCAL, 4096, 0);
	}
	seed_end(&s);

	/* Malformed memory bodies: reserved words, counts, padding. */
	seed_begin(&s, "mem-malformed", 1);
	a0 = adapter_handle(&s, 0);
	p = create_process(&s, "bad", 0);
	adapter_op(&s, DXGW_OP_OPEN_ADAPTER, p, a0, 0);
	d = create_device(&s, p, a0, 0);
	{
		const uint32_t lock_reserved[4] = { d, 1, 0, 1 };
		const uint32_t destroy_both[4] = { d, 5, 1, 0 };
		const uint32_t evict_zero[4] = { d, 0, 0, 0 };
		const uint32_t offer_prio[6] = { d, 1, 0, 0, 0, 0 };
		const uint32_t one = 0x40000040;

		mem_list_req(&s, DXGW_OP_LOCK, p, lock_reserved, 4, NULL, 0, NULL, 0, -EINVAL,
			     "LOCK reserved");
		mem_list_req(&s, DXGW_OP_DESTROY_ALLOCATION, p, destroy_both, 4, &one, 1, NULL, 0,
			     -EINVAL, "DESTROY both");
		mem_list_req(&s, DXGW_OP_EVICT, p, evict_zero, 4, NULL, 0, NULL, 0, -EINVAL,
			     "EVICT count 0");
		mem_list_req(&s, DXGW_OP_OFFER, p, offer_prio, 6, &one, 1, NULL, 0, -EINVAL,
			     "OFFER priority 0");
		mem_create(&s, p, d, 0, 0, "runtime", (const struct mem_desc[]){
				   { OPENDXG_ALLOC_KIND_HOST_VISIBLE, 1 } }, 1, NULL, -EINVAL);
		mem_create(&s, p, d, 0, 0, NULL, (const struct mem_desc[]){ { 7, 1 } }, 1, NULL,
			   -EINVAL);
		mem_video(&s, DXGW_OP_QUERY_VIDEO_MEMORY, p, a0, 2, 0, -EINVAL);
	}
	seed_end(&s);
}

/* ---- synchronization and execution (0x05xx, 0x06xx) ---- */

static uint32_t exec_sync_object(struct dispatch_seed *s, uint32_t p, uint32_t d, uint32_t type,
				 uint32_t flags, uint64_t v0, uint64_t v1, int want)
{
	struct bytes b = { 0 };

	bytes_u32(&b, d);
	bytes_u32(&b, type);
	bytes_u32(&b, flags);
	bytes_u32(&b, 0);
	bytes_u64(&b, v0);
	bytes_u64(&b, v1);
	expect(s, mem_send(s, DXGW_OP_CREATE_SYNC_OBJECT, p, &b), want, "CREATE_SYNC_OBJECT");
	free(b.data);
	return want ? 0 : reply_u32(s, 0);
}

static void exec_signal_cpu(struct dispatch_seed *s, uint32_t p, uint32_t d, uint32_t flags,
			    uint32_t object, uint64_t value, int want)
{
	struct bytes b = { 0 };

	bytes_u32(&b, d);
	bytes_u32(&b, 1);
	bytes_u32(&b, flags);
	bytes_u32(&b, 0);
	bytes_list(&b, &object, 1);
	bytes_u64(&b, value);
	expect(s, mem_send(s, DXGW_OP_SIGNAL_FROM_CPU, p, &b), want, "SIGNAL_FROM_CPU");
	free(b.data);
}

static void exec_signal_queues(struct dispatch_seed *s, uint32_t p, uint32_t flags,
			       const uint32_t *queues, uint32_t nq, const uint32_t *objects,
			       const uint64_t *values, uint32_t no, int want)
{
	struct bytes b = { 0 };

	bytes_u32(&b, nq);
	bytes_u32(&b, no);
	bytes_u32(&b, flags);
	bytes_u32(&b, 0);
	bytes_list(&b, queues, nq);
	bytes_list(&b, objects, no);
	for (uint32_t i = 0; i < no; i++)
		bytes_u64(&b, values[i]);
	expect(s, mem_send(s, DXGW_OP_SIGNAL_ON_QUEUE, p, &b), want, "SIGNAL_ON_QUEUE");
	free(b.data);
}

static void exec_signal(struct dispatch_seed *s, uint32_t p, uint32_t queue, uint32_t object,
			uint64_t value, int want)
{
	exec_signal_queues(s, p, 0, &queue, 1, &object, &value, 1, want);
}

static void exec_wait(struct dispatch_seed *s, uint32_t p, uint32_t queue, uint32_t object,
		      uint64_t value, int want)
{
	struct bytes b = { 0 };

	bytes_u32(&b, queue);
	bytes_u32(&b, 1);
	bytes_list(&b, &object, 1);
	bytes_u64(&b, value);
	expect(s, mem_send(s, DXGW_OP_WAIT_ON_QUEUE, p, &b), want, "WAIT_ON_QUEUE");
	free(b.data);
}

/* CREATE_HW_QUEUE: the queue handle; *fence the progress fence. */
static uint32_t exec_hw_queue(struct dispatch_seed *s, uint32_t p, uint32_t context,
			      uint32_t *fence)
{
	struct bytes b = { 0 };

	bytes_u32(&b, context);
	bytes_u32(&b, 0);
	bytes_u32(&b, 4);
	bytes_u32(&b, 0);
	bytes_u32(&b, 0x12345678);		/* 4 bytes of private data */
	expect(s, mem_send(s, DXGW_OP_CREATE_HW_QUEUE, p, &b), 0, "CREATE_HW_QUEUE");
	free(b.data);
	if (fence)
		*fence = reply_u32(s, 4);
	return reply_u32(s, 0);
}

static void exec_submit(struct dispatch_seed *s, uint32_t p, uint32_t queue, uint32_t flags,
			uint64_t va, uint32_t len, uint64_t progress, int want)
{
	struct bytes b = { 0 };

	bytes_u32(&b, queue);
	bytes_u32(&b, flags);
	bytes_u64(&b, va);
	bytes_u32(&b, len);
	bytes_u32(&b, 0);
	bytes_u64(&b, progress);
	expect(s, mem_send(s, DXGW_OP_SUBMIT, p, &b), want, "SUBMIT");
	free(b.data);
}

static void exec_fixed(struct dispatch_seed *s, uint16_t op, uint32_t p, const uint32_t *words,
		       uint32_t n, int want, const char *what)
{
	struct bytes b = { 0 };

	for (uint32_t i = 0; i < n; i++)
		bytes_u32(&b, words[i]);
	expect(s, mem_send(s, op, p, &b), want, what);
	free(b.data);
}

/* The guest writes `n` bytes at `offset` of its host-visible allocation (fuzz_vm.h). */
static void guest_write(struct dispatch_seed *s, uint32_t allocation, uint32_t offset,
			const void *data, uint32_t n)
{
	struct bytes b = { 0 };
	struct dxgw_hdr h;

	memset(&h, 0, sizeof(h));
	h.size = dxg_to_le32((uint32_t)sizeof(h) + FUZZ_GUEST_WRITE_FIXED + n);
	h.opcode = dxg_to_le16(FUZZ_OP_GUEST_WRITE);
	bytes_put(&b, &h, sizeof(h));
	bytes_u32(&b, allocation);
	bytes_u32(&b, offset);
	bytes_put(&b, data, n);
	expect(s, seed_raw(s, b.data, (uint16_t)b.len, 0), 1, "guest write");
	free(b.data);
}

/* Command buffers for the seeds: packets appended to `b`, then the header put in front. */
static void cmd_packet(struct bytes *b, uint16_t type, uint32_t size)
{
	bytes_u16(b, type);
	bytes_u16(b, 0);
	bytes_u32(b, size);
}

static void cmd_fill(struct bytes *b, uint64_t va, uint64_t size, uint32_t value)
{
	cmd_packet(b, OPENDXG_CMD_FILL, 32);
	bytes_u64(b, va);
	bytes_u64(b, size);
	bytes_u32(b, value);
	bytes_u32(b, 0);
}

static void cmd_copy(struct bytes *b, uint64_t src, uint64_t dst, uint64_t size)
{
	cmd_packet(b, OPENDXG_CMD_COPY, 32);
	bytes_u64(b, src);
	bytes_u64(b, dst);
	bytes_u64(b, size);
}

static void cmd_timestamp(struct bytes *b, uint64_t va)
{
	cmd_packet(b, OPENDXG_CMD_TIMESTAMP, 16);
	bytes_u64(b, va);
}

/* A DISPATCH of minimal_spirv ("main", no bindings, no push constants). */
static void cmd_dispatch(struct bytes *b, uint32_t program, uint32_t groups)
{
	char name[OPENDXG_CMD_ENTRY_NAME_LEN] = "main";

	cmd_packet(b, OPENDXG_CMD_DISPATCH, 96);
	bytes_u32(b, program);
	bytes_u32(b, groups);
	bytes_u32(b, 1);
	bytes_u32(b, 1);
	bytes_u32(b, 0);
	bytes_u32(b, 0);
	bytes_put(b, name, sizeof(name));
}

/* The whole buffer (header + `packets`) in `out`; returns its length. */
static uint32_t cmd_finish(struct bytes *out, const struct bytes *packets, uint32_t count)
{
	out->len = 0;
	bytes_u32(out, OPENDXG_CMD_MAGIC);
	bytes_u16(out, OPENDXG_CMD_VERSION_MAJOR);
	bytes_u16(out, OPENDXG_CMD_VERSION_MINOR);
	bytes_u32(out, (uint32_t)(OPENDXG_CMD_HEADER_SIZE + packets->len));
	bytes_u32(out, count);
	bytes_put(out, packets->data, packets->len);
	return (uint32_t)out->len;
}

/* Sync objects of every type, CPU signals and the rewind rule, queue signals and waits. */
static void exec_sync_seeds(void)
{
	struct dispatch_seed s;
	uint32_t p, d, c, hc, hwq, progress, a0;
	uint32_t mutex, sem, fence, notify, mf, keep;

	seed_begin(&s, "exec-sync", 1 | FUZZ_VM_CONFIG_STATUS);
	a0 = adapter_handle(&s, 0);
	p = create_process(&s, "sync", 0);
	adapter_op(&s, DXGW_OP_OPEN_ADAPTER, p, a0, 0);
	d = create_device(&s, p, a0, 0);
	c = create_context(&s, p, d, 0, 0);
	hc = create_context(&s, p, d, 8, 0);
	hwq = exec_hw_queue(&s, p, hc, &progress);
	mutex = exec_sync_object(&s, p, d, D3DDDI_SYNCHRONIZATION_MUTEX, 0, 1, 0, 0);
	sem = exec_sync_object(&s, p, d, D3DDDI_SEMAPHORE, 0, 3, 1, 0);
	fence = exec_sync_object(&s, p, d, D3DDDI_FENCE, 0, 5, 0, 0);
	notify = exec_sync_object(&s, p, d, D3DDDI_CPU_NOTIFICATION, 0, 0, 0, 0);
	mf = exec_sync_object(&s, p, d, D3DDDI_MONITORED_FENCE, 0, 7, 0, 0);
	keep = exec_sync_object(&s, p, d, D3DDDI_MONITORED_FENCE,
				D3DDDI_SYNCOBJ_FLAG_NO_SIGNAL_MAX_VALUE_ON_TDR, 0, 0, 0);
	exec_sync_object(&s, p, d, D3DDDI_PERIODIC_MONITORED_FENCE, 0, 0, 0, -EINVAL);
	exec_sync_object(&s, p, d, D3DDDI_SEMAPHORE, 0, 2, 3, -EINVAL);
	exec_signal_cpu(&s, p, d, 0, mf, 10, 0);
	exec_signal_cpu(&s, p, d, 0, mf, 8, -EINVAL);
	exec_signal_cpu(&s, p, d, D3DDDICB_SIGNAL_FLAG_ALLOW_FENCE_REWIND, mf, 9, 0);
	{
		const uint32_t slots[4] = { d, 3, mf, progress };
		const uint32_t list[3] = { mf, progress, keep };
		struct bytes b = { 0 };

		bytes_u32(&b, slots[0]);
		bytes_u32(&b, slots[1]);
		bytes_list(&b, list, 3);
		expect(&s, mem_send(&s, DXGW_OP_GET_FENCE_SLOTS, p, &b), 0, "GET_FENCE_SLOTS");
		bytes_u32(&b, d);
		bytes_u32(&b, 1);
		bytes_list(&b, &mutex, 1);
		expect(&s, mem_send(&s, DXGW_OP_GET_FENCE_SLOTS, p, &b), -EINVAL,
		       "GET_FENCE_SLOTS of a mutex");
		free(b.data);
	}
	/* Held by a fence the CPU signals later; a signal behind two queues; mutex and semaphore. */
	exec_wait(&s, p, c, mf, 20, 0);
	{
		const uint32_t objs[3] = { sem, notify, fence };
		const uint64_t vals[3] = { 0, 0, 6 };
		const uint32_t both[2] = { c, hwq };
		const uint64_t one = 1;

		exec_signal_queues(&s, p, 0, &c, 1, objs, vals, 3, 0);
		exec_signal_queues(&s, p, 0, both, 2, &keep, &one, 1, 0);
	}
	exec_wait(&s, p, hwq, mutex, 0, 0);
	exec_signal(&s, p, c, mutex, 0, 0);
	exec_wait(&s, p, hwq, sem, 0, 0);
	exec_wait(&s, p, hwq, fence, 6, 0);
	exec_signal_cpu(&s, p, d, 0, mf, 20, 0);
	{
		const uint64_t back = 3;

		exec_signal_queues(&s, p, D3DDDICB_SIGNAL_FLAG_ALLOW_FENCE_REWIND, &c, 1, &mf, &back,
				   1, 0);
	}
	exec_wait(&s, p, c, notify, 1, -EINVAL);
	{
		const uint32_t prio_set[4] = { c, (uint32_t)-3, 0, 0 };
		const uint32_t prio_get[4] = { c, 0, 1, 0 };
		const uint32_t state[2] = { d, D3DKMT_DEVICESTATE_EXECUTION };
		const uint32_t fault[2] = { d, D3DKMT_DEVICESTATE_PAGE_FAULT };
		const uint32_t clock[2] = { a0, 0 };

		exec_fixed(&s, DXGW_OP_SET_SCHEDULING_PRIORITY, p, prio_set, 4, 0,
			   "SET_SCHEDULING_PRIORITY");
		exec_fixed(&s, DXGW_OP_GET_SCHEDULING_PRIORITY, p, prio_get, 4, 0,
			   "GET_SCHEDULING_PRIORITY");
		exec_fixed(&s, DXGW_OP_GET_DEVICE_STATE, p, state, 2, 0, "GET_DEVICE_STATE");
		exec_fixed(&s, DXGW_OP_GET_DEVICE_STATE, p, fault, 2, -EINVAL,
			   "GET_DEVICE_STATE page fault");
		exec_fixed(&s, DXGW_OP_QUERY_CLOCK_CALIBRATION, p, clock, 2, 0,
			   "QUERY_CLOCK_CALIBRATION");
	}
	{
		const uint32_t esc[6] = { a0, d, c, D3DKMT_ESCAPE_DRIVERPRIVATE, 0,
					  sizeof(struct opendxg_escape_context_stats) };
		struct bytes b = { 0 };

		for (int i = 0; i < 6; i++)
			bytes_u32(&b, esc[i]);
		bytes_u32(&b, OPENDXG_ESCAPE_CONTEXT_STATS);
		bytes_u32(&b, sizeof(struct opendxg_escape_context_stats));
		for (size_t i = 8; i < sizeof(struct opendxg_escape_context_stats); i++)
			bytes_u8(&b, 0);
		expect(&s, mem_send(&s, DXGW_OP_ESCAPE, p, &b), 0, "ESCAPE");
		free(b.data);
	}
	/* A wait on an object that goes away; then the device breaks. */
	exec_wait(&s, p, c, mf, 100, 0);
	exec_signal(&s, p, c, keep, 5, 0);
	destroy(&s, DXGW_OP_DESTROY_SYNC_OBJECT, p, mf, 0);
	destroy(&s, DXGW_OP_DESTROY_SYNC_OBJECT, p, progress, -EINVAL);
	exec_wait(&s, p, hwq, fence, 50, 0);
	exec_signal(&s, p, hwq, keep, 9, 0);
	{
		const uint32_t mark[2] = { d, D3DKMT_DEVICE_ERROR_REASON_GENERIC };

		exec_fixed(&s, DXGW_OP_MARK_DEVICE_ERROR, p, mark, 2, 0, "MARK_DEVICE_ERROR");
	}
	exec_signal(&s, p, c, notify, 0, -ENODEV);
	destroy(&s, DXGW_OP_DESTROY_HW_QUEUE, p, hwq, 0);
	destroy(&s, DXGW_OP_DESTROY_CONTEXT, p, c, 0);
	expect(&s, seed_request(&s, DXGW_OP_DESTROY_PROCESS, p, NULL, 0), 0, "DESTROY_PROCESS");
	seed_end(&s);
}

/* Command buffers written by the guest and submitted: every packet, both kinds of queue. */
static void exec_submit_seeds(void)
{
	struct dispatch_seed s;
	struct mem_queue q;
	struct bytes packets = { 0 }, buf = { 0 };
	uint32_t p, d, c, hc, hwq, a0, program, cmd, data, dl, done, len, bad_len;
	uint64_t cmd_va, data_va, dl_va;

	seed_begin(&s, "exec-submit", 1);
	a0 = adapter_handle(&s, 0);
	p = create_process(&s, "submit", 0);
	adapter_op(&s, DXGW_OP_OPEN_ADAPTER, p, a0, 0);
	d = create_device(&s, p, a0, 0);
	c = create_context(&s, p, d, 0, 0);
	hc = create_context(&s, p, d, 0, 0);
	hwq = exec_hw_queue(&s, p, hc, NULL);
	q = mem_queue(&s, p, d);
	program = mem_alloc(&s, p, d, OPENDXG_ALLOC_KIND_PROGRAM, 0, 0);
	cmd = mem_alloc(&s, p, d, OPENDXG_ALLOC_KIND_HOST_VISIBLE, 8192, 0);
	data = mem_alloc(&s, p, d, OPENDXG_ALLOC_KIND_HOST_VISIBLE, 16384, 0);
	dl = mem_alloc(&s, p, d, OPENDXG_ALLOC_KIND_DEVICE_LOCAL, 8192, 0);
	cmd_va = mem_map(&s, p, q.queue, cmd, 0, 0, 2, 0);
	data_va = mem_map(&s, p, q.queue, data, 0, 0, 4, 0);
	dl_va = mem_map(&s, p, q.queue, dl, 0, 0, 2, 0);
	done = exec_sync_object(&s, p, d, D3DDDI_MONITORED_FENCE, 0, 0, 0, 0);

	cmd_fill(&packets, data_va, 4096, 0x11111111u);
	cmd_packet(&packets, OPENDXG_CMD_BARRIER, 8);
	cmd_copy(&packets, data_va, dl_va, 4096);
	cmd_packet(&packets, OPENDXG_CMD_BARRIER, 8);
	cmd_copy(&packets, dl_va + 1, data_va + 8192 + 3, 4000);
	cmd_timestamp(&packets, data_va + 12288);
	cmd_dispatch(&packets, program, 4);
	len = cmd_finish(&buf, &packets, 7);
	guest_write(&s, cmd, 0, buf.data, len);
	exec_submit(&s, p, c, 0, cmd_va, len, 0, 0);
	exec_signal(&s, p, c, done, 1, 0);
	exec_submit(&s, p, hwq, 0, cmd_va, len, 1, 0);
	exec_submit(&s, p, hwq, D3DKMT_SUBMITCOMMAND_FLAG_NULL_RENDERING, cmd_va, len, 2, 0);
	/* An empty buffer, from the middle of the area. */
	packets.len = 0;
	len = cmd_finish(&buf, &packets, 0);
	guest_write(&s, cmd, 4096, buf.data, len);
	exec_submit(&s, p, hwq, 0, cmd_va + 4096, len, 5, 0);
	/* Work held behind a wait when the process goes, and one buffer in flight on the context. */
	exec_wait(&s, p, hwq, done, 7, 0);
	exec_submit(&s, p, hwq, 0, cmd_va + 4096, len, 6, 0);
	exec_submit(&s, p, c, 0, cmd_va + 4096, len, 0, 0);
	/* A bad buffer breaks only its own context: the hardware queue's context goes on. */
	cmd_fill(&packets, data_va + 2, 4, 0);
	bad_len = cmd_finish(&buf, &packets, 1);
	guest_write(&s, cmd, 0, buf.data, bad_len);
	exec_submit(&s, p, c, 0, cmd_va, bad_len, 0, -EINVAL);
	exec_submit(&s, p, c, 0, cmd_va + 4096, len, 0, -ENODEV);
	exec_signal_cpu(&s, p, d, 0, done, 7, 0);
	expect(&s, seed_request(&s, DXGW_OP_DESTROY_PROCESS, p, NULL, 0), 0, "DESTROY_PROCESS");
	seed_end(&s);

	/* A GPU VA that does not translate when the buffer runs, then one freed while queued. */
	seed_begin(&s, "exec-fault", 1);
	a0 = adapter_handle(&s, 0);
	p = create_process(&s, "fault", 0);
	adapter_op(&s, DXGW_OP_OPEN_ADAPTER, p, a0, 0);
	d = create_device(&s, p, a0, 0);
	c = create_context(&s, p, d, 0, 0);
	hc = create_context(&s, p, d, 0, 0);
	hwq = exec_hw_queue(&s, p, hc, NULL);
	q = mem_queue(&s, p, d);
	cmd = mem_alloc(&s, p, d, OPENDXG_ALLOC_KIND_HOST_VISIBLE, 4096, 0);
	data = mem_alloc(&s, p, d, OPENDXG_ALLOC_KIND_HOST_VISIBLE, 4096, 0);
	cmd_va = mem_map(&s, p, q.queue, cmd, 0, 0, 1, 0);
	data_va = mem_map(&s, p, q.queue, data, 0, 0, 1, 0);
	done = exec_sync_object(&s, p, d, D3DDDI_MONITORED_FENCE, 0, 0, 0, 0);
	packets.len = 0;
	cmd_fill(&packets, 0x500000000000ull, 64, 1);
	len = cmd_finish(&buf, &packets, 1);
	guest_write(&s, cmd, 0, buf.data, len);
	exec_submit(&s, p, c, 0, cmd_va, len, 0, 0);
	{
		const uint32_t fault[2] = { d, D3DKMT_DEVICESTATE_PAGE_FAULT };

		exec_fixed(&s, DXGW_OP_GET_DEVICE_STATE, p, fault, 2, 0,
			   "GET_DEVICE_STATE page fault");
	}
	packets.len = 0;
	cmd_fill(&packets, data_va, 4096, 2);
	len = cmd_finish(&buf, &packets, 1);
	guest_write(&s, cmd, 0, buf.data, len);
	exec_wait(&s, p, hwq, done, 1, 0);
	exec_submit(&s, p, hwq, 0, cmd_va, len, 1, 0);
	{
		const uint32_t destroy_list[4] = { d, 0, 1, 0 };

		mem_list_req(&s, DXGW_OP_DESTROY_ALLOCATION, p, destroy_list, 4, &data, 1, NULL, 0,
			     0, "DESTROY_ALLOCATION");
	}
	exec_signal_cpu(&s, p, d, 0, done, 1, 0);
	exec_submit(&s, p, hwq, 0, cmd_va, len, 2, -ENODEV);
	connect_vm(&s);
	seed_end(&s);
	free(packets.data);
	free(buf.data);
}

/* Small quotas (config bit 2): each create runs into its limit. */
static void dispatch_quotas(void)
{
	struct dispatch_seed s;
	uint32_t p, d, a0;
	const struct dxg_vm_limits small = FUZZ_VM_SMALL_LIMITS;

	seed_begin(&s, "quota-processes", FUZZ_VM_CONFIG_SMALL_LIMITS | 1 | FUZZ_VM_CONFIG_STATUS);
	for (uint32_t i = 0; i < small.max_processes; i++)
		create_process(&s, i & 1 ? "quote\"back\\" : "q", 0);
	create_process(&s, "q", -ENOMEM);
	seed_end(&s);

	seed_begin(&s, "quota-objects", FUZZ_VM_CONFIG_SMALL_LIMITS | 1);
	a0 = adapter_handle(&s, 0);
	p = create_process(&s, "q", 0);
	for (uint32_t i = 0; i < small.max_adapter_refs; i++)
		adapter_op(&s, DXGW_OP_OPEN_ADAPTER, p, a0, 0);
	adapter_op(&s, DXGW_OP_OPEN_ADAPTER, p, a0, -ENOMEM);
	d = create_device(&s, p, a0, 0);
	for (uint32_t i = 0; i < small.max_contexts; i++)
		create_context(&s, p, d, 0, 0);
	create_context(&s, p, d, 0, -ENOMEM);
	for (uint32_t i = 1; i < small.max_devices; i++)
		create_device(&s, p, a0, 0);
	create_device(&s, p, a0, -ENOMEM);
	seed_end(&s);

	/* The handle table runs full before the context quota; the status JSON is truncated. */
	seed_begin(&s, "quota-handles", FUZZ_VM_CONFIG_SMALL_LIMITS | 3 | FUZZ_VM_CONFIG_STATUS |
					FUZZ_VM_CONFIG_STATUS_SMALL);
	a0 = adapter_handle(&s, 0);
	p = create_process(&s, "q", 0);
	adapter_op(&s, DXGW_OP_OPEN_ADAPTER, p, a0, 0);
	for (uint32_t i = 0; i < small.max_devices; i++)
		d = create_device(&s, p, a0, 0);
	while (handle_table_live(&s.vm.vm.handles) < small.max_handles)
		create_context(&s, p, d, 0, 0);
	create_context(&s, p, d, 0, -ENOMEM);
	seed_end(&s);
}

static void dispatch_malformed(void)
{
	struct dispatch_seed s;
	struct dxgw_hdr h;
	unsigned char rec[64];

	seed_begin(&s, "bad-envelopes", 1);
	memset(&h, 0, sizeof(h));
	h.size = dxg_to_le32(12);
	memcpy(rec, &h, sizeof(h));
	expect(&s, seed_raw(&s, rec, 12, 0), 1, "short record");
	h.size = dxg_to_le32(20);
	h.request_id = dxg_to_le64(9);
	memcpy(rec, &h, sizeof(h));
	expect(&s, seed_raw(&s, rec, 20, 0), -EPROTO, "truncated header");
	h.size = dxg_to_le32(sizeof(h));
	h.opcode = dxg_to_le16(DXGW_OP_NOP);
	h.flags = dxg_to_le16(DXGW_FLAG_REPLY);
	memcpy(rec, &h, sizeof(h));
	expect(&s, seed_raw(&s, rec, sizeof(h), 0), -EPROTO, "reply flag in a request");
	h.flags = 0;
	h.opcode = dxg_to_le16(0x0666);
	memcpy(rec, &h, sizeof(h));
	expect(&s, seed_raw(&s, rec, sizeof(h), 0), -ENOSYS, "unknown opcode");
	expect(&s, seed_request(&s, DXGW_OP_NOP, 0, "12345678", 8), -EINVAL, "body on NOP");
	expect(&s, seed_request(&s, DXGW_OP_ENUM_ADAPTERS, 0x40000080, NULL, 0), -EINVAL,
	       "process on a VM-scoped opcode");
	expect(&s, seed_request(&s, DXGW_OP_DESTROY_PROCESS, 0, NULL, 0), -EINVAL,
	       "no process on a process-scoped opcode");
	/* Longer than any message: header + 33 * 4 KiB. */
	expect(&s, seed_request_ext(&s, DXGW_OP_NOP, 0, NULL, 0, 33), -EPROTO, "oversized record");
	seed_end(&s);

	seed_begin(&s, "bad-bodies", 1);
	{
		struct dxgw_create_process_req cp = { .pid = 1 };
		struct dxgw_connect_req cr = { .guest_version = dxg_to_le32(0x20000) };

		memcpy(cp.name, "a\0b", 3);	/* bytes after the NUL */
		expect(&s, seed_request(&s, DXGW_OP_CREATE_PROCESS, 0, &cp, sizeof(cp)), -EINVAL,
		       "unpadded name");
		expect(&s, seed_request(&s, DXGW_OP_CONNECT, 0, &cr, sizeof(cr)),
		       -EPROTONOSUPPORT, "newer major");
	}
	seed_end(&s);
}

/* ---- ring seeds (fuzz_ring.c: scenario, size, max_payload, own index, peer index, ops) ---- */

static void ring_header(struct bytes *b, uint8_t scenario, uint8_t size_sel, uint32_t max_payload,
			uint32_t own, uint32_t peer)
{
	memset(b, 0, sizeof(*b));
	bytes_u8(b, scenario);
	bytes_u8(b, size_sel);
	bytes_u32(b, max_payload);
	bytes_u32(b, own);
	bytes_u32(b, peer);
}

/* Op numbers and argument layouts as fuzz_ring.c reads them. */
enum { C_CONSUME, C_SET_TAIL, C_WRITE_PREFIX, C_WRITE_BYTES, C_FRIENDLY_PRODUCE, C_SLEEP };
enum { P_PRODUCE, P_SET_HEAD, P_SPACE, P_WAIT, P_FRIENDLY_CONSUME, P_KICK };

static uint32_t near_index(uint32_t steps, bool misaligned, uint32_t misalign)
{
	return 1u | (misaligned ? 2u : 0u) | ((misalign & 7u) << 2) | (steps << 5);
}

static void ring_seeds(void)
{
	struct bytes b;

	/* Scenario 0 (max_payload is taken modulo size/2, then + 1). */
	ring_header(&b, 0, 0, 1023, 0, 0);
	bytes_u8(&b, C_FRIENDLY_PRODUCE);
	bytes_u16(&b, 100);
	bytes_u8(&b, 5);
	bytes_u8(&b, C_FRIENDLY_PRODUCE);
	bytes_u16(&b, 1024);
	bytes_u8(&b, 6);
	bytes_u8(&b, C_CONSUME);
	bytes_u16(&b, 0);
	bytes_u8(&b, C_CONSUME);
	bytes_u16(&b, 0x8000 | 10);	/* buffer too small: -EPROTO */
	bytes_u8(&b, C_SLEEP);
	bytes_u8(&b, 1);
	write_seed(&b, "ring-consume-friendly");
	free(b.data);

	/* A record the input writes itself: prefix, payload bytes, tail. */
	ring_header(&b, 0, 1, 255, 0xfffff000u, 0xfffff000u);
	bytes_u8(&b, C_WRITE_PREFIX);
	bytes_u8(&b, 0);
	bytes_u32(&b, 16);
	bytes_u8(&b, 0);
	bytes_u8(&b, C_WRITE_BYTES);
	bytes_u16(&b, 0x1008);	/* the payload: index 0xfffff000 is offset 0x1000 of 8 KiB */
	bytes_u8(&b, 4);
	bytes_u32(&b, 0xdeadbeef);
	bytes_u8(&b, C_SET_TAIL);
	bytes_u32(&b, near_index(3, false, 0));
	bytes_u8(&b, C_CONSUME);
	bytes_u16(&b, 0);
	bytes_u8(&b, C_CONSUME);
	bytes_u16(&b, 0);
	bytes_u8(&b, C_SET_TAIL);
	bytes_u32(&b, near_index(1, true, 3));	/* misaligned tail */
	bytes_u8(&b, C_CONSUME);
	bytes_u16(&b, 0);
	write_seed(&b, "ring-consume-hostile");
	free(b.data);

	/* Scenario 1: produce into a ring whose head the input moves. */
	ring_header(&b, 1, 0, 511, 4096 - 64, 4096 - 64);
	for (int i = 0; i < 6; i++) {
		bytes_u8(&b, P_PRODUCE);
		bytes_u16(&b, (uint16_t)(100 + 150 * i));
		bytes_u8(&b, i & 1 ? 0x80 : 0);
		if (i & 1)
			bytes_u16(&b, 33);
		bytes_u8(&b, (uint8_t)i);
	}
	bytes_u8(&b, P_SPACE);
	bytes_u8(&b, P_WAIT);
	bytes_u16(&b, 600);
	bytes_u8(&b, P_FRIENDLY_CONSUME);
	bytes_u8(&b, P_SET_HEAD);
	bytes_u32(&b, near_index(40, false, 0));
	bytes_u8(&b, P_PRODUCE);
	bytes_u16(&b, 64);
	bytes_u8(&b, 0);
	bytes_u8(&b, 9);
	bytes_u8(&b, P_KICK);
	bytes_u8(&b, 1);
	write_seed(&b, "ring-produce-hostile");
	free(b.data);

	/* Scenario 2: wrap of the u32 indices and of the data, payloads split in two pieces. */
	ring_header(&b, 2, 0, 2000, 0xffffff00u, 0);
	for (int i = 0; i < 24; i++) {
		bytes_u8(&b, i % 3 == 2 ? 0 : 3);
		if (i % 3 != 2) {
			bytes_u16(&b, (uint16_t)(300 + 97 * i));
			bytes_u8(&b, (uint8_t)(i * 5));
			bytes_u8(&b, (uint8_t)i);
		}
	}
	for (int i = 0; i < 20; i++)
		bytes_u8(&b, 0);
	write_seed(&b, "ring-pair-wrap");
	free(b.data);
}

int main(int argc, char **argv)
{
	if (argc != 3 || (strcmp(argv[1], "dispatch") != 0 && strcmp(argv[1], "ring") != 0)) {
		fprintf(stderr, "usage: fuzz-seeds dispatch|ring DIR\n");
		return 2;
	}
	out_dir = argv[2];
	dxg_log_init("fuzz-seeds", DXG_LOG_ERROR);
	if (strcmp(argv[1], "dispatch") == 0) {
		dispatch_single_opcodes();
		dispatch_queries();
		dispatch_lifecycles();
		dispatch_quotas();
		dispatch_malformed();
		dispatch_memory();
		exec_sync_seeds();
		exec_submit_seeds();
	} else {
		ring_seeds();
	}
	printf("fuzz-seeds: %u %s seeds in %s\n", seeds_written, argv[1], out_dir);
	return 0;
}
