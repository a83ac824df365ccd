/* SPDX-License-Identifier: MIT */
/*
 * The broker's start-up watchdog: a worker that never sends BW_READY is killed, counted as a
 * crash and restarted, while the control socket keeps answering; once the cause is gone the VM
 * is served again.
 *
 * The hang is real and needs nothing in dxgd: the Vulkan loader is pointed (VK_ICD_FILENAMES,
 * VK_DRIVER_FILES, inherited by dxgd and its workers) at a driver manifest that is a FIFO nobody
 * writes, so every worker blocks in open() inside vkCreateInstance, like one stuck in a hung
 * driver. Renaming the real lavapipe manifest over that path repairs it for the next worker.
 *
 * One VM per dxgd: the loader environment is per daemon. Waits are bounded by generous deadlines
 * that only turn a hang into a failure; nothing asserts how long anything took.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <json-c/json.h>

#include "harness.h"

#define DEADLINE_MS 60000
#define POLL_MS 50
#define REAL_MANIFEST "/usr/share/vulkan/icd.d/lvp_icd.x86_64.json"

static const char *dxgd_exe;
/* The dxgd of the running test, stopped by the teardown if an assertion left it running. */
static struct dxgd_instance dxgd = { .pid = -1 };
static char work_dir[64];
static char manifest_path[128];		/* the FIFO the loader is pointed at */

/* Fresh FIFO at manifest_path: the next worker's loader blocks opening it. */
static void make_hanging_manifest(void)
{
	unlink(manifest_path);
	assert_int_equal(mkfifo(manifest_path, 0600), 0);
}

/* Atomically replaces the FIFO with a copy of the real lavapipe manifest. */
static void repair_manifest(void)
{
	char tmp[160], buf[4096];
	ssize_t n;
	int in, out;

	snprintf(tmp, sizeof(tmp), "%s/real.json", work_dir);
	in = open(REAL_MANIFEST, O_RDONLY | O_CLOEXEC);
	assert_true(in >= 0);
	out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(out >= 0);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		assert_int_equal(write(out, buf, (size_t)n), n);
	assert_int_equal(n, 0);
	close(in);
	assert_int_equal(close(out), 0);
	/*
	 * A worker blocked on the old FIFO stays blocked (it holds that inode) until the watchdog
	 * kills it; only its successors read the new file.
	 */
	assert_int_equal(rename(tmp, manifest_path), 0);
}

struct vm_status {
	bool answered;			/* the control socket gave a parsable document */
	char state[16];
	long long crashes;
	long long restarts;
	long long pid;			/* -1: null */
	bool worker_null;
};

static struct vm_status query_vm0(struct dxgd_instance *d)
{
	struct vm_status st = { .crashes = -1, .restarts = -1, .pid = -1 };
	char *json = harness_control_status(d);
	struct json_object *doc, *vms, *vm, *value;

	if (!json)
		return st;
	doc = json_tokener_parse(json);
	free(json);
	if (!doc)
		return st;
	if (json_object_object_get_ex(doc, "vms", &vms) &&
	    json_object_is_type(vms, json_type_array) && json_object_array_length(vms) == 1) {
		vm = json_object_array_get_idx(vms, 0);
		st.answered = true;
		if (json_object_object_get_ex(vm, "worker_state", &value))
			snprintf(st.state, sizeof(st.state), "%s", json_object_get_string(value));
		if (json_object_object_get_ex(vm, "worker_crashes", &value))
			st.crashes = json_object_get_int64(value);
		if (json_object_object_get_ex(vm, "worker_restarts", &value))
			st.restarts = json_object_get_int64(value);
		if (json_object_object_get_ex(vm, "worker_pid", &value) &&
		    json_object_is_type(value, json_type_int))
			st.pid = json_object_get_int64(value);
		st.worker_null = json_object_object_get_ex(vm, "worker", &value) && !value;
	}
	json_object_put(doc);
	return st;
}

/*
 * Polls until vm0 has at least `min_crashes` crashes; every poll must be answered, and a VM whose
 * worker never becomes ready must never be reported ready.
 */
static struct vm_status wait_for_crashes(struct dxgd_instance *d, long long min_crashes)
{
	uint64_t deadline = harness_now_ms() + DEADLINE_MS;
	struct vm_status st;

	for (;;) {
		assert_true(harness_alive(d));
		st = query_vm0(d);
		assert_true(st.answered);
		assert_string_not_equal(st.state, "ready");
		assert_true(st.worker_null);
		assert_true(strcmp(st.state, "starting") == 0 ||
			    strcmp(st.state, "stopping") == 0 ||
			    strcmp(st.state, "backoff") == 0);
		if (st.crashes >= min_crashes)
			return st;
		assert_true(harness_now_ms() < deadline);
		harness_sleep_ms(POLL_MS);
	}
}

static int start_hanging_dxgd(struct dxgd_instance *d, const char *const *extra_args)
{
	make_hanging_manifest();
	return harness_start(d, dxgd_exe, 1, extra_args);
}

