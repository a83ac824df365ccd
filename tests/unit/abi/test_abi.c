// SPDX-License-Identifier: MIT
/*
 * Run-time check of the /dev/dxg ABI header against argument sizes typed in here independently,
 * from the sizes the x86_64 WSL driver was built with. The header asserts its struct sizes at
 * compile time; this program checks the other half of the contract: that every LX_DX* code is
 * exactly the 32-bit value the WSL driver compares against (it rejects any other with -ENOTTY),
 * and that no number is missing or taken twice.
 */
#include <misc/d3dkmthk.h>

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

struct ioctl_case {
	const char *name;
	unsigned long code;	/* the header's macro */
	__u32 nr;		/* typed in */
	__u32 size;		/* typed in */
};

#define IOCTL_CASE(macro, nr, size) { #macro, (unsigned long)(macro), nr, size }

/* One row per slot 0x01..0x49, in order; sizes in bytes as the x86_64 WSL driver was built. */
static const struct ioctl_case ioctl_cases[] = {
	IOCTL_CASE(LX_DXOPENADAPTERFROMLUID, 0x01, 12),
	IOCTL_CASE(LX_DXCREATEDEVICE, 0x02, 64),
	IOCTL_CASE(LX_DXCREATECONTEXT, 0x03, 96),
	IOCTL_CASE(LX_DXCREATECONTEXTVIRTUAL, 0x04, 40),
	IOCTL_CASE(LX_DXDESTROYCONTEXT, 0x05, 4),
	IOCTL_CASE(LX_DXCREATEALLOCATION, 0x06, 72),
	IOCTL_CASE(LX_DXCREATEPAGINGQUEUE, 0x07, 32),
	IOCTL_CASE(LX_DXRESERVEGPUVIRTUALADDRESS, 0x08, 72),
	IOCTL_CASE(LX_DXQUERYADAPTERINFO, 0x09, 24),
	IOCTL_CASE(LX_DXQUERYVIDEOMEMORYINFO, 0x0a, 56),
	IOCTL_CASE(LX_DXMAKERESIDENT, 0x0b, 48),
	IOCTL_CASE(LX_DXMAPGPUVIRTUALADDRESS, 0x0c, 104),
	IOCTL_CASE(LX_DXESCAPE, 0x0d, 32),
	IOCTL_CASE(LX_DXGETDEVICESTATE, 0x0e, 56),
	IOCTL_CASE(LX_DXSUBMITCOMMAND, 0x0f, 384),
	IOCTL_CASE(LX_DXCREATESYNCHRONIZATIONOBJECT, 0x10, 96),
	IOCTL_CASE(LX_DXSIGNALSYNCHRONIZATIONOBJECT, 0x11, 464),
	IOCTL_CASE(LX_DXWAITFORSYNCHRONIZATIONOBJECT, 0x12, 200),
	IOCTL_CASE(LX_DXDESTROYALLOCATION2, 0x13, 24),
	IOCTL_CASE(LX_DXENUMADAPTERS2, 0x14, 16),
	IOCTL_CASE(LX_DXCLOSEADAPTER, 0x15, 4),
	IOCTL_CASE(LX_DXCHANGEVIDEOMEMORYRESERVATION, 0x16, 32),
	IOCTL_CASE(LX_DXCREATEHWCONTEXT, 0x17, 40),
	IOCTL_CASE(LX_DXCREATEHWQUEUE, 0x18, 48),
	IOCTL_CASE(LX_DXDESTROYDEVICE, 0x19, 4),
	IOCTL_CASE(LX_DXDESTROYHWCONTEXT, 0x1a, 4),
	IOCTL_CASE(LX_DXDESTROYHWQUEUE, 0x1b, 4),
	IOCTL_CASE(LX_DXDESTROYPAGINGQUEUE, 0x1c, 4),
	IOCTL_CASE(LX_DXDESTROYSYNCHRONIZATIONOBJECT, 0x1d, 4),
	IOCTL_CASE(LX_DXEVICT, 0x1e, 32),
	IOCTL_CASE(LX_DXFLUSHHEAPTRANSITIONS, 0x1f, 4),
	IOCTL_CASE(LX_DXFREEGPUVIRTUALADDRESS, 0x20, 24),
	IOCTL_CASE(LX_DXGETCONTEXTINPROCESSSCHEDULINGPRIORITY, 0x21, 8),
	IOCTL_CASE(LX_DXGETCONTEXTSCHEDULINGPRIORITY, 0x22, 8),
	IOCTL_CASE(LX_DXGETSHAREDRESOURCEADAPTERLUID, 0x23, 24),
	IOCTL_CASE(LX_DXINVALIDATECACHE, 0x24, 24),
	IOCTL_CASE(LX_DXLOCK2, 0x25, 24),
	IOCTL_CASE(LX_DXMARKDEVICEASERROR, 0x26, 8),
	IOCTL_CASE(LX_DXOFFERALLOCATIONS, 0x27, 40),
	IOCTL_CASE(LX_DXOPENRESOURCE, 0x28, 72),
	IOCTL_CASE(LX_DXOPENSYNCHRONIZATIONOBJECT, 0x29, 72),
	IOCTL_CASE(LX_DXQUERYALLOCATIONRESIDENCY, 0x2a, 32),
	IOCTL_CASE(LX_DXQUERYRESOURCEINFO, 0x2b, 32),
	IOCTL_CASE(LX_DXRECLAIMALLOCATIONS2, 0x2c, 40),
	IOCTL_CASE(LX_DXRENDER, 0x2d, 368),
	IOCTL_CASE(LX_DXSETALLOCATIONPRIORITY, 0x2e, 32),
	IOCTL_CASE(LX_DXSETCONTEXTINPROCESSSCHEDULINGPRIORITY, 0x2f, 8),
	IOCTL_CASE(LX_DXSETCONTEXTSCHEDULINGPRIORITY, 0x30, 8),
	IOCTL_CASE(LX_DXSIGNALSYNCHRONIZATIONOBJECTFROMCPU, 0x31, 32),
	IOCTL_CASE(LX_DXSIGNALSYNCHRONIZATIONOBJECTFROMGPU, 0x32, 80),
	IOCTL_CASE(LX_DXSIGNALSYNCHRONIZATIONOBJECTFROMGPU2, 0x33, 96),
	IOCTL_CASE(LX_DXSUBMITCOMMANDTOHWQUEUE, 0x34, 56),
	IOCTL_CASE(LX_DXSUBMITSIGNALSYNCOBJECTSTOHWQUEUE, 0x35, 40),
	IOCTL_CASE(LX_DXSUBMITWAITFORSYNCOBJECTSTOHWQUEUE, 0x36, 24),
	IOCTL_CASE(LX_DXUNLOCK2, 0x37, 8),
	IOCTL_CASE(LX_DXUPDATEALLOCPROPERTY, 0x38, 40),
	IOCTL_CASE(LX_DXUPDATEGPUVIRTUALADDRESS, 0x39, 56),
	IOCTL_CASE(LX_DXWAITFORSYNCHRONIZATIONOBJECTFROMCPU, 0x3a, 40),
	IOCTL_CASE(LX_DXWAITFORSYNCHRONIZATIONOBJECTFROMGPU, 0x3b, 80),
	IOCTL_CASE(LX_DXGETALLOCATIONPRIORITY, 0x3c, 32),
	IOCTL_CASE(LX_DXQUERYCLOCKCALIBRATION, 0x3d, 40),
	IOCTL_CASE(LX_DXENUMADAPTERS3, 0x3e, 24),
	IOCTL_CASE(LX_DXSHAREOBJECTS, 0x3f, 40),
	IOCTL_CASE(LX_DXOPENSYNCOBJECTFROMNTHANDLE2, 0x40, 88),
	IOCTL_CASE(LX_DXQUERYRESOURCEINFOFROMNTHANDLE, 0x41, 40),
	IOCTL_CASE(LX_DXOPENRESOURCEFROMNTHANDLE, 0x42, 104),
	IOCTL_CASE(LX_DXQUERYSTATISTICS, 0x43, 808),
	IOCTL_CASE(LX_DXSHAREOBJECTWITHHOST, 0x44, 24),
	IOCTL_CASE(LX_DXCREATESYNCFILE, 0x45, 24),
	IOCTL_CASE(LX_DXWAITSYNCFILE, 0x46, 16),
	IOCTL_CASE(LX_DXOPENSYNCOBJECTFROMSYNCFILE, 0x47, 40),
	IOCTL_CASE(LX_DXENUMPROCESSES, 0x48, 24),
	IOCTL_CASE(LX_DXISFEATUREENABLED, 0x49, 12),
};

