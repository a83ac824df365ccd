// SPDX-License-Identifier: MIT
/*
 * The worker's wire decoder: every opcode decodes a good message exactly, and every way of getting
 * the envelope or the body wrong gives its documented error.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "wire_decode.h"

#define PROCESS 0x40000080u

/* A message under construction: header fields plus a body, serialized by build(). */
struct msg {
	uint16_t opcode;
	uint16_t flags;
	uint64_t request_id;
	uint32_t process;
	uint32_t status;
	uint64_t reserved;
	uint32_t size_delta;		/* added to hdr.size (wrong size field) */
	unsigned char body[DXGW_MAX_BODY + 64];
	uint32_t body_len;
};

static unsigned char record[DXGW_MAX_MESSAGE + 128];

static uint32_t build(const struct msg *m)
{
	struct dxgw_hdr h;
	uint32_t len = (uint32_t)sizeof(h) + m->body_len;

	memset(&h, 0, sizeof(h));
	h.size = dxg_to_le32(len + m->size_delta);
	h.opcode = dxg_to_le16(m->opcode);
	h.flags = dxg_to_le16(m->flags);
	h.request_id = dxg_to_le64(m->request_id);
	h.process = dxg_to_le32(m->process);
	h.status = dxg_to_le32(m->status);
	h.reserved = dxg_to_le64(m->reserved);
	memcpy(record, &h, sizeof(h));
	memcpy(record + sizeof(h), m->body, m->body_len);
	return len;
}

static int decode(const struct msg *m, struct dxgw_request *req)
{
	bool id_valid = false;
	uint32_t len = build(m);
	int ret = dxgw_decode_request(record, len, req, &id_valid);

	assert_true(id_valid);
	assert_int_equal(req->request_id, m->request_id);
	return ret;
}

static void put32(struct msg *m, size_t off, uint32_t v)
{
	dxg_le32 le = dxg_to_le32(v);

	memcpy(m->body + off, &le, sizeof(le));
}

static void put64(struct msg *m, size_t off, uint64_t v)
{
	dxg_le64 le = dxg_to_le64(v);

	memcpy(m->body + off, &le, sizeof(le));
}

static struct msg *new_msg(uint16_t opcode, uint32_t process, uint32_t body_len)
{
	struct msg *m = calloc(1, sizeof(*m));

	assert_non_null(m);
	m->opcode = opcode;
	m->process = process;
	m->request_id = 0x1122334455667788ull;
	m->body_len = body_len;
	return m;
}

/* Good messages, one per opcode, with distinctive field values. */
static struct msg *good_connect(void)
{
	struct msg *m = new_msg(DXGW_OP_CONNECT, 0, sizeof(struct dxgw_connect_req));

	put32(m, offsetof(struct dxgw_connect_req, guest_version), DXG_PROTOCOL_VERSION);
	put64(m, offsetof(struct dxgw_connect_req, guest_features), 0x8000000000000001ull);
	return m;
}

static struct msg *good_create_process(void)
{
	struct msg *m = new_msg(DXGW_OP_CREATE_PROCESS, 0, sizeof(struct dxgw_create_process_req));

	put32(m, offsetof(struct dxgw_create_process_req, pid), 4242);
	memcpy(m->body + offsetof(struct dxgw_create_process_req, name), "dxgtest", 7);
	return m;
}

static struct msg *good_adapter(uint16_t opcode)
{
	struct msg *m = new_msg(opcode, PROCESS, sizeof(struct dxgw_adapter_req));

	put32(m, offsetof(struct dxgw_adapter_req, adapter), 0x40000040);
	return m;
}

static struct msg *good_qai(uint32_t data_size)
{
	const uint32_t fixed = sizeof(struct dxgw_query_adapter_info_req);
	struct msg *m = new_msg(DXGW_OP_QUERY_ADAPTER_INFO, PROCESS, fixed + data_size);

	put32(m, offsetof(struct dxgw_query_adapter_info_req, adapter), 0x40000040);
	put32(m, offsetof(struct dxgw_query_adapter_info_req, type), 57);
	put32(m, offsetof(struct dxgw_query_adapter_info_req, data_size), data_size);
	for (uint32_t i = 0; i < data_size; i++)
		m->body[fixed + i] = (unsigned char)(i * 7 + 1);
	return m;
}

static struct msg *good_create_device(void)
{
	struct msg *m = new_msg(DXGW_OP_CREATE_DEVICE, PROCESS, sizeof(struct dxgw_create_device_req));

