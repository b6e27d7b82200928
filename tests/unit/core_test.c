/*
 * core_test — the SMS command engine against an in-memory fake of the store
 * (tests/unit/fake_store.c): every command, alias and error reply, segment
 * fitting with GSM 03.38 / UCS-2 edges, paging and number ranges, business
 * cards to port 9204 and texts to the forward short code, items delivered
 * by request and rendered when sent. What is asserted is what the phone
 * receives (the outbox rows, delivery requests rendered as vaultbox's
 * sender renders them: tests/unit/core_phone.c).
 */
#include <CUnit/Basic.h>
#include <ctype.h>
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
#include "smstext.h"

#define PHONE1 "8613800000001"
#define PHONE2 "8613800000002"
#define PHONE3 "8613800000003"

static struct store *S;
static struct core *C;
static struct core_config cfg;
static struct phone_got R;   /* what reached the phone for the last MO */
static time_t clock_now = 1700000000;

static void setup_with(long long initial, long long threshold, long long step, long long cap)
{
    fake_store_free(S);
    core_free(C);
    phone_got_cleanup(&R);
    S = fake_store_new(initial, threshold, step, cap);
    C = core_new(&cfg);
}

static void setup(void)
{
    cfg = (struct core_config){ .list_segments = 2, .get_max = 5, .del_max = 500, .get_header = false,
                                .web_url = "http://vault.example/", .repeat_answers = 3,
                                .repeat_quiet_s = 3600, .forward_shortcode = "106591" };
    setup_with(10 << 20, 1 << 20, 10 << 20, 1LL << 30);
}

/* Run one MO to the short code `to`; what reached the phone is in R. */
static enum core_result mo_to(const char *msisdn, const char *to, const char *text, size_t len, unsigned flags)
{
    struct core_mo mo = { .msisdn = msisdn, .shortcode = to, .text = text, .len = len,
                          .flags = flags, .at = clock_now };
    return phone_run(C, &cfg, S, &mo, &R);
}

/* Run one MO to the service; what reached the phone is in R. */
static enum core_result mo_flags(const char *msisdn, const char *text, size_t len, unsigned flags)
{
    return mo_to(msisdn, "10659", text, len, flags);
}

/* A binary MO as vaultbox hands it over (core_mo_decode): coding 8-bit,
 * udh with its length octet. */
static enum core_result mo_binary(const char *msisdn, const char *udh_hex, const char *data, size_t len)
{
    unsigned char udh[32];
    size_t ul = 0;
    for (; udh_hex[2 * ul] && ul < sizeof udh; ul++) {
        unsigned v;
        sscanf(udh_hex + 2 * ul, "%2x", &v);
        udh[ul] = (unsigned char)v;
    }
    struct core_mo m = { .msisdn = msisdn, .shortcode = "10659", .at = clock_now };
    char *owned = NULL;
    core_mo_decode(CORE_CODING_8BIT, udh, ul, data, len, &m, &owned);
    enum core_result r = phone_run(C, &cfg, S, &m, &R);
    free(owned);
    return r;
}

#define CARD_UDH "0605042" "3F40000"   /* 06 05 04 23 F4 00 00: port 9204 */

static enum core_result mo(const char *msisdn, const char *text)
{
    return mo_flags(msisdn, text, strlen(text), 0);
}

/* The single reply to text; asserts there is exactly one and that it fits one segment. */
static const char *say1(const char *msisdn, const char *text)
{
    enum core_result r = mo(msisdn, text);
    CU_ASSERT_EQUAL(r, CORE_OK);
    CU_ASSERT_EQUAL_FATAL(R.count, 1);
    CU_ASSERT_TRUE(core_text_fits(R.texts[0], strlen(R.texts[0]), 1));
    return R.texts[0];
}

static bool has(const char *hay, const char *needle)
{
    return strstr(hay, needle) != NULL;
}

static void reg_alice(void)
{
    CU_ASSERT_TRUE(has(say1(PHONE1, "REG alice pass1234"), "Welcome alice"));
}

/* ---- tests ---- */

static void test_help_and_aliases(void)
{
    setup();
    CU_ASSERT_TRUE(has(say1(PHONE1, "HELP"), "SAVE text"));
    CU_ASSERT_TRUE(has(say1(PHONE1, "help"), "SAVE text"));
    CU_ASSERT_TRUE(has(say1(PHONE1, "  hElP  "), "SAVE text"));
    CU_ASSERT_TRUE(has(say1(PHONE1, "?"), "SAVE text"));
    CU_ASSERT_TRUE(has(say1(PHONE1, "帮助"), "保存内容"));
    /* full-width question mark from a Chinese phone with no account yet */
    CU_ASSERT_TRUE(has(say1(PHONE1, "？"), "SAVE"));
    /* the replies went to the outbox, addressed to the phone */
    CU_ASSERT_EQUAL(fake_store_outbox_count(S), 6);
    CU_ASSERT_STRING_EQUAL(fake_store_outbox_msisdn(S, 0), PHONE1);
}

static void test_unbound_phone_gets_registration_hint(void)
{
    setup();
    CU_ASSERT_TRUE(has(say1(PHONE1, "SAVE hello"), "REG <user> <password>"));
    CU_ASSERT_TRUE(has(say1(PHONE1, "LIST"), "REG <user> <password>"));
    CU_ASSERT_TRUE(has(say1(PHONE1, "保存 你好"), "注册 用户名 密码"));
    CU_ASSERT_TRUE(has(say1(PHONE1, "what is this"), "REG <user> <password>"));
    CU_ASSERT_TRUE(has(say1(PHONE1, "这是什么"), "注册"));
}

static void test_register(void)
{
    setup();
    const char *r = say1(PHONE1, "REG alice pass1234");
    CU_ASSERT_TRUE(has(r, "Welcome alice"));
    CU_ASSERT_TRUE(has(r, "10 MB"));
    CU_ASSERT_TRUE(has(say1(PHONE2, "REG ALICE otherpass1"), "taken"));
    CU_ASSERT_TRUE(has(say1(PHONE2, "REG al pass1234"), "3-32"));
    CU_ASSERT_TRUE(has(say1(PHONE2, "REG bob short"), "Password: 8-128"));
    CU_ASSERT_TRUE(has(say1(PHONE2, "REG bob"), "Usage: REG <user> <password>"));
    CU_ASSERT_TRUE(has(say1(PHONE2, "REG bob pass1234 extra"), "Usage: REG"));
    r = say1(PHONE2, "注册 bob mima12345");
    CU_ASSERT_TRUE(has(r, "欢迎 bob"));
    /* the phone is now bound: SAVE works */
    CU_ASSERT_TRUE(has(say1(PHONE2, "保存 测试"), "已保存为 1"));
}

static void test_save_verbatim_and_whitespace(void)
{
    setup();
    reg_alice();
    /* ideographic space U+3000 separates the command; trailing spaces are kept */
    CU_ASSERT_TRUE(has(say1(PHONE1, "  save\xE3\x80\x80hello  "), "Saved as 1."));
    /* received by the phone that saved it; who sent it is not in the text */
    struct store_sms m = { 0 };
    CU_ASSERT_EQUAL_FATAL(store_sms_get(S, fake_store_user_of(S, PHONE1), 1, &m), STORE_OK);
    CU_ASSERT_EQUAL(m.type, STORE_SMS_RECEIVED);
    CU_ASSERT_STRING_EQUAL(m.phone, PHONE1);
    CU_ASSERT_STRING_EQUAL(m.peer, "");
    store_sms_cleanup(&m);
    mo(PHONE1, "GET 1");
    CU_ASSERT_EQUAL_FATAL(R.count, 1);
    CU_ASSERT_STRING_EQUAL(R.texts[0], "hello  ");
    /* Chinese alias without a space */
    CU_ASSERT_TRUE(has(say1(PHONE1, "保存你好"), "已保存为 2"));
    mo(PHONE1, "GET 2");
    CU_ASSERT_STRING_EQUAL(R.texts[0], "你好");
    /* SAVE without text */
    CU_ASSERT_TRUE(has(say1(PHONE1, "SAVE   "), "Usage: SAVE <text>"));
    /* SaVe mixed case, newline inside the text */
    CU_ASSERT_TRUE(has(say1(PHONE1, "SaVe line1\nline2"), "Saved as 3."));
    mo(PHONE1, "get 3");
    CU_ASSERT_STRING_EQUAL(R.texts[0], "line1\nline2");
    /* a word that only starts like a command is no command */
    CU_ASSERT_TRUE(has(say1(PHONE1, "SAVEhello"), "Unknown command"));
}

static void test_get_byte_exact_gsm_ucs2_edges(void)
{
    static const char *const bodies[] = {
        "\xE2\x82\xAC[]{}~|^\\@",               /* GSM extension table and '@' */
        "你好 🌏",                               /* CJK + emoji (surrogate pair in UCS-2) */
        "👨‍👩‍👧 family 🇨🇳 flag",          /* ZWJ sequence and regional indicators */
        "ÄÖÜäöüß èé ΔΦΓ",                      /* GSM national characters */
    };
    setup();
    reg_alice();
    for (size_t i = 0; i < 4; i++) {
        char cmd[128], get[16];
        snprintf(cmd, sizeof cmd, "SAVE %s", bodies[i]);
        say1(PHONE1, cmd);
        snprintf(get, sizeof get, "GET %zu", i + 1);
        mo(PHONE1, get);
        CU_ASSERT_EQUAL_FATAL(R.count, 1);
        CU_ASSERT_EQUAL(strlen(R.texts[0]), strlen(bodies[i]));
        CU_ASSERT_EQUAL(memcmp(R.texts[0], bodies[i], strlen(bodies[i])), 0);
    }
    /* a 400-character message comes back whole, as one outbox row */
    char big[420] = "SAVE ";
    for (int i = 0; i < 400; i++)
        big[5 + i] = (char)('a' + i % 26);
    big[405] = '\0';
    CU_ASSERT_TRUE(has(say1(PHONE1, big), "Saved as 5."));
    mo(PHONE1, "GET 5");
    CU_ASSERT_EQUAL_FATAL(R.count, 1);
    CU_ASSERT_STRING_EQUAL(R.texts[0], big + 5);
}

