/*
 * common_test — CUnit suite for common/: configuration loading (defaults,
 * ranges, unknown keys with file:line), strict UTF-8 and growable buffers.
 */
#include <CUnit/Basic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "config.h"
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

static int load_text(const char *text, struct demo *d, char *err, size_t errlen)
{
    static const char *const others[] = { "web", NULL };
    char *path = write_tmp(text);
    memset(d, 0, sizeof *d);
    struct config_part part = { demo_keys, sizeof demo_keys / sizeof demo_keys[0], d };
    int rc = config_load(path, &part, 1, others, err, errlen);
    if (rc != 0)
        config_free(&part, 1);
    unlink(path);
    free(path);
    return rc;
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
    int rc = load_text("[database]\nconninfo = \"host=/tmp port=5\"\n[web]\nanything = 1\n"
                       "[quota]\nstep = 20MiB\n[box]\nverbose = yes\n", &d, err, sizeof err);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
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
    CU_ASSERT_EQUAL(load_text("[database]\nconninfo = x\n[box]\nworkerz = 3\n", &d, err, sizeof err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, ":4: [box] unknown key \"workerz\""));
    CU_ASSERT_EQUAL(load_text("[database]\nconninfo = x\n[box]\nworkers = 65\n", &d, err, sizeof err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, ":4: [box] workers: 65 is outside 1..64"));
    CU_ASSERT_EQUAL(load_text("[database]\nconninfo = x\n[nope]\na = 1\n", &d, err, sizeof err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, ":4: unknown section [nope]"));
    CU_ASSERT_EQUAL(load_text("[quota]\nstep = 10Q\n[database]\nconninfo=x\n", &d, err, sizeof err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, ":2: [quota] step"));
    CU_ASSERT_EQUAL(load_text("[box]\nworkers = 2\n", &d, err, sizeof err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "conninfo is required"));
}

static void test_config_print_hides_secrets(void)
{
    struct demo d;
    char err[256];
    CU_ASSERT_EQUAL_FATAL(load_text("[database]\nconninfo = host=db password=hunter2 user=x\n"
                                    "password = s3cret\n", &d, err, sizeof err), 0);
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

static int load_named(const char *text, struct demo *d, struct peer *peers, size_t max, size_t *count,
                      char *err, size_t errlen)
{
    char *path = write_tmp(text);
    memset(d, 0, sizeof *d);
    memset(peers, 0, max * sizeof *peers);
    struct config_part part = { demo_keys, sizeof demo_keys / sizeof demo_keys[0], d };
    struct config_named nd = { "peer", peer_keys, sizeof peer_keys / sizeof peer_keys[0], peers,
                               sizeof *peers, max, offsetof(struct peer, name), 0 };
    int rc = config_load_named(path, &part, 1, &nd, 1, NULL, err, errlen);
    *count = nd.count;
    if (rc == 0) {
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
                                     &d, p, 3, &n, err, sizeof err), 0);
    CU_ASSERT_EQUAL(n, 2);
    /* load_named checked printing and freeing; look at the values with a load of our own */
    char *path = write_tmp("[peer.a]\nurl = http://a/\n[peer.b-2]\nurl = http://b/\ntimeout = 5\n"
                           "[peer.a]\ntimeout = 9\n[database]\nconninfo = x\n");
    struct config_part part = { demo_keys, sizeof demo_keys / sizeof demo_keys[0], &d };
    memset(p, 0, sizeof p);
    struct config_named nd = { "peer", peer_keys, 3, p, sizeof p[0], 3, offsetof(struct peer, name), 0 };
    CU_ASSERT_EQUAL_FATAL(config_load_named(path, &part, 1, &nd, 1, NULL, err, sizeof err), 0);
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
                               err, sizeof err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, ":5: [peer.a] timeout: 0 is outside 1..600"));
    CU_ASSERT_EQUAL(load_named("[database]\nconninfo = x\n[peer.a]\nurl = u\nurll = v\n", &d, p, 3, &n,
                               err, sizeof err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, ":5: [peer.a] unknown key \"urll\""));
    CU_ASSERT_EQUAL(load_named("[database]\nconninfo = x\n[peer.a b]\nurl = u\n", &d, p, 3, &n,
                               err, sizeof err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, ":4: [peer.a b]: the name"));
    CU_ASSERT_EQUAL(load_named("[database]\nconninfo = x\n[peer.a]\nurl = u\n[peer.b]\nurl = u\n"
                               "[peer.c]\nurl = u\n", &d, p, 2, &n, err, sizeof err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, ":8: [peer.c]: at most 2 [peer.*] sections"));
    CU_ASSERT_EQUAL(load_named("[database]\nconninfo = x\n[peer.a]\ntimeout = 3\n", &d, p, 3, &n,
                               err, sizeof err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "[peer.a] url is required"));
    /* no [peer.*] at all: zero elements, not an error */
    CU_ASSERT_EQUAL(load_named("[database]\nconninfo = x\n", &d, p, 3, &n, err, sizeof err), 0);
    CU_ASSERT_EQUAL(n, 0);
}

/* A program that reads none of vaultmms's sections skips [mms] and every
 * [mmsc.NAME] (they are in config_smsvault_sections as "mms" and "mmsc.*"),
 * even when it passes a shorter list of other sections of its own. */
static void test_config_skips_other_programs_named_sections(void)
{
    struct demo d;
    char err[256];
    CU_ASSERT_EQUAL(load_text("[database]\nconninfo = x\n[mms]\nport = 1\n[mmsc.main]\nurl = u\n",
                              &d, err, sizeof err), 0);
    free_demo(&d);
    /* "mmsc.*" means [mmsc.X], not [mmsc] nor [mmscx] */
    CU_ASSERT_EQUAL(load_text("[database]\nconninfo = x\n[mmscx]\nurl = u\n", &d, err, sizeof err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, ":4: unknown section [mmscx]"));
    CU_ASSERT_EQUAL(load_text("[database]\nconninfo = x\n[mmsc.]\nurl = u\n", &d, err, sizeof err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "unknown section [mmsc.]"));
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

int main(void)
{
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 2;
    CU_pSuite s = CU_add_suite("common", NULL, NULL);
    CU_add_test(s, "config values and defaults", test_config_values_and_defaults);
    CU_add_test(s, "config errors name file:line", test_config_errors_name_line);
    CU_add_test(s, "config print hides secrets", test_config_print_hides_secrets);
    CU_add_test(s, "config repeated named sections", test_config_named_sections);
    CU_add_test(s, "config skips other programs' named sections", test_config_skips_other_programs_named_sections);
    CU_add_test(s, "utf8 strict", test_utf8_strict);
    CU_add_test(s, "xgrow doubles and keeps the contents", test_xgrow);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
    CU_cleanup_registry();
    return failed ? 1 : 0;
}
