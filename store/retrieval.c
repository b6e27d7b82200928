/*
 * retrieval — the deliveries of vaultmms's direct path (migration 010): a
 * one-time, expiring token per delivery of an archived MMS, stored as a
 * SHA-256 of its random bytes, and the handset's answers that move the
 * delivery and its outbox row on (see store.h). It builds no PDU and
 * serves no HTTP (gateway-plugin/mms/mms_retrieve.c does); it does not
 * read the MMS (store_mms_get / store_mms_parts do, in the caller's
 * transaction).
 */
#include "store_int.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#define TOKEN_BYTES 16
#define TOKEN_VARIANT sodium_base64_VARIANT_URLSAFE_NO_PADDING

/* The SHA-256 of the bytes a token spells; false when it is not a token. */
static bool token_hash(const char *token, unsigned char hash[crypto_hash_sha256_BYTES])
{
    unsigned char raw[TOKEN_BYTES];
    size_t len = 0;
    if (token == NULL || strnlen(token, STORE_RETRIEVAL_TOKEN_LEN) != STORE_RETRIEVAL_TOKEN_LEN - 1 ||
        sodium_base642bin(raw, sizeof raw, token, STORE_RETRIEVAL_TOKEN_LEN - 1, NULL, &len, NULL,
                          TOKEN_VARIANT) != 0 || len != sizeof raw)
        return false;
    crypto_hash_sha256(hash, raw, sizeof raw);
    sodium_memzero(raw, sizeof raw);
    return true;
}

enum store_result store_mms_retrieval_create(struct store *s, const char *user_id, long long mms_n,
                                             const char *msisdn, long long outbox_id, int ttl_s,
                                             char token_out[STORE_RETRIEVAL_TOKEN_LEN], long long *id_out)
{
    if (ttl_s < 1 || ttl_s > LIMIT_RETRIEVAL_TTL_MAX || !st_valid_line(msisdn, LIMIT_PEER_MAX, false) ||
        outbox_id < 0)
        return STORE_INVALID;
    if (!st_valid_id(user_id) || mms_n < 1)
        return STORE_NOT_FOUND;
    if (sodium_init() < 0)
        return STORE_ERR;
    unsigned char raw[TOKEN_BYTES], hash[crypto_hash_sha256_BYTES];
    char token[STORE_RETRIEVAL_TOKEN_LEN];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2base64(token, sizeof token, raw, sizeof raw, TOKEN_VARIANT);
    crypto_hash_sha256(hash, raw, sizeof raw);
    sodium_memzero(raw, sizeof raw);

    char nb[24], ob[24], tb[24], off[24];
    st_lld(nb, mms_n);
    st_lld(ob, outbox_id);
    st_lld(tb, ttl_s);
    st_lld(off, s->clock_offset_s);
    PGresult *r = NULL;
    long long id = 0;
    enum store_result rc = st_tx_start(s);
    if (rc != STORE_OK)
        goto out;
    const char *pe[] = { user_id, off };
    rc = st_exec(s, "retrieval-expire",
                 "DELETE FROM mms_retrievals WHERE user_id = $1"
                 " AND expires_at <= now() + $2::int * interval '1 second'", 2, pe, NULL);
    if (rc == STORE_OK) {
        const char *p[] = { (const char *)hash, user_id, nb, msisdn, outbox_id ? ob : NULL, tb, off };
        const int len[] = { (int)sizeof hash, 0, 0, 0, 0, 0, 0 };
        const int fmt[] = { 1, 0, 0, 0, 0, 0, 0 };
        /* FROM mms: a delivery of an MMS that is not there inserts nothing */
        rc = st_exec_bin(s, "retrieval-create",
                         "INSERT INTO mms_retrievals (token_hash, user_id, mms_n, msisdn, outbox_id, expires_at)"
                         " SELECT $1, user_id, n, $4, $5::bigint,"
                         "  now() + ($7::int + $6::int) * interval '1 second'"
                         " FROM mms WHERE user_id = $2 AND n = $3::bigint RETURNING id",
                         7, p, len, fmt, &r);
    }
    if (rc == STORE_OK) {
        if (PQntuples(r) == 0)
            rc = STORE_NOT_FOUND;
        else
            id = st_getll(r, 0, 0);
        PQclear(r);
    }
    rc = st_tx_finish(s, rc);
    if (rc == STORE_OK) {
        memcpy(token_out, token, sizeof token);
        *id_out = id;
    }
out:
    sodium_memzero(token, sizeof token);
    return rc;
}