static void test_get_header_option(void)
{
    setup();
    cfg.get_header = true;
    core_free(C);
    C = core_new(&cfg);
    reg_alice();
    say1(PHONE1, "SAVE hi there");
    mo(PHONE1, "GET 1");
    CU_ASSERT_STRING_EQUAL(R.texts[0], "#1 hi there");
}

static void test_very_long_body_is_split_for_bearerbox(void)
{
    setup();
    reg_alice();
    size_t n = 60000;
    char *t = malloc(n + 6);
    memcpy(t, "SAVE ", 5);
    for (size_t i = 0; i < n; i++)
        t[5 + i] = (char)('A' + i % 26);
    t[5 + n] = '\0';
    CU_ASSERT_EQUAL(mo(PHONE1, t), CORE_OK);
    mo(PHONE1, "GET 1");
    CU_ASSERT_EQUAL_FATAL(R.count, 2);   /* 60000 septets = 393 parts: two MT of <= 250 parts */
    size_t total = 0;
    for (size_t i = 0; i < R.count; i++) {
        struct smstext_measure m;
        smstext_measure(R.texts[i], strlen(R.texts[i]), &m);
        CU_ASSERT_TRUE(m.segments <= 250);
        CU_ASSERT_EQUAL(memcmp(R.texts[i], t + 5 + total, strlen(R.texts[i])), 0);
        total += strlen(R.texts[i]);
    }
    CU_ASSERT_EQUAL(total, n);
    free(t);
}

/* Numbers of the items in one LIST page: lines start with "<n> ". */
static int page_numbers(const char *page, long long *out, int cap)
{
    int k = 0;
    const char *p = page;
    while (*p && k < cap) {
        char *end;
        long long v = strtoll(p, &end, 10);
        if (end != p && *end == ' ')
            out[k++] = v;
        const char *nl = strchr(p, '\n');
        if (!nl)
            break;
        p = nl + 1;
    }
    return k;
}

static void test_list_pages_within_segments(void)
{
    setup();
    reg_alice();
    CU_ASSERT_TRUE(has(say1(PHONE1, "LIST"), "Nothing stored yet"));
    for (int i = 1; i <= 40; i++) {
        char t[96];
        /* every seventh in Chinese: a page with one is UCS-2 and holds fewer lines */
        snprintf(t, sizeof t, i % 7 ? "SAVE message number %d with some text after it €" : "SAVE 第%d条短信，开会", i);
        say1(PHONE1, t);
    }
    bool seen[41] = { false };
    int pages = 0;
    char prev[2048] = "";   /* the page before, whole */
    for (int p = 1; p <= 20; p++) {
        char cmd[16];
        snprintf(cmd, sizeof cmd, "LIST %d", p);
        CU_ASSERT_EQUAL(mo(PHONE1, cmd), CORE_OK);
        CU_ASSERT_EQUAL_FATAL(R.count, 1);
        const char *page = R.texts[0];
        CU_ASSERT_TRUE(core_text_fits(page, strlen(page), 2));
        long long ns[64];
        int k = page_numbers(page, ns, 64);
        if (has(page, "Nothing stored"))
            break;
        pages++;
        CU_ASSERT_TRUE(k > 0);
        if (prev[0]) {
            /* the page before was full: with this page's first line too it would not fit */
            const char *trailer = strrchr(prev, '\n'), *nl = strchr(page, '\n');
            CU_ASSERT_PTR_NOT_NULL_FATAL(trailer);
            char more[4096];
            snprintf(more, sizeof more, "%.*s\n%.*s%s", (int)(trailer - prev), prev,
                     nl ? (int)(nl - page) : (int)strlen(page), page, trailer);
            CU_ASSERT_FALSE(core_text_fits(more, strlen(more), 2));
        }
        snprintf(prev, sizeof prev, "%s", page);
        for (int i = 0; i < k; i++) {
            CU_ASSERT_TRUE(ns[i] >= 1 && ns[i] <= 40);
            CU_ASSERT_FALSE(seen[ns[i]]);   /* no item on two pages */
            seen[ns[i]] = true;
            if (i > 0)
                CU_ASSERT_TRUE(ns[i] < ns[i - 1]);   /* newest first */
        }
        char next[32];
        snprintf(next, sizeof next, "More: LIST %d", p + 1);
        bool last = true;
        for (int n = 1; n <= 40; n++)
            last &= seen[n];
        CU_ASSERT_EQUAL(has(page, next), !last);
        if (last)
            break;
    }
    CU_ASSERT_TRUE(pages >= 3);
    for (int n = 1; n <= 40; n++)
        CU_ASSERT_TRUE(seen[n]);
    /* page past the end; a bad argument */
    char last_page[64];
    snprintf(last_page, sizeof last_page, "There is no page 99; the last is %d.", pages);
    CU_ASSERT_STRING_EQUAL(say1(PHONE1, "LIST 99"), last_page);
    CU_ASSERT_TRUE(has(say1(PHONE1, "LIST foo"), "Usage: LIST"));
    /* Chinese: the page and the trailer in Chinese, within the segments (UCS-2) */
    mo(PHONE1, "列表");
    CU_ASSERT_TRUE(core_text_fits(R.texts[0], strlen(R.texts[0]), 2));
    CU_ASSERT_TRUE(has(R.texts[0], "更多：列表 2"));
}

/* The reply to cmd from PHONE1 of an engine that remembers nothing (a new
 * one): the page laid out afresh from page 1. */
static char *list_afresh(const char *cmd)
{
    struct core *fresh = core_new(&cfg);
    struct phone_got got = { 0 };
    struct core_mo m = { .msisdn = PHONE1, .shortcode = "10659", .text = cmd, .len = strlen(cmd), .at = clock_now };
    CU_ASSERT_EQUAL(phone_run(fresh, &cfg, S, &m, &got), CORE_OK);
    char *t = strdup(got.count == 1 ? got.texts[0] : "(not one reply)");
    phone_got_cleanup(&got);
    core_free(fresh);
    return t;
}

static unsigned rnd(unsigned long long *state)
{
    *state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (unsigned)(*state >> 33);
}

/* Where deep pages start is remembered (core_list.c): whatever changed in
 * between — SAVEs and DELs by SMS, deletes and MMS from the web page the
 * engine never sees, the language — each LIST page is the page an engine
 * that remembers nothing lays out. */
static void test_list_remembered_pages_as_laid_out_afresh(void)
{
    setup();
    reg_alice();
    const char *uid = fake_store_user_of(S, PHONE1);
    unsigned long long state = 20261203;
    long long saved = 0;
    int compared = 0, deep = 0;
    for (int step = 0; step < 700; step++) {
        unsigned r = rnd(&state), op = r % 16;
        char cmd[256];
        if (op < 6 || saved < 40) {
            /* texts of every length; some Chinese (a page with one is UCS-2) */
            int len = (int)(rnd(&state) % 70);
            snprintf(cmd, sizeof cmd, "SAVE %s%.*s", r % 5 ? "note " : "会议记录 ",
                     len, "the quick brown fox jumps over the lazy dog again and again and again");
            CU_ASSERT_EQUAL(mo(PHONE1, cmd), CORE_OK);
            saved++;
        } else if (op == 6) {
            snprintf(cmd, sizeof cmd, "DEL %lld", 1 + (long long)(rnd(&state) % (unsigned)saved));
            CU_ASSERT_EQUAL(mo(PHONE1, cmd), CORE_OK);
        } else if (op == 7) {
            /* the web page deletes: the engine is not told */
            long long n = 1 + (long long)(rnd(&state) % (unsigned)saved), d = 0, f = 0;
            CU_ASSERT_EQUAL(store_items_delete(S, uid, STORE_SMS, &n, 1, &d, &f), STORE_OK);
        } else if (op == 8) {
            CU_ASSERT_TRUE(fake_store_add_mms(S, uid, "8613900000009", r % 3 ? "photo" : "照片", "text") > 0);
        } else if (op == 9) {
            CU_ASSERT_EQUAL(mo(PHONE1, r % 2 ? "LANG ZH" : "LANG EN"), CORE_OK);
        } else {
            /* mostly deep pages, often the next one */
            int page = 1 + (int)(rnd(&state) % 14);
            snprintf(cmd, sizeof cmd, "LIST %s%d", r % 4 == 0 ? "MMS " : "", page);
            CU_ASSERT_EQUAL(mo(PHONE1, cmd), CORE_OK);
            CU_ASSERT_EQUAL_FATAL(R.count, 1);
            char *fresh = list_afresh(cmd);
            CU_ASSERT_STRING_EQUAL(R.texts[0], fresh);
            compared++;
            deep += page > 5 && strncmp(fresh, "There is no page", 16) != 0;
            free(fresh);
        }
        clock_now += 5 * 3600;   /* the day on the lines moves */
    }
    CU_ASSERT_TRUE(compared > 150);
    CU_ASSERT_TRUE(deep > 50);
}

/* A deep page laid out at once (fetches of up to LIMIT_PAGE_MAX lines, each
 * page's lines dropped from the front) is the page reached by paging on
 * from page 1 (a fetch a page), over 2,500 SMS of every length. */
