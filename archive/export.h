/*
 * export — writes stored items as files a phone or a spreadsheet reads:
 * SMS Backup & Restore XML (SMS and MMS, MMS parts as base64 or text), CSV
 * (SMS, contacts) and vCard (contacts). Pure formatting into a buf: it
 * neither pages through the store nor sends anything (transfer.c does).
 *
 * XML attribute values escape & < > " and write tab, LF and CR as
 * character references so they survive attribute normalisation; other C0
 * controls cannot appear in XML 1.0 at all and are dropped.
 */
#ifndef SMSVAULT_WEB_EXPORT_H
#define SMSVAULT_WEB_EXPORT_H

#include <stddef.h>

#include "buf.h"
#include "store.h"

void export_xml_attr(struct buf *b, const char *name, const char *value, size_t len);
void export_xml_sms(struct buf *b, const struct store_sms *m);
/* Every field the item kept (store.h): as written, else what the app writes
 * for an item of that kind; parts in order, addresses in order (one made
 * from the peer when there are none). */
void export_xml_mms(struct buf *b, const struct store_mms *m, const struct store_mms_part *parts, size_t n,
                    const struct store_mms_addr *addrs, size_t naddrs);
/* The whole document around already written items; or its head (saying
 * how many items follow) and its tail, to write items between as they come. */
void export_xml_document(struct buf *out, const struct buf *items, long long count);
void export_xml_head(struct buf *out, long long count);
void export_xml_tail(struct buf *out);

void export_csv_sms_header(struct buf *b);
void export_csv_sms(struct buf *b, const struct store_sms *m);
void export_csv_contact_header(struct buf *b);
void export_csv_contact(struct buf *b, const struct store_contact *c);
void export_vcard_contact(struct buf *b, const struct store_contact *c);
/* A person (issue 10): the CSV lines of its numbers in upload order (the
 * current one last, so that reading the file again keeps it current); one
 * card with every number, its TYPEs as uploaded and PREF on the current one
 * (store_person_card: the card as uploaded when it is one card), the rest
 * of the card as last uploaded. */
void export_csv_person(struct buf *b, const struct store_person *p);
void export_vcard_person(struct buf *b, const struct store_person *p);

/* ISO 8601 UTC ("" for 0) into out[21]; from milliseconds, with them when
 * there are some ("2024-05-01T12:30:00.123Z"), into out[25]. */
void export_time(long long t, char out[21]);
void export_time_ms(long long ms, char out[25]);
/* An SMS type as the CSV writes it: "received", "sent", "draft", "outbox",
 * "failed", "queued", "" for not known; NULL for another number. */
const char *export_sms_type(int type);

#endif
