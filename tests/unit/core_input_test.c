/*
 * core_input_test — the SMS command engine against hostile and random text
 * (the fake store of tests/unit/fake_store.c): every command with missing,
 * extra and huge arguments, number lists that overflow or go backwards,
 * control, zero-width and right-to-left characters, invalid UTF-8, a 64 KiB
 * SAVE, vCards with 1,000 TEL lines; then a few thousand deterministic
 * random texts. What is asserted is what a phone would notice: a reply is
 * always produced (none only for binary, fragments, alphanumeric senders
 * and muted repeats), no reply exceeds its segment budget, and the archive
 * is consistent afterwards (space used = sum of item sizes, every stored
 * body valid UTF-8). The functional behaviour of each command is
 * core_test's business, not this file's.
 */
#include <CUnit/Basic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "core.h"
#include "core_mo.h"
#include "core_phone.h"
#include "core_render.h"
#include "core_text.h"
#include "fake_store.h"
#include "log.h"
#include "utf8.h"

#define PHONE1 "8613800000001"
#define PHONE2 "8613800000002"
#define PHONE3 "+8613800000003"

/* an item is re-delivered in MT of at most this many segments (core_render.h) */
#define MT_MAX_SEGMENTS CORE_MT_MAX_SEGMENTS

static struct store *S;
static struct core *C;
static struct core_config cfg;
static struct phone_got R;   /* what reached the phone for the last MO */
static time_t clock_now = 1700000000;

static void setup_segs(long long list_segments)
{
    fake_store_free(S);
    core_free(C);
    phone_got_cleanup(&R);
    cfg = (struct core_config){ .list_segments = list_segments, .get_max = 5, .del_max = 500,
                                .get_header = false, .web_url = "http://vault.example/",
                                .repeat_answers = 3, .repeat_quiet_s = 3600 };
    S = fake_store_new(10 << 20, 1 << 20, 10 << 20, 1LL << 30);
    C = core_new(&cfg);
}

static void setup(void) { setup_segs(2); }

static bool has(const char *hay, const char *needle) { return strstr(hay, needle) != NULL; }

/* Segments each reply may use: re-deliveries up to the MT cap, pages up to
 * list_segments, everything else one segment. */
static int budget(const char *cmd, size_t i)
{
    if (strcmp(cmd, "GET") == 0)
        return MT_MAX_SEGMENTS;
    if (strcmp(cmd, "LIST") == 0 || strcmp(cmd, "FIND") == 0)
        return (int)cfg.list_segments;
    return 1;
}

/* Run one MO and check what any MO must satisfy. */
static enum core_result run(const char *msisdn, const char *text, size_t len, unsigned flags)
{
    struct core_mo mo = { .msisdn = msisdn, .shortcode = "1065", .text = text, .len = len,
                          .flags = flags, .at = clock_now };
    enum core_result r = phone_run(C, &cfg, S, &mo, &R);
    CU_ASSERT_TRUE(r == CORE_OK || r == CORE_IGNORED);
    if (r == CORE_OK)
        CU_ASSERT_TRUE(R.count >= 1);   /* never silence for a command */
    if (r == CORE_IGNORED)
        CU_ASSERT_EQUAL(R.queued, 0);
    /* every reply queued reaches the phone, and every item asked for (or its notice) */
    CU_ASSERT_TRUE(R.count >= R.queued);
    for (size_t i = 0; i < R.count; i++) {
        size_t l = R.lens[i];
        CU_ASSERT_TRUE(l > 0);
        if (R.mts[i].binary) {   /* a business card: port 9204 */
            CU_ASSERT_TRUE(R.mts[i].udh_len == 7 && R.mts[i].udh[3] == 0x23 && R.mts[i].udh[4] == 0xF4);
            continue;
        }
        CU_ASSERT_TRUE(utf8_valid(R.texts[i], l));
        if (!core_text_fits(R.texts[i], l, budget(R.cmd, i))) {
            CU_FAIL("reply exceeds its segments");
            fprintf(stderr, "\n  cmd=%s segs=%d reply=[%s]\n", R.cmd, budget(R.cmd, i), R.texts[i]);
        }
    }
    CU_ASSERT_TRUE(fake_store_consistent(S));
    return r;
}

static enum core_result mo(const char *msisdn, const char *text)
{
    return run(msisdn, text, strlen(text), 0);
}

