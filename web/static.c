/*
 * static — the page's files (see static.h). "/" is index.html. Paths are
 * checked character by character before they touch the file system.
 */
#include "static.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "alloc.h"
#include "log.h"

static const struct {
    const char *ext;
    const char *type;
} types[] = {
    { ".html", "text/html; charset=utf-8" },
    { ".css", "text/css; charset=utf-8" },
    { ".js", "text/javascript; charset=utf-8" },
    { ".svg", "image/svg+xml" },
    { ".png", "image/png" },
    { ".ico", "image/x-icon" },
    { ".txt", "text/plain; charset=utf-8" },
};

static const char *type_of(const char *path)
{
    const char *dot = strrchr(path, '.');
    if (dot == NULL)
        return NULL;
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (strcmp(dot, types[i].ext) == 0)
            return types[i].type;
    return NULL;
}

/* Only [A-Za-z0-9_-.] in segments, no segment starting with '.', no "//". */
static bool path_ok(const char *p)
{
    if (*p != '/' || strlen(p) > 200)
        return false;
    for (const char *c = p; *c; c++) {
        if (*c == '/') {
            if (c[1] == '/' || c[1] == '.')
                return false;
            continue;
        }
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
              *c == '_' || *c == '-' || *c == '.'))
            return false;
    }
    return true;
}

void static_serve(const char *dir, const char *path, struct http_resp *r)
{
    char *full = NULL;
    FILE *f = NULL;
    char *data = NULL;
    if (strcmp(path, "/") == 0)
        path = "/index.html";
    const char *type = type_of(path);
    if (!path_ok(path) || type == NULL)
        goto notfound;
    full = xasprintf("%s%s", dir, path);
    struct stat st;
    if (stat(full, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > (16 << 20))
        goto notfound;
    f = fopen(full, "rb");
    if (f == NULL)
        goto notfound;
    data = xmalloc((size_t)st.st_size + 1);
    size_t got = fread(data, 1, (size_t)st.st_size, f);
    http_bytes(r, 200, type, data, got);
    data = NULL;
    goto out;
notfound:
    http_bytes(r, 404, "text/plain; charset=utf-8", xstrdup("Not found.\n"), 11);
out:
    if (f)
        fclose(f);
    free(data);
    free(full);
}
