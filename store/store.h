/*
 * store — everything smsvault keeps in PostgreSQL, behind one C API.
 *
 * This is the only module that speaks SQL (libpq). vaultbox, vaultweb and
 * vaultctl link it; it knows nothing of Kannel or HTTP. A `struct store` is
 * one PGconn and belongs to one thread at a time.
 *
 * Transactions: every exported function is one transaction of its own —
 * unless the caller opened one with store_tx_begin(), in which case the
 * function joins it inside a savepoint of its own, so that its failure undoes
 * only its own work. vaultbox uses that to apply a command, record the Kannel
 * message id (store_mo_seen) and queue the replies (store_outbox_enqueue) in
 * one commit, and to group several MOs into one commit under load (with
 * optimistic savepoints: store_tx_optimistic). Statements are prepared once
 * per connection.
 *
 * Space accounting (patent, step 2): size = content octets (UTF-8 body of an
 * SMS, sum of MMS part bytes, vCard octets of a contact). used_bytes and
 * allocated_bytes change in the item's own transaction under the user's row
 * lock, so used_bytes == sum(size_bytes) always holds. When an upload would
 * leave less than `threshold` free, the allocation grows by at least `step`
 * (more if the item needs it) within the per-user cap and the server
 * capacity; an item that does not fit and cannot be made to fit is refused
 * with STORE_NO_SPACE and nothing is written.
 *
 * Ownership: arguments are borrowed; results belong to the caller and are
 * released with the matching *_cleanup() / free function. Out parameters are
 * written only on STORE_OK.
 */
#ifndef SMSVAULT_STORE_H
#define SMSVAULT_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "config.h"
#include "limit.h"
#include "vcard.h"

enum store_result {
    STORE_OK = 0,
    STORE_NOT_FOUND,   /* no such user / item / phone / session (also: another user's item) */
    STORE_NO_SPACE,    /* the item does not fit and the space cannot grow */
    STORE_CONFLICT,    /* unique violation: username taken, MO already seen, duplicate import */
    STORE_RETRY,       /* serialization failure, deadlock, connection lost: try the whole thing again */
    STORE_INVALID,     /* input refused before touching the database (rules named in each function) */
    STORE_DENIED,      /* wrong password / code (unknown user gives the same) */
    STORE_THROTTLED,   /* too many failed logins of this name, or too many codes asked for: wait */
    STORE_ERR,         /* anything else; logged with the statement name, never the data */
};

const char *store_result_name(enum store_result r);

#define STORE_ID_LEN 37          /* textual UUID + NUL */
#define STORE_TOKEN_LEN 65       /* session token: 64 hex chars + NUL */
#define STORE_CODE_LEN 7         /* one-time code: 6 digits + NUL */

/* The limits the store enforces (usernames, passwords, item sizes, pages,
 * searches, batches) are the LIMIT_* numbers of common/limit.h. */

/* ---- configuration ([database] and [quota] of smsvault.conf) ---- */

struct store_config {
    char *conninfo;              /* libpq connection string */
    long long initial_bytes;     /* allocation given at registration (default 10M) */
    long long threshold_bytes;   /* grow when less than this would be left (default 1M) */
    long long step_bytes;        /* grow by at least this much (default 10M) */
    long long user_cap_bytes;    /* a user's allocation never exceeds this (default 1G) */
    long long capacity_bytes;    /* the sum of all allocations never exceeds this (default 1T) */
    long long login_free_failures;  /* failed logins of a name before slowing down (default 5) */
};

extern const struct config_key store_config_keys[];
extern const size_t store_config_nkeys;

/* After config_load: a conninfo "@NAME" becomes the contents of the systemd
 * credential NAME (LoadCredential=NAME in the unit; see credential.h), so the
 * password stays out of smsvault.conf. Returns 0, or -1 with a message in
 * err naming the setting and the file looked for. */
int store_config_resolve(struct store_config *cfg, char *err, size_t errlen);

/* ---- connection, migrations, transactions ---- */

struct store;

/* Connect (cfg is copied). Does not migrate. */
enum store_result store_open(const struct store_config *cfg, struct store **out);
void store_free(struct store *s);   /* NULL is a no-op */
/* True when the connection is up; tries one reset when it is not. */
bool store_ping(struct store *s);
/* Test-only: shift the store's clock by seconds where expiry is checked
 * (session idle/absolute expiry, login throttling, phone codes), so tests
 * see time pass without sleeping. Programs never call it. */
void store_test_clock_offset(struct store *s, int seconds);
/* Apply the numbered migrations not yet applied, each in its own transaction.
 * Safe to run concurrently from several processes (advisory lock). */
enum store_result store_migrate(struct store *s);
/* Schema version applied (0 = none). */
enum store_result store_schema_version(struct store *s, int *out);

/* Nesting store_tx_begin, or committing, releasing or rolling back to what
 * was never opened, is a programmer error: it asserts. store_tx_rollback
 * is safe to call after a failed begin or commit (nothing is open then). */
enum store_result store_tx_begin(struct store *s);
/* The same transaction, read only and REPEATABLE READ: every statement in
 * it sees the database as its first did (an export's count and its pages
 * agree while others write). Ended by store_tx_commit or _rollback. */
enum store_result store_tx_begin_snapshot(struct store *s);
enum store_result store_tx_commit(struct store *s);   /* STORE_RETRY: nothing was committed */
void store_tx_rollback(struct store *s);
/* Savepoints inside an explicit transaction: one per command of a batch. */
enum store_result store_tx_savepoint(struct store *s);
enum store_result store_tx_release(struct store *s);
void store_tx_rollback_to(struct store *s);
/*
 * Optimistic savepoints, for a batch in which undoing one command is rare:
 * after store_tx_optimistic (inside store_tx_begin, until the transaction
 * ends) a savepoint, its release and the store's own frames send nothing to
 * the server. Whatever would have rolled back to a savepoint — a failed
 * statement, a store function that undoes its own work, store_tx_rollback_to
 * — spoils the transaction instead (store_tx_spoilt): it cannot be
 * committed (store_tx_commit refuses it, STORE_ERR), and the caller rolls
 * it back and runs it again with real savepoints.
 */
void store_tx_optimistic(struct store *s);
bool store_tx_spoilt(const struct store *s);

/* ---- users ---- */

/* The account rules, owned here and checked by every store_user_* call;
 * callers may check a form with them first (no database: store/rules.c).
 * A username is LIMIT_USERNAME_MIN..LIMIT_USERNAME_MAX ASCII letters,
 * digits, '_', '.' or '-', starting with a letter or digit (unique
 * case-insensitively: that one needs the database). A password is
 * LIMIT_PASSWORD_MIN..LIMIT_PASSWORD_MAX bytes, anything else its owner's
 * choice; checked before any hashing, so a long password costs nothing.
 * NULL is neither. */
bool store_username_valid(const char *username);
bool store_password_valid(const char *password);
/* The form in which two names are one: ASCII letters lowered, every other
 * byte kept — lower(username) of the unique index for every name the rules
 * allow, and defined for any string at all (the login throttle folds the
 * names it counts, accounts or not). malloc'd. */
char *store_username_fold(const char *name);

struct store_user {
    char id[STORE_ID_LEN];
    char *username;
    char lang[3];                /* "en" or "zh" */
    bool lang_chosen;            /* the user chose lang (SMS LANG): every reply is in it,
                                    whatever language a command is in; else lang is only
                                    the language of input that has none (migration 004) */
    long long allocated_bytes, used_bytes;
    time_t created_at;
};
void store_user_cleanup(struct store_user *u);

/* Create an account with the initial allocation, in lang (not chosen: see
 * lang_chosen). STORE_INVALID: username or
 * password breaks the rules above; STORE_CONFLICT: username taken;
 * STORE_NO_SPACE: server capacity cannot give the initial allocation.
 * Password hashed with argon2id (crypto_pwhash_str). */
enum store_result store_user_create(struct store *s, const char *username, const char *password,
                                    const char *lang, char id_out[STORE_ID_LEN]);
/* Check a password. Unknown user and wrong password both give STORE_DENIED in
 * about the same time (a dummy hash is verified). Failures are counted per
 * name tried (folded: store_username_fold), whether or not it is an account
 * and whether or not it keeps the rules (issue 11: no account oracle):
 * after login_free_failures of them the name is throttled — STORE_THROTTLED,
 * with the seconds to wait in *retry_after (may be NULL), without looking at
 * the account or the password, in the same time for any name; the wait
 * doubles with each further failure (1 s up to 15 min). A name's failures
 * are forgotten an hour after its last wait ends; success clears them.
 * Shared by SMS LOGIN and the web page (migration 006). */
enum store_result store_user_login(struct store *s, const char *username, const char *password,
                                   char id_out[STORE_ID_LEN], int *retry_after);
