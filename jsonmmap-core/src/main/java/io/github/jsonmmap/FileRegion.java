package io.github.jsonmmap;

import static io.github.jsonmmap.FileLayout.MIN_HEADER_LENGTH;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

/**
 * A jsonmmap file read with positional reads ({@code pread}) into private buffers instead of
 * through a mapping: a file truncated under a reader gives a short read, which is reported as a
 * {@link CorruptFileException} ({@link Truncated}), where a load from a mapped page past the end of
 * the file is SIGBUS (an asynchronous {@link InternalError} in the JVM, death in most other
 * languages).
 *
 * <p>Each {@link #longAcquire} reads the first {@link FileLayout#MIN_HEADER_LENGTH} bytes of the
 * file (both slot descriptors included) in one call; the plain loads after it, and {@link
 * #longAcquireSameLoad}, return fields of that copy, so one seqlock read of a slot costs three
 * reads: header, document, header again (and a reader that has just read the current word reads the
 * header no more).
 *
 * <p>Safe to call from any thread: each header copy is a new immutable buffer, published through a
 * volatile field. The caller owns the channel.
 */
final class FileRegion implements ReadRegion {

  /** A read that found the file shorter than it was: someone truncated it. */
  static final class Truncated extends CorruptFileException {
    private static final long serialVersionUID = 1L;

    Truncated(Path file, String message) {
      super(file, message);
    }
  }

  private final Path file;
  private final FileChannel channel;

  /** The header copy of a region that has made no load yet: all zeros, never written. */
  private static final ByteBuffer NOT_LOADED =
      ByteBuffer.allocate(MIN_HEADER_LENGTH).order(ByteOrder.LITTLE_ENDIAN);

  private volatile ByteBuffer header = NOT_LOADED;

  /** The largest size {@link #readableBytes()} has seen: what {@link #holds} trusts. */
  private volatile long sizeSeen;

  FileRegion(Path file, FileChannel channel) {
    this.file = file;
    this.channel = channel;
  }

  /**
   * Another view of the same open file with a header copy of its own, for callers outside the
   * reader's lock (health, meters): the header copy of one view is not to be shared between
   * threads, or one thread's loads could come from another's copy.
   */
  FileRegion sibling() {
    return new FileRegion(file, channel);
  }

  @Override
  public long readableBytes() {
    try {
      long size = channel.size();
      if (size > sizeSeen) {
        sizeSeen = size;
      }
      return size;
    } catch (IOException e) {
      throw ioError("cannot read the size of the file", e);
    }
  }

  /**
   * Asks the file for its size only when no size seen before covers {@code end}: a document read
   * costs no {@code fstat}. A file truncated since gives a short read, reported as {@link
   * Truncated}.
   */
  @Override
  public boolean holds(long end) {
    return end <= sizeSeen || end <= readableBytes();
  }

  @Override
  public long longAcquire(int offset) {
    ByteBuffer copy = ByteBuffer.allocate(MIN_HEADER_LENGTH).order(ByteOrder.LITTLE_ENDIAN);
    readFully(copy, 0);
    header = copy;
    return copy.getLong(offset);
  }

  /**
   * Takes {@code copy} as this region's header copy, as if {@link #longAcquire} had just read it,
   * and returns its field at {@code offset}: a caller that has just read the header from this
   * region's channel (the spinning reader) saves the read a fresh load would make.
   *
   * @param copy the first {@link FileLayout#MIN_HEADER_LENGTH} bytes of the file in one read,
   *     little endian, never written again
   */
  long longAcquireFrom(ByteBuffer copy, int offset) {
    if (copy.capacity() != MIN_HEADER_LENGTH || copy.order() != ByteOrder.LITTLE_ENDIAN) {
      throw new IllegalArgumentException("not a header copy: " + copy);
    }
    header = copy;
    return copy.getLong(offset);
  }

  /** The field from the header copy the last {@link #longAcquire} made: no read. */
  @Override
  public long longAcquireSameLoad(int offset) {
    ByteBuffer copy = header;
    return copy == NOT_LOADED ? longAcquire(offset) : copy.getLong(offset);
  }

  @Override
  public long longPlain(int offset) {
    return header.getLong(offset);
  }

  @Override
  public int intPlain(int offset) {
    return header.getInt(offset);
  }

  @Override
  public byte[] copyOut(long offset, int length) {
    byte[] bytes = new byte[length];
    readFully(ByteBuffer.wrap(bytes), offset);
    return bytes;
  }

  /**
   * Reads until {@code target} is full. An interrupted thread would close the channel for every
   * user of it (FileChannel is interruptible), so the interrupt status is set aside for the read
   * and restored after it.
   */
  private void readFully(ByteBuffer target, long position) {
    boolean interrupted = Thread.interrupted();
    try {
      long at = position;
      while (target.hasRemaining()) {
        int read = Chunks.read(channel, target, at);
        if (read < 0) {
          throw new Truncated(
              file,
              "file was truncated under the reader: path="
                  + file
                  + " size="
                  + readableBytes()
                  + " needed="
                  + (position + target.capacity())
                  + " (jsonmmap files never shrink; serving the last good version)");
        }
        at += read;
      }
    } catch (IOException e) {
      throw ioError("cannot read file", e);
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private JsonMmapException ioError(String what, IOException e) {
    return new JsonMmapException(
        "io",
        file,
        what + ": path=" + file + " error=" + e.getClass().getSimpleName() + ": " + e.getMessage(),
        e);
  }
}
