/*
 * core_phone — one MO and what reaches the phone (see core_phone.h).
 */
#include "core_phone.h"

#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "core_render.h"
#include "fake_store.h"

void phone_got_cleanup(struct phone_got *g)
{
    for (size_t i = 0; i < g->count; i++)
        free(g->texts[i]);
    free(g->texts);
    free(g->lens);
    free(g->mts);
    memset(g, 0, sizeof *g);
}

/* claim order: a rendered request's rows at the request's place */
static long long place(const struct fake_outbox_row *r)
{
    return r->parent ? r->parent : r->id;
}

enum core_result phone_run(struct core *c, const struct core_config *cfg, struct store *s,
                           const struct core_mo *mo, struct phone_got *got)
{
    phone_got_cleanup(got);
    size_t before = fake_store_outbox_count(s);
    struct core_replies rep;
    core_replies_init(&rep);
    enum core_result r = core_handle(c, s, mo, &rep);
    memcpy(got->cmd, rep.cmd, sizeof got->cmd);
    got->requests = rep.requests;
    got->outcome = rep.outcome;
    core_replies_cleanup(&rep);
    got->queued = fake_store_outbox_count(s) - before;
    if (r == CORE_OK && core_render_pending(cfg, s, "sms", 1000, NULL) != CORE_OK)
        r = CORE_ERR;
    size_t n = fake_store_outbox_count(s);
    struct fake_outbox_row *rows = xcalloc(n + 1, sizeof *rows);
    size_t k = 0;
    for (size_t i = before; i < n; i++) {
        fake_store_outbox_row(s, i, &rows[k]);
        if (rows[k].kind != OUTBOX_REQUEST)
            k++;
    }
    /* insertion sort by (place, id): a few rows */
    for (size_t i = 1; i < k; i++) {
        struct fake_outbox_row t = rows[i];
        size_t j = i;
        while (j > 0 && (place(&rows[j - 1]) > place(&t) || (place(&rows[j - 1]) == place(&t) && rows[j - 1].id > t.id))) {
            rows[j] = rows[j - 1];
            j--;
        }
        rows[j] = t;
    }
    got->texts = xcalloc(k + 1, sizeof *got->texts);
    got->lens = xcalloc(k + 1, sizeof *got->lens);
    got->mts = xcalloc(k + 1, sizeof *got->mts);
    for (size_t i = 0; i < k; i++) {
        got->texts[i] = xmemdup0(rows[i].text, rows[i].len);
        got->lens[i] = rows[i].len;
        got->mts[i].binary = rows[i].kind == OUTBOX_BINARY;
        got->mts[i].udh_len = rows[i].udh_len < sizeof got->mts[i].udh ? rows[i].udh_len : 0;
        memcpy(got->mts[i].udh, rows[i].udh, got->mts[i].udh_len);
    }
    got->count = k;
    free(rows);
    return r;
}
