/*
 * common_test — CUnit suite for common/: configuration loading (defaults,
 * ranges, unknown keys with file:line), strict UTF-8, the growable buffer and
 * what a phone number is (every form the SMS engine, the store and the web
 * page took before they shared common/msisdn, and the cases that changed),
 * which numbers phone-linking codes may go to, and the refusal counters.
 */
#include <CUnit/Basic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "buf.h"
#include "config.h"
#include "msisdn.h"
#include "refusals.h"
#include "utf8.h"

struct demo {
    char *conninfo;
    char *password;
    long long workers;
    long long quota;
    bool verbose;
};

static const struct config_key demo_keys[] = {
    { "database", "conninfo", CONFIG_STRING, NULL, 0, 0, offsetof(struct demo, conninfo), "libpq conninfo" },
    { "database", "password", CONFIG_STRING, "", 0, 0, offsetof(struct demo, password), "secret" },
    { "box", "workers", CONFIG_INT, "4", 1, 64, offsetof(struct demo, workers), "worker threads" },
    { "quota", "step", CONFIG_BYTES, "10M", 1, 1LL << 40, offsetof(struct demo, quota), "growth step" },
    { "box", "verbose", CONFIG_BOOL, "no", 0, 0, offsetof(struct demo, verbose), "" },
};

static char *write_tmp(const char *text)
{
    char *path = strdup("/tmp/smsvault-config-XXXXXX");
    int fd = mkstemp(path);
    CU_ASSERT_FATAL(fd >= 0);
    CU_ASSERT_FATAL(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
    close(fd);
    return path;
}

/* Load text with the demo keys, the other programs' sections being others.
 * A refused file leaves nothing allocated: the caller frees only what loads
 * (vaultweb --check-config leaked the defaults of a file with an unknown
 * section; LeakSanitizer fails this suite if a refusal keeps any). */
static enum config_result load_text_others(const char *text, const char *const *others, struct demo *d,
                                           char *err, size_t errlen)
{
    char *path = write_tmp(text);
    memset(d, 0, sizeof *d);
    struct config_part part = { demo_keys, sizeof demo_keys / sizeof demo_keys[0], d };
    enum config_result rc = config_load(path, &part, 1, others, err, errlen);
    if (rc != CONFIG_OK) {
        CU_ASSERT_PTR_NULL(d->conninfo);
        CU_ASSERT_PTR_NULL(d->password);   /* its default "" was set before the file was read */
    }
    unlink(path);
    free(path);
    return rc;
}

/* ... a program whose only other section is [web] */
static enum config_result load_text(const char *text, struct demo *d, char *err, size_t errlen)
{
    static const char *const others[] = { "web", NULL };
    return load_text_others(text, others, d, err, errlen);
}

static void free_demo(struct demo *d)
{
    struct config_part part = { demo_keys, sizeof demo_keys / sizeof demo_keys[0], d };
    config_free(&part, 1);
}

static void test_config_values_and_defaults(void)
{
    struct demo d;
    char err[256];
    enum config_result rc = load_text("[database]\nconninfo = \"host=/tmp port=5\"\n[web]\nanything = 1\n"
                                      "[quota]\nstep = 20MiB\n[box]\nverbose = yes\n", &d, err, sizeof err);
    CU_ASSERT_EQUAL_FATAL(rc, CONFIG_OK);
    CU_ASSERT_STRING_EQUAL(d.conninfo, "host=/tmp port=5");
    CU_ASSERT_EQUAL(d.workers, 4);
    CU_ASSERT_EQUAL(d.quota, 20LL << 20);
    CU_ASSERT_TRUE(d.verbose);
    free_demo(&d);
}

static void test_config_errors_name_line(void)
{
    struct demo d;
    char err[256];
    CU_ASSERT_EQUAL(load_text("[database]\nconninfo = x\n[box]\nworkerz = 3\n", &d, err, sizeof err), CONFIG_INVALID);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, ":4: [box] unknown key \"workerz\""));
    CU_ASSERT_EQUAL(load_text("[database]\nconninfo = x\n[box]\nworkers = 65\n", &d, err, sizeof err), CONFIG_INVALID);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, ":4: [box] workers: 65 is outside 1..64"));
    CU_ASSERT_EQUAL(load_text("[database]\nconninfo = x\n[nope]\na = 1\n", &d, err, sizeof err), CONFIG_INVALID);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, ":4: unknown section [nope]"));
    CU_ASSERT_EQUAL(load_text("[quota]\nstep = 10Q\n[database]\nconninfo=x\n", &d, err, sizeof err), CONFIG_INVALID);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, ":2: [quota] step"));
    CU_ASSERT_EQUAL(load_text("[box]\nworkers = 2\n", &d, err, sizeof err), CONFIG_INVALID);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "conninfo is required"));
}

