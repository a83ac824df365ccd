// SPDX-License-Identifier: MIT
/*
 * dxgtest-wsl: the call sequence WSL's own D3DKMT smoke test makes, as a WSL user space would make
 * it, so a regression in anything that stock WSL software relies on shows up here first.
 *
 *   enumerate (ENUMADAPTERS3, compute-only filter: count, then fill)
 *   per adapter: the four queries (adapter type, device ids, driver description, WDDM 2.7 caps)
 *   OPENADAPTERFROMLUID + CLOSEADAPTER, on the main thread and on a second thread
 *   CREATEDEVICE + DESTROYDEVICE, five times
 *   CREATEDEVICE + CREATECONTEXTVIRTUAL (CDD hint) + DESTROYCONTEXT + DESTROYDEVICE
 *   CLOSEADAPTER for every enumerated adapter
 */
#include "dxgtest.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct adapter_facts {
	uint32_t type_bits;
	uint32_t wddm_2_7_caps;
	bool has_wddm_2_7_caps;
};

static void query_adapter(int fd, const struct d3dkmt_adapterinfo *info,
			  struct adapter_facts *facts)
{
	struct d3dkmthandle adapter = info->adapter_handle;
	struct d3dkmt_query_device_ids ids;
	struct opendxg_adapter_caps caps;
	char description[D3DKMT_DRIVER_DESCRIPTION_UTF8_MAX];
	ssize_t len;
	int ret;

	ret = d3dkmt_query_adapter_type(fd, adapter, &facts->type_bits);
	if (tap_ret0(ret, "QAI ADAPTERTYPE_RENDER (57)")) {
		tap_diag("  adapter type bits 0x%08x", facts->type_bits);
		tap_ok(facts->type_bits & D3DKMT_ADAPTERTYPE_COMPUTE_ONLY,
		       "adapter is ComputeOnly");
		tap_ok(facts->type_bits & D3DKMT_ADAPTERTYPE_PARAVIRTUALIZED,
		       "adapter is Paravirtualized");
		tap_ok(!(facts->type_bits & D3DKMT_ADAPTERTYPE_DISPLAY_SUPPORTED),
		       "adapter has no display");
	}

	ret = d3dkmt_query_device_ids(fd, adapter, 0, &ids);
	if (tap_ret0(ret, "QAI PHYSICALADAPTERDEVICEIDS (31)")) {
		tap_diag("  vendor 0x%04x device 0x%04x subvendor 0x%04x subsystem 0x%04x rev %u",
			 ids.device_ids.vendor_id, ids.device_ids.device_id,
			 ids.device_ids.sub_vendor_id, ids.device_ids.sub_system_id,
			 ids.device_ids.revision_id);
		/* The ids must agree with what the host reports through opendxg's own query. */
		if (d3dkmt_query_opendxg_caps(fd, adapter, &caps) == 0) {
			tap_ok(ids.device_ids.vendor_id == caps.vendor_id &&
				       ids.device_ids.device_id == caps.device_id,
			       "device ids match OPENDXG_QAI_ADAPTER_CAPS (%04x:%04x)",
			       caps.vendor_id, caps.device_id);
		}
	}

	len = d3dkmt_query_driver_description(fd, adapter, description, sizeof(description));
	if (tap_ok(len > 0, "QAI DRIVER_DESCRIPTION (65) is a non-empty UTF-16 string"))
		tap_diag("  description \"%s\"", description);
	else
		tap_diag("  got %zd (%s)", len, len < 0 ? errno_name((int)-len) : "empty");

	ret = d3dkmt_query_wddm_2_7_caps(fd, adapter, &facts->wddm_2_7_caps);
	facts->has_wddm_2_7_caps = ret == 0;
	/* Optional in WSL (older hosts fail it); opendxg always answers it. */
	if (tap_ret0(ret, "QAI WDDM_2_7_CAPS (70)"))
		tap_diag("  WDDM 2.7 caps 0x%08x", facts->wddm_2_7_caps);
}

struct open_close_job {
	int fd;
	struct winluid luid;
	int open_ret;
	int close_ret;
	struct d3dkmthandle adapter;
};

static void *open_close_thread(void *arg)
{
	struct open_close_job *job = arg;

	job->open_ret = d3dkmt_open_adapter_from_luid(job->fd, job->luid, &job->adapter);
	job->close_ret = job->open_ret == 0 ? d3dkmt_close_adapter(job->fd, job->adapter) : 0;
	return NULL;
}