static void test_list_deep_page_as_paged_on(void)
{
    setup_with(1LL << 30, 1 << 20, 10 << 20, 1LL << 40);
    reg_alice();
    unsigned long long state = 7;
    for (int i = 1; i <= 2500; i++) {
        char t[160];
        int len = (int)(rnd(&state) % 60);
        snprintf(t, sizeof t, "SAVE %d %.*s", i, len, "words of a message, some longer than others, in a row");
        CU_ASSERT_EQUAL_FATAL(mo(PHONE1, t), CORE_OK);
    }
    char *walked[400] = { 0 };
    int last = 0;
    for (int p = 1; p < 400; p++) {
        char cmd[16];
        snprintf(cmd, sizeof cmd, "LIST %d", p);
        CU_ASSERT_EQUAL_FATAL(mo(PHONE1, cmd), CORE_OK);
        CU_ASSERT_EQUAL_FATAL(R.count, 1);
        if (strncmp(R.texts[0], "There is no page", 16) == 0)
            break;
        walked[p] = strdup(R.texts[0]);
        last = p;
    }
    CU_ASSERT_TRUE(last > 150);
    for (int p = 2; p < last; p += 37) {
        /* an engine that knows nothing, at page p at once, then on to p + 1
         * from what it learned on the way */
        struct core *fresh = core_new(&cfg);
        for (int q = p; q <= p + 1; q++) {
            char cmd[16];
            snprintf(cmd, sizeof cmd, "LIST %d", q);
            struct phone_got got = { 0 };
            struct core_mo m = { .msisdn = PHONE1, .shortcode = "10659", .text = cmd, .len = strlen(cmd),
                                 .at = clock_now };
            size_t listed = fake_store_listed(S);
            CU_ASSERT_EQUAL(phone_run(fresh, &cfg, S, &m, &got), CORE_OK);
            CU_ASSERT_EQUAL_FATAL(got.count, 1);
            CU_ASSERT_STRING_EQUAL(got.texts[0], walked[q]);
            if (q == p + 1)
                CU_ASSERT_TRUE(fake_store_listed(S) - listed <= 60);   /* a page's fetch: it learned right */
            phone_got_cleanup(&got);
        }
        core_free(fresh);
    }
    char *fresh_last = list_afresh("LIST 399");
    char want[64];
    snprintf(want, sizeof want, "There is no page 399; the last is %d.", last);
    CU_ASSERT_STRING_EQUAL(fresh_last, want);
    free(fresh_last);
    for (int p = 0; p < 400; p++)
        free(walked[p]);
}

/* How many items LIST read from the store to answer cmd. */
static size_t listed_for(const char *cmd)
{
    size_t before = fake_store_listed(S);
    CU_ASSERT_EQUAL(mo(PHONE1, cmd), CORE_OK);
    CU_ASSERT_EQUAL(R.count, 1);
    CU_ASSERT_FALSE(has(R.texts[0], "There is no page"));
    return fake_store_listed(S) - before;
}

/* listed_for(cmd) in an attempt that commits or not (core_attempt_begin). */
static size_t listed_in_attempt(const char *cmd, bool commit)
{
    core_attempt_begin(C);
    size_t n = listed_for(cmd);
    core_attempt_end(C, commit);
    return n;
}

/* Paging on from a deep page reads what follows it, not every page before
 * it again; a change, or an attempt that did not commit, makes the engine
 * lay out the pages from the first again. */
static void test_list_paging_on_reads_what_follows(void)
{
    setup();
    reg_alice();
    for (int i = 1; i <= 400; i++) {
        char t[64];
        snprintf(t, sizeof t, "SAVE message %d, some words of it", i);
        CU_ASSERT_EQUAL(mo(PHONE1, t), CORE_OK);
    }
    size_t first = listed_for("LIST 30");   /* pages 1..30, a full page or so in each */
    CU_ASSERT_TRUE(first >= 30 * 5);
    CU_ASSERT_TRUE(listed_for("LIST 31") <= 60);    /* one page's fetch (30 lines a segment) */
    CU_ASSERT_TRUE(listed_for("LIST 30") <= 60);    /* a page it passed on the way */
    CU_ASSERT_TRUE(listed_for("LIST 12") <= 60);
    CU_ASSERT_TRUE(listed_for("LIST 32") <= 60);
    CU_ASSERT_EQUAL(mo(PHONE1, "SAVE one more"), CORE_OK);
    /* as vaultbox runs them, each in an attempt at a transaction */
    CU_ASSERT_TRUE(listed_in_attempt("LIST 33", true) >= 32 * 5);   /* page 1 changed: laid out again */
    CU_ASSERT_TRUE(listed_in_attempt("LIST 34", true) <= 60);
    CU_ASSERT_TRUE(listed_in_attempt("LIST 35", false) <= 60);      /* rolled back: ... */
    CU_ASSERT_TRUE(listed_in_attempt("LIST 36", true) >= 35 * 5);   /* ... what it knew is forgotten */
    CU_ASSERT_TRUE(listed_in_attempt("LIST 37", true) <= 60);
}

static void test_list_preview_chinese_and_one_segment_config(void)
{
    setup();
    cfg.list_segments = 1;
    core_free(C);
    C = core_new(&cfg);
    reg_alice();
    say1(PHONE1, "SAVE 第一条短信内容比较长一些用来测试预览截断是否正确工作");
    say1(PHONE1, "SAVE second");
    mo(PHONE1, "LIST");
    CU_ASSERT_TRUE(core_text_fits(R.texts[0], strlen(R.texts[0]), 1));
    CU_ASSERT_TRUE(has(R.texts[0], "2 "));
    CU_ASSERT_TRUE(has(R.texts[0], "第一条短信"));
    CU_ASSERT_TRUE(has(R.texts[0], ".."));   /* the long one is a preview */
}

static void test_get_ranges_and_errors(void)
{
    setup();
    reg_alice();
    for (int i = 1; i <= 9; i++) {
        char t[32];
        snprintf(t, sizeof t, "SAVE m%d", i);
        say1(PHONE1, t);
    }
    mo(PHONE1, "GET 1,3");
    CU_ASSERT_EQUAL_FATAL(R.count, 2);
    CU_ASSERT_STRING_EQUAL(R.texts[0], "m1");
    CU_ASSERT_STRING_EQUAL(R.texts[1], "m3");
    mo(PHONE1, "GET 2-4");
    CU_ASSERT_EQUAL_FATAL(R.count, 3);
    CU_ASSERT_STRING_EQUAL(R.texts[2], "m4");
    mo(PHONE1, "GET 6-4");
    CU_ASSERT_EQUAL_FATAL(R.count, 3);
    CU_ASSERT_STRING_EQUAL(R.texts[0], "m4");
    mo(PHONE1, "GET 1, 2，3、4");   /* ASCII, full-width and ideographic commas */
    CU_ASSERT_EQUAL(R.count, 4);
    mo(PHONE1, "下载 7");
    CU_ASSERT_STRING_EQUAL(R.texts[0], "m7");
    /* the cap on one GET */
    CU_ASSERT_TRUE(has(say1(PHONE1, "GET 1-9"), "at most 5"));
    CU_ASSERT_TRUE(has(say1(PHONE1, "GET 1-999999999999"), "at most 5"));
    CU_ASSERT_TRUE(has(say1(PHONE1, "下载 1-9"), "最多 5"));
    /* missing numbers are named after what was found */
    mo(PHONE1, "GET 9,99,C3");
    CU_ASSERT_EQUAL_FATAL(R.count, 2);
    CU_ASSERT_STRING_EQUAL(R.texts[0], "m9");
    CU_ASSERT_TRUE(has(R.texts[1], "Not found: 99, C3"));
    CU_ASSERT_TRUE(has(say1(PHONE1, "GET x"), "numbers like"));
    CU_ASSERT_TRUE(has(say1(PHONE1, "GET 0"), "numbers like"));
    CU_ASSERT_TRUE(has(say1(PHONE1, "GET 1-"), "numbers like"));
    CU_ASSERT_TRUE(has(say1(PHONE1, "GET M1-C3"), "numbers like"));
    CU_ASSERT_TRUE(has(say1(PHONE1, "GET"), "Usage: GET"));
}

static void test_get_mms_and_contact(void)
{
    setup();
    reg_alice();
    const char *uid = fake_store_user_of(S, PHONE1);
    CU_ASSERT_STRING_NOT_EQUAL(uid, "");
    CU_ASSERT_EQUAL(fake_store_add_mms(S, uid, "8613900000009", "Trip", "photos from the beach"), 1);
    /* GET M1: no SMS from vaultbox's renderer; a request on the MMS channel,
     * which vaultmms delivers as an MMS (tests/e2e/mms_stack_test.sh) */
    size_t before = fake_store_outbox_count(S);
    mo(PHONE1, "GET M1");
    CU_ASSERT_EQUAL(R.count, 0);
    CU_ASSERT_EQUAL_FATAL(fake_store_outbox_count(S), before + 1);
    struct fake_outbox_row row;
    CU_ASSERT_TRUE_FATAL(fake_store_outbox_row(S, before, &row));
    CU_ASSERT_EQUAL(row.kind, OUTBOX_REQUEST);
    CU_ASSERT_EQUAL(row.item_kind, STORE_MMS);
    CU_ASSERT_EQUAL(row.item_n, 1);
    CU_ASSERT_EQUAL(row.state, 0);
    CU_ASSERT_STRING_EQUAL(row.msisdn, PHONE1);
    CU_ASSERT_STRING_EQUAL(store_outbox_channel_for(row.item_kind), STORE_CHANNEL_MMS);
    mo(PHONE1, "LIST MMS");
    CU_ASSERT_TRUE(has(R.texts[0], "M1 "));
    CU_ASSERT_TRUE(has(R.texts[0], "Trip"));

    CU_ASSERT_TRUE(has(say1(PHONE1, "CONTACT Zhang San 13800138000"), "Contact saved as C1: Zhang San"));
    /* GET C1: a Smart Messaging business card, 8-bit to port 9204, so the phone offers to save it */
    mo(PHONE1, "GET C1");
    CU_ASSERT_EQUAL_FATAL(R.count, 1);
    CU_ASSERT_TRUE(R.mts[0].binary);
    CU_ASSERT_EQUAL(R.mts[0].udh_len, 7);
    CU_ASSERT_EQUAL(memcmp(R.mts[0].udh, "\x06\x05\x04\x23\xF4\x00\x00", 7), 0);
    CU_ASSERT_TRUE(has(R.texts[0], "BEGIN:VCARD"));
    CU_ASSERT_TRUE(has(R.texts[0], "FN:Zhang San"));
    CU_ASSERT_TRUE(has(R.texts[0], "TEL;TYPE=CELL:13800138000"));
    CU_ASSERT_TRUE(has(say1(PHONE1, "联系人 张三 +8613900000000"), "联系人已保存为 C2：张三"));
    /* a newer upload of the same name is the current number (patent) */
    say1(PHONE1, "CONTACT Zhang San 13700000000");
    mo(PHONE1, "LIST C");
    /* people, not rows (issue 10): one line for Zhang San, under the current number */
    CU_ASSERT_TRUE(has(R.texts[0], "C3 Zhang San 13700000000"));
    CU_ASSERT_FALSE(has(R.texts[0], "C1 "));
    CU_ASSERT_TRUE(has(R.texts[0], "C2 张三"));
    /* FIND still finds the older number, marked */
    mo(PHONE1, "FIND 13800138000");
    CU_ASSERT_TRUE(has(R.texts[0], "C1 Zhang San 13800138000 (old)"));
    /* GET of the older number: the person's card, both numbers, the current one PREF */
    mo(PHONE1, "GET C1");
    CU_ASSERT_EQUAL_FATAL(R.count, 1);
    CU_ASSERT_TRUE(R.mts[0].binary);
    CU_ASSERT_TRUE(has(R.texts[0], "FN:Zhang San\r\n"));
    CU_ASSERT_TRUE(has(R.texts[0], "TEL;TYPE=CELL:13800138000\r\nTEL;TYPE=CELL,PREF:13700000000\r\nEND:VCARD\r\n"));
    cfg.contact_as_text = true;
    mo(PHONE1, "GET C1");
    CU_ASSERT_STRING_EQUAL(R.texts[0], "C1 Zhang San: 13700000000, 13800138000");
    cfg.contact_as_text = false;
    /* HELP C says what C<n> names, in both languages */
    CU_ASSERT_TRUE(has(say1(PHONE1, "HELP C"), "GET C<n>: the person's card"));
    CU_ASSERT_TRUE(has(say1(PHONE1, "帮助 联系人"), "此人名片含全部号码"));
    CU_ASSERT_TRUE(has(say1(PHONE1, "CONTACT Zhang"), "Usage: CONTACT"));
    CU_ASSERT_TRUE(has(say1(PHONE1, "CONTACT Zhang abc"), "Usage: CONTACT"));
    /* a phone is one phone however the network writes it: the '+' form finds the account */
    CU_ASSERT_EQUAL(mo("+" PHONE1, "LIST C"), CORE_OK);
    CU_ASSERT_EQUAL_FATAL(R.count, 1);
    CU_ASSERT_TRUE(has(R.texts[0], "C3 Zhang San"));
}

