package io.github.jsonmmap;

import static io.github.jsonmmap.FileLayout.*;
import static java.util.Objects.requireNonNull;

import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * An open jsonmmap file: the shared JSON document, as a writer, a reader or a standby ({@link
 * Role}). Readers see each new version within microseconds to a millisecond (see {@link WatchMode})
 * and read the latest {@link #snapshot()} at memory speed; the writer publishes whole documents,
 * read-modify-write updates, RFC 7386 merge patches and single-key edits.
 *
 * <p>Safe to call from any thread. Writes through one handle are serialised; one process per file
 * holds the writer role (an OS lock on the sidecar file {@code <file>.lock}), and proves before
 * every publish and heartbeat that it still does: a writer that finds the lock file deleted or
 * replaced, or another writer's epoch in the header, steps down (see {@link #isWriter()} and
 * FORMAT.md section 7.1).
 *
 * <pre>{@code
 * try (JsonMmapFile file = JsonMmapFile.open(JsonMmapOptions.of(path, Role.WRITER))) {
 *   file.set("greeting.message", "hello");
 * }
 * try (JsonMmapFile file = JsonMmapFile.open(JsonMmapOptions.of(path, Role.READER))) {
 *   file.addListener(change -> System.out.println(change.keys().all()));
 *   String message = (String) file.snapshot().get("greeting.message");
 * }
 * }</pre>
 */
public final class JsonMmapFile implements AutoCloseable {

  private static final JsonMapper DEFAULT_MAPPER = Documents.defaultMapper();

  private final FileContext ctx;
  private final WriterRole writerRole;
  private final ReaderRole readerRole;
  private final Watcher.Target watchTarget = new WatchTarget();

  private ScheduledFuture<?> heartbeat;
  private Thread spinThread;

  private JsonMmapFile(JsonMmapOptions options) {
    this.ctx =
        new FileContext(options, options.mapper() != null ? options.mapper() : DEFAULT_MAPPER);
    this.writerRole = new WriterRole(ctx);
    this.readerRole = new ReaderRole(ctx);
    // A writer is not woken by the events of its own publishes; it hears them again when it stops
    // writing (a standby, or a fenced writer that goes on reading).
    ctx.roleChanged = () -> Watcher.instance().refresh(watchTarget);
  }

  /**
   * Opens a file in the role the options name.
   *
   * @throws WriterLockedException when the role is {@code WRITER} and another process writes
   * @throws FileMissingException when a reader requires the file and it does not exist
   * @throws CorruptFileException for a file that is not a valid jsonmmap file (a writer never
   *     overwrites it)
   * @throws UnsupportedFormatException for a file of another format major version
   * @throws NameMismatchException for a file that records another document name (a standby does not
   *     throw: it records the problem in {@link #lastError()} and never takes the file over)
   */
  public static JsonMmapFile open(JsonMmapOptions options) {
    JsonMmapFile file = new JsonMmapFile(requireNonNull(options, "options"));
    try {
      file.start();
      return file;
    } catch (RuntimeException | Error e) {
      file.close();
      throw e;
    }
  }

  /** Opens {@code path} in {@code role} with default options. */
  public static JsonMmapFile open(Path path, Role role) {
    return open(JsonMmapOptions.of(path, role));
  }

  private void start() {
    JsonMmapOptions options = ctx.options;
    ctx.lock.lock();
    try {
      switch (options.role()) {
        case WRITER -> writerRole.becomeWriter(true);
        case AUTO -> {
          if (!writerRole.becomeWriter(false)) {
            readerRole.attach(false);
          }
        }
        case READER -> readerRole.attach(options.requireFile());
      }
    } finally {
      ctx.lock.unlock();
    }
    Watcher.instance().register(watchTarget);
    if (options.role() != Role.READER) {
      heartbeat = Heartbeats.schedule(options.heartbeatInterval(), this::beat);
    }
    if (options.watchMode() == WatchMode.SPIN && options.role() != Role.WRITER) {
      spinThread = new Thread(readerRole::spin, "jsonmmap-spin-" + ctx.path.getFileName());
      spinThread.setDaemon(true);
      spinThread.start();
    }
  }

  // ---------------------------------------------------------------- reading

  /** The path of the file. */
  public Path path() {
    return ctx.path;
  }

  public JsonMmapOptions options() {
    return ctx.options;
  }

  /**
   * Whether this process holds the writer role now (a standby becomes writer on takeover; a writer
   * fenced off by another stops being one: an {@code AUTO} handle stands by again, a {@code WRITER}
   * handle keeps reading and reports the fencing in {@link #lastError()}).
   */
  public boolean isWriter() {
    return ctx.writer;
  }

