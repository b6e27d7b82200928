# scripts/lib.sh — shell helpers shared by ./smsvault, the e2e tests and the
# benchmark: dependency install, building, free ports, readiness polling,
# background processes tracked by PID, and private PostgreSQL clusters.
#
# Sourced, not run. Functions are prefixed sv_. Nothing here kills a process
# it did not start: every process is tracked through a pid file it wrote.

SV_ROOT=${SV_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
SV_PGBIN=${SV_PGBIN:-/usr/lib/postgresql/15/bin}

# Debian packages the project needs (build, run, test; lintian, logrotate,
# file and dpkg-dev for the .deb: packaging/).
SV_PACKAGES=(
  build-essential cmake pkg-config git ca-certificates
  postgresql postgresql-contrib libpq-dev
  kannel kannel-dev libsmpp34-dev
  uuid-dev libcunit1-dev libmicrohttpd-dev libjansson-dev libsodium-dev
  libinih-dev libcurl4-openssl-dev libxml2-dev
  chromium fonts-wqy-microhei fonts-noto-color-emoji
  procps iproute2 curl jq
  lintian logrotate file dpkg-dev
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
  apt-get update -qq >/dev/null || sv_die "apt-get update failed"
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || sv_die "apt-get install failed: ${missing[*]}"
  # Debian's kannel package may start its own bearerbox from its init script;
  # ours runs from conf/ on other ports, so that one is left alone.
}

# sv_build <dir> <cmake args...> — configure once, build with both cores.
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
      return
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
    kill -0 "$pid" 2>/dev/null || return 1
    sv_port_open "$port" && return 0
    sleep 0.05
  done
  return 1
}

# Services write <vardir>/run/<name>.pid and <vardir>/log/<name>.log.
sv_pid() { [ -f "$2/run/$1.pid" ] && cat "$2/run/$1.pid"; }

sv_running() {
  local pid
  pid=$(sv_pid "$1" "$2") || return 1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

# sv_start_bg <name> <vardir> <command...> — start in the background with
# output to <vardir>/log/<name>.log and the PID in <vardir>/run/<name>.pid.
sv_start_bg() {
  local name=$1 vardir=$2; shift 2
  mkdir -p "$vardir/log" "$vardir/run"
  "$@" >>"$vardir/log/$name.log" 2>&1 </dev/null &
  echo $! >"$vardir/run/$name.pid"
}

# sv_stop_bg <name> <vardir> — stop what sv_start_bg started.
sv_stop_bg() { sv_stop_pidfile "$2/run/$1.pid" "$1"; }

# sv_stop_pidfile <pidfile> <name> — TERM the recorded PID (a process we
# started), wait up to 10 s, then KILL; remove the pid file.
sv_stop_pidfile() {
  local pidfile=$1 name=$2 pid i
  [[ -f $pidfile ]] || return 0
  pid=$(<"$pidfile")
  if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null
    for (( i = 0; i < 200; i++ )); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.05
    done
    if kill -0 "$pid" 2>/dev/null; then
      sv_say "$name pid=$pid did not stop in 10 s, killing"
      kill -KILL "$pid" 2>/dev/null
    fi
  fi
  rm -f "$pidfile"
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

# Directory for a named cluster of this checkout ("run", "test", ...).
sv_pg_dir() {
  local tag
  tag=$(printf '%s' "$SV_ROOT" | md5sum | cut -c1-8)
  echo "/var/tmp/smsvault-$(id -u)-$tag/pg-$1"
}

# sv_pg_start <name> <port> — create (once) and start a cluster; prints nothing.
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
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=200 -c shared_buffers=128MB" \
    start >/dev/null || { tail -n 30 "$dir/postgres.log" >&2; sv_die "PostgreSQL did not start"; }
  echo "$port" >"$dir/port"
}

sv_pg_stop() {
  local dir
  dir=$(sv_pg_dir "$1")
  [ -f "$dir/data/PG_VERSION" ] || return 0
  sv_as_pg "$SV_PGBIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
}

sv_pg_running() {
  local dir
  dir=$(sv_pg_dir "$1")
  [ -f "$dir/data/PG_VERSION" ] && sv_as_pg "$SV_PGBIN/pg_ctl" -D "$dir/data" status >/dev/null 2>&1
}

# Connection string for database <db> of cluster <name>.
sv_pg_uri() {
  local dir
  dir=$(sv_pg_dir "$1")
  echo "host=$dir port=$(cat "$dir/port") user=postgres dbname=$2"
}

# sv_pg_createdb <name> <db> — (re)create an empty database.
sv_pg_createdb() {
  local dir
  dir=$(sv_pg_dir "$1")
  PGOPTIONS="-c client_min_messages=warning" psql -q -X "$(sv_pg_uri "$1" postgres)" -v ON_ERROR_STOP=1 \
    -c "DROP DATABASE IF EXISTS \"$2\" WITH (FORCE)" -c "CREATE DATABASE \"$2\"" >/dev/null
}

sv_pg_ensuredb() {
  psql -q -X -tA "$(sv_pg_uri "$1" postgres)" -c "SELECT 1 FROM pg_database WHERE datname = '$2'" \
    | grep -q 1 || psql -q -X "$(sv_pg_uri "$1" postgres)" -c "CREATE DATABASE \"$2\"" >/dev/null
}

# sv_test_db <name> — for a test run under ./smsvault test: (re)create an
# empty database <name> in the test cluster and print its connection string,
# so each e2e suite starts from nothing and suites never share rows.
sv_test_db() {
  [ -n "${SMSVAULT_TEST_PGADMIN:-}" ] || sv_die "SMSVAULT_TEST_PGADMIN is not set (run through ./smsvault test)"
  PGOPTIONS="-c client_min_messages=warning" psql -q -X "$SMSVAULT_TEST_PGADMIN" -v ON_ERROR_STOP=1 \
    -c "DROP DATABASE IF EXISTS \"$1\" WITH (FORCE)" -c "CREATE DATABASE \"$1\"" >/dev/null \
    || sv_die "cannot create test database $1"
  printf '%s\n' "$SMSVAULT_TEST_PGADMIN" | sed "s/dbname=[^ ]*/dbname=$1/"
}
