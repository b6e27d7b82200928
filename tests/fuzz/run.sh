#!/usr/bin/env bash
# tests/fuzz/run.sh [seconds] [fuzzer...] — build the libFuzzer harnesses
# with clang-14 (ASan + UBSan) in build-fuzz/ and run each for `seconds`
# (default 60), or until FUZZ_RUNS executions when that is set (the
# seconds then bound it; README's figures: FUZZ_RUNS=10000000), in
# FUZZ_FORK worker processes when that is set. Seeds come
# from tests/fuzz/corpus/<fuzzer>/; the growing corpus and any crash files
# stay in build-fuzz/. Not part of ctest; the seeds alone are
# (<harness>_corpus_replay, tests/fuzz/replay.c): keep a crash found here
# as a seed in tests/fuzz/corpus/<harness>/. Figures: tests/fuzz/README.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
secs=${1:-60}
shift || true
build=${FUZZ_BUILD:-$root/build-fuzz}
command -v clang-14 >/dev/null || { echo "fuzz: clang-14 is not installed (apt-get install clang-14 libclang-rt-14-dev)" >&2; exit 2; }
# -O1, as OSS-Fuzz builds its sanitizer fuzzers: on fuzz_card's corpus 1.6x
# the executions per second of -O0 (-O2 no faster, and fewer edges seen)
CC=clang-14 cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_FLAGS_DEBUG="-O1 -g" \
  -DSMSVAULT_SANITIZE=ON -DSMSVAULT_WERROR=OFF -DSMSVAULT_FUZZ=ON >/dev/null
all=(fuzz_core fuzz_mo fuzz_card fuzz_vcard fuzz_import_xml fuzz_import_csv fuzz_import_vcard fuzz_json fuzz_mms_pdu
     fuzz_mm7)
[ $# -gt 0 ] && all=("$@")
cmake --build "$build" -j"${FUZZ_BUILD_JOBS:-$(nproc)}" --target "${all[@]}" >/dev/null
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
rc=0
for f in "${all[@]}"; do
  corpus=$build/corpus/$f
  mkdir -p "$corpus" "$build/crashes"
  seeds=()
  [ -d "$root/tests/fuzz/corpus/$f" ] && seeds=("$root/tests/fuzz/corpus/$f")
  echo "fuzz: $f for ${secs}s"
  runs=()
  [ -n "${FUZZ_RUNS:-}" ] && runs=(-runs="$FUZZ_RUNS")
  # FUZZ_FORK=n: one run in n worker processes (libFuzzer's -fork), its
  # executions counted together, for a harness that needs more than a core
  [ -n "${FUZZ_FORK:-}" ] && runs+=(-fork="$FUZZ_FORK")
  if ! "$build/tests/fuzz/$f" -max_total_time="$secs" "${runs[@]}" -max_len=70000 -timeout=10 -rss_limit_mb=2048 \
      -artifact_prefix="$build/crashes/$f-" -print_final_stats=1 "$corpus" "${seeds[@]}" \
      >"$build/$f.log" 2>&1; then
    echo "fuzz: $f FAILED; see $build/$f.log and $build/crashes/" >&2
    rc=1
  fi
  grep -E '^stat::(number_of_executed_units|average_exec_per_sec)|^#[0-9]+ *DONE|fuzzed for [0-9]+ iterations' \
    "$build/$f.log" || true
done
exit $rc
