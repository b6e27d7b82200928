/*
 * vaultctl_status — `vaultctl status`: the database's gauges and each given
 * daemon's /metrics at a glance (see vaultctl_status.c). Part of the
 * vaultctl program, not of the store library.
 */
#ifndef SMSVAULT_VAULTCTL_STATUS_H
#define SMSVAULT_VAULTCTL_STATUS_H

#include <stddef.h>

#include "store.h"

/* endpoints: "HOST:PORT" of metrics listeners. Prints; 0 when everything
 * answered, else 1. */
int vaultctl_status(struct store *s, const char *const *endpoints, size_t nendpoints);

#endif
