/*
 * config — table-driven loading of smsvault.conf through libinih (see config.h).
 */
#include "config.h"

#include <errno.h>
#include <ini.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"

struct load_state {
    const struct config_part *parts;
    size_t nparts;
    struct config_named *named;
    size_t nnamed;
    const char *const *other_sections;
    char *err;          /* first error, without the file:line prefix */
    size_t errlen;
    bool failed;
};

enum config_result config_parse_bool(const char *text, bool *out)
{
    static const char *const yes[] = { "yes", "true", "on", "1" };
    static const char *const no[] = { "no", "false", "off", "0" };
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(text, yes[i]) == 0) { *out = true; return CONFIG_OK; }
        if (strcasecmp(text, no[i]) == 0) { *out = false; return CONFIG_OK; }
    }
    return CONFIG_INVALID;
}

static bool parse_int(const char *text, long long *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (errno || end == text || *end != '\0')
        return false;
    *out = v;
    return true;
}

const char *const config_smsvault_sections[] = { "database", "quota", "login", "box", "web", "mms", "mmsc.*",
                                                  NULL };

enum config_result config_parse_bytes(const char *text, long long *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (errno || end == text || v < 0)
        return CONFIG_INVALID;
    long long mul = 1;
    if (*end) {
        static const struct { const char *suffix; long long mul; } units[] = {
            { "K", 1LL << 10 }, { "KiB", 1LL << 10 }, { "KB", 1LL << 10 },
            { "M", 1LL << 20 }, { "MiB", 1LL << 20 }, { "MB", 1LL << 20 },
            { "G", 1LL << 30 }, { "GiB", 1LL << 30 }, { "GB", 1LL << 30 },
            { "T", 1LL << 40 }, { "TiB", 1LL << 40 }, { "TB", 1LL << 40 },
        };
        size_t i;
        for (i = 0; i < sizeof units / sizeof units[0]; i++)
            if (strcasecmp(end, units[i].suffix) == 0)
                break;
        if (i == sizeof units / sizeof units[0])
            return CONFIG_INVALID;
        mul = units[i].mul;
    }
    if (v > INT64_MAX / mul)
        return CONFIG_INVALID;
    *out = v * mul;
    return CONFIG_OK;
}

/* Store text into the key's slot; on error writes a message naming section
 * (the file's section: "mmsc.main" for a named one) to err. */
static enum config_result set_value(const struct config_key *k, const char *section, void *settings,
                                    const char *text, char *err, size_t errlen)
{
    char *slot = (char *)settings + k->offset;
    long long v;
    switch (k->type) {
    case CONFIG_STRING: {
        size_t len = strlen(text);
        char **dst = (char **)(void *)slot;
        free(*dst);
        if (len >= 2 && text[0] == '"' && text[len - 1] == '"')
            *dst = xstrndup(text + 1, len - 2);
        else
            *dst = xstrdup(text);
        return CONFIG_OK;
    }
    case CONFIG_BOOL:
        if (config_parse_bool(text, (bool *)(void *)slot) != CONFIG_OK) {
            snprintf(err, errlen, "[%s] %s: expected yes or no, got \"%s\"", section, k->name, text);
            return CONFIG_INVALID;
        }
        return CONFIG_OK;
    case CONFIG_INT:
    case CONFIG_BYTES:
        if (k->type == CONFIG_INT ? !parse_int(text, &v) : config_parse_bytes(text, &v) != CONFIG_OK) {
            snprintf(err, errlen, "[%s] %s: expected %s, got \"%s\"", section, k->name,
                     k->type == CONFIG_INT ? "a whole number" : "a size such as 10M", text);
            return CONFIG_INVALID;
        }
        if (v < k->min || v > k->max) {
            snprintf(err, errlen, "[%s] %s: %lld is outside %lld..%lld", section, k->name,
                     v, k->min, k->max);
            return CONFIG_INVALID;
        }
        *(long long *)(void *)slot = v;
        return CONFIG_OK;
    }
    snprintf(err, errlen, "[%s] %s: unknown type", section, k->name);
    return CONFIG_INVALID;
}

static bool section_known(const struct load_state *st, const char *section)
{
    for (size_t p = 0; p < st->nparts; p++)
        for (size_t i = 0; i < st->parts[p].nkeys; i++)
            if (strcmp(st->parts[p].keys[i].section, section) == 0)
                return true;
    return false;
}

/* pattern is a section name, or "name.*" for every [name.X]. */
static bool section_matches(const char *pattern, const char *section)
{
    size_t n = strlen(pattern);
    if (n >= 2 && strcmp(pattern + n - 2, ".*") == 0)
        return strncmp(pattern, section, n - 1) == 0 && section[n - 1] != '\0';
    return strcmp(pattern, section) == 0;
}

static bool section_other(const struct load_state *st, const char *section)
{
    for (const char *const *s = st->other_sections; s && *s; s++)
        if (section_matches(*s, section))
            return true;
    return false;
}

