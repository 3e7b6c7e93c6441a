package io.github.jsonmmap;

import static io.github.jsonmmap.FileLayout.*;

import java.lang.invoke.VarHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.zip.CRC32;

/**
 * The reader and writer protocol of FORMAT.md: header checks and the seqlock read of a slot (copy,
 * fence, re-check, checksum) over a {@link ReadRegion} (a mapping for the writer, positional reads
 * for readers), and the seqlock write over the writer's {@link MappedRegion}.
 *
 * <p>Stateless; the caller owns the region and serialises writes.
 */
final class Protocol {

  /** Thrown when a slot points past the mapped bytes while the file has grown: map again. */
  static final class RemapNeeded extends RuntimeException {
    private static final long serialVersionUID = 1L;
    static final RemapNeeded INSTANCE = new RemapNeeded();

    private RemapNeeded() {
      super("remap needed", null, false, false);
    }
  }

  /**
   * The bytes of one committed version, validated against its checksum, with the checksum and the
   * slot's sequence they were read at (to tell the same version with other content, and a slot
   * rewritten in place).
   */
  record SlotContent(
      long version, long publishedAtMicros, byte[] bytes, int checksum, long sequence) {}

  /** Supplies the file's current length, to tell growth from corruption. */
  @FunctionalInterface
  interface FileSize {
    long get();
  }

  private Protocol() {}

  /**
   * Checks the magic, format version and header length.
   *
   * @throws JsonMmapException with reason {@code not-ready} while the format version is still 0
   */
  static void checkHeader(Path file, ReadRegion r) {
    checkHeader(file, r, r.readableBytes());
  }

  /**
   * {@link #checkHeader(Path, ReadRegion)} for a region whose readable size the caller has just
   * read: the poll of an idle reader asks the file for its size once, not three times.
   */
  static void checkHeader(Path file, ReadRegion r, long readable) {
    if (readable < MIN_HEADER_LENGTH) {
      throw shortHeader(file, r);
    }
    long versionWord = r.longAcquire(FORMAT_VERSION_OFFSET);
    long magic = r.longPlain(MAGIC_OFFSET);
    if (magic != MAGIC_LONG) {
      if (magic == 0 && versionWord == 0) {
        throw new JsonMmapException(
            "not-ready",
            file,
            "file is not initialised (zero header, no format version): path=" + file);
      }
      throw new CorruptFileException(
          file,
          "not a jsonmmap file (bad magic): path="
              + file
              + " magic=0x"
              + Long.toHexString(magic)
              + " expected=0x"
              + Long.toHexString(MAGIC_LONG));
    }
    int major = (int) versionWord;
    int minor = (int) (versionWord >>> 32);
    if (major == 0) {
      throw new JsonMmapException(
          "not-ready", file, "file is not initialised yet (format version 0): path=" + file);
    }
    if (major != MAJOR_VERSION) {
      throw new UnsupportedFormatException(
          file,
          "unsupported format version: path="
              + file
              + " fileVersion="
              + major
              + "."
              + minor
              + " supportedVersion="
              + MAJOR_VERSION
              + "."
              + MINOR_VERSION
              + " (only major "
              + MAJOR_VERSION
              + " is readable)");
    }
    int headerLength = r.intPlain(HEADER_LENGTH_OFFSET);
    if (headerLength < MIN_HEADER_LENGTH
        || headerLength % DATA_ALIGNMENT != 0
        || headerLength > readable) {
      throw new CorruptFileException(
          file,
          "header length out of range: path="
              + file
              + " headerLength="
              + headerLength
              + " fileSize="
              + readable);
    }
  }

