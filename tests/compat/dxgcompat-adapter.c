// SPDX-License-Identifier: MIT
/*
 * dxgcompat-adapter: the adapter family of the WSL ABI (0x01 OPENADAPTERFROMLUID, 0x09
 * QUERYADAPTERINFO, 0x14 ENUMADAPTERS2, 0x15 CLOSEADAPTER, 0x3e ENUMADAPTERS3), checked against
 * the WSL driver's semantics (docs/abi.md), with raw ioctls on /dev/dxg only.
 *
 * What WSL does, and what is asserted here:
 * - ENUMADAPTERS3: a NULL array or a count of 0 asks for the count; a count above 0xFFFF is
 *   -EINVAL; every call that fills the array opens new per-process adapter handles.
 * - ENUMADAPTERS2: a NULL array asks for the count; a count above 64 is -EINVAL; a too small
 *   array is -EOVERFLOW with the needed count written back. Only handle and LUID are filled.
 * - OPENADAPTERFROMLUID: an unknown LUID is -EINVAL; a known one gives a new handle each call.
 * - QUERYADAPTERINFO: a data size of 0 or above 131072 is -EINVAL; ADAPTERTYPE(_RENDER) has the
 *   paravirtualized bit set by the guest driver; DRIVER_DESCRIPTION is UTF-16;
 *   PHYSICALADAPTERDEVICEIDS answers for physical adapter 0 (libdxgtest requires both).
 * - CLOSEADAPTER: a handle closed already is -EINVAL; handle 0 is a no-op. Handles belong to the
 *   process, so another thread of it may use and close them (libdxgtest does so from a pthread).
 */
#include "guestsys.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define MAX_ADAPTERS 16

static int dxg_fd = -1;

/* One raw ioctl: its non-negative value (an NTSTATUS success code included) or -errno. */
static int dxg(unsigned long request, void *arg)
{
	int ret = ioctl(dxg_fd, request, arg);

	return ret < 0 ? -errno : ret;
}

/*
 * opendxg lists its adapters only with the compute-only filter, as the current WSL driver does
 * for compute-only adapters (docs/kernel.md, ENUMADAPTERS3), and every opendxg adapter is one.
 */
static int enum3(void *array, uint32_t *count)
{
	struct d3dkmt_enumadapters3 args;
	int ret;

	memset(&args, 0, sizeof(args));
	args.filter = D3DKMT_ENUMADAPTERS_FILTER_COMPUTE_ONLY;
	args.adapter_count = *count;
	args.adapters = (uintptr_t)array;
	ret = dxg(LX_DXENUMADAPTERS3, &args);
	*count = args.adapter_count;
	return ret;
}

static int close_adapter(struct d3dkmthandle adapter)
{
	struct d3dkmt_closeadapter args = { .adapter_handle = adapter };

	return dxg(LX_DXCLOSEADAPTER, &args);
}

static int open_from_luid(struct winluid luid, struct d3dkmthandle *adapter)
{
	struct d3dkmt_openadapterfromluid args;
	int ret;

	memset(&args, 0, sizeof(args));
	args.adapter_luid = luid;
	ret = dxg(LX_DXOPENADAPTERFROMLUID, &args);
	*adapter = args.adapter_handle;
	return ret;
}

static int query_info(struct d3dkmthandle adapter, uint32_t type, void *data, uint32_t size)
{
	struct d3dkmt_queryadapterinfo args;

	memset(&args, 0, sizeof(args));
	args.adapter = adapter;
	args.type = type;
	args.private_data = (uintptr_t)data;
	args.private_data_size = size;
	return dxg(LX_DXQUERYADAPTERINFO, &args);
}

static bool same_luid(struct winluid x, struct winluid y)
{
	return x.a == y.a && x.b == y.b;
}

static void close_all(const struct d3dkmt_adapterinfo *info, uint32_t count)
{
	for (uint32_t i = 0; i < count; i++)
		close_adapter(info[i].adapter_handle);
}