/* The one reply to text. */
static const char *say1(const char *msisdn, const char *text)
{
    mo(msisdn, text);
    CU_ASSERT_EQUAL_FATAL(R.count, 1);
    return R.texts[0];
}

static void reg(const char *msisdn, const char *user)
{
    char t[64];
    snprintf(t, sizeof t, "REG %s pass1234", user);
    CU_ASSERT_TRUE(has(say1(msisdn, t), "Welcome"));
}

static char *repeat(const char *unit, size_t times)
{
    size_t ul = strlen(unit);
    char *s = malloc(ul * times + 1);
    for (size_t i = 0; i < times; i++)
        memcpy(s + i * ul, unit, ul);
    s[ul * times] = '\0';
    return s;
}

static char *cat(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    char *s = malloc(la + lb + 1);
    memcpy(s, a, la);
    memcpy(s + la, b, lb + 1);
    return s;
}

/* ---- explicit cases ---- */

static void test_number_lists(void)
{
    static const struct { const char *text; const char *reply; } cases[] = {
        { "GET 99999999999999999999", "numbers like" },
        { "GET 1000000000001", "numbers like" },
        { "GET 0", "numbers like" },
        { "GET -1", "numbers like" },
        { "GET M", "numbers like" },
        { "GET C0", "numbers like" },
        { "GET C", "numbers like" },
        { "GET 1--2", "numbers like" },
        { "GET 1-M2", "numbers like" },
        { "GET ３", "numbers like" },          /* full-width digits are not numbers */
        { "GET 1\xE2\x80\x8B", "numbers like" }, /* zero-width space after the number */
        { "GET \xE2\x80\xAE" "1", "numbers like" }, /* RTL override before it */
        { "GET 1\x01", "numbers like" },
        { "DEL 1-999999999", "at most 500" },
        { "DEL 999999999999-1", "at most 500" },
        { "DEL 3-1", "Deleted 3" },
        { "DEL 4", "Deleted 1" },
        { "DEL 4", "Nothing" },
        { "GET 3-1", "Not found: 1, 2, 3" },
        { "LIST 99999999999999999999", "Usage: LIST" },
        { "LIST 0", "Usage: LIST" },
        { "LIST -1", "Usage: LIST" },
        { "LIST 1001", "Usage: LIST" },
        { "LIST MMS C", "Usage: LIST" },
        { "LIST 1 2 3", "Usage: LIST" },
        { "LIST 1000", "no page 1000; the last is 1" },
        { "LIST 2", "no page 2; the last is 1" },
        { "LIST C", "Nothing stored" },
        { "LIST C 2", "Nothing stored" },
        { "SPACE now", "Usage: SPACE" },
        { "LANG", "Usage: LANG" },
        { "LANG XX", "Usage: LANG" },
        { "LANG EN ZH", "Usage: LANG" },
        { "PASS onlyone", "Usage: PASS" },
        { "PASS a b c", "Usage: PASS" },
        { "CONTACT Bob", "Usage: CONTACT" },
        { "CONTACT Bob 12", "Usage: CONTACT" },
        { "CONTACT Bob +86-138-0000", "Contact saved" },
        { "CONTACT Bob (010)12345678", "Contact saved" },   /* the separators of common/msisdn */
        { "CONTACT Bob 138.0013.8000", "Contact saved" },
        { "CONTACT Bob *100#", "Usage: CONTACT" },
        { "CONTACT Bob 12a34", "Usage: CONTACT" },
        { "CONTACT Bob 1234567890123456789012345678901234567890123456789012345678901234567890",
          "Usage: CONTACT" },
    };
    setup();
    reg(PHONE1, "alice");
    for (int i = 0; i < 5; i++)
        say1(PHONE1, "SAVE x");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *r = say1(PHONE1, cases[i].text);
        if (!has(r, cases[i].reply)) {
            CU_FAIL("unexpected reply");
            fprintf(stderr, "\n  [%s] -> [%s], want [%s]\n", cases[i].text, r, cases[i].reply);
        }
    }
}

