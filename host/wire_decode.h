/* SPDX-License-Identifier: MIT */
/*
 * The worker's one choke point for guest messages: turns a ring record (already copied out of the
 * shared ring into private memory) into a fully validated, host-endian request. Handlers only ever
 * see a struct dxgw_request; they never read raw bytes.
 *
 * Errors (the reply status, see docs/protocol.md):
 *   -EPROTO  the envelope is wrong: record shorter than struct dxgw_hdr, hdr.size != record length,
 *            flags != 0, or the header's status/reserved fields are not zero
 *   -ENOSYS  unknown opcode (a newer guest talking to an older host)
 *   -EINVAL  the body is wrong: wrong length, reserved fields not zero, unknown flag bits,
 *            counts out of range, hdr.process not 0 for a VM-scoped opcode or 0 for a
 *            process-scoped one
 */
#ifndef DXGD_WIRE_DECODE_H
#define DXGD_WIRE_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <misc/d3dkmthk.h>
#include <opendxg/wire.h>

/* The WSL flag bits the host accepts; any other bit is -EINVAL. */
#define DXGW_CREATE_DEVICE_FLAGS_MASK \
	(D3DKMT_CREATEDEVICE_FLAG_LEGACY_MODE | D3DKMT_CREATEDEVICE_FLAG_REQUEST_VSYNC | \
	 D3DKMT_CREATEDEVICE_FLAG_DISABLE_GPU_TIMEOUT | D3DKMT_CREATEDEVICE_FLAG_GDI_DEVICE)
#define DXGW_CREATE_CONTEXT_FLAGS_MASK \
	(D3DDDI_CREATECONTEXT_FLAG_NULL_RENDERING | D3DDDI_CREATECONTEXT_FLAG_INITIAL_DATA | \
	 D3DDDI_CREATECONTEXT_FLAG_DISABLE_GPU_TIMEOUT | \
	 D3DDDI_CREATECONTEXT_FLAG_SYNCHRONIZATION_ONLY | \
	 D3DDDI_CREATECONTEXT_FLAG_HW_QUEUE_SUPPORTED)

struct dxgw_request {
	uint16_t opcode;
	uint64_t request_id;
	uint32_t process;	/* hdr.process: 0 for VM-scoped opcodes, non-zero otherwise */
	union {
		struct {
			uint32_t guest_version;
			uint64_t guest_features;
		} connect;
		struct {
			uint32_t pid;
			/* The wire name, NUL terminated here; not yet sanitized. */
			char name[DXGW_PROCESS_NAME_LEN + 1];
		} create_process;
		struct {
			uint32_t adapter;
		} adapter;	/* OPEN_ADAPTER, CLOSE_ADAPTER */
		struct {
			uint32_t adapter;
			uint32_t type;
			uint32_t data_size;	/* 1..DXGW_MAX_QAI_DATA */
			const unsigned char *data;	/* into the private record copy */
		} query_adapter_info;
		struct {
			uint32_t adapter;
			uint32_t flags;
		} create_device;
		struct {
			uint32_t handle;
		} destroy;	/* DESTROY_DEVICE, DESTROY_CONTEXT */
		struct {
			uint32_t device;
			uint32_t node_ordinal;
			uint32_t engine_affinity;
			uint32_t flags;
			uint32_t client_hint;
			uint32_t priv_size;	/* 0..DXGW_MAX_CONTEXT_PRIV */
			const unsigned char *priv;	/* into the private record copy, NULL if 0 */
		} create_context;
	};
};

/*
 * Validates the record `buf`/`len` and fills `req`. Returns 0 or a negative errno (above).
 * *request_id_valid tells whether req->request_id was readable (the record holds at least the
 * header's first 16 bytes), so a rejected request can still be answered. `req` may point into
 * `buf` (data pointers), so `buf` must outlive it.
 */
int dxgw_decode_request(const void *buf, size_t len, struct dxgw_request *req,
			bool *request_id_valid);

/* True for opcodes this host implements. */
bool dxgw_opcode_known(uint16_t opcode);
const char *dxgw_opcode_name(uint16_t opcode);

#endif /* DXGD_WIRE_DECODE_H */
