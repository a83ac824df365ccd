/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * opendxg wire protocol: the messages a guest (kernel module or user-space guest) sends to the
 * host daemon over the request ring, and the replies it gets on the reply ring.
 *
 * Rules (docs/protocol.md has the full specification):
 * - Every field is fixed-width little-endian; every struct has explicit padding and a size assert.
 *   Reserved fields are MBZ and the host rejects a request whose reserved fields are not zero.
 * - Each ring record is exactly one message: struct dxgw_hdr, then the opcode's body. hdr.size is
 *   the record's payload length (header included) and must match it.
 * - request_id is chosen by the guest and echoed in the reply, so replies may complete out of order
 *   and a waiter that gave up cannot take someone else's reply.
 * - hdr.process names the host process object (from DXGW_OP_CREATE_PROCESS) for process-scoped
 *   opcodes and is 0 for VM-scoped ones (CONNECT, NOP, CREATE_PROCESS, ENUM_ADAPTERS).
 * - A reply carries hdr.status = 0 or a negative Linux errno (as s32). A reply with a non-zero
 *   status has no body. Reply bodies may grow in later minor versions: a guest accepts a longer
 *   reply body and ignores the tail. Request bodies have exactly the documented size; a longer
 *   request body may only be sent under a negotiated feature bit.
 */
#ifndef OPENDXG_WIRE_H
#define OPENDXG_WIRE_H

#include "compat.h"
#include "region.h"

/* Largest body of any message, and the largest ring record payload (header + body). */
#define DXGW_MAX_BODY (128u * 1024u + 64u)
#define DXGW_MAX_MESSAGE (DXGW_MAX_BODY + 32u)

/* Limits the host enforces, chosen to match the WSL driver's guest-side limits. */
#define DXGW_MAX_ADAPTERS 64u
#define DXGW_MAX_QAI_DATA (128u * 1024u)	/* QUERYADAPTERINFO private data */
#define DXGW_MAX_CONTEXT_PRIV (128u * 1024u)	/* CREATECONTEXTVIRTUAL private data */
#define DXGW_PROCESS_NAME_LEN 16u

/* Opcodes, banded: 0x00xx VM scope, 0x01xx adapters, 0x02xx devices, 0x03xx contexts. */
enum dxgw_opcode {
	DXGW_OP_CONNECT = 0x0001,
	DXGW_OP_NOP = 0x0002,
	DXGW_OP_CREATE_PROCESS = 0x0010,
	DXGW_OP_DESTROY_PROCESS = 0x0011,
	DXGW_OP_ENUM_ADAPTERS = 0x0100,
	DXGW_OP_OPEN_ADAPTER = 0x0101,
	DXGW_OP_CLOSE_ADAPTER = 0x0102,
	DXGW_OP_QUERY_ADAPTER_INFO = 0x0103,
	DXGW_OP_CREATE_DEVICE = 0x0200,
	DXGW_OP_DESTROY_DEVICE = 0x0201,
	DXGW_OP_CREATE_CONTEXT_VIRTUAL = 0x0300,
	DXGW_OP_DESTROY_CONTEXT = 0x0301,
};

#define DXGW_FLAG_REPLY 0x0001u		/* set in every reply, never in a request */
#define DXGW_FLAGS_MASK DXGW_FLAG_REPLY

struct dxgw_hdr {
	dxg_le32 size;		/* header + body bytes; equals the ring record payload length */
	dxg_le16 opcode;	/* enum dxgw_opcode */
	dxg_le16 flags;		/* DXGW_FLAG_* */
	dxg_le64 request_id;	/* chosen by the guest, echoed by the host */
	dxg_le32 process;	/* host process handle, or 0 for VM-scoped opcodes */
	dxg_le32 status;	/* reply: 0 or -errno (s32); request: MBZ */
	dxg_le64 reserved;	/* MBZ */
};
DXG_ASSERT_SIZE(struct dxgw_hdr, 32);

/*
 * DXGW_OP_CONNECT: the first message of a guest driver instance. The host forgets every object the
 * VM had (a new driver instance cannot know them) and answers with what it offers.
 */
struct dxgw_connect_req {
	dxg_le32 guest_version;		/* DXG_PROTOCOL_VERSION of the guest */
	dxg_le32 reserved0;		/* MBZ */
	dxg_le64 guest_features;	/* DXG_FEATURE_* the guest wants (subset of host_features) */
};
DXG_ASSERT_SIZE(struct dxgw_connect_req, 16);

struct dxgw_connect_reply {
	dxg_le32 host_version;
	dxg_le32 generation;		/* equals the region header's generation */
	dxg_le64 features;		/* accepted: guest_features & host_features */
	dxg_le32 adapter_count;
	dxg_le32 reserved0;
};
DXG_ASSERT_SIZE(struct dxgw_connect_reply, 24);

