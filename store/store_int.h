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

/* Statements prepared per connection at most (more run unprepared). */
#define ST_PREPARED_MAX 256
/* savepoints open at once inside one transaction, at most (a worker's per
 * MO, an exported function's own inside it, and room to spare) */
#define ST_SAVEPOINTS_MAX 8

struct store {
    PGconn *conn;
    struct store_config cfg;   /* copy; conninfo owned */
    bool explicit_tx;          /* the caller ran store_tx_begin */
    bool own_tx;               /* an exported function's own BEGIN is open */
    int depth;                 /* savepoints open inside the explicit transaction */
    int clock_offset_s;        /* test-only: added to now() where expiry is checked */
    bool listening;
    bool optimistic;           /* store_tx_optimistic: savepoints are not sent */
    bool spoilt;               /* ... and something had to be undone: no commit */
    int lease_backend;         /* outbox.c: the backend pid that holds lease_instance's lock (0: none) */
    char lease_instance[STORE_ID_LEN];
    /* Statements prepared on this connection (st_exec_bin): the text, its
     * hash; the server's name is "sv<index>". Forgotten when the connection
     * is reset (a new session has none). */
    struct st_prepared {
        uint64_t hash;
        char *sql;
    } prepared[ST_PREPARED_MAX];
    int nprepared;
    bool lost;                 /* the connection was found lost and not yet made again (counted once) */
    /* space grown in the open transaction, counted (st_metrics) when it
     * commits; at[k]: what was pending when savepoint k opened, so that a
     * rollback to it forgets what grew after */
    struct st_grown { long long grants, bytes; } grown, grown_at[ST_SAVEPOINTS_MAX + 1];
    bool reset_needed;         /* the session cannot write (a standby): connect again before the next use */
    /* outbox.c: replies handed over in memory (store_outbox_hand_over): the
     * instance they are claimed for ("": off), and the rows inserted SENDING
     * in the open transaction; at[k]: how many when savepoint k opened, so
     * that a rollback to it forgets the rows inserted after */
    char handover_instance[STORE_ID_LEN];
    struct store_outbox_row *handed;
    size_t nhanded, handed_cap, handed_at[ST_SAVEPOINTS_MAX + 1];
};

/* Run sql with text parameters (values may be NULL = SQL NULL). name is the
 * statement's name for the log. On STORE_OK *out (if out is not NULL) holds
 * the result; on any other result nothing is left to clear. */
enum store_result st_exec(struct store *s, const char *name, const char *sql,
                          int n, const char *const *values, PGresult **out);
/* st_exec without preparing: planned for these values each time (a search,
 * whose best plan depends on its words). */
enum store_result st_exec_custom(struct store *s, const char *name, const char *sql, int n,
                                 const char *const *values, PGresult **out);
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

/* Run sql with $1 = user_id and $2 = n (one item's rows): STORE_NOT_FOUND
 * for a user id that is no UUID, else as st_exec. */
enum store_result st_item_query(struct store *s, const char *name, const char *sql, const char *user_id,
                                long long n, PGresult **out);

/* Parameter text helpers. */
void st_lld(char buf[24], long long v);
long long st_getll(const PGresult *r, int row, int col);
/* time_t from an epoch column; NULL gives 0. */
time_t st_gettime(const PGresult *r, int row, int col);
/* A column of milliseconds (ST_TS_TO_MS) as seconds and milliseconds; NULL gives 0, 0. */
void st_getms(const PGresult *r, int row, int col, time_t *sec, int *ms);
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

/* ---- what a file said, kept as written (store.c; migration 011) ---- */

/* SQL for a date in milliseconds: a bigint parameter to timestamptz (exact,
 * no floating point; NULL stays NULL), and a timestamptz column back to
 * milliseconds. */
#define ST_MS_TO_TS(param) "('epoch'::timestamptz + (" param ")::bigint * interval '1 millisecond')"
#define ST_TS_TO_MS(col) "floor(extract(epoch FROM " col ") * 1000)::bigint"

/* Each of n values NULL or UTF-8 text of at most LIMIT_ATTR_VALUE_MAX bytes. */
bool st_valid_fields(const char *const *values, size_t n);
/* At most LIMIT_ATTRS_MAX attributes, each with a valid name and value. */
bool st_valid_attrs(const struct store_attr_new *a, size_t n);
/* The names and the values of a as two text[] literals (for one row). */
void st_array_attrs(struct st_array *names, struct st_array *values, const struct store_attr_new *a, size_t n);
/* ", prefix name" for each of n names (fixed column names only). */
void st_cols(struct buf *b, const char *prefix, const char *const *names, size_t n);
/* A one-dimensional text[] in PostgreSQL's output form ({a,"b c",NULL})
 * into *out (count elements, NULL for NULL; each malloc'd, like *out).
 * False for text that is not one (nothing written then). */
