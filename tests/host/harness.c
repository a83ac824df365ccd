/* SPDX-License-Identifier: MIT */
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <json-c/json.h>
#include <misc/opendxg.h>

#define START_TIMEOUT_MS 20000
#define STOP_TIMEOUT_MS 10000
#define CONNECT_RETRIES 50
#define MAX_ARGS 32

uint64_t harness_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void harness_sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

const char *harness_dxgd_path(int argc, char **argv)
{
	const char *exe = argc > 1 ? argv[1] : getenv("DXGD");

	if (!exe || access(exe, X_OK) != 0) {
		fprintf(stderr, "no dxgd binary (argv[1] or $DXGD): skipped\n");
		exit(HARNESS_SKIP);
	}
	return exe;
}

int harness_start(struct dxgd_instance *d, const char *exe, unsigned vm_count,
		  const char *const *extra_args)
{
	char vm_args[HARNESS_MAX_VMS][200];
	const char *argv[MAX_ARGS];
	unsigned argc = 0;
	struct stat st;

	memset(d, 0, sizeof(*d));
	d->pid = -1;
	if (vm_count == 0 || vm_count > HARNESS_MAX_VMS)
		return -EINVAL;
	snprintf(d->dir, sizeof(d->dir), "/tmp/opendxg-test-XXXXXX");
	if (!mkdtemp(d->dir))
		return -errno;
	d->vm_count = vm_count;
	snprintf(d->control_socket, sizeof(d->control_socket), "%s/control.sock", d->dir);

	argv[argc++] = exe;
	for (unsigned i = 0; i < vm_count; i++) {
		snprintf(d->vm_socket[i], sizeof(d->vm_socket[i]), "%s/vm%u.sock", d->dir, i);
		snprintf(vm_args[i], sizeof(vm_args[i]), "vm%u:%s:%s", i, d->vm_socket[i],
			 harness_region);
		argv[argc++] = "--vm";
		argv[argc++] = vm_args[i];
	}
	argv[argc++] = "--control";
	argv[argc++] = d->control_socket;
	for (; extra_args && *extra_args && argc < MAX_ARGS - 1; extra_args++)
		argv[argc++] = *extra_args;
	argv[argc] = NULL;

	d->pid = fork();
	if (d->pid < 0)
		return -errno;
	if (d->pid == 0) {
		/* dxgd logs to stderr, which meson keeps in the test log. */
		execv(exe, (char *const *)argv);
		perror("exec dxgd");
		_exit(127);
	}

	for (int waited = 0; waited < START_TIMEOUT_MS; waited += 10) {
		if (stat(d->control_socket, &st) == 0)
			return 0;
		if (!harness_alive(d)) {
			fprintf(stderr, "harness: dxgd exited during start-up\n");
			return -ECHILD;
		}
		harness_sleep_ms(10);
	}
	fprintf(stderr, "harness: dxgd did not create %s\n", d->control_socket);
	harness_stop(d);
	return -ETIMEDOUT;
}

