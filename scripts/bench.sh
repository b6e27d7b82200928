#!/usr/bin/env bash
# bench.sh [build-dir] — round-trip benchmark of the SMS path:
# phonesim load -> smscsim -SMPP-> bearerbox -> <box> -> back to the handset.
# Three boxes, each run on a fresh smscsim + bearerbox (conf/kannel.conf) on
# free loopback ports in a temp dir:
#   vaultbox     SAVE from BENCH_PHONES registered phones, each committed to
#                PostgreSQL before its ack, the reply through the outbox;
#   echobox      the same load answered from memory (the gateway's ceiling);
#   smsbox-app   the conventional set-up: Kannel's smsbox with a get-url
#                sms-service calling bench/smsbox_app.py, which looks the
#                phone up and inserts the SMS durably (one transaction).
# They run alternately, BENCH_ROUNDS times each, so that a change of load on
# the machine hits all of them alike; the summary lines give the medians:
#   bench: vaultbox/echobox=R dlr_mask=M ...        (for each of BENCH_DLR_MASKS)
#   bench: vaultbox/smsbox-app=R inflight=N ...     (at BENCH_INFLIGHT and BENCH_LOW_INFLIGHT)
# R is the median of the per-round ratios (keep that form: tools read it).
# Each run's row: round trips/s, p50/p99, CPU milliseconds per MO (= CPU
# seconds per 1,000 MO) of bearerbox, the box (and the app), PostgreSQL (all
# of the cluster's processes), smscsim and phonesim (from /proc/PID/stat:
# utime + stime), the box's peak RSS during the load, and for the boxes that
# write to PostgreSQL, per MO: WAL records and bytes and WAL syncs
# (pg_stat_wal), commits (pg_stat_database.xact_commit) and statements
# executed (pg_stat_statements, top level: one per round trip in the simple
# protocol), and a `pg_log:` line: the statements that took over 50 ms
# during the load, checkpoints, autovacuum runs and lock waits (the server's
# log: a slow round trip that waited on none of them waited elsewhere);
# and once at the start, the disk's own fdatasync latency
# (bench/fsync_latency: no SAVE's p99 can be lower).
# The last vaultbox round of each mask is followed by a run paced
# to half the median rate (the p99 target holds there).
#
# PostgreSQL: a private cluster ("bench", through scripts/lib.sh) on a free
# port with pg_stat_statements loaded, one fresh database for the whole run
# (registered once; vaultbox and the app use the same tables), dropped and
# the cluster stopped at the end.
#
# Knobs (env): BENCH_DURATION=8 s per run, BENCH_ROUNDS=3, BENCH_INFLIGHT=200,
# BENCH_LOW_INFLIGHT=10 (0: no low in-flight comparison), BENCH_PHONES=400
# (>= BENCH_INFLIGHT: phonesim uses numbers past it, which have no account),
# BENCH_DLR_MASKS="0 3", BENCH_APP=1 (0: no smsbox-app), BENCH_LONG=1 (30 s
# runs, 5 rounds), BENCH_TEMPLATE='SAVE load %n', SV_SMSCSIM_ARGS (e.g.
# --no-quickack), BENCH_VAULTBOX_CONF (extra [box] lines, e.g. "workers = 8"),
# BENCH_STATEMENTS=1 (print the top statements of each run on PostgreSQL),
# BENCH_WALDUMP=1 (pg_waldump --stats=record of each such run, per MO;
# BENCH_WALDUMP=rel: by record type and the table or index it writes),
# BENCH_KEEP_DB=1 (keep the cluster and the database, for a look afterwards).
# Use a build without sanitizers (./smsvault bench builds one).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export SV_BUILD=$(cd "${1:-${SV_BUILD:-$ROOT/build}}" && pwd)
if [[ ${BENCH_LONG:-0} == 1 ]]; then
    : "${BENCH_DURATION:=30}" "${BENCH_ROUNDS:=5}"
fi
DURATION=${BENCH_DURATION:-8}
ROUNDS=${BENCH_ROUNDS:-3}
INFLIGHT=${BENCH_INFLIGHT:-200}
LOW_INFLIGHT=${BENCH_LOW_INFLIGHT:-10}
PHONES=${BENCH_PHONES:-400}
DLR_MASKS=${BENCH_DLR_MASKS:-0 3}
APP=${BENCH_APP:-1}
APP_POOL=${BENCH_APP_POOL:-16}
TEMPLATE=${BENCH_TEMPLATE:-SAVE load %n}
CLK_TCK=$(getconf CLK_TCK)

