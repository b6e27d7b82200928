/*
 * migrate — the table of embedded schema migrations (generated at build time
 * from store/migrations/NNN_name.sql by embed_migrations.cmake). Applying them
 * is store_migrate() in migrate.c.
 */
#ifndef SMSVAULT_MIGRATE_H
#define SMSVAULT_MIGRATE_H

#include <stddef.h>

struct migration {
    int version;        /* NNN of the file name */
    const char *name;   /* file name without .sql */
    const char *sql;
};

extern const struct migration migrations[];
extern const size_t migrations_count;

#endif
