/*
 * log — formatting and dispatch of log lines (see log.h). Lines are written
 * with one write(2) each so concurrent threads do not interleave.
 */
#include "log.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

static enum log_level min_level = LOG_INFO;
static log_sink_fn *sink_fn;
static void *sink_ctx;

static const char *const level_names[] = { "DEBUG", "INFO", "WARNING", "ERROR" };

void log_set_level(enum log_level level) { min_level = level; }
enum log_level log_get_level(void) { return min_level; }

void log_set_sink(log_sink_fn *sink, void *ctx)
{
    sink_fn = sink;
    sink_ctx = ctx;
}

bool log_level_parse(const char *name, enum log_level *out)
{
    static const struct { const char *name; enum log_level level; } names[] = {
        { "debug", LOG_DEBUG }, { "info", LOG_INFO },
        { "warn", LOG_WARN }, { "warning", LOG_WARN }, { "error", LOG_ERROR },
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strcasecmp(name, names[i].name) == 0) {
            *out = names[i].level;
            return true;
        }
    }
    return false;
}

void log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
    if (level < min_level)
        return;
    char body[1024];
    vsnprintf(body, sizeof body, fmt, ap);
    if (sink_fn) {
        sink_fn(level, body, sink_ctx);
        return;
    }
    char line[1200];
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    int n = snprintf(line, sizeof line, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ [%d] %s: %s\n",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                     tm.tm_sec, ts.tv_nsec / 1000000L, (int)getpid(), level_names[level], body);
    if (n < 0)
        return;
    if ((size_t)n >= sizeof line) {
        n = (int)sizeof line - 1;
        line[n - 1] = '\n';
    }
    ssize_t ignored = write(STDERR_FILENO, line, (size_t)n);
    (void)ignored;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_vmsg(level, fmt, ap);
    va_end(ap);
}