# the short code every box is reached at (conf/kannel.conf's smsbox-route,
# substituted by scripts/svc/bearerbox.sh)
export SV_SHORTCODE=${SV_SHORTCODE:-10659}

# shellcheck source=scripts/svc/smscsim.sh
source "$ROOT/scripts/svc/smscsim.sh"
# shellcheck source=scripts/svc/bearerbox.sh
source "$ROOT/scripts/svc/bearerbox.sh"
# shellcheck source=scripts/svc/vaultbox.sh
source "$ROOT/scripts/svc/vaultbox.sh"

[[ -x $SV_BUILD/gateway-plugin/vaultbox && -x $SV_BUILD/bench/echobox ]] ||
    { echo "bench: build $SV_BUILD first (vaultbox, echobox)" >&2; exit 1; }
SMSBOX=$(command -v smsbox || echo /usr/sbin/smsbox)
if [[ $APP == 1 ]] && { [[ ! -x $SMSBOX ]] || ! /usr/bin/python3 -c 'import psycopg2' 2>/dev/null; }; then
    echo "bench: no smsbox or python3-psycopg2: smsbox-app left out" >&2
    APP=0
fi

# ---- PostgreSQL ----
BENCH_DB= PG_STARTED= DBURI= PG_PID= PG_LOG=
pg_setup() {
    sv_pg_stop bench
    SV_PG_OPTS="-c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.max=1000 $(sv_pg_log_opts 50)" \
        sv_pg_start bench "$(sv_free_port)"
    PG_LOG=$(sv_pg_dir bench)/postgres.log
    PG_STARTED=1
    BENCH_ADMIN=$(sv_pg_uri bench postgres)
    BENCH_DB=sv_bench_$$
    DBURI=$(sv_pg_createdb "$BENCH_ADMIN" "$BENCH_DB") || exit 1
    export SMSVAULT_PGURI=$DBURI
    psql "$DBURI" -qAtc "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" >/dev/null
    PG_PID=$(sv_pg_pid bench)
}
pg_teardown() {
    [[ ${BENCH_KEEP_DB:-0} == 1 ]] && { echo "bench: kept database: $DBURI"; return 0; }
    if [[ -n $BENCH_DB ]]; then
        sv_pg_dropdb "$BENCH_ADMIN" "$BENCH_DB"
        BENCH_DB=
    fi
    if [[ -n $PG_STARTED ]]; then
        sv_pg_stop bench
        PG_STARTED=
    fi
}
sql() { psql "$DBURI" -qAtX -F ' ' -c "$1"; }

# ---- measuring ----
hwm_kb() { sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$1/status" 2>/dev/null || echo 0; }
# CPU ticks (utime + stime) of the processes named (the comm field may hold
# spaces: fields are counted after its closing parenthesis)
cpu_ticks() {
    local pid sum=0 f
    for pid in "$@"; do
        f=$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null) || continue
        set -- $f
        sum=$((sum + ${12} + ${13}))
    done
    echo "$sum"
}
pg_pids() { echo "$PG_PID" $(ps -o pid= --ppid "$PG_PID" 2>/dev/null); }
# the database's counters: wal_records wal_bytes wal_sync xact_commit statements
pg_counters() {
    sql "SELECT pg_stat_clear_snapshot()" >/dev/null
    sql "SELECT w.wal_records, w.wal_bytes, w.wal_sync, d.xact_commit,
                (SELECT coalesce(sum(calls), 0) FROM pg_stat_statements s WHERE s.dbid = d.datid)
         FROM pg_stat_wal w, pg_stat_database d WHERE d.datname = current_database()"
}
field() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p" <<<" $2"; }
median() { tr ' ' '\n' <<<"$*" | grep -v '^$' | sort -g | awk '{ v[NR] = $1 } END { print NR ? v[int((NR + 1) / 2)] : 0 }'; }