	put32(m, offsetof(struct dxgw_create_device_req, adapter), 0x40000040);
	put32(m, offsetof(struct dxgw_create_device_req, flags), DXGW_CREATE_DEVICE_FLAGS_MASK);
	return m;
}

static struct msg *good_destroy(uint16_t opcode)
{
	struct msg *m = new_msg(opcode, PROCESS, sizeof(struct dxgw_destroy_req));

	put32(m, offsetof(struct dxgw_destroy_req, handle), 0x400000c0);
	return m;
}

static struct msg *good_create_context(uint32_t priv_size)
{
	const uint32_t fixed = sizeof(struct dxgw_create_context_req);
	struct msg *m = new_msg(DXGW_OP_CREATE_CONTEXT_VIRTUAL, PROCESS, fixed + priv_size);

	put32(m, offsetof(struct dxgw_create_context_req, device), 0x400000c0);
	put32(m, offsetof(struct dxgw_create_context_req, node_ordinal), 3);
	put32(m, offsetof(struct dxgw_create_context_req, engine_affinity), 1);
	put32(m, offsetof(struct dxgw_create_context_req, flags), 0x10);
	put32(m, offsetof(struct dxgw_create_context_req, client_hint), 2);
	put32(m, offsetof(struct dxgw_create_context_req, priv_size), priv_size);
	memset(m->body + fixed, 0xab, priv_size);
	return m;
}

/* Every good message of the protocol, for the generic envelope mutations. */
static struct msg *good_message(int i)
{
	switch (i) {
	case 0: return good_connect();
	case 1: return new_msg(DXGW_OP_NOP, 0, 0);
	case 2: return good_create_process();
	case 3: return new_msg(DXGW_OP_DESTROY_PROCESS, PROCESS, 0);
	case 4: return new_msg(DXGW_OP_ENUM_ADAPTERS, 0, 0);
	case 5: return good_adapter(DXGW_OP_OPEN_ADAPTER);
	case 6: return good_adapter(DXGW_OP_CLOSE_ADAPTER);
	case 7: return good_qai(4);
	case 8: return good_create_device();
	case 9: return good_destroy(DXGW_OP_DESTROY_DEVICE);
	case 10: return good_create_context(16);
	case 11: return good_destroy(DXGW_OP_DESTROY_CONTEXT);
	case 12: return good_create_context(0);
	case 13: return good_qai(8192);
	default: return NULL;
	}
}

static void test_good_connect(void **state)
{
	struct msg *m = good_connect();
	struct dxgw_request req;

	(void)state;
	assert_int_equal(decode(m, &req), 0);
	assert_int_equal(req.opcode, DXGW_OP_CONNECT);
	assert_int_equal(req.process, 0);
	assert_int_equal(req.connect.guest_version, DXG_PROTOCOL_VERSION);
	assert_true(req.connect.guest_features == 0x8000000000000001ull);
	free(m);
}

static void test_good_nop_and_vm_scoped(void **state)
{
	static const uint16_t ops[] = { DXGW_OP_NOP, DXGW_OP_ENUM_ADAPTERS };
	struct dxgw_request req;

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		struct msg *m = new_msg(ops[i], 0, 0);

		assert_int_equal(decode(m, &req), 0);
		assert_int_equal(req.opcode, ops[i]);
		free(m);
	}
}

static void test_good_create_process(void **state)
{
	struct msg *m = good_create_process();
	struct dxgw_request req;

	(void)state;
	assert_int_equal(decode(m, &req), 0);
	assert_int_equal(req.create_process.pid, 4242);
	assert_string_equal(req.create_process.name, "dxgtest");

	/* A full 16-character name needs no terminator on the wire. */
	memcpy(m->body + offsetof(struct dxgw_create_process_req, name), "0123456789abcdef", 16);
	assert_int_equal(decode(m, &req), 0);
	assert_string_equal(req.create_process.name, "0123456789abcdef");
	free(m);
}

static void test_good_destroy_process(void **state)
{
	struct msg *m = new_msg(DXGW_OP_DESTROY_PROCESS, PROCESS, 0);
	struct dxgw_request req;

	(void)state;
	assert_int_equal(decode(m, &req), 0);
	assert_int_equal(req.process, PROCESS);
	free(m);
}

static void test_good_adapter_ops(void **state)
{
	static const uint16_t ops[] = { DXGW_OP_OPEN_ADAPTER, DXGW_OP_CLOSE_ADAPTER };
	struct dxgw_request req;

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		struct msg *m = good_adapter(ops[i]);

		assert_int_equal(decode(m, &req), 0);
		assert_int_equal(req.opcode, ops[i]);
		assert_int_equal(req.process, PROCESS);
		assert_int_equal(req.adapter.adapter, 0x40000040);
		free(m);
	}
}

