/*
 * base/text.h - text from clients: ASCII case-insensitive comparison, UTF-8,
 * IP addresses.
 */
#ifndef JOTD_BASE_TEXT_H
#define JOTD_BASE_TEXT_H

#include <stddef.h>

/* ASCII case-insensitive comparison (locale independent). */
int jotd_strcaseeq(const char *a, const char *b);
int jotd_strncaseeq(const char *a, const char *b, size_t n);

/* Length of the valid UTF-8 sequence at s (n bytes left; RFC 3629 4), or
 * 0 when none starts there. */
size_t jotd_utf8_seq(const unsigned char *s, size_t n);
/* Copy src into dst (n > 0 bytes, NUL-terminated) as valid UTF-8: a byte
 * that starts no valid sequence becomes '?', and the copy is cut at a
 * character boundary. For text from clients that a store must accept
 * (PostgreSQL refuses invalid UTF-8). */
void jotd_utf8_copy(char *dst, size_t n, const char *src);

/* The value of hexadecimal digit c (either case), or -1. */
int jotd_hex_digit(int c);

/* Whether s is a numeric IPv4 or IPv6 address. */
int jotd_ip_valid(const char *s);
/* The network a client address stands for, as text into out (n >= 64):
 * an IPv6 address's /64 ("2001:db8:1:2::/64"; one subscriber commonly
 * holds a whole /64, so its addresses are one client), anything else
 * (IPv4, an IPv4-mapped IPv6 address, what does not parse) as it is. */
void jotd_ip_network(const char *addr, char *out, size_t n);

#endif
