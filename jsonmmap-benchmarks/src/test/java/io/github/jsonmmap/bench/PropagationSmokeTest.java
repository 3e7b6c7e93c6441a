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
      names = {"EVENTS", "POLL", "SPIN"})
  void harnessRecordsOneDelayPerChangeAcrossProcesses(Peer peer) throws Exception {
    // 25 ms apart, after 20 uncounted changes that warm both sides up: far longer than any
    // propagation, so no version is coalesced away even on a busy machine.
    Propagation.Spec spec =
        Propagation.Spec.steady(peer, 1, 20, 50).withInterval(Duration.ofMillis(25));

    Propagation.Result result = new Propagation(dir, null).run(spec);

    assertThat(result.all().getTotalCount()).isEqualTo(50);
    assertThat(result.lastReader().getTotalCount()).isEqualTo(50);
    assertThat(result.delivered()).isEqualTo(result.expected());
    assertThat(result.all().getValueAtPercentile(50)).isPositive();
    assertThat(result.publish().getTotalCount()).isEqualTo(50);
  }
}
