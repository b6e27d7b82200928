/*
 * vcard (PENDING STAND-IN) — a small vCard reader/writer used only until
 * common/vcard.c lands from the store branch; then this file goes away.
 */
#include "vcard.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"
#include "buf.h"

char *vcard_format(const char *name, const char *number)
{
    return xasprintf("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:%s\r\nTEL:%s\r\nEND:VCARD\r\n", name, number);
}

int vcard_parse(const char *text, size_t len, vcard_fn *cb, void *ctx)
{
    size_t p = 0, start = 0;
    char *name = NULL, *nums[16];
    size_t nn = 0;
    bool in = false;
    while (p < len) {
        size_t e = p;
        while (e < len && text[e] != '\n')
            e++;
        size_t le = e;
        if (le > p && text[le - 1] == '\r')
            le--;
        char *line = xstrndup(text + p, le - p);
        if (strcasecmp(line, "BEGIN:VCARD") == 0) {
            in = true;
            start = p;
        } else if (in && strcasecmp(line, "END:VCARD") == 0) {
            struct vcard_card c = { name, (const char *const *)nums, nn, text + start, (e < len ? e + 1 : e) - start };
            int rc = cb(ctx, &c);
            free(name);
            name = NULL;
            for (size_t i = 0; i < nn; i++)
                free(nums[i]);
            nn = 0;
            in = false;
            if (rc) {
                free(line);
                return 0;
            }
        } else if (in) {
            char *colon = strchr(line, ':');
            if (colon && (strncasecmp(line, "FN", 2) == 0 && (line[2] == ':' || line[2] == ';'))) {
                free(name);
                name = xstrdup(colon + 1);
            } else if (colon && strncasecmp(line, "TEL", 3) == 0 && nn < 16) {
                nums[nn++] = xstrdup(colon + 1);
            }
        }
        free(line);
        p = e + 1;
    }
    free(name);
    for (size_t i = 0; i < nn; i++)
        free(nums[i]);
    return in ? -1 : 0;
}
