package io.github.jsonmmap;

import static io.github.jsonmmap.FileLayout.*;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The reader side of a handle: opens the file read-only, follows its current word (events, poll or
 * spin), reads and applies each new version, and survives truncation, replacement and two writers.
 * A standby uses it until it takes over as writer.
 *
 * <p>Reads go through positional reads ({@link FileRegion}), never a mapping, so a file truncated
 * (and regrown) under a reader is an error it reports, not a SIGBUS. Spin mode too spins on
 * positional reads of the current word.
 *
 * <p>A version is marked seen only once it has been taken in. One that failed for a reason that may
 * pass (a timeout, no heap for it, an I/O error) is read again at the next event or poll; a corrupt
 * one at every poll, and it stays reported meanwhile. Methods take the handle's lock themselves
 * where they say so; the others expect it held.
 */
final class ReaderRole {

  private static final System.Logger LOG = FileContext.LOG;

  private final FileContext ctx;

  /** Positional reads on {@link #fileChannel}; null until attached (written under the lock). */
  private volatile FileRegion file;

  /** The channel {@link #file} reads: when the handle's channel is another, attach again. */
  private volatile FileChannel fileChannel;

  /** The largest size the file was seen with: a smaller one is a truncation (guarded). */
  private long knownSize;

  /**
   * Whether the file was seen shorter than {@link #knownSize}: what it holds next is a new file
   * (versions may start again), so it is attached afresh once it has a header again (guarded).
   */
  private volatile boolean truncatedSeen;

  /** The current slot's sequence when the latest version was taken in (guarded). */
  private long seenSequence = -1;

  /** The latest snapshot this role read and the checksum of its bytes (guarded). */
  private Snapshot heldSnapshot;

  private int heldChecksum;

  /**
   * After a divergence, the highest version held when it was found: the fault stays reported until
   * a version above it arrives; -1 when none (guarded).
   */
  private long divergedBelow = -1;

  /** The parser for documents longer than this reader's own maximum; made when first needed. */
  private volatile Documents wideDocuments;

  ReaderRole(FileContext ctx) {
    this.ctx = ctx;
  }

  /** Opens the file read-only and reads its current version; throws or records the failure. */
  void attach(boolean rethrow) {
    try {
      attachOrThrow();
    } catch (JsonMmapException e) {
      if (rethrow) {
        throw e;
      }
      fail(e);
    }
  }

  private void attachOrThrow() {
    FileChannel ch;
    try {
      ch = SafeFiles.openRead(ctx.path, ctx.options);
    } catch (NoSuchFileException e) {
      throw new FileMissingException(ctx.path, "file does not exist: path=" + ctx.path, e);
    } catch (AccessDeniedException e) {
      throw new JsonMmapException(
          "io", ctx.path, "permission denied reading file: path=" + ctx.path, e);
    } catch (IOException e) {
      throw ctx.ioError("cannot open file", e);
    }
    boolean attached = false;
    try {
      long size = ch.size();
      if (size > JsonMmapOptions.MAX_MAX_SIZE) {
        throw new CorruptFileException(
            ctx.path,
            "file too large for a jsonmmap file: path="
                + ctx.path
                + " size="
                + size
                + " maxFileSize="
                + JsonMmapOptions.MAX_MAX_SIZE);
      }
      FileRegion r = new FileRegion(ctx.path, ch);
      Protocol.checkHeader(ctx.path, r);
      ctx.checkName(r);
      FileChannel old = ctx.channel;
      ctx.channel = ch;
      dropWriterMapping();
      ctx.fileKey = ctx.fileKeyOrNull();
      ctx.acceptAnyVersion = true;
      file = r;
      fileChannel = ch;
      knownSize = size;
      truncatedSeen = false;
      attached = true;
      FileContext.closeQuietly(old);
      readAndApply(r.longAcquire(CURRENT_OFFSET), true);
    } catch (IOException e) {
      throw ctx.ioError("cannot read the size of the file", e);
    } finally {
      if (!attached) {
        FileContext.closeQuietly(ch);
      }
    }
  }