static void test_vcard_message_is_saved_as_contact(void)
{
    setup();
    reg_alice();
    const char *card = "BEGIN:VCARD\r\nVERSION:2.1\r\nN:Li;Lei\r\nTEL;CELL:13911112222\r\nEND:VCARD\r\n";
    CU_ASSERT_STRING_EQUAL(say1(PHONE1, card), "Saved contact C1 Lei Li");
    mo(PHONE1, "GET C1");
    CU_ASSERT_STRING_EQUAL(R.texts[0], card);   /* stored as received, sent back byte for byte */
    CU_ASSERT_TRUE(has(say1(PHONE1, "BEGIN:VCARD\nVERSION:3.0\nEND:VCARD\n"), "no name or phone number"));
    /* only TELs that are phone numbers are kept; a card with none is not saved */
    const char *service = "BEGIN:VCARD\r\nFN:Operator\r\nTEL:*100#\r\nTEL:10086\r\nEND:VCARD\r\n";
    CU_ASSERT_STRING_EQUAL(say1(PHONE1, service), "Saved contact C2 Operator");
    mo(PHONE1, "LIST C");
    CU_ASSERT_TRUE(has(R.texts[0], "C2 Operator 10086"));
    CU_ASSERT_TRUE(has(say1(PHONE1, "BEGIN:VCARD\r\nFN:Balance\r\nTEL:*100#\r\nEND:VCARD\r\n"),
                       "no name or phone number"));
    /* from a phone without an account: the registration hint */
    CU_ASSERT_TRUE(has(say1(PHONE2, card), "REG <user>"));
}

static void test_delete_and_numbers_never_reused(void)
{
    setup();
    reg_alice();
    say1(PHONE1, "SAVE one");
    say1(PHONE1, "SAVE two");
    say1(PHONE1, "SAVE three");
    CU_ASSERT_TRUE(has(say1(PHONE1, "DEL 1,2"), "Deleted 2, freed 6 B."));
    CU_ASSERT_TRUE(has(say1(PHONE1, "GET 1"), "Not found: 1"));
    CU_ASSERT_TRUE(has(say1(PHONE1, "DEL 1"), "Nothing deleted"));
    CU_ASSERT_TRUE(has(say1(PHONE1, "SAVE four"), "Saved as 4."));
    CU_ASSERT_TRUE(has(say1(PHONE1, "删除 3-4"), "已删除 2 条"));
    CU_ASSERT_TRUE(has(say1(PHONE1, "DEL 1-100000"), "at most 500"));
    const char *uid = fake_store_user_of(S, PHONE1);
    CU_ASSERT_EQUAL(fake_store_count(S, uid, STORE_SMS), 0);
}

static void test_space_and_growth(void)
{
    /* small quota: 2 KB, grow by 4 KB when less than 1 KB would be left */
    cfg = (struct core_config){ .list_segments = 2, .get_max = 5, .del_max = 500, .web_url = "",
                                .repeat_answers = 3, .repeat_quiet_s = 3600 };
    setup_with(2048, 1024, 4096, 8192);
    reg_alice();
    CU_ASSERT_TRUE(has(say1(PHONE1, "SPACE"), "Used 0 B of 2 KB. SMS 0, MMS 0, contacts 0."));
    char t[600] = "SAVE ";
    memset(t + 5, 'x', 500);
    t[505] = '\0';
    CU_ASSERT_TRUE(has(say1(PHONE1, t), "Used 500 B of 2 KB"));
    CU_ASSERT_TRUE(has(say1(PHONE1, t), "Used 1000 B of 2 KB"));
    /* under 1 KB would be left: the space grows by the step (patent step 2) */
    CU_ASSERT_TRUE(has(say1(PHONE1, t), "Your space grew to 6 KB"));
    CU_ASSERT_TRUE(has(say1(PHONE1, "空间"), "已用 1.5 KB / 6 KB。短信 3"));
    /* near the cap (8 KB) the space grows up to the cap, not by the whole
     * step (the store's rule, store_space_grant), then fills and refuses */
    bool grew_to_cap = false;
    for (int i = 0; i < 20; i++) {
        mo(PHONE1, t);
        grew_to_cap |= R.count == 1 && has(R.texts[0], "Your space grew to 8 KB");
    }
    CU_ASSERT_TRUE(grew_to_cap);
    CU_ASSERT_TRUE(has(R.texts[0], "no space left"));
    CU_ASSERT_TRUE(has(say1(PHONE1, "SPACE"), "Used 7.8 KB of 8 KB"));
    memcpy(t, "保存 ", 7);   /* same length in bytes as "SAVE " + 2 */
    CU_ASSERT_TRUE(has(say1(PHONE1, t), "空间不足"));
}

static void test_login_from_second_phone_and_throttle(void)
{
    setup();
    reg_alice();
    say1(PHONE1, "SAVE from phone one");
    CU_ASSERT_TRUE(has(say1(PHONE2, "LOGIN alice wrongpass"), "Wrong user name or password"));
    CU_ASSERT_TRUE(has(say1(PHONE2, "LOGIN nobody pass1234"), "Wrong user name or password"));
    CU_ASSERT_TRUE(has(say1(PHONE2, "login alice pass1234"), "Logged in as alice"));
    mo(PHONE2, "GET 1");
    CU_ASSERT_STRING_EQUAL(R.texts[0], "from phone one");
    /* failed logins slow down per name; the reply says the real wait (issue 11, point 5) */
    for (int i = 0; i < 5; i++)
        CU_ASSERT_TRUE(has(say1(PHONE2, "LOGIN alice bad"), "Wrong"));
    CU_ASSERT_STRING_EQUAL(say1(PHONE2, "LOGIN alice pass1234"), "Too many wrong tries. Wait 1 s and try again.");
    CU_ASSERT_STRING_EQUAL(say1(PHONE2, "登录 alice pass1234"), "错误次数过多，请 1 秒后再试。");
    /* a name nobody has gets the very same answers (issue 11, point 1: no account oracle) */
    CU_ASSERT_TRUE(has(say1(PHONE3, "REG bert bert-pass1"), "Welcome bert"));
    char real[6][200], ghost[6][200];
    for (int i = 0; i < 6; i++)
        snprintf(real[i], sizeof real[i], "%s", say1(PHONE2, "LOGIN bert bad"));
    for (int i = 0; i < 6; i++)
        snprintf(ghost[i], sizeof ghost[i], "%s", say1(PHONE2, i % 2 ? "LOGIN NOBODY2 bad" : "LOGIN nobody2 bad"));
    for (int i = 0; i < 6; i++)
        CU_ASSERT_STRING_EQUAL(ghost[i], real[i]);
    CU_ASSERT_STRING_EQUAL(real[5], "Too many wrong tries. Wait 1 s and try again.");
    /* longer waits: seconds under a minute, then minutes rounded up */
    fake_store_set_failures(S, "alice", 5 + 5);
    CU_ASSERT_STRING_EQUAL(say1(PHONE2, "LOGIN alice pass1234"), "Too many wrong tries. Wait 32 s and try again.");
    fake_store_set_failures(S, "alice", 5 + 6);
    CU_ASSERT_STRING_EQUAL(say1(PHONE2, "LOGIN alice pass1234"), "Too many wrong tries. Wait 2 min and try again.");
    fake_store_set_failures(S, "alice", 5 + 12);
    CU_ASSERT_STRING_EQUAL(say1(PHONE2, "登录 alice pass1234"), "错误次数过多，请 15 分钟后再试。");
    /* PASS is a try of the account's name: throttled with it, with the wait */
    CU_ASSERT_STRING_EQUAL(say1(PHONE1, "PASS pass1234 newpass99"), "Too many wrong tries. Wait 15 min and try again.");
}

/* What vaultbox counts per MO: the command's name (one of core_command_names),
 * what it came to (core_outcome_names) and how many delivery requests it wrote. */
static bool known_command(const char *cmd)
{
    for (size_t i = 0; core_command_names[i]; i++)
        if (strcmp(core_command_names[i], cmd) == 0)
            return true;
    return false;
}

static void expect_outcome(const char *msisdn, const char *text, const char *cmd, enum core_outcome want)
{
    mo(msisdn, text);
    CU_ASSERT_STRING_EQUAL(R.cmd, cmd);
    CU_ASSERT_TRUE(known_command(R.cmd));
    if (R.outcome != want)
        fprintf(stderr, "'%s': outcome %s, want %s\n", text, core_outcome_names[R.outcome], core_outcome_names[want]);
    CU_ASSERT_EQUAL(R.outcome, want);
}

