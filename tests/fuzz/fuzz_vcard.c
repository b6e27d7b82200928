/*
 * fuzz_vcard — libFuzzer harness for common/vcard: read the bytes as vCards
 * in whatever charset they name (every name, number, type and card text
 * handed back must be UTF-8; a card not converted must lie inside the
 * input, and a converted one must read back to the same name), and format a
 * name + number split from them (the card must parse back to the same name
 * and number).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"
#include "vcard.h"

struct span {
    const char *base;
    size_t len;
    int cards;
    char *name, *number;
};

static void on_card(const char *name, const char *const *numbers, size_t n, const char *raw,
                    size_t raw_len, void *p)
{
    struct span *s = p;
    if (!utf8_valid(name, strlen(name)) || n > VCARD_MAX_TELS)
        abort();
    for (size_t i = 0; i < n; i++)
        if (!utf8_valid(numbers[i], strlen(numbers[i])))
            abort();
    if (raw < s->base || raw + raw_len > s->base + s->len)
        abort();
    if (s->cards++ == 0 && n > 0) {
        free(s->name);
        free(s->number);
        s->name = strdup(name);
        s->number = strdup(numbers[0]);
    }
}

static void again_card(const struct vcard_card *c, void *p)
{
    const char *want = p;
    if (strcmp(c->name, want) != 0 || c->converted)
        abort();   /* a converted card is UTF-8: read again, it is itself */
}

static void on_read(const struct vcard_card *c, void *p)
{
    struct span *s = p;
    if (!utf8_valid(c->name, strlen(c->name)) || !utf8_valid(c->uid, strlen(c->uid)) || c->ntels > VCARD_MAX_TELS ||
        !utf8_valid(c->text, c->text_len))
        abort();
    for (size_t i = 0; i < c->ntels; i++)
        if (!utf8_valid(c->tels[i].number, strlen(c->tels[i].number)) ||
            !utf8_valid(c->tels[i].types, strlen(c->tels[i].types)))
            abort();
    if (!c->converted && (c->text < s->base || c->text + c->text_len > s->base + s->len))
        abort();
    s->cards++;
    size_t n = 0;
    if (c->converted && (vcard_read(c->text, c->text_len, again_card, (void *)c->name, &n) != VCARD_OK || n != 1))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size ? size : 1);
    memcpy(text, data, size);
    struct span s = { .base = text, .len = size };
    enum vcard_result r = vcard_read(text, size, on_read, &s, NULL);
    if (r != VCARD_OK && s.cards != 0)
        abort();   /* malformed means the callback was never called */

    /* name | number */
    const char *bar = memchr(text, '|', size);
    if (bar) {
        char *name = strndup(text, (size_t)(bar - text));
        char *number = strndup(bar + 1, size - (size_t)(bar - text) - 1);
        char *card = vcard_format(name, number);
        if (card) {
            struct span b = { .base = card, .len = strlen(card) };
            size_t n = 0;
            if (vcard_parse(card, strlen(card), on_card, &b, &n) != VCARD_OK || n != 1)
                abort();
            free(b.name);
            free(b.number);
        }
        free(card);
        free(name);
        free(number);
    }
    free(text);
    return 0;
}
