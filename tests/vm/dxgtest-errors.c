// SPDX-License-Identifier: MIT
/*
 * dxgtest-errors: every way an ioctl on /dev/dxg can be wrong, and the exact errno for each.
 *
 *   ENOTTY  unknown ioctl number, empty slot, wrong size/direction/type in the 32-bit code
 *   EFAULT  argument pointer NULL, unmapped or straddling into an unmapped page; bad array pointers
 *   EOVERFLOW  ENUMADAPTERS2 buffer too small (with the count reported)
 *   EINVAL  bad counts, unknown filter bits, bad sizes, unknown query
 *           types, unknown LUIDs, closed/zero/garbage/foreign-type/destroyed handles, bad node
 *
 * After the error storm the VM's object counters must be back where they started: a failed call
 * must not leak a handle on either side.
 */
#include "dxgtest.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

/* An ioctl code for @nr whose size is @size bytes; only the dispatcher's checks are exercised. */
#define DXG_CODE(dir, nr, size) _IOC(dir, 0x47, nr, size)

struct bad_memory {
	char *page;		/* a mapped, writable page */
	char *guard;		/* the unmapped page right after it */
	void *unmapped;		/* a page that was mapped and unmapped again */
};

static int map_bad_memory(struct bad_memory *mem)
{
	long page_size = sysconf(_SC_PAGESIZE);
	char *two = mmap(NULL, 2 * page_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			 -1, 0);
	void *gone;

	if (two == MAP_FAILED)
		return -errno;
	/* PROT_NONE instead of munmap, so no later mapping can land in the guard page. */
	if (mprotect(two + page_size, page_size, PROT_NONE) < 0)
		return -errno;
	gone = mmap(NULL, page_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (gone == MAP_FAILED)
		return -errno;
	munmap(gone, page_size);
	mem->page = two;
	mem->guard = two + page_size;
	mem->unmapped = gone;
	return 0;
}

static void test_dispatcher(int fd)
{
	char buffer[512] = { 0 };

	tap_errno(d3dkmt_ioctl(fd, DXG_CODE(_IOC_READ | _IOC_WRITE, 0x4a, 16), buffer), ENOTTY,
		  "nr 0x4a (past the table) -> ENOTTY");
	tap_errno(d3dkmt_ioctl(fd, DXG_CODE(_IOC_READ | _IOC_WRITE, 0xff, 4), buffer), ENOTTY,
		  "nr 0xff -> ENOTTY");
	tap_errno(d3dkmt_ioctl(fd, DXG_CODE(_IOC_READ | _IOC_WRITE, 0x00, 4), buffer), ENOTTY,
		  "nr 0x00 -> ENOTTY");
	tap_errno(d3dkmt_ioctl(fd, DXG_CODE(_IOC_READ | _IOC_WRITE, 0x03, 96), buffer), ENOTTY,
		  "nr 0x03 (empty slot, legacy CREATECONTEXT) -> ENOTTY");
	tap_errno(d3dkmt_ioctl(fd, DXG_CODE(_IOC_READ | _IOC_WRITE, 0x17, 40), buffer), ENOTTY,
		  "nr 0x17 (empty slot, CREATEHWCONTEXT) -> ENOTTY");
	tap_errno(d3dkmt_ioctl(fd, DXG_CODE(_IOC_READ | _IOC_WRITE, 0x14, 20), buffer), ENOTTY,
		  "ENUMADAPTERS2 with a 20-byte size -> ENOTTY");
	tap_errno(d3dkmt_ioctl(fd, DXG_CODE(_IOC_READ | _IOC_WRITE, 0x14, 8), buffer), ENOTTY,
		  "ENUMADAPTERS2 with an 8-byte size -> ENOTTY");
	tap_errno(d3dkmt_ioctl(fd, DXG_CODE(_IOC_READ | _IOC_WRITE, 0x09, 32), buffer), ENOTTY,
		  "QUERYADAPTERINFO with a 32-byte size -> ENOTTY");
	tap_errno(d3dkmt_ioctl(fd, DXG_CODE(_IOC_READ, 0x01, 12), buffer), ENOTTY,
		  "OPENADAPTERFROMLUID as _IOR -> ENOTTY");
	tap_errno(d3dkmt_ioctl(fd, DXG_CODE(_IOC_WRITE, 0x01, 12), buffer), ENOTTY,
		  "OPENADAPTERFROMLUID as _IOW -> ENOTTY");
	tap_errno(d3dkmt_ioctl(fd, _IOC(_IOC_READ | _IOC_WRITE, 0x48, 0x01, 12), buffer), ENOTTY,
		  "OPENADAPTERFROMLUID with type 'H' -> ENOTTY");
}

static void test_bad_pointers(int fd, const struct bad_memory *mem)
{
	/* The last 4 bytes of the mapped page: a 12-byte argument runs into the guard page. */
	void *straddling = mem->guard - 4;
	struct d3dkmt_enumadapters2 enum2;
	struct d3dkmt_enumadapters3 enum3;

	tap_errno(d3dkmt_ioctl(fd, LX_DXOPENADAPTERFROMLUID, NULL), EFAULT,
		  "OPENADAPTERFROMLUID with a NULL argument -> EFAULT");
	tap_errno(d3dkmt_ioctl(fd, LX_DXOPENADAPTERFROMLUID, mem->unmapped), EFAULT,
		  "OPENADAPTERFROMLUID with an unmapped argument -> EFAULT");
	tap_errno(d3dkmt_ioctl(fd, LX_DXOPENADAPTERFROMLUID, straddling), EFAULT,
		  "OPENADAPTERFROMLUID with an argument crossing into a guard page -> EFAULT");
	tap_errno(d3dkmt_ioctl(fd, LX_DXENUMADAPTERS3, NULL), EFAULT,
		  "ENUMADAPTERS3 with a NULL argument -> EFAULT");
	tap_errno(d3dkmt_ioctl(fd, LX_DXCREATEDEVICE, mem->guard), EFAULT,
		  "CREATEDEVICE with a PROT_NONE argument -> EFAULT");
	tap_errno(d3dkmt_ioctl(fd, LX_DXQUERYADAPTERINFO, (void *)1), EFAULT,
		  "QUERYADAPTERINFO with argument pointer 1 -> EFAULT");

	memset(&enum2, 0, sizeof(enum2));
	enum2.num_adapters = D3DKMT_ADAPTERS_MAX;
	enum2.adapters = (uintptr_t)mem->unmapped;
	tap_errno(d3dkmt_ioctl(fd, LX_DXENUMADAPTERS2, &enum2), EFAULT,
		  "ENUMADAPTERS2 with an unmapped adapters array -> EFAULT");
	memset(&enum2, 0, sizeof(enum2));
	enum2.num_adapters = D3DKMT_ADAPTERS_MAX;
	enum2.adapters = (uintptr_t)mem->guard;
	tap_errno(d3dkmt_ioctl(fd, LX_DXENUMADAPTERS2, &enum2), EFAULT,
		  "ENUMADAPTERS2 with a PROT_NONE adapters array -> EFAULT");
	memset(&enum3, 0, sizeof(enum3));
	/* Without the compute-only filter opendxg's adapters are hidden and nothing is written. */
	enum3.filter = D3DKMT_ENUMADAPTERS_FILTER_COMPUTE_ONLY;
	enum3.adapter_count = 16;
	enum3.adapters = (uintptr_t)mem->unmapped;
	tap_errno(d3dkmt_ioctl(fd, LX_DXENUMADAPTERS3, &enum3), EFAULT,
		  "ENUMADAPTERS3 with an unmapped adapters array -> EFAULT");
}

static void test_enum_adapters(int fd, uint32_t present)
{
	struct d3dkmt_adapterinfo *buffer = calloc(D3DKMT_ADAPTERS_MAX + 1, sizeof(*buffer));
	struct d3dkmt_enumadapters2 enum2;
	struct d3dkmt_enumadapters3 enum3;
	int ret;

	if (!tap_ok(buffer != NULL, "allocate an adapter buffer"))
		return;

	memset(&enum2, 0, sizeof(enum2));
	enum2.num_adapters = 0;
	enum2.adapters = (uintptr_t)buffer;
	ret = d3dkmt_ioctl(fd, LX_DXENUMADAPTERS2, &enum2);
	tap_errno(ret, EOVERFLOW, "ENUMADAPTERS2 with room for 0 adapters -> EOVERFLOW");
	tap_ok(enum2.num_adapters == present,
	       "ENUMADAPTERS2 EOVERFLOW reports the count (%u of %u)", enum2.num_adapters, present);

	if (present >= 2) {
		memset(&enum2, 0, sizeof(enum2));
		enum2.num_adapters = present - 1;
		enum2.adapters = (uintptr_t)buffer;
		tap_errno(d3dkmt_ioctl(fd, LX_DXENUMADAPTERS2, &enum2), EOVERFLOW,
			  "ENUMADAPTERS2 one slot short -> EOVERFLOW");
		tap_ok(enum2.num_adapters == present, "ENUMADAPTERS2 one slot short reports %u",
		       enum2.num_adapters);
	}

	memset(&enum2, 0, sizeof(enum2));
	enum2.num_adapters = D3DKMT_ADAPTERS_MAX + 1;
	enum2.adapters = (uintptr_t)buffer;
	tap_errno(d3dkmt_ioctl(fd, LX_DXENUMADAPTERS2, &enum2), EINVAL,
		  "ENUMADAPTERS2 with a count of 65 -> EINVAL");

	/*
	 * The "reserved" words of these structs are alignment padding in the Windows layout that
	 * libdxg passes through from its callers, possibly uninitialised: WSL ignores them, and so
	 * must we, or unchanged WSL user space would fail at random.
	 */
	memset(&enum2, 0, sizeof(enum2));
	enum2.reserved = 0xdeadbeef;
	ret = d3dkmt_ioctl(fd, LX_DXENUMADAPTERS2, &enum2);
	tap_ok(ret == 0 && enum2.num_adapters == present,
	       "ENUMADAPTERS2 ignores its padding word, as WSL does (ret %d, %u adapters)", ret,
	       enum2.num_adapters);

	memset(&enum2, 0, sizeof(enum2));
	ret = d3dkmt_ioctl(fd, LX_DXENUMADAPTERS2, &enum2);
	tap_ret0(ret, "ENUMADAPTERS2 with a NULL buffer counts");
	tap_ok(ret == 0 && enum2.num_adapters == present, "ENUMADAPTERS2 counts %u adapters",
	       enum2.num_adapters);

	memset(&enum3, 0, sizeof(enum3));
	enum3.adapter_count = D3DKMT_ENUMADAPTERS3_MAX + 1;
	enum3.adapters = (uintptr_t)buffer;
	tap_errno(d3dkmt_ioctl(fd, LX_DXENUMADAPTERS3, &enum3), EINVAL,
		  "ENUMADAPTERS3 with a count of 0x10000 -> EINVAL");

	memset(&enum3, 0, sizeof(enum3));
	enum3.filter = 1u << 5;
	tap_errno(d3dkmt_ioctl(fd, LX_DXENUMADAPTERS3, &enum3), EINVAL,
		  "ENUMADAPTERS3 with an unknown filter bit -> EINVAL");
	memset(&enum3, 0, sizeof(enum3));
	enum3.filter = 1ull << 63;
	tap_errno(d3dkmt_ioctl(fd, LX_DXENUMADAPTERS3, &enum3), EINVAL,
		  "ENUMADAPTERS3 with filter bit 63 -> EINVAL");

	memset(&enum3, 0, sizeof(enum3));
	enum3.filter = D3DKMT_ENUMADAPTERS_FILTER_COMPUTE_ONLY;
	enum3.reserved = 0xdeadbeef;
	ret = d3dkmt_ioctl(fd, LX_DXENUMADAPTERS3, &enum3);
	tap_ok(ret == 0 && enum3.adapter_count == present,
	       "ENUMADAPTERS3 ignores its padding word, as WSL does (ret %d, %u adapters)", ret,
	       enum3.adapter_count);

	free(buffer);
}

static int raw_qai(int fd, struct d3dkmthandle adapter, uint32_t type, void *data, uint32_t size,
		   uint32_t reserved)
{
	struct d3dkmt_queryadapterinfo args;

	memset(&args, 0, sizeof(args));
	args.adapter = adapter;
	memcpy(&args.type, &type, sizeof(type));
	args.private_data = (uintptr_t)data;
	args.private_data_size = size;
	args.reserved = reserved;
	return d3dkmt_ioctl(fd, LX_DXQUERYADAPTERINFO, &args);
}

static void test_query_adapter_info(int fd, struct d3dkmthandle adapter,
				    const struct bad_memory *mem)
{
	static char big[D3DKMT_MAX_PRIVATE_DATA_SIZE + 1];
	uint32_t word = 0;

	tap_ret0(raw_qai(fd, adapter, KMTQAITYPE_ADAPTERTYPE_RENDER, &word, sizeof(word), 0),
		 "QAI baseline call works");
	tap_errno(raw_qai(fd, adapter, KMTQAITYPE_ADAPTERTYPE_RENDER, &word, 0, 0), EINVAL,
		  "QAI with size 0 -> EINVAL");
	tap_errno(raw_qai(fd, adapter, KMTQAITYPE_DRIVER_DESCRIPTION, big, sizeof(big), 0), EINVAL,
		  "QAI with size 131073 -> EINVAL");
	tap_errno(raw_qai(fd, adapter, KMTQAITYPE_ADAPTERTYPE_RENDER, big, 8, 0), EINVAL,
		  "QAI ADAPTERTYPE_RENDER with 8 bytes (it answers 4) -> EINVAL");
	memset(big, 0, sizeof(struct d3dkmt_query_device_ids));
	big[0] = 1;
	tap_errno(raw_qai(fd, adapter, KMTQAITYPE_PHYSICALADAPTERDEVICEIDS, big,
			  sizeof(struct d3dkmt_query_device_ids), 0),
		  EINVAL, "QAI PHYSICALADAPTERDEVICEIDS of physical adapter 1 -> EINVAL");
	tap_errno(raw_qai(fd, adapter, 0x7fff, &word, sizeof(word), 0), EINVAL,
		  "QAI with unknown type 0x7fff -> EINVAL");
	tap_errno(raw_qai(fd, adapter, 0x4f44ffff, &word, sizeof(word), 0), EINVAL,
		  "QAI with unknown opendxg type 0x4f44ffff -> EINVAL");
	tap_ret0(raw_qai(fd, adapter, KMTQAITYPE_ADAPTERTYPE_RENDER, &word, sizeof(word),
			 0xdeadbeef),
		 "QAI ignores its padding word, as WSL does");
	tap_errno(raw_qai(fd, adapter, KMTQAITYPE_ADAPTERTYPE_RENDER, mem->unmapped, sizeof(word),
			  0),
		  EFAULT, "QAI with an unmapped data pointer -> EFAULT");
	tap_errno(raw_qai(fd, adapter, KMTQAITYPE_ADAPTERTYPE_RENDER, NULL, sizeof(word), 0),
		  EFAULT, "QAI with a NULL data pointer -> EFAULT");
	tap_errno(raw_qai(fd, (struct d3dkmthandle){ 0 }, KMTQAITYPE_ADAPTERTYPE_RENDER, &word,
			  sizeof(word), 0),
		  EINVAL, "QAI on adapter handle 0 -> EINVAL");
}

static void test_open_adapter(int fd, struct winluid known)
{
	struct winluid unknown = { .a = known.a ^ 0x5a5a5a5au, .b = known.b ^ 0x00ff00ffu };
	struct d3dkmthandle adapter = { 0 };
	int ret;

	/* The WSL driver answers an unknown LUID with EINVAL; opendxg keeps that. */
	tap_errno(d3dkmt_open_adapter_from_luid(fd, unknown, &adapter), EINVAL,
		  "OpenAdapterFromLuid with an unknown LUID -> EINVAL");
	tap_errno(d3dkmt_open_adapter_from_luid(fd, (struct winluid){ 0, 0 }, &adapter), EINVAL,
		  "OpenAdapterFromLuid with LUID 0 -> EINVAL");

	ret = d3dkmt_open_adapter_from_luid(fd, known, &adapter);
	if (tap_ret0(ret, "OpenAdapterFromLuid with a known LUID")) {
		tap_ret0(d3dkmt_close_adapter(fd, adapter), "CloseAdapter");
		tap_errno(d3dkmt_close_adapter(fd, adapter), EINVAL,
			  "CloseAdapter on a closed handle -> EINVAL");
	}
	/* WSL accepts handle 0 here and does nothing; WSL software may rely on that. */
	tap_ret0(d3dkmt_close_adapter(fd, (struct d3dkmthandle){ 0 }),
		 "CloseAdapter on handle 0 is a no-op, as in WSL");
	tap_errno(d3dkmt_close_adapter(fd, (struct d3dkmthandle){ 0x3fffffc0u }), EINVAL,
		  "CloseAdapter on a garbage handle -> EINVAL");
}

static int raw_create_device(int fd, struct d3dkmt_createdevice *args)
{
	return d3dkmt_ioctl(fd, LX_DXCREATEDEVICE, args);
}

static void test_create_device(int fd, struct winluid luid, struct d3dkmthandle live_adapter)
{
	struct d3dkmthandle closed = { 0 }, device = { 0 };
	struct d3dkmt_createdevice args;
	int ret;

	ret = d3dkmt_open_adapter_from_luid(fd, luid, &closed);
	if (tap_ret0(ret, "open an adapter to close it")) {
		d3dkmt_close_adapter(fd, closed);
		tap_errno(d3dkmt_create_device(fd, closed, 0, &device), EINVAL,
			  "CreateDevice on a closed adapter handle -> EINVAL");
	}
	tap_errno(d3dkmt_create_device(fd, (struct d3dkmthandle){ 0 }, 0, &device), EINVAL,
		  "CreateDevice on adapter handle 0 -> EINVAL");
	tap_errno(d3dkmt_create_device(fd, (struct d3dkmthandle){ 0x7ffffc03u }, 0, &device),
		  EINVAL, "CreateDevice on a garbage adapter handle -> EINVAL");

	/* reserved3 is the upper half of Windows' adapter handle/pointer union, the others are
	 * alignment padding: garbage there must not matter (WSL ignores them too). */
	memset(&args, 0, sizeof(args));
	args.adapter = live_adapter;
	args.reserved3 = 0xdeadbeef;
	args.reserved = 0xdeadbeef;
	args.reserved1 = 0xdeadbeef;
	args.reserved2 = 0xdeadbeef;
	ret = raw_create_device(fd, &args);
	if (tap_ret0(ret, "CreateDevice ignores garbage in its padding words, as WSL does"))
		tap_ret0(d3dkmt_destroy_device(fd, args.device),
			 "DestroyDevice of the device created with padding garbage");

	tap_errno(d3dkmt_create_device(fd, live_adapter, 0x10, &device), EINVAL,
		  "CreateDevice with an unknown flag (0x10) -> EINVAL");
	tap_errno(d3dkmt_destroy_device(fd, (struct d3dkmthandle){ 0 }), EINVAL,
		  "DestroyDevice on handle 0 -> EINVAL");
	tap_errno(d3dkmt_destroy_device(fd, (struct d3dkmthandle){ 0x7ffffc03u }), EINVAL,
		  "DestroyDevice on a garbage handle -> EINVAL");

	ret = d3dkmt_create_device(fd, live_adapter, 0, &device);
	if (tap_ret0(ret, "CreateDevice")) {
		tap_ret0(d3dkmt_destroy_device(fd, device), "DestroyDevice");
		tap_errno(d3dkmt_destroy_device(fd, device), EINVAL,
			  "DestroyDevice on a destroyed device -> EINVAL");
		tap_errno(d3dkmt_create_context_virtual(fd, device,
							&(struct d3dkmt_context_params){
								.engine_affinity = 1 },
							&(struct d3dkmthandle){ 0 }),
			  EINVAL, "CreateContextVirtual on a destroyed device -> EINVAL");
	}
}

static int raw_create_context(int fd, struct d3dkmt_createcontextvirtual *args)
{
	return d3dkmt_ioctl(fd, LX_DXCREATECONTEXTVIRTUAL, args);
}

static void test_contexts(int fd, struct d3dkmthandle adapter, const struct bad_memory *mem)
{
	struct d3dkmt_context_params params = { .engine_affinity = 1 };
	struct d3dkmthandle device = { 0 }, context = { 0 }, other = { 0 };
	struct d3dkmt_createcontextvirtual args;
	int ret;

	if (!tap_ret0(d3dkmt_create_device(fd, adapter, 0, &device), "CreateDevice for contexts"))
		return;

	params.node_ordinal = 1;
	tap_errno(d3dkmt_create_context_virtual(fd, device, &params, &other), EINVAL,
		  "CreateContextVirtual on node 1 (the adapter has one node) -> EINVAL");
	params.node_ordinal = 0;

	params.flags = 0x20;
	tap_errno(d3dkmt_create_context_virtual(fd, device, &params, &other), EINVAL,
		  "CreateContextVirtual with an unknown flag (0x20) -> EINVAL");
	params.flags = 0;
	params.engine_affinity = 0x80000000u;
	tap_errno(d3dkmt_create_context_virtual(fd, device, &params, &other), EINVAL,
		  "CreateContextVirtual with an engine the node lacks -> EINVAL");
	params.engine_affinity = 1;

	memset(&args, 0, sizeof(args));
	args.device = device;
	args.engine_affinity = 1;
	args.reserved = 0xdeadbeef;
	if (tap_ret0(raw_create_context(fd, &args),
		     "CreateContextVirtual ignores its padding word, as WSL does"))
		tap_ret0(d3dkmt_destroy_context(fd, args.context),
			 "DestroyContext of the context created with padding garbage");

	memset(&args, 0, sizeof(args));
	args.device = device;
	args.engine_affinity = 1;
	args.priv_drv_data_size = D3DKMT_MAX_PRIVATE_DATA_SIZE + 1;
	args.priv_drv_data = (uintptr_t)mem->page;
	tap_errno(raw_create_context(fd, &args), EINVAL,
		  "CreateContextVirtual with 128 KiB + 1 of private data -> EINVAL");

	memset(&args, 0, sizeof(args));
	args.device = device;
	args.engine_affinity = 1;
	args.priv_drv_data_size = 64;
	args.priv_drv_data = (uintptr_t)mem->unmapped;
	tap_errno(raw_create_context(fd, &args), EFAULT,
		  "CreateContextVirtual with an unmapped private data pointer -> EFAULT");

	tap_errno(d3dkmt_create_context_virtual(fd, (struct d3dkmthandle){ 0 }, &params, &other),
		  EINVAL, "CreateContextVirtual on device handle 0 -> EINVAL");

	ret = d3dkmt_create_context_virtual(fd, device, &params, &context);
	if (tap_ret0(ret, "CreateContextVirtual")) {
		/* Type confusion: a context handle is not a device, nor the reverse. */
		tap_errno(d3dkmt_destroy_device(fd, context), EINVAL,
			  "DestroyDevice on a context handle -> EINVAL");
		tap_errno(d3dkmt_destroy_context(fd, device), EINVAL,
			  "DestroyContext on a device handle -> EINVAL");
		tap_errno(d3dkmt_create_context_virtual(fd, context, &params, &other), EINVAL,
			  "CreateContextVirtual on a context handle -> EINVAL");
		tap_ret0(d3dkmt_destroy_context(fd, context), "DestroyContext");
		tap_errno(d3dkmt_destroy_context(fd, context), EINVAL,
			  "DestroyContext on a destroyed context -> EINVAL");
	}
	tap_errno(d3dkmt_destroy_context(fd, (struct d3dkmthandle){ 0 }), EINVAL,
		  "DestroyContext on handle 0 -> EINVAL");
	tap_errno(d3dkmt_destroy_context(fd, (struct d3dkmthandle){ 0x7ffffc03u }), EINVAL,
		  "DestroyContext on a garbage handle -> EINVAL");

	/* A device's contexts go with it: the context handle must be dead afterwards. */
	ret = d3dkmt_create_context_virtual(fd, device, &params, &context);
	tap_ret0(ret, "CreateContextVirtual, left for DestroyDevice");
	tap_ret0(d3dkmt_destroy_device(fd, device), "DestroyDevice with a live context");
	if (ret == 0)
		tap_errno(d3dkmt_destroy_context(fd, context), EINVAL,
			  "DestroyContext after its device was destroyed -> EINVAL");
}

int main(void)
{
	struct opendxg_vm_stats before, after;
	struct d3dkmt_adapterinfo *adapters;
	struct bad_memory mem = { 0 };
	uint32_t count;
	int fd, ret;

	tap_begin("dxgtest-errors", 300);
	fd = dxgtest_open_or_skip();
	adapters = dxgtest_adapters_or_skip(fd, &count);
	ret = map_bad_memory(&mem);
	if (!tap_ret0(ret, "set up unmapped and guard pages"))
		return tap_end();

	ret = d3dkmt_query_vm_stats(fd, adapters[0].adapter_handle, &before);
	tap_ret0(ret, "VM stats before");
	dxgtest_diag_stats("before", &before);

	test_dispatcher(fd);
	test_bad_pointers(fd, &mem);
	test_enum_adapters(fd, count);
	test_query_adapter_info(fd, adapters[0].adapter_handle, &mem);
	test_open_adapter(fd, adapters[0].adapter_luid);
	test_create_device(fd, adapters[0].adapter_luid, adapters[0].adapter_handle);
	test_contexts(fd, adapters[0].adapter_handle, &mem);

	/* Nothing above may have left an object behind, on the guest or on the host. */
	if (ret == 0) {
		ret = dxgtest_wait_stats(fd, adapters[0].adapter_handle, &before, &after, 0);
		dxgtest_diag_stats("after", &after);
		tap_ret0(ret, "no object leaked by the failed calls");
	}

	for (uint32_t i = 0; i < count; i++)
		d3dkmt_close_adapter(fd, adapters[i].adapter_handle);
	free(adapters);
	d3dkmt_close(fd);
	return tap_end();
}