static void test_outcomes_for_metrics(void)
{
    setup();
    expect_outcome(PHONE1, "SAVE before an account", "SAVE", CORE_OUT_UNBOUND);
    expect_outcome(PHONE1, "REG alice pass1234", "REG", CORE_OUT_OK);
    expect_outcome(PHONE2, "REG alice pass1234", "REG", CORE_OUT_TAKEN);
    expect_outcome(PHONE2, "REG a! pass1234", "REG", CORE_OUT_INVALID);
    expect_outcome(PHONE2, "LOGIN alice wrong", "LOGIN", CORE_OUT_DENIED);
    expect_outcome(PHONE1, "SAVE one", "SAVE", CORE_OUT_OK);
    CU_ASSERT_EQUAL(R.requests, 0);
    expect_outcome(PHONE1, "GET 1", "GET", CORE_OUT_OK);
    CU_ASSERT_EQUAL(R.queued, 1);
    CU_ASSERT_EQUAL(R.requests, 1);   /* the item itself, not a reply */
    expect_outcome(PHONE1, "GET 1,9", "GET", CORE_OUT_NOT_FOUND);
    CU_ASSERT_EQUAL(R.requests, 1);
    CU_ASSERT_EQUAL(R.queued, 2);   /* the item's request, and "Not found: 9" */
    expect_outcome(PHONE1, "GET", "GET", CORE_OUT_USAGE);
    expect_outcome(PHONE1, "LIST", "LIST", CORE_OUT_OK);
    expect_outcome(PHONE1, "what is this", "unknown", CORE_OUT_OK);
    CU_ASSERT_EQUAL(mo_flags(PHONE1, "\x01\x02", 2, CORE_MO_BINARY), CORE_IGNORED);
    CU_ASSERT_STRING_EQUAL(R.cmd, "none");
    CU_ASSERT_EQUAL(R.outcome, CORE_OUT_IGNORED);
    for (int i = 0; i < 6; i++)
        mo(PHONE2, "LOGIN alice bad");
    CU_ASSERT_EQUAL(R.outcome, CORE_OUT_THROTTLED);
    /* the names a metric label is declared with */
    size_t nout = 0;
    while (core_outcome_names[nout])
        nout++;
    CU_ASSERT_EQUAL(nout, CORE_OUT_COUNT);
    const char *every[] = { "HELP", "?", "REG a b", "LOGIN a b", "SAVE x", "LIST", "GET 1", "DEL 1", "FIND x",
                            "SPACE", "CONTACT a 1", "PASS a b", "LANG EN" };
    for (size_t i = 0; i < sizeof every / sizeof every[0]; i++) {
        mo(PHONE1, every[i]);
        CU_ASSERT_TRUE(known_command(R.cmd));
    }
}

static void test_pass_and_lang(void)
{
    setup();
    reg_alice();
    CU_ASSERT_TRUE(has(say1(PHONE1, "PASS wrongold newpass99"), "Wrong old password"));
    CU_ASSERT_TRUE(has(say1(PHONE1, "PASS pass1234 short"), "8-128"));
    CU_ASSERT_TRUE(has(say1(PHONE1, "PASS pass1234 newpass99"), "Password changed"));
    CU_ASSERT_TRUE(has(say1(PHONE2, "LOGIN alice newpass99"), "Logged in"));
    CU_ASSERT_TRUE(has(say1(PHONE1, "密码 newpass99 newpass100"), "密码已修改"));
    CU_ASSERT_TRUE(has(say1(PHONE1, "LANG FR"), "Usage: LANG EN|ZH"));
}

/* Which language a reply is in (issue 15). A user who never sent LANG gets
 * each command's own language, and the registration's language for input
 * that has none; a user who sent LANG gets that language for everything,
 * English commands too, from any of the account's phones. */
static void test_lang_preference(void)
{
    setup();
    reg_alice();   /* REG: English, not chosen */
    CU_ASSERT_TRUE(has(say1(PHONE1, "列表"), "还没有存储内容"));
    CU_ASSERT_TRUE(has(say1(PHONE1, "LIST"), "Nothing stored yet"));
    CU_ASSERT_TRUE(has(say1(PHONE1, "?"), "SAVE text"));
    CU_ASSERT_TRUE(has(say1(PHONE1, "blah"), "Unknown command"));
    CU_ASSERT_TRUE(has(say1(PHONE2, "注册 bob mima12345"), "欢迎 bob"));   /* 注册: Chinese, not chosen */
    CU_ASSERT_TRUE(has(say1(PHONE2, "SPACE"), "Used 0 B"));
    CU_ASSERT_TRUE(has(say1(PHONE2, "空间"), "已用 0 B"));
    CU_ASSERT_TRUE(has(say1(PHONE2, "?"), "保存内容"));
    CU_ASSERT_TRUE(has(say1(PHONE2, "blah"), "无法识别"));

    /* LANG ZH, written in English: from now on Chinese, even for LIST */
    CU_ASSERT_TRUE(has(say1(PHONE1, "LANG ZH"), "以后所有回复都用中文"));
    CU_ASSERT_TRUE(has(say1(PHONE1, "LIST"), "还没有存储内容"));
    CU_ASSERT_TRUE(has(say1(PHONE1, "SPACE"), "已用 0 B"));
    CU_ASSERT_TRUE(has(say1(PHONE1, "HELP"), "语言EN|ZH"));
    CU_ASSERT_TRUE(has(say1(PHONE1, "SAVE hello"), "已保存为 1"));
    CU_ASSERT_TRUE(has(say1(PHONE1, "GET x"), "请写编号"));
    CU_ASSERT_TRUE(has(say1(PHONE1, "LIST foo"), "用法"));
    CU_ASSERT_TRUE(has(say1(PHONE1, "blah"), "无法识别"));
    /* the choice belongs to the account: a new phone logs in and gets it */
    CU_ASSERT_TRUE(has(say1(PHONE3, "LOGIN alice pass1234"), "已登录 alice"));
    CU_ASSERT_TRUE(has(say1(PHONE3, "SPACE"), "已用"));
    /* REG answers in its own language: the new account has chosen nothing */
    CU_ASSERT_TRUE(has(say1(PHONE3, "REG carol pass1234"), "Welcome carol"));
    CU_ASSERT_TRUE(has(say1(PHONE3, "SPACE"), "Used"));
    /* and back: LANG EN in Chinese, then Chinese commands get English */
    CU_ASSERT_TRUE(has(say1(PHONE1, "语言 英文"), "Replies are now in English"));
    CU_ASSERT_TRUE(has(say1(PHONE1, "列表"), "1 "));
    CU_ASSERT_TRUE(has(say1(PHONE1, "空间"), "Used 5 B"));
    CU_ASSERT_TRUE(has(say1(PHONE1, "保存 你好"), "Saved as 2."));
    CU_ASSERT_TRUE(has(say1(PHONE1, "这是什么"), "Unknown command"));
}

static void test_find(void)
{
    setup();
    reg_alice();
    say1(PHONE1, "SAVE meet at the station");
    say1(PHONE1, "SAVE lunch tomorrow");
    say1(PHONE1, "CONTACT Station Master 13800001111");
    mo(PHONE1, "FIND station");
    CU_ASSERT_EQUAL_FATAL(R.count, 1);
    CU_ASSERT_TRUE(has(R.texts[0], "1 "));
    CU_ASSERT_TRUE(has(R.texts[0], "meet at the station"));
    CU_ASSERT_TRUE(has(R.texts[0], "C1 Station Master"));
    CU_ASSERT_FALSE(has(R.texts[0], "lunch"));
    CU_ASSERT_TRUE(has(say1(PHONE1, "查找 火车"), "没有找到"));
}

static void test_not_commands(void)
{
    setup();
    reg_alice();
    /* nothing is sent to alphanumeric senders, nor to senders that are no
     * phone ("+" and "00" were answered before common/msisdn) */
    static const char *const senders[] = { "CHINAMOBILE", "", "+", "00", "+00", "86 138", "1380000000x" };
    for (size_t i = 0; i < sizeof senders / sizeof senders[0]; i++) {
        CU_ASSERT_EQUAL(mo(senders[i], "HELP"), CORE_IGNORED);
        CU_ASSERT_EQUAL(R.count, 0);
    }
    /* binary and lone fragments never run */
    CU_ASSERT_EQUAL(mo_flags(PHONE1, "SAVE x", 6, CORE_MO_BINARY), CORE_IGNORED);
    CU_ASSERT_EQUAL(mo_flags(PHONE1, "SAVE x", 6, CORE_MO_FRAGMENT), CORE_IGNORED);
    CU_ASSERT_EQUAL(fake_store_outbox_count(S), 1);   /* only the welcome */
    /* undecodable text gets a clear error */
    CU_ASSERT_EQUAL(mo_flags(PHONE1, "", 0, CORE_MO_BAD_TEXT), CORE_OK);
    CU_ASSERT_TRUE(has(R.texts[0], "could not be read"));
    CU_ASSERT_EQUAL(mo_flags(PHONE1, "SAVE \xC0\xAF", 7, 0), CORE_OK);
    CU_ASSERT_TRUE(has(R.texts[0], "could not be read"));
    const char *uid = fake_store_user_of(S, PHONE1);
    CU_ASSERT_EQUAL(fake_store_count(S, uid, STORE_SMS), 0);
    /* empty text: the short help */
    CU_ASSERT_TRUE(has(say1(PHONE1, "   "), "Unknown command"));
}

static void test_repeated_unknown_text_goes_quiet(void)
{
    setup();
    reg_alice();
    for (int i = 0; i < 3; i++)
        CU_ASSERT_TRUE(has(say1(PHONE1, "spam spam"), "Unknown command"));
    CU_ASSERT_EQUAL(mo(PHONE1, "spam spam"), CORE_IGNORED);
    CU_ASSERT_EQUAL(R.count, 0);
    /* another text, and the same text from another phone, are answered */
    CU_ASSERT_TRUE(has(say1(PHONE1, "other"), "Unknown"));
    CU_ASSERT_TRUE(has(say1(PHONE2, "spam spam"), "REG"));
    /* commands still work */
    CU_ASSERT_TRUE(has(say1(PHONE1, "SAVE ok"), "Saved"));
    /* after the quiet time it is answered again */
    clock_now += 3600;
    CU_ASSERT_TRUE(has(say1(PHONE1, "spam spam"), "Unknown"));
    clock_now -= 3600;
    /* the table is bounded: many phones do not grow it */
    for (int i = 0; i < 2000; i++) {
        char ph[24];
        snprintf(ph, sizeof ph, "86139%08d", i);
        mo(ph, "x");
    }
    CU_ASSERT_EQUAL(R.count, 1);
}

