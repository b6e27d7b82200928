#!/usr/bin/env bash
# service_test.sh <build-dir> — vaultbox, vaultweb and vaultmms as systemd runs them
# (Type=notify, WatchdogSec=, ExecReload=kill -HUP), with notify_listen in
# systemd's place on $NOTIFY_SOCKET: READY=1 only once vaultbox is connected
# to bearerbox / vaultweb and vaultmms listen, WATCHDOG=1 pings while healthy, SIGHUP
# reopens a log file that logrotate moved and applies a new log_level
# (debug lines appear), a configuration broken meanwhile is refused and the
# daemon keeps running, STOPPING=1 and a clean exit on SIGTERM.
#
# Needs the test cluster of ./smsvault test (SMSVAULT_TEST_PGADMIN). Free
# loopback ports, a temp dir; the teardown of tests/e2e/lib.sh stops what it
# started and fails on ERROR/PANIC in our logs but for the lines allowed below.
set -euo pipefail

BUILD=$(cd "${1:?usage: service_test.sh <build-dir>}" && pwd)
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

source "$ROOT/tests/e2e/lib.sh"
e2e_begin service-e2e
e2e_ports
e2e_db service_e2e
# the reload refused on purpose below, and Kannel's own connection lines
# (in vaultbox's log) while vaultbox waits for a bearerbox not yet started
e2e_allow_log 'vaultbox: reload-refused'
e2e_allow_log 'vaultmms: reload-refused'
e2e_allow_log 'ERROR: (System error 111: Connection refused|connect to <127\.0\.0\.1> failed|error connecting to server `127\.0\.0\.1'"'"' at port `[0-9]+'"'"')$'
fail() { e2e_fail "$@"; }

# listen <name>: a socket in systemd's place; its datagrams in $VAR/notify-<name>.txt
listen() {
    "$BUILD/packaging/notify_listen" "$VAR/notify-$1.sock" "$VAR/notify-$1.txt" &
    e2e_bg $!
    sv_wait_for "notify socket $1" 10 test -S "$VAR/notify-$1.sock" || fail "notify_listen $1 did not start"
}
# seen <name> <regex>: a datagram matching regex arrived (polled, 30 s)
seen() { sv_wait_for "$1: $2" 30 grep -qE -- "$2" "$VAR/notify-$1.txt"; }
# in_file <file> <regex>: the file has a matching line (polled, 30 s)
in_file() { sv_wait_for "$2 in $1" 30 grep -qE -- "$2" "$1"; }
# stops_cleanly <program> <pid> <name>: SIGTERM ends it with status 0 after
# it said STOPPING=1 on socket <name>
stops_cleanly() {
    local status=0
    kill -TERM "$2"
    wait "$2" || status=$?
    [[ $status == 0 ]] || fail "$1 exited $status on SIGTERM"
    grep -q '^STOPPING=1$' "$VAR/notify-$3.txt" || fail "$1: no STOPPING=1"
    echo "e2e: ok $1 STOPPING=1, exit 0"
}
# on failure, the datagrams too
e2e_defer '((E2E_OK)) || e2e_logs "$VAR"/notify-*.txt'

mkdir -p "$VAR/log"
e2e_start smscsim

# ---- vaultbox: READY only once bearerbox is there
listen box
log=$VAR/log/vaultbox-file.log
e2e_conf "[box]
log_file = $log"
conf=$SV_CONF
env NOTIFY_SOCKET="$VAR/notify-box.sock" WATCHDOG_USEC=2000000 \
    "$BUILD/gateway-plugin/vaultbox" --config "$conf" >>"$VAR/log/vaultbox.log" 2>&1 &
box=$!
e2e_bg "$box"
seen box '^WATCHDOG=1$' || fail "vaultbox: no watchdog ping while waiting for bearerbox"
if grep -q 'READY=1' "$VAR/notify-box.txt"; then fail "vaultbox said READY=1 without bearerbox"; fi
echo "e2e: ok vaultbox waits for bearerbox without READY=1, pinging the watchdog"
e2e_start bearerbox
seen box '^READY=1\|STATUS=connected to bearerbox 127\.0\.0\.1:'"$SV_BB_BOX_PORT"' as box vaultbox$' \
    || fail "vaultbox: no READY=1 after bearerbox came"
echo "e2e: ok vaultbox READY=1 once connected"
e2e_expect 8613800000001 "REG svc1 pass1234" "Welcome svc1!"
in_file "$log" 'INFO: vaultbox: connected' || fail "vaultbox: nothing in its log_file"
if grep -q ' DEBUG: vaultbox: mo ' "$log"; then fail "vaultbox: debug lines at log_level info"; fi

# logrotate moves the file, then reload (SIGHUP) with log_level = debug
mv "$log" "$log.1"
printf '[box]\nlog_level = debug\n' >>"$conf"
: >"$VAR/notify-box.txt"
kill -HUP "$box"
seen box '^RELOADING=1$' || fail "vaultbox: no RELOADING=1 on SIGHUP"
seen box '^READY=1$' || fail "vaultbox: no READY=1 after the reload"
in_file "$log" 'vaultbox: reloaded log_level=debug' || fail "vaultbox: log file not reopened on SIGHUP"
e2e_expect 8613800000001 "SAVE after reload" "Saved as 1."
in_file "$log" ' DEBUG: vaultbox: mo uuid=' || fail "vaultbox: log_level=debug not applied"
if grep -q 'reloaded' "$log.1"; then fail "vaultbox: wrote into the rotated file after SIGHUP"; fi
echo "e2e: ok vaultbox SIGHUP: new log file, log_level applied"

