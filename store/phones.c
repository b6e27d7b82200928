/*
 * phones — which user an MSISDN belongs to (one MSISDN, one user; a user may
 * have several), and binding a phone from the web with a texted one-time
 * code, within the hourly limits that keep the codes from pumping SMS. It
 * does not send anything itself: the code goes into the outbox in the same
 * transaction and vaultbox delivers it. Which numbers may get a code at all
 * is the web's rule ([web] phone_prefixes).
 */
#include "store_int.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "log.h"
#include "msisdn.h"

#define CODE_MAX_TRIES 5   /* wrong tries of an (account, number) pair in an hour */

/* Inside a transaction: move the phone msisdn to user_id (one phone, one
 * user: whoever had a number with the same key loses it). */
static enum store_result bind_in_tx(struct store *s, const char *msisdn, const char *key, const char *user_id)
{
    const char *pk[] = { key };
    /* phone_keys names the number's user (migration 012): one partition */
    enum store_result rc = st_exec(s, "phone-unbind-key",
                                   "DELETE FROM phones WHERE msisdn_key = $1"
                                   " AND user_id = (SELECT user_id FROM phone_keys WHERE msisdn_key = $1)",
                                   1, pk, NULL);
    if (rc != STORE_OK)
        return rc;
    const char *p[] = { msisdn, user_id, key };
    rc = st_exec_some(s, "phone-bind",
                      "INSERT INTO phones (user_id, msisdn, msisdn_key)"
                      " SELECT $2, $1, $3 WHERE EXISTS (SELECT 1 FROM users WHERE id = $2)",
                      3, p, NULL, NULL);
    /* another transaction bound the same number at the same moment */
    return rc == STORE_CONFLICT ? STORE_RETRY : rc;
}

enum store_result store_phone_bind(struct store *s, const char *msisdn, const char *user_id)
{
    char key[MSISDN_KEY_SIZE];
    if (!msisdn_key(msisdn, key))
        return STORE_INVALID;
    if (!st_valid_id(user_id))
        return STORE_NOT_FOUND;
    enum store_result rc = st_tx_start(s);
    if (rc != STORE_OK)
        return rc;
    rc = bind_in_tx(s, msisdn, key, user_id);
    rc = st_tx_finish(s, rc);
    if (rc == STORE_OK)
        log_info("store: phone-bound user=%s", user_id);
    return rc;
}

enum store_result store_phone_unbind(struct store *s, const char *user_id, const char *msisdn)
{
    char key[MSISDN_KEY_SIZE];
    if (!msisdn_key(msisdn, key))
        return STORE_INVALID;
    if (!st_valid_id(user_id))
        return STORE_NOT_FOUND;
    const char *p[] = { key, user_id };
    return st_exec_some(s, "phone-unbind", "DELETE FROM phones WHERE msisdn_key = $1 AND user_id = $2",
                        2, p, NULL, NULL);
}

enum store_result store_phone_owner(struct store *s, const char *msisdn, struct store_phone_owner *out)
{
    char key[MSISDN_KEY_SIZE];
    if (!msisdn_key(msisdn, key))
        return STORE_NOT_FOUND;
    const char *p[] = { key };
    PGresult *r = NULL;
    enum store_result rc = st_exec(s, "phone-owner",
                                   "SELECT u.id, u.lang, u.lang_chosen, p.msisdn FROM phones p"
                                   " JOIN users u ON u.id = p.user_id WHERE p.msisdn_key = $1"
                                   " AND p.user_id = (SELECT user_id FROM phone_keys WHERE msisdn_key = $1)",
                                   1, p, &r);
    if (rc != STORE_OK)
        return rc;
    if (PQntuples(r) == 0) {
        rc = STORE_NOT_FOUND;
    } else {
        memset(out, 0, sizeof *out);
        snprintf(out->user_id, sizeof out->user_id, "%s", PQgetvalue(r, 0, 0));
        snprintf(out->lang, sizeof out->lang, "%s", PQgetvalue(r, 0, 1));
        out->lang_chosen = strcmp(PQgetvalue(r, 0, 2), "t") == 0;
        snprintf(out->msisdn, sizeof out->msisdn, "%s", PQgetvalue(r, 0, 3));
    }
    PQclear(r);
    return rc;
}

