/* Allocation and reference counting of jot_key, and the curve table. */
#include <stdlib.h>
#include <string.h>

#include "core/key.h"

jot_key *jot__key_alloc(void)
{
    jot_key *k = calloc(1, sizeof *k);
    if (k)
        atomic_init(&k->refs, 1);
    return k;
}

jot_key *jot__key_ref(const jot_key *key)
{
    jot_key *k = (jot_key *)(uintptr_t)key;
    atomic_fetch_add_explicit(&k->refs, 1, memory_order_relaxed);
    return k;
}

static const struct {
    jot__crv crv;
    const char *name;
    size_t len;
} jot_curves[] = {
    {JOT__CRV_P256, "P-256", 32},      {JOT__CRV_P384, "P-384", 48}, {JOT__CRV_P521, "P-521", 66},
    {JOT__CRV_ED25519, "Ed25519", 32}, {JOT__CRV_ED448, "Ed448", 57},
};

const char *jot__crv_name(jot__crv crv)
{
    for (size_t i = 0; i < sizeof jot_curves / sizeof jot_curves[0]; i++)
        if (jot_curves[i].crv == crv)
            return jot_curves[i].name;
    return NULL;
}

size_t jot__crv_len(jot__crv crv)
{
    for (size_t i = 0; i < sizeof jot_curves / sizeof jot_curves[0]; i++)
        if (jot_curves[i].crv == crv)
            return jot_curves[i].len;
    return 0;
}

jot__crv jot__crv_from_name(const char *name)
{
    for (size_t i = 0; i < sizeof jot_curves / sizeof jot_curves[0]; i++)
        if (strcmp(jot_curves[i].name, name) == 0)
            return jot_curves[i].crv;
    return JOT__CRV_NONE;
}