# ---- one stack: smscsim + bearerbox (+ the box) ----
VAR= BOX_PIDS=() APP_PID= SMSBOX_PID= ECHO_PID=
stack_start() {
    VAR=$(mktemp -d /tmp/sv-bench.XXXXXX)
    SV_SMSC_PORT=$(sv_free_port)
    SV_SMSC_CTL_PORT=$(sv_free_port "$SV_SMSC_PORT")
    SV_BB_ADMIN_PORT=$(sv_free_port "$SV_SMSC_PORT" "$SV_SMSC_CTL_PORT")
    SV_BB_BOX_PORT=$(sv_free_port "$SV_SMSC_PORT" "$SV_SMSC_CTL_PORT" "$SV_BB_ADMIN_PORT")
    export SV_SMSC_PORT SV_SMSC_CTL_PORT SV_BB_ADMIN_PORT SV_BB_BOX_PORT
    svc_smscsim_start "$VAR"
    svc_bearerbox_start "$VAR"
}
stack_stop() {
    local p
    for p in $ECHO_PID $SMSBOX_PID $APP_PID; do
        if kill -0 "$p" 2>/dev/null; then
            kill -TERM "$p"
            wait "$p" 2>/dev/null || true
        fi
    done
    ECHO_PID= SMSBOX_PID= APP_PID= BOX_PIDS=()
    if [[ -n $VAR ]]; then
        svc_vaultbox_stop "$VAR"
        svc_bearerbox_stop "$VAR"
        svc_smscsim_stop "$VAR"
        rm -rf "$VAR"
    fi
    VAR=
}
trap 'stack_stop; pg_teardown' EXIT

phonesim() { "$SV_BUILD/smsc/phonesim" --control "127.0.0.1:$SV_SMSC_CTL_PORT" "$@"; }

REGISTERED=
register_phones() { # every load phone gets an account (16 registrations at a time)
    seq 0 $((PHONES - 1)) | xargs -P 16 -I{} sh -c '"$1/smsc/phonesim" --control "127.0.0.1:$2" \
        --from $((8613900000000 + {})) --to "$3" --expect 1 --timeout 300000 "REG bench{} pass1234" >/dev/null' \
        sh "$SV_BUILD" "$SV_SMSC_CTL_PORT" "$SV_SHORTCODE" || { echo "bench: registration failed" >&2; exit 1; }
    REGISTERED=1
}

box_start() { # box_start <name> <dlr_mask>
    local name=$1 dlr=$2 deadline port
    case $name in
    vaultbox)
        export SV_CONF=$VAR/smsvault.conf
        SV_CONF_EXTRA="[box]
log_level = warn
dlr_mask = $dlr
${BENCH_VAULTBOX_CONF:-}" sv_conf_write "$SV_CONF"
        svc_vaultbox_start "$VAR" || { echo "bench: vaultbox did not start" >&2; exit 1; }
        BOX_PIDS=("$(<"$VAR/run/vaultbox.pid")")
        if [[ -z $REGISTERED ]]; then
            register_phones
            # registration hashes passwords (argon2id: 12 MiB each): that peak
            # is reported apart
            echo "vaultbox   registration of $PHONES phones: box_hwm_kb=$(hwm_kb "${BOX_PIDS[0]}")"
        fi
        ;;
    echobox) # identifies as "vaultbox": that is what smsbox-route routes to
        "$SV_BUILD/bench/echobox" --port "$SV_BB_BOX_PORT" --box-id vaultbox --dlr-mask "$dlr" \
            --log-level warning >>"$VAR/log/echobox.log" 2>&1 &
        ECHO_PID=$!
        BOX_PIDS=("$ECHO_PID")
        ;;
    smsbox-app)
        port=$(sv_free_port "$SV_SMSC_PORT" "$SV_SMSC_CTL_PORT" "$SV_BB_ADMIN_PORT" "$SV_BB_BOX_PORT")
        /usr/bin/python3 "$ROOT/bench/smsbox_app.py" --port "$port" --dsn "$DBURI" --pool "$APP_POOL" \
            >"$VAR/log/app.log" 2>&1 &
        APP_PID=$!
        sv_wait_tcp "$port" 20 "$APP_PID" || { cat "$VAR/log/app.log" >&2; exit 1; }
        smsbox_conf "$port" >"$VAR/smsbox.conf"
        "$SMSBOX" -v 2 "$VAR/smsbox.conf" >>"$VAR/log/smsbox.stdout" 2>&1 &
        SMSBOX_PID=$!
        BOX_PIDS=("$SMSBOX_PID" "$APP_PID")
        ;;
    esac
    # ready = one round trip completes (the box identified and is routed to)
    deadline=$((SECONDS + 30))
    until phonesim --from 8613700000000 --to "$SV_SHORTCODE" --expect 1 --timeout 1000 "warm up" >/dev/null 2>&1; do
        ((SECONDS < deadline)) || { echo "bench: $name not ready (logs in $VAR/log)" >&2; exit 1; }
    done
}

