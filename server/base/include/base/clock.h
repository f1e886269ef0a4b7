/*
 * base/clock.h - the clocks: the wall clock in seconds (token times), a
 * monotonic clock (durations, deadlines), and log timestamps.
 */
#ifndef JOTD_BASE_CLOCK_H
#define JOTD_BASE_CLOCK_H

#include <stddef.h>
#include <stdint.h>

/* Seconds since the epoch (wall clock). */
int64_t jotd_now(void);
/* A monotonic clock in nanoseconds, for measuring durations. */
uint64_t jotd_mono_ns(void);
/* An RFC 3339 UTC timestamp with milliseconds into out (at least 32). */
void jotd_timestamp(char *out, size_t n);

#endif