  /**
   * A file shorter than a header is "not ready" only while it can still be a creation in progress:
   * nothing but zeros, or a prefix of the magic with no format version yet.
   */
  private static JsonMmapException shortHeader(Path file, ReadRegion r) {
    int size = (int) r.readableBytes();
    byte[] bytes = r.copyOut(0, size);
    boolean zeros = true;
    for (byte b : bytes) {
      zeros &= b == 0;
    }
    boolean magicPrefix = true;
    for (int i = 0; i < Math.min(size, MAGIC.length); i++) {
      magicPrefix &= bytes[i] == MAGIC[i];
    }
    boolean noVersion = true;
    for (int i = FORMAT_VERSION_OFFSET; i < Math.min(size, FORMAT_VERSION_OFFSET + 8); i++) {
      noVersion &= bytes[i] == 0;
    }
    String facts = "path=" + file + " size=" + size + " min=" + MIN_HEADER_LENGTH;
    if (zeros || (magicPrefix && noVersion)) {
      return new JsonMmapException(
          "not-ready", file, "file too short to hold a header (being created?): " + facts);
    }
    if (!magicPrefix) {
      return new CorruptFileException(file, "not a jsonmmap file (bad magic, too short): " + facts);
    }
    return new CorruptFileException(file, "header truncated: " + facts);
  }

  static String readName(ReadRegion r) {
    return readString(r, NAME_LENGTH_OFFSET, NAME_OFFSET, NAME_CAPACITY);
  }

  static String readWriterInfo(ReadRegion r) {
    return readString(r, WRITER_INFO_LENGTH_OFFSET, WRITER_INFO_OFFSET, WRITER_INFO_CAPACITY);
  }

  private static String readString(ReadRegion r, int lengthOffset, int offset, int capacity) {
    int length = r.intPlain(lengthOffset);
    if (length <= 0) {
      return "";
    }
    return new String(r.copyOut(offset, Math.min(length, capacity)), StandardCharsets.UTF_8);
  }

  static void writeString(
      MappedRegion r, int lengthOffset, int offset, int capacity, String value) {
    byte[] bytes = value == null ? new byte[0] : value.getBytes(StandardCharsets.UTF_8);
    int length = Math.min(bytes.length, capacity);
    byte[] padded = new byte[capacity];
    System.arraycopy(bytes, 0, padded, 0, length);
    r.put(offset, padded);
    r.intPlain(lengthOffset, length);
  }

  static UUID readWriterId(ReadRegion r) {
    long msb = r.longPlain(WRITER_ID_OFFSET);
    long lsb = r.longPlain(WRITER_ID_OFFSET + 8);
    return msb == 0 && lsb == 0 ? null : new UUID(msb, lsb);
  }

  static int crc32(byte[] bytes) {
    CRC32 crc = new CRC32();
    crc.update(bytes, 0, bytes.length);
    return (int) crc.getValue();
  }

  /**
   * The longest document a reader accepts from this file: the writer's maximum recorded in the
   * header (format 1.1) when there is one, else the reader's own {@code ownLimit}; never more than
   * {@link #MAX_DOCUMENT_LENGTH}. Reads the header field with a plain load: call after an acquire.
   */
  static long documentLimit(ReadRegion r, long ownLimit) {
    long writerMax = r.longPlain(MAX_DOCUMENT_SIZE_OFFSET);
    long limit = writerMax != 0 ? writerMax : ownLimit;
    // A u64 above Long.MAX_VALUE reads as negative: as far out of range as it gets.
    return limit < 0 ? MAX_DOCUMENT_LENGTH : Math.min(limit, MAX_DOCUMENT_LENGTH);
  }

  /**
   * The longest document any writer can publish: a third of the largest file less its header
   * (FORMAT.md, document rules). A slot claiming more is corrupt whatever its header says.
   */
  static final long MAX_DOCUMENT_LENGTH =
      (JsonMmapOptions.MAX_MAX_SIZE - HEADER_LENGTH) / 3 / DATA_ALIGNMENT * DATA_ALIGNMENT;

  /**
   * Retries of a current slot left odd before it is read as committed but not released (or fewer,
   * when the read timeout passes first: see {@link #readCurrent}).
   */
  static final int UNRELEASED_AFTER_ATTEMPTS = 256;