/* The acceptance path: hangs are killed and counted, a repaired driver brings the VM back. */
static void test_hung_start_is_replaced(void **state)
{
	static const char *const args[] = { "--worker-start-timeout", "2", NULL };
	struct uguest_adapter adapters[DXGW_MAX_ADAPTERS];
	struct dxgd_instance *d = &dxgd;
	struct vm_status st;
	struct uguest *g = NULL;
	uint32_t count, process, adapter;
	uint64_t deadline;

	(void)state;
	assert_int_equal(start_hanging_dxgd(d, args), 0);

	st = wait_for_crashes(d, 2);
	/* Every crash was followed by a restart (the first start is not one). */
	assert_true(st.restarts >= 2);

	repair_manifest();
	deadline = harness_now_ms() + DEADLINE_MS;
	for (;;) {
		assert_true(harness_alive(d));
		st = query_vm0(d);
		assert_true(st.answered);
		if (strcmp(st.state, "ready") == 0)
			break;
		assert_true(harness_now_ms() < deadline);
		harness_sleep_ms(POLL_MS);
	}
	assert_true(st.pid > 0);

	/* Served for real: a guest finds the adapter and can open it. */
	assert_int_equal(harness_connect(d, 0, NULL, &g), 0);
	assert_int_equal(uguest_enum_adapters(g, adapters, DXGW_MAX_ADAPTERS, &count), 0);
	assert_true(count >= 1);
	assert_int_equal(harness_open_first_adapter(g, "watchdog", &process, &adapter), 0);
	uguest_close(g);

	assert_true(harness_alive(d));
	assert_int_equal(harness_stop(d), 0);
}

/* The [dxgd] worker_start_timeout key arms the same watchdog. */
static void test_config_key(void **state)
{
	char ini[160];
	const char *args[] = { "--config", ini, NULL };
	struct dxgd_instance *d = &dxgd;
	FILE *fp;

	(void)state;
	snprintf(ini, sizeof(ini), "%s/dxgd.ini", work_dir);
	fp = fopen(ini, "w");
	assert_non_null(fp);
	fputs("[dxgd]\nworker_start_timeout = 2\n", fp);
	assert_int_equal(fclose(fp), 0);

	assert_int_equal(start_hanging_dxgd(d, args), 0);
	wait_for_crashes(d, 1);
	assert_true(harness_alive(d));
	assert_int_equal(harness_stop(d), 0);
	unlink(ini);
}

/* Runs dxgd with `args` (after the program name); returns its exit status. */
static int run_dxgd(const char *const *args)
{
	const char *argv[16];
	unsigned argc = 0;
	int status;
	pid_t pid;

	argv[argc++] = dxgd_exe;
	for (; *args && argc < 15; args++)
		argv[argc++] = *args;
	argv[argc] = NULL;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int null_fd = open("/dev/null", O_WRONLY);

		/* Keep the expected usage errors out of the test log. */
		if (null_fd >= 0) {
			dup2(null_fd, STDOUT_FILENO);
			dup2(null_fd, STDERR_FILENO);
		}
		execv(dxgd_exe, (char *const *)argv);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

/* Out-of-range or malformed timeouts are usage errors (status 2), found before anything starts. */
static void test_invalid_timeouts(void **state)
{
	static const char *const bad[] = { "0", "3601", "-1", "1s", "", "99999999999999999999" };
	char sock[128], ini[160];
	FILE *fp;

	(void)state;
	snprintf(sock, sizeof(sock), "vm0:%s/never.sock", work_dir);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *args[] = { "--vm", sock, "--worker-start-timeout", bad[i], NULL };

		assert_int_equal(run_dxgd(args), 2);
	}

	snprintf(ini, sizeof(ini), "%s/bad.ini", work_dir);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *args[] = { "--config", ini, "--vm", sock, NULL };

		fp = fopen(ini, "w");
		assert_non_null(fp);
		fprintf(fp, "[dxgd]\nworker_start_timeout = %s\n", bad[i]);
		assert_int_equal(fclose(fp), 0);
		assert_int_equal(run_dxgd(args), 2);
	}
	unlink(ini);
	{
		const char *args[] = { "--vm", sock, "--worker-start-timeout", "3600", "--help",
				       NULL };

		assert_int_equal(run_dxgd(args), 0);
	}
	/* Nothing was created: every run stopped at validation. */
	assert_int_equal(access(sock + 4, F_OK), -1);
}

static int stop_leftover_dxgd(void **state)
{
	(void)state;
	if (dxgd.pid > 0 || dxgd.dir[0])
		harness_stop(&dxgd);
	return 0;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_invalid_timeouts),
		cmocka_unit_test_teardown(test_config_key, stop_leftover_dxgd),
		cmocka_unit_test_teardown(test_hung_start_is_replaced, stop_leftover_dxgd),
	};
	int ret;

	dxgd_exe = harness_dxgd_path(argc, argv);
	if (access(REAL_MANIFEST, R_OK) != 0) {
		fprintf(stderr, "no lavapipe manifest at %s: skipped\n", REAL_MANIFEST);
		return HARNESS_SKIP;
	}
	snprintf(work_dir, sizeof(work_dir), "/tmp/opendxg-watchdog-XXXXXX");
	if (!mkdtemp(work_dir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(manifest_path, sizeof(manifest_path), "%s/icd.json", work_dir);
	/* Inherited by every dxgd started here and by its workers; nothing else may add drivers. */
	setenv("VK_ICD_FILENAMES", manifest_path, 1);
	setenv("VK_DRIVER_FILES", manifest_path, 1);
	unsetenv("VK_ADD_DRIVER_FILES");
	/* A test that loses a guest's socket must not die of SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);

	ret = cmocka_run_group_tests_name("watchdog", tests, NULL, NULL);
	unlink(manifest_path);
	rmdir(work_dir);
	return ret;
}