bool harness_alive(struct dxgd_instance *d)
{
	int status;

	if (d->pid <= 0)
		return false;
	if (waitpid(d->pid, &status, WNOHANG) == 0)
		return true;
	fprintf(stderr, "harness: dxgd %d is gone (%s %d)\n", (int)d->pid,
		WIFSIGNALED(status) ? "signal" : "status",
		WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
	d->pid = -1;
	return false;
}

static void remove_dir(struct dxgd_instance *d)
{
	char path[200];

	if (!d->dir[0])
		return;
	/* dxgd unlinks its sockets on an orderly exit; whatever is left goes now. */
	for (unsigned i = 0; i < d->vm_count; i++)
		unlink(d->vm_socket[i]);
	unlink(d->control_socket);
	snprintf(path, sizeof(path), "%s", d->dir);
	rmdir(path);
	d->dir[0] = '\0';
}

int harness_stop(struct dxgd_instance *d)
{
	int status, result = -1;

	if (d->pid > 0) {
		kill(d->pid, SIGTERM);
		for (int waited = 0; waited < STOP_TIMEOUT_MS; waited += 10) {
			pid_t r = waitpid(d->pid, &status, WNOHANG);

			if (r == d->pid) {
				result = WIFEXITED(status) ? WEXITSTATUS(status)
							   : 128 + WTERMSIG(status);
				break;
			}
			harness_sleep_ms(10);
		}
		if (result == -1) {
			fprintf(stderr, "harness: dxgd ignored SIGTERM, killing it\n");
			kill(d->pid, SIGKILL);
			waitpid(d->pid, &status, 0);
		}
		d->pid = -1;
	}
	remove_dir(d);
	return result;
}

int harness_connect(struct dxgd_instance *d, unsigned vm, const struct uguest_options *opt,
		    struct uguest **out)
{
	int ret = -EINVAL;

	if (vm >= d->vm_count)
		return -EINVAL;
	/*
	 * dxgd serves one guest per VM and refuses a second one (-EBUSY): right after a disconnect
	 * it may not have noticed yet, so a refusal is retried briefly.
	 */
	for (int attempt = 0; attempt < CONNECT_RETRIES; attempt++) {
		ret = uguest_connect(d->vm_socket[vm], opt, out);
		if (ret != -EBUSY && ret != -ECONNRESET)
			return ret;
		harness_sleep_ms(20);
	}
	return ret;
}

char *harness_control_status(struct dxgd_instance *d)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap + 1);
	int sock;

	if (!buf)
		return NULL;
	sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", d->control_socket);
	if (sock < 0 || connect(sock, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
	    write(sock, "status\n", 7) != 7) {
		if (sock >= 0)
			close(sock);
		free(buf);
		return NULL;
	}
	for (;;) {
		struct pollfd pfd = { .fd = sock, .events = POLLIN };
		ssize_t n;

		if (poll(&pfd, 1, 10000) <= 0)
			break;
		n = read(sock, buf + len, cap - len);
		if (n <= 0)
			break;
		len += (size_t)n;
		if (len == cap) {
			char *bigger = realloc(buf, cap * 2 + 1);

			if (!bigger)
				break;
			buf = bigger;
			cap *= 2;
		}
	}
	close(sock);
	buf[len] = '\0';
	return buf;
}

long long harness_json_vm_number(const char *json, const char *vm, const char *key)
{
	struct json_object *doc = json_tokener_parse(json), *vms, *value;
	long long result = -1;

	if (!doc)
		return -1;
	if (json_object_object_get_ex(doc, "vms", &vms) &&
	    json_object_is_type(vms, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(vms); i++) {
			struct json_object *o = json_object_array_get_idx(vms, i), *name;

			if (!json_object_object_get_ex(o, "name", &name) ||
			    strcmp(json_object_get_string(name), vm) != 0)
				continue;
			if (json_object_object_get_ex(o, key, &value) &&
			    json_object_is_type(value, json_type_int))
				result = json_object_get_int64(value);
			break;
		}
	}
	json_object_put(doc);
	return result;
}

int harness_json_worker_bool(const char *json, const char *vm, const char *key)
{
	struct json_object *doc = json_tokener_parse(json), *vms, *worker, *value;
	int result = -1;

	if (!doc)
		return -1;
	if (json_object_object_get_ex(doc, "vms", &vms) &&
	    json_object_is_type(vms, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(vms); i++) {
			struct json_object *o = json_object_array_get_idx(vms, i), *name;

			if (!json_object_object_get_ex(o, "name", &name) ||
			    strcmp(json_object_get_string(name), vm) != 0)
				continue;
			if (json_object_object_get_ex(o, "worker", &worker) &&
			    json_object_is_type(worker, json_type_object) &&
			    json_object_object_get_ex(worker, key, &value) &&
			    json_object_is_type(value, json_type_boolean))
				result = json_object_get_boolean(value);
			break;
		}
	}
	json_object_put(doc);
	return result;
}

uint32_t harness_build_request(void *buf, uint16_t opcode, uint64_t request_id,
			       uint32_t process, const void *body, uint32_t body_len)
{
	struct dxgw_hdr h = {
		.size = dxg_to_le32((uint32_t)sizeof(h) + body_len),
		.opcode = dxg_to_le16(opcode),
		.request_id = dxg_to_le64(request_id),
		.process = dxg_to_le32(process),
	};

	memcpy(buf, &h, sizeof(h));
	if (body_len)
		memcpy((unsigned char *)buf + sizeof(h), body, body_len);
	return (uint32_t)sizeof(h) + body_len;
}

