/*
 * server/auth/throttle.h - failed logins counted per username and per client
 * address within a window. An attempt is admitted, slowed or refused before
 * any password is hashed, and the check and the count happen under one lock:
 * attempts still in flight count as failures, so parallel attempts cannot
 * slip past the limit together.
 */
#ifndef JOTD_AUTH_THROTTLE_H
#define JOTD_AUTH_THROTTLE_H

#include <stddef.h>
#include <stdint.h>

typedef struct jotd_throttle jotd_throttle;

/* At most max_entries usernames and as many addresses are tracked; seed
 * keys the hash of the tables (random, so that clients cannot aim names at
 * one bucket). */
jotd_throttle *jotd_throttle_new(unsigned user_limit, unsigned addr_limit, unsigned slow_after, int64_t window,
                                 size_t max_entries, uint64_t seed);
void jotd_throttle_free(jotd_throttle *t);

/* Admit one attempt: 0 with *delay_ms (0: none) to wait before checking the
 * password, or -1 (refused: answer 429) with *retry_after in seconds. The
 * limits count failures and attempts still in flight; the delay grows with
 * the username's failures alone.
 * Every admitted attempt must be ended with jotd_throttle_end. */
int jotd_throttle_begin(jotd_throttle *t, const char *user, const char *addr, int64_t now, unsigned *delay_ms,
                        unsigned *retry_after);
enum { JOTD_ATTEMPT_FAILED = 0, JOTD_ATTEMPT_SUCCEEDED = 1, JOTD_ATTEMPT_CANCELLED = 2 };
void jotd_throttle_end(jotd_throttle *t, const char *user, const char *addr, int outcome, int64_t now);
/* Forget entries whose window has passed. */
void jotd_throttle_sweep(jotd_throttle *t, int64_t now);

#endif
