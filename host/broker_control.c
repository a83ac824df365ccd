// SPDX-License-Identifier: MIT
/*
 * The control socket: one command line in, one JSON document out, then close. Every client is
 * non-blocking with a deadline per phase, so a client that never writes, never reads, or a worker
 * that never answers costs a slot and some memory for a bounded time, never the loop.
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "broker.h"
#include "log.h"

#ifndef DXGD_VERSION
#define DXGD_VERSION "unknown"
#endif

#define CONTROL_MAX_CLIENTS 16
#define CONTROL_LINE_MAX 256
#define CONTROL_READ_TIMEOUT_MS 2000u
#define CONTROL_STATUS_TIMEOUT_MS 2000u
#define CONTROL_WRITE_TIMEOUT_MS 5000u

enum control_phase {
	CONTROL_READING,	/* waiting for the command line */
	CONTROL_WAITING,	/* status: waiting for workers */
	CONTROL_WRITING,	/* sending the answer */
};

struct control_client {
	struct broker *broker;
	struct control_client *next;
	uint64_t id;
	int fd;
	struct loop_source *source;
	enum control_phase phase;
	uint64_t deadline_ms;

	char line[CONTROL_LINE_MAX];
	size_t line_len;

	/* status: one slot per VM; `worker_answered` tells a null answer from a pending one */
	struct json_object **worker_json;
	bool *worker_answered;
	size_t pending;

	char *out;
	size_t out_len;
	size_t out_off;
};

static void client_free(struct control_client *client)
{
	struct broker *broker = client->broker;
	struct control_client **link;

	for (link = &broker->clients; *link; link = &(*link)->next) {
		if (*link == client) {
			*link = client->next;
			break;
		}
	}
	broker->client_count--;
	loop_remove(&broker->loop, client->source);
	close(client->fd);
	if (client->worker_json) {
		for (size_t i = 0; i < broker->vm_count; i++)
			json_object_put(client->worker_json[i]);
	}
	free(client->worker_json);
	free(client->worker_answered);
	free(client->out);
	free(client);
}

static struct control_client *client_find(struct broker *broker, uint64_t id)
{
	for (struct control_client *c = broker->clients; c; c = c->next) {
		if (c->id == id)
			return c;
	}
	return NULL;
}

/*
 * Closing a unix socket with unread input resets the connection, and the peer would get
 * ECONNRESET instead of our answer (say, after an over-long command): discard what is queued.
 */
static void drain_input(int fd)
{
	char discard[1024];

	for (int i = 0; i < 64; i++) {
		if (recv(fd, discard, sizeof(discard), MSG_DONTWAIT) <= 0)
			return;
	}
}

static void client_write_some(struct control_client *client)
{
	while (client->out_off < client->out_len) {
		ssize_t n = send(client->fd, client->out + client->out_off,
				 client->out_len - client->out_off, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return;		/* EPOLLOUT brings us back */
			log_debug("control client: send: %s", strerror(errno));
			client_free(client);
			return;
		}
		client->out_off += (size_t)n;
	}
	drain_input(client->fd);
	client_free(client);
}

/* Takes ownership of `doc`. */
static void client_answer(struct control_client *client, struct json_object *doc)
{
	const char *text = doc ? json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN |
								    JSON_C_TO_STRING_NOSLASHESCAPE)
			       : NULL;
	size_t len;

	if (!text) {
		log_error("control: cannot serialize the answer");
		json_object_put(doc);
		client_free(client);
		return;
	}
	len = strlen(text);
	client->out = malloc(len + 1);
	if (!client->out) {
		log_error("control: out of memory");
		json_object_put(doc);
		client_free(client);
		return;
	}
	memcpy(client->out, text, len);
	client->out[len] = '\n';
	client->out_len = len + 1;
	client->out_off = 0;
	json_object_put(doc);

	client->phase = CONTROL_WRITING;
	client->deadline_ms = loop_now_ms() + CONTROL_WRITE_TIMEOUT_MS;
	if (!loop_modify(&client->broker->loop, client->source, EPOLLOUT)) {
		client_free(client);
		return;
	}
	client_write_some(client);
}

static void client_answer_error(struct control_client *client, const char *message)
{
	struct json_object *doc = json_object_new_object();

	if (doc)
		json_object_object_add(doc, "error", json_object_new_string(message));
	client_answer(client, doc);
}

static struct json_object *json_u64_or_null(bool present, uint64_t value)
{
	return present ? json_object_new_int64((int64_t)value) : NULL;
}

static struct json_object *vm_status(struct vm *vm, struct json_object *worker)
{
	struct json_object *o = json_object_new_object();
	bool connected = vm->client_fd >= 0;
	bool has_worker = vm->worker_pid > 0;
	bool ready = vm->worker_state == WORKER_READY;