enum store_result store_user_get(struct store *s, const char *user_id, struct store_user *out);
enum store_result store_user_by_name(struct store *s, const char *username, struct store_user *out);
/* The user's choice (SMS LANG): lang, and lang_chosen from now on. */
enum store_result store_user_set_lang(struct store *s, const char *user_id, const char *lang);
/* STORE_DENIED when old is wrong (a failed login of the account's name);
 * STORE_THROTTLED, with *retry_after (may be NULL) as for a login, when that
 * name is throttled. Ends the user's web sessions. */
enum store_result store_user_set_password(struct store *s, const char *user_id, const char *old_password,
                                          const char *new_password, int *retry_after);
/* All users, by username (vaultctl). */
enum store_result store_user_list(struct store *s, struct store_user **out, size_t *count);
void store_user_list_free(struct store_user *users, size_t count);

/* ---- phones (MSISDN → user; a user may have several) ---- */

/* A phone is matched by its number's key (common/msisdn.h): every written
 * form of one number is one phone; msisdn keeps the form it was bound with,
 * the address replies go to. A number msisdn_key refuses is STORE_INVALID
 * (STORE_NOT_FOUND for a lookup). */

/* Bind msisdn to user_id; an MSISDN bound to another user moves (a phone
 * number changes hands, or a user logs in from a new phone). */
enum store_result store_phone_bind(struct store *s, const char *msisdn, const char *user_id);
/* Unbind msisdn (in any written form) if it is user_id's; STORE_NOT_FOUND
 * when it is not bound to that user — another user's phone stays bound. */
enum store_result store_phone_unbind(struct store *s, const char *user_id, const char *msisdn);
enum store_result store_phone_lookup(struct store *s, const char *msisdn, char user_id_out[STORE_ID_LEN]);
/* The account a phone is bound to, its language, and the number in the form
 * it was bound with — the address SMS replies go to (vaultmms: an MMSC
 * writes "8613800000001/TYPE=PLMN" for the phone bearerbox calls
 * "+8613800000001") — in one query: what the SMS engine and vaultmms need to
 * answer a phone. STORE_NOT_FOUND: not bound (or no number). */
struct store_phone_owner {
    char user_id[STORE_ID_LEN];
    char lang[3];
    bool lang_chosen;            /* as struct store_user */
    char msisdn[LIMIT_PEER_MAX + 1];
};
enum store_result store_phone_owner(struct store *s, const char *msisdn, struct store_phone_owner *out);
/* The user's MSISDNs, newest binding first; free with store_strings_free. */
enum store_result store_phone_list(struct store *s, const char *user_id, char ***out, size_t *count);
void store_strings_free(char **v, size_t count);

/* Binding a phone from the web: a 6-digit code (CSPRNG), stored hashed with an
 * expiry of ttl_s seconds, texted to msisdn through the outbox in the same
 * transaction (an outbox row marked secret: its text is emptied once it is
 * sent). text_template holds one "%s" for the code.
 *
 * Every code is an SMS someone pays for and a stranger's phone may receive
 * (issue 11, point 2: no SMS pumping), so codes are limited per hour: per
 * account, per number (its key, from any account), per client address and
 * in all; and five wrong tries of an (account, number) pair lock the pair,
 * whatever code they were made against, until an hour after the last of
 * them — a new code does not give five more. Which numbers may be texted at
 * all (the prefixes) is the caller's rule (web/auth.c). Sends are kept an
 * hour (migration 006). */
struct store_code_limits {
    int per_account;             /* codes one account may ask for in an hour, >= 1 */
    int per_number;              /* codes texted to one number in an hour, >= 1 */
    int per_address;             /* codes asked for from one client address in an hour, >= 1 */
    int budget;                  /* codes texted in all in an hour, >= 1 */
};
struct store_code_request {
    const char *user_id;
    const char *msisdn;          /* a number (msisdn_key), else STORE_INVALID */
    const char *client;          /* the asking client's address ("" when unknown: one address) */
    const char *text_template;
    int ttl_s;                   /* 1..86400 */
    struct store_code_limits limits;
};
/* Which limit refused a code; the first that applies, in this order. */
enum store_code_limit {
    STORE_CODE_PAIR_LOCKED = 0,  /* five wrong tries of this (account, number) */
    STORE_CODE_PER_ACCOUNT,
    STORE_CODE_PER_NUMBER,
    STORE_CODE_PER_ADDRESS,
    STORE_CODE_BUDGET,
};
/* STORE_OK: texted. STORE_THROTTLED: nothing texted; *hit (may be NULL) is
 * the limit, *retry_after (may be NULL) the seconds until every limit that
 * applies lets a code through again. STORE_INVALID: a bad request or
 * limits; STORE_NOT_FOUND: no such user. */
enum store_result store_phone_code_start(struct store *s, const struct store_code_request *rq,
                                         enum store_code_limit *hit, int *retry_after);
/* STORE_OK binds the phone; STORE_DENIED: wrong or expired code (one wrong
 * try of the pair); STORE_THROTTLED: the pair is locked (above), the code is
 * not even compared; *retry_after (may be NULL): seconds until it opens. */
enum store_result store_phone_code_confirm(struct store *s, const char *user_id, const char *msisdn,
                                           const char *code, int *retry_after);

/* ---- items: common paging ---- */

enum store_kind { STORE_SMS = 0, STORE_MMS = 1, STORE_CONTACT = 2 };

/* Keyset paging, newest (highest n) first. */
struct store_page {
    long long before_n;   /* 0: start at the newest; else only items with n < before_n */
    int limit;            /* 1..LIMIT_PAGE_MAX */
    const char *search;   /* NULL or words: every word must occur (case-insensitive) in
                             body / peer (SMS), subject / peer / text parts (MMS), name / number (contacts);
                             at most LIMIT_SEARCH_WORDS_MAX words in LIMIT_SEARCH_BYTES_MAX bytes of UTF-8,
                             else the list call returns STORE_INVALID */
};

/* An SMS or MMS as a line of LIST and FIND shows it: its number, when
 * (sent_at, else saved_at, as struct store_sms / store_mms have them), its
 * peer, and the start of its text (an SMS's body; an MMS's subject, else
 * its text): at most chars + 1 characters, the one more telling that the
 * text goes on. What a page lays out, without the rest of each row. */
struct store_line {
    long long n;
    time_t sent_at;   /* 0 = unknown */
    time_t saved_at;
    char *peer;       /* "" if unknown */
    char *text;       /* NUL-terminated UTF-8 */
};

struct store_line_list {
    struct store_line *items;
    size_t count;
    bool more;        /* further items past the last one */
};

/* The lines of kind STORE_SMS or STORE_MMS (else STORE_INVALID), paged and
 * searched as store_sms_list / store_mms_list; chars 1..LIMIT_TEXT_FIELD_MAX. */
enum store_result store_lines_list(struct store *s, const char *user_id, enum store_kind kind,
                                   const struct store_page *page, int chars, struct store_line_list *out);
void store_line_list_cleanup(struct store_line_list *l);

/* Batch delete (one transaction): the items of ns[] that exist are deleted,
 * their space freed. Missing numbers are skipped, not errors. At most
 * LIMIT_DELETE_MAX numbers (else STORE_INVALID). */
enum store_result store_items_delete(struct store *s, const char *user_id, enum store_kind kind,
                                     const long long *ns, size_t count,
                                     long long *deleted_out, long long *freed_bytes_out);

/* How many items of kind the user has numbered above n, when the highest
 * number of the kind is still top; -1 (not counted) when it is not.
 * Numbers are never reused and an SMS or MMS never changes once stored, so
 * for them the two change whenever the items above n do: what a deep LIST
 * page remembered rests on it (gateway-plugin/core/core_list.c). */
enum store_result store_items_above(struct store *s, const char *user_id, enum store_kind kind, long long n,
                                    long long top, long long *count_out);

/* "All that match" (the page's select-all, issue 10): the items of kind
 * whose words match search (as store_page's; NULL: every item), numbered up
 * to upto (0: any — the page sends the newest number it showed, so that
 * what arrived since is not touched unseen), except the numbers in except[]
 * (the ones unticked). Contacts are people (issue 10): a person matches
 * when one of its rows does, upto and except[] name people by their current
 * number, a count counts people and a delete takes every row of each. */
struct store_match {
    const char *search;
    long long upto;
    const long long *except;
    size_t nexcept;          /* at most LIMIT_DELETE_MAX */
};
/* How many match, counted up to LIMIT_DELETE_MAX + 1 at most (bounded: the
 * query stops at the first LIMIT_DELETE_MAX + 1 matches it finds, walking
 * the user's items by the primary key); *count_out above LIMIT_DELETE_MAX
 * means "more than that". STORE_INVALID: a search of too many words. */
enum store_result store_items_count(struct store *s, const char *user_id, enum store_kind kind,
                                    const struct store_match *m, long long *count_out);
/* The same counted up to cap + 1 at most (0 <= cap < LLONG_MAX): what a
 * count costs grows with the matches it reads, so a page that only needs to
 * know "a few, or more" asks for a small cap (an export, for all). */
