/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * The WSL handle format, used unchanged for every object handle user space sees.
 *
 *   bits 0..5   instance, always 0
 *   bits 6..29  index into the issuing table (0 is never issued, so handle 0 means "none")
 *   bits 30..31 uniqueness counter, 1..3, advanced each time the slot is freed
 *
 * The object type is not part of the value: the issuing table stores it per slot, and every
 * lookup checks index, uniqueness and type (and, on the host, the owning process).
 */
#ifndef OPENDXG_HANDLE_H
#define OPENDXG_HANDLE_H

#include "compat.h"

#define DXG_HANDLE_INSTANCE_BITS 6u
#define DXG_HANDLE_INDEX_SHIFT 6u
#define DXG_HANDLE_INDEX_BITS 24u
#define DXG_HANDLE_INDEX_MAX ((1u << DXG_HANDLE_INDEX_BITS) - 1u)
#define DXG_HANDLE_UNIQUE_SHIFT 30u
#define DXG_HANDLE_UNIQUE_MAX 3u

/* Object types, with the WSL driver's numbering where it has one. */
#define DXG_HTYPE_FREE 0u
#define DXG_HTYPE_ADAPTER 1u
#define DXG_HTYPE_SHAREDRESOURCE 2u
#define DXG_HTYPE_DEVICE 3u
#define DXG_HTYPE_RESOURCE 4u
#define DXG_HTYPE_ALLOCATION 5u
#define DXG_HTYPE_CONTEXT 7u
#define DXG_HTYPE_SYNCOBJECT 8u
#define DXG_HTYPE_PAGINGQUEUE 10u
#define DXG_HTYPE_HWQUEUE 15u
#define DXG_HTYPE_MONITOREDFENCE 32u
#define DXG_HTYPE_PROCESS 64u	/* opendxg: host process objects (never seen by user space) */

static inline uint32_t dxg_handle_make(uint32_t index, uint32_t unique)
{
	return (index << DXG_HANDLE_INDEX_SHIFT) | (unique << DXG_HANDLE_UNIQUE_SHIFT);
}

static inline uint32_t dxg_handle_index(uint32_t handle)
{
	return (handle >> DXG_HANDLE_INDEX_SHIFT) & DXG_HANDLE_INDEX_MAX;
}

static inline uint32_t dxg_handle_unique(uint32_t handle)
{
	return handle >> DXG_HANDLE_UNIQUE_SHIFT;
}

static inline uint32_t dxg_handle_instance(uint32_t handle)
{
	return handle & ((1u << DXG_HANDLE_INSTANCE_BITS) - 1u);
}

#endif /* OPENDXG_HANDLE_H */