  /**
   * The latest version this process has seen: one volatile read. The watcher keeps it current;
   * version 0 (an empty object) until a version has been read.
   */
  public Snapshot snapshot() {
    ctx.checkNotClosed();
    return ctx.latest;
  }

  /** Looks at the file now, as the watcher would, and returns the latest snapshot. */
  public Snapshot refresh() {
    ctx.checkNotClosed();
    readerRole.checkForChange();
    return ctx.latest;
  }

  /**
   * The version before the current one, from the other slot: the one-step rollback target. Empty
   * when there is none (a new file) or it is being overwritten.
   */
  public Optional<Snapshot> previous() {
    ctx.checkNotClosed();
    ctx.lock.lock();
    try {
      Protocol.SlotContent content = readerRole.readPrevious();
      if (content == null) {
        return Optional.empty();
      }
      return Optional.of(readerRole.snapshotOf(content));
    } finally {
      ctx.lock.unlock();
    }
  }

  /** Adds a listener told of every later version (see {@link ChangeListener}). */
  public void addListener(ChangeListener listener) {
    ctx.checkNotClosed();
    ctx.listeners.add(requireNonNull(listener, "listener"));
  }

  public void removeListener(ChangeListener listener) {
    ctx.listeners.remove(listener);
  }

  /**
   * The last problem met reading the file, or empty while the latest read succeeded. A {@code
   * WRITER} handle that another process fenced off (see {@link #isWriter()}) reports that for good:
   * it reads on but never writes again.
   */
  public Optional<JsonMmapException> lastError() {
    JsonMmapException fenced = writerRole.fencedError();
    if (fenced != null && ctx.options.role() == Role.WRITER) {
      return Optional.of(fenced);
    }
    return Optional.ofNullable(ctx.lastError);
  }

  /** How many new versions this process has applied. */
  public long changesReceived() {
    return ctx.changes.sum();
  }

  /** How many times a read found a slot being written and tried again. */
  public long readRetries() {
    return ctx.readRetries.sum();
  }

  /** Failed reads by {@link JsonMmapException#reason()}, each distinct failure counted once. */
  public Map<String, Long> readFailures() {
    Map<String, Long> result = new TreeMap<>();
    ctx.failures.forEach((reason, count) -> result.put(reason, count.sum()));
    return result;
  }

  /** Age of the writer heartbeat in the header; empty when no writer ever beat or no file. */
  public Optional<Duration> writerHeartbeatAge() {
    long beat = readerRole.heartbeatMicros();
    return beat == 0 ? Optional.empty() : Optional.of(Units.ageOf(beat));
  }

  /** Whether the writer heartbeat is older than the staleness threshold, or absent. */
  public boolean isWriterStale() {
    if (ctx.writer) {
      return false;
    }
    return writerHeartbeatAge()
        .map(age -> age.compareTo(ctx.options.staleAfter()) > 0)
        .orElse(true);
  }

  /** What the header says now (see {@link #inspect(Path)}). */
  public FileInfo info() {
    ctx.checkNotClosed();
    return readerRole.info();
  }

  /**
   * Reads the header and both slots of a file without taking any lock or keeping it open: for tools
   * and health checks. A slot that fails its checks is reported in its state, not thrown.
   *
   * @throws FileMissingException when there is no file
   * @throws CorruptFileException or UnsupportedFormatException when the header is unusable
   */
  public static FileInfo inspect(Path path) {
    return Inspector.inspect(path);
  }

  /**
   * Like {@link #inspect(Path)}, trusting the file and its directories as the options say ({@link
   * JsonMmapOptions#strictModes()}, {@link JsonMmapOptions#trustedUsers()}); the options' path is
   * the file inspected.
   */
  public static FileInfo inspect(JsonMmapOptions options) {
    return Inspector.inspect(options.path(), options);
  }

  /**
   * A mapper that reads JSON text the way the library keeps values: every number exactly as written
   * ({@code 1e400}, {@code 0.30000000000000000001} and {@code 1.10} stay what they are, never a
   * rounded double). Use it to turn text into a tree before publishing it.
   */
  public static JsonMapper exactMapper() {
    return Documents.defaultMapper();
  }

  // ---------------------------------------------------------------- writing