static void test_good_query_adapter_info(void **state)
{
	static const uint32_t sizes[] = { 1, 4, 8192, DXGW_MAX_QAI_DATA };
	struct dxgw_request req;

	(void)state;
	for (size_t i = 0; i < 4; i++) {
		struct msg *m = good_qai(sizes[i]);

		assert_int_equal(decode(m, &req), 0);
		assert_int_equal(req.query_adapter_info.adapter, 0x40000040);
		assert_int_equal(req.query_adapter_info.type, 57);
		assert_int_equal(req.query_adapter_info.data_size, sizes[i]);
		/* The data pointer points into the record, right after the fixed part. */
		assert_ptr_equal(req.query_adapter_info.data,
				 record + sizeof(struct dxgw_hdr) +
				 sizeof(struct dxgw_query_adapter_info_req));
		assert_int_equal(req.query_adapter_info.data[sizes[i] - 1],
				 (unsigned char)((sizes[i] - 1) * 7 + 1));
		free(m);
	}
}

static void test_good_create_device(void **state)
{
	struct msg *m = good_create_device();
	struct dxgw_request req;

	(void)state;
	assert_int_equal(decode(m, &req), 0);
	assert_int_equal(req.create_device.adapter, 0x40000040);
	assert_int_equal(req.create_device.flags, DXGW_CREATE_DEVICE_FLAGS_MASK);
	free(m);
}

static void test_good_destroy_ops(void **state)
{
	static const uint16_t ops[] = { DXGW_OP_DESTROY_DEVICE, DXGW_OP_DESTROY_CONTEXT };
	struct dxgw_request req;

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		struct msg *m = good_destroy(ops[i]);

		assert_int_equal(decode(m, &req), 0);
		assert_int_equal(req.destroy.handle, 0x400000c0);
		free(m);
	}
}

static void test_good_create_context(void **state)
{
	static const uint32_t sizes[] = { 0, 1, 64, DXGW_MAX_CONTEXT_PRIV };
	struct dxgw_request req;

	(void)state;
	for (size_t i = 0; i < 4; i++) {
		struct msg *m = good_create_context(sizes[i]);

		assert_int_equal(decode(m, &req), 0);
		assert_int_equal(req.create_context.device, 0x400000c0);
		assert_int_equal(req.create_context.node_ordinal, 3);
		assert_int_equal(req.create_context.engine_affinity, 1);
		assert_int_equal(req.create_context.flags, 0x10);
		assert_int_equal(req.create_context.client_hint, 2);
		assert_int_equal(req.create_context.priv_size, sizes[i]);
		if (sizes[i])
			assert_int_equal(req.create_context.priv[sizes[i] - 1], 0xab);
		else
			assert_null(req.create_context.priv);
		free(m);
	}
}

/* Envelope faults are -EPROTO for every opcode; body length faults -EINVAL. */
static void test_envelope_faults_every_opcode(void **state)
{
	struct dxgw_request req;

	(void)state;
	for (int i = 0;; i++) {
		struct msg *m = good_message(i);

		if (!m)
			break;
		assert_int_equal(decode(m, &req), 0);

		m->flags = DXGW_FLAG_REPLY;
		assert_int_equal(decode(m, &req), -EPROTO);
		m->flags = 0x8000;
		assert_int_equal(decode(m, &req), -EPROTO);
		m->flags = 0;

		m->status = (uint32_t)-EINVAL;
		assert_int_equal(decode(m, &req), -EPROTO);
		m->status = 0;

		m->reserved = 1ull << 63;
		assert_int_equal(decode(m, &req), -EPROTO);
		m->reserved = 0;

		/* hdr.size says one byte more, one byte less, or wildly more than the record. */
		m->size_delta = 1;
		assert_int_equal(decode(m, &req), -EPROTO);
		m->size_delta = (uint32_t)-1;
		assert_int_equal(decode(m, &req), -EPROTO);
		m->size_delta = 0x80000000u;
		assert_int_equal(decode(m, &req), -EPROTO);
		m->size_delta = 0;

		/* One byte more than the opcode's body (trailing garbage, or a longer body). */
		m->body[m->body_len] = 0;
		m->body_len += 1;
		assert_int_equal(decode(m, &req), -EINVAL);
		m->body_len += 7;
		assert_int_equal(decode(m, &req), -EINVAL);
		m->body_len -= 8;

		/* Truncated by one byte (only possible where the body is not empty). */
		if (m->body_len) {
			m->body_len -= 1;
			assert_int_equal(decode(m, &req), -EINVAL);
			m->body_len += 1;
		}

		/* The wrong scope: process-scoped without a process, VM-scoped with one. */
		m->process = m->process ? 0 : PROCESS;
		assert_int_equal(decode(m, &req), -EINVAL);
		assert_int_equal(req.opcode, m->opcode);
		free(m);
	}
}

