/*
 * core_list — the SMS engine's LIST and FIND: one line per item (number,
 * day, peer, a short preview), newest first, fitted into pages of at most
 * list_segments SMS segments with a trailer naming the next page. Called
 * by the dispatcher in core.c with arity checked (core_int.h).
 *
 * Contacts are people (issue 10): LIST C shows each person once, under its
 * current number C<n>; GET C<n> sends that person's card (core_render.c).
 *
 * A deep page (LIST 500) lays out every page before it; where the pages of
 * SMS and MMS start is remembered per account (struct list_memo), checked
 * against the store before each use, so that paging on from a deep page
 * lays out only the pages after the last one laid out.
 *
 * Not here: the search itself and its limits (store/, struct store_page),
 * re-delivery of whole items (core_items.c).
 */
#include "core_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"
#include "buf.h"
#include "smstext.h"
#include "utf8.h"

struct lines {
    char **v;            /* the lines not yet used: v[0 .. count) */
    long long *n;
    size_t count;
    bool more;           /* the store has further items past these */
    bool invalid;        /* the store refused the search (too many words, too long) */
    char **v_mem;        /* where v and n live: a deep page drops each page's */
    long long *n_mem;    /* lines from the front, thousands of times */
    size_t cap;
};

static void lines_add(struct lines *l, long long n, char *text)
{
    size_t off = l->v_mem ? (size_t)(l->v - l->v_mem) : 0;
    if (off + l->count == l->cap) {
        if (off >= l->count && off > 0) {   /* the used front is larger than the rest: move it back */
            memmove(l->v_mem, l->v, l->count * sizeof *l->v);
            memmove(l->n_mem, l->n, l->count * sizeof *l->n);
        } else {
            l->cap = l->cap ? 2 * l->cap : 64;
            l->v_mem = xrealloc(l->v_mem, l->cap * sizeof *l->v_mem);
            l->n_mem = xrealloc(l->n_mem, l->cap * sizeof *l->n_mem);
            if (off > 0) {
                memmove(l->v_mem, l->v_mem + off, l->count * sizeof *l->v_mem);
                memmove(l->n_mem, l->n_mem + off, l->count * sizeof *l->n_mem);
            }
        }
        l->v = l->v_mem;
        l->n = l->n_mem;
    }
    l->v[l->count] = text;
    l->n[l->count++] = n;
}

/* Drop the first k lines (a page used them). */
static void lines_drop_first(struct lines *l, size_t k)
{
    k = k < l->count ? k : l->count;
    if (k == 0)
        return;
    for (size_t i = 0; i < k; i++)
        free(l->v[i]);
    l->v += k;
    l->n += k;
    l->count -= k;
}