enum store_result store_phone_lookup(struct store *s, const char *msisdn, char user_id_out[STORE_ID_LEN])
{
    struct store_phone_owner o;
    enum store_result rc = store_phone_owner(s, msisdn, &o);
    if (rc == STORE_OK)
        memcpy(user_id_out, o.user_id, STORE_ID_LEN);
    return rc;
}

enum store_result store_phone_list(struct store *s, const char *user_id, char ***out, size_t *count)
{
    if (!st_valid_id(user_id))
        return STORE_NOT_FOUND;
    const char *p[] = { user_id };
    PGresult *r = NULL;
    enum store_result rc = st_exec(s, "phone-list",
                                   "SELECT msisdn FROM phones WHERE user_id = $1 ORDER BY bound_at DESC, msisdn",
                                   1, p, &r);
    if (rc != STORE_OK)
        return rc;
    size_t n = (size_t)PQntuples(r);
    char **v = xcalloc(n ? n : 1, sizeof *v);
    for (size_t i = 0; i < n; i++)
        v[i] = st_getdup(r, (int)i, 0);
    PQclear(r);
    *out = v;
    *count = n;
    return STORE_OK;
}

void store_strings_free(char **v, size_t count)
{
    for (size_t i = 0; v && i < count; i++)
        free(v[i]);
    free(v);
}

/* SHA-256 over user id, msisdn and code: a stored hash is useless for
 * another user or number. */
static void code_hash(const char *user_id, const char *msisdn, const char *code,
                      unsigned char out[crypto_hash_sha256_BYTES])
{
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, (const unsigned char *)user_id, strlen(user_id) + 1);
    crypto_hash_sha256_update(&st, (const unsigned char *)msisdn, strlen(msisdn) + 1);
    crypto_hash_sha256_update(&st, (const unsigned char *)code, strlen(code));
    crypto_hash_sha256_final(&st, out);
}

/* The template with its one "%s" replaced by code (never used as a format). */
static char *fill_template(const char *tpl, const char *code)
{
    const char *at = strstr(tpl, "%s");
    if (at == NULL)
        return NULL;
    return xasprintf("%.*s%s%s", (int)(at - tpl), tpl, code, at + 2);
}

/*
 * Limits of phone-linking codes (issue 11, point 2; store.h). One
 * transaction advisory lock (class CODE_LOCK) serialises every code start:
 * codes are few, and the counting and the send must be one step or two
 * parallel requests could both take the last code of an hour. Sends older
 * than the hour are deleted first, so phone_code_sends never holds more
 * than the budget; spent phone_codes rows (code expired, no wrong tries
 * remembered) go too.
 */
#define CODE_LOCK "1936291427"     /* advisory lock class; users.c uses 1936291426 */
#define CODE_WINDOW "interval '1 hour'"
#define NOW "(now() + $1::int * interval '1 second')"   /* $1: the test clock offset */

/* Inside the transaction, the lock held: STORE_OK when no limit stops a
 * code to key for rq, else STORE_THROTTLED with the limit and the wait. */
