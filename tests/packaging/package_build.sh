#!/usr/bin/env bash
# package_build.sh <build-dir> — the Debian packages as an operator makes
# them (packaging/CMakeLists.txt, CPack DEB), from a build of their own in
# <build-dir>/pkg: optimised and without sanitizers, like `./smsvault up`'s
# build (a package of the test build would depend on libasan). Only the
# packaged targets are built, then cpack runs what `--target package` runs.
# The ctest fixture that package_test.sh and install_test.sh need.
set -euo pipefail
BUILD=$(cd "${1:?usage: package_build.sh <build-dir>}" && pwd)
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PKG=$BUILD/pkg
werror=OFF
if [ "${CI:-}" = true ]; then werror=ON; fi
mkdir -p "$PKG"
log=$PKG/package_build.log
if ! { cmake -S "$ROOT" -B "$PKG" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSMSVAULT_SANITIZE=OFF \
        -DSMSVAULT_FUZZ=OFF -DSMSVAULT_WERROR=$werror &&
    cmake --build "$PKG" -j"$(nproc)" --target vaultbox vaultweb vaultmms vaultctl smscsim phonesim package_files &&
    rm -f "$PKG"/*.deb &&
    (cd "$PKG" && cpack -G DEB); } >"$log" 2>&1; then
    tail -n 40 "$log"
    echo "FAIL: the packages were not built (log: $log)"
    exit 1
fi
ls -l "$PKG"/*.deb
