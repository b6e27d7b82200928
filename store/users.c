/*
 * users — accounts: creation with the initial allocation, password login with
 * throttling per name tried (accounts and unknown names alike), language,
 * password change, listing. Passwords are
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
#include <stdint.h>
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

/*
 * The login throttle (issue 11, point 1: no account oracle). Failures are
 * counted per name tried — folded as names are compared, whether or not it
 * is an account, whether or not it keeps the username rules — so that a
 * name nobody has is throttled after the same tries, with the same wait, as
 * a real one; SMS LOGIN and the web share it through store_user_login. An
 * attempt holds a transaction advisory lock on its name (class NAME_LOCK,
 * object the first bytes of the name's hash) while it checks, verifies and
 * counts, so parallel attempts on one name are counted one after another,
 * for accounts and unknown names alike. A throttled attempt reads only
 * login_throttle — never users, never a hash — so it costs the same
 * whatever the name. Rows: migration 006; each is forgotten THROTTLE_FORGET_S
 * after its wait ends, and each failure deletes up to THROTTLE_PRUNE
 * forgotten ones, so storage is the names tried in about the last hour.
 */
#define NAME_LOCK "1936291426"     /* advisory lock class; outbox.c uses 1936291425 */
#define THROTTLE_FORGET_S 3600
#define THROTTLE_PRUNE 16

struct name_key {
    unsigned char hash[crypto_hash_sha256_BYTES];
    char lock[24];                 /* int4 of the hash's first bytes, for the advisory lock */
};

static void name_key(const char *name, struct name_key *k)
{
    char *folded = store_username_fold(name);
    crypto_hash_sha256(k->hash, (const unsigned char *)folded, strlen(folded));
    sodium_memzero(folded, strlen(folded));   /* it may be a password typed in the wrong field */
    free(folded);
    int32_t v = (int32_t)((uint32_t)k->hash[0] << 24 | (uint32_t)k->hash[1] << 16 |
                          (uint32_t)k->hash[2] << 8 | k->hash[3]);
    st_lld(k->lock, v);
}

/* Inside a transaction: take the name's lock, then STORE_OK when it may be
 * tried, STORE_THROTTLED (the seconds left in *retry_after, if not NULL)
 * when not. */
static enum store_result throttle_check(struct store *s, const struct name_key *k, int *retry_after)
{
    const char *pl[] = { k->lock };
    enum store_result rc = st_exec(s, "login-name-lock", "SELECT pg_advisory_xact_lock(" NAME_LOCK ", $1::int)",
                                   1, pl, NULL);
    if (rc != STORE_OK)
        return rc;
    char off[24];
    st_lld(off, s->clock_offset_s);
    const char *p[] = { (const char *)k->hash, off };
    const int len[] = { (int)sizeof k->hash, 0 };
    const int fmt[] = { 1, 0 };
    PGresult *r = NULL;
    /* a new statement, so that its snapshot sees what the lock's last holder committed */
    rc = st_exec_bin(s, "login-throttle-check",
                     "SELECT ceil(extract(epoch FROM throttled_until - (now() + $2::int * interval '1 second')))::bigint"
                     " FROM login_throttle WHERE name_hash = $1"
                     "  AND throttled_until > now() + $2::int * interval '1 second'",
                     2, p, len, fmt, &r);
    if (rc != STORE_OK)
        return rc;
    if (PQntuples(r) > 0) {
        if (retry_after)
            *retry_after = (int)st_getll(r, 0, 0);
        rc = STORE_THROTTLED;
    }
    PQclear(r);
    return rc;
}

/* Inside a transaction holding the name's lock: count one failure. From
 * login_free_failures on, each failure sets a wait that doubles: 1 s, 2 s,
 * 4 s, ... up to THROTTLE_CAP_S. A forgotten row counts from 1 again. Then
 * a few forgotten rows of any name go. */
