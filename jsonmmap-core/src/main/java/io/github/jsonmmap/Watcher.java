package io.github.jsonmmap;

import static java.nio.file.StandardWatchEventKinds.ENTRY_CREATE;
import static java.nio.file.StandardWatchEventKinds.ENTRY_DELETE;
import static java.nio.file.StandardWatchEventKinds.ENTRY_MODIFY;
import static java.nio.file.StandardWatchEventKinds.OVERFLOW;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The one watcher thread of the JVM, however many files are open. It waits on a {@link
 * WatchService} for the directories of registered files (the writer bumps a file's modification
 * time after each publish) and, every poll interval of each file, checks it regardless: the
 * fallback for file systems and platforms without events, and the time to notice a deleted or
 * replaced file.
 *
 * <p>Thread-safe: files register and unregister from any thread.
 */
final class Watcher {

  private static final System.Logger LOG = System.getLogger(Watcher.class.getName());

  /** How long the thread sleeps at most when nothing is registered or due. */
  private static final long IDLE_MILLIS = 1000;

  private static final Watcher INSTANCE = new Watcher();

  /** What the watcher calls on a registered file. */
  interface Target {
    Path path();

    long pollIntervalNanos();

    boolean wantsEvents();

    /** Something happened in the file's directory that names it: look now. */
    void onEvent();

    /** The poll interval elapsed: look now, and check the file is still the one mapped. */
    void onTick();
  }

  private final Map<Target, long[]> targets = new ConcurrentHashMap<>();
  private final Map<Path, WatchKey> keys = new HashMap<>();
  private final Map<Path, Integer> keyUsers = new HashMap<>();
  private WatchService service;
  private Thread thread;

  static Watcher instance() {
    return INSTANCE;
  }

  synchronized void register(Target target) {
    targets.put(target, new long[] {System.nanoTime() + target.pollIntervalNanos()});
    if (target.wantsEvents()) {
      watchDirectory(target.path().getParent());
    }
    if (thread == null) {
      thread = new Thread(this::run, "jsonmmap-watcher");
      thread.setDaemon(true);
      thread.start();
    }
    notifyAll();
  }

  synchronized void unregister(Target target) {
    if (targets.remove(target) != null && target.wantsEvents()) {
      Path dir = target.path().getParent();
      Integer users = keyUsers.get(dir);
      if (users != null && users <= 1) {
        keyUsers.remove(dir);
        WatchKey key = keys.remove(dir);
        if (key != null) {
          key.cancel();
        }
      } else if (users != null) {
        keyUsers.put(dir, users - 1);
      }
    }
  }

  /** Registers a directory once; retried on every tick while it does not exist yet. */
  private void watchDirectory(Path dir) {
    keyUsers.merge(dir, 1, Integer::sum);
    ensureWatched(dir);
  }

  private synchronized void ensureWatched(Path dir) {
    if (keys.containsKey(dir) || !keyUsers.containsKey(dir)) {
      return;
    }
    try {
      if (service == null) {
        service = FileSystems.getDefault().newWatchService();
      }
      keys.put(dir, dir.register(service, ENTRY_CREATE, ENTRY_MODIFY, ENTRY_DELETE));
    } catch (IOException | UnsupportedOperationException e) {
      LOG.log(Level.DEBUG, "no file events for {0}, polling only: {1}", dir, e.toString());
    }
  }

  private void run() {
    while (true) {
      try {
        long waitNanos = runDueTicks();
        WatchService ws;
        synchronized (this) {
          ws = service;
        }
        if (ws == null) {
          synchronized (this) {
            if (service == null) {
              TimeUnit.NANOSECONDS.timedWait(this, waitNanos);
            }
          }
          continue;
        }
        WatchKey key = ws.poll(waitNanos, TimeUnit.NANOSECONDS);
        while (key != null) {
          dispatch(key);
          key = ws.poll();
        }
      } catch (InterruptedException e) {
        // Nothing interrupts this daemon thread on purpose; keep watching.
      } catch (ClosedWatchServiceException e) {
        synchronized (this) {
          service = null;
          keys.clear();
        }
      } catch (RuntimeException | Error e) {
        LOG.log(Level.WARNING, "jsonmmap watcher: unexpected failure, continuing", e);
      }
    }
  }

  private void dispatch(WatchKey key) {
    Path dir = (Path) key.watchable();
    List<WatchEvent<?>> events = key.pollEvents();
    key.reset();
    boolean all = false;
    java.util.Set<Path> names = new java.util.HashSet<>();
    for (WatchEvent<?> event : events) {
      if (event.kind() == OVERFLOW) {
        all = true;
      } else if (event.context() instanceof Path name) {
        names.add(name);
      }
    }
    for (Target target : targets.keySet()) {
      Path path = target.path();
      // A polling or spinning handle ignores events even when another handle watches its directory.
      if (target.wantsEvents()
          && dir.equals(path.getParent())
          && (all || names.contains(path.getFileName()))) {
        safely(target::onEvent);
      }
    }
  }

  /** Runs the ticks that are due and returns how long to wait for the next one. */
  private long runDueTicks() {
    long now = System.nanoTime();
    long next = now + TimeUnit.MILLISECONDS.toNanos(IDLE_MILLIS);
    for (Map.Entry<Target, long[]> e : targets.entrySet()) {
      Target target = e.getKey();
      long[] due = e.getValue();
      if (now - due[0] >= 0) {
        if (target.wantsEvents()) {
          ensureWatched(target.path().getParent());
        }
        safely(target::onTick);
        due[0] = System.nanoTime() + target.pollIntervalNanos();
      }
      if (due[0] - next < 0) {
        next = due[0];
      }
    }
    return Math.max(TimeUnit.MICROSECONDS.toNanos(100), next - System.nanoTime());
  }

  private static void safely(Runnable action) {
    try {
      action.run();
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, "jsonmmap watcher: check failed", e);
    }
  }
}