enum store_result store_items_count_max(struct store *s, const char *user_id, enum store_kind kind,
                                        const struct store_match *m, long long cap, long long *count_out);
/* Delete everything that matches, in one transaction under the user's row
 * lock (no item of the user is added meanwhile), the space freed in it.
 * STORE_INVALID: more than LIMIT_DELETE_MAX match (nothing is deleted), or
 * the search or except[] breaks the rules above. */
enum store_result store_items_delete_matching(struct store *s, const char *user_id, enum store_kind kind,
                                              const struct store_match *m, long long *deleted_out,
                                              long long *freed_bytes_out);

/* Refresh the query planner's statistics of kind's table (ANALYZE) — after
 * a bulk load, so that the next list or search is planned for the rows that
 * are there now rather than waiting for autovacuum. Not a transaction of its
 * own concern: call it outside store_tx_begin. */
enum store_result store_items_analyze(struct store *s, enum store_kind kind);

/* ---- what an archive file says that the store keeps as written ---- */

/* The fields of SMS Backup & Restore's published lists that the store keeps
 * without interpreting them (migration 011 names the source): one text column
 * each, named after its XML attribute, in these tables' order. A value is
 * kept as the phone wrote it ("null" too); NULL means not given. */
enum store_sms_field {
    STORE_SMS_PROTOCOL, STORE_SMS_SUBJECT, STORE_SMS_TOA, STORE_SMS_SC_TOA, STORE_SMS_SERVICE_CENTER,
    STORE_SMS_READ, STORE_SMS_STATUS, STORE_SMS_LOCKED, STORE_SMS_SUB_ID, STORE_SMS_READABLE_DATE,
    STORE_SMS_CONTACT_NAME,
    STORE_SMS_NFIELDS
};
extern const char *const store_sms_fields[STORE_SMS_NFIELDS];

enum store_mms_field {
    STORE_MMS_M_TYPE, STORE_MMS_CT_T, STORE_MMS_CT_L, STORE_MMS_CT_CLS, STORE_MMS_SUB_CS, STORE_MMS_RETR_ST,
    STORE_MMS_D_TM, STORE_MMS_EXP, STORE_MMS_LOCKED, STORE_MMS_M_ID, STORE_MMS_RETR_TXT, STORE_MMS_READ,
    STORE_MMS_RPT_A, STORE_MMS_PRI, STORE_MMS_RESP_TXT, STORE_MMS_D_RPT, STORE_MMS_RR, STORE_MMS_READ_STATUS,
    STORE_MMS_RESP_ST, STORE_MMS_ST, STORE_MMS_RETR_TXT_CS, STORE_MMS_TR_ID, STORE_MMS_M_CLS, STORE_MMS_V,
    STORE_MMS_M_SIZE, STORE_MMS_TEXT_ONLY, STORE_MMS_SEEN, STORE_MMS_READABLE_DATE, STORE_MMS_CONTACT_NAME,
    STORE_MMS_NFIELDS
};
extern const char *const store_mms_fields[STORE_MMS_NFIELDS];

/* A part's: the app's own "seq" (-1 for SMIL), charset, disposition, file
 * name, ctt_s, ctt_t. */
enum store_part_field {
    STORE_PART_SEQ, STORE_PART_CHSET, STORE_PART_CD, STORE_PART_FN, STORE_PART_CTT_S, STORE_PART_CTT_T,
    STORE_PART_NFIELDS
};
extern const char *const store_part_fields[STORE_PART_NFIELDS];

/* Attributes outside those lists (a device's own, e.g. sim_slot), and the
 * values of interpreted fields that do not read as they should (a date that
 * is no number): name and value in file order, kept as written. At most
 * LIMIT_ATTRS_MAX per item, part or address; a name is 1..LIMIT_ATTR_NAME_MAX
 * bytes of UTF-8 that an XML attribute name can be (no space, quote, <, >,
 * &, =, / or :, not starting with a digit, '-' or '.'), a value UTF-8 of at
 * most LIMIT_ATTR_VALUE_MAX bytes, as the field values are. */
struct store_attr_new {
    const char *name, *value;
};
struct store_attr {
    char *name, *value;
};

/* ---- SMS ---- */

/* sms.type, as SMS Backup & Restore's "type" (Android's Telephony.Sms). */
enum store_sms_type {
    STORE_SMS_TYPE_UNKNOWN = 0,   /* stored NULL: not known (SMS stored before migration 011) */
    STORE_SMS_RECEIVED = 1,       /* into this phone: SAVE archives what the phone received */
    STORE_SMS_SENT = 2,
    STORE_SMS_DRAFT = 3,
    STORE_SMS_OUTBOX = 4,
    STORE_SMS_FAILED = 5,
    STORE_SMS_QUEUED = 6,
};
#define STORE_TYPE_MAX 32767      /* type and msg_box are smallint; other values go to extra */

struct store_sms_new {
    const char *peer;        /* the other party: sender of a received SMS, recipient of a sent one;
                                NULL or "" if unknown */
    const char *body;        /* UTF-8 (validated: STORE_INVALID if not, or empty, or > LIMIT_SMS_BODY_MAX) */
    size_t body_len;
    time_t sent_at;          /* the SMS's date ("date"): 0 = unknown */
    int sent_ms;             /* ... and its milliseconds, 0..999 */
    int type;                /* enum store_sms_type, or another value 1..STORE_TYPE_MAX a file gave */
    long long date_sent_ms;  /* "date_sent": when the sender sent it, ms since the epoch; 0 = unknown */
    const char *phone;       /* the account's phone it was saved from (SAVE); NULL or "" otherwise */
    const char *fields[STORE_SMS_NFIELDS];   /* as written; NULL: not given */
    const struct store_attr_new *extra;
    size_t nextra;
    const char *source;      /* "sms", "web" or "import" */
    bool skip_duplicate;     /* STORE_CONFLICT if the same SMS is stored: same peer and body, a date
                                in the same second, the same type (or one stored without a type) */
};

struct store_sms {
    long long n;
    char *peer;              /* "" if unknown */
    char *body;              /* NUL-terminated UTF-8 */
    size_t body_len;
    time_t sent_at;          /* 0 = unknown */
    int sent_ms;
    time_t saved_at;
    long long size_bytes;
    char source[8];
    int type;                /* 0: not known */
    long long date_sent_ms;  /* 0 = unknown */
    char *phone;             /* "" unless saved with SAVE */
    char *fields[STORE_SMS_NFIELDS];   /* NULL: not given */
    struct store_attr *extra;
    size_t nextra;
};

struct store_sms_list {
    struct store_sms *items;
    size_t count;
    bool more;               /* further items past the last one */
};

/* What an upload left (store_sms_save): the number it got and the user's
 * space after it; grew: the allocation grew for it (patent step 2). */
struct store_saved {
    long long n;
    long long used_bytes;
    long long allocated_bytes;
    bool grew;
};
/* store_sms_add that also says what space is left, without another query:
 * in the common case (no growth, no duplicate check) it is one statement. */
enum store_result store_sms_save(struct store *s, const char *user_id, const struct store_sms_new *in,
                                 struct store_saved *out);
enum store_result store_sms_add(struct store *s, const char *user_id, const struct store_sms_new *in,
                                long long *n_out);
/* Many SMS of one user in one transaction (a savepoint inside the caller's
 * explicit one) — what an import uses instead of store_sms_add per item.
 * Each item follows store_sms_add's rules, but the user's row is locked once,
 * duplicates (skip_duplicate: the same (peer, sent_at, body) stored already
 * or earlier in items[]) are found with one query, the space of the rest is
 * charged at once — the allocation grows at most once, for their sum — and
 * they are inserted with one statement, numbered in items' order.
 * results[i] (count entries) is each item's fate: STORE_OK (stored; n_out[i],
 * when n_out is not NULL, is its number), STORE_CONFLICT (a duplicate, not
 * stored), STORE_INVALID (refused by store_sms_add's checks, not stored) or
 * STORE_NO_SPACE: the first item that does not fit and every item after it
 * are not stored, the ones before it are. Returns STORE_OK when nothing was
 * refused for space, STORE_NO_SPACE when something was — results (and n_out)
 * are written in both cases; any other result stores nothing and writes
 * neither. count ≤ LIMIT_SMS_BATCH_MAX (else STORE_INVALID). */
enum store_result store_sms_add_many(struct store *s, const char *user_id, const struct store_sms_new *items,
                                     size_t count, enum store_result *results, long long *n_out);
enum store_result store_sms_get(struct store *s, const char *user_id, long long n, struct store_sms *out);
enum store_result store_sms_list(struct store *s, const char *user_id, const struct store_page *page,
                                 struct store_sms_list *out);
void store_sms_cleanup(struct store_sms *m);
void store_sms_list_cleanup(struct store_sms_list *l);

/* ---- MMS ---- */

