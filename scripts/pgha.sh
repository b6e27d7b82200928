# scripts/pgha.sh — a PostgreSQL HA cluster on this machine, run by
# pg_auto_failover (Debian's postgresql-15-auto-failover and
# pg-auto-failover-cli): a monitor and three data nodes — a primary and two
# standbys, commits synchronous to at least one of them — all on loopback
# ports, as the postgres user when root (PostgreSQL refuses root), else as
# the user who runs it. For the failover test, the soak and trying it by
# hand; an operator runs the same steps on three machines (docs/HA.md), with
# conf/pgaf-monitor.conf and conf/pgaf-node.conf as here.
#
# Sourced after scripts/lib.sh. Functions are prefixed sv_ha_. A cluster
# <name> lives in $(sv_ha_dir <name>): monitor/, node1..3/ (data), sock/
# (every instance's Unix socket, one name per port), xdg/ (pg_autoctl's
# configuration and state), log/ and run/ (each pg_autoctl process started
# with sv_start_bg, so it is stopped by the PID it was started with).

SV_HA_NODES=(node1 node2 node3)
SV_HA_DB=smsvault

# sv_ha_available — the packages are installed (prints what is missing).
sv_ha_available() {
  local ok=0
  command -v pg_autoctl >/dev/null || { echo "pg-auto-failover-cli (pg_autoctl)"; ok=1; }
  [ -f "$("$SV_PGBIN/pg_config" --pkglibdir 2>/dev/null)/pgautofailover.so" ] ||
    { echo "postgresql-15-auto-failover (the monitor's extension)"; ok=1; }
  return $ok
}

