// SPDX-License-Identifier: MIT
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/*
 * Process-wide logging configuration: set once in main() (broker) or worker_main() before any
 * other thread exists, read-only afterwards.
 */
static char log_role[48] = "dxgd";
static enum dxg_log_level log_level = DXG_LOG_INFO;

static const char *const level_names[] = {
	[DXG_LOG_ERROR] = "error",
	[DXG_LOG_WARN] = "warn",
	[DXG_LOG_INFO] = "info",
	[DXG_LOG_DEBUG] = "debug",
};

void dxg_log_init(const char *role, enum dxg_log_level level)
{
	snprintf(log_role, sizeof(log_role), "%s", role);
	log_level = level;
}

bool dxg_log_parse_level(const char *name, enum dxg_log_level *level)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (strcmp(name, level_names[i]) == 0) {
			*level = (enum dxg_log_level)i;
			return true;
		}
	}
	return false;
}

enum dxg_log_level dxg_log_get_level(void)
{
	return log_level;
}

static void log_vprint(enum dxg_log_level level, const char *suffix, const char *fmt, va_list ap)
{
	char line[1024];
	int n;

	n = snprintf(line, sizeof(line), "dxgd[%s %d] %s: ", log_role, (int)getpid(),
		     level_names[level]);
	if (n < 0 || (size_t)n >= sizeof(line))
		return;
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	/* One write per line keeps lines from the broker and its workers from interleaving. */
	fprintf(stderr, "%s%s\n", line, suffix);
}

void dxg_log(enum dxg_log_level level, const char *fmt, ...)
{
	va_list ap;

	if (level > log_level)
		return;
	va_start(ap, fmt);
	log_vprint(level, "", fmt, ap);
	va_end(ap);
}

static uint64_t monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void dxg_log_limited(struct dxg_ratelimit *rl, enum dxg_log_level level, const char *fmt, ...)
{
	char suffix[64] = "";
	uint64_t now = monotonic_ms();
	va_list ap;

	if (level > log_level)
		return;
	if (now - rl->window_start_ms >= rl->interval_ms) {
		if (rl->suppressed)
			snprintf(suffix, sizeof(suffix), " (%u similar messages suppressed)",
				 rl->suppressed);
		rl->window_start_ms = now;
		rl->printed = 0;
		rl->suppressed = 0;
	}
	if (rl->printed >= rl->burst) {
		rl->suppressed++;
		return;
	}
	rl->printed++;
	va_start(ap, fmt);
	log_vprint(level, suffix, fmt, ap);
	va_end(ap);
}
