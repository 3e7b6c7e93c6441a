#!/usr/bin/env bash
# The main job: a fleet of sample-app processes on this host sharing one JSON config document.
# Builds what it needs, starts one instance (role auto: it becomes the writer) and then three more
# (they read and stand by), all on free loopback ports and one shared file, waits until all are
# healthy, prints a table, changes greeting.message and a feature flag with the CLI (which hands
# them to the running writer through its inbox), prints the table again with every instance on the
# new version, shows the writer's validator refusing a bad value sent by the CLI, then keeps the
# fleet running until Ctrl-C.
#
# Logs: target/demo-logs/build.log, instance-N.log (one per instance) and cli.log.
#
# Usage: ./demo.sh [--once] [--keep]
#   --once  stop the fleet and exit 0 after the demo instead of waiting for Ctrl-C
#   --keep  keep the temporary directory with the shared file (its path is printed)
set -euo pipefail

once=false
keep=false
for arg in "$@"; do
  case "$arg" in
    --once) once=true ;;
    --keep) keep=true ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "demo.sh: unknown argument: $arg (use --once, --keep or --help)" >&2; exit 2 ;;
  esac
done

for tool in curl sed; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "demo.sh: $tool is needed and not on the PATH" >&2
    exit 1
  fi
done

root=$(cd "$(dirname "$0")" && pwd)
java="${JAVA_HOME:+$JAVA_HOME/bin/}java"
jar="$root/sample-app/target/sample-app.jar"
logs="$root/target/demo-logs"
mkdir -p "$logs"
rm -f "$logs"/instance-*.log "$logs"/cli.log
# The file lives in memory where there is a /dev/shm, as a fleet on one host would keep it.
if [ -d /dev/shm ] && [ -w /dev/shm ]; then
  work=$(mktemp -d /dev/shm/jsonmmap-demo.XXXXXX)
else
  work=$(mktemp -d "${TMPDIR:-/tmp}/jsonmmap-demo.XXXXXX")
fi
file="$work/sample-app.json"

names=()  # instance-1 ...
pids=()   # their process ids
ports=()  # their HTTP ports

stop_fleet() {
  local pid deadline
  for pid in "${pids[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  deadline=$((SECONDS + 20))
  for pid in "${pids[@]}"; do
    while kill -0 "$pid" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do
      sleep 0.2
    done
    if kill -0 "$pid" 2>/dev/null; then
      echo "demo.sh: process $pid did not stop within 20 s; killing it" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
  done
  pids=()
}

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  if [ "${#pids[@]}" -gt 0 ]; then
    echo
    echo "demo.sh: stopping ${#pids[@]} instances"
    stop_fleet
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

fail() {
  echo "demo.sh: $*" >&2
  exit 1
}

section() { printf '\n== %s\n' "$*"; }

# GET a path of an instance (by index); prints the body, fails quietly on any error.
get() {
  curl -fsS --max-time 5 "http://127.0.0.1:${ports[$1]}$2" 2>/dev/null
}

