package io.github.jsonmmap;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The one watcher thread of the JVM, however many files are open. It waits for events in the
 * directories of registered files (the writer bumps a file's modification time after each publish)
 * and calls {@link Target#onEvent()} for the files they name, on that same thread, or {@link
 * Target#onTick()} when an event says more than a timestamp changed (the file was written,
 * truncated, created, deleted or renamed); and, every poll interval of each file, calls {@link
 * Target#onTick()} regardless: the fallback for file systems and platforms without events, and the
 * safety net for what raises none. The target chooses the interval, knowing whether its events are
 * heard: a reader whose events arrive polls rarely, so an idle JVM stays idle.
 *
 * <p>On 64-bit Linux the thread reads inotify itself ({@link InotifyEvents}): one wake-up per
 * change. Elsewhere, when JNA cannot load, or with {@code -Djsonmmap.watcher=jdk}, it waits on the
 * JDK {@code WatchService} ({@link JdkEvents}); with neither, on the fallback poll alone. The
 * choice is logged once at INFO.
 *
 * <p>The thread survives whatever a target throws, {@link Error}s included: it logs and goes on.
 * When idle it wakes only for the poll ticks that are due and allocates nothing of its own.
 *
 * <p>Thread-safe: files register and unregister from any thread.
 */
final class Watcher {

  private static final System.Logger LOG = System.getLogger(Watcher.class.getName());

  /** System property choosing the event source: {@code auto} (the default) or {@code jdk}. */
  static final String MECHANISM_PROPERTY = "jsonmmap.watcher";

  /** The shortest wait between two passes, so a slow target cannot make the thread spin. */
  private static final long MIN_WAIT_NANOS = TimeUnit.MICROSECONDS.toNanos(100);

  private static final Watcher INSTANCE = new Watcher(System.getProperty(MECHANISM_PROPERTY));

  /** What the watcher calls on a registered file. */
  interface Target {
    Path path();

    /**
     * The time from one tick to the next, asked after each tick and each event.
     *
     * @param eventsHeard whether events for the file's directory reach the watcher now, from a
     *     source that tells a write from a timestamp change ({@link DirectoryEvents#precise()})
     */
    long pollIntervalNanos(boolean eventsHeard);

    /**
     * Whether the file's directory events should wake the watcher for it. Read at registration and
     * again at each {@link Watcher#refresh(Target)} (a writer hears nothing: it would only be woken
     * by its own publishes).
     */
    boolean wantsEvents();

    /** Something happened in the file's directory that names it: look now. */
    void onEvent();

    /**
     * The poll interval elapsed, or an event said more than a timestamp changed: look now, and
     * check the file is still the one mapped.
     */
    void onTick();
  }

  /** A registered target and the watcher thread's bookkeeping for it. */
  private static final class Entry {
    final Target target;
    final Path dir;
    final String name;

    /** Whether events wake this target now: changed under the watcher's lock by refresh. */
    volatile boolean events;

    /** Watcher thread only after registration (published by the volatile entries array). */
    long due;

    /**
     * An event named the file since the last dispatch: set by the watcher thread, and by refresh
     * when events start again (whatever happened while none were heard is looked at).
     */
    volatile boolean pending;

    /** With {@link #pending}: an event said more than a timestamp changed (watcher thread only). */
    boolean pendingFull;

    Entry(Target target) {
      this.target = target;
      Path absolute = target.path().toAbsolutePath();
      this.dir = absolute.getParent();
      this.name = String.valueOf(absolute.getFileName());
      this.events = target.wantsEvents();
      this.due = System.nanoTime() + target.pollIntervalNanos(false);
    }
  }

  private final Sink sink = new Sink();

  /** Copy-on-write under this, so the thread iterates without a lock or an iterator. */
  private volatile Entry[] entries = new Entry[0];

  // Guarded by this.
  private final Map<Path, Integer> dirUsers = new HashMap<>();
  private final Set<Path> watched = new HashSet<>();
  private Thread thread;
  private boolean closed;

  /** Replaced only by the watcher thread, when the current one fails. */
  private volatile DirectoryEvents events;

  static Watcher instance() {
    return INSTANCE;
  }

  /**
   * A watcher of its own (tests; the JVM-wide one is {@link #instance()}).
   *
   * @param mechanism {@code jdk} for the JDK WatchService, anything else (or null) for inotify
   *     where it loads
   */
  Watcher(String mechanism) {
    this.events = open(mechanism);
  }

  private static DirectoryEvents open(String mechanism) {
    String wanted = mechanism == null ? "auto" : mechanism.trim().toLowerCase(Locale.ROOT);
    if (!wanted.equals("auto") && !wanted.equals("jdk")) {
      LOG.log(
          Level.WARNING,
          "jsonmmap watcher: unknown {0}={1}, using auto",
          MECHANISM_PROPERTY,
          mechanism);
      wanted = "auto";
    }
    String why = MECHANISM_PROPERTY + "=jdk";
    if (wanted.equals("auto")) {
      try {
        DirectoryEvents inotify = InotifyEvents.open();
        LOG.log(Level.INFO, "jsonmmap watcher: native inotify, read on the watcher thread");
        return inotify;
      } catch (LinkageError | RuntimeException e) {
        why = "native inotify unavailable: " + e;
      }
    }
    return jdkOrPolling(why);
  }

  private static DirectoryEvents jdkOrPolling(String why) {
    try {
      DirectoryEvents jdk = new JdkEvents(FileSystems.getDefault().newWatchService());
      LOG.log(Level.INFO, "jsonmmap watcher: JDK WatchService ({0})", why);
      return jdk;
    } catch (IOException | RuntimeException e) {
      LOG.log(
          Level.INFO,
          "jsonmmap watcher: fallback poll only ({0}; no WatchService: {1})",
          why,
          e.toString());
      return new PollOnlyEvents();
    }
  }

  /** {@code inotify}, {@code jdk} or {@code poll}: what the thread waits on now. */
  String mechanism() {
    return events.mechanism();
  }

  /** Whether events in {@code dir} wake the thread now (tests). */
  synchronized boolean watches(Path dir) {
    return dirUsers.containsKey(dir.toAbsolutePath());
  }

  /** The watcher thread, once a target has registered (tests). */
  synchronized Thread thread() {
    return thread;
  }

  synchronized void register(Target target) {
    if (closed) {
      throw new IllegalStateException("watcher closed");
    }
    for (Entry e : entries) {
      if (e.target == target) {
        return;
      }
    }
    Entry entry = new Entry(target);
    if (entry.events) {
      use(entry.dir);
    }
    Entry[] next = Arrays.copyOf(entries, entries.length + 1);
    next[next.length - 1] = entry;
    entries = next;
    if (thread == null) {
      thread = new Thread(this::run, "jsonmmap-watcher");
      thread.setDaemon(true);
      thread.setUncaughtExceptionHandler(
          (t, e) -> LOG.log(Level.ERROR, "jsonmmap watcher thread died", e));
      thread.start();
    } else {
      events.wakeup();
    }
  }

  /**
   * Reads {@link Target#wantsEvents()} again and starts or stops hearing events for the target: a
   * directory no target wants events for is no longer watched, so a writer's publishes wake no
   * thread of its own JVM. When events start again the target is looked at once, for whatever
   * changed while none were heard. Does nothing for a target not registered.
   */
  synchronized void refresh(Target target) {
    for (Entry entry : entries) {
      if (entry.target != target) {
        continue;
      }
      boolean wanted = target.wantsEvents();
      if (wanted == entry.events) {
        return;
      }
      entry.events = wanted;
      if (wanted) {
        use(entry.dir);
        entry.pending = true;
        if (!closed) {
          events.wakeup();
        }
      } else {
        release(entry.dir);
      }
      return;
    }
  }

  /** One target more wants events for {@code dir}: watches it if it is not watched yet. */
  private void use(Path dir) {
    dirUsers.merge(dir, 1, Integer::sum);
    ensureWatched(dir);
  }

  /** One target fewer wants events for {@code dir}: stops watching it when none is left. */
  private void release(Path dir) {
    int users = dirUsers.merge(dir, -1, Integer::sum);
    if (users <= 0) {
      dirUsers.remove(dir);
      watched.remove(dir);
      events.unwatch(dir);
    }
  }

  synchronized void unregister(Target target) {
    Entry[] current = entries;
    for (int i = 0; i < current.length; i++) {
      if (current[i].target == target) {
        Entry entry = current[i];
        Entry[] next = new Entry[current.length - 1];
        System.arraycopy(current, 0, next, 0, i);
        System.arraycopy(current, i + 1, next, i, current.length - i - 1);
        entries = next;
        if (entry.events) {
          release(entry.dir);
        }
        if (!closed) {
          events.wakeup();
        }
        return;
      }
    }
  }

  /**
   * Stops the thread (only watchers of their own; the JVM-wide one runs as long as the JVM).
   *
   * @return whether the thread ended within the timeout
   */
  boolean close(Duration timeout) throws InterruptedException {
    Thread running;
    synchronized (this) {
      closed = true;
      running = thread;
      events.wakeup();
    }
    if (running == null) {
      events.close();
      return true;
    }
    // A JDK WatchService wait ends on an interrupt; inotify's poll(2) on the eventfd write above.
    running.interrupt();
    running.join(timeout.toMillis());
    return !running.isAlive();
  }

  /** Watches a directory once; retried on every tick while it cannot be watched. */
  private synchronized void ensureWatched(Path dir) {
    if (!closed && dirUsers.containsKey(dir) && !watched.contains(dir) && events.watch(dir)) {
      watched.add(dir);
    }
  }

  private synchronized boolean isClosed() {
    return closed;
  }

  private void run() {
    try {
      while (!isClosed()) {
        try {
          long waitNanos = runDueTicks();
          events.await(waitNanos, sink);
          dispatchPending();
        } catch (InterruptedException e) {
          // Only close() interrupts; the loop condition says whether to stop.
        } catch (Throwable t) { // the one thread must outlive any failure it can
          failed(t);
        }
      }
    } finally {
      events.close();
    }
  }

  /** The event source itself failed: log it and carry on with the next one down. */
  private void failed(Throwable t) {
    try {
      DirectoryEvents failed = events;
      String mechanism = failed.mechanism();
      LOG.log(Level.WARNING, "jsonmmap watcher: " + mechanism + " events failed, falling back", t);
      DirectoryEvents next =
          mechanism.equals("inotify")
              ? jdkOrPolling("inotify failed: " + t)
              : mechanism.equals("jdk") ? new PollOnlyEvents() : failed;
      if (next != failed) {
        synchronized (this) {
          events = next;
          watched.clear();
          for (Path dir : dirUsers.keySet()) {
            ensureWatched(dir);
          }
        }
        failed.close();
      }
      // Whatever was missed, the targets look now.
      sink.overflow();
    } catch (Throwable again) { // logging itself may fail (out of memory)
      return;
    }
  }

  /** Runs the ticks that are due; returns how long to wait for the next one, or -1 for none. */
  private long runDueTicks() {
    Entry[] current = entries;
    if (current.length == 0) {
      return -1;
    }
    long now = System.nanoTime();
    long next = Long.MAX_VALUE;
    for (Entry entry : current) {
      if (now - entry.due >= 0) {
        if (entry.events) {
          ensureWatched(entry.dir);
        }
        safely(entry.target, false);
        entry.due = nextDue(entry);
      }
      if (next == Long.MAX_VALUE || entry.due - next < 0) {
        next = entry.due;
      }
    }
    return Math.max(MIN_WAIT_NANOS, next - System.nanoTime());
  }

  private void dispatchPending() {
    for (Entry entry : entries) {
      if (entry.pending) {
        entry.pending = false;
        boolean full = entry.pendingFull;
        entry.pendingFull = false;
        safely(entry.target, !full);
        // What the event showed may call for an earlier look (a failed read polls at its interval).
        long due = nextDue(entry);
        if (due - entry.due < 0) {
          entry.due = due;
        }
      }
    }
  }

  /** When the entry's next tick is due, counted from now at the interval its target asks for. */
  private long nextDue(Entry entry) {
    return System.nanoTime() + entry.target.pollIntervalNanos(heard(entry));
  }

  /** Whether precise events for the entry's file reach the thread now. */
  private boolean heard(Entry entry) {
    if (!entry.events || !events.precise()) {
      return false;
    }
    synchronized (this) {
      return watched.contains(entry.dir);
    }
  }

  private static void safely(Target target, boolean event) {
    try {
      if (event) {
        target.onEvent();
      } else {
        target.onTick();
      }
    } catch (Throwable t) { // a target's Error must not stop the others
      try {
        LOG.log(Level.WARNING, "jsonmmap watcher: check of " + target.path() + " failed", t);
      } catch (Throwable ignored) { // nothing left to report with
        return;
      }
    }
  }

  /** Marks the targets that events name; watcher thread only. */
  private final class Sink implements DirectoryEvents.Sink {
    @Override
    public void changed(Path dir, String name, boolean timestampOnly) {
      for (Entry entry : entries) {
        if (entry.events && entry.name.equals(name) && entry.dir.equals(dir)) {
          entry.pending = true;
          entry.pendingFull |= !timestampOnly;
        }
      }
    }

    @Override
    public void overflow() {
      for (Entry entry : entries) {
        if (entry.events) {
          entry.pending = true;
          entry.pendingFull = true;
        }
      }
    }

    @Override
    public void lost(Path dir) {
      synchronized (Watcher.this) {
        watched.remove(dir);
      }
      for (Entry entry : entries) {
        if (entry.events && entry.dir.equals(dir)) {
          entry.pending = true;
          entry.pendingFull = true;
        }
      }
    }
  }
}
