/* SPDX-License-Identifier: MIT */
/*
 * Messages between the dxgd broker and a per-VM worker, over a SOCK_SEQPACKET socketpair (one
 * message per packet, fds as SCM_RIGHTS). Both ends are our own binary, started together, so the
 * layout is host-endian; the worker still checks sizes because a broken worker must not be able to
 * confuse the broker. See docs/internals.md.
 */
#ifndef DXGD_BROKER_PROTO_H
#define DXGD_BROKER_PROTO_H

#include <stdint.h>

enum bw_type {
	BW_READY = 1,		/* worker -> broker: struct bw_ready */
	BW_PEER_ATTACH = 2,	/* broker -> worker: struct bw_peer_attach + `vectors` eventfds */
	BW_STATUS_REQ = 3,	/* broker -> worker: header only */
	BW_STATUS_REPLY = 4,	/* worker -> broker: header + JSON text (no NUL) */
};

struct bw_hdr {
	uint32_t type;		/* enum bw_type */
	uint32_t size;		/* header + body */
};

struct bw_ready {
	struct bw_hdr hdr;
	uint32_t adapter_count;
	uint32_t generation;
};

struct bw_peer_attach {
	struct bw_hdr hdr;
	uint32_t peer_id;
	uint32_t vectors;	/* number of eventfds attached, == DXG_VECTORS */
};

/* Largest packet either side sends (a status reply with many processes). */
#define BW_MAX_PACKET (1u << 20)

#endif /* DXGD_BROKER_PROTO_H */
