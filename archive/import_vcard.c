/*
 * import_vcard — vCard import (see import_vcard.h).
 */
#include "import_vcard.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vcard.h"

struct ctx {
    const struct import_sink *sink;
    struct import_report *rep;
    bool stopped;
};

/* vcard_card_fn: one card of the file; after a refusal (c->stopped) the rest are ignored. */
static void on_card(const struct vcard_card *card, void *arg)
{
    struct ctx *c = arg;
    if (c->stopped)
        return;
    size_t order[VCARD_MAX_TELS];
    size_t kept = store_card_order(card, order);   /* the numbers the store keeps */
    if (!*card->name || strlen(card->name) > LIMIT_TEXT_FIELD_MAX || kept == 0) {
        c->rep->skipped++;
        return;
    }
    c->rep->skipped += (long long)(card->ntels - kept);   /* *100#, fax extensions, ... */
    c->rep->items++;
    c->rep->contacts++;
    if (c->sink->card && c->sink->card(c->sink->ctx, card) == IMPORT_STOP)
        c->stopped = true;
}

enum import_result import_vcard(const char *data, size_t len, const struct import_sink *sink,
                                struct import_report *rep)
{
    struct ctx c = { .sink = sink, .rep = rep };
    memset(rep, 0, sizeof *rep);
    enum vcard_result rc = vcard_read(data, len, on_card, &c, NULL);
    if (c.stopped)
        return IMPORT_STOPPED;
    if (rc == VCARD_CHARSET) {
        snprintf(rep->message, sizeof rep->message,
                 "a card names a character set that is not known, or its text is not in it");
        return IMPORT_MALFORMED;
    }
    if (rc != VCARD_OK) {
        snprintf(rep->message, sizeof rep->message, "the vCard file is not well formed");
        return IMPORT_MALFORMED;
    }
    if (rep->items == 0 && rep->skipped == 0) {
        snprintf(rep->message, sizeof rep->message, "the file holds no vCard");
        return IMPORT_MALFORMED;
    }
    return IMPORT_OK;
}
