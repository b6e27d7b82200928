/*
 * store_mms_test — CUnit suite for MMS (parts byte-exact, preview, paging,
 * search, delete) and contacts (current = newest upload, history, duplicates)
 * against a real PostgreSQL (NEEDS_DB).
 */
#include <stdlib.h>
#include <string.h>

#include "store_test_main.h"

static struct store *s;

static void test_mms(void)
{
    char id[STORE_ID_LEN];
    CU_ASSERT_EQUAL_FATAL(store_user_create(s, "mmsuser", "password1", "en", id), STORE_OK);
    unsigned char bin[1024];
    for (size_t i = 0; i < sizeof bin; i++)
        bin[i] = (unsigned char)(i * 7);   /* NUL bytes and high bytes */
    bin[10] = 0;
    const char *text = "生日快乐 🎂 100%";
    struct store_mms_part_new parts[] = {
        { "text/plain; charset=utf-8", NULL, (const unsigned char *)text, strlen(text), NULL },
        { "image/jpeg", "cake'; DROP TABLE mms; --.jpg", bin, sizeof bin, NULL },
        { "application/octet-stream", "empty", NULL, 0, NULL },
    };
    struct store_mms_new in = { .peer = "+8613700000000", .subject = "祝福", .sent_at = 1690000000,
                                .source = "sms", .parts = parts, .nparts = 3 };
    long long n = 0;
    CU_ASSERT_EQUAL_FATAL(store_mms_add(s, id, &in, &n), STORE_OK);
    CU_ASSERT_EQUAL(n, 1);
    struct store_mms m;
    CU_ASSERT_EQUAL_FATAL(store_mms_get(s, id, n, &m), STORE_OK);
    CU_ASSERT_STRING_EQUAL(m.subject, "祝福");
    CU_ASSERT_STRING_EQUAL(m.text, text);
    CU_ASSERT_EQUAL(m.size_bytes, (long long)(strlen(text) + sizeof bin));
    CU_ASSERT_EQUAL(m.nparts, 3);
    CU_ASSERT_EQUAL(m.sent_at, 1690000000);
    store_mms_cleanup(&m);
    struct store_mms_part *pv = NULL;
    size_t np = 0;
    CU_ASSERT_EQUAL_FATAL(store_mms_parts(s, id, n, &pv, &np), STORE_OK);
    CU_ASSERT_EQUAL_FATAL(np, 3);
    CU_ASSERT_EQUAL(pv[1].seq, 1);
    CU_ASSERT_STRING_EQUAL(pv[1].content_type, "image/jpeg");
    CU_ASSERT_STRING_EQUAL(pv[1].name, "cake'; DROP TABLE mms; --.jpg");
    CU_ASSERT_EQUAL(pv[1].len, sizeof bin);
    CU_ASSERT(memcmp(pv[1].data, bin, sizeof bin) == 0);
    CU_ASSERT_EQUAL(pv[0].len, strlen(text));
    CU_ASSERT_STRING_EQUAL(pv[0].name, "");
    CU_ASSERT_EQUAL(pv[2].len, 0);
    store_mms_parts_free(pv, np);
    struct store_mms_part one;
    CU_ASSERT_EQUAL_FATAL(store_mms_part_get(s, id, n, 1, &one), STORE_OK);
    CU_ASSERT(one.len == sizeof bin && memcmp(one.data, bin, sizeof bin) == 0);
    store_mms_part_cleanup(&one);
    CU_ASSERT_EQUAL(store_mms_part_get(s, id, n, 3, &one), STORE_NOT_FOUND);
    CU_ASSERT_EQUAL(store_mms_parts(s, id, 99, &pv, &np), STORE_NOT_FOUND);
    struct store_usage u;
    CU_ASSERT_EQUAL_FATAL(store_usage_get(s, id, &u), STORE_OK);
    CU_ASSERT_EQUAL(u.used_bytes, (long long)(strlen(text) + sizeof bin));
    CU_ASSERT_EQUAL(u.mms_count, 1);
    /* duplicates and invalid input */
    in.skip_duplicate = true;
    CU_ASSERT_EQUAL(store_mms_add(s, id, &in, &n), STORE_CONFLICT);
    in.skip_duplicate = false;
    in.nparts = 0;
    CU_ASSERT_EQUAL(store_mms_add(s, id, &in, &n), STORE_INVALID);
    in.nparts = 65;
    CU_ASSERT_EQUAL(store_mms_add(s, id, &in, &n), STORE_INVALID);
    in.nparts = 1;
    struct store_mms_part_new badct = { "", NULL, bin, 1, NULL };
    in.parts = &badct;
    CU_ASSERT_EQUAL(store_mms_add(s, id, &in, &n), STORE_INVALID);
    struct store_mms_part_new huge = { "image/png", NULL, bin, LIMIT_MMS_MAX + 1, NULL };
    in.parts = &huge;
    CU_ASSERT_EQUAL(store_mms_add(s, id, &in, &n), STORE_INVALID);
    /* search over subject, peer and text; list; delete with parts */
    struct store_mms_part_new plain = { "text/plain", NULL, (const unsigned char *)"hello there", 11, NULL };
    struct store_mms_new in2 = { .peer = "555", .source = "web", .parts = &plain, .nparts = 1 };
    CU_ASSERT_EQUAL(store_mms_add(s, id, &in2, &n), STORE_OK);
    CU_ASSERT_EQUAL(n, 2);
    struct store_mms_list l;
    struct store_page pg = { .limit = 10, .search = "快乐" };
    CU_ASSERT_EQUAL_FATAL(store_mms_list(s, id, &pg, &l), STORE_OK);
    CU_ASSERT_EQUAL(l.count, 1);
    store_mms_list_cleanup(&l);
    pg.search = "%";
    CU_ASSERT_EQUAL_FATAL(store_mms_list(s, id, &pg, &l), STORE_OK);
    CU_ASSERT_EQUAL(l.count, 1);
    store_mms_list_cleanup(&l);
    pg.search = NULL;
    pg.limit = 1;
    CU_ASSERT_EQUAL_FATAL(store_mms_list(s, id, &pg, &l), STORE_OK);
    CU_ASSERT_EQUAL(l.count, 1);
    CU_ASSERT_TRUE(l.more);
    CU_ASSERT_EQUAL(l.items[0].n, 2);
    CU_ASSERT_STRING_EQUAL(l.items[0].subject, "");
    store_mms_list_cleanup(&l);
    long long ns[] = { 1 }, del = 0, freed = 0;
    CU_ASSERT_EQUAL(store_items_delete(s, id, STORE_MMS, ns, 1, &del, &freed), STORE_OK);
    CU_ASSERT_EQUAL(freed, (long long)(strlen(text) + sizeof bin));
    CU_ASSERT_EQUAL(testdb_scalar("SELECT count(*) FROM mms_parts WHERE n = 1"), 0);
    CU_ASSERT_EQUAL_FATAL(store_usage_get(s, id, &u), STORE_OK);
    CU_ASSERT_EQUAL(u.used_bytes, 11);
}