  /**
   * Unmaps the mapping a writer role left (a writer fenced off that reads on): readers use none.
   * Everything that touches it outside the handle's lock holds the mapping lock.
   */
  private void dropWriterMapping() {
    ctx.mappingLock.lock();
    try {
      MappedRegion r = ctx.region;
      ctx.region = null;
      if (r != null) {
        Unmapper.unmap(r.buffer());
      }
    } finally {
      ctx.mappingLock.unlock();
    }
  }

  /** On close (handle lock held): the channel is the handle's to close. */
  void close() {
    file = null;
    fileChannel = null;
  }

  /**
   * Whether this role has the handle's file open (and no writer role took the channel over). A
   * channel closed under it (a thread interrupted in the middle of a read closes a FileChannel for
   * every user) is opened again.
   */
  private boolean attached() {
    FileChannel ch = fileChannel;
    return file != null && ch == ctx.channel && ch.isOpen();
  }

  /**
   * The cheap check: one read of the header, a full read only when the current word moved. Locks.
   */
  void checkForChange() {
    checkForChange(null, null);
  }

  /**
   * {@link #checkForChange()} starting from {@code header}, the first {@link
   * FileLayout#MIN_HEADER_LENGTH} bytes of the file read in one call from {@code channel}, when
   * that is still the channel read: the read the check starts with is already made.
   */
  private void checkForChange(FileChannel channel, ByteBuffer header) {
    ctx.lock.lock();
    try {
      if (ctx.closed.get() || ctx.writer) {
        return;
      }
      if (!attached()) {
        attach(false);
        return;
      }
      if (truncatedSeen) {
        attachAfterTruncation(file.readableBytes());
        return;
      }
      long current =
          header != null && channel == fileChannel
              ? file.longAcquireFrom(header, CURRENT_OFFSET)
              : file.longAcquire(CURRENT_OFFSET);
      if (current != ctx.seenCurrent) {
        readAndApply(current, false);
      }
    } catch (JsonMmapException e) {
      fail(e);
    } catch (RuntimeException | Error e) {
      fail(unexpected(e));
    } finally {
      ctx.lock.unlock();
    }
  }

  /**
   * The poll of a handle that is not the writer: re-checks that the path still names the file read,
   * that it did not shrink, its header, and that the current slot was not rewritten in place.
   * Locks.
   */
  void tick() {
    ctx.lock.lock();
    try {
      if (ctx.closed.get() || ctx.writer) {
        return;
      }
      if (!attached()) {
        attach(false);
        return;
      }
      Object key = ctx.fileKeyOrNull();
      if (key == null) {
        ctx.record(
            new FileMissingException(
                ctx.path,
                "file was deleted: path="
                    + ctx.path
                    + " (serving the last good version "
                    + ctx.latest.version()
                    + ")"));
        return;
      }
      if (!key.equals(ctx.fileKey)) {
        LOG.log(Level.INFO, "{0} was replaced; reading the new file", ctx.path);
        attach(false);
        return;
      }
      long size = file.readableBytes();
      if (size < knownSize) {
        truncatedSeen = true;
        ctx.record(truncated(size));
      }
      if (truncatedSeen) {
        attachAfterTruncation(size);
        return;
      }
      knownSize = size;
      Protocol.checkHeader(ctx.path, file, size);
      // The header copy the check has just loaded: one read of the file per poll.
      long current = file.longAcquireSameLoad(CURRENT_OFFSET);
      if (ctx.lastError != null || rewrittenInPlace(current)) {
        ctx.seenCurrent = -1;
      }
      if (current != ctx.seenCurrent) {
        readAndApply(current, false);
      }
    } catch (JsonMmapException e) {
      fail(e);
    } catch (RuntimeException | Error e) {
      fail(unexpected(e));
    } finally {
      ctx.lock.unlock();
    }
  }

  /**
   * Starts afresh, as with a new file, once a truncated file has a header again; until then the
   * truncation stays the reported problem.
   */
  private void attachAfterTruncation(long size) {
    if (size >= MIN_HEADER_LENGTH) {
      attach(false);
    } else {
      ctx.record(truncated(size));
    }
  }

