/*
 * fuzz_import — libFuzzer harness for vaultweb's importers (one binary per
 * format, chosen by FUZZ_XML / FUZZ_CSV / FUZZ_VCARD): parse the bytes as
 * an uploaded file. Aborts when an item handed to the sink holds text that
 * is not UTF-8 or breaks the store's length limits — the importer promises
 * to skip such items, not pass them on.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "import.h"
#include "import_csv.h"
#include "import_vcard.h"
#include "import_xml.h"
#include "utf8.h"

static void text_ok(const char *s, size_t max)
{
    if (s && (strlen(s) > max || !utf8_valid(s, strlen(s))))
        abort();
}

static enum import_next on_sms(void *ctx, const struct store_sms_new *m)
{
    if (m->body_len == 0 || m->body_len > LIMIT_SMS_BODY_MAX || !utf8_valid(m->body, m->body_len))
        abort();
    text_ok(m->peer, LIMIT_PEER_MAX);
    return IMPORT_GO_ON;
}

static enum import_next on_mms(void *ctx, const struct store_mms_new *m)
{
    text_ok(m->peer, LIMIT_PEER_MAX);
    text_ok(m->subject, LIMIT_TEXT_FIELD_MAX);
    return IMPORT_GO_ON;
}

static enum import_next on_contact(void *ctx, const struct store_contact_new *c)
{
    if (c->name == NULL || c->number == NULL || !c->name[0] || !c->number[0])
        abort();
    text_ok(c->name, LIMIT_TEXT_FIELD_MAX);
    text_ok(c->number, LIMIT_PEER_MAX);
    if (!utf8_valid(c->vcard, c->vcard_len))
        abort();
    return IMPORT_GO_ON;
}

/* a card handed to the store: a name, a phone number the store keeps, UTF-8 text */
static enum import_next on_card(void *ctx, const struct vcard_card *c)
{
    size_t order[VCARD_MAX_TELS];
    if (c->name == NULL || !c->name[0] || store_card_order(c, order) == 0 || c->ntels > VCARD_MAX_TELS)
        abort();
    text_ok(c->name, LIMIT_TEXT_FIELD_MAX);
    for (size_t i = 0; i < c->ntels; i++)
        if (!utf8_valid(c->tels[i].number, strlen(c->tels[i].number)))
            abort();
    if (!utf8_valid(c->text, c->text_len))
        abort();
    return IMPORT_GO_ON;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *copy = malloc(size ? size : 1);
    memcpy(copy, data, size);
    struct import_sink sink = { on_sms, on_mms, on_contact, on_card, NULL };
    struct import_report rep = { 0 };
#if defined(FUZZ_XML)
    size_t n = import_xml_fix_surrogates(copy, size);
    if (n > size)
        abort();
    import_xml(copy, n, &sink, &rep);
#elif defined(FUZZ_CSV)
    import_csv(copy, size, &sink, &rep);
#else
    import_vcard(copy, size, &sink, &rep);
#endif
    if (memchr(rep.message, '\0', sizeof rep.message) == NULL)
        abort();
    free(copy);
    return 0;
}
