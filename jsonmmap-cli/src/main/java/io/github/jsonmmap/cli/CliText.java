package io.github.jsonmmap.cli;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/** How the commands print times, durations and sizes for people. Stateless. */
final class CliText {

  private static final DateTimeFormatter MICROS =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSS'Z'", Locale.ROOT)
          .withZone(ZoneOffset.UTC);

  private CliText() {}

  /** Microseconds since the epoch as UTC ISO-8601 with microseconds; "-" for 0 (unset). */
  static String time(long micros) {
    if (micros == 0) {
      return "-";
    }
    Instant instant =
        Instant.ofEpochSecond(
            Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1000L);
    return MICROS.format(instant);
  }

  /** A duration the way it is typed: 300ms, 5s, 2m. */
  static String duration(Duration d) {
    long millis = d.toMillis();
    if (millis % 1000 != 0) {
      return millis + "ms";
    }
    long seconds = d.toSeconds();
    return seconds % 60 == 0 && seconds > 0 ? seconds / 60 + "m" : seconds + "s";
  }

  /** An age in the largest unit that keeps it readable: 850ms, 12.3s, 4m12s. */
  static String age(Duration d) {
    long millis = d.toMillis();
    if (millis < 1000) {
      return millis + "ms";
    }
    if (millis < 60_000) {
      return String.format(Locale.ROOT, "%.1fs", millis / 1000.0);
    }
    long seconds = d.toSeconds();
    if (seconds < 3600) {
      return seconds / 60 + "m" + seconds % 60 + "s";
    }
    return seconds / 3600 + "h" + seconds % 3600 / 60 + "m";
  }

  /** Bytes with a binary unit: 512B, 64.0KiB, 1.5MiB. */
  static String bytes(long bytes) {
    if (bytes < 1024) {
      return bytes + "B";
    }
    if (bytes < 1024 * 1024) {
      return String.format(Locale.ROOT, "%.1fKiB", bytes / 1024.0);
    }
    if (bytes < 1024L * 1024 * 1024) {
      return String.format(Locale.ROOT, "%.1fMiB", bytes / (1024.0 * 1024.0));
    }
    return String.format(Locale.ROOT, "%.1fGiB", bytes / (1024.0 * 1024.0 * 1024.0));
  }
}