static void test_enumadapters3(uint32_t present)
{
	struct d3dkmt_adapterinfo first[MAX_ADAPTERS], second[MAX_ADAPTERS];
	uint32_t count = 7;
	bool distinct = true;
	int ret;

	ret = enum3(NULL, &count);
	tap_ret0(ret, "ENUMADAPTERS3 with a NULL array counts");
	tap_ok(count == present, "ENUMADAPTERS3 NULL array: %u adapters", count);

	count = 0;
	ret = enum3(first, &count);
	tap_ret0(ret, "ENUMADAPTERS3 with a count of 0 counts");
	tap_ok(count == present, "ENUMADAPTERS3 count 0: %u adapters", count);

	count = D3DKMT_ENUMADAPTERS3_MAX + 1;
	tap_errno(enum3(first, &count), EINVAL, "ENUMADAPTERS3 with a count of 0x10000 -> EINVAL");

	count = MAX_ADAPTERS;
	memset(first, 0, sizeof(first));
	if (!tap_ret0(enum3(first, &count), "ENUMADAPTERS3 fills the array"))
		return;
	tap_ok(count == present, "ENUMADAPTERS3 returns %u adapters", count);
	present = count;
	count = MAX_ADAPTERS;
	memset(second, 0, sizeof(second));
	if (!tap_ret0(enum3(second, &count), "ENUMADAPTERS3 a second time")) {
		close_all(first, present);
		return;
	}
	for (uint32_t i = 0; i < present && i < count; i++) {
		if (first[i].adapter_handle.v == second[i].adapter_handle.v ||
		    first[i].adapter_handle.v == 0 ||
		    !same_luid(first[i].adapter_luid, second[i].adapter_luid))
			distinct = false;
	}
	tap_ok(distinct, "each ENUMADAPTERS3 call opens new handles for the same LUIDs");
	close_all(first, present);
	close_all(second, count);
}

static void test_enumadapters2(uint32_t present, struct winluid luid0)
{
	struct d3dkmt_adapterinfo info[D3DKMT_ADAPTERS_MAX + 1];
	struct d3dkmt_enumadapters2 args;
	bool filled_only_handle_and_luid = true, found = false;
	int ret;

	memset(&args, 0, sizeof(args));
	ret = dxg(LX_DXENUMADAPTERS2, &args);
	tap_ret0(ret, "ENUMADAPTERS2 with a NULL array counts");
	tap_ok(args.num_adapters == present, "ENUMADAPTERS2 NULL array: %u adapters",
	       args.num_adapters);

	memset(&args, 0, sizeof(args));
	args.num_adapters = 0;
	args.adapters = (uintptr_t)info;
	tap_errno(dxg(LX_DXENUMADAPTERS2, &args), EOVERFLOW,
		  "ENUMADAPTERS2 with room for 0 adapters -> EOVERFLOW");
	tap_ok(args.num_adapters == present, "ENUMADAPTERS2 EOVERFLOW writes the count (%u)",
	       args.num_adapters);

	memset(&args, 0, sizeof(args));
	args.num_adapters = D3DKMT_ADAPTERS_MAX + 1;
	args.adapters = (uintptr_t)info;
	tap_errno(dxg(LX_DXENUMADAPTERS2, &args), EINVAL,
		  "ENUMADAPTERS2 with a count of 65 -> EINVAL");

	/* Poison the array: the driver fills in handle and LUID and zeroes the rest. */
	memset(info, 0xa5, sizeof(info));
	memset(&args, 0, sizeof(args));
	args.num_adapters = D3DKMT_ADAPTERS_MAX;
	args.adapters = (uintptr_t)info;
	if (!tap_ret0(dxg(LX_DXENUMADAPTERS2, &args), "ENUMADAPTERS2 fills the array"))
		return;
	tap_ok(args.num_adapters == present, "ENUMADAPTERS2 returns %u adapters",
	       args.num_adapters);
	for (uint32_t i = 0; i < args.num_adapters && i < D3DKMT_ADAPTERS_MAX; i++) {
		if (info[i].num_of_sources != 0 || info[i].present_move_regions_preferred != 0)
			filled_only_handle_and_luid = false;
		if (same_luid(info[i].adapter_luid, luid0))
			found = true;
	}
	tap_ok(filled_only_handle_and_luid, "ENUMADAPTERS2 zeroes num_of_sources and "
	       "present_move_regions_preferred");
	tap_ok(found, "ENUMADAPTERS2 lists the LUID that ENUMADAPTERS3 listed");
	close_all(info, args.num_adapters);
}

