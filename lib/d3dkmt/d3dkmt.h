/* SPDX-License-Identifier: MIT */
/*
 * libd3dkmt: thin C wrappers for the /dev/dxg D3DKMT ioctls (WSL ABI, opendxg driver).
 *
 * Conventions (docs/libd3dkmt.md has one entry per function):
 * - Every call takes the /dev/dxg file descriptor explicitly. The library keeps no global state:
 *   the kernel binds an open /dev/dxg to the process (thread group) that opened it, so a process
 *   that forks must open its own descriptor in the child, and hiding the fd would hide that rule.
 * - Every call returns 0 (or a non-negative count/length where documented) on success and a
 *   negative errno on failure. errno is never the error channel.
 * - Handles are the ABI's own `struct d3dkmthandle` and LUIDs `struct winluid`, so values read from
 *   the ABI structs can be passed on unchanged.
 * - Thread safety: the functions keep no state, so they may be called from any thread of the
 *   process that opened the descriptor.
 */
#ifndef D3DKMT_H
#define D3DKMT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <misc/d3dkmthk.h>
#include <misc/opendxg.h>

#ifdef __cplusplus
extern "C" {
#endif

#define D3DKMT_DEVICE_PATH "/dev/dxg"

/*
 * Limits and flag values come from the ABI header: D3DKMT_ADAPTERS_MAX (ENUMADAPTERS2 capacity),
 * D3DKMT_ENUMADAPTERS3_MAX, D3DKMT_MAX_PRIVATE_DATA_SIZE (QUERYADAPTERINFO data and context private
 * data), D3DKMT_ENUMADAPTERS_FILTER_*, D3DKMT_ADAPTERTYPE_*, D3DKMT_WDDM_2_7_CAPS_*,
 * D3DDDI_CREATECONTEXT_FLAG_*, D3DKMT_CREATEDEVICE_FLAG_*, D3DKMT_CLIENTHINT_*.
 *
 * A driver description converted to UTF-8 needs at most 3 bytes per UTF-16 unit (a surrogate
 * pair, 2 units, becomes 4 bytes), plus the terminator.
 */
#define D3DKMT_DRIVER_DESCRIPTION_UTF8_MAX (3u * D3DKMT_DRIVER_DESCRIPTION_CHARS + 1u)

/* Arguments of d3dkmt_create_context_virtual(); zero-initialize, then set what you need. */
struct d3dkmt_context_params {
	uint32_t node_ordinal;
	uint32_t engine_affinity;
	uint32_t flags;			/* D3DDDI_CREATECONTEXT_FLAG_* */
	uint32_t client_hint;		/* D3DKMT_CLIENTHINT_* */
	const void *priv_data;		/* driver private data, may be NULL */
	uint32_t priv_data_size;
};

/*
 * d3dkmt_open() - open /dev/dxg for this process.
 * Return: a file descriptor (O_RDWR | O_CLOEXEC), or -errno (-ENOENT: the driver is not loaded).
 */
int d3dkmt_open(void);

/* d3dkmt_close() - close a descriptor from d3dkmt_open(). Return: 0 or -errno. */
int d3dkmt_close(int fd);

/*
 * d3dkmt_ioctl() - issue one raw ioctl on /dev/dxg.
 * For tests and for ioctls the library has no wrapper for yet.
 * Return: the ioctl's non-negative result, or -errno.
 */
int d3dkmt_ioctl(int fd, unsigned long request, void *arg);

/*
 * d3dkmt_enum_adapters2() - ENUMADAPTERS2.
 * @out may be NULL to ask for the count only. On entry *@count is the capacity of @out, on success
 * the number of adapters written (or present, when @out is NULL). On -EOVERFLOW *@count is the
 * number of adapters present.
 * Every call that fills @out opens new adapter handles; close each with d3dkmt_close_adapter().
 */
int d3dkmt_enum_adapters2(int fd, struct d3dkmt_adapterinfo *out, uint32_t *count);

/*
 * d3dkmt_enum_adapters3() - ENUMADAPTERS3 with a D3DKMT_ENUMADAPTERS_FILTER_* mask.
 * Same contract as d3dkmt_enum_adapters2(), but up to D3DKMT_ENUMADAPTERS3_MAX adapters.
 */
int d3dkmt_enum_adapters3(int fd, uint64_t filter, struct d3dkmt_adapterinfo *out, uint32_t *count);

/*
 * d3dkmt_enum_adapters_alloc() - count, allocate and fill in one go (ENUMADAPTERS3).
 * Retries when an adapter appears between the two calls. On success *@out is a malloc()ed array
 * of *@count entries (NULL when the count is 0) that the caller frees; the adapter handles in it
 * are open.
 */
int d3dkmt_enum_adapters_alloc(int fd, uint64_t filter, struct d3dkmt_adapterinfo **out,
			       uint32_t *count);

/* d3dkmt_open_adapter_from_luid() - OPENADAPTERFROMLUID. Return: 0 or -errno. */
int d3dkmt_open_adapter_from_luid(int fd, struct winluid luid, struct d3dkmthandle *adapter);

/* d3dkmt_close_adapter() - CLOSEADAPTER. Return: 0 or -errno. */
int d3dkmt_close_adapter(int fd, struct d3dkmthandle adapter);

/*
 * d3dkmt_query_adapter_info() - QUERYADAPTERINFO of @type (KMTQAITYPE_* or OPENDXG_QAI_*).
 * @size must be 1..D3DKMT_MAX_PRIVATE_DATA_SIZE; the kernel and host treat @data as in/out.
 * Return: 0 or -errno.
 */
int d3dkmt_query_adapter_info(int fd, struct d3dkmthandle adapter, uint32_t type, void *data,
			      uint32_t size);

/* d3dkmt_query_adapter_type() - KMTQAITYPE_ADAPTERTYPE_RENDER: D3DKMT_ADAPTERTYPE_* bits. */
int d3dkmt_query_adapter_type(int fd, struct d3dkmthandle adapter, uint32_t *type_bits);

/* d3dkmt_query_device_ids() - KMTQAITYPE_PHYSICALADAPTERDEVICEIDS of physical adapter @index. */
int d3dkmt_query_device_ids(int fd, struct d3dkmthandle adapter, uint32_t index,
			    struct d3dkmt_query_device_ids *ids);

/* d3dkmt_query_wddm_2_7_caps() - KMTQAITYPE_WDDM_2_7_CAPS: D3DKMT_WDDM_2_7_CAPS_* bits. */
int d3dkmt_query_wddm_2_7_caps(int fd, struct d3dkmthandle adapter, uint32_t *caps);

/*
 * d3dkmt_query_driver_description() - KMTQAITYPE_DRIVER_DESCRIPTION, converted to UTF-8.
 * @utf8 receives a NUL-terminated string; D3DKMT_DRIVER_DESCRIPTION_UTF8_MAX bytes always suffice.
 * Return: the string length in bytes, or -errno (-ENOBUFS: @size too small, the truncated
 * string is still written).
 */
ssize_t d3dkmt_query_driver_description(int fd, struct d3dkmthandle adapter, char *utf8,
					size_t size);

/*
 * d3dkmt_query_opendxg_caps() - OPENDXG_QAI_ADAPTER_CAPS.
 * Return: 0 or -errno (-EPROTO: the answer's version/size fields are not a version-1 record).
 */
int d3dkmt_query_opendxg_caps(int fd, struct d3dkmthandle adapter,
			      struct opendxg_adapter_caps *caps);

/* d3dkmt_query_vm_stats() - OPENDXG_QAI_VM_STATS: counters of the calling VM. Same errors. */
int d3dkmt_query_vm_stats(int fd, struct d3dkmthandle adapter, struct opendxg_vm_stats *stats);

/*
 * d3dkmt_create_device() - CREATEDEVICE on @adapter with D3DKMT_CREATEDEVICE_FLAG_* @flags.
 * Return: 0 or -errno.
 */
int d3dkmt_create_device(int fd, struct d3dkmthandle adapter, uint32_t flags,
			 struct d3dkmthandle *device);

/* d3dkmt_destroy_device() - DESTROYDEVICE; its contexts go with it. Return: 0 or -errno. */
int d3dkmt_destroy_device(int fd, struct d3dkmthandle device);

/* d3dkmt_create_context_virtual() - CREATECONTEXTVIRTUAL. Return: 0 or -errno. */
int d3dkmt_create_context_virtual(int fd, struct d3dkmthandle device,
				  const struct d3dkmt_context_params *params,
				  struct d3dkmthandle *context);

/* d3dkmt_destroy_context() - DESTROYCONTEXT. Return: 0 or -errno. */
int d3dkmt_destroy_context(int fd, struct d3dkmthandle context);

/*
 * d3dkmt_utf16_to_utf8() - convert little-endian UTF-16 (@src_bytes bytes, stops at the first NUL
 * unit) to NUL-terminated UTF-8. Unpaired surrogates become U+FFFD.
 * Return: the UTF-8 length in bytes, or -ENOBUFS when @dst_size is too small (the longest prefix
 * of whole characters is written, NUL-terminated, when @dst_size > 0), -EINVAL for a NULL @dst.
 */
ssize_t d3dkmt_utf16_to_utf8(const void *src, size_t src_bytes, char *dst, size_t dst_size);

/* d3dkmt_luid_to_u64() - the LUID as one number, high part in the upper 32 bits. */
static inline uint64_t d3dkmt_luid_to_u64(struct winluid luid)
{
	return ((uint64_t)luid.b << 32) | luid.a;
}

/* d3dkmt_luid_equal() - whether two LUIDs name the same adapter. */
static inline int d3dkmt_luid_equal(struct winluid x, struct winluid y)
{
	return x.a == y.a && x.b == y.b;
}

#ifdef __cplusplus
}
#endif

#endif /* D3DKMT_H */
