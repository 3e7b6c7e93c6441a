package io.github.jsonmmap;

import java.nio.charset.StandardCharsets;

/**
 * The binary layout of a jsonmmap file, format version 1.1. The only class that knows offsets;
 * FORMAT.md at the repository root is the normative description and agrees with this diagram.
 *
 * <p>Not instantiable: constants only. All integers are little-endian; every 8-byte field is 8-byte
 * aligned so that it can be read and written atomically.
 *
 * <pre>
 * Format v1.1 header page (HEADER_LENGTH = 4096 bytes), then the data area.
 *
 *   0                   8                  12                 16                 20          24
 *   +-------------------+------------------+------------------+------------------+-----------+
 *   | magic "JSONMMAP"  | major (u32)      | minor (u32)      | header length u32| flags u32 |
 *   +-------------------+------------------+------------------+------------------+-----------+
 *  24 | file length (u64)             | 32 capacity (u64)          | 40 generation (u64)   |
 *  48 | current = version &lt;&lt; 1 | slot | 56 heartbeat micros (u64)  | 64 writer id (16 B)   |
 *  80 | writer since micros (u64)     | 88 created micros (u64)    | 96 name length (u32)  |
 * 100 | writer info length (u32)      | 104 max document size (u64, 1.1; 0 in 1.0)         |
 * 112 | writer epoch (u64, 1.1)       | 120 closed cleanly micros (u64, 1.1; 0: not closed) |
 * 128 | name (64 B, UTF-8, zero padded)                                                    |
 * 192 | writer info (64 B, UTF-8, zero padded)                                             |
 * 256 | slot 0 descriptor (64 B)                                                           |
 * 320 | slot 1 descriptor (64 B)                                                           |
 * 384..4095 reserved (zero)                                                              |
 *
 * Slot descriptor (64 bytes, at SLOT_0_OFFSET or SLOT_1_OFFSET):
 *   +0 sequence (u64, odd while the slot is being written)
 *   +8 version (u64)          +16 offset (u64, from the start of the file)
 *  +24 length (u64)           +32 published micros (u64, microseconds since the epoch)
 *  +40 CRC-32 of the document bytes (u32)    +44..63 reserved (zero)
 * </pre>
 *
 * <p>The 8 bytes at {@link #FORMAT_VERSION_OFFSET} (major, then minor) are written last, with
 * release semantics, when a file is created: a zero major means "not initialised yet".
 */
final class FileLayout {

  /** Magic bytes at offset 0: ASCII "JSONMMAP". */
  static final byte[] MAGIC = "JSONMMAP".getBytes(StandardCharsets.US_ASCII);

  /** The magic as one little-endian long, for a single comparison. */
  static final long MAGIC_LONG = 0x50414d4d4e4f534aL;

  /** Major format version this code reads and writes; a different major is refused. */
  static final int MAJOR_VERSION = 1;

  /**
   * Minor format version this code writes; higher minors stay readable. 1.1 added the max document
   * size, writer epoch and clean-close fields (zero in a 1.0 file).
   */
  static final int MINOR_VERSION = 1;

  /** Offset of the 8 magic bytes. */
  static final int MAGIC_OFFSET = 0;

  /** Offset of the u32 major version, followed by the u32 minor version; written last. */
  static final int FORMAT_VERSION_OFFSET = 8;

  /** Offset of the u32 header length: where the data area starts. */
  static final int HEADER_LENGTH_OFFSET = 16;

  /** Offset of the u32 flags, reserved (zero in v1.0). */
  static final int FLAGS_OFFSET = 20;

  /** Offset of the u64 file length the writer last grew the file to. */
  static final int FILE_LENGTH_OFFSET = 24;

  /** Offset of the u64 capacity: bytes in the data area (file length minus header length). */
  static final int CAPACITY_OFFSET = 32;

  /** Offset of the u64 generation: how many times the file has grown. */
  static final int GENERATION_OFFSET = 40;

  /** Offset of the u64 current word: committed version shifted left by one, or'ed with a slot. */
  static final int CURRENT_OFFSET = 48;

  /** Offset of the u64 writer heartbeat, microseconds since the epoch (0: none yet). */
  static final int HEARTBEAT_OFFSET = 56;

  /** Offset of the 16-byte writer instance id (UUID, most significant long first). */
  static final int WRITER_ID_OFFSET = 64;

