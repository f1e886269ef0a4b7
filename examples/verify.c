/*
 * examples/verify.c - check a bearer token the way an API server would.
 *
 *   cc verify.c $(pkg-config --cflags --libs jot) -o verify
 *   ./verify jwks.json https://auth.example.com api.example.com "$TOKEN"
 *
 * Prints the subject and exits 0 for a valid token; prints the rejection
 * code and exits 1 otherwise.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jot/jot.h>

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = malloc(1 << 20);
    *len = buf ? fread(buf, 1, 1 << 20, f) : 0;
    fclose(f);
    return buf;
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: %s JWKS ISSUER AUDIENCE TOKEN\n", argv[0]);
        return 2;
    }
    size_t len;
    char *jwks = read_file(argv[1], &len);
    jot_keyset *keys = NULL;
    if (!jwks || jot_keyset_load(jwks, len, &keys) != JOT_OK) {
        fprintf(stderr, "cannot load keys from %s\n", argv[1]);
        free(jwks);
        return 2;
    }
    free(jwks);

    /* The policy is read once; the verifier can then serve every thread. */
    jot_verify_policy policy;
    jot_verify_policy_init(&policy);
    policy.keys = keys;
    policy.issuer = argv[2];
    policy.audience = argv[3];
    jot_verifier *verifier;
    jot_status s = jot_verifier_new(&policy, &verifier);
    jot_keyset_free(keys); /* the verifier keeps its own references */
    if (s != JOT_OK) {
        fprintf(stderr, "cannot build a verifier: %s\n", jot_strerror(s));
        return 2;
    }

    jot_claims *claims;
    jot_diag diag;
    jot_diag_init(&diag);
    s = jot_verify(verifier, argv[4], strlen(argv[4]), &claims, &diag);
    if (s != JOT_OK) {
        printf("rejected: %s: %s\n", jot_status_code(s), diag.text);
        jot_verifier_free(verifier);
        return 1;
    }
    const char *sub = NULL;
    if (jot_claims_string(claims, "sub", &sub, NULL) == JOT_OK)
        printf("sub: %s\n", sub);
    jot_claims_free(claims);
    jot_verifier_free(verifier);
    return 0;
}
