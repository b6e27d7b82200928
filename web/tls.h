/*
 * tls — vaultweb's own HTTPS (issue 13): the certificate chain and private
 * key read from the PEM files named by [web] tls_cert and tls_key, handed
 * to GnuTLS for each handshake through libmicrohttpd's certificate callback
 * (MHD_OPTION_HTTPS_CERT_CALLBACK). libmicrohttpd cannot swap the key and
 * certificate it was started with, but the callback is asked at every
 * handshake, so a reload (SIGHUP) reads the files again and the next
 * handshake uses the new pair, without restarting the daemon or dropping a
 * connection. A reload that fails (a file missing, key and certificate not
 * a pair) keeps the pair in use. Earlier pairs are kept until tls_free: a
 * handshake may still hold one, and there are only as many as reloads.
 *
 * One per process (the GnuTLS callback carries no user pointer). It is not
 * the HTTP server (server.c) and decides nothing about cookies or proxies.
 */
#ifndef SMSVAULT_WEB_TLS_H
#define SMSVAULT_WEB_TLS_H

#include <gnutls/abstract.h>
#include <stdbool.h>
#include <stddef.h>

/* Is libmicrohttpd built with TLS (Debian 12's is, with GnuTLS)? */
bool tls_supported(void);
/* Load the pair; true on success, else false with the reason in err. */
bool tls_init(const char *cert_path, const char *key_path, char *err, size_t errlen);
/* Read the files again; true when the new pair is in use, false (reason in
 * err) when the old one stays. */
bool tls_reload(char *err, size_t errlen);
/* The callback to give as MHD_OPTION_HTTPS_CERT_CALLBACK: the pair in use. */
gnutls_certificate_retrieve_function2 tls_retrieve;
void tls_free(void);

#endif
