/*
 * core_render — an archived item rendered into the MT a phone receives
 * (see core_render.h). The item is read when it is sent, not when it was
 * asked for: what a GET or the web page wrote is only the request.
 */
#include "core_render.h"
#include "core_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "buf.h"
#include "core_text.h"
#include "log.h"
#include "smsudh.h"
#include "utf8.h"
#include "vcard.h"

void core_rendered_cleanup(struct core_rendered *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->nowned; i++)
        free(r->owned[i]);
    free(r->owned);
    free(r->mts);
    memset(r, 0, sizeof *r);
}

/* The rendered struct keeps p (freed with it). */
static void *keep(struct core_rendered *r, void *p)
{
    r->owned = xrealloc(r->owned, (r->nowned + 1) * sizeof *r->owned);
    r->owned[r->nowned++] = p;
    return p;
}

static struct store_outbox_mt *add_mt(struct core_rendered *r)
{
    r->mts = xrealloc(r->mts, (r->count + 1) * sizeof *r->mts);
    struct store_outbox_mt *m = &r->mts[r->count++];
    memset(m, 0, sizeof *m);
    return m;
}

/* text[0..len) as text MT: several when it is longer than bearerbox
 * concatenates or than one outbox text holds, each cut on a character. */
static void add_long_text(struct core_rendered *r, const char *text, size_t len)
{
    char *copy = keep(r, xmemdup0(text, len));
    while (len > 0) {
        size_t cut = core_text_fit(copy, len, CORE_MT_MAX_SEGMENTS);
        if (cut == 0)
            cut = len;
        cut = utf8_truncate(copy, cut, LIMIT_SMS_BODY_MAX);
        struct store_outbox_mt *m = add_mt(r);
        m->kind = OUTBOX_TEXT;
        m->text = copy;
        m->text_len = cut;
        copy += cut;
        len -= cut;
    }
}

/* Owned text as one (or several) text MT. */
static void add_owned_text(struct core_rendered *r, char *text)
{
    add_long_text(r, text, strlen(text));
    free(text);
}

/* A Smart Messaging business card: the card's octets to port 9204, 8-bit,
 * one MT (bearerbox adds the concatenation IE to this UDH when it splits). */
static void add_card(struct core_rendered *r, const struct store_person *p)
{
    unsigned char *udh = keep(r, xmalloc(7));
    udh[0] = 6;
    smsudh_port_ies(SMSUDH_PORT_VCARD, 0, udh + 1);
    /* the person's card (issue 10): as it came when it is one card, else
     * with every number, PREF on the current one */
    size_t len = 0;
    const char *card = keep(r, store_person_card(p, &len));
    const char *current = p->count ? p->numbers[p->count - 1].number : "";
    if (card == NULL || len > CORE_CARD_MAX) {
        /* more than a business card carries (a photo in it): its name and current number */
        card = NULL;
        char *small = vcard_format(p->name, current);
        if (small) {
            card = keep(r, small);
            len = strlen(small);
        } else {
            card = "";
            len = 0;
        }
    }
    struct store_outbox_mt *m = add_mt(r);
    m->kind = OUTBOX_BINARY;
    m->udh = udh;
    m->udh_len = 7;
    m->data = keep(r, xmemdup0(card, len));
    m->data_len = len;
    m->coding = STORE_CODING_8BIT;
}

static void item_name(enum store_kind k, long long n, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s%lld", k == STORE_MMS ? "M" : k == STORE_CONTACT ? "C" : "", n);
}

enum core_result core_render(const struct core_config *cfg, struct store *s, const struct store_outbox_request *req,
                             struct core_rendered *out)
{
    struct store_user u = { 0 };
    enum store_result r;
    memset(out, 0, sizeof *out);
    r = store_user_get(s, req->user_id, &u);
    if (r == STORE_NOT_FOUND) {
        out->failed = "the user is gone";   /* nobody to send it to on their behalf */
        return CORE_OK;
    }
    if (r != STORE_OK)
        goto store_failed;
    enum core_lang lang = core_lang_of(u.lang);
    store_user_cleanup(&u);

