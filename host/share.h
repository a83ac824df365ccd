/* SPDX-License-Identifier: MIT */
/*
 * Shares (wire.h "0x07xx", docs/protocol.md "Sharing"): VM-scoped references to a sync object or
 * a resource that the guest driver keeps inside file descriptors (SHAREOBJECTS, sync files), so
 * that other processes of the VM can open the object with handles of their own.
 *
 * One share per object at most, created by its first SHARE_OBJECT and counted by SHARE_OBJECT /
 * CLOSE_SHARE; it goes with its last reference (a later SHARE_OBJECT makes a new one, with a new
 * id). A share holds its object, not a handle: the object outlives its creator's handle while a
 * share or any opened handle is left. Sync objects are shared by sync.c (one state, one value,
 * a fence slot per handle plus the share's own slot), resources by memory.c (struct mem_share).
 *
 * Ids come from a per-VM counter starting at a random value: unique while the worker runs, and
 * meaningless in any other VM (each worker has its own table). Limits: DXG_MAX_SHARES live
 * shares per VM, DXG_MAX_SHARE_REFS references per share (-ENOMEM beyond).
 */
#ifndef DXGD_SHARE_H
#define DXGD_SHARE_H

#include <stdint.h>

#include "objects.h"
#include "wire_decode.h"

#define DXG_MAX_SHARES 65536u
#define DXG_MAX_SHARE_REFS 65536u

int share_vm_init(struct dxg_vm *vm);
/* Drops every share (CONNECT and worker exit: the descriptors died with the guest driver). */
void share_vm_reset(struct dxg_vm *vm);
void share_vm_fini(struct dxg_vm *vm);

/*
 * The process-scoped 0x07xx opcodes: SHARE_OBJECT, OPEN_SHARED_SYNC_OBJECT, QUERY_SHARED_RESOURCE,
 * OPEN_SHARED_RESOURCE, WAIT_SHARE_ON_QUEUE. Reply conventions as memory_handle_request().
 */
int share_handle_request(struct dxg_vm *vm, struct dxg_process *p, const struct dxgw_request *req,
			 unsigned char *reply, uint32_t reply_cap, uint32_t *reply_len);
/* CLOSE_SHARE (VM scope). */
int share_close(struct dxg_vm *vm, uint64_t share_id);

/* Live shares of the VM (status, stats, checks). */
uint32_t share_count(const struct dxg_vm *vm);

/* Checks the share table against the objects it holds: NULL, or what is wrong (tests, fuzzer). */
const char *share_check(const struct dxg_vm *vm);

#endif /* DXGD_SHARE_H */
