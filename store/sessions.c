/*
 * sessions — web sessions (only a SHA-256 of the token is stored; the token
 * itself exists only in the browser's cookie) and MO de-duplication
 * (mo_seen, the reliability model's "each command takes effect once"). It
 * does not authenticate: store_user_login does.
 */
#include "store_int.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "log.h"

#define SESSION_MAX_S (366 * 24 * 3600)

/* token: 64 lowercase hex chars; hash: SHA-256 of the 32 bytes they spell */
static bool token_hash(const char *token, unsigned char hash[crypto_hash_sha256_BYTES])
{
    unsigned char raw[32];
    size_t len = 0;
    if (token == NULL || strnlen(token, 65) != 64 ||
        sodium_hex2bin(raw, sizeof raw, token, 64, NULL, &len, NULL) != 0 || len != sizeof raw)
        return false;
    crypto_hash_sha256(hash, raw, sizeof raw);
    return true;
}

enum store_result store_session_create(struct store *s, const char *user_id, int idle_s, int absolute_s,
                                       char token_out[STORE_TOKEN_LEN])
{
    if (idle_s <= 0 || absolute_s <= 0 || idle_s > SESSION_MAX_S || absolute_s > SESSION_MAX_S)
        return STORE_INVALID;
    if (!st_valid_id(user_id))
        return STORE_NOT_FOUND;
    if (sodium_init() < 0)
        return STORE_ERR;
    unsigned char raw[32], hash[crypto_hash_sha256_BYTES];
    char token[STORE_TOKEN_LEN];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2hex(token, sizeof token, raw, sizeof raw);
    crypto_hash_sha256(hash, raw, sizeof raw);
    sodium_memzero(raw, sizeof raw);
    char idle[24], abs_[24], off[24];
    st_lld(idle, idle_s);
    st_lld(abs_, absolute_s);
    st_lld(off, s->clock_offset_s);
    const char *p[] = { user_id, (const char *)hash, idle, abs_, off };
    const int len[] = { 0, (int)sizeof hash, 0, 0, 0 };
    const int fmt[] = { 0, 1, 0, 0, 0 };

    enum store_result rc = st_tx_start(s);
    if (rc != STORE_OK)
        return rc;
    /* the user's expired sessions go when a new one is made */
    const char *pe[] = { user_id, off };
    rc = st_exec(s, "session-expire",
                 "DELETE FROM sessions WHERE user_id = $1"
                 " AND (idle_expires <= now() + $2::int * interval '1 second'"
                 "  OR absolute_expires <= now() + $2::int * interval '1 second')",
                 2, pe, NULL);
    if (rc == STORE_OK) {
        rc = st_exec_some(s, "session-create",
                         "INSERT INTO sessions (user_id, token_hash, idle_s, idle_expires, absolute_expires)"
                         " SELECT $1, $2, $3, t + $3::int * interval '1 second', t + $4::int * interval '1 second'"
                         " FROM (SELECT now() + $5::int * interval '1 second' AS t) c"
                         " WHERE EXISTS (SELECT 1 FROM users WHERE id = $1)",
                          5, p, len, fmt);
    }
    rc = st_tx_finish(s, rc);
    if (rc == STORE_OK)
        memcpy(token_out, token, STORE_TOKEN_LEN);
    sodium_memzero(token, sizeof token);
    return rc;
}

enum store_result store_session_lookup(struct store *s, const char *token, char user_id_out[STORE_ID_LEN])
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
    /* valid: extend the idle expiry, never past the absolute one; the
     * token's user from session_tokens (migration 012): one partition */
    enum store_result rc = st_exec_bin(s, "session-lookup",
        "UPDATE sessions SET idle_expires = least(absolute_expires,"
        "   now() + $2::int * interval '1 second' + idle_s * interval '1 second')"
        " WHERE token_hash = $1 AND user_id = (SELECT user_id FROM session_tokens WHERE token_hash = $1)"
        "   AND idle_expires > now() + $2::int * interval '1 second'"
        "   AND absolute_expires > now() + $2::int * interval '1 second'"
        " RETURNING user_id", 2, p, len, fmt, &r);
    if (rc != STORE_OK)
        return rc;
    if (PQntuples(r) == 0)
        rc = STORE_NOT_FOUND;
    else
        snprintf(user_id_out, STORE_ID_LEN, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    return rc;
}

enum store_result store_session_delete(struct store *s, const char *token)
{
    unsigned char hash[crypto_hash_sha256_BYTES];
    if (!token_hash(token, hash))
        return STORE_NOT_FOUND;
    const char *p[] = { (const char *)hash };
    const int len[] = { (int)sizeof hash };
    const int fmt[] = { 1 };
    return st_exec_some(s, "session-delete", "DELETE FROM sessions WHERE token_hash = $1"
                        " AND user_id = (SELECT user_id FROM session_tokens WHERE token_hash = $1)",
                        1, p, len, fmt);
}

enum store_result store_mo_seen(struct store *s, const char *kannel_uuid)
{
    if (!st_valid_text(kannel_uuid, LIMIT_PEER_MAX, false))
        return STORE_INVALID;
    const char *p[] = { kannel_uuid };
    PGresult *r = NULL;
    /* a re-delivery is an answer, not an error that would abort the
     * caller's transaction; not ON CONFLICT, whose speculative insert costs
     * every MO one more WAL record (only two transactions inserting the same
     * uuid at once meet the unique index: STORE_CONFLICT from the error) */
    enum store_result rc = st_exec(s, "mo-seen",
                                   "INSERT INTO mo_seen (kannel_uuid) SELECT $1::text"
                                   " WHERE NOT EXISTS (SELECT 1 FROM mo_seen WHERE kannel_uuid = $1::text)",
                                   1, p, &r);
    if (rc == STORE_OK && strcmp(PQcmdTuples(r), "0") == 0)
        rc = STORE_CONFLICT;
    PQclear(r);
    return rc;
}
