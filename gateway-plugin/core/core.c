/*
 * core — the SMS command engine (see core.h): recognises the command word
 * (English, case-insensitive, or its Chinese alias), checks arity once from
 * the command table, finds the user bound to the phone, runs the command
 * against the store and queues the replies in the caller's transaction.
 * This file is the dispatcher and what every command shares (core_int.h):
 * configuration keys, the repeat table for unknown text, the reply helpers,
 * text scanning and the command table. The commands themselves are in
 * core_account.c, core_items.c, core_list.c and core_contact.c.
 *
 * Which language a reply is in (issue 15): a user who sent LANG EN|ZH gets
 * every reply in that language, whatever language a command is written in —
 * they asked for it. Until then an English command word is answered in
 * English and a Chinese alias in Chinese (REG vs 注册), and input with no
 * language of its own ("?", a vCard, unknown text) in the account's language
 * (the one REG/注册 was sent in); for a phone without an account, Chinese if
 * the text holds Chinese characters, else English. REG answers in its own
 * language (the account is new); LOGIN in the account's chosen one, if any.
 *
 * Not here: what a command does (the files above), item numbering, space
 * accounting and password checks (store/), Kannel message fields and
 * de-duplication of re-delivered MO (vaultbox).
 */
#include "core_int.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"
#include "core_text.h"
#include "log.h"
#include "msisdn.h"
#include "store.h"
#include "utf8.h"

const struct config_key core_config_keys[] = {
    { "box", "list_segments", CONFIG_INT, "2", 1, 10, offsetof(struct core_config, list_segments),
      "a LIST / FIND reply spans at most this many SMS segments" },
    { "box", "get_max", CONFIG_INT, "5", 1, 50, offsetof(struct core_config, get_max),
      "at most this many items are re-delivered by one GET" },
    { "box", "del_max", CONFIG_INT, "500", 1, 10000, offsetof(struct core_config, del_max),
      "at most this many numbers in one DEL" },
    { "box", "get_header", CONFIG_BOOL, "no", 0, 0, offsetof(struct core_config, get_header),
      "prefix each re-delivered SMS with \"#n \" (no: the original text byte-exact)" },
    { "box", "web_url", CONFIG_STRING, "", 0, 0, offsetof(struct core_config, web_url),
      "URL of the web page, named in the reply to GET M<n> (empty: not named)" },
    { "box", "repeat_answers", CONFIG_INT, "3", 1, 100, offsetof(struct core_config, repeat_answers),
      "the same unknown text from one phone is answered this many times ..." },
    { "box", "repeat_quiet", CONFIG_INT, "3600", 1, 86400 * 7, offsetof(struct core_config, repeat_quiet_s),
      "... then ignored for this many seconds" },
    { "box", "forward_shortcode", CONFIG_STRING, "106591", 0, 0, offsetof(struct core_config, forward_shortcode),
      "texts sent to this second short code are saved verbatim, as SAVE would (empty: none); "
      "kannel.conf routes it to the box" },
    { "box", "contact_delivery", CONFIG_STRING, "vcard", 0, 0, offsetof(struct core_config, contact_delivery),
      "GET C<n> sends a business card to port 9204 (vcard) or the name and number as text (text)" },
};
const size_t core_config_nkeys = sizeof core_config_keys / sizeof core_config_keys[0];

bool core_config_check(struct core_config *cfg, char *err, size_t errlen)
{
    const char *d = cfg->contact_delivery ? cfg->contact_delivery : "vcard";
    if (strcmp(d, "vcard") != 0 && strcmp(d, "text") != 0) {
        snprintf(err, errlen, "[box] contact_delivery: expected vcard or text, got \"%s\"", d);
        return false;
    }
    cfg->contact_as_text = strcmp(d, "text") == 0;
    const char *f = cfg->forward_shortcode ? cfg->forward_shortcode : "";
    if (strlen(f) > 20) {
        snprintf(err, errlen, "[box] forward_shortcode: at most 20 characters");
        return false;
    }
    return true;
}