static void test_password_commands_are_flagged(void)
{
    static const struct { const char *text; bool hashes; } cases[] = {
        { "REG a b", true }, { " login a b", true }, { "登录 a b", true }, { "PASS a b", true },
        { "密码 a b", true }, { "SAVE pass", false }, { "LIST", false }, { "hello", false },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct core_mo m = { .msisdn = PHONE1, .text = cases[i].text, .len = strlen(cases[i].text) };
        CU_ASSERT_EQUAL(core_mo_hashes_password(&m), cases[i].hashes);
    }
}

static void test_store_retry_propagates(void)
{
    setup();
    reg_alice();
    fake_store_fail(S, "store_sms_save", STORE_RETRY);
    CU_ASSERT_EQUAL(mo(PHONE1, "SAVE x"), CORE_RETRY);
    fake_store_fail(S, "store_outbox_enqueue", STORE_ERR);
    CU_ASSERT_EQUAL(mo(PHONE1, "SAVE y"), CORE_ERR);
    fake_store_fail(S, "store_phone_owner", STORE_RETRY);
    CU_ASSERT_EQUAL(mo(PHONE1, "LIST"), CORE_RETRY);
    fake_store_fail(S, "store_user_create", STORE_RETRY);
    CU_ASSERT_EQUAL(mo(PHONE2, "REG bob pass1234"), CORE_RETRY);
}

static struct buf logged;

static void capture(enum log_level level, const char *line, void *ctx)
{
    buf_puts(&logged, line);
    buf_putc(&logged, '\n');
}

static void test_passwords_never_logged(void)
{
    setup();
    log_set_level(LOG_DEBUG);
    log_set_sink(capture, NULL);
    mo(PHONE1, "REG carol Secr3tPassA");
    mo(PHONE2, "LOGIN carol Secr3tPassB");
    fake_store_fail(S, "store_user_login", STORE_ERR);
    mo(PHONE2, "LOGIN carol Secr3tPassC");
    fake_store_fail(S, "store_user_set_password", STORE_ERR);
    mo(PHONE1, "PASS Secr3tPassA Secr3tPassD");
    log_set_sink(NULL, NULL);
    log_set_level(LOG_INFO);
    CU_ASSERT_FATAL(logged.len > 0);   /* the failures were logged ... */
    CU_ASSERT_PTR_NULL(strstr(buf_cstr(&logged), "Secr3t"));   /* ... without the passwords */
    for (size_t i = 0; i < fake_store_outbox_count(S); i++)
        CU_ASSERT_PTR_NULL(strstr(fake_store_outbox_text(S, i, NULL), "Secr3t"));
    buf_cleanup(&logged);
}

static void test_every_fixed_reply_fits_one_segment(void)
{
    for (int id = 0; id < T_COUNT; id++) {
        for (int l = 0; l < 2; l++) {
            const char *f = core_text_format((enum core_text_id)id, (enum core_lang)l);
            struct smstext_measure m;
            smstext_measure(f, strlen(f), &m);
            CU_ASSERT_EQUAL(m.segments, 1);
            if (l == CORE_EN && id != T_USAGE)
                CU_ASSERT_TRUE(m.gsm);   /* English costs 7 bits a character */
        }
    }
}

/* Chinese replies use full-width punctuation (，；：（）！); an ASCII one is
 * only allowed between ASCII letters or digits, as in a command example
 * ("3,5"). */
static void test_chinese_replies_use_full_width_punctuation(void)
{
    for (int id = 0; id < T_COUNT; id++) {
        const char *f = core_text_format((enum core_text_id)id, CORE_ZH);
        for (size_t i = 0; f[i]; i++) {
            if (!strchr(",;:()!", f[i]))
                continue;
            bool between_ascii = i > 0 && isalnum((unsigned char)f[i - 1]) && isalnum((unsigned char)f[i + 1]);
            if (!between_ascii)
                fprintf(stderr, "\n  ASCII '%c' in Chinese text %d: %s\n", f[i], id, f);
            CU_ASSERT_TRUE(between_ascii);
        }
    }
    /* the contact list marks an older number in Chinese punctuation too */
    setup();
    CU_ASSERT_TRUE(has(say1(PHONE1, "注册 alice pass1234"), "欢迎 alice！"));
    say1(PHONE1, "联系人 张三 13800000001");
    say1(PHONE1, "联系人 张三 13800000002");
    mo(PHONE1, "查找 13800000001");
    CU_ASSERT_TRUE(has(R.texts[0], "C1 张三 13800000001（旧）"));
    mo(PHONE1, "列表 联系人");   /* one person, one line */
    CU_ASSERT_TRUE(has(R.texts[0], "C2 张三 13800000002"));
    CU_ASSERT_FALSE(has(R.texts[0], "C1"));
}

static void test_fit_edges(void)
{
    /* 80 euro signs are 160 septets: exactly one segment; 81 are cut to 80 */
    char eur[81 * 3 + 1];
    for (int i = 0; i < 81; i++)
        memcpy(eur + 3 * i, "\xE2\x82\xAC", 3);
    eur[243] = '\0';
    CU_ASSERT_TRUE(core_text_fits(eur, 240, 1));
    CU_ASSERT_EQUAL(core_text_fit(eur, 243, 1), 240);
    /* emoji are surrogate pairs: 36 of them are 72 units, cut to 35, never half a pair */
    char emo[36 * 4 + 1];
    for (int i = 0; i < 36; i++)
        memcpy(emo + 4 * i, "🌏", 4);
    CU_ASSERT_EQUAL(core_text_fit(emo, 144, 1), 140);
    /* 100 Chinese characters cut to 70; in two segments to 134 (2 x 67) */
    char zh[100 * 3 + 1];
    for (int i = 0; i < 100; i++)
        memcpy(zh + 3 * i, "字", 3);
    CU_ASSERT_EQUAL(core_text_fit(zh, 300, 1), 210);
    CU_ASSERT_EQUAL(core_text_fit(zh, 300, 2), 300);
    /* one Chinese character turns 150 ASCII into UCS-2: then 2 segments of 67 */
    char mix[160];
    memset(mix, 'a', 150);
    memcpy(mix + 150, "字", 3);
    CU_ASSERT_FALSE(core_text_fits(mix, 153, 1));
    CU_ASSERT_TRUE(core_text_fits(mix, 153, 3));
    CU_ASSERT_EQUAL(core_text_fit(mix, 153, 2), 134);
    /* a reply with a long user-supplied part is cut to one segment */
    char *r = core_text_reply(T_CONTACT_OK, CORE_EN, 7LL,
                              "A very long contact name that goes on and on and on and on and on and on "
                              "and on and on and on and on and on and on and on and on and on and end");
    CU_ASSERT_TRUE(core_text_fits(r, strlen(r), 1));
    CU_ASSERT_EQUAL(strncmp(r, "Contact saved as C7: A very long", 32), 0);
    free(r);
    char b[32];
    core_text_bytes(512, b, sizeof b);
    CU_ASSERT_STRING_EQUAL(b, "512 B");
    core_text_bytes(1536, b, sizeof b);
    CU_ASSERT_STRING_EQUAL(b, "1.5 KB");
    core_text_bytes(10 << 20, b, sizeof b);
    CU_ASSERT_STRING_EQUAL(b, "10 MB");
}

/* A business card the way a phone sends it: 8-bit to port 9204 (issue 8). */
static void test_business_card_on_port_9204(void)
{
    setup();
    /* from a phone without an account: the registration hint, nothing stored */
    const char *card = "BEGIN:VCARD\r\nVERSION:2.1\r\nN;CHARSET=UTF-8:张;伟\r\nFN;CHARSET=UTF-8:张伟\r\n"
                       "TEL;HOME:010-88886666\r\nTEL;CELL;PREF:13800138007\r\nTEL;WORK:+86 21 5555 0000\r\n"
                       "UID:zw-1\r\nEND:VCARD\r\n";
    CU_ASSERT_EQUAL(mo_binary(PHONE1, CARD_UDH, card, strlen(card)), CORE_OK);
    CU_ASSERT_EQUAL_FATAL(R.count, 1);
    CU_ASSERT_TRUE(has(R.texts[0], "注册 用户名 密码"));   /* a Chinese card: the Chinese hint */
    CU_ASSERT_TRUE(has(say1(PHONE1, "注册 zhang mima12345"), "欢迎 zhang"));
    const char *uid = fake_store_user_of(S, PHONE1);
    CU_ASSERT_EQUAL(fake_store_count(S, uid, STORE_CONTACT), 0);
    /* bound: one row per number, the PREF one current; the reply in the
     * account's language, full-width punctuation */
    CU_ASSERT_EQUAL(mo_binary(PHONE1, CARD_UDH, card, strlen(card)), CORE_OK);
    CU_ASSERT_EQUAL_FATAL(R.count, 1);
    CU_ASSERT_STRING_EQUAL(R.texts[0], "已保存联系人 C1-C3（当前号码 C3）张伟");
    CU_ASSERT_EQUAL(fake_store_count(S, uid, STORE_CONTACT), 3);
    struct store_contact c = { 0 };
    CU_ASSERT_EQUAL_FATAL(store_contact_get(S, uid, 3, &c), STORE_OK);
    CU_ASSERT_STRING_EQUAL(c.number, "13800138007");
    CU_ASSERT_STRING_EQUAL(c.tel_types, "CELL,PREF");
    CU_ASSERT_STRING_EQUAL(c.uid, "zw-1");
    CU_ASSERT_TRUE(c.current);
    CU_ASSERT_EQUAL(c.vcard_len, strlen(card));
    store_contact_cleanup(&c);
    CU_ASSERT_EQUAL_FATAL(store_contact_get(S, uid, 1, &c), STORE_OK);
    CU_ASSERT_STRING_EQUAL(c.number, "010-88886666");
    CU_ASSERT_FALSE(c.current);
    store_contact_cleanup(&c);
    /* charged per row: the card's octets each */
    struct store_usage u;
    CU_ASSERT_EQUAL(store_usage_get(S, uid, &u), STORE_OK);
    CU_ASSERT_EQUAL(u.used_bytes, 3 * (long long)strlen(card));
    CU_ASSERT_TRUE(fake_store_consistent(S));
    /* the card comes back as it came: GET C3 is the business card, byte for byte */
    mo(PHONE1, "GET C3");
    CU_ASSERT_EQUAL_FATAL(R.count, 1);
    CU_ASSERT_TRUE(R.mts[0].binary);
    CU_ASSERT_STRING_EQUAL(R.texts[0], card);
    /* one number, in GB2312 quoted-printable, concatenated by bearerbox (no concatenation IE left) */
    const char *gb = "BEGIN:VCARD\r\nVERSION:2.1\r\nN;CHARSET=GB2312;ENCODING=QUOTED-PRINTABLE:=C0=EE;=C0=D7\r\n"
                     "TEL;CELL:13900000001\r\nEND:VCARD\r\n";
    CU_ASSERT_EQUAL(mo_binary(PHONE1, CARD_UDH, gb, strlen(gb)), CORE_OK);
    CU_ASSERT_STRING_EQUAL(R.texts[0], "已保存联系人 C4 雷 李");
    /* English account */
    CU_ASSERT_TRUE(has(say1(PHONE2, "REG wei pass1234"), "Welcome"));
    CU_ASSERT_EQUAL(mo_binary(PHONE2, CARD_UDH, gb, strlen(gb)), CORE_OK);
    CU_ASSERT_STRING_EQUAL(R.texts[0], "Saved contact C1 雷 李");
}

