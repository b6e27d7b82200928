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
        { .content_type = "text/plain; charset=utf-8", .data = (const unsigned char *)text, .len = strlen(text) },
        { .content_type = "image/jpeg", .name = "cake'; DROP TABLE mms; --.jpg", .data = bin, .len = sizeof bin },
        { .content_type = "application/octet-stream", .name = "empty" },
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
    struct store_mms_part_new badct = { .content_type = "", .data = bin, .len = 1 };
    in.parts = &badct;
    CU_ASSERT_EQUAL(store_mms_add(s, id, &in, &n), STORE_INVALID);
    struct store_mms_part_new huge = { .content_type = "image/png", .data = bin, .len = LIMIT_MMS_MAX + 1 };
    in.parts = &huge;
    CU_ASSERT_EQUAL(store_mms_add(s, id, &in, &n), STORE_INVALID);
    /* search over subject, peer and text; list; delete with parts */
    struct store_mms_part_new plain = { .content_type = "text/plain", .data = (const unsigned char *)"hello there",
                                        .len = 11 };
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

/* Every field of an SMS Backup & Restore <mms> comes back as it went in:
 * the direction, both dates to the millisecond, the fields kept as written,
 * a device's own attributes, each part's names, content id and location and
 * its own fields, and the addresses with their types, in order
 * (issue 10, migration 011). */
