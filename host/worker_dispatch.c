// SPDX-License-Identifier: MIT
#include "worker_dispatch.h"

#include <errno.h>
#include <string.h>

#include <opendxg/region.h>
#include <opendxg/wire.h>

#include "adapter_info.h"
#include "exec.h"
#include "memory.h"
#include "share.h"
#include "stats.h"
#include "sync.h"
#include "wire_decode.h"

#define ENUM_REPLY_MAX \
	(sizeof(struct dxgw_enum_adapters_reply) + DXGW_MAX_ADAPTERS * sizeof(struct dxgw_adapter_desc))

uint32_t worker_dispatch_reply_cap(uint32_t max_message)
{
	uint32_t enum_reply = (uint32_t)(sizeof(struct dxgw_hdr) + ENUM_REPLY_MAX);

	return max_message > enum_reply ? max_message : enum_reply;
}

/* Where a handler writes its reply body: bounded, zeroed before use. */
struct reply_body {
	unsigned char *data;
	uint32_t cap;
	uint32_t len;
};

static void *reply_reserve(struct reply_body *body, uint32_t len)
{
	void *p;

	/* Callers reserve fixed sizes the capacity was computed for; this is the last safety net. */
	if (len > body->cap - body->len)
		return NULL;
	p = body->data + body->len;
	memset(p, 0, len);
	body->len += len;
	return p;
}

static int handle_connect(struct dxg_vm *vm, const struct dxgw_request *req,
			  struct reply_body *body)
{
	struct dxgw_connect_reply *r;

	if ((req->connect.guest_version >> 16) != DXG_PROTOCOL_MAJOR)
		return -EPROTONOSUPPORT;
	/* A new guest driver instance cannot know any object the VM had: start from nothing. */
	vm_destroy_all_processes(vm);
	r = reply_reserve(body, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->host_version = dxg_to_le32(DXG_PROTOCOL_VERSION);
	r->generation = dxg_to_le32(vm->generation);
	r->features = dxg_to_le64(req->connect.guest_features & DXG_FEATURE_MASK);
	r->adapter_count = dxg_to_le32(vm->adapter_count);
	return 0;
}

static int handle_create_process(struct dxg_vm *vm, const struct dxgw_request *req,
				 struct reply_body *body)
{
	struct dxgw_create_process_reply *r;
	uint32_t handle;
	int ret;

