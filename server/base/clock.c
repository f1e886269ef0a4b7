/* server/base/clock.c - see base/clock.h */
#include "base/clock.h"

#include <stdio.h>
#include <time.h>

int64_t jotd_now(void)
{
    return (int64_t)time(NULL);
}

uint64_t jotd_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The formatted second is kept per thread: a request's log line then costs
 * one clock read and a few bytes of copying, not a gmtime_r and a
 * snprintf. */
void jotd_timestamp(char *out, size_t n)
{
    static _Thread_local time_t cached_sec = -1;
    static _Thread_local char cached[64]; /* "YYYY-MM-DDTHH:MM:SS" */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    if (ts.tv_sec != cached_sec) {
        struct tm tm;
        gmtime_r(&ts.tv_sec, &tm);
        snprintf(cached, sizeof cached, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
                 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
        cached_sec = ts.tv_sec;
    }
    unsigned ms = (unsigned)(ts.tv_nsec / 1000000L);
    char tail[6] = {'.', (char)('0' + ms / 100), (char)('0' + ms / 10 % 10), (char)('0' + ms % 10), 'Z', '\0'};
    snprintf(out, n, "%s%s", cached, tail);
}
