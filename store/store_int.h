/*
 * store_int — what the store's own files share: the connection object, the
 * one result checker, the statement helpers and the transaction frame that
 * every exported function runs in. Not installed, not seen outside store/.
 */
#ifndef SMSVAULT_STORE_INT_H
#define SMSVAULT_STORE_INT_H

#include <libpq-fe.h>

#include "buf.h"
#include "store.h"

struct store {
    PGconn *conn;
    struct store_config cfg;   /* copy; conninfo owned */
    bool explicit_tx;          /* the caller ran store_tx_begin */
    bool own_tx;               /* an exported function's own BEGIN is open */
    int depth;                 /* savepoints open inside the explicit transaction */
    int clock_offset_s;        /* test-only: added to now() where expiry is checked */
    bool listening;
    bool reset_needed;         /* the session cannot write (a standby): connect again before the next use */
};

/* Run sql with text parameters (values may be NULL = SQL NULL). name is the
 * statement's name for the log. On STORE_OK *out (if out is not NULL) holds
 * the result; on any other result nothing is left to clear. */
enum store_result st_exec(struct store *s, const char *name, const char *sql,
                          int n, const char *const *values, PGresult **out);
/* Same with lengths and formats (1 = binary, for bytea). */
enum store_result st_exec_bin(struct store *s, const char *name, const char *sql, int n,
                              const char *const *values, const int *lengths, const int *formats,
                              PGresult **out);
/* Run a statement that must touch at least one row: STORE_NOT_FOUND when it
 * touched none. lengths/formats may be NULL (text parameters). */
enum store_result st_exec_some(struct store *s, const char *name, const char *sql, int n,
                               const char *const *values, const int *lengths, const int *formats);
/* The checker: maps a result's status and SQLSTATE to a store result, logs
 * the statement name (never the data). Does not clear. */
enum store_result st_check(struct store *s, const PGresult *r, const char *name);

/* The transaction frame of an exported function: BEGIN (or SAVEPOINT inside
 * the caller's explicit transaction) ... st_tx_end(commit). st_tx_end with
 * commit=false rolls back (to the savepoint); with commit=true it commits
 * (releases) and returns STORE_RETRY/STORE_ERR when that fails. */
enum store_result st_tx_start(struct store *s);
enum store_result st_tx_end(struct store *s, bool commit);
/* Convenience: end with commit when rc is STORE_OK, else roll back; returns
 * the final result. */
enum store_result st_tx_finish(struct store *s, enum store_result rc);

/* Parameter text helpers. */
void st_lld(char buf[24], long long v);
long long st_getll(const PGresult *r, int row, int col);
/* time_t from an epoch column; NULL gives 0. */
time_t st_gettime(const PGresult *r, int row, int col);
char *st_getdup(const PGresult *r, int row, int col);   /* "" for NULL */

/* True when id is a textual UUID (the only form user ids take). */
bool st_valid_id(const char *id);
/* UTF-8, no NUL, 0 < len <= max (allow_empty: 0 allowed). */
bool st_valid_text(const char *s, size_t max, bool allow_empty);
/* st_valid_text, and one line: no control characters (names, numbers, types). */
bool st_valid_line(const char *s, size_t max, bool allow_empty);
/* "sms", "web", "import" or "mm7". */
bool st_valid_source(const char *src);

/* A PostgreSQL array literal ({"a","b",NULL}) built for one $n parameter of
 * type text[] or bigint[]: the data still travels as a parameter, never as
 * SQL text. Elements are appended in order; st_array_get closes the literal
 * (once) and returns it. Text must hold no NUL (validated input only). */
struct st_array {
    struct buf text;
    bool closed;
};
void st_array_init(struct st_array *a);
void st_array_text(struct st_array *a, const char *v, size_t len);   /* v NULL: a NULL element */
void st_array_ll(struct st_array *a, long long v);
void st_array_null(struct st_array *a);
const char *st_array_get(struct st_array *a);
void st_array_cleanup(struct st_array *a);

/* ---- space (space.c), called inside an item's transaction ---- */

/* Lock the user's row, make room for size bytes (growing the allocation by the
 * rules of the patent, step 2), charge them and take the next number of kind.
 * STORE_NOT_FOUND: no such user; STORE_NO_SPACE: nothing changed. When
 * dup_check is not NULL it runs under the row lock before anything is
 * charged and its result (STORE_CONFLICT) ends the function. */
typedef enum store_result st_dup_fn(struct store *s, void *ctx);
enum store_result st_space_charge(struct store *s, const char *user_id, enum store_kind kind,
                                  long long size, st_dup_fn *dup_check, void *dup_ctx,
                                  long long *n_out);

/* Batch form for count items of one kind, in order, under one row lock: the
 * user's row is locked, dup_check (if not NULL) runs and may set skip[i] for
 * items that are not to be stored, then the sizes of the other items are
 * charged in order until one does not fit — all of them charged at once and
 * the allocation grown at most once, by the rules above with the sum of the
 * sizes as the upload. *fit_out is the index of the first item that does not
 * fit (count when all fit); the items before it that are not skipped get
 * numbers first_n, first_n + 1, ... in order (*first_n_out). STORE_NO_SPACE:
 * no item could be charged and one was refused; nothing changed (the caller
 * rolls back), skip[] and *fit_out are still written. */
enum store_result st_space_charge_many(struct store *s, const char *user_id, enum store_kind kind,
                                       const long long *sizes, bool *skip, size_t count,
                                       st_dup_fn *dup_check, void *dup_ctx,
                                       size_t *fit_out, long long *first_n_out);

/* ---- outbox (outbox.c): queue an MT inside the caller's transaction ---- */
enum store_result st_outbox_insert(struct store *s, const struct store_outbox_new *in, long long *id_out);

/* Search: split words into at most LIMIT_SEARCH_WORDS_MAX ILIKE patterns
 * with %, _ and \ escaped, *count of them (0: no search). STORE_INVALID for
 * too many words (nothing to free then). */
enum store_result st_search_words(const char *search, char *patterns[LIMIT_SEARCH_WORDS_MAX], int *count);
void st_search_free(char *patterns[LIMIT_SEARCH_WORDS_MAX], int n);
/* Append "AND (col1 ILIKE $k OR col2 ILIKE $k ...)" for each word to sql;
 * cols is a NULL-terminated list of column expressions; first_param is the
 * first $ number. */
char *st_search_sql(const char *base, const char *const *cols, int nwords, int first_param,
                    const char *tail);
bool st_valid_page(const struct store_page *p);
/* A keyset page, newest first: base selects from one item table with
 * "WHERE user_id = $1 AND ($2::bigint = 0 OR n < $2::bigint)"; the words of
 * page->search are ANDed over cols. On STORE_OK *out holds up to limit + 1
 * rows, of which *rows are to be used; *more tells whether more follow. */
enum store_result st_page_query(struct store *s, const char *name, const char *base,
                                const char *const *cols, const char *user_id,
                                const struct store_page *page, PGresult **out, size_t *rows, bool *more);

#endif