# a broken file is refused; the box keeps running as it was
printf '[box]\nworkers = many\n' >>"$conf"
kill -HUP "$box"
in_file "$VAR/log/vaultbox.log" 'reload-refused' || fail "vaultbox: broken config not reported on stderr"
e2e_expect 8613800000001 "SAVE still here" "Saved as 2."
echo "e2e: ok vaultbox keeps running on a broken reload"

: >"$VAR/notify-box.txt"
stops_cleanly vaultbox "$box" box

# ---- vaultweb
listen web
port=$(sv_free_port "$SV_SMSC_PORT" "$SV_SMSC_CTL_PORT" "$SV_BB_ADMIN_PORT" "$SV_BB_BOX_PORT")
wlog=$VAR/log/vaultweb-file.log
SV_WEB_PORT=$port SV_CONF_EXTRA="[web]
log_file = $wlog" sv_conf_write "$VAR/web.conf"
env NOTIFY_SOCKET="$VAR/notify-web.sock" WATCHDOG_USEC=2000000 \
    "$BUILD/web/vaultweb" -c "$VAR/web.conf" >>"$VAR/log/vaultweb.log" 2>&1 &
web=$!
e2e_bg "$web"
seen web "^READY=1\|STATUS=listening on http://127\.0\.0\.1:$port/\$" || fail "vaultweb: no READY=1"
curl -fsS -o /dev/null "http://127.0.0.1:$port/" || fail "vaultweb: READY=1 but the page is not served"
seen web '^WATCHDOG=1$' || fail "vaultweb: no watchdog ping while it answers"
echo "e2e: ok vaultweb READY=1 with the page up, watchdog pings"
in_file "$wlog" 'INFO: web: listening' || fail "vaultweb: nothing in its log_file"

mv "$wlog" "$wlog.1"
printf '[web]\nlog_level = debug\n' >>"$VAR/web.conf"
kill -HUP "$web"
in_file "$wlog" 'web: reloaded .*log_level=debug' || fail "vaultweb: log file not reopened on SIGHUP"
grep -q '^RELOADING=1$' "$VAR/notify-web.txt" || fail "vaultweb: no RELOADING=1"
echo "e2e: ok vaultweb SIGHUP: new log file, log_level applied"

stops_cleanly vaultweb "$web" web

# ---- vaultmms (its log is stderr: the journal's, under systemd)
listen mms
mport=$(sv_free_port "$SV_SMSC_PORT" "$SV_SMSC_CTL_PORT" "$SV_BB_ADMIN_PORT" "$SV_BB_BOX_PORT" "$port")
SV_MMS_PORT=$mport SV_CONF_EXTRA="[mms]
threads = 2
[mmsc.sim]
incoming_username = mmsc
incoming_password = s3cret-mm7" sv_conf_write "$VAR/mms.conf"
mlog=$VAR/log/vaultmms.log
env NOTIFY_SOCKET="$VAR/notify-mms.sock" WATCHDOG_USEC=2000000 \
    "$BUILD/gateway-plugin/mms/vaultmms" --config "$VAR/mms.conf" >>"$mlog" 2>&1 &
mms=$!
e2e_bg "$mms"
seen mms "^READY=1\|STATUS=MM7 on 127\.0\.0\.1:$mport, [0-9]+ MMSC\(s\)\$" || fail "vaultmms: no READY=1"
got=$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$mport/mm7/sim")
[[ $got == 401 ]] || fail "vaultmms: READY=1 but its MM7 endpoint answered $got (want 401 without credentials)"
seen mms '^WATCHDOG=1$' || fail "vaultmms: no watchdog ping"
echo "e2e: ok vaultmms READY=1 with its MM7 endpoint up, watchdog pings"
if grep -q ' DEBUG: ' "$mlog"; then fail "vaultmms: debug lines at log_level info"; fi
printf '[mms]\nlog_level = debug\n' >>"$VAR/mms.conf"
kill -HUP "$mms"
in_file "$mlog" 'vaultmms: reloaded .*log_level=debug' || fail "vaultmms: no reload on SIGHUP"
grep -q '^RELOADING=1$' "$VAR/notify-mms.txt" || fail "vaultmms: no RELOADING=1"
printf '[mms]\nthreads = many\n' >>"$VAR/mms.conf"
kill -HUP "$mms"
in_file "$mlog" 'vaultmms: reload-refused' || fail "vaultmms: broken config not reported"
got=$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$mport/mm7/sim")
[[ $got == 401 ]] || fail "vaultmms: not answering after a broken reload ($got)"
echo "e2e: ok vaultmms SIGHUP: log_level applied, a broken file refused and it keeps running"
: >"$VAR/notify-mms.txt"
stops_cleanly vaultmms "$mms" mms

e2e_pass
