/*
 * fuzz_vcard — libFuzzer harness for common/vcard: parse the bytes as a
 * vCard text (every name, number and raw card handed back must be UTF-8 and
 * lie inside the input), and format a name + number split from them (the
 * card must parse back to the same name and number).
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size ? size : 1);
    memcpy(text, data, size);
    struct span s = { .base = text, .len = size };
    enum vcard_result r = vcard_parse(text, size, on_card, &s, NULL);
    if (r != VCARD_OK && s.cards != 0)
        abort();   /* malformed means the callback was never called */
    free(s.name);
    free(s.number);

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