static void test_config_print_hides_secrets(void)
{
    struct demo d;
    char err[256];
    CU_ASSERT_EQUAL_FATAL(load_text("[database]\nconninfo = host=db password=hunter2 user=x\n"
                                    "password = s3cret\n", &d, err, sizeof err), CONFIG_OK);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    struct config_part part = { demo_keys, sizeof demo_keys / sizeof demo_keys[0], &d };
    config_fprint(f, &part, 1);
    fclose(f);
    CU_ASSERT_PTR_NULL(strstr(text, "hunter2"));
    CU_ASSERT_PTR_NULL(strstr(text, "s3cret"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "conninfo = host=db password=******** user=x"));
    free(text);
    free_demo(&d);
}

/* Repeated named sections ([peer.NAME]), as vaultmms reads one per MMSC. */
struct peer {
    char *name;
    char *url;
    char *secret;
    long long timeout;
};

static const struct config_key peer_keys[] = {
    { "peer", "url", CONFIG_STRING, NULL, 0, 0, offsetof(struct peer, url), "where" },
    { "peer", "secret", CONFIG_STRING, "", 0, 0, offsetof(struct peer, secret), "hidden" },
    { "peer", "timeout", CONFIG_INT, "30", 1, 600, offsetof(struct peer, timeout), "seconds" },
};

static enum config_result load_named(const char *text, struct demo *d, struct peer *peers, size_t max, size_t *count,
                      char *err, size_t errlen)
{
    char *path = write_tmp(text);
    memset(d, 0, sizeof *d);
    memset(peers, 0, max * sizeof *peers);
    struct config_part part = { demo_keys, sizeof demo_keys / sizeof demo_keys[0], d };
    struct config_named nd = { "peer", peer_keys, sizeof peer_keys / sizeof peer_keys[0], peers,
                               sizeof *peers, max, offsetof(struct peer, name), 0 };
    enum config_result rc = config_load_named(path, &part, 1, &nd, 1, NULL, err, errlen);
    *count = nd.count;
    if (rc != CONFIG_OK) {   /* a refusal leaves nothing allocated, elements nor defaults */
        CU_ASSERT_EQUAL(nd.count, 0);
        CU_ASSERT_PTR_NULL(d->password);
        for (size_t i = 0; i < max; i++)
            CU_ASSERT_PTR_NULL(peers[i].name);
    }
    if (rc == CONFIG_OK) {
        char *text_out = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text_out, &len);
        config_fprint_named(f, &nd, 1);
        fclose(f);
        /* printed per element, secrets masked */
        CU_ASSERT_TRUE(nd.count == 0 || strstr(text_out, "[peer.") != NULL);
        CU_ASSERT_PTR_NULL(strstr(text_out, "hunter2"));
        free(text_out);
    }
    config_free_named(&nd, 1);
    CU_ASSERT_EQUAL(nd.count, 0);
    config_free(&part, 1);
    unlink(path);
    free(path);
    return rc;
}