const char *core_result_name(enum core_result r)
{
    static const char *const names[] = { "ok", "ignored", "retry", "error" };
    return (unsigned)r < sizeof names / sizeof names[0] ? names[r] : "?";
}

/* ---- the phone-repeat table: bounded, in memory, per worker ---- */

#define REPEAT_SLOTS 512

struct repeat {
    uint64_t key;     /* 0: free */
    time_t first;
    long long count;
};

struct core {
    struct core_config cfg;
    struct repeat rep[REPEAT_SLOTS];
    struct list_memo *memo;   /* where deep LIST pages start (core_list.c) */
};

struct core *core_new(const struct core_config *cfg)
{
    struct core *c = xcalloc(1, sizeof *c);
    c->cfg = *cfg;
    c->cfg.web_url = xstrdup(cfg->web_url ? cfg->web_url : "");
    c->cfg.forward_shortcode = xstrdup(cfg->forward_shortcode ? cfg->forward_shortcode : "");
    c->cfg.contact_delivery = xstrdup(cfg->contact_delivery ? cfg->contact_delivery : "vcard");
    c->memo = core_list_memo_new();
    return c;
}

void core_free(struct core *c)
{
    if (c == NULL)
        return;
    free(c->cfg.web_url);
    free(c->cfg.forward_shortcode);
    free(c->cfg.contact_delivery);
    core_list_memo_free(c->memo);
    free(c);
}