	r = reply_reserve(body, sizeof(*r));
	if (!r)
		return -ENOMEM;
	ret = vm_create_process(vm, req->create_process.pid, req->create_process.name, &handle);
	if (ret)
		return ret;
	r->process = dxg_to_le32(handle);
	return 0;
}

static int handle_enum_adapters(struct dxg_vm *vm, struct reply_body *body)
{
	struct dxgw_enum_adapters_reply *r = reply_reserve(body, sizeof(*r));

	if (!r)
		return -ENOMEM;
	r->count = dxg_to_le32(vm->adapter_count);
	for (uint32_t i = 0; i < vm->adapter_count; i++) {
		const struct dxg_adapter *a = &vm->adapters[i];
		struct dxgw_adapter_desc *d = reply_reserve(body, sizeof(*d));
		uint32_t flags = DXGW_ADAPTER_COMPUTE_ONLY;

		if (!d)
			return -ENOMEM;
		if (a->vk->device_type == VK_PHYSICAL_DEVICE_TYPE_CPU)
			flags |= DXGW_ADAPTER_SOFTWARE;
		d->adapter = dxg_to_le32(a->handle);
		d->luid_low = dxg_to_le32(a->vk->luid_low);
		d->luid_high = dxg_to_le32(a->vk->luid_high);
		d->flags = dxg_to_le32(flags);
	}
	return 0;
}

static int handle_query_adapter_info(struct dxg_vm *vm, struct dxg_process *p,
				     const struct dxgw_request *req, struct reply_body *body)
{
	const uint32_t size = req->query_adapter_info.data_size;
	struct dxg_adapter *a = process_find_open_adapter(vm, p, req->query_adapter_info.adapter);
	struct dxgw_query_adapter_info_reply *r;
	unsigned char *data;

	if (!a)
		return -EINVAL;
	r = reply_reserve(body, sizeof(*r));
	data = reply_reserve(body, size);
	if (!r || !data)
		return -ENOMEM;
	r->data_size = dxg_to_le32(size);
	return adapter_info_query(vm, a, req->query_adapter_info.type, req->query_adapter_info.data,
				  size, data);
}

static int handle_handle_reply(struct reply_body *body, uint32_t handle)
{
	struct dxgw_handle_reply *r = reply_reserve(body, sizeof(*r));

	if (!r)
		return -ENOMEM;
	r->handle = dxg_to_le32(handle);
	return 0;
}

/*
 * The bands with a module of their own: memory (0x04xx), sync (0x0500..3), execution (0x06xx),
 * sharing (0x07xx), statistics and queries (0x08xx; INVALIDATE_CACHE is memory's).
 */
static int handle_band_request(struct dxg_vm *vm, struct dxg_process *p,
			       const struct dxgw_request *req, struct reply_body *body)
{
	unsigned char *out = body->data + body->len;
	const uint32_t cap = body->cap - body->len;
	uint32_t len = 0;
	int ret;

	switch (req->opcode & 0xff00) {
	case 0x0400:
		ret = memory_handle_request(vm, p, req, out, cap, &len);
		break;
	case 0x0500:
		/* Signals and waits on queues are queue items: exec.c. */
		if (req->opcode == DXGW_OP_SIGNAL_ON_QUEUE || req->opcode == DXGW_OP_WAIT_ON_QUEUE)
			ret = exec_handle_request(vm, p, req, out, cap, &len);
		else
			ret = sync_handle_request(vm, p, req, out, cap, &len);
		break;
	case 0x0600:
		ret = exec_handle_request(vm, p, req, out, cap, &len);
		break;
	case 0x0700:
		ret = share_handle_request(vm, p, req, out, cap, &len);
		break;
	case 0x0800:
		if (req->opcode == DXGW_OP_INVALIDATE_CACHE)
			ret = memory_handle_request(vm, p, req, out, cap, &len);
		else
			ret = stats_handle_request(vm, p, req, out, cap, &len);
		break;
	default:
		/* The decoder admits only known opcodes; this is a host bug, not a guest fault. */
		return -ENOSYS;
	}
	if (ret >= 0)
		body->len += len;
	return ret;
}

static int handle_process_request(struct dxg_vm *vm, struct dxg_process *p,
				  const struct dxgw_request *req, struct reply_body *body)
{
	uint32_t handle;
	int ret;

	switch (req->opcode) {
	case DXGW_OP_DESTROY_PROCESS:
		vm_destroy_process(vm, p);
		return 0;
	case DXGW_OP_OPEN_ADAPTER:
		return process_open_adapter(vm, p, req->adapter.adapter);
	case DXGW_OP_CLOSE_ADAPTER:
		return process_close_adapter(vm, p, req->adapter.adapter);
	case DXGW_OP_QUERY_ADAPTER_INFO:
		return handle_query_adapter_info(vm, p, req, body);
	case DXGW_OP_CREATE_DEVICE:
		ret = process_create_device(vm, p, req->create_device.adapter,
					    req->create_device.flags, &handle);
		return ret ? ret : handle_handle_reply(body, handle);
	case DXGW_OP_DESTROY_DEVICE:
		return process_destroy_device(vm, p, req->destroy.handle);
	case DXGW_OP_CREATE_CONTEXT_VIRTUAL: {
		const struct context_params params = {
			.device = req->create_context.device,
			.node_ordinal = req->create_context.node_ordinal,
			.engine_affinity = req->create_context.engine_affinity,
			.flags = req->create_context.flags,
			.client_hint = req->create_context.client_hint,
			.priv_size = req->create_context.priv_size,
		};

		ret = process_create_context(vm, p, &params, &handle);
		return ret ? ret : handle_handle_reply(body, handle);
	}
	case DXGW_OP_DESTROY_CONTEXT:
		return process_destroy_context(vm, p, req->destroy.handle);
	default:
		return handle_band_request(vm, p, req, body);
	}
}

static int handle_request(struct dxg_vm *vm, const struct dxgw_request *req,
			  struct reply_body *body)
{
	struct dxg_process *p;

