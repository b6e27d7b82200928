/*
 * core — the SMS command engine (see core.h): recognises the command word
 * (English, case-insensitive, or its Chinese alias), checks arity once from
 * the command table, finds the user bound to the phone, runs the command
 * against the store and queues the replies in the caller's transaction.
 *
 * Which language a reply is in: an English command word is answered in
 * English, a Chinese alias in Chinese (REG vs 注册). Input with no language
 * of its own ("?", a vCard, unknown text) is answered in the user's stored
 * language, which REG/注册 sets and LANG EN|ZH changes; for a phone without
 * an account, Chinese if the text holds Chinese characters, else English.
 *
 * Not here: item numbering, space accounting and password checks (store/),
 * Kannel message fields and de-duplication of re-delivered MO (vaultbox).
 */
#include "core.h"

#include <ctype.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"
#include "core_text.h"
#include "log.h"
#include "store.h"
#include "utf8.h"
#include "vcard.h"

const struct config_key core_config_keys[] = {
    { "box", "list_segments", CONFIG_INT, "2", 1, 10, offsetof(struct core_config, list_segments),
      "a LIST / FIND reply spans at most this many SMS segments" },
    { "box", "get_max", CONFIG_INT, "5", 1, 50, offsetof(struct core_config, get_max),
      "at most this many items are re-delivered by one GET" },
    { "box", "del_max", CONFIG_INT, "500", 1, 10000, offsetof(struct core_config, del_max),
      "at most this many numbers in one DEL" },
    { "box", "get_header", CONFIG_BOOL, "no", 0, 0, offsetof(struct core_config, get_header),
      "prefix each re-delivered SMS with \"#n \" (no: the original text byte-exact)" },
    { "box", "web_url", CONFIG_STRING, "", 0, 0, offsetof(struct core_config, web_url),
      "URL of the web page, named in the reply to GET M<n> (empty: not named)" },
    { "box", "repeat_answers", CONFIG_INT, "3", 1, 100, offsetof(struct core_config, repeat_answers),
      "the same unknown text from one phone is answered this many times ..." },
    { "box", "repeat_quiet", CONFIG_INT, "3600", 1, 86400 * 7, offsetof(struct core_config, repeat_quiet_s),
      "... then ignored for this many seconds" },
};
const size_t core_config_nkeys = sizeof core_config_keys / sizeof core_config_keys[0];

const char *core_result_name(enum core_result r)
{
    static const char *const names[] = { "ok", "ignored", "retry", "error" };
    return (unsigned)r < sizeof names / sizeof names[0] ? names[r] : "?";
}

/* ---- the phone-repeat table: bounded, in memory, per worker ---- */

#define REPEAT_SLOTS 512

struct repeat {
    uint64_t key;     /* 0: free */
    time_t first;
    long long count;
};

struct core {
    struct core_config cfg;
    struct repeat rep[REPEAT_SLOTS];
};

struct core *core_new(const struct core_config *cfg)
{
    struct core *c = xcalloc(1, sizeof *c);
    c->cfg = *cfg;
    c->cfg.web_url = xstrdup(cfg->web_url ? cfg->web_url : "");
    return c;
}

void core_free(struct core *c)
{
    if (c == NULL)
        return;
    free(c->cfg.web_url);
    free(c);
}

