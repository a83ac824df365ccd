// SPDX-License-Identifier: MIT
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <ini.h>
#include <limits.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <opendxg/region.h>

#ifndef DXGD_VERSION
#define DXGD_VERSION "unknown"
#endif

static void usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("dxgd: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'dxgd --help' for more information.\n", stderr);
}

static void print_help(void)
{
	printf("Usage: dxgd [OPTION]...\n"
	       "opendxg host daemon: serves GPU paravirtualization to QEMU guests through\n"
	       "ivshmem-doorbell devices, one unix socket per VM.\n"
	       "\n"
	       "  --vm NAME:SOCKET[:SIZE]  serve a VM: NAME is [A-Za-z0-9_.-]{1,31}, SOCKET the\n"
	       "                           unix socket QEMU's ivshmem chardev connects to, SIZE\n"
	       "                           the shared region (bytes or K/M/G suffix, a power of\n"
	       "                           two, at least 1M; default 64M). Repeatable.\n"
	       "  --vm-limits NAME:KEY=VALUE[,KEY=VALUE]...\n"
	       "                           limits of VM NAME (from --vm or the config\n"
	       "                           file): quota_bytes (per adapter, K/M/G suffixes or\n"
	       "                           'unlimited', the default), max_allocations,\n"
	       "                           max_gpuva_entries (per GPU VA space), and the\n"
	       "                           execution limits max_sync_objects, max_hw_queues,\n"
	       "                           max_queue_items, max_vm_queue_items, max_queued_bytes\n"
	       "                           (docs/dxgd.md). Repeatable.\n"
	       "  --config FILE            read VMs and settings from an ini file\n"
	       "  --control SOCKET         control socket for 'dxgctl host ...'\n"
	       "                           (default " DXGD_DEFAULT_CONTROL ")\n"
	       "  --log-level LEVEL        error, warn, info or debug (default info)\n"
	       "  --worker-poll-us N       workers busy-poll the request ring for N microseconds\n"
	       "                           before sleeping (0..1000000, default 0: trades a CPU\n"
	       "                           for latency; see docs/bench.md)\n"
	       "  --worker-start-timeout SECONDS\n"
	       "                           kill and restart a worker that is not ready after\n"
	       "                           SECONDS (1..3600, default 60), e.g. one hung in its\n"
	       "                           Vulkan driver; counted as a crash\n"
	       "  -h, --help               show this help and exit\n"
	       "  --version                show the version and exit\n"
	       "\n"
	       "See docs/dxgd.md for the config file format and QEMU/libvirt examples.\n");
}

bool dxgd_vm_name_valid(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len > DXGD_VM_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		if (!isalnum(c) && c != '_' && c != '.' && c != '-')
			return false;
	}
	return true;
}

/* Digits with an optional K/M/G (binary) suffix; no sign, no spaces, no overflow. */
bool dxgd_parse_size(const char *text, uint64_t *size)
{
	uint64_t value = 0;
	unsigned shift = 0;
	const char *p = text;

	if (!isdigit((unsigned char)*p))
		return false;
	for (; isdigit((unsigned char)*p); p++) {
		unsigned digit = (unsigned)(*p - '0');

		if (value > (UINT64_MAX - digit) / 10)
			return false;
		value = value * 10 + digit;
	}
	switch (*p) {
	case '\0':
		break;
	case 'k':
	case 'K':
		shift = 10;
		p++;
		break;
	case 'm':
	case 'M':
		shift = 20;
		p++;
		break;
	case 'g':
	case 'G':
		shift = 30;
		p++;
		break;
	default:
		return false;
	}
	if (*p != '\0')
		return false;
	if (shift && value > (UINT64_MAX >> shift))
		return false;
	*size = value << shift;
	return true;
}

