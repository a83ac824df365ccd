// SPDX-License-Identifier: MIT
/*
 * dxgctl host commands: talk to dxgd's control socket (docs/internals.md, "Control socket").
 *
 * The protocol is one command line out, one JSON document back, then the broker closes. The
 * document comes from another program, so the reader is bounded (size, time) and the printer
 * treats every field as optional: a field it does not find prints as "-".
 */
#include "dxgctl.h"

#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

/* A status document of many VMs and processes stays far below this; more means a broken peer. */
#define MAX_REPLY_BYTES (16u * 1024u * 1024u)
/* The broker asks every worker in turn; a worker restarting under TCG can take a while. */
#define REPLY_TIMEOUT_S 15

/* Connects to @path. Returns the socket or -1 with the message printed. */
static int connect_control(const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct timeval timeout = { .tv_sec = REPLY_TIMEOUT_S };
	int sock;

	if (strlen(path) >= sizeof(addr.sun_path)) {
		dxgctl_error("control socket path too long: %s", path);
		return -1;
	}
	strcpy(addr.sun_path, path);
	sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sock < 0) {
		dxgctl_error("socket: %s", strerror(errno));
		return -1;
	}
	if (connect(sock, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		int err = errno;

		close(sock);
		if (err == ENOENT || err == ECONNREFUSED)
			dxgctl_error("dxgd not running at %s", path);
		else if (err == EACCES || err == EPERM)
			dxgctl_error("no permission to connect to dxgd at %s (run as root?)", path);
		else
			dxgctl_error("cannot connect to dxgd at %s: %s", path, strerror(err));
		return -1;
	}
	setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
	setsockopt(sock, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
	return sock;
}

/*
 * Sends @command and reads the reply up to EOF. Returns a malloc()ed NUL-terminated string
 * (*@len bytes), or NULL with the message printed.
 */
static char *control_request(const char *path, const char *command, size_t *len)
{
	size_t used = 0, capacity = 4096, sent = 0, command_len = strlen(command);
	char *reply;
	int sock;

	sock = connect_control(path);
	if (sock < 0)
		return NULL;
	while (sent < command_len) {
		ssize_t n = send(sock, command + sent, command_len - sent, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			dxgctl_error("cannot send to dxgd at %s: %s", path, strerror(errno));
			close(sock);
			return NULL;
		}
		sent += (size_t)n;
	}
	reply = malloc(capacity);
	if (!reply) {
		dxgctl_error("out of memory");
		close(sock);
		return NULL;
	}
	for (;;) {
		ssize_t n;

		if (used + 1 == capacity) {
			char *bigger;

			if (capacity >= MAX_REPLY_BYTES) {
				dxgctl_error("reply from dxgd larger than %u bytes",
					     MAX_REPLY_BYTES);
				goto fail;
			}
			bigger = realloc(reply, capacity * 2);
			if (!bigger) {
				dxgctl_error("out of memory");
				goto fail;
			}
			reply = bigger;
			capacity *= 2;
		}
		n = recv(sock, reply + used, capacity - 1 - used, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				dxgctl_error("dxgd at %s did not answer within %d s", path,
					     REPLY_TIMEOUT_S);
			else
				dxgctl_error("cannot read from dxgd at %s: %s", path,
					     strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		used += (size_t)n;
	}
	close(sock);
	reply[used] = '\0';
	*len = used;
	return reply;

fail:
	free(reply);
	close(sock);
	return NULL;
}

/* Field accessors that tolerate absence and wrong types. */
static json_object *field(json_object *obj, const char *key)
{
	json_object *value = NULL;

	if (obj && json_object_is_type(obj, json_type_object))
		json_object_object_get_ex(obj, key, &value);
	return value;
}

static const char *str_field(json_object *obj, const char *key, char *buf, size_t size)
{
	json_object *value = field(obj, key);

	if (!value || json_object_is_type(value, json_type_null))
		return "-";
	if (json_object_is_type(value, json_type_string))
		return json_object_get_string(value);
	if (json_object_is_type(value, json_type_boolean))
		return json_object_get_boolean(value) ? "yes" : "no";
	if (json_object_is_type(value, json_type_int)) {
		snprintf(buf, size, "%lld", (long long)json_object_get_int64(value));
		return buf;
	}
	return json_object_to_json_string_ext(value, JSON_C_TO_STRING_PLAIN);
}

static bool int_field(json_object *obj, const char *key, int64_t *out)
{
	json_object *value = field(obj, key);

	if (!value || !json_object_is_type(value, json_type_int))
		return false;
	*out = json_object_get_int64(value);
	return true;
}

static bool bool_field(json_object *obj, const char *key)
{
	json_object *value = field(obj, key);

	return value && json_object_is_type(value, json_type_boolean) &&
	       json_object_get_boolean(value);
}

static size_t array_length(json_object *array)
{
	return array && json_object_is_type(array, json_type_array)
		       ? json_object_array_length(array) : 0;
}

/* A PCI-style id column: 0x1234, wider ids (Vulkan vendor ids like 0x10005) as they come. */
static void print_id(json_object *adapter, const char *key)
{
	char text[24] = "-";
	int64_t value;

	if (int_field(adapter, key, &value))
		snprintf(text, sizeof(text), "0x%04llx", (unsigned long long)value);
	printf("%-7s ", text);
}

static void print_adapters(json_object *adapters)
{
	size_t n = array_length(adapters);

	if (n == 0) {
		printf("  adapters   none\n");
		return;
	}
	printf("  adapters\n");
	printf("    %-10s %-23s %-7s %-7s %-13s %-12s %s\n", "HANDLE", "LUID", "VENDOR",
	       "DEVICE", "TYPE", "DEVICE-LOCAL", "NAME");
	for (size_t i = 0; i < n; i++) {
		json_object *a = json_object_array_get_idx(adapters, i);
		char b1[32], b2[32], bytes[32] = "-";
		int64_t value;

		if (int_field(a, "device_local_bytes", &value) && value >= 0)
			dxgctl_format_bytes((uint64_t)value, bytes, sizeof(bytes));
		if (int_field(a, "handle", &value))
			snprintf(b1, sizeof(b1), "0x%08llx", (unsigned long long)value);
		else
			strcpy(b1, "-");
		printf("    %-10s %-23s ", b1, str_field(a, "luid", b2, sizeof(b2)));
		print_id(a, "vendor_id");
		print_id(a, "device_id");
		printf("%-13s %-12s %s\n", str_field(a, "device_type", b1, sizeof(b1)), bytes,
		       str_field(a, "name", b2, sizeof(b2)));
	}
}

static void print_processes(json_object *processes)
{
	size_t n = array_length(processes);

	if (n == 0) {
		printf("  processes  none\n");
		return;
	}
	printf("  processes\n");
	printf("    %-8s %-16s %8s %8s %8s\n", "PID", "NAME", "ADAPTERS", "DEVICES", "CONTEXTS");
	for (size_t i = 0; i < n; i++) {
		json_object *p = json_object_array_get_idx(processes, i);
		char b[5][32];

		printf("    %-8s %-16s %8s %8s %8s\n", str_field(p, "pid", b[0], sizeof(b[0])),
		       str_field(p, "name", b[1], sizeof(b[1])),
		       str_field(p, "open_adapters", b[2], sizeof(b[2])),
		       str_field(p, "devices", b[3], sizeof(b[3])),
		       str_field(p, "contexts", b[4], sizeof(b[4])));
	}
}

static void print_counters(json_object *counters)
{
	static const char *const keys[] = { "processes", "open_adapters", "devices", "contexts",
					    "handles", "requests", "rejected" };
	bool any = false;

	printf("  counters  ");
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		int64_t value;

		if (!int_field(counters, keys[i], &value))
			continue;
		printf("%s %s %lld", any ? "," : "", keys[i], (long long)value);
		any = true;
	}
	printf("%s\n", any ? "" : " -");
}

/* The VM's GPU work: what its guests submitted and what is still waiting in its worker. */
static void print_execution(json_object *counters)
{
	int64_t submitted, completed, queued, sync_objects, hw_queues, broken;

	if (!int_field(counters, "jobs_submitted", &submitted) ||
	    !int_field(counters, "jobs_completed", &completed) ||
	    !int_field(counters, "queued_items", &queued) ||
	    !int_field(counters, "sync_objects", &sync_objects) ||
	    !int_field(counters, "hw_queues", &hw_queues) ||
	    !int_field(counters, "contexts_broken", &broken))
		return;		/* a worker from before execution existed */
	printf("  execution  jobs %lld submitted, %lld completed, %lld queue items waiting; "
	       "sync objects %lld, hw queues %lld, contexts broken %lld\n", (long long)submitted,
	       (long long)completed, (long long)queued, (long long)sync_objects,
	       (long long)hw_queues, (long long)broken);
}

static void format_field_bytes(json_object *obj, const char *key, char *buf, size_t size)
{
	int64_t value;

	if (int_field(obj, key, &value) && value >= 0)
		dxgctl_format_bytes((uint64_t)value, buf, size);
	else
		snprintf(buf, size, "-");
}

/* The VM's memory per adapter (its use, not the adapter's) and its shared heap. */
static void print_memory(json_object *worker)
{
	json_object *adapters = field(worker, "adapters"), *heap = field(worker, "heap");
	size_t n = array_length(adapters);

	for (size_t i = 0; i < n; i++) {
		json_object *a = json_object_array_get_idx(adapters, i);
		json_object *m = field(a, "memory"), *quota;
		char b[7][32];
		int64_t handle = 0;

		if (!m)
			continue;
		int_field(a, "handle", &handle);
		format_field_bytes(m, "host_visible_bytes", b[0], sizeof(b[0]));
		format_field_bytes(m, "device_local_bytes", b[1], sizeof(b[1]));
		format_field_bytes(m, "program_bytes", b[2], sizeof(b[2]));
		format_field_bytes(m, "evicted_bytes", b[3], sizeof(b[3]));
		format_field_bytes(m, "claimed_bytes", b[4], sizeof(b[4]));
		quota = field(m, "quota_bytes");
		if (!quota || json_object_is_type(quota, json_type_null))
			snprintf(b[5], sizeof(b[5]), "unlimited");
		else
			format_field_bytes(m, "quota_bytes", b[5], sizeof(b[5]));
		printf("  memory     adapter 0x%08llx: %s allocations, host-visible %s, "
		       "device-local %s, programs %s, evicted %s; claimed %s of %s\n",
		       (unsigned long long)handle, str_field(m, "allocations", b[6], sizeof(b[6])),
		       b[0], b[1], b[2], b[3], b[4], b[5]);
	}
	if (heap) {
		char size[32], largest[32];

		format_field_bytes(heap, "size", size, sizeof(size));
		format_field_bytes(heap, "largest_free", largest, sizeof(largest));
		printf("  heap       %s, largest free extent %s\n", size, largest);
	}
}

static void print_vm(json_object *vm)
{
	json_object *worker = field(vm, "worker");
	char b[6][32];
	int64_t region;
	bool connected = bool_field(vm, "connected");

	if (int_field(vm, "region_size", &region) && region >= 0)
		dxgctl_format_bytes((uint64_t)region, b[0], sizeof(b[0]));
	else
		strcpy(b[0], "-");
	printf("VM %s\n", str_field(vm, "name", b[1], sizeof(b[1])));
	printf("  socket     %s\n", str_field(vm, "socket", b[1], sizeof(b[1])));
	printf("  region     %s\n", b[0]);
	if (connected)
		printf("  guest      connected (peer %s)\n", str_field(vm, "peer_id", b[1],
								 sizeof(b[1])));
	else
		printf("  guest      not connected\n");
	printf("  worker     %s, pid %s, generation %s, restarts %s, crashes %s\n",
	       str_field(vm, "worker_state", b[1], sizeof(b[1])),
	       str_field(vm, "worker_pid", b[2], sizeof(b[2])),
	       str_field(vm, "generation", b[3], sizeof(b[3])),
	       str_field(vm, "worker_restarts", b[4], sizeof(b[4])),
	       str_field(vm, "worker_crashes", b[5], sizeof(b[5])));
	if (!worker || json_object_is_type(worker, json_type_null)) {
		printf("  (no details from the worker: it is starting or did not answer)\n");
		return;
	}
	if (bool_field(worker, "broken"))
		printf("  BROKEN     the worker marked this VM broken (malformed guest data)\n");
	print_adapters(field(worker, "adapters"));
	print_processes(field(worker, "processes"));
	if (bool_field(worker, "processes_truncated"))
		printf("    (process list left out: too many to report)\n");
	print_counters(field(worker, "counters"));
	print_execution(field(worker, "counters"));
	print_memory(worker);
}

static int print_status(const char *text, size_t len)
{
	enum json_tokener_error err = json_tokener_success;
	json_object *root, *vms;
	char b[32];
	size_t n;

	root = json_tokener_parse_verbose(text, &err);
	if (!root || (size_t)strlen(text) != len) {
		dxgctl_error("dxgd sent an unreadable status (%s)",
			     root ? "embedded NUL" : json_tokener_error_desc(err));
		json_object_put(root);
		return DXGCTL_EXIT_FAILURE;
	}
	if (field(root, "error")) {
		dxgctl_error("dxgd: %s", str_field(root, "error", b, sizeof(b)));
		json_object_put(root);
		return DXGCTL_EXIT_FAILURE;
	}
	vms = field(root, "vms");
	n = array_length(vms);
	printf("dxgd %s, %zu VM%s\n", str_field(root, "version", b, sizeof(b)), n,
	       n == 1 ? "" : "s");
	for (size_t i = 0; i < n; i++) {
		putchar('\n');
		print_vm(json_object_array_get_idx(vms, i));
	}
	json_object_put(root);
	return DXGCTL_EXIT_OK;
}

/* Devices held by all VMs together, from the workers' counters; -1 if unreadable. */
static int64_t total_devices(const char *text)
{
	json_object *root = json_tokener_parse(text);
	json_object *vms = field(root, "vms");
	int64_t total = root ? 0 : -1;

	for (size_t i = 0; i < array_length(vms); i++) {
		json_object *counters = field(field(json_object_array_get_idx(vms, i), "worker"),
					      "counters");
		int64_t devices;

		if (int_field(counters, "devices", &devices) && devices > 0)
			total += devices;
	}
	json_object_put(root);
	return total;
}

/*
 * Polls dxgd until its VMs hold at least @devices devices or @timeout_s passes. Returns the last
 * status reply (caller frees) with *reached set, or NULL if dxgd cannot be asked.
 */
static char *wait_for_devices(const char *path, int64_t devices, unsigned long timeout_s,
			      size_t *len, bool *reached)
{
	/* 200 ms between polls: quick enough for a human, cheap for dxgd. */
	unsigned long polls = timeout_s * 5;

	for (unsigned long i = 0;; i++) {
		char *reply = control_request(path, "status\n", len);

		if (!reply)
			return NULL;
		*reached = total_devices(reply) >= devices;
		if (*reached || i >= polls)
			return reply;
		free(reply);
		usleep(200 * 1000);
	}
}

static int host_status(int argc, char **argv)
{
	static const struct option options[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "control", required_argument, NULL, 'c' },
		{ "wait-devices", required_argument, NULL, 'w' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = getenv(DXGCTL_CONTROL_ENV);
	unsigned long wait_devices = 0, timeout_s = 60;
	bool json = false, reached = true;
	size_t len = 0;
	char *reply, *end;
	int opt, ret;

	if (!path || !path[0])
		path = DXGCTL_DEFAULT_CONTROL;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "jc:h", options, NULL)) != -1) {
		switch (opt) {
		case 'j':
			json = true;
			break;
		case 'c':
			path = optarg;
			break;
		case 'w':
		case 't':
			errno = 0;
			if (opt == 'w')
				wait_devices = strtoul(optarg, &end, 10);
			else
				timeout_s = strtoul(optarg, &end, 10);
			if (errno || end == optarg || *end || optarg[0] == '-' ||
			    (opt == 'w' ? wait_devices > 1000000 : timeout_s > 86400)) {
				dxgctl_error("host status: invalid --%s '%s'",
					     opt == 'w' ? "wait-devices" : "timeout", optarg);
				return DXGCTL_EXIT_USAGE;
			}
			break;
		case 'h':
			printf("usage: dxgctl host status [--json] [--control PATH] "
			       "[--wait-devices N [--timeout S]]\n");
			return DXGCTL_EXIT_OK;
		default:
			return DXGCTL_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		dxgctl_error("host status: unexpected argument '%s'", argv[optind]);
		return DXGCTL_EXIT_USAGE;
	}
	if (wait_devices)
		reply = wait_for_devices(path, (int64_t)wait_devices, timeout_s, &len, &reached);
	else
		reply = control_request(path, "status\n", &len);
	if (!reply)
		return DXGCTL_EXIT_FAILURE;
	if (!reached)
		dxgctl_error("host status: the VMs did not hold %lu device(s) within %lu s; "
			     "showing the last status", wait_devices, timeout_s);
	if (json) {
		fwrite(reply, 1, len, stdout);
		if (len == 0 || reply[len - 1] != '\n')
			putchar('\n');
		ret = DXGCTL_EXIT_OK;
	} else {
		ret = print_status(reply, len);
	}
	free(reply);
	return reached ? ret : DXGCTL_EXIT_FAILURE;
}

int dxgctl_host(int argc, char **argv)
{
	if (!strcmp(argv[0], "status"))
		return host_status(argc, argv);
	dxgctl_error("host: unknown subcommand '%s' (try: dxgctl host status)", argv[0]);
	return DXGCTL_EXIT_USAGE;
}