	if (!o) {
		json_object_put(worker);
		return NULL;
	}
	json_object_object_add(o, "name", json_object_new_string(vm->cfg->name));
	json_object_object_add(o, "socket", json_object_new_string(vm->cfg->socket));
	json_object_object_add(o, "region_size",
			       json_object_new_int64((int64_t)vm->cfg->region_size));
	json_object_object_add(o, "connected", json_object_new_boolean(connected));
	json_object_object_add(o, "peer_id", json_u64_or_null(connected, vm->peer_id));
	json_object_object_add(o, "worker_pid",
			       json_u64_or_null(has_worker, (uint64_t)vm->worker_pid));
	json_object_object_add(o, "worker_state",
			       json_object_new_string(worker_state_name(vm->worker_state)));
	json_object_object_add(o, "generation", json_object_new_int64(vm->generation));
	json_object_object_add(o, "worker_restarts",
			       json_object_new_int64(vm->starts ? vm->starts - 1 : 0));
	json_object_object_add(o, "worker_crashes", json_object_new_int64(vm->crashes));
	json_object_object_add(o, "adapter_count", json_u64_or_null(ready, vm->adapter_count));
	json_object_object_add(o, "ready_ms_ago",
			       json_u64_or_null(ready, loop_now_ms() - vm->ready_at_ms));
	json_object_object_add(o, "worker", worker);
	return o;
}

static void client_answer_status(struct control_client *client)
{
	struct broker *broker = client->broker;
	struct json_object *doc = json_object_new_object();
	struct json_object *vms = json_object_new_array();

	if (!doc || !vms) {
		json_object_put(doc);
		json_object_put(vms);
		client_answer_error(client, "out of memory");
		return;
	}
	for (size_t i = 0; i < broker->vm_count; i++) {
		struct json_object *vm = vm_status(&broker->vms[i], client->worker_json[i]);

		/* Ownership of the worker's document moved into vm_status(). */
		client->worker_json[i] = NULL;
		if (vm)
			json_object_array_add(vms, vm);
	}
	json_object_object_add(doc, "version", json_object_new_string(DXGD_VERSION));
	json_object_object_add(doc, "vms", vms);
	client_answer(client, doc);
}

static void client_start_status(struct control_client *client)
{
	struct broker *broker = client->broker;

	client->worker_json = calloc(broker->vm_count, sizeof(*client->worker_json));
	client->worker_answered = calloc(broker->vm_count, sizeof(*client->worker_answered));
	if (!client->worker_json || !client->worker_answered) {
		client_answer_error(client, "out of memory");
		return;
	}
	client->pending = 0;
	for (size_t i = 0; i < broker->vm_count; i++) {
		if (broker_request_status(&broker->vms[i], client->id))
			client->pending++;
		else
			client->worker_answered[i] = true;	/* null */
	}
	if (client->pending == 0) {
		client_answer_status(client);
		return;
	}
	client->phase = CONTROL_WAITING;
	client->deadline_ms = loop_now_ms() + CONTROL_STATUS_TIMEOUT_MS;
	/*
	 * Stop reading: a client that half-closed after its command would otherwise keep the
	 * level-triggered EPOLLIN firing. A full hang-up still arrives (EPOLLHUP is implicit).
	 */
	if (!loop_modify(&broker->loop, client->source, 0))
		client_free(client);
}

static void client_run_command(struct control_client *client)
{
	char *cmd = client->line;
	size_t len = client->line_len;

	while (len && (cmd[len - 1] == '\n' || cmd[len - 1] == '\r' || cmd[len - 1] == ' ' ||
		       cmd[len - 1] == '\t'))
		len--;
	while (len && (*cmd == ' ' || *cmd == '\t')) {
		cmd++;
		len--;
	}
	cmd[len] = '\0';
	log_debug("control: command '%s'", cmd);

	if (strcmp(cmd, "status") == 0) {
		client_start_status(client);
	} else if (strcmp(cmd, "ping") == 0) {
		struct json_object *doc = json_object_new_object();

		if (doc)
			json_object_object_add(doc, "ok", json_object_new_boolean(true));
		client_answer(client, doc);
	} else {
		client_answer_error(client, "unknown command");
	}
}

static void client_handle_read(struct control_client *client)
{
	for (;;) {
		size_t room = sizeof(client->line) - 1 - client->line_len;
		ssize_t n;
		char *newline;

		if (room == 0) {
			client_answer_error(client, "command too long");
			return;
		}
		n = recv(client->fd, client->line + client->line_len, room, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				client_free(client);
			return;
		}
		if (n == 0) {
			/* EOF: a command without its newline (printf status | ...) still counts. */
			if (client->line_len == 0) {
				client_free(client);
				return;
			}
			client_run_command(client);
			return;
		}
		newline = memchr(client->line + client->line_len, '\n', (size_t)n);
		client->line_len += (size_t)n;
		if (newline) {
			client->line_len = (size_t)(newline - client->line);
			client_run_command(client);
			return;
		}
	}
}

static void client_handle(struct loop_source *source, uint32_t events)
{
	struct control_client *client = source->data;

	switch (client->phase) {
	case CONTROL_READING:
		if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
			client_handle_read(client);
		return;
	case CONTROL_WAITING:
		/* Only a hang-up can arrive: nobody is left to answer. */
		client_free(client);
		return;
	case CONTROL_WRITING:
		if (events & (EPOLLERR | EPOLLHUP))
			client_free(client);
		else
			client_write_some(client);
		return;
	}
}