static void test_business_card_refusals(void)
{
    setup();
    reg_alice();
    const char *uid = fake_store_user_of(S, PHONE1);
    /* a card that cannot be read: a clear reply, nothing stored */
    static const char *const broken[] = {
        "BEGIN:VCARD\r\nFN:x\r\nTEL:123456\r\n",                                   /* unterminated */
        "BEGIN:VCARD\r\nFN;CHARSET=NO-SUCH:x\r\nTEL:123456\r\nEND:VCARD\r\n",     /* charset */
        "BEGIN:VCARD\r\nFN;ENCODING=QUOTED-PRINTABLE:=XY\r\nTEL:123456\r\nEND:VCARD\r\n",
    };
    for (size_t i = 0; i < sizeof broken / sizeof broken[0]; i++) {
        CU_ASSERT_EQUAL(mo_binary(PHONE1, CARD_UDH, broken[i], strlen(broken[i])), CORE_OK);
        CU_ASSERT_EQUAL_FATAL(R.count, 1);
        CU_ASSERT_STRING_EQUAL(R.texts[0], "This business card could not be read; nothing saved.");
    }
    /* NUL bytes in the card */
    const char nul[] = "BEGIN:VCARD\r\nFN:a\0b\r\nTEL:123456\r\nEND:VCARD\r\n";
    CU_ASSERT_EQUAL(mo_binary(PHONE1, CARD_UDH, nul, sizeof nul - 1), CORE_OK);
    CU_ASSERT_TRUE(has(R.texts[0], "could not be read"));
    /* readable, but no name or no phone number */
    const char *nonum = "BEGIN:VCARD\r\nFN:Balance\r\nTEL:*100#\r\nEND:VCARD\r\n";
    CU_ASSERT_EQUAL(mo_binary(PHONE1, CARD_UDH, nonum, strlen(nonum)), CORE_OK);
    CU_ASSERT_TRUE(has(R.texts[0], "no name or phone number"));
    /* not a card at all */
    CU_ASSERT_EQUAL(mo_binary(PHONE1, CARD_UDH, "\x01\x02\x03", 3), CORE_OK);
    CU_ASSERT_TRUE(has(R.texts[0], "no name or phone number"));
    CU_ASSERT_EQUAL(fake_store_count(S, uid, STORE_CONTACT), 0);
    /* a part that arrived alone (its concatenation IE kept): never run */
    const char *card = "BEGIN:VCARD\r\nFN:Part\r\nTEL:13900000002\r\nEND:VCARD\r\n";
    CU_ASSERT_EQUAL(mo_binary(PHONE1, "0B05042" "3F4000000030C0201", card, strlen(card)), CORE_IGNORED);
    CU_ASSERT_EQUAL(R.count, 0);
    /* other applications' ports are ignored, uncharged: WAP push, a ringtone, OTA settings */
    size_t before = fake_store_outbox_count(S);
    static const char *const others[] = { "0605040B8423F0", "0605041581" "0000", "060504C34F" "C34F" };
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
        CU_ASSERT_EQUAL(mo_binary(PHONE1, others[i], card, strlen(card)), CORE_IGNORED);
        CU_ASSERT_EQUAL(R.count, 0);
    }
    /* 8-bit data without a port, and a header that lies about its length */
    CU_ASSERT_EQUAL(mo_binary(PHONE1, "", card, strlen(card)), CORE_IGNORED);
    CU_ASSERT_EQUAL(mo_binary(PHONE1, "0905042" "3F40000", card, strlen(card)), CORE_IGNORED);
    CU_ASSERT_EQUAL(fake_store_outbox_count(S), before);
    CU_ASSERT_EQUAL(fake_store_count(S, uid, STORE_CONTACT), 0);
    struct store_usage u;
    CU_ASSERT_EQUAL(store_usage_get(S, uid, &u), STORE_OK);
    CU_ASSERT_EQUAL(u.used_bytes, 0);
    /* no space for all of a card's rows: none is stored */
    setup_with(2048, 512, 0, 2048);
    reg_alice();
    uid = fake_store_user_of(S, PHONE1);
    struct buf b = { 0 };
    buf_puts(&b, "BEGIN:VCARD\r\nFN:Big\r\nTEL:13900000003\r\nTEL:13900000004\r\nNOTE:");
    for (int i = 0; i < 1200; i++)
        buf_putc(&b, 'x');
    buf_puts(&b, "\r\nEND:VCARD\r\n");
    CU_ASSERT_EQUAL(mo_binary(PHONE1, CARD_UDH, b.data, b.len), CORE_OK);
    CU_ASSERT_TRUE(has(R.texts[0], "no space left"));
    CU_ASSERT_EQUAL(fake_store_count(S, uid, STORE_CONTACT), 0);
    buf_cleanup(&b);
}

/* A card of a thousand TELs, and one of 60 segments: read, and bounded. */
static void test_business_card_hostile_sizes(void)
{
    setup();
    reg_alice();
    const char *uid = fake_store_user_of(S, PHONE1);
    struct buf b = { 0 };
    buf_puts(&b, "BEGIN:VCARD\r\nVERSION:2.1\r\nFN:Many\r\n");
    for (int i = 0; i < 1000; i++)
        buf_printf(&b, "TEL;CELL:139%08d\r\n", i);
    buf_puts(&b, "END:VCARD\r\n");
    CU_ASSERT_EQUAL(mo_binary(PHONE1, CARD_UDH, b.data, b.len), CORE_OK);
    CU_ASSERT_EQUAL_FATAL(R.count, 1);
    CU_ASSERT_TRUE(core_text_fits(R.texts[0], strlen(R.texts[0]), 1));
    CU_ASSERT_EQUAL(fake_store_count(S, uid, STORE_CONTACT), VCARD_MAX_TELS);
    buf_cleanup(&b);
    /* 60 segments of 8-bit data (re-assembled by bearerbox): one contact */
    buf_puts(&b, "BEGIN:VCARD\r\nVERSION:2.1\r\nFN:Long Note\r\nTEL;CELL:13900000005\r\nNOTE:");
    while (b.len < 60 * 134)
        buf_puts(&b, "a long note ");
    buf_puts(&b, "\r\nEND:VCARD\r\n");
    CU_ASSERT_EQUAL(mo_binary(PHONE1, CARD_UDH, b.data, b.len), CORE_OK);
    CU_ASSERT_EQUAL_FATAL(R.count, 1);
    long long n = 1 + VCARD_MAX_TELS;
    char want[64];
    snprintf(want, sizeof want, "Saved contact C%lld Long Note", n);
    CU_ASSERT_STRING_EQUAL(R.texts[0], want);
    /* and back: one business card, bearerbox concatenates it */
    char get[32];
    snprintf(get, sizeof get, "GET C%lld", n);
    mo(PHONE1, get);
    CU_ASSERT_EQUAL_FATAL(R.count, 1);
    CU_ASSERT_TRUE(R.mts[0].binary);
    CU_ASSERT_EQUAL(R.lens[0], b.len);
    buf_cleanup(&b);
    CU_ASSERT_TRUE(fake_store_consistent(S));
}

/* The second short code: whatever is sent to it is saved as SAVE would. */
static void test_forward_short_code(void)
{
    setup();
    const char *fwd = "Meet at 8 at the north gate. -- Li";
    CU_ASSERT_EQUAL(mo_to(PHONE1, "106591", fwd, strlen(fwd), 0), CORE_OK);
    CU_ASSERT_TRUE(has(R.texts[0], "REG <user> <password>"));   /* unbound: nothing kept */
    reg_alice();
    CU_ASSERT_EQUAL(mo_to(PHONE1, "106591", fwd, strlen(fwd), 0), CORE_OK);
    CU_ASSERT_EQUAL_FATAL(R.count, 1);
    CU_ASSERT_TRUE(has(R.texts[0], "Saved as 1."));
    /* verbatim: a command word, leading spaces, a vCard text — all kept as text */
    static const char *const texts[] = { "  HELP  ", "DEL 1", "BEGIN:VCARD\r\nFN:x\r\nEND:VCARD\r\n", "你好" };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        CU_ASSERT_EQUAL(mo_to(PHONE1, "106591", texts[i], strlen(texts[i]), 0), CORE_OK);
        char want[32];
        snprintf(want, sizeof want, "Saved as %zu.", i + 2);
        CU_ASSERT_TRUE(has(R.texts[0], want));
    }
    const char *uid = fake_store_user_of(S, PHONE1);
    struct store_sms m = { 0 };
    CU_ASSERT_EQUAL_FATAL(store_sms_get(S, uid, 2, &m), STORE_OK);
    CU_ASSERT_STRING_EQUAL(m.body, "  HELP  ");
    CU_ASSERT_STRING_EQUAL(m.peer, PHONE1);   /* a forward names no sender: the forwarding phone */
    store_sms_cleanup(&m);
    mo(PHONE1, "LIST");
    CU_ASSERT_TRUE(has(R.texts[0], "5 ") && has(R.texts[0], PHONE1 ": 你好"));
    mo(PHONE1, "FIND north gate");
    CU_ASSERT_TRUE(has(R.texts[0], "1 ") && has(R.texts[0], "Meet at 8"));
    mo(PHONE1, "GET 1");
    CU_ASSERT_STRING_EQUAL(R.texts[0], fwd);
    /* no forward code configured: the same text is an unknown command */
    cfg.forward_shortcode = "";
    core_free(C);
    C = core_new(&cfg);
    CU_ASSERT_EQUAL(mo_to(PHONE1, "106591", "hello there", 11, 0), CORE_OK);
    CU_ASSERT_TRUE(has(R.texts[0], "Unknown command"));
    /* and HELP no longer names it */
    CU_ASSERT_FALSE(has(say1(PHONE1, "HELP"), "forward"));
}