static uint64_t fnv1a(uint64_t h, const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

/* Unknown text: answer the first repeat_answers copies from a phone within
 * repeat_quiet seconds, then stay quiet until they have passed (issue 4). */
static bool repeat_allow(struct core *c, const char *msisdn, const char *text, size_t len, time_t now)
{
    uint64_t k = fnv1a(fnv1a(0xcbf29ce484222325ULL, msisdn, strlen(msisdn) + 1), text, len) | 1;
    struct repeat *victim = &c->rep[0];

    for (size_t i = 0; i < REPEAT_SLOTS; i++) {
        struct repeat *r = &c->rep[i];
        if (r->key == k) {
            if (now - r->first >= c->cfg.repeat_quiet_s) {
                r->first = now;
                r->count = 1;
                return true;
            }
            return ++r->count <= c->cfg.repeat_answers;
        }
        if (r->key == 0 || r->first < victim->first)
            victim = r;
        if (r->key == 0)
            break;
    }
    victim->key = k;
    victim->first = now;
    victim->count = 1;
    return true;
}

/* ---- replies ---- */

void core_replies_init(struct core_replies *r)
{
    memset(r, 0, sizeof *r);
}

void core_replies_cleanup(struct core_replies *r)
{
    for (size_t i = 0; i < r->count; i++)
        free(r->texts[i]);
    free(r->texts);
    memset(r, 0, sizeof *r);
}

struct ctx {
    struct core *c;
    struct store *s;
    const struct core_mo *mo;
    struct core_replies *out;
    time_t now;
    enum core_lang lang;
    bool lang_neutral;            /* the command word had no language ("?") */
    bool bound;
    char user_id[STORE_ID_LEN];
    const char *args;             /* the text after the command word and its whitespace */
    size_t args_len;
    char *argv[4];                /* whitespace-separated words of args (fixed-arity commands) */
    int argc;
    const struct command *cmd;    /* the command being run */
};

static enum core_result from_store(struct ctx *x, const char *op, enum store_result r)
{
    log_warn("core: store_failed op=%s result=%s msisdn=%s", op, store_result_name(r), x->mo->msisdn);
    return r == STORE_RETRY ? CORE_RETRY : CORE_ERR;
}

/* Queue text[0..len) for the phone, in the caller's transaction. */
static enum core_result send_text(struct ctx *x, const char *text, size_t len)
{
    struct store_outbox_new m = {
        .user_id = x->bound ? x->user_id : NULL,
        .msisdn = x->mo->msisdn,
        .text = text,
        .text_len = len,
    };
    long long id;
    enum store_result r = store_outbox_enqueue(x->s, &m, &id);
    if (r != STORE_OK)
        return from_store(x, "outbox_enqueue", r);
    struct core_replies *o = x->out;
    o->texts = xrealloc(o->texts, (o->count + 1) * sizeof *o->texts);
    o->texts[o->count++] = xmemdup0(text, len);
    return CORE_OK;
}

/* Queue an owned, NUL-terminated reply and free it. */
static enum core_result send_owned(struct ctx *x, char *text)
{
    enum core_result r = send_text(x, text, strlen(text));
    free(text);
    return r;
}

/* One-segment reply from the table, in the context's language. */
static enum core_result say(struct ctx *x, enum core_text_id id, ...)
{
    va_list ap;
    va_start(ap, id);
    char *t = core_text_vreply(id, x->lang, ap);
    va_end(ap);
    return send_owned(x, t);
}

/* ---- text scanning ---- */

/* Bytes of the whitespace character at s (ASCII space/tab/CR/LF, NBSP,
 * ideographic space U+3000), or 0. */
static size_t ws_at(const char *s, size_t len)
{
    if (len >= 1 && (s[0] == ' ' || s[0] == '\t' || s[0] == '\r' || s[0] == '\n'))
        return 1;
    if (len >= 2 && (unsigned char)s[0] == 0xC2 && (unsigned char)s[1] == 0xA0)
        return 2;
    if (len >= 3 && (unsigned char)s[0] == 0xE3 && (unsigned char)s[1] == 0x80 &&
        (unsigned char)s[2] == 0x80)
        return 3;
    return 0;
}

static size_t skip_ws(const char *s, size_t len)
{
    size_t i = 0, n;
    while (i < len && (n = ws_at(s + i, len - i)) > 0)
        i += n;
    return i;
}

static size_t word_end(const char *s, size_t len)
{
    size_t i = 0;
    while (i < len && ws_at(s + i, len - i) == 0)
        i++;
    return i;
}

static void free_argv(struct ctx *x)
{
    for (int i = 0; i < x->argc; i++)
        free(x->argv[i]);
    x->argc = 0;
}

/* Split args into words; returns the count, stores at most 4. */
static int split_args(struct ctx *x)
{
    int n = 0;
    size_t i = skip_ws(x->args, x->args_len);
    while (i < x->args_len) {
        size_t e = word_end(x->args + i, x->args_len - i);
        if (n < 4)
            x->argv[x->argc++] = xstrndup(x->args + i, e);
        n++;
        i += e;
        i += skip_ws(x->args + i, x->args_len - i);
    }
    return n;
}

static bool has_cjk(const char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        uint32_t cp;
        size_t n = utf8_decode(s + i, len - i, &cp);
        if (n == 0)
            return false;
        if (cp >= 0x2E80 && cp <= 0x9FFF)
            return true;
        i += n;
    }
    return false;
}

/* ---- the commands ---- */

typedef enum core_result cmd_fn(struct ctx *x);

static cmd_fn cmd_help, cmd_reg, cmd_login, cmd_save, cmd_list, cmd_get, cmd_del, cmd_find,
    cmd_space, cmd_contact, cmd_pass, cmd_lang;

static const struct command {
    const char *name;        /* matched case-insensitively, as a whole word */
    const char *alias_en;    /* a second English spelling, or NULL */
    const char *alias_zh;    /* Chinese alias, UTF-8; matched as a prefix ("保存你好" works) */
    int min_args, max_args;  /* max -1: the rest of the text is one argument */
    bool needs_user;         /* the phone must be bound to an account */
    const char *usage_en, *usage_zh;
    cmd_fn *run;
} commands[] = {
    { "HELP", "?", "帮助", 0, -1, false, "HELP", "帮助", cmd_help },
    { "REG", "REGISTER", "注册", 2, 2, false, "REG <user> <password>", "注册 用户名 密码", cmd_reg },
    { "LOGIN", NULL, "登录", 2, 2, false, "LOGIN <user> <password>", "登录 用户名 密码", cmd_login },
    { "SAVE", NULL, "保存", 1, -1, true, "SAVE <text>", "保存 内容", cmd_save },
    { "LIST", NULL, "列表", 0, 2, true, "LIST [MMS|C] [page]", "列表 [彩信|联系人] [页]", cmd_list },
    { "GET", NULL, "下载", 1, -1, true, "GET 3 | GET 3,5 | GET 3-7 | GET M2 | GET C4",
      "下载 3|下载 3,5|下载 3-7|下载 M2|下载 C4", cmd_get },
    { "DEL", "DELETE", "删除", 1, -1, true, "DEL 3 | DEL 3,5 | DEL 3-7 | DEL M2 | DEL C4",
      "删除 3|删除 3,5|删除 3-7|删除 M2|删除 C4", cmd_del },
    { "FIND", NULL, "查找", 1, -1, true, "FIND <words>", "查找 词语", cmd_find },
    { "SPACE", NULL, "空间", 0, 0, true, "SPACE", "空间", cmd_space },
    { "CONTACT", NULL, "联系人", 2, -1, true, "CONTACT <name> <number>", "联系人 姓名 号码", cmd_contact },
    { "PASS", NULL, "密码", 2, 2, true, "PASS <old> <new>", "密码 旧密码 新密码", cmd_pass },
    { "LANG", NULL, "语言", 1, 1, true, "LANG EN|ZH", "语言 EN|ZH", cmd_lang },
};

/* Find the command at the start of t; writes where its arguments start and
 * the language of the word. "？" (full-width) counts as "?". */
