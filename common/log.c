/*
 * log — formatting and dispatch of log lines (see log.h). Lines are written
 * with one write(2) each so concurrent threads do not interleave. A log file
 * is one descriptor for the life of the process: reopening dup2()s the new
 * file onto it, so a thread writing meanwhile never sees a closed or reused
 * descriptor.
 */
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static enum log_level min_level = LOG_INFO;
static log_sink_fn *sink_fn;
static void *sink_ctx;
static int file_fd = -1;              /* the log file's descriptor, once there was one */
static atomic_bool to_file;           /* lines go to file_fd, not stderr */
static atomic_bool to_journal;        /* stderr is systemd's journal stream */

static const char *const level_names[] = { "DEBUG", "INFO", "WARNING", "ERROR" };

void log_set_level(enum log_level level) { min_level = level; }
enum log_level log_get_level(void) { return min_level; }

void log_set_sink(log_sink_fn *sink, void *ctx)
{
    sink_fn = sink;
    sink_ctx = ctx;
}

/* systemd sets $JOURNAL_STREAM to "device:inode" of the stream it connected
 * stdout/stderr to (systemd.exec(5)); when stderr is still that stream,
 * journald reads "<priority>" prefixes (sd-daemon(3)) and keeps the time. */
static bool stderr_is_journal(void)
{
    const char *js = getenv("JOURNAL_STREAM");
    unsigned long long dev, ino;
    struct stat st;
    if (js == NULL || sscanf(js, "%llu:%llu", &dev, &ino) != 2 || fstat(STDERR_FILENO, &st) != 0)
        return false;
    return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

int log_set_file(const char *path)
{
    atomic_store(&to_journal, stderr_is_journal());
    if (path == NULL || path[0] == '\0') {
        atomic_store(&to_file, false);
        return 0;
    }
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);
    if (fd < 0)
        return -1;
    if (file_fd < 0) {
        file_fd = fd;
    } else if (dup2(fd, file_fd) < 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    } else {
        close(fd);
    }
    atomic_store(&to_file, true);
    return 0;
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
    /* to the journal: a priority instead of time and pid (journald adds them) */
    static const int priority[] = { 7, 6, 4, 3 };   /* debug, info, warning, err */
    bool file = atomic_load(&to_file), journal = atomic_load(&to_journal);
    char jline[1100];
    int jn = journal ? snprintf(jline, sizeof jline, "<%d>%s\n", priority[level], body) : 0;
    ssize_t ignored;
    if (journal && !file) {
        ignored = write(STDERR_FILENO, jline, (size_t)jn);
        (void)ignored;
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
    ignored = write(file ? file_fd : STDERR_FILENO, line, (size_t)n);
    if (file && level >= LOG_ERROR)   /* errors also where `systemctl status` looks */
        ignored = journal ? write(STDERR_FILENO, jline, (size_t)jn) : write(STDERR_FILENO, line, (size_t)n);
    (void)ignored;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_vmsg(level, fmt, ap);
    va_end(ap);
}
