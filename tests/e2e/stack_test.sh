#!/usr/bin/env bash
# stack_test.sh <build-dir> — ./smsvault up, down and status as a newcomer
# uses them, on a stack of its own (its own SV_VAR, free ports, its own
# PostgreSQL cluster), so it never touches a developer's running stack or
# another suite. The story: an up that fails (vaultweb's port is taken)
# leaves what started running and says so; up again starts only what is
# missing; up once more leaves everything alone (the same PIDs, one process
# per service); status tells the truth, also about a stale pid file whose
# PID another process has since; up replaces that service and leaves the
# other process alone; down then stops everything up started: no process of
# the stack is left (by the PIDs seen, by any process holding a file of the
# stack, by every port), and status says so.
#
# Runs `./smsvault up --no-build` with the binaries of <build-dir>. The
# teardown of tests/e2e/lib.sh runs ./smsvault down whatever happened,
# stops what the suite started itself and removes the cluster's files.
set -euo pipefail

BUILD=$(cd "${1:?usage: stack_test.sh <build-dir>}" && pwd)
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

source "$ROOT/tests/e2e/lib.sh"
e2e_begin stack-e2e
fail() { e2e_fail "$@"; }

export SV_VAR=$VAR/var SV_BUILD=$BUILD SV_PG_CLUSTER=e2e-stack-$$
PORTS=()
for v in SV_PG_PORT SV_SMSC_PORT SV_SMSC_CTL_PORT SV_BB_ADMIN_PORT SV_BB_BOX_PORT SV_MMS_PORT SV_MMS_RETRIEVE_PORT \
    SV_MMSC_MM1_PORT SV_MMSC_MM7_PORT SV_MMSC_CTL_PORT SV_WEB_PORT SV_BOX_METRICS_PORT SV_WEB_METRICS_PORT \
    SV_MMS_METRICS_PORT; do
    p=$(sv_free_port "${PORTS[@]}")
    PORTS+=("$p")
    export "$v=$p"
done
PGDIR=$(sv_pg_dir "$SV_PG_CLUSTER")
SERVICES=(smscsim bearerbox vaultbox vaultmms mmscsim vaultweb)

# whatever happens: down, then the cluster's files
e2e_defer '"$ROOT/smsvault" down >>"$VAR/cleanup.out" 2>&1; rm -rf "$PGDIR"'

sv() { # sv <step> <command...>: ./smsvault, output in $VAR/<step>.out; sets RC
    RC=0
    "$ROOT/smsvault" "${@:2}" >"$VAR/$1.out" 2>&1 </dev/null || RC=$?
}
out() { cat "$VAR/$1.out"; }