  /**
   * Whether the slot of the version held was written again while the current word stayed the same:
   * no single writer does that (it writes the other slot), two writers or another program can.
   * Reads the header copy of the acquire load just made.
   */
  private boolean rewrittenInPlace(long current) {
    return current == ctx.seenCurrent
        && file.longPlain(slotOffset(currentSlot(current)) + SLOT_SEQUENCE_OFFSET) != seenSequence;
  }

  private void readAndApply(long current, boolean rethrow) {
    Protocol.SlotContent content;
    Snapshot snapshot;
    try {
      content = readCurrentContent();
      if (!ctx.acceptAnyVersion
          && content.version() == ctx.latest.version()
          && sameAsHeld(content)) {
        // The version held, read again (a poll while an error is reported, a slot rewritten in
        // place with the same bytes): nothing to check or parse again.
        ctx.seenCurrent = current;
        seenSequence = content.sequence();
        clearErrorUnlessDiverged(content.version());
        return;
      }
      snapshot = snapshotOf(content);
    } catch (JsonMmapException e) {
      if (!mayPass(e)) {
        // Corrupt or invalid: read again at the poll interval, not at every event.
        ctx.seenCurrent = current;
      }
      if (e instanceof FileRegion.Truncated) {
        truncatedSeen = true;
      }
      if (rethrow) {
        throw e;
      }
      fail(e);
      return;
    }
    ctx.seenCurrent = current;
    seenSequence = content.sequence();
    long held = ctx.latest.version();
    if (!ctx.acceptAnyVersion && snapshot.version() <= held) {
      diverged(held, snapshot, content);
      return;
    }
    clearErrorUnlessDiverged(snapshot.version());
    ctx.acceptAnyVersion = false;
    take(snapshot, content);
  }

  /** Whether {@code content} is the document of the version held, byte for byte. */
  private boolean sameAsHeld(Protocol.SlotContent content) {
    Snapshot latest = ctx.latest;
    if (latest == heldSnapshot && content.checksum() != heldChecksum) {
      return false;
    }
    // The latest version may have come from elsewhere (this handle's writer role), and a checksum
    // is no proof of equal content: compare the bytes.
    return Arrays.equals(content.bytes(), latest.bytesView());
  }

  /**
   * The file holds the version this reader holds with other content, or a lower version: two
   * writers published (or another program wrote the file). Reports it, and follows the file, so
   * that every reader ends on the file's document; the fault stays reported until a higher version
   * than the one held arrives.
   */
  private void diverged(long held, Snapshot snapshot, Protocol.SlotContent content) {
    divergedBelow = Math.max(divergedBelow, held);
    ctx.record(
        new JsonMmapException(
            "diverged",
            ctx.path,
            (snapshot.version() == held
                    ? "version arrived again with other content (two writers?): path="
                    : "version went back in the same file (two writers?): path=")
                + ctx.path
                + " version="
                + snapshot.version()
                + " heldVersion="
                + held
                + " checksum=0x"
                + Integer.toHexString(content.checksum())
                + " (following the file; reported until a version above "
                + divergedBelow
                + " arrives)"));
    take(snapshot, content);
  }

  private void clearErrorUnlessDiverged(long version) {
    if (version > divergedBelow) {
      divergedBelow = -1;
      ctx.lastError = null;
    }
  }

  private void take(Snapshot snapshot, Protocol.SlotContent content) {
    heldSnapshot = snapshot;
    heldChecksum = content.checksum();
    ctx.apply(snapshot, Units.nowMicros());
  }

  /** Records a failure; one that found the file truncated makes the next look attach afresh. */
  private void fail(JsonMmapException e) {
    if (e instanceof FileRegion.Truncated) {
      truncatedSeen = true;
    }
    ctx.record(e);
  }

  /** Failures that may pass by themselves: read again at the next event or poll. */
  private static boolean mayPass(JsonMmapException e) {
    return switch (e.reason()) {
      case "timeout", "too-large-for-heap", "io" -> true;
      default -> false;
    };
  }

  private Protocol.SlotContent readCurrentContent() {
    FileRegion r = file;
    for (int attempt = 0; ; attempt++) {
      try {
        return Protocol.readCurrent(
            ctx.path,
            r,
            ctx.options.maxSize(),
            r::readableBytes,
            ctx.options.readTimeout(),
            ctx.readRetries);
      } catch (Protocol.RemapNeeded e) {
        // The file grew between two looks at its size: nothing to map, look again.
        if (attempt >= 3) {
          throw new CorruptFileException(
              ctx.path, "file keeps changing size while read: path=" + ctx.path);
        }
      }
    }
  }