# Extracts a scalar member from one line of compact JSON (enough for the answers read here).
json_string() { sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p"; }
json_scalar() { sed -n "s/.*\"$1\":\([^,}\"]*\).*/\1/p"; }

# Starts one instance on a free port (the server picks it) and records it.
start_instance() {
  local name="instance-$((${#names[@]} + 1))"
  "$java" -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xmx256m ${DEMO_JAVA_OPTS:-} -jar "$jar" \
    --server.port=0 \
    --server.address=127.0.0.1 \
    --jsonmmap.file="$file" \
    --management.endpoint.jsonmmap.access=unrestricted \
    --spring.output.ansi.enabled=never \
    >"$logs/$name.log" 2>&1 &
  pids+=("$!")
  names+=("$name")
  ports+=("")
}

# Waits (at most 90 s) until every started instance has a port and says UP.
await_healthy() {
  local deadline=$((SECONDS + 90)) i port pending
  while :; do
    pending=0
    for i in "${!names[@]}"; do
      if ! kill -0 "${pids[$i]}" 2>/dev/null; then
        tail -n 20 "$logs/${names[$i]}.log" >&2 || true
        fail "${names[$i]} exited during start-up; see $logs/${names[$i]}.log"
      fi
      if [ -z "${ports[$i]}" ]; then
        port=$(sed -n 's/.*Tomcat started on port \([0-9][0-9]*\).*/\1/p' "$logs/${names[$i]}.log")
        ports[$i]=$port
      fi
      if [ -z "${ports[$i]}" ] || ! get "$i" /actuator/health | grep -q '^{.*"status":"UP"}$'; then
        pending=$((pending + 1))
      fi
    done
    [ "$pending" -eq 0 ] && return 0
    if [ "$SECONDS" -ge "$deadline" ]; then
      fail "$pending instances not healthy within 90 s; see $logs/instance-*.log"
    fi
    sleep 0.3
  done
}

# The index of the instance that says it writes the file.
writer_index() {
  local i
  for i in "${!names[@]}"; do
    if get "$i" /actuator/jsonmmap | grep -q '"writer":{"self":true'; then
      echo "$i"
      return 0
    fi
  done
  return 1
}

table() {
  local i endpoint greeting features role
  printf '%-11s %-6s %-8s %-17s %-8s %-12s %s\n' \
    INSTANCE PORT PID ROLE VERSION NEW-CHECKOUT GREETING
  for i in "${!names[@]}"; do
    endpoint=$(get "$i" /actuator/jsonmmap) || fail "${names[$i]} did not answer"
    greeting=$(get "$i" /api/greeting) || fail "${names[$i]} did not answer"
    features=$(get "$i" /api/features) || fail "${names[$i]} did not answer"
    if grep -q '"writer":{"self":true' <<<"$endpoint"; then role=writer; else role="reader (standby)"; fi
    printf '%-11s %-6s %-8s %-17s %-8s %-12s %s\n' "${names[$i]}" "${ports[$i]}" "${pids[$i]}" \
      "$role" "$(json_scalar version <<<"$greeting")" \
      "$(json_scalar newCheckout <<<"$features")" "$(json_string message <<<"$greeting")"
  done
}

# Sets one key with the CLI, which goes through the writer's inbox while the fleet runs, echoing
# the command and the version it prints; leaves that version in $written_version.
cli_set() {
  local key=$1 value=$2
  echo "\$ jsonmmap set $file $key '$value'"
  written_version=$("$root/jsonmmap" set "$file" "$key" "$value" 2>>"$logs/cli.log") \
    || fail "the CLI could not set $key; see $logs/cli.log"
  echo "$written_version"
}

# The MAX statistic of a timer of an instance, in milliseconds ("?" when it cannot be read).
metric_max_ms() {
  local max
  max=$(get "$1" "/actuator/metrics/$2" \
    | sed -n 's/.*"statistic":"MAX","value":\([0-9.eE+-]*\)}.*/\1/p')
  if [ -n "$max" ]; then
    awk -v seconds="$max" 'BEGIN { printf "%.1f ms", seconds * 1000 }'
  else
    echo "?"
  fi
}

# Milliseconds since the epoch, where the shell can tell (bash 5), else whole seconds.
now_ms() {
  if [ -n "${EPOCHREALTIME:-}" ]; then
    local micros=${EPOCHREALTIME/[.,]/}
    echo $((micros / 1000))
  else
    echo $(($(date +%s) * 1000))
  fi
}

section "build (log: $logs/build.log)"
if ! (cd "$root" && ./mvnw -q -B -pl sample-app,jsonmmap-cli -am package -DskipTests) \
    >"$logs/build.log" 2>&1; then
  tail -n 30 "$logs/build.log" >&2
  fail "build failed; see $logs/build.log"
fi
echo "built $jar"
echo "shared file: $file"

section "start the fleet (logs: $logs/instance-N.log)"
start_instance
await_healthy
writer=$(writer_index) || fail "instance-1 is up but does not write the file; see $logs/instance-1.log"
echo "instance-1 is up on port ${ports[0]} and writes the file (role auto, first to start)"
start_instance
start_instance
start_instance
await_healthy
echo "instance-2..4 are up and read the file, standing by to take over"
echo
table

section "change greeting.message and a feature flag with the CLI, through the writer's inbox"
cli_set greeting.message 'Hello from the demo'
cli_set features.newCheckout true
target=$written_version

started=$(now_ms)
deadline=$((SECONDS + 15))
while :; do
  behind=0
  for i in "${!names[@]}"; do
    greeting=$(get "$i" /api/greeting || true)
    features=$(get "$i" /api/features || true)
    if [ "$(json_scalar version <<<"$greeting")" != "$target" ] \
        || [ "$(json_string message <<<"$greeting")" != "Hello from the demo" ] \
        || [ "$(json_scalar newCheckout <<<"$features")" != true ]; then
      behind=$((behind + 1))
    fi
  done
  [ "$behind" -eq 0 ] && break
  [ "$SECONDS" -ge "$deadline" ] && fail "$behind instances did not reach version $target within 15 s"
  sleep 0.05
done
echo "every instance serves version $target: all ${#names[@]} answered with it $(($(now_ms) - started)) ms after the last write (polled over HTTP)"
propagation=""
refresh=""
for i in "${!names[@]}"; do
  [ "$i" = "$writer" ] && continue
  propagation+="${propagation:+, }${names[$i]} $(metric_max_ms "$i" jsonmmap.propagation)"
  refresh+="${refresh:+, }$(metric_max_ms "$i" jsonmmap.refresh)"
done
echo "the file reached the readers in: $propagation (metric jsonmmap.propagation, max)"
echo "applying it to Spring (rebind, @RefreshScope) took: $refresh (metric jsonmmap.refresh, max)"
echo
table

section "the writer's validators decide, whoever writes (log: $logs/cli.log)"
echo "\$ jsonmmap set $file limits.burst -5"
set +e
"$root/jsonmmap" set "$file" limits.burst -5 >>"$logs/cli.log" 2>&1
cli_status=$?
set -e
if [ "$cli_status" -eq 6 ]; then
  echo "rejected, exit 6: $(grep -A1 'rejected by' "$logs/cli.log" | tail -n 2 | tr '\n' ' ')"
else
  cat "$logs/cli.log" >&2
  fail "expected the writer's validator to reject the value with exit code 6, got $cli_status"
fi

if [ "$once" = true ]; then
  echo
  echo "demo.sh: done (--once)"
  exit 0
fi

section "the fleet keeps running: try it"
echo "curl http://127.0.0.1:${ports[1]}/api/greeting"
echo "curl -X POST http://127.0.0.1:${ports[$writer]}/actuator/jsonmmap/greeting.message -H 'Content-Type: application/json' -d '{\"value\": \"hi\"}'"
echo "kill ${pids[$writer]}   # the writer: another instance takes over within a second"
echo
echo "Ctrl-C to stop"
while :; do
  alive=0
  for pid in "${pids[@]}"; do
    kill -0 "$pid" 2>/dev/null && alive=$((alive + 1))
  done
  if [ "$alive" -eq 0 ]; then
    fail "every instance has exited; see $logs/instance-*.log"
  fi
  sleep 1 &
  wait $! || true
done