static const struct command *match_command(const char *t, size_t len, size_t *args_at,
                                           enum core_lang *lang, bool *neutral)
{
    size_t w = word_end(t, len);
    *neutral = false;
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        const struct command *c = &commands[i];
        const char *en[2] = { c->name, c->alias_en };
        for (int k = 0; k < 2; k++) {
            if (en[k] && strlen(en[k]) == w && strncasecmp(t, en[k], w) == 0) {
                *args_at = w;
                *lang = CORE_EN;
                *neutral = en[k][0] == '?';
                return c;
            }
        }
        size_t al = strlen(c->alias_zh);
        if (len >= al && memcmp(t, c->alias_zh, al) == 0) {
            *args_at = al;
            *lang = CORE_ZH;
            return c;
        }
    }
    if (w == 3 && memcmp(t, "\xEF\xBC\x9F", 3) == 0) {   /* ？ */
        *args_at = 3;
        *lang = CORE_EN;
        *neutral = true;
        return &commands[0];
    }
    return NULL;
}

static enum core_result usage(struct ctx *x, const struct command *c)
{
    return say(x, T_USAGE, x->lang == CORE_ZH ? c->usage_zh : c->usage_en);
}

static enum core_result cmd_help(struct ctx *x)
{
    return say(x, T_HELP);
}

static enum core_result bind_and_greet(struct ctx *x, const char *user_id, enum core_text_id ok,
                                       const char *username, const char *space)
{
    enum store_result r = store_phone_bind(x->s, x->mo->msisdn, user_id);
    if (r != STORE_OK)
        return from_store(x, "phone_bind", r);
    x->bound = true;
    snprintf(x->user_id, sizeof x->user_id, "%s", user_id);
    return space ? say(x, ok, username, space) : say(x, ok, username);
}

/* Patent step 1: register with user name and password from the phone. */
static enum core_result cmd_reg(struct ctx *x)
{
    char id[STORE_ID_LEN], space[32];
    struct store_user u = { 0 };
    enum store_result r = store_user_create(x->s, x->argv[0], x->argv[1],
                                            x->lang == CORE_ZH ? "zh" : "en", id);
    switch (r) {
    case STORE_OK: break;
    case STORE_INVALID: return say(x, T_REG_INVALID);
    case STORE_CONFLICT: return say(x, T_REG_TAKEN, x->argv[0]);
    case STORE_NO_SPACE: return say(x, T_REG_FULL);
    default: return from_store(x, "user_create", r);
    }
    r = store_user_get(x->s, id, &u);
    if (r != STORE_OK)
        return from_store(x, "user_get", r);
    core_text_bytes(u.allocated_bytes, space, sizeof space);
    enum core_result cr = bind_and_greet(x, id, T_REG_OK, u.username, space);
    store_user_cleanup(&u);
    return cr;
}

/* Patent step 1: the same name and password from a new (or lost) phone. */
static enum core_result cmd_login(struct ctx *x)
{
    char id[STORE_ID_LEN];
    int wait_s = 0;
    enum store_result r = store_user_login(x->s, x->argv[0], x->argv[1], id, &wait_s);
    switch (r) {
    case STORE_OK: return bind_and_greet(x, id, T_LOGIN_OK, x->argv[0], NULL);
    case STORE_DENIED:
    case STORE_INVALID:
    case STORE_NOT_FOUND: return say(x, T_LOGIN_DENIED);
    case STORE_THROTTLED: return say(x, T_LOGIN_THROTTLED, wait_s <= 60 ? 1 : (wait_s + 59) / 60);
    default: return from_store(x, "user_login", r);
    }
}

/* Archive the text verbatim; the reply names its number, and tells when the
 * space grew (patent step 2). */
static enum core_result cmd_save(struct ctx *x)
{
    struct store_user before = { 0 }, after = { 0 };
    struct store_sms_new in = { .body = x->args, .body_len = x->args_len, .source = "sms" };
    long long n;
    char used[32], alloc[32];
    enum core_result cr;
    enum store_result r = store_user_get(x->s, x->user_id, &before);
    if (r != STORE_OK) {
        cr = from_store(x, "user_get", r);
        goto out;
    }
    r = store_sms_add(x->s, x->user_id, &in, &n);
    if (r == STORE_NO_SPACE) {
        cr = say(x, T_SAVE_NO_SPACE);
        goto out;
    }
    if (r == STORE_INVALID) {
        cr = say(x, T_SAVE_INVALID);
        goto out;
    }
    if (r != STORE_OK) {
        cr = from_store(x, "sms_add", r);
        goto out;
    }
    r = store_user_get(x->s, x->user_id, &after);
    if (r != STORE_OK) {
        cr = from_store(x, "user_get", r);
        goto out;
    }
    core_text_bytes(after.used_bytes, used, sizeof used);
    core_text_bytes(after.allocated_bytes, alloc, sizeof alloc);
    if (after.allocated_bytes > before.allocated_bytes)
        cr = say(x, T_SAVE_GREW, n, alloc);
    else
        cr = say(x, T_SAVE_OK, n, used, alloc);
out:
    store_user_cleanup(&before);
    store_user_cleanup(&after);
    return cr;
}

/* ---- listing: one line per item, pages fitted to list_segments ---- */

struct lines {
    char **v;
    long long *n;
    size_t count;
    bool more;        /* the store has further items past these */
    bool invalid;     /* the store refused the search (too many words, too long) */
};

static void lines_add(struct lines *l, long long n, char *text)
{
    l->v = xrealloc(l->v, (l->count + 1) * sizeof *l->v);
    l->n = xrealloc(l->n, (l->count + 1) * sizeof *l->n);
    l->v[l->count] = text;
    l->n[l->count++] = n;
}

static void lines_cleanup(struct lines *l)
{
    for (size_t i = 0; i < l->count; i++)
        free(l->v[i]);
    free(l->v);
    free(l->n);
    memset(l, 0, sizeof *l);
}

