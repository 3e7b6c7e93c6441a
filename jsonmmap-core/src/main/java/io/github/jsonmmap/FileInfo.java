package io.github.jsonmmap;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * What the header of a file says, read without taking any lock: for operators ({@code jsonmmap
 * inspect}), health checks and tests. Times are microseconds since the epoch, 0 when unset.
 *
 * @param path the file
 * @param formatMajor format major version
 * @param formatMinor format minor version
 * @param headerLength bytes before the data area
 * @param fileSize the file's size on disk
 * @param capacity bytes in the data area, as recorded by the writer
 * @param generation how many times the file has grown
 * @param currentVersion the committed version readers see
 * @param currentSlot the slot holding it
 * @param name the document name, empty when none
 * @param writerId the instance id of the last writer, null when none
 * @param writerInfo who the last writer was, for humans (process id and host)
 * @param writerSinceMicros when the last writer took the file
 * @param heartbeatMicros the last writer heartbeat
 * @param createdMicros when the file was created
 * @param slots both slot descriptors, each with its state
 * @param maxDocumentSize the longest document the writer may publish, recorded in the header
 *     (format 1.1; 0 when not recorded: readers then apply their own limit)
 * @param writerEpoch the writer epoch (format 1.1): raised by one by each process that takes the
 *     file over as writer; 0 when not recorded
 * @param closedMicros when the last writer closed the file cleanly (format 1.1); 0 while a writer
 *     holds it, after a writer died, or in a 1.0 file (see {@link #closedCleanlyAt()})
 * @param faults what the slots together show to be wrong, each starting with a tag: {@code
 *     diverged:} (both slots hold the current version: two writers published it) or {@code ahead:}
 *     (the other slot holds a version above the current one: two writers, or a writer killed
 *     between writing and committing it); empty when none
 */
public record FileInfo(
    Path path,
    int formatMajor,
    int formatMinor,
    int headerLength,
    long fileSize,
    long capacity,
    long generation,
    long currentVersion,
    int currentSlot,
    String name,
    UUID writerId,
    String writerInfo,
    long writerSinceMicros,
    long heartbeatMicros,
    long createdMicros,
    List<SlotInfo> slots,
    long maxDocumentSize,
    long writerEpoch,
    long closedMicros,
    List<String> faults) {

  public FileInfo {
    slots = List.copyOf(slots);
    faults = List.copyOf(faults);
  }

  /**
   * When the last writer closed the file cleanly, so that no writer holds it now; empty while a
   * writer holds it, after a writer died without closing, and in a file that does not record it
   * (see {@link #recordsCleanClose()}).
   */
  public Optional<Instant> closedCleanlyAt() {
    return closedMicros == 0
        ? Optional.empty()
        : Optional.of(
            Instant.ofEpochSecond(
                Math.floorDiv(closedMicros, 1_000_000L),
                Math.floorMod(closedMicros, 1_000_000L) * 1000L));
  }

  /**
   * Whether the file's format records a clean close (1.1 and later): when false, an empty {@link
   * #closedCleanlyAt()} says nothing (unknown), when true it says the last writer did not close
   * cleanly or still holds the file.
   */
  public boolean recordsCleanClose() {
    return formatMajor > 1 || formatMinor >= 1;
  }

  /**
   * One slot descriptor.
   *
   * @param index 0 or 1
   * @param sequence the seqlock sequence (odd while written)
   * @param version the version it holds
   * @param offset where its document starts
   * @param length its document length
   * @param publishedAtMicros when it was published
   * @param checksum the recorded CRC-32
   * @param state {@code current} (also with an odd sequence: committed but not released, by a
   *     writer between the two steps or that died there, FORMAT.md 5.2; its bytes match), {@code
   *     previous}, {@code empty}, {@code writing} (odd sequence of the other slot, for example a
   *     writer that died mid-publish), {@code uncommitted} (written but never made current: its
   *     writer died between the two steps), or {@code corrupt: <reason>}
   */
  public record SlotInfo(
      int index,
      long sequence,
      long version,
      long offset,
      long length,
      long publishedAtMicros,
      int checksum,
      String state) {

    /** Whether the slot holds a readable committed version. */
    public boolean valid() {
      return state.equals("current") || state.equals("previous");
    }
  }
}