  /**
   * Publishes a whole document: any Jackson-serialisable object, a tree, or JSON text (a {@code
   * String} or other {@code CharSequence}, or UTF-8 {@code byte[]}), whose root is an object. Text
   * is held to the rules a reader applies (strict UTF-8, no lone surrogate, no duplicate names,
   * numbers exactly as written, this handle's depth and size limits) and stored compact.
   *
   * <p>Text is the cheaper way to publish a large document: text in the form the writer itself
   * writes (white space between tokens aside; no escape but {@code \" \\ \b \t \n \f \r} and <code>
   * &#92;u00XX</code> for other control characters, no exponent, no negative zero, no decimal
   * smaller than 10<sup>-6</sup>: what Jackson's compact or pretty printer writes for a tree of
   * strings, integers and such decimals) is checked in one pass, as a reader checks it, and stored
   * as it is, white space dropped; other text is parsed and serialised, and stored the same way a
   * tree would be. When such text has the same names and structure as the last text this handle
   * checked, only values changed, it is checked only where the two differ (one comparison pass,
   * then the changed tokens), as every reader checks the new version. A validator, when set, still
   * sees the tree. Always makes a new version, even when nothing changed.
   *
   * <p>A tree is checked and serialised in one walk, and must not change while this runs. After a
   * document of 2 MiB or more, the first object or array of 1,024 entries or more is walked in two
   * halves at once, one of them by a helper thread (a daemon, gone after a few idle seconds) when a
   * second core is free; the bytes and any refusal are those of one walk.
   *
   * @return the new snapshot, committed: readers see it or a later one from now on
   * @throws NotWriterException when this process does not hold the writer role, or finds that it
   *     lost it (fenced off by another writer); nothing it wrote is then visible
   * @throws DocumentTooLargeException when it does not fit; nothing is written
   */
  public Snapshot publish(Object document) {
    ctx.checkNotClosed();
    // Text in the writer's own form is stored without a tree: the tree is most of a large publish.
    Documents.Serialized text = ctx.documents.storableText(ctx.path, document);
    ObjectNode tree = text == null ? ctx.documents.toTree(ctx.path, ctx.mapper, document) : null;
    ctx.lock.lock();
    try {
      return text != null
          ? writerRole.publishReplacing(
              text, () -> ctx.documents.toTree(ctx.path, ctx.mapper, document))
          : writerRole.publishReplacing(tree);
    } finally {
      ctx.lock.unlock();
    }
  }

  /**
   * Read-modify-write: gives a copy of the current document to {@code change} and publishes what it
   * returns, atomically with respect to other writes through this handle. Publishes nothing and
   * returns the current snapshot when the result equals the current document.
   */
  public Snapshot update(UnaryOperator<ObjectNode> change) {
    requireNonNull(change, "change");
    return edit(
        current -> {
          ObjectNode result = change.apply(current);
          return result == null ? current : result;
        });
  }

  /**
   * Applies an RFC 7386 JSON merge patch: a tree, an object serialised to one, or JSON text (as for
   * {@link #publish}).
   */
  public Snapshot merge(Object patch) {
    requireNonNull(patch, "patch");
    JsonNode patchTree =
        patch instanceof JsonNode node ? node : ctx.documents.toTree(ctx.path, ctx.mapper, patch);
    return edit(
        current -> Documents.requireObject(ctx.path, Documents.mergePatch(current, patchTree)));
  }

  /**
   * Sets one value by key path ({@code a.b[0].c}), creating missing objects and arrays; the value
   * is any Jackson-serialisable object, a tree, or null.
   */
  public Snapshot set(String key, Object value) {
    requireNonNull(key, "key");
    JsonNode node = ctx.documents.toNode(ctx.path, ctx.mapper, value);
    return edit(
        current -> {
          Documents.set(ctx.path, current, key, node);
          return current;
        });
  }

  /** Removes one key by path; publishes nothing when it is absent. */
  public Snapshot remove(String key) {
    requireNonNull(key, "key");
    Documents.parsePath(key);
    return edit(
        current -> {
          Documents.remove(current, key);
          return current;
        });
  }

  /**
   * Publishes the previous version's document again, as a new version.
   *
   * @throws JsonMmapException with reason {@code no-previous} when there is none
   */
  public Snapshot rollback() {
    ctx.checkNotClosed();
    ctx.lock.lock();
    try {
      writerRole.requireWriter();
      Snapshot previous =
          previous()
              .orElseThrow(
                  () ->
                      new JsonMmapException(
                          "no-previous",
                          ctx.path,
                          "no previous version to roll back to: path="
                              + ctx.path
                              + " version="
                              + ctx.latest.version()));
      return writerRole.publish(previous.tree());
    } finally {
      ctx.lock.unlock();
    }
  }

  private Snapshot edit(UnaryOperator<ObjectNode> change) {
    ctx.checkNotClosed();
    ctx.lock.lock();
    try {
      writerRole.requireWriter();
      Snapshot current = ctx.latest;
      ObjectNode next = change.apply(current.tree());
      // Compared with the snapshot's own tree (read only): no second copy of the document.
      if (next.equals(current.treeView())) {
        return current;
      }
      return writerRole.publish(ctx.documents.toTree(ctx.path, ctx.mapper, next));
    } finally {
      ctx.lock.unlock();
    }
  }

