// SPDX-License-Identifier: MIT
/*
 * libd3dkmt: one function per /dev/dxg ioctl, plus the few helpers every caller would otherwise
 * write again (count-then-fill enumeration, typed adapter queries, UTF-16 decoding).
 */
#include "d3dkmt.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

int d3dkmt_open(void)
{
	int fd = open(D3DKMT_DEVICE_PATH, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int d3dkmt_close(int fd)
{
	/* Linux releases the descriptor even when close() fails, so EINTR must not be retried. */
	return close(fd) < 0 ? -errno : 0;
}

int d3dkmt_ioctl(int fd, unsigned long request, void *arg)
{
	int ret = ioctl(fd, request, arg);

	return ret < 0 ? -errno : ret;
}

int d3dkmt_enum_adapters2(int fd, struct d3dkmt_adapterinfo *out, uint32_t *count)
{
	struct d3dkmt_enumadapters2 args;
	int ret;

	if (!count)
		return -EINVAL;
	memset(&args, 0, sizeof(args));
	args.num_adapters = out ? *count : 0;
	args.adapters = (uintptr_t)out;
	ret = d3dkmt_ioctl(fd, LX_DXENUMADAPTERS2, &args);
	/* The kernel reports the adapter count on success and with -EOVERFLOW alike. */
	if (ret >= 0 || ret == -EOVERFLOW)
		*count = args.num_adapters;
	return ret < 0 ? ret : 0;
}

int d3dkmt_enum_adapters3(int fd, uint64_t filter, struct d3dkmt_adapterinfo *out, uint32_t *count)
{
	struct d3dkmt_enumadapters3 args;
	int ret;

	if (!count)
		return -EINVAL;
	memset(&args, 0, sizeof(args));
	args.filter = filter;
	args.adapter_count = out ? *count : 0;
	args.adapters = (uintptr_t)out;
	ret = d3dkmt_ioctl(fd, LX_DXENUMADAPTERS3, &args);
	if (ret >= 0 || ret == -EOVERFLOW)
		*count = args.adapter_count;
	return ret < 0 ? ret : 0;
}

int d3dkmt_enum_adapters_alloc(int fd, uint64_t filter, struct d3dkmt_adapterinfo **out,
			       uint32_t *count)
{
	/* Adapters can appear between counting and filling; a few rounds settle any real race. */
	for (int attempt = 0; attempt < 8; attempt++) {
		struct d3dkmt_adapterinfo *adapters;
		uint32_t present = 0, filled;
		int ret;

		ret = d3dkmt_enum_adapters3(fd, filter, NULL, &present);
		if (ret < 0)
			return ret;
		if (present == 0) {
			*out = NULL;
			*count = 0;
			return 0;
		}
		filled = present;
		adapters = calloc(present, sizeof(*adapters));
		if (!adapters)
			return -ENOMEM;
		ret = d3dkmt_enum_adapters3(fd, filter, adapters, &filled);
		if (ret == 0) {
			*out = adapters;
			*count = filled;
			return 0;
		}
		free(adapters);
		if (ret != -EOVERFLOW)
			return ret;
	}
	return -EAGAIN;
}

int d3dkmt_open_adapter_from_luid(int fd, struct winluid luid, struct d3dkmthandle *adapter)
{
	struct d3dkmt_openadapterfromluid args;
	int ret;

	if (!adapter)
		return -EINVAL;
	memset(&args, 0, sizeof(args));
	args.adapter_luid = luid;
	ret = d3dkmt_ioctl(fd, LX_DXOPENADAPTERFROMLUID, &args);
	if (ret < 0)
		return ret;
	*adapter = args.adapter_handle;
	return 0;
}

int d3dkmt_close_adapter(int fd, struct d3dkmthandle adapter)
{
	struct d3dkmt_closeadapter args;
	int ret;

	memset(&args, 0, sizeof(args));
	args.adapter_handle = adapter;
	ret = d3dkmt_ioctl(fd, LX_DXCLOSEADAPTER, &args);
	return ret < 0 ? ret : 0;
}

int d3dkmt_query_adapter_info(int fd, struct d3dkmthandle adapter, uint32_t type, void *data,
			      uint32_t size)
{
	struct d3dkmt_queryadapterinfo args;
	int ret;

	memset(&args, 0, sizeof(args));
	args.adapter = adapter;
	args.type = type;
	args.private_data = (uintptr_t)data;
	args.private_data_size = size;
	ret = d3dkmt_ioctl(fd, LX_DXQUERYADAPTERINFO, &args);
	return ret < 0 ? ret : 0;
}

int d3dkmt_query_adapter_type(int fd, struct d3dkmthandle adapter, uint32_t *type_bits)
{
	uint32_t bits = 0;
	int ret;

	ret = d3dkmt_query_adapter_info(fd, adapter, KMTQAITYPE_ADAPTERTYPE_RENDER, &bits,
					sizeof(bits));
	if (ret == 0)
		*type_bits = bits;
	return ret;
}

int d3dkmt_query_device_ids(int fd, struct d3dkmthandle adapter, uint32_t index,
			    struct d3dkmt_query_device_ids *ids)
{
	struct d3dkmt_query_device_ids query;
	int ret;

	memset(&query, 0, sizeof(query));
	query.physical_adapter_index = index;
	ret = d3dkmt_query_adapter_info(fd, adapter, KMTQAITYPE_PHYSICALADAPTERDEVICEIDS, &query,
					sizeof(query));
	if (ret == 0)
		*ids = query;
	return ret;
}

int d3dkmt_query_wddm_2_7_caps(int fd, struct d3dkmthandle adapter, uint32_t *caps)
{
	uint32_t bits = 0;
	int ret;

	ret = d3dkmt_query_adapter_info(fd, adapter, KMTQAITYPE_WDDM_2_7_CAPS, &bits, sizeof(bits));
	if (ret == 0)
		*caps = bits;
	return ret;
}

ssize_t d3dkmt_query_driver_description(int fd, struct d3dkmthandle adapter, char *utf8,
					size_t size)
{
	uint16_t *units;
	ssize_t ret;

	if (!utf8 || size == 0)
		return -EINVAL;
	/* 8 KiB is too much for the stack of a thread a caller may have made small. */
	units = calloc(D3DKMT_DRIVER_DESCRIPTION_CHARS, sizeof(*units));
	if (!units)
		return -ENOMEM;
	ret = d3dkmt_query_adapter_info(fd, adapter, KMTQAITYPE_DRIVER_DESCRIPTION, units,
					D3DKMT_DRIVER_DESCRIPTION_CHARS * sizeof(*units));
	if (ret == 0)
		ret = d3dkmt_utf16_to_utf8(units, D3DKMT_DRIVER_DESCRIPTION_CHARS * sizeof(*units),
					   utf8, size);
	else
		utf8[0] = '\0';
	free(units);
	return ret;
}

/*
 * The opendxg records carry their own version and size: a version-1 reader accepts any record that
 * says version >= 1 and is at least as large as what it knows, and never reads past the answer.
 */
static int check_versioned_record(uint32_t version, uint32_t size, uint32_t known_size)
{
	return version >= 1 && size >= known_size ? 0 : -EPROTO;
}

int d3dkmt_query_opendxg_caps(int fd, struct d3dkmthandle adapter,
			      struct opendxg_adapter_caps *caps)
{
	int ret;

	memset(caps, 0, sizeof(*caps));
	caps->version = 1;
	caps->size = sizeof(*caps);
	ret = d3dkmt_query_adapter_info(fd, adapter, OPENDXG_QAI_ADAPTER_CAPS, caps, sizeof(*caps));
	if (ret < 0)
		return ret;
	ret = check_versioned_record(caps->version, caps->size, sizeof(*caps));
	if (ret < 0)
		return ret;
	/* The strings cross a trust boundary on the way here; never hand out unterminated ones. */
	caps->device_name[sizeof(caps->device_name) - 1] = '\0';
	caps->driver_name[sizeof(caps->driver_name) - 1] = '\0';
	return 0;
}

int d3dkmt_query_vm_stats(int fd, struct d3dkmthandle adapter, struct opendxg_vm_stats *stats)
{
	int ret;

	memset(stats, 0, sizeof(*stats));
	stats->version = 1;
	stats->size = sizeof(*stats);
	ret = d3dkmt_query_adapter_info(fd, adapter, OPENDXG_QAI_VM_STATS, stats, sizeof(*stats));
	if (ret < 0)
		return ret;
	return check_versioned_record(stats->version, stats->size, sizeof(*stats));
}

int d3dkmt_create_device(int fd, struct d3dkmthandle adapter, uint32_t flags,
			 struct d3dkmthandle *device)
{
	struct d3dkmt_createdevice args;
	int ret;

	if (!device)
		return -EINVAL;
	memset(&args, 0, sizeof(args));
	args.adapter = adapter;
	args.flags = flags;
	ret = d3dkmt_ioctl(fd, LX_DXCREATEDEVICE, &args);
	if (ret < 0)
		return ret;
	*device = args.device;
	return 0;
}

int d3dkmt_destroy_device(int fd, struct d3dkmthandle device)
{
	struct d3dkmt_destroydevice args;
	int ret;

	memset(&args, 0, sizeof(args));
	args.device = device;
	ret = d3dkmt_ioctl(fd, LX_DXDESTROYDEVICE, &args);
	return ret < 0 ? ret : 0;
}

int d3dkmt_create_context_virtual(int fd, struct d3dkmthandle device,
				  const struct d3dkmt_context_params *params,
				  struct d3dkmthandle *context)
{
	struct d3dkmt_createcontextvirtual args;
	int ret;

	if (!params || !context)
		return -EINVAL;
	memset(&args, 0, sizeof(args));
	args.device = device;
	args.node_ordinal = params->node_ordinal;
	args.engine_affinity = params->engine_affinity;
	args.flags = params->flags;
	args.priv_drv_data = (uintptr_t)params->priv_data;
	args.priv_drv_data_size = params->priv_data_size;
	args.client_hint = params->client_hint;
	ret = d3dkmt_ioctl(fd, LX_DXCREATECONTEXTVIRTUAL, &args);
	if (ret < 0)
		return ret;
	*context = args.context;
	return 0;
}

int d3dkmt_destroy_context(int fd, struct d3dkmthandle context)
{
	struct d3dkmt_destroycontext args;
	int ret;

	memset(&args, 0, sizeof(args));
	args.context = context;
	ret = d3dkmt_ioctl(fd, LX_DXDESTROYCONTEXT, &args);
	return ret < 0 ? ret : 0;
}

static size_t utf8_encode(uint32_t cp, char out[4])
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* Reads byte by byte: the buffer may be unaligned, and the ABI's UTF-16 is little-endian. */
static uint32_t load_le16(const unsigned char *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8);
}

ssize_t d3dkmt_utf16_to_utf8(const void *src, size_t src_bytes, char *dst, size_t dst_size)
{
	const unsigned char *in = src;
	size_t units = src_bytes / 2, pos = 0, i = 0;

	if (!dst || (!src && units > 0))
		return -EINVAL;
	while (i < units) {
		uint32_t cp = load_le16(in + 2 * i);
		char encoded[4];
		size_t len;

		if (cp == 0)
			break;
		i++;
		if (cp >= 0xd800 && cp <= 0xdbff && i < units) {
			uint32_t low = load_le16(in + 2 * i);

			if (low >= 0xdc00 && low <= 0xdfff) {
				cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
				i++;
			}
		}
		if (cp >= 0xd800 && cp <= 0xdfff)
			cp = 0xfffd;
		len = utf8_encode(cp, encoded);
		if (pos + len + 1 > dst_size) {
			if (dst_size > 0)
				dst[pos] = '\0';
			return -ENOBUFS;
		}
		memcpy(dst + pos, encoded, len);
		pos += len;
	}
	if (dst_size == 0)
		return -ENOBUFS;
	dst[pos] = '\0';
	return (ssize_t)pos;
}
