// SPDX-License-Identifier: MIT
/* Shares (share.h). Placeholder of the contract commit: the sharing helper replaces it. */
#include "share.h"

#include <errno.h>

int share_vm_init(struct dxg_vm *vm)
{
	vm->shares = NULL;
	return 0;
}

void share_vm_reset(struct dxg_vm *vm)
{
	(void)vm;
}

void share_vm_fini(struct dxg_vm *vm)
{
	(void)vm;
}

int share_handle_request(struct dxg_vm *vm, struct dxg_process *p, const struct dxgw_request *req,
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

int share_close(struct dxg_vm *vm, uint64_t share_id)
{
	(void)vm;
	(void)share_id;
	return -EINVAL;
}

uint32_t share_count(const struct dxg_vm *vm)
{
	(void)vm;
	return 0;
}

const char *share_check(const struct dxg_vm *vm)
{
	(void)vm;
	return NULL;
}