/* The first `chars` characters of s on one line (newlines become spaces). */
static char *preview(const char *s, size_t len, size_t chars)
{
    char *p = xmalloc(chars * 4 + 4);
    size_t i = 0, o = 0, k = 0;
    while (i < len && k < chars) {
        uint32_t cp;
        size_t n = utf8_decode(s + i, len - i, &cp);
        if (n == 0)
            break;
        if (cp == '\n' || cp == '\r' || cp == '\t') {
            p[o++] = ' ';
        } else {
            memcpy(p + o, s + i, n);
            o += n;
        }
        i += n;
        k++;
    }
    if (i < len) {
        memcpy(p + o, "..", 2);
        o += 2;
    }
    p[o] = '\0';
    return p;
}

static void day(time_t t, char buf[8])
{
    struct tm tm;
    localtime_r(&t, &tm);
    snprintf(buf, 8, "%02d-%02d", (tm.tm_mon + 1) % 100, tm.tm_mday % 100);
}

#define PREVIEW_CHARS 20

/* A list call's failure: a refused search is the user's to fix, not an error. */
static enum core_result list_failed(struct ctx *x, const char *op, enum store_result r,
                                    const char *search, struct lines *out)
{
    if (r == STORE_INVALID && search) {
        out->invalid = true;
        return CORE_OK;
    }
    return from_store(x, op, r);
}

static enum core_result fetch_lines(struct ctx *x, enum store_kind kind, const char *search,
                                    long long before_n, int limit, struct lines *out)
{
    struct store_page pg = { .before_n = before_n, .limit = limit, .search = search };
    char d[8];
    enum store_result r;

    if (kind == STORE_SMS) {
        struct store_sms_list l = { 0 };
        if ((r = store_sms_list(x->s, x->user_id, &pg, &l)) != STORE_OK)
            return list_failed(x, "sms_list", r, search, out);
        for (size_t i = 0; i < l.count; i++) {
            struct store_sms *m = &l.items[i];
            char *pv = preview(m->body, m->body_len, PREVIEW_CHARS);
            day(m->sent_at ? m->sent_at : m->saved_at, d);
            lines_add(out, m->n, xasprintf("%lld %s %s%s%s", m->n, d, m->peer, m->peer[0] ? ": " : "", pv));
            free(pv);
        }
        out->more |= l.more;
        store_sms_list_cleanup(&l);
    } else if (kind == STORE_MMS) {
        struct store_mms_list l = { 0 };
        if ((r = store_mms_list(x->s, x->user_id, &pg, &l)) != STORE_OK)
            return list_failed(x, "mms_list", r, search, out);
        for (size_t i = 0; i < l.count; i++) {
            struct store_mms *m = &l.items[i];
            const char *t = m->subject[0] ? m->subject : m->text;
            char *pv = preview(t, strlen(t), PREVIEW_CHARS);
            day(m->sent_at ? m->sent_at : m->saved_at, d);
            lines_add(out, m->n, xasprintf("M%lld %s %s%s%s", m->n, d, m->peer, m->peer[0] ? ": " : "", pv));
            free(pv);
        }
        out->more |= l.more;
        store_mms_list_cleanup(&l);
    } else {
        struct store_contact_list l = { 0 };
        if ((r = store_contact_list(x->s, x->user_id, &pg, &l)) != STORE_OK)
            return list_failed(x, "contact_list", r, search, out);
        for (size_t i = 0; i < l.count; i++) {
            struct store_contact *c = &l.items[i];
            char *pv = preview(c->name, strlen(c->name), PREVIEW_CHARS);
            /* patent: the newest upload of a name is the current number */
            lines_add(out, c->n, xasprintf("C%lld %s %s%s", c->n, pv, c->number,
                                           c->current ? "" : x->lang == CORE_ZH ? " (旧)" : " (old)"));
            free(pv);
        }
        out->more |= l.more;
        store_contact_list_cleanup(&l);
    }
    return CORE_OK;
}

static void append(char **acc, size_t *len, const char *s)
{
    size_t n = strlen(s);
    *acc = xrealloc(*acc, *len + n + 2);
    if (*len)
        (*acc)[(*len)++] = '\n';
    memcpy(*acc + *len, s, n + 1);
    *len += n;
}

/* As many lines as fit in list_segments together with the trailer (when
 * more follow). Writes the page text and how many lines it took. */
static char *build_page(struct ctx *x, const struct lines *l, const char *trailer, size_t *used)
{
    int segs = (int)x->c->cfg.list_segments;
    char *acc = xstrdup("");
    size_t len = 0, i;

    for (i = 0; i < l->count; i++) {
        bool last = i + 1 == l->count && !l->more;
        char *cand = xstrdup(acc);
        size_t clen = len;
        append(&cand, &clen, l->v[i]);
        size_t need_len = clen;
        char *need = xstrdup(cand);
        if (!last)
            append(&need, &need_len, trailer);
        bool fits = core_text_fits(need, need_len, segs);
        free(need);
        if (!fits && i > 0) {
            free(cand);
            break;
        }
        if (!fits) {
            /* a single line longer than the page: cut it, leaving room for
             * the trailer when one follows (the page must stay within
             * list_segments) */
            size_t room = core_text_fit(cand, clen, segs);
            while (room > 0 && !last) {
                char *t = xmemdup0(cand, room);
                size_t tl = room;
                append(&t, &tl, trailer);
                bool ok = core_text_fits(t, tl, segs);
                free(t);
                if (ok)
                    break;
                room = utf8_truncate(cand, clen, room - 1);
            }
            cand[room] = '\0';
            clen = room;
        }
        free(acc);
        acc = cand;
        len = clen;
    }
    *used = i;
    if (i < l->count || l->more)
        append(&acc, &len, trailer);
    return acc;
}