struct store_mms_part_new {
    const char *content_type;   /* e.g. "text/plain", "image/jpeg", "application/smil" */
    const char *name;           /* the part's name; may be NULL */
    const unsigned char *data;
    size_t len;
    const char *content_id;     /* Content-ID without <> (what SMIL's cid: names); may be NULL */
    const char *content_location;   /* Content-Location (the app's "cl", a file name); may be NULL */
    const char *fields[STORE_PART_NFIELDS];   /* as written; NULL: not given */
    const struct store_attr_new *extra;
    size_t nextra;
};

/* One address of an MMS: the PDU header it came from (PduHeaders). */
enum store_addr_type { STORE_ADDR_BCC = 129, STORE_ADDR_CC = 130, STORE_ADDR_FROM = 137, STORE_ADDR_TO = 151 };

struct store_mms_addr_new {
    const char *address;        /* as written, LIMIT_PEER_MAX bytes at most */
    int type;                   /* enum store_addr_type or another 1..STORE_TYPE_MAX; 0: not known */
    const char *charset;        /* as written (106 = UTF-8); may be NULL */
    const struct store_attr_new *extra;
    size_t nextra;
};

/* mms.msg_box, as SMS Backup & Restore's "msg_box" (Android's Telephony.Mms). */
enum store_mms_box {
    STORE_MMS_BOX_UNKNOWN = 0,  /* stored NULL: not known */
    STORE_MMS_INBOX = 1,        /* received */
    STORE_MMS_SENT = 2,
    STORE_MMS_DRAFTS = 3,
    STORE_MMS_OUTBOX = 4,
};

struct store_mms_new {
    const char *peer;           /* the app's "address": the other party (or parties, '~'-separated) */
    const char *subject;        /* may be NULL */
    time_t sent_at;             /* "date"; 0 = unknown */
    int sent_ms;                /* ... and its milliseconds */
    int msg_box;                /* enum store_mms_box or another 1..STORE_TYPE_MAX */
    long long date_sent_ms;     /* 0 = unknown */
    const char *source;         /* "sms", "web", "import", or "mm7" (from the operator's MMSC) */
    const struct store_mms_part_new *parts;
    size_t nparts;              /* 1..LIMIT_MMS_PARTS_MAX, in order (the SMIL part is one) */
    const struct store_mms_addr_new *addrs;
    size_t naddrs;              /* 0..LIMIT_MMS_ADDRS_MAX, in order */
    const char *fields[STORE_MMS_NFIELDS];   /* as written; NULL: not given */
    const struct store_attr_new *extra;
    size_t nextra;
    bool skip_duplicate;        /* same peer, date in the same second, box (or none stored), subject
                                   and text */
};

struct store_mms {
    long long n;
    char *peer;
    char *subject;              /* "" if none */
    char *text;                 /* the text/plain parts joined, "" if none (preview) */
    time_t sent_at, saved_at;
    int sent_ms;
    long long size_bytes;
    int nparts;
    int msg_box;                /* 0: not known */
    long long date_sent_ms;
    char source[8];
    char *fields[STORE_MMS_NFIELDS];   /* NULL: not given */
    struct store_attr *extra;
    size_t nextra;
};

struct store_mms_part {
    int seq;                    /* 0.. in order */
    char *content_type;
    char *name;                 /* "" if none */
    unsigned char *data;
    size_t len;
    char *content_id;           /* "" if none */
    char *content_location;     /* "" if none */
    char *fields[STORE_PART_NFIELDS];   /* NULL: not given */
    struct store_attr *extra;
    size_t nextra;
};

struct store_mms_addr {
    char *address;
    int type;                   /* 0: not known */
    char *charset;              /* NULL: not given */
    struct store_attr *extra;
    size_t nextra;
};

struct store_mms_list {
    struct store_mms *items;
    size_t count;
    bool more;
};

enum store_result store_mms_add(struct store *s, const char *user_id, const struct store_mms_new *in,
                                long long *n_out);
/* Many MMS of one user (imports), each by store_mms_add's rules and each
 * all or nothing (the message and every part), with store_sms_add_many's
 * contract: one row lock, one duplicate query, the space charged at once,
 * one statement for the messages and one for all their parts; results[i]
 * STORE_OK (n_out[i]) / STORE_CONFLICT / STORE_INVALID / STORE_NO_SPACE
 * (from the first that does not fit on). count ≤ LIMIT_MMS_BATCH_MAX and
 * the valid items' bytes ≤ LIMIT_MMS_BATCH_BYTES, else STORE_INVALID
 * (nothing stored, results not written). */
enum store_result store_mms_add_many(struct store *s, const char *user_id, const struct store_mms_new *items,
                                     size_t count, enum store_result *results, long long *n_out);
enum store_result store_mms_get(struct store *s, const char *user_id, long long n, struct store_mms *out);
enum store_result store_mms_list(struct store *s, const char *user_id, const struct store_page *page,
                                 struct store_mms_list *out);
/* All parts of MMS n, with their bytes. */
enum store_result store_mms_parts(struct store *s, const char *user_id, long long n,
                                  struct store_mms_part **out, size_t *count);
enum store_result store_mms_part_get(struct store *s, const char *user_id, long long n, int seq,
                                     struct store_mms_part *out);
/* MMS n's addresses in order; *count may be 0. */
enum store_result store_mms_addrs(struct store *s, const char *user_id, long long n,
                                  struct store_mms_addr **out, size_t *count);
void store_mms_addrs_free(struct store_mms_addr *addrs, size_t count);
void store_mms_cleanup(struct store_mms *m);
void store_mms_list_cleanup(struct store_mms_list *l);
void store_mms_part_cleanup(struct store_mms_part *p);
void store_mms_parts_free(struct store_mms_part *parts, size_t count);

/* ---- contacts (patent: a person's current number is the newest upload) ---- */

struct store_contact_new {
    const char *name;           /* 1..LIMIT_TEXT_FIELD_MAX bytes UTF-8 */
    const char *number;         /* msisdn_is_contact (common/msisdn.h), else STORE_INVALID */
    const char *vcard;          /* the vCard text as received or formatted by the caller */
    size_t vcard_len;
    const char *source;
    bool skip_duplicate;        /* same (name, number) already stored */
    const char *tel_types;      /* the number's TEL types ("CELL,PREF"); NULL: none */
    const char *uid;            /* the card's UID (the person's key); NULL: none */
};

struct store_contact {
    long long n;
    char *name;
    char *number;
    char *vcard;
    size_t vcard_len;
    char *tel_types;            /* the TEL's types from its card ("CELL,PREF"), "" if none */
    char *uid;                  /* the card's UID, "" if none */
    time_t uploaded_at;
    long long size_bytes;
    bool current;               /* the newest row of its person (store_person below) */
};

struct store_contact_list {
    struct store_contact *items;
    size_t count;
    bool more;
};

enum store_result store_contact_add(struct store *s, const char *user_id,
                                    const struct store_contact_new *in, long long *n_out);
/* Many contacts of one user (a CSV import), each by store_contact_add's
 * rules, with store_sms_add_many's contract (results per item, n_out[i]
 * when stored; STORE_NO_SPACE from the first that does not fit on); a
 * duplicate (skip_duplicate) is a (name, number) stored already or earlier
 * in items[]. count ≤ LIMIT_CONTACT_BATCH_MAX. */
enum store_result store_contact_add_many(struct store *s, const char *user_id, const struct store_contact_new *items,
                                         size_t count, enum store_result *results, long long *n_out);
/*
 * A card as common/vcard read it (a vCard texted in, a business card sent
 * to port 9204, a card of a web vCard import: the one way every side
 * archives a card), in one transaction: one contact row per TEL that is a
 * phone number (msisdn_is_contact; the others are not kept), each with the
 * card's text (size_bytes = its octets: a card with three numbers is
 * charged three times), the TEL's types and the card's UID, all with one
 * upload time. The patent's rule "the newest upload is the current number"
 * holds inside the card too: the TEL marked PREF (else the first) is stored
 * last, so it is the newest row of the name (store_card_order). On
 * STORE_OK *out says which numbers the rows got: first_n..current_n,
 * current_n being the current number's. STORE_INVALID: no name, a name of
 * more than LIMIT_TEXT_FIELD_MAX bytes or of several lines, no TEL that is
 * a phone number, a card over LIMIT_VCARD_MAX; STORE_NO_SPACE: the card's
 * rows do not fit — none is written; STORE_CONFLICT (skip_duplicate): every
 * number is stored already under this name (an import read again).
 */
struct store_card_added {
    long long first_n, current_n;
    size_t count;               /* rows written: current_n - first_n + 1 */
};
enum store_result store_contact_add_card(struct store *s, const char *user_id, const struct vcard_card *card,
                                         const char *source, bool skip_duplicate, struct store_card_added *out);
/* Many cards (a vCard import), each as store_contact_add_card stores it —
 * all its rows or none — with one row lock, one duplicate query (a card
 * whose numbers are all stored already under its name, or come in an
 * earlier card of cards[]) and one insert: results[i] per card as
 * store_sms_add_many's (STORE_NO_SPACE from the first card that does not
 * fit whole on), added[i] (may be NULL) for each stored one. count ≤
 * LIMIT_CONTACT_BATCH_MAX. */