static uint64_t fnv1a(uint64_t h, const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

/* Unknown text: answer the first repeat_answers copies from a phone within
 * repeat_quiet seconds, then stay quiet until they have passed (issue 4). */
static bool repeat_allow(struct core *c, const char *msisdn, const char *text, size_t len, time_t now)
{
    uint64_t k = fnv1a(fnv1a(0xcbf29ce484222325ULL, msisdn, strlen(msisdn) + 1), text, len) | 1;
    struct repeat *victim = &c->rep[0];

    for (size_t i = 0; i < REPEAT_SLOTS; i++) {
        struct repeat *r = &c->rep[i];
        if (r->key == k) {
            if (now - r->first >= c->cfg.repeat_quiet_s) {
                r->first = now;
                r->count = 1;
                return true;
            }
            return ++r->count <= c->cfg.repeat_answers;
        }
        if (r->key == 0 || r->first < victim->first)
            victim = r;
        if (r->key == 0)
            break;
    }
    victim->key = k;
    victim->first = now;
    victim->count = 1;
    return true;
}

/* ---- replies ---- */

void core_replies_init(struct core_replies *r)
{
    memset(r, 0, sizeof *r);
}

void core_replies_cleanup(struct core_replies *r)
{
    for (size_t i = 0; i < r->count; i++)
        free(r->texts[i]);
    free(r->texts);
    memset(r, 0, sizeof *r);
}

enum core_result core_from_store(struct core_ctx *x, const char *op, enum store_result r)
{
    log_warn("core: store_failed op=%s result=%s msisdn=%s", op, store_result_name(r), x->mo->msisdn);
    return r == STORE_RETRY ? CORE_RETRY : CORE_ERR;
}

/* Queue text[0..len) for the phone, in the caller's transaction. */
enum core_result core_queue_text(struct core_ctx *x, const char *text, size_t len)
{
    struct store_outbox_new m = {
        .user_id = x->bound ? x->user_id : NULL,
        .msisdn = x->mo->msisdn,
        .text = text,
        .text_len = len,
    };
    long long id;
    enum store_result r = store_outbox_enqueue(x->s, &m, &id);
    if (r != STORE_OK)
        return core_from_store(x, "outbox_enqueue", r);
    struct core_replies *o = x->out;
    o->texts = xrealloc(o->texts, (o->count + 1) * sizeof *o->texts);
    o->texts[o->count++] = xmemdup0(text, len);
    return CORE_OK;
}

/* Queue an owned, NUL-terminated reply and free it. */
enum core_result core_queue_owned(struct core_ctx *x, char *text)
{
    enum core_result r = core_queue_text(x, text, strlen(text));
    free(text);
    return r;
}

/* One-segment reply from the table, in the context's language. */
const char *const core_outcome_names[] = { "ok",      "usage",    "unbound", "denied",    "throttled", "invalid",
                                           "no_space", "taken",   "not_found", "ignored",  NULL };

/* What a reply tells the phone the command came to. */
static enum core_outcome outcome_of(enum core_text_id id)
{
    switch (id) {
    case T_USAGE: case T_CONTACT_INVALID: return CORE_OUT_USAGE;
    case T_UNBOUND: return CORE_OUT_UNBOUND;
    case T_LOGIN_DENIED: case T_PASS_DENIED: return CORE_OUT_DENIED;
    case T_LOGIN_THROTTLED_S: case T_LOGIN_THROTTLED_MIN: return CORE_OUT_THROTTLED;
    case T_BAD_TEXT: case T_REG_INVALID: case T_SAVE_INVALID: case T_BAD_NUMBERS: case T_TOO_MANY:
    case T_FIND_INVALID: case T_VCARD_BAD: case T_PASS_INVALID: case T_LIST_NO_PAGE:
        return CORE_OUT_INVALID;
    case T_SAVE_NO_SPACE: case T_REG_FULL: case T_MMS_NO_SPACE: return CORE_OUT_NO_SPACE;
    case T_REG_TAKEN: return CORE_OUT_TAKEN;
    case T_NOT_FOUND: case T_DEL_NONE: return CORE_OUT_NOT_FOUND;
    default: return CORE_OUT_OK;
    }
}

enum core_result core_say(struct core_ctx *x, enum core_text_id id, ...)
{
    enum core_outcome o = outcome_of(id);
    if (o != CORE_OUT_OK)
        x->out->outcome = o;
    va_list ap;
    va_start(ap, id);
    char *t = core_text_vreply(id, x->lang, ap);
    va_end(ap);
    return core_queue_owned(x, t);
}

/* ---- text scanning ---- */

/* Bytes of the whitespace character at s (ASCII space/tab/CR/LF, NBSP,
 * ideographic space U+3000), or 0. */
size_t core_ws_at(const char *s, size_t len)
{
    if (len >= 1 && (s[0] == ' ' || s[0] == '\t' || s[0] == '\r' || s[0] == '\n'))
        return 1;
    if (len >= 2 && (unsigned char)s[0] == 0xC2 && (unsigned char)s[1] == 0xA0)
        return 2;
    if (len >= 3 && (unsigned char)s[0] == 0xE3 && (unsigned char)s[1] == 0x80 &&
        (unsigned char)s[2] == 0x80)
        return 3;
    return 0;
}

size_t core_skip_ws(const char *s, size_t len)
{
    size_t i = 0, n;
    while (i < len && (n = core_ws_at(s + i, len - i)) > 0)
        i += n;
    return i;
}

size_t core_word_end(const char *s, size_t len)
{
    size_t i = 0;
    while (i < len && core_ws_at(s + i, len - i) == 0)
        i++;
    return i;
}

static void free_argv(struct core_ctx *x)
{
    for (int i = 0; i < x->argc; i++)
        free(x->argv[i]);
    x->argc = 0;
}

/* Split args into words; returns the count, stores at most 4. */
static int split_args(struct core_ctx *x)
{
    int n = 0;
    size_t i = core_skip_ws(x->args, x->args_len);
    while (i < x->args_len) {
        size_t e = core_word_end(x->args + i, x->args_len - i);
        if (n < 4)
            x->argv[x->argc++] = xstrndup(x->args + i, e);
        n++;
        i += e;
        i += core_skip_ws(x->args + i, x->args_len - i);
    }
    return n;
}

/* True when the text starts with BEGIN:VCARD (any case). */
static bool is_vcard(const char *t, size_t len)
{
    return len >= 11 && strncasecmp(t, "BEGIN:VCARD", 11) == 0;
}

/* ---- the command table ---- */

/* Who the phone is: bound to an account (needs it), or may be (the reply
 * follows the account's chosen language), or is about to be (REG and LOGIN
 * bind it: its present owner does not matter). */
enum core_phone { PHONE_NEEDS_USER, PHONE_MAY_BE_USER, PHONE_BINDS };

static const struct core_command {
    const char *name;        /* matched case-insensitively, as a whole word */
    const char *alias_en;    /* a second English spelling, or NULL */
    const char *alias_zh;    /* Chinese alias, UTF-8; matched as a prefix ("保存你好" works) */
    int min_args, max_args;  /* max -1: the rest of the text is one argument */
    enum core_phone phone;
    const char *usage_en, *usage_zh;
    core_cmd_fn *run;
} commands[] = {
    { "HELP", "?", "帮助", 0, -1, PHONE_MAY_BE_USER, "HELP", "帮助", core_cmd_help },
    { "REG", "REGISTER", "注册", 2, 2, PHONE_BINDS, "REG <user> <password>", "注册 用户名 密码", core_cmd_reg },
    { "LOGIN", NULL, "登录", 2, 2, PHONE_BINDS, "LOGIN <user> <password>", "登录 用户名 密码", core_cmd_login },
    { "SAVE", NULL, "保存", 1, -1, PHONE_NEEDS_USER, "SAVE <text>", "保存 内容", core_cmd_save },
    { "LIST", NULL, "列表", 0, 2, PHONE_NEEDS_USER, "LIST [MMS|C] [page]", "列表 [彩信|联系人] [页]", core_cmd_list },
    { "GET", NULL, "下载", 1, -1, PHONE_NEEDS_USER, "GET 3 | GET 3,5 | GET 3-7 | GET M2 | GET C4",
      "下载 3|下载 3,5|下载 3-7|下载 M2|下载 C4", core_cmd_get },
    { "DEL", "DELETE", "删除", 1, -1, PHONE_NEEDS_USER, "DEL 3 | DEL 3,5 | DEL 3-7 | DEL M2 | DEL C4",
      "删除 3|删除 3,5|删除 3-7|删除 M2|删除 C4", core_cmd_del },
    { "FIND", NULL, "查找", 1, -1, PHONE_NEEDS_USER, "FIND <words>", "查找 词语", core_cmd_find },
    { "SPACE", NULL, "空间", 0, 0, PHONE_NEEDS_USER, "SPACE", "空间", core_cmd_space },
    { "CONTACT", NULL, "联系人", 2, -1, PHONE_NEEDS_USER, "CONTACT <name> <number>", "联系人 姓名 号码",
      core_cmd_contact },
    { "PASS", NULL, "密码", 2, 2, PHONE_NEEDS_USER, "PASS <old> <new>", "密码 旧密码 新密码", core_cmd_pass },
    { "LANG", NULL, "语言", 1, 1, PHONE_NEEDS_USER, "LANG EN|ZH", "语言 EN|ZH", core_cmd_lang },
};

const char *const core_command_names[] = { "HELP", "REG",   "LOGIN",   "SAVE",  "LIST",    "GET",  "DEL",
                                           "FIND", "SPACE", "CONTACT", "PASS",  "LANG",    "unknown",
                                           "vcard", "badtext", "none", NULL };

/* Find the command at the start of t; writes where its arguments start and
 * the language of the word. "？" (full-width) counts as "?". */
static const struct core_command *match_command(const char *t, size_t len, size_t *args_at,
                                                enum core_lang *lang, bool *neutral)
{
    size_t w = core_word_end(t, len);
    *neutral = false;
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        const struct core_command *c = &commands[i];
        const char *en[2] = { c->name, c->alias_en };
        for (int k = 0; k < 2; k++) {
            if (en[k] && strlen(en[k]) == w && strncasecmp(t, en[k], w) == 0) {
                *args_at = w;
                *lang = CORE_EN;
                *neutral = en[k][0] == '?';
                return c;
            }
        }
        size_t al = strlen(c->alias_zh);
        if (len >= al && memcmp(t, c->alias_zh, al) == 0) {
            *args_at = al;
            *lang = CORE_ZH;
            return c;
        }
    }
    if (w == 3 && memcmp(t, "\xEF\xBC\x9F", 3) == 0) {   /* ？ */
        *args_at = 3;
        *lang = CORE_EN;
        *neutral = true;
        return &commands[0];
    }
    return NULL;
}