# smsbox's configuration: bearerbox's (smsbox reads the core group too)
# without its smsbox group, then ours: it identifies as "vaultbox" (the
# smsbox-route), one get-url service for every text; the reply is the
# answer's body. max-pending-requests bounds its HTTP requests in flight.
smsbox_conf() {
    awk '/^group = smsbox$/ { skip = 1; next } skip && /^$/ { skip = 0 } !skip' "$VAR/kannel.conf"
    cat <<EOF

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = $SV_BB_BOX_PORT
smsbox-id = vaultbox
sendsms-port = $(sv_free_port "$SV_SMSC_PORT" "$SV_SMSC_CTL_PORT" "$SV_BB_ADMIN_PORT" "$SV_BB_BOX_PORT" "$1")
sendsms-interface = 127.0.0.1
max-pending-requests = 512
log-file = "$VAR/log/smsbox.log"
log-level = 2

group = sms-service
keyword = default
catch-all = true
max-messages = 1
omit-empty = true
get-url = "http://127.0.0.1:$1/mo?from=%p&text=%a"
EOF
}

# ---- one measured load ----
# run_load <label> <inflight> <rate> <pg: 0|1>: prints the row, sets R_* globals
R_RATE= R_P50= R_P99= R_HWM=
run_load() {
    local label=$1 inflight=$2 rate=$3 pg=$4 load out bb sm pgb pga boxb=() boxa=() i
    local bb_pid sm_pid before after times stored lsn0 log_from
    bb_pid=$(<"$VAR/run/bearerbox.pid")
    sm_pid=$(<"$VAR/run/smscsim.pid")
    for i in "${BOX_PIDS[@]}"; do echo 5 >"/proc/$i/clear_refs" 2>/dev/null || true; done
    if [[ $pg == 1 ]]; then
        sleep 1.2   # backends report their counters when idle for a second
        sql "SELECT pg_stat_statements_reset()" >/dev/null
        log_from=$(stat -c %s "$PG_LOG")
        before=$(pg_counters)
        stored=$(sql "SELECT count(*) FROM sms")
        lsn0=$(sql "SELECT pg_current_wal_lsn()")
        pgb=$(cpu_ticks $(pg_pids))
    fi
    bb=$(cpu_ticks "$bb_pid")
    sm=$(cpu_ticks "$sm_pid")
    for i in "${BOX_PIDS[@]}"; do boxb+=("$(cpu_ticks "$i")"); done
    # phonesim's own CPU: `times` in the same subshell gives its children's
    out=$({ phonesim --load --to "$SV_SHORTCODE" --from-base 8613900000000 --phones "$PHONES" \
        --inflight "$inflight" --rate "$rate" --duration "$DURATION" --template "$TEMPLATE" \
        --timeout 30000 || true; times; })
    bb=$(( $(cpu_ticks "$bb_pid") - bb ))
    sm=$(( $(cpu_ticks "$sm_pid") - sm ))
    for i in "${BOX_PIDS[@]}"; do boxa+=("$(( $(cpu_ticks "$i") - boxb[${#boxa[@]}] ))"); done
    load=$(grep '^load:' <<<"$out" || true)
    times=$(tail -n 1 <<<"$out")
    local n
    n=$(field completed "$load")
    [[ -n $n && $n -gt 0 ]] || { echo "bench: $label completed nothing: $out (logs in $VAR/log)" >&2; exit 1; }
    local row="rt_per_s=$(field rt_per_s "$load") p50_ms=$(field p50_ms "$load") p99_ms=$(field p99_ms "$load")"
    row+=" completed=$n timeouts=$(field timeouts "$load")"
    # CPU ms per MO (= s per 1,000 MO)
    local cpu="cpu_ms_per_mo: bearerbox=$(per_mo_ms "$bb" "$n")"
    case $label in
    vaultbox*) cpu+=" vaultbox=$(per_mo_ms "${boxa[0]}" "$n")" ;;
    echobox*) cpu+=" echobox=$(per_mo_ms "${boxa[0]}" "$n")" ;;
    smsbox-app*) cpu+=" smsbox=$(per_mo_ms "${boxa[0]}" "$n") app=$(per_mo_ms "${boxa[1]}" "$n")" ;;
    esac
    if [[ $pg == 1 ]]; then
        pga=$(( $(cpu_ticks $(pg_pids)) - pgb ))
        cpu+=" postgres=$(per_mo_ms "$pga" "$n")"
    fi
    cpu+=" smscsim=$(per_mo_ms "$sm" "$n") phonesim=$(awk -v t="$times" -v n="$n" 'BEGIN {
        split(t, f, " "); s = 0
        for (i = 1; i <= 2; i++) { split(f[i], m, /m|s/); s += m[1] * 60 + m[2] }
        printf "%.3f", s * 1000 / n }')"
    local hwm=" hwm_kb:"
    case $label in
    smsbox-app*) hwm+=" smsbox=$(hwm_kb "${BOX_PIDS[0]}") app=$(hwm_kb "${BOX_PIDS[1]}")" ;;
    *) hwm+=" box=$(hwm_kb "${BOX_PIDS[0]}")" ;;
    esac
    hwm+=" bearerbox=$(hwm_kb "$bb_pid")"
    local permo=
    if [[ $pg == 1 ]]; then
        sleep 1.2
        after=$(pg_counters)
        permo=$(awk -v a="$before" -v b="$after" -v n="$n" 'BEGIN {
            split(a, x, " "); split(b, y, " ")
            printf " per_mo: wal_records=%.2f wal_bytes=%.0f wal_syncs=%.3f commits=%.3f statements=%.2f",
                (y[1] - x[1]) / n, (y[2] - x[2]) / n, (y[3] - x[3]) / n, (y[4] - x[4]) / n, (y[5] - x[5]) / n }')
        # every round trip counted must be an SMS stored (a failed request
        # still brings smsbox's error text back to the phone)
        stored=$(( $(sql "SELECT count(*) FROM sms") - stored ))
        permo+=" sms_stored=$stored"
        ((stored >= n)) || permo+=" (FEWER THAN COMPLETED)"
    fi
    printf '%-14s %s\n    %s\n    %s%s\n' "$label" "$row" "$cpu" "${hwm# }" "$permo"
    # what the server saw meanwhile: a slow round trip that waited on a slow
    # statement, a checkpoint or autovacuum, or on none of them
    if [[ $pg == 1 ]]; then
        echo "    $(sv_pg_log_summary "$PG_LOG" "$log_from" 50 3)"
    fi
    if [[ $pg == 1 && ${BENCH_WALDUMP:-0} == 1 ]]; then
        # what the WAL of this load holds, by record type (per MO: / n)
        sv_as_pg "$SV_PGBIN/pg_waldump" -p "$(sv_pg_dir bench)/data/pg_wal" -s "$lsn0" \
            -e "$(sql "SELECT pg_current_wal_lsn()")" --stats=record 2>/dev/null |
            awk -v n="$n" '{ gsub(/\([^)]*\)/, "") } NR > 2 && $2 > 0 {
                printf "      %-26s per_mo=%6.2f bytes_per_mo=%7.1f fpi_bytes_per_mo=%7.1f\n", $1, $2 / n, $5 / n, $4 / n }' |
            sort -t= -k2 -gr | head -n 25
    fi
    if [[ $pg == 1 && ${BENCH_WALDUMP:-0} == rel ]]; then
        # the same WAL by record type and the relation (table or index) of
        # its first block ("-": none, e.g. a commit), per MO
        local names
        names=$(sql "SELECT relfilenode || ' ' || relname FROM pg_class WHERE relfilenode <> 0")
        sv_as_pg "$SV_PGBIN/pg_waldump" -p "$(sv_pg_dir bench)/data/pg_wal" -s "$lsn0" \
            -e "$(sql "SELECT pg_current_wal_lsn()")" 2>/dev/null |
            awk -v n="$n" -v names="$names" 'BEGIN {
                    k = split(names, l, "\n")
                    for (i = 1; i <= k; i++) { split(l[i], f, " "); rel[f[1]] = f[2] }
                }
                /^rmgr:/ {
                    d = $0; sub(/.*desc: /, "", d); split(d, w, " ")
                    node = "-"
                    if (match($0, /rel [0-9]+\/[0-9]+\/[0-9]+/)) {
                        r = substr($0, RSTART, RLENGTH); sub(/.*\//, "", r)
                        node = (r in rel) ? rel[r] : r
                    }
                    tot = 0
                    if (match($0, /\(rec\/tot\): *[0-9]+\/ *[0-9]+/)) {
                        t = substr($0, RSTART, RLENGTH); sub(/.*\/ */, "", t); tot = t + 0
                    }
                    key = $2 "/" w[1] " " node; c[key]++; b[key] += tot
                }
                END { for (key in c) printf "      %-48s per_mo=%6.2f bytes_per_mo=%7.1f\n", key, c[key] / n, b[key] / n }' |
            sort -t= -k2 -gr | awk 'NR <= 30'   # reads it all: no SIGPIPE under pipefail
    fi
    if [[ $pg == 1 && ${BENCH_STATEMENTS:-0} == 1 ]]; then
        sql "SELECT lpad(calls::text, 8), lpad(round(total_exec_time)::text, 6) || 'ms',
                    left(regexp_replace(query, '\s+', ' ', 'g'), 110)
             FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
             ORDER BY calls DESC LIMIT 20" | sed 's/^/      /'
    fi
    R_RATE=$(field rt_per_s "$load")
    R_P50=$(field p50_ms "$load")
    R_P99=$(field p99_ms "$load")
    R_HWM=$(hwm_kb "${BOX_PIDS[0]}")
}
per_mo_ms() { awk -v t="$1" -v n="$2" -v hz="$CLK_TCK" 'BEGIN { printf "%.3f", t * 1000 / hz / n }'; }