static void test_mms_every_field(void)
{
    char id[STORE_ID_LEN];
    CU_ASSERT_EQUAL_FATAL(store_user_create(s, "mmsfields", "password1", "en", id), STORE_OK);
    const char *smil = "<smil><body><par><img src=\"cid:img1\"/></par></body></smil>";
    unsigned char img[] = { 0xFF, 0xD8, 0, 0x7F, 0xFF };
    struct store_attr_new px[] = { { "fav", "0" } }, mx[] = { { "sim_slot", "1" }, { "spam_report", "" } };
    struct store_mms_part_new parts[] = {
        { .content_type = "application/smil", .content_id = "smil", .content_location = "smil.xml",
          .data = (const unsigned char *)smil, .len = strlen(smil), .fields = { [STORE_PART_SEQ] = "-1" } },
        { .content_type = "image/jpeg", .name = "a.jpg", .content_id = "img1", .content_location = "a.jpg",
          .data = img, .len = sizeof img, .fields = { [STORE_PART_SEQ] = "0", [STORE_PART_CD] = "null" },
          .extra = px, .nextra = 1 },
    };
    struct store_mms_addr_new addrs[] = {
        { .address = "+8613700000000", .type = STORE_ADDR_FROM, .charset = "106" },
        { .address = "+8613800000000", .type = STORE_ADDR_TO, .charset = "106" },
        { .address = "+8613900000000", .type = STORE_ADDR_CC },
        { .address = "weird", .extra = mx, .nextra = 1 },
    };
    struct store_mms_new in = { .peer = "+8613700000000", .subject = "s", .sent_at = 1700000000, .sent_ms = 42,
                                .msg_box = STORE_MMS_SENT, .date_sent_ms = 1699999999123, .source = "import",
                                .parts = parts, .nparts = 2, .addrs = addrs, .naddrs = 4, .extra = mx, .nextra = 2,
                                .fields = { [STORE_MMS_M_TYPE] = "128", [STORE_MMS_TR_ID] = "T1\"'{}" } };
    long long n = 0;
    CU_ASSERT_EQUAL_FATAL(store_mms_add(s, id, &in, &n), STORE_OK);
    struct store_mms m;
    CU_ASSERT_EQUAL_FATAL(store_mms_get(s, id, n, &m), STORE_OK);
    CU_ASSERT_EQUAL(m.sent_at, 1700000000);
    CU_ASSERT_EQUAL(m.sent_ms, 42);
    CU_ASSERT_EQUAL(m.msg_box, STORE_MMS_SENT);
    CU_ASSERT_EQUAL(m.date_sent_ms, 1699999999123);
    CU_ASSERT_STRING_EQUAL(m.fields[STORE_MMS_M_TYPE], "128");
    CU_ASSERT_STRING_EQUAL(m.fields[STORE_MMS_TR_ID], "T1\"'{}");
    CU_ASSERT_PTR_NULL(m.fields[STORE_MMS_READ]);
    CU_ASSERT_EQUAL_FATAL(m.nextra, 2);
    CU_ASSERT_STRING_EQUAL(m.extra[0].name, "sim_slot");
    CU_ASSERT_STRING_EQUAL(m.extra[1].name, "spam_report");
    CU_ASSERT_STRING_EQUAL(m.extra[1].value, "");
    CU_ASSERT_EQUAL(m.size_bytes, (long long)(strlen(smil) + sizeof img));   /* the SMIL part is content too */
    store_mms_cleanup(&m);
    struct store_mms_part *pv = NULL;
    size_t np = 0;
    CU_ASSERT_EQUAL_FATAL(store_mms_parts(s, id, n, &pv, &np), STORE_OK);
    CU_ASSERT_EQUAL_FATAL(np, 2);
    CU_ASSERT_STRING_EQUAL(pv[0].content_type, "application/smil");
    CU_ASSERT_STRING_EQUAL(pv[0].content_id, "smil");
    CU_ASSERT_STRING_EQUAL(pv[0].content_location, "smil.xml");
    CU_ASSERT_STRING_EQUAL(pv[0].fields[STORE_PART_SEQ], "-1");
    CU_ASSERT_EQUAL(pv[0].nextra, 0);
    CU_ASSERT_STRING_EQUAL(pv[1].content_id, "img1");
    CU_ASSERT_STRING_EQUAL(pv[1].fields[STORE_PART_CD], "null");
    CU_ASSERT_PTR_NULL(pv[1].fields[STORE_PART_FN]);
    CU_ASSERT(pv[1].len == sizeof img && memcmp(pv[1].data, img, sizeof img) == 0);
    CU_ASSERT_EQUAL_FATAL(pv[1].nextra, 1);
    CU_ASSERT_STRING_EQUAL(pv[1].extra[0].value, "0");
    store_mms_parts_free(pv, np);
    struct store_mms_addr *av = NULL;
    size_t na = 0;
    CU_ASSERT_EQUAL_FATAL(store_mms_addrs(s, id, n, &av, &na), STORE_OK);
    CU_ASSERT_EQUAL_FATAL(na, 4);
    CU_ASSERT_EQUAL(av[0].type, STORE_ADDR_FROM);
    CU_ASSERT_EQUAL(av[1].type, STORE_ADDR_TO);
    CU_ASSERT_STRING_EQUAL(av[1].address, "+8613800000000");
    CU_ASSERT_EQUAL(av[2].type, STORE_ADDR_CC);
    CU_ASSERT_PTR_NULL(av[2].charset);
    CU_ASSERT_EQUAL(av[3].type, 0);
    CU_ASSERT_EQUAL_FATAL(av[3].nextra, 1);
    store_mms_addrs_free(av, na);
    /* the same MMS again is a duplicate; in another box it is another MMS */
    in.skip_duplicate = true;
    CU_ASSERT_EQUAL(store_mms_add(s, id, &in, &n), STORE_CONFLICT);
    in.msg_box = STORE_MMS_INBOX;
    CU_ASSERT_EQUAL(store_mms_add(s, id, &in, &n), STORE_OK);
    /* an attribute name the export could not write back, too many addresses */
    struct store_attr_new bad[] = { { "1x", "v" } };
    in.extra = bad;
    in.nextra = 1;
    in.skip_duplicate = false;
    CU_ASSERT_EQUAL(store_mms_add(s, id, &in, &n), STORE_INVALID);
    in.extra = NULL;
    in.nextra = 0;
    in.naddrs = LIMIT_MMS_ADDRS_MAX + 1;
    CU_ASSERT_EQUAL(store_mms_add(s, id, &in, &n), STORE_INVALID);
    /* deleting the MMS takes its addresses */
    long long ns[] = { n - 1, n };
    CU_ASSERT_EQUAL(store_items_delete(s, id, STORE_MMS, ns, 2, NULL, NULL), STORE_OK);
    CU_ASSERT_EQUAL(testdb_scalar("SELECT count(*) FROM mms_addrs"), 0);
}

