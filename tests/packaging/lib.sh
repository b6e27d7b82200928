# tests/packaging/lib.sh — what the package suites share, on top of the e2e
# set-up and teardown (tests/e2e/lib.sh: e2e_begin makes VAR and stops what
# the suite started, drops its database, fails on ERROR in our *.log files):
# a list of named checks that each say ok or FAIL and are counted, so one
# run reports every finding, and the .debs package_build.sh made. Sourced
# after BUILD is set.

source "$(dirname "${BASH_SOURCE[0]}")/../e2e/lib.sh"

PKG=$BUILD/pkg
pkg_fails=0
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; pkg_fails=$((pkg_fails + 1)); }
# check <what> <command...>: ok when the command succeeds, else FAIL
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }
quiet() { "$@" >/dev/null 2>&1; }

# pkg_debs: deb and sim, the one smsvault_*.deb and smsvault-simulators_*.deb
# in $PKG, or the suite fails.
pkg_debs() {
    local -a debs sims
    shopt -s nullglob
    debs=("$PKG"/smsvault_*_amd64.deb)
    sims=("$PKG"/smsvault-simulators_*_amd64.deb)
    shopt -u nullglob
    [ ${#debs[@]} -eq 1 ] && [ ${#sims[@]} -eq 1 ] ||
        e2e_fail "expected one smsvault_<version>_amd64.deb and one smsvault-simulators_<version>_amd64.deb in $PKG (package_build)"
    deb=${debs[0]} sim=${sims[0]}
}

# pkg_end: the count of failures; the suite passes with none.
pkg_end() {
    echo "$pkg_fails failure(s)"
    ((pkg_fails == 0)) || e2e_fail "$pkg_fails check(s) failed"
    e2e_pass
}
