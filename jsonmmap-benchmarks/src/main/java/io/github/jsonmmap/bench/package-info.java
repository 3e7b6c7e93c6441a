/**
 * Benchmarks for jsonmmap: JMH read-path and publish benchmarks, and a cross-process propagation
 * harness that runs jsonmmap side by side with the peers a user would pick instead (Redis pub/sub,
 * a JSON file replaced by rename and watched, and a raw shared-memory busy-spin floor). Run
 * everything with {@code ./bench.sh [--quick]}; {@link io.github.jsonmmap.bench.Bench} writes
 * {@code docs/benchmarks/RESULTS.md} and the plots.
 */
package io.github.jsonmmap.bench;
