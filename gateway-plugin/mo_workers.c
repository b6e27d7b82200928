/*
 * mo_workers — vaultbox's MO workers: one store connection and one core
 * each. One phone always lands on the same worker (a hash of the sender), so
 * its commands run in order; different phones run in parallel. A worker
 * takes what is queued (up to batch_max MO), opens one transaction and runs
 * every MO in a savepoint of its own: store_mo_seen(uuid) first (an MO
 * bearerbox re-sent after we applied it is acked without running again),
 * then core_handle (which queues the replies in the outbox). The MOs are
 * acked only after COMMIT, so a crash before it makes bearerbox re-send them
 * and nothing is lost; a store failure rolls back and is retried with
 * back-off. The replies are handed over in memory: inserted SENDING for the
 * sender's instance and given to the sender after the COMMIT (sender.c;
 * store_outbox_hand_over says when a reply is queued the old way instead).
 * The savepoints are optimistic first (store_tx_optimistic: none
 * is sent to the server): when any MO of the batch would have rolled back
 * to its savepoint, the whole attempt is rolled back and the batch runs
 * again with real ones, so what commits is the same either way. REG /
 * LOGIN / PASS (argon2id, 12 MiB each) run alone, at most password_checks
 * at a time, with real savepoints. Other batches run at most batches_at_once
 * at a time: a worker waiting for its turn keeps gathering its phones' MOs,
 * so under load there are fewer, bigger commits however many workers there
 * are (a password check blocks only its own worker's phones).
 *
 * It does not read from bearerbox (bb_conn.c queues the MOs here), parse
 * commands (core/) or speak SQL (store/).
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vaultbox_int.h"

#include "gw/sms.h"

#include "alloc.h"
#include "core_mo.h"
#include "log.h"

static Semaphore *password_slots;   /* password checks at once (argon2id memory) */
static Semaphore *batch_slots;      /* other batches at once (fewer, bigger commits) */
static atomic_long commit_count;
static atomic_size_t unacked;       /* submitted, not yet freed */

/* ---- MO: Kannel Msg -> core_mo ---- */

enum mo_state {
    MO_TO_RUN,    /* runs in the next attempt */
    MO_RAN,       /* ran in this attempt (or was seen before, or was given up):
                     acked once the attempt commits */
    MO_ACKED,     /* committed and acked */
};

struct mo_item {
    Msg *msg;             /* owned; mo borrows its strings */
    unsigned conn_gen;    /* connection it came on: acks go only there */
    struct core_mo mo;    /* decoded once, when it arrived */
    char *converted_text; /* what mo.text points to when it had to be converted (owned), or NULL */
    enum mo_state state;
    int errors;           /* CORE_ERR seen for this MO */
    /* what the attempt that ran it did, counted once it commits */
    enum box_mo_end end;
    char cmd[sizeof ((struct core_replies *)0)->cmd];
    enum core_outcome outcome;
    size_t replies, items;   /* MT queued: replies; items: delivery requests (GET) */
    bool checks_password; /* REG / LOGIN / PASS (argon2id): runs alone, holding a password slot */
};

/* Fill mo from msg; *converted receives the text mo points to when it had
 * to be converted (to free), else NULL. */
static void mo_from_msg(Msg *msg, struct core_mo *mo, char **converted)
{
    Octstr *udh = msg->sms.udhdata, *data = msg->sms.msgdata;
    memset(mo, 0, sizeof *mo);
    mo->msisdn = msg->sms.sender ? octstr_get_cstr(msg->sms.sender) : "";
    mo->shortcode = msg->sms.receiver ? octstr_get_cstr(msg->sms.receiver) : NULL;
    mo->at = msg->sms.time > 0 ? (time_t)msg->sms.time : time(NULL);
    core_mo_decode(msg->sms.coding == DC_8BIT   ? CORE_CODING_8BIT
                   : msg->sms.coding == DC_UCS2 ? CORE_CODING_UCS2
                                                : CORE_CODING_TEXT,
                   udh ? (const unsigned char *)octstr_get_cstr(udh) : NULL,
                   udh ? (size_t)octstr_len(udh) : 0, data ? octstr_get_cstr(data) : NULL,
                   data ? (size_t)octstr_len(data) : 0, mo, converted);
}