static enum store_result code_limits(struct store *s, const struct store_code_request *rq, const char *key,
                                     enum store_code_limit *hit, int *retry_after)
{
    char off[24], tries[24], acc[24], num[24], addr[24], all[24];
    st_lld(off, s->clock_offset_s);
    st_lld(tries, CODE_MAX_TRIES);
    st_lld(acc, rq->limits.per_account);
    st_lld(num, rq->limits.per_number);
    st_lld(addr, rq->limits.per_address);
    st_lld(all, rq->limits.budget);
    const char *p[] = { off, rq->user_id, key, rq->client, tries, acc, num, addr, all };
    PGresult *r = NULL;
    /* Each column: seconds until that limit lets a code through, NULL when
     * it does now. A limit of n is reached when the n-th newest send of its
     * kind in the window exists; it opens when that send leaves the window. */
#define NTH_NEWEST(where, n) \
    "(SELECT ceil(extract(epoch FROM sent_at + " CODE_WINDOW " - " NOW "))::bigint FROM w" where \
    " ORDER BY sent_at DESC OFFSET " n "::int - 1 LIMIT 1)"
    enum store_result rc = st_exec(s, "phone-code-limits",
        "WITH w AS (SELECT user_id, msisdn_key, client, sent_at FROM phone_code_sends"
        "   WHERE sent_at > " NOW " - " CODE_WINDOW ")"
        " SELECT (SELECT ceil(extract(epoch FROM tries_until - " NOW "))::bigint FROM phone_codes"
        "   WHERE user_id = $2 AND msisdn = $3 AND tries >= $5::int AND tries_until > " NOW "),"
        " " NTH_NEWEST(" WHERE user_id = $2", "$6") ","
        " " NTH_NEWEST(" WHERE msisdn_key = $3", "$7") ","
        " " NTH_NEWEST(" WHERE client = $4", "$8") ","
        " " NTH_NEWEST("", "$9"),
        9, p, &r);
#undef NTH_NEWEST
    if (rc != STORE_OK)
        return rc;
    int wait = 0;
    bool refused = false;
    static const enum store_code_limit order[] = { STORE_CODE_PAIR_LOCKED, STORE_CODE_PER_ACCOUNT,
                                                   STORE_CODE_PER_NUMBER, STORE_CODE_PER_ADDRESS,
                                                   STORE_CODE_BUDGET };
    for (int i = 0; i < 5; i++) {
        if (PQgetisnull(r, 0, i))
            continue;
        if (!refused && hit)
            *hit = order[i];
        refused = true;
        long long w = st_getll(r, 0, i);
        if (w > wait)
            wait = (int)w;
    }
    PQclear(r);
    if (!refused)
        return STORE_OK;
    if (retry_after)
        *retry_after = wait > 0 ? wait : 1;
    return STORE_THROTTLED;
}

static bool code_limits_valid(const struct store_code_limits *l)
{
    return l->per_account >= 1 && l->per_number >= 1 && l->per_address >= 1 && l->budget >= 1;
}

enum store_result store_phone_code_start(struct store *s, const struct store_code_request *rq,
                                         enum store_code_limit *hit, int *retry_after)
{
    char key[MSISDN_KEY_SIZE];
    if (rq == NULL || !msisdn_key(rq->msisdn, key) ||
        rq->text_template == NULL || rq->ttl_s <= 0 || rq->ttl_s > 86400 ||
        !st_valid_text(rq->text_template, 1024, false) || strstr(rq->text_template, "%s") == NULL ||
        rq->client == NULL || !st_valid_line(rq->client, LIMIT_PEER_MAX, true) || !code_limits_valid(&rq->limits))
        return STORE_INVALID;
    if (!st_valid_id(rq->user_id))
        return STORE_NOT_FOUND;
    if (sodium_init() < 0)
        return STORE_ERR;
    char code[STORE_CODE_LEN];
    snprintf(code, sizeof code, "%06u", (unsigned)randombytes_uniform(1000000));
    unsigned char hash[crypto_hash_sha256_BYTES];
    code_hash(rq->user_id, key, code, hash);
    char *text = fill_template(rq->text_template, code);
    char ttl[24], off[24];
    st_lld(ttl, rq->ttl_s);
    st_lld(off, s->clock_offset_s);
    const char *po[] = { off };

    enum store_result rc = st_tx_start(s);
    if (rc != STORE_OK)
        goto out;
    rc = st_exec(s, "phone-code-serialise", "SELECT pg_advisory_xact_lock(" CODE_LOCK ", 0)", 0, NULL, NULL);
    if (rc == STORE_OK)
        rc = st_exec(s, "phone-code-sends-expire",
                     "DELETE FROM phone_code_sends WHERE sent_at <= " NOW " - " CODE_WINDOW, 1, po, NULL);
    if (rc == STORE_OK)
        rc = st_exec(s, "phone-codes-expire",
                     "DELETE FROM phone_codes WHERE expires_at <= " NOW
                     " AND (tries_until IS NULL OR tries_until <= " NOW ")", 1, po, NULL);
    if (rc == STORE_OK)
        rc = code_limits(s, rq, key, hit, retry_after);
    if (rc == STORE_OK) {
        /* phone_codes.msisdn holds the key; the code is texted to msisdn as
         * typed. The pair's wrong tries stay: they are not this code's. */
        const char *p[] = { off, rq->user_id, key, (const char *)hash, ttl };
        const int len[] = { 0, 0, 0, (int)sizeof hash, 0 };
        const int fmt[] = { 0, 0, 0, 1, 0 };
        rc = st_exec_some(s, "phone-code-start",
                          "INSERT INTO phone_codes (user_id, msisdn, code_hash, expires_at)"
                          " SELECT $2, $3, $4, " NOW " + $5::int * interval '1 second'"
                          " WHERE EXISTS (SELECT 1 FROM users WHERE id = $2)"
                          " ON CONFLICT (user_id, msisdn) DO UPDATE SET code_hash = EXCLUDED.code_hash,"
                          "  expires_at = EXCLUDED.expires_at",
                          5, p, len, fmt);
    }
    if (rc == STORE_OK) {
        const char *p[] = { off, rq->user_id, key, rq->client };
        rc = st_exec(s, "phone-code-sent",
                     "INSERT INTO phone_code_sends (sent_at, user_id, msisdn_key, client) VALUES (" NOW ", $2, $3, $4)",
                     4, p, NULL);
    }
    if (rc == STORE_OK) {
        struct store_outbox_new mt = { .user_id = rq->user_id, .msisdn = rq->msisdn, .text = text, .text_len = strlen(text), .secret = true };
        long long id;
        rc = st_outbox_insert(s, &mt, &id);
    }
    rc = st_tx_finish(s, rc);
out:
    sodium_memzero(code, sizeof code);
    if (text) {
        sodium_memzero(text, strlen(text));
        free(text);
    }
    return rc;
}

