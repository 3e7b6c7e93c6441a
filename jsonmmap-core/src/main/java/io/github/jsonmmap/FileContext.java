package io.github.jsonmmap;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;
import tools.jackson.databind.json.JsonMapper;

/**
 * What one open handle shares between its facade ({@link JsonMmapFile}), its writer role ({@link
 * WriterRole}) and its reader role ({@link ReaderRole}): the configuration, the mapping in use, the
 * latest snapshot, the last error and listener dispatch.
 *
 * <p>Fields marked "guarded" are read and written only while holding {@link #lock}; volatile fields
 * may be read from any thread.
 */
final class FileContext {

  static final System.Logger LOG = System.getLogger(JsonMmapFile.class.getName());

  final JsonMmapOptions options;
  final Path path;
  final Path lockPath;
  final Documents documents;
  final JsonMapper mapper;
  final ReentrantLock lock = new ReentrantLock();

  /**
   * Held by whoever touches {@link #region} without holding {@link #lock} (the heartbeat, the
   * facade's header getters) and by {@code close()} while it unmaps: a use after unmap would crash
   * the JVM. Always taken after {@link #lock}, never before it.
   */
  final ReentrantLock mappingLock = new ReentrantLock();

  final AtomicBoolean closed = new AtomicBoolean();
  final CopyOnWriteArrayList<ChangeListener> listeners = new CopyOnWriteArrayList<>();
  final LongAdder changes = new LongAdder();
  final LongAdder readRetries = new LongAdder();
  final Map<String, LongAdder> failures = new ConcurrentHashMap<>();

  // Guarded by lock.
  private final ArrayDeque<Change> pending = new ArrayDeque<>();
  private boolean dispatching;

  /** The open channel on the data file (guarded). */
  FileChannel channel;

  /** The identity of the file {@link #channel} was opened on (guarded). */
  Object fileKey;

  /**
   * Whether the next version read may be lower than the latest (a new file was mapped; guarded).
   */
  boolean acceptAnyVersion = true;

  volatile Snapshot latest;
  volatile JsonMmapException lastError;

  /** Whether this handle holds the writer role; changed only through {@link #writer(boolean)}. */
  volatile boolean writer;

  /** Told after every change of {@link #writer}: the facade tells the watcher. */
  volatile Runnable roleChanged = () -> {};

  volatile MappedRegion region;

  /** The current word of the last version taken in, or -1 to force a read. */
  volatile long seenCurrent = -1;

  FileContext(JsonMmapOptions options, JsonMapper mapper) {
    this.options = options;
    this.path = options.path();
    this.lockPath = path.resolveSibling(path.getFileName() + ".lock");
    this.documents = new Documents(options.maxNestingDepth(), options.maxSize());
    this.mapper = mapper;
    this.latest = Snapshot.empty(path, mapper);
  }

  /** Takes or gives up the writer role, and says so to whoever follows it (lock held). */
  void writer(boolean writer) {
    if (this.writer != writer) {
      this.writer = writer;
      roleChanged.run();
    }
  }

  /** A snapshot of validated slot content, with the writer id the header names now. */
  Snapshot snapshotOf(Protocol.SlotContent content) {
    return Snapshot.read(
        path,
        content.version(),
        content.publishedAtMicros(),
        Protocol.readWriterId(region),
        content.bytes(),
        documents,
        mapper);
  }

  void checkName(ReadRegion r) {
    String expected = options.name();
    String actual = Protocol.readName(r);
    if (expected != null && !actual.isEmpty() && !expected.equals(actual)) {
      throw new NameMismatchException(
          path,
          "file belongs to another document: path="
              + path
              + " fileName=\""
              + actual
              + "\" expectedName=\""
              + expected
              + "\" (two applications pointed at the same file?)");
    }
  }

  long fileSize() {
    try {
      FileChannel ch = channel;
      return ch == null ? 0 : ch.size();
    } catch (IOException e) {
      return region == null ? 0 : region.size();
    }
  }

  Object fileKeyOrNull() {
    return SafeFiles.fileKey(path);
  }

  void record(JsonMmapException e) {
    JsonMmapException previous = lastError;
    lastError = e;
    if (previous == null || !previous.getMessage().equals(e.getMessage())) {
      failures.computeIfAbsent(e.reason(), reason -> new LongAdder()).increment();
      // A file not there yet, or still being created, is expected while a fleet starts.
      boolean expected = e.reason().equals("missing") || e.reason().equals("not-ready");
      if (e.reason().equals("internal")) {
        // A bug of ours, not a fault of the file: the stack trace is what a report needs.
        LOG.log(Level.WARNING, "jsonmmap: " + e.getMessage(), e.getCause());
      } else {
        LOG.log(expected ? Level.INFO : Level.WARNING, "jsonmmap: {0}", e.getMessage());
      }
    }
  }

  /** Makes a snapshot the latest and queues its change for the listeners (lock held). */
  void apply(Snapshot snapshot, long receivedAtMicros) {
    Snapshot old = latest;
    latest = snapshot;
    changes.increment();
    pending.add(new Change(old, snapshot, receivedAtMicros));
    if (dispatching) {
      return;
    }
    dispatching = true;
    try {
      Change change;
      while ((change = pending.poll()) != null) {
        for (ChangeListener listener : listeners) {
          try {
            listener.onChange(change);
          } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "jsonmmap: change listener failed for " + path, e);
          }
        }
      }
    } finally {
      dispatching = false;
    }
  }

  void checkNotClosed() {
    if (closed.get()) {
      throw new JsonMmapException("closed", path, "file handle is closed: path=" + path);
    }
  }

  JsonMmapException ioError(String what, IOException e) {
    return ioError(path, what, e);
  }

  static JsonMmapException ioError(Path file, String what, IOException e) {
    return new JsonMmapException(
        "io",
        file,
        what + ": path=" + file + " error=" + e.getClass().getSimpleName() + ": " + e.getMessage(),
        e);
  }

  static void closeQuietly(FileChannel ch) {
    if (ch != null) {
      try {
        ch.close();
      } catch (IOException e) {
        LOG.log(Level.DEBUG, "close failed: {0}", e.toString());
      }
    }
  }
}