static void mo_item_free(struct mo_item *it)
{
    msg_destroy(it->msg);
    free(it->converted_text);
    free(it);
    atomic_fetch_sub(&unacked, 1);
}

/* ---- workers ---- */

struct worker {
    List *queue;         /* struct mo_item * */
    long thread;
};

static struct worker *workers;

/* One MO inside the open transaction. Returns false when the whole
 * transaction must be rolled back and retried (the store asked to). With
 * optimistic savepoints, an MO that would roll back to its savepoint spoils
 * the transaction (store_tx_spoilt) and counts nothing: the careful run
 * after it decides. */
static bool run_mo(struct store *s, struct core *core, struct mo_item *it, bool careful)
{
    char uuid[UUID_STR_LEN + 1];
    struct core_replies rep;
    enum store_result r;
    enum core_result cr;

    uuid_unparse(it->msg->sms.id, uuid);
    if (store_tx_savepoint(s) != STORE_OK)
        return false;
    r = store_mo_seen(s, uuid);
    if (r == STORE_CONFLICT) {
        /* bearerbox re-sent an MO we applied: ack it, do not run it again
         * (back to the savepoint: the record may have been refused by the
         * unique index, an error; optimistic, that spoils the attempt) */
        store_tx_rollback_to(s);
        log_info("vaultbox: mo-duplicate uuid=%s", uuid);
        it->state = MO_RAN;
        it->end = BOX_MO_DUPLICATE;
        return true;
    }
    if (r != STORE_OK) {
        store_tx_rollback_to(s);
        return false;
    }
    core_replies_init(&rep);
    cr = core_handle(core, s, &it->mo, &rep);
    log_debug("vaultbox: mo uuid=%s msisdn=%s cmd=%s result=%s replies=%zu requests=%zu", uuid, it->mo.msisdn,
              rep.cmd, core_result_name(cr), rep.count, rep.requests);
    memcpy(it->cmd, rep.cmd, sizeof it->cmd);
    it->outcome = rep.outcome;
    it->items = rep.requests;
    it->replies = rep.count;
    core_replies_cleanup(&rep);
    if (cr == CORE_OK || cr == CORE_IGNORED) {
        it->state = MO_RAN;
        it->end = BOX_MO_APPLIED;
        return store_tx_release(s) == STORE_OK;
    }
    store_tx_rollback_to(s);
    if (!careful)
        return true;   /* spoilt: the batch runs again with savepoints */
    if (cr == CORE_RETRY)
        return false;
    /* CORE_ERR: the store refused this MO; try it again in a later
     * transaction, and after three failures record it as seen and move on
     * rather than block the phone's queue for ever */
    if (++it->errors >= 3) {
        log_error("vaultbox: mo-gave-up uuid=%s msisdn=%s errors=%d", uuid, it->mo.msisdn, it->errors);
        if (store_tx_savepoint(s) != STORE_OK)
            return false;
        if (store_mo_seen(s, uuid) != STORE_OK) {
            store_tx_rollback_to(s);
            return false;
        }
        store_tx_release(s);
        it->state = MO_RAN;
        it->end = BOX_MO_GAVE_UP;
    }
    return true;
}

struct batch {
    struct core *core;
    struct mo_item **items;
    size_t n;
    bool careful;   /* real savepoints: an optimistic attempt of this batch was spoilt */
    /* the replies the attempt being committed handed over (given to the
     * sender once the commit succeeded), and the ids of those of commits
     * whose answer was lost (they may exist: requeued after the next commit) */
    struct store_outbox_row *handed;
    size_t nhanded;
    long long *unsure;
    size_t nunsure;
};

static atomic_long handing_attempts;   /* for the test hook settings.rollback_batch */

/* One attempt at the batch: every MO not yet acked, each in its savepoint;
 * the replies are handed over to the sender (store_outbox_hand_over) when
 * its lease is held. */
