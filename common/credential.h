/*
 * credential — secrets that systemd hands to a service: a unit's
 * LoadCredential=NAME (or NAME:PATH) copies the file into a private,
 * read-only directory named by $CREDENTIALS_DIRECTORY, readable by the
 * service's user only; the file itself may stay root-only (0600). A
 * configuration value "@NAME" means "the contents of credential NAME".
 *
 * Outside systemd the same works by setting $CREDENTIALS_DIRECTORY to a
 * directory holding a file NAME (the package's postinst does that for
 * `vaultctl migrate`). It does not decrypt (LoadCredentialEncrypted= does
 * that before we look) and never logs a credential's contents.
 */
#ifndef SMSVAULT_CREDENTIAL_H
#define SMSVAULT_CREDENTIAL_H

#include <stdbool.h>
#include <stddef.h>

#define CREDENTIAL_MAX 65536   /* bytes; systemd's limit is 1 MB for all of a unit's */

/* True when value is a reference "@NAME". */
bool credential_is_ref(const char *value);

/*
 * Read credential name: the file $CREDENTIALS_DIRECTORY/name, with trailing
 * newlines and spaces removed. name is 1-255 of A-Z a-z 0-9 . _ - (not "."
 * or ".."). Returns 0 and a malloc'd string in *out, or -1 with a message
 * in err that says what to do (it names the credential, never its data).
 */
int credential_read(const char *name, char **out, char *err, size_t errlen);

/*
 * If *value is "@NAME", replace it (free + malloc'd contents) with the
 * credential's contents; any other value is left alone. what names the
 * setting in err ("[database] conninfo"). Returns 0 or -1.
 */
int credential_resolve(char **value, const char *what, char *err, size_t errlen);

#endif
