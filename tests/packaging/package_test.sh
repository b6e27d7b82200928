#!/usr/bin/env bash
# package_test.sh <build-dir> — what is in the packages package_build.sh
# made, without installing them: the file list (dpkg-deb -c: binaries in
# /usr/sbin and /usr/bin, the page in /usr/share/smsvault/static, config in
# /etc, units in /lib/systemd/system, no simulator in the main package),
# the control data (dpkg-deb -I: conffiles, dependencies from dpkg-shlibdeps,
# maintainer scripts), vaultweb's compiled-in static_dir, stripped and
# hardened binaries, lintian with no finding that is neither fixed nor
# explained in packaging/lintian-notes.md, the logrotate file, and the
# units: `systemd-analyze verify` and `security` (exposure at most 2.0) on
# the shipped files (vaultmms's among them). Needs no database.
set -uo pipefail
BUILD=$(cd "${1:?usage: package_test.sh <build-dir>}" && pwd)
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
source "$ROOT/tests/packaging/lib.sh"
e2e_begin package-contents
tmp=$VAR
pkg_debs
version=$(dpkg-deb -f "$deb" Version)
check "file name is smsvault_<version>_amd64.deb" test "$(basename "$deb")" = "smsvault_${version}_amd64.deb"

# ---- contents
dpkg-deb -c "$deb" | awk '{print $1, $2, $6}' | sed 's|\./|/|' >"$tmp/list"
has() { grep -qE "^$1 root/root $2\$" "$tmp/list"; }
for f in /usr/sbin/vaultbox /usr/sbin/vaultweb /usr/sbin/vaultmms /usr/bin/vaultctl; do
    check "$f is an executable" has '-rwxr-xr-x' "$f"
done
for f in /usr/share/smsvault/static/index.html /usr/share/smsvault/static/app.css \
    /usr/share/smsvault/static/js/app.js /etc/smsvault/smsvault.conf /etc/smsvault/kannel.conf \
    /etc/default/smsvault /etc/logrotate.d/smsvault /lib/systemd/system/vaultbox.service \
    /lib/systemd/system/vaultweb.service /lib/systemd/system/vaultmms.service \
    /lib/systemd/system/smsvault-bearerbox.service /usr/lib/tmpfiles.d/smsvault.conf \
    /usr/share/man/man8/vaultbox.8.gz /usr/share/man/man8/vaultweb.8.gz /usr/share/man/man8/vaultmms.8.gz \
    /usr/share/man/man1/vaultctl.1.gz /usr/share/doc/smsvault/copyright /usr/share/doc/smsvault/changelog.gz; do
    check "$f" has '-rw-r--r--' "$f"
done
check "the page's files are all there" test "$(grep -c ' /usr/share/smsvault/static/.*[^/]$' "$tmp/list")" \
    = "$(find "$ROOT/web/static" -type f | wc -l)"
check "no simulator in smsvault" bash -c "! grep -qE 'smscsim|phonesim' '$tmp/list'"
check "nothing under /usr/local" bash -c "! grep -q ' /usr/local' '$tmp/list'"
dpkg-deb -c "$sim" | awk '{print $6}' >"$tmp/simlist"
check "smsvault-simulators has smscsim and phonesim" \
    bash -c "grep -qx './usr/bin/smscsim' '$tmp/simlist' && grep -qx './usr/bin/phonesim' '$tmp/simlist'"

# ---- control
dpkg-deb -e "$deb" "$tmp/control"
printf '%s\n' /etc/smsvault/smsvault.conf /etc/smsvault/kannel.conf /etc/default/smsvault \
    /etc/logrotate.d/smsvault >"$tmp/want-conffiles"
check "conffiles: the four files in /etc" diff -u "$tmp/want-conffiles" "$tmp/control/conffiles"
for s in postinst prerm postrm; do
    check "$s is an executable sh script" bash -c "[ -x '$tmp/control/$s' ] && sh -n '$tmp/control/$s'"
done
depends=$(dpkg-deb -f "$deb" Depends)
for d in adduser kannel libpq5 libmicrohttpd12 libsodium23 libinih1 libjansson4 libc6; do
    check "Depends: $d" grep -qE "(^|, )$d( |,|\$)" <<<"$depends"
done
check "no sanitizer runtime in Depends" bash -c "! grep -qE 'libasan|libubsan' <<<'$depends'"
check "Recommends postgresql (the database may live elsewhere)" \
    grep -q postgresql <<<"$(dpkg-deb -f "$deb" Recommends)"