static void test_huge_lists(void)
{
    setup();
    reg(PHONE1, "alice");
    say1(PHONE1, "SAVE one");
    /* 10,000 commas around one number: one item */
    char *commas = repeat(",", 10000);
    char *t = cat("GET ", commas);
    char *t2 = cat(t, "1");
    mo(PHONE1, t2);
    CU_ASSERT_EQUAL_FATAL(R.count, 1);
    CU_ASSERT_STRING_EQUAL(R.texts[0], "one");
    free(t);
    free(t2);
    /* 10,000 numbers: refused by the cap, nothing deleted */
    char *ones = repeat("1,", 10000);
    t = cat("DEL ", ones);
    CU_ASSERT_TRUE(has(say1(PHONE1, t), "at most 500"));
    free(t);
    t = cat("GET ", ones);
    CU_ASSERT_TRUE(has(say1(PHONE1, t), "at most 5"));
    free(t);
    CU_ASSERT_TRUE(has(say1(PHONE1, "GET 1"), "one"));
    free(ones);
    free(commas);
}

static void test_odd_characters(void)
{
    setup();
    reg(PHONE1, "alice");
    /* zero-width, RTL, control characters and emoji are archived verbatim */
    static const char *const bodies[] = {
        "\xE2\x80\x8B\xE2\x80\x8C\xE2\x80\x8D",        /* ZWSP ZWNJ ZWJ */
        "\xE2\x80\xAE" "gnirts desrever",               /* RLO */
        "\x01\x02\x03\x1B\x7F",                         /* controls, ESC, DEL */
        "\xEF\xBB\xBF" "bom",
        "\xF0\x9F\x98\x80\xF0\x9F\x8F\xB3\xEF\xB8\x8F\xE2\x80\x8D\xF0\x9F\x8C\x88",
        "\xD8\xA7\xD9\x84\xD8\xB9\xD8\xB1\xD8\xA8\xD9\x8A\xD8\xA9",   /* Arabic */
    };
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        char *t = cat("SAVE ", bodies[i]);
        CU_ASSERT_TRUE(has(say1(PHONE1, t), "Saved"));
        char g[16];
        snprintf(g, sizeof g, "GET %zu", i + 1);
        CU_ASSERT_STRING_EQUAL(say1(PHONE1, g), bodies[i]);
        free(t);
    }
    mo(PHONE1, "LIST");
    CU_ASSERT_EQUAL(R.count, 1);
    mo(PHONE1, "FIND \xE2\x80\xAE");
    CU_ASSERT_EQUAL(R.count, 1);
    /* a command word followed by a control character is not that command */
    CU_ASSERT_TRUE(has(say1(PHONE1, "SPACE\x01"), "Unknown"));
    /* NUL inside the text: refused as unreadable, nothing stored */
    CU_ASSERT_EQUAL(run(PHONE1, "SAVE a\0b", 8, 0), CORE_OK);
    CU_ASSERT_TRUE(has(R.texts[0], "could not be read"));
    const char *uid = fake_store_user_of(S, PHONE1);
    CU_ASSERT_EQUAL(fake_store_count(S, uid, STORE_SMS), sizeof bodies / sizeof bodies[0]);
}

static void test_big_save(void)
{
    setup();
    reg(PHONE1, "alice");
    const char *uid = fake_store_user_of(S, PHONE1);
    /* exactly LIMIT_SMS_BODY_MAX bytes: stored, and GET gives it back in MT of <= 250 segments */
    char *body = repeat("a", LIMIT_SMS_BODY_MAX);
    char *t = cat("SAVE ", body);
    CU_ASSERT_TRUE(has(say1(PHONE1, t), "Saved as 1"));
    mo(PHONE1, "GET 1");
    CU_ASSERT_TRUE(R.count >= 2);
    size_t total = 0;
    for (size_t i = 0; i < R.count; i++)
        total += strlen(R.texts[i]);
    CU_ASSERT_EQUAL(total, LIMIT_SMS_BODY_MAX);
    free(t);
    /* one byte over: a clear refusal, nothing stored */
    t = cat("SAVE b", body);
    CU_ASSERT_TRUE(has(say1(PHONE1, t), "Not saved"));
    CU_ASSERT_EQUAL(fake_store_count(S, uid, STORE_SMS), 1);
    free(t);
    free(body);
    /* with the "#n " header, a body of 2-byte GSM characters at the limit still goes out:
     * no MT may be longer than the outbox takes (LIMIT_SMS_BODY_MAX bytes) */
    setup();
    cfg.get_header = true;
    core_free(C);
    C = core_new(&cfg);
    reg(PHONE1, "alice");
    body = repeat("\xC3\xA9", LIMIT_SMS_BODY_MAX / 2);   /* é: one septet, two bytes */
    t = cat("SAVE ", body);
    CU_ASSERT_TRUE(has(say1(PHONE1, t), "Saved as 1"));
    free(t);
    CU_ASSERT_EQUAL(mo(PHONE1, "GET 1"), CORE_OK);
    CU_ASSERT_TRUE(R.count >= 2);
    total = 0;
    for (size_t i = 0; i < R.count; i++)
        total += strlen(R.texts[i]);
    CU_ASSERT_EQUAL(total, LIMIT_SMS_BODY_MAX + 3);
    free(body);
    /* a 64 KiB unknown text and a 64 KiB password */
    body = repeat("\xE5\xAD\x97", 22000);
    CU_ASSERT_TRUE(has(say1(PHONE1, body), "Unknown"));
    t = cat("PASS pass1234 ", body);
    CU_ASSERT_TRUE(has(say1(PHONE1, t), "password"));
    free(t);
    free(body);
    CU_ASSERT_TRUE(has(say1(PHONE2, "LOGIN alice pass1234"), "alice"));
}

