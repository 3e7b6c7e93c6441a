package io.github.jsonmmap.agent;

import static java.nio.file.StandardWatchEventKinds.ENTRY_CREATE;
import static java.nio.file.StandardWatchEventKinds.ENTRY_DELETE;
import static java.nio.file.StandardWatchEventKinds.ENTRY_MODIFY;

import io.github.jsonmmap.JsonMmapException;
import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.Path;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows a directory ({@link DirectoryReader} says how it is read): a file event in it or in any
 * sub-directory read (a file edited in place, or Kubernetes' atomic swap of the {@code ..data}
 * symlink) makes the agent read the whole directory again once the events have paused for {@code
 * settle}, and a fallback poll does so as well. A stream of events that never pauses cannot starve
 * it: the directory is read at the latest {@code maxDelay} after the first event of a burst, and
 * any event during a read makes another one, so the published document always converges on the
 * directory's latest state; two reads are at least {@code settle} apart, which bounds the rate. A
 * directory that cannot be read, or a file that is not valid (half-written), is reported and the
 * last good version stays; the next event or poll tries again.
 *
 * <p>One thread of its own; {@link #close()} is safe from any thread.
 */
final class DirectorySource implements Source {

  private static final Logger LOG = LoggerFactory.getLogger(DirectorySource.class);

  private final Path directory;
  private final DirectoryReader reader;
  private final DocumentPublisher publisher;
  private final Duration settle;
  private final Duration maxDelay;
  private final Duration pollInterval;
  private volatile boolean closed;
  private volatile WatchService watchService;

  // Used by the source's thread only.
  /** The directories watched besides the source directory (resolved paths), by their keys. */
  private final Map<Path, WatchKey> watched = new HashMap<>();

  private WatchKey rootKey;
  private Thread thread;

  DirectorySource(
      Path directory,
      DirectoryReader reader,
      DocumentPublisher publisher,
      Duration settle,
      Duration maxDelay,
      Duration pollInterval) {
    this.directory = directory.toAbsolutePath().normalize();
    this.reader = reader;
    this.publisher = publisher;
    this.settle = settle;
    this.maxDelay = maxDelay.compareTo(settle) < 0 ? settle : maxDelay;
    this.pollInterval = pollInterval;
  }

  @Override
  public String describe() {
    return "directory:" + directory;
  }

  @Override
  public synchronized void start() {
    thread = new Thread(this::run, "jsonmmap-agent-directory");
    thread.setDaemon(true);
    thread.start();
  }

  private void run() {
    while (!closed) {
      ensureWatching();
      readOnce();
      try {
        WatchService ws = watchService;
        if (ws == null) {
          Thread.sleep(pollInterval.toMillis());
          continue;
        }
        WatchKey key = ws.poll(pollInterval.toNanos(), TimeUnit.NANOSECONDS);
        long deadline = System.nanoTime() + maxDelay.toNanos();
        while (key != null) {
          key.pollEvents();
          if (!key.reset()) {
            if (key == rootKey) {
              closeWatch();
              break;
            }
            // A sub-directory gone (an old ConfigMap version deleted): the next read says what
            // to watch now.
            watched.values().remove(key);
          }
          long wait = Math.min(settle.toNanos(), deadline - System.nanoTime());
          if (wait <= 0) {
            break;
          }
          key = ws.poll(wait, TimeUnit.NANOSECONDS);
        }
      } catch (InterruptedException | ClosedWatchServiceException e) {
        if (closed) {
          return;
        }
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  private void ensureWatching() {
    if (watchService != null) {
      return;
    }
    try {
      WatchService ws = directory.getFileSystem().newWatchService();
      try {
        rootKey = directory.register(ws, ENTRY_CREATE, ENTRY_MODIFY, ENTRY_DELETE);
      } catch (IOException e) {
        ws.close();
        throw e;
      }
      watchService = ws;
    } catch (IOException e) {
      LOG.debug("cannot watch directory yet: path={} error={}", directory, e.toString());
    }
  }

  /**
   * Watches each sub-directory the last read went through (so that a file edited in place there is
   * seen at once, not at the next poll) and no other.
   */
  private void watchDirectories(List<Path> directories) {
    WatchService ws = watchService;
    if (ws == null) {
      return;
    }
    Set<Path> wanted = new HashSet<>(directories.subList(1, directories.size()));
    watched
        .entrySet()
        .removeIf(
            e -> {
              if (wanted.contains(e.getKey()) && e.getValue().isValid()) {
                return false;
              }
              e.getValue().cancel();
              return true;
            });
    for (Path dir : wanted) {
      if (!watched.containsKey(dir)) {
        try {
          watched.put(dir, dir.register(ws, ENTRY_CREATE, ENTRY_MODIFY, ENTRY_DELETE));
        } catch (IOException | ClosedWatchServiceException e) {
          LOG.debug("cannot watch sub-directory: path={} error={}", dir, e.toString());
        }
      }
    }
  }

  private void closeWatch() {
    WatchService ws = watchService;
    watchService = null;
    rootKey = null;
    watched.clear();
    if (ws != null) {
      try {
        ws.close();
      } catch (IOException e) {
        LOG.debug("closing watch service: path={} error={}", directory, e.toString());
      }
    }
  }

  private void readOnce() {
    long observed = System.nanoTime();
    try {
      DirectoryReader.Result result = reader.read(directory);
      watchDirectories(result.directories());
      publisher.offer(new SourceDocument(result.document(), -1, result.newestMicros(), observed));
    } catch (JsonMmapException e) {
      publisher.failed(e);
    } catch (StackOverflowError e) {
      // Whatever nests past the bounds checked: reported, and this thread goes on.
      publisher.failed(
          new SourceException(
              "too-deep",
              directory,
              "source directory nests too deep to read: path=" + directory,
              e));
    } catch (OutOfMemoryError e) {
      publisher.failed(
          new SourceException(
              "too-large-for-heap",
              directory,
              "source directory does not fit in the agent's heap: path="
                  + directory
                  + " maxHeap="
                  + Runtime.getRuntime().maxMemory()
                  + " (raise -Xmx, or make the directory smaller)",
              e));
    } catch (RuntimeException e) {
      publisher.failed(
          new SourceException(
              "error",
              directory,
              "cannot read source directory: path="
                  + directory
                  + " error="
                  + e.getClass().getName(),
              e));
    }
  }

  @Override
  public void close() {
    closed = true;
    // Wakes the thread's wait; the thread owns the keys and drops them as it ends.
    WatchService ws = watchService;
    if (ws != null) {
      try {
        ws.close();
      } catch (IOException e) {
        LOG.debug("closing watch service: path={} error={}", directory, e.toString());
      }
    }
    Thread t;
    synchronized (this) {
      t = thread;
    }
    if (t != null) {
      t.interrupt();
      try {
        t.join(5000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