  /**
   * A snapshot of validated slot content, with the writer id the header names now; a document the
   * heap cannot hold is a {@code too-large-for-heap} error, not an {@link OutOfMemoryError}.
   */
  Snapshot snapshotOf(Protocol.SlotContent content) {
    ReadRegion r = ctx.writer && ctx.region != null ? ctx.region : file;
    try {
      return Snapshot.read(
          ctx.path,
          content.version(),
          content.publishedAtMicros(),
          Protocol.readWriterId(r),
          content.bytes(),
          documentsFor(content.bytes().length),
          ctx.mapper);
    } catch (OutOfMemoryError e) {
      throw Protocol.tooLargeForHeap(ctx.path, content.version(), content.bytes().length, e);
    }
  }

  /**
   * The parser for a document of {@code length} bytes: the handle's own, or, for a document longer
   * than this reader's {@code maxSize} that the writer's maximum in the header allowed (format
   * 1.1), one bounded by the longest document any writer can publish (the slot's length was already
   * checked against the header's maximum).
   */
  private Documents documentsFor(int length) {
    if (length <= ctx.options.maxSize()) {
      return ctx.documents;
    }
    Documents wide = wideDocuments;
    if (wide == null) {
      wide = new Documents(ctx.options.maxNestingDepth(), Protocol.MAX_DOCUMENT_LENGTH);
      wideDocuments = wide;
    }
    return wide;
  }

  /**
   * The version before the current one, from the other slot, or null when there is none or it is
   * being overwritten (lock held).
   */
  Protocol.SlotContent readPrevious() {
    if (ctx.writer) {
      MappedRegion r = ctx.region;
      return r == null ? null : Protocol.readPrevious(ctx.path, r, ctx.options.maxSize(), () -> 0);
    }
    FileRegion r = file;
    if (r == null) {
      return null;
    }
    for (int attempt = 0; attempt < 3; attempt++) {
      try {
        return Protocol.readPrevious(ctx.path, r, ctx.options.maxSize(), r::readableBytes);
      } catch (Protocol.RemapNeeded e) {
        // The file grew between two looks at its size: look again.
      }
    }
    return null;
  }

  /** The writer heartbeat in the header, 0 when none or unreadable. Safe from any thread. */
  long heartbeatMicros() {
    if (ctx.writer) {
      // The writer's own mapping: under the mapping lock, which close() takes to unmap it.
      ctx.mappingLock.lock();
      try {
        MappedRegion r = ctx.region;
        if (r != null && !ctx.closed.get()) {
          return r.longAcquire(HEARTBEAT_OFFSET);
        }
      } finally {
        ctx.mappingLock.unlock();
      }
    }
    FileRegion r = file;
    if (r == null) {
      return 0;
    }
    try {
      return r.sibling().longAcquire(HEARTBEAT_OFFSET);
    } catch (JsonMmapException e) {
      return 0;
    }
  }

  /** What the header says now (see {@link Inspector}). Safe from any thread. */
  FileInfo info() {
    if (ctx.writer) {
      ctx.mappingLock.lock();
      try {
        MappedRegion r = ctx.region;
        if (r != null && !ctx.closed.get()) {
          return Inspector.inspect(ctx.path, r, ctx.fileSize(), ctx.options.maxSize());
        }
      } finally {
        ctx.mappingLock.unlock();
      }
    }
    FileRegion r = file;
    if (r == null) {
      JsonMmapException error = ctx.lastError;
      throw error != null
          ? error
          : new FileMissingException(ctx.path, "file not open: path=" + ctx.path);
    }
    return Inspector.inspect(ctx.path, r.sibling(), r.readableBytes(), ctx.options.maxSize());
  }

  private CorruptFileException truncated(long size) {
    return new CorruptFileException(
        ctx.path,
        "file was truncated under the reader: path="
            + ctx.path
            + " size="
            + size
            + " knownSize="
            + knownSize
            + " (jsonmmap files never shrink; serving the last good version)");
  }

