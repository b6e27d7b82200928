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
void export_xml_mms(struct buf *b, const struct store_mms *m, const struct store_mms_part *parts, size_t n);
/* The whole document around already written items. */
void export_xml_document(struct buf *out, const struct buf *items, long long count);

void export_csv_sms_header(struct buf *b);
void export_csv_sms(struct buf *b, const struct store_sms *m);
void export_csv_contact_header(struct buf *b);
void export_csv_contact(struct buf *b, const struct store_contact *c);
void export_vcard_contact(struct buf *b, const struct store_contact *c);

/* ISO 8601 UTC ("" for 0) into out[21]. */
void export_time(long long t, char out[21]);

#endif