enum store_result store_phone_code_confirm(struct store *s, const char *user_id, const char *msisdn,
                                           const char *code, int *retry_after)
{
    char key[MSISDN_KEY_SIZE];
    if (!msisdn_key(msisdn, key) || code == NULL)
        return STORE_DENIED;
    if (!st_valid_id(user_id))
        return STORE_NOT_FOUND;
    unsigned char hash[crypto_hash_sha256_BYTES];
    code_hash(user_id, key, code, hash);
    char off[24], tries[24];
    st_lld(off, s->clock_offset_s);
    st_lld(tries, CODE_MAX_TRIES);
    const char *p[] = { off, user_id, key, tries };
    PGresult *r = NULL;
    enum store_result rc = st_tx_start(s);
    if (rc != STORE_OK)
        return rc;
    /* Every try counts for the pair (a right one is deleted with the row
     * below). The tries of the last hour count; a locked pair stays locked
     * until an hour after its last wrong try, whatever is tried meanwhile. */
    rc = st_exec(s, "phone-code-try",
                 "UPDATE phone_codes SET"
                 " tries = CASE WHEN tries_until > " NOW " THEN tries + 1 ELSE 1 END,"
                 " tries_until = CASE WHEN tries >= $4::int AND tries_until > " NOW " THEN tries_until"
                 "  ELSE " NOW " + " CODE_WINDOW " END"
                 " WHERE user_id = $2 AND msisdn = $3"
                 " RETURNING code_hash, expires_at > " NOW ", tries,"
                 "  ceil(extract(epoch FROM tries_until - " NOW "))::bigint",
                 4, p, &r);
    if (rc == STORE_OK) {
        if (PQntuples(r) == 0) {
            rc = STORE_DENIED;
        } else if (st_getll(r, 0, 2) > CODE_MAX_TRIES) {
            if (retry_after)
                *retry_after = (int)st_getll(r, 0, 3);
            rc = STORE_THROTTLED;
        } else {
            size_t hlen = 0;
            unsigned char *stored = PQunescapeBytea((const unsigned char *)PQgetvalue(r, 0, 0), &hlen);
            bool live = PQgetvalue(r, 0, 1)[0] == 't';
            bool match = stored && hlen == sizeof hash && sodium_memcmp(stored, hash, sizeof hash) == 0;
            PQfreemem(stored);
            rc = live && match ? STORE_OK : STORE_DENIED;
        }
    }
    PQclear(r);
    if (rc == STORE_OK) {
        const char *pd[] = { user_id, key };
        rc = st_exec(s, "phone-code-used", "DELETE FROM phone_codes WHERE user_id = $1 AND msisdn = $2",
                     2, pd, NULL);
    }
    if (rc == STORE_OK)
        rc = bind_in_tx(s, msisdn, key, user_id);
    /* a wrong try is committed: the count of tries must survive it */
    bool commit = rc == STORE_OK || rc == STORE_DENIED || rc == STORE_THROTTLED;
    enum store_result end = st_tx_end(s, commit);
    if (commit && end != STORE_OK)
        rc = end;
    return rc;
}
