/*
 * users — accounts: creation with the initial allocation, password login with
 * per-account throttling, language, password change, listing. Passwords are
 * hashed with argon2id (libsodium crypto_pwhash_str) with 12 MiB of memory
 * and 3 passes, one of the equivalent settings OWASP's Password Storage
 * Cheat Sheet lists for argon2id (m=12 MiB, t=3, p=1). libsodium's
 * INTERACTIVE limits (64 MiB, ~50 ms here) would let a few parallel logins
 * take vaultbox and vaultweb to hundreds of MB; MODERATE took ~670 ms and
 * 256 MiB. Hashes made with other limits still verify: the limits are stored
 * in the hash string. It is not the session store (sessions.c).
 */
#include "store_int.h"

#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <uuid/uuid.h>

#include "alloc.h"
#include "log.h"

#define PWHASH_OPS 3ULL
#define PWHASH_MEM (12ULL << 20)
#define THROTTLE_CAP_S 900   /* the wait doubles per failure, up to 15 minutes */

static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;
static char dummy_hash[crypto_pwhash_STRBYTES];
static bool dummy_ok;

/* A hash of a random password: verifying against it costs what a real
 * account costs, so an unknown username answers in about the same time. */
static void dummy_init(void)
{
    unsigned char pw[16];
    if (sodium_init() < 0)
        return;
    randombytes_buf(pw, sizeof pw);
    dummy_ok = crypto_pwhash_str(dummy_hash, (const char *)pw, sizeof pw, PWHASH_OPS, PWHASH_MEM) == 0;
}

static void dummy_verify(const char *password)
{
    pthread_once(&dummy_once, dummy_init);
    /* the outcome is irrelevant (it never matches); the time spent is the point */
    if (dummy_ok && crypto_pwhash_str_verify(dummy_hash, password, strlen(password)) == 0)
        log_debug("store: dummy-hash-matched");
}

static bool valid_lang(const char *lang)
{
    return lang && (strcmp(lang, "en") == 0 || strcmp(lang, "zh") == 0);
}

static enum store_result hash_password(const char *password, char out[crypto_pwhash_STRBYTES])
{
    if (sodium_init() < 0 ||
        crypto_pwhash_str(out, password, strlen(password), PWHASH_OPS, PWHASH_MEM) != 0) {
        log_error("store: pwhash-failed");
        return STORE_ERR;
    }
    return STORE_OK;
}

void store_user_cleanup(struct store_user *u)
{
    if (u == NULL)
        return;
    free(u->username);
    u->username = NULL;
}

enum store_result store_user_create(struct store *s, const char *username, const char *password,
                                    const char *lang, char id_out[STORE_ID_LEN])
{
    if (lang == NULL)
        lang = "en";
    if (!store_username_valid(username) || !store_password_valid(password) || !valid_lang(lang))
        return STORE_INVALID;
    char hash[crypto_pwhash_STRBYTES];
    enum store_result rc = hash_password(password, hash);
    if (rc != STORE_OK)
        return rc;
    uuid_t u;
    char id[STORE_ID_LEN];
    uuid_generate(u);
    uuid_unparse_lower(u, id);
    char initial[24], capacity[24];
    st_lld(initial, s->cfg.initial_bytes);
    st_lld(capacity, s->cfg.capacity_bytes);

    rc = st_tx_start(s);
    if (rc != STORE_OK)
        return rc;
    const char *ins[] = { id, username, hash, lang, initial };
    rc = st_exec(s, "user-insert",
                 "INSERT INTO users (id, username, password_hash, lang, allocated_bytes)"
                 " VALUES ($1, $2, $3, $4, $5)", 5, ins, NULL);
    if (rc != STORE_OK)
        goto out;
    /* the initial allocation counts against the server capacity too */
    const char *cap[] = { initial, capacity };
    PGresult *r = NULL;
    rc = st_exec(s, "user-capacity",
                 "UPDATE server_space SET allocated_bytes = allocated_bytes + $1::bigint"
                 " WHERE allocated_bytes + $1::bigint <= $2::bigint RETURNING allocated_bytes",
                 2, cap, &r);
    if (rc == STORE_OK && PQntuples(r) == 0)
        rc = STORE_NO_SPACE;
    PQclear(r);
    if (rc != STORE_OK)
        goto out;
    const char *gr[] = { id, initial };
    rc = st_exec(s, "user-grant",
                 "INSERT INTO space_grants (user_id, initial, bytes_added, allocated_after)"
                 " VALUES ($1, true, $2, $2)", 2, gr, NULL);
out:
    rc = st_tx_finish(s, rc);
    sodium_memzero(hash, sizeof hash);
    if (rc == STORE_OK) {
        memcpy(id_out, id, STORE_ID_LEN);
        log_info("store: user-created user=%s", id);
    }
    return rc;
}

