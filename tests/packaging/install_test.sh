#!/usr/bin/env bash
# install_test.sh <build-dir> — the package installed for real with
# `apt-get install ./smsvault_<version>_amd64.deb` on this machine, then
# upgraded and purged:
#   install: the smsvault user, 0640 root:smsvault on smsvault.conf and
#     0400 kannel on kannel.conf (dpkg-statoverride), /var/log/smsvault, Kannel's spool,
#     no unit enabled, no migration (MIGRATE=no); the installed binaries run
#     (shared libraries resolved), the installed units verify, and the
#     installed vaultweb serves the page from /usr/share/smsvault/static;
#   the operator points conninfo at a database through the credential
#     /etc/credstore/smsvault.conninfo (conninfo = @smsvault.conninfo) and
#     upgrades to a newer version (cpack -D CPACK_PACKAGE_VERSION=...): the
#     edited smsvault.conf survives, and the database is not touched while
#     /etc/default/smsvault says MIGRATE=no; with MIGRATE=yes a reinstall
#     migrates it, through the credential;
#   purge: /etc/smsvault, /var/log/smsvault and the overrides are gone.
#
# It changes the machine, so it runs only as root with CI=true (CI's
# throwaway machine) or SMSVAULT_TEST_INSTALL=1, and never where smsvault is
# already installed; otherwise it is skipped (exit 77). It removes what it
# added: the packages (purged), the smsvault user if it created it, its
# credential file, its databases (the teardown of tests/e2e/lib.sh, which
# also stops the vaultweb it runs). Needs the test cluster of ./smsvault test.
set -uo pipefail
BUILD=$(cd "${1:?usage: install_test.sh <build-dir>}" && pwd)
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "not root: the install test needs apt-get and dpkg"
if [ "${CI:-}" != true ] && [ "${SMSVAULT_TEST_INSTALL:-}" != 1 ]; then
    skip "installs smsvault on this machine: runs with CI=true or SMSVAULT_TEST_INSTALL=1"
fi
if dpkg-query -W -f='${Status}' smsvault smsvault-simulators 2>/dev/null | grep -q 'installed'; then
    skip "smsvault is installed here already; the test would replace and purge it"
fi
source "$ROOT/tests/packaging/lib.sh"
e2e_begin package-install
tmp=$VAR
pkg_debs
e2e_db install
uri=$SMSVAULT_PGURI
web_db=sv_install_web_$$
user_existed=0
getent passwd smsvault >/dev/null && user_existed=1
credstore_existed=0
[ -d /etc/credstore ] && credstore_existed=1
# what the suite did to the machine, undone first thing at teardown
undo_install() {
    DEBIAN_FRONTEND=noninteractive dpkg --purge smsvault smsvault-simulators >/dev/null 2>&1
    rm -f /etc/credstore/smsvault.conninfo
    ((credstore_existed)) || rmdir /etc/credstore 2>/dev/null
    if ((!user_existed)) && getent passwd smsvault >/dev/null; then
        deluser --system --quiet smsvault >/dev/null 2>&1
        getent group smsvault >/dev/null && delgroup --system --quiet smsvault >/dev/null 2>&1
    fi
    sv_pg_dropdb "$SMSVAULT_TEST_PGADMIN" "$web_db"
}
e2e_defer undo_install
sql() { psql -X -tA "$uri" -c "$1" 2>/dev/null; }

# apt's and cpack's output go to *.out: the teardown reads *.log for our errors
apt_install() {
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o DPkg::Lock::Timeout=120 \
        -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "$@" >"$tmp/apt.out" 2>&1 \
        || { tail -n 30 "$tmp/apt.out"; return 1; }
}

# ---- install
check "apt-get install ./$(basename "$deb")" apt_install "$deb" "$sim"
check "user smsvault exists" quiet getent passwd smsvault
for f in /usr/sbin/vaultbox /usr/sbin/vaultweb /usr/sbin/vaultmms /usr/bin/vaultctl /usr/bin/smscsim /usr/share/smsvault/static/index.html; do
    check "$f installed" test -e "$f"
done
check "smsvault.conf is root:smsvault 0640" test "$(stat -c '%U:%G %a' /etc/smsvault/smsvault.conf)" = "root:smsvault 640"
check "kannel.conf is kannel's, 0400" test "$(stat -c '%U %a' /etc/smsvault/kannel.conf)" = "kannel 400"
check "/var/log/smsvault belongs to smsvault" test "$(stat -c '%U %a' /var/log/smsvault)" = "smsvault 750"
check "Kannel's spool belongs to kannel" test "$(stat -c '%U' /var/spool/kannel/store)" = "kannel"
check "conffiles registered" test "$(dpkg-query -W -f='${Conffiles}\n' smsvault | awk 'NF {print $1}' | sort | tr '\n' ' ')" \
    = "/etc/default/smsvault /etc/logrotate.d/smsvault /etc/smsvault/kannel.conf /etc/smsvault/smsvault.conf "
