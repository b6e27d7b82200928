/*
 * import_vcard — vCard import (see import_vcard.h).
 */
#include "import_vcard.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"
#include "vcard.h"

struct ctx {
    const struct import_sink *sink;
    struct import_report *rep;
    bool stopped;
};

static int add_one(struct ctx *c, const char *name, const char *number, const char *text, size_t text_len)
{
    if (!*number || strlen(number) > STORE_PEER_MAX) {
        c->rep->skipped++;
        return 0;
    }
    struct store_contact_new in = { .name = name, .number = number, .vcard = text, .vcard_len = text_len,
                                    .source = "import", .skip_duplicate = true };
    c->rep->items++;
    if (c->sink->contact && c->sink->contact(c->sink->ctx, &in) != 0) {
        c->stopped = true;
        return 1;
    }
    return 0;
}

static int on_card(void *arg, const struct vcard_card *card)
{
    struct ctx *c = arg;
    const char *name = card->name;
    if (name == NULL || !*name || strlen(name) > STORE_TEXT_FIELD_MAX || card->nnumbers == 0) {
        c->rep->skipped++;
        return 0;
    }
    if (card->nnumbers == 1)
        return add_one(c, name, card->numbers[0], card->raw, card->raw_len);
    for (size_t i = 0; i < card->nnumbers; i++) {
        char *one = vcard_format(name, card->numbers[i]);
        int rc = add_one(c, name, card->numbers[i], one, strlen(one));
        free(one);
        if (rc)
            return rc;
    }
    return 0;
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
    int rc = vcard_parse(data, len, on_card, &c);
    if (c.stopped)
        return IMPORT_STOPPED;
    if (rc < 0) {
        snprintf(rep->message, sizeof rep->message, "the vCard file is not well formed");
        return IMPORT_MALFORMED;
    }
    if (rep->items == 0 && rep->skipped == 0) {
        snprintf(rep->message, sizeof rep->message, "the file holds no vCard");
        return IMPORT_MALFORMED;
    }
    return IMPORT_OK;
}
