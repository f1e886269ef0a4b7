/*
 * base/log.h - jotd's log: one JSON object per line on stderr.
 */
#ifndef JOTD_BASE_LOG_H
#define JOTD_BASE_LOG_H

#include <stddef.h>

/* Write one JSON log line to stderr: {"ts":...,"level":...,"msg":...,
 * key: value...}. The variadic part is pairs of const char * (key, value)
 * ended by NULL; values are written as JSON strings. Lines from several
 * threads never interleave. Never pass a secret. */
void jotd_log(const char *level, const char *msg, ...);
/* Start a log line in b: {"ts":...,"level":...,"msg":... (the caller
 * adds members, the closing brace, and writes it with jotd_log_raw). */
struct jotd_buf;
void jotd_log_head(struct jotd_buf *b, const char *level, const char *msg);
/* Write an already formatted JSON object (without newline) as one line. */
void jotd_log_raw(const char *json, size_t len);
/* From jotd_log_start on, lines go through a writer thread in batches (a
 * request thread never blocks on stderr); jotd_log_stop writes what is left
 * and joins it. Without them every line is a write(2) of its own. */
void jotd_log_start(void);
void jotd_log_stop(void);

#endif