/* A sender longer than the store keeps is no phone we can answer: ignored,
 * not an error retried until bearerbox gives up. */
static void test_long_sender(void)
{
    setup();
    char *sender = repeat("1", LIMIT_PEER_MAX + 1);
    CU_ASSERT_EQUAL(mo(sender, "REG longphone pass1234"), CORE_IGNORED);
    CU_ASSERT_EQUAL(mo(sender, "HELP"), CORE_IGNORED);
    sender[LIMIT_PEER_MAX] = '\0';
    CU_ASSERT_TRUE(has(say1(sender, "REG longphone pass1234"), "Welcome"));
    CU_ASSERT_TRUE(has(say1(sender, "SAVE x"), "Saved"));
    free(sender);
}

static void test_passwords_and_names(void)
{
    setup();
    /* a password with a space is two words: the usage, never a half-made account */
    CU_ASSERT_TRUE(has(say1(PHONE1, "REG alice pass word 1234"), "Usage: REG"));
    CU_ASSERT_TRUE(has(say1(PHONE1, "REG alice"), "Usage: REG"));
    CU_ASSERT_TRUE(has(say1(PHONE1, "REG"), "Usage: REG"));
    CU_ASSERT_TRUE(has(say1(PHONE1, "REG al\xE2\x80\x8Bice pass1234"), "Name: 3-32"));
    char *longname = repeat("a", 1000);
    char *t = cat("REG ", longname);
    char *t2 = cat(t, " pass1234");
    CU_ASSERT_TRUE(has(say1(PHONE1, t2), "Name: 3-32"));
    free(t);
    free(t2);
    t = cat("LOGIN ", longname);
    t2 = cat(t, " pass1234");
    CU_ASSERT_TRUE(has(say1(PHONE1, t2), "Wrong user name"));
    free(t);
    free(t2);
    free(longname);
    reg(PHONE1, "alice");
    CU_ASSERT_TRUE(has(say1(PHONE2, "LOGIN alice pass1234\xC2\xA0"), "alice"));   /* NBSP is whitespace */
    CU_ASSERT_TRUE(has(say1(PHONE3, "LOGIN ALICE wrongpass"), "Wrong user name"));
}

