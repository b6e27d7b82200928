/*
 * mm7_mime — the MIME side of MM7 (SOAP 1.1 with attachments) on GMime 3:
 * split a request body into its SOAP envelope and the multimedia message
 * it references, the MM flattened into its parts (SMIL included, in
 * order, with Content-ID, Content-Location and a file name, base64 and
 * quoted-printable undone); and build such a body for a SubmitReq.
 *
 * Liberal on what real MMSCs send: `start` missing (the first XML part is
 * the envelope), Content-ID with or without <> and cid:, capitalised
 * parameters (Nokia's Type= / Start=), the content nested as
 * multipart/related or multipart/mixed, even a multipart sent as base64.
 * Strict on safety: the caller caps the body before parsing; before GMime
 * sees the body its boundary lines are counted (so a body of thousands of
 * tiny parts costs nothing to refuse), then the content's parts and
 * multipart levels are bounded, a truncated or contradictory MIME
 * structure and base64 with bytes outside its alphabet are refused.
 *
 * It does not read the XML (mm7_soap) and keeps nothing between calls.
 * g_mime_init() must have run once (mm7_mime_init).
 */
#ifndef SMSVAULT_MM7_MIME_H
#define SMSVAULT_MM7_MIME_H

#include <stddef.h>

#include "mm7.h"

struct mm7_limits {
    size_t soap_max;        /* bytes of the SOAP envelope */
    size_t part_max;        /* bytes of one decoded part */
    int parts_max;          /* parts of the MM (leaves: SMIL, images, text...) */
    int depth_max;          /* multipart levels inside the MM (1: one multipart/related) */
};

/* One part of an MM. */
struct mm7_part {
    char *content_type;     /* "image/jpeg", "text/plain; charset=utf-8" (lowercase type, charset kept) */
    char *content_id;       /* without <> and cid:; NULL if none */
    char *location;         /* Content-Location; NULL if none */
    char *name;             /* a file name (from Content-Disposition, the type's name=, or the location),
                               one line of UTF-8 without a path; NULL if none */
    unsigned char *data;    /* decoded bytes (malloc'd; may be NULL when len is 0) */
    size_t len;
};
void mm7_parts_free(struct mm7_part *parts, size_t count);

/* Once per process, before any other call (not thread-safe itself). */
void mm7_mime_init(void);

struct mm7_mime;

/*
 * Parse a request body whose HTTP Content-Type is content_type:
 * multipart/related with the envelope as its root part, or a bare text/xml
 * envelope. MM7_E_MIME: no envelope can be found; MM7_E_PARTS: more
 * boundary lines than the limits allow; MM7_E_TOO_LARGE: the envelope is
 * over soap_max. body is copied.
 */
enum mm7_result mm7_mime_parse(const char *content_type, const void *body, size_t len,
                               const struct mm7_limits *lim, struct mm7_mime **out);
void mm7_mime_free(struct mm7_mime *m);   /* NULL is a no-op */

/* The envelope's bytes (decoded) and the charset its part names (NULL: none). */
const unsigned char *mm7_mime_soap(const struct mm7_mime *m, size_t *len, const char **charset);

/*
 * The MM: the attachment that href names ("cid:x", "<x>", "x", or a
 * Content-Location), or — when href is NULL or names nothing, as some
 * MMSCs get it wrong — every attachment in order; flattened into parts.
 * MM7_E_CONTENT: no attachment, an empty multipart or undecodable base64;
 * MM7_E_PARTS: over parts_max parts or depth_max levels; MM7_E_TOO_LARGE:
 * a part over part_max.
 */
enum mm7_result mm7_mime_content(const struct mm7_mime *m, const char *href, const struct mm7_limits *lim,
                                 struct mm7_part **parts, size_t *count);

/* A request body to send: Content-Type header value and bytes. */
struct mm7_body {
    char *content_type;
    unsigned char *data;
    size_t len;
};
void mm7_body_cleanup(struct mm7_body *b);

/*
 * multipart/related; type="text/xml"; start="<soap_cid>" with the envelope
 * (8bit, CRLF line ends) and the MM as the attachment content_cid: one part
 * as it is, several as multipart/related with the first application/smil
 * part as start (multipart/mixed when there is none). Every MM part is
 * base64 (its bytes arrive exact whatever the line-end handling on the
 * way), with its Content-ID, Content-Location and name.
 */
void mm7_mime_build(const char *soap, size_t soap_len, const char *soap_cid, const char *content_cid,
                    const struct mm7_part *parts, size_t count, struct mm7_body *out);

#endif
