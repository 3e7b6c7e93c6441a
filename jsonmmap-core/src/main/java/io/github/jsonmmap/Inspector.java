package io.github.jsonmmap;

import static io.github.jsonmmap.FileLayout.*;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a header and both slots into a {@link FileInfo}, with positional reads (never a mapping, so
 * a file truncated meanwhile is an error, not a SIGBUS). Stateless; safe to call from any thread.
 */
final class Inspector {

  private Inspector() {}

  /**
   * Opens {@code path} read-only, inspects it and closes it: see {@link
   * JsonMmapFile#inspect(Path)}.
   *
   * @throws FileMissingException when there is no file
   * @throws CorruptFileException or UnsupportedFormatException when the header is unusable
   */
  static FileInfo inspect(Path path) {
    return inspect(path, null);
  }

  /** Like {@link #inspect(Path)}, trusting the file as {@code options} say (null: strict). */
  static FileInfo inspect(Path path, JsonMmapOptions options) {
    Path file = path.toAbsolutePath().normalize();
    try (FileChannel ch =
        options == null ? SafeFiles.openRead(file) : SafeFiles.openRead(file, options)) {
      return inspect(file, new FileRegion(file, ch), ch.size(), JsonMmapOptions.MAX_MAX_SIZE);
    } catch (NoSuchFileException e) {
      throw new FileMissingException(file, "file does not exist: path=" + file, e);
    } catch (IOException e) {
      throw new JsonMmapException(
          "io",
          file,
          "cannot read file: path="
              + file
              + " error="
              + e.getClass().getSimpleName()
              + ": "
              + e.getMessage(),
          e);
    }
  }

  /**
   * Inspects an open file.
   *
   * @param ownLimit the longest document to accept when the header records no writer maximum
   */
  static FileInfo inspect(Path file, ReadRegion r, long fileSize, long ownLimit) {
    Protocol.checkHeader(file, r);
    long versionWord = r.longAcquire(FORMAT_VERSION_OFFSET);
    long current = r.longAcquire(CURRENT_OFFSET);
    List<FileInfo.SlotInfo> slots = new ArrayList<>(2);
    for (int slot = 0; slot < 2; slot++) {
      slots.add(slot(file, r, slot, current, fileSize, ownLimit));
    }
    long heartbeat = r.longAcquire(HEARTBEAT_OFFSET);
    return new FileInfo(
        file,
        (int) versionWord,
        (int) (versionWord >>> 32),
        r.intPlain(HEADER_LENGTH_OFFSET),
        fileSize,
        r.longPlain(CAPACITY_OFFSET),
        r.longPlain(GENERATION_OFFSET),
        currentVersion(current),
        currentSlot(current),
        Protocol.readName(r),
        Protocol.readWriterId(r),
        Protocol.readWriterInfo(r),
        r.longPlain(WRITER_SINCE_OFFSET),
        heartbeat,
        r.longPlain(CREATED_OFFSET),
        slots,
        r.longPlain(MAX_DOCUMENT_SIZE_OFFSET),
        r.longPlain(WRITER_EPOCH_OFFSET),
        r.longPlain(CLOSED_OFFSET),
        faults(current, slots));
  }

  /**
   * What the two slots together say is wrong: one version never has two documents under one writer,
   * and the slot that is not current never holds a version at or above the current one once the
   * next publish has completed.
   */
  private static List<String> faults(long current, List<FileInfo.SlotInfo> slots) {
    List<String> faults = new ArrayList<>(1);
    if (current == 0) {
      return faults;
    }
    FileInfo.SlotInfo cur = slots.get(currentSlot(current));
    FileInfo.SlotInfo other = slots.get(1 - currentSlot(current));
    if (other.state().equals("empty") || other.state().equals("writing")) {
      return faults;
    }
    if (other.version() == currentVersion(current)) {
      faults.add(
          "diverged: both slots hold version "
              + other.version()
              + " (checksums 0x"
              + Integer.toHexString(cur.checksum())
              + " and 0x"
              + Integer.toHexString(other.checksum())
              + "): two writers published it");
    } else if (Long.compareUnsigned(other.version(), currentVersion(current)) > 0) {
      faults.add(
          "ahead: slot "
              + other.index()
              + " holds version "
              + other.version()
              + " above the current version "
              + currentVersion(current)
              + " (two writers, or a writer killed between writing and committing it)");
    }
    return faults;
  }

  private static FileInfo.SlotInfo slot(
      Path file, ReadRegion r, int slot, long current, long fileSize, long ownLimit) {
    int base = slotOffset(slot);
    long sequence = r.longAcquire(base + SLOT_SEQUENCE_OFFSET);
    long version = r.longPlain(base + SLOT_VERSION_OFFSET);
    long offset = r.longPlain(base + SLOT_DATA_OFFSET);
    long length = r.longPlain(base + SLOT_DATA_LENGTH_OFFSET);
    long published = r.longPlain(base + SLOT_PUBLISHED_OFFSET);
    int checksum = r.intPlain(base + SLOT_CHECKSUM_OFFSET);
    // A current slot left odd is committed but not released (FORMAT.md 5.2, 8 step 2): its writer
    // is between the two steps or died there. It is read as the current version when its bytes
    // match, and current and its sequence do not move across the copy; a later look may find it
    // released. Any other odd slot is being written.
    boolean unreleased = (sequence & 1) != 0 && current != 0 && currentSlot(current) == slot;
    String state;
    if (sequence == 0 && version == 0) {
      state = "empty";
    } else if ((sequence & 1) != 0 && !unreleased) {
      state = "writing";
    } else {
      try {
        Protocol.SlotContent content =
            Protocol.readSlot(file, r, slot, ownLimit, () -> fileSize, unreleased);
        if (content == null || (unreleased && r.longAcquire(CURRENT_OFFSET) != current)) {
          state = "writing";
        } else if (current != 0 && currentSlot(current) == slot) {
          state =
              version == currentVersion(current)
                  ? "current"
                  : "corrupt: slot version "
                      + version
                      + " but current version "
                      + currentVersion(current);
        } else {
          state = version < currentVersion(current) ? "previous" : "uncommitted";
        }
      } catch (Protocol.RemapNeeded e) {
        state = "writing";
      } catch (CorruptFileException e) {
        state = "corrupt: " + e.getMessage();
      } catch (JsonMmapException e) {
        // A timeout, an I/O error or no heap for the bytes: nothing says the slot is bad.
        state = "unreadable: " + e.getMessage();
      }
    }
    return new FileInfo.SlotInfo(
        slot, sequence, version, offset, length, published, checksum, state);
  }
}
