#!/usr/bin/env bash
# `npm run fuzz`: builds the libFuzzer targets of tests/fuzz (clang, ASan + UBSan, in build/fuzz)
# and runs each for FUZZ_SECONDS (default 60), starting from the seeds in tests/fuzz/corpus/<target>
# with the target's dictionary. What a run learns goes to build/fuzz/corpus/<target> (kept between
# runs, never into the repository); a crash is saved under build/fuzz/artifacts/<target>/ and makes
# the script fail. Reproduce one with: build/fuzz/fuzz/fuzz_<target> <crash file>.
#   FUZZ_SECONDS=600 npm run fuzz          FUZZ_TARGETS="state config" npm run fuzz
set -euo pipefail
cd "$(dirname "$0")/.."
export NODE_PATH=/usr/share/nodejs

SECONDS_EACH=${FUZZ_SECONDS:-60}
ALL_TARGETS="qr_payload link response start_response verify_response pin_challenge state config push messages_response"
TARGETS=${FUZZ_TARGETS:-$ALL_TARGETS}
CXX_FOR_FUZZ=${TAPGATE_FUZZ_CXX:-clang++-14}
CC_FOR_FUZZ=${TAPGATE_FUZZ_CC:-clang-14}

if ! command -v "$CXX_FOR_FUZZ" >/dev/null; then
  echo "fuzz: $CXX_FOR_FUZZ is missing (scripts/setup.sh installs clang-14 and libclang-rt-14-dev)" >&2
  exit 1
fi
if [ ! -f build/fuzz/build.ninja ]; then
  CC=$CC_FOR_FUZZ CXX=$CXX_FOR_FUZZ cmake -S . -B build/fuzz -G Ninja -DCMAKE_BUILD_TYPE=Release -DTAPGATE_FUZZ=ON >/dev/null
fi
cmake --build build/fuzz --target fuzzers

dict_for() {
  case "$1" in
    qr_payload) echo tests/fuzz/qr.dict ;;
    link) echo tests/fuzz/link.dict ;;
    push | messages_response) echo tests/fuzz/push.dict ;;
    *) echo tests/fuzz/json.dict ;;
  esac
}

summary=build/fuzz/summary.txt
: >"$summary"
failed=0
for t in $TARGETS; do
  work=build/fuzz/corpus/$t
  artifacts=build/fuzz/artifacts/$t
  mkdir -p "$work" "$artifacts"
  log=build/fuzz/$t.log
  printf '[fuzz] %-16s %ss ... ' "$t" "$SECONDS_EACH"
  set +e
  "build/fuzz/fuzz/fuzz_$t" -max_total_time="$SECONDS_EACH" -timeout=10 -print_final_stats=1 \
    -dict="$(dict_for "$t")" -artifact_prefix="$artifacts/" "$work" "tests/fuzz/corpus/$t" >"$log" 2>&1
  rc=$?
  set -e
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  cov=$(grep -Eo 'cov: [0-9]+' "$log" | tail -n 1 | cut -d' ' -f2)
  if [ "$rc" = 0 ]; then
    echo "ok: ${execs:-?} executions, coverage ${cov:-?} edges"
    printf '%-16s %12s executions  %6s edges  ok\n' "$t" "${execs:-?}" "${cov:-?}" >>"$summary"
  else
    failed=1
    echo "FAILED (exit $rc): see $log and $artifacts/"
    grep -E 'ERROR|SUMMARY|property violated|runtime error' "$log" | head -n 5 | sed 's/^/    /'
    printf '%-16s %12s executions  %6s edges  FAILED\n' "$t" "${execs:-?}" "${cov:-?}" >>"$summary"
  fi
done
echo "[fuzz] summary (also in $summary):"
cat "$summary"
exit $failed
