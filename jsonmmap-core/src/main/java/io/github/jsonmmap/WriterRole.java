package io.github.jsonmmap;

import static io.github.jsonmmap.FileLayout.*;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * The writer side of a handle: takes the writer lock, creates or adopts the file, places, grows and
 * publishes versions, stamps the heartbeat and releases the lock.
 *
 * <p>Not thread-safe: every method expects the handle's lock held, except {@link #heartbeat()} and
 * {@link #setValidator}.
 */
final class WriterRole {

  private static final System.Logger LOG = FileContext.LOG;

  private final FileContext ctx;

  // Guarded by the handle's lock.
  private boolean lockHeld;
  private UUID writerId;
  private long lastVersion;

  private volatile Consumer<ObjectNode> validator = tree -> {};

  WriterRole(FileContext ctx) {
    this.ctx = ctx;
  }

  void setValidator(Consumer<ObjectNode> validator) {
    this.validator = validator;
  }

  /** Takes the writer lock; false when another process holds it and {@code failFast} is off. */
  boolean becomeWriter(boolean failFast) {
    try {
      SafeFiles.prepareParent(ctx.path, ctx.options);
      if (!WriterLocks.tryAcquire(ctx.lockPath, this, ctx.options)) {
        if (failFast) {
          throw lockedError();
        }
        return false;
      }
      lockHeld = true;
    } catch (IOException e) {
      JsonMmapException error = ctx.ioError("cannot take the writer lock on " + ctx.lockPath, e);
      if (failFast) {
        throw error;
      }
      ctx.record(error);
      return false;
    }
    try {
      openForWriting();
    } catch (RuntimeException | Error e) {
      releaseLock();
      throw e;
    }
    ctx.writer = true;
    ctx.lastError = null;
    return true;
  }

  void requireWriter() {
    if (ctx.writer) {
      return;
    }
    String holder = "";
    MappedRegion r = ctx.region;
    if (r != null) {
      holder = " writer=\"" + Protocol.readWriterInfo(r) + "\"";
    }
    throw new NotWriterException(
        ctx.path,
        "this process is not the writer: path="
            + ctx.path
            + " role="
            + ctx.options.role()
            + (ctx.options.role() == Role.AUTO ? " (standby)" : "")
            + holder);
  }

  /** Validates, serialises, places and commits one version (writer role held). */
  Snapshot publish(ObjectNode tree) {
    if (lastVersion > 0) {
      validator.accept(tree);
    }
    byte[] bytes = ctx.documents.serialize(ctx.path, tree);
    long limit = ctx.options.maxDocumentSize();
    if (bytes.length > limit) {
      throw new DocumentTooLargeException(
          ctx.path,
          "document too large: path="
              + ctx.path
              + " size="
              + Units.bytes(bytes.length)
              + " limit="
              + Units.bytes(limit)
              + " (a third of maxSize="
              + Units.bytes(ctx.options.maxSize())
              + " less the header)");
    }
    MappedRegion r = ctx.region;
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
    r = ctx.region;
    long version = lastVersion + 1;
    long publishedAt = Units.nowMicros();
    Protocol.writeSlot(r, target, version, offset, bytes, publishedAt);
    lastVersion = version;
    if (ctx.options.forceOnPublish()) {
      r.force();
    }
    touch();
    Snapshot snapshot =
        Snapshot.written(ctx.path, version, publishedAt, writerId, bytes, tree, ctx.mapper);
    ctx.seenCurrent = FileLayout.current(version, target);
    ctx.apply(snapshot, publishedAt);
    return snapshot;
  }

  /**
   * Chooses where the next document goes so that it overlaps nothing the current slot refers to: at
   * the start of the data area when it fits before the current document, else right after it,
   * growing the file when needed.
   */
  private long place(long length, long currentOffset, long currentLength) {
    long aligned = alignUp(Math.max(length, 1), DATA_ALIGNMENT);
    long start = ctx.region.intPlain(HEADER_LENGTH_OFFSET);
    if (currentOffset < 0 || start + aligned <= currentOffset) {
      if (start + aligned > ctx.region.size()) {
        grow(start + aligned, length);
      }
      return start;
    }
    long after = alignUp(currentOffset + currentLength, DATA_ALIGNMENT);
    if (after + aligned > ctx.region.size()) {
      grow(after + aligned, length);
    }
    return after;
  }

  /** Extends the file with allocated zeros (never sparse: a hole could SIGBUS on a full disk). */
  private void grow(long needed, long documentLength) {
    long max = ctx.options.maxSize();
    if (needed > max) {
      throw new DocumentTooLargeException(
          ctx.path,
          "document does not fit: path="
              + ctx.path
              + " size="
              + Units.bytes(documentLength)
              + " needed="
              + Units.bytes(needed)
              + " maxSize="
              + Units.bytes(max));
    }
    long oldSize = ctx.region.size();
    long newSize =
        Math.min(max, Math.max(alignUp(needed, PAGE_SIZE), alignUp(oldSize * 2, PAGE_SIZE)));
    try {
      writeZeros(ctx.channel, oldSize, newSize);
      ctx.region = new MappedRegion(ctx.channel.map(FileChannel.MapMode.READ_WRITE, 0, newSize));
    } catch (IOException e) {
      throw ctx.ioError(
          "cannot grow file from " + Units.bytes(oldSize) + " to " + Units.bytes(newSize), e);
    }
    MappedRegion r = ctx.region;
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
      Files.setLastModifiedTime(ctx.path, FileTime.from(Units.nowMicros(), TimeUnit.MICROSECONDS));
    } catch (IOException e) {
      LOG.log(Level.DEBUG, "cannot touch {0}: {1}", ctx.path, e.toString());
    }
  }

  /** Stamps the heartbeat; safe to call from any thread. */
  void heartbeat() {
    MappedRegion r = ctx.region;
    if (r != null) {
      r.longRelease(HEARTBEAT_OFFSET, Units.nowMicros());
    }
  }

  /** The writer's poll: reports a data file deleted or replaced under it (lock held). */
  void checkWriterFile() {
    Object key = ctx.fileKeyOrNull();
    if (key == null || !key.equals(ctx.fileKey)) {
      ctx.record(
          new JsonMmapException(
              "replaced",
              ctx.path,
              "file was deleted or replaced under the writer: path="
                  + ctx.path
                  + " (readers of the new file do not see this writer's versions)"));
    }
  }

  private WriterLockedException lockedError() {
    String holder = "unknown";
    String heartbeatAge = "unknown";
    String id = "unknown";
    try (FileChannel ch = SafeFiles.openRead(ctx.path, ctx.options)) {
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
        ctx.path,
        "another process holds the writer lock: path="
            + ctx.path
            + " lock="
            + ctx.lockPath
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
      ch = SafeFiles.openReadWrite(ctx.path, ctx.options.permissions(), ctx.options).channel();
      long size = ch.size();
      if (size > JsonMmapOptions.MAX_MAX_SIZE) {
        throw new CorruptFileException(
            ctx.path, "file too large to map: path=" + ctx.path + " size=" + size);
      }
      boolean initialise = size == 0;
      if (!initialise) {
        initialise = isUnfinishedCreation(ch, size);
      }
      FileChannel old = ctx.channel;
      ctx.channel = ch;
      if (initialise) {
        initialise(ch, size);
      } else {
        adopt(ch, size);
      }
      FileContext.closeQuietly(old == ch ? null : old);
      ch = null;
    } catch (IOException e) {
      throw ctx.ioError("cannot open file for writing", e);
    } finally {
      if (ch != null) {
        if (ctx.channel == ch) {
          ctx.channel = null;
          ctx.region = null;
        }
        FileContext.closeQuietly(ch);
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
            ctx.options.maxSize(),
            Math.max(
                alignUp(existingSize, PAGE_SIZE),
                HEADER_LENGTH + alignUp(ctx.options.initialCapacity(), PAGE_SIZE)));
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
    ctx.region = new MappedRegion(ch.map(FileChannel.MapMode.READ_WRITE, 0, size));
    Protocol.writeString(
        ctx.region, NAME_LENGTH_OFFSET, NAME_OFFSET, NAME_CAPACITY, ctx.options.name());
    claimHeader(now);
    lastVersion = 0;
    Object initial = ctx.options.initialDocument();
    ObjectNode tree =
        initial == null
            ? JsonNodeFactory.instance.objectNode()
            : ctx.documents.toTree(ctx.path, ctx.mapper, initial);
    publish(tree);
    ctx.region.longRelease(FORMAT_VERSION_OFFSET, formatVersionWord(MAJOR_VERSION, MINOR_VERSION));
    ctx.fileKey = ctx.fileKeyOrNull();
    touch();
  }

  private void adopt(FileChannel ch, long size) throws IOException {
    MappedRegion r = new MappedRegion(ch.map(FileChannel.MapMode.READ_WRITE, 0, size));
    try {
      Protocol.checkHeader(ctx.path, r);
      ctx.checkName(r);
    } catch (JsonMmapException e) {
      throw refuse(e);
    }
    ctx.region = r;
    int headerLength = r.intPlain(HEADER_LENGTH_OFFSET);
    if (r.longPlain(FILE_LENGTH_OFFSET) != size) {
      // The last writer died while growing the file: record the length it reached.
      r.longPlain(FILE_LENGTH_OFFSET, size);
      r.longPlain(CAPACITY_OFFSET, size - headerLength);
    }
    if (ctx.options.name() != null && Protocol.readName(r).isEmpty()) {
      Protocol.writeString(r, NAME_LENGTH_OFFSET, NAME_OFFSET, NAME_CAPACITY, ctx.options.name());
    }
    UUID id = UUID.randomUUID();
    Protocol.SlotContent content;
    Snapshot snapshot;
    try {
      content =
          Protocol.readCurrent(
              ctx.path,
              r,
              ctx.options.maxSize(),
              () -> size,
              ctx.options.readTimeout(),
              ctx.readRetries);
      snapshot =
          Snapshot.read(
              ctx.path,
              content.version(),
              content.publishedAtMicros(),
              id,
              content.bytes(),
              ctx.documents,
              ctx.mapper);
    } catch (JsonMmapException e) {
      throw refuse(e);
    }
    long current = r.longPlain(CURRENT_OFFSET);
    // Continue from the committed version: a version a dead writer had in flight was never
    // current, so no reader returned it, and its slot is the one written next.
    lastVersion = currentVersion(current);
    writerId = id;
    claimHeader(Units.nowMicros());
    ctx.fileKey = ctx.fileKeyOrNull();
    ctx.seenCurrent = current;
    if (ctx.acceptAnyVersion || snapshot.version() > ctx.latest.version()) {
      ctx.acceptAnyVersion = false;
      ctx.apply(snapshot, Units.nowMicros());
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
      return new UnsupportedFormatException(ctx.path, message, e);
    }
    if (e instanceof InvalidDocumentException) {
      return new InvalidDocumentException(ctx.path, message, e);
    }
    return new CorruptFileException(ctx.path, message, e);
  }

  /** Records this process as the writer in the header. */
  private void claimHeader(long now) {
    MappedRegion r = ctx.region;
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

  void releaseLock() {
    if (lockHeld) {
      WriterLocks.release(ctx.lockPath, this);
      lockHeld = false;
    }
  }
}