# run_box <name> <dlr_mask> <inflight> [paced]: one fresh stack, one load;
# with paced=1 one more load after it, paced to half the median of the
# rates in vr[] and this one (sets HALF_RATE, HALF_P99)
run_box() {
    local name=$1 dlr=$2 inflight=$3 paced=${4:-0} pg=1
    [[ $name == echobox ]] && pg=0
    stack_start
    box_start "$name" "$dlr"
    run_load "$name" "$inflight" 0 "$pg"
    local rate=$R_RATE p50=$R_P50 p99=$R_P99 hwm=$R_HWM
    if ((paced)); then
        HALF_RATE=$(awk -v r="$(median "${vr[@]}" "$rate")" 'BEGIN { printf "%d", r / 2 }')
        run_load "vaultbox/2" "$inflight" "$HALF_RATE" 1
        HALF_P99=$R_P99
        ((R_HWM > hwm)) && hwm=$R_HWM
    fi
    R_RATE=$rate R_P50=$p50 R_P99=$p99 R_HWM=$hwm
    stack_stop
}

echo "bench: duration=${DURATION}s rounds=$ROUNDS inflight=$INFLIGHT low_inflight=$LOW_INFLIGHT phones=$PHONES" \
    "dlr_masks='$DLR_MASKS' app=$APP build=$SV_BUILD load_avg=$(cut -d' ' -f1-3 /proc/loadavg)"
