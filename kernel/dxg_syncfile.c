// SPDX-License-Identifier: GPL-2.0
/* Placeholder of the issue-5 contract commit: its helper replaces this file. */
#include "dxg.h"

int dxg_ioctl_create_sync_file(struct dxg_ioctl_ctx *ctx, void *data)
{
	return -ENOTTY;
}

void dxg_ioctl_create_sync_file_undo(struct dxg_ioctl_ctx *ctx, void *data)
{
}

int dxg_ioctl_wait_sync_file(struct dxg_ioctl_ctx *ctx, void *data)
{
	return -ENOTTY;
}

int dxg_ioctl_open_sync_object_sync_file(struct dxg_ioctl_ctx *ctx, void *data)
{
	return -ENOTTY;
}

void dxg_ioctl_open_sync_object_sync_file_undo(struct dxg_ioctl_ctx *ctx, void *data)
{
}