static void test_vcards(void)
{
    setup();
    reg(PHONE1, "alice");
    const char *uid = fake_store_user_of(S, PHONE1);
    /* 1,000 TEL lines of one number: one contact */
    char *tels = repeat("TEL:13800001111\r\n", 1000);
    char *a = cat("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Many\r\n", tels);
    char *card = cat(a, "END:VCARD\r\n");
    mo(PHONE1, card);
    CU_ASSERT_EQUAL(R.count, 1);
    CU_ASSERT_EQUAL(fake_store_count(S, uid, STORE_CONTACT), 1);
    free(a);
    free(card);
    free(tels);
    /* not UTF-8 (Latin-1 name): unreadable, nothing stored */
    static const char latin1[] = "BEGIN:VCARD\r\nFN:Ren\xE9\r\nTEL:13800001111\r\nEND:VCARD\r\n";
    CU_ASSERT_TRUE(has(say1(PHONE1, latin1), "could not be read"));
    /* QUOTED-PRINTABLE decoding to Latin-1 without a charset named: unreadable, nothing stored */
    CU_ASSERT_TRUE(has(say1(PHONE1, "BEGIN:VCARD\r\nFN;ENCODING=QUOTED-PRINTABLE:Ren=E9\r\n"
                                    "TEL:13800001111\r\nEND:VCARD\r\n"), "could not be read"));
    /* ... and with it named: read */
    CU_ASSERT_TRUE(has(say1(PHONE1, "BEGIN:VCARD\r\nFN;CHARSET=ISO-8859-1;ENCODING=QUOTED-PRINTABLE:Ren=E9\r\n"
                                    "TEL:13800001112\r\nEND:VCARD\r\n"), "Saved contact C2 René"));
    /* unterminated, nested, without numbers, with a huge number */
    CU_ASSERT_TRUE(has(say1(PHONE1, "BEGIN:VCARD\r\nFN:X\r\nTEL:123456\r\n"), "could not be read"));
    CU_ASSERT_TRUE(has(say1(PHONE1, "BEGIN:VCARD\r\nBEGIN:VCARD\r\nFN:X\r\nEND:VCARD\r\nEND:VCARD"),
                       "could not be read"));
    CU_ASSERT_TRUE(has(say1(PHONE1, "BEGIN:VCARD\r\nFN:X\r\nEND:VCARD"), "vCard"));
    /* a number longer than a phone number may be: the card has no phone
     * number; a 5,000-byte name: not kept either */
    static const struct { const char *head, *unit, *tail; size_t times; const char *reply; } huge[] = {
        { "BEGIN:VCARD\r\nFN:Big\r\nTEL:", "1", "\r\nEND:VCARD", 200, "no name or phone number" },
        { "BEGIN:VCARD\r\nFN:", "N", "\r\nTEL:13800001111\r\nEND:VCARD", 5000, "nothing saved" },
    };
    for (size_t i = 0; i < sizeof huge / sizeof huge[0]; i++) {
        char *mid = repeat(huge[i].unit, huge[i].times);
        char *head = cat(huge[i].head, mid);
        char *text = cat(head, huge[i].tail);
        CU_ASSERT_TRUE(has(say1(PHONE1, text), huge[i].reply));
        free(text);
        free(head);
        free(mid);
    }
    CU_ASSERT_EQUAL(fake_store_count(S, uid, STORE_CONTACT), 2);
}

/* FIND with more words or bytes than the store searches for: a clear reply,
 * not a store error retried until vaultbox gives up. */
static void test_find_too_much(void)
{
    setup();
    reg(PHONE1, "alice");
    say1(PHONE1, "SAVE a b c d e f g h i");
    CU_ASSERT_TRUE(has(say1(PHONE1, "FIND a b c d e f g h"), "a b c"));
    CU_ASSERT_TRUE(has(say1(PHONE1, "FIND a b c d e f g h i"), "at most 8 words"));
    CU_ASSERT_TRUE(has(say1(PHONE1, "查找 a b c d e f g h i"), "最多8个词"));
    char *big = repeat("x", LIMIT_SEARCH_BYTES_MAX + 1);
    char *t = cat("FIND ", big);
    CU_ASSERT_TRUE(has(say1(PHONE1, t), "at most 8 words"));
    free(t);
    big[LIMIT_SEARCH_BYTES_MAX] = '\0';
    t = cat("FIND ", big);
    CU_ASSERT_TRUE(has(say1(PHONE1, t), "No match"));
    free(t);
    free(big);
}

/* A list line longer than a page is cut, and the "more" trailer still fits. */
static void test_list_long_lines_within_segments(void)
{
    for (long long segs = 1; segs <= 3; segs++) {
        setup_segs(segs);
        reg(PHONE1, "alice");
        char *num = repeat("8", LIMIT_PEER_MAX);
        for (int i = 0; i < 40; i++) {
            char *t = cat("CONTACT 长名字长名字长名字长名字长名字长名字长名字 ", num);
            CU_ASSERT_TRUE(has(say1(PHONE1, t), "C"));
            free(t);
        }
        free(num);
        for (int p = 1; p <= 3; p++) {
            char t[32];
            snprintf(t, sizeof t, "LIST C %d", p);
            mo(PHONE1, t);
            CU_ASSERT_EQUAL(R.count, 1);
        }
        mo(PHONE1, "FIND 长名字");
        CU_ASSERT_EQUAL(R.count, 1);
    }
}

/* ---- MO decoding (vaultbox's Msg fields -> struct core_mo) ---- */

struct dec {
    struct core_mo mo;
    char *owned;
};

