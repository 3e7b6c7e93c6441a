package io.github.jsonmmap.bench;

import java.time.Instant;

/**
 * The one clock every process of a run stamps and reads: the system's real-time clock in
 * nanoseconds since the epoch. Shared by all processes of the host, so a timestamp written by one
 * JVM can be subtracted from the time read in another.
 *
 * <p>Safe to call from any thread.
 */
final class Clock {

  private Clock() {}

  static long epochNanos() {
    Instant now = Instant.now();
    return now.getEpochSecond() * 1_000_000_000L + now.getNano();
  }
}
