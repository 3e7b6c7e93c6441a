#!/usr/bin/env bash
# Runs the long versions of the reliability tests of jsonmmap-core and prints a summary table:
# the cross-process torn-read stress test, the reader fuzzer with many more tries, the crash
# campaign (a writer JVM killed with SIGKILL mid-publish) repeated, failover, the full-disk and
# hostile-environment tests. CI runs the short versions of the same tests.
#
#   ./soak.sh [--minutes N]     total budget, default 10 (roughly: 40% stress, 25% one fuzz run
#                               with as many cases as fit, the rest crash rounds; failover and
#                               the others run once)
#
# Logs go to target/soak/; the exit status is non-zero when any run failed.
set -euo pipefail

cd "$(dirname "$0")"

usage() {
  sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'
}

minutes=10
while [ $# -gt 0 ]; do
  case "$1" in
    --minutes) minutes="${2:?--minutes needs a value}"; shift 2 ;;
    --minutes=*) minutes="${1#*=}"; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "soak.sh: unknown argument: $1" >&2; usage >&2; exit 2 ;;
  esac
done
case "$minutes" in
  ''|*[!0-9]*|0) echo "soak.sh: --minutes must be a positive whole number: $minutes" >&2; exit 2 ;;
esac

budget=$((minutes * 60))
stress_seconds=$((budget * 40 / 100))
[ "$stress_seconds" -ge 20 ] || stress_seconds=20
# One fuzz run for a quarter of the budget: the reader opens about 1,500 damaged files a second on
# two cores, and -Djsonmmap.fuzz.tries=N runs N cases in each of three fuzz tests and N/2 in each of
# the other four (5 N opens in all; CI runs N=10,000, 50,000 opens).
fuzz_seconds=$((budget * 25 / 100))
fuzz_tries=$((fuzz_seconds * 1500 / 5))
[ "$fuzz_tries" -ge 10000 ] || fuzz_tries=10000

logs=target/soak
mkdir -p "$logs"
failed=0
started=$(date +%s)

# run NAME TEST [extra maven arguments...]: one Maven run of the core tests, logged.
run() {
  local name=$1 test=$2
  shift 2
  local log="$logs/$name.log"
  echo "soak: $name ($test $*) -> $log" >&2
  if ./mvnw -B -pl jsonmmap-core test -Dspotless.check.skip=true -Dsurefire.failIfNoSpecifiedTests=false \
      -Dtest="$test" "$@" >"$log" 2>&1; then
    echo "soak: $name passed" >&2
    echo "ok" >"$logs/$name.status"
  else
    echo "soak: $name FAILED (see $log)" >&2
    echo "FAILED" >"$logs/$name.status"
    failed=1
  fi
}

# field LOG PREFIX KEY: the value of KEY=value on the last line of LOG that contains PREFIX.
field() {
  grep -h -- "$2" "$1" 2>/dev/null | tail -n 1 | grep -o "\b$3=[^ ]*" | head -n 1 | cut -d= -f2- || true
}

# tests LOG: the last surefire total of LOG, as run/failures/errors/skipped.
tests() {
  grep -h 'Tests run:' "$1" 2>/dev/null | tail -n 1 |
    sed -E 's/.*Tests run: ([0-9]+), Failures: ([0-9]+), Errors: ([0-9]+), Skipped: ([0-9]+).*/\1 run, \2 failed, \3 errors, \4 skipped/' || true
}

rm -f "$logs"/*.log "$logs"/*.status

run stress 'CrossProcessTest#readersInOtherJvmsNeverSeeATornDocumentWhileTheWriterPublishesAndGrows' \
  -Djsonmmap.stress.seconds="$stress_seconds"
run fuzz 'ReaderFuzzTest' -Djsonmmap.fuzz.tries="$fuzz_tries"
run failover 'CrossProcessTest#standbyTakesOverWhenTheWriterProcessDiesAndNeverTwoWritersAtOnce'
run hostile 'HostileEnvironmentTest,FullDiskTest'

# Crash rounds until the budget is spent (at least one).
round=0
while :; do
  round=$((round + 1))
  run "crash-$round" 'CrossProcessTest#writerKilledMidPublishLeavesTheLastCommittedVersionAndANewWriterContinues'
  [ $(($(date +%s) - started)) -lt "$budget" ] || break
done

kills=0
mid=0
for log in "$logs"/crash-*.log; do
  value=$(field "$log" 'crash test:' kills)
  kills=$((kills + ${value:-0}))
  value=$(field "$log" 'crash test:' midPublish)
  mid=$((mid + ${value:-0}))
done
crash_ok=$(cat "$logs"/crash-*.status | grep -c '^ok$' || true)

fuzz_figure() { field "$logs/fuzz.log" 'reader fuzz:' "$1"; }

invalid=0
for value in $(grep -h 'stress reader:' "$logs/stress.log" 2>/dev/null | grep -o 'invalid=[0-9]*' | cut -d= -f2); do
  invalid=$((invalid + value))
done

status() { cat "$logs/$1.status" 2>/dev/null || echo "not run"; }

elapsed=$(($(date +%s) - started))
echo
echo "jsonmmap soak: ${minutes} min budget, ran $((elapsed / 60)) min $((elapsed % 60)) s"
printf '%-10s %-8s %s\n' "test" "status" "figures"
printf '%-10s %-8s %s\n' "----" "------" "-------"
printf '%-10s %-8s %s\n' stress "$(status stress)" \
  "seconds=$stress_seconds publishes=$(field "$logs/stress.log" 'stress writer:' publishes) generation=$(field "$logs/stress.log" 'stress writer:' generation) totalReads=$(field "$logs/stress.log" 'stress writer:' totalReads) totalApiReads=$(field "$logs/stress.log" 'stress writer:' totalApiReads) invalidReads=$invalid"
printf '%-10s %-8s %s\n' fuzz "$(status fuzz)" \
  "tries=$fuzz_tries opens=$(fuzz_figure opens) returnedCommitted=$(fuzz_figure committed) returnedPlanted=$(fuzz_figure planted) cleanErrors=$(fuzz_figure errors) maxAllocatedPerOpen=$(fuzz_figure maxAllocatedPerOpen)"
printf '%-10s %-8s %s\n' crash "$crash_ok/$round ok" "rounds=$round kills=$kills midPublish=$mid"
printf '%-10s %-8s %s\n' failover "$(status failover)" \
  "$(grep -h 'failover:' "$logs/failover.log" 2>/dev/null | tail -n 1 | sed 's/^failover: //')"
printf '%-10s %-8s %s\n' hostile "$(status hostile)" \
  "$(tests "$logs/hostile.log"); $(grep -h 'full disk test:' "$logs/hostile.log" 2>/dev/null | tail -n 1 | cut -c1-60)"
exit "$failed"
