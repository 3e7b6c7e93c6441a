package io.github.jsonmmap;

import java.nio.file.Path;

/**
 * Where the {@link Watcher} thread waits for changes in watched directories: inotify read on that
 * thread itself ({@link InotifyEvents}), the JDK {@code WatchService} ({@link JdkEvents}), or
 * nothing but the fallback poll ({@link PollOnlyEvents}).
 *
 * <p>Threading: {@link #watch}, {@link #unwatch} and {@link #wakeup} are called from any thread;
 * {@link #await} and {@link #close} only from the watcher thread.
 */
interface DirectoryEvents {

  /** What {@link #await} reports; called on the watcher thread. */
  interface Sink {
    /**
     * Something happened to the entry {@code name} of the watched directory {@code dir}.
     *
     * @param timestampOnly whether the event reports an attribute change and nothing else (the
     *     writer's timestamp bump); false when the entry may have been written, truncated, created,
     *     deleted or renamed, or the source cannot tell
     */
    void changed(Path dir, String name, boolean timestampOnly);

    /** Events were lost (queue overflow): every watched file must be checked. */
    void overflow();

    /** {@code dir} is no longer watched (deleted, unmounted): watch it again on the next tick. */
    void lost(Path dir);
  }

  /** A short name for logs and tests: {@code inotify}, {@code jdk} or {@code poll}. */
  String mechanism();

  /**
   * Whether every change to a watched entry other than a write through a mapping is reported, as it
   * happens, and reported as a mere timestamp change only when it is one: then a reader hearing
   * these events needs only a rare safety-net poll.
   */
  boolean precise();

  /**
   * Starts watching a directory.
   *
   * @return false when it cannot be watched now (it does not exist, say); the caller retries
   */
  boolean watch(Path dir);

  /** Stops watching a directory; a no-op when it is not watched. */
  void unwatch(Path dir);

  /**
   * Waits until events arrive, {@link #wakeup} is called or the timeout passes, and reports the
   * events that arrived to the sink.
   *
   * @param timeoutNanos the longest wait; negative waits until an event or a wake-up
   */
  void await(long timeoutNanos, Sink sink) throws InterruptedException;

  /** Makes a current or the next {@link #await} return promptly. */
  void wakeup();

  /** Releases what this holds; called by the watcher thread once it stops using it. */
  void close();
}
