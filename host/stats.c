// SPDX-License-Identifier: MIT
/* Statistics and queries (stats.h). Placeholder of the contract commit: replaced by its helper. */
#include "stats.h"

#include <errno.h>

int stats_handle_request(struct dxg_vm *vm, struct dxg_process *p, const struct dxgw_request *req,
			 unsigned char *reply, uint32_t reply_cap, uint32_t *reply_len)
{
	(void)vm;
	(void)p;
	(void)req;
	(void)reply;
	(void)reply_cap;
	*reply_len = 0;
	return -ENOSYS;
}