#define N_CASES (sizeof(ioctl_cases) / sizeof(ioctl_cases[0]))

/* A value from the header next to the one typed in here. */
struct value_case {
	const char *name;
	unsigned long long actual;
	unsigned long long expected;
};

#define VALUE_CASE(expr, expected) { #expr, (unsigned long long)(expr), expected }

static const struct value_case value_cases[] = {
	/* Codes seen on the wire by WSL user space. */
	VALUE_CASE(LX_DXOPENADAPTERFROMLUID, 0xC00C4701),
	VALUE_CASE(LX_DXCREATEDEVICE, 0xC0404702),
	VALUE_CASE(LX_DXCREATECONTEXTVIRTUAL, 0xC0284704),
	VALUE_CASE(LX_DXQUERYADAPTERINFO, 0xC0184709),
	VALUE_CASE(LX_DXENUMADAPTERS2, 0xC0104714),
	VALUE_CASE(LX_DXENUMADAPTERS3, 0xC018473E),
	VALUE_CASE(LX_DXENUMPROCESSES, 0xC0184748),
	VALUE_CASE(LX_DXQUERYSTATISTICS, 0xC3284743),
	VALUE_CASE(LX_ISFEATUREENABLED, 0xC00C4749),
	VALUE_CASE(LX_DXG_IOCTL_MAX, 0x49),
	VALUE_CASE(LX_DXG_IOCTL_COUNT, 73),

	/* Argument structs and the arrays they point to. */
	VALUE_CASE(sizeof(struct d3dkmthandle), 4),
	VALUE_CASE(sizeof(struct winluid), 8),
	VALUE_CASE(sizeof(struct d3dkmt_adapterinfo), 20),
	VALUE_CASE(sizeof(struct d3dddi_allocationinfo2), 96),
	VALUE_CASE(sizeof(struct d3dddi_synchronizationobjectinfo2), 80),
	VALUE_CASE(sizeof(struct d3dddi_openallocationinfo2), 80),
	VALUE_CASE(sizeof(struct d3dddi_updategpuvirtualaddress_operation), 64),
	VALUE_CASE(sizeof(struct d3dkmt_createstandardallocation), 24),
	VALUE_CASE(sizeof(struct d3dkmt_device_ids), 24),
	VALUE_CASE(sizeof(struct d3dkmt_query_device_ids), 28),
	VALUE_CASE(sizeof(struct d3dkmt_adaptertype), 4),
	VALUE_CASE(sizeof(struct d3dkmt_wddm_2_7_caps), 4),
	VALUE_CASE(sizeof(struct d3dkmt_driver_description), 8192),
	VALUE_CASE(sizeof(struct dxgk_gpuclockdata), 28),

	/* Where the outputs and pointers sit. */
	VALUE_CASE(offsetof(struct d3dkmt_openadapterfromluid, adapter_handle), 8),
	VALUE_CASE(offsetof(struct d3dkmt_createdevice, flags), 8),
	VALUE_CASE(offsetof(struct d3dkmt_createdevice, device), 12),
	VALUE_CASE(offsetof(struct d3dkmt_createdevice, patch_location_list_size), 56),
	VALUE_CASE(offsetof(struct d3dkmt_createcontextvirtual, priv_drv_data), 16),
	VALUE_CASE(offsetof(struct d3dkmt_createcontextvirtual, client_hint), 28),
	VALUE_CASE(offsetof(struct d3dkmt_createcontextvirtual, context), 32),
	VALUE_CASE(offsetof(struct d3dkmt_queryadapterinfo, private_data), 8),
	VALUE_CASE(offsetof(struct d3dkmt_queryadapterinfo, private_data_size), 16),
	VALUE_CASE(offsetof(struct d3dkmt_enumadapters2, adapters), 8),
	VALUE_CASE(offsetof(struct d3dkmt_enumadapters3, adapter_count), 8),
	VALUE_CASE(offsetof(struct d3dkmt_enumadapters3, adapters), 16),
	VALUE_CASE(offsetof(struct d3dkmt_adapterinfo, adapter_luid), 4),
	VALUE_CASE(offsetof(struct d3dkmt_adapterinfo, num_of_sources), 12),
	VALUE_CASE(offsetof(struct d3dkmt_query_device_ids, device_ids), 4),
	VALUE_CASE(offsetof(struct d3dkmt_createsynchronizationobject2, sync_object), 88),
	VALUE_CASE(offsetof(struct d3dkmt_signalsynchronizationobject2, fence_value), 400),
	VALUE_CASE(offsetof(struct d3dkmt_submitcommand, history_buffer_array), 376),
	VALUE_CASE(offsetof(struct d3dkmt_queryclockcalibration, clock_data), 12),
	VALUE_CASE(offsetof(struct d3dkmt_querystatistics, result), 24),
	VALUE_CASE(offsetof(struct d3dkmt_isfeatureenabled, result), 8),

	/* Flag bits and enumeration values. */
	VALUE_CASE(D3DKMT_CREATEDEVICE_FLAG_LEGACY_MODE, 1u << 0),
	VALUE_CASE(D3DKMT_CREATEDEVICE_FLAG_GDI_DEVICE, 1u << 3),
	VALUE_CASE(D3DDDI_CREATECONTEXT_FLAG_HW_QUEUE_SUPPORTED, 1u << 4),
	VALUE_CASE(D3DKMT_CLIENTHINT_CDD, 2),
	VALUE_CASE(D3DKMT_CLIENTHINT_DX12, 12),
	VALUE_CASE(D3DKMT_ENUMADAPTERS_FILTER_COMPUTE_ONLY, 1u << 0),
	VALUE_CASE(D3DKMT_ENUMADAPTERS_FILTER_DISPLAY_ONLY, 1u << 1),
	VALUE_CASE(D3DKMT_ADAPTERTYPE_RENDER_SUPPORTED, 1u << 0),
	VALUE_CASE(D3DKMT_ADAPTERTYPE_PARAVIRTUALIZED, 1u << 7),
	VALUE_CASE(D3DKMT_ADAPTERTYPE_COMPUTE_ONLY, 1u << 11),
	VALUE_CASE(D3DKMT_ADAPTERTYPE_PROTOTYPE, 1u << 12),
	VALUE_CASE(D3DKMT_WDDM_2_7_CAPS_HWSCH_ENABLED, 1u << 1),
	VALUE_CASE(D3DKMT_CREATEALLOCATION_FLAG_EXISTING_SYSMEM, 1u << 5),
	VALUE_CASE(D3DKMT_CREATEALLOCATION_FLAG_NT_SECURITY_SHARING, 1u << 6),
	VALUE_CASE(D3DKMT_CREATEALLOCATION_FLAG_READ_ONLY, 1u << 7),
	VALUE_CASE(D3DKMT_CREATEALLOCATION_FLAG_STANDARD_ALLOCATION, 1u << 16),
	VALUE_CASE(D3DKMT_CREATEALLOCATION_FLAG_EXISTING_SECTION, 1u << 17),
	VALUE_CASE(KMTQAITYPE_UMDRIVERPRIVATE, 0),
	VALUE_CASE(KMTQAITYPE_ADAPTERTYPE, 15),
	VALUE_CASE(KMTQAITYPE_PHYSICALADAPTERDEVICEIDS, 31),
	VALUE_CASE(KMTQAITYPE_ADAPTERTYPE_RENDER, 57),
	VALUE_CASE(KMTQAITYPE_DRIVER_DESCRIPTION, 65),
	VALUE_CASE(KMTQAITYPE_DRIVER_DESCRIPTION_RENDER, 66),
	VALUE_CASE(KMTQAITYPE_WDDM_2_7_CAPS, 70),
	VALUE_CASE(D3DDDI_SYNCHRONIZATION_MUTEX, 1),
	VALUE_CASE(D3DDDI_PERIODIC_MONITORED_FENCE, 6),
	VALUE_CASE(DXG_STATUS_PENDING, 0x103),
	VALUE_CASE(D3DKMT_MAX_PRIVATE_DATA_SIZE, 131072),
};

