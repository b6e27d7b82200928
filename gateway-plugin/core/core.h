/*
 * core — the SMS command engine: one MO text in, store actions and reply
 * texts out (DESIGN.md "SMS command language").
 *
 * Plain C: no Kannel types, no SQL, no threads. The Kannel adapter
 * (vaultbox) converts a Kannel Msg into a struct core_mo and calls
 * core_handle() inside a transaction it opened on the store; this module
 * runs the command with store_* calls, which join that transaction, and
 * queues every reply with store_outbox_enqueue() in the same transaction —
 * so a command, its MO de-duplication record (written by the adapter with
 * store_mo_seen) and its replies commit together or not at all (reliability
 * model). An item that GET sends back is queued as a delivery request
 * (store_outbox_request_item), rendered when it is sent (core_render.h).
 * The texts are also handed back in `struct core_replies` for the caller's
 * logging and for tests; the adapter sends nothing itself from them —
 * replies leave from the outbox after commit.
 *
 * Besides commands it takes what a handset sends without one: a business
 * card (a vCard to port 9204, or texted) is archived as contacts, and every
 * text sent to the second short code ([box] forward_shortcode: a message
 * the person forwards to keep it) is saved as SAVE would.
 *
 * It is not thread-safe: a `struct core` holds a small in-memory table of
 * recent unknown texts per phone (so a phone that keeps sending the same
 * junk is answered a few times, then not for a while). vaultbox gives each
 * worker thread its own core; one phone always lands on the same worker.
 */
#ifndef SMSVAULT_CORE_H
#define SMSVAULT_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "config.h"

struct store;

/* [box] keys of smsvault.conf read by the engine. */
struct core_config {
    long long list_segments;   /* a LIST / FIND reply spans at most this many SMS segments */
    long long get_max;         /* at most this many items per GET */
    long long del_max;         /* at most this many numbers per DEL */
    bool get_header;           /* prefix each re-delivered SMS with "#n " */
    char *web_url;             /* base URL of the web page, shown for GET M<n> */
    long long repeat_answers;  /* the same unknown text from one phone is answered this often ... */
    long long repeat_quiet_s;  /* ... within this many seconds, then ignored until they pass */
    char *forward_shortcode;   /* texts sent to this number are saved verbatim ("" : none) */
    char *contact_delivery;    /* "vcard" (a port-9204 business card) or "text" */
    bool contact_as_text;      /* contact_delivery is "text" (core_config_check sets it) */
};

extern const struct config_key core_config_keys[];
extern const size_t core_config_nkeys;

/* What the key table cannot check: contact_delivery is vcard or text (and
 * contact_as_text follows it). False with a message naming the key. */
bool core_config_check(struct core_config *cfg, char *err, size_t errlen);

enum core_result {
    CORE_OK = 0,      /* done: replies (possibly none) queued; commit and ack */
    CORE_IGNORED,     /* not a command (binary, lone fragment, a sender that cannot be
                         answered — msisdn_answerable —, muted repeat): nothing written;
                         commit and ack */
    CORE_RETRY,       /* the store asked for a retry (lost connection, serialization):
                         roll back and run the MO again later */
    CORE_ERR,         /* the store failed otherwise: roll back, retry later */
};

const char *core_result_name(enum core_result r);

/* Flags of an MO, set by the adapter from the Kannel message (core_mo.h). */
enum {
    CORE_MO_BINARY = 1 << 0,     /* 8-bit data or a port other than 9204: never a command, ignored */
    CORE_MO_FRAGMENT = 1 << 1,   /* a concatenation part that arrived alone: never a command */
    CORE_MO_BAD_TEXT = 1 << 2,   /* the text could not be decoded (invalid UTF-16): error reply */
    CORE_MO_CARD = 1 << 3,       /* to port 9204 (Smart Messaging): a business card; text holds
                                    its octets as received, in whatever charset it names */
};

struct core_mo {
    const char *msisdn;          /* the sender; digits with an optional '+' */
    const char *shortcode;       /* the service number it was sent to (may be NULL) */
    const char *text;            /* UTF-8 (CORE_MO_CARD: octets), not necessarily NUL-terminated */
    size_t len;
    unsigned flags;
    int port;                    /* the destination port of a port-addressed MO, else 0 */
    time_t at;                   /* when it arrived (0: now) */
};

/* What a command came to, as the phone was told (vaultbox's metrics:
 * smsvault_commands_total{result}). Names in core_outcome_names. */
enum core_outcome {
    CORE_OUT_OK = 0,       /* done as asked (an empty list or no match is done too) */
    CORE_OUT_USAGE,        /* wrong arguments: the usage line was sent */
    CORE_OUT_UNBOUND,      /* the phone has no account */
    CORE_OUT_DENIED,       /* wrong user name or password */
    CORE_OUT_THROTTLED,    /* too many wrong passwords: wait */
    CORE_OUT_INVALID,      /* input refused (a bad name, text, number list, vCard) */
    CORE_OUT_NO_SPACE,     /* no space left (the user's cap, or the server's) */
    CORE_OUT_TAKEN,        /* the user name is taken */
    CORE_OUT_NOT_FOUND,    /* some item numbers do not exist */
    CORE_OUT_IGNORED,      /* nothing sent (CORE_IGNORED) */
    CORE_OUT_COUNT
};
/* "ok", "usage", ... in enum order, NULL-terminated. */
extern const char *const core_outcome_names[];
/* Every value struct core_replies.cmd takes: the commands' names, then
 * "unknown", "vcard", "badtext" and "none" (not a command: binary, a lone
 * fragment, a sender that cannot be answered); NULL-terminated. */
extern const char *const core_command_names[];

/* The texts queued for the phone by one core_handle call. */
struct core_replies {
    char **texts;                /* UTF-8, NUL-terminated */
    size_t count;
    size_t requests;             /* items queued for delivery (GET), rendered when sent */
    enum core_outcome outcome;
    char cmd[12];                /* the command recognised ("SAVE", "unknown", ...): core_command_names */
};

void core_replies_init(struct core_replies *r);
void core_replies_cleanup(struct core_replies *r);

struct core;

/* cfg is copied. */
struct core *core_new(const struct core_config *cfg);
void core_free(struct core *c);   /* NULL is a no-op */

/*
 * An engine remembers where the deep pages of LIST start, per account
 * (core_list.c), and learns it inside the caller's transaction. A caller
 * that runs core_handle in transactions says when an attempt begins and
 * how it ended, so that nothing is kept of what an attempt that did not
 * commit let LIST see (its own writes, rolled back). What is kept is also
 * checked against the store before each use; a caller without
 * transactions (the tests' fake store) need not call these.
 */
void core_attempt_begin(struct core *c);
void core_attempt_end(struct core *c, bool committed);

/*
 * True when mo is a command that verifies or hashes a password (REG, LOGIN,
 * PASS and their aliases). Each such check costs argon2id's memory (12 MiB,
 * see store/users.c); vaultbox runs them one at a time so
 * that a burst of registrations does not multiply the box's memory.
 */
bool core_mo_hashes_password(const struct core_mo *mo);

/*
 * Run one MO. `s` must be inside a transaction opened by the caller
 * (store_tx_begin, usually with a savepoint per MO); replies are queued with
 * store_outbox_enqueue in it. `out` (initialised by the caller) receives
 * copies of the queued texts. On CORE_RETRY / CORE_ERR the caller must roll
 * back what this call wrote (rollback to its savepoint); `out` may then hold
 * texts that were never committed.
 */
enum core_result core_handle(struct core *c, struct store *s, const struct core_mo *mo,
                             struct core_replies *out);

#endif