  /**
   * Reads the current version: the reader recipe of FORMAT.md. Retries while the writer is busy
   * with the slot, up to {@code timeout}. A current slot still odd after {@link
   * #UNRELEASED_AFTER_ATTEMPTS} attempts, or when the timeout has passed (a loaded machine may not
   * give a reader that many attempts in time), gets one read as committed but not released before
   * the read gives up.
   *
   * @param ownLimit the reader's own longest document, used when the header records none
   * @throws RemapNeeded when the slot lies past the mapping but inside the (grown) file
   * @throws CorruptFileException when a stable slot is out of range or fails its checksum
   * @throws JsonMmapException with reason {@code too-large-for-heap} when the document's bytes do
   *     not fit in the heap, {@code timeout} when the slot never settles, {@code io} when a read
   *     fails
   */
  static SlotContent readCurrent(
      Path file,
      ReadRegion r,
      long ownLimit,
      FileSize fileSize,
      Duration timeout,
      LongAdder retries) {
    long deadline = System.nanoTime() + timeout.toNanos();
    boolean lastAttempt = false;
    for (int attempt = 0; ; attempt++) {
      if (attempt > 0) {
        retries.increment();
        if (System.nanoTime() - deadline > 0) {
          if (lastAttempt) {
            throw timeout(file, attempt, timeout);
          }
          lastAttempt = true;
        } else {
          backOff(attempt);
        }
      }
      // The first attempt follows the header load its caller has just made (the current word it
      // found moved); a retry loads it again.
      long current =
          attempt == 0 ? r.longAcquireSameLoad(CURRENT_OFFSET) : r.longAcquire(CURRENT_OFFSET);
      if (currentVersion(current) == 0) {
        throw new CorruptFileException(
            file, "no version committed (current names version 0): path=" + file);
      }
      // A writer commits before it releases the slot's sequence (FORMAT.md 5.2): a current slot
      // still odd after the spinning and yielding phase is committed but not released, by a
      // writer that is off the CPU or died there. Its bytes were complete before the commit, and
      // no writer touches the current slot, so it may be read if current did not move meanwhile.
      boolean acceptUnreleased = lastAttempt || attempt >= UNRELEASED_AFTER_ATTEMPTS;
      SlotContent content =
          readSlot(file, r, currentSlot(current), ownLimit, fileSize, acceptUnreleased);
      if (content == null) {
        continue;
      }
      if ((content.sequence() & 1) != 0 && r.longAcquire(CURRENT_OFFSET) != current) {
        continue;
      }
      if (content.bytes() == null) {
        if (r.longAcquire(CURRENT_OFFSET) != current) {
          continue;
        }
        throw new CorruptFileException(
            file,
            "current names an empty slot: path="
                + file
                + " slot="
                + currentSlot(current)
                + " currentVersion="
                + currentVersion(current));
      }
      if (content.version() != currentVersion(current)) {
        if (r.longAcquire(CURRENT_OFFSET) != current) {
          continue;
        }
        throw new CorruptFileException(
            file,
            "slot version disagrees with current: path="
                + file
                + " slot="
                + currentSlot(current)
                + " slotVersion="
                + content.version()
                + " currentVersion="
                + currentVersion(current));
      }
      return content;
    }
  }

  /**
   * Reads the slot that does not hold the current version (the previous version), or null when it
   * holds none or is being written.
   */
  static SlotContent readPrevious(Path file, ReadRegion r, long ownLimit, FileSize fileSize) {
    long current = r.longAcquire(CURRENT_OFFSET);
    if (current == 0) {
      return null;
    }
    int slot = 1 - currentSlot(current);
    SlotContent content = readSlot(file, r, slot, ownLimit, fileSize);
    if (content == null || content.version() == 0 || content.version() >= currentVersion(current)) {
      return null;
    }
    return content;
  }

  /**
   * One attempt at reading a slot: null when it is being written or changed while copied. Copies
   * the bytes into a private array before anything looks at them, and allocates that array only for
   * a length within {@link #documentLimit} and the file.
   */
  static SlotContent readSlot(Path file, ReadRegion r, int slot, long ownLimit, FileSize fileSize) {
    return readSlot(file, r, slot, ownLimit, fileSize, false);
  }