  /**
   * Sets the check that runs before every publish through this handle (publish, update, merge, set,
   * remove, rollback, but not the initial document of a new file). It gets the exact document about
   * to be published and must not modify it; whatever it throws aborts the publish and nothing is
   * written.
   */
  public void setValidator(Consumer<ObjectNode> validator) {
    writerRole.setValidator(requireNonNull(validator, "validator"));
  }

  // ---------------------------------------------------------------- roles

  /**
   * Every heartbeat interval: the writer proves it still is and stamps its heartbeat, a standby
   * tries to take over. Survives whatever it can and records it: the next beat tries again.
   */
  private void beat() {
    if (ctx.closed.get()) {
      return;
    }
    try {
      if (ctx.writer) {
        writerRole.heartbeat();
        return;
      }
      if (ctx.options.role() != Role.AUTO) {
        // A writer fenced off by another stays a reader: taking over again is for standbys.
        return;
      }
      ctx.lock.lock();
      try {
        if (!ctx.closed.get() && !ctx.writer && writerRole.becomeWriter(false)) {
          FileContext.LOG.log(Level.INFO, "jsonmmap: took over as writer of {0}", ctx.path);
        }
      } finally {
        ctx.lock.unlock();
      }
    } catch (JsonMmapException e) {
      ctx.record(e);
    } catch (Throwable e) {
      ctx.record(
          new JsonMmapException(
              "heartbeat",
              ctx.path,
              (ctx.writer ? "writer heartbeat failed: path=" : "standby takeover failed: path=")
                  + ctx.path
                  + " error="
                  + e.getClass().getName()
                  + " (trying again at the next heartbeat)",
              e));
    }
  }

  /** The poll: the writer checks its file is still at the path, anyone else follows the file. */
  private void tick() {
    ctx.lock.lock();
    try {
      if (ctx.closed.get()) {
        return;
      }
      if (ctx.writer) {
        writerRole.checkWriterFile();
        return;
      }
      readerRole.tick();
    } finally {
      ctx.lock.unlock();
    }
  }

  // ---------------------------------------------------------------- closing

  /** Stops watching, releases the writer lock and unmaps. Idempotent. */
  @Override
  public void close() {
    if (!ctx.closed.compareAndSet(false, true)) {
      return;
    }
    Watcher.instance().unregister(watchTarget);
    if (heartbeat != null) {
      heartbeat.cancel(false);
    }
    if (spinThread != null && spinThread != Thread.currentThread()) {
      try {
        spinThread.join(TimeUnit.SECONDS.toMillis(5));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    boolean spinning = spinThread != null && spinThread.isAlive();
    ctx.lock.lock();
    try {
      writerRole.close();
      FileContext.closeQuietly(ctx.channel);
      ctx.channel = null;
      ctx.mappingLock.lock();
      try {
        MappedRegion r = ctx.region;
        ctx.region = null;
        // Every other access to the mapping holds one of the two locks held here and checks that
        // the handle is open, so nothing can touch it after this; the spin thread holds neither,
        // so a spin thread that did not stop keeps the mapping for the garbage collector.
        if (r != null && !spinning) {
          Unmapper.unmap(r.buffer());
        }
      } finally {
        ctx.mappingLock.unlock();
      }
      readerRole.close();
    } finally {
      ctx.lock.unlock();
    }
    ctx.listeners.clear();
  }

  @Override
  public String toString() {
    return "JsonMmapFile[path="
        + ctx.path
        + ", role="
        + ctx.options.role()
        + ", writer="
        + ctx.writer
        + "]";
  }

  /** Connects this file to the JVM-wide watcher. */
  private final class WatchTarget implements Watcher.Target {
    @Override
    public Path path() {
      return ctx.path;
    }

    @Override
    public long pollIntervalNanos(boolean eventsHeard) {
      Duration poll = ctx.options.pollInterval();
      if (eventsHeard && ctx.lastError == null) {
        // The events arrive and the last read was good: the tick is only the safety net.
        Duration safetyNet = ctx.options.eventsPollInterval();
        return (safetyNet.compareTo(poll) > 0 ? safetyNet : poll).toNanos();
      }
      return poll.toNanos();
    }

    @Override
    public boolean wantsEvents() {
      return ctx.options.watchMode() == WatchMode.EVENTS && !ctx.writer;
    }

    @Override
    public void onEvent() {
      readerRole.checkForChange();
    }

    @Override
    public void onTick() {
      tick();
    }
  }
}
