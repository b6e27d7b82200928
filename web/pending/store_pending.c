/*
 * store (PENDING STAND-IN) — MMS and contact functions answer STORE_ERR
 * until store/mms.c and store/contacts.c land from the store branch; then
 * this file goes away.
 */
#include <stdlib.h>

#include "store.h"

enum store_result store_mms_add(struct store *s, const char *u, const struct store_mms_new *in, long long *n) { return STORE_ERR; }
enum store_result store_mms_get(struct store *s, const char *u, long long n, struct store_mms *out) { return STORE_ERR; }
enum store_result store_mms_list(struct store *s, const char *u, const struct store_page *p, struct store_mms_list *out) { return STORE_ERR; }
enum store_result store_mms_parts(struct store *s, const char *u, long long n, struct store_mms_part **out, size_t *c) { return STORE_ERR; }
enum store_result store_mms_part_get(struct store *s, const char *u, long long n, int seq, struct store_mms_part *out) { return STORE_ERR; }
void store_mms_cleanup(struct store_mms *m) { (void)m; }
void store_mms_list_cleanup(struct store_mms_list *l) { (void)l; }
void store_mms_part_cleanup(struct store_mms_part *p) { (void)p; }
void store_mms_parts_free(struct store_mms_part *parts, size_t count) { (void)parts; }
enum store_result store_contact_add(struct store *s, const char *u, const struct store_contact_new *in, long long *n) { return STORE_ERR; }
enum store_result store_contact_get(struct store *s, const char *u, long long n, struct store_contact *out) { return STORE_ERR; }
enum store_result store_contact_list(struct store *s, const char *u, const struct store_page *p, struct store_contact_list *out) { return STORE_ERR; }
enum store_result store_contact_history(struct store *s, const char *u, const char *name, struct store_contact_list *out) { return STORE_ERR; }
void store_contact_cleanup(struct store_contact *c) { (void)c; }
void store_contact_list_cleanup(struct store_contact_list *l) { (void)l; }