static void test_config_named_sections(void)
{
    struct demo d;
    struct peer p[3];
    size_t n = 0;
    char err[256];
    CU_ASSERT_EQUAL_FATAL(load_named("[database]\nconninfo = x\n[peer.a]\nurl = http://a/\nsecret = hunter2\n"
                                     "[peer.b-2]\nurl = http://b/\ntimeout = 5\n[peer.a]\ntimeout = 9\n",
                                     &d, p, 3, &n, err, sizeof err), CONFIG_OK);
    CU_ASSERT_EQUAL(n, 2);
    /* load_named checked printing and freeing; look at the values with a load of our own */
    char *path = write_tmp("[peer.a]\nurl = http://a/\n[peer.b-2]\nurl = http://b/\ntimeout = 5\n"
                           "[peer.a]\ntimeout = 9\n[database]\nconninfo = x\n");
    struct config_part part = { demo_keys, sizeof demo_keys / sizeof demo_keys[0], &d };
    memset(p, 0, sizeof p);
    struct config_named nd = { "peer", peer_keys, 3, p, sizeof p[0], 3, offsetof(struct peer, name), 0 };
    CU_ASSERT_EQUAL_FATAL(config_load_named(path, &part, 1, &nd, 1, NULL, err, sizeof err), CONFIG_OK);
    CU_ASSERT_EQUAL_FATAL(nd.count, 2);
    CU_ASSERT_STRING_EQUAL(p[0].name, "a");
    CU_ASSERT_STRING_EQUAL(p[0].url, "http://a/");
    CU_ASSERT_EQUAL(p[0].timeout, 9);          /* the second [peer.a] overrides */
    CU_ASSERT_STRING_EQUAL(p[0].secret, "");   /* default */
    CU_ASSERT_STRING_EQUAL(p[1].name, "b-2");
    CU_ASSERT_EQUAL(p[1].timeout, 5);
    config_free_named(&nd, 1);
    config_free(&part, 1);
    unlink(path);
    free(path);

    /* errors name file:line and the section as written */
    CU_ASSERT_EQUAL(load_named("[database]\nconninfo = x\n[peer.a]\nurl = u\ntimeout = 0\n", &d, p, 3, &n,
                               err, sizeof err), CONFIG_INVALID);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, ":5: [peer.a] timeout: 0 is outside 1..600"));
    CU_ASSERT_EQUAL(load_named("[database]\nconninfo = x\n[peer.a]\nurl = u\nurll = v\n", &d, p, 3, &n,
                               err, sizeof err), CONFIG_INVALID);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, ":5: [peer.a] unknown key \"urll\""));
    CU_ASSERT_EQUAL(load_named("[database]\nconninfo = x\n[peer.a b]\nurl = u\n", &d, p, 3, &n,
                               err, sizeof err), CONFIG_INVALID);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, ":4: [peer.a b]: the name"));
    CU_ASSERT_EQUAL(load_named("[database]\nconninfo = x\n[peer.a]\nurl = u\n[peer.b]\nurl = u\n"
                               "[peer.c]\nurl = u\n", &d, p, 2, &n, err, sizeof err), CONFIG_INVALID);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, ":8: [peer.c]: at most 2 [peer.*] sections"));
    CU_ASSERT_EQUAL(load_named("[database]\nconninfo = x\n[peer.a]\ntimeout = 3\n", &d, p, 3, &n,
                               err, sizeof err), CONFIG_INVALID);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "[peer.a] url is required"));
    /* no [peer.*] at all: zero elements, not an error */
    CU_ASSERT_EQUAL(load_named("[database]\nconninfo = x\n", &d, p, 3, &n, err, sizeof err), CONFIG_OK);
    CU_ASSERT_EQUAL(n, 0);
}

/* A program that reads none of vaultmms's sections skips [mms] and every
 * [mmsc.NAME]: it passes config_smsvault_sections, where they are as "mms"
 * and "mmsc.*". */