pid_of() { cat "$SV_VAR/run/$1.pid" 2>/dev/null || true; }
pg_pid() { sv_pg_pid "$SV_PG_CLUSTER" || true; }
pids_now() { # "name=pid ..." of postgresql and every service's pid file
    local s line="postgresql=$(pg_pid)"
    for s in "${SERVICES[@]}"; do line+=" $s=$(pid_of "$s")"; done
    echo "$line"
}
SEEN=() # every PID of the stack ever seen
remember() { local kv; for kv in $(pids_now); do [[ -z ${kv#*=} ]] || SEEN+=("${kv#*=}"); done; }

# stack_procs: the live processes (not zombies) that reference the stack:
# a file open under SV_VAR or the cluster's directory, or either in their
# command line. Whatever up started has its log open under SV_VAR.
stack_procs() {
    local d pid
    for d in /proc/[0-9]*; do
        pid=${d#/proc/}
        [[ $pid != "$$" && $pid != "$BASHPID" ]] || continue
        sv_pid_alive "$pid" || continue
        if tr '\0' ' ' <"$d/cmdline" 2>/dev/null | grep -qF -e "$SV_VAR" -e "$PGDIR" ||
            ls -l "$d/fd" 2>/dev/null | grep -qF -e "$SV_VAR" -e "$PGDIR"; then
            echo "$pid"
        fi
    done | sort -n
}
# one_per_service: the stack's processes are exactly the recorded ones and
# PostgreSQL's (the postmaster's children reference its directory too)
one_per_service() {
    local pid want got s
    want=$(for s in "${SERVICES[@]}"; do pid_of "$s"; done | sort -n)
    got=$(for pid in $(stack_procs); do
        [[ $(ps -o comm= -p "$pid") == postgres ]] || echo "$pid"
    done)
    [[ $got == "$want" ]] || fail "$1: the stack's processes are $(paste -sd' ' <<<"$got"), recorded $(paste -sd' ' <<<"$want"): $(ps -o pid=,args= -p "$(paste -sd, <<<"$got")" || true)"
}
listening() { local p; for p in "${PORTS[@]}"; do sv_port_open "$p" && echo "$p"; done; true; }
status_line() { grep -E "^$1 " "$VAR/$2.out" || true; }

# --- 1. an up that fails: vaultweb's port is held by someone else (a
# smscsim of ours on other ports, its control port on SV_WEB_PORT)
"$BUILD/smsc/smscsim" --port "$(sv_free_port "${PORTS[@]}")" --control-port "$SV_WEB_PORT" \
    >"$VAR/blocker.log" 2>&1 &
blocker=$!
e2e_bg $blocker
sv_wait_tcp "$SV_WEB_PORT" 10 $blocker || fail "the blocker does not listen on $SV_WEB_PORT"
sv up1 up --no-build
((RC != 0)) || fail "up succeeded although port $SV_WEB_PORT is taken: $(out up1)"
grep -q "vaultweb did not start" "$VAR/up1.out" || fail "up does not say what failed: $(out up1)"
for s in postgresql smscsim bearerbox vaultbox vaultmms mmscsim; do
    status_line $s up1 | grep -q " running " || fail "after the failed up $s is not running: $(out up1)"
done
status_line vaultweb up1 | grep -q "stopped.*port $SV_WEB_PORT is held by pid $blocker, not ours" ||
    fail "status does not say who holds vaultweb's port: $(status_line vaultweb up1)"
# the one error this suite causes on purpose, kept out of the teardown's
# ERROR/PANIC check of our logs (*.log)
grep -q "ERROR" "$SV_VAR/log/vaultweb.log" || fail "vaultweb logged no error about its port: $(cat "$SV_VAR/log/vaultweb.log")"
mv "$SV_VAR/log/vaultweb.log" "$SV_VAR/log/vaultweb-port-taken.txt"
sv status1 status
((RC == 3)) || fail "status exits $RC with vaultweb stopped (want 3)"
sv_pid_alive $blocker || fail "up or status stopped a process that is not the stack's"
remember
first=$(pids_now)
echo "e2e: ok a failed up says what failed and leaves what started running: $first"

# --- 2. up again once the port is free: only vaultweb is started
_e2e_stop_pid $blocker
sv up2 up --no-build
((RC == 0)) || fail "up after freeing the port: exit $RC: $(out up2)"
for s in smscsim bearerbox vaultbox vaultmms mmscsim; do
    grep -q "$s already runs (pid $(pid_of $s)): left alone" "$VAR/up2.out" || fail "up2 did not leave $s alone: $(out up2)"
done
second=$(pids_now)
[[ ${second% vaultweb=*} == "${first% vaultweb=*}" ]] || fail "up restarted something: $first -> $second"
[[ -n $(pid_of vaultweb) ]] && sv_running vaultweb "$SV_VAR" || fail "vaultweb not started: $(out up2)"
remember
echo "e2e: ok up again starts only what is missing: $second"

# --- 3. up once more changes nothing; one process per service
sv up3 up --no-build
((RC == 0)) || fail "a third up: exit $RC: $(out up3)"
[[ $(pids_now) == "$second" ]] || fail "a third up changed the stack: $second -> $(pids_now)"
one_per_service "after three ups"
sv status3 status
((RC == 0)) || fail "status exits $RC with everything running: $(out status3)"
for s in "${SERVICES[@]}"; do
    status_line $s status3 | grep -q "running  pid $(pid_of $s) " || fail "status: $(status_line $s status3)"
done
for p in $SV_SMSC_PORT $SV_SMSC_CTL_PORT $SV_BB_ADMIN_PORT $SV_BB_BOX_PORT $SV_MMS_PORT $SV_MMSC_MM1_PORT \
    $SV_MMSC_MM7_PORT $SV_MMSC_CTL_PORT $SV_WEB_PORT $SV_BOX_METRICS_PORT $SV_WEB_METRICS_PORT $SV_MMS_METRICS_PORT; do
    grep -q "  port $p\b" "$VAR/status3.out" || fail "status does not show port $p listening: $(out status3)"
done
status_line postgresql status3 | grep -q "running  pid $(pg_pid)  port $SV_PG_PORT" || fail "status: $(status_line postgresql status3)"
# and, at a glance (vaultctl status), the database and each daemon's /metrics
grep -qE '^database +users [0-9]+ ' "$VAR/status3.out" || fail "status: no database line: $(out status3)"
for p in $SV_BOX_METRICS_PORT $SV_WEB_METRICS_PORT $SV_MMS_METRICS_PORT; do
    grep -qE "^http://127\.0\.0\.1:$p/metrics +program=\"vault(box|web|mms)\"" "$VAR/status3.out" ||
        fail "status: nothing from the /metrics on $p: $(out status3)"
done
grep -qE '^ +smsvault_mo_received_total +[0-9]+' "$VAR/status3.out" || fail "status: no MO figures: $(out status3)"
reply=$("$ROOT/smsvault" phone 8613800000001 "HELP") || fail "no reply through the stack"
grep -q "REG" <<<"$reply" || fail "HELP through the stack: $reply"
# an MMS from the phone goes through the stack's MMSC to vaultmms, with the
# credentials of the shipped [mmsc.sim], and the phone is told
reply=$("$ROOT/smsvault" phone 8613800000001 "REG stackuser pass1234") || fail "REG through the stack"
printf 'hello from the stack\n' >"$VAR/note.txt"
reply=$("$ROOT/smsvault" phone 8613800000001 --mms "$VAR/note.txt") || fail "MMS through the stack: $reply"
grep -q "^MMS sent .*status=0x80" <<<"$reply" && grep -q "^Saved as M1\." <<<"$reply" ||
    fail "MMS through the stack: $reply"
echo "e2e: ok a third up leaves everything alone (one process per service), status tells it, the stack answers HELP and archives an MMS"

# --- 4. a stale pid file whose PID is another process now
web_pid=$(pid_of vaultweb)
_e2e_stop_pid "$web_pid"   # vaultweb dies behind the stack's back
sleep 600 &
stranger=$!
e2e_bg $stranger
echo $stranger >"$SV_VAR/run/vaultweb.pid"   # its PID went to another process
sv status4 status
((RC == 3)) || fail "status exits $RC with vaultweb gone (want 3)"
status_line vaultweb status4 | grep -q "stopped (stale pid file: pid $stranger is another process now)" ||
    fail "status: $(status_line vaultweb status4)"
sv up4 up --no-build
((RC == 0)) || fail "up with a stale pid file: exit $RC: $(out up4)"
new_web=$(pid_of vaultweb)
[[ $new_web != "$stranger" && $new_web != "$web_pid" ]] && sv_running vaultweb "$SV_VAR" ||
    fail "up did not replace the stale vaultweb: $(out up4)"
sv_pid_alive $stranger || fail "up killed the process that had vaultweb's old PID"
[[ $(pids_now) == "${second% vaultweb=*} vaultweb=$new_web" ]] || fail "up changed more than vaultweb: $(pids_now)"
one_per_service "after replacing vaultweb"
remember
echo "e2e: ok a stale pid file (PID reused) is reported, the service replaced, the other process left alone"

# --- 5. down stops everything up started
sv down1 down
((RC == 0)) || fail "down: exit $RC: $(out down1)"
sv_pid_alive $stranger || fail "down killed a process that is not the stack's"
for pid in "${SEEN[@]}"; do
    ! sv_pid_alive "$pid" || fail "pid $pid of the stack still runs after down: $(ps -o args= -p "$pid")"
done
left=$(stack_procs)
[[ -z $left ]] || fail "processes of the stack left after down: $(ps -o pid=,args= -p "$(paste -sd, <<<"$left")")"
[[ -z $(listening) ]] || fail "ports still listening after down: $(listening)"
[[ -z $(ls "$SV_VAR/run/"*.pid 2>/dev/null) ]] || fail "pid files left after down: $(ls "$SV_VAR/run")"
echo "e2e: ok down stops everything: $(printf "%s\n" "${SEEN[@]}" | sort -u | wc -l) PIDs gone, no process holds a file of the stack, ports ${PORTS[*]} closed"

sv status5 status
((RC == 3)) || fail "status exits $RC after down (want 3)"
for s in postgresql "${SERVICES[@]}"; do
    [[ $(status_line $s status5) =~ ^$s\ +stopped$ ]] || fail "status after down: $(status_line $s status5)"
done
sv down2 down
((RC == 0)) || fail "a second down: exit $RC: $(out down2)"
echo "e2e: ok status after down says stopped for all, a second down is harmless"

e2e_pass