enum store_result store_contact_add_cards(struct store *s, const char *user_id, const struct vcard_card *cards,
                                          size_t count, const char *source, bool skip_duplicate,
                                          enum store_result *results, struct store_card_added *added);
/* The TELs of card that store_contact_add_card keeps, in the order it
 * stores them: the phone numbers in the card's order, each once (by
 * msisdn_key), the current one (the first marked PREF, else the first)
 * moved to the end. Writes their indexes
 * into order[] and returns how many (0: none is a phone number). No
 * database (store/rules.c): the engine tests' fake store keeps the same. */
size_t store_card_order(const struct vcard_card *card, size_t order[VCARD_MAX_TELS]);
enum store_result store_contact_get(struct store *s, const char *user_id, long long n,
                                    struct store_contact *out);
/* Every stored contact entry, newest upload first, each marked current or not. */
enum store_result store_contact_list(struct store *s, const char *user_id,
                                     const struct store_page *page, struct store_contact_list *out);
/* All entries with this name (case-insensitive), newest first. */
enum store_result store_contact_history(struct store *s, const char *user_id, const char *name,
                                        struct store_contact_list *out);
void store_contact_cleanup(struct store_contact *c);   /* store/rules.c, with store_person_cleanup */
void store_contact_list_cleanup(struct store_contact_list *l);

/*
 * People, not rows (issue 10). A person is the contact rows of one card UID,
 * or of one name (case and runs of white space aside) for rows without a
 * UID (migration 011's contact_person). Their numbers are told apart by
 * upload: the newest row is the current number (patent point 5), and inside
 * one card the PREF number is stored last (store_card_order), so PREF decides
 * within one upload. A person is named by any of its rows' item numbers;
 * n is the current one's, the number a list shows.
 */
struct store_person {
    long long n;                /* the current number's item number */
    char *name, *uid;           /* the current row's */
    char *vcard;                /* the current row's card (other properties than TEL come from it) */
    size_t vcard_len;
    struct store_contact *numbers;   /* each number once (msisdn_key), its newest row, in upload
                                        order: the current one last */
    size_t count;
    long long *rows;            /* every row of the person, ascending (what deleting it deletes) */
    size_t nrows;
};

struct store_person_list {
    struct store_person *items;
    size_t count;
    bool more;
};

/* People newest first (by their current number: page->before_n and the next
 * page go by it); a search matches a person when one of its rows matches
 * (store_page's words, on name and number). */
enum store_result store_person_list(struct store *s, const char *user_id, const struct store_page *page,
                                    struct store_person_list *out);
/* The person contact row n belongs to; STORE_NOT_FOUND when there is no row n. */
enum store_result store_contact_person(struct store *s, const char *user_id, long long n,
                                       struct store_person *out);
/* Delete the people the rows ns[] belong to (every row of each), in one
 * transaction, their space freed; *deleted_out counts rows. As
 * store_items_delete otherwise. */
enum store_result store_persons_delete(struct store *s, const char *user_id, const long long *ns, size_t count,
                                       long long *deleted_out, long long *freed_bytes_out);
void store_person_cleanup(struct store_person *p);
void store_person_list_cleanup(struct store_person_list *l);
/* A person from its rows (ascending n, taken over: rows[] is left empty and
 * freed by the caller; the strings move into *out). No database
 * (store/rules.c): the engine tests' fake store builds people the same way. */
void store_person_build(struct store_contact *rows, size_t count, struct store_person *out);
/* The TELs a card of p carries (vCard export, GET C<n>): its numbers in
 * upload order with their types as uploaded, PREF on the current one (the
 * last) and on no other — so that reading the card again keeps the same
 * current number. types[i] holds tels[i].types. Returns p->count, at most
 * VCARD_MAX_TELS (the newest ones when there are more). */
size_t store_person_tels(const struct store_person *p, struct vcard_tel tels[VCARD_MAX_TELS],
                         char types[VCARD_MAX_TELS][64]);
/* The card of p: the card as uploaded, byte for byte, when every number of
 * p came in that one card (its PREF is then the current number already);
 * else the current row's card with store_person_tels's TELs
 * (vcard_with_tels). NULL when the stored text is no card; else free(3) it. */
char *store_person_card(const struct store_person *p, size_t *len_out);

/* ---- space ---- */

/* Patent step 2 as arithmetic, with no database (store/rules.c): the
 * [quota] rule and its decision for one upload. The store applies it under
 * the user's row lock (space.c); the engine tests' fake store applies the
 * same functions. */
struct store_space_rule {
    long long threshold;   /* grow when less than this would be left after the upload ... */
    long long step;        /* ... by at least this much (more when the upload needs it) ... */
    long long user_cap;    /* ... but an allocation never grows past this */
};
/* The growth the rule wants before size more bytes are stored in an
 * allocation of `allocated` bytes with `used` used: 0 when at least
 * threshold would still be left, or the allocation is at (or over) the cap;
 * else max(step, what leaves threshold free after the upload), cut at the
 * cap. The store takes server capacity only when this is above 0. */
long long store_space_wanted(const struct store_space_rule *rule, long long allocated, long long used,
                             long long size);
/* The allocation granted for that upload when capacity_left bytes of the
 * server's capacity are not yet allocated: allocated plus the growth wanted,
 * as far as capacity_left goes — written to *allocation_out in every case.
 * True when size then fits: store it, with the allocation grown to
 * *allocation_out. False: it does not fit even so; a single item is
 * refused (STORE_NO_SPACE, nothing grows), a batch stores the items before
 * it that fit in *allocation_out. */
bool store_space_grant(const struct store_space_rule *rule, long long allocated, long long used, long long size,
                       long long capacity_left, long long *allocation_out);

struct store_usage {
    long long allocated_bytes, used_bytes;
    long long sms_count, mms_count, contact_count;   /* contact_count: rows (numbers) */
    time_t last_grown_at;       /* 0 if never grown since registration */
    long long person_count;     /* the people those rows make (store_person) */
};

struct store_grant {
    time_t at;
    long long bytes_added;
    long long allocated_after;
};

enum store_result store_usage_get(struct store *s, const char *user_id, struct store_usage *out);
/* Growth history, newest first (the initial allocation is the oldest entry). */
enum store_result store_usage_history(struct store *s, const char *user_id,
                                      struct store_grant **out, size_t *count);

/* ---- MO de-duplication (reliability model) ---- */

/* Record a Kannel message UUID. STORE_OK: first time; STORE_CONFLICT: seen
 * before (the command must not run again). Call inside the command's
 * transaction so the record commits with the command, in a savepoint of its
 * own: a record another transaction is committing at the same moment is a
 * unique violation, which aborts what is not rolled back to the savepoint. */
enum store_result store_mo_seen(struct store *s, const char *kannel_uuid);

/* ---- MM7 (vaultmms): DeliverReq de-duplication, SubmitReq delivery reports ---- */

struct store_mm7_seen {
    int status;                  /* the MM7 status code answered the first time */
    long long mms_n;             /* the MMS stored then; 0: none */
    bool same_content;           /* its digest equals this request's */
};

/*
 * Claim (mmsc, transaction_id) for a DeliverReq before anything of it is
 * stored, inside the caller's transaction (store_tx_begin; without one it
 * asserts): STORE_OK — the first time: store the MMS (or decide not
 * to), record the answer with store_mm7_seen_finish and commit, all in that
 * transaction, then answer. STORE_CONFLICT — answered before: *prev says
 * what (a duplicate arriving while the first is in flight waits here until
 * that one commits or rolls back). digest: the hex SHA-256 the caller
 * computed over the request's content, compared into prev->same_content.
 */
enum store_result store_mm7_seen_claim(struct store *s, const char *mmsc, const char *transaction_id,
                                       const char *digest, struct store_mm7_seen *prev);
/* Record the answer of a claimed DeliverReq: status, and the user and MMS
 * number it was stored as (user_id NULL / mms_n 0: not stored), and the
 * MMSC's LinkedID (may be NULL). STORE_NOT_FOUND: not claimed. */
enum store_result store_mm7_seen_finish(struct store *s, const char *mmsc, const char *transaction_id,
                                        int status, const char *user_id, long long mms_n,
                                        const char *linked_id);

/* The MMSC accepted outbox row outbox_id (a SubmitReq) as message_id:
 * record it for the delivery report and mark the row submitted, in one
 * transaction. STORE_NOT_FOUND: no such row; STORE_CONFLICT: the MMSC gave
 * this MessageID to another row already. */
enum store_result store_mm7_submitted(struct store *s, long long outbox_id, const char *mmsc,
                                      const char *message_id);

