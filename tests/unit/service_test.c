/*
 * service_test — CUnit suite for what common/ gives a daemon under systemd:
 * the sd_notify datagram (path and abstract sockets, read back from a real
 * AF_UNIX socket), the watchdog interval from the environment, the loop that
 * pings only while healthy and reloads on SIGHUP, credentials read from
 * $CREDENTIALS_DIRECTORY, the log file that is reopened after rotation, and
 * priority prefixes when stderr is the journal.
 */
#include <CUnit/Basic.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "credential.h"
#include "log.h"
#include "notify.h"

static char tmpdir[64];

static int suite_init(void)
{
    strcpy(tmpdir, "/tmp/smsvault-service-XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int suite_clean(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

/* A datagram socket bound to name (a path, or "@abstract"), as systemd's. */
static int listen_dgram(const char *name)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    size_t n = strlen(name);
    socklen_t len;
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    CU_ASSERT_FATAL(fd >= 0);
    if (name[0] == '@') {
        memcpy(sa.sun_path + 1, name + 1, n - 1);
        len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
    } else {
        unlink(name);
        memcpy(sa.sun_path, name, n);
        len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
    }
    CU_ASSERT_FATAL(bind(fd, (struct sockaddr *)&sa, len) == 0);
    return fd;
}

/* The next datagram already queued on fd, or "" when there is none. */
static const char *next_dgram(int fd)
{
    static char buf[1024];
    ssize_t n = recv(fd, buf, sizeof buf - 1, MSG_DONTWAIT);
    buf[n > 0 ? n : 0] = '\0';
    return buf;
}

static void test_send_path_socket(void)
{
    char path[128];
    snprintf(path, sizeof path, "%s/notify", tmpdir);
    int fd = listen_dgram(path);
    CU_ASSERT_EQUAL(notify_send_to(path, "READY=1\nSTATUS=connected"), NOTIFY_OK);
    CU_ASSERT_STRING_EQUAL(next_dgram(fd), "READY=1\nSTATUS=connected");
    CU_ASSERT_STRING_EQUAL(next_dgram(fd), "");   /* one datagram, not two */

    /* through the environment, as systemd sets it */
    setenv("NOTIFY_SOCKET", path, 1);
    CU_ASSERT_EQUAL(notify_sendf("STATUS=%d in flight", 3), NOTIFY_OK);
    CU_ASSERT_STRING_EQUAL(next_dgram(fd), "STATUS=3 in flight");
    unsetenv("NOTIFY_SOCKET");
    CU_ASSERT_EQUAL(notify_send("STOPPING=1"), NOTIFY_UNSET);   /* not under systemd: nothing */
    CU_ASSERT_STRING_EQUAL(next_dgram(fd), "");
    close(fd);
    unlink(path);
}

static void test_send_abstract_socket(void)
{
    char name[64];
    snprintf(name, sizeof name, "@smsvault-service-test-%d", (int)getpid());
    int fd = listen_dgram(name);
    CU_ASSERT_EQUAL(notify_send_to(name, "WATCHDOG=1"), NOTIFY_OK);
    CU_ASSERT_STRING_EQUAL(next_dgram(fd), "WATCHDOG=1");
    /* the abstract name is exact: a longer or shorter one is another socket */
    char longer[80];
    snprintf(longer, sizeof longer, "%sx", name);
    CU_ASSERT_EQUAL(notify_send_to(longer, "WATCHDOG=1"), NOTIFY_ERR);
    CU_ASSERT_STRING_EQUAL(next_dgram(fd), "");
    close(fd);
}

static void test_send_bad_names(void)
{
    char too_long[200];
    memset(too_long, 'a', sizeof too_long - 1);
    too_long[0] = '/';
    too_long[sizeof too_long - 1] = '\0';
    CU_ASSERT_EQUAL(notify_send_to("relative/socket", "READY=1"), NOTIFY_ERR);
    CU_ASSERT_EQUAL(notify_send_to("@", "READY=1"), NOTIFY_ERR);
    CU_ASSERT_EQUAL(notify_send_to(too_long, "READY=1"), NOTIFY_ERR);
    CU_ASSERT_EQUAL(notify_send_to("/nonexistent/notify", "READY=1"), NOTIFY_ERR);
}

static void test_watchdog_env(void)
{
    char pid[32];
    snprintf(pid, sizeof pid, "%d", (int)getpid());
    unsetenv("WATCHDOG_PID");
    unsetenv("WATCHDOG_USEC");
    CU_ASSERT_EQUAL(notify_watchdog_usec(), 0);
    setenv("WATCHDOG_USEC", "30000000", 1);
    CU_ASSERT_EQUAL(notify_watchdog_usec(), 30000000);   /* no WATCHDOG_PID: ours */
    setenv("WATCHDOG_PID", pid, 1);
    CU_ASSERT_EQUAL(notify_watchdog_usec(), 30000000);
    setenv("WATCHDOG_PID", "1", 1);
    CU_ASSERT_EQUAL(notify_watchdog_usec(), 0);          /* another process's */
    setenv("WATCHDOG_PID", pid, 1);
    setenv("WATCHDOG_USEC", "30s", 1);
    CU_ASSERT_EQUAL(notify_watchdog_usec(), 0);
    setenv("WATCHDOG_USEC", "-5", 1);
    CU_ASSERT_EQUAL(notify_watchdog_usec(), 0);
    unsetenv("WATCHDOG_PID");
    unsetenv("WATCHDOG_USEC");
}

struct fake_daemon {
    bool healthy;
    int reloads;
};

static bool fake_healthy(void *ctx, char *why, size_t n)
{
    struct fake_daemon *d = ctx;
    if (!d->healthy)
        snprintf(why, n, "main loop stalled");
    return d->healthy;
}

static void fake_reload(void *ctx)
{
    ((struct fake_daemon *)ctx)->reloads++;
}

static bool never(void *ctx) { return false; }

/* Drain fd; true when one of the datagrams is exactly want. */
static bool got(int fd, const char *want)
{
    bool seen = false;
    const char *d;
    while (*(d = next_dgram(fd)) != '\0')
        seen |= strcmp(d, want) == 0;
    return seen;
}

static void test_loop_pings_only_while_healthy(void)
{
    char path[128];
    snprintf(path, sizeof path, "%s/watchdog", tmpdir);
    int fd = listen_dgram(path);
    setenv("NOTIFY_SOCKET", path, 1);
    setenv("WATCHDOG_USEC", "20000000", 1);
    struct fake_daemon d = { .healthy = true };
    struct notify_loop l = { fake_healthy, fake_reload, never, &d, 0, 0, false };
    notify_loop_init(&l);
    CU_ASSERT_EQUAL(l.watchdog_usec, 20000000);

    notify_loop_turn(&l, 0);              /* the first ping is due at once */
    CU_ASSERT_TRUE(got(fd, "WATCHDOG=1"));
    notify_loop_turn(&l, 0);              /* the next one only after half the interval */
    CU_ASSERT_FALSE(got(fd, "WATCHDOG=1"));

    d.healthy = false;
    l.next_ping_usec = 0;                 /* due now */
    notify_loop_turn(&l, 0);
    CU_ASSERT_FALSE(got(fd, "WATCHDOG=1"));   /* withheld: systemd will end us */
    CU_ASSERT_TRUE(l.unhealthy);
    l.next_ping_usec = 0;
    notify_loop_turn(&l, 0);
    CU_ASSERT_FALSE(got(fd, "WATCHDOG=1"));

    d.healthy = true;
    l.next_ping_usec = 0;
    notify_loop_turn(&l, 0);
    CU_ASSERT_TRUE(got(fd, "WATCHDOG=1"));
    CU_ASSERT_FALSE(l.unhealthy);

    /* no WatchdogSec=: never a ping */
    unsetenv("WATCHDOG_USEC");
    notify_loop_init(&l);
    notify_loop_turn(&l, 0);
    CU_ASSERT_FALSE(got(fd, "WATCHDOG=1"));
    unsetenv("NOTIFY_SOCKET");
    close(fd);
    unlink(path);
}

static void test_loop_reloads_on_sighup(void)
{
    char path[128];
    snprintf(path, sizeof path, "%s/reload", tmpdir);
    int fd = listen_dgram(path);
    setenv("NOTIFY_SOCKET", path, 1);
    CU_ASSERT_EQUAL_FATAL(notify_block_sighup(), 0);
    struct fake_daemon d = { .healthy = true };
    struct notify_loop l = { fake_healthy, fake_reload, never, &d, 0, 0, false };
    notify_loop_init(&l);

    notify_loop_turn(&l, 0);
    CU_ASSERT_EQUAL(d.reloads, 0);
    pthread_kill(pthread_self(), SIGHUP);   /* blocked, so pending until the loop takes it */
    notify_loop_turn(&l, 0);
    CU_ASSERT_EQUAL(d.reloads, 1);
    CU_ASSERT_STRING_EQUAL(next_dgram(fd), "RELOADING=1");
    CU_ASSERT_STRING_EQUAL(next_dgram(fd), "READY=1");
    notify_loop_turn(&l, 0);
    CU_ASSERT_EQUAL(d.reloads, 1);          /* one signal, one reload */
    unsetenv("NOTIFY_SOCKET");
    close(fd);
    unlink(path);
}

static void write_file(const char *path, const char *text, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    CU_ASSERT_FATAL(fd >= 0);
    CU_ASSERT_FATAL(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
    close(fd);
}

static void test_credentials(void)
{
    char dir[128], path[192], err[700];
    char *v = NULL;
    snprintf(dir, sizeof dir, "%s/creds", tmpdir);
    CU_ASSERT_FATAL(mkdir(dir, 0700) == 0);
    snprintf(path, sizeof path, "%s/smsvault.conninfo", dir);
    write_file(path, "host=db1 dbname=smsvault password=s3cret\n\n", 0400);

    unsetenv("CREDENTIALS_DIRECTORY");
    CU_ASSERT_EQUAL(credential_read("smsvault.conninfo", &v, err, sizeof err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "CREDENTIALS_DIRECTORY is not set"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "LoadCredential=smsvault.conninfo"));

    setenv("CREDENTIALS_DIRECTORY", dir, 1);
    CU_ASSERT_EQUAL_FATAL(credential_read("smsvault.conninfo", &v, err, sizeof err), 0);
    CU_ASSERT_STRING_EQUAL(v, "host=db1 dbname=smsvault password=s3cret");   /* newlines gone */
    free(v);

    /* a config value: "@name" is replaced, anything else is left alone */
    char *value = strdup("@smsvault.conninfo");
    CU_ASSERT_EQUAL(credential_resolve(&value, "[database] conninfo", err, sizeof err), 0);
    CU_ASSERT_STRING_EQUAL(value, "host=db1 dbname=smsvault password=s3cret");
    free(value);
    value = strdup("dbname=smsvault");
    CU_ASSERT_EQUAL(credential_resolve(&value, "[database] conninfo", err, sizeof err), 0);
    CU_ASSERT_STRING_EQUAL(value, "dbname=smsvault");
    free(value);

    /* a missing credential names the setting and the file, never a secret */
    value = strdup("@other");
    CU_ASSERT_EQUAL(credential_resolve(&value, "[database] conninfo", err, sizeof err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "[database] conninfo = @other"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "/creds/other"));
    CU_ASSERT_STRING_EQUAL(value, "@other");   /* untouched on error */
    free(value);

    /* names cannot leave the directory */
    CU_ASSERT_EQUAL(credential_read("../creds/smsvault.conninfo", &v, err, sizeof err), -1);
    CU_ASSERT_EQUAL(credential_read("..", &v, err, sizeof err), -1);
    CU_ASSERT_EQUAL(credential_read("", &v, err, sizeof err), -1);
    write_file(path, "\n", 0600);
    CU_ASSERT_EQUAL(credential_read("smsvault.conninfo", &v, err, sizeof err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "empty"));
    unsetenv("CREDENTIALS_DIRECTORY");
}

static char *slurp(const char *path)
{
    static char buf[4096];
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    buf[n] = '\0';
    if (f)
        fclose(f);
    return buf;
}

/* logrotate renames the file; the next log_set_file (SIGHUP) starts a new one */
static void test_log_file_reopen(void)
{
    char path[128], rotated[140];
    snprintf(path, sizeof path, "%s/vaultweb.log", tmpdir);
    snprintf(rotated, sizeof rotated, "%s.1", path);
    CU_ASSERT_EQUAL_FATAL(log_set_file(path), 0);
    log_info("test: before-rotation n=%d", 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(slurp(path), "INFO: test: before-rotation n=1\n"));
    struct stat st;
    CU_ASSERT_EQUAL(stat(path, &st), 0);
    CU_ASSERT_EQUAL(st.st_mode & 0777, 0640);   /* not world-readable */

    CU_ASSERT_EQUAL_FATAL(rename(path, rotated), 0);
    log_info("test: still-old-file n=%d", 2);            /* like a daemon before its SIGHUP */
    CU_ASSERT_EQUAL_FATAL(log_set_file(path), 0);
    log_info("test: after-reopen n=%d", 3);
    CU_ASSERT_PTR_NOT_NULL(strstr(slurp(rotated), "test: still-old-file n=2"));
    CU_ASSERT_PTR_NULL(strstr(slurp(rotated), "after-reopen"));
    CU_ASSERT_PTR_NOT_NULL(strstr(slurp(path), "test: after-reopen n=3"));
    CU_ASSERT_PTR_NULL(strstr(slurp(path), "before-rotation"));

    char bad[160];
    snprintf(bad, sizeof bad, "%s/no/such/dir.log", tmpdir);
    CU_ASSERT_EQUAL(log_set_file(bad), -1);
    log_info("test: kept-target n=%d", 4);               /* a bad path keeps the old file */
    CU_ASSERT_PTR_NOT_NULL(strstr(slurp(path), "test: kept-target n=4"));

    CU_ASSERT_EQUAL(log_set_file(NULL), 0);              /* back to stderr */
    log_info("test: on-stderr n=%d", 5);
    CU_ASSERT_PTR_NULL(strstr(slurp(path), "on-stderr"));
}

/* under systemd stderr is the journal ($JOURNAL_STREAM = its device:inode):
 * lines carry a priority for journald instead of a timestamp */
static void test_log_to_journal(void)
{
    char path[128], js[64];
    struct stat st;
    snprintf(path, sizeof path, "%s/journal", tmpdir);
    int saved = dup(STDERR_FILENO), fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    CU_ASSERT_FATAL(saved >= 0 && fd >= 0);
    dup2(fd, STDERR_FILENO);
    close(fd);
    fstat(STDERR_FILENO, &st);
    snprintf(js, sizeof js, "%llu:%llu", (unsigned long long)st.st_dev, (unsigned long long)st.st_ino);
    setenv("JOURNAL_STREAM", js, 1);
    log_set_file(NULL);
    log_warn("test: to-journal n=%d", 1);
    log_error("test: journal-error n=%d", 2);
    setenv("JOURNAL_STREAM", "1:2", 1);   /* the journal's, but stderr was redirected since */
    log_set_file(NULL);
    log_info("test: not-journal n=%d", 3);
    unsetenv("JOURNAL_STREAM");
    log_set_file(NULL);
    dup2(saved, STDERR_FILENO);
    close(saved);
    const char *text = slurp(path);
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "<4>test: to-journal n=1\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "<3>test: journal-error n=2\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "] INFO: test: not-journal n=3\n"));
    CU_ASSERT_PTR_NULL(strstr(text, "<6>test: not-journal"));
}

int main(void)
{
    /* this suite's own mask is set in test_loop_reloads_on_sighup */
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 2;
    umask(022);
    CU_pSuite s = CU_add_suite("service", suite_init, suite_clean);
    CU_add_test(s, "notify to a path socket", test_send_path_socket);
    CU_add_test(s, "notify to an abstract socket", test_send_abstract_socket);
    CU_add_test(s, "notify refuses bad socket names", test_send_bad_names);
    CU_add_test(s, "watchdog interval from the environment", test_watchdog_env);
    CU_add_test(s, "loop pings only while healthy", test_loop_pings_only_while_healthy);
    CU_add_test(s, "loop reloads on SIGHUP", test_loop_reloads_on_sighup);
    CU_add_test(s, "credentials from CREDENTIALS_DIRECTORY", test_credentials);
    CU_add_test(s, "log file reopened after rotation", test_log_file_reopen);
    CU_add_test(s, "log lines for the journal carry a priority", test_log_to_journal);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
    CU_cleanup_registry();
    return failed ? 1 : 0;
}