static const char *kind_word(enum store_kind k, enum core_lang lang)
{
    if (k == STORE_MMS)
        return lang == CORE_ZH ? " 彩信" : " MMS";
    if (k == STORE_CONTACT)
        return lang == CORE_ZH ? " 联系人" : " C";
    return "";
}

static int parse_kind(const char *w, enum store_kind *k)
{
    if (strcasecmp(w, "MMS") == 0 || strcasecmp(w, "M") == 0 || strcmp(w, "彩信") == 0)
        *k = STORE_MMS;
    else if (strcasecmp(w, "C") == 0 || strcasecmp(w, "CONTACTS") == 0 || strcasecmp(w, "CONTACT") == 0 ||
             strcmp(w, "联系人") == 0 || strcmp(w, "名片") == 0)
        *k = STORE_CONTACT;
    else if (strcasecmp(w, "SMS") == 0 || strcmp(w, "短信") == 0)
        *k = STORE_SMS;
    else
        return -1;
    return 0;
}

static int parse_number(const char *w, long long max, long long *out)
{
    char *end;
    if (!isdigit((unsigned char)w[0]))
        return -1;
    long long v = strtoll(w, &end, 10);
    if (*end || v < 1 || v > max)
        return -1;
    *out = v;
    return 0;
}

/* LIST [MMS|C] [page]: newest first, each page within list_segments. */
static enum core_result cmd_list(struct ctx *x)
{
    enum store_kind kind = STORE_SMS;
    long long page = 1, before = 0;
    int a = 0;
    if (a < x->argc && parse_kind(x->argv[a], &kind) == 0)
        a++;
    if (a < x->argc && parse_number(x->argv[a], 1000, &page) == 0)
        a++;
    if (a != x->argc)
        return usage(x, x->cmd);

    int limit = (int)(30 * x->c->cfg.list_segments);
    for (long long p = 1;; p++) {
        struct lines l = { 0 };
        enum core_result cr = fetch_lines(x, kind, NULL, before, limit, &l);
        if (cr != CORE_OK) {
            lines_cleanup(&l);
            return cr;
        }
        if (l.count == 0) {
            lines_cleanup(&l);
            return p == 1 ? say(x, T_LIST_EMPTY) : say(x, T_LIST_NO_PAGE, page, p - 1);
        }
        char next[48], *trailer;
        snprintf(next, sizeof next, "%s%s %lld", x->lang == CORE_ZH ? "列表" : "LIST",
                 kind_word(kind, x->lang), p + 1);
        trailer = core_text_full(T_LIST_MORE, x->lang, next);
        size_t used;
        char *text = build_page(x, &l, trailer, &used);
        free(trailer);
        if (p == page) {
            lines_cleanup(&l);
            return send_owned(x, text);
        }
        free(text);
        bool more = used < l.count || l.more;
        before = l.n[used - 1];
        lines_cleanup(&l);
        if (!more)
            return say(x, T_LIST_NO_PAGE, page, p);
    }
}

/* FIND <words>: matches among SMS, MMS and contacts, one page. */
static enum core_result cmd_find(struct ctx *x)
{
    struct lines l = { 0 };
    char *words = xstrndup(x->args, x->args_len);
    int limit = (int)(30 * x->c->cfg.list_segments);
    enum core_result cr = CORE_OK;
    static const enum store_kind kinds[] = { STORE_SMS, STORE_MMS, STORE_CONTACT };

    for (size_t k = 0; k < 3 && cr == CORE_OK && !l.invalid; k++)
        cr = fetch_lines(x, kinds[k], words, 0, limit, &l);
    if (cr == CORE_OK) {
        if (l.invalid) {
            cr = say(x, T_FIND_INVALID);
        } else if (l.count == 0) {
            cr = say(x, T_FIND_NONE);
        } else {
            char *trailer = core_text_full(T_FIND_MORE, x->lang);
            size_t used;
            cr = send_owned(x, build_page(x, &l, trailer, &used));
            free(trailer);
        }
    }
    free(words);
    lines_cleanup(&l);
    return cr;
}

/* ---- GET / DEL number lists: n, n,m, n-m, M<n>, C<n> ---- */

struct item {
    enum store_kind kind;
    long long n;
};

#define ITEM_N_MAX 1000000000000LL

/* Separators: ASCII comma, full-width comma "，", ideographic comma "、". */
static size_t sep_at(const char *s, size_t len)
{
    if (len >= 1 && s[0] == ',')
        return 1;
    if (len >= 3 && (memcmp(s, "\xEF\xBC\x8C", 3) == 0 || memcmp(s, "\xE3\x80\x81", 3) == 0))
        return 3;
    return ws_at(s, len);
}

static int parse_one(const char *s, size_t len, size_t *i, enum store_kind *kind, bool kind_set,
                     long long *n)
{
    enum store_kind k = STORE_SMS;
    if (*i < len && (s[*i] == 'M' || s[*i] == 'm')) {
        k = STORE_MMS;
        (*i)++;
    } else if (*i < len && (s[*i] == 'C' || s[*i] == 'c')) {
        k = STORE_CONTACT;
        (*i)++;
    } else if (kind_set) {
        k = *kind;   /* "M3-5": the kind carries over to the end of the range */
    }
    if (kind_set && k != *kind)
        return -1;
    *kind = k;
    if (*i >= len || !isdigit((unsigned char)s[*i]))
        return -1;
    long long v = 0;
    while (*i < len && isdigit((unsigned char)s[*i])) {
        v = v * 10 + (s[*i] - '0');
        if (v > ITEM_N_MAX)
            return -1;
        (*i)++;
    }
    if (v < 1)
        return -1;
    *n = v;
    return 0;
}

