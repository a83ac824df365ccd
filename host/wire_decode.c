// SPDX-License-Identifier: MIT
#include "wire_decode.h"

#include <errno.h>
#include <string.h>

/*
 * Every multi-byte field is read with dxg_get_le*() (compat.h), so the decoder neither depends on the
 * alignment of the record buffer nor on the host's byte order.
 */
#define FIELD(type, member) offsetof(type, member)

typedef int (*body_decoder)(const unsigned char *body, uint32_t size, struct dxgw_request *req);

struct opcode_desc {
	uint16_t opcode;
	const char *name;
	bool process_scoped;
	/* Fixed part of the body; variable opcodes check their own total. */
	uint32_t fixed_size;
	bool variable;
	body_decoder decode;
};

static int decode_connect(const unsigned char *b, uint32_t size, struct dxgw_request *req)
{
	(void)size;
	if (dxg_get_le32(b + FIELD(struct dxgw_connect_req, reserved0)) != 0)
		return -EINVAL;
	req->connect.guest_version = dxg_get_le32(b + FIELD(struct dxgw_connect_req, guest_version));
	req->connect.guest_features = dxg_get_le64(b + FIELD(struct dxgw_connect_req, guest_features));
	return 0;
}

static int decode_create_process(const unsigned char *b, uint32_t size, struct dxgw_request *req)
{
	const unsigned char *name = b + FIELD(struct dxgw_create_process_req, name);
	bool ended = false;

	(void)size;
	if (dxg_get_le32(b + FIELD(struct dxgw_create_process_req, reserved0)) != 0)
		return -EINVAL;
	/*
	 * NUL padded means exactly that: bytes after the terminator must be zero, so a guest driver
	 * that forgets to clear the buffer is caught instead of leaking its memory into host logs.
	 */
	for (uint32_t i = 0; i < DXGW_PROCESS_NAME_LEN; i++) {
		if (name[i] == 0)
			ended = true;
		else if (ended)
			return -EINVAL;
	}
	req->create_process.pid = dxg_get_le32(b + FIELD(struct dxgw_create_process_req, pid));
	memcpy(req->create_process.name, name, DXGW_PROCESS_NAME_LEN);
	req->create_process.name[DXGW_PROCESS_NAME_LEN] = '\0';
	return 0;
}

static int decode_adapter(const unsigned char *b, uint32_t size, struct dxgw_request *req)
{
	(void)size;
	if (dxg_get_le32(b + FIELD(struct dxgw_adapter_req, reserved0)) != 0)
		return -EINVAL;
	req->adapter.adapter = dxg_get_le32(b + FIELD(struct dxgw_adapter_req, adapter));
	return 0;
}

static int decode_query_adapter_info(const unsigned char *b, uint32_t size,
				     struct dxgw_request *req)
{
	const uint32_t fixed = sizeof(struct dxgw_query_adapter_info_req);
	uint32_t data_size = dxg_get_le32(b + FIELD(struct dxgw_query_adapter_info_req, data_size));

	if (dxg_get_le32(b + FIELD(struct dxgw_query_adapter_info_req, reserved0)) != 0)
		return -EINVAL;
	if (data_size == 0 || data_size > DXGW_MAX_QAI_DATA)
		return -EINVAL;
	/* Both operands are bounded (size by the caller, data_size above): no overflow. */
	if (size != fixed + data_size)
		return -EINVAL;
	req->query_adapter_info.adapter =
		dxg_get_le32(b + FIELD(struct dxgw_query_adapter_info_req, adapter));
	req->query_adapter_info.type = dxg_get_le32(b + FIELD(struct dxgw_query_adapter_info_req, type));
	req->query_adapter_info.data_size = data_size;
	req->query_adapter_info.data = b + fixed;
	return 0;
}

static int decode_create_device(const unsigned char *b, uint32_t size, struct dxgw_request *req)
{
	uint32_t flags = dxg_get_le32(b + FIELD(struct dxgw_create_device_req, flags));

	(void)size;
	if (flags & ~DXGW_CREATE_DEVICE_FLAGS_MASK)
		return -EINVAL;
	req->create_device.adapter = dxg_get_le32(b + FIELD(struct dxgw_create_device_req, adapter));
	req->create_device.flags = flags;
	return 0;
}

static int decode_destroy(const unsigned char *b, uint32_t size, struct dxgw_request *req)
{
	(void)size;
	if (dxg_get_le32(b + FIELD(struct dxgw_destroy_req, reserved0)) != 0)
		return -EINVAL;
	req->destroy.handle = dxg_get_le32(b + FIELD(struct dxgw_destroy_req, handle));
	return 0;
}

static int decode_create_context(const unsigned char *b, uint32_t size, struct dxgw_request *req)
{
	const uint32_t fixed = sizeof(struct dxgw_create_context_req);
	uint32_t flags = dxg_get_le32(b + FIELD(struct dxgw_create_context_req, flags));
	uint32_t priv_size = dxg_get_le32(b + FIELD(struct dxgw_create_context_req, priv_size));

	if (flags & ~DXGW_CREATE_CONTEXT_FLAGS_MASK)
		return -EINVAL;
	if (priv_size > DXGW_MAX_CONTEXT_PRIV)
		return -EINVAL;
	if (size != fixed + priv_size)
		return -EINVAL;
	req->create_context.device = dxg_get_le32(b + FIELD(struct dxgw_create_context_req, device));
	req->create_context.node_ordinal =
		dxg_get_le32(b + FIELD(struct dxgw_create_context_req, node_ordinal));
	req->create_context.engine_affinity =
		dxg_get_le32(b + FIELD(struct dxgw_create_context_req, engine_affinity));
	req->create_context.flags = flags;
	req->create_context.client_hint =
		dxg_get_le32(b + FIELD(struct dxgw_create_context_req, client_hint));
	req->create_context.priv_size = priv_size;
	req->create_context.priv = priv_size ? b + fixed : NULL;
	return 0;
}