pg_setup
# the disk's own flush latency: every SAVE commits before it is answered
"$SV_BUILD/bench/fsync_latency" "$(sv_pg_dir bench)" 500 10
SUMMARY=()

# vaultbox against echobox (and, without reports, the conventional app) at
# BENCH_INFLIGHT, for each delivery report mask
for dlr in $DLR_MASKS; do
    echo "== dlr_mask=$dlr inflight=$INFLIGHT"
    vr=() er=() ar=() ratios=() app_ratios=() hwms=() vp50=() vp99=() ep50=() ep99=() HALF_P99= HALF_RATE=
    for ((round = 1; round <= ROUNDS; round++)); do
        # the last vaultbox run is followed by the paced one (latency target)
        run_box vaultbox "$dlr" "$INFLIGHT" $((round == ROUNDS))
        v=$R_RATE
        hwms+=("$R_HWM") vp50+=("$R_P50") vp99+=("$R_P99")
        run_box echobox "$dlr" "$INFLIGHT"
        e=$R_RATE
        ep50+=("$R_P50") ep99+=("$R_P99")
        vr+=("$v") er+=("$e")
        ratios+=("$(awk -v a="$v" -v b="$e" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }')")
        if [[ $APP == 1 && $dlr == 0 ]]; then
            run_box smsbox-app "$dlr" "$INFLIGHT"
            ar+=("$R_RATE")
            app_ratios+=("$(awk -v a="$v" -v b="$R_RATE" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }')")
        fi
    done
    hwm=$(tr ' ' '\n' <<<"${hwms[*]}" | sort -n | tail -n 1)
    SUMMARY+=("$(awk -v r="$(median "${ratios[@]}")" -v v="$(median "${vr[@]}")" -v e="$(median "${er[@]}")" \
        -v d="$dlr" -v all="${ratios[*]}" -v p="${HALF_P99:-0}" -v h="${HALF_RATE:-0}" -v m="$hwm" \
        -v lat="$(median "${vp50[@]}")/$(median "${vp99[@]}") echobox_p50/p99_ms=$(median "${ep50[@]}")/$(median "${ep99[@]}")" 'BEGIN {
        printf "bench: vaultbox/echobox=%.2f dlr_mask=%s (target >= 0.7: %s) vaultbox_rt_per_s=%s echobox_rt_per_s=%s ratios=%s",
            r, d, (r >= 0.7 ? "ok" : "MISSED"), v, e, all
        printf " vaultbox_p50/p99_ms=%s", lat
        printf " vaultbox_p99_at_half_rate_ms=%.1f at %d/s (target < 100: %s)", p, h, (p < 100 ? "ok" : "MISSED")
        printf " vaultbox_hwm_mb=%.1f (target < 32: %s)", m / 1024, (m < 32768 ? "ok" : "MISSED") }')")
    if [[ ${#ar[@]} -gt 0 ]]; then
        SUMMARY+=("$(awk -v r="$(median "${app_ratios[@]}")" -v v="$(median "${vr[@]}")" -v a="$(median "${ar[@]}")" \
            -v n="$INFLIGHT" -v all="${app_ratios[*]}" 'BEGIN {
            printf "bench: vaultbox/smsbox-app=%.2f inflight=%s (target >= 1.5: %s) vaultbox_rt_per_s=%s smsbox_app_rt_per_s=%s ratios=%s",
                r, n, (r >= 1.5 ? "ok" : "MISSED"), v, a, all }')")
    fi
done

# the conventional app at few in flight: there smsbox's own waits show
if [[ $APP == 1 && $LOW_INFLIGHT -gt 0 ]]; then
    echo "== dlr_mask=0 inflight=$LOW_INFLIGHT"
    vr=() ar=() app_ratios=()
    for ((round = 1; round <= ROUNDS; round++)); do
        run_box vaultbox 0 "$LOW_INFLIGHT"
        v=$R_RATE
        run_box smsbox-app 0 "$LOW_INFLIGHT"
        vr+=("$v") ar+=("$R_RATE")
        app_ratios+=("$(awk -v a="$v" -v b="$R_RATE" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }')")
    done
    SUMMARY+=("$(awk -v r="$(median "${app_ratios[@]}")" -v v="$(median "${vr[@]}")" -v a="$(median "${ar[@]}")" \
        -v n="$LOW_INFLIGHT" -v all="${app_ratios[*]}" 'BEGIN {
        printf "bench: vaultbox/smsbox-app=%.2f inflight=%s (target >= 5: %s) vaultbox_rt_per_s=%s smsbox_app_rt_per_s=%s ratios=%s",
            r, n, (r >= 5 ? "ok" : "MISSED"), v, a, all }')")
fi

echo "== summary (medians of $ROUNDS rounds; load_avg=$(cut -d' ' -f1-3 /proc/loadavg))"
printf '%s\n' "${SUMMARY[@]}"
