/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * Portability layer for the opendxg protocol headers.
 *
 * The region layout, the ring and the wire messages are shared verbatim by the guest kernel module,
 * the host daemon and the user-space guest. This header maps the few primitives they need onto the
 * kernel or onto C11/GCC builtins, so the protocol code itself has exactly one spelling.
 */
#ifndef OPENDXG_COMPAT_H
#define OPENDXG_COMPAT_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/string.h>
#include <linux/errno.h>
#include <linux/build_bug.h>
#include <asm/barrier.h>
#include <asm/byteorder.h>

typedef __le16 dxg_le16;
typedef __le32 dxg_le32;
typedef __le64 dxg_le64;

#define dxg_to_le16(x) cpu_to_le16(x)
#define dxg_to_le32(x) cpu_to_le32(x)
#define dxg_to_le64(x) cpu_to_le64(x)
#define dxg_from_le16(x) le16_to_cpu(x)
#define dxg_from_le32(x) le32_to_cpu(x)
#define dxg_from_le64(x) le64_to_cpu(x)

#define DXG_STATIC_ASSERT(cond, msg) static_assert(cond, msg)

/*
 * The peer is another machine (host or guest), not another CPU of this kernel: the virt_* barriers
 * stay real barriers on !SMP guest kernels, where smp_* would degrade to compiler barriers.
 */
#define dxg_load_acquire(p) virt_load_acquire(p)
#define dxg_store_release(p, v) virt_store_release(p, v)
#define dxg_full_barrier() virt_mb()
#define dxg_read_once(x) READ_ONCE(x)
#define dxg_write_once(x, v) WRITE_ONCE(x, v)

#else /* user space */

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>
#include <string.h>
#include <errno.h>
#include <endian.h>
#include <assert.h>

typedef uint16_t dxg_le16;
typedef uint32_t dxg_le32;
typedef uint64_t dxg_le64;

#define dxg_to_le16(x) htole16(x)
#define dxg_to_le32(x) htole32(x)
#define dxg_to_le64(x) htole64(x)
#define dxg_from_le16(x) le16toh(x)
#define dxg_from_le32(x) le32toh(x)
#define dxg_from_le64(x) le64toh(x)

#define DXG_STATIC_ASSERT(cond, msg) _Static_assert(cond, msg)

#define dxg_load_acquire(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define dxg_store_release(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define dxg_full_barrier() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define dxg_read_once(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define dxg_write_once(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELAXED)

#endif /* __KERNEL__ */

/*
 * Little-endian loads from a byte buffer at any alignment (a decoder reads fields of a private
 * record copy by offset; memcpy keeps that free of alignment and aliasing traps).
 */
static inline uint16_t dxg_get_le16(const void *p)
{
	dxg_le16 v;

	memcpy(&v, p, sizeof(v));
	return dxg_from_le16(v);
}

static inline uint32_t dxg_get_le32(const void *p)
{
	dxg_le32 v;

	memcpy(&v, p, sizeof(v));
	return dxg_from_le32(v);
}

static inline uint64_t dxg_get_le64(const void *p)
{
	dxg_le64 v;

	memcpy(&v, p, sizeof(v));
	return dxg_from_le64(v);
}

/* Asserts the size of a wire or region struct next to its definition. */
#define DXG_ASSERT_SIZE(type, size) \
	DXG_STATIC_ASSERT(sizeof(type) == (size), "wire size of " #type)

#endif /* OPENDXG_COMPAT_H */
