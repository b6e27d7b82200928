/*
 * import_xml — reads SMS Backup & Restore XML (<smses><sms .../><mms ...>
 * <parts><part .../></parts></mms></smses>) with libxml2's streaming
 * xmlTextReader, hardened for files from strangers: no network, no DTD
 * (a document with one is refused), no entity substitution, libxml2's
 * default size limits (no XML_PARSE_HUGE), at most 8 levels of nesting.
 * Surrogate-pair character references that the app writes for emoji
 * (`&#55357;&#56846;`) are first rewritten into the real character; a lone
 * surrogate becomes U+FFFD. It is not an XML writer (export.c).
 */
#ifndef SMSVAULT_WEB_IMPORT_XML_H
#define SMSVAULT_WEB_IMPORT_XML_H

#include <stddef.h>

#include "import.h"

/* libxml2's set-up, once per process in its first thread before any
 * import_xml, and its tear-down after the last. import_xml also works without
 * them in a process of one thread, but libxml2 sets its table of encodings
 * up lazily and without a lock: two threads' first imports at once can build
 * it twice, and one copy is lost (LeakSanitizer saw it in vaultweb when two
 * users uploaded at the same moment). */
void import_xml_init(void);
void import_xml_cleanup(void);

/* Rewrite surrogate-pair references in place; returns the new length
 * (never longer). Idempotent: its output holds no surrogate reference, so a
 * caller may rewrite once and parse the result several times. */
size_t import_xml_fix_surrogates(char *data, size_t len);

/* Parse data[0..len) (it is rewritten in place by the function above). */
enum import_result import_xml(char *data, size_t len, const struct import_sink *sink,
                              struct import_report *rep);

#endif
