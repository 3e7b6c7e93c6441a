package io.github.jsonmmap;

import static java.nio.file.StandardWatchEventKinds.ENTRY_CREATE;
import static java.nio.file.StandardWatchEventKinds.ENTRY_DELETE;
import static java.nio.file.StandardWatchEventKinds.ENTRY_MODIFY;
import static java.nio.file.StandardWatchEventKinds.OVERFLOW;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.Path;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Directory events from the JDK {@link WatchService}: the fallback where inotify cannot be read
 * directly (not Linux, JNA cannot load, {@code -Djsonmmap.watcher=jdk}). On Linux the JDK's own
 * poller thread reads inotify and hands the event over, so a change costs two thread wake-ups; on
 * macOS the JDK polls every few seconds.
 *
 * <p>The JDK reports a write and a timestamp change alike, as {@code ENTRY_MODIFY}. Where its
 * service reads inotify (Linux), every event is still reported as it happens, so each one that
 * names a file gets the full look and the source counts as {@linkplain #precise() precise}: a
 * reader hearing it needs only the rare safety-net poll, and an idle one stays as idle as with
 * native inotify. Elsewhere (macOS polls every few seconds) it is not, and readers keep the short
 * poll.
 *
 * <p>A {@code WatchService} cannot be woken without an event, so {@link #await} waits at most
 * {@link #MAX_WAIT_NANOS}: a registration that shortens the next tick is noticed within that.
 *
 * <p>Thread-safe as {@link DirectoryEvents} says.
 */
final class JdkEvents implements DirectoryEvents {

  private static final System.Logger LOG = System.getLogger(JdkEvents.class.getName());

  /** The longest single wait, since nothing but an event or a close wakes a WatchService. */
  static final long MAX_WAIT_NANOS = TimeUnit.SECONDS.toNanos(1);

  /** The JDK's service on Linux, which reads inotify (and reports its overflow). */
  static final String INOTIFY_SERVICE = "sun.nio.fs.LinuxWatchService";

  private final WatchService service;
  private final boolean inotify;
  private final Map<Path, WatchKey> keys = new HashMap<>();
  private volatile boolean woken;

  JdkEvents(WatchService service) {
    this.service = service;
    this.inotify = service.getClass().getName().equals(INOTIFY_SERVICE);
  }

  @Override
  public String mechanism() {
    return "jdk";
  }

  /**
   * Where the service reads inotify: every change is reported as it happens, and none as a mere
   * timestamp change. Not where it polls (macOS).
   */
  @Override
  public boolean precise() {
    return inotify;
  }

  @Override
  public synchronized boolean watch(Path dir) {
    if (keys.containsKey(dir)) {
      return true;
    }
    try {
      keys.put(dir, dir.register(service, ENTRY_CREATE, ENTRY_MODIFY, ENTRY_DELETE));
      return true;
    } catch (IOException | UnsupportedOperationException | ClosedWatchServiceException e) {
      LOG.log(Level.DEBUG, "no file events for {0}, polling only: {1}", dir, e.toString());
      return false;
    }
  }

  @Override
  public synchronized void unwatch(Path dir) {
    WatchKey key = keys.remove(dir);
    if (key != null) {
      key.cancel();
    }
  }

  @Override
  public void await(long timeoutNanos, Sink sink) throws InterruptedException {
    long wait = timeoutNanos < 0 ? MAX_WAIT_NANOS : Math.min(timeoutNanos, MAX_WAIT_NANOS);
    if (woken) {
      wait = 0;
    }
    WatchKey key = service.poll(wait, TimeUnit.NANOSECONDS);
    woken = false;
    while (key != null) {
      report(key, sink);
      key = service.poll();
    }
  }

  private void report(WatchKey key, Sink sink) {
    Path dir = (Path) key.watchable();
    for (WatchEvent<?> event : key.pollEvents()) {
      if (event.kind() == OVERFLOW) {
        sink.overflow();
      } else if (event.context() instanceof Path name) {
        // ENTRY_MODIFY stands for a write and a timestamp change alike. Read from inotify, it gets
        // the full look, so that nothing waits for the poll; from a polling service the cheap one,
        // and the short poll stays (a creation or deletion gets the full look from either).
        sink.changed(dir, name.toString(), event.kind() == ENTRY_MODIFY && !inotify);
      }
    }
    if (!key.reset()) {
      synchronized (this) {
        if (keys.get(dir) == key) {
          keys.remove(dir);
        }
      }
      sink.lost(dir);
    }
  }

  @Override
  public void wakeup() {
    woken = true;
  }

  @Override
  public void close() {
    try {
      service.close();
    } catch (IOException e) {
      LOG.log(Level.DEBUG, "closing the watch service: {0}", e.toString());
    }
  }
}