/* DXGW_OP_NOP: no body, empty reply body. Used to measure a round trip. */

/* DXGW_OP_CREATE_PROCESS: a guest process (thread group) opened /dev/dxg. */
struct dxgw_create_process_req {
	dxg_le32 pid;			/* guest tgid, for display only */
	dxg_le32 reserved0;		/* MBZ */
	char name[DXGW_PROCESS_NAME_LEN];	/* comm, NUL padded; display only */
};
DXG_ASSERT_SIZE(struct dxgw_create_process_req, 24);

struct dxgw_create_process_reply {
	dxg_le32 process;		/* host process handle, used in hdr.process from now on */
	dxg_le32 reserved0;
};
DXG_ASSERT_SIZE(struct dxgw_create_process_reply, 8);

/* DXGW_OP_DESTROY_PROCESS: hdr.process is destroyed with every object it owns. No body. */

/* DXGW_OP_ENUM_ADAPTERS: no request body. */
#define DXGW_ADAPTER_COMPUTE_ONLY 0x1u	/* no display; always set by opendxg */
#define DXGW_ADAPTER_SOFTWARE 0x2u	/* a CPU implementation (lavapipe) */

struct dxgw_adapter_desc {
	dxg_le32 adapter;		/* host adapter handle (VM scope, same for every process) */
	dxg_le32 luid_low;
	dxg_le32 luid_high;
	dxg_le32 flags;			/* DXGW_ADAPTER_* */
};
DXG_ASSERT_SIZE(struct dxgw_adapter_desc, 16);

struct dxgw_enum_adapters_reply {
	dxg_le32 count;			/* <= DXGW_MAX_ADAPTERS; `count` descs follow */
	dxg_le32 reserved0;
	/* struct dxgw_adapter_desc adapters[count]; */
};
DXG_ASSERT_SIZE(struct dxgw_enum_adapters_reply, 8);

/* DXGW_OP_OPEN_ADAPTER / DXGW_OP_CLOSE_ADAPTER: the process opens or closes one reference. */
struct dxgw_adapter_req {
	dxg_le32 adapter;
	dxg_le32 reserved0;
};
DXG_ASSERT_SIZE(struct dxgw_adapter_req, 8);

/*
 * DXGW_OP_QUERY_ADAPTER_INFO: the process must have the adapter open. `data_size` bytes of the
 * caller's buffer follow (some query types take input there); the reply carries data_size bytes.
 */
struct dxgw_query_adapter_info_req {
	dxg_le32 adapter;
	dxg_le32 type;			/* KMTQAITYPE_* or OPENDXG_QAI_* */
	dxg_le32 data_size;		/* 1..DXGW_MAX_QAI_DATA */
	dxg_le32 reserved0;
	/* unsigned char data[data_size]; */
};
DXG_ASSERT_SIZE(struct dxgw_query_adapter_info_req, 16);

struct dxgw_query_adapter_info_reply {
	dxg_le32 data_size;		/* equals the request's */
	dxg_le32 reserved0;
	/* unsigned char data[data_size]; */
};
DXG_ASSERT_SIZE(struct dxgw_query_adapter_info_reply, 8);

/* DXGW_OP_CREATE_DEVICE: the process must have the adapter open. */
struct dxgw_create_device_req {
	dxg_le32 adapter;
	dxg_le32 flags;			/* d3dkmt_createdeviceflags bits, validated by the guest */
};
DXG_ASSERT_SIZE(struct dxgw_create_device_req, 8);

struct dxgw_handle_reply {
	dxg_le32 handle;		/* the created object */
	dxg_le32 reserved0;
};
DXG_ASSERT_SIZE(struct dxgw_handle_reply, 8);

/* DXGW_OP_DESTROY_DEVICE / DXGW_OP_DESTROY_CONTEXT: destroys the object and what hangs off it. */
struct dxgw_destroy_req {
	dxg_le32 handle;
	dxg_le32 reserved0;
};
DXG_ASSERT_SIZE(struct dxgw_destroy_req, 8);

/* DXGW_OP_CREATE_CONTEXT_VIRTUAL; reply is struct dxgw_handle_reply. */
struct dxgw_create_context_req {
	dxg_le32 device;
	dxg_le32 node_ordinal;
	dxg_le32 engine_affinity;
	dxg_le32 flags;			/* d3dddi_createcontextflags bits */
	dxg_le32 client_hint;
	dxg_le32 priv_size;		/* <= DXGW_MAX_CONTEXT_PRIV; private data follows */
};
DXG_ASSERT_SIZE(struct dxgw_create_context_req, 24);

#endif /* OPENDXG_WIRE_H */
