/*
 * vaultctl_archive — `vaultctl export USER FILE` and `vaultctl import USER
 * FILE`: a user's whole archive as the page's own files, written and read
 * by archive/ (the code behind the page's Download and Upload). FILE holds
 * the SMS and MMS (SMS Backup & Restore XML, MMS parts inside), FILE.vcf the
 * contacts (vCard). Part of the vaultctl program, not of the store library.
 */
#ifndef SMSVAULT_VAULTCTL_ARCHIVE_H
#define SMSVAULT_VAULTCTL_ARCHIVE_H

#include "store.h"

/* Each prints what it did; 0 on success, else 1 with a message on stderr. */
int vaultctl_export(struct store *s, const char *username, const char *path);
int vaultctl_import(struct store *s, const char *username, const char *path);

#endif