  private JsonMmapException unexpected(Throwable e) {
    if (e instanceof OutOfMemoryError oom) {
      return new JsonMmapException(
          "too-large-for-heap",
          ctx.path,
          "out of heap while reading: path="
              + ctx.path
              + " maxHeap="
              + Runtime.getRuntime().maxMemory()
              + " (serving the last good version; retried at the next change or poll)",
          oom);
    }
    return new JsonMmapException(
        "internal",
        ctx.path,
        "unexpected failure while reading: path="
            + ctx.path
            + " error="
            + e.getClass().getName()
            + " (serving the last good version; retried at the next poll)",
        e);
  }

  /**
   * The body of the busy-spin thread ({@link WatchMode#SPIN}): runs until the handle closes and
   * survives anything. It spins on positional reads of the current word, not on a mapping: a load
   * from a mapped page of a file truncated under it would raise an asynchronous {@link
   * InternalError} that HotSpot delivers at the next safepoint, possibly inside the JDK's own
   * channel code, whose bookkeeping it can leave broken for good (every later call on the channel
   * then fails). A {@code pread} of the header costs about a microsecond and a short read is just a
   * short read; the header it read is where the check of a new version starts.
   */
  void spin() {
    ByteBuffer header = ByteBuffer.allocateDirect(MIN_HEADER_LENGTH).order(ByteOrder.LITTLE_ENDIAN);
    while (true) {
      try {
        if (ctx.closed.get()) {
          return;
        }
        spinUntilFault(header);
      } catch (Throwable e) {
        try {
          fail(e instanceof JsonMmapException j ? j : unexpected(e));
          pause(TimeUnit.MILLISECONDS.toNanos(1));
        } catch (Throwable again) {
          // Out of memory while reporting: the next round reports what is left.
        }
      }
    }
  }

  /** Spins until the handle closes, or until something is thrown. */
  private void spinUntilFault(ByteBuffer header) {
    while (!ctx.closed.get()) {
      FileChannel ch = fileChannel;
      long current = ch == null || ctx.writer || truncatedSeen ? NO_WORD : currentWord(ch, header);
      if (current == NO_WORD) {
        // Nothing to follow: not attached yet, the file shrank or is being replaced (the watcher's
        // poll reports and handles each), or this standby now writes.
        pause(TimeUnit.MILLISECONDS.toNanos(1));
        continue;
      }
      if (current == ctx.seenCurrent) {
        Thread.onSpinWait();
        continue;
      }
      ByteBuffer copy = ByteBuffer.allocate(MIN_HEADER_LENGTH).order(ByteOrder.LITTLE_ENDIAN);
      copy.put(header.duplicate().clear());
      checkForChange(ch, copy);
      if (ctx.seenCurrent != current && ctx.lastError != null) {
        // A read that failed for a reason that may pass: again at the poll interval, not in a
        // tight loop.
        pause(ctx.options.pollInterval().toNanos());
      }
    }
  }

  /** No current word could be read: the value a current word never has (version 2^63-1, slot 1). */
  private static final long NO_WORD = -1;

  /**
   * The current word from the header read into {@code header} (the first {@link
   * FileLayout#MIN_HEADER_LENGTH} bytes, one {@code pread}), or {@link #NO_WORD} when the read came
   * short or failed (a truncated or closed file: the lock-holding paths report it). The interrupt
   * status is set aside for the read: an interrupt would close the channel for everyone.
   */
  private static long currentWord(FileChannel ch, ByteBuffer header) {
    boolean interrupted = Thread.interrupted();
    try {
      header.clear();
      while (header.hasRemaining()) {
        if (ch.read(header, header.position()) < 0) {
          return NO_WORD;
        }
      }
      return header.getLong(CURRENT_OFFSET);
    } catch (IOException e) {
      return NO_WORD;
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private void pause(long nanos) {
    long until = System.nanoTime() + nanos;
    while (!ctx.closed.get() && until - System.nanoTime() > 0) {
      LockSupport.parkNanos(Math.min(nanos, TimeUnit.MILLISECONDS.toNanos(1)));
    }
  }
}
