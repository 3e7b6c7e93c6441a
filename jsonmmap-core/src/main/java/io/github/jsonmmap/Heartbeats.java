package io.github.jsonmmap;

import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The JVM-wide heartbeat thread: writers stamp their heartbeat and standbys try the writer lock,
 * each every heartbeat interval. Kept apart from the watcher so that a slow change listener never
 * delays a heartbeat.
 *
 * <p>Thread-safe.
 */
final class Heartbeats {

  private static final System.Logger LOG = System.getLogger(Heartbeats.class.getName());

  private static final ScheduledThreadPoolExecutor EXECUTOR = newExecutor();

  private Heartbeats() {}

  private static ScheduledThreadPoolExecutor newExecutor() {
    ScheduledThreadPoolExecutor executor =
        new ScheduledThreadPoolExecutor(
            1,
            runnable -> {
              Thread thread = new Thread(runnable, "jsonmmap-heartbeat");
              thread.setDaemon(true);
              return thread;
            });
    executor.setRemoveOnCancelPolicy(true);
    return executor;
  }

  static ScheduledFuture<?> schedule(Duration interval, Runnable beat) {
    long nanos = interval.toNanos();
    return EXECUTOR.scheduleAtFixedRate(
        () -> {
          // A periodic task that throws is cancelled without a word: nothing may escape.
          try {
            beat.run();
          } catch (Throwable e) {
            try {
              LOG.log(Level.WARNING, "jsonmmap heartbeat failed", e);
            } catch (Throwable ignored) {
              // Even logging failed (out of memory?): the next beat tries again.
            }
          }
        },
        nanos,
        nanos,
        TimeUnit.NANOSECONDS);
  }
}
