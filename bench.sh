#!/usr/bin/env bash
# Runs the jsonmmap benchmarks and writes docs/benchmarks/RESULTS.md and the SVG plots.
#
#   ./bench.sh                     everything (about 27 minutes on 2 cores)
#   ./bench.sh --quick             small counts and a 5 s idle window, for a first look
#   ./bench.sh --only PARTS        only these harness parts, comma-separated, of:
#                                  steady (1 reader: every peer in 4 rounds, the target run), steady-many,
#                                  burst, cold (first changes of fresh readers), sizes, readers, idle
#   ./bench.sh --peers PEERS       only these peers in steady, burst, cold and sizes, comma-separated:
#                                  EVENTS, EVENTS_JDK, POLL, SPIN, REDIS, FILE, FLOOR
#   ./bench.sh --sizes BYTES,...   the document sizes of the sizes part (default 1 KiB to 16 MiB)
#   ./bench.sh --jmh REGEX|none    which JMH benchmarks run first (default: all of them)
#   ./bench.sh --refresh           also: publish -> the sample app's @RefreshScope and
#                                  @ConfigurationProperties beans (docs/benchmarks/refresh.txt)
#   ./bench.sh --agent             also: etcd put -> last reader on 3 hosts, through jsonmmap-agent
#                                  vs every reader watching etcd (docs/benchmarks/agent.txt; needs etcd)
#   ./bench.sh --only refresh,agent  just those two
#
# Needs a JDK 17+ and redis-server (installed from the distribution's packages when missing).
# Builds in the reactor (package, never install), so it uses this checkout's modules.
set -euo pipefail
cd "$(dirname "$0")"

QUICK=""
ONLY=""
REFRESH=""
AGENT=""
PEERS=""
SIZES=""
JMH_FILTER='io.github.jsonmmap.bench.(ReadPath|Publish|PeerRead)Benchmark'
while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) QUICK="--quick"; shift ;;
    --only) ONLY="${2:?--only needs a list of parts}"; shift 2 ;;
    --peers) PEERS="${2:?--peers needs a list of peers}"; shift 2 ;;
    --sizes) SIZES="${2:?--sizes needs a list of byte counts}"; shift 2 ;;
    --jmh) JMH_FILTER="${2:?--jmh needs a regex or none}"; shift 2 ;;
    --refresh) REFRESH=yes; shift ;;
    --agent) AGENT=yes; shift ;;
    *) echo "usage: $0 [--quick] [--only PARTS] [--peers PEERS] [--sizes BYTES,...] [--jmh REGEX|none]" >&2; exit 2 ;;
  esac
done
COMMAND="./bench.sh${QUICK:+ $QUICK}${ONLY:+ --only $ONLY}${PEERS:+ --peers $PEERS}${SIZES:+ --sizes $SIZES}"
# refresh and agent are parts of this script, not of the Java harness.
if [[ ",$ONLY," == *,refresh,* ]]; then REFRESH=yes; fi
if [[ ",$ONLY," == *,agent,* ]]; then AGENT=yes; fi
ONLY=$(tr ',' '\n' <<<"$ONLY" | grep -v -x -e refresh -e agent | paste -sd, - || true)
HARNESS=yes
if [[ -n "$REFRESH$AGENT" && -z "$ONLY" && "$COMMAND" == *--only* ]]; then HARNESS=""; fi
if [[ "$JMH_FILTER" != 'io.github.jsonmmap.bench.(ReadPath|Publish|PeerRead)Benchmark' ]]; then
  COMMAND="$COMMAND --jmh '$JMH_FILTER'"
fi

if ! command -v redis-server >/dev/null 2>&1; then
  echo "installing redis-server ..." >&2
  SUDO=""
  if [[ "$(id -u)" != 0 ]]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq redis-server >/dev/null
fi

echo "building ..." >&2
./mvnw -q -B -pl jsonmmap-benchmarks -am package -DskipTests -Dspotless.check.skip=true
JAR=jsonmmap-benchmarks/target/benchmarks.jar
OUT=docs/benchmarks
mkdir -p "$OUT" jsonmmap-benchmarks/target
JMH_JSON=jsonmmap-benchmarks/target/jmh-result.json
rm -f "$JMH_JSON"