/* Prints the reason with `where` ("--vm vm0" or "FILE:LINE") and returns false when invalid. */
static bool check_region_size(const char *where, const char *text, uint64_t *size)
{
	if (!dxgd_parse_size(text, size)) {
		fprintf(stderr, "dxgd: %s: invalid size '%s' (expected bytes or a number with K, M "
			"or G)\n", where, text);
		return false;
	}
	if (*size < DXG_REGION_MIN_SIZE || *size > DXG_REGION_MAX_SIZE) {
		fprintf(stderr, "dxgd: %s: size %s out of range (1M to 64G)\n", where, text);
		return false;
	}
	if (*size & (*size - 1)) {
		fprintf(stderr, "dxgd: %s: size %s is not a power of two (ivshmem requires one)\n",
			where, text);
		return false;
	}
	return true;
}

/* Prints the reason with `where` and returns false unless `text` is 1..3600 (seconds). */
static bool check_start_timeout(const char *where, const char *text, uint32_t *seconds)
{
	char *end;
	unsigned long value;

	errno = 0;
	value = strtoul(text, &end, 10);
	if (errno || end == text || *end != '\0' || !isdigit((unsigned char)text[0]) ||
	    value < 1 || value > DXGD_MAX_WORKER_START_TIMEOUT_S) {
		fprintf(stderr, "dxgd: %s: invalid worker start timeout '%s' (1..%u seconds)\n",
			where, text, DXGD_MAX_WORKER_START_TIMEOUT_S);
		return false;
	}
	*seconds = (uint32_t)value;
	return true;
}

static bool check_socket_path(const char *where, const char *path, char *out)
{
	size_t len = strlen(path);

	if (len == 0) {
		fprintf(stderr, "dxgd: %s: empty socket path\n", where);
		return false;
	}
	if (len > DXGD_SOCKET_PATH_MAX) {
		fprintf(stderr, "dxgd: %s: socket path '%s' is longer than %zu bytes\n", where,
			path, DXGD_SOCKET_PATH_MAX);
		return false;
	}
	memcpy(out, path, len + 1);
	return true;
}

static bool check_mode(const char *where, const char *text, mode_t *mode)
{
	char *end;
	unsigned long value;

	errno = 0;
	value = strtoul(text, &end, 8);
	if (errno || end == text || *end != '\0' || text[0] == '-' || value > 0777) {
		fprintf(stderr, "dxgd: %s: invalid mode '%s' (expected octal, e.g. 0660)\n", where,
			text);
		return false;
	}
	*mode = (mode_t)value;
	return true;
}

static bool check_group(const char *where, const char *text, gid_t *gid)
{
	struct group grp, *result = NULL;
	char buf[4096];
	char *end;
	unsigned long value;
	int err;

	err = getgrnam_r(text, &grp, buf, sizeof(buf), &result);
	if (err == 0 && result) {
		*gid = result->gr_gid;
		return true;
	}
	errno = 0;
	value = strtoul(text, &end, 10);
	if (!errno && end != text && *end == '\0' && text[0] != '-' && value < (gid_t)-1) {
		*gid = (gid_t)value;
		return true;
	}
	fprintf(stderr, "dxgd: %s: unknown group '%s'\n", where, text);
	return false;
}

static struct dxgd_vm_config *vm_list_add(struct dxgd_vm_config **vms, size_t *count)
{
	struct dxgd_vm_config *grown = realloc(*vms, (*count + 1) * sizeof(**vms));

	if (!grown) {
		fprintf(stderr, "dxgd: out of memory\n");
		return NULL;
	}
	*vms = grown;
	memset(&grown[*count], 0, sizeof(grown[*count]));
	grown[*count].region_size = DXGD_DEFAULT_REGION_SIZE;
	grown[*count].access.mode = DXGD_DEFAULT_SOCKET_MODE;
	grown[*count].access.group = (gid_t)-1;
	grown[*count].quota_bytes = DXGD_LIMIT_DEFAULT;
	grown[*count].max_allocations = DXGD_LIMIT_DEFAULT;
	grown[*count].max_gpuva_entries = DXGD_LIMIT_DEFAULT;
	grown[*count].max_sync_objects = DXGD_LIMIT_DEFAULT;
	grown[*count].max_hw_queues = DXGD_LIMIT_DEFAULT;
	grown[*count].max_queue_items = DXGD_LIMIT_DEFAULT;
	grown[*count].max_vm_queue_items = DXGD_LIMIT_DEFAULT;
	grown[*count].max_queued_bytes = DXGD_LIMIT_DEFAULT;
	return &grown[(*count)++];
}

