// SPDX-License-Identifier: MIT
#include "broker_loop.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define LOOP_MAX_EVENTS 32

uint64_t loop_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

bool loop_init(struct loop *loop)
{
	loop->removed = NULL;
	loop->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epoll_fd < 0) {
		log_error("epoll_create1: %s", strerror(errno));
		return false;
	}
	return true;
}

static void free_removed(struct loop *loop)
{
	while (loop->removed) {
		struct loop_source *next = loop->removed->next_removed;

		free(loop->removed);
		loop->removed = next;
	}
}

void loop_fini(struct loop *loop)
{
	free_removed(loop);
	if (loop->epoll_fd >= 0)
		close(loop->epoll_fd);
	loop->epoll_fd = -1;
}

struct loop_source *loop_add(struct loop *loop, int fd, uint32_t events, loop_handler handler,
			     void *data)
{
	struct loop_source *source = calloc(1, sizeof(*source));
	struct epoll_event ev = { .events = events };

	if (!source) {
		log_error("out of memory adding fd %d to the event loop", fd);
		return NULL;
	}
	source->fd = fd;
	source->handler = handler;
	source->data = data;
	ev.data.ptr = source;
	if (epoll_ctl(loop->epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		log_error("epoll_ctl(ADD, %d): %s", fd, strerror(errno));
		free(source);
		return NULL;
	}
	return source;
}

bool loop_modify(struct loop *loop, struct loop_source *source, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = source };

	if (epoll_ctl(loop->epoll_fd, EPOLL_CTL_MOD, source->fd, &ev) < 0) {
		log_error("epoll_ctl(MOD, %d): %s", source->fd, strerror(errno));
		return false;
	}
	return true;
}

void loop_remove(struct loop *loop, struct loop_source *source)
{
	if (!source || source->removed)
		return;
	/*
	 * Explicit removal, not close(): a forked worker may briefly hold a duplicate of the fd
	 * (between fork and exec), and epoll keys registrations on the open file, not the fd.
	 */
	epoll_ctl(loop->epoll_fd, EPOLL_CTL_DEL, source->fd, NULL);
	source->removed = true;
	source->next_removed = loop->removed;
	loop->removed = source;
}

bool loop_dispatch(struct loop *loop, int timeout_ms)
{
	struct epoll_event events[LOOP_MAX_EVENTS];
	int n = epoll_wait(loop->epoll_fd, events, LOOP_MAX_EVENTS, timeout_ms);

	if (n < 0) {
		if (errno == EINTR)
			return true;
		log_error("epoll_wait: %s", strerror(errno));
		return false;
	}
	for (int i = 0; i < n; i++) {
		struct loop_source *source = events[i].data.ptr;

		if (!source->removed)
			source->handler(source, events[i].events);
	}
	free_removed(loop);
	return true;
}