static enum store_result throttle_fail(struct store *s, const struct name_key *k)
{
    char nfree[24], off[24], cap[24], forget[24], prune[24];
    st_lld(nfree, s->cfg.login_free_failures);
    st_lld(off, s->clock_offset_s);
    st_lld(cap, THROTTLE_CAP_S);
    st_lld(forget, THROTTLE_FORGET_S);
    const char *p[] = { (const char *)k->hash, nfree, off, cap, forget };
    const int len[] = { (int)sizeof k->hash, 0, 0, 0, 0 };
    const int fmt[] = { 1, 0, 0, 0, 0 };
    enum store_result rc = st_exec_bin(s, "login-throttle-fail",
        "WITH n AS (SELECT coalesce((SELECT failures FROM login_throttle WHERE name_hash = $1"
        "   AND forget_at > now() + $3::int * interval '1 second'), 0) + 1 AS f),"
        " w AS (SELECT f, CASE WHEN f >= $2::int"
        "   THEN least($4::int, power(2, least(f - $2::int, 20)))::int END AS wait FROM n)"
        " INSERT INTO login_throttle AS t (name_hash, failures, throttled_until, forget_at)"
        " SELECT $1, f, now() + ($3::int + wait) * interval '1 second',"
        "  now() + ($3::int + coalesce(wait, 0) + $5::int) * interval '1 second' FROM w"
        " ON CONFLICT (name_hash) DO UPDATE SET failures = EXCLUDED.failures,"
        "  throttled_until = EXCLUDED.throttled_until, forget_at = EXCLUDED.forget_at",
        5, p, len, fmt, NULL);
    if (rc != STORE_OK)
        return rc;
    st_lld(prune, THROTTLE_PRUNE);
    const char *pp[] = { off, prune };
    return st_exec(s, "login-throttle-prune",
                   "DELETE FROM login_throttle WHERE name_hash IN (SELECT name_hash FROM login_throttle"
                   " WHERE forget_at <= now() + $1::int * interval '1 second'"
                   " ORDER BY forget_at LIMIT $2::int FOR UPDATE SKIP LOCKED)", 2, pp, NULL);
}

/* A success clears the name's failures. */
static enum store_result throttle_clear(struct store *s, const struct name_key *k)
{
    const char *p[] = { (const char *)k->hash };
    const int len[] = { (int)sizeof k->hash };
    const int fmt[] = { 1 };
    return st_exec_bin(s, "login-throttle-clear", "DELETE FROM login_throttle WHERE name_hash = $1",
                       1, p, len, fmt, NULL);
}

/* Inside a transaction, the name's lock held: password against hash (or
 * against the dummy when hash is NULL: no such account), and the outcome
 * counted for the name. STORE_OK or STORE_DENIED. */
static enum store_result check_password(struct store *s, const struct name_key *k, const char *hash,
                                        const char *password)
{
    bool ok;
    if (hash == NULL) {
        dummy_verify(password);
        ok = false;
    } else {
        ok = crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
    }
    if (ok)
        return throttle_clear(s, k);
    enum store_result rc = throttle_fail(s, k);
    return rc == STORE_OK ? STORE_DENIED : rc;
}

/* The account's id, hash and (by id) name: by "name" (not locked: a login
 * writes nothing of users) or by "id" (row locked: its password may
 * change). STORE_NOT_FOUND when there is none. Caller frees the strings. */
static enum store_result find_account(struct store *s, const char *by, const char *key,
                                      char id_out[STORE_ID_LEN], char **hash_out, char **name_out)
{
    const char *p[] = { key };
    PGresult *r = NULL;
    const char *sql = strcmp(by, "name") == 0
        ? "SELECT id, password_hash, username FROM users WHERE lower(username) = lower($1)"
        : "SELECT id, password_hash, username FROM users WHERE id = $1 FOR NO KEY UPDATE";
    enum store_result rc = st_exec(s, "login-find", sql, 1, p, &r);
    if (rc != STORE_OK)
        return rc;
    if (PQntuples(r) == 0) {
        rc = STORE_NOT_FOUND;
    } else {
        snprintf(id_out, STORE_ID_LEN, "%s", PQgetvalue(r, 0, 0));
        *hash_out = st_getdup(r, 0, 1);
        if (name_out)
            *name_out = st_getdup(r, 0, 2);
    }
    PQclear(r);
    return rc;
}

