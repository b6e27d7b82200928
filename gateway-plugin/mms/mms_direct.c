/*
 * mms_direct — the direct path's PDUs (see mms_direct.h).
 */
#include "mms_direct.h"

#include <ctype.h>
#include <gmime/gmime.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"
#include "mms_pdu.h"
#include "utf8.h"

#define TID_PREFIX "smsvault-d"

void mms_direct_tid(long long id, char out[MMS_DIRECT_TID_MAX])
{
    snprintf(out, MMS_DIRECT_TID_MAX, TID_PREFIX "%lld", id);
}

long long mms_direct_tid_id(const char *tid)
{
    size_t plen = sizeof TID_PREFIX - 1;
    if (tid == NULL || strncmp(tid, TID_PREFIX, plen) != 0)
        return 0;
    const char *d = tid + plen;
    size_t n = strspn(d, "0123456789");
    if (n == 0 || n > 18 || d[n] != '\0' || d[0] == '0')
        return 0;
    return strtoll(d, NULL, 10);
}

static char *address(const char *number)
{
    return xasprintf("%s/TYPE=PLMN", number);
}

/* ---- the notification ---- */

enum mms_direct_result mms_direct_notification(const struct mms_direct_notice *n, struct mms_direct_sms **sms,
                                               size_t *count)
{
    struct mms_pdu ind;
    unsigned char *pdu = NULL, *push = NULL, ies[6];
    size_t plen = 0, pushlen = 0, nsegs = 0;
    struct smsudh_segment *segs = NULL;
    char tid[MMS_DIRECT_TID_MAX];
    enum mms_direct_result rc = MMS_DIRECT_INVALID;

    if (n->url == NULL || n->url[0] == '\0')
        return MMS_DIRECT_INVALID;
    mms_pdu_init(&ind, MMS_M_NOTIFICATION_IND);
    mms_direct_tid(n->id, tid);
    ind.transaction_id = xstrdup(tid);
    ind.from = address(n->sender);
    if (n->subject && n->subject[0])
        ind.subject = xstrndup(n->subject, utf8_truncate(n->subject, strlen(n->subject), MMS_DIRECT_SUBJECT_MAX));
    ind.message_class = MMS_CLASS_PERSONAL;
    ind.message_size = n->size;
    ind.has_message_size = true;
    ind.expiry = n->expiry_s;
    ind.has_expiry = ind.expiry_relative = true;
    ind.content_location = xstrdup(n->url);
    if (mms_pdu_encode(&ind, &pdu, &plen) != MMS_PDU_OK)
        goto out;
    mms_pdu_push_encode((unsigned)(n->id & 0xFF), pdu, plen, &push, &pushlen);
    /* WAP push port 2948 from the WAP connectionless session port 9200 */
    smsudh_port_ies(SMSUDH_PORT_WAP_PUSH, SMSUDH_PORT_WAP_PUSH_SRC, ies);
    if (!smsudh_split(ies, sizeof ies, false, (unsigned)(n->id & 0xFF), push, pushlen, &segs, &nsegs)) {
        rc = MMS_DIRECT_TOO_LONG;
        goto out;
    }
    *sms = xcalloc(nsegs, sizeof **sms);
    for (size_t i = 0; i < nsegs; i++) {
        struct mms_direct_sms *m = &(*sms)[i];
        /* a segment is at most 140 octets, UDH included (smsudh_split) */
        memcpy(m->udh, segs[i].udh, segs[i].udhlen);
        m->udhlen = segs[i].udhlen;
        memcpy(m->data, segs[i].data, segs[i].len);
        m->len = segs[i].len;
    }
    *count = nsegs;
    rc = MMS_DIRECT_OK;
out:
    mms_pdu_cleanup(&ind);
    free(pdu);
    free(push);
    free(segs);
    return rc;
}

/* ---- the m-retrieve-conf ---- */

/* A stored content type ("text/plain; charset=utf-8") as the PDU wants it:
 * the bare media type in lower case, and its charset and name parameters. */
struct ctype {
    char *media, *charset, *name;
};

