// SPDX-License-Identifier: MIT
/*
 * dxgctl: status and control for opendxg.
 *
 *   dxgctl adapters [--json]                       (guest) adapters seen through /dev/dxg
 *   dxgctl stats [--json]                          (guest) this VM's object counters
 *   dxgctl processes [--json]                      (guest) processes per adapter, statistics
 *   dxgctl demo [--hold SECONDS]                   (guest) adapters, then hold devices/contexts
 *   dxgctl host status [--json] [--control PATH]   (host) dxgd's VMs, workers and processes
 *
 * One static binary serves both sides, so the same file can be copied into a guest's initramfs and
 * run on the host.
 */
#include "dxgctl.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void usage(FILE *out)
{
	fputs("usage: dxgctl <command> [options]\n"
	      "\n"
	      "guest commands (through /dev/dxg):\n"
	      "  adapters [--json]        list the adapters this VM sees\n"
	      "  stats [--json]           object counters of this VM (from the host)\n"
	      "  processes [--json]       per adapter, the processes using it: memory in use,\n"
	      "                           GPU time and queued packets (QUERYSTATISTICS)\n"
	      "  demo [--hold SECONDS]    show the adapters, then hold a device and a context on\n"
	      "                           each for SECONDS (default 10) and release them\n"
	      "\n"
	      "host commands (through dxgd's control socket):\n"
	      "  host status [--json] [--control PATH] [--wait-devices N [--timeout S]]\n"
	      "                           VMs, workers, adapters, processes and counters;\n"
	      "                           PATH defaults to $" DXGCTL_CONTROL_ENV " or "
	      DXGCTL_DEFAULT_CONTROL ";\n"
	      "                           --wait-devices: first wait (up to S s, default 60)\n"
	      "                           until the VMs hold at least N devices in all\n"
	      "\n"
	      "  help                     this text\n",
	      out);
}

void dxgctl_error(const char *fmt, ...)
{
	va_list ap;

	fputs("dxgctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

const char *dxgctl_format_bytes(uint64_t bytes, char *buf, unsigned int size)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
	double value = (double)bytes;
	unsigned int unit = 0;

	while (value >= 1024.0 && unit + 1 < sizeof(units) / sizeof(units[0])) {
		value /= 1024.0;
		unit++;
	}
	if (unit == 0)
		snprintf(buf, size, "%llu B", (unsigned long long)bytes);
	else
		snprintf(buf, size, "%.1f %s", value, units[unit]);
	return buf;
}

int main(int argc, char **argv)
{
	const char *command = argc > 1 ? argv[1] : NULL;

	if (!command) {
		usage(stderr);
		return DXGCTL_EXIT_USAGE;
	}
	if (!strcmp(command, "help") || !strcmp(command, "--help") || !strcmp(command, "-h")) {
		usage(stdout);
		return DXGCTL_EXIT_OK;
	}
	/* Each command parses its own options from argv[1] on, with argv[0] = its name. */
	if (!strcmp(command, "adapters"))
		return dxgctl_adapters(argc - 1, argv + 1);
	if (!strcmp(command, "stats"))
		return dxgctl_stats(argc - 1, argv + 1);
	if (!strcmp(command, "processes"))
		return dxgctl_processes(argc - 1, argv + 1);
	if (!strcmp(command, "demo"))
		return dxgctl_demo(argc - 1, argv + 1);
	if (!strcmp(command, "host")) {
		if (argc < 3) {
			dxgctl_error("host: missing subcommand (try: dxgctl host status)");
			return DXGCTL_EXIT_USAGE;
		}
		return dxgctl_host(argc - 2, argv + 2);
	}
	dxgctl_error("unknown command '%s'", command);
	usage(stderr);
	return DXGCTL_EXIT_USAGE;
}