/* The end of a login-like transaction: a failure and a throttle are
 * committed too (the count must survive the refusal). */
static enum store_result login_end(struct store *s, enum store_result rc)
{
    bool commit = rc == STORE_OK || rc == STORE_DENIED || rc == STORE_THROTTLED;
    enum store_result end = st_tx_end(s, commit);
    return commit && end != STORE_OK ? end : rc;
}

enum store_result store_user_login(struct store *s, const char *username, const char *password,
                                   char id_out[STORE_ID_LEN], int *retry_after)
{
    /* a password outside the rules can never match: refused before hashing */
    if (username == NULL || password == NULL || strnlen(password, LIMIT_PASSWORD_MAX + 1) > LIMIT_PASSWORD_MAX)
        return STORE_DENIED;
    struct name_key k;
    name_key(username, &k);
    char id[STORE_ID_LEN];
    char *hash = NULL;
    enum store_result rc = st_tx_start(s);
    if (rc != STORE_OK)
        return rc;
    rc = throttle_check(s, &k, retry_after);
    if (rc != STORE_OK)
        goto out;
    /* a name outside the rules is no account; it is tried all the same */
    rc = store_username_valid(username) ? find_account(s, "name", username, id, &hash, NULL) : STORE_NOT_FOUND;
    if (rc == STORE_OK || rc == STORE_NOT_FOUND)
        rc = check_password(s, &k, rc == STORE_OK ? hash : NULL, password);
out:
    rc = login_end(s, rc);
    free(hash);
    if (rc == STORE_OK)
        memcpy(id_out, id, STORE_ID_LEN);
    else if (rc == STORE_THROTTLED)
        log_info("store: login-throttled");
    return rc;
}

enum store_result store_user_set_password(struct store *s, const char *user_id, const char *old_password,
                                          const char *new_password, int *retry_after)
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
    char *hash = NULL, *name = NULL;
    struct name_key k;
    rc = st_tx_start(s);
    if (rc != STORE_OK)
        goto out;
    rc = find_account(s, "id", user_id, id, &hash, &name);
    /* the account's name is throttled as a login of it would be */
    if (rc == STORE_OK) {
        name_key(name, &k);
        rc = throttle_check(s, &k, retry_after);
    }
    if (rc == STORE_OK)
        rc = check_password(s, &k, hash, old_password);
    if (rc == STORE_OK) {
        const char *p[] = { user_id, newhash };
        rc = st_exec(s, "user-set-password", "UPDATE users SET password_hash = $2 WHERE id = $1",
                     2, p, NULL);
    }
    if (rc == STORE_OK) {
        const char *p[] = { user_id };
        rc = st_exec(s, "user-end-sessions", "DELETE FROM sessions WHERE user_id = $1", 1, p, NULL);
    }
    rc = login_end(s, rc);
out:
    free(hash);
    free(name);
    sodium_memzero(newhash, sizeof newhash);
    return rc;
}

#define USER_COLS "id, username, lang, allocated_bytes, used_bytes, extract(epoch FROM created_at)::bigint," \
    " lang_chosen"

static void user_from_row(const PGresult *r, int row, void *dst)
{
    struct store_user *u = dst;
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
    const char *p[] = { key };
    return st_row_get(s, name, sql, 1, p, user_from_row, out);
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
    *out = st_rows_decode(r, n, sizeof **out, user_from_row);
    PQclear(r);
    *count = n;
    return STORE_OK;
}

void store_user_list_free(struct store_user *users, size_t count)
{
    for (size_t i = 0; users && i < count; i++)
        store_user_cleanup(&users[i]);
    free(users);
}
