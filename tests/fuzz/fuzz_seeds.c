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
};

static void seed_begin(struct dispatch_seed *s, const char *name, uint8_t config)
{
	memset(&s->input, 0, sizeof(s->input));
	s->name = name;
	s->next_id = 1;
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
	reply_len = worker_dispatch(&s->vm.vm, rec, len, s->reply, s->reply_cap,
				    &s->vm.reject_log);
	free(rec);
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
	} else {
		ring_seeds();
	}
	printf("fuzz-seeds: %u %s seeds in %s\n", seeds_written, argv[1], out_dir);
	return 0;
}
