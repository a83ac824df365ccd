// SPDX-License-Identifier: MIT
/*
 * dxgctl guest commands: what this VM sees through /dev/dxg.
 *
 * Every adapter is described from the standard WSL queries (adapter type, device ids, driver
 * description, WDDM 2.7 caps) plus opendxg's own capability record; a query that fails leaves its
 * fields out rather than failing the listing, so the tool stays useful against a partial driver.
 */
#include "dxgctl.h"

#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "d3dkmt.h"

struct adapter_report {
	struct d3dkmt_adapterinfo info;
	char description[D3DKMT_DRIVER_DESCRIPTION_UTF8_MAX];
	bool has_description;
	uint32_t type_bits;
	bool has_type;
	struct d3dkmt_query_device_ids ids;
	bool has_ids;
	uint32_t wddm_2_7_caps;
	bool has_wddm_2_7_caps;
	struct opendxg_adapter_caps caps;
	bool has_caps;
};

struct flag_name {
	uint32_t bit;
	const char *name;
};

static const struct flag_name adapter_type_names[] = {
	{ D3DKMT_ADAPTERTYPE_RENDER_SUPPORTED, "render" },
	{ D3DKMT_ADAPTERTYPE_DISPLAY_SUPPORTED, "display" },
	{ D3DKMT_ADAPTERTYPE_SOFTWARE_DEVICE, "software-device" },
	{ D3DKMT_ADAPTERTYPE_PARAVIRTUALIZED, "paravirtualized" },
	{ D3DKMT_ADAPTERTYPE_COMPUTE_ONLY, "compute-only" },
};

static const struct flag_name caps_flag_names[] = {
	{ OPENDXG_CAPS_SOFTWARE, "runs-on-host-cpu" },
	{ OPENDXG_CAPS_EXTERNAL_MEMORY_HOST, "zero-copy-host-memory" },
};

