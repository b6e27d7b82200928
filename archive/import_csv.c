/*
 * import_csv — CSV import (see import_csv.h). An SMS row reads every column
 * the export writes (the direction as a word or the app's number, dates
 * with their milliseconds, the fields kept as written); contacts get a vCard
 * made by vcard_format so they are stored the same way as typed ones.
 */
#include "import_csv.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"
#include "buf.h"
#include "msisdn.h"
#include "utf8.h"
#include "vcard.h"

#define MAX_FIELDS 64
#define MAX_FIELD (LIMIT_SMS_BODY_MAX + 1)

struct row {
    char *field[MAX_FIELDS];
    size_t len[MAX_FIELDS];
    int n;
};

static void row_clear(struct row *r)
{
    for (int i = 0; i < r->n; i++)
        free(r->field[i]);
    r->n = 0;
}

enum csv_row {
    ROW_READ,        /* *row holds the record */
    ROW_END,         /* no more records */
    ROW_MALFORMED,   /* message in err */
};

/* Read one record from data at *pos. */
static enum csv_row read_row(const char *data, size_t len, size_t *pos, struct row *row, int *line, char *err, size_t errlen)
{
    size_t p = *pos;
    struct buf f;
    buf_init(&f);
    row_clear(row);
    if (p >= len)
        return ROW_END;
    for (;;) {
        bool quoted = false;
        buf_init(&f);
        if (p < len && data[p] == '"') {
            quoted = true;
            p++;
            for (;;) {
                if (p >= len) {
                    snprintf(err, errlen, "line %d: a quoted field is not closed", *line);
                    buf_cleanup(&f);
                    return ROW_MALFORMED;
                }
                if (data[p] == '"') {
                    if (p + 1 < len && data[p + 1] == '"') {
                        buf_putc(&f, '"');
                        p += 2;
                        continue;
                    }
                    p++;
                    break;
                }
                if (data[p] == '\n')
                    (*line)++;
                buf_putc(&f, data[p++]);
                if (f.len > MAX_FIELD) {
                    snprintf(err, errlen, "line %d: a field is too long", *line);
                    buf_cleanup(&f);
                    return ROW_MALFORMED;
                }
            }
        } else {
            while (p < len && data[p] != ',' && data[p] != '\n' && data[p] != '\r') {
                if (data[p] == '"') {
                    snprintf(err, errlen, "line %d: a quote inside an unquoted field", *line);
                    buf_cleanup(&f);
                    return ROW_MALFORMED;
                }
                buf_putc(&f, data[p++]);
                if (f.len > MAX_FIELD) {
                    snprintf(err, errlen, "line %d: a field is too long", *line);
                    buf_cleanup(&f);
                    return ROW_MALFORMED;
                }
            }
        }
        if (row->n >= MAX_FIELDS) {
            snprintf(err, errlen, "line %d: more than %d columns", *line, MAX_FIELDS);
            buf_cleanup(&f);
            return ROW_MALFORMED;
        }
        row->len[row->n] = f.len;
        row->field[row->n++] = buf_steal(&f, NULL);
        if (p < len && data[p] == ',') {
            p++;
            continue;
        }
        if (p < len && data[p] == '\r')
            p++;
        if (p < len && data[p] == '\n')
            p++;
        else if (p < len) {
            snprintf(err, errlen, "line %d: unexpected character after a %s field", *line,
                     quoted ? "quoted" : "plain");
            return ROW_MALFORMED;
        }
        (*line)++;
        *pos = p;
        return ROW_READ;
    }
}

/* find_col's answer when no header field bears any of the names */
enum { COL_NONE = -1 };

/* The index of the first header field that bears one of names, or COL_NONE. */
static int find_col(const struct row *h, const char *const *names)
{
    for (int i = 0; i < h->n; i++)
        for (const char *const *n = names; *n; n++)
            if (strcasecmp(h->field[i], *n) == 0)
                return i;
    return COL_NONE;
}

