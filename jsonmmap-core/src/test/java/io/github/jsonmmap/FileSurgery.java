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
import java.util.zip.CRC32;

/**
 * Edits the raw bytes of a jsonmmap file at {@link FileLayout} offsets, outside the protocol, to
 * make the damaged files the bad-input tests feed to the library. Writes go through a {@link
 * FileChannel}, which shares the page cache with every mapping of the file.
 *
 * <p>Not thread-safe; stateless static helpers for tests.
 */
final class FileSurgery {

  private FileSurgery() {}

  static byte[] bytes(Path file) {
    try {
      return Files.readAllBytes(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static void write(Path file, byte[] bytes) {
    try {
      Files.write(file, bytes);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static void truncate(Path file, long size) {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
      ch.truncate(size);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static long readLong(Path file, long offset) {
    return read(file, offset, 8).getLong(0);
  }

  static int readInt(Path file, long offset) {
    return read(file, offset, 4).getInt(0);
  }

  static void putLong(Path file, long offset, long value) {
    put(file, offset, buffer(8).putLong(0, value));
  }

  static void putInt(Path file, long offset, int value) {
    put(file, offset, buffer(4).putInt(0, value));
  }

  /**
   * Stores {@code value} through a shared mapping of the file, as a program writing the way the
   * writer does would: unlike a write(2), this raises no inotify event.
   */
  static void putIntThroughMapping(Path file, long offset, int value) {
    try (FileChannel ch =
        FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      ch.map(FileChannel.MapMode.READ_WRITE, offset, 4)
          .order(ByteOrder.LITTLE_ENDIAN)
          .putInt(0, value);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static void putBytes(Path file, long offset, byte[] bytes) {
    put(file, offset, ByteBuffer.wrap(bytes));
  }

  /** Inverts every bit of one byte. */
  static void flipByte(Path file, long offset) {
    byte[] one = new byte[] {read(file, offset, 1).get(0)};
    one[0] = (byte) ~one[0];
    putBytes(file, offset, one);
  }

  static int crc32(byte[] bytes) {
    CRC32 crc = new CRC32();
    crc.update(bytes, 0, bytes.length);
    return (int) crc.getValue();
  }

  static long current(Path file) {
    return readLong(file, CURRENT_OFFSET);
  }

  static int currentSlot(Path file) {
    return FileLayout.currentSlot(current(file));
  }

  static long currentVersion(Path file) {
    return FileLayout.currentVersion(current(file));
  }

  /** The file offset of a field of a slot descriptor. */
  static long slotField(int slot, int fieldOffset) {
    return slotOffset(slot) + fieldOffset;
  }

  static long slotDataOffset(Path file, int slot) {
    return readLong(file, slotField(slot, SLOT_DATA_OFFSET));
  }

  static long slotDataLength(Path file, int slot) {
    return readLong(file, slotField(slot, SLOT_DATA_LENGTH_OFFSET));
  }

  /**
   * Overwrites the document of the current slot in place with {@code document} and stores {@code
   * checksum} for it, leaving version and sequence as they are.
   */
  static void replaceCurrentDocument(Path file, byte[] document, int checksum) {
    int slot = currentSlot(file);
    putBytes(file, slotDataOffset(file, slot), document);
    putLong(file, slotField(slot, SLOT_DATA_LENGTH_OFFSET), document.length);
    putInt(file, slotField(slot, SLOT_CHECKSUM_OFFSET), checksum);
  }

  /**
   * Commits {@code document} as the next version the way a writer would (FORMAT.md): into the slot
   * that does not hold the current version, and then flips the current word to it. Stores {@code
   * checksum} as the slot's CRC, right or wrong.
   *
   * @return the version committed
   */
  static long commitNextVersion(Path file, byte[] document, int checksum) {
    long current = current(file);
    long version = FileLayout.currentVersion(current) + 1;
    commit(file, 1 - FileLayout.currentSlot(current), version, document, checksum);
    return version;
  }

  /**
   * Writes {@code document} as {@code version} into {@code slot} the way a writer would (seqlock
   * sequence odd, bytes past those of both slots, descriptor with {@code checksum}, sequence even),
   * then stores the current word naming that slot and version. Any slot and version: the current
   * slot rewritten under the same version, a lower version, the same version in the other slot.
   */
  static void commit(Path file, int slot, long version, byte[] document, int checksum) {
    long end = HEADER_LENGTH;
    for (int s = 0; s < 2; s++) {
      end = Math.max(end, slotDataOffset(file, s) + slotDataLength(file, s));
    }
    long offset = alignUp(end, DATA_ALIGNMENT);
    long sequence = readLong(file, slotField(slot, SLOT_SEQUENCE_OFFSET));
    long busy = (sequence & 1) == 0 ? sequence + 1 : sequence + 2;
    putLong(file, slotField(slot, SLOT_SEQUENCE_OFFSET), busy);
    putBytes(file, offset, document);
    putLong(file, slotField(slot, SLOT_VERSION_OFFSET), version);
    putLong(file, slotField(slot, SLOT_DATA_OFFSET), offset);
    putLong(file, slotField(slot, SLOT_DATA_LENGTH_OFFSET), document.length);
    putLong(file, slotField(slot, SLOT_PUBLISHED_OFFSET), Units.nowMicros());
    putInt(file, slotField(slot, SLOT_CHECKSUM_OFFSET), checksum);
    putLong(file, slotField(slot, SLOT_SEQUENCE_OFFSET), busy + 1);
    putLong(file, CURRENT_OFFSET, FileLayout.current(version, slot));
  }

  private static ByteBuffer buffer(int size) {
    return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
  }

  private static ByteBuffer read(Path file, long offset, int size) {
    ByteBuffer buffer = buffer(size);
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      while (buffer.hasRemaining()) {
        if (ch.read(buffer, offset + buffer.position()) < 0) {
          throw new IllegalStateException(
              "read past the end: file=" + file + " offset=" + offset + " size=" + size);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return buffer;
  }

  private static void put(Path file, long offset, ByteBuffer bytes) {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
      while (bytes.hasRemaining()) {
        ch.write(bytes, offset + bytes.position());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
