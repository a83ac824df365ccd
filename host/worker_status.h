/* SPDX-License-Identifier: MIT */
/*
 * The worker's part of `dxgctl host status`: the "worker" object of docs/internals.md, sent to the
 * broker as BW_STATUS_REPLY.
 */
#ifndef DXGD_WORKER_STATUS_H
#define DXGD_WORKER_STATUS_H

#include <stdbool.h>
#include <stddef.h>

#include "objects.h"

/*
 * Returns the JSON text (malloc'ed, NUL terminated, *len without the NUL) of the VM's adapters,
 * processes and counters, or NULL when memory runs out. When the text would exceed `max_len`, the
 * process list is left out and "processes_truncated" is true.
 */
char *worker_status_json(const struct dxg_vm *vm, bool broken, size_t max_len, size_t *len);

#endif /* DXGD_WORKER_STATUS_H */
