#!/usr/bin/env bash
# The jsonmmap command line round trip: builds the CLI if needed, then in a temporary directory
# creates a file, watches it from another process, changes it with every write command, reads it
# back, inspects, verifies and rolls back, and shows what the watcher saw.
#
# Logs: target/demo-logs/build.log, watch.out (what the watcher printed) and watch.err.
#
# Usage: ./demo.sh [--once] [--keep]
#   --once  run the round trip once and exit 0 (the demo always does; accepted for callers)
#   --keep  keep the temporary directory (its path is printed) instead of deleting it
set -euo pipefail

keep=false
for arg in "$@"; do
  case "$arg" in
    --once) ;; # the round trip always runs once and exits
    --keep) keep=true ;;
    -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "demo.sh: unknown argument: $arg (use --once, --keep or --help)" >&2; exit 2 ;;
  esac
done

root=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/jsonmmap-demo.XXXXXX")
logs="$root/target/demo-logs"
mkdir -p "$logs"
build_log="$logs/build.log"
watch_out="$logs/watch.out"
watch_err="$logs/watch.err"
watch_pid=""

cleanup() {
  local status=$?
  if [ -n "$watch_pid" ] && kill -0 "$watch_pid" 2>/dev/null; then
    kill "$watch_pid" 2>/dev/null || true
    wait "$watch_pid" 2>/dev/null || true
  fi
  if [ "$keep" = true ]; then
    echo "demo.sh: kept $work"
  else
    rm -rf "$work"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

section() { printf '\n== %s\n' "$*"; }

# Runs the CLI in the work directory, echoing the command line as a shell would show it.
jm() {
  local line="$ jsonmmap" arg
  for arg in "$@"; do
    if [[ "$arg" =~ ^[A-Za-z0-9_./@:=,+-]+$ ]]; then
      line+=" $arg"
    else
      line+=" '$arg'"  # no argument below contains a single quote
    fi
  done
  echo "$line"
  (cd "$work" && "$root/jsonmmap" "$@")
}

# Waits (at most 20 s) until a file has a line matching a pattern.
await_line() {
  local file=$1 pattern=$2 deadline=$((SECONDS + 20))
  until grep -q -- "$pattern" "$file" 2>/dev/null; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "demo.sh: timed out waiting for '$pattern' in $file" >&2
      cat "$file" >&2 || true
      exit 1
    fi
    sleep 0.1
  done
}

section "build (log: $build_log)"
if ! (cd "$root" && ./mvnw -q -B -pl jsonmmap-cli -am package -DskipTests) >"$build_log" 2>&1; then
  echo "demo.sh: build failed; see $build_log" >&2
  tail -n 30 "$build_log" >&2
  exit 1
fi
echo "built $root/jsonmmap-cli/target/jsonmmap-cli.jar"
echo "work directory: $work"

section "create the file"
jm init app.json --capacity 64KiB --mode 640
ls -l "$work" | sed 1d | awk '{print $1, $5, $9}'

section "watch it from another process (stdout: $watch_out, stderr: $watch_err)"
(cd "$work" && exec "$root/jsonmmap" watch app.json --json) >"$watch_out" 2>"$watch_err" &
watch_pid=$!
await_line "$watch_err" "watching"
cat "$watch_err"

section "change it"
jm set app.json feature.checkout.enabled true
jm set app.json greeting "hello from the CLI"
jm merge app.json '{"limits": {"rps": 250, "burst": 50}, "greeting": null}'
printf '{"feature": {"checkout": {"enabled": false}}, "limits": {"rps": 100}}' > "$work/next.json"
jm put app.json @next.json
jm set app.json limits.burst 20
jm remove app.json limits.burst

section "a mistake is one line on stderr and an exit code"
jm get app.json no.such.key || echo "(exit code $?)"
jm put app.json '{"unclosed": ' || echo "(exit code $?)"

section "read it"
jm get app.json
jm get app.json feature.checkout.enabled
jm get app.json --flat

section "inspect and verify"
jm inspect app.json
jm verify app.json

section "roll back the last change"
jm rollback app.json
jm get app.json limits --compact

section "what the watcher saw (one JSON line per version)"
await_line "$watch_out" '"version":8'
cat "$watch_out"

echo
echo "demo.sh: done"
