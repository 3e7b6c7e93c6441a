package io.github.jsonmmap;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * No directory events at all: the watcher thread only waits for the next fallback poll or a
 * wake-up. Used where neither inotify nor the JDK {@code WatchService} is available.
 *
 * <p>Thread-safe.
 */
final class PollOnlyEvents implements DirectoryEvents {

  private boolean woken;

  @Override
  public String mechanism() {
    return "poll";
  }

  @Override
  public boolean precise() {
    return false;
  }

  @Override
  public boolean watch(Path dir) {
    return true;
  }

  @Override
  public void unwatch(Path dir) {}

  @Override
  public synchronized void await(long timeoutNanos, Sink sink) throws InterruptedException {
    long deadline = System.nanoTime() + timeoutNanos;
    while (!woken) {
      if (timeoutNanos < 0) {
        wait();
      } else {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          break;
        }
        TimeUnit.NANOSECONDS.timedWait(this, left);
      }
    }
    woken = false;
  }

  @Override
  public synchronized void wakeup() {
    woken = true;
    notifyAll();
  }

  @Override
  public void close() {}
}
