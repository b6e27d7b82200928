/*
 * store_import_test — CUnit suite for the batch adds an import uses besides
 * SMS (store_mms_add_many, store_contact_add_many, store_contact_add_cards)
 * against a real PostgreSQL (NEEDS_DB): each item as its single add stores
 * it — an MMS with every part, a card with every number — numbered in
 * order; duplicates stored already or earlier in the batch skipped; and
 * under the cap the items that fit stored whole, the first that does not
 * and every one after it not at all (no message without parts, no card
 * with some of its numbers).
 */
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "store_test_main.h"
#include "vcard.h"

static struct store *open_cap(long long initial, long long cap)
{
    struct store_config cfg = *testdb_config();
    cfg.initial_bytes = initial;
    cfg.threshold_bytes = 0;
    cfg.step_bytes = 1000;
    cfg.user_cap_bytes = cap;
    struct store *s = NULL;
    CU_ASSERT_FATAL(store_open(&cfg, &s) == STORE_OK);
    return s;
}

static long long user_scalar(const char *uid, const char *select_from)
{
    return testdb_scalarf("%s WHERE user_id = '%s'", select_from, uid);
}

/* used_bytes is the sum of what is stored, over every kind */
static void assert_charged(const char *uid)
{
    long long used = testdb_scalarf("SELECT used_bytes FROM users WHERE id = '%s'", uid);
    long long sum = user_scalar(uid, "SELECT coalesce(sum(size_bytes), 0) FROM sms") +
                    user_scalar(uid, "SELECT coalesce(sum(size_bytes), 0) FROM mms") +
                    user_scalar(uid, "SELECT coalesce(sum(size_bytes), 0) FROM contacts");
    CU_ASSERT_EQUAL(used, sum);
}

/* A part and an MMS of an import (the archive's other fields not given). */
#define PART(ct, nm, d, l, cid) { .content_type = (ct), .name = (nm), .data = (d), .len = (l), .content_id = (cid) }
#define MMS(pr, sub, t, p, np, skip) \
    { .peer = (pr), .subject = (sub), .sent_at = (t), .source = "import", .parts = (p), .nparts = (np), \
      .skip_duplicate = (skip) }