/* Returns 0, -1 (cannot read it) or -2 (more than cap items). */
static int parse_items(const char *s, size_t len, size_t cap, struct item **out, size_t *count)
{
    struct item *v = NULL;
    size_t n = 0, i = 0, sl;
    int rc = 0;

    while (i < len) {
        if ((sl = sep_at(s + i, len - i)) > 0) {
            i += sl;
            continue;
        }
        enum store_kind k;
        long long a, b;
        if (parse_one(s, len, &i, &k, false, &a) != 0) {
            rc = -1;
            goto out;
        }
        b = a;
        if (i < len && (s[i] == '-' || s[i] == '~' || (len - i >= 3 && memcmp(s + i, "\xEF\xBD\x9E", 3) == 0))) {
            i += s[i] == '-' || s[i] == '~' ? 1 : 3;
            if (parse_one(s, len, &i, &k, true, &b) != 0) {
                rc = -1;
                goto out;
            }
        }
        if (i < len && sep_at(s + i, len - i) == 0) {
            rc = -1;
            goto out;
        }
        long long lo = a < b ? a : b, hi = a < b ? b : a;
        if ((unsigned long long)(hi - lo) + 1 > cap - n) {
            rc = -2;
            goto out;
        }
        v = xrealloc(v, (n + (size_t)(hi - lo) + 1) * sizeof *v);
        for (long long j = lo; j <= hi; j++)
            v[n++] = (struct item){ k, j };
    }
    if (n == 0)
        rc = -1;
out:
    if (rc == 0) {
        *out = v;
        *count = n;
    } else {
        free(v);
    }
    return rc;
}

static void name_item(const struct item *it, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s%lld", it->kind == STORE_MMS ? "M" : it->kind == STORE_CONTACT ? "C" : "", it->n);
}

/* Re-deliver text[0..len): very long texts go as several MT so that none
 * exceeds what bearerbox can concatenate (255 parts) nor what the outbox
 * keeps (STORE_SMS_BODY_MAX bytes: 250 segments of two-byte characters
 * such as é are more). */
#define MT_MAX_SEGMENTS 250

static enum core_result send_long(struct ctx *x, const char *text, size_t len)
{
    enum core_result cr = CORE_OK;
    while (len > 0 && cr == CORE_OK) {
        size_t cut = core_text_fit(text, len, MT_MAX_SEGMENTS);
        if (cut == 0)
            cut = len;
        cut = utf8_truncate(text, cut, STORE_SMS_BODY_MAX);
        cr = send_text(x, text, cut);
        text += cut;
        len -= cut;
    }
    return cr;
}

static enum core_result get_one(struct ctx *x, const struct item *it, bool *found)
{
    enum store_result r;
    enum core_result cr = CORE_OK;
    *found = true;
    if (it->kind == STORE_SMS) {
        struct store_sms m = { 0 };
        r = store_sms_get(x->s, x->user_id, it->n, &m);
        if (r == STORE_OK) {
            if (x->c->cfg.get_header) {
                char *t = xasprintf("#%lld %s", it->n, m.body);
                cr = send_long(x, t, strlen(t));
                free(t);
            } else {
                cr = send_long(x, m.body, m.body_len);   /* byte-exact */
            }
            store_sms_cleanup(&m);
        }
    } else if (it->kind == STORE_MMS) {
        struct store_mms m = { 0 };
        r = store_mms_get(x->s, x->user_id, it->n, &m);
        if (r == STORE_OK) {
            char *body = xasprintf("%s%s%s", m.subject, m.subject[0] && m.text[0] ? " " : "", m.text);
            char *t = x->c->cfg.web_url[0]
                          ? core_text_full(T_MMS, x->lang, it->n, body, x->c->cfg.web_url)
                          : core_text_full(T_MMS_NO_URL, x->lang, it->n, body);
            cr = send_long(x, t, strlen(t));
            free(t);
            free(body);
            store_mms_cleanup(&m);
        }
    } else {
        struct store_contact c = { 0 };
        r = store_contact_get(x->s, x->user_id, it->n, &c);
        if (r == STORE_OK) {
            cr = send_long(x, c.vcard, c.vcard_len);
            store_contact_cleanup(&c);
        }
    }
    if (r == STORE_NOT_FOUND) {
        *found = false;
        return CORE_OK;
    }
    if (r != STORE_OK)
        return from_store(x, "item_get", r);
    return cr;
}

/* GET: re-deliver SMS byte-exact, MMS text + web link, contacts as vCard. */
static enum core_result cmd_get(struct ctx *x)
{
    struct item *items = NULL;
    size_t n = 0;
    int rc = parse_items(x->args, x->args_len, (size_t)x->c->cfg.get_max, &items, &n);
    if (rc == -1)
        return say(x, T_BAD_NUMBERS);
    if (rc == -2)
        return say(x, T_TOO_MANY, (int)x->c->cfg.get_max);

    char missing[160] = "";
    size_t ml = 0;
    enum core_result cr = CORE_OK;
    for (size_t i = 0; i < n && cr == CORE_OK; i++) {
        bool found;
        cr = get_one(x, &items[i], &found);
        if (cr == CORE_OK && !found && ml + 24 < sizeof missing) {
            char nm[24];
            name_item(&items[i], nm, sizeof nm);
            ml += (size_t)snprintf(missing + ml, sizeof missing - ml, "%s%s", ml ? ", " : "", nm);
        }
    }
    if (cr == CORE_OK && ml)
        cr = say(x, T_NOT_FOUND, missing);
    free(items);
    return cr;
}

/* DEL: batch delete, space freed (patent: management from the phone). */
static enum core_result cmd_del(struct ctx *x)
{
    struct item *items = NULL;
    size_t n = 0;
    int rc = parse_items(x->args, x->args_len, (size_t)x->c->cfg.del_max, &items, &n);
    if (rc == -1)
        return say(x, T_BAD_NUMBERS);
    if (rc == -2)
        return say(x, T_TOO_MANY, (int)x->c->cfg.del_max);