static void decode(struct dec *d, int coding, const char *udh, size_t udh_len, const char *data,
                   size_t len)
{
    memset(d, 0, sizeof *d);
    d->mo.msisdn = PHONE1;
    core_mo_decode(coding, (const unsigned char *)udh, udh_len, data, len, &d->mo, &d->owned);
}

static void test_mo_decoding(void)
{
    struct dec d;
    /* UTF-16BE: "SAVE 字😀" */
    static const char ucs2[] = "\0S\0A\0V\0E\0 \x5B\x57\xD8\x3D\xDE\x00";
    decode(&d, CORE_CODING_UCS2, NULL, 0, ucs2, sizeof ucs2 - 1);
    CU_ASSERT_EQUAL(d.mo.flags, 0);
    CU_ASSERT_EQUAL(d.mo.len, 12);
    CU_ASSERT_EQUAL(memcmp(d.mo.text, "SAVE \xE5\xAD\x97\xF0\x9F\x98\x80", 12), 0);
    CU_ASSERT_PTR_EQUAL(d.mo.text, d.owned);
    free(d.owned);
    /* odd length, lone high surrogate (at the end and before a non-surrogate), lone low surrogate */
    static const struct { const char *b; size_t n; } bad[] = {
        { "\0S\0A\0", 5 }, { "\0S\xD8\x3D", 4 }, { "\xD8\x3D\0S", 4 }, { "\xDE\x00\0S", 4 },
        { "\xD8\x3D\xD8\x3D", 4 }, { "\0", 1 },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        decode(&d, CORE_CODING_UCS2, NULL, 0, bad[i].b, bad[i].n);
        CU_ASSERT_EQUAL(d.mo.flags, CORE_MO_BAD_TEXT);
        CU_ASSERT_PTR_NULL(d.owned);
        CU_ASSERT_EQUAL(d.mo.len, 0);
    }
    decode(&d, CORE_CODING_UCS2, NULL, 0, NULL, 0);
    CU_ASSERT_EQUAL(d.mo.flags, CORE_MO_BAD_TEXT);
    /* empty UCS-2 is empty text */
    decode(&d, CORE_CODING_UCS2, NULL, 0, "", 0);
    CU_ASSERT_EQUAL(d.mo.flags, 0);
    CU_ASSERT_EQUAL(d.mo.len, 0);
    free(d.owned);
    /* 8-bit data is binary; coding 0 text is borrowed as it is */
    decode(&d, CORE_CODING_8BIT, NULL, 0, "SAVE x", 6);
    CU_ASSERT_EQUAL(d.mo.flags, CORE_MO_BINARY);
    decode(&d, -1, NULL, 0, "SAVE x", 6);
    CU_ASSERT_EQUAL(d.mo.flags, 0);
    CU_ASSERT_EQUAL(d.mo.len, 6);
    CU_ASSERT_PTR_NULL(d.owned);
    /* UDH: 16-bit ports (a business card to port 9204, in 8 bits or as text; WAP push),
     * 8-bit ports, concatenation 8 and 16 bit */
    decode(&d, CORE_CODING_TEXT, "\x06\x05\x04\x23\xF4\x00\x00", 7, "BEGIN:VCARD", 11);
    CU_ASSERT_EQUAL(d.mo.flags, CORE_MO_CARD);
    CU_ASSERT_EQUAL(d.mo.port, 9204);
    CU_ASSERT_EQUAL(d.mo.len, 11);
    decode(&d, CORE_CODING_8BIT, "\x06\x05\x04\x23\xF4\x00\x00", 7, "BEGIN:\0VCARD", 12);
    CU_ASSERT_EQUAL(d.mo.flags, CORE_MO_CARD);
    CU_ASSERT_EQUAL(d.mo.len, 12);   /* the octets as they came, NUL included */
    CU_ASSERT_PTR_NULL(d.owned);
    decode(&d, CORE_CODING_8BIT, "\x0B\x05\x04\x23\xF4\x00\x00\x00\x03\x07\x02\x01", 12, "BEGIN:", 6);
    CU_ASSERT_EQUAL(d.mo.flags, CORE_MO_CARD | CORE_MO_FRAGMENT);   /* a part alone */
    decode(&d, CORE_CODING_8BIT, "\x06\x05\x04\x0B\x84\x23\xF0", 7, "\x01\x06", 2);
    CU_ASSERT_EQUAL(d.mo.flags, CORE_MO_BINARY);
    CU_ASSERT_EQUAL(d.mo.port, 2948);
    decode(&d, CORE_CODING_TEXT, "\x04\x04\x02\x10\x00", 5, "x", 1);
    CU_ASSERT_EQUAL(d.mo.flags, CORE_MO_BINARY);
    decode(&d, CORE_CODING_TEXT, "\x05\x00\x03\x2A\x02\x01", 6, "SAVE part one", 13);
    CU_ASSERT_EQUAL(d.mo.flags, CORE_MO_FRAGMENT);
    decode(&d, CORE_CODING_UCS2, "\x06\x08\x04\x00\x2A\x02\x02", 7, "\0x", 2);
    CU_ASSERT_EQUAL(d.mo.flags, CORE_MO_FRAGMENT);
    free(d.owned);
    /* other IEs (national language shift) leave a text a text */
    decode(&d, CORE_CODING_TEXT, "\x03\x24\x01\x01", 4, "HELP", 4);
    CU_ASSERT_EQUAL(d.mo.flags, 0);
    /* hostile UDH lengths: a UDHL past the octets received, an IE length past the UDHL,
     * a UDHL short of them: no over-read (ASan), and a header that lies is never run
     * (binary); UDHL 0 alone is an empty header */
    char *udh = malloc(3);   /* exact-size heap block so ASan sees any over-read */
    memcpy(udh, "\xFF\x00\xFF", 3);
    decode(&d, CORE_CODING_TEXT, udh, 3, "x", 1);
    CU_ASSERT_EQUAL(d.mo.flags, CORE_MO_BINARY);
    memcpy(udh, "\x02\x24\xFF", 3);
    decode(&d, CORE_CODING_TEXT, udh, 3, "x", 1);
    CU_ASSERT_EQUAL(d.mo.flags, CORE_MO_BINARY);
    memcpy(udh, "\x00\x00\x03", 3);
    decode(&d, CORE_CODING_TEXT, udh, 3, "x", 1);
    CU_ASSERT_EQUAL(d.mo.flags, CORE_MO_BINARY);
    decode(&d, CORE_CODING_TEXT, udh, 1, "x", 1);
    CU_ASSERT_EQUAL(d.mo.flags, 0);
    free(udh);

    /* and what the phone gets: a clear error for undecodable UCS-2, nothing for binary */
    setup();
    reg(PHONE1, "alice");
    decode(&d, CORE_CODING_UCS2, NULL, 0, "\0S\0A\0", 5);
    CU_ASSERT_EQUAL(run(PHONE1, d.mo.text, d.mo.len, d.mo.flags), CORE_OK);
    CU_ASSERT_TRUE(has(R.texts[0], "could not be read"));
    decode(&d, CORE_CODING_UCS2, NULL, 0, "\0S\0A\0V\0E\0 \0\0", 12);   /* U+0000 */
    CU_ASSERT_EQUAL(run(PHONE1, d.mo.text, d.mo.len, d.mo.flags), CORE_OK);
    CU_ASSERT_TRUE(has(R.texts[0], "could not be read"));
    free(d.owned);
    decode(&d, CORE_CODING_8BIT, NULL, 0, "SAVE x", 6);
    CU_ASSERT_EQUAL(run(PHONE1, d.mo.text, d.mo.len, d.mo.flags), CORE_IGNORED);
    const char *uid = fake_store_user_of(S, PHONE1);
    CU_ASSERT_EQUAL(fake_store_count(S, uid, STORE_SMS), 0);
}