static void control_accept(struct loop_source *source, uint32_t events)
{
	struct broker *broker = source->data;
	struct control_client *client;
	int fd;

	(void)events;
	fd = accept4(broker->control_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0) {
		static struct dxg_ratelimit accept_rl = DXG_RATELIMIT_INIT(10000, 5);

		broker_accept_failed(broker, source, errno, "control", &accept_rl);
		return;
	}
	if (broker->client_count >= CONTROL_MAX_CLIENTS) {
		static struct dxg_ratelimit rl = DXG_RATELIMIT_INIT(10000, 3);

		dxg_log_limited(&rl, DXG_LOG_WARN, "control: too many clients, refused one");
		close(fd);
		return;
	}
	client = calloc(1, sizeof(*client));
	if (!client) {
		close(fd);
		return;
	}
	client->broker = broker;
	client->id = broker->next_client_id++;
	client->fd = fd;
	client->phase = CONTROL_READING;
	client->deadline_ms = loop_now_ms() + CONTROL_READ_TIMEOUT_MS;
	client->source = loop_add(&broker->loop, fd, EPOLLIN, client_handle, client);
	if (!client->source) {
		close(fd);
		free(client);
		return;
	}
	client->next = broker->clients;
	broker->clients = client;
	broker->client_count++;
}

/*
 * The worker's reply is its own business, but it must be one JSON value and nothing else: it is
 * parsed with an explicit length (the text carries no NUL) and rejected if anything trails it.
 */
static struct json_object *parse_worker_json(struct broker *broker, size_t vm_index,
					     const char *text, size_t len)
{
	struct json_tokener *tok;
	struct json_object *obj;
	enum json_tokener_error err;
	size_t end;

	if (len == 0 || len > INT32_MAX) {
		log_warn("vm %s: worker status reply is empty or too large",
			 broker->vms[vm_index].cfg->name);
		return NULL;
	}
	tok = json_tokener_new();
	if (!tok)
		return NULL;
	obj = json_tokener_parse_ex(tok, text, (int)len);
	err = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	while (end < len && (text[end] == ' ' || text[end] == '\n' || text[end] == '\t' ||
			     text[end] == '\r'))
		end++;
	if (!obj || err != json_tokener_success || end != len) {
		log_warn("vm %s: worker status reply is not valid JSON (%s)",
			 broker->vms[vm_index].cfg->name,
			 obj && err == json_tokener_success ? "trailing data"
							    : json_tokener_error_desc(err));
		json_object_put(obj);
		return NULL;
	}
	return obj;
}

void control_worker_status(struct broker *broker, uint64_t client_id, size_t vm_index,
			   const char *json, size_t len)
{
	struct control_client *client = client_find(broker, client_id);

	if (!client || client->phase != CONTROL_WAITING || client->worker_answered[vm_index])
		return;		/* that client timed out or left: drop the late answer */
	client->worker_answered[vm_index] = true;
	if (json)
		client->worker_json[vm_index] = parse_worker_json(broker, vm_index, json, len);
	if (--client->pending == 0)
		client_answer_status(client);
}

int control_run_timers(struct broker *broker, uint64_t now_ms)
{
	struct control_client *client = broker->clients;
	int timeout = -1;

	while (client) {
		struct control_client *next = client->next;

		if (client->deadline_ms <= now_ms) {
			switch (client->phase) {
			case CONTROL_READING:
			case CONTROL_WRITING:
				log_debug("control: client timed out");
				client_free(client);
				break;
			case CONTROL_WAITING:
				for (size_t i = 0; i < broker->vm_count; i++) {
					if (!client->worker_answered[i])
						log_warn("vm %s: worker did not answer a status "
							 "request in time",
							 broker->vms[i].cfg->name);
				}
				client_answer_status(client);
				break;
			}
			/* Answering may set a new (write) deadline: look again next round. */
			timeout = 0;
		} else {
			uint64_t wait = client->deadline_ms - now_ms;

			if (timeout < 0 || wait < (uint64_t)timeout)
				timeout = (int)wait;
		}
		client = next;
	}
	return timeout;
}

bool control_start(struct broker *broker)
{
	broker->control_fd = socket_listen(broker->cfg->control, &broker->cfg->control_access,
					   &broker->control_file);
	if (broker->control_fd < 0)
		return false;
	broker->control_source = loop_add(&broker->loop, broker->control_fd, EPOLLIN,
					  control_accept, broker);
	return broker->control_source != NULL;
}

void control_stop(struct broker *broker)
{
	while (broker->clients)
		client_free(broker->clients);
	loop_remove(&broker->loop, broker->control_source);
	broker->control_source = NULL;
	if (broker->control_fd >= 0)
		close(broker->control_fd);
	broker->control_fd = -1;
	socket_file_unlink(&broker->control_file);
}
