/*
 * log — the one logging interface of smsvault.
 *
 * Lines read `module: event key=value ...`; the caller writes that text, this
 * module adds time, level and process. A program may install a sink (vaultbox
 * forwards into Kannel's log so an operator reads one log); without one,
 * lines go to stderr (the journal, under systemd), or to a file named by
 * log_set_file, which SIGHUP handlers call again after logrotate moved the
 * file away. It is not a place for message bodies, passwords,
 * session tokens or one-time codes: never pass those at info level or above.
 */
#ifndef SMSVAULT_LOG_H
#define SMSVAULT_LOG_H

#include <stdarg.h>
#include <stdbool.h>

enum log_level { LOG_DEBUG = 0, LOG_INFO = 1, LOG_WARN = 2, LOG_ERROR = 3 };

/* A sink receives the formatted line without a trailing newline. */
typedef void log_sink_fn(enum log_level level, const char *line, void *ctx);

void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* Install a sink; NULL restores stderr. Not thread-safe against concurrent logging. */
void log_set_sink(log_sink_fn *sink, void *ctx);
/*
 * Write lines to path (appended; created 0640) instead of stderr, or back to
 * stderr for NULL or "". Calling it again with the same path reopens the
 * file (after logrotate renamed it). Errors are copied to stderr as well, so
 * that `systemctl status` shows why a daemon stopped. Returns 0, or -1 with
 * errno when the file cannot be opened (the previous target stays).
 * Back on stderr, when that is the journal systemd connected
 * ($JOURNAL_STREAM), lines carry a syslog priority prefix ("<4>web: ...")
 * instead of time and pid, so `journalctl -p warning` finds them.
 * Call it from one thread at a time; other threads may log meanwhile.
 */
int log_set_file(const char *path);
/* Parse "debug|info|warn|error": true and *out for a known name, else false
 * (*out untouched). */
bool log_level_parse(const char *name, enum log_level *out);

void log_msg(enum log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void log_vmsg(enum log_level level, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

#endif
