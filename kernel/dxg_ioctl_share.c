// SPDX-License-Identifier: GPL-2.0
/* Placeholder of the issue-5 contract commit: its helper replaces this file. */
#include "dxg.h"

int dxg_ioctl_share_objects(struct dxg_ioctl_ctx *ctx, void *data)
{
	return -ENOTTY;
}

int dxg_ioctl_open_sync_object_nt(struct dxg_ioctl_ctx *ctx, void *data)
{
	return -ENOTTY;
}

void dxg_ioctl_open_sync_object_nt_undo(struct dxg_ioctl_ctx *ctx, void *data)
{
}

int dxg_ioctl_query_resource_info_nt(struct dxg_ioctl_ctx *ctx, void *data)
{
	return -ENOTTY;
}

int dxg_ioctl_open_resource_nt(struct dxg_ioctl_ctx *ctx, void *data)
{
	return -ENOTTY;
}

void dxg_ioctl_open_resource_nt_undo(struct dxg_ioctl_ctx *ctx, void *data)
{
}