static void test_config_skips_other_programs_named_sections(void)
{
    struct demo d;
    char err[256];
    CU_ASSERT_EQUAL(load_text_others("[database]\nconninfo = x\n[mms]\nport = 1\n[mmsc.main]\nurl = u\n",
                                     config_smsvault_sections, &d, err, sizeof err), CONFIG_OK);
    free_demo(&d);
    /* "mmsc.*" means [mmsc.X], not [mmsc] nor [mmscx] */
    CU_ASSERT_EQUAL(load_text_others("[database]\nconninfo = x\n[mmscx]\nurl = u\n", config_smsvault_sections,
                                     &d, err, sizeof err), CONFIG_INVALID);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, ":4: unknown section [mmscx]"));
    CU_ASSERT_EQUAL(load_text_others("[database]\nconninfo = x\n[mmsc.]\nurl = u\n", config_smsvault_sections,
                                     &d, err, sizeof err), CONFIG_INVALID);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "unknown section [mmsc.]"));
    /* a program that does not pass them is told */
    CU_ASSERT_EQUAL(load_text("[database]\nconninfo = x\n[mms]\nport = 1\n", &d, err, sizeof err), CONFIG_INVALID);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "unknown section [mms]"));
}

static void test_utf8_strict(void)
{
    CU_ASSERT_TRUE(utf8_valid("hello", 5));
    CU_ASSERT_TRUE(utf8_valid("你好 🌏", strlen("你好 🌏")));
    CU_ASSERT_FALSE(utf8_valid("\xC0\xAF", 2));          /* overlong '/' */
    CU_ASSERT_FALSE(utf8_valid("\xED\xA0\x80", 3));      /* surrogate D800 */
    CU_ASSERT_FALSE(utf8_valid("\xF4\x90\x80\x80", 4));  /* above U+10FFFF */
    CU_ASSERT_FALSE(utf8_valid("a\0b", 3));              /* NUL */
    CU_ASSERT_FALSE(utf8_valid("\xE4\xBD", 2));          /* truncated */
    CU_ASSERT_EQUAL(utf8_count("你好 🌏", strlen("你好 🌏")), 4);
    CU_ASSERT_EQUAL(utf8_truncate("你好", 6, 4), 3);
    char buf[4];
    CU_ASSERT_EQUAL(utf8_encode(0x1F30F, buf), 4);
    CU_ASSERT_EQUAL(memcmp(buf, "🌏", 4), 0);
    CU_ASSERT_EQUAL(utf8_encode(0xDC00, buf), 0);
}

static void test_xgrow(void)
{
    size_t cap = 0;
    char *p = xgrow(NULL, &cap, 1);
    CU_ASSERT_EQUAL(cap, 256);
    p[255] = 'x';
    char *same = xgrow(p, &cap, 256);   /* fits: unchanged */
    CU_ASSERT_PTR_EQUAL(same, p);
    CU_ASSERT_EQUAL(cap, 256);
    p = xgrow(p, &cap, 1000);           /* doubles until it holds 1000, keeps the bytes */
    CU_ASSERT_EQUAL(cap, 1024);
    CU_ASSERT_EQUAL(p[255], 'x');
    p[1023] = 'y';
    free(p);
}

static void test_buf(void)
{
    struct buf b = { 0 };
    CU_ASSERT_STRING_EQUAL(buf_cstr(&b), "");   /* a zeroed buffer is empty text */
    buf_puts(&b, "ab");
    buf_append(&b, "\0c", 2);                   /* NUL bytes are content */
    buf_printf(&b, "%d-%s", 42, "x");
    CU_ASSERT_EQUAL(b.len, 8);
    CU_ASSERT_EQUAL(memcmp(b.data, "ab\0c42-x", 8), 0);
    buf_consume(&b, 3);                         /* a queue drops what it sent */
    CU_ASSERT_STRING_EQUAL(buf_cstr(&b), "c42-x");
    buf_consume(&b, 99);
    CU_ASSERT_EQUAL(b.len, 0);
    for (int i = 0; i < 10000; i++)             /* grows by doubling, keeps every byte */
        buf_putc(&b, (char)('a' + i % 26));
    CU_ASSERT_EQUAL(b.len, 10000);
    CU_ASSERT_TRUE(b.cap >= 10001 && b.cap < 20002 * 2);
    CU_ASSERT_EQUAL(b.data[9999], (char)('a' + 9999 % 26));
    size_t cap = b.cap;
    buf_clear(&b);                              /* reused: the storage stays */
    CU_ASSERT_EQUAL(b.len, 0);
    CU_ASSERT_EQUAL(b.cap, cap);
    buf_puts(&b, "end");
    size_t len = 0;
    char *s = buf_steal(&b, &len);
    CU_ASSERT_STRING_EQUAL(s, "end");
    CU_ASSERT_EQUAL(len, 3);
    CU_ASSERT_PTR_NULL(b.data);                 /* handed over: b is empty again */
    CU_ASSERT_EQUAL(b.len, 0);
    free(s);
    buf_reserve(&b, 100);                       /* exactly, for a known size */
    CU_ASSERT_EQUAL(b.cap, 101);
    buf_cleanup(&b);
}