  /**
   * Like {@link #readSlot(Path, ReadRegion, int, long, FileSize)}; with {@code acceptOdd}, a slot
   * whose sequence is odd is read too, and must then keep that same odd sequence across the copy
   * (the caller checks that current did not move).
   */
  static SlotContent readSlot(
      Path file, ReadRegion r, int slot, long ownLimit, FileSize fileSize, boolean acceptOdd) {
    int base = slotOffset(slot);
    // From the load that found the current word (or a fresh one): the re-check after the copy
    // loads the sequence again in any case.
    long sequence = r.longAcquireSameLoad(base + SLOT_SEQUENCE_OFFSET);
    if ((sequence & 1) != 0 && !acceptOdd) {
      return null;
    }
    long version = r.longPlain(base + SLOT_VERSION_OFFSET);
    long offset = r.longPlain(base + SLOT_DATA_OFFSET);
    long length = r.longPlain(base + SLOT_DATA_LENGTH_OFFSET);
    long published = r.longPlain(base + SLOT_PUBLISHED_OFFSET);
    int checksum = r.intPlain(base + SLOT_CHECKSUM_OFFSET);
    if (sequence == 0 && version == 0) {
      return new SlotContent(0, 0, null, 0, 0);
    }
    int headerLength = r.intPlain(HEADER_LENGTH_OFFSET);
    long maxLength = documentLimit(r, ownLimit);
    if (length < 0
        || length > maxLength
        || offset < headerLength
        || offset > JsonMmapOptions.MAX_MAX_SIZE - length) {
      if (!stable(r, base, sequence)) {
        return null;
      }
      throw new CorruptFileException(
          file,
          "slot out of range: path="
              + file
              + " slot="
              + slot
              + " offset="
              + offset
              + " length="
              + length
              + " maxLength="
              + maxLength
              + " headerLength="
              + headerLength
              + " maxFileSize="
              + JsonMmapOptions.MAX_MAX_SIZE);
    }
    if (!r.holds(offset + length)) {
      if (!stable(r, base, sequence)) {
        return null;
      }
      long size = fileSize.get();
      if (offset + length <= size && size > r.readableBytes()) {
        throw RemapNeeded.INSTANCE;
      }
      throw new CorruptFileException(
          file,
          "slot points past the end of the file: path="
              + file
              + " slot="
              + slot
              + " offset="
              + offset
              + " length="
              + length
              + " fileSize="
              + size);
    }
    byte[] bytes;
    try {
      bytes = r.copyOut(offset, (int) length);
    } catch (OutOfMemoryError e) {
      throw tooLargeForHeap(file, version, length, e);
    }
    if (!stable(r, base, sequence)) {
      return null;
    }
    int actual = crc32(bytes);
    if (actual != checksum) {
      throw new ChecksumMismatchException(
          file,
          "checksum mismatch: path="
              + file
              + " slot="
              + slot
              + " version="
              + version
              + " length="
              + length
              + " stored=0x"
              + Integer.toHexString(checksum)
              + " computed=0x"
              + Integer.toHexString(actual));
    }
    return new SlotContent(version, published, bytes, checksum, sequence);
  }

  /**
   * The error for a valid document this JVM has no heap for: a reason that may pass (another
   * version, a larger heap, less garbage), so a reader retries it.
   */
  static JsonMmapException tooLargeForHeap(
      Path file, long version, long length, OutOfMemoryError e) {
    return new JsonMmapException(
        "too-large-for-heap",
        file,
        "document does not fit in the heap: path="
            + file
            + " version="
            + version
            + " length="
            + length
            + " maxHeap="
            + Runtime.getRuntime().maxMemory()
            + " (serving the last good version; retried at the next change or poll)",
        e);
  }

  /** Whether the slot's sequence is still {@code sequence} after the loads before this call. */
  private static boolean stable(ReadRegion r, int base, long sequence) {
    VarHandle.acquireFence();
    return r.longAcquire(base + SLOT_SEQUENCE_OFFSET) == sequence;
  }

  private static JsonMmapException timeout(Path file, int attempt, Duration timeout) {
    return new JsonMmapException(
        "timeout",
        file,
        "read did not settle: path="
            + file
            + " attempts="
            + attempt
            + " timeout="
            + timeout.toMillis()
            + "ms (a slot stayed odd or kept changing)");
  }

  private static void backOff(int attempt) {
    if (attempt < 64) {
      Thread.onSpinWait();
    } else if (attempt < 256) {
      Thread.yield();
    } else {
      LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(50));
    }
  }
}
