/*
 * tls — certificate and key for vaultweb's HTTPS, reloadable (see tls.h).
 */
#include "tls.h"

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "log.h"

#define TLS_MAX_CHAIN 8

struct pair {
    gnutls_pcert_st certs[TLS_MAX_CHAIN];
    unsigned ncerts;
    gnutls_privkey_t key;
    struct pair *older;           /* kept until tls_free */
};

static pthread_rwlock_t lock = PTHREAD_RWLOCK_INITIALIZER;
static struct pair *current;
static char *cert_file, *key_file;

bool tls_supported(void)
{
    return MHD_is_feature_supported(MHD_FEATURE_TLS) == MHD_YES &&
           MHD_is_feature_supported(MHD_FEATURE_HTTPS_CERT_CALLBACK) == MHD_YES;
}

static void pair_free(struct pair *p)
{
    if (p == NULL)
        return;
    for (unsigned i = 0; i < p->ncerts; i++)
        gnutls_pcert_deinit(&p->certs[i]);
    if (p->key)
        gnutls_privkey_deinit(p->key);
    free(p);
}

/* Read and check a pair: the key must be the first certificate's. */
static struct pair *pair_load(char *err, size_t errlen)
{
    gnutls_datum_t c = { NULL, 0 }, k = { NULL, 0 };
    struct pair *p = xcalloc(1, sizeof *p);
    int rc = gnutls_load_file(cert_file, &c);
    if (rc < 0) {
        snprintf(err, errlen, "cannot read tls_cert %s: %s", cert_file, gnutls_strerror(rc));
        goto fail;
    }
    rc = gnutls_load_file(key_file, &k);
    if (rc < 0) {
        snprintf(err, errlen, "cannot read tls_key %s: %s", key_file, gnutls_strerror(rc));
        goto fail;
    }
    p->ncerts = TLS_MAX_CHAIN;
    rc = gnutls_pcert_list_import_x509_raw(p->certs, &p->ncerts, &c, GNUTLS_X509_FMT_PEM, 0);
    if (rc < 0 || p->ncerts == 0) {
        p->ncerts = 0;
        snprintf(err, errlen, "tls_cert %s: %s", cert_file, rc < 0 ? gnutls_strerror(rc) : "no certificate");
        goto fail;
    }
    if ((rc = gnutls_privkey_init(&p->key)) < 0 ||
        (rc = gnutls_privkey_import_x509_raw(p->key, &k, GNUTLS_X509_FMT_PEM, NULL, 0)) < 0) {
        snprintf(err, errlen, "tls_key %s: %s", key_file, gnutls_strerror(rc));
        goto fail;
    }
    /* The same public key on both sides, or handshakes would fail later. */
    gnutls_pubkey_t pub = NULL;
    unsigned char a[512], b[512];
    size_t alen = sizeof a, blen = sizeof b;
    bool same = gnutls_pubkey_init(&pub) >= 0 && gnutls_pubkey_import_privkey(pub, p->key, 0, 0) >= 0 &&
                gnutls_pubkey_export(pub, GNUTLS_X509_FMT_DER, a, &alen) >= 0 &&
                gnutls_pubkey_export(p->certs[0].pubkey, GNUTLS_X509_FMT_DER, b, &blen) >= 0 && alen == blen &&
                memcmp(a, b, alen) == 0;
    gnutls_pubkey_deinit(pub);
    if (!same) {
        snprintf(err, errlen, "tls_key %s is not the key of tls_cert %s", key_file, cert_file);
        goto fail;
    }
    gnutls_free(c.data);
    gnutls_memset(k.data, 0, k.size);
    gnutls_free(k.data);
    return p;
fail:
    gnutls_free(c.data);
    if (k.data)
        gnutls_memset(k.data, 0, k.size);
    gnutls_free(k.data);
    pair_free(p);
    return NULL;
}

bool tls_init(const char *cert_path, const char *key_path, char *err, size_t errlen)
{
    if (!tls_supported()) {
        snprintf(err, errlen, "libmicrohttpd is built without TLS (or without the certificate callback)");
        return false;
    }
    free(cert_file);
    free(key_file);
    cert_file = xstrdup(cert_path);
    key_file = xstrdup(key_path);
    return tls_reload(err, errlen);
}

bool tls_reload(char *err, size_t errlen)
{
    struct pair *p = pair_load(err, errlen);
    if (p == NULL)
        return false;
    pthread_rwlock_wrlock(&lock);
    p->older = current;
    current = p;
    pthread_rwlock_unlock(&lock);
    return true;
}

int tls_retrieve(gnutls_session_t session, const gnutls_datum_t *req_ca_rdn, int nreqs,
                    const gnutls_pk_algorithm_t *pk_algos, int pk_algos_length, gnutls_pcert_st **pcert,
                    unsigned int *pcert_length, gnutls_privkey_t *privkey)
{
    (void)session, (void)req_ca_rdn, (void)nreqs, (void)pk_algos, (void)pk_algos_length;
    pthread_rwlock_rdlock(&lock);
    struct pair *p = current;
    pthread_rwlock_unlock(&lock);
    if (p == NULL)
        return -1;
    *pcert = p->certs;
    *pcert_length = p->ncerts;
    *privkey = p->key;
    return 0;
}

void tls_free(void)
{
    pthread_rwlock_wrlock(&lock);
    struct pair *p = current;
    current = NULL;
    pthread_rwlock_unlock(&lock);
    while (p) {
        struct pair *o = p->older;
        pair_free(p);
        p = o;
    }
    free(cert_file);
    free(key_file);
    cert_file = key_file = NULL;
}
