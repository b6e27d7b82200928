/*
 * core_contact — contacts from the phone: CONTACT <name> <number> and a
 * text that is a vCard (issue 4), each archived as a contact with its card.
 * Called by the dispatcher in core.c, which recognises a vCard text
 * (core_int.h).
 *
 * Not here: vCard parsing and formatting (common/vcard.c), which upload of
 * a name is current (store/), listing contacts (core_list.c).
 */
#include "core_int.h"

#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "msisdn.h"
#include "vcard.h"

static enum core_result add_contact(struct core_ctx *x, const char *name, const char *number,
                                    const char *vcard, size_t vcard_len)
{
    struct store_contact_new in = {
        .name = name, .number = number, .vcard = vcard, .vcard_len = vcard_len, .source = "sms",
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
    int saved;
};

static void on_vcard(const char *name, const char *const *numbers, size_t nnumbers, const char *raw,
                     size_t raw_len, void *p)
{
    struct vcard_run *v = p;
    size_t i = 0;
    while (i < nnumbers && !msisdn_is_contact(numbers[i]))
        i++;
    if (v->cr != CORE_OK || name[0] == '\0' || i == nnumbers)
        return;   /* no name, or no number that is a phone number */
    /* the first phone number is the one kept; the card is archived as received */
    v->cr = add_contact(v->x, name, numbers[i], raw, raw_len);
    v->saved++;
}

/* A vCard text message is archived as a contact (issue 4). */
enum core_result core_run_vcard(struct core_ctx *x, const char *text, size_t len)
{
    struct vcard_run v = { .x = x, .cr = CORE_OK };
    if (vcard_parse(text, len, on_vcard, &v, NULL) != VCARD_OK)
        return core_say(x, T_VCARD_BAD);
    if (v.cr == CORE_OK && v.saved == 0)
        return core_say(x, T_VCARD_BAD);
    return v.cr;
}