/* Inside a transaction holding the user's row lock: record one failed login. */
static enum store_result count_failure(struct store *s, const char *user_id)
{
    char nfree[24], off[24];
    st_lld(nfree, s->cfg.login_free_failures);
    st_lld(off, s->clock_offset_s);
    const char *p[] = { user_id, nfree, off, "900" };
    return st_exec(s, "login-failure",
                   "UPDATE users SET failed_logins = failed_logins + 1,"
                   " throttled_until = CASE WHEN failed_logins + 1 >= $2::int"
                   "  THEN now() + $3::int * interval '1 second'"
                   "   + least($4::int, power(2, least(failed_logins + 1 - $2::int, 20)))"
                   "     * interval '1 second'"
                   "  ELSE NULL END"
                   " WHERE id = $1", 4, p, NULL);
}

/* Lock the account and check its throttle. On STORE_OK writes the id and
 * hash (caller frees); STORE_THROTTLED writes *retry_after. */
static enum store_result lock_account(struct store *s, const char *by, const char *key,
                                      char id_out[STORE_ID_LEN], char **hash_out, int *retry_after)
{
    char off[24];
    st_lld(off, s->clock_offset_s);
    const char *p[] = { key, off };
    PGresult *r = NULL;
    const char *sql = strcmp(by, "name") == 0
        ? "SELECT id, password_hash, ceil(extract(epoch FROM throttled_until"
          " - (now() + $2::int * interval '1 second')))::bigint"
          " FROM users WHERE lower(username) = lower($1) FOR NO KEY UPDATE"
        : "SELECT id, password_hash, ceil(extract(epoch FROM throttled_until"
          " - (now() + $2::int * interval '1 second')))::bigint"
          " FROM users WHERE id = $1 FOR NO KEY UPDATE";
    enum store_result rc = st_exec(s, "login-lock", sql, 2, p, &r);
    if (rc != STORE_OK)
        return rc;
    if (PQntuples(r) == 0) {
        rc = STORE_NOT_FOUND;
    } else if (st_getll(r, 0, 2) > 0) {
        if (retry_after)
            *retry_after = (int)st_getll(r, 0, 2);
        rc = STORE_THROTTLED;
    } else {
        snprintf(id_out, STORE_ID_LEN, "%s", PQgetvalue(r, 0, 0));
        *hash_out = xstrdup(PQgetvalue(r, 0, 1));
    }
    PQclear(r);
    return rc;
}

static enum store_result reset_failures(struct store *s, const char *user_id)
{
    const char *p[] = { user_id };
    return st_exec(s, "login-reset",
                   "UPDATE users SET failed_logins = 0, throttled_until = NULL"
                   " WHERE id = $1 AND (failed_logins <> 0 OR throttled_until IS NOT NULL)",
                   1, p, NULL);
}

/* Check password against the locked account: STORE_OK or STORE_DENIED (failure
 * counted). */
static enum store_result check_password(struct store *s, const char *id, const char *hash,
                                        const char *password)
{
    if (crypto_pwhash_str_verify(hash, password, strlen(password)) == 0)
        return reset_failures(s, id);
    enum store_result rc = count_failure(s, id);
    return rc == STORE_OK ? STORE_DENIED : rc;
}

enum store_result store_user_login(struct store *s, const char *username, const char *password,
                                   char id_out[STORE_ID_LEN], int *retry_after)
{
    /* a password outside the rules can never match: refused before hashing */
    if (password == NULL || strnlen(password, LIMIT_PASSWORD_MAX + 1) > LIMIT_PASSWORD_MAX)
        return STORE_DENIED;
    if (!store_username_valid(username)) {
        dummy_verify(password);
        return STORE_DENIED;
    }
    char id[STORE_ID_LEN];
    char *hash = NULL;
    enum store_result rc = st_tx_start(s);
    if (rc != STORE_OK)
        return rc;
    rc = lock_account(s, "name", username, id, &hash, retry_after);
    if (rc == STORE_NOT_FOUND) {
        dummy_verify(password);
        rc = STORE_DENIED;
    } else if (rc == STORE_OK) {
        rc = check_password(s, id, hash, password);
    }
    /* a failure is committed: the counter must survive the refusal */
    bool commit = rc == STORE_OK || rc == STORE_DENIED || rc == STORE_THROTTLED;
    enum store_result end = st_tx_end(s, commit);
    if (commit && end != STORE_OK)
        rc = end;
    free(hash);
    if (rc == STORE_OK)
        memcpy(id_out, id, STORE_ID_LEN);
    else if (rc == STORE_THROTTLED)
        log_info("store: login-throttled");
    return rc;
}