/* A count: decimal digits, 0..max. */
static bool parse_count(const char *text, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (!isdigit((unsigned char)*text))
		return false;
	for (const char *p = text; *p; p++) {
		if (!isdigit((unsigned char)*p))
			return false;
		if (v > (max - (uint64_t)(*p - '0')) / 10)
			return false;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	*out = v;
	return true;
}

/*
 * Count limits: the worker option of the same name (dashes for underscores) takes the value.
 * Ranges follow the worker's checks; where 0 would make the feature unusable it is refused.
 */
struct count_limit {
	const char *key;
	size_t offset;
	uint64_t min, max;
};

static const struct count_limit count_limits[] = {
	{ "max_allocations", offsetof(struct dxgd_vm_config, max_allocations), 0, UINT32_MAX },
	{ "max_gpuva_entries", offsetof(struct dxgd_vm_config, max_gpuva_entries), 1,
	  UINT32_MAX },
	{ "max_sync_objects", offsetof(struct dxgd_vm_config, max_sync_objects), 0, UINT32_MAX },
	{ "max_hw_queues", offsetof(struct dxgd_vm_config, max_hw_queues), 0, UINT32_MAX },
	{ "max_queue_items", offsetof(struct dxgd_vm_config, max_queue_items), 0, UINT32_MAX },
	{ "max_vm_queue_items", offsetof(struct dxgd_vm_config, max_vm_queue_items), 0,
	  UINT32_MAX },
	/* UINT64_MAX means "not set" here: keep it out of range. */
	{ "max_queued_bytes", offsetof(struct dxgd_vm_config, max_queued_bytes), 0,
	  UINT64_MAX - 1 },
};

static bool is_limit_key(const char *key)
{
	for (size_t i = 0; i < sizeof(count_limits) / sizeof(count_limits[0]); i++)
		if (strcmp(key, count_limits[i].key) == 0)
			return true;
	return strcmp(key, "quota_bytes") == 0;
}

bool dxgd_vm_set_limit(struct dxgd_vm_config *vm, const char *where, const char *key,
		       const char *value)
{
	uint64_t v;

	if (strcmp(key, "quota_bytes") == 0) {
		if (strcmp(value, "unlimited") == 0) {
			vm->quota_bytes = DXGD_LIMIT_DEFAULT;
			return true;
		}
		/* UINT64_MAX itself means "unlimited" to the worker: keep it out of range. */
		if (!dxgd_parse_size(value, &v) || v == UINT64_MAX) {
			fprintf(stderr, "dxgd: %s: invalid quota_bytes '%s' (bytes, a number with K, "
				"M or G, or 'unlimited')\n", where, value);
			return false;
		}
		vm->quota_bytes = v;
		return true;
	}
	for (size_t i = 0; i < sizeof(count_limits) / sizeof(count_limits[0]); i++) {
		const struct count_limit *l = &count_limits[i];

		if (strcmp(key, l->key) != 0)
			continue;
		if (!parse_count(value, l->max, &v) || v < l->min) {
			fprintf(stderr, "dxgd: %s: invalid %s '%s' (%" PRIu64 "..%" PRIu64 ")\n",
				where, key, value, l->min, l->max);
			return false;
		}
		*(uint64_t *)(void *)((char *)vm + l->offset) = v;
		return true;
	}
	fprintf(stderr, "dxgd: %s: unknown VM limit '%s' (expected " DXGD_VM_LIMIT_KEYS ")\n",
		where, key);
	return false;
}

/*
 * NAME:KEY=VALUE[,KEY=VALUE]... for a VM that --vm or the config file defines. Applied after
 * both were read, so it may name a VM of either.
 */
static bool apply_vm_limits(const char *arg, struct dxgd_config *cfg)
{
	char where[64];
	const char *colon = strchr(arg, ':');
	struct dxgd_vm_config *vm = NULL;
	char *list, *save = NULL;
	bool ok = true;

	if (!colon || colon == arg || !colon[1]) {
		usage_error("--vm-limits '%s': expected NAME:KEY=VALUE[,KEY=VALUE]...", arg);
		return false;
	}
	for (size_t i = 0; i < cfg->vm_count; i++) {
		if (strlen(cfg->vms[i].name) == (size_t)(colon - arg) &&
		    strncmp(cfg->vms[i].name, arg, (size_t)(colon - arg)) == 0)
			vm = &cfg->vms[i];
	}
	if (!vm) {
		usage_error("--vm-limits '%s': no VM of that name", arg);
		return false;
	}
	snprintf(where, sizeof(where), "--vm-limits %s", vm->name);
	list = strdup(colon + 1);
	if (!list) {
		fprintf(stderr, "dxgd: out of memory\n");
		return false;
	}
	for (char *item = strtok_r(list, ",", &save); ok && item;
	     item = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(item, '=');

		if (!eq) {
			usage_error("--vm-limits '%s': '%s' is not KEY=VALUE", arg, item);
			ok = false;
			break;
		}
		*eq = '\0';
		ok = dxgd_vm_set_limit(vm, where, item, eq + 1);
	}
	free(list);
	return ok;
}

/*
 * NAME:SOCKET[:SIZE]. Socket paths may contain ':' themselves, so a trailing ":SIZE" is only
 * taken as a size when it starts with a digit; "vm0:/run/a:b" is the socket "/run/a:b".
 */
static bool parse_vm_option(const char *arg, struct dxgd_config *cfg)
{
	char where[64];
	char name[DXGD_VM_NAME_MAX + 2];
	const char *colon = strchr(arg, ':');
	const char *last_colon;
	struct dxgd_vm_config *vm;
	char *socket_part;
	size_t name_len;
	bool ok;

	if (!colon) {
		usage_error("--vm '%s': expected NAME:SOCKET[:SIZE]", arg);
		return false;
	}
	name_len = (size_t)(colon - arg);
	if (name_len >= sizeof(name)) {
		usage_error("--vm '%s': VM name longer than %d characters", arg, DXGD_VM_NAME_MAX);
		return false;
	}
	memcpy(name, arg, name_len);
	name[name_len] = '\0';
	if (!dxgd_vm_name_valid(name)) {
		usage_error("--vm '%s': invalid VM name '%s' (allowed: 1 to %d of "
			    "A-Z a-z 0-9 _ . -)", arg, name, DXGD_VM_NAME_MAX);
		return false;
	}
	snprintf(where, sizeof(where), "--vm %s", name);

	vm = vm_list_add(&cfg->vms, &cfg->vm_count);
	if (!vm)
		return false;
	memcpy(vm->name, name, name_len + 1);

	socket_part = strdup(colon + 1);
	if (!socket_part) {
		fprintf(stderr, "dxgd: out of memory\n");
		return false;
	}
	last_colon = strrchr(socket_part, ':');
	ok = true;
	if (last_colon && isdigit((unsigned char)last_colon[1])) {
		ok = check_region_size(where, last_colon + 1, &vm->region_size);
		socket_part[last_colon - socket_part] = '\0';
	}
	ok = ok && check_socket_path(where, socket_part, vm->socket);
	free(socket_part);
	return ok;
}

/*
 * Config file state. inih calls the handler only for key=value lines, so a section without keys
 * would be invisible to it; the line reader below sees every line first and registers sections
 * itself, which also gives error messages their line numbers.
 */
struct config_file {
	const char *path;
	FILE *fp;
	unsigned line;
	bool prev_key;		/* inih's "prev_name": indented lines continue a value */
	bool failed;
	struct dxgd_config *cfg;
	struct dxgd_vm_config *vms;
	size_t vm_count;
	bool *vm_has_socket;
	bool *vm_has_size;
	bool *vm_has_mode;
	bool *vm_has_group;
	bool has_dxgd_section;
	bool has_control, has_log_level, has_control_mode, has_control_group;
	bool has_worker_start_timeout;
	bool log_level_set;
	enum dxg_log_level log_level;
};

static void file_error(struct config_file *cf, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void file_error(struct config_file *cf, const char *fmt, ...)
{
	va_list ap;

	cf->failed = true;
	fprintf(stderr, "dxgd: %s:%u: ", cf->path, cf->line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static char *trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

static bool grow_flags(bool **flags, size_t count)
{
	bool *grown = realloc(*flags, count * sizeof(**flags));

	if (!grown)
		return false;
	grown[count - 1] = false;
	*flags = grown;
	return true;
}

/* "vm NAME" -> NAME (trimmed), or NULL if the section is not a VM section. */
static const char *vm_section_name(char *section)
{
	char *s = trim(section);

	if (strncmp(s, "vm", 2) != 0 || !isspace((unsigned char)s[2]))
		return NULL;
	return trim(s + 3);
}

static ssize_t find_file_vm(struct config_file *cf, const char *name)
{
	for (size_t i = 0; i < cf->vm_count; i++) {
		if (strcmp(cf->vms[i].name, name) == 0)
			return (ssize_t)i;
	}
	return -1;
}

static void register_section(struct config_file *cf, const char *header)
{
	char section[256];
	const char *close = strchr(header, ']');
	size_t len;
	const char *vm_name;
	char *plain;

	if (!close)
		return;		/* inih reports the malformed line itself */
	len = (size_t)(close - header - 1);
	if (len >= sizeof(section)) {
		file_error(cf, "section name too long");
		return;
	}
	memcpy(section, header + 1, len);
	section[len] = '\0';

	vm_name = vm_section_name(section);
	if (vm_name) {
		if (!dxgd_vm_name_valid(vm_name)) {
			file_error(cf, "invalid VM name '%s' (allowed: 1 to %d of "
				   "A-Z a-z 0-9 _ . -)", vm_name, DXGD_VM_NAME_MAX);
			return;
		}
		if (find_file_vm(cf, vm_name) >= 0) {
			file_error(cf, "VM '%s' is defined twice", vm_name);
			return;
		}
		struct dxgd_vm_config *vm = vm_list_add(&cf->vms, &cf->vm_count);

		if (!vm || !grow_flags(&cf->vm_has_socket, cf->vm_count) ||
		    !grow_flags(&cf->vm_has_size, cf->vm_count) ||
		    !grow_flags(&cf->vm_has_mode, cf->vm_count) ||
		    !grow_flags(&cf->vm_has_group, cf->vm_count)) {
			file_error(cf, "out of memory");
			return;
		}
		snprintf(vm->name, sizeof(vm->name), "%s", vm_name);
		return;
	}
	plain = trim(section);
	if (strcmp(plain, "dxgd") == 0) {
		if (cf->has_dxgd_section) {
			file_error(cf, "section [dxgd] appears twice");
			return;
		}
		cf->has_dxgd_section = true;
		return;
	}
	file_error(cf, "unknown section [%s] (expected [dxgd] or [vm NAME])", plain);
}

static char *config_reader(char *str, int num, void *stream)
{
	struct config_file *cf = stream;
	char copy[512];
	char *start;

	/* Stop at the first error: later messages would mostly be its echoes. */
	if (cf->failed || !fgets(str, num, cf->fp))
		return NULL;
	cf->line++;
	snprintf(copy, sizeof(copy), "%s", str);
	start = copy;
	if (cf->line == 1 && (unsigned char)start[0] == 0xEF && (unsigned char)start[1] == 0xBB &&
	    (unsigned char)start[2] == 0xBF)
		start += 3;
	char *stripped = start;

	while (isspace((unsigned char)*stripped))
		stripped++;
	size_t len = strlen(stripped);

	while (len && isspace((unsigned char)stripped[len - 1]))
		stripped[--len] = '\0';

	if (*stripped == ';' || *stripped == '#' || *stripped == '\0')
		return str;
	if (cf->prev_key && stripped > start)
		return str;	/* continuation of the previous value */
	if (*stripped == '[') {
		cf->prev_key = false;
		register_section(cf, stripped);
		return str;
	}
	cf->prev_key = true;
	return str;
}

static bool set_once(struct config_file *cf, bool *flag, const char *section, const char *key)
{
	if (*flag) {
		file_error(cf, "'%s' is set twice in [%s]", key, section);
		return false;
	}
	*flag = true;
	return true;
}

static int config_handler(void *user, const char *section, const char *key, const char *value)
{
	struct config_file *cf = user;
	char where[PATH_MAX + 32];
	char section_copy[256];
	const char *vm_name;

	snprintf(where, sizeof(where), "%s:%u", cf->path, cf->line);
	snprintf(section_copy, sizeof(section_copy), "%s", section);
	vm_name = vm_section_name(section_copy);

	if (vm_name) {
		ssize_t idx = find_file_vm(cf, vm_name);
		struct dxgd_vm_config *vm;

		if (idx < 0)
			return 0;	/* the section header already failed */
		vm = &cf->vms[idx];
		if (strcmp(key, "socket") == 0) {
			if (!set_once(cf, &cf->vm_has_socket[idx], section, key))
				return 0;
			if (!check_socket_path(where, value, vm->socket)) {
				cf->failed = true;
				return 0;
			}
		} else if (strcmp(key, "size") == 0) {
			if (!set_once(cf, &cf->vm_has_size[idx], section, key))
				return 0;
			if (!check_region_size(where, value, &vm->region_size)) {
				cf->failed = true;
				return 0;
			}
		} else if (strcmp(key, "mode") == 0) {
			if (!set_once(cf, &cf->vm_has_mode[idx], section, key))
				return 0;
			if (!check_mode(where, value, &vm->access.mode)) {
				cf->failed = true;
				return 0;
			}
		} else if (strcmp(key, "group") == 0) {
			if (!set_once(cf, &cf->vm_has_group[idx], section, key))
				return 0;
			if (!check_group(where, value, &vm->access.group)) {
				cf->failed = true;
				return 0;
			}
		} else if (is_limit_key(key)) {
			if (!dxgd_vm_set_limit(vm, where, key, value)) {
				cf->failed = true;
				return 0;
			}
		} else {
			file_error(cf, "unknown key '%s' in [%s] (expected socket, size, mode, "
				   "group, " DXGD_VM_LIMIT_KEYS ")", key, section);
			return 0;
		}
		return 1;
	}

	if (strcmp(trim(section_copy), "dxgd") != 0)
		return 0;	/* unknown section, already reported */
	if (strcmp(key, "control") == 0) {
		if (!set_once(cf, &cf->has_control, section, key))
			return 0;
		if (!check_socket_path(where, value, cf->cfg->control)) {
			cf->failed = true;
			return 0;
		}
	} else if (strcmp(key, "log_level") == 0) {
		if (!set_once(cf, &cf->has_log_level, section, key))
			return 0;
		if (!dxg_log_parse_level(value, &cf->log_level)) {
			file_error(cf, "invalid log_level '%s' (error, warn, info, debug)", value);
			return 0;
		}
		cf->log_level_set = true;
	} else if (strcmp(key, "control_mode") == 0) {
		if (!set_once(cf, &cf->has_control_mode, section, key))
			return 0;
		if (!check_mode(where, value, &cf->cfg->control_access.mode)) {
			cf->failed = true;
			return 0;
		}
	} else if (strcmp(key, "control_group") == 0) {
		if (!set_once(cf, &cf->has_control_group, section, key))
			return 0;
		if (!check_group(where, value, &cf->cfg->control_access.group)) {
			cf->failed = true;
			return 0;
		}
	} else if (strcmp(key, "worker_start_timeout") == 0) {
		if (!set_once(cf, &cf->has_worker_start_timeout, section, key))
			return 0;
		if (!check_start_timeout(where, value, &cf->cfg->worker_start_timeout_s)) {
			cf->failed = true;
			return 0;
		}
	} else {
		file_error(cf, "unknown key '%s' in [dxgd] (expected control, log_level, "
			   "control_mode, control_group, worker_start_timeout)", key);
		return 0;
	}
	return 1;
}

/*
 * Reads FILE into cfg: its VMs are appended to cfg->vms, [dxgd] settings fill cfg->control and
 * cfg->control_access; the log level is returned through the out parameters. Returns false after
 * printing every problem found.
 */
static bool parse_config_file(const char *path, struct dxgd_config *cfg, bool *log_level_set,
			      enum dxg_log_level *log_level)
{
	struct config_file cf = { .path = path, .cfg = cfg };
	int ret;
	bool ok = true;

	cf.fp = fopen(path, "re");
	if (!cf.fp) {
		fprintf(stderr, "dxgd: cannot open config file %s: %s\n", path, strerror(errno));
		return false;
	}
	ret = ini_parse_stream(config_reader, &cf, config_handler, &cf);
	fclose(cf.fp);
	if (ret > 0 && !cf.failed) {
		/* inih's own syntax errors (no '=' or an unterminated section header). */
		fprintf(stderr, "dxgd: %s:%d: syntax error (expected [section] or key = value)\n",
			path, ret);
		ok = false;
	} else if (ret < 0) {
		fprintf(stderr, "dxgd: %s: cannot parse (out of memory)\n", path);
		ok = false;
	}
	if (cf.failed)
		ok = false;

	for (size_t i = 0; ok && i < cf.vm_count; i++) {
		if (!cf.vm_has_socket[i]) {
			fprintf(stderr, "dxgd: %s: [vm %s] has no socket= line\n", path,
				cf.vms[i].name);
			ok = false;
		}
	}
	for (size_t i = 0; ok && i < cf.vm_count; i++) {
		struct dxgd_vm_config *vm = vm_list_add(&cfg->vms, &cfg->vm_count);

		if (!vm) {
			ok = false;
			break;
		}
		*vm = cf.vms[i];
	}
	*log_level_set = cf.log_level_set;
	*log_level = cf.log_level;
	free(cf.vms);
	free(cf.vm_has_socket);
	free(cf.vm_has_size);
	free(cf.vm_has_mode);
	free(cf.vm_has_group);
	return ok;
}

static bool check_unique(const struct dxgd_config *cfg)
{
	for (size_t i = 0; i < cfg->vm_count; i++) {
		for (size_t j = i + 1; j < cfg->vm_count; j++) {
			if (strcmp(cfg->vms[i].name, cfg->vms[j].name) == 0) {
				usage_error("VM '%s' is defined twice", cfg->vms[i].name);
				return false;
			}
			if (strcmp(cfg->vms[i].socket, cfg->vms[j].socket) == 0) {
				usage_error("VMs '%s' and '%s' use the same socket %s",
					    cfg->vms[i].name, cfg->vms[j].name, cfg->vms[i].socket);
				return false;
			}
		}
		if (strcmp(cfg->vms[i].socket, cfg->control) == 0) {
			usage_error("VM '%s' uses the control socket path %s", cfg->vms[i].name,
				    cfg->control);
			return false;
		}
	}
	return true;
}

enum dxgd_config_result dxgd_config_parse(int argc, char **argv, struct dxgd_config *cfg)
{
	enum { OPT_VM = 256, OPT_CONFIG, OPT_CONTROL, OPT_LOG_LEVEL, OPT_POLL_US,
	       OPT_START_TIMEOUT, OPT_VERSION, OPT_VM_LIMITS };
	static const struct option options[] = {
		{ "vm", required_argument, NULL, OPT_VM },
		{ "vm-limits", required_argument, NULL, OPT_VM_LIMITS },
		{ "config", required_argument, NULL, OPT_CONFIG },
		{ "control", required_argument, NULL, OPT_CONTROL },
		{ "log-level", required_argument, NULL, OPT_LOG_LEVEL },
		{ "worker-poll-us", required_argument, NULL, OPT_POLL_US },
		{ "worker-start-timeout", required_argument, NULL, OPT_START_TIMEOUT },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ NULL, 0, NULL, 0 },
	};
	struct dxgd_config cli = { 0 };
	const char *config_path = NULL;
	const char *control = NULL;
	bool cli_level_set = false, file_level_set = false;
	enum dxg_log_level cli_level = DXG_LOG_INFO, file_level = DXG_LOG_INFO;
	uint32_t poll_us = 0;
	uint32_t start_timeout_s = 0;	/* 0: not given */
	const char **limits = NULL;
	size_t limit_count = 0;
	int opt;

	memset(cfg, 0, sizeof(*cfg));
	cfg->log_level = DXG_LOG_INFO;
	cfg->control_access.mode = DXGD_DEFAULT_SOCKET_MODE;
	cfg->control_access.group = (gid_t)-1;

	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
		switch (opt) {
		case OPT_VM:
			if (!parse_vm_option(optarg, &cli))
				goto usage;
			break;
		case OPT_VM_LIMITS: {
			const char **grown = realloc(limits, (limit_count + 1) * sizeof(*limits));

			if (!grown) {
				fprintf(stderr, "dxgd: out of memory\n");
				goto usage;
			}
			limits = grown;
			limits[limit_count++] = optarg;
			break;
		}
		case OPT_CONFIG:
			if (config_path) {
				usage_error("--config given twice");
				goto usage;
			}
			config_path = optarg;
			break;
		case OPT_CONTROL:
			control = optarg;
			break;
		case OPT_LOG_LEVEL:
			if (!dxg_log_parse_level(optarg, &cli_level)) {
				usage_error("invalid --log-level '%s' (error, warn, info, debug)",
					    optarg);
				goto usage;
			}
			cli_level_set = true;
			break;
		case OPT_POLL_US: {
			char *end;
			unsigned long us;

			errno = 0;
			us = strtoul(optarg, &end, 10);
			if (errno || end == optarg || *end || optarg[0] == '-' || us > 1000000) {
				usage_error("invalid --worker-poll-us '%s' (0..1000000)", optarg);
				goto usage;
			}
			poll_us = (uint32_t)us;
			break;
		}
		case OPT_START_TIMEOUT:
			if (!check_start_timeout("--worker-start-timeout", optarg,
						 &start_timeout_s))
				goto usage;
			break;
		case 'h':
			print_help();
			dxgd_config_free(&cli);
			free(limits);
			return DXGD_CONFIG_EXIT_OK;
		case OPT_VERSION:
			printf("dxgd %s\n", DXGD_VERSION);
			dxgd_config_free(&cli);
			free(limits);
			return DXGD_CONFIG_EXIT_OK;
		case ':':
			usage_error("option '%s' needs an argument", argv[optind - 1]);
			goto usage;
		default:
			usage_error("unknown option '%s'", argv[optind - 1]);
			goto usage;
		}
	}
	if (optind < argc) {
		usage_error("unexpected argument '%s'", argv[optind]);
		goto usage;
	}

	/* File first, then the command line: the command line adds VMs and overrides settings. */
	if (config_path &&
	    !parse_config_file(config_path, cfg, &file_level_set, &file_level))
		goto usage;
	for (size_t i = 0; i < cli.vm_count; i++) {
		struct dxgd_vm_config *vm = vm_list_add(&cfg->vms, &cfg->vm_count);

		if (!vm)
			goto usage;
		*vm = cli.vms[i];
	}
	dxgd_config_free(&cli);

	if (control) {
		if (!check_socket_path("--control", control, cfg->control))
			goto usage;
	} else if (cfg->control[0] == '\0') {
		snprintf(cfg->control, sizeof(cfg->control), "%s", DXGD_DEFAULT_CONTROL);
	}
	cfg->worker_poll_us = poll_us;
	if (start_timeout_s)
		cfg->worker_start_timeout_s = start_timeout_s;
	else if (cfg->worker_start_timeout_s == 0)
		cfg->worker_start_timeout_s = DXGD_DEFAULT_WORKER_START_TIMEOUT_S;
	if (cli_level_set)
		cfg->log_level = cli_level;
	else if (file_level_set)
		cfg->log_level = file_level;

	if (cfg->vm_count == 0) {
		usage_error("no VM configured (use --vm NAME:SOCKET or a [vm NAME] section in "
			    "--config)");
		goto usage;
	}
	if (!check_unique(cfg))
		goto usage;
	for (size_t i = 0; i < limit_count; i++) {
		if (!apply_vm_limits(limits[i], cfg))
			goto usage;
	}
	free(limits);
	return DXGD_CONFIG_RUN;

usage:
	free(limits);
	dxgd_config_free(&cli);
	dxgd_config_free(cfg);
	return DXGD_CONFIG_USAGE;
}

void dxgd_config_free(struct dxgd_config *cfg)
{
	free(cfg->vms);
	cfg->vms = NULL;
	cfg->vm_count = 0;
}