static const struct opcode_desc opcodes[] = {
	{ DXGW_OP_CONNECT, "CONNECT", false, sizeof(struct dxgw_connect_req), false,
	  decode_connect },
	{ DXGW_OP_NOP, "NOP", false, 0, false, NULL },
	{ DXGW_OP_CREATE_PROCESS, "CREATE_PROCESS", false, sizeof(struct dxgw_create_process_req),
	  false, decode_create_process },
	{ DXGW_OP_DESTROY_PROCESS, "DESTROY_PROCESS", true, 0, false, NULL },
	{ DXGW_OP_ENUM_ADAPTERS, "ENUM_ADAPTERS", false, 0, false, NULL },
	{ DXGW_OP_OPEN_ADAPTER, "OPEN_ADAPTER", true, sizeof(struct dxgw_adapter_req), false,
	  decode_adapter },
	{ DXGW_OP_CLOSE_ADAPTER, "CLOSE_ADAPTER", true, sizeof(struct dxgw_adapter_req), false,
	  decode_adapter },
	{ DXGW_OP_QUERY_ADAPTER_INFO, "QUERY_ADAPTER_INFO", true,
	  sizeof(struct dxgw_query_adapter_info_req), true, decode_query_adapter_info },
	{ DXGW_OP_CREATE_DEVICE, "CREATE_DEVICE", true, sizeof(struct dxgw_create_device_req),
	  false, decode_create_device },
	{ DXGW_OP_DESTROY_DEVICE, "DESTROY_DEVICE", true, sizeof(struct dxgw_destroy_req), false,
	  decode_destroy },
	{ DXGW_OP_CREATE_CONTEXT_VIRTUAL, "CREATE_CONTEXT_VIRTUAL", true,
	  sizeof(struct dxgw_create_context_req), true, decode_create_context },
	{ DXGW_OP_DESTROY_CONTEXT, "DESTROY_CONTEXT", true, sizeof(struct dxgw_destroy_req), false,
	  decode_destroy },
};

static const struct opcode_desc *find_opcode(uint16_t opcode)
{
	for (size_t i = 0; i < sizeof(opcodes) / sizeof(opcodes[0]); i++) {
		if (opcodes[i].opcode == opcode)
			return &opcodes[i];
	}
	return NULL;
}

bool dxgw_opcode_known(uint16_t opcode)
{
	return find_opcode(opcode) != NULL;
}

const char *dxgw_opcode_name(uint16_t opcode)
{
	const struct opcode_desc *d = find_opcode(opcode);

	return d ? d->name : "unknown";
}

int dxgw_decode_request(const void *buf, size_t len, struct dxgw_request *req,
			bool *request_id_valid)
{
	const unsigned char *p = buf;
	const size_t id_end = FIELD(struct dxgw_hdr, request_id) + sizeof(dxg_le64);
	const struct opcode_desc *d;
	uint32_t body_size;
	int ret;

	memset(req, 0, sizeof(*req));
	*request_id_valid = false;
	if (len >= id_end) {
		req->request_id = dxg_get_le64(p + FIELD(struct dxgw_hdr, request_id));
		req->opcode = dxg_get_le16(p + FIELD(struct dxgw_hdr, opcode));
		*request_id_valid = true;
	}
	if (len < sizeof(struct dxgw_hdr) || len > DXGW_MAX_MESSAGE)
		return -EPROTO;
	/* Read before the envelope checks so that even a rejection names the process. */
	req->process = dxg_get_le32(p + FIELD(struct dxgw_hdr, process));
	if (dxg_get_le32(p + FIELD(struct dxgw_hdr, size)) != len ||
	    dxg_get_le16(p + FIELD(struct dxgw_hdr, flags)) != 0 ||
	    dxg_get_le32(p + FIELD(struct dxgw_hdr, status)) != 0 ||
	    dxg_get_le64(p + FIELD(struct dxgw_hdr, reserved)) != 0)
		return -EPROTO;

	d = find_opcode(req->opcode);
	if (!d)
		return -ENOSYS;
	if (d->process_scoped != (req->process != 0))
		return -EINVAL;

	body_size = (uint32_t)(len - sizeof(struct dxgw_hdr));
	if (d->variable ? body_size < d->fixed_size : body_size != d->fixed_size)
		return -EINVAL;
	if (!d->decode)
		return 0;
	ret = d->decode(p + sizeof(struct dxgw_hdr), body_size, req);
	if (ret) {
		/* Leave no half-decoded body behind for a caller that ignores the error. */
		uint16_t opcode = req->opcode;
		uint64_t id = req->request_id;
		uint32_t process = req->process;

		memset(req, 0, sizeof(*req));
		req->opcode = opcode;
		req->request_id = id;
		req->process = process;
	}
	return ret;
}