static char **named_name(const struct config_named *nd, size_t i)
{
    return (char **)(void *)((char *)nd->items + i * nd->item_size + nd->name_offset);
}

static bool valid_name(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > CONFIG_NAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= 'A' && name[i] <= 'Z') ||
              (name[i] >= '0' && name[i] <= '9') || name[i] == '_' || name[i] == '-'))
            return false;
    return true;
}

/* The named kind that section [prefix.NAME] belongs to, or NULL. */
static struct config_named *named_kind(const struct load_state *st, const char *section)
{
    for (size_t i = 0; i < st->nnamed; i++) {
        size_t n = strlen(st->named[i].prefix);
        if (strncmp(section, st->named[i].prefix, n) == 0 && section[n] == '.')
            return &st->named[i];
    }
    return NULL;
}

/* A key of a [prefix.NAME] section: find or make NAME's element (with its
 * defaults), then set the key. Returns 1 to go on, 0 on error. */
static int on_named_value(struct load_state *st, struct config_named *nd, const char *section,
                          const char *name, const char *value)
{
    const char *inst = section + strlen(nd->prefix) + 1;
    if (!valid_name(inst)) {
        snprintf(st->err, st->errlen, "[%s]: the name after \"%s.\" must be 1-%d of A-Z a-z 0-9 _ -",
                 section, nd->prefix, CONFIG_NAME_MAX);
        goto fail;
    }
    size_t i;
    for (i = 0; i < nd->count; i++)
        if (strcmp(*named_name(nd, i), inst) == 0)
            break;
    void *item = (char *)nd->items + i * nd->item_size;
    if (i == nd->count) {
        if (nd->count == nd->max) {
            snprintf(st->err, st->errlen, "[%s]: at most %zu [%s.*] sections", section, nd->max, nd->prefix);
            goto fail;
        }
        nd->count++;
        *named_name(nd, i) = xstrdup(inst);
        for (size_t k = 0; k < nd->nkeys; k++)
            if (nd->keys[k].def &&
                set_value(&nd->keys[k], section, item, nd->keys[k].def, st->err, st->errlen) != CONFIG_OK)
                goto fail;
    }
    for (size_t k = 0; k < nd->nkeys; k++) {
        if (strcmp(nd->keys[k].name, name) == 0) {
            if (set_value(&nd->keys[k], section, item, value, st->err, st->errlen) != CONFIG_OK)
                goto fail;
            return 1;
        }
    }
    snprintf(st->err, st->errlen, "[%s] unknown key \"%s\"", section, name);
fail:
    st->failed = true;
    return 0;
}

/* inih callback: returns 1 to go on, 0 to mark this line as the error. */
static int on_value(void *user, const char *section, const char *name, const char *value)
{
    struct load_state *st = user;
    if (st->failed)
        return 1;   /* report only the first error */
    struct config_named *nd = named_kind(st, section);
    if (nd)
        return on_named_value(st, nd, section, name, value);
    for (size_t p = 0; p < st->nparts; p++) {
        for (size_t i = 0; i < st->parts[p].nkeys; i++) {
            const struct config_key *k = &st->parts[p].keys[i];
            if (strcmp(k->section, section) == 0 && strcmp(k->name, name) == 0) {
                if (set_value(k, section, st->parts[p].settings, value, st->err, st->errlen) != CONFIG_OK) {
                    st->failed = true;
                    return 0;
                }
                return 1;
            }
        }
    }
    if (section_known(st, section))
        snprintf(st->err, st->errlen, "[%s] unknown key \"%s\"", section, name);
    else if (section_other(st, section))
        return 1;
    else if (section[0] == '\0')
        snprintf(st->err, st->errlen, "key \"%s\" outside any [section]", name);
    else
        snprintf(st->err, st->errlen, "unknown section [%s]", section);
    st->failed = true;
    return 0;
}

enum config_result config_load(const char *path, const struct config_part *parts, size_t nparts,
                               const char *const *other_sections, char *err, size_t errlen)
{
    return config_load_named(path, parts, nparts, NULL, 0, other_sections, err, errlen);
}

enum config_result config_load_named(const char *path, const struct config_part *parts, size_t nparts,
                                     struct config_named *named, size_t nnamed,
                                     const char *const *other_sections, char *err, size_t errlen)
{
    enum config_result rc = CONFIG_INVALID;
    for (size_t p = 0; p < nparts; p++) {
        for (size_t i = 0; i < parts[p].nkeys; i++) {
            const struct config_key *k = &parts[p].keys[i];
            if (k->def && set_value(k, k->section, parts[p].settings, k->def, err, errlen) != CONFIG_OK)
                goto out;
        }
    }
    for (size_t i = 0; i < nnamed; i++)
        named[i].count = 0;
    if (path == NULL)
        goto check_required;

    char first_err[512] = "";
    struct load_state st = {
        .parts = parts, .nparts = nparts, .named = named, .nnamed = nnamed, .other_sections = other_sections,
        .err = first_err, .errlen = sizeof first_err,
    };
    int line = ini_parse(path, on_value, &st);
    if (line == -1) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        goto out;
    }
    if (line == -2) {
        snprintf(err, errlen, "%s: out of memory", path);
        goto out;
    }
    if (line > 0) {
        snprintf(err, errlen, "%s:%d: %s", path, line, first_err[0] ? first_err : "syntax error");
        goto out;
    }

