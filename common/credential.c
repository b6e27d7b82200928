/*
 * credential — reading systemd credentials (see credential.h).
 */
#include "credential.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"

bool credential_is_ref(const char *value)
{
    return value != NULL && value[0] == '@';
}

static bool name_ok(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > 255 || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
              c == '_' || c == '-'))
            return false;
    }
    return true;
}

int credential_read(const char *name, char **out, char *err, size_t errlen)
{
    const char *dir = getenv("CREDENTIALS_DIRECTORY");
    char *path = NULL, *buf = NULL;
    int fd = -1, rc = -1;
    size_t len = 0;

    if (!name_ok(name)) {
        snprintf(err, errlen, "credential name \"%.64s\": expected 1-255 of A-Z a-z 0-9 . _ -", name);
        goto out;
    }
    if (dir == NULL || dir[0] != '/') {
        snprintf(err, errlen,
                 "credential %s: $CREDENTIALS_DIRECTORY is not set (start the program from its systemd unit, "
                 "which has LoadCredential=%s, or set CREDENTIALS_DIRECTORY to a directory with a file %s)",
                 name, name, name);
        goto out;
    }
    size_t plen = strlen(dir) + strlen(name) + 2;
    path = xmalloc(plen);
    snprintf(path, plen, "%s/%s", dir, name);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "credential %s: cannot open %s: %s (LoadCredential=%s in the unit; the file is "
                 "looked for in /etc/credstore/ when no path is given)", name, path, strerror(errno), name);
        goto out;
    }
    buf = xmalloc(CREDENTIAL_MAX + 1);
    for (;;) {
        ssize_t r = read(fd, buf + len, CREDENTIAL_MAX + 1 - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            snprintf(err, errlen, "credential %s: read %s: %s", name, path, strerror(errno));
            goto out;
        }
        if (r == 0)
            break;
        len += (size_t)r;
        if (len > CREDENTIAL_MAX) {
            snprintf(err, errlen, "credential %s: more than %d bytes", name, CREDENTIAL_MAX);
            goto out;
        }
    }
    while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r' || buf[len - 1] == ' ' || buf[len - 1] == '\t'))
        len--;
    buf[len] = '\0';
    if (len == 0 || memchr(buf, '\0', len) != NULL) {
        snprintf(err, errlen, "credential %s: %s is empty or holds a NUL byte", name, path);
        goto out;
    }
    *out = xmemdup0(buf, len);
    rc = 0;
out:
    if (fd >= 0)
        close(fd);
    if (buf) {
        memset(buf, 0, len);   /* it may hold a password */
        free(buf);
    }
    free(path);
    return rc;
}

int credential_resolve(char **value, const char *what, char *err, size_t errlen)
{
    char *secret = NULL, inner[600];
    if (!credential_is_ref(*value))
        return 0;
    if (credential_read(*value + 1, &secret, inner, sizeof inner) != 0) {
        snprintf(err, errlen, "%s = %s: %s", what, *value, inner);
        return -1;
    }
    free(*value);
    *value = secret;
    return 0;
}