# sv_ha_install — install the packages when root (they are in SV_PACKAGES
# too); fails, saying why, when that is not possible.
sv_ha_install() {
  sv_ha_available >/dev/null && return 0
  [ "$(id -u)" -eq 0 ] || { sv_say "missing: $(sv_ha_available | paste -sd, -)"; return 1; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    postgresql-15-auto-failover pg-auto-failover-cli >/dev/null 2>&1 ||
    { apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
      --no-install-recommends postgresql-15-auto-failover pg-auto-failover-cli >/dev/null 2>&1; } ||
    { sv_say "apt-get install postgresql-15-auto-failover pg-auto-failover-cli failed"; return 1; }
  sv_ha_available >/dev/null
}

sv_ha_dir() { echo "$(dirname "$(sv_pg_dir x)")/ha-$1"; }

# _sv_ha_env <dir> — the command prefix that runs a command as the
# cluster's user with pg_autoctl's environment: its configuration and state
# under <dir>/xdg, PostgreSQL's binaries first on PATH, local connections
# through <dir>/sock. As root it is setpriv, which execs the command (no
# process in between: a background one's PID is pg_autoctl's own, so it is
# stopped and killed by that PID).
_sv_ha_env() {
  local dir=$1
  [ "$(id -u)" -ne 0 ] || printf '%s\n' setpriv --reuid=postgres --regid=postgres --init-groups
  printf '%s\n' env HOME="$dir" XDG_CONFIG_HOME="$dir/xdg/config" XDG_DATA_HOME="$dir/xdg/data" \
    XDG_RUNTIME_DIR="$dir/xdg/run" PATH="$SV_PGBIN:$PATH" PGHOST="$dir/sock" PG_CONFIG="$SV_PGBIN/pg_config"
}

# sv_ha_as <dir> <command...> — run a command so (see _sv_ha_env).
sv_ha_as() {
  local dir=$1 pre
  shift
  mapfile -t pre < <(_sv_ha_env "$dir")
  "${pre[@]}" "$@"
}

# _sv_ha_bg <service> <dir> <command...> — start it so in the background
# (sv_start_bg: <dir>/run/<service>.pid, <dir>/log/<service>.log).
_sv_ha_bg() {
  local svc=$1 dir=$2 pre
  shift 2
  mapfile -t pre < <(_sv_ha_env "$dir")
  sv_start_bg "$svc" "$dir" "${pre[@]}" "$@"
}

# _sv_ha_initdb <dir> <data> <conf-file> [extra lines] — an empty cluster with
# our settings in postgresql.auto.conf (read after pg_autoctl's include).
_sv_ha_initdb() {
  local dir=$1 data=$2 conf=$3 extra=${4:-}
  sv_ha_as "$dir" "$SV_PGBIN/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 \
    >"$dir/log/initdb-${data##*/}.log" 2>&1 || { cat "$dir/log/initdb-${data##*/}.log" >&2; return 1; }
  {
    printf '\n# ---- scripts/pgha.sh: %s\n' "${conf##*/}"
    grep -v '^[[:space:]]*#' "$conf" | grep -v '^[[:space:]]*$'
    echo "unix_socket_directories = '$dir/sock'"
    [ -z "$extra" ] || printf '%s\n' "$extra"
  } | sv_ha_as "$dir" tee -a "$data/postgresql.auto.conf" >/dev/null
}

# sv_ha_monitor_uri <name> — the monitor's connection string (for pg_autoctl).
sv_ha_monitor_uri() {
  echo "postgres://autoctl_node@127.0.0.1:$(cat "$(sv_ha_dir "$1")/monitor.port")/pg_auto_failover?sslmode=disable"
}

# sv_ha_monitor_sql <name> <sql> — one query on the monitor, unaligned.
sv_ha_monitor_sql() {
  local dir
  dir=$(sv_ha_dir "$1")
  psql -X -tA -h "$dir/sock" -p "$(cat "$dir/monitor.port")" -U postgres -d pg_auto_failover -c "$2" 2>/dev/null
}

# sv_ha_states <name> — "node reported/goal" per data node, one line each.
sv_ha_states() {
  sv_ha_monitor_sql "$1" "SELECT nodename || ' ' || reportedstate || '/' || goalstate
                           FROM pgautofailover.node ORDER BY nodename"
}

# sv_ha_primary <name> — the data node that takes writes now, or nothing:
# primary, or wait_primary — a promoted standby before another standby has
# caught up; it takes writes then without a synchronous standby (pg_auto_
# failover's choice for availability; docs/HA.md).
sv_ha_primary() {
  sv_ha_monitor_sql "$1" "SELECT nodename FROM pgautofailover.node
                           WHERE reportedstate IN ('primary', 'wait_primary') AND goalstate = reportedstate"
}

# sv_ha_settled <name> — one primary and every other data node secondary.
sv_ha_settled() {
  local want=$((${#SV_HA_NODES[@]} - 1))
  [ "$(sv_ha_monitor_sql "$1" "SELECT count(*) FILTER (WHERE reportedstate = 'primary' AND goalstate = 'primary')
                                 || ' ' || count(*) FILTER (WHERE reportedstate = 'secondary' AND goalstate = 'secondary')
                               FROM pgautofailover.node")" = "1 $want" ]
}

# sv_ha_node_start <name> <node> — start a data node's keeper: the first
# start creates the node (the first one becomes the primary, the others
# standbys copied from it), a later one runs it again (a node that was the
# primary comes back as a standby, rewound if it must be).
sv_ha_node_start() {
  local name=$1 node=$2 dir port
  dir=$(sv_ha_dir "$name")
  port=$(cat "$dir/$node.port")
  if [ -f "$dir/$node/postgresql-auto-failover.conf" ]; then
    _sv_ha_bg "$node" "$dir" pg_autoctl run --pgdata "$dir/$node"
  else
    _sv_ha_bg "$node" "$dir" pg_autoctl create postgres --pgdata "$dir/$node" \
      --pgport "$port" --listen 127.0.0.1 --hostname 127.0.0.1 --name "$node" --dbname "$SV_HA_DB" \
      --username postgres --monitor "$(sv_ha_monitor_uri "$name")" --auth trust --no-ssl \
      --replication-quorum true --candidate-priority 50 --run
  fi
}

# sv_ha_wait <name> <seconds> <what> <command...> — poll (sv_wait_for), saying
# the nodes' states when it times out.
sv_ha_wait() {
  local name=$1 secs=$2 what=$3; shift 3
  sv_wait_for "$what" "$secs" "$@" && return 0
  sv_say "pg_auto_failover states: $(sv_ha_states "$name" | paste -sd';' -)"
  return 1
}

# sv_ha_create <name> <monitor-port> <port1> <port2> <port3> [monitor lines]
# — make and start the cluster (an old one of that name is stopped and
# removed first); returns once the primary and both standbys run, with
# synchronous commits to at least one standby. [monitor lines] are
# PostgreSQL settings for the monitor after conf/pgaf-monitor.conf's (the
# test's shorter health checks).
sv_ha_create() {
  local name=$1 mport=$2 dir i node
  shift 2
  dir=$(sv_ha_dir "$name")
  sv_ha_stop "$name"
  sv_as_pg rm -rf "$dir" 2>/dev/null || rm -rf "$dir"
  mkdir -p "$dir/log" "$dir/run" "$dir/sock" "$dir/xdg/run"
  if [ "$(id -u)" -eq 0 ]; then
    chmod 711 "$(dirname "$dir")"
    chown -R postgres: "$dir"
  fi
  echo "$mport" >"$dir/monitor.port"
  for i in 0 1 2; do
    echo "${1:?sv_ha_create: three data node ports}" >"$dir/${SV_HA_NODES[$i]}.port"
    shift
  done
  _sv_ha_initdb "$dir" "$dir/monitor" "$SV_ROOT/conf/pgaf-monitor.conf" "${1:-}" || return 1
  sv_ha_as "$dir" pg_autoctl create monitor --pgdata "$dir/monitor" --pgport "$mport" \
    --hostname 127.0.0.1 --listen 127.0.0.1 --auth trust --no-ssl >"$dir/log/create-monitor.log" 2>&1 ||
    { tail -n 20 "$dir/log/create-monitor.log" >&2; return 1; }
  _sv_ha_bg monitor "$dir" pg_autoctl run --pgdata "$dir/monitor" || return 1
  sv_ha_wait "$name" 30 "the pg_auto_failover monitor" sv_ha_monitor_sql "$name" "SELECT 1" || return 1
  _sv_ha_initdb "$dir" "$dir/node1" "$SV_ROOT/conf/pgaf-node.conf" || return 1
  sv_ha_node_start "$name" node1 || return 1
  sv_ha_wait "$name" 60 "node1 to be the primary" _sv_ha_single "$name" || return 1
  for node in node2 node3; do
    sv_ha_node_start "$name" "$node" || return 1
  done
  # pg_autoctl copies the primary with pg_basebackup, which waits for a
  # spread checkpoint (minutes on an idle server); asking for an immediate
  # one makes the checkpoint in progress finish at once
  sv_ha_wait "$name" 120 "the standbys to catch up" _sv_ha_settled_nudge "$name" || return 1
  # one standby must have every commit before it is acknowledged (ANY 1 of
  # 2; pg_autoctl set formation number-sync-standbys does the same)
  [ "$(sv_ha_monitor_sql "$name" "SELECT pgautofailover.set_formation_number_sync_standbys('default', 1)")" = t ] ||
    { sv_say "number-sync-standbys 1 refused"; return 1; }
  sv_ha_wait "$name" 60 "synchronous replication on the primary" _sv_ha_sync "$name"
}

# _sv_ha_settled_nudge <name> — sv_ha_settled, else CHECKPOINT on node1.
_sv_ha_settled_nudge() {
  sv_ha_settled "$1" && return 0
  psql -X -q "$(sv_ha_node_uri "$1" node1 postgres)" -c CHECKPOINT >/dev/null 2>&1
  return 1
}

# _sv_ha_single <name> — node1 runs alone as the primary, ready for standbys.
_sv_ha_single() {
  [ "$(sv_ha_monitor_sql "$1" "SELECT reportedstate || '/' || goalstate FROM pgautofailover.node
                                 WHERE nodename = 'node1'")" = single/single ]
}

# _sv_ha_sync <name> — the primary waits for a standby at commit.
_sv_ha_sync() {
  local p
  p=$(sv_ha_primary "$1")
  [ -n "$p" ] && [[ $(psql -X -tA "$(sv_ha_node_uri "$1" "$p")" -c "SHOW synchronous_standby_names") == ANY\ 1* ]]
}

# sv_ha_uri <name> [db] — what smsvault connects with: every data node, the
# one that takes writes found by libpq (target_session_attrs=read-write).
sv_ha_uri() {
  local dir hosts= ports= n
  dir=$(sv_ha_dir "$1")
  for n in "${SV_HA_NODES[@]}"; do
    hosts+=${hosts:+,}127.0.0.1
    ports+=${ports:+,}$(cat "$dir/$n.port")
  done
  echo "host=$hosts port=$ports user=postgres dbname=${2:-$SV_HA_DB} target_session_attrs=read-write connect_timeout=2"
}

# sv_ha_node_uri <name> <node> [db] — one data node alone.
sv_ha_node_uri() {
  echo "host=127.0.0.1 port=$(cat "$(sv_ha_dir "$1")/$2.port") user=postgres dbname=${3:-$SV_HA_DB}"
}

# _sv_ha_tree <pid> — pid and all its descendants.
_sv_ha_tree() {
  local c
  echo "$1"
  for c in $(ps -o pid= --ppid "$1" 2>/dev/null); do
    _sv_ha_tree "$c"
  done
}

# sv_ha_kill <name> <node> — the node's machine dies: its keeper and its
# PostgreSQL (every process of the tree we started for it) get SIGKILL at
# once. Its data stays; sv_ha_node_start brings it back.
sv_ha_kill() {
  local dir pids pm
  dir=$(sv_ha_dir "$1")
  sv_running "$2" "$dir" || { sv_say "sv_ha_kill: $2 does not run"; return 1; }
  pids=$(_sv_ha_tree "$(sv_pid "$2" "$dir")")
  # the postmaster is in that tree; named again in case it was reparented
  pm=$(head -n 1 "$dir/$2/postmaster.pid" 2>/dev/null || true)
  # shellcheck disable=SC2086
  kill -KILL $pids ${pm:+$(ps -o pid= -p "$pm" >/dev/null 2>&1 && _sv_ha_tree "$pm")} 2>/dev/null || true
  rm -f "$dir/run/$2.pid" "$dir/run/$2.start"
}

# sv_ha_stop <name> — stop the data nodes, then the monitor (each keeper
# stops its PostgreSQL); the data stays.
sv_ha_stop() {
  local dir i
  dir=$(sv_ha_dir "$1")
  [ -d "$dir/run" ] || return 0
  for ((i = ${#SV_HA_NODES[@]} - 1; i >= 0; i--)); do
    sv_stop_bg "${SV_HA_NODES[$i]}" "$dir"
  done
  sv_stop_bg monitor "$dir"
}

# sv_ha_destroy <name> — stop it and remove its directory.
sv_ha_destroy() {
  local dir
  dir=$(sv_ha_dir "$1")
  sv_ha_stop "$1"
  [ -d "$dir" ] && { sv_as_pg rm -rf "$dir" 2>/dev/null || rm -rf "$dir"; }
  return 0
}
