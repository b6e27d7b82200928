/*
 * lang — which of the page's two languages (English, Chinese) a browser
 * asks for before anyone has logged in: its Accept-Language header (RFC 9110
 * §12.5.4), each language range weighed by its q. Once logged in the page
 * speaks the account's language (users.lang, the same the SMS replies use).
 * It is not the page's texts (web/static/js/i18n.js).
 */
#ifndef SMSVAULT_WEB_LANG_H
#define SMSVAULT_WEB_LANG_H

/* "zh" when a zh range (zh, zh-CN, zh-Hans-TW...) has a higher q than every
 * en range, or the same q and comes first; else "en" (also for NULL or a
 * header naming neither). */
const char *lang_from_accept(const char *header);

#endif
