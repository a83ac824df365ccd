// SPDX-License-Identifier: GPL-2.0
/* Placeholder of the issue-5 contract commit: its helper replaces this file. */
#include "dxg.h"

int dxg_ioctl_flush_heap_transitions(struct dxg_ioctl_ctx *ctx, void *data)
{
	return -ENOTTY;
}

int dxg_ioctl_invalidate_cache(struct dxg_ioctl_ctx *ctx, void *data)
{
	return -ENOTTY;
}

int dxg_ioctl_query_statistics(struct dxg_ioctl_ctx *ctx, void *data)
{
	return -ENOTTY;
}

int dxg_ioctl_share_object_with_host(struct dxg_ioctl_ctx *ctx, void *data)
{
	return -ENOTTY;
}

int dxg_ioctl_enum_processes(struct dxg_ioctl_ctx *ctx, void *data)
{
	return -ENOTTY;
}

int dxg_ioctl_is_feature_enabled(struct dxg_ioctl_ctx *ctx, void *data)
{
	return -ENOTTY;
}
