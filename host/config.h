/* SPDX-License-Identifier: MIT */
/*
 * dxgd broker configuration: the command line and the ini file, validated into one plain
 * structure before anything is created. Usage errors are printed to stderr here; the caller only
 * decides the exit status.
 */
#ifndef DXGD_CONFIG_H
#define DXGD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/un.h>

#include "log.h"

#define DXGD_VM_NAME_MAX 31
/* A unix socket path must fit sun_path with its terminating NUL. */
#define DXGD_SOCKET_PATH_MAX (sizeof(((struct sockaddr_un *)0)->sun_path) - 1)
#define DXGD_DEFAULT_REGION_SIZE (64ull << 20)
#define DXGD_DEFAULT_CONTROL "/run/opendxg/dxgd.sock"
#define DXGD_DEFAULT_SOCKET_MODE 0600
/* A worker that has not sent BW_READY after this many seconds is killed and replaced. */
#define DXGD_DEFAULT_WORKER_START_TIMEOUT_S 60u
#define DXGD_MAX_WORKER_START_TIMEOUT_S 3600u

/* Who may connect to a socket the broker creates: its mode, and optionally a group to own it. */
struct dxgd_socket_access {
	mode_t mode;
	gid_t group;		/* (gid_t)-1: keep the broker's group */
};

/* A VM memory limit that is not configured: the worker's default applies (memory.h). */
#define DXGD_LIMIT_DEFAULT UINT64_MAX

struct dxgd_vm_config {
	char name[DXGD_VM_NAME_MAX + 1];
	char socket[DXGD_SOCKET_PATH_MAX + 1];
	uint64_t region_size;
	struct dxgd_socket_access access;
	/*
	 * Memory limits, passed to the worker; DXGD_LIMIT_DEFAULT when not set. quota_bytes
	 * applies to each adapter separately (unlimited by default).
	 */
	uint64_t quota_bytes;
	uint64_t max_allocations;
	uint64_t max_gpuva_entries;
	/* Execution limits (docs/dxgd.md, "Execution limits"), same convention. */
	uint64_t max_sync_objects;
	uint64_t max_hw_queues;
	uint64_t max_queue_items;
	uint64_t max_vm_queue_items;
	uint64_t max_queued_bytes;
};

/* The keys dxgd_vm_set_limit() accepts, for messages. */
#define DXGD_VM_LIMIT_KEYS \
	"quota_bytes, max_allocations, max_gpuva_entries, max_sync_objects, max_hw_queues, " \
	"max_queue_items, max_vm_queue_items, max_queued_bytes"


struct dxgd_config {
	struct dxgd_vm_config *vms;
	size_t vm_count;
	char control[DXGD_SOCKET_PATH_MAX + 1];
	struct dxgd_socket_access control_access;
	enum dxg_log_level log_level;
	uint32_t worker_poll_us;	/* passed to workers as --poll-us (0: always sleep) */
	uint32_t worker_start_timeout_s; /* 1..DXGD_MAX_WORKER_START_TIMEOUT_S */
};

enum dxgd_config_result {
	DXGD_CONFIG_RUN,	/* cfg is complete and valid */
	DXGD_CONFIG_EXIT_OK,	/* --help or --version was printed */
	DXGD_CONFIG_USAGE,	/* an error was printed; exit with status 2 */
};

enum dxgd_config_result dxgd_config_parse(int argc, char **argv, struct dxgd_config *cfg);
void dxgd_config_free(struct dxgd_config *cfg);

/* Exposed for tests and for the worker's argument checks. */
bool dxgd_parse_size(const char *text, uint64_t *size);
/*
 * Sets one limit of `vm` from its ini key (DXGD_VM_LIMIT_KEYS). Returns false with a message
 * naming `where` when key or value is bad.
 */
bool dxgd_vm_set_limit(struct dxgd_vm_config *vm, const char *where, const char *key,
		       const char *value);
bool dxgd_vm_name_valid(const char *name);

#endif /* DXGD_CONFIG_H */
