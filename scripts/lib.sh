# scripts/lib.sh — shell helpers shared by ./smsvault, the test suites and
# the benchmarks: dependency install, building, free ports, readiness
# polling, background processes tracked by PID, the one writer of a stack's
# smsvault.conf, and private PostgreSQL clusters and their databases.
#
# Sourced, not run. Functions are prefixed sv_. Nothing here kills a process
# it did not start: every process is tracked through the pid file its start
# wrote, with the process's start time (see "background processes").

SV_ROOT=${SV_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
SV_PGBIN=${SV_PGBIN:-/usr/lib/postgresql/15/bin}

# Debian packages the project needs (build, run, test; lintian, logrotate,
# file and dpkg-dev for the .deb: packaging/).
SV_PACKAGES=(
  build-essential cmake pkg-config git ca-certificates
  postgresql postgresql-contrib libpq-dev python3-psycopg2
  postgresql-15-auto-failover pg-auto-failover-cli
  kannel kannel-dev libsmpp34-dev
  uuid-dev libcunit1-dev libmicrohttpd-dev libgnutls28-dev libjansson-dev libsodium-dev
  libinih-dev libcurl4-openssl-dev libxml2-dev
  tshark libgmime-3.0-dev
  chromium fonts-wqy-microhei fonts-noto-color-emoji python3
  procps iproute2 curl jq
  lintian logrotate file dpkg-dev
  openssl libnss3-tools nginx
)
# Node.js and npm (browser tests) may come from elsewhere than Debian; they
# are installed from Debian only when the commands are missing.

sv_say() { printf 'smsvault: %s\n' "$*" >&2; }
sv_die() { printf 'smsvault: error: %s\n' "$*" >&2; exit 1; }

# Install the missing packages (root), or say which to install and stop.
sv_deps() {
  local missing=() p
  for p in "${SV_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  command -v node >/dev/null || missing+=(nodejs)
  command -v npm >/dev/null || missing+=(npm)
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    sv_die "missing Debian packages; as root run: apt-get update && apt-get install -y ${missing[*]}"
  fi
  sv_say "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # nginx is for the test of conf/nginx-smsvault.conf only: its package must
  # not start a system nginx on port 80, so services stay down during the
  # install (policy-rc.d, the Debian way) unless the machine already says.
  local policy=
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d && policy=1
  fi
  apt-get update -qq >/dev/null || sv_die "apt-get update failed"
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || { if [ -n "$policy" ]; then rm -f /usr/sbin/policy-rc.d; fi; sv_die "apt-get install failed: ${missing[*]}"; }
  if [ -n "$policy" ]; then rm -f /usr/sbin/policy-rc.d; fi
  # Debian's kannel package may start its own bearerbox from its init script;
  # ours runs a copy of conf/kannel.conf on other ports, so that one is left
  # alone.
}

# sv_promtool — the path of promtool, Prometheus's own checker of the text
# exposition format (`promtool check metrics`: its parser and its lint of
# names, HELP and units), which the metrics tests run on what our daemons
# serve. It comes from Debian's `prometheus` package, but that package is
# never installed: its postinst would start a Prometheus server listening on
# every interface. apt-get download fetches the .deb once and only promtool
# (a static binary) is taken out of it, into SV_TOOLS
# (/var/tmp/smsvault-tools-<uid>). Prints the path, or fails saying why.
sv_promtool() {
  local dir=${SV_TOOLS:-/var/tmp/smsvault-tools-$(id -u)} deb
  if [ -x "$dir/promtool" ]; then
    echo "$dir/promtool"
    return 0
  fi
  mkdir -p "$dir/deb" || return 1
  if ! (cd "$dir/deb" && apt-get download -q prometheus >/dev/null 2>&1); then
    [ "$(id -u)" -ne 0 ] || apt-get update -qq >/dev/null 2>&1
    (cd "$dir/deb" && apt-get download -q prometheus >/dev/null 2>&1) ||
      { sv_say "sv_promtool: apt-get download prometheus failed"; return 1; }
  fi
  deb=$(ls "$dir"/deb/prometheus_*.deb 2>/dev/null | head -n 1)
  [ -n "$deb" ] || { sv_say "sv_promtool: no prometheus .deb in $dir/deb"; return 1; }
  dpkg-deb --fsys-tarfile "$deb" | tar -x -O ./usr/bin/promtool >"$dir/promtool.new" &&
    chmod 0755 "$dir/promtool.new" && mv "$dir/promtool.new" "$dir/promtool" ||
    { sv_say "sv_promtool: promtool not found in $deb"; rm -f "$dir/promtool.new"; return 1; }
  rm -rf "$dir/deb"
  echo "$dir/promtool"
}

# sv_build <dir> <cmake args...> — configure (cheap when nothing changed),
# then build with every core; the output goes to <dir>.build.log.
sv_build() {
  local dir=$1; shift
  cmake -S "$SV_ROOT" -B "$dir" "$@" >/dev/null || sv_die "cmake configure failed ($dir)"
  cmake --build "$dir" -j"$(nproc)" >"$dir.build.log" 2>&1 || {
    tail -n 60 "$dir.build.log" >&2
    sv_die "build failed; full log: $dir.build.log"
  }
}

# sv_free_port [taken...] — a loopback port nobody listens on, not in the
# given list, below the ephemeral range (32768-) so that outgoing connections
# cannot grab it between this check and the bind.
sv_free_port() {
  local p
  while :; do
    p=$(( 20000 + RANDOM % 12000 ))
    [[ " $* " == *" $p "* ]] && continue
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "$p"
      return 0
    fi
  done
}

# sv_wait_for <what> <seconds> <command...> — poll every 100 ms until the
# command succeeds or the deadline passes.
sv_wait_for() {
  local what=$1 secs=$2; shift 2
  local deadline=$(( SECONDS + secs ))
  until "$@" >/dev/null 2>&1; do
    if (( SECONDS >= deadline )); then
      sv_say "timed out after ${secs}s waiting for $what"
      return 1
    fi
    sleep 0.1
  done
}

sv_port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# sv_wait_tcp <port> <seconds> <pid> — poll until something listens on
# 127.0.0.1:<port>; fails early when the process dies.
sv_wait_tcp() {
  local port=$1 deadline=$(( SECONDS + $2 )) pid=$3
  while (( SECONDS < deadline )); do
    sv_pid_alive "$pid" || return 1
    sv_port_open "$port" && return 0
    sleep 0.05
  done
  return 1
}

# sv_port_pids <port> — the PIDs listening on TCP <port> (from ss; run as
# another user than root, only that user's own processes are named).
# Prints nothing (and succeeds) when nobody listens.
sv_port_pids() {
  { ss -Hltnp "sport = :$1" 2>/dev/null | grep -o 'pid=[0-9]*' | cut -d= -f2 | sort -u; } || true
}

# ---- background processes, tracked by PID ---------------------------------
# A service <name> of a stack writes <vardir>/log/<name>.log and two files
# in <vardir>/run: <name>.pid (its PID, one line) and <name>.start (the
# process's start time: field 22 of /proc/<pid>/stat, clock ticks since
# boot). A process is "ours" when that PID is alive (not a zombie) and
# started at that time. The kernel hands a dead service's PID to other
# processes sooner or later (and after a reboot var/run still names it);
# such a process has another start time, so a stale pid file never makes a
# dead service look alive, and nothing of ours kills a stranger. (A pid
# file of an older checkout without <name>.start counts as ours when the
# process's executable has the service's name.)

# sv_proc_start <pid> — the start time of a live process; fails when the
# process is gone or a zombie.
sv_proc_start() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }   # the fields after the command name (which may hold ") ")
  # shellcheck disable=SC2086
  set -- $stat        # $1 = state (field 3), $20 = starttime (field 22)
  [ "$1" != Z ] && [ -n "${20:-}" ] || return 1
  echo "${20}"
}

