/*
 * fuzz_card — libFuzzer harness for the port-9204 path: the fuzzer's bytes
 * are the data of an 8-bit MO with the Smart Messaging UDH (06 05 04 23 F4
 * 00 00), as vaultbox hands it to the engine (core_mo_decode), from a bound
 * phone, against the fake store; then each contact it stored is asked for
 * with GET and rendered as vaultbox's sender renders it. Aborts when the
 * card gets no reply or more than one, a reply is not one UTF-8 segment,
 * the space accounting goes wrong (fake_store_consistent: every contact's
 * card UTF-8, used = the sum of sizes), or a rendered card is not the card
 * stored, to port 9204.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "core_mo.h"
#include "core_render.h"
#include "core_text.h"
#include "fake_store.h"
#include "log.h"
#include "utf8.h"
#include "vcard.h"

#define PHONE "8613800000001"

static void must(bool ok)
{
    if (!ok)
        abort();
}

struct read_back {
    size_t cards;
    char *name;
    char *numbers[VCARD_MAX_TELS];
    bool pref[VCARD_MAX_TELS];
    size_t ntels;
};

static void read_back_card(const struct vcard_card *card, void *ctx)
{
    struct read_back *b = ctx;
    if (b->cards++)
        return;
    b->name = strdup(card->name);
    for (size_t i = 0; i < card->ntels; i++) {
        b->numbers[i] = strdup(card->tels[i].number);
        b->pref[i] = card->tels[i].pref;
    }
    b->ntels = card->ntels;
}

static void read_back_free(struct read_back *b)
{
    free(b->name);
    for (size_t i = 0; i < b->ntels; i++)
        free(b->numbers[i]);
}

/* What GET C<n> sends is the card of the person row n belongs to
 * (store_person_card): the card as it came, byte for byte, when every
 * number of the person came in that one card; else that card with every
 * number of the person (the newest VCARD_MAX_TELS), PREF on the current
 * one and on no other; and a card too big for one message as the name and
 * the current number only. Read back, it is one UTF-8 card with the name
 * of the card it came from and those numbers in their order. */
static void check_person_card(const struct store_person *p, const char *text, size_t len)
{
    must(p->count > 0 && len > 0 && len <= CORE_CARD_MAX && utf8_valid(text, len));
    const char *current = p->numbers[p->count - 1].number;
    size_t elen = 0;
    char *expected = store_person_card(p, &elen);
    must(expected != NULL);
    bool small = elen > CORE_CARD_MAX;
    must(small || (len == elen && memcmp(text, expected, len) == 0));
    free(expected);

    bool one = true;
    for (size_t i = 0; i < p->count; i++)
        one = one && p->numbers[i].vcard_len == p->vcard_len && memcmp(p->numbers[i].vcard, p->vcard, p->vcard_len) == 0;
    must(!one || small || (len == p->vcard_len && memcmp(text, p->vcard, len) == 0));
    if (one && !small)
        return;   /* the card as it came, which the store read as one card */

    struct read_back b = { 0 }, orig = { 0 };
    size_t count = 0;
    must(vcard_read(text, len, read_back_card, &b, &count) == VCARD_OK && count == 1 && b.ntels >= 1);
    if (!small)
        must(vcard_read(p->vcard, p->vcard_len, read_back_card, &orig, NULL) == VCARD_OK && orig.cards == 1);
    if (small) {
        must(b.ntels == 1 && strcmp(b.numbers[0], current) == 0 && strcmp(b.name, p->name) == 0);
    } else {   /* written anew with the person's numbers */
        /* a name read from the card's first number changes with its numbers */
        bool named = orig.ntels == 0 || strcmp(orig.name, orig.numbers[0]) != 0;
        must(!named || strcmp(b.name, orig.name) == 0);
        size_t first = p->count > VCARD_MAX_TELS ? p->count - VCARD_MAX_TELS : 0;
        must(b.ntels == p->count - first);
        for (size_t i = 0; i < b.ntels; i++)
            must(strcmp(b.numbers[i], p->numbers[first + i].number) == 0 && b.pref[i] == (i + 1 == b.ntels));
    }
    read_back_free(&b);
    read_back_free(&orig);
}

static enum core_result run(struct core *c, struct store *s, struct core_mo *mo, struct core_replies *r)
{
    core_replies_init(r);
    enum core_result cr = core_handle(c, s, mo, r);
    must(cr == CORE_OK || cr == CORE_IGNORED);
    must(fake_store_consistent(s));
    return cr;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const unsigned char udh[] = { 6, 5, 4, 0x23, 0xF4, 0, 0 };
    log_set_level(LOG_ERROR);
    struct core_config cfg = { .list_segments = 2, .get_max = 5, .del_max = 500, .web_url = "",
                               .repeat_answers = 3, .repeat_quiet_s = 3600, .forward_shortcode = "106591" };
    struct store *s = fake_store_new(10 << 20, 1 << 20, 10 << 20, 1LL << 30);
    struct core *c = core_new(&cfg);
    struct core_replies r;
    struct core_mo reg = { .msisdn = PHONE, .shortcode = "10659", .text = "REG alice pass1234", .len = 18 };
    must(run(c, s, &reg, &r) == CORE_OK);
    core_replies_cleanup(&r);

    /* the card, in an exact-size heap block (ASan sees any over-read) */
    char *card = malloc(size ? size : 1);
    memcpy(card, data, size);
    struct core_mo mo = { .msisdn = PHONE, .shortcode = "10659", .at = 1700000000 };
    char *owned = NULL;
    core_mo_decode(CORE_CODING_8BIT, udh, sizeof udh, card, size, &mo, &owned);
    must(mo.flags == CORE_MO_CARD && owned == NULL);
    must(run(c, s, &mo, &r) == CORE_OK);
    must(r.count == 1 && r.requests == 0);   /* one answer: saved, unreadable, no name or number, no space */
    must(utf8_valid(r.texts[0], strlen(r.texts[0])) && core_text_fits(r.texts[0], strlen(r.texts[0]), 1));
    core_replies_cleanup(&r);

    /* each contact back: the card as stored, 8-bit, to port 9204 */
    const char *uid = fake_store_user_of(s, PHONE);
    size_t n = fake_store_count(s, uid, STORE_CONTACT);
    for (size_t k = 1; k <= n && k <= 3; k++) {
        char get[32];
        snprintf(get, sizeof get, "GET C%zu", k);
        struct core_mo g = { .msisdn = PHONE, .shortcode = "10659", .text = get, .len = strlen(get) };
        must(run(c, s, &g, &r) == CORE_OK && r.requests == 1);
        core_replies_cleanup(&r);
        size_t before = fake_store_outbox_count(s);
        must(core_render_pending(&cfg, s, "sms", 10, NULL) == CORE_OK);
        must(fake_store_outbox_count(s) == before + 1);
        struct fake_outbox_row row;
        must(fake_store_outbox_row(s, before, &row));
        must(row.kind == OUTBOX_BINARY && row.udh_len == sizeof udh && memcmp(row.udh, udh, sizeof udh) == 0);
        struct store_person p = { 0 };
        must(store_contact_person(s, uid, (long long)k, &p) == STORE_OK);
        check_person_card(&p, row.text, row.len);
        store_person_cleanup(&p);
    }
    free(owned);
    free(card);
    core_free(c);
    fake_store_free(s);
    return 0;
}
