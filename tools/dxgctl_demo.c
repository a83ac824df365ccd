// SPDX-License-Identifier: MIT
/*
 * `dxgctl demo [--hold SECONDS]` (guest): the guest half of the main job. It shows the adapters
 * this VM sees, then opens every adapter and creates a device and a context on each, holds them
 * for SECONDS so the host can look at dxgd's view of the VM meanwhile, and releases them. The VM
 * counters are printed before, while holding and after, so the release is visible too.
 */
#include "dxgctl.h"

#include "d3dkmt.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct held_adapter {
	struct d3dkmthandle adapter;
	struct d3dkmthandle device;
	struct d3dkmthandle context;
};

static int print_counters(int fd, struct d3dkmthandle adapter, const char *when)
{
	struct opendxg_vm_stats s;
	int ret = d3dkmt_query_vm_stats(fd, adapter, &s);

	if (ret < 0) {
		dxgctl_error("cannot read the VM counters: %s", strerror(-ret));
		return ret;
	}
	printf("VM counters %-14s processes %u, open adapters %u, devices %u, contexts %u\n",
	       when, s.processes, s.open_adapters, s.devices, s.contexts);
	return 0;
}

static int hold_objects(int fd, struct held_adapter *held, uint32_t count, unsigned int seconds)
{
	static const struct d3dkmt_context_params params = {
		.node_ordinal = 0,
		.engine_affinity = 1,
		.client_hint = D3DKMT_CLIENTHINT_UNKNOWN,
	};
	uint32_t created = 0;
	int ret = 0;

	for (; created < count; created++) {
		struct held_adapter *h = &held[created];

		ret = d3dkmt_create_device(fd, h->adapter, 0, &h->device);
		if (ret < 0) {
			dxgctl_error("adapter %u: CreateDevice: %s", created, strerror(-ret));
			break;
		}
		ret = d3dkmt_create_context_virtual(fd, h->device, &params, &h->context);
		if (ret < 0) {
			dxgctl_error("adapter %u: CreateContextVirtual: %s", created, strerror(-ret));
			d3dkmt_destroy_device(fd, h->device);
			break;
		}
		printf("adapter %u: device 0x%08x, context 0x%08x\n", created, h->device.v,
		       h->context.v);
	}
	if (created == count) {
		print_counters(fd, held[0].adapter, "(holding):");
		printf("holding %u device(s) and context(s) for %u s\n", count, seconds);
		fflush(stdout);
		sleep(seconds);
	}
	while (created-- > 0) {
		int err = d3dkmt_destroy_context(fd, held[created].context);

		if (!err)
			err = d3dkmt_destroy_device(fd, held[created].device);
		if (err < 0 && !ret) {
			dxgctl_error("adapter %u: destroy: %s", created, strerror(-err));
			ret = err;
		}
	}
	return ret;
}

int dxgctl_demo(int argc, char **argv)
{
	static const struct option options[] = {
		{ "hold", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct d3dkmt_adapterinfo *adapters = NULL;
	struct held_adapter *held = NULL;
	unsigned long hold = 10;
	uint32_t count = 0;
	char *adapters_argv[] = { "adapters", NULL };
	int fd, opt, ret, status = DXGCTL_EXIT_FAILURE;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		char *end;

		switch (opt) {
		case 'H':
			errno = 0;
			hold = strtoul(optarg, &end, 10);
			if (errno || end == optarg || *end || optarg[0] == '-' || hold > 3600) {
				dxgctl_error("demo: --hold takes 0..3600 seconds, not '%s'", optarg);
				return DXGCTL_EXIT_USAGE;
			}
			break;
		case 'h':
			printf("usage: dxgctl demo [--hold SECONDS]\n");
			return DXGCTL_EXIT_OK;
		default:
			return DXGCTL_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		dxgctl_error("demo: unexpected argument '%s'", argv[optind]);
		return DXGCTL_EXIT_USAGE;
	}

	printf("== adapters as this guest sees them (/dev/dxg) ==\n");
	fflush(stdout);
	ret = dxgctl_adapters(1, adapters_argv);
	if (ret)
		return ret;

	fd = dxgctl_open_adapters(&adapters, &count, true);
	if (fd < 0)
		return DXGCTL_EXIT_FAILURE;
	held = calloc(count, sizeof(*held));
	if (!held) {
		dxgctl_error("out of memory");
		goto out;
	}
	for (uint32_t i = 0; i < count; i++)
		held[i].adapter = adapters[i].adapter_handle;

	printf("\n== devices and contexts on every adapter ==\n");
	if (print_counters(fd, held[0].adapter, "(before):") < 0)
		goto out;
	if (hold_objects(fd, held, count, (unsigned int)hold) < 0)
		goto out;
	if (print_counters(fd, held[0].adapter, "(after):") < 0)
		goto out;
	status = DXGCTL_EXIT_OK;
out:
	free(held);
	dxgctl_close_adapters(fd, adapters, count);
	return status;
}