static void test_short_records(void **state)
{
	struct msg *m = new_msg(DXGW_OP_NOP, 0, 0);
	struct dxgw_request req;
	bool id_valid;
	uint32_t len = build(m);

	(void)state;
	assert_int_equal(len, sizeof(struct dxgw_hdr));
	/* Without the first 16 bytes the request cannot even be answered. */
	for (uint32_t l = 0; l < 16; l++) {
		id_valid = true;
		assert_int_equal(dxgw_decode_request(record, l, &req, &id_valid), -EPROTO);
		assert_false(id_valid);
	}
	for (uint32_t l = 16; l < sizeof(struct dxgw_hdr); l++) {
		id_valid = false;
		assert_int_equal(dxgw_decode_request(record, l, &req, &id_valid), -EPROTO);
		assert_true(id_valid);
		assert_true(req.request_id == m->request_id);
	}
	free(m);
}

static void test_oversized_record(void **state)
{
	struct msg *m = new_msg(DXGW_OP_NOP, 0, DXGW_MAX_BODY + 8);
	struct dxgw_request req;

	(void)state;
	/* Longer than any message: rejected before the opcode is even looked at. */
	assert_int_equal(decode(m, &req), -EPROTO);
	free(m);
}

static void test_unknown_opcodes(void **state)
{
	static const uint16_t ops[] = { 0x0000, 0x0003, 0x0012, 0x0104, 0x0202, 0x0302, 0xffff };
	struct dxgw_request req;

	(void)state;
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		struct msg *m = new_msg(ops[i], 0, 0);

		assert_false(dxgw_opcode_known(ops[i]));
		assert_int_equal(decode(m, &req), -ENOSYS);
		assert_int_equal(req.opcode, ops[i]);
		m->process = PROCESS;
		assert_int_equal(decode(m, &req), -ENOSYS);
		free(m);
	}
}

static void test_reserved_body_fields(void **state)
{
	struct dxgw_request req;
	struct msg *m;

	(void)state;
	m = good_connect();
	put32(m, offsetof(struct dxgw_connect_req, reserved0), 1);
	assert_int_equal(decode(m, &req), -EINVAL);
	free(m);

	m = good_create_process();
	put32(m, offsetof(struct dxgw_create_process_req, reserved0), 0x100);
	assert_int_equal(decode(m, &req), -EINVAL);
	free(m);

	m = good_adapter(DXGW_OP_OPEN_ADAPTER);
	put32(m, offsetof(struct dxgw_adapter_req, reserved0), 1);
	assert_int_equal(decode(m, &req), -EINVAL);
	free(m);

	m = good_qai(4);
	put32(m, offsetof(struct dxgw_query_adapter_info_req, reserved0), 1);
	assert_int_equal(decode(m, &req), -EINVAL);
	free(m);

	m = good_destroy(DXGW_OP_DESTROY_CONTEXT);
	put32(m, offsetof(struct dxgw_destroy_req, reserved0), 0x80000000u);
	assert_int_equal(decode(m, &req), -EINVAL);
	free(m);
}

static void test_process_name_padding(void **state)
{
	struct msg *m = good_create_process();
	struct dxgw_request req;

	(void)state;
	/* A byte after the terminator: the guest did not clear its buffer. */
	m->body[offsetof(struct dxgw_create_process_req, name) + 10] = 'x';
	assert_int_equal(decode(m, &req), -EINVAL);
	/* Non-printable bytes before the terminator are the host's to sanitize, not an error. */
	m->body[offsetof(struct dxgw_create_process_req, name) + 10] = 0;
	m->body[offsetof(struct dxgw_create_process_req, name) + 1] = '\n';
	assert_int_equal(decode(m, &req), 0);
	assert_int_equal(req.create_process.name[1], '\n');
	free(m);
}