static void test_open_close(struct winluid known)
{
	struct winluid unknown = { .a = known.a ^ 0x5a5a5a5au, .b = known.b ^ 0x00ff00ffu };
	struct d3dkmthandle one = { 0 }, two = { 0 };

	tap_errno(open_from_luid(unknown, &one), EINVAL,
		  "OPENADAPTERFROMLUID with an unknown LUID -> EINVAL");
	tap_errno(open_from_luid((struct winluid){ 0, 0 }, &one), EINVAL,
		  "OPENADAPTERFROMLUID with LUID 0 -> EINVAL");
	if (!tap_ret0(open_from_luid(known, &one), "OPENADAPTERFROMLUID with a known LUID"))
		return;
	if (tap_ret0(open_from_luid(known, &two), "OPENADAPTERFROMLUID again")) {
		tap_ok(one.v != 0 && two.v != 0 && one.v != two.v,
		       "each OPENADAPTERFROMLUID gives a new handle (0x%x, 0x%x)", one.v, two.v);
		tap_ret0(close_adapter(two), "CLOSEADAPTER of the second handle");
	}
	tap_ret0(close_adapter(one), "CLOSEADAPTER");
	tap_errno(close_adapter(one), EINVAL, "CLOSEADAPTER twice -> EINVAL");
	tap_ret0(close_adapter((struct d3dkmthandle){ 0 }), "CLOSEADAPTER of handle 0 is a no-op");
	tap_errno(close_adapter((struct d3dkmthandle){ 0x3fffffc0u }), EINVAL,
		  "CLOSEADAPTER of a garbage handle -> EINVAL");
}

/* Small ASCII letters in UTF-16: the description a host driver gives is readable text. */
static bool utf16_text(const uint16_t *text, size_t max, size_t *length)
{
	size_t i;

	for (i = 0; i < max && text[i] != 0; i++) {
		/* Unpaired surrogates are not UTF-16. */
		if (text[i] >= 0xdc00 && text[i] <= 0xdfff)
			return false;
		if (text[i] >= 0xd800 && text[i] <= 0xdbff) {
			if (i + 1 >= max || text[i + 1] < 0xdc00 || text[i + 1] > 0xdfff)
				return false;
			i++;
		}
	}
	*length = i;
	return i < max && i > 0;
}