bool st_array_parse(const char *lit, char ***out, size_t *count);
/* Two text[] columns of row (names, values) as attributes; a malformed or
 * uneven pair gives none. */
void st_get_attrs(const PGresult *r, int row, int col_names, int col_values, struct store_attr **out,
                  size_t *count);
void st_attrs_free(struct store_attr *a, size_t n);
/* The column's text, or NULL for SQL NULL (malloc'd). */
char *st_getdup_null(const PGresult *r, int row, int col);

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

/* st_space_charge that also writes what the user's space is after it (after
 * may be NULL): used and allocated bytes, and whether it grew. */
enum store_result st_space_charge_ex(struct store *s, const char *user_id, enum store_kind kind,
                                     long long size, st_dup_fn *dup_check, void *dup_ctx,
                                     long long *n_out, struct store_saved *after);

/* Batch form for count items of one kind, in order, under one row lock: the
 * user's row is locked, dup_check (if not NULL) runs and may set skip[i] for
 * items that are not to be stored, then the sizes of the other items are
 * charged in order until one does not fit — all of them charged at once and
 * the allocation grown at most once, by the rules above with the sum of the
 * sizes as the upload. *fit_out is the index of the first item that does not
 * fit (count when all fit); the items before it that are not skipped get
 * numbers first_n, first_n + 1, ... in order (*first_n_out). An item may
 * stand for several rows, all or none of them stored (a card of several
 * numbers): numbers[i] of them (numbers NULL: one each), sizes[i] their sum.
 * STORE_NO_SPACE: no item could be charged and one was refused; nothing
 * changed (the caller rolls back), skip[] and *fit_out are still written. */
enum store_result st_space_charge_many(struct store *s, const char *user_id, enum store_kind kind,
                                       const long long *sizes, const long long *numbers, bool *skip,
                                       size_t count, st_dup_fn *dup_check, void *dup_ctx,
                                       size_t *fit_out, long long *first_n_out);

/* A batch add's frame, in a transaction (or savepoint) of its own: the
 * charge of st_space_charge_many (dup_check and insert get ctx), then, when
 * any item before *fit_out is not skipped, insert(s, ctx, fit, first_n)
 * writes those. STORE_OK: all stored or skipped; STORE_NO_SPACE: the items
 * from *fit_out on were refused (those before it are stored); any other
 * result: nothing is stored. skip[], *fit_out and *first_n_out are written
 * for STORE_OK and STORE_NO_SPACE. */
typedef enum store_result st_batch_insert_fn(struct store *s, void *ctx, size_t fit, long long first_n);
enum store_result st_batch_add(struct store *s, const char *user_id, enum store_kind kind, const long long *sizes,
                               const long long *numbers, bool *skip, size_t count, st_dup_fn *dup_check,
                               st_batch_insert_fn *insert, void *ctx, size_t *fit_out, long long *first_n_out);

/* A batch's duplicate query (st_dup_fn's work): run sql, whose rows' first
 * column are 1-based places in the batch, and set skip[place - 1] for each
 * (places outside 1..count are ignored). */
enum store_result st_batch_skip(struct store *s, const char *name, const char *sql, int n,
                                const char *const *values, bool *skip, size_t count);

/* Each item's fate after st_space_charge_many for a batch of count items
 * of which nvalid (at places idx[], ascending) were charged: the valid ones
 * STORE_OK (n_out[i], when n_out is not NULL: its first number, taken
 * numbers[v] at a time, one when numbers is NULL), STORE_CONFLICT (skip[v])
 * or, from valid item fit on, STORE_NO_SPACE; the others STORE_INVALID, or
 * STORE_NO_SPACE after the refusal. */
void st_batch_results(size_t count, const size_t *idx, size_t nvalid, size_t fit, const bool *skip,
                      const long long *numbers, long long first_n, enum store_result *results, long long *n_out);

/* ---- outbox (outbox.c): queue an MT inside the caller's transaction ---- */
/* The allocation grew by bytes in the open transaction (space.c). */
void st_space_grown(struct store *s, long long bytes);

enum store_result st_outbox_insert(struct store *s, const struct store_outbox_new *in, long long *id_out);
/* Forget the handed-over rows after the first keep (a rollback to a
 * savepoint, or of the whole transaction: keep 0). */
void st_handed_truncate(struct store *s, size_t keep);

/* Each kind's item table: "sms", "mms", "contacts" (fixed names, written
 * into statements). */
extern const char *const st_item_tables[3];

/* The columns a search of each kind looks in, NULL-terminated: the lists,
 * the count and the delete of what matches all use these (a query names the
 * item table c). */
extern const char *const *const st_search_cols[3];
/* Each kind's indexed sv_search_key() expression over those columns (the
 * item table named c), or NULL when the kind has none. */