static long long add_contact(const char *uid, const char *name, const char *number, bool skip)
{
    char vcard[512];
    snprintf(vcard, sizeof vcard, "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:%s\r\nTEL:%s\r\nEND:VCARD\r\n", name, number);
    struct store_contact_new in = { .name = name, .number = number, .vcard = vcard, .vcard_len = strlen(vcard),
                                    .source = "sms", .skip_duplicate = skip };
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
    struct store_contact_new bad = { .name = "x", .number = "1", .vcard = "\xff", .vcard_len = 1, .source = "sms" };
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

/* People, not rows (issue 10): a person is the rows of one UID, else of one
 * name (case and white space aside); listed newest first by its current
 * number, found by any row, counted, deleted and matched as a whole. */
static void test_people(void)
{
    char id[STORE_ID_LEN];
    CU_ASSERT_EQUAL_FATAL(store_user_create(s, "peopleuser", "password1", "en", id), STORE_OK);
    struct store_card_added a;
    /* 1-2: a card of two numbers, the PREF one written first */
    CU_ASSERT_EQUAL_FATAL(add_card(id, "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Wang Wei\r\nUID:ww-1\r\n"
                                       "TEL;TYPE=CELL,PREF:13800000011\r\nTEL;TYPE=HOME:010-1111\r\nEND:VCARD\r\n",
                                   false, &a), STORE_OK);
    CU_ASSERT_EQUAL(a.current_n, 2);
    long long b = add_contact(id, "Li  Na", "13900000012", false);     /* 3 */
    long long w = add_contact(id, "Wang Wei", "13700000013", false);   /* 4: no UID: another person */
    long long b2 = add_contact(id, "li na", "13900000014", false);     /* 5: Li Na's new number */
    CU_ASSERT(b == 3 && w == 4 && b2 == 5);
    /* 6: the same UID under another name: Wang Wei's newest number */
    CU_ASSERT_EQUAL_FATAL(add_card(id, "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Wei Wang\r\nUID:ww-1\r\n"
                                       "TEL;TYPE=WORK:13600000016\r\nEND:VCARD\r\n", false, &a), STORE_OK);
    struct store_person_list l;
    struct store_page pg = { .limit = 10 };
    CU_ASSERT_EQUAL_FATAL(store_person_list(s, id, &pg, &l), STORE_OK);
    CU_ASSERT_EQUAL_FATAL(l.count, 3);
    CU_ASSERT_EQUAL(l.items[0].n, 6);
    CU_ASSERT_STRING_EQUAL(l.items[0].uid, "ww-1");
    CU_ASSERT_EQUAL_FATAL(l.items[0].count, 3);
    CU_ASSERT_STRING_EQUAL(l.items[0].numbers[0].number, "010-1111");      /* upload order, */
    CU_ASSERT_STRING_EQUAL(l.items[0].numbers[1].number, "13800000011");   /* PREF last of its card, */
    CU_ASSERT_STRING_EQUAL(l.items[0].numbers[2].number, "13600000016");   /* the newest current */
    CU_ASSERT_TRUE(l.items[0].numbers[2].current);
    CU_ASSERT_FALSE(l.items[0].numbers[1].current);
    CU_ASSERT_EQUAL(l.items[1].n, 5);
    CU_ASSERT_EQUAL(l.items[1].count, 2);
    CU_ASSERT_EQUAL(l.items[2].n, 4);
    CU_ASSERT_EQUAL(l.items[2].count, 1);
    store_person_list_cleanup(&l);
    /* pages of people; a search finds a person by an older number */
    pg.limit = 1;
    pg.before_n = 6;
    CU_ASSERT_EQUAL_FATAL(store_person_list(s, id, &pg, &l), STORE_OK);
    CU_ASSERT(l.count == 1 && l.items[0].n == 5 && l.more);
    store_person_list_cleanup(&l);
    pg = (struct store_page){ .limit = 10, .search = "13900000012" };
    CU_ASSERT_EQUAL_FATAL(store_person_list(s, id, &pg, &l), STORE_OK);
    CU_ASSERT(l.count == 1 && l.items[0].n == 5 && l.items[0].count == 2);
    store_person_list_cleanup(&l);
    /* any row names its person; current follows the person, not the name */
    struct store_person p;
    CU_ASSERT_EQUAL_FATAL(store_contact_person(s, id, 1, &p), STORE_OK);
    CU_ASSERT_EQUAL(p.n, 6);
    CU_ASSERT_EQUAL(p.nrows, 3);
    store_person_cleanup(&p);
    CU_ASSERT_EQUAL(store_contact_person(s, id, 99, &p), STORE_NOT_FOUND);
    struct store_contact c;
    CU_ASSERT_EQUAL_FATAL(store_contact_get(s, id, 4, &c), STORE_OK);
    CU_ASSERT_TRUE(c.current);   /* Wang Wei without a UID: his own person */
    long long kept = c.size_bytes;
    store_contact_cleanup(&c);
    CU_ASSERT_EQUAL_FATAL(store_contact_get(s, id, 2, &c), STORE_OK);
    CU_ASSERT_FALSE(c.current);   /* the card's PREF number, no longer the newest of ww-1 */
    store_contact_cleanup(&c);
    struct store_usage u;
    CU_ASSERT_EQUAL_FATAL(store_usage_get(s, id, &u), STORE_OK);
    CU_ASSERT_EQUAL(u.contact_count, 6);
    CU_ASSERT_EQUAL(u.person_count, 3);
    /* all that match: people counted; a delete takes every row of each */
    struct store_match m = { .search = "Wang" };
    long long n = 0, del = 0, freed = 0;
    CU_ASSERT_EQUAL(store_items_count(s, id, STORE_CONTACT, &m, &n), STORE_OK);
    CU_ASSERT_EQUAL(n, 2);
    long long except[] = { 4 };
    m.except = except;
    m.nexcept = 1;
    CU_ASSERT_EQUAL(store_items_delete_matching(s, id, STORE_CONTACT, &m, &del, &freed), STORE_OK);
    CU_ASSERT_EQUAL(del, 3);   /* Wang Wei of UID ww-1, all three numbers; not the one unticked */
    long long ns[] = { 3 };
    CU_ASSERT_EQUAL(store_persons_delete(s, id, ns, 1, &del, &freed), STORE_OK);
    CU_ASSERT_EQUAL(del, 2);   /* Li Na, named by her older number */
    CU_ASSERT_EQUAL_FATAL(store_usage_get(s, id, &u), STORE_OK);
    CU_ASSERT(u.contact_count == 1 && u.person_count == 1);
    CU_ASSERT_EQUAL(u.used_bytes, kept);
}

static void test_open(void) { s = testdb_open(); }
static void test_close(void) { store_free(s); s = NULL; }

/* What LIST lays out of each MMS (store_lines_list) is what the whole rows
 * say of it: the subject's first characters, else the text's. */
static void test_mms_lines(void)
{
    char id[STORE_ID_LEN];
    CU_ASSERT_EQUAL_FATAL(store_user_create(s, "mmsliner", "password1", "en", id), STORE_OK);
    const char *texts[] = { "a text, then more than twenty characters", "图片", "" };
    const char *subjects[] = { NULL, "a subject of more than twenty characters", "生日快乐生日快乐生日快乐生日快乐生日快乐生日快乐" };
    for (size_t i = 0; i < 3; i++) {
        struct store_mms_part_new part = { .content_type = "text/plain; charset=utf-8",
                                           .data = (const unsigned char *)texts[i], .len = strlen(texts[i]) };
        struct store_mms_new in = { .peer = "+8613700000000", .subject = subjects[i], .sent_at = i ? 1690000000 : 0,
                                    .source = "sms", .parts = &part, .nparts = 1 };
        long long n = 0;
        CU_ASSERT_EQUAL_FATAL(store_mms_add(s, id, &in, &n), STORE_OK);
    }
    struct store_page pg = { .limit = 10 };
    struct store_mms_list rows;
    struct store_line_list lines;
    CU_ASSERT_EQUAL_FATAL(store_mms_list(s, id, &pg, &rows), STORE_OK);
    CU_ASSERT_EQUAL_FATAL(store_lines_list(s, id, STORE_MMS, &pg, 20, &lines), STORE_OK);
    CU_ASSERT_EQUAL_FATAL(lines.count, 3);
    CU_ASSERT_EQUAL_FATAL(rows.count, 3);
    for (size_t i = 0; i < 3; i++) {
        const struct store_mms *m = &rows.items[i];
        const struct store_line *l = &lines.items[i];
        CU_ASSERT_EQUAL(l->n, m->n);
        CU_ASSERT_STRING_EQUAL(l->peer, m->peer);
        CU_ASSERT_EQUAL(l->sent_at, m->sent_at);
        CU_ASSERT_EQUAL(l->saved_at, m->saved_at);
        const char *t = m->subject[0] ? m->subject : m->text;
        CU_ASSERT_EQUAL(strncmp(l->text, t, strlen(l->text)), 0);
    }
    CU_ASSERT_STRING_EQUAL(lines.items[0].text, "生日快乐生日快乐生日快乐生日快乐生日快乐生");   /* 21 characters */
    CU_ASSERT_STRING_EQUAL(lines.items[1].text, "a subject of more tha");
    CU_ASSERT_STRING_EQUAL(lines.items[2].text, "a text, then more tha");
    store_mms_list_cleanup(&rows);
    store_line_list_cleanup(&lines);
}

static const struct test_entry tests[] = {
    { "open", test_open },
    { "mms: parts byte-exact, preview, search, paging, delete", test_mms },
    { "mms: every field, part and address as it came", test_mms_every_field },
    { "mms: lines of LIST as the whole rows say", test_mms_lines },
    { "contacts: current = newest upload, history, search", test_contacts },
    { "cards: a row per number, PREF current, types, UID, all or nothing", test_cards },
    { "people: by UID or name, listed, found by any row, counted and deleted whole", test_people },
    { "close", test_close },
};

int main(void)
{
    return suite_main("mms", tests, sizeof tests / sizeof tests[0]);
}