check_required:
    for (size_t p = 0; p < nparts; p++) {
        for (size_t i = 0; i < parts[p].nkeys; i++) {
            const struct config_key *k = &parts[p].keys[i];
            if (k->def == NULL && k->type == CONFIG_STRING &&
                *(char **)(void *)((char *)parts[p].settings + k->offset) == NULL) {
                snprintf(err, errlen, "%s: [%s] %s is required", path ? path : "(defaults)",
                         k->section, k->name);
                goto out;
            }
        }
    }
    for (size_t n = 0; n < nnamed; n++) {
        for (size_t e = 0; e < named[n].count; e++) {
            const char *item = (const char *)named[n].items + e * named[n].item_size;
            for (size_t i = 0; i < named[n].nkeys; i++) {
                const struct config_key *k = &named[n].keys[i];
                if (k->def == NULL && k->type == CONFIG_STRING && *(char *const *)(const void *)(item + k->offset) == NULL) {
                    snprintf(err, errlen, "%s: [%s.%s] %s is required", path ? path : "(defaults)",
                             named[n].prefix, *named_name(&named[n], e), k->name);
                    goto out;
                }
            }
        }
    }
    rc = CONFIG_OK;
out:
    /* a refused file leaves nothing allocated (the defaults were) */
    if (rc != CONFIG_OK) {
        config_free(parts, nparts);
        config_free_named(named, nnamed);
    }
    return rc;
}

void config_free(const struct config_part *parts, size_t nparts)
{
    for (size_t p = 0; p < nparts; p++) {
        for (size_t i = 0; i < parts[p].nkeys; i++) {
            const struct config_key *k = &parts[p].keys[i];
            if (k->type == CONFIG_STRING) {
                char **slot = (char **)(void *)((char *)parts[p].settings + k->offset);
                free(*slot);
                *slot = NULL;
            }
        }
    }
}

void config_free_named(struct config_named *named, size_t nnamed)
{
    for (size_t n = 0; n < nnamed; n++) {
        for (size_t e = 0; e < named[n].count; e++) {
            struct config_part part = { named[n].keys, named[n].nkeys,
                                        (char *)named[n].items + e * named[n].item_size };
            config_free(&part, 1);
            char **name = named_name(&named[n], e);
            free(*name);
            *name = NULL;
        }
        named[n].count = 0;
    }
}

static bool is_secret(const char *name)
{
    return strstr(name, "password") || strstr(name, "secret");
}

void config_print(const struct config_part *parts, size_t nparts)
{
    config_fprint(stdout, parts, nparts);
}

/* One block of keys; section NULL: each key's own section. */
static void print_keys(FILE *out, const char *section, const struct config_key *keys, size_t nkeys,
                       const void *settings)
{
    for (size_t i = 0; i < nkeys; i++) {
        const struct config_key *k = &keys[i];
        const char *slot = (const char *)settings + k->offset;
        fprintf(out, "[%s] %s = ", section ? section : k->section, k->name);
        switch (k->type) {
        case CONFIG_STRING: {
            const char *s = *(char *const *)(const void *)slot;
            const char *pw = s ? strstr(s, "password=") : NULL;
            if (s == NULL)
                fprintf(out, "(unset)");
            else if (is_secret(k->name))
                fprintf(out, "********");
            else if (pw)   /* a libpq conninfo with password=...: hide the value */
                fprintf(out, "%.*spassword=********%s", (int)(pw - s), s,
                       pw + strcspn(pw, " \t"));
            else
                fprintf(out, "%s", s);
            break;
        }
        case CONFIG_BOOL:
            fprintf(out, "%s", *(const bool *)(const void *)slot ? "yes" : "no");
            break;
        case CONFIG_INT:
        case CONFIG_BYTES:
            fprintf(out, "%lld", *(const long long *)(const void *)slot);
            break;
        }
        fprintf(out, "    ; %s\n", k->help ? k->help : "");
    }
}

void config_fprint(FILE *out, const struct config_part *parts, size_t nparts)
{
    for (size_t p = 0; p < nparts; p++)
        print_keys(out, NULL, parts[p].keys, parts[p].nkeys, parts[p].settings);
}

void config_fprint_named(FILE *out, const struct config_named *named, size_t nnamed)
{
    for (size_t n = 0; n < nnamed; n++) {
        for (size_t e = 0; e < named[n].count; e++) {
            const char *item = (const char *)named[n].items + e * named[n].item_size;
            char section[128];
            snprintf(section, sizeof section, "%s.%s", named[n].prefix,
                     *(char *const *)(const void *)(item + named[n].name_offset));
            print_keys(out, section, named[n].keys, named[n].nkeys, item);
        }
    }
}
