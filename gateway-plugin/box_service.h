/*
 * box_service — vaultbox under systemd (issue 13): the service thread that
 * reloads on SIGHUP and pings the watchdog while the box is healthy, the
 * main thread's heartbeat it judges that by, and the mapping of smsvault's
 * log levels onto gwlib's (stderr, and the log file when there is one).
 *
 * Healthy means the main thread keeps turning: it waits at most a second
 * for bearerbox and at most 5 s between reconnects, so a beat older than
 * half the watchdog interval (at least 5 s) is a hang — a deadlock, a write
 * to bearerbox that never returns. A TCP connect to bearerbox is given
 * 150 s (the kernel's SYN retries). bearerbox or PostgreSQL being away is
 * not a hang: vaultbox waits for them, and a restart would not bring them
 * back.
 *
 * SIGHUP re-reads log_level (through the box's reread function) and has
 * gwlib reopen its log files after logrotate moved them; everything else
 * needs a restart. It knows nothing of messages, the store or the outbox.
 */
#ifndef SMSVAULT_BOX_SERVICE_H
#define SMSVAULT_BOX_SERVICE_H

#include <stdbool.h>
#include <stddef.h>

#include "log.h"

/* Read the configuration file again: the level it names, or -1 with err. */
typedef int box_reread_fn(enum log_level *level, char *err, size_t errlen);

/* Call at every turn of the main loop; connecting: about to connect. */
void box_service_beat(bool connecting);

/* Set smsvault's and gwlib's levels; with a log file (to_file) it gets
 * level and stderr errors only, else stderr gets level. */
void box_service_set_levels(enum log_level level, bool to_file);
/* gwlib's output level (enum output_level) for one of ours, for log_open. */
int box_service_gw_level(enum log_level level);

/* Start the service gwthread (SIGHUP must be blocked in every thread, see
 * notify_block_sighup). It ends when program_status is shutting_down;
 * returns its id for gwthread_join. */
long box_service_start(box_reread_fn *reread, bool to_file);

#endif