enum core_result core_usage(struct core_ctx *x)
{
    const struct core_command *c = x->cmd;
    return core_say(x, T_USAGE, x->lang == CORE_ZH ? c->usage_zh : c->usage_en);
}

/* ---- dispatch ---- */

enum core_lang core_lang_of(const char *lang)
{
    return lang && strcmp(lang, "zh") == 0 ? CORE_ZH : CORE_EN;
}

/* Look the phone up, with its account's language; STORE_NOT_FOUND leaves
 * x->bound false. */
static enum core_result find_user(struct core_ctx *x)
{
    struct store_phone_owner o;
    enum store_result r = store_phone_owner(x->s, x->mo->msisdn, &o);
    if (r == STORE_NOT_FOUND)
        return CORE_OK;
    if (r != STORE_OK)
        return core_from_store(x, "phone_owner", r);
    x->bound = true;
    memcpy(x->user_id, o.user_id, STORE_ID_LEN);
    x->account_lang = core_lang_of(o.lang);
    x->lang_chosen = o.lang_chosen;
    return CORE_OK;
}

/* For input without a language of its own: the account's language, or for
 * a phone without one the text's. */
static void use_input_lang(struct core_ctx *x, const char *t, size_t len)
{
    x->lang = x->bound ? x->account_lang : core_text_lang_of(t, len);
}