/* Row r's field in column col, or NULL when the header has no such column
 * (COL_NONE) or the row is shorter. */
static const char *cell(const struct row *r, int col)
{
    return col != COL_NONE && col < r->n ? r->field[col] : NULL;
}

/* Row r's field in column col, or "" when the header has no such column
 * (COL_NONE) or the row is shorter. */
static const char *field_of(const struct row *r, int col)
{
    const char *v = cell(r, col);
    return v ? v : "";
}

/* A direction as a spreadsheet writes it: a word (the export's, English or
 * Chinese) or the app's number; 0 when it is neither. */
static int read_type(const char *v)
{
    static const struct {
        const char *word;
        int type;
    } words[] = {
        { "received", STORE_SMS_RECEIVED }, { "in", STORE_SMS_RECEIVED }, { "incoming", STORE_SMS_RECEIVED },
        { "inbox", STORE_SMS_RECEIVED }, { "接收", STORE_SMS_RECEIVED }, { "收到", STORE_SMS_RECEIVED },
        { "sent", STORE_SMS_SENT }, { "out", STORE_SMS_SENT }, { "outgoing", STORE_SMS_SENT },
        { "发送", STORE_SMS_SENT }, { "已发送", STORE_SMS_SENT }, { "draft", STORE_SMS_DRAFT },
        { "草稿", STORE_SMS_DRAFT }, { "outbox", STORE_SMS_OUTBOX }, { "failed", STORE_SMS_FAILED },
        { "失败", STORE_SMS_FAILED }, { "queued", STORE_SMS_QUEUED },
    };
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strcasecmp(v, words[i].word) == 0)
            return words[i].type;
    char *end;
    long t = strtol(v, &end, 10);
    return *v && !*end && t >= 1 && t <= STORE_TYPE_MAX ? (int)t : 0;
}


static bool blank_row(const struct row *r)
{
    for (int i = 0; i < r->n; i++)
        if (r->len[i])
            return false;
    return true;
}

