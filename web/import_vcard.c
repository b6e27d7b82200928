/*
 * import_vcard — vCard import (see import_vcard.h).
 */
#include "import_vcard.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msisdn.h"
#include "utf8.h"
#include "vcard.h"

struct ctx {
    const struct import_sink *sink;
    struct import_report *rep;
    bool stopped;
};

/* One contact to the sink; a refusal stops the file (c->stopped). */
static void add_one(struct ctx *c, const char *name, const char *number, const char *text, size_t text_len)
{
    if (!msisdn_is_contact(number)) {
        c->rep->skipped++;
        return;
    }
    struct store_contact_new in = { .name = name, .number = number, .vcard = text, .vcard_len = text_len,
                                    .source = "import", .skip_duplicate = true };
    c->rep->items++;
    if (c->sink->contact && c->sink->contact(c->sink->ctx, &in) == IMPORT_STOP)
        c->stopped = true;
}

/* vcard_fn: one card of the file; after a refusal (c->stopped) the rest are ignored. */
static void on_card(const char *name, const char *const *numbers, size_t nnumbers,
                    const char *raw, size_t raw_len, void *arg)
{
    struct ctx *c = arg;
    if (c->stopped)
        return;
    if (!*name || strlen(name) > LIMIT_TEXT_FIELD_MAX || nnumbers == 0) {
        c->rep->skipped++;
        return;
    }
    if (nnumbers == 1) {
        add_one(c, name, numbers[0], raw, raw_len);
        return;
    }
    /* several numbers of one person: one stored contact each, so the
     * newest-upload rule can tell them apart (patent, point 5) */
    for (size_t i = 0; i < nnumbers && !c->stopped; i++) {
        char *one = vcard_format(name, numbers[i]);
        if (one == NULL) {
            c->rep->skipped++;
            continue;
        }
        add_one(c, name, numbers[i], one, strlen(one));
        free(one);
    }
}

enum import_result import_vcard(const char *data, size_t len, const struct import_sink *sink,
                                struct import_report *rep)
{
    struct ctx c = { .sink = sink, .rep = rep };
    memset(rep, 0, sizeof *rep);
    if (!utf8_valid(data, len)) {
        snprintf(rep->message, sizeof rep->message, "the vCard file is not UTF-8 text");
        return IMPORT_MALFORMED;
    }
    enum vcard_result rc = vcard_parse(data, len, on_card, &c, NULL);
    if (c.stopped)
        return IMPORT_STOPPED;
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