/* One phone however it is written: the key is the digits without one
 * leading "00" (migration 003's SQL; store_items_test checks the two agree). */
static void test_msisdn_key(void)
{
    static const struct { const char *written, *key; } same[] = {
        { "+8613800000001", "8613800000001" },      /* as bearerbox hands it */
        { "8613800000001", "8613800000001" },       /* typed without '+' */
        { "+86 138-0000-0001", "8613800000001" },
        { "008613800000001", "8613800000001" },     /* international prefix */
        { "0086 138 0000 0001", "8613800000001" },
        { "(86) 138.0000.0001", "8613800000001" },
        { "(+86) 138 0000 0001", "8613800000001" },  /* '+' anywhere, as the store took it */
        { "+008613800000001", "8613800000001" },
        { "000123", "0123" },                        /* only one "00" goes */
        { "0123", "0123" },                          /* a single 0 stays (a national prefix) */
        { "7", "7" },
    };
    char key[MSISDN_KEY_SIZE];
    for (size_t i = 0; i < sizeof same / sizeof same[0]; i++) {
        memset(key, 'x', sizeof key);
        CU_ASSERT_TRUE(msisdn_key(same[i].written, key));
        CU_ASSERT_STRING_EQUAL(key, same[i].key);
    }
    char max[LIMIT_PEER_MAX + 2];
    memset(max, '1', LIMIT_PEER_MAX);
    max[LIMIT_PEER_MAX] = '\0';
    CU_ASSERT_TRUE(msisdn_key(max, key));           /* LIMIT_PEER_MAX digits: the longest */
    CU_ASSERT_EQUAL(strlen(key), LIMIT_PEER_MAX);
    CU_ASSERT_EQUAL(msisdn_digits(max), LIMIT_PEER_MAX);
    max[LIMIT_PEER_MAX] = '1';
    max[LIMIT_PEER_MAX + 1] = '\0';

    static const char *const none[] = {
        "", "00", "+", "+00", "0 0", "-", "( )", "CHINAMOBILE", "10086abc", "*100#", "#31#",
        "138\t0000", "138\n0000", "138\x7f", "\xEF\xBC\x91\xEF\xBC\x93\xEF\xBC\x98" /* full-width digits */,
        "1,2", "1/2", "1;ext=2",
    };
    for (size_t i = 0; i < sizeof none / sizeof none[0]; i++) {
        strcpy(key, "untouched");
        CU_ASSERT_FALSE(msisdn_key(none[i], key));
        CU_ASSERT_EQUAL(msisdn_digits(none[i]), 0);
        CU_ASSERT_STRING_EQUAL(key, "untouched");   /* written only on success */
    }
    CU_ASSERT_FALSE(msisdn_key(max, key));           /* one byte too long */
    CU_ASSERT_FALSE(msisdn_key(NULL, key));
    CU_ASSERT_EQUAL(msisdn_digits("+86 (138) 0000-0001"), 13);
    CU_ASSERT_EQUAL(msisdn_digits("008613800000001"), 15);   /* written digits, "00" included */
}