  /** Offset of the u64 time the current writer took the file, microseconds since the epoch. */
  static final int WRITER_SINCE_OFFSET = 80;

  /** Offset of the u64 creation time of the file, microseconds since the epoch. */
  static final int CREATED_OFFSET = 88;

  /** Offset of the u32 length in bytes of the document name. */
  static final int NAME_LENGTH_OFFSET = 96;

  /** Offset of the u32 length in bytes of the writer info. */
  static final int WRITER_INFO_LENGTH_OFFSET = 100;

  /**
   * Offset of the u64 largest document length the writer may publish (format 1.1; 0 in a 1.0 file).
   * Readers accept documents up to this length instead of their own limit.
   */
  static final int MAX_DOCUMENT_SIZE_OFFSET = 104;

  /**
   * Offset of the u64 writer epoch (format 1.1): each process that takes the file over as writer
   * raises it by one, and a writer that finds another epoch here has been fenced off.
   */
  static final int WRITER_EPOCH_OFFSET = 112;

  /**
   * Offset of the u64 time the last writer closed the file cleanly, microseconds since the epoch
   * (format 1.1); 0 while a writer holds the file or after a writer died.
   */
  static final int CLOSED_OFFSET = 120;

  /** Offset of the document name, UTF-8, at most {@link #NAME_CAPACITY} bytes. */
  static final int NAME_OFFSET = 128;

  /** Bytes reserved for the document name. */
  static final int NAME_CAPACITY = 64;

  /** Offset of the writer info (who holds the file, for humans), UTF-8. */
  static final int WRITER_INFO_OFFSET = 192;

  /** Bytes reserved for the writer info. */
  static final int WRITER_INFO_CAPACITY = 64;

  /** Offset of slot 0's descriptor. */
  static final int SLOT_0_OFFSET = 256;

  /** Offset of slot 1's descriptor. */
  static final int SLOT_1_OFFSET = 320;

  /** Size of one slot descriptor. */
  static final int SLOT_LENGTH = 64;

  /** Within a slot descriptor: the u64 seqlock sequence, odd while the slot is written. */
  static final int SLOT_SEQUENCE_OFFSET = 0;

  /** Within a slot descriptor: the u64 document version. */
  static final int SLOT_VERSION_OFFSET = 8;

  /** Within a slot descriptor: the u64 offset of the document bytes from the file start. */
  static final int SLOT_DATA_OFFSET = 16;

  /** Within a slot descriptor: the u64 length of the document bytes. */
  static final int SLOT_DATA_LENGTH_OFFSET = 24;

  /** Within a slot descriptor: the u64 publish time, microseconds since the epoch. */
  static final int SLOT_PUBLISHED_OFFSET = 32;

  /** Within a slot descriptor: the u32 CRC-32 (zlib polynomial) of the document bytes. */
  static final int SLOT_CHECKSUM_OFFSET = 40;

  /** Length of the header page; the data area starts here. */
  static final int HEADER_LENGTH = 4096;

  /** Smallest header length a reader accepts (both slot descriptors must fit). */
  static final int MIN_HEADER_LENGTH = SLOT_1_OFFSET + SLOT_LENGTH;

  /** Document offsets are aligned to this many bytes. */
  static final int DATA_ALIGNMENT = 8;

  /** File sizes are multiples of this many bytes. */
  static final int PAGE_SIZE = 4096;

  private FileLayout() {}

  /** The descriptor offset of slot 0 or 1. */
  static int slotOffset(int slot) {
    return slot == 0 ? SLOT_0_OFFSET : SLOT_1_OFFSET;
  }

  /** Packs a committed version and the slot holding it into the current word. */
  static long current(long version, int slot) {
    return (version << 1) | slot;
  }

  /** The version named by a current word. */
  static long currentVersion(long current) {
    return current >>> 1;
  }

  /** The slot named by a current word. */
  static int currentSlot(long current) {
    return (int) (current & 1);
  }

  /** The 8 bytes written last at creation: major in the low half, minor in the high half. */
  static long formatVersionWord(int major, int minor) {
    return (major & 0xFFFF_FFFFL) | ((long) minor << 32);
  }

  static long alignUp(long value, long alignment) {
    return (value + alignment - 1) / alignment * alignment;
  }
}
