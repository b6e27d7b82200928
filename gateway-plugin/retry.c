/*
 * retry — how vaultbox waits and tries again: whether the box is stopping,
 * sleeps that end early when it is, one back-off (doubled after each wait,
 * at most BACKOFF_MAX_S), a store connection retried until the database
 * answers, and one way to run a transaction that may have to be run again
 * (box_tx_run): every role that writes to the store in transactions goes
 * through it, so a rollback, the wait and a lost connection are handled in
 * one place.
 *
 * It does not decide what a transaction does, nor what to do with its
 * result once committed (each role does), and keeps no state of its own.
 */
#include <time.h>

#include "vaultbox_int.h"

#include "log.h"

bool box_stopping(void)
{
    return program_status == shutting_down;
}

void box_nap(double s)
{
    for (double t = 0; t < s && !box_stopping(); t += 0.1)
        gwthread_sleep(0.1);
}

double box_monotonic_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

void backoff_init(struct backoff *b, double first_s)
{
    b->first_s = first_s;
    b->delay_s = first_s;
}

void backoff_reset(struct backoff *b)
{
    b->delay_s = b->first_s;
}

void backoff_wait(struct backoff *b)
{
    box_nap(b->delay_s);
    b->delay_s = b->delay_s * 2 < BACKOFF_MAX_S ? b->delay_s * 2 : BACKOFF_MAX_S;
}

struct store *box_store_open(const char *who)
{
    struct store *s = NULL;
    struct backoff b;
    backoff_init(&b, 0.2);
    while (!box_stopping()) {
        if (store_open(&settings.store, &s) == STORE_OK)
            return s;
        log_warn("vaultbox: database unavailable thread=%s retry_s=%.1f", who, b.delay_s);
        backoff_wait(&b);
    }
    return NULL;
}

bool box_tx_run(struct store **sp, const char *who, tx_work_fn *work, tx_done_fn *done, void *ctx)
{
    struct backoff b;
    backoff_init(&b, 0.1);
    while (*sp != NULL) {
        struct store *s = *sp;
        enum tx_step step = store_tx_begin(s) == STORE_OK ? work(s, ctx) : TX_RETRY;
        if (step == TX_COMMIT) {
            bool committed = store_tx_commit(s) == STORE_OK;
            if (done)
                committed = done(ctx, committed);   /* before any wait */
            if (committed)
                return true;
        }
        /* nothing of this attempt committed */
        store_tx_rollback(s);
        if (step == TX_REDO)
            continue;
        if (box_stopping())
            return false;
        log_warn("vaultbox: tx-retry thread=%s retry_s=%.1f", who, b.delay_s);
        box_count_tx_retry(who);
        backoff_wait(&b);
        if (!store_ping(s)) {
            store_free(s);
            *sp = box_store_open(who);
        }
    }
    return false;
}