enum store_mm7_outcome {
    STORE_MM7_DELIVERED,         /* the phone has it (MMStatus Retrieved, Forwarded) */
    STORE_MM7_FAILED,            /* it will not get there (Rejected, Expired, ...) */
    STORE_MM7_PENDING,           /* not final (Deferred, Indeterminate): only recorded */
};
/* A DeliveryReportReq of mmsc for message_id: records mm_status (the
 * MMStatus as the MMSC wrote it) and moves the outbox row to delivered or
 * failed (reason: mm_status); final states are never downgraded and a
 * repeated report is a no-op. *outbox_id_out (may be NULL): the row;
 * *moved_out (may be NULL): whether this report moved it (false for a
 * pending one, and for a report of a row already final: an MMSC's retry).
 * An unknown message_id is STORE_NOT_FOUND — but STORE_RETRY while an MMS
 * submission is in flight (a request of channel mms sending): the report
 * may be for it, come before its answer was recorded (store_mm7_submitted).
 * STORE_NOT_FOUND: no submission with that MessageID from that MMSC. */
enum store_result store_mm7_report(struct store *s, const char *mmsc, const char *message_id,
                                   enum store_mm7_outcome outcome, const char *mm_status,
                                   long long *outbox_id_out, bool *moved_out);

/* ---- MMS retrieval (vaultmms's direct path: WAP push + one-time URL) ---- */

/*
 * One delivery of an archived MMS by the direct path (migration 007): the
 * handset gets an m-notification-ind by SMS naming a retrieval URL with a
 * token, and fetches the m-retrieve-conf there. The token is 16 random
 * bytes (CSPRNG) written as 22 characters of URL-safe base64; only a
 * SHA-256 of the bytes is stored, as for web sessions. It fetches the MMS
 * once, until it expires; the handset's answer (m-notifyresp-ind,
 * m-acknowledge-ind) then marks the delivery — and the outbox row of the
 * delivery request, when there is one — delivered or failed. A token that
 * is unknown, used or expired is STORE_NOT_FOUND in every function, with
 * nothing to tell the three apart.
 */
#define STORE_RETRIEVAL_TOKEN_LEN 23   /* 22 characters + NUL */

struct store_mms_retrieval {
    long long id;                /* the delivery (its Transaction-Id is made from it) */
    char user_id[STORE_ID_LEN];
    long long mms_n;             /* the MMS */
    char msisdn[LIMIT_PEER_MAX + 1];   /* the phone it goes to */
    long long outbox_id;         /* the delivery request's outbox row; 0: none */
    time_t expires_at;
};

/* A delivery of MMS mms_n of user_id to msisdn, valid ttl_s seconds
 * (1..LIMIT_RETRIEVAL_TTL_MAX), tied to outbox row outbox_id (0: none).
 * The user's expired deliveries are deleted in the same transaction.
 * token_out: the token for the URL, returned only here; *id_out the
 * delivery. STORE_NOT_FOUND: no such MMS; STORE_INVALID: msisdn or ttl_s. */
enum store_result store_mms_retrieval_create(struct store *s, const char *user_id, long long mms_n,
                                             const char *msisdn, long long outbox_id, int ttl_s,
                                             char token_out[STORE_RETRIEVAL_TOKEN_LEN], long long *id_out);
/* The handset fetches: once. A notified delivery becomes fetched and *out
 * says which MMS to serve; call it in the transaction that reads the MMS
 * (store_tx_begin), so that a failure to read it leaves the token unused. */
enum store_result store_mms_retrieval_fetch(struct store *s, const char *token, struct store_mms_retrieval *out);

enum store_mms_handset {
    STORE_MMS_RETRIEVED,         /* m-notifyresp-ind Retrieved, m-acknowledge-ind: after a fetch */
    STORE_MMS_REJECTED,          /* m-notifyresp-ind Rejected: before or after a fetch */
    STORE_MMS_DEFERRED,          /* m-notifyresp-ind Deferred: it will fetch later; nothing changes */
};
/* The handset's answer on the token's URL for delivery id (the one its
 * Transaction-Id names: another delivery's id is STORE_NOT_FOUND, as is
 * Retrieved before a fetch). Retrieved marks the delivery and its outbox
 * row delivered, Rejected marks them rejected and failed ("rejected by the
 * handset"); the token is then used. *outbox_id_out (may be NULL): the
 * outbox row, 0 for none. */
enum store_result store_mms_retrieval_answer(struct store *s, const char *token, long long id,
                                             enum store_mms_handset what, long long *outbox_id_out);

/* ---- outbox (MT messages to send) ---- */

enum store_outbox_state {
    OUTBOX_QUEUED = 0,     /* waiting to be sent */
    OUTBOX_SENDING,        /* claimed by a vaultbox instance, written to bearerbox, not yet acked */
    OUTBOX_SUBMITTED,      /* bearerbox accepted it (ack_success / ack_buffered) */
    OUTBOX_DELIVERED,      /* delivery report: delivered to the handset */
    OUTBOX_FAILED,         /* permanent failure */
    /* 5: a request rendered into rows of its own (DERIVED_STATE in outbox.c) */
    OUTBOX_SENT = 6,       /* bearerbox accepted it and no report was asked for (migration 014), or
                              none came in time: final, unless a report comes after all */
};

/* What an outbox row is (migration 008). A request names an archived item;
 * the sender of its channel renders it into text and binary rows at send
 * time (store_outbox_take_requests, store_outbox_expand). */
enum store_outbox_kind {
    OUTBOX_TEXT = 0,       /* an MT text */
    OUTBOX_REQUEST = 1,    /* "send item (kind, n) to this phone" */
    OUTBOX_BINARY = 2,     /* an 8-bit MT: UDH and data (a Smart Messaging business card) */
};

#define STORE_CHANNEL_SMS "sms"   /* rows vaultbox sends through bearerbox */
#define STORE_CHANNEL_MMS "mms"   /* rows vaultmms sends through an MMSC */

/* Kannel's data coding of a binary row (gw/sms.h DC_8BIT). */
#define STORE_CODING_8BIT 1
/* Longest UDH and data of a binary row: a UDH is at most one segment's
 * 140 octets; the data, the longest card vaultbox sends. */
#define STORE_OUTBOX_UDH_MAX 140
#define STORE_OUTBOX_DATA_MAX LIMIT_VCARD_MAX

/* What an MT is for, in the metrics by kind (smsvault_mt_*_total{kind}),
 * derived from the columns main's rows already have (store_outbox_purpose):
 * a row with secret is a phone-binding code; a request (OUTBOX_REQUEST) or
 * a row rendered from one (parent_id) is an item sent on request (GET, the
 * page's "send to my phone"); any other row is a reply to a command. */
enum store_mt_purpose {
    STORE_MT_REPLY = 0,   /* a reply to a command */
    STORE_MT_CODE,        /* a phone-binding code */
    STORE_MT_ITEM,        /* an item sent on request */
    STORE_MT_PURPOSES
};
/* "reply", "code", "item" (the metrics' label values, in enum order, NULL-terminated). */
extern const char *const store_mt_purpose_names[];

struct store_outbox_new {
    const char *user_id;   /* may be NULL (e.g. a code to a phone not yet bound) */
    const char *msisdn;
    const char *text;      /* UTF-8; vaultbox picks GSM-7 or UCS-2 */
    size_t text_len;
    bool secret;           /* a one-time code: the text is emptied once the row leaves the
                              queue for good (submitted, delivered or failed; migration 006) */
};

/* A claimed (or handed-over) row: a text or a binary MT. */
struct store_outbox_row {
    long long id;
    long long place;               /* where it is sent among the others: its request's id for
                                      a request's child, else its own (sort by place, then id) */
    enum store_outbox_kind kind;   /* OUTBOX_TEXT or OUTBOX_BINARY */
    char *msisdn;
    char *text;                    /* OUTBOX_TEXT (NUL-terminated), else NULL */
    size_t text_len;
    unsigned char *udh, *data;     /* OUTBOX_BINARY: udh may be NULL (udh_len 0) */
    size_t udh_len, data_len;
    int coding;                    /* OUTBOX_BINARY: STORE_CODING_8BIT */
    int attempts;
    enum store_mt_purpose purpose;
};

/* What a store_outbox_mark_* call did to its row: moved is true when the
 * row changed state (a repeated report, or one that would downgrade a final
 * state, is a no-op: false), with what the row was for. For counting each
 * MT once. */
struct store_outbox_moved {
    bool moved;
    enum store_mt_purpose purpose;
};

/* Queue an MT; NOTIFY smsvault_outbox is sent when the transaction commits.
 * On a connection handing over (below), inside store_tx_begin, the row may
 * be handed over instead: no NOTIFY. */
enum store_result store_outbox_enqueue(struct store *s, const struct store_outbox_new *in,
                                       long long *id_out);