static void test_mms_many(void)
{
    struct store *s = testdb_open();
    char id[STORE_ID_LEN];
    CU_ASSERT_EQUAL_FATAL(store_user_create(s, "mmsmany", "password1", "en", id), STORE_OK);
    unsigned char bin[700];
    for (size_t i = 0; i < sizeof bin; i++)
        bin[i] = (unsigned char)(i * 13);   /* NUL bytes and high bytes */
    const char *hello = "你好 🎂", *other = "second";
    struct store_mms_part_new p0[] = {
        PART("text/plain", NULL, (const unsigned char *)hello, strlen(hello), NULL),
        PART("image/png", "a'b\".png", bin, sizeof bin, "img1"),
    };
    struct store_mms_part_new p3[] = {
        PART("application/octet-stream", "empty", NULL, 0, NULL),
        PART("text/plain", "t.txt", (const unsigned char *)other, strlen(other), NULL),
    };
    struct store_mms_part_new p5[] = { PART("image/png", NULL, bin + 1, 99, NULL) };
    struct store_mms_new in[] = {
        MMS("+8613700000001", "主题", 1700000000, p0, 2, true),
        MMS("+8613700000001", "no parts", 1700000001, p0, 0, true),   /* invalid */
        MMS("+8613700000001", "主题", 1700000000, p0, 2, true),       /* as the first */
        MMS("+8613700000002", NULL, 0, p3, 2, true),                  /* no date */
        MMS("+8613700000002", NULL, 0, p3, 2, false),                 /* asks for no check */
        MMS("+8613700000003", "x", 1700000005, p5, 1, true),
    };
    enum store_result res[6];
    long long ns[6] = { 0 };
    CU_ASSERT_EQUAL_FATAL(store_mms_add_many(s, id, in, 6, res, ns), STORE_OK);
    enum store_result want[] = { STORE_OK, STORE_INVALID, STORE_CONFLICT, STORE_OK, STORE_OK, STORE_OK };
    long long want_n[] = { 1, 0, 0, 2, 3, 4 };
    for (int i = 0; i < 6; i++) {
        CU_ASSERT_EQUAL(res[i], want[i]);
        if (want[i] == STORE_OK)
            CU_ASSERT_EQUAL(ns[i], want_n[i]);
    }
    struct store_mms m;
    CU_ASSERT_EQUAL_FATAL(store_mms_get(s, id, 1, &m), STORE_OK);
    CU_ASSERT_STRING_EQUAL(m.subject, "主题");
    CU_ASSERT_STRING_EQUAL(m.text, hello);
    CU_ASSERT_EQUAL(m.nparts, 2);
    CU_ASSERT_EQUAL(m.size_bytes, (long long)(strlen(hello) + sizeof bin));
    CU_ASSERT_EQUAL(m.sent_at, 1700000000);
    store_mms_cleanup(&m);
    struct store_mms_part *pv = NULL;
    size_t np = 0;
    CU_ASSERT_EQUAL_FATAL(store_mms_parts(s, id, 1, &pv, &np), STORE_OK);
    CU_ASSERT_EQUAL_FATAL(np, 2);
    CU_ASSERT_STRING_EQUAL(pv[1].name, "a'b\".png");
    CU_ASSERT_STRING_EQUAL(pv[1].content_id, "img1");
    CU_ASSERT_EQUAL_FATAL(pv[1].len, sizeof bin);
    CU_ASSERT(memcmp(pv[1].data, bin, sizeof bin) == 0);
    CU_ASSERT(pv[0].len == strlen(hello) && memcmp(pv[0].data, hello, pv[0].len) == 0);
    store_mms_parts_free(pv, np);
    /* each message's own bytes, not its neighbour's */
    CU_ASSERT_EQUAL_FATAL(store_mms_parts(s, id, 2, &pv, &np), STORE_OK);
    CU_ASSERT_EQUAL_FATAL(np, 2);
    CU_ASSERT_EQUAL(pv[0].len, 0);
    CU_ASSERT(pv[1].len == strlen(other) && memcmp(pv[1].data, other, pv[1].len) == 0);
    store_mms_parts_free(pv, np);
    CU_ASSERT_EQUAL_FATAL(store_mms_parts(s, id, 4, &pv, &np), STORE_OK);
    CU_ASSERT(np == 1 && pv[0].len == 99 && memcmp(pv[0].data, bin + 1, 99) == 0);
    store_mms_parts_free(pv, np);
    CU_ASSERT_EQUAL_FATAL(store_mms_get(s, id, 2, &m), STORE_OK);
    CU_ASSERT_EQUAL(m.sent_at, 0);
    CU_ASSERT_STRING_EQUAL(m.subject, "");
    store_mms_cleanup(&m);
    CU_ASSERT_EQUAL(user_scalar(id, "SELECT count(*) FROM mms"), 4);
    CU_ASSERT_EQUAL(user_scalar(id, "SELECT count(*) FROM mms_parts"), 7);
    assert_charged(id);
    /* the same file again: stored already (with no date too), nothing added */
    struct store_mms_new again[] = { in[0], in[3], in[5] };
    CU_ASSERT_EQUAL(store_mms_add_many(s, id, again, 3, res, ns), STORE_OK);
    for (int i = 0; i < 3; i++)
        CU_ASSERT_EQUAL(res[i], STORE_CONFLICT);
    CU_ASSERT_EQUAL(user_scalar(id, "SELECT count(*) FROM mms"), 4);
    /* refused before anything is stored */
    CU_ASSERT_EQUAL(store_mms_add_many(s, id, in, LIMIT_MMS_BATCH_MAX + 1, res, ns), STORE_INVALID);
    CU_ASSERT_EQUAL(store_mms_add_many(s, "junk", in, 1, res, ns), STORE_NOT_FOUND);
    size_t big = 11u << 20;   /* three of them are more than LIMIT_MMS_BATCH_BYTES */
    unsigned char *blob = xcalloc(big, 1);
    struct store_mms_part_new bp[] = { PART("image/png", NULL, blob, big, NULL) };
    struct store_mms_new bigs[3];
    for (int i = 0; i < 3; i++)
        bigs[i] = (struct store_mms_new)MMS("+861", "big", 1700000100 + i, bp, 1, true);
    CU_ASSERT_EQUAL(store_mms_add_many(s, id, bigs, 3, res, ns), STORE_INVALID);
    free(blob);
    CU_ASSERT_EQUAL(user_scalar(id, "SELECT count(*) FROM mms"), 4);
    CU_ASSERT_EQUAL(store_mms_add_many(s, id, in, 0, res, ns), STORE_OK);
    store_free(s);
}

/* Five MMS of 30,000 bytes in two parts under a cap of 120,000: four are
 * stored with both parts, the fifth has neither row nor part; again, the
 * four are duplicates and the fifth is still refused. */
