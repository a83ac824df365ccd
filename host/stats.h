/* SPDX-License-Identifier: MIT */
/*
 * Statistics and queries (wire.h "0x08xx"): QUERY_STATISTICS fills the Windows
 * D3DKMT_QUERYSTATISTICS_RESULT layouts (include/uapi/misc/d3dkmthk.h) from the worker's real
 * numbers: memory per adapter, segment and process (memory.h), GPU running time, jobs and queue
 * depth per adapter node and process (struct dxg_exec_stats, exec.c keeps them);
 * IS_FEATURE_ENABLED answers what the adapter does (hardware scheduling: yes, it has hardware
 * queues; the page-based memory manager and kernel-mode testing: known, not enabled).
 */
#ifndef DXGD_STATS_H
#define DXGD_STATS_H

#include <stdint.h>

#include "objects.h"
#include "wire_decode.h"

/* QUERY_STATISTICS and IS_FEATURE_ENABLED. Reply conventions as memory_handle_request(). */
int stats_handle_request(struct dxg_vm *vm, struct dxg_process *p, const struct dxgw_request *req,
			 unsigned char *reply, uint32_t reply_cap, uint32_t *reply_len);

#endif /* DXGD_STATS_H */