/* Unknown text and unbound phones: answered, but not forever. */
static enum core_result say_unless_repeated(struct core_ctx *x, enum core_text_id id, const char *t, size_t len)
{
    if (!repeat_allow(x->c, x->mo->msisdn, t, len, x->now)) {
        log_info("core: repeat_muted msisdn=%s", x->mo->msisdn);
        return CORE_IGNORED;
    }
    return core_say(x, id);
}

bool core_mo_hashes_password(const struct core_mo *mo)
{
    size_t at, args_at;
    enum core_lang lang;
    bool neutral;
    if (mo->flags || mo->text == NULL)
        return false;
    at = core_skip_ws(mo->text, mo->len);
    const struct core_command *cmd = match_command(mo->text + at, mo->len - at, &args_at, &lang, &neutral);
    return cmd && (cmd->run == core_cmd_reg || cmd->run == core_cmd_login || cmd->run == core_cmd_pass);
}

static enum core_result handle(struct core *c, struct store *s, const struct core_mo *mo,
                               struct core_replies *out)
{
    struct core_ctx x = { .c = c, .cfg = &c->cfg, .memo = c->memo, .s = s, .mo = mo, .out = out, .lang = CORE_EN };
    enum core_result cr;
    size_t at, args_at;
    bool neutral;
    const struct core_command *cmd;