enum store_result store_mms_retrieval_fetch(struct store *s, const char *token, struct store_mms_retrieval *out)
{
    unsigned char hash[crypto_hash_sha256_BYTES];
    if (!token_hash(token, hash))
        return STORE_NOT_FOUND;
    char off[24];
    st_lld(off, s->clock_offset_s);
    const char *p[] = { (const char *)hash, off };
    const int len[] = { (int)sizeof hash, 0 };
    const int fmt[] = { 1, 0 };
    PGresult *r = NULL;
    /* once: only a notified delivery that has not expired */
    enum store_result rc = st_exec_bin(s, "retrieval-fetch",
        "UPDATE mms_retrievals SET state = 1, fetched_at = now()"
        " WHERE token_hash = $1 AND state = 0 AND expires_at > now() + $2::int * interval '1 second'"
        " RETURNING id, user_id, mms_n, msisdn, coalesce(outbox_id, 0), extract(epoch FROM expires_at)::bigint",
        2, p, len, fmt, &r);
    if (rc != STORE_OK)
        return rc;
    if (PQntuples(r) == 0) {
        rc = STORE_NOT_FOUND;
    } else {
        out->id = st_getll(r, 0, 0);
        snprintf(out->user_id, sizeof out->user_id, "%s", PQgetvalue(r, 0, 1));
        out->mms_n = st_getll(r, 0, 2);
        snprintf(out->msisdn, sizeof out->msisdn, "%s", PQgetvalue(r, 0, 3));
        out->outbox_id = st_getll(r, 0, 4);
        out->expires_at = (time_t)st_getll(r, 0, 5);
    }
    PQclear(r);
    return rc;
}

enum store_result store_mms_retrieval_answer(struct store *s, const char *token, long long id,
                                             enum store_mms_handset what, long long *outbox_id_out)
{
    unsigned char hash[crypto_hash_sha256_BYTES];
    if (!token_hash(token, hash) || id < 1)
        return STORE_NOT_FOUND;
    /* what each answer needs of the delivery, and what it becomes */
    static const struct {
        const char *from;     /* states it may come in */
        const char *to;       /* its new state */
    } moves[] = {
        [STORE_MMS_RETRIEVED] = { "{1}", "2" },
        [STORE_MMS_REJECTED] = { "{0,1}", "3" },
        [STORE_MMS_DEFERRED] = { "{0}", NULL },
    };
    if ((unsigned)what >= sizeof moves / sizeof moves[0])
        return STORE_INVALID;
    char ib[24], off[24];
    st_lld(ib, id);
    st_lld(off, s->clock_offset_s);
    const char *p[] = { (const char *)hash, ib, off, moves[what].from, moves[what].to };
    const int len[] = { (int)sizeof hash, 0, 0, 0, 0 };
    const int fmt[] = { 1, 0, 0, 0, 0 };
    PGresult *r = NULL;
    long long outbox_id = 0;
    enum store_result rc = st_tx_start(s);
    if (rc != STORE_OK)
        return rc;
    /* Deferred ($5 NULL) keeps the state: the row is only looked at */
    rc = st_exec_bin(s, "retrieval-answer",
        "UPDATE mms_retrievals SET state = coalesce($5::smallint, state),"
        " answered_at = CASE WHEN $5 IS NULL THEN answered_at ELSE now() END"
        " WHERE token_hash = $1 AND id = $2::bigint AND state = ANY ($4::smallint[])"
        "   AND expires_at > now() + $3::int * interval '1 second'"
        " RETURNING coalesce(outbox_id, 0)", 5, p, len, fmt, &r);
    if (rc == STORE_OK) {
        if (PQntuples(r) == 0)
            rc = STORE_NOT_FOUND;
        else
            outbox_id = st_getll(r, 0, 0);
        PQclear(r);
    }
    /* the outbox row's final states are never changed (outbox.c) */
    if (rc == STORE_OK && outbox_id && what == STORE_MMS_RETRIEVED)
        rc = store_outbox_mark_delivered(s, outbox_id, NULL);
    else if (rc == STORE_OK && outbox_id && what == STORE_MMS_REJECTED)
        rc = store_outbox_mark_failed(s, outbox_id, "rejected by the handset", NULL);
    rc = st_tx_finish(s, rc);
    if (rc == STORE_OK && outbox_id_out)
        *outbox_id_out = outbox_id;
    return rc;
}
