package io.github.jsonmmap;

/**
 * Read access to the bytes of a jsonmmap file, as the reader recipe of FORMAT.md needs it: the
 * header fields with their memory order in the name, and copies of document bytes.
 *
 * <p>The contract a {@link Protocol} read relies on: {@link #longAcquire} returns a value at least
 * as fresh as any load before it, and the plain loads after it return values at least as fresh as
 * that acquire load (a mapping loads them now; {@link FileRegion} returns them from the header page
 * copied by the last acquire load). Either way the seqlock's re-check of the sequence and the
 * checksum catch a racy copy.
 *
 * <p>Implementations say their own threading contract.
 */
interface ReadRegion {

  /** Bytes that may be read now: the mapped size, or the file's size. */
  long readableBytes();

  /**
   * Whether {@code end} bytes may be read: {@code end <= readableBytes()}, answered without asking
   * the file again where a size seen before already covers it (files never shrink; a read past the
   * end of a truncated file fails on its own).
   */
  default boolean holds(long end) {
    return end <= readableBytes();
  }

  /** A fresh load of the 8-byte header field at {@code offset}, with acquire semantics. */
  long longAcquire(int offset);

  /**
   * The 8-byte header field at {@code offset}, with acquire semantics, from the same load as the
   * last {@link #longAcquire} where that load copied the whole header at once ({@link FileRegion}:
   * the sequence of the slot a current word names costs no second read), else a fresh {@link
   * #longAcquire}. The seqlock's re-check of the sequence and the checksum catch a copy that was
   * stale or torn.
   */
  default long longAcquireSameLoad(int offset) {
    return longAcquire(offset);
  }

  /** The 8-byte header field at {@code offset} (see the class comment for how fresh). */
  long longPlain(int offset);

  /** The 4-byte header field at {@code offset} (see the class comment for how fresh). */
  int intPlain(int offset);

  /**
   * Copies {@code length} bytes at {@code offset} into a new array. The caller has checked the
   * range against {@link #readableBytes()}.
   *
   * @throws CorruptFileException when the file has become shorter than the range (truncated)
   */
  byte[] copyOut(long offset, int length);
}