static void test_mms_many_space(void)
{
    struct store *s = open_cap(100000, 120000);
    char id[STORE_ID_LEN];
    CU_ASSERT_EQUAL_FATAL(store_user_create(s, "mmsspace", "password1", "en", id), STORE_OK);
    unsigned char *a = xcalloc(20000, 1), *b = xcalloc(10000, 1);
    struct store_mms_part_new parts[] = { PART("image/png", NULL, a, 20000, NULL),
                                          PART("audio/amr", NULL, b, 10000, NULL) };
    struct store_mms_new in[5];
    for (int i = 0; i < 5; i++)
        in[i] = (struct store_mms_new)MMS("+8613700000009", "s", 1700000000 + i, parts, 2, true);
    enum store_result res[5];
    long long ns[5];
    CU_ASSERT_EQUAL(store_mms_add_many(s, id, in, 5, res, ns), STORE_NO_SPACE);
    for (int i = 0; i < 4; i++) {
        CU_ASSERT_EQUAL(res[i], STORE_OK);
        CU_ASSERT_EQUAL(ns[i], i + 1);
    }
    CU_ASSERT_EQUAL(res[4], STORE_NO_SPACE);
    CU_ASSERT_EQUAL(user_scalar(id, "SELECT count(*) FROM mms"), 4);
    CU_ASSERT_EQUAL(user_scalar(id, "SELECT count(*) FROM mms_parts"), 8);
    CU_ASSERT_EQUAL(testdb_scalarf("SELECT count(*) FROM mms_parts WHERE n = 5 AND user_id = '%s'", id), 0);
    CU_ASSERT_EQUAL(testdb_scalarf("SELECT used_bytes FROM users WHERE id = '%s'", id), 120000);
    assert_charged(id);
    CU_ASSERT_EQUAL(store_mms_add_many(s, id, in, 5, res, ns), STORE_NO_SPACE);
    for (int i = 0; i < 4; i++)
        CU_ASSERT_EQUAL(res[i], STORE_CONFLICT);
    CU_ASSERT_EQUAL(res[4], STORE_NO_SPACE);
    CU_ASSERT_EQUAL(user_scalar(id, "SELECT count(*) FROM mms_parts"), 8);
    free(a);
    free(b);
    store_free(s);
}

static void contact(struct store_contact_new *c, const char *name, const char *number, bool skip, char *buf,
                    size_t len)
{
    snprintf(buf, len, "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:%s\r\nTEL:%s\r\nEND:VCARD\r\n", name, number);
    *c = (struct store_contact_new){ .name = name, .number = number, .vcard = buf, .vcard_len = strlen(buf),
                                     .source = "import", .skip_duplicate = skip };
}

static void test_contacts_many(void)
{
    struct store *s = testdb_open();
    char id[STORE_ID_LEN];
    CU_ASSERT_EQUAL_FATAL(store_user_create(s, "contactmany", "password1", "en", id), STORE_OK);
    char v[5][200];
    struct store_contact_new in[5];
    contact(&in[0], "Zhang San", "13800000001", true, v[0], sizeof v[0]);
    contact(&in[1], "Nobody", "x", true, v[1], sizeof v[1]);              /* no number: invalid */
    contact(&in[2], "zhang san", "13800000001", true, v[2], sizeof v[2]);  /* as the first, by case */
    contact(&in[3], "李四", "13900000002", true, v[3], sizeof v[3]);
    contact(&in[4], "李四", "13900000004", true, v[4], sizeof v[4]);       /* a new number: current */
    enum store_result res[5];
    long long ns[5] = { 0 };
    CU_ASSERT_EQUAL_FATAL(store_contact_add_many(s, id, in, 5, res, ns), STORE_OK);
    enum store_result want[] = { STORE_OK, STORE_INVALID, STORE_CONFLICT, STORE_OK, STORE_OK };
    long long want_n[] = { 1, 0, 0, 2, 3 };
    for (int i = 0; i < 5; i++) {
        CU_ASSERT_EQUAL(res[i], want[i]);
        if (want[i] == STORE_OK)
            CU_ASSERT_EQUAL(ns[i], want_n[i]);
    }
    struct store_contact c;
    CU_ASSERT_EQUAL_FATAL(store_contact_get(s, id, 3, &c), STORE_OK);
    CU_ASSERT_STRING_EQUAL(c.number, "13900000004");
    CU_ASSERT_TRUE(c.current);
    CU_ASSERT_STRING_EQUAL(c.vcard, v[4]);
    CU_ASSERT_STRING_EQUAL(c.tel_types, "");
    store_contact_cleanup(&c);
    CU_ASSERT_EQUAL_FATAL(store_contact_get(s, id, 2, &c), STORE_OK);
    CU_ASSERT_FALSE(c.current);
    store_contact_cleanup(&c);
    assert_charged(id);
    CU_ASSERT_EQUAL(store_contact_add_many(s, id, in, 5, res, ns), STORE_OK);
    CU_ASSERT(res[0] == STORE_CONFLICT && res[3] == STORE_CONFLICT && res[4] == STORE_CONFLICT);
    CU_ASSERT_EQUAL(user_scalar(id, "SELECT count(*) FROM contacts"), 3);
    CU_ASSERT_EQUAL(store_contact_add_many(s, id, in, LIMIT_CONTACT_BATCH_MAX + 1, res, ns), STORE_INVALID);
    store_free(s);
}

