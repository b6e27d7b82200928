/*
 * reassembly — see reassembly.h. Incomplete messages sit in a hash table
 * (by src|dst|ref|total) and in one list in order of arrival of their first
 * part; as every entry has the same timeout that list is also the expiry
 * order, so _expire only ever looks at its head. It is not a duplicate filter
 * for whole messages: a part re-sent after its message completed starts a new
 * message (and expires if the rest never comes again).
 */
#include "reassembly.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "log.h"

#define BUCKETS 4096
#define MAX_PARTS 256 /* UDH and SAR totals are one octet */

struct entry {
    char *key;
    int64_t first_ms;
    int total, have;
    unsigned ref;
    unsigned dc;
    unsigned char *udh;
    size_t udhlen;
    unsigned char *data[MAX_PARTS];
    size_t len[MAX_PARTS];
    char src[24], dst[24];
    struct entry *hnext;          /* hash chain */
    struct entry *older, *newer;  /* arrival list */
};

struct reassembly {
    int64_t timeout_ms;
    struct entry *buckets[BUCKETS];
    struct entry *oldest, *newest;
    size_t pending;
};

static unsigned long strhash(const char *s)
{
    unsigned long h = 5381;
    while (*s)
        h = h * 33 + (unsigned char)*s++;
    return h;
}

struct reassembly *reassembly_new(int64_t timeout_ms)
{
    struct reassembly *r = xcalloc(1, sizeof *r);
    r->timeout_ms = timeout_ms;
    return r;
}

static void entry_free(struct entry *e)
{
    int i;
    for (i = 0; i < MAX_PARTS; i++)
        free(e->data[i]);
    free(e->udh);
    free(e->key);
    free(e);
}

/* Unlink e from both structures (does not free it). */
static void entry_unlink(struct reassembly *r, struct entry *e)
{
    struct entry **pp = &r->buckets[strhash(e->key) % BUCKETS];
    while (*pp != e)
        pp = &(*pp)->hnext;
    *pp = e->hnext;
    if (e->older)
        e->older->newer = e->newer;
    else
        r->oldest = e->newer;
    if (e->newer)
        e->newer->older = e->older;
    else
        r->newest = e->older;
    r->pending--;
}

void reassembly_free(struct reassembly *r)
{
    if (!r)
        return;
    while (r->oldest) {
        struct entry *e = r->oldest;
        entry_unlink(r, e);
        entry_free(e);
    }
    free(r);
}

static unsigned char *dup_bytes(const unsigned char *p, size_t n)
{
    unsigned char *d = xmalloc(n ? n : 1);
    if (n)
        memcpy(d, p, n);
    return d;
}

static void msg_fill(struct reassembly_msg *m, const char *src, const char *dst, unsigned dc,
                     const unsigned char *udh, size_t udhlen)
{
    memset(m, 0, sizeof *m);
    snprintf(m->src, sizeof m->src, "%s", src);
    snprintf(m->dst, sizeof m->dst, "%s", dst);
    m->dc = dc;
    m->udh = dup_bytes(udh, udhlen);
    m->udhlen = udhlen;
}

enum reassembly_result reassembly_add(struct reassembly *r, int64_t now_ms,
                                      const struct reassembly_part *p,
                                      struct reassembly_msg *out)
{
    char key[96];
    struct entry *e;
    size_t total_len = 0, o = 0;
    int i;

    if (p->total <= 1 || p->seq < 1 || p->seq > p->total || p->total >= MAX_PARTS) {
        msg_fill(out, p->src, p->dst, p->dc, p->udh, p->udhlen);
        out->data = dup_bytes(p->data, p->len);
        out->len = p->len;
        return REASSEMBLY_COMPLETE;
    }
    snprintf(key, sizeof key, "%s|%s|%u|%d", p->src, p->dst, p->ref, p->total);
    for (e = r->buckets[strhash(key) % BUCKETS]; e; e = e->hnext)
        if (strcmp(e->key, key) == 0)
            break;
    if (!e) {
        struct entry **head = &r->buckets[strhash(key) % BUCKETS];
        e = xcalloc(1, sizeof *e);
        e->key = xstrdup(key);
        e->first_ms = now_ms;
        e->total = p->total;
        e->ref = p->ref;
        snprintf(e->src, sizeof e->src, "%s", p->src);
        snprintf(e->dst, sizeof e->dst, "%s", p->dst);
        e->hnext = *head;
        *head = e;
        e->older = r->newest;
        if (r->newest)
            r->newest->newer = e;
        else
            r->oldest = e;
        r->newest = e;
        r->pending++;
    }
    if (e->data[p->seq]) {
        log_warn("reassembly: duplicate part src=%s dst=%s ref=%u seq=%d", p->src, p->dst, p->ref,
                 p->seq);
        return REASSEMBLY_DUPLICATE;
    }
    e->data[p->seq] = dup_bytes(p->data, p->len);
    e->len[p->seq] = p->len;
    if (p->seq == 1) {
        e->dc = p->dc;
        free(e->udh);
        e->udh = dup_bytes(p->udh, p->udhlen);
        e->udhlen = p->udhlen;
    }
    if (++e->have < e->total)
        return REASSEMBLY_PENDING;
    for (i = 1; i <= e->total; i++)
        total_len += e->len[i];
    msg_fill(out, e->src, e->dst, e->dc, e->udh, e->udhlen);
    out->data = xmalloc(total_len + 1);
    for (i = 1; i <= e->total; i++) {
        memcpy(out->data + o, e->data[i], e->len[i]);
        o += e->len[i];
    }
    out->len = total_len;
    entry_unlink(r, e);
    entry_free(e);
    return REASSEMBLY_COMPLETE;
}

void reassembly_msg_cleanup(struct reassembly_msg *m)
{
    if (!m)
        return;
    free(m->udh);
    free(m->data);
    m->udh = m->data = NULL;
}

size_t reassembly_expire(struct reassembly *r, int64_t now_ms)
{
    size_t n = 0;
    while (r->oldest && r->oldest->first_ms + r->timeout_ms <= now_ms) {
        struct entry *e = r->oldest;
        log_warn("reassembly: expired src=%s dst=%s ref=%u have=%d total=%d", e->src, e->dst,
                 e->ref, e->have, e->total);
        entry_unlink(r, e);
        entry_free(e);
        n++;
    }
    return n;
}

size_t reassembly_pending(const struct reassembly *r)
{
    return r->pending;
}

int64_t reassembly_next_expiry(const struct reassembly *r)
{
    return r->oldest ? r->oldest->first_ms + r->timeout_ms : -1;
}
