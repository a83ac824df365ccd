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
	loop->paused = NULL;
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
	source->events = events;
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

	source->events = events;
	if (source->paused)
		return true;	/* applied when it resumes */
	if (epoll_ctl(loop->epoll_fd, EPOLL_CTL_MOD, source->fd, &ev) < 0) {
		log_error("epoll_ctl(MOD, %d): %s", source->fd, strerror(errno));
		return false;
	}
	return true;
}

static void unlink_paused(struct loop *loop, struct loop_source *source)
{
	for (struct loop_source **link = &loop->paused; *link; link = &(*link)->next_paused) {
		if (*link == source) {
			*link = source->next_paused;
			break;
		}
	}
	source->paused = false;
	source->next_paused = NULL;
}

void loop_remove(struct loop *loop, struct loop_source *source)
{
	if (!source || source->removed)
		return;
	if (source->paused)
		unlink_paused(loop, source);
	/*
	 * Explicit removal, not close(): a forked worker may briefly hold a duplicate of the fd
	 * (between fork and exec), and epoll keys registrations on the open file, not the fd.
	 */
	epoll_ctl(loop->epoll_fd, EPOLL_CTL_DEL, source->fd, NULL);
	source->removed = true;
	source->next_removed = loop->removed;
	loop->removed = source;
}

void loop_pause(struct loop *loop, struct loop_source *source, uint32_t ms)
{
	struct epoll_event ev = { .events = 0, .data.ptr = source };

	if (!source || source->removed || source->paused)
		return;
	/* Still registered, so resuming is a MOD and HUP/ERR could still be reported. */
	if (epoll_ctl(loop->epoll_fd, EPOLL_CTL_MOD, source->fd, &ev) < 0) {
		log_error("epoll_ctl(MOD, %d): %s", source->fd, strerror(errno));
		return;
	}
	source->paused = true;
	source->resume_ms = loop_now_ms() + ms;
	source->next_paused = loop->paused;
	loop->paused = source;
}

/* Resumes the paused sources that are due; returns ms until the next one is, or -1. */
static int resume_paused(struct loop *loop)
{
	uint64_t now = loop_now_ms();
	struct loop_source *source = loop->paused;
	int wait = -1;

	while (source) {
		struct loop_source *next = source->next_paused;

		if (source->resume_ms <= now) {
			unlink_paused(loop, source);
			loop_modify(loop, source, source->events);
		} else if (wait < 0 || source->resume_ms - now < (uint64_t)wait) {
			wait = (int)(source->resume_ms - now);
		}
		source = next;
	}
	return wait;
}

bool loop_dispatch(struct loop *loop, int timeout_ms)
{
	struct epoll_event events[LOOP_MAX_EVENTS];
	int resume_in = resume_paused(loop);
	int n;

	if (resume_in >= 0 && (timeout_ms < 0 || resume_in < timeout_ms))
		timeout_ms = resume_in;
	n = epoll_wait(loop->epoll_fd, events, LOOP_MAX_EVENTS, timeout_ms);

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
