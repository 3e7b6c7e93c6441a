package io.github.jsonmmap;

import static io.github.jsonmmap.FileLayout.*;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.function.Supplier;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * The writer side of a handle: takes the writer lock, creates or adopts the file, places, grows and
 * publishes versions, stamps the heartbeat, proves before each publish and heartbeat that it is
 * still the writer (fencing, FORMAT.md section 7.1) and steps down when it is not.
 *
 * <p>Not thread-safe: every method expects the handle's lock held, except {@link #heartbeat()} and
 * {@link #setValidator}.
 */
final class WriterRole {

  private static final System.Logger LOG = FileContext.LOG;

  private static final VarHandle LONGS =
      MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  /**
   * Document bytes are copied in chunks of this size, each after checking that this writer still
   * owns the slot: a writer fenced off mid-copy stops within one chunk.
   */
  static final int COPY_CHUNK = 16 * 1024;

  private final FileContext ctx;

  // Guarded by the handle's lock; volatile where the heartbeat reads them without it.
  private boolean lockHeld;
  private volatile Object lockKey;
  private volatile UUID writerId;
  private volatile long epoch;
  private volatile long expectedCurrent;
  private final long[] sequences = new long[2];
  private final ReaderNotifier notifier = new ReaderNotifier();
  private int inFlightSlot = -1;
  private long inFlightOffset;
  private long inFlightLength;
  private volatile String fencedBecause;
  private volatile JsonMmapException fencedError;

  private static final Consumer<ObjectNode> NO_VALIDATOR = tree -> {};

  private volatile Consumer<ObjectNode> validator = NO_VALIDATOR;

  WriterRole(FileContext ctx) {
    this.ctx = ctx;
  }

  /** Why this handle was fenced off the last time, or null when it was not (or took over since). */
  JsonMmapException fencedError() {
    return fencedError;
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
      lockKey = WriterLocks.lockedFileKey(ctx.lockPath, this);
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
    fencedBecause = null;
    fencedError = null;
    ctx.writer(true);
    ctx.lastError = null;
    return true;
  }

  /**
   * Throws unless this handle is the writer and still proves it (fencing); takes in a version that
   * a writer fenced off by this one's claim committed after it (its last publish in flight).
   */
  void requireWriter() {
    if (!ctx.writer) {
      throw notWriter();
    }
    MappedRegion r = syncMapping();
    String problem = fenceProblem(r);
    if (problem != null) {
      throw stepDown(problem);
    }
    if (r.longAcquire(CURRENT_OFFSET) != expectedCurrent) {
      resync();
    }
  }

  private NotWriterException notWriter() {
    String holder = "";
    MappedRegion r = ctx.region;
    if (r != null && ctx.fileSize() >= MIN_HEADER_LENGTH) {
      holder = " writer=\"" + Protocol.readWriterInfo(r) + "\"";
    }
    String fenced = fencedBecause;
    return new NotWriterException(
        ctx.path,
        "this process is not the writer: path="
            + ctx.path
            + " role="
            + ctx.options.role()
            + (ctx.options.role() == Role.AUTO ? " (standby)" : "")
            + (fenced == null ? "" : " fenced=\"" + fenced + "\"")
            + holder);
  }

  /**
   * Why this handle may no longer write, or null while it may: the lock file at the path is still
   * the one it locked, and the header still carries its epoch and writer id.
   */
  private String fenceProblem(MappedRegion r) {
    Object key = SafeFiles.fileKey(ctx.lockPath);
    if (key == null) {
      return "lock file deleted: lock=" + ctx.lockPath;
    }
    if (!key.equals(lockKey)) {
      return "lock file replaced: lock=" + ctx.lockPath + " locked=" + lockKey + " now=" + key;
    }
    long fileEpoch = r.longAcquire(WRITER_EPOCH_OFFSET);
    if (fileEpoch != epoch) {
      return "writer epoch changed: epoch=" + fileEpoch + " ownEpoch=" + epoch;
    }
    UUID id = writerId;
    long most = r.longAcquire(WRITER_ID_OFFSET);
    long least = r.longAcquire(WRITER_ID_OFFSET + 8);
    if (id == null
        || most != id.getMostSignificantBits()
        || least != id.getLeastSignificantBits()) {
      return "writer id changed: writerId=" + new UUID(most, least) + " ownWriterId=" + id;
    }
    return null;
  }

  /**
   * Gives up the writer role: stops writing and heartbeats, releases the lock and records why. An
   * {@code AUTO} handle stands by again; a {@code WRITER} handle stays a reader. Returns the
   * exception the failed operation throws.
   */
  NotWriterException stepDown(String why) {
    ctx.writer(false);
    fencedBecause = why;
    releaseLock();
    ctx.seenCurrent = -1;
    String message =
        "this process is no longer the writer: path="
            + ctx.path
            + " "
            + why
            + (ctx.options.role() == Role.AUTO
                ? " (another process took the file over; standing by)"
                : " (another process took the file over; this handle now only reads)");
    JsonMmapException error = new JsonMmapException("fenced", ctx.path, message);
    fencedError = error;
    ctx.record(error);
    return new NotWriterException(ctx.path, message);
  }

  /**
   * Takes in the version the file holds now when it is not the one this writer expected: the last
   * publish of a writer that this one fenced off while that publish was in flight.
   */
  private void resync() {
    MappedRegion r = ctx.region;
    for (int attempt = 0; ; attempt++) {
      long current = r.longAcquire(CURRENT_OFFSET);
      repairCurrentSlot(r, current);
      Protocol.SlotContent content;
      try {
        content =
            Protocol.readCurrent(
                ctx.path,
                r,
                ctx.options.maxSize(),
                ctx::fileSize,
                ctx.options.readTimeout(),
                ctx.readRetries);
      } catch (Protocol.RemapNeeded e) {
        if (attempt >= 3) {
          throw stepDown("file keeps growing under the writer: size=" + ctx.fileSize());
        }
        r = syncMapping();
        continue;
      } catch (JsonMmapException e) {
        // Written by something that does not follow the protocol (this writer's epoch and id are
        // still in the header): continue from its version number, the next publish replaces it.
        LOG.log(
            Level.WARNING,
            "jsonmmap: current version of {0} changed under the writer and cannot be read"
                + " ({1}); the next publish replaces it",
            ctx.path,
            e.getMessage());
        rememberSlots(r, current);
        return;
      }
      if (r.longAcquire(CURRENT_OFFSET) != current
          || content.version() != currentVersion(current)) {
        if (attempt >= 3) {
          throw stepDown("current word keeps changing under the writer");
        }
        continue;
      }
      LOG.log(
          Level.INFO,
          "jsonmmap: {0} holds version {1} from a writer fenced off by this one; continuing from it",
          ctx.path,
          content.version());
      Snapshot snapshot = ctx.snapshotOf(content);
      rememberSlots(r, current);
      if (snapshot.version() > ctx.latest.version()) {
        ctx.apply(snapshot, Units.nowMicros());
      }
      return;
    }
  }

  /**
   * Records what this writer expects of the file from now on: the current word and both slot
   * sequences, and the region of a slot another writer may still be copying into (odd sequence).
   */
  private void rememberSlots(MappedRegion r, long current) {
    expectedCurrent = current;
    ctx.seenCurrent = current;
    inFlightSlot = -1;
    for (int slot = 0; slot < 2; slot++) {
      int base = slotOffset(slot);
      sequences[slot] = r.longAcquire(base + SLOT_SEQUENCE_OFFSET);
      if ((sequences[slot] & 1) != 0 && (current == 0 || slot != currentSlot(current))) {
        inFlightSlot = slot;
        inFlightOffset = r.longPlain(base + SLOT_DATA_OFFSET);
        inFlightLength = r.longPlain(base + SLOT_DATA_LENGTH_OFFSET);
      }
    }
  }

  /**
   * A writer commits before it releases the slot's sequence (FORMAT.md 5.2), so one that died in
   * between leaves the current slot odd with complete bytes: release it on its behalf when the
   * descriptor's checksum and version prove the bytes complete.
   */
  private void repairCurrentSlot(MappedRegion r, long current) {
    if (current == 0) {
      return;
    }
    int base = slotOffset(currentSlot(current));
    long sequence = r.longAcquire(base + SLOT_SEQUENCE_OFFSET);
    if ((sequence & 1) == 0) {
      return;
    }
    long version = r.longPlain(base + SLOT_VERSION_OFFSET);
    long offset = r.longPlain(base + SLOT_DATA_OFFSET);
    long length = r.longPlain(base + SLOT_DATA_LENGTH_OFFSET);
    int headerLength = r.intPlain(HEADER_LENGTH_OFFSET);
    if (version != currentVersion(current)
        || offset < headerLength
        || length < 0
        || length > ctx.options.maxSize()
        || offset + length > r.size()) {
      return;
    }
    byte[] bytes = r.copy((int) offset, (int) length);
    if (Protocol.crc32(bytes) != r.intPlain(base + SLOT_CHECKSUM_OFFSET)) {
      return;
    }
    if (compareAndSet(r, base + SLOT_SEQUENCE_OFFSET, sequence, sequence + 1)) {
      LOG.log(
          Level.INFO,
          "jsonmmap: released slot {0} of {1}, left busy after its commit by a writer that stopped",
          currentSlot(current),
          ctx.path);
    }
  }

  /**
   * Checks the file did not shrink under the writer (a store past its end would be SIGBUS) and maps
   * it again when another writer grew it; returns the mapping to use.
   */
  private MappedRegion syncMapping() {
    MappedRegion r = ctx.region;
    long size;
    try {
      size = ctx.channel.size();
    } catch (IOException e) {
      throw ctx.ioError("cannot stat file", e);
    }
    if (size < r.size()) {
      throw new CorruptFileException(
          ctx.path,
          "file was truncated under the writer: path="
              + ctx.path
              + " size="
              + size
              + " mapped="
              + r.size()
              + " (jsonmmap files never shrink; nothing was written)");
    }
    if (size > r.size() && size <= JsonMmapOptions.MAX_MAX_SIZE) {
      try {
        r = new MappedRegion(ctx.channel.map(FileChannel.MapMode.READ_WRITE, 0, size));
      } catch (IOException e) {
        throw ctx.ioError("cannot map file again after it grew", e);
      }
      ctx.region = r;
    }
    return r;
  }

  private static boolean compareAndSet(MappedRegion r, int offset, long expected, long value) {
    return LONGS.compareAndSet(r.buffer(), offset, expected, value);
  }

  /**
   * Publishes a document that replaces whatever the file holds (lock held): proves the writer role
   * once, after serialising and right before writing, and takes in a version that a writer fenced
   * off by this one committed meanwhile, as {@link #requireWriter()} does.
   */
  Snapshot publishReplacing(ObjectNode tree) {
    if (!ctx.writer) {
      throw notWriter();
    }
    return publish(tree, true);
  }

  /**
   * Publishes JSON text stored as it is ({@link Documents#storableText}), replacing whatever the
   * file holds, as {@link #publishReplacing(ObjectNode)} does; a validator, when one is set, gets
   * the text's tree, parsed only then.
   */
  Snapshot publishReplacing(Documents.Serialized text, Supplier<ObjectNode> tree) {
    if (!ctx.writer) {
      throw notWriter();
    }
    validate(tree);
    return commit(text, true);
  }

  /**
   * Validates, serialises, places and commits one version computed from the version held (writer
   * role held, {@link #requireWriter()} called under the same hold of the lock): a version that
   * arrived meanwhile makes this writer step down rather than overwrite it.
   */
  Snapshot publish(ObjectNode tree) {
    return publish(tree, false);
  }

  /**
   * Validates, serialises, places and commits one version. Acknowledged only when the commit's
   * compare-and-set of the current word succeeded and this writer still owned the slot afterwards.
   */
  private Snapshot publish(ObjectNode tree, boolean replacing) {
    validate(() -> tree);
    return commit(ctx.documents.serialize(ctx.path, tree), replacing);
  }

  /**
   * Runs the validator, when one is set, on the tree of the version about to be published; not on
   * the first version, which creates the file. The tree is asked for only then.
   */
  private void validate(Supplier<ObjectNode> tree) {
    Consumer<ObjectNode> v = validator;
    if (v != NO_VALIDATOR && currentVersion(expectedCurrent) > 0) {
      v.accept(tree.get());
    }
  }

  /** Places and commits one serialised version. */
  private Snapshot commit(Documents.Serialized serialized, boolean replacing) {
    byte[] bytes = serialized.bytes();
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
    MappedRegion r = syncMapping();
    String problem = fenceProblem(r);
    if (problem == null && replacing && r.longAcquire(CURRENT_OFFSET) != expectedCurrent) {
      resync();
      r = ctx.region;
    }
    long current = expectedCurrent;
    if (problem == null && r.longAcquire(CURRENT_OFFSET) != current) {
      problem =
          "current word changed: version="
              + currentVersion(r.longAcquire(CURRENT_OFFSET))
              + " expectedVersion="
              + currentVersion(current);
    }
    if (problem != null) {
      throw stepDown(problem);
    }
    int target;
    long offset;
    if (current == 0) {
      target = 0;
      offset = place(target, bytes.length, -1, 0);
    } else {
      int slot = currentSlot(current);
      int base = slotOffset(slot);
      target = 1 - slot;
      offset =
          place(
              target,
              bytes.length,
              r.longPlain(base + SLOT_DATA_OFFSET),
              r.longPlain(base + SLOT_DATA_LENGTH_OFFSET));
    }
    r = ctx.region;
    long version = currentVersion(current) + 1;
    long publishedAt = Units.nowMicros();
    writeSlot(r, target, version, offset, bytes, publishedAt, current);
    if (ctx.options.forceOnPublish()) {
      r.force();
    }
    touch();
    Snapshot snapshot =
        Snapshot.published(
            ctx.path,
            version,
            publishedAt,
            writerId,
            bytes,
            serialized.shape(),
            ctx.documents,
            ctx.mapper);
    ctx.seenCurrent = expectedCurrent;
    ctx.apply(snapshot, publishedAt);
    return snapshot;
  }

  /**
   * Writes one version into {@code slot} and commits it (FORMAT.md 5.2): takes the slot by a
   * compare-and-set of its sequence from the value this writer last saw, stores the descriptor,
   * copies the bytes chunk by chunk while it still owns the slot, commits with a compare-and-set of
   * the current word from {@code expected}, then releases the sequence with a compare-and-set.
   */
  private void writeSlot(
      MappedRegion r,
      int slot,
      long version,
      long offset,
      byte[] bytes,
      long publishedAtMicros,
      long expected) {
    int base = slotOffset(slot);
    int sequenceOffset = base + SLOT_SEQUENCE_OFFSET;
    long seen = sequences[slot];
    // An odd sequence left by a writer that died mid-publish moves on to the next odd value.
    long busy = (seen & 1) == 0 ? seen + 1 : seen + 2;
    int checksum = Protocol.crc32(bytes);
    if (!compareAndSet(r, sequenceOffset, seen, busy)) {
      throw stepDown(
          "slot sequence changed: slot="
              + slot
              + " sequence="
              + r.longAcquire(sequenceOffset)
              + " expected="
              + seen
              + " (nothing was written)");
    }
    sequences[slot] = busy;
    if (slot == inFlightSlot) {
      inFlightSlot = -1;
    }
    // The descriptor first: a writer that takes over while these bytes are copied sees where they
    // go and places its own elsewhere.
    r.longPlain(base + SLOT_VERSION_OFFSET, version);
    r.longPlain(base + SLOT_DATA_OFFSET, offset);
    r.longPlain(base + SLOT_DATA_LENGTH_OFFSET, bytes.length);
    r.longPlain(base + SLOT_PUBLISHED_OFFSET, publishedAtMicros);
    r.intPlain(base + SLOT_CHECKSUM_OFFSET, checksum);
    ByteBuffer source = ByteBuffer.wrap(bytes);
    for (int from = 0; from < bytes.length; from += COPY_CHUNK) {
      if (r.longAcquire(sequenceOffset) != busy) {
        throw stepDown("another writer took the slot while this one wrote it: slot=" + slot);
      }
      int length = Math.min(COPY_CHUNK, bytes.length - from);
      r.put((int) offset + from, source.limit(from + length).position(from));
    }
    long next = FileLayout.current(version, slot);
    if (!compareAndSet(r, CURRENT_OFFSET, expected, next)) {
      // The slot stays odd: readers never take these bytes, and the next writer moves past them.
      throw stepDown(
          "current word changed during publish: version="
              + currentVersion(r.longAcquire(CURRENT_OFFSET))
              + " expectedVersion="
              + currentVersion(expected)
              + " (version "
              + version
              + " was not committed)");
    }
    expectedCurrent = next;
    if (!compareAndSet(r, sequenceOffset, busy, busy + 1)) {
      throw stepDown(
          "another writer took the slot after this one committed: slot="
              + slot
              + " version="
              + version
              + " (not acknowledged: its content may be the other writer's)");
    }
    sequences[slot] = busy + 1;
  }

  /**
   * Chooses where the next document goes so that it overlaps nothing the current slot refers to
   * (nor the bytes another writer may still be copying into {@code slot}): at the start of the data
   * area when it fits there, else right after what it must avoid, growing the file when needed.
   */
  private long place(int slot, long length, long currentOffset, long currentLength) {
    long aligned = alignUp(Math.max(length, 1), DATA_ALIGNMENT);
    long start = ctx.region.intPlain(HEADER_LENGTH_OFFSET);
    long[][] avoid = {
      {currentOffset, currentOffset < 0 ? 0 : currentLength},
      slot == inFlightSlot ? new long[] {inFlightOffset, inFlightLength} : new long[] {-1, 0}
    };
    long chosen = start;
    for (long candidate :
        new long[] {
          start,
          alignUp(avoid[0][0] + avoid[0][1], DATA_ALIGNMENT),
          alignUp(avoid[1][0] + avoid[1][1], DATA_ALIGNMENT)
        }) {
      if (candidate < start) {
        continue;
      }
      boolean free = true;
      for (long[] taken : avoid) {
        free &= taken[0] < 0 || candidate + aligned <= taken[0] || candidate >= taken[0] + taken[1];
      }
      if (free) {
        chosen = candidate;
        break;
      }
      chosen = Math.max(chosen, candidate);
    }
    if (chosen + aligned > ctx.region.size()) {
      grow(chosen + aligned, length);
    }
    return chosen;
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
    long oldSize = Math.max(ctx.region.size(), ctx.fileSize());
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
    notifier.touch(ctx.path, ctx.fileKey);
  }

  /**
   * Stamps the heartbeat after proving this handle is still the writer; steps down (or takes in a
   * fenced writer's last version) otherwise. Safe to call from any thread: it holds the mapping
   * lock while it touches the mapping, and takes the handle's lock only when something changed, so
   * a slow change listener never delays a heartbeat.
   */
  void heartbeat() {
    ctx.mappingLock.lock();
    try {
      MappedRegion r = ctx.region;
      if (ctx.closed.get() || !ctx.writer || r == null) {
        return;
      }
      if (ctx.fileSize() >= r.size()
          && fenceProblem(r) == null
          && r.longAcquire(CURRENT_OFFSET) == expectedCurrent) {
        r.longRelease(HEARTBEAT_OFFSET, Units.nowMicros());
        return;
      }
    } finally {
      ctx.mappingLock.unlock();
    }
    ctx.lock.lock();
    try {
      if (ctx.closed.get() || !ctx.writer) {
        return;
      }
      try {
        requireWriter();
      } catch (NotWriterException e) {
        return;
      }
      ctx.region.longRelease(HEARTBEAT_OFFSET, Units.nowMicros());
    } finally {
      ctx.lock.unlock();
    }
  }

  /**
   * On a clean close: leaves the clean-close marker (closed = now, heartbeat = 0) when this handle
   * is still the writer, then gives up the role and the lock (handle lock held).
   */
  void close() {
    MappedRegion r = ctx.region;
    try {
      if (ctx.writer
          && r != null
          && ctx.fileSize() >= r.size()
          && fenceProblem(r) == null
          && r.longAcquire(CURRENT_OFFSET) == expectedCurrent) {
        r.longPlain(CLOSED_OFFSET, Units.nowMicros());
        r.longRelease(HEARTBEAT_OFFSET, 0);
      }
    } finally {
      ctx.writer(false);
      notifier.close();
      releaseLock();
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
            + heartbeatAge
            + " lockHolder=\""
            + SafeFiles.lockHolder(ctx.lockPath)
            + "\"");
  }

  private void openForWriting() {
    FileChannel oldChannel = ctx.channel;
    MappedRegion oldRegion = ctx.region;
    Object oldFileKey = ctx.fileKey;
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
          // Back to what the reader side had: a standby that failed to take over keeps reading.
          ctx.channel = oldChannel;
          ctx.region = oldRegion;
          ctx.fileKey = oldFileKey;
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
    rememberSlots(ctx.region, 0);
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
    repairCurrentSlot(r, r.longAcquire(CURRENT_OFFSET));
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
    long current = r.longAcquire(CURRENT_OFFSET);
    writerId = id;
    claimHeader(Units.nowMicros());
    upgradeFormat(r);
    ctx.fileKey = ctx.fileKeyOrNull();
    // Continue from the committed version: a version a dead writer had in flight was never
    // current, so no reader returned it, and its slot is the one written next.
    rememberSlots(r, current);
    if (ctx.acceptAnyVersion || snapshot.version() > ctx.latest.version()) {
      ctx.acceptAnyVersion = false;
      ctx.apply(snapshot, Units.nowMicros());
    }
    if (r.longAcquire(CURRENT_OFFSET) != current) {
      // A writer fenced off by the claim above committed the publish it had in flight.
      resync();
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

  /**
   * Records this process as the writer in the header: first raises the writer epoch by a
   * compare-and-set (from then on any earlier writer fails its fencing check), then writer id, info
   * and since, its maximum document size, clears the clean-close marker and beats.
   */
  private void claimHeader(long now) {
    MappedRegion r = ctx.region;
    long previous;
    do {
      previous = r.longAcquire(WRITER_EPOCH_OFFSET);
    } while (!compareAndSet(r, WRITER_EPOCH_OFFSET, previous, previous + 1));
    epoch = previous + 1;
    r.longPlain(MAX_DOCUMENT_SIZE_OFFSET, ctx.options.maxDocumentSize());
    r.longPlain(CLOSED_OFFSET, 0);
    r.longPlain(WRITER_ID_OFFSET, writerId.getMostSignificantBits());
    r.longPlain(WRITER_ID_OFFSET + 8, writerId.getLeastSignificantBits());
    Protocol.writeString(
        r, WRITER_INFO_LENGTH_OFFSET, WRITER_INFO_OFFSET, WRITER_INFO_CAPACITY, describeProcess());
    r.longPlain(WRITER_SINCE_OFFSET, now);
    r.longRelease(HEARTBEAT_OFFSET, now);
  }

  /**
   * Marks an adopted 1.0 file as 1.1 now that its header carries the 1.1 fields; a higher minor is
   * left as it is.
   */
  private static void upgradeFormat(MappedRegion r) {
    long word = r.longAcquire(FORMAT_VERSION_OFFSET);
    if ((int) (word >>> 32) < MINOR_VERSION) {
      r.longRelease(FORMAT_VERSION_OFFSET, formatVersionWord(MAJOR_VERSION, MINOR_VERSION));
    }
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