if [[ -n "$HARNESS" && "$JMH_FILTER" != none ]]; then
  if [[ -n "$QUICK" ]]; then
    JMH_OPTS=(-f 1 -wi 2 -w 300ms -i 3 -r 300ms)
  else
    JMH_OPTS=(-f 1 -wi 3 -w 1s -i 5 -r 1s)
  fi
  echo "JMH ..." >&2
  # The lock only stops two JMH runs at once on a shared machine; another user's run must not end ours.
  java -Djmh.ignoreLock=true -jar "$JAR" "${JMH_OPTS[@]}" -rf json -rff "$JMH_JSON" "$JMH_FILTER"
fi

if [[ -n "$HARNESS" ]]; then
  echo "propagation, scale and idle harness ..." >&2
  # The harness is the writer. Its heap is fixed and touched up front, as a writer that has run a
  # while has it: grown on demand, the first versions of a large document spent a quarter of their
  # publish faulting in fresh heap pages (RESULTS.md's analysis). Reader JVMs keep small, growing
  # heaps (Propagation.javaCommand): the cold part measures what a fresh reader pays.
  java -Xms3g -Xmx3g -XX:+AlwaysPreTouch -cp "$JAR" io.github.jsonmmap.bench.Bench $QUICK ${ONLY:+--only "$ONLY"} \
    ${PEERS:+--peers "$PEERS"} ${SIZES:+--sizes "$SIZES"} \
    --out "$OUT" --jmh "$JMH_JSON" --command "$COMMAND"
fi

machine() {
  echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(java -version 2>&1 | head -1)," \
    "load average $(cut -d' ' -f1-3 /proc/loadavg)"
}

if [[ -n "$REFRESH" ]]; then
  echo "refresh latency (sample app) ..." >&2
  ./mvnw -q -B -pl sample-app -am test-compile dependency:build-classpath \
    -Dspotless.check.skip=true -Dmdep.includeScope=test \
    -Dmdep.outputFile=target/bench-classpath.txt
  changes=300
  if [[ -n "$QUICK" ]]; then changes=50; fi
  {
    echo "# publish -> the sample app's beans see the value"
    echo "# $(machine)"
    echo "# ./bench.sh --refresh (RefreshLatencyBenchmark $changes 100)"
    (cd sample-app && java -cp "target/test-classes:target/classes:$(cat target/bench-classpath.txt)" \
      io.github.jsonmmap.sample.RefreshLatencyBenchmark "$changes" 100 2>/dev/null | grep -E '^publish ->')
  } | tee "$OUT/refresh.txt"
fi

if [[ -n "$AGENT" ]]; then
  echo "etcd -> readers through jsonmmap-agent ..." >&2
  {
    echo "# etcd put -> readers: jsonmmap-agent per host vs every reader watching etcd"
    echo "# $(machine)"
    echo "# ./bench.sh --agent (AgentBenchIT, 3 hosts x 2 readers, then 3 hosts x 8 readers)"
  } >jsonmmap-benchmarks/target/agent.txt
  for readers in 2 8; do
    log=jsonmmap-benchmarks/target/agent-bench-$readers.log
    ./mvnw -B -pl jsonmmap-agent -am verify -Dspotless.check.skip=true -Dtest=none \
      -Dsurefire.failIfNoSpecifiedTests=false -Dit.test=AgentBenchIT -Djsonmmap.agent.bench=true \
      -Djsonmmap.agent.bench.readers=$readers "-DargLine=-XX:TieredStopAtLevel=1 -XX:+UseSerialGC" \
      >"$log" 2>&1 || { tail -40 "$log" >&2; exit 1; }
    grep -A7 -E '^put -> reader delay' "$log" >>jsonmmap-benchmarks/target/agent.txt
  done
  tee "$OUT/agent.txt" <jsonmmap-benchmarks/target/agent.txt
fi