static long long add_contact(const char *uid, const char *name, const char *number, bool skip)
{
    char vcard[512];
    snprintf(vcard, sizeof vcard, "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:%s\r\nTEL:%s\r\nEND:VCARD\r\n", name, number);
    struct store_contact_new in = { name, number, vcard, strlen(vcard), "sms", skip };
    long long n = -1;
    enum store_result rc = store_contact_add(s, uid, &in, &n);
    return rc == STORE_OK ? n : -(long long)rc;
}

static void test_contacts(void)
{
    char id[STORE_ID_LEN];
    CU_ASSERT_EQUAL_FATAL(store_user_create(s, "contactuser", "password1", "en", id), STORE_OK);
    long long a1 = add_contact(id, "Zhang San", "13800000001", false);
    long long b1 = add_contact(id, "李四", "13900000002", false);
    long long a2 = add_contact(id, "zhang san", "13800000003", false);   /* same person, new number */
    CU_ASSERT(a1 == 1 && b1 == 2 && a2 == 3);
    CU_ASSERT_EQUAL(add_contact(id, "Zhang San", "13800000003", true), -(long long)STORE_CONFLICT);
    struct store_contact c;
    CU_ASSERT_EQUAL_FATAL(store_contact_get(s, id, a1, &c), STORE_OK);
    CU_ASSERT_FALSE(c.current);
    CU_ASSERT_STRING_EQUAL(c.number, "13800000001");
    CU_ASSERT(strstr(c.vcard, "BEGIN:VCARD") == c.vcard);
    CU_ASSERT_EQUAL(c.size_bytes, (long long)c.vcard_len);
    store_contact_cleanup(&c);
    CU_ASSERT_EQUAL_FATAL(store_contact_get(s, id, a2, &c), STORE_OK);
    CU_ASSERT_TRUE(c.current);
    store_contact_cleanup(&c);
    struct store_contact_list l;
    CU_ASSERT_EQUAL_FATAL(store_contact_history(s, id, "ZHANG SAN", &l), STORE_OK);
    CU_ASSERT_EQUAL_FATAL(l.count, 2);
    CU_ASSERT_STRING_EQUAL(l.items[0].number, "13800000003");   /* newest first = current */
    CU_ASSERT_TRUE(l.items[0].current);
    CU_ASSERT_FALSE(l.items[1].current);
    store_contact_list_cleanup(&l);
    struct store_page pg = { .limit = 10 };
    CU_ASSERT_EQUAL_FATAL(store_contact_list(s, id, &pg, &l), STORE_OK);
    CU_ASSERT_EQUAL_FATAL(l.count, 3);
    CU_ASSERT_EQUAL(l.items[0].n, 3);
    CU_ASSERT_TRUE(l.items[0].current);
    CU_ASSERT_TRUE(l.items[1].current);   /* 李四 has one number */
    CU_ASSERT_FALSE(l.items[2].current);
    store_contact_list_cleanup(&l);
    pg.search = "李";
    CU_ASSERT_EQUAL_FATAL(store_contact_list(s, id, &pg, &l), STORE_OK);
    CU_ASSERT_EQUAL(l.count, 1);
    store_contact_list_cleanup(&l);
    pg.search = "0003";
    CU_ASSERT_EQUAL_FATAL(store_contact_list(s, id, &pg, &l), STORE_OK);
    CU_ASSERT_EQUAL(l.count, 1);
    store_contact_list_cleanup(&l);
    /* deleting the current entry makes the previous upload current again */
    long long ns[] = { a2 }, del = 0, freed = 0;
    CU_ASSERT_EQUAL(store_items_delete(s, id, STORE_CONTACT, ns, 1, &del, &freed), STORE_OK);
    CU_ASSERT_EQUAL(del, 1);
    CU_ASSERT_EQUAL_FATAL(store_contact_get(s, id, a1, &c), STORE_OK);
    CU_ASSERT_TRUE(c.current);
    store_contact_cleanup(&c);
    /* invalid */
    CU_ASSERT_EQUAL(add_contact(id, "", "1", false), -(long long)STORE_INVALID);
    CU_ASSERT_EQUAL(add_contact(id, "x", "", false), -(long long)STORE_INVALID);
    struct store_contact_new bad = { "x", "1", "\xff", 1, "sms", false };
    long long n;
    CU_ASSERT_EQUAL(store_contact_add(s, id, &bad, &n), STORE_INVALID);
    CU_ASSERT_EQUAL(store_contact_history(s, id, "nobody", &l), STORE_OK);
    CU_ASSERT_EQUAL(l.count, 0);
    store_contact_list_cleanup(&l);
    struct store_usage u;
    CU_ASSERT_EQUAL_FATAL(store_usage_get(s, id, &u), STORE_OK);
    CU_ASSERT_EQUAL(u.contact_count, 2);
    char sql[200];
    snprintf(sql, sizeof sql, "SELECT sum(size_bytes) FROM contacts WHERE user_id = '%s'", id);
    CU_ASSERT_EQUAL(u.used_bytes, testdb_scalar(sql));
}