static enum tx_step batch_attempt(struct store *s, void *ctx)
{
    struct batch *b = ctx;
    core_attempt_begin(b->core);   /* nothing kept of an attempt rolled back */
    for (size_t i = 0; i < b->n; i++)
        if (b->items[i]->state != MO_ACKED)   /* what a rolled-back attempt ran runs again */
            b->items[i]->state = MO_TO_RUN;
    store_outbox_hand_over(s, sender_handover_instance());
    if (!b->careful)
        store_tx_optimistic(s);
    for (size_t i = 0; i < b->n; i++) {
        if (b->items[i]->state != MO_TO_RUN)
            continue;
        if (!run_mo(s, b->core, b->items[i], b->careful))
            return TX_RETRY;
        if (!b->careful && store_tx_spoilt(s)) {
            b->careful = true;
            return TX_REDO;   /* rolled back whole: again at once, each MO in a real savepoint */
        }
    }
    store_outbox_rows_free(b->handed, b->nhanded);
    store_outbox_handed_take(s, &b->handed, &b->nhanded);
    if (b->nhanded > 0 && settings.rollback_batch > 0 &&
        atomic_fetch_add(&handing_attempts, 1) + 1 == settings.rollback_batch) {
        log_warn("vaultbox: test-hook batch rolled back instead of committed handed=%zu", b->nhanded);
        return TX_RETRY;   /* the rows taken are dropped by the next attempt */
    }
    sender_commit_enter();   /* left in batch_done, after the commit and the hand-over */
    return TX_COMMIT;
}

/* After the COMMIT of an attempt (box_tx_run's done): a committed one's
 * replies go to the sender — only now, so that nothing uncommitted is ever
 * sent; when the answer was lost they may exist, SENDING by us, and are
 * requeued once a later attempt committed (by then the lost one has ended
 * on the server: the later one met its mo_seen rows). The MOs are acked
 * by run_batch. */
static bool batch_done(void *ctx, bool committed)
{
    struct batch *b = ctx;
    if (committed && settings.die_after_commit > 0 &&
        atomic_fetch_add(&commit_count, 1) + 1 == settings.die_after_commit) {
        log_warn("vaultbox: test-hook exit after commit, before ack");
        _exit(3);
    }
    if (committed && settings.lose_commit > 0 &&
        atomic_fetch_add(&commit_count, 1) + 1 == settings.lose_commit) {
        log_warn("vaultbox: test-hook commit-answer-lost handed=%zu", b->nhanded);
        committed = false;
    }
    core_attempt_end(b->core, committed);
    if (committed) {
        sender_hand_over(b->handed, b->nhanded);
        if (b->nunsure > 0)
            sender_requeue_unsure(b->unsure, b->nunsure);
        b->unsure = NULL;
        b->nunsure = 0;
    } else if (b->nhanded > 0) {
        b->unsure = xrealloc(b->unsure, (b->nunsure + b->nhanded) * sizeof *b->unsure);
        for (size_t i = 0; i < b->nhanded; i++)
            b->unsure[b->nunsure++] = b->handed[i].id;
        store_outbox_rows_free(b->handed, b->nhanded);
    }
    b->handed = NULL;
    b->nhanded = 0;
    sender_commit_leave();
    return committed;
}

/* An MO whose attempt committed: how it ended, and for one that ran, its
 * command and the MT it queued. */
static void count_committed(const struct mo_item *it)
{
    box_count_mo_end(it->end);
    if (it->end != BOX_MO_APPLIED)
        return;
    box_count_command(it->cmd, it->outcome);
    box_count_mt(BOX_MT_QUEUED, STORE_MT_REPLY, it->replies);
    box_count_mt(BOX_MT_QUEUED, STORE_MT_ITEM, it->items);
}

/*
 * A password command (argon2id, 12 MiB) takes a slot of password_slots before its
 * transaction begins and gives it back after commit: a worker never waits
 * for a slot while its transaction holds row locks another slot holder may
 * need (that would deadlock where PostgreSQL cannot see it). Consumes the items.
 */