static void test_query_adapter_info(struct winluid luid)
{
	static struct d3dkmt_driver_description description;
	static char big[D3DKMT_MAX_PRIVATE_DATA_SIZE + 1];
	struct d3dkmt_query_device_ids ids;
	struct d3dkmthandle adapter = { 0 };
	uint32_t type_word = 0;
	size_t length = 0;
	char ascii[64];
	int ret;

	if (!tap_ret0(open_from_luid(luid, &adapter), "open an adapter for QUERYADAPTERINFO"))
		return;

	tap_errno(query_info(adapter, KMTQAITYPE_ADAPTERTYPE_RENDER, &type_word, 0), EINVAL,
		  "QUERYADAPTERINFO with data size 0 -> EINVAL");
	tap_errno(query_info(adapter, KMTQAITYPE_DRIVER_DESCRIPTION, big, sizeof(big)), EINVAL,
		  "QUERYADAPTERINFO with data size 131073 -> EINVAL");
	tap_errno(query_info((struct d3dkmthandle){ 0 }, KMTQAITYPE_ADAPTERTYPE_RENDER, &type_word,
			     sizeof(type_word)),
		  EINVAL, "QUERYADAPTERINFO on adapter handle 0 -> EINVAL");

	type_word = 0;
	ret = query_info(adapter, KMTQAITYPE_ADAPTERTYPE_RENDER, &type_word, sizeof(type_word));
	if (tap_ret0(ret, "QUERYADAPTERINFO ADAPTERTYPE_RENDER")) {
		tap_ok(type_word & D3DKMT_ADAPTERTYPE_PARAVIRTUALIZED,
		       "ADAPTERTYPE_RENDER has the paravirtualized bit (0x%x)", type_word);
		tap_ok(!(type_word & (D3DKMT_ADAPTERTYPE_DISPLAY_SUPPORTED |
				      D3DKMT_ADAPTERTYPE_POST_DEVICE |
				      D3DKMT_ADAPTERTYPE_INDIRECT_DISPLAY_DEVICE |
				      D3DKMT_ADAPTERTYPE_ACG_SUPPORTED |
				      D3DKMT_ADAPTERTYPE_SUPPORT_SET_TIMINGS_FROM_VIDPN)),
		       "ADAPTERTYPE_RENDER has the display bits cleared by the guest driver");
		/* Listed with the compute-only filter, so the adapter says it is compute-only. */
		tap_ok(type_word & D3DKMT_ADAPTERTYPE_COMPUTE_ONLY,
		       "ADAPTERTYPE_RENDER says compute-only, as the enumeration filter did");
	}
	type_word = 0;
	ret = query_info(adapter, KMTQAITYPE_ADAPTERTYPE, &type_word, sizeof(type_word));
	if (tap_ret0(ret, "QUERYADAPTERINFO ADAPTERTYPE"))
		tap_ok(type_word & D3DKMT_ADAPTERTYPE_PARAVIRTUALIZED,
		       "ADAPTERTYPE has the paravirtualized bit (0x%x)", type_word);

	memset(&description, 0xff, sizeof(description));
	ret = query_info(adapter, KMTQAITYPE_DRIVER_DESCRIPTION, &description,
			 sizeof(description));
	if (tap_ret0(ret, "QUERYADAPTERINFO DRIVER_DESCRIPTION (8192 bytes of UTF-16)")) {
		bool ok = utf16_text(description.driver_description,
				     D3DKMT_DRIVER_DESCRIPTION_CHARS, &length);
		size_t i;

		for (i = 0; i < length && i + 1 < sizeof(ascii); i++) {
			uint16_t c = description.driver_description[i];

			ascii[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
		}
		ascii[i] = '\0';
		tap_ok(ok, "DRIVER_DESCRIPTION is non-empty NUL-terminated UTF-16 "
		       "(\"%s\", %zu units)", ascii, length);
	}

	memset(&ids, 0, sizeof(ids));
	ids.physical_adapter_index = 0;
	ret = query_info(adapter, KMTQAITYPE_PHYSICALADAPTERDEVICEIDS, &ids, sizeof(ids));
	if (tap_ret0(ret, "QUERYADAPTERINFO PHYSICALADAPTERDEVICEIDS of physical adapter 0"))
		tap_ok(ids.device_ids.vendor_id != 0 && ids.device_ids.vendor_id != 0xffff,
		       "PHYSICALADAPTERDEVICEIDS gives a vendor id (%04x:%04x)",
		       ids.device_ids.vendor_id, ids.device_ids.device_id);

	tap_ret0(close_adapter(adapter), "CLOSEADAPTER after the queries");
	tap_errno(query_info(adapter, KMTQAITYPE_ADAPTERTYPE_RENDER, &type_word,
			     sizeof(type_word)),
		  EINVAL, "QUERYADAPTERINFO on a closed handle -> EINVAL");
}

/* What the thread saw, reported by the main thread (the TAP counters are not thread-safe). */
struct thread_result {
	struct winluid luid;
	struct d3dkmthandle from_main;
	int open_ret;
	int query_ret;
	int close_ret;
	int close_main_ret;
	uint32_t type_word;
};

static void *adapter_thread(void *arg)
{
	struct thread_result *result = arg;
	struct d3dkmthandle adapter = { 0 };

	result->open_ret = open_from_luid(result->luid, &adapter);
	if (result->open_ret == 0) {
		result->query_ret = query_info(adapter, KMTQAITYPE_ADAPTERTYPE_RENDER,
					       &result->type_word, sizeof(result->type_word));
		result->close_ret = close_adapter(adapter);
	}
	result->close_main_ret = close_adapter(result->from_main);
	return NULL;
}

static void test_thread(struct winluid luid)
{
	struct thread_result result;
	pthread_t thread;

	memset(&result, 0, sizeof(result));
	result.luid = luid;
	if (!tap_ret0(open_from_luid(luid, &result.from_main),
		      "open an adapter in the main thread"))
		return;
	if (!tap_ok(pthread_create(&thread, NULL, adapter_thread, &result) == 0,
		    "start a thread")) {
		close_adapter(result.from_main);
		return;
	}
	pthread_join(thread, NULL);
	tap_ret0(result.open_ret, "OPENADAPTERFROMLUID from a pthread");
	tap_ret0(result.query_ret, "QUERYADAPTERINFO from a pthread");
	tap_ret0(result.close_ret, "CLOSEADAPTER from a pthread");
	tap_ret0(result.close_main_ret,
		 "a pthread closes the main thread's adapter handle (one process)");
	tap_errno(close_adapter(result.from_main), EINVAL,
		  "that handle is gone for the main thread too -> EINVAL");
}

int main(void)
{
	struct d3dkmt_adapterinfo adapters[MAX_ADAPTERS];
	uint32_t count = MAX_ADAPTERS;
	struct winluid luid0;

	tap_begin("dxgcompat-adapter", 120);
	dxg_fd = open("/dev/dxg", O_RDONLY | O_CLOEXEC);
	if (dxg_fd < 0)
		tap_skip_all("no /dev/dxg: %s", errno_name(errno));
	if (enum3(adapters, &count) < 0 || count == 0)
		tap_skip_all("no adapter");
	luid0 = adapters[0].adapter_luid;
	close_all(adapters, count);

	test_enumadapters3(count);
	test_enumadapters2(count, luid0);
	test_open_close(luid0);
	test_query_adapter_info(luid0);
	test_thread(luid0);

	close(dxg_fd);
	return tap_end();
}