static void ctype_parse(const char *text, struct ctype *out)
{
    memset(out, 0, sizeof *out);
    GMimeContentType *ct = text && text[0] ? g_mime_content_type_parse(NULL, text) : NULL;
    char *mt = ct ? g_mime_content_type_get_mime_type(ct) : NULL;
    /* what GMime cannot read it gives a default type: the stored type must
     * start with the one it read, else the bytes go as bytes */
    const char *t = text ? text + strspn(text, " \t") : "";
    if (mt && strchr(mt, '/') && strncasecmp(t, mt, strlen(mt)) == 0)
        out->media = xstrdup(mt);
    else
        out->media = xstrdup("application/octet-stream");
    for (char *c = out->media; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    const char *cs = ct ? g_mime_content_type_get_parameter(ct, "charset") : NULL;
    const char *nm = ct ? g_mime_content_type_get_parameter(ct, "name") : NULL;
    if (cs && cs[0])
        out->charset = xstrdup(cs);
    if (nm && nm[0])
        out->name = xstrdup(nm);
    g_free(mt);
    if (ct)
        g_object_unref(ct);
}

static void ctype_cleanup(struct ctype *c)
{
    free(c->media);
    free(c->charset);
    free(c->name);
}

static bool is_smil(const struct store_mms_part *p)
{
    return strncasecmp(p->content_type, "application/smil", 16) == 0 &&
           (p->content_type[16] == '\0' || p->content_type[16] == ';' || p->content_type[16] == ' ');
}

static void add_part(struct mms_pdu *pdu, const struct store_mms_part *p, const char *fallback_cid)
{
    struct ctype ct;
    ctype_parse(p->content_type, &ct);
    const char *name = p->name[0] ? p->name : ct.name;
    char *cid = p->content_id[0] ? xasprintf("<%s>", p->content_id)
                                 : fallback_cid ? xstrdup(fallback_cid) : NULL;
    /* the part's own Content-Location when the archive kept one (issue 10), else its name */
    const char *location = p->content_location && p->content_location[0] ? p->content_location : name;
    mms_pdu_add_part(pdu, ct.media, ct.charset, name, cid, location, p->data, p->len);
    free(cid);
    ctype_cleanup(&ct);
}

enum mms_direct_result mms_direct_retrieve_conf(const struct mms_direct_message *m, unsigned char **out,
                                                size_t *len)
{
    struct mms_pdu conf;
    char tid[MMS_DIRECT_TID_MAX];
    enum mms_direct_result rc = MMS_DIRECT_INVALID;

    mms_pdu_init(&conf, MMS_M_RETRIEVE_CONF);
    mms_direct_tid(m->id, tid);
    /* with a Transaction-Id the handset may answer with m-acknowledge-ind */
    conf.transaction_id = xstrdup(tid);
    conf.message_id = xstrdup(tid);
    conf.date = m->mms->sent_at ? m->mms->sent_at : m->mms->saved_at;
    conf.has_date = true;
    conf.from = address(m->sender);
    char *to = address(m->msisdn);
    mms_pdu_add_address(&conf.to, &conf.nto, to);
    free(to);
    conf.subject = m->mms->subject && m->mms->subject[0] ? xstrdup(m->mms->subject)
                                                         : xasprintf("M%lld", m->mms->n);
    conf.message_class = MMS_CLASS_PERSONAL;
    conf.retrieve_status = MMS_RETRIEVE_OK;
    /* the SMIL part first: it is the multipart.related's start (the encoder
     * names the first SMIL part, with its Content-ID, as type and start) */
    size_t smil = m->nparts;
    for (size_t i = 0; i < m->nparts && smil == m->nparts; i++)
        if (is_smil(&m->parts[i]))
            smil = i;
    if (smil < m->nparts)
        add_part(&conf, &m->parts[smil], "<smil>");
    for (size_t i = 0; i < m->nparts; i++)
        if (i != smil)
            add_part(&conf, &m->parts[i], NULL);
    if (mms_pdu_encode(&conf, out, len) == MMS_PDU_OK)
        rc = MMS_DIRECT_OK;
    mms_pdu_cleanup(&conf);
    return rc;
}

static void error_conf(int status, const char *text, unsigned char **out, size_t *len)
{
    struct mms_pdu conf;
    mms_pdu_init(&conf, MMS_M_RETRIEVE_CONF);
    conf.retrieve_status = status;
    conf.retrieve_text = xstrdup(text);
    /* nothing in it can be refused by the encoder */
    if (mms_pdu_encode(&conf, out, len) != MMS_PDU_OK) {
        *out = NULL;
        *len = 0;
    }
    mms_pdu_cleanup(&conf);
}

void mms_direct_not_found(unsigned char **out, size_t *len)
{
    error_conf(MMS_RETRIEVE_ERROR_MESSAGE_NOT_FOUND, "no such message", out, len);
}

void mms_direct_try_later(unsigned char **out, size_t *len)
{
    error_conf(MMS_RETRIEVE_ERROR_TRANSIENT_FAILURE, "try again later", out, len);
}