static const struct flag_name wddm_caps_names[] = {
	{ D3DKMT_WDDM_2_7_CAPS_HWSCH_SUPPORTED, "hwsch-supported" },
	{ D3DKMT_WDDM_2_7_CAPS_HWSCH_ENABLED, "hwsch-enabled" },
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const char *device_type_name(uint32_t type)
{
	switch (type) {
	case OPENDXG_DEVICE_TYPE_INTEGRATED:
		return "integrated-gpu";
	case OPENDXG_DEVICE_TYPE_DISCRETE:
		return "discrete-gpu";
	case OPENDXG_DEVICE_TYPE_VIRTUAL:
		return "virtual-gpu";
	case OPENDXG_DEVICE_TYPE_CPU:
		return "cpu";
	default:
		return "other";
	}
}

/* Opens /dev/dxg with the error a user can act on. Returns the fd or -1 (message printed). */
static int open_dxg(void)
{
	int fd = d3dkmt_open();

	if (fd == -ENOENT || fd == -ENODEV || fd == -ENXIO) {
		dxgctl_error("opendxg driver not loaded (no " D3DKMT_DEVICE_PATH
			     "; try: modprobe opendxg)");
		return -1;
	}
	if (fd < 0) {
		dxgctl_error("cannot open " D3DKMT_DEVICE_PATH ": %s", strerror(-fd));
		return -1;
	}
	return fd;
}

int dxgctl_open_adapters(struct d3dkmt_adapterinfo **adapters, uint32_t *count, bool need_one)
{
	int fd = open_dxg();
	int ret;

	if (fd < 0)
		return -1;
	*adapters = NULL;
	*count = 0;
	ret = d3dkmt_enum_adapters_alloc(fd, D3DKMT_ENUMADAPTERS_FILTER_COMPUTE_ONLY, adapters,
					 count);
	if (ret < 0) {
		dxgctl_error("cannot enumerate adapters: %s", strerror(-ret));
		d3dkmt_close(fd);
		return -1;
	}
	if (need_one && *count == 0) {
		dxgctl_error("no adapters: is this VM attached to dxgd, and is dxgd running?");
		dxgctl_close_adapters(fd, *adapters, 0);
		return -1;
	}
	return fd;
}

void dxgctl_close_adapters(int fd, struct d3dkmt_adapterinfo *adapters, uint32_t count)
{
	for (uint32_t i = 0; i < count; i++)
		d3dkmt_close_adapter(fd, adapters[i].adapter_handle);
	free(adapters);
	d3dkmt_close(fd);
}

static void describe_adapter(int fd, struct adapter_report *r)
{
	struct d3dkmthandle adapter = r->info.adapter_handle;

	r->has_type = d3dkmt_query_adapter_type(fd, adapter, &r->type_bits) == 0;
	r->has_ids = d3dkmt_query_device_ids(fd, adapter, 0, &r->ids) == 0;
	r->has_wddm_2_7_caps = d3dkmt_query_wddm_2_7_caps(fd, adapter, &r->wddm_2_7_caps) == 0;
	r->has_description = d3dkmt_query_driver_description(fd, adapter, r->description,
							     sizeof(r->description)) >= 0;
	r->has_caps = d3dkmt_query_opendxg_caps(fd, adapter, &r->caps) == 0;
}

static void format_luid(struct winluid luid, char *buf, size_t size)
{
	snprintf(buf, size, "0x%08x:0x%08x", luid.b, luid.a);
}

/* Appends the names of the set bits of @bits to @out ("a, b"). */
static void append_flag_names(char *out, size_t size, uint32_t bits,
			      const struct flag_name *table, size_t entries)
{
	for (size_t i = 0; i < entries; i++) {
		size_t used = strlen(out);

		if (!(bits & table[i].bit))
			continue;
		snprintf(out + used, size - used, "%s%s", used ? ", " : "", table[i].name);
	}
}

static void flag_string(const struct adapter_report *r, char *out, size_t size)
{
	out[0] = '\0';
	if (r->has_type)
		append_flag_names(out, size, r->type_bits, adapter_type_names,
				  ARRAY_SIZE(adapter_type_names));
	if (r->has_caps)
		append_flag_names(out, size, r->caps.flags, caps_flag_names,
				  ARRAY_SIZE(caps_flag_names));
	if (r->has_wddm_2_7_caps)
		append_flag_names(out, size, r->wddm_2_7_caps, wddm_caps_names,
				  ARRAY_SIZE(wddm_caps_names));
}

static void print_adapter_text(unsigned int index, const struct adapter_report *r)
{
	char luid[32], local[32], visible[32], flags[256];

	format_luid(r->info.adapter_luid, luid, sizeof(luid));
	flag_string(r, flags, sizeof(flags));
	printf("adapter %u: %s\n", index,
	       r->has_caps && r->caps.device_name[0] ? r->caps.device_name : "(unnamed)");
	if (r->has_description)
		printf("  description   %s\n", r->description);
	printf("  luid          %s\n", luid);
	if (r->has_ids)
		printf("  ids           vendor 0x%04x device 0x%04x subsys 0x%04x:0x%04x rev %u\n",
		       r->ids.device_ids.vendor_id, r->ids.device_ids.device_id,
		       r->ids.device_ids.sub_vendor_id, r->ids.device_ids.sub_system_id,
		       r->ids.device_ids.revision_id);
	if (r->has_caps) {
		printf("  device type   %s\n", device_type_name(r->caps.device_type));
		printf("  memory        device-local %s, host-visible %s\n",
		       dxgctl_format_bytes(r->caps.device_local_bytes, local, sizeof(local)),
		       dxgctl_format_bytes(r->caps.host_visible_bytes, visible, sizeof(visible)));
		printf("  host driver   %s, Vulkan %u.%u.%u\n",
		       r->caps.driver_name[0] ? r->caps.driver_name : "?",
		       r->caps.api_version >> 22, (r->caps.api_version >> 12) & 0x3ff,
		       r->caps.api_version & 0xfff);
	}
	printf("  flags         %s\n", flags[0] ? flags : "-");
}

static json_object *adapter_json(const struct adapter_report *r)
{
	json_object *obj = json_object_new_object();
	char luid[32], flags[256];

	format_luid(r->info.adapter_luid, luid, sizeof(luid));
	flag_string(r, flags, sizeof(flags));
	json_object_object_add(obj, "handle", json_object_new_int64(r->info.adapter_handle.v));
	json_object_object_add(obj, "luid", json_object_new_string(luid));
	json_object_object_add(obj, "name", r->has_caps ?
				json_object_new_string(r->caps.device_name) : NULL);
	json_object_object_add(obj, "description", r->has_description ?
				json_object_new_string(r->description) : NULL);
	if (r->has_ids) {
		json_object_object_add(obj, "vendor_id",
				       json_object_new_int64(r->ids.device_ids.vendor_id));
		json_object_object_add(obj, "device_id",
				       json_object_new_int64(r->ids.device_ids.device_id));
		json_object_object_add(obj, "revision_id",
				       json_object_new_int64(r->ids.device_ids.revision_id));
	}
	if (r->has_type)
		json_object_object_add(obj, "adapter_type_bits",
				       json_object_new_int64(r->type_bits));
	if (r->has_wddm_2_7_caps)
		json_object_object_add(obj, "wddm_2_7_caps",
				       json_object_new_int64(r->wddm_2_7_caps));
	if (r->has_caps) {
		const char *type = device_type_name(r->caps.device_type);

		json_object_object_add(obj, "device_type", json_object_new_string(type));
		json_object_object_add(obj, "driver", json_object_new_string(r->caps.driver_name));
		json_object_object_add(obj, "api_version",
				       json_object_new_int64(r->caps.api_version));
		json_object_object_add(obj, "device_local_bytes",
				       json_object_new_int64((int64_t)r->caps.device_local_bytes));
		json_object_object_add(obj, "host_visible_bytes",
				       json_object_new_int64((int64_t)r->caps.host_visible_bytes));
		json_object_object_add(obj, "caps_flags", json_object_new_int64(r->caps.flags));
	}
	json_object_object_add(obj, "flags", json_object_new_string(flags));
	return obj;
}

/* Parses the only option the guest commands have. Returns 0, or DXGCTL_EXIT_USAGE. */
static int parse_json_option(int argc, char **argv, bool *json)
{
	static const struct option options[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	*json = false;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "jh", options, NULL)) != -1) {
		switch (opt) {
		case 'j':
			*json = true;
			break;
		case 'h':
			printf("usage: dxgctl %s [--json]\n", argv[0]);
			exit(DXGCTL_EXIT_OK);
		default:
			return DXGCTL_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		dxgctl_error("%s: unexpected argument '%s'", argv[0], argv[optind]);
		return DXGCTL_EXIT_USAGE;
	}
	return 0;
}

