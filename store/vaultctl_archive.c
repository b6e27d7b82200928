/*
 * vaultctl_archive — export and import of one user's whole archive (see
 * vaultctl_archive.h). It opens, reads and writes the files; what goes in
 * them and how they are stored is archive/'s, as for the page.
 *
 * Export writes the SMS then the MMS, each newest first, into one <smses>
 * document (the app's own layout: both kinds in one file), and the contacts'
 * cards into FILE.vcf; both files are created 0600 (they are a user's
 * messages) through a temporary name, so a failed export leaves no half
 * file. The whole archive is built in memory before it is written.
 * Import reads FILE, and FILE.vcf when it exists, with the format guessed
 * from the first bytes; importing a file again adds nothing (duplicates are
 * skipped, as on the page).
 */
#include "vaultctl_archive.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "archive.h"
#include "buf.h"
#include "export.h"
#include "import.h"

static int fail(const char *what, enum store_result rc)
{
    fprintf(stderr, "vaultctl: %s: %s\n", what, store_result_name(rc));
    return 1;
}

static int find_user(struct store *s, const char *username, struct store_user *u)
{
    enum store_result rc = store_user_by_name(s, username, u);
    if (rc == STORE_NOT_FOUND) {
        fprintf(stderr, "vaultctl: no user %s\n", username);
        return 1;
    }
    return rc == STORE_OK ? 0 : fail("user", rc);
}

/* data[0..len) into path, mode 0600, through path.tmp and a rename. */
static int write_file(const char *path, const char *data, size_t len)
{
    char *tmp = xasprintf("%s.tmp", path);
    int rc = 1;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        goto out;
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(fd, data + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        off += (size_t)w;
    }
    bool ok = off == len && fsync(fd) == 0;
    if (close(fd) != 0)
        ok = false;
    if (ok && rename(tmp, path) == 0)
        rc = 0;
out:
    if (rc != 0) {
        fprintf(stderr, "vaultctl: cannot write %s: %s\n", path, strerror(errno));
        unlink(tmp);
    }
    free(tmp);
    return rc;
}

int vaultctl_export(struct store *s, const char *username, const char *path)
{
    struct store_user u = { 0 };
    if (find_user(s, username, &u) != 0)
        return 1;
    struct buf items, doc, cards;
    buf_init(&items);
    buf_init(&doc);
    buf_init(&cards);
    long long nsms = 0, nmms = 0, ncontacts = 0;
    int status = 1;
    char *vcf = xasprintf("%s.vcf", path);
    enum store_result rc = archive_export_items(s, u.id, ARCHIVE_SMS_XML, NULL, 0, NULL, LLONG_MAX, &items, &nsms);
    if (rc == STORE_OK)
        rc = archive_export_items(s, u.id, ARCHIVE_MMS_XML, NULL, 0, NULL, LLONG_MAX, &items, &nmms);
    if (rc == STORE_OK)
        rc = archive_export_items(s, u.id, ARCHIVE_CONTACT_VCARD, NULL, 0, NULL, LLONG_MAX, &cards, &ncontacts);
    if (rc != STORE_OK) {
        status = fail("export", rc);
        goto out;
    }
    export_xml_document(&doc, &items, nsms + nmms);
    if (write_file(path, doc.data ? doc.data : "", doc.len) != 0 ||
        write_file(vcf, cards.data ? cards.data : "", cards.len) != 0)
        goto out;
    printf("exported %s: sms %lld, mms %lld to %s (%zu bytes); contacts %lld to %s (%zu bytes)\n", username, nsms,
           nmms, path, doc.len, ncontacts, vcf, cards.len);
    status = 0;
out:
    free(vcf);
    buf_cleanup(&items);
    buf_cleanup(&doc);
    buf_cleanup(&cards);
    store_user_cleanup(&u);
    return status;
}

/* The whole of path in *data (NUL-terminated); 0, or 1 with errno. */
static int read_file(const char *path, char **data, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return 1;
    struct buf b;
    buf_init(&b);
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        buf_append(&b, chunk, n);
    bool ok = !ferror(f);
    fclose(f);
    if (!ok) {
        buf_cleanup(&b);
        return 1;
    }
    buf_cstr(&b);
    *data = buf_steal(&b, len);
    return 0;
}

/* One file into the user's archive; prints its counts. */
static int import_one(struct store *s, const struct store_user *u, const char *path)
{
    char *data = NULL;
    size_t len = 0;
    if (read_file(path, &data, &len) != 0) {
        fprintf(stderr, "vaultctl: cannot read %s: %s\n", path, strerror(errno));
        return 1;
    }
    int status = 1;
    if (len == 0) {
        printf("imported %s: nothing (empty)\n", path);
        status = 0;
        goto out;
    }
    enum import_format f = import_detect(data, len);
    struct archive_import_report rep;
    enum store_result rc = archive_import(s, u->id, f, data, len, &rep);
    if (rep.malformed) {
        fprintf(stderr, "vaultctl: %s: %s\n", path, rep.message);
        goto out;
    }
    if (rep.begun)
        printf("imported %s: added %lld (sms %lld, mms %lld, contacts %lld), duplicates %lld, skipped %lld\n", path,
               rep.added, rep.added_kind[STORE_SMS], rep.added_kind[STORE_MMS], rep.added_kind[STORE_CONTACT],
               rep.duplicates, rep.skipped);
    if (rc != STORE_OK) {
        status = fail("import", rc);
        goto out;
    }
    status = 0;
out:
    free(data);
    return status;
}

int vaultctl_import(struct store *s, const char *username, const char *path)
{
    struct store_user u = { 0 };
    if (find_user(s, username, &u) != 0)
        return 1;
    int status = import_one(s, &u, path);
    char *vcf = xasprintf("%s.vcf", path);
    struct stat st;
    if (status == 0 && stat(vcf, &st) == 0)
        status = import_one(s, &u, vcf);
    free(vcf);
    store_user_cleanup(&u);
    return status;
}