echo "  Depends: $depends"

# ---- binaries
dpkg-deb -x "$deb" "$tmp/root"
for b in usr/sbin/vaultbox usr/sbin/vaultweb usr/sbin/vaultmms usr/bin/vaultctl; do
    check "$b stripped" bash -c "! readelf -S '$tmp/root/$b' | grep -qE '\\.symtab|\\.comment'"
    check "$b linked with bind-now" bash -c "readelf -d '$tmp/root/$b' | grep -q BIND_NOW"
done
out=$("$tmp/root/usr/sbin/vaultweb" --check-config 2>&1)
check "vaultweb finds the page where the package puts it" \
    grep -q '^\[web\] static_dir = /usr/share/smsvault/static ' <<<"$out"
out=$("$tmp/root/usr/sbin/vaultbox" --config "$tmp/root/etc/smsvault/smsvault.conf" --check-config 2>&1)
check "vaultbox accepts the shipped smsvault.conf" grep -q '^\[box\] box_id = vaultbox ' <<<"$out"
out=$("$tmp/root/usr/sbin/vaultweb" -c "$tmp/root/etc/smsvault/smsvault.conf" --check-config 2>&1)
check "vaultweb accepts the shipped smsvault.conf" grep -q '^\[database\] conninfo = host=/var/run/postgresql ' <<<"$out"
out=$("$tmp/root/usr/sbin/vaultmms" --config "$tmp/root/etc/smsvault/smsvault.conf" --check-config 2>&1)
check "vaultmms accepts the shipped smsvault.conf" grep -q '^\[mms\] port = ' <<<"$out"

# ---- lintian: nothing but overrides, each one explained
if command -v lintian >/dev/null; then
    lintian -I -E --pedantic --show-overrides --tag-display-limit 0 "$deb" "$sim" 2>&1 |
        grep -E '^[EWIPXO]: ' >"$tmp/lintian"
    sed 's/^/  lintian: /' "$tmp/lintian"
    check "lintian: no finding that is not overridden" bash -c "! grep -qE '^[EWIPX]: ' '$tmp/lintian'"
    for tag in $(sed -n 's/^O: [^ ]* \([a-z0-9.+-]*\).*/\1/p' "$tmp/lintian" | sort -u); do
        check "lintian override $tag explained in lintian-notes.md" grep -q "^### $tag " "$ROOT/packaging/lintian-notes.md"
    done
else
    bad "lintian is not installed (scripts/lib.sh SV_PACKAGES has it)"
fi

# ---- logrotate
if command -v logrotate >/dev/null; then
    # the smsvault user exists once installed (install_test.sh checks that file as is)
    sed 's/^\tcreate 0640 smsvault smsvault$/\tcreate 0640 root root/' "$tmp/root/etc/logrotate.d/smsvault" \
        >"$tmp/logrotate.conf"
    check "logrotate accepts /etc/logrotate.d/smsvault" \
        bash -c "logrotate -d '$tmp/logrotate.conf' >'$tmp/logrotate.out' 2>&1 && ! grep -qi 'error' '$tmp/logrotate.out'"
else
    echo "SKIP: logrotate is not installed; /etc/logrotate.d/smsvault not checked"
fi

# ---- units: the shipped files, with ExecStart= pointing into the extracted
# package (systemd-analyze verify checks that each command exists, and runs
# man for Documentation=)
if command -v systemd-analyze >/dev/null; then
    mkdir -p "$tmp/units" "$tmp/root/usr/sbin"
    for u in "$tmp"/root/lib/systemd/system/*.service; do
        sed "s|^ExecStart=/usr/sbin/vault|ExecStart=$tmp/root/usr/sbin/vault|" "$u" >"$tmp/units/$(basename "$u")"
    done
    for u in "$tmp"/units/*.service; do
        name=$(basename "$u")
        out=$(MANPATH="$tmp/root/usr/share/man:/usr/share/man" systemd-analyze verify "$u" 2>&1)
        check "systemd-analyze verify $name${out:+: $out}" test -z "$out"
        score=$(systemd-analyze security --offline=true "$u" 2>&1 | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
        echo "  systemd-analyze security $name: ${score:-?}"
        # --threshold counts tenths: 20 is an exposure of 2.0
        check "systemd-analyze security $name at most 2.0" \
            quiet systemd-analyze security --offline=true --threshold=20 "$u"
    done
else
    echo "SKIP: systemd-analyze is not installed; units not verified"
fi

pkg_end