/* HELP names the forward short code, whole, within one segment. */
static void test_help_names_forward_code(void)
{
    setup();
    const char *en = say1(PHONE1, "HELP");
    CU_ASSERT_TRUE(has(en, "forward to 106591"));
    CU_ASSERT_TRUE(has(en, "LANG EN|ZH"));   /* not cut */
    const char *zh = say1(PHONE1, "帮助");
    CU_ASSERT_TRUE(has(zh, "转发到106591"));
    CU_ASSERT_TRUE(has(zh, "语言EN|ZH"));
}

/* GET writes a delivery request; the item is rendered when it is sent. */
static void test_get_renders_at_send_time(void)
{
    setup();
    reg_alice();
    say1(PHONE1, "SAVE first");
    say1(PHONE1, "CONTACT Wang Wu 13700000001");
    /* the request is what GET writes: no text */
    struct core_mo m = { .msisdn = PHONE1, .shortcode = "10659", .text = "GET 1,C1", .len = 8, .at = clock_now };
    struct core_replies rep;
    core_replies_init(&rep);
    size_t before = fake_store_outbox_count(S);
    CU_ASSERT_EQUAL(core_handle(C, S, &m, &rep), CORE_OK);
    CU_ASSERT_EQUAL(rep.count, 0);
    CU_ASSERT_EQUAL(rep.requests, 2);
    core_replies_cleanup(&rep);
    CU_ASSERT_EQUAL_FATAL(fake_store_outbox_count(S), before + 2);
    struct fake_outbox_row row;
    CU_ASSERT_TRUE(fake_store_outbox_row(S, before, &row));
    CU_ASSERT_EQUAL(row.kind, OUTBOX_REQUEST);
    CU_ASSERT_EQUAL(row.item_kind, STORE_SMS);
    CU_ASSERT_EQUAL(row.item_n, 1);
    CU_ASSERT_STRING_EQUAL(row.text, "");
    /* deleted before the sender came: the phone is told, in the account's language */
    const char *uid = fake_store_user_of(S, PHONE1);
    long long ns[] = { 1 }, d, f;
    CU_ASSERT_EQUAL(store_items_delete(S, uid, STORE_SMS, ns, 1, &d, &f), STORE_OK);
    size_t rendered = 0;
    CU_ASSERT_EQUAL(core_render_pending(&cfg, S, "sms", 100, &rendered), CORE_OK);
    CU_ASSERT_EQUAL(rendered, 2);
    CU_ASSERT_TRUE(fake_store_outbox_row(S, before, &row));
    CU_ASSERT_EQUAL(row.state, 4);   /* that request failed */
    CU_ASSERT_TRUE(fake_store_outbox_row(S, before + 2, &row));
    CU_ASSERT_EQUAL(row.kind, OUTBOX_TEXT);
    CU_ASSERT_STRING_EQUAL(row.text, "1 was deleted before it could be sent.");
    CU_ASSERT_TRUE(fake_store_outbox_row(S, before + 3, &row));
    CU_ASSERT_EQUAL(row.kind, OUTBOX_BINARY);
    CU_ASSERT_EQUAL(row.parent, (long long)before + 2);
    /* rendered once: nothing is left to render */
    CU_ASSERT_EQUAL(core_render_pending(&cfg, S, "sms", 100, &rendered), CORE_OK);
    CU_ASSERT_EQUAL(rendered, 0);
    /* the Chinese notice */
    CU_ASSERT_TRUE(has(say1(PHONE2, "注册 bob mima12345"), "欢迎"));
    say1(PHONE2, "联系人 老王 13700000002");
    m.msisdn = PHONE2;
    m.text = "下载 C1";
    m.len = strlen(m.text);
    core_replies_init(&rep);
    CU_ASSERT_EQUAL(core_handle(C, S, &m, &rep), CORE_OK);
    core_replies_cleanup(&rep);
    const char *bob = fake_store_user_of(S, PHONE2);
    CU_ASSERT_EQUAL(store_items_delete(S, bob, STORE_CONTACT, ns, 1, &d, &f), STORE_OK);
    CU_ASSERT_EQUAL(core_render_pending(&cfg, S, "sms", 100, &rendered), CORE_OK);
    CU_ASSERT_TRUE(fake_store_outbox_row(S, fake_store_outbox_count(S) - 1, &row));
    CU_ASSERT_STRING_EQUAL(row.text, "C1 在发送前已被删除。");
    /* a contact as text, for phones without Smart Messaging */
    cfg.contact_as_text = true;
    say1(PHONE2, "联系人 老李 13700000003");
    mo(PHONE2, "GET C2");
    CU_ASSERT_EQUAL_FATAL(R.count, 1);
    CU_ASSERT_FALSE(R.mts[0].binary);
    CU_ASSERT_STRING_EQUAL(R.texts[0], "联系人 C2 老李：13700000003");
    /* a store failure while rendering: retried, not lost */
    say1(PHONE1, "SAVE again");
    m.msisdn = PHONE1;
    m.text = "GET 2";
    m.len = 5;
    core_replies_init(&rep);
    CU_ASSERT_EQUAL(core_handle(C, S, &m, &rep), CORE_OK);
    core_replies_cleanup(&rep);
    fake_store_fail(S, "store_sms_get", STORE_RETRY);
    CU_ASSERT_EQUAL(core_render_pending(&cfg, S, "sms", 100, &rendered), CORE_RETRY);
    CU_ASSERT_EQUAL(core_render_pending(&cfg, S, "sms", 100, &rendered), CORE_OK);
    CU_ASSERT_EQUAL(rendered, 1);
    CU_ASSERT_TRUE(fake_store_outbox_row(S, fake_store_outbox_count(S) - 1, &row));
    CU_ASSERT_STRING_EQUAL(row.text, "again");
}

int main(void)
{
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 2;
    CU_pSuite s = CU_add_suite("core", NULL, NULL);
    CU_add_test(s, "help and aliases", test_help_and_aliases);
    CU_add_test(s, "unbound phone gets registration hint", test_unbound_phone_gets_registration_hint);
    CU_add_test(s, "register", test_register);
    CU_add_test(s, "save verbatim, whitespace tolerant", test_save_verbatim_and_whitespace);
    CU_add_test(s, "get byte-exact, GSM/UCS-2 edges", test_get_byte_exact_gsm_ucs2_edges);
    CU_add_test(s, "get header option", test_get_header_option);
    CU_add_test(s, "very long body split for bearerbox", test_very_long_body_is_split_for_bearerbox);
    CU_add_test(s, "list pages within segments", test_list_pages_within_segments);
    CU_add_test(s, "list preview chinese, one-segment config", test_list_preview_chinese_and_one_segment_config);
    CU_add_test(s, "list remembered pages as laid out afresh", test_list_remembered_pages_as_laid_out_afresh);
    CU_add_test(s, "list paging on reads what follows", test_list_paging_on_reads_what_follows);
    CU_add_test(s, "list deep page as paged on", test_list_deep_page_as_paged_on);
    CU_add_test(s, "get ranges and errors", test_get_ranges_and_errors);
    CU_add_test(s, "get mms and contact", test_get_mms_and_contact);
    CU_add_test(s, "vcard message saved as contact", test_vcard_message_is_saved_as_contact);
    CU_add_test(s, "delete; numbers never reused", test_delete_and_numbers_never_reused);
    CU_add_test(s, "space and growth", test_space_and_growth);
    CU_add_test(s, "login from second phone, throttle", test_login_from_second_phone_and_throttle);
    CU_add_test(s, "outcomes and kinds for the metrics", test_outcomes_for_metrics);
    CU_add_test(s, "pass and lang", test_pass_and_lang);
    CU_add_test(s, "lang: a chosen language wins, else the command's", test_lang_preference);
    CU_add_test(s, "find", test_find);
    CU_add_test(s, "not commands", test_not_commands);
    CU_add_test(s, "repeated unknown text goes quiet", test_repeated_unknown_text_goes_quiet);
    CU_add_test(s, "store retry propagates", test_store_retry_propagates);
    CU_add_test(s, "password commands are flagged", test_password_commands_are_flagged);
    CU_add_test(s, "passwords never logged", test_passwords_never_logged);
    CU_add_test(s, "every fixed reply fits one segment", test_every_fixed_reply_fits_one_segment);
    CU_add_test(s, "Chinese replies use full-width punctuation", test_chinese_replies_use_full_width_punctuation);
    CU_add_test(s, "fit edges", test_fit_edges);
    CU_add_test(s, "business card on port 9204", test_business_card_on_port_9204);
    CU_add_test(s, "business card refusals, other ports ignored", test_business_card_refusals);
    CU_add_test(s, "business card: a thousand TELs, 60 segments", test_business_card_hostile_sizes);
    CU_add_test(s, "forward short code saves verbatim", test_forward_short_code);
    CU_add_test(s, "HELP names the forward short code", test_help_names_forward_code);
    CU_add_test(s, "GET renders at send time; deleted items told", test_get_renders_at_send_time);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
    CU_cleanup_registry();
    fake_store_free(S);
    core_free(C);
    phone_got_cleanup(&R);
    return failed ? 1 : 0;
}
