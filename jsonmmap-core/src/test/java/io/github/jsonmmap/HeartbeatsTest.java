package io.github.jsonmmap;

import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The JVM-wide heartbeat thread never lets a failing beat cancel itself or the others. */
class HeartbeatsTest {

  @Test
  void aBeatThatThrowsAnErrorRunsAgainAndOthersKeepBeating() {
    AtomicInteger failing = new AtomicInteger();
    AtomicInteger healthy = new AtomicInteger();
    ScheduledFuture<?> bad =
        Heartbeats.schedule(
            Duration.ofMillis(10),
            () -> {
              failing.incrementAndGet();
              throw new OutOfMemoryError("simulated");
            });
    ScheduledFuture<?> good = Heartbeats.schedule(Duration.ofMillis(10), healthy::incrementAndGet);
    try {
      await().atMost(Duration.ofSeconds(30)).until(() -> failing.get() >= 5 && healthy.get() >= 5);
    } finally {
      bad.cancel(false);
      good.cancel(false);
    }
  }
}