int harness_vm_stats(struct uguest *g, uint32_t process, uint32_t adapter,
		     struct opendxg_vm_stats *stats)
{
	int ret;

	memset(stats, 0, sizeof(*stats));
	ret = uguest_query_adapter_info(g, process, adapter, OPENDXG_QAI_VM_STATS, stats,
					sizeof(*stats));
	if (ret)
		return ret;
	/* The wire is little-endian; tests compare host-order numbers. */
	stats->version = le32toh(stats->version);
	stats->size = le32toh(stats->size);
	stats->generation = le32toh(stats->generation);
	stats->processes = le32toh(stats->processes);
	stats->open_adapters = le32toh(stats->open_adapters);
	stats->devices = le32toh(stats->devices);
	stats->contexts = le32toh(stats->contexts);
	stats->handles = le32toh(stats->handles);
	stats->requests = le64toh(stats->requests);
	stats->rejected = le64toh(stats->rejected);
	stats->allocations = le32toh(stats->allocations);
	stats->resources = le32toh(stats->resources);
	stats->paging_queues = le32toh(stats->paging_queues);
	stats->gpu_va_ranges = le32toh(stats->gpu_va_ranges);
	stats->host_visible_bytes = le64toh(stats->host_visible_bytes);
	stats->device_local_bytes = le64toh(stats->device_local_bytes);
	stats->program_bytes = le64toh(stats->program_bytes);
	stats->evicted_bytes = le64toh(stats->evicted_bytes);
	stats->quota_bytes = le64toh(stats->quota_bytes);
	return 0;
}

int harness_open_first_adapter(struct uguest *g, const char *name, uint32_t *process,
			       uint32_t *adapter)
{
	struct uguest_adapter adapters[DXGW_MAX_ADAPTERS];
	uint32_t count;
	int ret;

	ret = uguest_enum_adapters(g, adapters, DXGW_MAX_ADAPTERS, &count);
	if (ret)
		return ret;
	if (count == 0)
		return -ENODEV;
	ret = uguest_create_process(g, (uint32_t)getpid(), name, process);
	if (ret)
		return ret;
	*adapter = adapters[0].handle;
	return uguest_open_adapter(g, *process, *adapter);
}

struct dxgd_instance harness_dxgd = { .pid = -1 };
const char *harness_region = HARNESS_REGION;

static const char *harness_exe;
static unsigned harness_vm_count;
static const char *const *harness_extra_args;

static int group_setup(void **state)
{
	(void)state;
	if (harness_start(&harness_dxgd, harness_exe, harness_vm_count, harness_extra_args) != 0) {
		fprintf(stderr, "harness: cannot start %s\n", harness_exe);
		return -1;
	}
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	if (harness_dxgd.pid > 0 || harness_dxgd.dir[0])
		harness_stop(&harness_dxgd);
	return 0;
}

int harness_run(int argc, char **argv, const char *group, const struct CMUnitTest *tests,
		size_t count, unsigned vm_count)
{
	return harness_run_args(argc, argv, group, tests, count, vm_count, NULL);
}

int harness_run_args(int argc, char **argv, const char *group, const struct CMUnitTest *tests,
		     size_t count, unsigned vm_count, const char *const *extra_args)
{
	harness_exe = harness_dxgd_path(argc, argv);
	harness_vm_count = vm_count;
	harness_extra_args = extra_args;
	/* A test that loses its guest's socket must not die of SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	return _cmocka_run_group_tests(group, tests, count, group_setup, group_teardown);
}

void harness_expect_clean_exit(void)
{
	assert_true(harness_alive(&harness_dxgd));
	assert_int_equal(harness_stop(&harness_dxgd), 0);
}

void harness_shutdown(struct uguest **guests, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		uguest_close(guests[i]);
		guests[i] = NULL;
	}
	harness_expect_clean_exit();
}
