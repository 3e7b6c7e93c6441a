package io.github.jsonmmap;

import static io.github.jsonmmap.FileLayout.*;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * Bad files and bad input: each is refused with a specific exception that names the file and the
 * problem, nothing unchecked escapes, nothing hangs, and a running reader keeps serving the last
 * good version.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class BadInputTest {

  private static final Duration FAST_POLL = Duration.ofMillis(50);

  @TempDir Path dir;

  private Path file() {
    return dir.resolve("config.json");
  }

  private JsonMmapOptions.Builder options(Role role) {
    return JsonMmapOptions.builder(file()).role(role);
  }

  private JsonMmapFile writer() {
    return JsonMmapFile.open(file(), Role.WRITER);
  }

  private JsonMmapFile reader() {
    return JsonMmapFile.open(file(), Role.READER);
  }

  /** Creates a valid file holding {@code document} as version 2 (version 1 is the empty object). */
  private void createFile(Object document) {
    try (JsonMmapFile writer = writer()) {
      writer.publish(document);
    }
  }

  /**
   * Random bytes from a fixed seed. The first byte is never 0 nor the first byte of the magic, so
   * that however short the garbage is, it cannot be mistaken for a file still being created.
   */
  private static byte[] garbage(int size) {
    byte[] bytes = new byte[size];
    new Random(size).nextBytes(bytes);
    if (size > 0) {
      bytes[0] = (byte) 0xA5;
    }
    return bytes;
  }

  private static String nested(int depth) {
    return "{\"a\":".repeat(depth) + "1" + "}".repeat(depth);
  }

  private static ObjectNode nestedTree(int depth) {
    ObjectNode root = JsonNodeFactory.instance.objectNode();
    ObjectNode node = root;
    for (int i = 1; i < depth; i++) {
      node = node.putObject("a");
    }
    node.put("a", 1);
    return root;
  }

  /**
   * What {@code call} throws, asserted to be a {@code type}: an unchecked exception of any other
   * type (IndexOutOfBounds, BufferUnderflow, NullPointer...) fails the test with its stack trace.
   */
  private static <T extends Throwable> T thrown(Class<T> type, ThrowingCallable call) {
    Throwable thrown = catchThrowable(call);
    assertThat(thrown).as("what was thrown").isInstanceOf(type);
    return type.cast(thrown);
  }

  /** Opens with {@code options}, expecting a {@code type} that names the file. */
  private <T extends JsonMmapException> T openFails(Class<T> type, JsonMmapOptions options) {
    T e = thrown(type, () -> JsonMmapFile.open(options).close());
    assertNamesFile(e);
    return e;
  }

  private <T extends JsonMmapException> T readerFails(Class<T> type) {
    return openFails(type, options(Role.READER).build());
  }

  private void assertNamesFile(JsonMmapException e) {
    assertThat(e.getMessage()).contains("path=" + file());
    assertThat(e.file()).isEqualTo(file());
  }

  // ---------------------------------------------------------------- a reader opening bad files

  @ParameterizedTest(name = "{0} bytes")
  @ValueSource(ints = {1, 7, 15, 100, 383, 384, 4095, 4096, 10_000})
  void readerRefusesRandomGarbageOfAnySizeAsCorrupt(int size) {
    FileSurgery.write(file(), garbage(size));

    CorruptFileException e = readerFails(CorruptFileException.class);

    assertThat(e.reason()).isEqualTo("corrupt");
    assertThat(e.getMessage()).contains("magic");
  }

  @Test
  void readerOfAnEmptyFileSaysItIsNotReadyRatherThanCorrupt() {
    FileSurgery.write(file(), new byte[0]);

    JsonMmapException e = readerFails(JsonMmapException.class);

    assertThat(e).isNotInstanceOf(CorruptFileException.class);
    assertThat(e.reason()).isEqualTo("not-ready");
    assertThat(e.getMessage()).contains("size=0");
  }

  @ParameterizedTest(name = "{0} bytes")
  @ValueSource(ints = {100, 4096, 8192})
  void readerOfAnAllZeroFileSaysItIsNotInitialised(int size) {
    FileSurgery.write(file(), new byte[size]);

    JsonMmapException e = readerFails(JsonMmapException.class);

    assertThat(e).isNotInstanceOf(CorruptFileException.class);
    assertThat(e.reason()).isEqualTo("not-ready");
  }

  @Test
  void readerRefusesAFileTooLargeToMapWithoutMappingIt() throws IOException {
    try (RandomAccessFile raf = new RandomAccessFile(file().toFile(), "rw")) {
      raf.setLength(3L << 30);
    }

    CorruptFileException e = readerFails(CorruptFileException.class);

    assertThat(e.getMessage()).contains("too large").contains("size=" + (3L << 30));
  }

  @Test
  void readerRefusesAValidFileTruncatedInsideTheHeader() {
    createFile(Map.of("k", "v"));
    FileSurgery.truncate(file(), 100);

    CorruptFileException e = readerFails(CorruptFileException.class);

    assertThat(e.getMessage()).contains("size=100");
  }

  @Test
  void readerRefusesAValidFileTruncatedToTheHeaderPage() {
    createFile(Map.of("k", "v"));
    FileSurgery.truncate(file(), HEADER_LENGTH);

    CorruptFileException e = readerFails(CorruptFileException.class);

    assertThat(e.getMessage()).contains("past the end").contains("fileSize=" + HEADER_LENGTH);
  }

  @Test
  void readerRefusesAFileCutInsideTheCurrentDocument() {
    createFile(Map.of("k", "v".repeat(2000)));
    int slot = FileSurgery.currentSlot(file());
    long offset = FileSurgery.slotDataOffset(file(), slot);
    long length = FileSurgery.slotDataLength(file(), slot);
    FileSurgery.truncate(file(), offset + length / 2);

    CorruptFileException e = readerFails(CorruptFileException.class);

    assertThat(e.getMessage())
        .contains("slot points past the end of the file")
        .contains("offset=" + offset)
        .contains("length=" + length)
        .contains("fileSize=" + (offset + length / 2));
  }

  @Test
  void readerRefusesAnotherMajorFormatVersionNamingBothVersions() {
    createFile(Map.of("k", "v"));
    FileSurgery.putInt(file(), FORMAT_VERSION_OFFSET, 2);

    UnsupportedFormatException e = readerFails(UnsupportedFormatException.class);

    assertThat(e.reason()).isEqualTo("format-version");
    assertThat(e.getMessage())
        .contains("unsupported format version")
        .contains("fileVersion=2.1")
        .contains("supportedVersion=1.1");
  }

  @Test
  void readerAcceptsAHigherMinorFormatVersion() {
    createFile(Map.of("k", "v"));
    FileSurgery.putInt(file(), FORMAT_VERSION_OFFSET + 4, 7);

    try (JsonMmapFile reader = reader()) {
      assertThat(reader.snapshot().version()).isEqualTo(2);
      assertThat(reader.snapshot().get("k")).isEqualTo("v");
    }
  }

  @ParameterizedTest(name = "headerLength={0}")
  @ValueSource(ints = {7, 0, -8, MIN_HEADER_LENGTH - 8, HEADER_LENGTH + 4, 1 << 30})
  void readerRefusesAHeaderLengthOutOfRange(int headerLength) {
    createFile(Map.of("k", "v"));
    FileSurgery.putInt(file(), HEADER_LENGTH_OFFSET, headerLength);

    CorruptFileException e = readerFails(CorruptFileException.class);

    assertThat(e.getMessage())
        .contains("header length out of range")
        .contains("headerLength=" + headerLength);
  }

  @ParameterizedTest(name = "offset={0}")
  @ValueSource(longs = {0, 100, HEADER_LENGTH - 8, -1, Long.MIN_VALUE})
  void readerRefusesASlotWhoseOffsetLiesInsideTheHeader(long offset) {
    createFile(Map.of("k", "v"));
    int slot = FileSurgery.currentSlot(file());
    FileSurgery.putLong(file(), FileSurgery.slotField(slot, SLOT_DATA_OFFSET), offset);

    CorruptFileException e = readerFails(CorruptFileException.class);

    assertThat(e.getMessage()).contains("slot out of range").contains("offset=" + offset);
  }

  @ParameterizedTest(name = "offset={0}")
  @ValueSource(longs = {1L << 20, 1L << 40, Long.MAX_VALUE})
  void readerRefusesASlotWhoseOffsetLiesPastTheEnd(long offset) {
    createFile(Map.of("k", "v"));
    int slot = FileSurgery.currentSlot(file());
    FileSurgery.putLong(file(), FileSurgery.slotField(slot, SLOT_DATA_OFFSET), offset);

    CorruptFileException e = readerFails(CorruptFileException.class);

    assertThat(e.getMessage()).contains("offset=" + offset);
  }

  @ParameterizedTest(name = "length={0}")
  @ValueSource(longs = {-1, Long.MIN_VALUE, Long.MAX_VALUE, 1L << 40, Integer.MAX_VALUE, 1 << 20})
  void readerRefusesASlotWithANegativeOrHugeLength(long length) {
    createFile(Map.of("k", "v"));
    int slot = FileSurgery.currentSlot(file());
    FileSurgery.putLong(file(), FileSurgery.slotField(slot, SLOT_DATA_LENGTH_OFFSET), length);

    CorruptFileException e = readerFails(CorruptFileException.class);

    assertThat(e.getMessage()).contains("length=" + length);
  }

  @Test
  void readerRefusesACurrentWordPointingAtAnEmptySlot() {
    try (JsonMmapFile writer = writer()) {
      assertThat(writer.snapshot().version()).isEqualTo(1);
    }
    assertThat(FileSurgery.currentSlot(file())).isZero();
    FileSurgery.putLong(file(), CURRENT_OFFSET, FileLayout.current(5, 1));

    CorruptFileException e = readerFails(CorruptFileException.class);

    assertThat(e.getMessage()).contains("current names an empty slot").contains("currentVersion=5");
  }

  @Test
  void readerRefusesACurrentWordNamingVersionZeroInAnEmptySlot() {
    try (JsonMmapFile writer = writer()) {
      assertThat(writer.snapshot().version()).isEqualTo(1);
    }
    FileSurgery.putLong(file(), CURRENT_OFFSET, FileLayout.current(0, 1));

    CorruptFileException e = readerFails(CorruptFileException.class);

    assertThat(e.getMessage()).contains("current names version 0");
  }

  @Test
  void readerRefusesAFileWithNoCommittedVersion() {
    createFile(Map.of("k", "v"));
    FileSurgery.putLong(file(), CURRENT_OFFSET, 0);

    CorruptFileException e = readerFails(CorruptFileException.class);

    assertThat(e.getMessage()).contains("no version committed");
  }

  @Test
  void readerTakesACurrentSlotLeftOddByAWriterThatDiedBetweenCommitAndRelease() {
    createFile(Map.of("k", "v"));
    int slot = FileSurgery.currentSlot(file());
    long sequenceOffset = FileSurgery.slotField(slot, SLOT_SEQUENCE_OFFSET);
    // A writer commits, then releases the slot (FORMAT.md 5.2): killed in between, it leaves the
    // committed slot odd. Its bytes are whole, so readers must not be locked out until the next
    // writer repairs it.
    FileSurgery.putLong(file(), sequenceOffset, FileSurgery.readLong(file(), sequenceOffset) + 1);

    try (JsonMmapFile reader =
        JsonMmapFile.open(options(Role.READER).readTimeout(Duration.ofMillis(200)).build())) {
      assertThat(reader.snapshot().get("k")).isEqualTo("v");
      assertThat(reader.lastError()).isEmpty();
    }
  }

  @Test
  void aCurrentSlotLeftOddWithDamagedBytesIsAChecksumErrorNotADocument() {
    createFile(Map.of("k", "v"));
    int slot = FileSurgery.currentSlot(file());
    long sequenceOffset = FileSurgery.slotField(slot, SLOT_SEQUENCE_OFFSET);
    FileSurgery.putLong(file(), sequenceOffset, FileSurgery.readLong(file(), sequenceOffset) + 1);
    FileSurgery.flipByte(file(), FileSurgery.slotDataOffset(file(), slot));

    JsonMmapException e =
        openFails(
            JsonMmapException.class,
            options(Role.READER).readTimeout(Duration.ofMillis(200)).build());

    assertThat(e).isInstanceOf(ChecksumMismatchException.class);
  }

  @Test
  void readerRefusesAFlippedPayloadByteAsAChecksumMismatch() {
    createFile(Map.of("key", "value"));
    int slot = FileSurgery.currentSlot(file());
    FileSurgery.flipByte(file(), FileSurgery.slotDataOffset(file(), slot) + 3);

    ChecksumMismatchException e = readerFails(ChecksumMismatchException.class);

    assertThat(e.reason()).isEqualTo("checksum");
    assertThat(e.getMessage())
        .contains("checksum mismatch")
        .contains("slot=" + slot)
        .contains("version=2");
  }

  static Stream<Arguments> malformedDocuments() {
    return Stream.of(
        Arguments.of("not json at all"),
        Arguments.of("{\"a\":1"),
        Arguments.of("{\"a\":1} {\"b\":2}"),
        Arguments.of("{\"a\":1,\"a\":2}"),
        Arguments.of("{'a':1}"),
        Arguments.of("\u0000\u0000\u0000\u0000"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("malformedDocuments")
  void readerRefusesANonJsonPayloadWithACorrectChecksum(String document) {
    createFile(Map.of("k", "v"));
    byte[] bytes = document.getBytes(UTF_8);
    FileSurgery.replaceCurrentDocument(file(), bytes, FileSurgery.crc32(bytes));

    InvalidDocumentException e = readerFails(InvalidDocumentException.class);

    assertThat(e.reason()).isEqualTo("invalid-document");
    assertThat(e.getMessage()).contains("not valid JSON").contains("size=" + bytes.length);
  }

  @Test
  void readerRefusesInvalidUtf8WithACorrectChecksum() {
    createFile(Map.of("k", "v"));
    byte[] bytes = {'{', '"', 'k', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'};
    FileSurgery.replaceCurrentDocument(file(), bytes, FileSurgery.crc32(bytes));

    InvalidDocumentException e = readerFails(InvalidDocumentException.class);

    assertThat(e.getMessage()).contains("not valid JSON");
  }

  static Stream<Arguments> nonObjectRoots() {
    return Stream.of(
        Arguments.of("[1,2]", "array"),
        Arguments.of("\"text\"", "string"),
        Arguments.of("42", "number"),
        Arguments.of("true", "boolean"),
        Arguments.of("null", "null"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("nonObjectRoots")
  void readerRefusesAJsonPayloadWhoseRootIsNotAnObject(String document, String kind) {
    createFile(Map.of("k", "v"));
    byte[] bytes = document.getBytes(UTF_8);
    FileSurgery.replaceCurrentDocument(file(), bytes, FileSurgery.crc32(bytes));

    InvalidDocumentException e = readerFails(InvalidDocumentException.class);

    assertThat(e.getMessage()).contains("root must be a JSON object").contains("root=" + kind);
  }

  @Test
  void readerRefusesAnEmptyPayloadWithACorrectChecksum() {
    createFile(Map.of("k", "v"));
    FileSurgery.replaceCurrentDocument(file(), new byte[0], FileSurgery.crc32(new byte[0]));

    InvalidDocumentException e = readerFails(InvalidDocumentException.class);

    assertThat(e.getMessage()).contains("root must be a JSON object").contains("root=nothing");
  }

  @Test
  void readerRefusesJsonNestedDeeperThanTheDefaultLimit() {
    createFile(Map.of("k", "v"));
    byte[] bytes = nested(600).getBytes(UTF_8);
    FileSurgery.commitNextVersion(file(), bytes, FileSurgery.crc32(bytes));

    InvalidDocumentException e = readerFails(InvalidDocumentException.class);

    assertThat(e.getMessage()).contains("nesting depth").contains("500");
  }

  @Test
  void readerRefusesJsonNestedDeeperThanItsConfiguredLimit() {
    createFile(Map.of("k", "v"));
    byte[] bytes = nested(20).getBytes(UTF_8);
    FileSurgery.commitNextVersion(file(), bytes, FileSurgery.crc32(bytes));

    InvalidDocumentException e =
        openFails(InvalidDocumentException.class, options(Role.READER).maxNestingDepth(10).build());

    assertThat(e.getMessage()).contains("nesting depth");
    try (JsonMmapFile deeper =
        JsonMmapFile.open(options(Role.READER).maxNestingDepth(50).build())) {
      assertThat(deeper.snapshot().version()).isEqualTo(3);
    }
  }

  // ---------------------------------------------------------------- a writer refusing bad input

  @Test
  void writerRefusesToPublishJsonNestedDeeperThanItsConfiguredLimit() {
    try (JsonMmapFile writer =
        JsonMmapFile.open(options(Role.WRITER).maxNestingDepth(10).build())) {
      writer.publish(nestedTree(5));

      InvalidDocumentException e =
          thrown(InvalidDocumentException.class, () -> writer.publish(nestedTree(20)));

      assertNamesFile(e);
      assertThat(e.getMessage()).contains("nesting depth");
      assertThat(writer.snapshot().version()).isEqualTo(2);
      assertThat(FileSurgery.currentVersion(file())).isEqualTo(2);
    }
  }

  @Test
  void writerRefusesToPublishJsonNestedDeeperThanTheDefaultLimit() {
    try (JsonMmapFile writer = writer()) {
      InvalidDocumentException e =
          thrown(InvalidDocumentException.class, () -> writer.publish(nestedTree(600)));

      assertNamesFile(e);
      assertThat(e.getMessage()).contains("nesting depth");
      assertThat(FileSurgery.currentVersion(file())).isEqualTo(1);
    }
  }

  @Test
  void documentOverTheSizeLimitIsRefusedAndTheFileStaysUnchanged() {
    JsonMmapOptions small =
        options(Role.WRITER)
            .maxSize(JsonMmapOptions.MIN_MAX_SIZE)
            .initialCapacity(PAGE_SIZE)
            .build();
    try (JsonMmapFile writer = JsonMmapFile.open(small);
        JsonMmapFile reader = reader()) {
      writer.publish(Map.of("v", "small"));
      assertThat(reader.refresh().version()).isEqualTo(2);
      long current = FileSurgery.current(file());
      byte[] dataBefore = dataArea();
      String big = "x".repeat((int) small.maxDocumentSize());

      List<DocumentTooLargeException> refused = new ArrayList<>();
      refused.add(thrown(DocumentTooLargeException.class, () -> writer.publish(Map.of("v", big))));
      refused.add(thrown(DocumentTooLargeException.class, () -> writer.set("v", big)));
      // As JSON text: a byte over the longest document, and longer than the parser reads (maxSize,
      // refused before it is copied), as bytes, as a String, and as a String of fewer characters
      // than that but more bytes (é is two).
      for (long over : new long[] {1, small.maxSize()}) {
        String text = "{\"v\":\"" + "x".repeat((int) (small.maxDocumentSize() + over - 8)) + "\"}";
        String wide = "{\"v\":\"" + "é".repeat((int) (small.maxSize() / 2 + over)) + "\"}";
        for (Object given : new Object[] {text, text.getBytes(StandardCharsets.UTF_8), wide}) {
          refused.add(thrown(DocumentTooLargeException.class, () -> writer.publish(given)));
        }
      }

      for (DocumentTooLargeException tooLarge : refused) {
        assertNamesFile(tooLarge);
        assertThat(tooLarge.reason()).isEqualTo("too-large");
        assertThat(tooLarge.getMessage())
            .contains("document too large")
            .contains("size=")
            .contains("limit=");
      }
      assertThat(writer.snapshot().version()).isEqualTo(2);
      assertThat(FileSurgery.current(file())).isEqualTo(current);
      assertThat(dataArea()).isEqualTo(dataBefore);
      Snapshot seen = reader.refresh();
      assertThat(seen.version()).isEqualTo(2);
      assertThat(seen.get("v")).isEqualTo("small");
      assertThat(reader.lastError()).isEmpty();
    }
  }

  private byte[] dataArea() {
    byte[] all = FileSurgery.bytes(file());
    return Arrays.copyOfRange(all, HEADER_LENGTH, all.length);
  }

  @ParameterizedTest(name = "{0} bytes")
  @ValueSource(ints = {100, 383, 4096, 10_000})
  void writerRefusesAGarbageFileAndLeavesItsBytesUnchanged(int size) {
    byte[] before = garbage(size);
    FileSurgery.write(file(), before);

    CorruptFileException e = openFails(CorruptFileException.class, options(Role.WRITER).build());

    assertThat(e.getMessage()).contains("refuses to overwrite");
    assertThat(FileSurgery.bytes(file())).isEqualTo(before);
    // The lock was released: a second try gets the same answer, not "locked".
    openFails(CorruptFileException.class, options(Role.WRITER).build());
    assertThat(FileSurgery.bytes(file())).isEqualTo(before);
  }

  @Test
  void writerRefusesANewerMajorFormatAsUnsupportedAndLeavesItsBytesUnchanged() {
    createFile(Map.of("k", "v"));
    FileSurgery.putInt(file(), FORMAT_VERSION_OFFSET, 2);
    byte[] before = FileSurgery.bytes(file());

    UnsupportedFormatException e =
        openFails(UnsupportedFormatException.class, options(Role.WRITER).build());

    assertThat(e.getMessage()).contains("fileVersion=2.1").contains("supportedVersion=1.1");
    assertThat(FileSurgery.bytes(file())).isEqualTo(before);
  }

  @Test
  void writerInitialisesAFileWhoseCreationNeverFinished() {
    createFile(Map.of("k", "v"));
    FileSurgery.putLong(file(), FORMAT_VERSION_OFFSET, 0);
    assertThat(readerFails(JsonMmapException.class).reason()).isEqualTo("not-ready");

    try (JsonMmapFile writer = writer();
        JsonMmapFile reader = reader()) {
      assertThat(writer.snapshot().version()).isEqualTo(1);
      assertThat(writer.snapshot().json()).isEqualTo("{}");
      assertThat(FileSurgery.readInt(file(), FORMAT_VERSION_OFFSET)).isEqualTo(MAJOR_VERSION);
      assertThat(reader.snapshot().version()).isEqualTo(1);
      writer.publish(Map.of("k", "again"));
      assertThat(reader.refresh().get("k")).isEqualTo("again");
    }
  }

  @ParameterizedTest(name = "{0} bytes")
  @ValueSource(ints = {16, 384, 4096})
  void writerInitialisesAFileHoldingOnlyTheMagic(int size) {
    byte[] bytes = new byte[size];
    System.arraycopy(MAGIC, 0, bytes, MAGIC_OFFSET, MAGIC.length);
    FileSurgery.write(file(), bytes);

    try (JsonMmapFile writer = writer()) {
      assertThat(writer.snapshot().version()).isEqualTo(1);
    }
    try (JsonMmapFile reader = reader()) {
      assertThat(reader.snapshot().version()).isEqualTo(1);
      assertThat(reader.snapshot().json()).isEqualTo("{}");
    }
  }

  // ---------------------------------------------------------------- a running reader

  @Test
  void runningReaderKeepsItsLastGoodSnapshotWhenTheNextVersionFailsItsChecksum() {
    try (JsonMmapFile writer = writer();
        JsonMmapFile reader = reader()) {
      writer.publish(Map.of("v", "good"));
      assertThat(reader.refresh().version()).isEqualTo(2);

      byte[] bad = "{\"v\":\"bad\"}".getBytes(UTF_8);
      long crafted = FileSurgery.commitNextVersion(file(), bad, ~FileSurgery.crc32(bad));
      assertThat(crafted).isEqualTo(3);

      Snapshot seen = reader.refresh();
      assertThat(seen.version()).isEqualTo(2);
      assertThat(seen.get("v")).isEqualTo("good");
      assertThat(reader.snapshot().version()).isEqualTo(2);
      assertThat(reader.lastError()).get().isInstanceOf(ChecksumMismatchException.class);
      assertNamesFile(reader.lastError().orElseThrow());
      assertThat(reader.lastError().orElseThrow().getMessage())
          .contains("checksum mismatch")
          .contains("version=3");
      assertThat(reader.readFailures()).containsEntry("checksum", 1L);
      // The same failure seen again is not counted again.
      assertThat(reader.refresh().version()).isEqualTo(2);
      assertThat(reader.readFailures()).containsEntry("checksum", 1L);

      // The writer does not know of the surgery: its next publish goes into the other slot, the
      // one that held version 2, and becomes current; readers move on to it.
      Snapshot fixed = writer.publish(Map.of("v", "fixed"));
      Snapshot after = reader.refresh();
      assertThat(after.version()).isEqualTo(fixed.version()).isGreaterThan(2);
      assertThat(after.get("v")).isEqualTo("fixed");
      assertThat(reader.lastError()).isEmpty();
      assertThat(reader.readFailures()).containsEntry("checksum", 1L);
    }
  }

  @Test
  void runningReaderRefusesPlantedVersionsThatDifferFromItsOwnOnlyByAFewBytes() {
    // A reader checks a version where it differs from the one it holds: each of these, one or two
    // bytes away from it and with a correct checksum, must still be refused, naming the file.
    String held = "{\"a\":1,\"b\":\"xy\",\"c\":[1,2],\"d\":{\"e\":true}}";
    createFile(Map.of("k", "v"));
    byte[] base = held.getBytes(UTF_8);
    FileSurgery.commitNextVersion(file(), base, FileSurgery.crc32(base));
    try (JsonMmapFile reader = reader()) {
      long version = reader.refresh().version();
      assertThat(reader.snapshot().get("b")).isEqualTo("xy");
      List<byte[]> planted = new ArrayList<>();
      for (String bad :
          List.of(
              held.replace("\"b\"", "\"a\""),
              held.replace("\"xy\"", "\"x\u0001\""),
              held.replace("\"xy\"", "\"\\x\""),
              held.replace("true", "tru "),
              held.replace(":1,", ":01,"),
              held.replace(":1,", ":-,"),
              held.replace("[1,2]", "[1 2]"),
              held.replace("[1,2]", "[1,{]"),
              held + "}",
              held.replace("}}", "},\"d\":1}"))) {
        planted.add(bad.getBytes(UTF_8));
      }
      byte[] overlong = base.clone();
      overlong[held.indexOf("xy")] = (byte) 0xC0;
      overlong[held.indexOf("xy") + 1] = (byte) 0x80;
      planted.add(overlong);
      for (byte[] bad : planted) {
        FileSurgery.commitNextVersion(file(), bad, FileSurgery.crc32(bad));
        Snapshot seen = reader.refresh();
        String shown = new String(bad, UTF_8);
        assertThat(seen.version()).as(shown).isEqualTo(version);
        assertThat(seen.get("b")).as(shown).isEqualTo("xy");
        assertThat(reader.lastError()).as(shown).get().isInstanceOf(InvalidDocumentException.class);
        assertNamesFile(reader.lastError().orElseThrow());
      }
      // A version with only values changed is taken, as is one of another shape after it.
      for (String good :
          List.of(
              "{\"a\":2,\"b\":\"zé\",\"c\":[1,-3.5],\"d\":{\"e\":null}}",
              "{\"a\":2,\"b\":\"zé\",\"c\":[1,-3.5],\"d\":{\"e\":null,\"f\":[]}}")) {
        byte[] bytes = good.getBytes(UTF_8);
        long committed = FileSurgery.commitNextVersion(file(), bytes, FileSurgery.crc32(bytes));
        Snapshot seen = reader.refresh();
        assertThat(seen.version()).isEqualTo(committed);
        assertThat(seen.json()).isEqualTo(good);
        assertThat(seen.get("b")).isEqualTo("zé");
        assertThat(reader.lastError()).isEmpty();
      }
    }
  }

  @Test
  void reopenedWriterRefusesACurrentVersionThatFailsItsChecksumAndNothingCommittedIsLost() {
    createFile(Map.of("v", "good"));
    int goodSlot = FileSurgery.currentSlot(file());
    try (JsonMmapFile reader = reader(FAST_POLL)) {
      assertThat(reader.snapshot().version()).isEqualTo(2);
      byte[] bad = "{\"v\":\"bad\"}".getBytes(UTF_8);
      FileSurgery.commitNextVersion(file(), bad, ~FileSurgery.crc32(bad));
      assertThat(reader.refresh().version()).isEqualTo(2);
      assertThat(reader.lastError()).get().isInstanceOf(ChecksumMismatchException.class);
      byte[] before = FileSurgery.bytes(file());

      CorruptFileException refused =
          openFails(CorruptFileException.class, options(Role.WRITER).build());

      assertThat(refused.getMessage()).contains("checksum mismatch").contains("refuses");
      assertThat(refused).hasCauseInstanceOf(ChecksumMismatchException.class);
      assertThat(FileSurgery.bytes(file())).isEqualTo(before);
      assertThat(reader.refresh().get("v")).isEqualTo("good");

      // An operator points the current word back at the last good version: the writer adopts it
      // and carries on from there.
      FileSurgery.putLong(file(), CURRENT_OFFSET, FileLayout.current(2, goodSlot));
      try (JsonMmapFile writer = writer()) {
        assertThat(writer.snapshot().version()).isEqualTo(2);
        assertThat(writer.snapshot().get("v")).isEqualTo("good");
        Snapshot next = writer.publish(Map.of("v", "next"));
        assertThat(next.version()).isGreaterThan(2);
        await()
            .atMost(Duration.ofSeconds(30))
            .pollInterval(FAST_POLL)
            .until(() -> reader.refresh().version() == next.version());
        assertThat(reader.snapshot().get("v")).isEqualTo("next");
        assertThat(reader.lastError()).isEmpty();
      }
    }
  }

  @Test
  void runningReaderKeepsServingWhileTheHeaderIsGarbageAndRecoversWhenItIsRestored() {
    createFile(Map.of("v", "good"));
    try (JsonMmapFile reader = reader(FAST_POLL)) {
      assertThat(reader.snapshot().version()).isEqualTo(2);
      long magic = FileSurgery.readLong(file(), MAGIC_OFFSET);
      FileSurgery.putLong(file(), MAGIC_OFFSET, 0x0123_4567_89AB_CDEFL);

      await()
          .atMost(Duration.ofSeconds(30))
          .pollInterval(FAST_POLL)
          .until(() -> reader.lastError().orElse(null) instanceof CorruptFileException);
      assertNamesFile(reader.lastError().orElseThrow());
      assertThat(reader.lastError().orElseThrow().getMessage()).contains("bad magic");
      assertThat(reader.snapshot().version()).isEqualTo(2);
      assertThat(reader.refresh().get("v")).isEqualTo("good");
      assertThat(reader.readFailures()).containsEntry("corrupt", 1L);

      FileSurgery.putLong(file(), MAGIC_OFFSET, magic);
      await()
          .atMost(Duration.ofSeconds(30))
          .pollInterval(FAST_POLL)
          .until(() -> reader.lastError().isEmpty());
      assertThat(reader.snapshot().version()).isEqualTo(2);
    }
  }

  private JsonMmapFile reader(Duration pollInterval) {
    return JsonMmapFile.open(options(Role.READER).pollInterval(pollInterval).build());
  }

  @Test
  void readerThatDoesNotRequireTheFileWaitsForItAndAttachesOnceCreated() {
    try (JsonMmapFile reader =
        JsonMmapFile.open(
            options(Role.READER).requireFile(false).pollInterval(FAST_POLL).build())) {
      assertThat(reader.snapshot().version()).isZero();
      assertThat(reader.snapshot().json()).isEqualTo("{}");
      assertThat(reader.lastError()).get().isInstanceOf(FileMissingException.class);
      assertNamesFile(reader.lastError().orElseThrow());
      assertThat(reader.lastError().orElseThrow().getMessage()).contains("does not exist");

      try (JsonMmapFile writer = writer()) {
        await()
            .atMost(Duration.ofSeconds(30))
            .pollInterval(FAST_POLL)
            .until(() -> reader.snapshot().version() == 1);
        assertThat(reader.lastError()).isEmpty();
        writer.set("k", "v");
        await()
            .atMost(Duration.ofSeconds(30))
            .pollInterval(FAST_POLL)
            .until(() -> "v".equals(reader.snapshot().get("k")));
      }
    }
  }

  @Test
  void readerRequiringTheFileFailsFastWhenItIsMissing() {
    FileMissingException e = readerFails(FileMissingException.class);

    assertThat(e.reason()).isEqualTo("missing");
    assertThat(e.getMessage()).contains("does not exist");
  }

  // ---------------------------------------------------------------- names and permissions

  @Test
  void readerExpectingAnotherDocumentNameIsRefusedNamingBoth() {
    try (JsonMmapFile writer = JsonMmapFile.open(options(Role.WRITER).name("orders").build())) {
      writer.set("k", "v");

      NameMismatchException e =
          openFails(NameMismatchException.class, options(Role.READER).name("billing").build());

      assertThat(e.reason()).isEqualTo("name-mismatch");
      assertThat(e.getMessage())
          .contains("fileName=\"orders\"")
          .contains("expectedName=\"billing\"");
      try (JsonMmapFile same = JsonMmapFile.open(options(Role.READER).name("orders").build());
          JsonMmapFile unnamed = reader()) {
        assertThat(same.snapshot().get("k")).isEqualTo("v");
        assertThat(unnamed.snapshot().get("k")).isEqualTo("v");
      }
    }
  }

  @Test
  void readerNeedsNoWritePermissionAndCannotWrite() throws IOException {
    createFile(Map.of("k", "v"));
    Files.setPosixFilePermissions(file(), PosixFilePermissions.fromString("r--r--r--"));
    FileTime modified = Files.getLastModifiedTime(file());
    byte[] before = FileSurgery.bytes(file());

    try (JsonMmapFile reader = reader()) {
      assertThat(reader.snapshot().version()).isEqualTo(2);
      assertThat(reader.snapshot().get("k")).isEqualTo("v");
      assertThat(reader.isWriter()).isFalse();

      NotWriterException e =
          thrown(NotWriterException.class, () -> reader.publish(Map.of("k", "w")));
      assertNamesFile(e);
      assertThat(e.reason()).isEqualTo("not-writer");
      assertThat(e.getMessage()).contains("not the writer").contains("role=READER");
      thrown(NotWriterException.class, () -> reader.set("k", "w"));
      thrown(NotWriterException.class, () -> reader.remove("k"));
      thrown(NotWriterException.class, () -> reader.merge(Map.of("k", "w")));
      thrown(NotWriterException.class, reader::rollback);
      assertThat(reader.refresh().version()).isEqualTo(2);
    }
    assertThat(FileSurgery.bytes(file())).isEqualTo(before);
    assertThat(Files.getLastModifiedTime(file())).isEqualTo(modified);
  }

  // ---------------------------------------------------------------- key paths

  @Test
  void settingAKeyBelowAStringNamesTheKeyAndPublishesNothing() {
    try (JsonMmapFile writer = writer()) {
      writer.set("a", "text");
      long version = writer.snapshot().version();

      InvalidDocumentException e =
          thrown(InvalidDocumentException.class, () -> writer.set("a.b", 1));

      assertNamesFile(e);
      assertThat(e.getMessage())
          .contains("cannot set key")
          .contains("key=a.b")
          .contains("holds string");
      assertThat(writer.snapshot().version()).isEqualTo(version);
      assertThat(FileSurgery.currentVersion(file())).isEqualTo(version);
    }
  }

  @Test
  void settingAnIndexPastTheEndOfAnArrayNamesTheKeyAndPublishesNothing() {
    try (JsonMmapFile writer = writer()) {
      writer.set("list", List.of(1, 2));
      long version = writer.snapshot().version();

      InvalidDocumentException e =
          thrown(InvalidDocumentException.class, () -> writer.set("list[5]", 1));

      assertNamesFile(e);
      assertThat(e.getMessage())
          .contains("array index past the end")
          .contains("key=list[5]")
          .contains("index=5")
          .contains("size=2");
      InvalidDocumentException notAnArray =
          thrown(InvalidDocumentException.class, () -> writer.set("list.x", 1));
      assertThat(notAnArray.getMessage()).contains("key=list.x").contains("holds array");
      assertThat(writer.snapshot().version()).isEqualTo(version);
      assertThat(writer.set("list[2]", 3).get("list[2]")).isEqualTo(3);
    }
  }

  @ParameterizedTest(name = "\"{0}\"")
  @ValueSource(strings = {"", "a..b", "a[", "a.", ".a", "a[]", "a[99999999999]"})
  void badKeySyntaxIsAnIllegalArgumentForSetAndRemove(String key) {
    try (JsonMmapFile writer = writer()) {
      long version = writer.snapshot().version();

      IllegalArgumentException onSet =
          thrown(IllegalArgumentException.class, () -> writer.set(key, 1));
      IllegalArgumentException onRemove =
          thrown(IllegalArgumentException.class, () -> writer.remove(key));

      assertThat(onSet.getMessage()).contains("key");
      assertThat(onRemove.getMessage()).contains("key");
      if (!key.isEmpty()) {
        assertThat(onSet.getMessage()).contains("key=" + key);
      }
      assertThat(writer.snapshot().version()).isEqualTo(version);
    }
  }

  @Test
  void keyStartingWithAnIndexIsAnIllegalArgumentForSet() {
    try (JsonMmapFile writer = writer()) {
      IllegalArgumentException e =
          thrown(IllegalArgumentException.class, () -> writer.set("[0]", 1));

      assertThat(e.getMessage()).contains("key=[0]");
      assertThat(writer.snapshot().version()).isEqualTo(1);
    }
  }

  // ---------------------------------------------------------------- inspect

  @Test
  void inspectReportsACorruptSlotInItsStateInsteadOfThrowing() {
    createFile(Map.of("key", "value"));
    int slot = FileSurgery.currentSlot(file());
    FileSurgery.flipByte(file(), FileSurgery.slotDataOffset(file(), slot));

    FileInfo info = JsonMmapFile.inspect(file());

    assertThat(info.currentVersion()).isEqualTo(2);
    assertThat(info.slots().get(slot).state()).startsWith("corrupt: checksum mismatch");
    assertThat(info.slots().get(slot).valid()).isFalse();
    assertThat(info.slots().get(1 - slot).state()).isEqualTo("previous");
  }

  @Test
  void inspectRefusesGarbageAndAMissingFile() {
    FileMissingException missing =
        thrown(FileMissingException.class, () -> JsonMmapFile.inspect(file()));
    assertNamesFile(missing);

    FileSurgery.write(file(), garbage(5000));
    CorruptFileException corrupt =
        thrown(CorruptFileException.class, () -> JsonMmapFile.inspect(file()));
    assertNamesFile(corrupt);
    assertThat(corrupt.getMessage()).contains("bad magic");
  }
}
