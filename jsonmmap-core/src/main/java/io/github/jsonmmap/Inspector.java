package io.github.jsonmmap;

import static io.github.jsonmmap.FileLayout.*;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Reads a header and both slots into a {@link FileInfo}. Stateless. */
final class Inspector {

  private Inspector() {}

  static FileInfo inspect(Path file, MappedRegion r, long fileSize, long maxLength) {
    Protocol.checkHeader(file, r);
    long versionWord = r.longAcquire(FORMAT_VERSION_OFFSET);
    long current = r.longAcquire(CURRENT_OFFSET);
    List<FileInfo.SlotInfo> slots = new ArrayList<>(2);
    for (int slot = 0; slot < 2; slot++) {
      slots.add(slot(file, r, slot, current, fileSize, maxLength));
    }
    return new FileInfo(
        file,
        (int) versionWord,
        (int) (versionWord >>> 32),
        r.intPlain(HEADER_LENGTH_OFFSET),
        fileSize,
        r.longPlain(CAPACITY_OFFSET),
        r.longAcquire(GENERATION_OFFSET),
        currentVersion(current),
        currentSlot(current),
        Protocol.readName(r),
        Protocol.readWriterId(r),
        Protocol.readWriterInfo(r),
        r.longPlain(WRITER_SINCE_OFFSET),
        r.longAcquire(HEARTBEAT_OFFSET),
        r.longPlain(CREATED_OFFSET),
        slots);
  }

  private static FileInfo.SlotInfo slot(
      Path file, MappedRegion r, int slot, long current, long fileSize, long maxLength) {
    int base = slotOffset(slot);
    long sequence = r.longAcquire(base + SLOT_SEQUENCE_OFFSET);
    long version = r.longPlain(base + SLOT_VERSION_OFFSET);
    long offset = r.longPlain(base + SLOT_DATA_OFFSET);
    long length = r.longPlain(base + SLOT_DATA_LENGTH_OFFSET);
    long published = r.longPlain(base + SLOT_PUBLISHED_OFFSET);
    int checksum = r.intPlain(base + SLOT_CHECKSUM_OFFSET);
    String state;
    if (sequence == 0 && version == 0) {
      state = "empty";
    } else if ((sequence & 1) != 0) {
      state = "writing";
    } else {
      try {
        Protocol.SlotContent content = Protocol.readSlot(file, r, slot, maxLength, () -> fileSize);
        if (content == null) {
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
      } catch (JsonMmapException e) {
        state = "corrupt: " + e.getMessage();
      }
    }
    return new FileInfo.SlotInfo(
        slot, sequence, version, offset, length, published, checksum, state);
  }
}