    long long *ns = xcalloc(n, sizeof *ns), deleted = 0, freed = 0;
    enum core_result cr = CORE_OK;
    for (int k = STORE_SMS; k <= STORE_CONTACT && cr == CORE_OK; k++) {
        size_t c = 0;
        for (size_t i = 0; i < n; i++)
            if (items[i].kind == (enum store_kind)k)
                ns[c++] = items[i].n;
        if (c == 0)
            continue;
        long long d = 0, f = 0;
        enum store_result r = store_items_delete(x->s, x->user_id, (enum store_kind)k, ns, c, &d, &f);
        if (r != STORE_OK)
            cr = from_store(x, "items_delete", r);
        deleted += d;
        freed += f;
    }
    if (cr == CORE_OK) {
        char fb[32];
        core_text_bytes(freed, fb, sizeof fb);
        cr = deleted ? say(x, T_DEL_OK, deleted, fb) : say(x, T_DEL_NONE);
    }
    free(ns);
    free(items);
    return cr;
}

static enum core_result cmd_space(struct ctx *x)
{
    struct store_usage u;
    char used[32], alloc[32];
    enum store_result r = store_usage_get(x->s, x->user_id, &u);
    if (r != STORE_OK)
        return from_store(x, "usage_get", r);
    core_text_bytes(u.used_bytes, used, sizeof used);
    core_text_bytes(u.allocated_bytes, alloc, sizeof alloc);
    return say(x, T_SPACE, used, alloc, u.sms_count, u.mms_count, u.contact_count);
}

static bool valid_number(const char *s)
{
    int digits = 0;
    size_t len = strlen(s);
    if (len == 0 || len > STORE_PEER_MAX)
        return false;
    for (size_t i = 0; i < len; i++) {
        if (isdigit((unsigned char)s[i]))
            digits++;
        else if (!(s[i] == '+' && i == 0) && s[i] != '-')
            return false;
    }
    return digits >= 3;
}

static enum core_result add_contact(struct ctx *x, const char *name, const char *number,
                                    const char *vcard, size_t vcard_len)
{
    struct store_contact_new in = {
        .name = name, .number = number, .vcard = vcard, .vcard_len = vcard_len, .source = "sms",
    };
    long long n;
    enum store_result r = store_contact_add(x->s, x->user_id, &in, &n);
    switch (r) {
    case STORE_OK: return say(x, T_CONTACT_OK, n, name);
    case STORE_NO_SPACE: return say(x, T_SAVE_NO_SPACE);
    case STORE_INVALID: return say(x, T_CONTACT_INVALID);
    default: return from_store(x, "contact_add", r);
    }
}

/* CONTACT <name> <number>: the last word is the number, the rest the name. */
static enum core_result cmd_contact(struct ctx *x)
{
    const char *a = x->args;
    size_t len = x->args_len, i = 0, name_end = 0, last = 0, last_end = 0;
    while (i < len) {   /* remember where the last two words are */
        size_t e = i + word_end(a + i, len - i);
        name_end = last_end;
        last = i;
        last_end = e;
        i = e + skip_ws(a + e, len - e);
    }
    char *number = xstrndup(a + last, last_end - last);
    size_t nl = name_end;
    char *name = xstrndup(a, nl);
    enum core_result cr;
    if (name[0] == '\0' || strlen(name) > STORE_TEXT_FIELD_MAX || !valid_number(number)) {
        cr = say(x, T_CONTACT_INVALID);
    } else {
        char *v = vcard_format(name, number);
        cr = v ? add_contact(x, name, number, v, strlen(v)) : say(x, T_CONTACT_INVALID);
        free(v);
    }
    free(name);
    free(number);
    return cr;
}

struct vcard_run {
    struct ctx *x;
    enum core_result cr;
    int saved;
};

static void on_vcard(const char *name, const char *const *numbers, size_t nnumbers, const char *raw,
                     size_t raw_len, void *p)
{
    struct vcard_run *v = p;
    if (v->cr != CORE_OK || name[0] == '\0' || nnumbers == 0)
        return;
    /* the first number is the one kept; the card is archived as received */
    v->cr = add_contact(v->x, name, numbers[0], raw, raw_len);
    v->saved++;
}

/* True when the text starts with BEGIN:VCARD (any case). */
static bool is_vcard(const char *t, size_t len)
{
    return len >= 11 && strncasecmp(t, "BEGIN:VCARD", 11) == 0;
}

/* A vCard text message is archived as a contact (issue 4). */
static enum core_result run_vcard(struct ctx *x, const char *text, size_t len)
{
    struct vcard_run v = { .x = x, .cr = CORE_OK };
    if (vcard_parse(text, len, on_vcard, &v) < 0)
        return say(x, T_VCARD_BAD);
    if (v.cr == CORE_OK && v.saved == 0)
        return say(x, T_VCARD_BAD);
    return v.cr;
}

static enum core_result cmd_pass(struct ctx *x)
{
    enum store_result r = store_user_set_password(x->s, x->user_id, x->argv[0], x->argv[1]);
    switch (r) {
    case STORE_OK: return say(x, T_PASS_OK);
    case STORE_DENIED: return say(x, T_PASS_DENIED);
    case STORE_INVALID: return say(x, T_PASS_INVALID);
    case STORE_THROTTLED: return say(x, T_LOGIN_THROTTLED, 1);
    default: return from_store(x, "user_set_password", r);
    }
}

