/*
 * phones — which user an MSISDN belongs to (one MSISDN, one user; a user may
 * have several), and binding a phone from the web with a texted one-time
 * code. It does not send anything itself: the code goes into the outbox in
 * the same transaction and vaultbox delivers it.
 */
#include "store_int.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "log.h"
#include "msisdn.h"

#define CODE_MAX_TRIES 5

/* Inside a transaction: move the phone msisdn to user_id (one phone, one
 * user: whoever had a number with the same key loses it). */
static enum store_result bind_in_tx(struct store *s, const char *msisdn, const char *key, const char *user_id)
{
    const char *pk[] = { key };
    enum store_result rc = st_exec(s, "phone-unbind-key", "DELETE FROM phones WHERE msisdn_key = $1", 1, pk, NULL);
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
                                   " JOIN users u ON u.id = p.user_id WHERE p.msisdn_key = $1", 1, p, &r);
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

enum store_result store_phone_code_start(struct store *s, const char *user_id, const char *msisdn,
                                         const char *text_template, int ttl_s)
{
    char key[MSISDN_KEY_SIZE];
    if (!msisdn_key(msisdn, key) || text_template == NULL || ttl_s <= 0 || ttl_s > 86400 ||
        !st_valid_text(text_template, 1024, false) || strstr(text_template, "%s") == NULL)
        return STORE_INVALID;
    if (!st_valid_id(user_id))
        return STORE_NOT_FOUND;
    if (sodium_init() < 0)
        return STORE_ERR;
    char code[STORE_CODE_LEN];
    snprintf(code, sizeof code, "%06u", (unsigned)randombytes_uniform(1000000));
    unsigned char hash[crypto_hash_sha256_BYTES];
    code_hash(user_id, key, code, hash);
    char *text = fill_template(text_template, code);
    char ttl[24], off[24];
    st_lld(ttl, ttl_s);
    st_lld(off, s->clock_offset_s);
    /* phone_codes.msisdn holds the key; the code is texted to msisdn as typed */
    const char *p[] = { user_id, key, (const char *)hash, ttl, off };
    const int len[] = { 0, 0, (int)sizeof hash, 0, 0 };
    const int fmt[] = { 0, 0, 1, 0, 0 };

    enum store_result rc = st_tx_start(s);
    if (rc != STORE_OK)
        goto out;
    rc = st_exec_some(s, "phone-code-start",
                     "INSERT INTO phone_codes (user_id, msisdn, code_hash, expires_at)"
                     " SELECT $1, $2, $3, now() + ($5::int + $4::int) * interval '1 second'"
                     " WHERE EXISTS (SELECT 1 FROM users WHERE id = $1)"
                     " ON CONFLICT (user_id, msisdn) DO UPDATE SET code_hash = EXCLUDED.code_hash,"
                     "  expires_at = EXCLUDED.expires_at, tries = 0",
                     5, p, len, fmt);
    if (rc == STORE_OK) {
        struct store_outbox_new mt = { user_id, msisdn, text, strlen(text), STORE_MT_CODE };
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
                                           const char *code)
{
    char key[MSISDN_KEY_SIZE];
    if (!msisdn_key(msisdn, key) || code == NULL)
        return STORE_DENIED;
    if (!st_valid_id(user_id))
        return STORE_NOT_FOUND;
    unsigned char hash[crypto_hash_sha256_BYTES];
    code_hash(user_id, key, code, hash);
    char off[24];
    st_lld(off, s->clock_offset_s);
    const char *p[] = { user_id, key, off };
    PGresult *r = NULL;
    enum store_result rc = st_tx_start(s);
    if (rc != STORE_OK)
        return rc;
    rc = st_exec(s, "phone-code-lock",
                 "UPDATE phone_codes SET tries = tries + 1 WHERE user_id = $1 AND msisdn = $2"
                 " RETURNING code_hash, expires_at > now() + $3::int * interval '1 second', tries",
                 3, p, &r);
    if (rc == STORE_OK) {
        if (PQntuples(r) == 0) {
            rc = STORE_DENIED;
        } else {
            size_t hlen = 0;
            unsigned char *stored = PQunescapeBytea((const unsigned char *)PQgetvalue(r, 0, 0), &hlen);
            bool live = PQgetvalue(r, 0, 1)[0] == 't';
            bool tries_ok = st_getll(r, 0, 2) <= CODE_MAX_TRIES;
            bool match = stored && hlen == sizeof hash && sodium_memcmp(stored, hash, sizeof hash) == 0;
            PQfreemem(stored);
            rc = live && tries_ok && match ? STORE_OK : STORE_DENIED;
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
    bool commit = rc == STORE_OK || rc == STORE_DENIED;
    enum store_result end = st_tx_end(s, commit);
    if (commit && end != STORE_OK)
        rc = end;
    return rc;
}