/* Cards as common/vcard reads them, copied out of its callback. */
struct cards {
    struct vcard_card v[8];
    struct vcard_tel tels[8][VCARD_MAX_TELS];
    size_t n;
};

static void keep_card(const struct vcard_card *card, void *arg)
{
    struct cards *c = arg;
    CU_ASSERT_FATAL(c->n < 8);
    struct vcard_card *k = &c->v[c->n];
    *k = *card;
    k->name = xstrdup(card->name);
    k->uid = xstrdup(card->uid);
    k->text = xmemdup0(card->text, card->text_len);
    for (size_t i = 0; i < card->ntels; i++)
        c->tels[c->n][i] = (struct vcard_tel){ xstrdup(card->tels[i].number), xstrdup(card->tels[i].types),
                                               card->tels[i].pref };
    k->tels = c->tels[c->n];
    c->n++;
}

static void read_cards(const char *text, struct cards *c)
{
    memset(c, 0, sizeof *c);
    CU_ASSERT_EQUAL_FATAL(vcard_read(text, strlen(text), keep_card, c, NULL), VCARD_OK);
}

static void free_cards(struct cards *c)
{
    for (size_t i = 0; i < c->n; i++) {
        for (size_t t = 0; t < c->v[i].ntels; t++) {
            free((char *)c->tels[i][t].number);
            free((char *)c->tels[i][t].types);
        }
        free((char *)c->v[i].name);
        free((char *)c->v[i].uid);
        free((char *)c->v[i].text);
    }
}

#define WANG "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Wang Wei\r\nTEL;TYPE=HOME:010-1234\r\n" \
             "TEL;TYPE=CELL,PREF:13800000007\r\nTEL;TYPE=WORK:021-555\r\nUID:wang-1\r\nEND:VCARD\r\n"

static void test_cards_many(void)
{
    struct store *s = testdb_open();
    char id[STORE_ID_LEN];
    CU_ASSERT_EQUAL_FATAL(store_user_create(s, "cardmany", "password1", "en", id), STORE_OK);
    struct cards c;
    read_cards(WANG
               "BEGIN:VCARD\r\nFN:Li Na\r\nTEL:13900000001\r\nEND:VCARD\r\n"
               WANG   /* the same card again in the file */
               "BEGIN:VCARD\r\nFN:Service\r\nTEL:*100#\r\nEND:VCARD\r\n"   /* no phone number */
               "BEGIN:VCARD\r\nFN:wang wei\r\nTEL:010-1234\r\nTEL;PREF:13800000008\r\nEND:VCARD\r\n",
               &c);
    CU_ASSERT_EQUAL_FATAL(c.n, 5);
    enum store_result res[5];
    struct store_card_added a[5];
    CU_ASSERT_EQUAL_FATAL(store_contact_add_cards(s, id, c.v, 5, "import", true, res, a), STORE_OK);
    CU_ASSERT_EQUAL(res[0], STORE_OK);
    CU_ASSERT_EQUAL(res[1], STORE_OK);
    CU_ASSERT_EQUAL(res[2], STORE_CONFLICT);
    CU_ASSERT_EQUAL(res[3], STORE_INVALID);
    CU_ASSERT_EQUAL(res[4], STORE_OK);   /* one number new: the card is written again, whole */
    CU_ASSERT(a[0].first_n == 1 && a[0].current_n == 3 && a[0].count == 3);
    CU_ASSERT(a[1].first_n == 4 && a[1].current_n == 4 && a[1].count == 1);
    CU_ASSERT(a[4].first_n == 5 && a[4].current_n == 6 && a[4].count == 2);
    struct store_contact k;
    CU_ASSERT_EQUAL_FATAL(store_contact_get(s, id, 3, &k), STORE_OK);
    CU_ASSERT_STRING_EQUAL(k.number, "13800000007");   /* the PREF one last */
    CU_ASSERT_STRING_EQUAL(k.tel_types, "CELL,PREF");
    CU_ASSERT_STRING_EQUAL(k.uid, "wang-1");
    CU_ASSERT_EQUAL(k.vcard_len, strlen(WANG));
    /* the current number of its person, UID wang-1 (issue 10): the later
     * card of the name has no UID, so it is a person of its own */
    CU_ASSERT_TRUE(k.current);
    store_contact_cleanup(&k);
    CU_ASSERT_EQUAL_FATAL(store_contact_get(s, id, 6, &k), STORE_OK);
    CU_ASSERT_STRING_EQUAL(k.number, "13800000008");
    CU_ASSERT_TRUE(k.current);
    store_contact_cleanup(&k);
    CU_ASSERT_EQUAL(user_scalar(id, "SELECT count(*) FROM contacts"), 6);
    assert_charged(id);
    /* read again: every card is stored already */
    CU_ASSERT_EQUAL(store_contact_add_cards(s, id, c.v, 5, "import", true, res, NULL), STORE_OK);
    CU_ASSERT(res[0] == STORE_CONFLICT && res[1] == STORE_CONFLICT && res[2] == STORE_CONFLICT &&
              res[3] == STORE_INVALID && res[4] == STORE_CONFLICT);
    CU_ASSERT_EQUAL(user_scalar(id, "SELECT count(*) FROM contacts"), 6);
    free_cards(&c);
    store_free(s);
}

