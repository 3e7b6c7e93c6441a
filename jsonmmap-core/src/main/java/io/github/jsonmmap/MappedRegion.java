package io.github.jsonmmap;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;

/**
 * One mapping of a jsonmmap file, with accessors whose names say their memory order. A mapping
 * never shrinks; a larger file is mapped again by whoever owns the region.
 *
 * <p>Readers use it only where a load must cost no system call (spin mode's load of the current
 * word); they read everything else with {@link FileRegion}, which a truncated file cannot fault.
 *
 * <p>Thread-safe for reads; writes are made by the single writer thread of a file.
 */
final class MappedRegion implements ReadRegion {

  private static final VarHandle LONGS =
      MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  private final MappedByteBuffer buffer;
  private final int size;

  MappedRegion(MappedByteBuffer buffer) {
    this.buffer = buffer;
    this.buffer.order(ByteOrder.LITTLE_ENDIAN);
    this.size = buffer.capacity();
  }

  /** Bytes mapped. */
  int size() {
    return size;
  }

  @Override
  public long readableBytes() {
    return size;
  }

  @Override
  public byte[] copyOut(long offset, int length) {
    if (offset < 0 || offset > size - (long) length) {
      throw new IndexOutOfBoundsException(
          "range outside the mapping: offset=" + offset + " length=" + length + " size=" + size);
    }
    return copy((int) offset, length);
  }

  MappedByteBuffer buffer() {
    return buffer;
  }

  @Override
  public long longAcquire(int offset) {
    return (long) LONGS.getAcquire(buffer, offset);
  }

  @Override
  public long longPlain(int offset) {
    return buffer.getLong(offset);
  }

  @Override
  public int intPlain(int offset) {
    return buffer.getInt(offset);
  }

  void longRelease(int offset, long value) {
    LONGS.setRelease(buffer, offset, value);
  }

  void longPlain(int offset, long value) {
    buffer.putLong(offset, value);
  }

  void intPlain(int offset, int value) {
    buffer.putInt(offset, value);
  }

  /** Copies {@code length} bytes at {@code offset} into a new array (plain loads). */
  byte[] copy(int offset, int length) {
    byte[] bytes = new byte[length];
    buffer.get(offset, bytes, 0, length);
    return bytes;
  }

  void put(int offset, byte[] bytes) {
    buffer.put(offset, bytes, 0, bytes.length);
  }

  void put(int offset, ByteBuffer bytes) {
    buffer.put(offset, bytes, bytes.position(), bytes.remaining());
  }

  /** Flushes dirty pages to the file (msync). */
  void force() {
    buffer.force();
  }
}