/* ---- deterministic random input ---- */

static uint64_t rng = 0x5EEDF00DCAFEULL;

static uint32_t rnd(uint32_t n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng % n);
}


static const char *const words[] = {
    "HELP", "?", "？", "帮助", "REG", "register", "注册", "LOGIN", "登录", "SAVE", "save", "保存",
    "LIST", "列表", "GET", "get", "下载", "DEL", "DELETE", "删除", "FIND", "查找", "SPACE", "空间",
    "CONTACT", "联系人", "PASS", "密码", "LANG", "语言", "BEGIN:VCARD", "END:VCARD",
};
static const char *const pieces[] = {
    " ", "  ", "\t", "\r\n", "\xC2\xA0", "\xE3\x80\x80", ",", "，", "、", "-", "~", "～",
    "M", "C", "m", "c", "MMS", "EN", "ZH", "中文", "0", "1", "3", "42", "-1", "1000",
    "99999999999999999999", "1000000000000", "１２３", "\xE2\x80\x8B", "\xE2\x80\xAE", "\xE2\x80\x8F",
    "\x01", "\x1B", "\x7F", "😀", "字", "€", "pass1234", "alice", "bob", "wrongpass", "TEL:",
    "FN:", "N:;;", "\r\nTEL:138000", "=E9", ";ENCODING=QUOTED-PRINTABLE:", "\\", "\"", "%s%n",
    "\xC0\xAF", "\xED\xA0\x80", "\xFF", "\xE5\xAD", "\x00",
};

