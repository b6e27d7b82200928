/*
 * probe — a daemon asks itself whether it still answers: one HEAD / to its
 * own listener, and any reply from the server within a deadline (a status
 * line, other bytes, or the server closing or resetting the connection)
 * counts. That needs one of the server's threads to accept, read and
 * answer, which is what a hung server cannot do; a connection the kernel
 * merely queued is not an answer. It is the watchdog check of vaultweb and
 * vaultmms (notify.h), not a monitoring endpoint, and it neither needs the
 * database nor speaks TLS.
 */
#ifndef SMSVAULT_WEB_PROBE_H
#define SMSVAULT_WEB_PROBE_H

#include <stdbool.h>
#include <stddef.h>

/* addr: dotted IPv4 of the listener (0.0.0.0 is asked on 127.0.0.1).
 * False with a one-line reason in why when nothing answered in time. */
bool probe_http(const char *addr, unsigned port, int timeout_ms, char *why, size_t whylen);

#endif