static void test_open_close(int fd, struct winluid luid)
{
	struct open_close_job job = { .fd = fd, .luid = luid };
	pthread_t thread;
	int ret;

	open_close_thread(&job);
	tap_ret0(job.open_ret, "OpenAdapterFromLuid");
	tap_ok(job.open_ret != 0 || job.adapter.v != 0, "OpenAdapterFromLuid returns a handle");
	tap_ret0(job.close_ret, "CloseAdapter");

	memset(&job, 0, sizeof(job));
	job.fd = fd;
	job.luid = luid;
	ret = pthread_create(&thread, NULL, open_close_thread, &job);
	if (!tap_ok(ret == 0, "start a second thread"))
		return;
	pthread_join(thread, NULL);
	tap_ret0(job.open_ret, "OpenAdapterFromLuid from a second thread");
	tap_ret0(job.close_ret, "CloseAdapter from a second thread");
}

static void test_devices(int fd, struct d3dkmthandle adapter)
{
	int created = 0, destroyed = 0;

	for (int i = 0; i < 5; i++) {
		struct d3dkmthandle device = { 0 };

		if (d3dkmt_create_device(fd, adapter, 0, &device) == 0 && device.v != 0) {
			created++;
			if (d3dkmt_destroy_device(fd, device) == 0)
				destroyed++;
		}
	}
	tap_ok(created == 5, "CreateDevice five times (%d succeeded)", created);
	tap_ok(destroyed == 5, "DestroyDevice five times (%d succeeded)", destroyed);
}

static void test_context(int fd, struct d3dkmthandle adapter, const struct adapter_facts *facts)
{
	struct d3dkmt_context_params params = {
		.node_ordinal = 0,
		.engine_affinity = 1,
		.client_hint = D3DKMT_CLIENTHINT_CDD,
	};
	struct d3dkmthandle device = { 0 }, context = { 0 };
	int ret;

	if (facts->has_wddm_2_7_caps &&
	    (facts->wddm_2_7_caps & D3DKMT_WDDM_2_7_CAPS_HWSCH_ENABLED))
		params.flags |= D3DDDI_CREATECONTEXT_FLAG_HW_QUEUE_SUPPORTED;

	ret = d3dkmt_create_device(fd, adapter, 0, &device);
	if (!tap_ret0(ret, "CreateDevice for a context"))
		return;
	ret = d3dkmt_create_context_virtual(fd, device, &params, &context);
	if (tap_ret0(ret, "CreateContextVirtual (node 0, affinity 1, CDD, flags 0x%x)",
		     params.flags)) {
		tap_ok(context.v != 0, "CreateContextVirtual returns a handle (0x%08x)",
		       context.v);
		tap_ret0(d3dkmt_destroy_context(fd, context), "DestroyContext");
	}
	tap_ret0(d3dkmt_destroy_device(fd, device), "DestroyDevice after the context");
}

int main(void)
{
	struct d3dkmt_adapterinfo *adapters;
	uint32_t count = 0, filled;
	int fd, ret;

	tap_begin("dxgtest-wsl", 300);
	fd = dxgtest_open_or_skip();

	/* Count first, then fill, the way WSL's runtime enumerates. */
	ret = d3dkmt_enum_adapters3(fd, D3DKMT_ENUMADAPTERS_FILTER_COMPUTE_ONLY, NULL, &count);
	tap_ret0(ret, "EnumAdapters3 (compute-only filter) count: %u", count);
	if (ret < 0 || count == 0) {
		if (ret == 0)
			tap_skip_all("no adapter: is the opendxg device attached, dxgd running?");
		return tap_end();
	}
	adapters = calloc(count, sizeof(*adapters));
	if (!tap_ok(adapters != NULL, "allocate %u adapter entries", count))
		return tap_end();
	filled = count;
	ret = d3dkmt_enum_adapters3(fd, D3DKMT_ENUMADAPTERS_FILTER_COMPUTE_ONLY, adapters, &filled);
	tap_ret0(ret, "EnumAdapters3 fill");
	if (ret < 0)
		return tap_end();
	tap_ok(filled == count, "EnumAdapters3 filled %u of %u", filled, count);

	for (uint32_t i = 0; i < filled; i++) {
		const struct d3dkmt_adapterinfo *info = &adapters[i];
		struct adapter_facts facts = { 0 };

		tap_diag("adapter %u: handle 0x%08x luid 0x%08x:0x%08x", i, info->adapter_handle.v,
			 info->adapter_luid.b, info->adapter_luid.a);
		tap_ok(info->adapter_handle.v != 0, "adapter %u has a handle", i);
		query_adapter(fd, info, &facts);
		test_open_close(fd, info->adapter_luid);
		test_devices(fd, info->adapter_handle);
		test_context(fd, info->adapter_handle, &facts);
	}
	for (uint32_t i = 0; i < filled; i++)
		tap_ret0(d3dkmt_close_adapter(fd, adapters[i].adapter_handle),
			 "CloseAdapter %u", i);

	free(adapters);
	d3dkmt_close(fd);
	return tap_end();
}
