/*
 * vaultctl_archive — export and import of one user's whole archive (see
 * vaultctl_archive.h). It opens, reads and writes the files; what goes in
 * them and how they are stored is archive/'s, as for the page.
 *
 * Export writes the SMS then the MMS, each newest first, into one <smses>
 * document (the app's own layout: both kinds in one file), and the contacts'
 * cards into FILE.vcf; both files are created 0600 (they are a user's
 * messages) through a temporary name, so a failed export leaves no half
 * file. Both are written as they are read, a page of the archive at a
 * time (archive_export_next), in one snapshot of the database.
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

/* A file written as it is made: mode 0600, through path.tmp and a rename
 * once all of it is written and synced (out_finish), so that a failed
 * export leaves no half file. */
struct out_file {
    char *path, *tmp;
    int fd;
    int err;        /* the first errno, 0 while all went well */
    size_t bytes;
};

static void out_open(struct out_file *f, const char *path)
{
    f->path = xstrdup(path);
    f->tmp = xasprintf("%s.tmp", path);
    f->bytes = 0;
    f->err = 0;
    f->fd = open(f->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (f->fd < 0)
        f->err = errno ? errno : EIO;
}

/* b's bytes to the file; b is emptied. */
static void out_write(struct out_file *f, struct buf *b)
{
    size_t off = 0;
    while (f->err == 0 && off < b->len) {
        ssize_t w = write(f->fd, b->data + off, b->len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            f->err = w < 0 ? errno : EIO;
            break;
        }
        off += (size_t)w;
    }
    f->bytes += off;
    buf_clear(b);
}

/* keep: all went in, put it in place; else remove it. 0, or 1 with the reason said. */
static int out_finish(struct out_file *f, bool keep)
{
    int rc = 1;
    if (f->fd >= 0) {
        if (f->err == 0 && keep && fsync(f->fd) != 0)
            f->err = errno;
        if (close(f->fd) != 0 && f->err == 0)
            f->err = errno;
    }
    if (keep && f->err == 0 && rename(f->tmp, f->path) == 0)
        rc = 0;
    else if (keep && f->err == 0)
        f->err = errno;
    if (rc != 0) {
        if (f->err)
            fprintf(stderr, "vaultctl: cannot write %s: %s\n", f->path, strerror(f->err));
        unlink(f->tmp);
    }
    free(f->path);
    free(f->tmp);
    return rc;
}

/* Every item of e into f, a page at a time. */
static enum store_result stream_items(struct archive_export *e, struct out_file *f, struct buf *b)
{
    bool done = false;
    enum store_result rc = STORE_OK;
    while (!done && rc == STORE_OK && f->err == 0) {
        rc = archive_export_next(e, b, &done);
        out_write(f, b);
    }
    return rc;
}

int vaultctl_export(struct store *s, const char *username, const char *path)
{
    struct store_user u = { 0 };
    if (find_user(s, username, &u) != 0)
        return 1;
    struct buf b;
    buf_init(&b);
    struct archive_export *sms = NULL, *mms = NULL, *cards = NULL;
    struct out_file doc = { .fd = -1 }, vcf = { .fd = -1 };
    bool doc_open = false, vcf_open = false, ok = false;
    int status = 1;
    char *vcf_path = xasprintf("%s.vcf", path);
    /* one snapshot: the document's count is the items it holds */
    enum store_result rc = store_tx_begin_snapshot(s);
    if (rc == STORE_OK)
        rc = archive_export_open(s, u.id, ARCHIVE_SMS_XML, NULL, 0, NULL, LLONG_MAX, &sms);
    if (rc == STORE_OK)
        rc = archive_export_open(s, u.id, ARCHIVE_MMS_XML, NULL, 0, NULL, LLONG_MAX, &mms);
    if (rc == STORE_OK)
        rc = archive_export_open(s, u.id, ARCHIVE_CONTACT_VCARD, NULL, 0, NULL, LLONG_MAX, &cards);
    if (rc != STORE_OK)
        goto out;
    out_open(&doc, path);
    doc_open = true;
    export_xml_head(&b, archive_export_count(sms) + archive_export_count(mms));
    out_write(&doc, &b);
    if ((rc = stream_items(sms, &doc, &b)) != STORE_OK || (rc = stream_items(mms, &doc, &b)) != STORE_OK)
        goto out;
    export_xml_tail(&b);
    out_write(&doc, &b);
    out_open(&vcf, vcf_path);
    vcf_open = true;
    if ((rc = stream_items(cards, &vcf, &b)) != STORE_OK)
        goto out;
    ok = doc.err == 0 && vcf.err == 0;
out:
    store_tx_rollback(s);   /* read only: nothing to keep */
    if (rc != STORE_OK)
        fail("export", rc);
    size_t doc_bytes = doc.bytes, vcf_bytes = vcf.bytes;
    /* both files, or neither */
    int doc_wrote = doc_open ? out_finish(&doc, ok) : 1;
    int wrote = doc_wrote | (vcf_open ? out_finish(&vcf, ok && doc_wrote == 0) : 1);
    if (ok && wrote == 0) {
        printf("exported %s: sms %lld, mms %lld to %s (%zu bytes); contacts %lld to %s (%zu bytes)\n", username,
               archive_export_written(sms), archive_export_written(mms), path, doc_bytes,
               archive_export_written(cards), vcf_path, vcf_bytes);
        status = 0;
    } else if (doc_wrote == 0) {
        unlink(path);   /* the document went in place, its cards did not */
    }
    archive_export_free(sms);
    archive_export_free(mms);
    archive_export_free(cards);
    free(vcf_path);
    buf_cleanup(&b);
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