check "no unit enabled on a first install" bash -c '! ls /etc/systemd/system/*.wants/ 2>/dev/null | grep -qE "vaultbox|vaultweb|vaultmms|smsvault-bearerbox"'
check "installed vaultctl runs" quiet vaultctl --config /etc/smsvault/smsvault.conf --check-config
check "installed vaultbox runs" quiet vaultbox --config /etc/smsvault/smsvault.conf --check-config
check "installed vaultmms runs" quiet vaultmms --config /etc/smsvault/smsvault.conf --check-config
check "installed smscsim runs" quiet smscsim --check-config
check "logrotate accepts /etc/logrotate.d/smsvault" quiet logrotate -d /etc/logrotate.d/smsvault
if command -v systemd-analyze >/dev/null; then
    for u in vaultbox vaultweb vaultmms smsvault-bearerbox; do
        out=$(systemd-analyze verify "/lib/systemd/system/$u.service" 2>&1)
        check "installed $u.service verifies${out:+: $out}" test -z "$out"
    done
else
    echo "SKIP: systemd-analyze is not installed; installed units not verified"
fi

# the installed vaultweb, as its unit runs it (user smsvault), with no
# static_dir in its configuration: the page comes from /usr/share/smsvault
# (a database of its own: vaultweb migrates at start)
port=$(sv_free_port)
web_uri=$(sv_pg_createdb "$SMSVAULT_TEST_PGADMIN" "$web_db") || bad "cannot create database $web_db"
printf '[database]\nconninfo = %s\n[web]\nport = %s\n' "$web_uri" "$port" >"$tmp/web.conf"
chmod 0644 "$tmp/web.conf"
chmod 0755 "$tmp"
runuser -u smsvault -- /usr/sbin/vaultweb -c "$tmp/web.conf" >"$tmp/vaultweb.log" 2>&1 &
web_pid=$!
e2e_bg "$web_pid"
if sv_wait_tcp "$port" 30 "$web_pid"; then
    page=$(curl -fsS "http://127.0.0.1:$port/" 2>&1)
    check "installed vaultweb serves the page from /usr/share/smsvault" grep -q '<title>smsvault' <<<"$page"
else
    bad "installed vaultweb did not listen: $(tail -n 5 "$tmp/vaultweb.log")"
fi
kill -TERM "$web_pid" 2>/dev/null
wait "$web_pid" 2>/dev/null

# ---- the operator edits /etc (MIGRATE stays no), then upgrades
sed -i 's|^conninfo = .*|conninfo = @smsvault.conninfo|; s|^password_checks = 1$|password_checks = 2|' \
    /etc/smsvault/smsvault.conf
install -d -m 0700 /etc/credstore
printf '%s\n' "$uri" >/etc/credstore/smsvault.conninfo
chmod 0600 /etc/credstore/smsvault.conninfo
version=$(dpkg-deb -f "$deb" Version)
newer=$version+test1
new_deb=$PKG/upgrade/smsvault_${newer}_amd64.deb
rm -rf "$PKG/upgrade"
if (cd "$PKG" && cpack -G DEB -D CPACK_PACKAGE_VERSION="$newer" -B "$PKG/upgrade") >"$tmp/cpack.out" 2>&1; then
    check "apt-get install the newer smsvault_$newer" apt_install "$new_deb"
else
    bad "cpack of version $newer: $(tail -n 5 "$tmp/cpack.out")"
fi
check "version $newer installed" test "$(dpkg-query -W -f='${Version}' smsvault)" = "$newer"
check "the edited smsvault.conf survived the upgrade" \
    grep -qx 'password_checks = 2' /etc/smsvault/smsvault.conf
check "the edited conninfo survived the upgrade" grep -qx 'conninfo = @smsvault.conninfo' /etc/smsvault/smsvault.conf
check "no .dpkg-dist or .dpkg-new left (the shipped file did not change)" \
    bash -c '! ls /etc/smsvault/*.dpkg-* 2>/dev/null | grep -q .'
check "the override survived the upgrade" test "$(stat -c '%G %a' /etc/smsvault/smsvault.conf)" = "smsvault 640"
check "no migration while MIGRATE=no" test "$(sql "SELECT to_regclass('schema_version') IS NULL")" = t

# ---- MIGRATE=yes: postinst migrates, as smsvault, through the credential
sed -i 's/^MIGRATE=no$/MIGRATE=yes/' /etc/default/smsvault
check "apt-get install --reinstall with MIGRATE=yes" apt_install --reinstall "$new_deb"
latest=$(ls "$ROOT/store/migrations" | sed -n 's/^\([0-9][0-9][0-9]\)_.*\.sql$/\1/p' | sort | tail -n 1)
check "postinst migrated the database through the credential" \
    test "$(sql "SELECT max(version) FROM schema_version")" = "$((10#$latest))"
check "MIGRATE=yes survived the reinstall" grep -qx 'MIGRATE=yes' /etc/default/smsvault
check "no copy of the credential left in /run" bash -c '! ls -d /run/smsvault-migrate.* 2>/dev/null | grep -q .'

# ---- purge
check "dpkg --purge smsvault smsvault-simulators" quiet dpkg --purge smsvault smsvault-simulators
check "/etc/smsvault gone" test ! -e /etc/smsvault
check "/var/log/smsvault gone" test ! -e /var/log/smsvault
check "/etc/default/smsvault gone" test ! -e /etc/default/smsvault
check "no stat override left" bash -c '! dpkg-statoverride --list | grep -q /etc/smsvault/'
check "the database is never touched by purge" test "$(sql "SELECT count(*) FROM schema_version")" -gt 0

pkg_end
