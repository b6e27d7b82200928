/*
 * migrate — applies the embedded numbered migrations in order, each in its
 * own transaction, and records each in schema_version. A session advisory
 * lock serialises concurrent starts (two vaultboxes and a vaultweb may all
 * migrate at boot). It never edits or reverts an applied migration.
 */
#include "store_int.h"

#include <stdio.h>
#include <stdlib.h>

#include "log.h"
#include "migrate.h"

/* advisory lock key: "smsvault" as a number, shared by every process */
#define MIGRATE_LOCK "7310582346911290368"

static const char create_version_sql[] =
    "CREATE TABLE IF NOT EXISTS schema_version ("
    " version integer PRIMARY KEY, name text NOT NULL,"
    " applied_at timestamptz NOT NULL DEFAULT now())";

static enum store_result apply_one(struct store *s, const struct migration *m)
{
    char ver[24];
    st_lld(ver, m->version);
    const char *params[] = { ver, m->name };
    enum store_result rc = st_exec(s, "migrate-begin", "BEGIN", 0, NULL, NULL);
    if (rc != STORE_OK)
        return rc;
    PGresult *r = PQexec(s->conn, m->sql);   /* several statements: simple protocol */
    rc = st_check(s, r, m->name);
    PQclear(r);
    if (rc == STORE_OK)
        rc = st_exec(s, "migrate-record", "INSERT INTO schema_version (version, name) VALUES ($1, $2)",
                     2, params, NULL);
    if (rc == STORE_OK)
        rc = st_exec(s, "migrate-commit", "COMMIT", 0, NULL, NULL);
    if (rc != STORE_OK) {
        PGresult *rb = PQexec(s->conn, "ROLLBACK");
        PQclear(rb);
        log_error("store: migration-failed version=%d name=%s", m->version, m->name);
        return rc;
    }
    log_info("store: migrated version=%d name=%s", m->version, m->name);
    return STORE_OK;
}

enum store_result store_migrate(struct store *s)
{
    if (s->explicit_tx)
        return STORE_ERR;
    enum store_result rc = st_exec(s, "migrate-lock", "SELECT pg_advisory_lock(" MIGRATE_LOCK ")",
                                   0, NULL, NULL);
    if (rc != STORE_OK)
        return rc;
    rc = st_exec(s, "migrate-version-table", create_version_sql, 0, NULL, NULL);
    int current = 0;
    if (rc == STORE_OK)
        rc = store_schema_version(s, &current);
    for (size_t i = 0; rc == STORE_OK && i < migrations_count; i++)
        if (migrations[i].version > current)
            rc = apply_one(s, &migrations[i]);
    (void)st_exec(s, "migrate-unlock", "SELECT pg_advisory_unlock(" MIGRATE_LOCK ")", 0, NULL, NULL);
    return rc;
}

enum store_result store_schema_version(struct store *s, int *out)
{
    PGresult *r = NULL;
    enum store_result rc = st_exec(s, "schema-version-table",
                                   "SELECT to_regclass('schema_version') IS NOT NULL", 0, NULL, &r);
    if (rc != STORE_OK)
        return rc;
    bool exists = PQgetvalue(r, 0, 0)[0] == 't';
    PQclear(r);
    r = NULL;
    int version = 0;
    if (exists) {
        rc = st_exec(s, "schema-version", "SELECT coalesce(max(version), 0) FROM schema_version",
                     0, NULL, &r);
        if (rc != STORE_OK)
            return rc;
        version = (int)st_getll(r, 0, 0);
        PQclear(r);
    }
    *out = version;
    return STORE_OK;
}
