/*
 * core_phone — what a phone receives for one MO, for the engine's tests:
 * the MO is run (core_handle on the fake store), then what vaultbox's
 * sender does before it sends — the delivery requests rendered with the
 * one renderer (core_render_pending) — and the rows the phone gets are
 * collected in the order the sender claims them (a request's rows at its
 * place). Tests only.
 */
#ifndef SMSVAULT_CORE_PHONE_H
#define SMSVAULT_CORE_PHONE_H

#include <stdbool.h>
#include <stddef.h>

#include "core.h"

struct phone_mt {
    bool binary;                  /* an 8-bit MT (a port-9204 business card) */
    unsigned char udh[16];        /* binary: its UDH */
    size_t udh_len;
};

struct phone_got {
    char **texts;                 /* each MT's text, or a binary MT's data; NUL-terminated */
    size_t *lens;
    struct phone_mt *mts;
    size_t count;
    size_t queued;                /* rows the MO itself wrote: replies and delivery requests */
    size_t requests;              /* of them, delivery requests */
    char cmd[12];                 /* core_replies' cmd */
    enum core_outcome outcome;    /* core_replies' outcome */
};

void phone_got_cleanup(struct phone_got *g);

/* Run mo against s (a fake store) with core c and its configuration cfg
 * (the renderer's); what reached the phone in *got (cleaned first). */
enum core_result phone_run(struct core *c, const struct core_config *cfg, struct store *s,
                           const struct core_mo *mo, struct phone_got *got);

#endif