sv_pid_alive() { sv_proc_start "$1" >/dev/null; }

# sv_pidfile_ours <pidfile> — the process it names runs and is the one we
# started (see above).
sv_pidfile_ours() {
  local pid want got exe name
  pid=$(cat "$1" 2>/dev/null) || return 1
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  got=$(sv_proc_start "$pid") || return 1
  if [ -f "${1%.pid}.start" ]; then
    want=$(cat "${1%.pid}.start")
    # return's status said outright: a bare return in a trap (the e2e
    # teardown on EXIT) returns the status from before the trap, so every
    # suite that failed took its own services for another's and left them
    [ "$got" = "$want" ]
    return $?
  fi
  exe=$(readlink "/proc/$pid/exe" 2>/dev/null) || return 1
  name=${1##*/}
  exe=${exe% (deleted)}
  [ "${exe##*/}" = "${name%.pid}" ]
}

sv_pid() { [ -f "$2/run/$1.pid" ] && cat "$2/run/$1.pid"; }

# sv_running <name> <vardir> — the service runs, as the process we started.
sv_running() { sv_pidfile_ours "$2/run/$1.pid"; }

# sv_start_bg [--log FILE] <name> <vardir> <command...> — start in the
# background, output to <vardir>/log/<name>.log (or FILE), tracked in
# <vardir>/run. Refuses (returns 1) while the service runs: its pid file is
# never written over, so nothing we started is ever lost track of.
sv_start_bg() {
  local log=
  if [ "$1" = --log ]; then log=$2; shift 2; fi
  local name=$1 vardir=$2 pid; shift 2
  log=${log:-$vardir/log/$name.log}
  if sv_running "$name" "$vardir"; then
    sv_say "$name already runs (pid $(sv_pid "$name" "$vardir")); not starting another"
    return 1
  fi
  mkdir -p "$vardir/log" "$vardir/run"
  "$@" >>"$log" 2>&1 </dev/null &
  pid=$!
  echo "$pid" >"$vardir/run/$name.pid"
  sv_proc_start "$pid" >"$vardir/run/$name.start" || : >"$vardir/run/$name.start"
}

# sv_stop_bg <name> <vardir> — stop what sv_start_bg started.
sv_stop_bg() { sv_stop_pidfile "$2/run/$1.pid" "$1"; }

# sv_stop_pidfile <pidfile> <name> — TERM the recorded process if it is ours,
# wait up to 10 s, then KILL; remove the pid file in any case. A PID that is
# no longer ours is left alone.
sv_stop_pidfile() {
  local pidfile=$1 name=$2 pid i
  [[ -f $pidfile ]] || return 0
  pid=$(<"$pidfile")
  if sv_pidfile_ours "$pidfile"; then
    kill -TERM "$pid" 2>/dev/null
    for (( i = 0; i < 200; i++ )); do
      sv_pid_alive "$pid" || break
      sleep 0.05
    done
    if sv_pid_alive "$pid"; then
      sv_say "$name pid=$pid did not stop in 10 s, killing"
      kill -KILL "$pid" 2>/dev/null
    fi
  elif [[ -n $pid ]] && sv_pid_alive "$pid"; then
    sv_say "$name: pid $pid in $pidfile is another process now; left alone"
  fi
  rm -f "$pidfile" "${pidfile%.pid}.start"
}

# ---- smsvault.conf of a stack ---------------------------------------------
# One writer for every stack (`./smsvault up`, the e2e suites, tests/web and
# the benchmarks): conf/smsvault.conf exactly as the deployment edited it,
# then the keys this stack must set instead (its database, ports, paths),
# then SV_CONF_EXTRA (INI lines of a test or the bench, e.g. a small
# [quota]). A section given again overrides only the keys it names (the
# programs read the file top to bottom), so every other value is the
# shipped file's and is what the stack runs with.
#
# The overrides are one function per program, sv_conf_<program>, called in
# the order of SV_CONF_PROGRAMS. A new daemon adds its function and its
# name to that list, nothing else.
# A key is written only when its value is known (sv_conf_key), so a stack
# that does not run a daemon leaves that daemon's sections as shipped.
SV_CONF_PROGRAMS=(store vaultbox vaultweb vaultmms)

# sv_conf_key <key> <value> — "key = value", or nothing when value is empty.
sv_conf_key() { [ -z "$2" ] || printf '%s = %s\n' "$1" "$2"; }

# store/ (every program): the stack's database.
sv_conf_store() {
  echo "[database]"
  sv_conf_key conninfo "${SMSVAULT_PGURI:-}"
}

# vaultbox: the stack's bearerbox, short codes, web page and metrics port.
sv_conf_vaultbox() {
  echo "[box]"
  sv_conf_key bearerbox_host "${SV_BB_BOX_PORT:+127.0.0.1}"
  sv_conf_key bearerbox_port "${SV_BB_BOX_PORT:-}"
  sv_conf_key sender "${SV_SHORTCODE:-}"
  sv_conf_key forward_shortcode "${SV_FORWARD_SHORTCODE:-}"
  sv_conf_key web_url "${SV_WEB_PORT:+http://127.0.0.1:$SV_WEB_PORT/}"
  sv_conf_key metrics_port "${SV_BOX_METRICS_PORT:-}"
}

# vaultweb: the stack's port, and the page's files by absolute path (the
# shipped static_dir is relative to the working directory).
sv_conf_vaultweb() {
  echo "[web]"
  sv_conf_key listen "${SV_WEB_PORT:+127.0.0.1}"
  sv_conf_key port "${SV_WEB_PORT:-}"
  sv_conf_key static_dir "$SV_ROOT/web/static"
  sv_conf_key metrics_port "${SV_WEB_METRICS_PORT:-}"
}

# vaultmms: the stack's MM7 endpoint port, its metrics port, its retrieval URL's port, the
# short code, and where the stack's MMSC (mmscsim, [mmsc.sim]) takes our
# SubmitReq. The credentials both ways stay the shipped file's: mmscsim is
# started with them (scripts/svc/mmscsim.sh reads them with sv_conf_get).
sv_conf_vaultmms() {
  echo "[mms]"
  sv_conf_key listen "${SV_MMS_PORT:+127.0.0.1}"
  sv_conf_key port "${SV_MMS_PORT:-}"
  sv_conf_key metrics_port "${SV_MMS_METRICS_PORT:-}"
  sv_conf_key sender "${SV_SHORTCODE:-}"
  sv_conf_key retrieve_listen "${SV_MMS_RETRIEVE_PORT:+127.0.0.1}"
  sv_conf_key retrieve_port "${SV_MMS_RETRIEVE_PORT:-}"
  if [ -n "${SV_MMSC_MM7_PORT:-}" ]; then
    echo "[mmsc.${SV_MMSC_NAME:-sim}]"
    sv_conf_key url "http://127.0.0.1:$SV_MMSC_MM7_PORT/mm7"
  fi
}

# sv_conf_get <file> <section> <key> — the value a program reads from a
# smsvault.conf: the last "key = value" of that section in the file (a
# section given again overrides, as sv_conf_write relies on), trimmed.
# Prints nothing when the key is not set.
sv_conf_get() {
  awk -v want="$2" -v key="$3" '
    /^[ \t]*[;#]/ { next }
    /^[ \t]*\[/ { s = $0; gsub(/[][ \t]/, "", s); next }
    s == want {
      k = $0; sub(/[ \t]*=.*/, "", k); gsub(/^[ \t]+/, "", k)
      if (k != key || index($0, "=") == 0) next
      v = $0; sub(/^[^=]*=[ \t]*/, "", v); sub(/[ \t]+$/, "", v); val = v; found = 1
    }
    END { if (found) print val }' "$1"
}

# sv_conf_write <file> — write the stack's smsvault.conf (see above). Needs
# SMSVAULT_PGURI; reads SV_BB_BOX_PORT, SV_SHORTCODE, SV_FORWARD_SHORTCODE,
# SV_WEB_PORT, SV_MMS_PORT, SV_MMS_RETRIEVE_PORT, SV_MMSC_MM7_PORT (and
# SV_MMSC_NAME) when set.
sv_conf_write() {
  local out=$1 p
  [ -n "${SMSVAULT_PGURI:-}" ] || { sv_say "sv_conf_write: SMSVAULT_PGURI is not set"; return 1; }
  mkdir -p "$(dirname "$out")"
  {
    cat "$SV_ROOT/conf/smsvault.conf"
    printf '\n; ---- written by sv_conf_write (scripts/lib.sh): this stack ----\n'
    for p in "${SV_CONF_PROGRAMS[@]}"; do
      "sv_conf_$p"
    done
    if [ -n "${SV_CONF_EXTRA:-}" ]; then
      printf '; ---- SV_CONF_EXTRA ----\n%s\n' "$SV_CONF_EXTRA"
    fi
  } >"$out"
}

# ---- PostgreSQL ----------------------------------------------------------
# PostgreSQL refuses to run as root. As root, the cluster runs as the
# `postgres` user on a directory that user can reach: a checkout in root's
# home is not reachable, so data lives under /var/tmp/smsvault-<uid>-<hash>.

sv_as_pg() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

# Directory for a named cluster of this checkout ("run" for up, "test",
# "bench", one per stack_e2e run, ...).
sv_pg_dir() {
  local tag
  tag=$(printf '%s' "$SV_ROOT" | md5sum | cut -c1-8)
  echo "/var/tmp/smsvault-$(id -u)-$tag/pg-$1"
}

# sv_pg_start <name> <port> — create (once) and start a cluster; a running
# cluster is left as it is, on the port it has. Prints nothing. SV_PG_OPTS:
# more server options for the start (the bench's pg_stat_statements).
sv_pg_start() {
  local name=$1 port=$2 dir
  dir=$(sv_pg_dir "$name")
  mkdir -p "$dir"
  [ "$(id -u)" -eq 0 ] && { chown postgres: "$dir"; chmod 711 "$(dirname "$dir")"; }
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    sv_as_pg "$SV_PGBIN/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 \
      --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; sv_die "initdb failed"; }
  fi
  if sv_as_pg "$SV_PGBIN/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
    return 0
  fi
  sv_as_pg "$SV_PGBIN/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=200 -c shared_buffers=128MB ${SV_PG_OPTS:-}" \
    start >/dev/null || { tail -n 30 "$dir/postgres.log" >&2; sv_die "PostgreSQL did not start"; }
  echo "$port" >"$dir/port"
}

# sv_pg_log_opts <slow_ms> — server options that make PostgreSQL log each
# statement over slow_ms, each checkpoint, autovacuum run and lock wait
# (for sv_pg_log_summary).
sv_pg_log_opts() {
  echo "-c log_min_duration_statement=$1 -c log_checkpoints=on -c log_autovacuum_min_duration=0 -c log_lock_waits=on"
}

# sv_pg_log_summary <log> <from_byte> <slow_ms> [top] — what a cluster
# started with sv_pg_log_opts logged from from_byte on: one line of counts,
# then the `top` (default 0) slowest statements by their first 60 characters,
# how often each went over slow_ms and its longest time.
sv_pg_log_summary() {
  local w
  w=$(tail -c +"$(($2 + 1))" "$1")
  echo "pg_log: over_${3}ms=$(grep -c 'LOG:  duration: ' <<<"$w" || true)" \
    "max_ms=$(grep -o 'LOG:  duration: [0-9.]*' <<<"$w" | awk '{ if ($3 > m) m = $3 } END { printf "%.1f", m }')" \
    "checkpoints=$(grep -c 'LOG:  checkpoint starting' <<<"$w" || true)" \
    "autovacuum=$(grep -cE 'LOG:  automatic (vacuum|analyze)' <<<"$w" || true)" \
    "lock_waits=$(grep -c 'still waiting for' <<<"$w" || true)"
  [ "${4:-0}" -gt 0 ] || return 0
  # "LOG:  duration: 123.456 ms  execute <name>: SELECT ..."
  grep -o 'duration: [0-9.]* ms  [^:]*: .\{0,60\}' <<<"$w" |
    awk '{ ms = $2; $1 = $2 = $3 = ""; k = substr($0, 4); n[k]++; if (ms > max[k]) max[k] = ms }
         END { for (k in n) printf "  slow: %4d x max %8.1f ms  %s\n", n[k], max[k], k }' |
    sort -k5,5gr | awk -v top="$4" 'NR <= top'   # reads it all: no SIGPIPE under pipefail
}

# sv_pg_stop <name> — stop a cluster (fast shutdown); its data stays.
sv_pg_stop() {
  local dir
  dir=$(sv_pg_dir "$1")
  [ -f "$dir/data/PG_VERSION" ] || return 0
  sv_as_pg "$SV_PGBIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
}

# sv_pg_running <name> — pg_ctl status: the postmaster of that data
# directory runs.
sv_pg_running() {
  local dir
  dir=$(sv_pg_dir "$1")
  [ -f "$dir/data/PG_VERSION" ] && sv_as_pg "$SV_PGBIN/pg_ctl" -D "$dir/data" status >/dev/null 2>&1
}

# The port and the postmaster's PID of a running cluster.
sv_pg_port() { cat "$(sv_pg_dir "$1")/port"; }
sv_pg_pid() { head -n 1 "$(sv_pg_dir "$1")/data/postmaster.pid" 2>/dev/null; }

# Connection string for database <db> of cluster <name>.
sv_pg_uri() {
  local dir
  dir=$(sv_pg_dir "$1")
  echo "host=$dir port=$(cat "$dir/port") user=postgres dbname=$2"
}

# sv_pg_dbconn <conninfo> <db> — the same connection string naming database
# <db> (keyword=value form, as sv_pg_uri writes it).
sv_pg_dbconn() {
  case " $1 " in
    *" dbname="*) printf '%s\n' "$1" | sed "s/dbname=[^ ]*/dbname=$2/" ;;
    *) printf '%s dbname=%s\n' "$1" "$2" ;;
  esac
}

# sv_pg_createdb [--keep] <admin-conninfo> <db> — the one way a script makes a
# database: create <db> on the server <admin-conninfo> connects to (as a user
# allowed to create databases) and print the new database's connection
# string. An existing <db> is dropped first, so a test starts from nothing;
# with --keep it is kept as it is (the `up` stack's data).
sv_pg_createdb() {
  local keep=
  if [ "$1" = --keep ]; then keep=1; shift; fi
  local admin=$1 db=$2
  if [ -n "$keep" ] && psql -q -X -tA "$admin" -c "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1; then
    sv_pg_dbconn "$admin" "$db"
    return 0
  fi
  PGOPTIONS="-c client_min_messages=warning" psql -q -X "$admin" -v ON_ERROR_STOP=1 \
    -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" -c "CREATE DATABASE \"$db\"" >/dev/null \
    || { sv_say "cannot create database $db"; return 1; }
  sv_pg_dbconn "$admin" "$db"
}

# sv_pg_dropdb <admin-conninfo> <db> — drop what sv_pg_createdb made (quietly;
# for teardowns).
sv_pg_dropdb() {
  PGOPTIONS="-c client_min_messages=warning" psql -q -X "$1" \
    -c "DROP DATABASE IF EXISTS \"$2\" WITH (FORCE)" >/dev/null 2>&1 || true
}