static void lines_cleanup(struct lines *l)
{
    for (size_t i = 0; i < l->count; i++)
        free(l->v[i]);
    free(l->v_mem);
    free(l->n_mem);
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

static void format_day(time_t t, char buf[8])
{
    struct tm tm;
    localtime_r(&t, &tm);
    int mon = tm.tm_mon + 1, day = tm.tm_mday;   /* "MM-DD", without printf: thousands a deep page */
    buf[0] = (char)('0' + mon / 10 % 10);
    buf[1] = (char)('0' + mon % 10);
    buf[2] = '-';
    buf[3] = (char)('0' + day / 10 % 10);
    buf[4] = (char)('0' + day % 10);
    buf[5] = '\0';
}

/* "<kind><n> <day> <peer>: <preview>" (no ": " without a peer), the line
 * of an SMS or MMS, built without printf (thousands a deep page). */
static char *item_line(const char *kind, long long n, const char *day, const char *peer, const char *pv)
{
    char num[24];   /* n >= 1: item numbers start at 1 */
    size_t nl = 0;
    unsigned long long v = (unsigned long long)n;
    do {
        num[sizeof num - 1 - nl++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    size_t kl = strlen(kind), dl = strlen(day), pl = strlen(peer), vl = strlen(pv);
    char *line = xmalloc(kl + nl + 1 + dl + 1 + pl + (pl ? 2 : 0) + vl + 1), *o = line;
    memcpy(o, kind, kl);
    o += kl;
    memcpy(o, num + sizeof num - nl, nl);
    o += nl;
    *o++ = ' ';
    memcpy(o, day, dl);
    o += dl;
    *o++ = ' ';
    memcpy(o, peer, pl);
    o += pl;
    if (pl) {
        memcpy(o, ": ", 2);
        o += 2;
    }
    memcpy(o, pv, vl + 1);
    return line;
}

#define PREVIEW_CHARS 20

/* A list call's failure: a refused search is the user's to fix, not an error. */
static enum core_result list_failed(struct core_ctx *x, const char *op, enum store_result r,
                                    const char *search, struct lines *out)
{
    if (r == STORE_INVALID && search) {
        out->invalid = true;
        return CORE_OK;
    }
    return core_from_store(x, op, r);
}

static enum core_result fetch_lines(struct core_ctx *x, enum store_kind kind, const char *search,
                                    long long before_n, int limit, struct lines *out)
{
    struct store_page pg = { .before_n = before_n, .limit = limit, .search = search };
    char d[8];
    enum store_result r;

    if (kind == STORE_SMS || kind == STORE_MMS) {
        /* the start of each text and no more of the rows: a deep page
         * lays out thousands of lines */
        struct store_line_list l = { 0 };
        if ((r = store_lines_list(x->s, x->user_id, kind, &pg, PREVIEW_CHARS, &l)) != STORE_OK)
            return list_failed(x, kind == STORE_SMS ? "sms_lines" : "mms_lines", r, search, out);
        for (size_t i = 0; i < l.count; i++) {
            struct store_line *m = &l.items[i];
            char *pv = preview(m->text, strlen(m->text), PREVIEW_CHARS);
            format_day(m->sent_at ? m->sent_at : m->saved_at, d);
            lines_add(out, m->n, item_line(kind == STORE_MMS ? "M" : "", m->n, d, m->peer, pv));
            free(pv);
        }
        out->more |= l.more;
        store_line_list_cleanup(&l);
    } else {
        /* LIST C: one line per person (issue 10), under its current number
         * (the newest row of the person, so the first of it met here); FIND
         * also shows the older numbers it matches, marked */
        size_t had = out->count;
        bool more = true, store_more = false;
        while (more && out->count == had) {
            struct store_contact_list l = { 0 };
            if ((r = store_contact_list(x->s, x->user_id, &pg, &l)) != STORE_OK)
                return list_failed(x, "contact_list", r, search, out);
            for (size_t i = 0; i < l.count; i++) {
                struct store_contact *c = &l.items[i];
                if (!search && !c->current)
                    continue;
                char *pv = preview(c->name, strlen(c->name), PREVIEW_CHARS);
                lines_add(out, c->n, xasprintf("C%lld %s %s%s", c->n, pv, c->number,
                                               c->current ? "" : x->lang == CORE_ZH ? "（旧）" : " (old)"));
                free(pv);
            }
            more = l.more && l.count && !search;
            store_more = l.more;
            if (l.count)
                pg.before_n = l.items[l.count - 1].n;
            store_contact_list_cleanup(&l);
        }
        out->more |= store_more;
    }
    return CORE_OK;
}

/* A line of a page: after a newline unless it is the first. */
static void append_line(struct buf *b, const char *s)
{
    if (b->len)
        buf_putc(b, '\n');
    buf_puts(b, s);
}

/* m's text within max_segments, as core_text_fits says of the text */
static bool meter_fits(const struct smstext_meter *m, int max_segments)
{
    struct smstext_measure sm;
    smstext_meter_get(m, &sm);
    return sm.segments >= 1 && sm.segments <= max_segments;
}

/* As many lines as fit in list_segments together with the trailer (when
 * more follow). Writes the page text and how many lines it took. The page
 * is measured as it grows (smstext_meter), each line read once: a deep
 * page (LIST 500) lays out every page before it. */
static char *build_page(struct core_ctx *x, const struct lines *l, const char *trailer, size_t *used)
{
    int segs = (int)x->cfg->list_segments;
    struct buf page = { 0 }, cand = { 0 }, probe = { 0 };
    struct smstext_meter pm;   /* the page so far */
    size_t i, tlen = strlen(trailer);

    smstext_meter_init(&pm);
    for (i = 0; i < l->count; i++) {
        bool last = i + 1 == l->count && !l->more;
        struct smstext_meter with_line = pm;
        if (page.len)
            smstext_meter_add(&with_line, "\n", 1);
        smstext_meter_add(&with_line, l->v[i], strlen(l->v[i]));
        struct smstext_meter with_trailer = with_line;   /* the trailer goes on once, at the end */
        if (!last) {
            smstext_meter_add(&with_trailer, "\n", 1);
            smstext_meter_add(&with_trailer, trailer, tlen);
        }
        bool fits = meter_fits(&with_trailer, segs);
        if (!fits && i > 0)
            break;
        if (fits) {
            append_line(&page, l->v[i]);
            pm = with_line;
            continue;
        }
        /* the first line, longer than the page by itself: cut it, leaving
         * room for the trailer when one follows (the page must stay within
         * list_segments) */
        buf_clear(&cand);
        append_line(&cand, l->v[i]);
        size_t room = core_text_fit(cand.data, cand.len, segs);
        while (room > 0 && !last) {
            buf_clear(&probe);
            buf_append(&probe, cand.data, room);
            append_line(&probe, trailer);
            if (core_text_fits(probe.data, probe.len, segs))
                break;
            room = utf8_truncate(cand.data, cand.len, room - 1);
        }
        buf_clear(&page);
        buf_append(&page, cand.data, room);
        smstext_meter_add(&pm, page.data, page.len);
    }
    *used = i;
    if (i < l->count || l->more)
        append_line(&page, trailer);
    buf_cleanup(&cand);
    buf_cleanup(&probe);
    return buf_steal(&page, NULL);
}

/* ---- where deep pages start ----
 *
 * For each account and kind (SMS, MMS) in a few slots: the number each page
 * from page 2 on starts with, how many items the pages before it hold, and
 * the highest number when page 1 was laid out. Items are numbered upwards,
 * never renumbered, and never change once stored, so page p starts where it
 * was remembered as long as the items numbered above its first one are the
 * same: as many as the pages before it held, the highest number the same
 * (store_items_above). Anything else (a SAVE, a delete on the web page, an
 * import) and the slot starts again from page 1. LIST C is not remembered:
 * a person is several rows, and a few pages are all anyone has. */

#define MEMO_SLOTS 8

struct memo_slot {
    char user_id[STORE_ID_LEN];   /* "": free */
    enum store_kind kind;
    enum core_lang lang;          /* the trailer's words are part of a page */
    bool pending;                 /* learned since the last settle */
    long long top;                /* the highest number when page 1 was laid out */
    long long *first;             /* first[i]: the number page i + 2 starts with */
    long long *above;             /* above[i]: the items on pages 1 .. i + 1 */
    size_t pages, cap;
    unsigned long long used;      /* when last used: the slot used longest ago goes */
};

struct list_memo {
    struct memo_slot slot[MEMO_SLOTS];
    unsigned long long tick;
};

struct list_memo *core_list_memo_new(void)
{
    return xcalloc(1, sizeof(struct list_memo));
}

static void slot_clear(struct memo_slot *sl)
{
    free(sl->first);
    free(sl->above);
    memset(sl, 0, sizeof *sl);
}

void core_list_memo_free(struct list_memo *m)
{
    if (m == NULL)
        return;
    for (size_t i = 0; i < MEMO_SLOTS; i++)
        slot_clear(&m->slot[i]);
    free(m);
}

void core_list_memo_settle(struct list_memo *m, bool committed)
{
    for (size_t i = 0; i < MEMO_SLOTS; i++) {
        struct memo_slot *sl = &m->slot[i];
        if (sl->pending && !committed)
            slot_clear(sl);
        sl->pending = false;
    }
}

/* The slot of x's account for kind in x's language: its own, else the one
 * used longest ago (emptied). */
static struct memo_slot *memo_slot(struct core_ctx *x, enum store_kind kind)
{
    struct list_memo *m = x->memo;
    struct memo_slot *free_one = &m->slot[0];
    for (size_t i = 0; i < MEMO_SLOTS; i++) {
        struct memo_slot *sl = &m->slot[i];
        if (sl->user_id[0] && sl->kind == kind && sl->lang == x->lang && strcmp(sl->user_id, x->user_id) == 0) {
            sl->used = ++m->tick;
            return sl;
        }
        if (sl->used < free_one->used)
            free_one = sl;
    }
    slot_clear(free_one);
    snprintf(free_one->user_id, sizeof free_one->user_id, "%s", x->user_id);
    free_one->kind = kind;
    free_one->lang = x->lang;
    free_one->used = ++m->tick;
    return free_one;
}

/* Forget what sl knew of the pages (the account's items changed). */
static void slot_reset(struct memo_slot *sl)
{
    sl->pages = 0;
    sl->top = 0;
    sl->pending = true;
}

/* Page (pages + 2) starts with item n, after `above` items. */
static void slot_learn(struct memo_slot *sl, long long n, long long above)
{
    if (sl->pages == sl->cap) {
        sl->cap = sl->cap ? sl->cap * 2 : 16;
        sl->first = xrealloc(sl->first, sl->cap * sizeof *sl->first);
        sl->above = xrealloc(sl->above, sl->cap * sizeof *sl->above);
    }
    sl->first[sl->pages] = n;
    sl->above[sl->pages++] = above;
    sl->pending = true;
}

/* The deepest remembered page at or before `page` that still starts where
 * it did: *p, the bound before it (*before) and the items before it
 * (*above); page 1 when none (the slot then starts again). */
static enum core_result memo_start(struct core_ctx *x, struct memo_slot *sl, long long page, long long *p,
                                   long long *before, long long *above)
{
    *p = 1;
    *before = 0;
    *above = 0;
    if (page < 2 || sl->pages == 0)
        return CORE_OK;
    size_t i = (size_t)(page - 2) < sl->pages ? (size_t)(page - 2) : sl->pages - 1;
    long long count;
    enum store_result r = store_items_above(x->s, x->user_id, sl->kind, sl->first[i], sl->top, &count);
    if (r != STORE_OK)
        return core_from_store(x, "items_above", r);
    if (count != sl->above[i]) {
        slot_reset(sl);
        return CORE_OK;
    }
    *p = (long long)i + 2;
    *before = sl->first[i] + 1;
    *above = sl->above[i];
    return CORE_OK;
}

static const char *kind_word(enum store_kind k, enum core_lang lang)
{
    if (k == STORE_MMS)
        return lang == CORE_ZH ? " 彩信" : " MMS";
    if (k == STORE_CONTACT)
        return lang == CORE_ZH ? " 联系人" : " C";
    return "";
}

/* The kind word of LIST (MMS, C, SMS and their aliases); false for another word. */
static bool parse_kind(const char *w, enum store_kind *k)
{
    if (strcasecmp(w, "MMS") == 0 || strcasecmp(w, "M") == 0 || strcmp(w, "彩信") == 0)
        *k = STORE_MMS;
    else if (strcasecmp(w, "C") == 0 || strcasecmp(w, "CONTACTS") == 0 || strcasecmp(w, "CONTACT") == 0 ||
             strcmp(w, "联系人") == 0 || strcmp(w, "名片") == 0)
        *k = STORE_CONTACT;
    else if (strcasecmp(w, "SMS") == 0 || strcmp(w, "短信") == 0)
        *k = STORE_SMS;
    else
        return false;
    return true;
}

/* A page number 1..max; false for anything else. */
static bool parse_number(const char *w, long long max, long long *out)
{
    char *end;
    if (!isdigit((unsigned char)w[0]))
        return false;
    long long v = strtoll(w, &end, 10);
    if (*end || v < 1 || v > max)
        return false;
    *out = v;
    return true;
}

/* LIST [MMS|C] [page]: newest first, each page within list_segments. */
enum core_result core_cmd_list(struct core_ctx *x)
{
    enum store_kind kind = STORE_SMS;
    long long page = 1, before = 0, p = 1, above = 0;
    int a = 0;
    if (a < x->argc && parse_kind(x->argv[a], &kind))
        a++;
    if (a < x->argc && parse_number(x->argv[a], LIMIT_LIST_PAGE_MAX, &page))
        a++;
    if (a != x->argc)
        return core_usage(x);

    struct memo_slot *sl = NULL;
    if (kind != STORE_CONTACT) {
        sl = memo_slot(x, kind);
        enum core_result cr = memo_start(x, sl, page, &p, &before, &above);
        if (cr != CORE_OK)
            return cr;
    }
    /* a page holds at most limit lines; the pages before the one asked for
     * are cut from larger fetches (a deep page is many pages in), what a
     * page did not use is kept for the next */
    int limit = (int)(30 * x->cfg->list_segments);
    struct lines l = { 0 };
    for (long long first_p = p;; p++) {
        if (l.count < (size_t)limit && (p == first_p || l.more)) {
            long long want = limit * (page - p + 1);
            l.more = false;
            enum core_result cr = fetch_lines(x, kind, NULL, before,
                                              (int)(want < LIMIT_PAGE_MAX ? want : LIMIT_PAGE_MAX), &l);
            if (cr != CORE_OK) {
                lines_cleanup(&l);
                return cr;
            }
            if (l.count > 0)
                before = l.n[l.count - 1];
        }
        if (l.count == 0) {
            lines_cleanup(&l);
            return p == 1 ? core_say(x, T_LIST_EMPTY) : core_say(x, T_LIST_NO_PAGE, page, p - 1);
        }
        /* learnt as laid out from page 1 on, or on from the deepest known */
        if (sl && p == 1 && sl->pages == 0) {
            sl->top = l.n[0];
            sl->pending = true;
        } else if (sl && p >= 2 && sl->pages == (size_t)(p - 2) && (sl->pages > 0 || sl->top > 0)) {
            slot_learn(sl, l.n[0], above);
        }
        char next[48], *trailer;
        snprintf(next, sizeof next, "%s%s %lld", x->lang == CORE_ZH ? "列表" : "LIST",
                 kind_word(kind, x->lang), p + 1);
        trailer = core_text_full(T_LIST_MORE, x->lang, next);
        size_t used;
        char *text = build_page(x, &l, trailer, &used);
        free(trailer);
        above += (long long)used;
        if (p == page) {
            /* and where the next one starts, when it is at hand */
            if (sl && used < l.count && sl->pages == (size_t)(p - 1) && (sl->pages > 0 || sl->top > 0))
                slot_learn(sl, l.n[used], above);
            lines_cleanup(&l);
            return core_queue_owned(x, text);
        }
        free(text);
        bool more = used < l.count || l.more;
        lines_drop_first(&l, used);
        if (!more) {
            lines_cleanup(&l);
            return core_say(x, T_LIST_NO_PAGE, page, p);
        }
    }
}

/* FIND <words>: matches among SMS, MMS and contacts, one page. */
enum core_result core_cmd_find(struct core_ctx *x)
{
    struct lines l = { 0 };
    char *words = xstrndup(x->args, x->args_len);
    int limit = (int)(30 * x->cfg->list_segments);
    enum core_result cr = CORE_OK;
    static const enum store_kind kinds[] = { STORE_SMS, STORE_MMS, STORE_CONTACT };

    for (size_t k = 0; k < 3 && cr == CORE_OK && !l.invalid; k++)
        cr = fetch_lines(x, kinds[k], words, 0, limit, &l);
    if (cr == CORE_OK) {
        if (l.invalid) {
            cr = core_say(x, T_FIND_INVALID, LIMIT_SEARCH_WORDS_MAX, LIMIT_SEARCH_BYTES_MAX);
        } else if (l.count == 0) {
            cr = core_say(x, T_FIND_NONE);
        } else {
            char *trailer = core_text_full(T_FIND_MORE, x->lang);
            size_t used;
            cr = core_queue_owned(x, build_page(x, &l, trailer, &used));
            free(trailer);
        }
    }
    free(words);
    lines_cleanup(&l);
    return cr;
}
