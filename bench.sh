#!/usr/bin/env bash
# Runs every jsonmmap benchmark and writes docs/benchmarks/RESULTS.md and the SVG plots.
#
#   ./bench.sh           the full run (about 15 minutes)
#   ./bench.sh --quick   small counts and a 5 s idle window, for a first look (about 4 minutes)
#
# Needs a JDK 17+ and redis-server (installed from the distribution's packages when missing).
set -euo pipefail
cd "$(dirname "$0")"

QUICK=""
if [[ "${1:-}" == "--quick" ]]; then
  QUICK="--quick"
elif [[ -n "${1:-}" ]]; then
  echo "usage: $0 [--quick]" >&2
  exit 2
fi
COMMAND="./bench.sh${QUICK:+ $QUICK}"

if ! command -v redis-server >/dev/null 2>&1; then
  echo "installing redis-server ..." >&2
  SUDO=""
  if [[ "$(id -u)" != 0 ]]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq redis-server >/dev/null
fi

echo "building ..." >&2
./mvnw -q -B -pl jsonmmap-core,jsonmmap-spring-boot-starter -am install -DskipTests -Dspotless.check.skip=true
./mvnw -q -B -f jsonmmap-benchmarks/pom.xml package -DskipTests -Dspotless.check.skip=true
JAR=jsonmmap-benchmarks/target/benchmarks.jar
OUT=docs/benchmarks
mkdir -p "$OUT" jsonmmap-benchmarks/target
JMH_JSON=jsonmmap-benchmarks/target/jmh-result.json

if [[ -n "$QUICK" ]]; then
  JMH_OPTS=(-f 1 -wi 2 -w 300ms -i 3 -r 300ms)
else
  JMH_OPTS=(-f 1 -wi 3 -w 1s -i 5 -r 1s)
fi
echo "JMH ..." >&2
java -jar "$JAR" "${JMH_OPTS[@]}" -rf json -rff "$JMH_JSON" \
  'io.github.jsonmmap.bench.(ReadPath|Publish|PeerRead)Benchmark'

echo "propagation, scale and idle harness ..." >&2
java -Xms256m -Xmx3g -cp "$JAR" io.github.jsonmmap.bench.Bench $QUICK \
  --out "$OUT" --jmh "$JMH_JSON" --command "$COMMAND"