/* Under a cap of 2,048 bytes: a small card fits; a card of two numbers of
 * which one would still fit is not written at all, and nothing after it. */
static void test_cards_many_space(void)
{
    struct store *s = open_cap(2048, 2048);
    char id[STORE_ID_LEN];
    CU_ASSERT_EQUAL_FATAL(store_user_create(s, "cardspace", "password1", "en", id), STORE_OK);
    char big[1200] = "BEGIN:VCARD\r\nFN:Big\r\nTEL:13900000011\r\nTEL:13900000012\r\nNOTE:";
    size_t bl = strlen(big);
    memset(big + bl, 'x', 900);
    strcpy(big + bl + 900, "\r\nEND:VCARD\r\n");
    char file[2000];
    const char *small = "BEGIN:VCARD\r\nFN:Small\r\nTEL:13900000021\r\nTEL:13900000022\r\nEND:VCARD\r\n";
    snprintf(file, sizeof file, "%s%s%s", small, big, "BEGIN:VCARD\r\nFN:After\r\nTEL:13900000031\r\nEND:VCARD\r\n");
    struct cards c;
    read_cards(file, &c);
    CU_ASSERT_EQUAL_FATAL(c.n, 3);
    CU_ASSERT_FATAL(2 * strlen(small) + strlen(big) <= 2048 && 2 * strlen(small) + 2 * strlen(big) > 2048);
    enum store_result res[3];
    struct store_card_added a[3];
    CU_ASSERT_EQUAL(store_contact_add_cards(s, id, c.v, 3, "import", true, res, a), STORE_NO_SPACE);
    CU_ASSERT_EQUAL(res[0], STORE_OK);
    CU_ASSERT_EQUAL(res[1], STORE_NO_SPACE);
    CU_ASSERT_EQUAL(res[2], STORE_NO_SPACE);
    CU_ASSERT_EQUAL(user_scalar(id, "SELECT count(*) FROM contacts"), 2);
    CU_ASSERT_EQUAL(testdb_scalarf("SELECT count(*) FROM contacts WHERE name = 'Big' AND user_id = '%s'", id), 0);
    CU_ASSERT_EQUAL(testdb_scalarf("SELECT used_bytes FROM users WHERE id = '%s'", id), 2 * (long long)strlen(small));
    assert_charged(id);
    /* the card alone, through the single add: the same answer, nothing written */
    struct store_card_added one;
    CU_ASSERT_EQUAL(store_contact_add_card(s, id, &c.v[1], "import", true, &one), STORE_NO_SPACE);
    CU_ASSERT_EQUAL(user_scalar(id, "SELECT count(*) FROM contacts"), 2);
    free_cards(&c);
    store_free(s);
}

static const struct test_entry tests[] = {
    { "mms add many: parts byte-exact, duplicates, invalid items, numbers, limits", test_mms_many },
    { "mms add many under the cap: each MMS whole or not at all", test_mms_many_space },
    { "contacts add many: duplicates by name and number, current number", test_contacts_many },
    { "cards add many: a row per number, duplicates in the file, read again", test_cards_many },
    { "cards add many under the cap: each card whole or not at all", test_cards_many_space },
};

int main(void)
{
    return suite_main("import", tests, sizeof tests / sizeof tests[0]);
}