int dxgctl_adapters(int argc, char **argv)
{
	struct d3dkmt_adapterinfo *adapters = NULL;
	struct adapter_report *report;
	json_object *list = NULL;
	uint32_t count = 0;
	bool json;
	int fd, ret;

	ret = parse_json_option(argc, argv, &json);
	if (ret)
		return ret;
	fd = dxgctl_open_adapters(&adapters, &count, false);
	if (fd < 0)
		return DXGCTL_EXIT_FAILURE;
	/* Heap, not stack: each report holds a 12 KiB description. */
	report = calloc(1, sizeof(*report));
	if (!report) {
		dxgctl_error("out of memory");
		dxgctl_close_adapters(fd, adapters, count);
		return DXGCTL_EXIT_FAILURE;
	}
	if (json)
		list = json_object_new_array();
	else if (count == 0)
		printf("no adapters (is this VM attached to dxgd, and is dxgd running?)\n");
	for (uint32_t i = 0; i < count; i++) {
		memset(report, 0, sizeof(*report));
		report->info = adapters[i];
		describe_adapter(fd, report);
		if (json) {
			json_object_array_add(list, adapter_json(report));
		} else {
			if (i > 0)
				putchar('\n');
			print_adapter_text(i, report);
		}
	}
	if (json) {
		puts(json_object_to_json_string_ext(list, JSON_C_TO_STRING_PRETTY |
							  JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(list);
	}
	free(report);
	dxgctl_close_adapters(fd, adapters, count);
	return DXGCTL_EXIT_OK;
}

int dxgctl_stats(int argc, char **argv)
{
	struct d3dkmt_adapterinfo *adapters = NULL;
	struct opendxg_vm_stats stats;
	uint32_t count = 0;
	bool json;
	int fd, ret;

	ret = parse_json_option(argc, argv, &json);
	if (ret)
		return ret;
	fd = dxgctl_open_adapters(&adapters, &count, true);
	if (fd < 0)
		return DXGCTL_EXIT_FAILURE;
	/* The counters are per VM; any adapter's worker answers for the whole VM. */
	ret = d3dkmt_query_vm_stats(fd, adapters[0].adapter_handle, &stats);
	dxgctl_close_adapters(fd, adapters, count);
	if (ret < 0) {
		dxgctl_error("cannot read the VM counters: %s", strerror(-ret));
		return DXGCTL_EXIT_FAILURE;
	}
	if (json) {
		json_object *obj = json_object_new_object();

		json_object_object_add(obj, "generation", json_object_new_int64(stats.generation));
		json_object_object_add(obj, "processes", json_object_new_int64(stats.processes));
		json_object_object_add(obj, "open_adapters",
				       json_object_new_int64(stats.open_adapters));
		json_object_object_add(obj, "devices", json_object_new_int64(stats.devices));
		json_object_object_add(obj, "contexts", json_object_new_int64(stats.contexts));
		json_object_object_add(obj, "handles", json_object_new_int64(stats.handles));
		json_object_object_add(obj, "requests",
				       json_object_new_int64((int64_t)stats.requests));
		json_object_object_add(obj, "rejected",
				       json_object_new_int64((int64_t)stats.rejected));
		puts(json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PRETTY));
		json_object_put(obj);
		return DXGCTL_EXIT_OK;
	}
	printf("worker generation  %u\n", stats.generation);
	printf("processes          %u\n", stats.processes);
	printf("open adapters      %u\n", stats.open_adapters);
	printf("devices            %u\n", stats.devices);
	printf("contexts           %u\n", stats.contexts);
	printf("handles            %u\n", stats.handles);
	printf("requests served    %llu\n", (unsigned long long)stats.requests);
	printf("requests rejected  %llu\n", (unsigned long long)stats.rejected);
	return DXGCTL_EXIT_OK;
}

/* ---- dxgctl processes: ENUMPROCESSES + QUERYSTATISTICS ---- */

/* More nodes than this per adapter are not reported (opendxg adapters have one). */
#define PROCESS_NODES_MAX 64u

struct node_report {
	int64_t running_time;		/* 100 ns units */
	uint64_t queued;		/* queue packets submitted and not completed */
	uint64_t submitted;
	uint64_t completed;
};

struct process_report {
	uint32_t pid;
	char name[64];
	bool self;
	bool has_adapter;
	struct d3dkmt_querystatistics_process_adapter_information adapter;
	bool has_group[2];		/* D3DKMT_MEMORY_SEGMENT_GROUP_LOCAL, _NON_LOCAL */
	struct d3dkmt_querystatistics_process_segment_group_information group[2];
	uint32_t node_count;		/* nodes answered, in node[] */
	struct node_report node[PROCESS_NODES_MAX];
};

static void process_name(uint32_t pid, char *out, size_t size)
{
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/comm", pid);
	out[0] = '\0';
	f = fopen(path, "re");
	if (f) {
		if (fgets(out, (int)size, f))
			out[strcspn(out, "\n")] = '\0';
		fclose(f);
	}
	if (!out[0])
		snprintf(out, size, "?");
}

/*
 * One process on one adapter. Each statistic that the host does not answer is left out; a
 * process that went away meanwhile answers none.
 */
static void describe_process(int fd, struct winluid luid, uint32_t pid, struct process_report *r)
{
	struct d3dkmt_querystatistics_process_node_information node;
	uint32_t nodes = 1, i, t;

	r->pid = pid;
	r->self = pid == (uint32_t)getpid();
	process_name(pid, r->name, sizeof(r->name));
	r->has_adapter = d3dkmt_query_statistics(fd, D3DKMT_QUERYSTATISTICS_PROCESS_ADAPTER, luid,
						 (pid_t)pid, 0, &r->adapter,
						 sizeof(r->adapter)) == 0;
	for (i = 0; i < 2; i++)
		r->has_group[i] = d3dkmt_query_statistics(fd,
				D3DKMT_QUERYSTATISTICS_PROCESS_SEGMENT_GROUP, luid, (pid_t)pid,
				i, &r->group[i], sizeof(r->group[i])) == 0;
	if (r->has_adapter && r->adapter.node_count)
		nodes = r->adapter.node_count < PROCESS_NODES_MAX ? r->adapter.node_count :
								    PROCESS_NODES_MAX;
	for (i = 0; i < nodes; i++) {
		struct node_report *n = &r->node[r->node_count];

		if (d3dkmt_query_statistics(fd, D3DKMT_QUERYSTATISTICS_PROCESS_NODE, luid,
					    (pid_t)pid, i, &node, sizeof(node)) < 0)
			break;
		memset(n, 0, sizeof(*n));
		n->running_time = node.running_time;
		for (t = 0; t < D3DKMT_QUERYSTATISTICS_QUEUE_PACKET_TYPES; t++) {
			const struct d3dkmt_querystatistics_queue_packet_type_information *q =
				&node.packet_statistics.queue_packet[t];

			n->submitted += q->packet_submitted;
			n->completed += q->packet_completed;
			if (q->packet_submitted > q->packet_completed)
				n->queued += q->packet_submitted - q->packet_completed;
		}
		r->node_count++;
	}
}

static int64_t process_gpu_time_ns(const struct process_report *r)
{
	int64_t total = 0;

	for (uint32_t i = 0; i < r->node_count; i++)
		total += r->node[i].running_time * 100;
	return total;
}

static uint64_t process_queued(const struct process_report *r)
{
	uint64_t total = 0;

	for (uint32_t i = 0; i < r->node_count; i++)
		total += r->node[i].queued;
	return total;
}

static void print_process_text(const struct process_report *r)
{
	char local[32] = "-", host[32] = "-", gpu[32] = "-", queued[32] = "-";

	if (r->has_group[D3DKMT_MEMORY_SEGMENT_GROUP_LOCAL])
		dxgctl_format_bytes(r->group[D3DKMT_MEMORY_SEGMENT_GROUP_LOCAL].usage, local,
				    sizeof(local));
	if (r->has_group[D3DKMT_MEMORY_SEGMENT_GROUP_NON_LOCAL])
		dxgctl_format_bytes(r->group[D3DKMT_MEMORY_SEGMENT_GROUP_NON_LOCAL].usage, host,
				    sizeof(host));
	if (r->node_count) {
		snprintf(gpu, sizeof(gpu), "%.3f ms", (double)process_gpu_time_ns(r) / 1e6);
		snprintf(queued, sizeof(queued), "%llu", (unsigned long long)process_queued(r));
	}
	printf("  %-8u %-16s %12s %12s %14s %7s%s\n", r->pid, r->name, local, host, gpu, queued,
	       r->self ? "  (this dxgctl)" : "");
}

static json_object *process_json(const struct process_report *r)
{
	json_object *obj = json_object_new_object();
	static const char *const group_names[2] = { "local", "non_local" };

	json_object_object_add(obj, "pid", json_object_new_int64(r->pid));
	json_object_object_add(obj, "name", json_object_new_string(r->name));
	json_object_object_add(obj, "self", json_object_new_boolean(r->self));
	if (r->has_adapter) {
		json_object_object_add(obj, "node_count",
				       json_object_new_int64(r->adapter.node_count));
		json_object_object_add(obj, "segment_count",
				       json_object_new_int64(r->adapter.nb_segments));
	}
	for (uint32_t i = 0; i < 2; i++) {
		json_object *group;

		if (!r->has_group[i])
			continue;
		group = json_object_new_object();
		json_object_object_add(group, "usage_bytes",
				       json_object_new_int64((int64_t)r->group[i].usage));
		json_object_object_add(group, "budget_bytes",
				       json_object_new_int64((int64_t)r->group[i].budget));
		json_object_object_add(group, "requested_bytes",
				       json_object_new_int64((int64_t)r->group[i].requested));
		json_object_object_add(obj, group_names[i], group);
	}
	if (r->node_count) {
		json_object *nodes = json_object_new_array();

		json_object_object_add(obj, "gpu_time_ns",
				       json_object_new_int64(process_gpu_time_ns(r)));
		json_object_object_add(obj, "queued_packets",
				       json_object_new_int64((int64_t)process_queued(r)));
		for (uint32_t i = 0; i < r->node_count; i++) {
			json_object *n = json_object_new_object();

			json_object_object_add(n, "node", json_object_new_int64(i));
			json_object_object_add(n, "running_time_ns",
					       json_object_new_int64(r->node[i].running_time * 100));
			json_object_object_add(n, "queued_packets",
					       json_object_new_int64((int64_t)r->node[i].queued));
			json_object_object_add(n, "submitted_packets",
					       json_object_new_int64((int64_t)r->node[i].submitted));
			json_object_object_add(n, "completed_packets",
					       json_object_new_int64((int64_t)r->node[i].completed));
			json_object_array_add(nodes, n);
		}
		json_object_object_add(obj, "nodes", nodes);
	}
	return obj;
}

int dxgctl_processes(int argc, char **argv)
{
	struct d3dkmt_adapterinfo *adapters = NULL;
	struct process_report *report;
	json_object *list = NULL;
	uint32_t count = 0;
	int status = DXGCTL_EXIT_OK;
	bool json;
	int fd, ret;

	ret = parse_json_option(argc, argv, &json);
	if (ret)
		return ret;
	fd = dxgctl_open_adapters(&adapters, &count, false);
	if (fd < 0)
		return DXGCTL_EXIT_FAILURE;
	report = calloc(1, sizeof(*report));
	if (!report) {
		dxgctl_error("out of memory");
		dxgctl_close_adapters(fd, adapters, count);
		return DXGCTL_EXIT_FAILURE;
	}
	if (json)
		list = json_object_new_array();
	else if (count == 0)
		printf("no adapters (is this VM attached to dxgd, and is dxgd running?)\n");
	for (uint32_t i = 0; i < count; i++) {
		struct winluid luid = adapters[i].adapter_luid;
		json_object *adapter_obj = NULL, *procs = NULL;
		uint32_t *pids = NULL, npids = 0;
		char luid_text[32];

		format_luid(luid, luid_text, sizeof(luid_text));
		ret = d3dkmt_enum_processes_alloc(fd, luid, &pids, &npids);
		if (ret < 0) {
			dxgctl_error("adapter %s: cannot enumerate processes: %s", luid_text,
				     strerror(-ret));
			status = DXGCTL_EXIT_FAILURE;
			continue;
		}
		if (json) {
			adapter_obj = json_object_new_object();
			procs = json_object_new_array();
			json_object_object_add(adapter_obj, "luid",
					       json_object_new_string(luid_text));
			json_object_object_add(adapter_obj, "processes", procs);
			json_object_array_add(list, adapter_obj);
		} else {
			if (i > 0)
				putchar('\n');
			printf("adapter %u (luid %s): %u process%s\n", i, luid_text, npids,
			       npids == 1 ? "" : "es");
			if (npids)
				printf("  %-8s %-16s %12s %12s %14s %7s\n", "PID", "NAME",
				       "LOCAL MEM", "HOST MEM", "GPU TIME", "QUEUED");
		}
		for (uint32_t p = 0; p < npids; p++) {
			memset(report, 0, sizeof(*report));
			describe_process(fd, luid, pids[p], report);
			if (json)
				json_object_array_add(procs, process_json(report));
			else
				print_process_text(report);
		}
		free(pids);
	}
	if (json) {
		puts(json_object_to_json_string_ext(list, JSON_C_TO_STRING_PRETTY |
							  JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(list);
	}
	free(report);
	dxgctl_close_adapters(fd, adapters, count);
	return status;
}