/* rule(numbers[i]) is expected for every one of them (the failing one named). */
static void expect_rule(bool (*rule)(const char *), const char *name, const char *const *numbers, size_t n,
                        bool expected)
{
    for (size_t i = 0; i < n; i++) {
        bool got = rule(numbers[i]);
        if (got != expected)
            fprintf(stderr, "\n  %s(\"%s\") is %s\n", name, numbers[i] ? numbers[i] : "(null)", got ? "true" : "false");
        CU_ASSERT_EQUAL(got, expected);
    }
}
#define EXPECT_RULE(rule, numbers, expected) \
    expect_rule(rule, #rule, numbers, sizeof numbers / sizeof numbers[0], expected)

/* Who is answered: what bearerbox hands over from a phone, never an
 * alphanumeric sender. Before common/msisdn, "+" alone and "00" were taken
 * for phones: answered with the registration hint, to an address no SMSC
 * delivers to; now they are not answered either. */
static void test_msisdn_answerable(void)
{
    static const char *const yes[] = { "8613800000001", "+8613800000001", "10086", "1", "0123" };
    EXPECT_RULE(msisdn_answerable, yes, true);
    static const char *const no[] = {
        NULL, "", "CHINAMOBILE", "BANK", "+", "00", "+00", "++86138", "86+138", "+86 138 0000 0001",
        "86-138-0000", "(86)138", "138.0000",
    };
    EXPECT_RULE(msisdn_answerable, no, false);
    char digits[LIMIT_PEER_MAX + 2];
    memset(digits, '8', sizeof digits);
    digits[LIMIT_PEER_MAX] = '\0';
    CU_ASSERT_TRUE(msisdn_answerable(digits));
    digits[LIMIT_PEER_MAX] = '8';
    digits[LIMIT_PEER_MAX + 1] = '\0';
    CU_ASSERT_FALSE(msisdn_answerable(digits));
}

/* A phone linked on the web page: LIMIT_PHONE_DIGITS_MIN..MAX digits. The
 * page used to take only "+" and digits, at most 20 characters; it now takes
 * the written forms the store always matched ("+86 138 0000 0001"), and 20
 * digits after a '+'. */
static void test_msisdn_is_phone(void)
{
    static const char *const yes[] = {
        "12345", "+8613800000001", "8613800000001", "008613800000001", "12345678901234567890",
        "+86 138 0000 0001", "(86) 138-0000-0001", "+12345678901234567890",
    };
    EXPECT_RULE(msisdn_is_phone, yes, true);
    static const char *const no[] = {
        "", "1234", "+1234", "123456789012345678901", "abcde", "+86 138 0000 000x", "00", "12 34",
    };
    EXPECT_RULE(msisdn_is_phone, no, false);
    CU_ASSERT_EQUAL(LIMIT_PHONE_DIGITS_MIN, 5);
    CU_ASSERT_EQUAL(LIMIT_PHONE_DIGITS_MAX, 20);
}

/* A contact's number, for CONTACT, vCards and imports alike. CONTACT took
 * "+" only in front and '-' between digits; it takes the other separators
 * too now ("(010)12345678"). vCards and CSV files took any line of text;
 * a number that is not a phone number ("*100#", "ext. 12") is refused now. */
static void test_msisdn_is_contact(void)
{
    static const char *const yes[] = {
        "110", "13800138000", "+8613900000000", "+86-138-0000", "010-1234", "001", "(010)12345678",
        "138.0013.8000", "+86 (10) 1234 5678",
    };
    EXPECT_RULE(msisdn_is_contact, yes, true);
    static const char *const no[] = {
        "", "12", "1-2", "abc", "*100#", "555-1234 ext. 12", "13800138000;x", "00",
    };
    EXPECT_RULE(msisdn_is_contact, no, false);
    char long_number[LIMIT_PEER_MAX + 2];
    memset(long_number, '1', sizeof long_number);
    long_number[LIMIT_PEER_MAX + 1] = '\0';
    CU_ASSERT_FALSE(msisdn_is_contact(long_number));
}

/* [web] phone_prefixes (issue 11, point 2): the numbers a code may be
 * texted to, in any written form of the international number; a national
 * form has no country code and is not one of them. */
static void test_msisdn_prefixes(void)
{
    CU_ASSERT_TRUE(msisdn_prefixes_valid("86"));
    CU_ASSERT_TRUE(msisdn_prefixes_valid("86, 852 853"));
    CU_ASSERT_TRUE(msisdn_prefixes_valid(" 1,44 ,"));
    static const char *const bad[] = { "", " , ", "+86", "86;852", "8a", "123456789012345678901", NULL };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CU_ASSERT_FALSE(msisdn_prefixes_valid(bad[i]));
    static const char *const yes[] = { "+8613800000001", "8613800000001", "008613800000001", "+86 138-0000-0001" };
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
        CU_ASSERT_TRUE(msisdn_has_prefix(yes[i], "86"));
    CU_ASSERT_TRUE(msisdn_has_prefix("+85291234567", "86, 852"));
    static const char *const no[] = { "13800000001", "+447700900123", "+12025550123", "0012025550123", "abc", NULL };
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
        CU_ASSERT_FALSE(msisdn_has_prefix(no[i], "86, 852"));
    CU_ASSERT_FALSE(msisdn_has_prefix("+8613800000001", "86;"));   /* an invalid list matches nothing */
}

static void test_refusals(void)
{
    unsigned long long before = refusals_get(REFUSAL_CODE_BUDGET), other = refusals_get(REFUSAL_LOGIN_THROTTLED);
    refusals_count(REFUSAL_CODE_BUDGET);
    refusals_count(REFUSAL_CODE_BUDGET);
    CU_ASSERT_EQUAL(refusals_get(REFUSAL_CODE_BUDGET), before + 2);
    CU_ASSERT_EQUAL(refusals_get(REFUSAL_LOGIN_THROTTLED), other);
    refusals_count(REFUSAL_COUNT);   /* out of range: ignored */
    CU_ASSERT_EQUAL(refusals_get(REFUSAL_COUNT), 0);
    CU_ASSERT_STRING_EQUAL(refusals_name(REFUSAL_CODE_PER_ADDRESS), "code_per_address");
    for (int r = 0; r < REFUSAL_COUNT; r++)
        CU_ASSERT_STRING_NOT_EQUAL(refusals_name((enum refusal)r), "?");
    CU_ASSERT_STRING_EQUAL(refusals_name(REFUSAL_COUNT), "?");
}

int main(void)
{
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 2;
    CU_pSuite s = CU_add_suite("common", NULL, NULL);
    CU_add_test(s, "msisdn: the prefixes codes may be texted to", test_msisdn_prefixes);
    CU_add_test(s, "refusals: counted per kind, named", test_refusals);
    CU_add_test(s, "config values and defaults", test_config_values_and_defaults);
    CU_add_test(s, "config errors name file:line", test_config_errors_name_line);
    CU_add_test(s, "config print hides secrets", test_config_print_hides_secrets);
    CU_add_test(s, "config repeated named sections", test_config_named_sections);
    CU_add_test(s, "config skips other programs' named sections", test_config_skips_other_programs_named_sections);
    CU_add_test(s, "utf8 strict", test_utf8_strict);
    CU_add_test(s, "xgrow doubles and keeps the contents", test_xgrow);
    CU_add_test(s, "buf: append, printf, consume, clear, steal", test_buf);
    CU_add_test(s, "msisdn: one key for every written form", test_msisdn_key);
    CU_add_test(s, "msisdn: senders that are answered", test_msisdn_answerable);
    CU_add_test(s, "msisdn: a phone typed on the web", test_msisdn_is_phone);
    CU_add_test(s, "msisdn: a contact's number", test_msisdn_is_contact);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
    CU_cleanup_registry();
    return failed ? 1 : 0;
}
