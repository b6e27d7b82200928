/*
 * core_int — what the files of the SMS command engine share: the context of
 * the MO being run (struct core_ctx), the reply helpers, the whitespace
 * scanner and the entry point of each command. core.c holds the dispatcher
 * and the command table; the commands live in files by concern:
 *
 *   core_account.c   HELP, REG, LOGIN, PASS, LANG
 *   core_items.c     SAVE (and texts to the forward short code), GET, DEL, SPACE
 *   core_list.c      LIST, FIND
 *   core_contact.c   CONTACT, vCard texts and port-9204 business cards
 *   core_render.c    what an item sent to the phone becomes (core_render.h)
 *   core_mo.c        an MO's coding and UDH (core_mo.h)
 *
 * Private to gateway-plugin/core/: nothing outside it includes this header
 * (the engine's interface is core.h), and it is no interface to keep stable.
 * A command sees the engine only through its struct core_ctx.
 */
#ifndef SMSVAULT_CORE_INT_H
#define SMSVAULT_CORE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "core.h"
#include "core_text.h"
#include "store.h"

struct core_command;   /* an entry of the command table (core.c) */
struct list_memo;      /* where deep LIST pages start (core_list.c) */

/* One MO being run: set up by core_handle, borrowed by the command. */
struct core_ctx {
    struct core *c;
    const struct core_config *cfg;   /* c's configuration */
    struct list_memo *memo;          /* c's */
    struct store *s;
    const struct core_mo *mo;
    struct core_replies *out;
    time_t now;
    enum core_lang lang;          /* the language replies are in */
    bool bound;                   /* the phone is bound to an account: */
    char user_id[STORE_ID_LEN];   /* ... this one, */
    enum core_lang account_lang;  /* ... in this language, */
    bool lang_chosen;             /* ... chosen with LANG (then it is every reply's) */
    const char *args;             /* the text after the command word and its whitespace */
    size_t args_len;
    char *argv[4];                /* whitespace-separated words of args (fixed-arity commands) */
    int argc;
    const struct core_command *cmd;   /* the command being run */
};

/* "zh" → CORE_ZH, anything else CORE_EN (core.c). */
enum core_lang core_lang_of(const char *lang);

/* ---- replies (core.c): each queues in the caller's transaction ---- */

/* A store failure: logged, and CORE_RETRY or CORE_ERR for the caller. */
enum core_result core_from_store(struct core_ctx *x, const char *op, enum store_result r);

/* Queue text[0..len) for the phone. */
enum core_result core_queue_text(struct core_ctx *x, const char *text, size_t len);

/* Queue a NUL-terminated reply; consumes text (freed on every path). */
enum core_result core_queue_owned(struct core_ctx *x, char *text);

/* One-segment reply from the table (core_text.c), in x->lang. */
enum core_result core_say(struct core_ctx *x, enum core_text_id id, ...);

/* The usage line of the command being run (x->cmd). */
enum core_result core_usage(struct core_ctx *x);

/* ---- text scanning (core.c) ---- */

/* Bytes of the whitespace character at s (ASCII space/tab/CR/LF, NBSP,
 * ideographic space U+3000), or 0. */
size_t core_ws_at(const char *s, size_t len);
/* Bytes of whitespace at the start of s. */
size_t core_skip_ws(const char *s, size_t len);
/* Bytes up to the first whitespace of s (or len). */
size_t core_word_end(const char *s, size_t len);

/* ---- the commands: the dispatcher has checked arity and, where the table
 * says so, that the phone is bound (x->bound, x->user_id) ---- */

typedef enum core_result core_cmd_fn(struct core_ctx *x);

core_cmd_fn core_cmd_help, core_cmd_reg, core_cmd_login, core_cmd_pass, core_cmd_lang;   /* core_account.c */
core_cmd_fn core_cmd_save, core_cmd_get, core_cmd_del, core_cmd_space;                   /* core_items.c */
core_cmd_fn core_cmd_list, core_cmd_find;                                                /* core_list.c */
core_cmd_fn core_cmd_contact;                                                            /* core_contact.c */

/* What LIST remembers of an engine's deep pages (core_list.c). settle: what
 * was learned since the last settle is kept (committed) or forgotten. */
struct list_memo *core_list_memo_new(void);
void core_list_memo_free(struct list_memo *m);   /* NULL is a no-op */
void core_list_memo_settle(struct list_memo *m, bool committed);

/* A text starting BEGIN:VCARD, or a business card to port 9204 (octets in
 * any charset), from a bound phone: its cards are archived as contacts
 * (core_contact.c). */
enum core_result core_run_vcard(struct core_ctx *x, const char *text, size_t len);

/* Archive text[0..len) verbatim as the next SMS, with peer (NULL: none),
 * and answer as SAVE does (core_items.c): SAVE's text, and a text sent to
 * the forward short code. */
enum core_result core_save_text(struct core_ctx *x, const char *text, size_t len, const char *peer);

#endif
