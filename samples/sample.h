/* SPDX-License-Identifier: MIT */
/*
 * What the dxgc samples share: opening the device from the command line, the summary lines every
 * sample prints, a deterministic random generator for inputs, and a wall clock for the report.
 *
 * Exit status of every sample: 0 the result matched the CPU reference, 1 it did not, 2 usage,
 * 3 the device failed (no /dev/dxg, no adapter, a call failed or the device was lost).
 */
#ifndef DXGC_SAMPLE_H
#define DXGC_SAMPLE_H

#include <stdint.h>

#include "dxgc.h"

#define SAMPLE_EXIT_MISMATCH 1
#define SAMPLE_EXIT_USAGE 2
#define SAMPLE_EXIT_DEVICE 3

struct sample {
	const char *name;		/* "dxgc-saxpy" */
	struct dxgc_device *dev;
	uint64_t n;			/* --n, or the sample's default */
	double start_ms;
};

/*
 * Parses [--adapter N] [--n COUNT] [--help], opens the device and prints the first summary line
 * (guest name, adapter, sizes come later). Exits with SAMPLE_EXIT_USAGE or SAMPLE_EXIT_DEVICE.
 */
void sample_start(struct sample *s, const char *name, uint64_t default_n, uint64_t max_n,
		  int argc, char **argv);
/* Prints "NAME: WHAT: error" (and the device's fault when it was lost); returns exit status 3. */
int sample_fail(struct sample *s, const char *what, int err);
/* Prints the verdict line, closes the device; returns 0 when @pass, else 1. */
int sample_finish(struct sample *s, int pass, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

double sample_now_ms(void);

/* xorshift64*: the same inputs on every run, any machine. */
static inline uint64_t sample_random(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545f4914f6cdd1dull;
}

/* A float in [-1, 1). */
static inline float sample_random_float(uint64_t *state)
{
	return (float)((double)(sample_random(state) >> 40) / (double)(1ull << 23) - 1.0);
}

#endif /* DXGC_SAMPLE_H */
