/*
 * retry — how vaultbox waits and tries again: whether the box is stopping,
 * sleeps that end early when it is, and a store connection retried with
 * back-off until the database answers.
 *
 * It does not decide what is retried (each role does) and keeps no state of
 * its own.
 */
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

struct store *box_store_open(const char *who)
{
    struct store *s = NULL;
    double backoff = 0.2;
    while (!box_stopping()) {
        if (store_open(&settings.store, &s) == STORE_OK)
            return s;
        log_warn("vaultbox: database unavailable thread=%s retry_s=%.1f", who, backoff);
        box_nap(backoff);
        backoff = backoff < 5 ? backoff * 2 : 5;
    }
    return NULL;
}
