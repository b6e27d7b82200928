/*
 * fuzz_core — libFuzzer harness: the fuzzer's bytes are one MO text to the
 * command engine (the first byte picks the phone, list_segments and flags),
 * run against the in-memory fake store with one registered user who has a
 * few items, to the service or the forward short code; what GET asks for
 * is rendered as vaultbox's sender renders it. Aborts when a command gets
 * no reply, a reply is not UTF-8 or exceeds its segments, a rendered row
 * breaks the store's rules, or the space accounting goes wrong. Not a test
 * of what the replies say (core_test, core_input_test).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "core_render.h"
#include "core_text.h"
#include "fake_store.h"
#include "log.h"
#include "utf8.h"

static const char *const phones[] = { "8613800000001", "8613800000002", "CHINAMOBILE" };

static void must(bool ok)
{
    if (!ok)
        abort();
}

static void run(struct core *c, const struct core_config *cfg, struct store *s, const char *phone,
                const char *to, const char *text, size_t len, unsigned flags, long long segs)
{
    struct core_mo mo = { .msisdn = phone, .shortcode = to, .text = text, .len = len, .flags = flags,
                          .at = 1700000000 };
    struct core_replies r;
    core_replies_init(&r);
    enum core_result cr = core_handle(c, s, &mo, &r);
    must(cr == CORE_OK || cr == CORE_IGNORED);
    must(cr == CORE_IGNORED ? r.count == 0 && r.requests == 0 : r.count + r.requests >= 1);
    for (size_t i = 0; i < r.count; i++) {
        size_t l = strlen(r.texts[i]);
        int budget = strcmp(r.cmd, "GET") == 0                                ? 250
                     : strcmp(r.cmd, "LIST") == 0 || strcmp(r.cmd, "FIND") == 0 ? (int)segs
                                                                               : 1;
        must(l > 0 && utf8_valid(r.texts[i], l) && core_text_fits(r.texts[i], l, budget));
    }
    must(fake_store_consistent(s));
    /* what GET asked for, rendered as vaultbox's sender does: every row the
     * store's rules accept (store_outbox_expand checks them) */
    size_t before = fake_store_outbox_count(s);
    must(core_render_pending(cfg, s, "sms", 100, NULL) == CORE_OK);
    for (size_t i = before; i < fake_store_outbox_count(s); i++) {
        struct fake_outbox_row row;
        must(fake_store_outbox_row(s, i, &row) && row.parent > 0);
        if (row.kind == OUTBOX_TEXT)
            must(row.len > 0 && utf8_valid(row.text, row.len) && core_text_fits(row.text, row.len, 250));
    }
    core_replies_cleanup(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    log_set_level(LOG_ERROR);
    long long segs = 1 + data[0] % 3;
    struct core_config cfg = { .list_segments = segs, .get_max = 5, .del_max = 500,
                               .get_header = (data[0] & 0x40) != 0, .web_url = "http://v.example/",
                               .repeat_answers = 3, .repeat_quiet_s = 3600, .forward_shortcode = "106591",
                               .contact_as_text = (data[0] & 0x20) != 0 };
    struct store *s = fake_store_new(10 << 20, 1 << 20, 10 << 20, 1LL << 30);
    struct core *c = core_new(&cfg);
    static const char *const setup[] = { "REG alice pass1234", "SAVE hello 字", "SAVE second",
                                         "CONTACT Bob 13800001111" };
    for (size_t i = 0; i < sizeof setup / sizeof setup[0]; i++)
        run(c, &cfg, s, phones[0], "10659", setup[i], strlen(setup[i]), 0, segs);
    unsigned flags = (data[0] & 0x80) ? (unsigned)(data[0] >> 3 & 15) : 0;
    /* to the service, or to the forward short code (saved as it is) */
    const char *to = (data[0] & 0x01) ? "106591" : "10659";
    /* the text twice: once as it is, once after it changed the state */
    for (int k = 0; k < 2; k++)
        run(c, &cfg, s, phones[(data[0] >> 2) % 3], to, (const char *)data + 1, size - 1, flags, segs);
    core_free(c);
    fake_store_free(s);
    return 0;
}