/* The first card of text, read by common/vcard, archived: the result, and
 * what it wrote in *added. */
struct card_ctx {
    const char *uid;
    bool skip;
    enum store_result rc;
    struct store_card_added added;
};

static void store_card(const struct vcard_card *card, void *p)
{
    struct card_ctx *c = p;
    c->rc = store_contact_add_card(s, c->uid, card, "import", c->skip, &c->added);
}

static enum store_result add_card(const char *uid, const char *text, bool skip, struct store_card_added *added)
{
    struct card_ctx c = { uid, skip, STORE_ERR, { 0 } };
    CU_ASSERT_EQUAL_FATAL(vcard_read(text, strlen(text), store_card, &c, NULL), VCARD_OK);
    if (c.rc == STORE_OK && added)
        *added = c.added;
    return c.rc;
}

/* A card with several numbers: one row per number in one transaction, the
 * PREF one current; types and UID kept; space charged per row; all or
 * nothing; an import read again adds nothing. */
static void test_cards(void)
{
    char id[STORE_ID_LEN];
    CU_ASSERT_EQUAL_FATAL(store_user_create(s, "carduser", "password1", "en", id), STORE_OK);
    const char *card = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Wang Wei\r\nTEL;TYPE=HOME:010-1234 5678\r\n"
                       "TEL;TYPE=CELL,PREF:+86 138 0000 0007\r\nTEL;TYPE=WORK:021-555\r\nTEL:*100#\r\n"
                       "TEL;TYPE=CELL:+8613800000007\r\nUID:urn:uuid:wang-1\r\nEND:VCARD\r\n";
    struct store_card_added a;
    CU_ASSERT_EQUAL_FATAL(add_card(id, card, false, &a), STORE_OK);
    /* *100# is no number, the last TEL is the PREF one again: three rows */
    CU_ASSERT_EQUAL(a.count, 3);
    CU_ASSERT_EQUAL(a.first_n, 1);
    CU_ASSERT_EQUAL(a.current_n, 3);
    struct store_contact c;
    CU_ASSERT_EQUAL_FATAL(store_contact_get(s, id, 3, &c), STORE_OK);
    CU_ASSERT_STRING_EQUAL(c.number, "+86 138 0000 0007");
    CU_ASSERT_STRING_EQUAL(c.tel_types, "CELL,PREF");
    CU_ASSERT_STRING_EQUAL(c.uid, "urn:uuid:wang-1");
    CU_ASSERT_TRUE(c.current);
    CU_ASSERT_EQUAL(c.vcard_len, strlen(card));   /* the card as received, in every row */
    CU_ASSERT(memcmp(c.vcard, card, c.vcard_len) == 0);
    CU_ASSERT_EQUAL(c.size_bytes, (long long)strlen(card));
    store_contact_cleanup(&c);
    CU_ASSERT_EQUAL_FATAL(store_contact_get(s, id, 1, &c), STORE_OK);
    CU_ASSERT_STRING_EQUAL(c.number, "010-1234 5678");
    CU_ASSERT_STRING_EQUAL(c.tel_types, "HOME");
    CU_ASSERT_FALSE(c.current);
    store_contact_cleanup(&c);
    char sql[300];
    snprintf(sql, sizeof sql, "SELECT count(DISTINCT uploaded_at) FROM contacts WHERE user_id = '%s'", id);
    CU_ASSERT_EQUAL(testdb_scalar(sql), 1);   /* one upload */
    struct store_usage u;
    CU_ASSERT_EQUAL_FATAL(store_usage_get(s, id, &u), STORE_OK);
    CU_ASSERT_EQUAL(u.used_bytes, 3 * (long long)strlen(card));
    CU_ASSERT_EQUAL(u.contact_count, 3);
    /* no PREF: the first number is current */
    const char *plain = "BEGIN:VCARD\r\nFN:Li Na\r\nTEL;CELL:13900000001\r\nTEL;HOME:13900000002\r\nEND:VCARD\r\n";
    CU_ASSERT_EQUAL_FATAL(add_card(id, plain, false, &a), STORE_OK);
    CU_ASSERT_EQUAL_FATAL(store_contact_get(s, id, a.current_n, &c), STORE_OK);
    CU_ASSERT_STRING_EQUAL(c.number, "13900000001");
    CU_ASSERT_TRUE(c.current);
    store_contact_cleanup(&c);
    /* read again with skip_duplicate (an import of the same file): nothing added */
    CU_ASSERT_EQUAL(add_card(id, plain, true, NULL), STORE_CONFLICT);
    /* one new number: the card is written again, and its current is right */
    const char *more = "BEGIN:VCARD\r\nFN:Li Na\r\nTEL;CELL:13900000001\r\nTEL;PREF:13900000003\r\nEND:VCARD\r\n";
    CU_ASSERT_EQUAL_FATAL(add_card(id, more, true, &a), STORE_OK);
    CU_ASSERT_EQUAL(a.count, 2);
    struct store_contact_list h;
    CU_ASSERT_EQUAL_FATAL(store_contact_history(s, id, "li na", &h), STORE_OK);
    CU_ASSERT_EQUAL_FATAL(h.count, 4);
    CU_ASSERT_STRING_EQUAL(h.items[0].number, "13900000003");
    CU_ASSERT_TRUE(h.items[0].current);
    store_contact_list_cleanup(&h);
    /* refused: no phone number, no name, a name of two lines */
    CU_ASSERT_EQUAL(add_card(id, "BEGIN:VCARD\r\nFN:Svc\r\nTEL:*100#\r\nEND:VCARD\r\n", false, NULL), STORE_INVALID);
    CU_ASSERT_EQUAL(add_card(id, "BEGIN:VCARD\r\nTEL:\r\nEND:VCARD\r\n", false, NULL), STORE_INVALID);
    CU_ASSERT_EQUAL(add_card(id, "BEGIN:VCARD\r\nFN:a\\nb\r\nTEL:13900000009\r\nEND:VCARD\r\n", false, NULL),
                    STORE_INVALID);
    CU_ASSERT_EQUAL_FATAL(store_usage_get(s, id, &u), STORE_OK);
    CU_ASSERT_EQUAL(u.contact_count, 7);
    snprintf(sql, sizeof sql, "SELECT sum(size_bytes) FROM contacts WHERE user_id = '%s'", id);
    CU_ASSERT_EQUAL(u.used_bytes, testdb_scalar(sql));
    /* no room for all the rows of a card: none is written */
    char small[STORE_ID_LEN];
    struct store_config *cfg = testdb_config();
    long long initial = cfg->initial_bytes, threshold = cfg->threshold_bytes, cap = cfg->user_cap_bytes;
    cfg->initial_bytes = 2048;
    cfg->threshold_bytes = 0;
    cfg->user_cap_bytes = 2048;
    struct store *tight = testdb_open();
    CU_ASSERT_EQUAL_FATAL(store_user_create(tight, "tightcard", "password1", "en", small), STORE_OK);
    char big[1400] = "BEGIN:VCARD\r\nFN:Big\r\nTEL:13900000011\r\nTEL:13900000012\r\nNOTE:";
    size_t bl = strlen(big);
    memset(big + bl, 'x', 1000);
    strcpy(big + bl + 1000, "\r\nEND:VCARD\r\n");
    struct card_ctx cc = { small, false, STORE_ERR, { 0 } };
    struct store *keep = s;
    s = tight;
    CU_ASSERT_EQUAL_FATAL(vcard_read(big, strlen(big), store_card, &cc, NULL), VCARD_OK);
    s = keep;
    CU_ASSERT_EQUAL(cc.rc, STORE_NO_SPACE);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM contacts WHERE user_id = '%s'", small);
    CU_ASSERT_EQUAL(testdb_scalar(sql), 0);
    snprintf(sql, sizeof sql, "SELECT used_bytes FROM users WHERE id = '%s'", small);
    CU_ASSERT_EQUAL(testdb_scalar(sql), 0);
    store_free(tight);
    cfg->initial_bytes = initial;
    cfg->threshold_bytes = threshold;
    cfg->user_cap_bytes = cap;
}

static void test_open(void) { s = testdb_open(); }
static void test_close(void) { store_free(s); s = NULL; }

static const struct test_entry tests[] = {
    { "open", test_open },
    { "mms: parts byte-exact, preview, search, paging, delete", test_mms },
    { "contacts: current = newest upload, history, search", test_contacts },
    { "cards: a row per number, PREF current, types, UID, all or nothing", test_cards },
    { "close", test_close },
};

int main(void)
{
    return suite_main("mms", tests, sizeof tests / sizeof tests[0]);
}
