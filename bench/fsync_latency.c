/*
 * fsync_latency — how long the disk under a directory takes to make one
 * small write durable, as PostgreSQL's WAL flush at each COMMIT does: it
 * writes 8 KB to a file of its own there and fdatasync(2)s it, N times at a
 * steady pace, and prints the spread on one line:
 *
 *   fsync_latency: dir=.. n=.. interval_ms=.. p50_ms=.. p90_ms=.. p99_ms=.. max_ms=..
 *
 * Every SMS command commits (its MO record and its reply) before it is
 * answered, so no command's p99 can be lower than this line's: the
 * benchmarks print it beside their own. PostgreSQL's pg_test_fsync reports
 * means only; the tails are what this is for. The file is removed at the
 * end.
 *
 * usage: fsync_latency <dir> [count=500] [interval_ms=10]
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 4) {
        fprintf(stderr, "usage: fsync_latency <dir> [count=500] [interval_ms=10]\n");
        return 2;
    }
    long n = argc > 2 ? strtol(argv[2], NULL, 10) : 500;
    long interval = argc > 3 ? strtol(argv[3], NULL, 10) : 10;
    if (n < 1 || n > 1000000 || interval < 0 || interval > 10000) {
        fprintf(stderr, "fsync_latency: count 1..1000000, interval_ms 0..10000\n");
        return 2;
    }
    char path[4096];
    if (snprintf(path, sizeof path, "%s/fsync_latency.%ld", argv[1], (long)getpid()) >= (int)sizeof path) {
        fprintf(stderr, "fsync_latency: directory name too long\n");
        return 2;
    }
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0) {
        fprintf(stderr, "fsync_latency: %s: %s\n", path, strerror(errno));
        return 1;
    }
    static char block[8192];
    memset(block, 'x', sizeof block);
    double *lat = calloc((size_t)n, sizeof *lat);
    int rc = 0;
    if (lat == NULL) {
        fprintf(stderr, "fsync_latency: out of memory\n");
        rc = 1;
        goto out;
    }
    struct timespec pause = { interval / 1000, (interval % 1000) * 1000000L };
    for (long i = 0; i < n; i++) {
        /* a WAL segment is written forward: 128 blocks round and round */
        if (pwrite(fd, block, sizeof block, (off_t)(i % 128) * (off_t)sizeof block) != (ssize_t)sizeof block) {
            fprintf(stderr, "fsync_latency: write: %s\n", strerror(errno));
            rc = 1;
            goto out;
        }
        double t0 = now_ms();
        if (fdatasync(fd) != 0) {
            fprintf(stderr, "fsync_latency: fdatasync: %s\n", strerror(errno));
            rc = 1;
            goto out;
        }
        lat[i] = now_ms() - t0;
        if (interval > 0)
            nanosleep(&pause, NULL);
    }
    qsort(lat, (size_t)n, sizeof *lat, cmp_double);
#define AT(q) lat[(size_t)((double)(n - 1) * (q) + 0.5)]
    printf("fsync_latency: dir=%s n=%ld interval_ms=%ld p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f\n", argv[1], n,
           interval, AT(0.50), AT(0.90), AT(0.99), lat[n - 1]);
#undef AT
out:
    free(lat);
    close(fd);
    unlink(path);
    return rc;
}
