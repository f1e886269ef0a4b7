/*
 * examples/sign.c - issue a short-lived access token.
 *
 *   cc sign.c $(pkg-config --cflags --libs jot) -o sign
 *   ./sign key.jwk alice
 *
 * KEY is a private JWK (for instance from `jot keygen --alg ES256`).
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <jot/jot.h>

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s KEY SUBJECT\n", argv[0]);
        return 2;
    }
    FILE *f = fopen(argv[1], "rb");
    char buf[16384];
    size_t len = f ? fread(buf, 1, sizeof buf, f) : 0;
    if (f)
        fclose(f);
    jot_key *key;
    if (jot_key_from_jwk(buf, len, &key) != JOT_OK) {
        fprintf(stderr, "cannot load a JWK from %s\n", argv[1]);
        return 2;
    }
    /* The key's own "alg" (or ES256 when it names none). */
    jot_alg alg = jot_key_alg(key) ? jot_key_alg(key) : JOT_ES256;

    jot_builder *b;
    char *token = NULL;
    int64_t now = (int64_t)time(NULL);
    jot_status s = jot_builder_new(&b);
    if (s == JOT_OK)
        s = jot_builder_set_string(b, "iss", "https://auth.example.com");
    if (s == JOT_OK)
        s = jot_builder_set_string(b, "aud", "api.example.com");
    if (s == JOT_OK)
        s = jot_builder_set_string(b, "sub", argv[2]);
    if (s == JOT_OK)
        s = jot_builder_set_int(b, "iat", now);
    if (s == JOT_OK)
        s = jot_builder_set_int(b, "exp", now + 600);
    if (s == JOT_OK)
        s = jot_builder_sign(b, key, alg, &token);
    if (s == JOT_OK)
        puts(token);
    else
        fprintf(stderr, "cannot sign: %s\n", jot_strerror(s));
    jot_free(token);
    jot_builder_free(b);
    jot_key_free(key);
    return s == JOT_OK ? 0 : 1;
}