enum import_result import_csv(const char *data, size_t len, const struct import_sink *sink,
                              struct import_report *rep)
{
    static const char *const body_names[] = { "body", "text", "message", NULL };
    static const char *const peer_names[] = { "peer", "address", "number", "phone", "from", NULL };
    static const char *const date_names[] = { "date", "sent_at", "time", NULL };
    static const char *const type_names[] = { "type", "direction", NULL };
    static const char *const dsent_names[] = { "date_sent", NULL };
    static const char *const from_names[] = { "saved_from", NULL };
    static const char *const name_names[] = { "name", "full name", "fn", NULL };
    static const char *const num_names[] = { "number", "phone", "tel", "mobile", NULL };
    static const char *const types_names[] = { "types", "tel_types", NULL };   /* ours: a person's */
    static const char *const uid_names[] = { "uid", NULL };
    struct row h = { 0 }, r = { 0 };
    enum import_result res = IMPORT_MALFORMED;
    size_t pos = 0;
    int line = 1;
    memset(rep, 0, sizeof *rep);
    if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
        pos = 3;
    if (!utf8_valid(data + pos, len - pos)) {
        snprintf(rep->message, sizeof rep->message, "the CSV file is not UTF-8 text");
        return IMPORT_MALFORMED;
    }
    if (read_row(data, len, &pos, &h, &line, rep->message, sizeof rep->message) != ROW_READ) {
        if (!rep->message[0])
            snprintf(rep->message, sizeof rep->message, "the CSV file is empty");
        goto out;
    }
    int c_body = find_col(&h, body_names), c_peer = find_col(&h, peer_names), c_date = find_col(&h, date_names);
    int c_name = find_col(&h, name_names), c_num = find_col(&h, num_names);
    int c_types = find_col(&h, types_names), c_uid = find_col(&h, uid_names);
    int c_type = find_col(&h, type_names), c_dsent = find_col(&h, dsent_names), c_from = find_col(&h, from_names);
    int c_field[STORE_SMS_NFIELDS];
    for (int f = 0; f < STORE_SMS_NFIELDS; f++) {
        const char *const one[] = { store_sms_fields[f], NULL };
        c_field[f] = find_col(&h, one);
    }
    bool sms = c_body != COL_NONE;
    if (!sms && (c_name == COL_NONE || c_num == COL_NONE)) {
        snprintf(rep->message, sizeof rep->message,
                 "the first line must name the columns: body (for SMS) or name and number (for contacts)");
        goto out;
    }
    enum csv_row rc;
    while ((rc = read_row(data, len, &pos, &r, &line, rep->message, sizeof rep->message)) == ROW_READ) {
        if (blank_row(&r))
            continue;
        enum import_next next = IMPORT_GO_ON;
        if (sms) {
            const char *body = field_of(&r, c_body), *peer = field_of(&r, c_peer);
            const char *from = cell(&r, c_from), *type = cell(&r, c_type), *dsent = cell(&r, c_dsent);
            long long t = 0, ds = 0;
            if (!import_parse_time_ms(field_of(&r, c_date), &t))
                t = 0;   /* no date, or none that reads */
            if (!dsent || !import_parse_time_ms(dsent, &ds))
                ds = 0;
            size_t blen = strlen(body);
            if (blen == 0 || blen > LIMIT_SMS_BODY_MAX || strlen(peer) > LIMIT_PEER_MAX ||
                (from && strlen(from) > LIMIT_PEER_MAX)) {
                rep->skipped++;
                continue;
            }
            struct store_sms_new m = { .peer = peer, .body = body, .body_len = blen,
                                       .sent_at = (time_t)(t > 0 ? t / 1000 : 0), .sent_ms = (int)(t > 0 ? t % 1000 : 0),
                                       .type = type ? read_type(type) : 0, .date_sent_ms = ds > 0 ? ds : 0,
                                       .phone = from, .source = "import", .skip_duplicate = true };
            /* the fields kept as written: an empty cell is one not given */
            for (int f = 0; f < STORE_SMS_NFIELDS; f++) {
                const char *v = cell(&r, c_field[f]);
                m.fields[f] = v && *v && strlen(v) <= LIMIT_ATTR_VALUE_MAX ? v : NULL;
            }
            rep->items++;
            rep->sms++;
            if (sink->sms)
                next = sink->sms(sink->ctx, &m);
        } else {
            const char *name = field_of(&r, c_name), *num = field_of(&r, c_num);
            if (!*name || strlen(name) > LIMIT_TEXT_FIELD_MAX || !msisdn_is_contact(num)) {
                rep->skipped++;
                continue;
            }
            /* a person's rows come in upload order (the current one last),
             * with the TEL types and the card UID that make it one person */
            const char *types = cell(&r, c_types), *uid = cell(&r, c_uid);
            if ((types && strlen(types) > LIMIT_TEXT_FIELD_MAX) || (uid && strlen(uid) > LIMIT_TEXT_FIELD_MAX))
                types = uid = NULL;
            char *card = vcard_format(name, num);
            struct store_contact_new c = { .name = name, .number = num, .vcard = card, .vcard_len = strlen(card),
                                           .source = "import", .skip_duplicate = true,
                                           .tel_types = types && *types ? types : "CELL",   /* vcard_format's */
                                           .uid = uid };
            rep->items++;
            rep->contacts++;
            if (sink->contact)
                next = sink->contact(sink->ctx, &c);
            free(card);
        }
        if (next == IMPORT_STOP) {
            res = IMPORT_STOPPED;
            goto out;
        }
    }
    if (rc == ROW_MALFORMED)
        goto out;
    res = IMPORT_OK;
out:
    row_clear(&h);
    row_clear(&r);
    return res;
}
