package io.github.jsonmmap;

import static io.github.jsonmmap.FileLayout.*;
import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * An open jsonmmap file: the shared JSON document, as a writer, a reader or a standby ({@link
 * Role}). Readers see each new version within microseconds to a millisecond (see {@link WatchMode})
 * and read the latest {@link #snapshot()} at memory speed; the writer publishes whole documents,
 * read-modify-write updates, RFC 7386 merge patches and single-key edits.
 *
 * <p>Safe to call from any thread. Writes through one handle are serialised; one process per file
 * holds the writer role (an OS lock on the sidecar file {@code <file>.lock}).
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

  private static final System.Logger LOG = System.getLogger(JsonMmapFile.class.getName());

  private static final JsonMapper DEFAULT_MAPPER = Documents.defaultMapper();

  private final JsonMmapOptions options;
  private final Path path;
  private final Path lockPath;
  private final Documents documents;
  private final JsonMapper mapper;
  private final ReentrantLock lock = new ReentrantLock();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final CopyOnWriteArrayList<ChangeListener> listeners = new CopyOnWriteArrayList<>();
  private final LongAdder changes = new LongAdder();
  private final LongAdder readRetries = new LongAdder();
  private final Map<String, LongAdder> failures = new ConcurrentHashMap<>();
  private final Watcher.Target watchTarget = new WatchTarget();

  // Guarded by lock.
  private final ArrayDeque<Change> pending = new ArrayDeque<>();
  private boolean dispatching;
  private FileChannel channel;
  private Object fileKey;
  private boolean acceptAnyVersion = true;
  private boolean lockHeld;
  private UUID writerId;
  private long lastVersion;

  private volatile Consumer<ObjectNode> validator = tree -> {};
  private volatile Snapshot latest;
  private volatile JsonMmapException lastError;
  private volatile boolean writer;
  private volatile MappedRegion region;
  private volatile long seenCurrent = -1;
  private ScheduledFuture<?> heartbeat;
  private Thread spinThread;

  private JsonMmapFile(JsonMmapOptions options) {
    this.options = options;
    this.path = options.path();
    this.lockPath = path.resolveSibling(path.getFileName() + ".lock");
    this.documents = new Documents(options.maxNestingDepth(), options.maxSize());
    this.mapper = options.mapper() != null ? options.mapper() : DEFAULT_MAPPER;
    this.latest = Snapshot.empty(path, mapper);
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
    lock.lock();
    try {
      switch (options.role()) {
        case WRITER -> becomeWriter(true);
        case AUTO -> {
          if (!becomeWriter(false)) {
            attach(false);
          }
        }
        case READER -> attach(options.requireFile());
      }
    } finally {
      lock.unlock();
    }
    Watcher.instance().register(watchTarget);
    if (options.role() != Role.READER) {
      heartbeat = Heartbeats.schedule(options.heartbeatInterval(), this::beat);
    }
    if (options.watchMode() == WatchMode.SPIN && options.role() != Role.WRITER) {
      spinThread = new Thread(this::spin, "jsonmmap-spin-" + path.getFileName());
      spinThread.setDaemon(true);
      spinThread.start();
    }
  }

  // ---------------------------------------------------------------- reading

  /** The path of the file. */
  public Path path() {
    return path;
  }

  public JsonMmapOptions options() {
    return options;
  }

  /** Whether this process holds the writer role now (a standby becomes writer on takeover). */
  public boolean isWriter() {
    return writer;
  }

  /**
   * The latest version this process has seen: one volatile read. The watcher keeps it current;
   * version 0 (an empty object) until a version has been read.
   */
  public Snapshot snapshot() {
    checkNotClosed();
    return latest;
  }

  /** Looks at the file now, as the watcher would, and returns the latest snapshot. */
  public Snapshot refresh() {
    checkNotClosed();
    checkForChange();
    return latest;
  }

  /**
   * The version before the current one, from the other slot: the one-step rollback target. Empty
   * when there is none (a new file) or it is being overwritten.
   */
  public Optional<Snapshot> previous() {
    checkNotClosed();
    lock.lock();
    try {
      MappedRegion r = region;
      if (r == null || isTruncated()) {
        return Optional.empty();
      }
      Protocol.SlotContent content = null;
      for (int attempt = 0; attempt < 3 && content == null; attempt++) {
        try {
          content = Protocol.readPrevious(path, region, options.maxSize(), this::fileSize);
        } catch (Protocol.RemapNeeded e) {
          remap();
        }
      }
      if (content == null) {
        return Optional.empty();
      }
      return Optional.of(snapshotOf(content));
    } finally {
      lock.unlock();
    }
  }

  /** Adds a listener told of every later version (see {@link ChangeListener}). */
  public void addListener(ChangeListener listener) {
    checkNotClosed();
    listeners.add(requireNonNull(listener, "listener"));
  }

  public void removeListener(ChangeListener listener) {
    listeners.remove(listener);
  }

  /** The last problem met reading the file, or empty while the latest read succeeded. */
  public Optional<JsonMmapException> lastError() {
    return Optional.ofNullable(lastError);
  }

  /** How many new versions this process has applied. */
  public long changesReceived() {
    return changes.sum();
  }

  /** How many times a read found a slot being written and tried again. */
  public long readRetries() {
    return readRetries.sum();
  }

  /** Failed reads by {@link JsonMmapException#reason()}, each distinct failure counted once. */
  public Map<String, Long> readFailures() {
    Map<String, Long> result = new TreeMap<>();
    failures.forEach((reason, count) -> result.put(reason, count.sum()));
    return result;
  }

  /** Age of the writer heartbeat in the header; empty when no writer ever beat or no file. */
  public Optional<Duration> writerHeartbeatAge() {
    MappedRegion r = region;
    if (r == null || isTruncated()) {
      return Optional.empty();
    }
    try {
      long beat = r.longAcquire(HEARTBEAT_OFFSET);
      return beat == 0 ? Optional.empty() : Optional.of(Units.ageOf(beat));
    } catch (InternalError e) {
      return Optional.empty();
    }
  }

  /** Whether the writer heartbeat is older than the staleness threshold, or absent. */
  public boolean isWriterStale() {
    if (writer) {
      return false;
    }
    return writerHeartbeatAge().map(age -> age.compareTo(options.staleAfter()) > 0).orElse(true);
  }

  /** What the header says now (see {@link #inspect(Path)}). */
  public FileInfo info() {
    checkNotClosed();
    checkNotTruncated();
    MappedRegion r = region;
    if (r == null) {
      throw lastError != null
          ? lastError
          : new FileMissingException(path, "file not mapped: path=" + path);
    }
    return Inspector.inspect(path, r, fileSize(), options.maxSize());
  }

  /**
   * Reads the header and both slots of a file without taking any lock or keeping it open: for tools
   * and health checks. A slot that fails its checks is reported in its state, not thrown.
   *
   * @throws FileMissingException when there is no file
   * @throws CorruptFileException or UnsupportedFormatException when the header is unusable
   */
  public static FileInfo inspect(Path path) {
    Path file = path.toAbsolutePath().normalize();
    try (FileChannel ch = SafeFiles.openRead(file)) {
      long size = ch.size();
      if (size > JsonMmapOptions.MAX_MAX_SIZE) {
        throw new CorruptFileException(
            file, "file too large to map: path=" + file + " size=" + size);
      }
      MappedRegion r = new MappedRegion(ch.map(FileChannel.MapMode.READ_ONLY, 0, size));
      return Inspector.inspect(file, r, size, JsonMmapOptions.MAX_MAX_SIZE);
    } catch (NoSuchFileException e) {
      throw new FileMissingException(file, "file does not exist: path=" + file, e);
    } catch (IOException e) {
      throw ioError(file, "cannot read file", e);
    }
  }

  // ---------------------------------------------------------------- writing

  /**
   * Publishes a whole document: any Jackson-serialisable object or a tree whose root is an object.
   * Always makes a new version, even when nothing changed.
   *
   * @return the new snapshot, committed: readers see it or a later one from now on
   * @throws NotWriterException when this process does not hold the writer role
   * @throws DocumentTooLargeException when it does not fit; nothing is written
   */
  public Snapshot publish(Object document) {
    checkNotClosed();
    ObjectNode tree = documents.toTree(path, mapper, document);
    lock.lock();
    try {
      requireWriter();
      return publishLocked(tree);
    } finally {
      lock.unlock();
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

  /** Applies an RFC 7386 JSON merge patch (a tree or an object serialised to one). */
  public Snapshot merge(Object patch) {
    requireNonNull(patch, "patch");
    JsonNode patchTree =
        patch instanceof JsonNode node ? node : documents.toTree(path, mapper, patch);
    return edit(current -> Documents.requireObject(path, Documents.mergePatch(current, patchTree)));
  }

  /**
   * Sets one value by key path ({@code a.b[0].c}), creating missing objects and arrays; the value
   * is any Jackson-serialisable object, a tree, or null.
   */
  public Snapshot set(String key, Object value) {
    requireNonNull(key, "key");
    JsonNode node = documents.toNode(path, mapper, value);
    return edit(
        current -> {
          Documents.set(path, current, key, node);
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
    checkNotClosed();
    lock.lock();
    try {
      requireWriter();
      Snapshot previous =
          previous()
              .orElseThrow(
                  () ->
                      new JsonMmapException(
                          "no-previous",
                          path,
                          "no previous version to roll back to: path="
                              + path
                              + " version="
                              + latest.version()));
      return publishLocked(previous.tree());
    } finally {
      lock.unlock();
    }
  }

  private Snapshot edit(UnaryOperator<ObjectNode> change) {
    checkNotClosed();
    lock.lock();
    try {
      requireWriter();
      Snapshot current = latest;
      ObjectNode next = change.apply(current.tree());
      if (next.equals(current.tree())) {
        return current;
      }
      return publishLocked(documents.toTree(path, mapper, next));
    } finally {
      lock.unlock();
    }
  }

  private void requireWriter() {
    if (writer) {
      return;
    }
    String holder = "";
    MappedRegion r = region;
    if (r != null) {
      holder = " writer=\"" + Protocol.readWriterInfo(r) + "\"";
    }
    throw new NotWriterException(
        path,
        "this process is not the writer: path="
            + path
            + " role="
            + options.role()
            + (options.role() == Role.AUTO ? " (standby)" : "")
            + holder);
  }

  /**
   * Sets the check that runs before every publish through this handle (publish, update, merge, set,
   * remove, rollback, but not the initial document of a new file). It gets the exact document about
   * to be published and must not modify it; whatever it throws aborts the publish and nothing is
   * written.
   */
  public void setValidator(Consumer<ObjectNode> validator) {
    this.validator = requireNonNull(validator, "validator");
  }

  private Snapshot publishLocked(ObjectNode tree) {
    if (lastVersion > 0) {
      validator.accept(tree);
    }
    byte[] bytes = documents.serialize(path, tree);
    long limit = options.maxDocumentSize();
    if (bytes.length > limit) {
      throw new DocumentTooLargeException(
          path,
          "document too large: path="
              + path
              + " size="
              + Units.bytes(bytes.length)
              + " limit="
              + Units.bytes(limit)
              + " (a third of maxSize="
              + Units.bytes(options.maxSize())
              + " less the header)");
    }
    MappedRegion r = region;
    long current = r.longPlain(CURRENT_OFFSET);
    int target;
    long offset;
    if (current == 0) {
      target = 0;
      offset = place(bytes.length, -1, 0);
    } else {
      int slot = currentSlot(current);
      int base = slotOffset(slot);
      target = 1 - slot;
      offset =
          place(
              bytes.length,
              r.longPlain(base + SLOT_DATA_OFFSET),
              r.longPlain(base + SLOT_DATA_LENGTH_OFFSET));
    }
    r = region;
    long version = lastVersion + 1;
    long publishedAt = Units.nowMicros();
    Protocol.writeSlot(r, target, version, offset, bytes, publishedAt);
    lastVersion = version;
    if (options.forceOnPublish()) {
      r.force();
    }
    touch();
    Snapshot snapshot = Snapshot.written(path, version, publishedAt, writerId, bytes, tree, mapper);
    seenCurrent = FileLayout.current(version, target);
    apply(snapshot, publishedAt);
    return snapshot;
  }

  /**
   * Chooses where the next document goes so that it overlaps nothing the current slot refers to: at
   * the start of the data area when it fits before the current document, else right after it,
   * growing the file when needed.
   */
  private long place(long length, long currentOffset, long currentLength) {
    long aligned = alignUp(Math.max(length, 1), DATA_ALIGNMENT);
    long start = region.intPlain(HEADER_LENGTH_OFFSET);
    if (currentOffset < 0 || start + aligned <= currentOffset) {
      if (start + aligned > region.size()) {
        grow(start + aligned, length);
      }
      return start;
    }
    long after = alignUp(currentOffset + currentLength, DATA_ALIGNMENT);
    if (after + aligned > region.size()) {
      grow(after + aligned, length);
    }
    return after;
  }

  /** Extends the file with allocated zeros (never sparse: a hole could SIGBUS on a full disk). */
  private void grow(long needed, long documentLength) {
    long max = options.maxSize();
    if (needed > max) {
      throw new DocumentTooLargeException(
          path,
          "document does not fit: path="
              + path
              + " size="
              + Units.bytes(documentLength)
              + " needed="
              + Units.bytes(needed)
              + " maxSize="
              + Units.bytes(max));
    }
    long oldSize = region.size();
    long newSize =
        Math.min(max, Math.max(alignUp(needed, PAGE_SIZE), alignUp(oldSize * 2, PAGE_SIZE)));
    try {
      writeZeros(channel, oldSize, newSize);
      region = new MappedRegion(channel.map(FileChannel.MapMode.READ_WRITE, 0, newSize));
    } catch (IOException e) {
      throw ioError(
          "cannot grow file from " + Units.bytes(oldSize) + " to " + Units.bytes(newSize), e);
    }
    MappedRegion r = region;
    long headerLength = r.intPlain(HEADER_LENGTH_OFFSET);
    r.longPlain(FILE_LENGTH_OFFSET, newSize);
    r.longPlain(CAPACITY_OFFSET, newSize - headerLength);
    r.longRelease(GENERATION_OFFSET, r.longPlain(GENERATION_OFFSET) + 1);
  }

  private static void writeZeros(FileChannel ch, long from, long to) throws IOException {
    ByteBuffer zeros = ByteBuffer.allocate((int) Math.min(64 * 1024, Math.max(1, to - from)));
    long position = from;
    while (position < to) {
      zeros.clear().limit((int) Math.min(zeros.capacity(), to - position));
      position += ch.write(zeros, position);
    }
  }

  /** Bumps the modification time: writes through a mapping raise no file event, this does. */
  private void touch() {
    try {
      Files.setLastModifiedTime(path, FileTime.from(Units.nowMicros(), TimeUnit.MICROSECONDS));
    } catch (IOException e) {
      LOG.log(Level.DEBUG, "cannot touch {0}: {1}", path, e.toString());
    }
  }

  // ---------------------------------------------------------------- roles

  /** Takes the writer lock; false when another process holds it and {@code failFast} is off. */
  private boolean becomeWriter(boolean failFast) {
    try {
      SafeFiles.prepareParent(path, options);
      if (!WriterLocks.tryAcquire(lockPath, this, options)) {
        if (failFast) {
          throw lockedError();
        }
        return false;
      }
      lockHeld = true;
    } catch (IOException e) {
      JsonMmapException error = ioError("cannot take the writer lock on " + lockPath, e);
      if (failFast) {
        throw error;
      }
      record(error);
      return false;
    }
    try {
      openForWriting();
    } catch (RuntimeException | Error e) {
      releaseLock();
      throw e;
    }
    writer = true;
    lastError = null;
    return true;
  }

  private WriterLockedException lockedError() {
    String holder = "unknown";
    String heartbeatAge = "unknown";
    String id = "unknown";
    try (FileChannel ch = SafeFiles.openRead(path, options)) {
      if (ch.size() >= MIN_HEADER_LENGTH) {
        MappedRegion r =
            new MappedRegion(ch.map(FileChannel.MapMode.READ_ONLY, 0, MIN_HEADER_LENGTH));
        holder = Protocol.readWriterInfo(r);
        UUID writerUuid = Protocol.readWriterId(r);
        id = writerUuid == null ? "none" : writerUuid.toString();
        long beat = r.longAcquire(HEARTBEAT_OFFSET);
        heartbeatAge = beat == 0 ? "none" : Units.ageOf(beat).toMillis() + "ms";
      }
    } catch (IOException | RuntimeException e) {
      holder = "unknown (" + e.getClass().getSimpleName() + ")";
    }
    return new WriterLockedException(
        path,
        "another process holds the writer lock: path="
            + path
            + " lock="
            + lockPath
            + " holder=\""
            + holder
            + "\" writerId="
            + id
            + " heartbeatAge="
            + heartbeatAge);
  }

  private void openForWriting() {
    FileChannel ch = null;
    try {
      ch = SafeFiles.openReadWrite(path, options.permissions(), options).channel();
      long size = ch.size();
      if (size > JsonMmapOptions.MAX_MAX_SIZE) {
        throw new CorruptFileException(
            path, "file too large to map: path=" + path + " size=" + size);
      }
      boolean initialise = size == 0;
      if (!initialise) {
        initialise = isUnfinishedCreation(ch, size);
      }
      FileChannel old = channel;
      channel = ch;
      if (initialise) {
        initialise(ch, size);
      } else {
        adopt(ch, size);
      }
      closeQuietly(old == ch ? null : old);
      ch = null;
    } catch (IOException e) {
      throw ioError("cannot open file for writing", e);
    } finally {
      if (ch != null) {
        if (channel == ch) {
          channel = null;
          region = null;
        }
        closeQuietly(ch);
      }
    }
  }

  /**
   * Whether a file holds nothing committed that a writer could lose by initialising it: its header
   * page is all zeros, or it has our magic and a format version still 0 (its creator died
   * initialising it).
   */
  private static boolean isUnfinishedCreation(FileChannel ch, long size) throws IOException {
    ByteBuffer head =
        ByteBuffer.allocate((int) Math.min(size, HEADER_LENGTH)).order(ByteOrder.LITTLE_ENDIAN);
    while (head.hasRemaining() && ch.read(head, head.position()) > 0) {
      // keep reading
    }
    boolean zeros = true;
    for (int i = 0; i < head.capacity(); i++) {
      zeros &= head.get(i) == 0;
    }
    if (zeros) {
      return true;
    }
    for (int i = 0; i < Math.min(head.capacity(), MAGIC.length); i++) {
      if (head.get(i) != MAGIC[i]) {
        return false;
      }
    }
    for (int i = FORMAT_VERSION_OFFSET;
        i < Math.min(head.capacity(), FORMAT_VERSION_OFFSET + 8);
        i++) {
      if (head.get(i) != 0) {
        return false;
      }
    }
    return true;
  }

  private void initialise(FileChannel ch, long existingSize) throws IOException {
    long size =
        Math.min(
            options.maxSize(),
            Math.max(
                alignUp(existingSize, PAGE_SIZE),
                HEADER_LENGTH + alignUp(options.initialCapacity(), PAGE_SIZE)));
    long now = Units.nowMicros();
    writerId = UUID.randomUUID();
    ByteBuffer header = ByteBuffer.allocate(HEADER_LENGTH).order(ByteOrder.LITTLE_ENDIAN);
    header.put(MAGIC_OFFSET, MAGIC);
    header.putInt(HEADER_LENGTH_OFFSET, HEADER_LENGTH);
    header.putLong(FILE_LENGTH_OFFSET, size);
    header.putLong(CAPACITY_OFFSET, size - HEADER_LENGTH);
    header.putLong(CREATED_OFFSET, now);
    while (header.hasRemaining()) {
      header.position(header.position() + ch.write(header, header.position()));
    }
    writeZeros(ch, HEADER_LENGTH, size);
    region = new MappedRegion(ch.map(FileChannel.MapMode.READ_WRITE, 0, size));
    Protocol.writeString(region, NAME_LENGTH_OFFSET, NAME_OFFSET, NAME_CAPACITY, options.name());
    claimHeader(now);
    lastVersion = 0;
    Object initial = options.initialDocument();
    ObjectNode tree =
        initial == null
            ? JsonNodeFactory.instance.objectNode()
            : documents.toTree(path, mapper, initial);
    publishLocked(tree);
    region.longRelease(FORMAT_VERSION_OFFSET, formatVersionWord(MAJOR_VERSION, MINOR_VERSION));
    fileKey = fileKeyOrNull();
    touch();
  }

  private void adopt(FileChannel ch, long size) throws IOException {
    MappedRegion r = new MappedRegion(ch.map(FileChannel.MapMode.READ_WRITE, 0, size));
    try {
      Protocol.checkHeader(path, r);
      checkName(r);
    } catch (JsonMmapException e) {
      throw refuse(e);
    }
    region = r;
    int headerLength = r.intPlain(HEADER_LENGTH_OFFSET);
    if (r.longPlain(FILE_LENGTH_OFFSET) != size) {
      // The last writer died while growing the file: record the length it reached.
      r.longPlain(FILE_LENGTH_OFFSET, size);
      r.longPlain(CAPACITY_OFFSET, size - headerLength);
    }
    if (options.name() != null && Protocol.readName(r).isEmpty()) {
      Protocol.writeString(r, NAME_LENGTH_OFFSET, NAME_OFFSET, NAME_CAPACITY, options.name());
    }
    UUID id = UUID.randomUUID();
    Protocol.SlotContent content;
    Snapshot snapshot;
    try {
      content =
          Protocol.readCurrent(
              path, r, options.maxSize(), () -> size, options.readTimeout(), readRetries);
      snapshot =
          Snapshot.read(
              path,
              content.version(),
              content.publishedAtMicros(),
              id,
              content.bytes(),
              documents,
              mapper);
    } catch (JsonMmapException e) {
      throw refuse(e);
    }
    long current = r.longPlain(CURRENT_OFFSET);
    // Continue from the committed version: a version a dead writer had in flight was never
    // current, so no reader returned it, and its slot is the one written next.
    lastVersion = currentVersion(current);
    writerId = id;
    claimHeader(Units.nowMicros());
    fileKey = fileKeyOrNull();
    seenCurrent = current;
    if (acceptAnyVersion || snapshot.version() > latest.version()) {
      acceptAnyVersion = false;
      apply(snapshot, Units.nowMicros());
    }
  }

  /** The reason a writer will not use a file, keeping the specific type a caller may act on. */
  private JsonMmapException refuse(JsonMmapException e) {
    String message =
        e.getMessage() + " (the writer refuses to overwrite it: move it away or fix it)";
    if (e instanceof NameMismatchException) {
      return e;
    }
    if (e instanceof UnsupportedFormatException) {
      return new UnsupportedFormatException(path, message, e);
    }
    if (e instanceof InvalidDocumentException) {
      return new InvalidDocumentException(path, message, e);
    }
    return new CorruptFileException(path, message, e);
  }

  /** Records this process as the writer in the header. */
  private void claimHeader(long now) {
    MappedRegion r = region;
    r.longPlain(WRITER_ID_OFFSET, writerId.getMostSignificantBits());
    r.longPlain(WRITER_ID_OFFSET + 8, writerId.getLeastSignificantBits());
    Protocol.writeString(
        r, WRITER_INFO_LENGTH_OFFSET, WRITER_INFO_OFFSET, WRITER_INFO_CAPACITY, describeProcess());
    r.longPlain(WRITER_SINCE_OFFSET, now);
    r.longRelease(HEARTBEAT_OFFSET, now);
  }

  private static String describeProcess() {
    String host = System.getenv("HOSTNAME");
    if (host == null || host.isEmpty()) {
      try {
        host = Files.readString(Path.of("/etc/hostname")).trim();
      } catch (IOException | RuntimeException e) {
        host = "unknown";
      }
    }
    return "pid=" + ProcessHandle.current().pid() + " host=" + host;
  }

  private void checkName(MappedRegion r) {
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

  private void releaseLock() {
    if (lockHeld) {
      WriterLocks.release(lockPath, this);
      lockHeld = false;
    }
  }

  // ---------------------------------------------------------------- following changes

  /** Maps the file read-only and reads its current version; throws or records the failure. */
  private void attach(boolean rethrow) {
    try {
      attachOrThrow();
    } catch (JsonMmapException e) {
      if (rethrow) {
        throw e;
      }
      record(e);
    }
  }

  private void attachOrThrow() {
    FileChannel ch;
    try {
      ch = SafeFiles.openRead(path, options);
    } catch (NoSuchFileException e) {
      throw new FileMissingException(path, "file does not exist: path=" + path, e);
    } catch (AccessDeniedException e) {
      throw new JsonMmapException("io", path, "permission denied reading file: path=" + path, e);
    } catch (IOException e) {
      throw ioError("cannot open file", e);
    }
    boolean attached = false;
    try {
      long size = ch.size();
      if (size > JsonMmapOptions.MAX_MAX_SIZE) {
        throw new CorruptFileException(
            path, "file too large to map: path=" + path + " size=" + size);
      }
      MappedRegion r = new MappedRegion(ch.map(FileChannel.MapMode.READ_ONLY, 0, size));
      Protocol.checkHeader(path, r);
      checkName(r);
      FileChannel old = channel;
      channel = ch;
      region = r;
      fileKey = fileKeyOrNull();
      acceptAnyVersion = true;
      attached = true;
      closeQuietly(old);
      readAndApply(r.longAcquire(CURRENT_OFFSET), true);
    } catch (IOException e) {
      throw ioError("cannot map file", e);
    } finally {
      if (!attached) {
        closeQuietly(ch);
      }
    }
  }

  /** The cheap check: one load of the current word, a full read only when it moved. */
  private void checkForChange() {
    lock.lock();
    try {
      if (closed.get() || writer) {
        return;
      }
      MappedRegion r = region;
      if (r == null) {
        attach(false);
        return;
      }
      checkNotTruncated();
      long current = r.longAcquire(CURRENT_OFFSET);
      if (current != seenCurrent) {
        readAndApply(current, false);
      }
    } catch (JsonMmapException e) {
      record(e);
    } catch (InternalError e) {
      // The JVM's report of a fault on a mapped page: the file shrank between check and load.
      record(truncated(e));
    } finally {
      lock.unlock();
    }
  }

  /** The poll: re-checks the header and that the path still names the mapped file. */
  private void tick() {
    lock.lock();
    try {
      if (closed.get()) {
        return;
      }
      if (writer) {
        checkWriterFile();
        return;
      }
      if (region == null) {
        attach(false);
        return;
      }
      Object key = fileKeyOrNull();
      if (key == null) {
        record(
            new FileMissingException(
                path,
                "file was deleted: path="
                    + path
                    + " (serving the last good version "
                    + latest.version()
                    + ")"));
        return;
      }
      if (!key.equals(fileKey)) {
        LOG.log(Level.INFO, "{0} was replaced; mapping the new file", path);
        attach(false);
        return;
      }
      try {
        checkNotTruncated();
        Protocol.checkHeader(path, region);
      } catch (JsonMmapException e) {
        record(e);
        if (isTruncated() && fileSize() >= MIN_HEADER_LENGTH) {
          // Never touch the shrunk mapping again; map the file afresh once it has a header again
          // (until then the truncation stays the reported problem).
          attach(false);
        }
        return;
      } catch (InternalError e) {
        record(truncated(e));
        return;
      }
      if (lastError != null) {
        seenCurrent = -1;
      }
      checkForChange();
    } finally {
      lock.unlock();
    }
  }

  private void checkWriterFile() {
    Object key = fileKeyOrNull();
    if (key == null || !key.equals(fileKey)) {
      record(
          new JsonMmapException(
              "replaced",
              path,
              "file was deleted or replaced under the writer: path="
                  + path
                  + " (readers of the new file do not see this writer's versions)"));
    }
  }

  private void readAndApply(long current, boolean rethrow) {
    Snapshot snapshot;
    try {
      snapshot = snapshotOf(readCurrentContent());
    } catch (JsonMmapException e) {
      if (!"timeout".equals(e.reason())) {
        seenCurrent = current;
      }
      if (rethrow) {
        throw e;
      }
      record(e);
      return;
    }
    seenCurrent = current;
    lastError = null;
    if (!acceptAnyVersion && snapshot.version() <= latest.version()) {
      return;
    }
    acceptAnyVersion = false;
    apply(snapshot, Units.nowMicros());
  }

  /** A snapshot of validated slot content, with the writer id the header names now. */
  private Snapshot snapshotOf(Protocol.SlotContent content) {
    return Snapshot.read(
        path,
        content.version(),
        content.publishedAtMicros(),
        Protocol.readWriterId(region),
        content.bytes(),
        documents,
        mapper);
  }

  private Protocol.SlotContent readCurrentContent() {
    checkNotTruncated();
    for (int remaps = 0; ; remaps++) {
      try {
        return Protocol.readCurrent(
            path, region, options.maxSize(), this::fileSize, options.readTimeout(), readRetries);
      } catch (Protocol.RemapNeeded e) {
        if (remaps >= 3) {
          throw new CorruptFileException(path, "file keeps changing size while read: path=" + path);
        }
        remap();
      }
    }
  }

  /**
   * Touching a mapped page past the end of a shrunk file kills the JVM (SIGBUS). jsonmmap never
   * shrinks a file; this catches a third party that did, before any page is touched.
   */
  private void checkNotTruncated() {
    if (isTruncated()) {
      throw truncated(null);
    }
  }

  private boolean isTruncated() {
    MappedRegion r = region;
    return channel != null && r != null && fileSize() < r.size();
  }

  private CorruptFileException truncated(Throwable cause) {
    MappedRegion r = region;
    return new CorruptFileException(
        path,
        "file was truncated under the reader: path="
            + path
            + " size="
            + fileSize()
            + " mapped="
            + (r == null ? 0 : r.size())
            + " (jsonmmap files never shrink; serving the last good version)",
        cause);
  }

  private void remap() {
    try {
      long size = channel.size();
      FileChannel.MapMode mode =
          writer ? FileChannel.MapMode.READ_WRITE : FileChannel.MapMode.READ_ONLY;
      region = new MappedRegion(channel.map(mode, 0, size));
    } catch (IOException e) {
      throw ioError("cannot map file again after it grew", e);
    }
  }

  private long fileSize() {
    try {
      FileChannel ch = channel;
      return ch == null ? 0 : ch.size();
    } catch (IOException e) {
      return region == null ? 0 : region.size();
    }
  }

  private Object fileKeyOrNull() {
    return SafeFiles.fileKey(path);
  }

  private void record(JsonMmapException e) {
    JsonMmapException previous = lastError;
    lastError = e;
    if (previous == null || !previous.getMessage().equals(e.getMessage())) {
      failures.computeIfAbsent(e.reason(), reason -> new LongAdder()).increment();
      // A file not there yet, or still being created, is expected while a fleet starts.
      boolean expected = e.reason().equals("missing") || e.reason().equals("not-ready");
      LOG.log(expected ? Level.INFO : Level.WARNING, "jsonmmap: {0}", e.getMessage());
    }
  }

  /** Makes a snapshot the latest and queues its change for the listeners (lock held). */
  private void apply(Snapshot snapshot, long receivedAtMicros) {
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

  private void beat() {
    if (closed.get()) {
      return;
    }
    if (writer) {
      MappedRegion r = region;
      if (r != null) {
        r.longRelease(HEARTBEAT_OFFSET, Units.nowMicros());
      }
      return;
    }
    lock.lock();
    try {
      if (!closed.get() && !writer && becomeWriter(false)) {
        LOG.log(Level.INFO, "jsonmmap: took over as writer of {0}", path);
      }
    } catch (JsonMmapException e) {
      record(e);
    } finally {
      lock.unlock();
    }
  }

  private void spin() {
    for (long spins = 0; !closed.get(); spins++) {
      MappedRegion r = region;
      // Every few thousand spins (microseconds apart), make sure the file did not shrink.
      if (r == null || writer || ((spins & 4095) == 0 && isTruncated())) {
        // Nothing to follow: not attached yet or truncated (the watcher handles both), or this
        // standby now writes.
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        continue;
      }
      try {
        if (r.longAcquire(CURRENT_OFFSET) != seenCurrent) {
          checkForChange();
        } else {
          Thread.onSpinWait();
        }
      } catch (InternalError e) {
        record(truncated(e));
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
      }
    }
  }

  // ---------------------------------------------------------------- closing

  /** Stops watching, releases the writer lock and unmaps. Idempotent. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
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
    lock.lock();
    try {
      writer = false;
      releaseLock();
      closeQuietly(channel);
      channel = null;
      region = null;
    } finally {
      lock.unlock();
    }
    listeners.clear();
  }

  private void checkNotClosed() {
    if (closed.get()) {
      throw new JsonMmapException("closed", path, "file handle is closed: path=" + path);
    }
  }

  private JsonMmapException ioError(String what, IOException e) {
    return ioError(path, what, e);
  }

  private static JsonMmapException ioError(Path file, String what, IOException e) {
    return new JsonMmapException(
        "io",
        file,
        what + ": path=" + file + " error=" + e.getClass().getSimpleName() + ": " + e.getMessage(),
        e);
  }

  private static void closeQuietly(FileChannel ch) {
    if (ch != null) {
      try {
        ch.close();
      } catch (IOException e) {
        LOG.log(Level.DEBUG, "close failed: {0}", e.toString());
      }
    }
  }

  @Override
  public String toString() {
    return "JsonMmapFile[path=" + path + ", role=" + options.role() + ", writer=" + writer + "]";
  }

  /** Connects this file to the JVM-wide watcher. */
  private final class WatchTarget implements Watcher.Target {
    @Override
    public Path path() {
      return path;
    }

    @Override
    public long pollIntervalNanos() {
      return options.pollInterval().toNanos();
    }

    @Override
    public boolean wantsEvents() {
      return options.watchMode() == WatchMode.EVENTS;
    }

    @Override
    public void onEvent() {
      checkForChange();
    }

    @Override
    public void onTick() {
      tick();
    }
  }
}