extern const char *const st_search_keys[3];

/* Search: split words into at most LIMIT_SEARCH_WORDS_MAX ILIKE patterns
 * with %, _ and \ escaped, *count of them (0: no search). STORE_INVALID for
 * too many words (nothing to free then). */
enum store_result st_search_words(const char *search, char *patterns[LIMIT_SEARCH_WORDS_MAX], int *count);
void st_search_free(char *patterns[LIMIT_SEARCH_WORDS_MAX], int n);
/* Append "AND (col1 ILIKE $k OR col2 ILIKE $k ...)" for each word to sql;
 * cols is a NULL-terminated list of column expressions; first_param is the
 * first $ number. key (or NULL): an indexed sv_search_key() expression over
 * the same columns (migration 009), and "AND key LIKE sv_search_key($k)" is
 * added for each word whose keyed[] is true: implied by the ILIKEs, it lets
 * the trigram index find the candidates. */
char *st_search_sql(const char *base, const char *const *cols, const char *key, const bool *keyed, int nwords,
                    int first_param, const char *tail);
/* st_search_sql with keyed[] from the words themselves (st_search_words'
 * patterns): a word is keyed when it has a trigram and key is not NULL. */
char *st_search_sql_words(const char *base, const char *const *cols, const char *key, char *const *words,
                          int nwords, int first_param, const char *tail);
/* Whether a search pattern gives pg_trgm a trigram through the key of
 * migration 009 (else the key's condition cannot narrow anything). */
bool st_search_has_trigrams(const char *pattern);
bool st_valid_page(const struct store_page *p);
/* A keyset page, newest first: base selects from one item table with
 * "WHERE user_id = $1 AND n < $2::bigint" ($2 is page->before_n, the largest
 * bigint when that is 0: no OR, so that a generic plan keeps n in the index
 * condition and a deep page reads only its own rows); the words of
 * page->search are ANDed over cols. On STORE_OK *out holds up to limit + 1
 * rows, of which *rows are to be used; *more tells whether more follow. */
enum store_result st_page_query(struct store *s, const char *name, const char *base,
                                const char *const *cols, const char *key, const char *user_id,
                                const struct store_page *page, PGresult **out, size_t *rows, bool *more);
/* The same statement with its own tail after the words (st_page_query's is
 * "ORDER BY n DESC LIMIT $3"; $3 is limit + 1), the result whole in *out;
 * key as st_page_query's (or NULL). */
enum store_result st_page_query_tail(struct store *s, const char *name, const char *base,
                                     const char *const *cols, const char *key, const char *tail,
                                     const char *user_id, const struct store_page *page, PGresult **out);

/* Decodes row of r into the item at dst (a struct store_sms, store_mms,
 * store_contact ...: the caller's decoder knows which). */
typedef void st_row_fn(const PGresult *r, int row, void *dst);
/* rows of r decoded into a new array of item_size items (never NULL). */
void *st_rows_decode(const PGresult *r, size_t rows, size_t item_size, st_row_fn *from_row);
/* The items of one keyset page (st_page_query's arguments) decoded into a
 * new array: on STORE_OK *items (never NULL), *count and *more. */
enum store_result st_page_items(struct store *s, const char *name, const char *base,
                                const char *const *cols, const char *key, const char *user_id,
                                const struct store_page *page, st_row_fn *from_row, size_t item_size,
                                void **items, size_t *count, bool *more);
/* The first row sql selects with params, decoded into out; STORE_NOT_FOUND
 * when it selects none. out is written only on STORE_OK. */
enum store_result st_row_get(struct store *s, const char *name, const char *sql, int nparams,
                             const char *const *params, st_row_fn *from_row, void *out);
/* The one item numbered n of user_id: sql selects it with $1 the user id and
 * $2 n. STORE_NOT_FOUND when there is none; *out is decoded only on STORE_OK. */
enum store_result st_item_get(struct store *s, const char *name, const char *sql, const char *user_id,
                              long long n, st_row_fn *from_row, void *out);

/* How the items of one table are read: the columns before the fields kept
 * as written (head), those fields (store.h's store_*_fields, st_cols) and
 * the decoder that knows their places; kind names the search's columns. */
struct st_read {
    enum store_kind kind;
    const char *table;
    const char *head;
    const char *const *fields;
    size_t nfields;
    st_row_fn *from_row;
};
/* One item by number (st_item_get) and one keyset page (st_page_items,
 * with the kind's search columns and key) read as rd says. */
enum store_result st_read_get(struct store *s, const char *name, const struct st_read *rd, const char *user_id,
                              long long n, void *out);
enum store_result st_read_page(struct store *s, const char *name, const struct st_read *rd, const char *user_id,
                               const struct store_page *page, size_t item_size, void **items, size_t *count,
                               bool *more);

#endif
