// SPDX-License-Identifier: MIT
/*
 * dxgd: one binary, two roles. Started by a user it is the broker; the broker re-executes it
 * as `dxgd --worker ...` for each VM (see docs/internals.md), so both roles always come from the
 * same build.
 */
#include <string.h>

#include "broker.h"
#include "config.h"
#include "log.h"
#include "worker.h"

int main(int argc, char **argv)
{
	struct dxgd_config cfg;
	int status;

	if (argc > 1 && strcmp(argv[1], "--worker") == 0)
		return worker_main(argc, argv);

	switch (dxgd_config_parse(argc, argv, &cfg)) {
	case DXGD_CONFIG_RUN:
		break;
	case DXGD_CONFIG_EXIT_OK:
		return 0;
	case DXGD_CONFIG_USAGE:
	default:
		return 2;
	}
	dxg_log_init("broker", cfg.log_level);
	status = broker_run(&cfg);
	dxgd_config_free(&cfg);
	return status;
}