enum store_result store_user_set_password(struct store *s, const char *user_id,
                                          const char *old_password, const char *new_password)
{
    if (!store_password_valid(new_password))
        return STORE_INVALID;
    if (old_password == NULL || strnlen(old_password, LIMIT_PASSWORD_MAX + 1) > LIMIT_PASSWORD_MAX)
        return STORE_DENIED;
    if (!st_valid_id(user_id))
        return STORE_NOT_FOUND;
    char newhash[crypto_pwhash_STRBYTES];
    enum store_result rc = hash_password(new_password, newhash);
    if (rc != STORE_OK)
        return rc;
    char id[STORE_ID_LEN];
    char *hash = NULL;
    rc = st_tx_start(s);
    if (rc != STORE_OK)
        return rc;
    rc = lock_account(s, "id", user_id, id, &hash, NULL);
    if (rc == STORE_OK)
        rc = check_password(s, id, hash, old_password);
    if (rc == STORE_OK) {
        const char *p[] = { user_id, newhash };
        rc = st_exec(s, "user-set-password", "UPDATE users SET password_hash = $2 WHERE id = $1",
                     2, p, NULL);
    }
    if (rc == STORE_OK) {
        const char *p[] = { user_id };
        rc = st_exec(s, "user-end-sessions", "DELETE FROM sessions WHERE user_id = $1", 1, p, NULL);
    }
    bool commit = rc == STORE_OK || rc == STORE_DENIED || rc == STORE_THROTTLED;
    enum store_result end = st_tx_end(s, commit);
    if (commit && end != STORE_OK)
        rc = end;
    free(hash);
    sodium_memzero(newhash, sizeof newhash);
    return rc;
}

#define USER_COLS "id, username, lang, allocated_bytes, used_bytes, extract(epoch FROM created_at)::bigint," \
    " lang_chosen"

static void user_from_row(const PGresult *r, int row, struct store_user *u)
{
    memset(u, 0, sizeof *u);
    snprintf(u->id, sizeof u->id, "%s", PQgetvalue(r, row, 0));
    u->username = st_getdup(r, row, 1);
    snprintf(u->lang, sizeof u->lang, "%s", PQgetvalue(r, row, 2));
    u->allocated_bytes = st_getll(r, row, 3);
    u->used_bytes = st_getll(r, row, 4);
    u->created_at = st_gettime(r, row, 5);
    u->lang_chosen = strcmp(PQgetvalue(r, row, 6), "t") == 0;
}

static enum store_result user_query(struct store *s, const char *name, const char *sql,
                                    const char *key, struct store_user *out)
{
    PGresult *r = NULL;
    const char *p[] = { key };
    enum store_result rc = st_exec(s, name, sql, 1, p, &r);
    if (rc != STORE_OK)
        return rc;
    if (PQntuples(r) == 0)
        rc = STORE_NOT_FOUND;
    else
        user_from_row(r, 0, out);
    PQclear(r);
    return rc;
}

enum store_result store_user_get(struct store *s, const char *user_id, struct store_user *out)
{
    if (!st_valid_id(user_id))
        return STORE_NOT_FOUND;
    return user_query(s, "user-get", "SELECT " USER_COLS " FROM users WHERE id = $1", user_id, out);
}

enum store_result store_user_by_name(struct store *s, const char *username, struct store_user *out)
{
    if (!store_username_valid(username))
        return STORE_NOT_FOUND;
    return user_query(s, "user-by-name",
                      "SELECT " USER_COLS " FROM users WHERE lower(username) = lower($1)", username, out);
}

enum store_result store_user_set_lang(struct store *s, const char *user_id, const char *lang)
{
    if (!valid_lang(lang))
        return STORE_INVALID;
    if (!st_valid_id(user_id))
        return STORE_NOT_FOUND;
    const char *p[] = { user_id, lang };
    return st_exec_some(s, "user-set-lang", "UPDATE users SET lang = $2, lang_chosen = true WHERE id = $1",
                        2, p, NULL, NULL);
}

enum store_result store_user_list(struct store *s, struct store_user **out, size_t *count)
{
    PGresult *r = NULL;
    enum store_result rc = st_exec(s, "user-list",
                                   "SELECT " USER_COLS " FROM users ORDER BY lower(username)", 0, NULL, &r);
    if (rc != STORE_OK)
        return rc;
    size_t n = (size_t)PQntuples(r);
    struct store_user *v = xcalloc(n ? n : 1, sizeof *v);
    for (size_t i = 0; i < n; i++)
        user_from_row(r, (int)i, &v[i]);
    PQclear(r);
    *out = v;
    *count = n;
    return STORE_OK;
}

void store_user_list_free(struct store_user *users, size_t count)
{
    for (size_t i = 0; users && i < count; i++)
        store_user_cleanup(&users[i]);
    free(users);
}
