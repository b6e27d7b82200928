# tests/e2e/lib.sh — what the end-to-end suites share: one set-up and one
# teardown (e2e_begin), the operator network (smscsim + bearerbox) on free
# loopback ports, the suite's database and smsvault.conf, the simulated phone
# and the smscsim control port. Sourced by the suites after they set BUILD
# (the build directory); e2e_begin sets VAR (their temp dir).

E2E_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=scripts/svc/smscsim.sh
source "$E2E_ROOT/scripts/svc/smscsim.sh"     # and scripts/lib.sh
# shellcheck source=scripts/svc/bearerbox.sh
source "$E2E_ROOT/scripts/svc/bearerbox.sh"
# shellcheck source=scripts/svc/vaultbox.sh
source "$E2E_ROOT/scripts/svc/vaultbox.sh"
# shellcheck source=scripts/svc/vaultweb.sh
source "$E2E_ROOT/scripts/svc/vaultweb.sh"
# shellcheck source=scripts/svc/vaultmms.sh
source "$E2E_ROOT/scripts/svc/vaultmms.sh"
# shellcheck source=scripts/pgha.sh
source "$E2E_ROOT/scripts/pgha.sh"

# ---- one set-up and one teardown for every suite -------------------------
# e2e_begin <tag> makes VAR (the suite's temp dir) and sets e2e_teardown on
# EXIT. The suite starts what it needs through e2e_start (a service of
# scripts/svc/), e2e_bg (any other background PID) and e2e_db (its
# database), so that the teardown knows all of it. The teardown:
#   * runs the suite's own e2e_defer commands (last given first);
#   * stops the e2e_bg PIDs, then the services in reverse start order, each
#     by the PID it was started with, whatever made the suite end;
#   * drops the suite's database;
#   * fails the suite when ERROR or PANIC appears in one of our own logs
#     (every *.log under VAR except Kannel's bearerbox.log and access.log),
#     read after everything stopped, so errors logged at shutdown count too
#     (but for the lines the suite expects: e2e_allow_log), and when the
#     suite ended without reaching e2e_pass;
#   * on failure prints the tail of every log and keeps VAR; else removes it.
E2E_OK=0
E2E_SVCS=()     # "<service> <vardir>", in start order
E2E_PIDS=()
E2E_DEFER=()
E2E_DB=
E2E_LOG_ALLOW=  # ERE: ERROR lines of our logs the suite causes on purpose

e2e_begin() {
    VAR=$(mktemp -d "/tmp/sv-$1.XXXXXX")
    E2E_T0=$SECONDS
    trap e2e_teardown EXIT
}

# e2e_start <service> [vardir] — svc_<service>_start (vardir: VAR), or fail.
e2e_start() {
    local vardir=${2:-$VAR}
    E2E_SVCS+=("$1 $vardir")
    "svc_$1_start" "$vardir" || e2e_fail "$1 did not start (logs in $vardir/log)"
}

# e2e_bg <pid> — a background process of the suite, stopped at teardown.
e2e_bg() { E2E_PIDS+=("$1"); }

# e2e_defer <command> — run (eval) first thing at teardown.
e2e_defer() { E2E_DEFER+=("$1"); }

# e2e_db <tag> — a fresh database in the test cluster of ./smsvault test,
# exported as SMSVAULT_PGURI and dropped at teardown.
e2e_db() {
    : "${SMSVAULT_TEST_PGADMIN:?SMSVAULT_TEST_PGADMIN is not set: run through ./smsvault test}"
    E2E_DB=sv_$1_$$
    export SMSVAULT_PGURI
    SMSVAULT_PGURI=$(sv_pg_createdb "$SMSVAULT_TEST_PGADMIN" "$E2E_DB") || e2e_fail "cannot create database $E2E_DB"
}

# e2e_allow_log <ERE> — ERROR lines in our logs that the suite causes on
# purpose (an error it injects, Kannel's own lines while it takes bearerbox
# away) do not fail it. Say in the suite why each is expected.
e2e_allow_log() { E2E_LOG_ALLOW=${E2E_LOG_ALLOW:+$E2E_LOG_ALLOW|}$1; }