static void test_flags(void **state)
{
	struct dxgw_request req;
	struct msg *m;

	(void)state;
	m = good_create_device();
	put32(m, offsetof(struct dxgw_create_device_req, flags), DXGW_CREATE_DEVICE_FLAGS_MASK + 1);
	assert_int_equal(decode(m, &req), -EINVAL);
	put32(m, offsetof(struct dxgw_create_device_req, flags), 0x80000000u);
	assert_int_equal(decode(m, &req), -EINVAL);
	free(m);

	m = good_create_context(0);
	put32(m, offsetof(struct dxgw_create_context_req, flags), 0x20);
	assert_int_equal(decode(m, &req), -EINVAL);
	free(m);
}

static void test_qai_sizes(void **state)
{
	const size_t size_off = offsetof(struct dxgw_query_adapter_info_req, data_size);
	struct dxgw_request req;
	struct msg *m = good_qai(8);

	(void)state;
	/* data_size 0, one past the limit, and values that overflow when added to the fixed part. */
	put32(m, size_off, 0);
	m->body_len = sizeof(struct dxgw_query_adapter_info_req);
	assert_int_equal(decode(m, &req), -EINVAL);
	put32(m, size_off, 0xfffffff0u);
	m->body_len = sizeof(struct dxgw_query_adapter_info_req) + 8;
	assert_int_equal(decode(m, &req), -EINVAL);
	put32(m, size_off, 0xffffffffu);
	assert_int_equal(decode(m, &req), -EINVAL);
	put32(m, size_off, DXGW_MAX_QAI_DATA + 1);
	m->body_len = sizeof(struct dxgw_query_adapter_info_req) + DXGW_MAX_QAI_DATA + 1;
	assert_int_equal(decode(m, &req), -EINVAL);
	/* data_size that disagrees with the record, either way. */
	put32(m, size_off, 16);
	m->body_len = sizeof(struct dxgw_query_adapter_info_req) + 8;
	assert_int_equal(decode(m, &req), -EINVAL);
	put32(m, size_off, 4);
	assert_int_equal(decode(m, &req), -EINVAL);
	/* Shorter than the fixed part. */
	m->body_len = sizeof(struct dxgw_query_adapter_info_req) - 4;
	assert_int_equal(decode(m, &req), -EINVAL);
	free(m);
}

static void test_context_priv_sizes(void **state)
{
	const size_t size_off = offsetof(struct dxgw_create_context_req, priv_size);
	const uint32_t fixed = sizeof(struct dxgw_create_context_req);
	struct dxgw_request req;
	struct msg *m = good_create_context(32);

	(void)state;
	put32(m, size_off, 0xffffffe8u);	/* fixed + this wraps to 0 in 32 bits */
	m->body_len = fixed;
	assert_int_equal(decode(m, &req), -EINVAL);
	put32(m, size_off, DXGW_MAX_CONTEXT_PRIV + 1);
	m->body_len = fixed + DXGW_MAX_CONTEXT_PRIV + 1;
	assert_int_equal(decode(m, &req), -EINVAL);
	put32(m, size_off, 33);
	m->body_len = fixed + 32;
	assert_int_equal(decode(m, &req), -EINVAL);
	put32(m, size_off, 0);
	assert_int_equal(decode(m, &req), -EINVAL);
	m->body_len = fixed - 1;
	assert_int_equal(decode(m, &req), -EINVAL);
	free(m);
}

static void test_opcode_names(void **state)
{
	(void)state;
	assert_string_equal(dxgw_opcode_name(DXGW_OP_CREATE_CONTEXT_VIRTUAL),
			    "CREATE_CONTEXT_VIRTUAL");
	assert_string_equal(dxgw_opcode_name(0x4242), "unknown");
	assert_true(dxgw_opcode_known(DXGW_OP_DESTROY_CONTEXT));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_connect),
		cmocka_unit_test(test_good_nop_and_vm_scoped),
		cmocka_unit_test(test_good_create_process),
		cmocka_unit_test(test_good_destroy_process),
		cmocka_unit_test(test_good_adapter_ops),
		cmocka_unit_test(test_good_query_adapter_info),
		cmocka_unit_test(test_good_create_device),
		cmocka_unit_test(test_good_destroy_ops),
		cmocka_unit_test(test_good_create_context),
		cmocka_unit_test(test_envelope_faults_every_opcode),
		cmocka_unit_test(test_short_records),
		cmocka_unit_test(test_oversized_record),
		cmocka_unit_test(test_unknown_opcodes),
		cmocka_unit_test(test_reserved_body_fields),
		cmocka_unit_test(test_process_name_padding),
		cmocka_unit_test(test_flags),
		cmocka_unit_test(test_qai_sizes),
		cmocka_unit_test(test_context_priv_sizes),
		cmocka_unit_test(test_opcode_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
