/*
 * log — the one logging interface of smsvault.
 *
 * Lines read `module: event key=value ...`; the caller writes that text, this
 * module adds time, level and process. A program may install a sink (vaultbox
 * forwards into Kannel's log so an operator reads one log); without one,
 * lines go to stderr. It is not a place for message bodies, passwords,
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