# e2e_allow_bearerbox_away — the ERROR lines Kannel's own connection code
# writes into vaultbox's log while bearerbox is away (shut down, restarting,
# killed): a suite that takes bearerbox away on purpose allows them.
e2e_allow_bearerbox_away() {
    e2e_allow_log 'ERROR: (Error reading from fd [0-9]+:|Error writing [0-9]+ octets to fd [0-9]+:|Couldn'"'"'t write Msg to bearerbox\.|System error (32|104|111): (Broken pipe|Connection (reset by peer|refused))|Connection (to|closed by the) bearerbox( broke)?\.|connect to <127\.0\.0\.1> failed|error connecting to server `127\.0\.0\.1'"'"' at port `[0-9]+'"'"')$'
}

# _e2e_log_errors <file> — its ERROR/PANIC lines that were not allowed.
_e2e_log_errors() {
    if [[ -n $E2E_LOG_ALLOW ]]; then
        grep -HE 'ERROR|PANIC' "$1" | grep -vE -- "$E2E_LOG_ALLOW"
    else
        grep -HE 'ERROR|PANIC' "$1"
    fi
}

# e2e_pass — the suite reached its end; the teardown says whether it passed.
e2e_pass() { E2E_OK=1; }

# _e2e_stop_pid <pid> — TERM, up to 10 s, then KILL; reaped when our child.
_e2e_stop_pid() {
    local i
    kill -TERM "$1" 2>/dev/null || return 0
    for ((i = 0; i < 200; i++)); do
        kill -0 "$1" 2>/dev/null || break
        sleep 0.05
    done
    kill -KILL "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}

e2e_teardown() {
    local rc=$? i p svc vardir f
    local -a logs
    trap - EXIT
    for ((i = ${#E2E_DEFER[@]} - 1; i >= 0; i--)); do
        eval "${E2E_DEFER[$i]}" || true
    done
    for p in "${E2E_PIDS[@]}"; do
        _e2e_stop_pid "$p"
    done
    for ((i = ${#E2E_SVCS[@]} - 1; i >= 0; i--)); do
        read -r svc vardir <<<"${E2E_SVCS[$i]}"
        "svc_${svc}_stop" "$vardir" || true
    done
    [[ -z $E2E_DB ]] || sv_pg_dropdb "$SMSVAULT_TEST_PGADMIN" "$E2E_DB"
    mapfile -t logs < <(find "$VAR" -name '*.log' | sort)
    if ((rc == 0 && !E2E_OK)); then
        echo "e2e: FAIL: the suite ended before its last check"
        rc=1
    fi
    if ((rc == 0)); then
        for f in "${logs[@]}"; do
            case ${f##*/} in bearerbox.log | access.log) continue ;; esac
            if _e2e_log_errors "$f"; then
                rc=1
            fi
        done
        ((rc == 0)) || echo "e2e: FAIL: ERROR/PANIC in our logs (above)"
    fi
    if ((rc == 0)); then
        rm -rf "$VAR"
        echo "e2e: PASS in $((SECONDS - E2E_T0)) s"
    else
        e2e_logs "${logs[@]}"
        echo "e2e: FAILED; state kept in $VAR"
    fi
    exit "$rc"
}

# e2e_ports — four free loopback ports for smscsim (SMPP, control) and
# bearerbox (admin, smsbox), exported with the build directory.
e2e_ports() {
    SV_SMSC_PORT=$(sv_free_port)
    SV_SMSC_CTL_PORT=$(sv_free_port "$SV_SMSC_PORT")
    SV_BB_ADMIN_PORT=$(sv_free_port "$SV_SMSC_PORT" "$SV_SMSC_CTL_PORT")
    SV_BB_BOX_PORT=$(sv_free_port "$SV_SMSC_PORT" "$SV_SMSC_CTL_PORT" "$SV_BB_ADMIN_PORT")
    export SV_BUILD=$BUILD SV_SMSC_PORT SV_SMSC_CTL_PORT SV_BB_ADMIN_PORT SV_BB_BOX_PORT
    export SV_SHORTCODE=${SV_SHORTCODE:-10659}
    export SV_FORWARD_SHORTCODE=${SV_FORWARD_SHORTCODE:-106591}
}

# e2e_web_port — a free loopback port for vaultweb (after e2e_ports),
# exported as SV_WEB_PORT, and the page's address in WEB.
e2e_web_port() {
    SV_WEB_PORT=$(sv_free_port "$SV_SMSC_PORT" "$SV_SMSC_CTL_PORT" "$SV_BB_ADMIN_PORT" "$SV_BB_BOX_PORT")
    export SV_WEB_PORT
    WEB=http://127.0.0.1:$SV_WEB_PORT
}

# ---- the database as a pg_auto_failover cluster (scripts/pgha.sh) ---------

# e2e_ha_or_skip — before e2e_begin: exit 77 (ctest's skip) when
# pg_auto_failover is not installed and cannot be.
e2e_ha_or_skip() {
    sv_ha_install && return 0
    echo "e2e: SKIP: pg_auto_failover is not installed and cannot be (postgresql-15-auto-failover, pg-auto-failover-cli)"
    exit 77
}

# e2e_ha_stack <tag> — after e2e_ports: a free SV_WEB_PORT, and a cluster
# of the suite (HA, its directory HADIR; destroyed at teardown) on four more
# free ports, exported as SMSVAULT_PGURI. The monitor's health checks are
# short: here every primary loss is certain (conf/pgaf-monitor.conf says
# why an operator keeps the defaults).
e2e_ha_stack() {
    local i ports=()
    SV_WEB_PORT=$(sv_free_port "$SV_SMSC_PORT" "$SV_SMSC_CTL_PORT" "$SV_BB_ADMIN_PORT" "$SV_BB_BOX_PORT")
    export SV_WEB_PORT
    for i in 1 2 3 4; do
        ports+=("$(sv_free_port "$SV_SMSC_PORT" "$SV_SMSC_CTL_PORT" "$SV_BB_ADMIN_PORT" "$SV_BB_BOX_PORT" \
            "$SV_WEB_PORT" "${ports[@]}")")
    done
    HA=$1-$$
    HADIR=$(sv_ha_dir "$HA")
    e2e_defer "_e2e_ha_keep; sv_ha_destroy $HA"
    sv_ha_create "$HA" "${ports[@]}" "pgautofailover.health_check_period = 1000
pgautofailover.health_check_timeout = 1000
pgautofailover.health_check_max_retries = 1
pgautofailover.health_check_retry_delay = 500
pgautofailover.node_considered_unhealthy_timeout = 2000
pgautofailover.primary_demote_timeout = 2000" || e2e_fail "the pg_auto_failover cluster did not come up"
    export SMSVAULT_PGURI
    SMSVAULT_PGURI=$(sv_ha_uri "$HA")
}

# _e2e_ha_keep — at teardown (run by e2e_teardown, whose rc it reads), when
# the suite failed: the nodes' states, and the keepers' and PostgreSQL's
# logs copied into VAR/ha/ before the cluster is destroyed (the teardown
# prints their last lines with the suite's own and keeps them).
_e2e_ha_keep() {
    ((${rc:-1} != 0 || !E2E_OK)) || return 0
    local f node
    mkdir -p "$VAR/ha"
    sv_ha_states "$HA" >"$VAR/ha/states.txt" 2>&1 || true
    echo "e2e: pg_auto_failover states at the end: $(paste -sd';' - <"$VAR/ha/states.txt")"
    for f in "$HADIR"/log/*.log; do
        [[ -f $f ]] && cp "$f" "$VAR/ha/" 2>/dev/null || true
    done
    for node in "$HADIR"/*/log; do
        [[ -d $node ]] || continue
        node=${node%/log}
        mkdir -p "$VAR/ha/pg-${node##*/}"
        sv_as_pg cat "$node"/log/* >"$VAR/ha/pg-${node##*/}/postgresql.log" 2>/dev/null ||
            cat "$node"/log/* >"$VAR/ha/pg-${node##*/}/postgresql.log" 2>/dev/null || true
    done
    return 0
}

# ---- the web page through curl --------------------------------------------

# e2e_web_register <jar> <username> — an account made on vaultweb
# (SV_WEB_PORT), its session cookie in <jar>; fails the suite otherwise.
e2e_web_register() {
    local code
    code=$(curl -sS -o /dev/null -w '%{http_code}' -c "$1" --max-time 30 -H 'X-Smsvault-Csrf: 1' \
        -H 'Content-Type: application/json' --data-binary "{\"username\":\"$2\",\"password\":\"pass1234\"}" \
        "http://127.0.0.1:$SV_WEB_PORT/api/register") || e2e_fail "web register $2: curl"
    [[ $code == 201 || $code == 200 ]] || e2e_fail "web register $2: HTTP $code"
}

# e2e_web_upload <jar> <file> <seconds> — POST /api/import?format=xml with
# that session until answered 200 (an import skips what it holds already, so
# a retried upload whose first try was committed adds nothing), trying again
# every 0.3 s for at most <seconds>. Prints the tries; returns 1 when no try
# was answered 200.
e2e_web_upload() {
    local code tries=0 deadline=$((SECONDS + $3))
    while :; do
        tries=$((tries + 1))
        code=$(curl -sS -o /dev/null -w '%{http_code}' -b "$1" --max-time 20 \
            -H 'X-Smsvault-Csrf: 1' -H 'Content-Type: application/octet-stream' \
            --data-binary "@$2" "http://127.0.0.1:$SV_WEB_PORT/api/import?format=xml" 2>/dev/null) || code=000
        [[ $code == 200 ]] && { echo "$tries"; return 0; }
        ((SECONDS < deadline)) || { echo "$tries"; return 1; }
        sleep 0.3
    done
}

# e2e_backup_sms <file> <body> <date_ms> — an SMS Backup & Restore file of one SMS.
e2e_backup_sms() {
    printf '%s\n' "<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>" \
        "<smses count=\"1\"><sms protocol=\"0\" address=\"+8613311110000\" date=\"$3\"" \
        " type=\"1\" body=\"$2\" read=\"1\" status=\"-1\" /></smses>" >"$1"
}

# e2e_mms_ports — after e2e_ports: free loopback ports for the MMS stack,
# exported (vaultweb, vaultmms's MM7 endpoint and retrieval URL, mmscsim's
# MM1, MM7 and control ports, vaultmms's /metrics); WEB and MCTL are the page's and mmscsim's
# control addresses (mctl, mstat, mstat_ge below).
e2e_mms_ports() {
    local v p taken=("$SV_SMSC_PORT" "$SV_SMSC_CTL_PORT" "$SV_BB_ADMIN_PORT" "$SV_BB_BOX_PORT")
    for v in SV_WEB_PORT SV_MMS_PORT SV_MMS_RETRIEVE_PORT SV_MMSC_MM1_PORT SV_MMSC_MM7_PORT SV_MMSC_CTL_PORT \
        SV_MMS_METRICS_PORT; do
        p=$(sv_free_port "${taken[@]}")
        taken+=("$p")
        export "$v=$p"
    done
    WEB=http://127.0.0.1:$SV_WEB_PORT
    MCTL=http://127.0.0.1:$SV_MMSC_CTL_PORT
}
# mctl <path>: one mmscsim control request (smsc/MMSC.md); mstat <name>: one
# of its /stats; mstat_ge <name> <n>: that stat is at least n.
mctl() { curl -sS -f "$MCTL/$1"; }
mstat() { mctl stats | tr ' ' '\n' | sed -n "s/^$1=//p"; }
mstat_ge() { (($(mstat "$1") >= $2)); }
# e2e_mms_phone <msisdn> <phonesim args...> — the handset with mmscsim as
# its MMSC, saving what it receives under $VAR/saved.
e2e_mms_phone() {
    local from=$1
    shift
    "$BUILD/smsc/phonesim" --control "127.0.0.1:$SV_SMSC_CTL_PORT" --to "$SV_SHORTCODE" \
        --mmsc "http://127.0.0.1:$SV_MMSC_MM1_PORT/mm1" --save-dir "$VAR/saved" --from "$from" "$@"
}
# e2e_conf [INI lines] — the suite's smsvault.conf: sv_conf_write (the shipped
# conf/smsvault.conf, this stack's database and ports, then the lines given),
# written to $VAR/smsvault.conf and exported as SV_CONF for the svc scripts.
e2e_conf() {
    export SV_CONF=$VAR/smsvault.conf
    SV_CONF_EXTRA=${1:-} sv_conf_write "$SV_CONF"
}

e2e_fail() {
    echo "e2e: FAIL: $*" >&2
    exit 1
}

# e2e_logs <file...> — the tail of each log, for a failed run.
e2e_logs() {
    local f
    for f in "$@"; do
        echo "===== $f (last 60 lines without debug)"
        grep -v ' DEBUG: ' "$f" 2>/dev/null | tail -n 60 || true
    done
}

# e2e_ctl <request...> — one smscsim control request, its one answer line.
e2e_ctl() {
    local ans
    exec 5<>"/dev/tcp/127.0.0.1/$SV_SMSC_CTL_PORT"
    printf '%s\n' "$*" >&5
    IFS= read -r -t 10 ans <&5 || true
    exec 5>&-
    echo "$ans"
}

# e2e_wait_raw <msisdn> [timeout_ms] — the next MT to msisdn as smscsim
# has it: "MT <src> <dst> TEXT <hex utf-8>" or "MT <src> <dst> BIN <dc>
# <hex udh|-> <hex data>" (re-assembled when it came in parts); fails on
# timeout.
e2e_wait_raw() {
    local ans ms=${2:-60000}
    exec 5<>"/dev/tcp/127.0.0.1/$SV_SMSC_CTL_PORT"
    printf 'WAIT %s %s\n' "$1" "$ms" >&5
    IFS= read -r -t $((ms / 1000 + 10)) ans <&5 || true
    exec 5>&-
    [[ $ans == "MT "* ]] || return 1
    echo "$ans"
}

# e2e_wait_mt <msisdn> [timeout_ms] — the next MT to msisdn, as text.
e2e_wait_mt() {
    local ans f
    ans=$(e2e_wait_raw "$@") || return 1
    read -r -a f <<<"$ans"
    [[ ${f[3]:-} == TEXT ]] || return 1
    printf '%b' "$(sed 's/../\\x&/g' <<<"${f[4]}")"
}

# e2e_saved_left <msisdn> <timeout_ms> <file> — read what is still on its way
# to that handset until nothing comes for timeout_ms; each reply's number
# ("Saved as N.") appended to <file>.
e2e_saved_left() {
    local out
    while out=$(e2e_wait_mt "$1" "$2"); do
        sed -n 's/^Saved as \([0-9]*\)\..*/\1/p' <<<"$out" | head -n 1 >>"$3"
    done
}

# e2e_web <jar> <METHOD> <path> [json] — one call to vaultweb's API at $WEB
# as a browser with cookie jar $VAR/<jar>.jar would make it (a POST with
# JSON and the CSRF header); the status in WS, the body in WB (and
# $VAR/resp).
e2e_web() {
    local jar=$VAR/$1.jar method=$2 path=$3
    local args=(-sS -o "$VAR/resp" -w '%{http_code}' -b "$jar" -c "$jar" -X "$method" --max-time 30)
    if [[ $method == POST ]]; then
        args+=(-H 'X-Smsvault-Csrf: 1' -H 'Content-Type: application/json' --data-binary "${4-}")
    fi
    WS=$(curl "${args[@]}" "$WEB$path") || e2e_fail "$method $path: curl failed"
    WB=$(<"$VAR/resp")
}

# e2e_until_sql <query> <want> <what> — poll the suite's database until the
# query answers want (30 s at most), else fail saying what.
e2e_until_sql() {
    local deadline=$((SECONDS + 30))
    until [[ $(e2e_sql "$1") == "$2" ]]; do
        ((SECONDS < deadline)) || e2e_fail "$3: $(e2e_sql "$1") (want $2)"
        sleep 0.1
    done
}
# e2e_sql <query> — the answer of the suite's database ($SMSVAULT_PGURI), unaligned
e2e_sql() { psql -X -tA "$SMSVAULT_PGURI" -c "$1"; }

# ---- /metrics (issue 13) ----
# e2e_scrape <port> <file> — GET /metrics on 127.0.0.1:port into file, with
# the text format's content type, and Prometheus's promtool accepts it.
e2e_scrape() {
    curl -fsS --max-time 5 -D "$2.headers" "http://127.0.0.1:$1/metrics" >"$2" || e2e_fail "GET /metrics on $1"
    grep -qi '^Content-Type: text/plain; version=0.0.4; charset=utf-8' "$2.headers" ||
        e2e_fail "/metrics on $1: content type $(grep -i '^Content-Type' "$2.headers")"
    "$(sv_promtool)" check metrics <"$2" >"$2.promtool" 2>&1 ||
        e2e_fail "promtool on $1's /metrics: $(cat "$2.promtool")"
}
# e2e_metric <file> <series> — its value in a scrape (a series not written is 0)
e2e_metric() { awk -v k="$2" '$1 == k { v = $2; found = 1 } END { print found ? v : 0 }' "$1"; }
# e2e_moved <before> <after> <series> <n> — the series grew by exactly n
e2e_moved() {
    local a b
    a=$(e2e_metric "$1" "$3")
    b=$(e2e_metric "$2" "$3")
    awk -v a="$a" -v b="$b" -v n="$4" 'BEGIN { exit !(b - a == n) }' ||
        e2e_fail "$3: moved by $(awk -v a="$a" -v b="$b" 'BEGIN { print b - a }') (want $4; $a -> $b)"
    echo "e2e: ok $3 +$4"
}

# e2e_phone <phonesim args...> — a simulated phone texting the short code.
# It prints every reply until none came for --quiet ms (the box answers
# within milliseconds; 700 keeps the suites from waiting phonesim's 2 s).
e2e_phone() {
    "$BUILD/smsc/phonesim" --control "127.0.0.1:$SV_SMSC_CTL_PORT" --to "$SV_SHORTCODE" \
        --quiet "${E2E_QUIET_MS:-700}" "$@"
}

e2e_hex() { printf '%s' "$1" | od -An -v -tx1 | tr -d ' \n'; }

# e2e_expect <msisdn> <text> <reply>: text from msisdn is answered with a
# reply containing the given text (grep -F); fails otherwise.
e2e_expect() {
    local got
    got=$(e2e_phone --from "$1" --timeout 20000 "$2") || e2e_fail "'$2' from $1: no reply"
    grep -qF -- "$3" <<<"$got" || e2e_fail "'$2' from $1: expected '$3', got: $got"
    echo "e2e: ok $1 '${2:0:40}' -> '${3}'"
}

# e2e_saves <msisdn> <tag> <first> <last> [dupfile] — "SAVE <tag> <msisdn>
# <k>" for k = first..last, each sent once the reply "Saved as k." to the one
# before came. A reply sent again (at least once: an MT in flight when a
# process died or a link dropped) may arrive before the awaited one: it is
# read past, and its number appended to dupfile (else said on stderr).
# Returns 1, saying why on stderr, when a reply is missing or wrong.
e2e_saves() {
    local ph=$1 tag=$2 k out j
    for ((k = $3; k <= $4; k++)); do
        out=$(e2e_phone --from "$ph" --timeout 60000 "SAVE $tag $ph $k") ||
            { echo "phone $ph SAVE $k: no reply" >&2; return 1; }
        while ! grep -q "^Saved as $k\." <<<"$out"; do
            j=$(sed -n 's/^Saved as \([0-9]*\)\..*/\1/p' <<<"$out" | head -n 1)
            [[ -n $j && $j -lt $k ]] || { echo "phone $ph SAVE $k: $out" >&2; return 1; }
            if [[ -n ${5:-} ]]; then
                echo "$j" >>"$5"
            else
                echo "e2e: phone $ph: duplicate reply 'Saved as $j'" >&2
            fi
            out=$(e2e_wait_mt "$ph" 60000) || { echo "phone $ph SAVE $k: no reply" >&2; return 1; }
        done
    done
}

# e2e_expect_exact <msisdn> <command> <text>: the one reply is text, byte-exact
e2e_expect_exact() {
    local got want
    want=$(e2e_hex "$3")
    got=$(e2e_phone --from "$1" --hex --timeout 20000 "$2") || e2e_fail "'$2' from $1: no reply"
    [[ $got == "$want" ]] || e2e_fail "'$2' from $1: reply differs: want $want got $got"
    echo "e2e: ok $1 '$2' byte-exact (${#3} chars)"
}