static enum core_result cmd_lang(struct ctx *x)
{
    const char *w = x->argv[0];
    enum core_lang l;
    if (strcasecmp(w, "EN") == 0 || strcasecmp(w, "ENGLISH") == 0 || strcmp(w, "英文") == 0 ||
        strcmp(w, "英语") == 0)
        l = CORE_EN;
    else if (strcasecmp(w, "ZH") == 0 || strcasecmp(w, "CN") == 0 || strcmp(w, "中文") == 0)
        l = CORE_ZH;
    else
        return usage(x, x->cmd);
    enum store_result r = store_user_set_lang(x->s, x->user_id, l == CORE_ZH ? "zh" : "en");
    if (r != STORE_OK)
        return from_store(x, "user_set_lang", r);
    x->lang = l;
    return say(x, T_LANG_OK);
}

/* ---- dispatch ---- */

/* True when the sender is no phone number we could answer: empty, letters,
 * or longer than the store keeps (STORE_PEER_MAX) — every store call for
 * it would be refused, and the MO retried until given up. */
static bool alphanumeric(const char *msisdn)
{
    if (msisdn == NULL || msisdn[0] == '\0' || strlen(msisdn) > STORE_PEER_MAX)
        return true;
    for (const char *p = msisdn + (msisdn[0] == '+'); *p; p++)
        if (!isdigit((unsigned char)*p))
            return true;
    return false;
}

/* Look the phone up; STORE_NOT_FOUND leaves x->bound false. */
static enum core_result find_user(struct ctx *x)
{
    enum store_result r = store_phone_lookup(x->s, x->mo->msisdn, x->user_id);
    if (r == STORE_OK)
        x->bound = true;
    else if (r != STORE_NOT_FOUND)
        return from_store(x, "phone_lookup", r);
    return CORE_OK;
}

/* For input without a language of its own: the user's stored language. */
static enum core_result user_lang(struct ctx *x, const char *t, size_t len)
{
    x->lang = has_cjk(t, len) ? CORE_ZH : CORE_EN;
    if (!x->bound)
        return CORE_OK;
    struct store_user u = { 0 };
    enum store_result r = store_user_get(x->s, x->user_id, &u);
    if (r != STORE_OK)
        return from_store(x, "user_get", r);
    x->lang = strcmp(u.lang, "zh") == 0 ? CORE_ZH : CORE_EN;
    store_user_cleanup(&u);
    return CORE_OK;
}

/* Unknown text and unbound phones: answered, but not forever. */
static enum core_result hint(struct ctx *x, enum core_text_id id, const char *t, size_t len)
{
    if (!repeat_allow(x->c, x->mo->msisdn, t, len, x->now)) {
        log_info("core: repeat_muted msisdn=%s", x->mo->msisdn);
        return CORE_IGNORED;
    }
    return say(x, id);
}

bool core_mo_hashes_password(const struct core_mo *mo)
{
    size_t at, args_at;
    enum core_lang lang;
    bool neutral;
    if (mo->flags || mo->text == NULL)
        return false;
    at = skip_ws(mo->text, mo->len);
    const struct command *cmd = match_command(mo->text + at, mo->len - at, &args_at, &lang, &neutral);
    return cmd && (cmd->run == cmd_reg || cmd->run == cmd_login || cmd->run == cmd_pass);
}

enum core_result core_handle(struct core *c, struct store *s, const struct core_mo *mo,
                             struct core_replies *out)
{
    struct ctx x = { .c = c, .s = s, .mo = mo, .out = out, .lang = CORE_EN };
    enum core_result cr;
    size_t at, args_at;
    bool neutral;
    const struct command *cmd;

    x.now = mo->at ? mo->at : time(NULL);
    snprintf(out->cmd, sizeof out->cmd, "none");
    /* nothing is sent to alphanumeric senders (operators, banks, spam) */
    if (alphanumeric(mo->msisdn))
        return CORE_IGNORED;
    /* binary data and lone concatenation parts are never commands */
    if (mo->flags & (CORE_MO_BINARY | CORE_MO_FRAGMENT))
        return CORE_IGNORED;
    if ((mo->flags & CORE_MO_BAD_TEXT) || !utf8_valid(mo->text, mo->len)) {
        snprintf(out->cmd, sizeof out->cmd, "badtext");
        return hint(&x, T_BAD_TEXT, "\x01", 1);
    }
    at = skip_ws(mo->text, mo->len);
    const char *t = mo->text + at;
    size_t len = mo->len - at;

    if (is_vcard(t, len)) {
        snprintf(out->cmd, sizeof out->cmd, "vcard");
        if ((cr = find_user(&x)) != CORE_OK || (cr = user_lang(&x, t, len)) != CORE_OK)
            return cr;
        return x.bound ? run_vcard(&x, t, len) : hint(&x, T_UNBOUND, t, len);
    }
    cmd = match_command(t, len, &args_at, &x.lang, &neutral);
    if (cmd == NULL) {
        snprintf(out->cmd, sizeof out->cmd, "unknown");
        if ((cr = find_user(&x)) != CORE_OK || (cr = user_lang(&x, t, len)) != CORE_OK)
            return cr;
        return hint(&x, x.bound ? T_UNKNOWN : T_UNBOUND, t, len);
    }
    snprintf(out->cmd, sizeof out->cmd, "%s", cmd->name);
    x.cmd = cmd;
    if (cmd->needs_user || neutral) {
        if ((cr = find_user(&x)) != CORE_OK)
            return cr;
        if (neutral && (cr = user_lang(&x, t, len)) != CORE_OK)
            return cr;
        if (cmd->needs_user && !x.bound)
            return hint(&x, T_UNBOUND, t, len);
    }
    x.args = t + args_at + skip_ws(t + args_at, len - args_at);
    x.args_len = (size_t)(t + len - x.args);
    int nargs = split_args(&x);
    if (nargs < cmd->min_args || (cmd->max_args >= 0 && nargs > cmd->max_args))
        cr = usage(&x, cmd);
    else
        cr = cmd->run(&x);
    free_argv(&x);
    return cr;
}
