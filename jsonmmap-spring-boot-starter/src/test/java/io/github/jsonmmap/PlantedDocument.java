package io.github.jsonmmap;

import static io.github.jsonmmap.FileLayout.*;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.zip.CRC32;

/**
 * Commits raw bytes as the next version of a jsonmmap file outside the protocol, the way a hostile
 * or broken writer would (FORMAT.md's slot recipe with a correct CRC-32), so that the starter's
 * tests can feed readers a document that is not JSON. Lives in the core's package to use its {@link
 * FileLayout} offsets.
 *
 * <p>Not thread-safe; stateless static helpers for tests.
 */
public final class PlantedDocument {

  private PlantedDocument() {}

  /**
   * Commits {@code document} into the slot that does not hold the current version and makes it
   * current; returns the version committed.
   */
  public static long commitNext(Path file, byte[] document) {
    try (FileChannel ch =
        FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      long current = readLong(ch, CURRENT_OFFSET);
      int slot = 1 - currentSlot(current);
      long version = currentVersion(current) + 1;
      long end = HEADER_LENGTH;
      for (int s = 0; s < 2; s++) {
        end =
            Math.max(
                end,
                readLong(ch, slotOffset(s) + SLOT_DATA_OFFSET)
                    + readLong(ch, slotOffset(s) + SLOT_DATA_LENGTH_OFFSET));
      }
      long offset = alignUp(end, DATA_ALIGNMENT);
      long sequence = readLong(ch, slotOffset(slot) + SLOT_SEQUENCE_OFFSET);
      long busy = (sequence & 1) == 0 ? sequence + 1 : sequence + 2;
      CRC32 crc = new CRC32();
      crc.update(document);
      writeLong(ch, slotOffset(slot) + SLOT_SEQUENCE_OFFSET, busy);
      write(ch, offset, ByteBuffer.wrap(document));
      writeLong(ch, slotOffset(slot) + SLOT_VERSION_OFFSET, version);
      writeLong(ch, slotOffset(slot) + SLOT_DATA_OFFSET, offset);
      writeLong(ch, slotOffset(slot) + SLOT_DATA_LENGTH_OFFSET, document.length);
      writeLong(ch, slotOffset(slot) + SLOT_PUBLISHED_OFFSET, Units.nowMicros());
      write(ch, slotOffset(slot) + SLOT_CHECKSUM_OFFSET, buffer(4).putInt(0, (int) crc.getValue()));
      writeLong(ch, slotOffset(slot) + SLOT_SEQUENCE_OFFSET, busy + 1);
      writeLong(ch, CURRENT_OFFSET, FileLayout.current(version, slot));
      // Wakes event-driven readers as a writer's publish does.
      Files.setLastModifiedTime(file, FileTime.from(Instant.now()));
      return version;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static ByteBuffer buffer(int size) {
    return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
  }

  private static long readLong(FileChannel ch, long offset) throws IOException {
    ByteBuffer buffer = buffer(8);
    while (buffer.hasRemaining()) {
      if (ch.read(buffer, offset + buffer.position()) < 0) {
        throw new IOException("read past the end: offset=" + offset);
      }
    }
    return buffer.getLong(0);
  }

  private static void writeLong(FileChannel ch, long offset, long value) throws IOException {
    write(ch, offset, buffer(8).putLong(0, value));
  }

  private static void write(FileChannel ch, long offset, ByteBuffer bytes) throws IOException {
    while (bytes.hasRemaining()) {
      ch.write(bytes, offset + bytes.position());
    }
  }
}