    x.now = mo->at ? mo->at : time(NULL);
    snprintf(out->cmd, sizeof out->cmd, "none");
    /* nothing is sent to a sender we cannot answer: alphanumeric senders
     * (operators, banks, spam), and anything the store could not keep as a
     * phone — every store call for it would be refused and the MO retried
     * until given up */
    if (!msisdn_answerable(mo->msisdn))
        return CORE_IGNORED;
    /* lone concatenation parts never run (they are not the whole message) */
    if (mo->flags & CORE_MO_FRAGMENT)
        return CORE_IGNORED;
    /* binary data and other applications' ports (WAP push 2948, ringtones
     * 5505, OTA settings 49999): not for us, nothing stored or charged */
    if (mo->flags & CORE_MO_BINARY) {
        log_info("core: binary-ignored msisdn=%s port=%d bytes=%zu", mo->msisdn, mo->port, mo->len);
        return CORE_IGNORED;
    }
    if ((mo->flags & CORE_MO_CARD) && !(mo->flags & CORE_MO_BAD_TEXT)) {
        /* a business card (Smart Messaging, port 9204), octets in its own charset */
        snprintf(out->cmd, sizeof out->cmd, "card");
        if ((cr = find_user(&x)) != CORE_OK)
            return cr;
        use_input_lang(&x, mo->text, mo->len);
        return x.bound ? core_run_vcard(&x, mo->text, mo->len)
                       : say_unless_repeated(&x, T_UNBOUND, mo->text, mo->len);
    }
    if ((mo->flags & CORE_MO_BAD_TEXT) || !utf8_valid(mo->text, mo->len)) {
        snprintf(out->cmd, sizeof out->cmd, "badtext");
        return say_unless_repeated(&x, T_BAD_TEXT, "\x01", 1);
    }
    if (x.cfg->forward_shortcode[0] && mo->shortcode && strcmp(mo->shortcode, x.cfg->forward_shortcode) == 0) {
        /* the second short code: whatever is sent (forwarded) to it is kept
         * verbatim, as SAVE would; a forward names no original sender, so
         * the peer is the forwarding phone */
        snprintf(out->cmd, sizeof out->cmd, "forward");
        if ((cr = find_user(&x)) != CORE_OK)
            return cr;
        use_input_lang(&x, mo->text, mo->len);
        return x.bound ? core_save_text(&x, mo->text, mo->len, mo->msisdn)
                       : say_unless_repeated(&x, T_UNBOUND, mo->text, mo->len);
    }
    at = core_skip_ws(mo->text, mo->len);
    const char *t = mo->text + at;
    size_t len = mo->len - at;

    if (is_vcard(t, len)) {
        snprintf(out->cmd, sizeof out->cmd, "vcard");
        if ((cr = find_user(&x)) != CORE_OK)
            return cr;
        use_input_lang(&x, t, len);
        return x.bound ? core_run_vcard(&x, t, len) : say_unless_repeated(&x, T_UNBOUND, t, len);
    }
    cmd = match_command(t, len, &args_at, &x.lang, &neutral);
    if (cmd == NULL) {
        snprintf(out->cmd, sizeof out->cmd, "unknown");
        if ((cr = find_user(&x)) != CORE_OK)
            return cr;
        use_input_lang(&x, t, len);
        return say_unless_repeated(&x, x.bound ? T_UNKNOWN : T_UNBOUND, t, len);
    }
    snprintf(out->cmd, sizeof out->cmd, "%s", cmd->name);
    x.cmd = cmd;
    if (cmd->phone != PHONE_BINDS) {
        if ((cr = find_user(&x)) != CORE_OK)
            return cr;
        if (neutral)
            use_input_lang(&x, t, len);
        else if (x.bound && x.lang_chosen)
            x.lang = x.account_lang;   /* LANG was sent: it wins over the command's language */
        if (cmd->phone == PHONE_NEEDS_USER && !x.bound)
            return say_unless_repeated(&x, T_UNBOUND, t, len);
    }
    x.args = t + args_at + core_skip_ws(t + args_at, len - args_at);
    x.args_len = (size_t)(t + len - x.args);
    int nargs = split_args(&x);
    if (nargs < cmd->min_args || (cmd->max_args >= 0 && nargs > cmd->max_args))
        cr = core_usage(&x);
    else
        cr = cmd->run(&x);
    free_argv(&x);
    return cr;
}

void core_attempt_begin(struct core *c)
{
    core_list_memo_settle(c->memo, false);
}

void core_attempt_end(struct core *c, bool committed)
{
    core_list_memo_settle(c->memo, committed);
}

enum core_result core_handle(struct core *c, struct store *s, const struct core_mo *mo,
                             struct core_replies *out)
{
    enum core_result cr = handle(c, s, mo, out);
    if (cr == CORE_IGNORED)
        out->outcome = CORE_OUT_IGNORED;
    return cr;
}
