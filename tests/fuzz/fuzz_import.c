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

/* The fields kept as written and a device's own attributes (store.h). */
static void kept_ok(const char *const *fields, size_t nfields, const struct store_attr_new *x, size_t nx)
{
    for (size_t i = 0; i < nfields; i++)
        text_ok(fields[i], LIMIT_ATTR_VALUE_MAX);
    if (nx > LIMIT_ATTRS_MAX || (nx && x == NULL))
        abort();
    for (size_t i = 0; i < nx; i++) {
        if (x[i].name == NULL || !x[i].name[0] || x[i].value == NULL)
            abort();
        text_ok(x[i].name, LIMIT_ATTR_NAME_MAX);
        text_ok(x[i].value, LIMIT_ATTR_VALUE_MAX);
    }
}

static enum import_next on_sms(void *ctx, const struct store_sms_new *m)
{
    if (m->body_len == 0 || m->body_len > LIMIT_SMS_BODY_MAX || !utf8_valid(m->body, m->body_len))
        abort();
    text_ok(m->peer, LIMIT_PEER_MAX);
    if (m->sent_ms < 0 || m->sent_ms > 999 || m->type < 0 || m->type > STORE_TYPE_MAX || m->date_sent_ms < 0)
        abort();
    kept_ok(m->fields, STORE_SMS_NFIELDS, m->extra, m->nextra);
    return IMPORT_GO_ON;
}

static enum import_next on_mms(void *ctx, const struct store_mms_new *m)
{
    text_ok(m->peer, LIMIT_PEER_MAX);
    text_ok(m->subject, LIMIT_TEXT_FIELD_MAX);
    kept_ok(m->fields, STORE_MMS_NFIELDS, m->extra, m->nextra);
    if (m->nparts > LIMIT_MMS_PARTS_MAX || m->naddrs > LIMIT_MMS_ADDRS_MAX)
        abort();
    for (size_t i = 0; i < m->nparts; i++) {
        text_ok(m->parts[i].content_type, LIMIT_TEXT_FIELD_MAX);
        text_ok(m->parts[i].content_id, LIMIT_TEXT_FIELD_MAX);
        text_ok(m->parts[i].content_location, LIMIT_TEXT_FIELD_MAX);
        kept_ok(m->parts[i].fields, STORE_PART_NFIELDS, m->parts[i].extra, m->parts[i].nextra);
    }
    for (size_t i = 0; i < m->naddrs; i++) {
        text_ok(m->addrs[i].address, LIMIT_PEER_MAX);
        kept_ok(&m->addrs[i].charset, 1, m->addrs[i].extra, m->addrs[i].nextra);
    }
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
