# scripts/svc/smscsim.sh — start/stop smscsim for ./smsvault, tests and bench.
# Source it, then: svc_smscsim_start <vardir> / svc_smscsim_stop <vardir>.
# Reads SV_BUILD (build directory), SV_SMSC_PORT, SV_SMSC_CTL_PORT; optional
# SV_SMSCSIM_ARGS (extra flags, e.g. --no-quickack). Writes
# <vardir>/log/smscsim.log and <vardir>/run/smscsim.pid. Self-contained on
# purpose (the lead folds these helpers into scripts/lib.sh).

# svc_free_port [taken...]: print a loopback port nobody listens on, not in
# the given list; below the ephemeral range (32768-) so that outgoing
# connections cannot grab it between this check and the bind.
svc_free_port() {
    local p
    while :; do
        p=$((20000 + RANDOM % 12000))
        [[ " $* " == *" $p "* ]] && continue
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            echo "$p"
            return
        fi
    done
}

# _svc_wait_tcp <port> <seconds> <pid>: poll until something listens on
# 127.0.0.1:<port>, the process dies, or the deadline passes.
_svc_wait_tcp() {
    local port=$1 secs=$2 pid=$3 deadline=$((SECONDS + $2))
    while ((SECONDS < deadline)); do
        if ! kill -0 "$pid" 2>/dev/null; then
            return 1
        fi
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            return 0
        fi
        sleep 0.05
    done
    return 1
}

# _svc_stop_pid <pidfile> <name>: TERM the recorded PID, wait up to 10 s, then KILL.
_svc_stop_pid() {
    local pidfile=$1 name=$2 pid i
    [[ -f $pidfile ]] || return 0
    pid=$(<"$pidfile")
    if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null
        for ((i = 0; i < 200; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.05
        done
        if kill -0 "$pid" 2>/dev/null; then
            echo "svc: $name pid=$pid did not stop in 10 s, killing" >&2
            kill -KILL "$pid" 2>/dev/null
        fi
    fi
    rm -f "$pidfile"
}

svc_smscsim_start() {
    local vardir=$1 pid
    : "${SV_BUILD:?SV_BUILD (build directory) not set}"
    : "${SV_SMSC_PORT:?}" "${SV_SMSC_CTL_PORT:?}"
    mkdir -p "$vardir/log" "$vardir/run"
    # shellcheck disable=SC2086
    "$SV_BUILD/smsc/smscsim" --port "$SV_SMSC_PORT" --control-port "$SV_SMSC_CTL_PORT" \
        ${SV_SMSCSIM_ARGS:-} >>"$vardir/log/smscsim.log" 2>&1 &
    pid=$!
    echo "$pid" >"$vardir/run/smscsim.pid"
    if ! _svc_wait_tcp "$SV_SMSC_CTL_PORT" 10 "$pid"; then
        echo "svc: smscsim did not come up on 127.0.0.1:$SV_SMSC_CTL_PORT (log: $vardir/log/smscsim.log)" >&2
        return 1
    fi
}

svc_smscsim_stop() {
    _svc_stop_pid "$1/run/smscsim.pid" smscsim
}
