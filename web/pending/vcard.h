/*
 * vcard (PENDING STAND-IN) — the declarations common/vcard.h will give when
 * the store branch lands; removed then. Only used when common/vcard.c is
 * missing.
 */
#ifndef SMSVAULT_VCARD_H
#define SMSVAULT_VCARD_H
#include <stddef.h>
struct vcard_card {
    const char *name;
    const char *const *numbers;
    size_t nnumbers;
    const char *raw;
    size_t raw_len;
};
typedef int vcard_fn(void *ctx, const struct vcard_card *card);
char *vcard_format(const char *name, const char *number);
int vcard_parse(const char *text, size_t len, vcard_fn *cb, void *ctx);
#endif