/*
 * Replies handed over in memory (vaultbox's MO workers to its sender): on
 * this connection, from now on, a text row store_outbox_enqueue queues
 * inside an explicit transaction (store_tx_begin) is inserted already
 * SENDING, claimed by instance (claimed_by, claimed_at) — no claim and no
 * NOTIFY — unless a row to the same phone still waits queued on the sms
 * channel (a GET's request, a retry, a row requeued after a reconnect):
 * then it is queued behind it as before, so that the phone's replies keep
 * their order. instance NULL (or no UUID): off, every row queued. The
 * instance's lease must be held (store_outbox_hold) while it is on: a
 * SENDING row of a gone instance is requeued by whoever sweeps
 * (store_outbox_requeue_orphans), as a claimed one is; after a reconnect
 * store_outbox_requeue_sending requeues them too.
 */
void store_outbox_hand_over(struct store *s, const char *instance);
/* The rows handed over in the open transaction (a rollback, or one to a
 * savepoint, forgets those it undid), taken: *out (free with
 * store_outbox_rows_free; NULL when none) and *count. Take them before the
 * commit and give them to the sender only once it succeeded: a row of a
 * transaction that did not commit does not exist. */
void store_outbox_handed_take(struct store *s, struct store_outbox_row **out, size_t *count);
/* Rows ids[0..count) that are still SENDING by instance go back to queued,
 * with a NOTIFY: handed-over rows of a commit whose answer was lost (they
 * may exist and were never given to the sender). count_out (may be NULL):
 * how many moved. At most LIMIT_OUTBOX_MARKS_MAX ids. */
enum store_result store_outbox_requeue_ids(struct store *s, const char *instance, const long long *ids,
                                           size_t count, long long *count_out);

/* ---- delivery requests: one way to send an archived item to a phone ---- */

/* The channel a request for an item of kind goes to: the one switch of who
 * delivers what (store/rules.c). An MMS is STORE_CHANNEL_MMS: vaultmms
 * delivers it as an MMS by the deployment's path ([mms] delivery: MM7
 * SubmitReq, or a WAP push that vaultbox sends and a retrieval URL);
 * SMS and contacts are STORE_CHANNEL_SMS (vaultbox). */
const char *store_outbox_channel_for(enum store_kind kind);

/* Queue a request to send user_id's item (kind, n) to msisdn, in the
 * caller's transaction (or one of its own); the item must exist now
 * (STORE_NOT_FOUND: no such item of this user, nothing written). No text is
 * written: the sender renders the item when it sends it. NOTIFY as
 * store_outbox_enqueue. */
enum store_result store_outbox_request_item(struct store *s, const char *user_id, const char *msisdn,
                                            enum store_kind kind, long long n, long long *id_out);

struct store_outbox_mt;

struct store_outbox_request {
    long long id;
    char user_id[STORE_ID_LEN];    /* "" when the user is gone */
    char *msisdn;
    enum store_kind kind;
    long long n;
    int attempts;                  /* store_outbox_claim_requests: tries so far (store_outbox_retry) */
};

/* Inside the caller's explicit transaction (store_tx_begin; else
 * STORE_INVALID): up to max queued requests of channel whose time has come,
 * oldest first, locked (FOR UPDATE SKIP LOCKED: another sender takes
 * others) until the transaction ends. *count may be 0. */
enum store_result store_outbox_take_requests(struct store *s, const char *channel, int max,
                                             struct store_outbox_request **out, size_t *count);
void store_outbox_requests_free(struct store_outbox_request *reqs, size_t count);

/*
 * A sender that delivers a request itself rather than rendering it into
 * rows (vaultmms: one MMS is one SubmitReq, not SMS): up to max queued
 * requests of channel whose time has come, oldest first, claimed for
 * instance as store_outbox_claim claims rows — state sending, claimed_by
 * instance, so that a reconnect (store_outbox_requeue_sending) or the
 * instance's death (store_outbox_requeue_orphans) puts them back in the
 * queue; then store_outbox_retry, store_mm7_submitted /
 * store_outbox_mark_submitted, store_outbox_handoff or
 * store_outbox_mark_failed settle each. STORE_NOT_FOUND: the instance's
 * lease is not held (store_outbox_hold), nothing claimed. *count may be 0.
 */
enum store_result store_outbox_claim_requests(struct store *s, const char *instance, const char *channel, int max,
                                              struct store_outbox_request **out, size_t *count);

/* A claimed request handed to the sender of another channel (vaultmms's
 * direct path: the WAP push is binary SMS that vaultbox sends): mts are
 * queued, in order, as the request's children on channel, and the request
 * is submitted — its state then follows the handset (delivered when it
 * fetched and answered, store_mms_retrieval_answer), and is failed when a
 * child could not be sent (store_outbox_state). STORE_NOT_FOUND: the
 * request is not claimed (sending) any more; STORE_INVALID: an MT breaks
 * the rules of store_outbox_mt (nothing written). */
enum store_result store_outbox_handoff(struct store *s, long long request_id, const char *channel,
                                       const struct store_outbox_mt *mts, size_t count);

/* The newest delivery request of user_id's item (kind, n), to any phone:
 * what the web page shows beside "send to my phone". */
struct store_outbox_delivery {
    long long id;
    enum store_outbox_state state;   /* as store_outbox_state says */
    char *msisdn;
    char *reason;                    /* "" unless failed */
    time_t requested_at, updated_at;
};
/* STORE_NOT_FOUND: the item was never asked for (or it is not this user's). */
enum store_result store_outbox_item_delivery(struct store *s, const char *user_id, enum store_kind kind,
                                             long long n, struct store_outbox_delivery *out);
void store_outbox_delivery_cleanup(struct store_outbox_delivery *d);
const char *store_outbox_state_name(enum store_outbox_state st);

/* One concrete MT of a rendered request (borrowed). */
struct store_outbox_mt {
    enum store_outbox_kind kind;   /* OUTBOX_TEXT or OUTBOX_BINARY */
    const char *text;              /* OUTBOX_TEXT: UTF-8, 1..LIMIT_SMS_BODY_MAX bytes */
    size_t text_len;
    const unsigned char *udh;      /* OUTBOX_BINARY: UDH with its length octet, or NULL */
    size_t udh_len;                /* ... at most STORE_OUTBOX_UDH_MAX */
    const unsigned char *data;     /* OUTBOX_BINARY: 1..STORE_OUTBOX_DATA_MAX octets */
    size_t data_len;
    int coding;                    /* OUTBOX_BINARY: STORE_CODING_8BIT */
};

/* Request request_id rendered (in the transaction that took it): mts[0..count)
 * are queued as its children, in order, to the request's phone on its
 * channel, and the request is marked rendered — or, with failed_reason, failed
 * (the item was deleted before it could be sent: the children tell the
 * phone so; count may be 0 then). STORE_NOT_FOUND: no such request still queued;
 * STORE_INVALID: an MT breaks the rules above (nothing written). */
enum store_result store_outbox_expand(struct store *s, long long request_id, const struct store_outbox_mt *mts,
                                      size_t count, const char *failed_reason);
/*
 * Sender instances. Several vaultbox processes may send from one outbox
 * (DESIGN.md "Scaling out"); each process start is one instance with a
 * random id, and every row it claims records that id (claimed_by,
 * claimed_at). An instance is alive while it holds its lease: a PostgreSQL
 * session advisory lock, taken by store_outbox_hold on the connection that
 * claims and released by PostgreSQL itself when that session ends (the
 * process died, or its connection broke), plus seen_at, renewed by each
 * store_outbox_hold. It is gone when nobody holds its lock AND seen_at is
 * older than the grace period (store_outbox_requeue_orphans). The lock means
 * a live instance is never taken for gone while its connection is up, however
 * long bearerbox takes to ack (a claimed_at timeout could not tell a slow ack
 * from a dead sender); the grace covers the seconds between a broken
 * connection and the next store_outbox_hold on the new one. Only an instance
 * cut off from the database for longer than the grace can have its rows
 * requeued while it lives — and it could not record their acks meanwhile.
 */

/* A new random instance id (libuuid), for one process start. No database. */
void store_outbox_instance_new(char id_out[STORE_ID_LEN]);
/* Register instance (first call) or renew its lease (later calls): seen_at =
 * now, and the advisory lock taken on this connection when no session holds
 * it (after a reconnect, the lock of the old session is gone). Call it before
 * the first claim and then every few seconds — well within the grace —
 * on the connection that claims. One transaction; not inside store_tx_begin.
 * STORE_CONFLICT: another session holds this instance's lock (an old session
 * of this process that PostgreSQL has not yet seen end); the lease still
 * stands, try again later. STORE_INVALID: instance is not a UUID. */
enum store_result store_outbox_hold(struct store *s, const char *instance);
/* Clean stop: drop the instance and its lock. Rows it still has SENDING
 * (written to bearerbox, ack not recorded) are then orphans that the next
 * store_outbox_requeue_orphans, by any instance, sends again. */
