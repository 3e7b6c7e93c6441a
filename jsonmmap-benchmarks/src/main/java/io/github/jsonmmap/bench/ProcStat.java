package io.github.jsonmmap.bench;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * CPU time of a process from {@code /proc} (Linux only): {@code stat} in clock ticks, or the
 * scheduler's nanosecond {@code schedstat} of each of its threads.
 */
final class ProcStat {

  private static final long TICK_NANOS = 1_000_000_000L / clockTicksPerSecond();

  private ProcStat() {}

  /** utime + stime of the process, in nanoseconds. */
  static long cpuNanos(long pid) throws IOException {
    String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
    // The command name (field 2) may contain spaces; fields after it start past the last ')'.
    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).trim().split("\\s+");
    // fields[0] is field 3 (state): utime is field 14, stime field 15.
    long ticks = Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
    return ticks * TICK_NANOS;
  }

  /**
   * CPU time of the live threads of a process, in nanoseconds, from each thread's {@code schedstat}
   * (time on CPU as the scheduler counts it: no 10 ms tick rounding).
   *
   * @param threadPrefix only threads whose name starts with this (at most 15 characters as the
   *     kernel keeps it), or null for all
   */
  static long threadCpuNanos(long pid, String threadPrefix) throws IOException {
    long sum = 0;
    try (DirectoryStream<Path> tasks =
        Files.newDirectoryStream(Path.of("/proc", Long.toString(pid), "task"))) {
      for (Path task : tasks) {
        try {
          if (threadPrefix != null
              && !Files.readString(task.resolve("comm")).trim().startsWith(threadPrefix)) {
            continue;
          }
          String schedstat = Files.readString(task.resolve("schedstat")).trim();
          sum += Long.parseLong(schedstat.substring(0, schedstat.indexOf(' ')));
        } catch (NoSuchFileException e) {
          // The thread ended between the listing and the read.
        }
      }
    }
    return sum;
  }

  /** USER_HZ: 100 on every Linux build that matters; asked of getconf when available. */
  static long clockTicksPerSecond() {
    try {
      Process p = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes()).trim();
      p.waitFor();
      return Long.parseLong(out);
    } catch (IOException | NumberFormatException e) {
      return 100;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 100;
    }
  }
}
