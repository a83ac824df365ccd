/* SPDX-License-Identifier: MIT */
/*
 * dxgd logging: leveled messages on stderr, prefixed with the process role (broker or worker VM
 * name), plus a rate limiter for anything a guest can trigger at will.
 */
#ifndef DXGD_LOG_H
#define DXGD_LOG_H

#include <stdbool.h>
#include <stdint.h>

enum dxg_log_level { DXG_LOG_ERROR, DXG_LOG_WARN, DXG_LOG_INFO, DXG_LOG_DEBUG };

void dxg_log_init(const char *role, enum dxg_log_level level);
bool dxg_log_parse_level(const char *name, enum dxg_log_level *level);
enum dxg_log_level dxg_log_get_level(void);
void dxg_log(enum dxg_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Allows `burst` messages per `interval_ms`, then counts what it drops and reports the count with
 * the next message it lets through. One limiter per message source (per VM, per kind of fault).
 */
struct dxg_ratelimit {
	uint32_t interval_ms;
	uint32_t burst;
	uint64_t window_start_ms;
	uint32_t printed;
	uint32_t suppressed;
};

#define DXG_RATELIMIT_INIT(interval, burst_) { .interval_ms = (interval), .burst = (burst_) }

void dxg_log_limited(struct dxg_ratelimit *rl, enum dxg_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define log_error(...) dxg_log(DXG_LOG_ERROR, __VA_ARGS__)
#define log_warn(...) dxg_log(DXG_LOG_WARN, __VA_ARGS__)
#define log_info(...) dxg_log(DXG_LOG_INFO, __VA_ARGS__)
#define log_debug(...) dxg_log(DXG_LOG_DEBUG, __VA_ARGS__)

#endif /* DXGD_LOG_H */
