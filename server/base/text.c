/* server/base/text.c - see base/text.h */
#include "base/text.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include <jot/util.h>

static int lower(int c)
{
    return (c >= 'A' && c <= 'Z') ? c + 32 : c;
}

int jotd_strcaseeq(const char *a, const char *b)
{
    while (*a && *b) {
        if (lower((unsigned char)*a) != lower((unsigned char)*b))
            return 0;
        a++;
        b++;
    }
    return *a == *b;
}

int jotd_strncaseeq(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (lower((unsigned char)a[i]) != lower((unsigned char)b[i]))
            return 0;
        if (!a[i])
            return 1;
    }
    return 1;
}

size_t jotd_utf8_seq(const unsigned char *s, size_t n)
{
    /* The lead byte says how long the sequence would be; libjot's
     * validator (the one UTF-8 check) says whether it is. */
    unsigned c = s[0];
    size_t len = c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
    return len <= n && jot_utf8_valid((const char *)s, len) ? len : 0;
}

int jotd_hex_digit(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

void jotd_ip_network(const char *addr, char *out, size_t n)
{
    struct in6_addr a6;
    char text[INET6_ADDRSTRLEN];
    if (strchr(addr, ':') && inet_pton(AF_INET6, addr, &a6) == 1 && !IN6_IS_ADDR_V4MAPPED(&a6)) {
        memset(a6.s6_addr + 8, 0, 8);
        if (inet_ntop(AF_INET6, &a6, text, sizeof text)) {
            snprintf(out, n, "%s/64", text);
            return;
        }
    }
    snprintf(out, n, "%s", addr);
}

int jotd_ip_valid(const char *s)
{
    unsigned char buf[16];
    return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

void jotd_utf8_copy(char *dst, size_t n, const char *src)
{
    const unsigned char *p = (const unsigned char *)src;
    size_t o = 0, left = strlen(src);
    while (*p) {
        size_t len = jotd_utf8_seq(p, left);
        if (o + (len ? len : 1) >= n)
            break;
        if (len) {
            memcpy(dst + o, p, len);
            o += len;
            p += len;
            left -= len;
        } else {
            dst[o++] = '?';
            p++;
            left--;
        }
    }
    dst[o] = '\0';
}