static void run_batch(struct store **sp, struct core *core, struct mo_item **items, size_t n)
{
    size_t left = n;
    bool takes_slot = n == 1 && items[0]->checks_password;
    /* a password command runs with real savepoints from the start: a wrong
     * password or a name taken would spoil an optimistic attempt, and the
     * hash would be computed twice */
    struct batch b = { .core = core, .items = items, .n = n, .careful = takes_slot };

    if (takes_slot)
        semaphore_down(password_slots);
    /* when stopping before a commit, nothing is acked: bearerbox keeps the
     * MOs and re-sends them to the next vaultbox */
    while (left > 0 && box_tx_run(sp, "worker", batch_attempt, batch_done, &b)) {
        left = 0;
        for (size_t i = 0; i < n; i++) {
            if (items[i]->state == MO_TO_RUN) {
                left++;   /* CORE_ERR: runs again in the next transaction */
            } else if (items[i]->state == MO_RAN) {
                bb_ack(items[i]->msg, ack_success, items[i]->conn_gen);   /* after commit */
                items[i]->state = MO_ACKED;
                count_committed(items[i]);
            }
        }
    }
    if (takes_slot)
        semaphore_up(password_slots);
    /* stopping: rows of a lost answer not yet requeued are the sweep's
     * (SENDING by this instance, which is going) */
    store_outbox_rows_free(b.handed, b.nhanded);
    free(b.unsure);
    for (size_t i = 0; i < n; i++)
        mo_item_free(items[i]);
}

static void worker_main(void *arg)
{
    struct worker *w = arg;
    struct store *s = box_store_open("worker");
    struct core *core = core_new(&settings.core);
    struct mo_item **batch = xcalloc((size_t)settings.box.batch_max, sizeof *batch);
    struct mo_item *first, *held_back = NULL;

    while ((first = held_back ? held_back : gwlist_consume(w->queue)) != NULL) {
        size_t n = 0;
        held_back = NULL;
        batch[n++] = first;
        struct mo_item *more;
        /* the turn is taken before the batch is gathered: what arrives while
         * waiting for it joins this batch. No transaction is open while
         * waiting, and a holder never waits for a password slot, nor a
         * password command for a turn, so no lock cycle can form. */
        bool takes_turn = !first->checks_password;
        if (takes_turn)
            semaphore_down(batch_slots);
        /* a password command runs alone (see run_batch): it ends a batch
         * and is held back to start the next one */
        while (!first->checks_password && n < (size_t)settings.box.batch_max &&
               (more = gwlist_extract_first(w->queue)) != NULL) {
            if (more->checks_password) {
                held_back = more;
                break;
            }
            batch[n++] = more;
        }
        if (s == NULL) {
            for (size_t i = 0; i < n; i++)   /* shutting down before the database came */
                mo_item_free(batch[i]);
        } else {
            run_batch(&s, core, batch, n);
        }
        if (takes_turn)
            semaphore_up(batch_slots);
    }
    free(batch);
    core_free(core);
    store_free(s);
}

void workers_start(void)
{
    password_slots = semaphore_create(settings.box.password_checks);
    batch_slots = semaphore_create(settings.box.batches_at_once);
    workers = xcalloc((size_t)settings.box.workers, sizeof *workers);
    for (long long i = 0; i < settings.box.workers; i++) {
        workers[i].queue = gwlist_create();
        gwlist_add_producer(workers[i].queue);
        workers[i].thread = gwthread_create(worker_main, &workers[i]);
    }
}

/* The worker of a sender: always the same one (djb2 hash of the number as
 * bearerbox wrote it), so that one phone's commands run in order. */
static struct worker *worker_of(const Octstr *sender)
{
    unsigned long h = 5381;
    if (sender == NULL)
        return &workers[0];
    for (long i = 0; i < octstr_len(sender); i++)
        h = h * 33 + (unsigned char)octstr_get_char(sender, i);
    return &workers[h % (unsigned long)settings.box.workers];
}

void workers_submit(Msg *msg, unsigned conn_gen)
{
    struct mo_item *it = xcalloc(1, sizeof *it);
    it->msg = msg;
    it->conn_gen = conn_gen;
    mo_from_msg(msg, &it->mo, &it->converted_text);
    it->checks_password = core_mo_hashes_password(&it->mo);
    atomic_fetch_add(&unacked, 1);
    gwlist_produce(worker_of(msg->sms.sender)->queue, it);
}

size_t workers_unacked(void)
{
    return atomic_load(&unacked);
}

void workers_stop(void)
{
    for (long long i = 0; i < settings.box.workers; i++)
        gwlist_remove_producer(workers[i].queue);
    for (long long i = 0; i < settings.box.workers; i++) {
        gwthread_join(workers[i].thread);
        gwlist_destroy(workers[i].queue, NULL);
    }
    free(workers);
    workers = NULL;
    semaphore_destroy(password_slots);
    semaphore_destroy(batch_slots);
}
