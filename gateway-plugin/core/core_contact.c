/*
 * core_contact — contacts from the phone: CONTACT <name> <number>, a text
 * that is a vCard (issue 4) and a business card sent the way phones send
 * them, to port 9204 (issue 8). A card is archived with the store's one
 * function for cards (store_contact_add_card, which the web's vCard import
 * uses too): a row per number, the PREF one current. Called by the
 * dispatcher in core.c, which recognises a vCard text and a card's port
 * (core_int.h).
 *
 * Not here: vCard parsing, charsets and formatting (common/vcard.c), which
 * upload of a name is current (store/), listing contacts (core_list.c).
 */
#include "core_int.h"

#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "log.h"
#include "msisdn.h"
#include "vcard.h"

static enum core_result add_contact(struct core_ctx *x, const char *name, const char *number,
                                    const char *vcard, size_t vcard_len)
{
    struct store_contact_new in = {
        .name = name, .number = number, .vcard = vcard, .vcard_len = vcard_len, .source = "sms",
        .tel_types = "CELL",   /* what vcard_format writes */
    };
    long long n;
    enum store_result r = store_contact_add(x->s, x->user_id, &in, &n);
    switch (r) {
    case STORE_OK: return core_say(x, T_CONTACT_OK, n, name);
    case STORE_NO_SPACE: return core_say(x, T_SAVE_NO_SPACE);
    case STORE_INVALID: return core_say(x, T_CONTACT_INVALID);
    default: return core_from_store(x, "contact_add", r);
    }
}

/* CONTACT <name> <number>: the last word is the number, the rest the name. */
enum core_result core_cmd_contact(struct core_ctx *x)
{
    const char *a = x->args;
    size_t len = x->args_len, i = 0, name_end = 0, last = 0, last_end = 0;
    while (i < len) {   /* remember where the last two words are */
        size_t e = i + core_word_end(a + i, len - i);
        name_end = last_end;
        last = i;
        last_end = e;
        i = e + core_skip_ws(a + e, len - e);
    }
    char *number = xstrndup(a + last, last_end - last);
    size_t nl = name_end;
    char *name = xstrndup(a, nl);
    enum core_result cr;
    if (name[0] == '\0' || strlen(name) > LIMIT_TEXT_FIELD_MAX || !msisdn_is_contact(number)) {
        cr = core_say(x, T_CONTACT_INVALID);
    } else {
        char *v = vcard_format(name, number);
        cr = v ? add_contact(x, name, number, v, strlen(v)) : core_say(x, T_CONTACT_INVALID);
        free(v);
    }
    free(name);
    free(number);
    return cr;
}

struct vcard_run {
    struct core_ctx *x;
    enum core_result cr;
    size_t saved;                  /* cards archived */
    bool no_space;                 /* one did not fit: the rest are not tried */
    struct store_card_added first, last;
    char *first_name;
};

static void on_card(const struct vcard_card *card, void *p)
{
    struct vcard_run *v = p;
    struct store_card_added added;
    if (v->cr != CORE_OK || v->no_space)
        return;
    enum store_result r = store_contact_add_card(v->x->s, v->x->user_id, card, "sms", false, &added);
    if (r == STORE_OK) {
        if (v->saved++ == 0) {
            v->first = added;
            v->first_name = xstrdup(card->name);
        }
        v->last = added;
    } else if (r == STORE_NO_SPACE) {
        v->no_space = true;
    } else if (r != STORE_INVALID) {   /* invalid: no name or no phone number, not kept */
        v->cr = core_from_store(v->x, "contact_add_card", r);
    }
}

/* A vCard text, or a business card's octets: every card archived (issue
 * 4, 8); a card that cannot be read stores nothing and says so. */
enum core_result core_run_vcard(struct core_ctx *x, const char *text, size_t len)
{
    struct vcard_run v = { .x = x, .cr = CORE_OK };
    enum vcard_result rc = vcard_read(text, len, on_card, &v, NULL);
    enum core_result cr = v.cr;
    if (rc != VCARD_OK) {
        log_info("core: card-unreadable msisdn=%s bytes=%zu result=%s", x->mo->msisdn, len,
                 rc == VCARD_CHARSET ? "charset" : "malformed");
        cr = core_say(x, T_CARD_BROKEN);
    } else if (cr == CORE_OK && v.saved == 1 && v.first.count == 1) {
        cr = core_say(x, T_CARD_SAVED, v.first.current_n, v.first_name);
    } else if (cr == CORE_OK && v.saved == 1) {
        cr = core_say(x, T_CARD_SAVED_NUMBERS, v.first.first_n, v.first.current_n, v.first.current_n,
                      v.first_name);
    } else if (cr == CORE_OK && v.saved > 1) {
        cr = core_say(x, T_CARDS_SAVED, (long long)v.saved, v.first.first_n, v.last.current_n);
    }
    if (rc == VCARD_OK && cr == CORE_OK && v.no_space)
        cr = core_say(x, T_SAVE_NO_SPACE);
    else if (rc == VCARD_OK && cr == CORE_OK && v.saved == 0)
        cr = core_say(x, T_VCARD_BAD);
    free(v.first_name);
    return cr;
}
