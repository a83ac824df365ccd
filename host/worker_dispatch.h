/* SPDX-License-Identifier: MIT */
/*
 * From one request record to one reply record: decode (wire_decode.c), act on the VM's objects,
 * encode the reply. Independent of the ring so tests and fuzzers can drive a VM directly.
 */
#ifndef DXGD_WORKER_DISPATCH_H
#define DXGD_WORKER_DISPATCH_H

#include <stdint.h>

#include "log.h"
#include "objects.h"

/*
 * Handles the request in `record` (`len` bytes, a private copy) and writes the reply record into
 * `reply` (`reply_cap` bytes, at least the largest reply the request can need: a request's reply
 * is never longer than max(len, 32 + 8 + 64 * 16)). Counts the request, and a malformed one in
 * vm->counters.rejected with a message through `reject_log`. Returns the reply length, or 0 when
 * the request is too damaged to be answered (its request_id is unreadable).
 *
 * A reply with status DXGW_STATUS_PENDING leaves work behind (memory_has_deferred()): the caller
 * publishes the reply, then runs memory_after_reply() (memory.h) before the next request.
 */
uint32_t worker_dispatch(struct dxg_vm *vm, const unsigned char *record, uint32_t len,
			 unsigned char *reply, uint32_t reply_cap, struct dxg_ratelimit *reject_log);

/* The reply capacity that suffices for every request of at most `max_message` bytes. */
uint32_t worker_dispatch_reply_cap(uint32_t max_message);

#endif /* DXGD_WORKER_DISPATCH_H */