enum store_result store_outbox_release(struct store *s, const char *instance);
/* Claim up to max queued text and binary rows of channel whose retry time
 * has come (FOR UPDATE SKIP LOCKED), oldest first (a request's children at
 * its place), moving them to OUTBOX_SENDING with claimed_by = instance;
 * *count may be 0. Requests are not claimed: they are rendered first;
 * *requests_waiting (may be NULL) says whether queued requests of channel
 * wait for that (store_outbox_take_requests), so that a sender renders
 * only when there is something to render. STORE_NOT_FOUND: instance does
 * not hold its lease (never held, released, or its lock went with a lost
 * connection and store_outbox_hold has not run since) — nothing was
 * claimed. */
enum store_result store_outbox_claim(struct store *s, const char *instance, const char *channel, int max,
                                     struct store_outbox_row **out, size_t *count, bool *requests_waiting);
void store_outbox_rows_free(struct store_outbox_row *rows, size_t count);
/* What one row of a caller's array owns, freed (the row is zeroed). */
void store_outbox_row_cleanup(struct store_outbox_row *r);
/* bearerbox accepted the row (the acker, gateway-plugin/acker.c). This and
 * the two below leave the queue for good: a secret row's text is emptied.
 * The marks write *out (may be NULL) on STORE_OK. An ack with a kannel_uuid
 * that comes after the row's report (delivered or failed, no uuid yet) keeps
 * the final state, records the uuid and moves the row all the same, once,
 * so that every accepted MT counts as submitted (as with mark_many). */
enum store_result store_outbox_mark_submitted(struct store *s, long long id, const char *kannel_uuid,
                                              struct store_outbox_moved *out);
/* The same, for a row sent without asking for a delivery report (dlr_mask
 * without delivered or failed): no report will come, so it is no longer
 * counted as waiting for one (OUTBOX_SENT: final, unless a report comes all
 * the same — below). */
enum store_result store_outbox_mark_sent(struct store *s, long long id, const char *kannel_uuid,
                                         struct store_outbox_moved *out);
/* Delivery reports: final states are never downgraded; a repeated report is a
 * no-op. A sent row (no report asked, or none came in time:
 * store_outbox_settle_unreported) takes a report that comes after all.
 * Keyed by the outbox id alone, not by instance: bearerbox hands a report to
 * any connection of the box id, so the instance that applies it is often
 * not the one that claimed the row. */
enum store_result store_outbox_mark_delivered(struct store *s, long long id, struct store_outbox_moved *out);
enum store_result store_outbox_mark_failed(struct store *s, long long id, const char *reason,
                                           struct store_outbox_moved *out);
/* Many marks in one statement: each moves its row as the function of its
 * state would (OUTBOX_SUBMITTED: store_outbox_mark_submitted, SENT:
 * mark_sent, DELIVERED / FAILED: mark_delivered / mark_failed); at most one
 * mark per id (the caller folds an ack and a report of one row into one:
 * its final state, with the ack's uuid). Rows that are gone or whose state refuses the change are
 * left alone. On STORE_OK each mark's done says what became of its row.
 * STORE_INVALID: a state other than those four, a bad uuid or reason, or
 * more than LIMIT_OUTBOX_MARKS_MAX marks (nothing ran). */
struct store_outbox_mark {
    long long id;
    enum store_outbox_state state;
    const char *kannel_uuid;   /* OUTBOX_SUBMITTED, SENT (or a final state folded with it); may be NULL */
    const char *reason;        /* OUTBOX_FAILED; may be NULL */
    struct store_outbox_moved done;   /* written by store_outbox_mark_many */
};
enum store_result store_outbox_mark_many(struct store *s, struct store_outbox_mark *marks, size_t count);
/* Back to queued, attempts + 1, not before now + delay_s (ack_failed_tmp). */
enum store_result store_outbox_retry(struct store *s, long long id, int delay_s);
/* This instance's rows left SENDING (written on a bearerbox connection that
 * was lost before their acks came) go back to queued; the rows of other
 * instances are not touched. count_out (may be NULL): how many. Run after
 * each new bearerbox connection. */
enum store_result store_outbox_requeue_sending(struct store *s, const char *instance,
                                               long long *count_out);
/* Rows left SENDING by gone instances (see above: no lock, seen_at older than
 * grace_s seconds; or released; or claimed before instances were recorded)
 * go back to queued, and gone instances are forgotten. A live instance's
 * rows are never touched. count_out (may be NULL): rows requeued. Run at
 * start-up and every few seconds by each vaultbox. grace_s: 1..86400. */
enum store_result store_outbox_requeue_orphans(struct store *s, int grace_s, long long *count_out);
/* Rows of channel submitted (accepted, waiting for a delivery report) for
 * more than wait_s seconds become sent (OUTBOX_SENT): no report came — an
 * SMSC that sends none for some messages, a report lost with a killed
 * bearerbox, rows written with reports off before migration 014 — so that
 * the submitted gauge counts what may still be reported. A report that
 * comes later still makes a sent row delivered or failed. Of the max
 * (1..LIMIT_OUTBOX_MARKS_MAX) oldest submitted rows of channel (by id),
 * those that waited long enough, rows another connection holds skipped;
 * counts[purpose] (may be NULL) says how many of each purpose were
 * settled (the caller calls again while the sum was max). wait_s:
 * 1..31536000. One statement; not inside store_tx_begin. */
enum store_result store_outbox_settle_unreported(struct store *s, const char *channel, int wait_s, int max,
                                                 long long counts[STORE_MT_PURPOSES]);
/* A row's state. A rendered request's is its children's: failed when one
 * failed, else the least advanced of them (queued < sending < submitted <
 * sent < delivered); a request not yet rendered is queued, one whose item was gone
 * failed; a request handed off (store_outbox_handoff) is its own, but
 * failed when one of its children failed. */
enum store_result store_outbox_state(struct store *s, long long id, enum store_outbox_state *out);

/* LISTEN smsvault_outbox on this connection, and wait up to timeout_ms for a
 * notification: STORE_OK when one arrived, STORE_NOT_FOUND on timeout (0:
 * only what has arrived already). */
enum store_result store_outbox_listen(struct store *s);
enum store_result store_outbox_wait(struct store *s, int timeout_ms);
/* The connection's socket (-1: none), for a caller that waits on it and on
 * something else at once (poll), then reads with store_outbox_wait(s, 0). */
int store_outbox_socket(const struct store *s);

/* ---- web sessions (only a SHA-256 of the token is stored) ---- */

/* New session: 32 random bytes (CSPRNG) returned as 64 hex chars in token_out. */
enum store_result store_session_create(struct store *s, const char *user_id, int idle_s, int absolute_s,
                                       char token_out[STORE_TOKEN_LEN]);
/* Valid token: writes the user id and extends the idle expiry. Expired or
 * unknown: STORE_NOT_FOUND. */
enum store_result store_session_lookup(struct store *s, const char *token, char user_id_out[STORE_ID_LEN]);
enum store_result store_session_delete(struct store *s, const char *token);

/* ---- operations (vaultctl) ---- */

struct store_fsck_row {
    char user_id[STORE_ID_LEN];
    char *username;
    long long recorded_bytes, actual_bytes;
};

/* Users whose used_bytes differs from the sum of their items; with repair,
 * used_bytes is set to the sum (each user under its row lock). */
enum store_result store_fsck(struct store *s, bool repair, struct store_fsck_row **out, size_t *count);
void store_fsck_rows_free(struct store_fsck_row *rows, size_t count);

struct store_stats {
    long long users, phones, sms, mms, contacts;
    long long allocated_bytes, used_bytes, capacity_bytes;
    long long outbox_queued, outbox_sending, outbox_submitted, outbox_delivered, outbox_failed, outbox_sent;
};
enum store_result store_stats_get(struct store *s, struct store_stats *out);

/*
 * What the metrics poller reads (vaultbox, every [box] metrics_db_interval
 * seconds; vaultctl status): cheaper than store_stats_get, which counts
 * every item. One scan of users (count and the two sums) and index-only
 * counts of the outbox rows still on their way (partial indexes on queued,
 * sending, submitted); delivered and failed rows are history the counters
 * cover. One statement; not inside store_tx_begin.
 */
struct store_gauges {
    long long users;
    long long allocated_bytes, used_bytes, capacity_bytes;
    long long outbox_queued, outbox_sending, outbox_submitted;
    double oldest_queued_age_s;   /* of the oldest queued row; 0 when none */
};
enum store_result store_gauges_get(struct store *s, struct store_gauges *out);

/* ---- metrics (issue 13) ----
 * What only the store sees, counted into reg (NULL: nothing) from now on,
 * by every connection of the process: database connections lost
 * (smsvault_db_reconnects_total: each is made again, by store_ping or by
 * the caller's next store_open), connection attempts refused
 * (smsvault_db_connect_failures_total), and allocations grown (the
 * patent's self-growing space: smsvault_space_grants_total and
 * smsvault_space_granted_bytes_total), counted when the transaction that
 * grew commits — a rolled-back one (or savepoint) grew nothing. Call once,
 * before the threads that open stores. */
struct metrics;
void store_metrics_declare(struct metrics *reg);

#endif
