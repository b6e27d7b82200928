/*
 * store_testdb — test helper for suites that need PostgreSQL: a fresh,
 * uniquely named database per suite (created from SMSVAULT_TEST_PGURI, dropped
 * at the end), so suites run in any order and in parallel. Not used by the
 * programs.
 */
#ifndef SMSVAULT_STORE_TESTDB_H
#define SMSVAULT_STORE_TESTDB_H

#include "store.h"

/* Create database smsvault_t_<suite>_<pid> and migrate it. Returns 0, or -1
 * with a message on stderr (SMSVAULT_TEST_PGURI unset is a failure). */
int testdb_create(const char *suite);
/* The config the suite's stores use (conninfo of the fresh database; quota
 * defaults 10M/1M/10M/1G/1T, 3 free login failures). Borrowed; may be edited. */
struct store_config *testdb_config(void);
/* Open one more store on the suite's database (abort on failure). */
struct store *testdb_open(void);
void testdb_drop(void);
/* Run one SQL statement on the suite's database outside the store (test
 * inspection); returns the first column of the first row as a number, or -1. */
long long testdb_scalar(const char *sql);
/* testdb_scalar of a statement formatted like printf (test data only: the
 * values are the test's own, never input). */
long long testdb_scalarf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Another session of the suite's database that runs sql inside an open
 * transaction and keeps it open — its locks held — until testdb_release
 * (which rolls back). Aborts when sql fails. */
struct testdb_session;
struct testdb_session *testdb_hold(const char *sql);
void testdb_release(struct testdb_session *t);

/* Queue an outbox row (store_outbox_enqueue) of text from user_id to
 * msisdn: its id, or -1 (said on stderr). */
long long testdb_outbox_row(struct store *s, const char *user_id, const char *msisdn, const char *text);
/* An outbox row's state (enum store_outbox_state), or -1 when it cannot be read. */
int testdb_outbox_state(struct store *s, long long id);

#endif
