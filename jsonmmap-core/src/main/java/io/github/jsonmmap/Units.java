package io.github.jsonmmap;

import java.time.Duration;
import java.time.Instant;

/**
 * Time in microseconds since the epoch (the unit of every timestamp in the file) and byte sizes for
 * messages.
 */
final class Units {

  private Units() {}

  static long nowMicros() {
    Instant now = Instant.now();
    return now.getEpochSecond() * 1_000_000L + now.getNano() / 1000;
  }

  static Duration ageOf(long micros) {
    return Duration.ofNanos(Math.max(0, nowMicros() - micros) * 1000L);
  }

  static String bytes(long bytes) {
    if (bytes < 1024) {
      return bytes + "B";
    }
    if (bytes < 1024 * 1024) {
      return String.format(java.util.Locale.ROOT, "%.1fKiB", bytes / 1024.0);
    }
    return String.format(java.util.Locale.ROOT, "%.1fMiB", bytes / (1024.0 * 1024.0));
  }
}