    if (req->kind == STORE_SMS) {
        struct store_sms m = { 0 };
        if ((r = store_sms_get(s, req->user_id, req->n, &m)) == STORE_OK) {
            if (cfg->get_header)
                add_owned_text(out, xasprintf("#%lld %s", req->n, m.body));
            else
                add_long_text(out, m.body, m.body_len);   /* byte-exact */
        }
        store_sms_cleanup(&m);
    } else if (req->kind == STORE_MMS) {
        struct store_mms m = { 0 };
        if ((r = store_mms_get(s, req->user_id, req->n, &m)) == STORE_OK) {
            char *body = xasprintf("%s%s%s", m.subject, m.subject[0] && m.text[0] ? " " : "", m.text);
            add_owned_text(out, cfg->web_url && cfg->web_url[0]
                                    ? core_text_full(T_MMS, lang, req->n, body, cfg->web_url)
                                    : core_text_full(T_MMS_NO_URL, lang, req->n, body));
            free(body);
        }
        store_mms_cleanup(&m);
    } else {
        /* C<n> names a person through any of its numbers (issue 10) */
        struct store_person p = { 0 };
        if ((r = store_contact_person(s, req->user_id, req->n, &p)) == STORE_OK) {
            if (cfg->contact_as_text) {
                struct buf nums = { 0 };   /* the current number first, then the older ones */
                for (size_t i = p.count; i-- > 0;)
                    buf_printf(&nums, "%s%s", i + 1 == p.count ? "" : ", ", p.numbers[i].number);
                add_owned_text(out, core_text_full(T_CONTACT_TEXT, lang, req->n, p.name, buf_cstr(&nums)));
                buf_cleanup(&nums);
            } else {
                add_card(out, &p);
            }
        }
        store_person_cleanup(&p);
    }
    if (r == STORE_NOT_FOUND) {
        /* deleted since it was asked for: the phone is told, nothing else is sent */
        char name[32];
        item_name(req->kind, req->n, name, sizeof name);
        core_rendered_cleanup(out);
        add_owned_text(out, core_text_reply(T_ITEM_GONE, lang, name));
        out->failed = "the item was deleted before it was sent";
        return CORE_OK;
    }
    if (r == STORE_OK)
        return CORE_OK;
store_failed:
    core_rendered_cleanup(out);
    log_warn("core: render-store-failed outbox_id=%lld result=%s", req->id, store_result_name(r));
    return r == STORE_RETRY ? CORE_RETRY : CORE_ERR;
}

enum core_result core_render_pending(const struct core_config *cfg, struct store *s, const char *channel, int max,
                                     size_t *rendered)
{
    struct store_outbox_request *reqs = NULL;
    size_t n = 0;
    enum store_result r = store_outbox_take_requests(s, channel, max, &reqs, &n);
    if (r != STORE_OK)
        return r == STORE_RETRY ? CORE_RETRY : CORE_ERR;
    enum core_result cr = CORE_OK;
    for (size_t i = 0; i < n && cr == CORE_OK; i++) {
        struct core_rendered out;
        if ((r = store_tx_savepoint(s)) != STORE_OK) {
            cr = r == STORE_RETRY ? CORE_RETRY : CORE_ERR;
            break;
        }
        cr = core_render(cfg, s, &reqs[i], &out);
        if (cr == CORE_OK) {
            r = store_outbox_expand(s, reqs[i].id, out.mts, out.count, out.failed);
            if (r == STORE_RETRY)
                cr = CORE_RETRY;
            else if (r != STORE_OK)
                cr = CORE_ERR;
            else if (out.failed)
                log_info("core: request-failed outbox_id=%lld why=\"%s\"", reqs[i].id, out.failed);
        }
        core_rendered_cleanup(&out);
        if (cr == CORE_OK) {
            if ((r = store_tx_release(s)) != STORE_OK)
                cr = r == STORE_RETRY ? CORE_RETRY : CORE_ERR;
            continue;
        }
        store_tx_rollback_to(s);
        if (cr == CORE_RETRY)
            break;
        /* the store refused this request's rows: it is failed rather than
         * taken again on every turn */
        log_error("core: request-unrenderable outbox_id=%lld kind=%d", reqs[i].id, (int)reqs[i].kind);
        r = store_outbox_expand(s, reqs[i].id, NULL, 0, "it could not be rendered");
        cr = r == STORE_OK ? CORE_OK : r == STORE_RETRY ? CORE_RETRY : CORE_ERR;
    }
    store_outbox_requests_free(reqs, n);
    if (cr == CORE_OK && rendered)
        *rendered = n;
    return cr;
}