	switch (req->opcode) {
	case DXGW_OP_CONNECT:
		return handle_connect(vm, req, body);
	case DXGW_OP_NOP:
		return 0;
	case DXGW_OP_CREATE_PROCESS:
		return handle_create_process(vm, req, body);
	case DXGW_OP_ENUM_ADAPTERS:
		return handle_enum_adapters(vm, body);
	case DXGW_OP_CLOSE_SHARE:
		return share_close(vm, req->close_share.share_id);
	default:
		/* Every other opcode is process scoped; the decoder checked hdr.process != 0. */
		p = vm_find_process(vm, req->process);
		if (!p)
			return -EINVAL;
		return handle_process_request(vm, p, req, body);
	}
}

static uint32_t encode_reply(unsigned char *reply, const struct dxgw_request *req,
			     int status, uint32_t body_len)
{
	struct dxgw_hdr hdr;

	/*
	 * A failed request carries no body: nothing half-filled reaches the guest. A positive
	 * status (DXGW_STATUS_PENDING) is a success whose work goes on: it keeps its body.
	 */
	if (status < 0)
		body_len = 0;
	memset(&hdr, 0, sizeof(hdr));
	hdr.size = dxg_to_le32((uint32_t)sizeof(hdr) + body_len);
	hdr.opcode = dxg_to_le16(req->opcode);
	hdr.flags = dxg_to_le16(DXGW_FLAG_REPLY);
	hdr.request_id = dxg_to_le64(req->request_id);
	hdr.process = dxg_to_le32(req->process);
	hdr.status = dxg_to_le32((uint32_t)status);
	memcpy(reply, &hdr, sizeof(hdr));
	return (uint32_t)sizeof(hdr) + body_len;
}

static const char *reject_reason(int err)
{
	switch (err) {
	case -EPROTO:
		return "bad message header";
	case -ENOSYS:
		return "unknown opcode";
	default:
		return "bad message body";
	}
}

uint32_t worker_dispatch(struct dxg_vm *vm, const unsigned char *record, uint32_t len,
			 unsigned char *reply, uint32_t reply_cap, struct dxg_ratelimit *reject_log)
{
	struct dxgw_request req;
	struct reply_body body = {
		.data = reply + sizeof(struct dxgw_hdr),
		.cap = reply_cap - (uint32_t)sizeof(struct dxgw_hdr),
	};
	bool id_valid;
	int status;

	vm->counters.requests++;
	status = dxgw_decode_request(record, len, &req, &id_valid);
	if (status) {
		vm->counters.rejected++;
		dxg_log_limited(reject_log, DXG_LOG_WARN,
				"rejected request (opcode 0x%04x, %u bytes, id %llu): %s",
				req.opcode, len, (unsigned long long)req.request_id,
				reject_reason(status));
		if (!id_valid)
			return 0;
		return encode_reply(reply, &req, status, 0);
	}
	status = handle_request(vm, &req, &body);
	/*
	 * Whatever the request changed (a new item, a signalled fence, a destroyed object) may let
	 * queued work run: run it now, before the next request, so nothing waits for a doorbell.
	 */
	exec_run(vm);
	log_debug("%s id %llu process 0x%x -> %d", dxgw_opcode_name(req.opcode),
		  (unsigned long long)req.request_id, req.process, status);
	return encode_reply(reply, &req, status, body.len);
}
