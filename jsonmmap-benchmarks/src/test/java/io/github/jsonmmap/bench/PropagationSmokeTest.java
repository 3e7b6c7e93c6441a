package io.github.jsonmmap.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Runs the propagation harness with tiny counts so that the default build proves it still works;
 * the real measurements run from {@code ./bench.sh}.
 */
class PropagationSmokeTest {

  @TempDir Path dir;

  @ParameterizedTest
  @EnumSource(
      value = Peer.class,
      names = {"EVENTS", "EVENTS_TEXT", "EVENTS_JDK", "POLL", "SPIN", "FLOOR_EVENTS"})
  void harnessRecordsOneDelayPerChangeAcrossProcesses(Peer peer) throws Exception {
    // 25 ms apart, after 20 uncounted changes that warm both sides up. A jsonmmap reader may skip
    // a version replaced before it looked (by design; on a loaded machine it does), so the claim
    // is about the harness: what the reader saw is recorded once, and the last change always.
    Propagation.Spec spec =
        Propagation.Spec.steady(peer, 1, 20, 50).withInterval(Duration.ofMillis(25));

    Propagation.Result result = new Propagation(dir, null).run(spec);

    assertThat(result.delivered()).isBetween(1L, result.expected());
    assertThat(result.all().getTotalCount()).isEqualTo(result.delivered());
    assertThat(result.lastReader().getTotalCount()).isEqualTo(result.delivered());
    assertThat(result.all().getValueAtPercentile(50)).isPositive();
    assertThat(result.publish().getTotalCount()).isEqualTo(50);
  }
}