static void random_text(struct buf *b)
{
    buf_clear(b);
    if (rnd(10) < 8)
        buf_puts(b, words[rnd(sizeof words / sizeof words[0])]);
    int n = (int)rnd(12);
    for (int i = 0; i < n; i++) {
        uint32_t k = rnd(20);
        if (k == 0) {   /* a long run of one piece */
            const char *p = pieces[rnd(sizeof pieces / sizeof pieces[0])];
            size_t times = 1 + rnd(3000);
            for (size_t j = 0; j < times; j++)
                buf_append(b, p, p[0] ? strlen(p) : 1);
        } else if (k == 1) {   /* raw bytes */
            size_t m = 1 + rnd(16);
            for (size_t j = 0; j < m; j++) {
                char c = (char)rnd(256);
                buf_putc(b, c);
            }
        } else {
            const char *p = pieces[rnd(sizeof pieces / sizeof pieces[0])];
            buf_append(b, p, p[0] ? strlen(p) : 1);
        }
    }
}

static void test_random_texts(void)
{
    static const char *const phones[] = { PHONE1, PHONE2, PHONE3, "8613800000009", "CHINAMOBILE", "" };
    struct buf b = { 0 };
    unsigned failures = CU_get_number_of_failures();
    for (long long segs = 1; segs <= 3; segs++) {
        setup_segs(segs);
        reg(PHONE1, "alice");
        reg(PHONE2, "bob");
        for (int i = 0; i < 30; i++) {
            char t[32];
            snprintf(t, sizeof t, "SAVE message %d 字", i);
            mo(PHONE1, t);
            snprintf(t, sizeof t, "CONTACT P%d 1380000%04d", i, i);
            mo(PHONE2, t);
        }
        for (int i = 0; i < 1500; i++) {
            random_text(&b);
            unsigned flags = rnd(50) == 0 ? CORE_MO_BINARY : rnd(50) == 0 ? CORE_MO_FRAGMENT : 0;
            clock_now += rnd(100);
            enum core_result r = run(phones[rnd(sizeof phones / sizeof phones[0])], buf_cstr(&b), b.len, flags);
            if (flags)
                CU_ASSERT_EQUAL(r, CORE_IGNORED);
            if (CU_get_number_of_failures() > failures) {
                fprintf(stderr, "\n  random input %d (segs %lld) failed: %zu bytes\n", i, segs, b.len);
                break;
            }
        }
    }
    buf_cleanup(&b);
}

int main(void)
{
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 2;
    log_set_level(LOG_ERROR);
    CU_pSuite s = CU_add_suite("core_input", NULL, NULL);
    CU_add_test(s, "number lists: huge, zero, negative, backwards, odd digits", test_number_lists);
    CU_add_test(s, "10,000 commas and numbers", test_huge_lists);
    CU_add_test(s, "zero-width, RTL, control characters, NUL", test_odd_characters);
    CU_add_test(s, "64 KiB SAVE, unknown text and password", test_big_save);
    CU_add_test(s, "passwords with spaces, long names", test_passwords_and_names);
    CU_add_test(s, "a sender longer than the store keeps", test_long_sender);
    CU_add_test(s, "vCards: 1,000 TELs, not UTF-8, malformed", test_vcards);
    CU_add_test(s, "list lines longer than a page", test_list_long_lines_within_segments);
    CU_add_test(s, "FIND with too many words or bytes", test_find_too_much);
    CU_add_test(s, "MO decoding: UCS-2, surrogates, 8-bit, UDH", test_mo_decoding);
    CU_add_test(s, "random texts", test_random_texts);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
    CU_cleanup_registry();
    fake_store_free(S);
    core_free(C);
    phone_got_cleanup(&R);
    return failed ? 1 : 0;
}