#define N_VALUES (sizeof(value_cases) / sizeof(value_cases[0]))

static unsigned int passed;
static unsigned int failed;

static void check(int ok, const char *what, const char *name, unsigned long long got,
		  unsigned long long want)
{
	if (ok) {
		passed++;
		return;
	}
	failed++;
	printf("FAIL %s: %s is 0x%llx, expected 0x%llx\n", name, what, got, want);
}

static void check_ioctl(const struct ioctl_case *c, unsigned int slot)
{
	unsigned long want = 0xC0000000ul | (unsigned long)c->size << 16 | 0x4700ul | c->nr;

	check(c->nr == slot, "table slot", c->name, c->nr, slot);
	check(c->code == want, "code", c->name, c->code, want);
	check(_IOC_NR(c->code) == c->nr, "_IOC_NR", c->name, _IOC_NR(c->code), c->nr);
	check(_IOC_SIZE(c->code) == c->size, "_IOC_SIZE", c->name, _IOC_SIZE(c->code), c->size);
	check(_IOC_TYPE(c->code) == 'G', "_IOC_TYPE", c->name, _IOC_TYPE(c->code), 'G');
	check(_IOC_DIR(c->code) == (_IOC_READ | _IOC_WRITE), "_IOC_DIR", c->name,
	      _IOC_DIR(c->code), _IOC_READ | _IOC_WRITE);
}

int main(void)
{
	unsigned int i, j;

	check(N_CASES == LX_DXG_IOCTL_COUNT, "number of ioctls", "table", N_CASES,
	      LX_DXG_IOCTL_COUNT);
	for (i = 0; i < N_CASES; i++)
		check_ioctl(&ioctl_cases[i], LX_DXG_IOCTL_FIRST + i);

	/* The driver indexes its table by nr, so two macros must never share a code. */
	for (i = 0; i < N_CASES; i++) {
		unsigned int twins = 0;

		for (j = 0; j < N_CASES; j++)
			twins += j != i && ioctl_cases[i].code == ioctl_cases[j].code;
		check(twins == 0, "number of other macros with the same code", ioctl_cases[i].name,
		      twins, 0);
	}

	for (i = 0; i < N_VALUES; i++) {
		const struct value_case *v = &value_cases[i];

		check(v->actual == v->expected, "value", v->name, v->actual, v->expected);
	}

	printf("%u passed, %u failed\n", passed, failed);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
