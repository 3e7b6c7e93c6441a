package io.github.jsonmmap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Runs the Python reference reader ({@code clients/python/jsonmmap_reader.py}) as a separate
 * process on files written by the Java writer: the format as FORMAT.md describes it is enough to
 * read what Java writes, while it writes, and to refuse what it must refuse.
 */
class PythonReaderTest {

  private static final JsonMapper JSON = JsonMapper.builder().build();

  private static final Duration PROCESS_DEADLINE = Duration.ofSeconds(120);

  private static final int LOOP_READS = 20_000;

  private static Path repoRoot;
  private static Path script;

  @TempDir Path dir;

  @BeforeAll
  static void findReaderAndPython() {
    repoRoot = findRepoRoot();
    script = repoRoot.resolve("clients/python/jsonmmap_reader.py");
    assertThat(script).isRegularFile();
    assumeTrue(pythonAvailable(), "python3 is not on the PATH");
  }

  @Test
  void pythonReaderReadsWhatTheJavaWriterPublished() {
    Path file = dir.resolve("config.json");
    Snapshot published;
    try (JsonMmapFile writer = openWriter(file, 256 * 1024)) {
      writer.publish(document("greeting", "hello"));
      writer.set("server.port", 8080);
      published =
          writer.set("names", List.of("ünïcödé ✓", "tab\tquote\"", "emoji \uD83D\uDE80", ""));
    }

    Result result = runPython(file.toString());

    assertThat(result.exit()).as(result.describe()).isZero();
    assertMatches(JSON.readTree(result.stdout()), published);
    assertThat(published.version()).isEqualTo(4);
  }

  @Test
  void pythonReaderKeepsNumbersExactlyAsTheJavaWriterDoes() {
    Path file = dir.resolve("config.json");
    try (JsonMmapFile writer = openWriter(file, 256 * 1024)) {
      writer.publish(
          Documents.defaultMapper()
              .readTree(
                  "{\"big\":1e400,\"tiny\":1e-400,\"third\":0.30000000000000000001,"
                      + "\"scale\":1.10,\"long\":123456789012345678901234567890}"));
    }

    Result result = runPython(file.toString());

    assertThat(result.exit()).as(result.describe()).isZero();
    assertThat(result.stdout())
        .contains("\"big\":1E+400")
        .contains("\"tiny\":1E-400")
        .contains("\"third\":0.30000000000000000001")
        .contains("\"scale\":1.10")
        .contains("\"long\":123456789012345678901234567890");
  }

  @Test
  void pythonReaderRefusesADocumentBeyondTheFlattenedSizeBound() throws IOException {
    Path file = dir.resolve("config.json");
    try (JsonMmapFile writer = openWriter(file, 1024 * 1024)) {
      writer.publish(document("a", 1));
    }
    // One 10,000-character key prefix over 20,000 leaves: small bytes, huge flattened keys. The
    // Java writer refuses it, so plant it raw, as another writer could.
    StringBuilder json = new StringBuilder("{\"").append("k".repeat(10_000)).append("\":[");
    for (int i = 0; i < 20_000; i++) {
      json.append(i == 0 ? "0" : ",0");
    }
    json.append("]}");
    byte[] bytes = json.toString().getBytes(StandardCharsets.UTF_8);
    FileSurgery.commitNextVersion(file, bytes, FileSurgery.crc32(bytes));

    Result result = runPython(file.toString());

    assertThat(result.exit()).as(result.describe()).isEqualTo(1);
    assertThat(result.stderr()).contains("too costly to flatten").doesNotContain("kkkk");
  }

  @Test
  void pythonReaderReadsADocumentWrittenAfterTheFileGrew() {
    Path file = dir.resolve("grown.json");
    Snapshot published;
    long initialSize;
    try (JsonMmapFile writer = openWriter(file, 4096)) {
      initialSize = size(file);
      published = writer.publish(document("pad", "x".repeat(10_000), "after", "growth"));
    }
    assertThat(size(file)).isGreaterThan(initialSize);

    Result result = runPython(file.toString());

    assertThat(result.exit()).as(result.describe()).isZero();
    assertMatches(JSON.readTree(result.stdout()), published);
  }

  @Test
  void pythonReaderRemapsWhenTheFileGrowsUnderIt() throws IOException {
    Path file = dir.resolve("growing.json");
    Path out = dir.resolve("growing.out");
    Path err = dir.resolve("growing.err");
    try (JsonMmapFile writer = openWriter(file, 4096)) {
      Snapshot small = writer.publish(document("size", "small"));
      long initialSize = size(file);
      // One Reader, two reads: the second must find the grown document past its first mapping.
      String program =
          "import sys, json, jsonmmap_reader\n"
              + "r = jsonmmap_reader.Reader(sys.argv[1])\n"
              + "for _ in range(2):\n"
              + "    v, p, d = r.read()\n"
              + "    print(json.dumps({'version': v, 'publishedAtMicros': p, 'document': d}))\n"
              + "    sys.stdout.flush()\n"
              + "    sys.stdin.readline()\n";
      ProcessBuilder builder =
          python(List.of("-c", program, file.toString()))
              .directory(script.getParent().toFile())
              .redirectOutput(out.toFile())
              .redirectError(err.toFile());
      Process process = builder.start();
      try (OutputStream stdin = process.getOutputStream()) {
        await().atMost(PROCESS_DEADLINE).until(() -> lines(out).size() == 1 || !process.isAlive());
        assertThat(lines(out)).as(Files.readString(err)).hasSize(1);

        Snapshot large = writer.publish(document("size", "large", "pad", "y".repeat(20_000)));
        assertThat(size(file)).isGreaterThan(initialSize);
        stdin.write('\n');
        stdin.flush();
        stdin.write('\n');
        stdin.flush();
        Result result = finish(process, out, err);

        assertThat(result.exit()).as(result.describe()).isZero();
        List<String> lines = lines(out);
        assertThat(lines).hasSize(2);
        assertMatches(JSON.readTree(lines.get(0)), small);
        assertMatches(JSON.readTree(lines.get(1)), large);
      } finally {
        process.destroyForcibly();
      }
    }
  }

  @Test
  void pythonReaderNeverSeesATornVersionWhileJavaPublishesContinuously() throws Exception {
    Path file = dir.resolve("busy.json");
    Map<String, Object> first = new LinkedHashMap<>();
    first.put("v", 1);
    first.put("pad", "");
    JsonMmapOptions options =
        JsonMmapOptions.builder(file)
            .role(Role.WRITER)
            .initialCapacity(4096)
            .initialDocument(first)
            .build();
    AtomicBoolean stop = new AtomicBoolean();
    AtomicReference<Throwable> writerFailure = new AtomicReference<>();
    AtomicLong publishes = new AtomicLong();
    // version -> {publishedAtMicros, pad length}: enough to rebuild every published document.
    Map<Long, long[]> published = new ConcurrentHashMap<>();
    try (JsonMmapFile writer = JsonMmapFile.open(options)) {
      long initialSize = size(file);
      Thread publisher =
          new Thread(
              () -> {
                Random random = new Random(42);
                try {
                  while (!stop.get()) {
                    long next = writer.snapshot().version() + 1;
                    Map<String, Object> doc = new LinkedHashMap<>();
                    doc.put("v", next);
                    doc.put("pad", "p".repeat(random.nextInt(3000)));
                    Snapshot snapshot = writer.publish(doc);
                    if (snapshot.version() != next) {
                      throw new AssertionError(
                          "published version " + snapshot.version() + ", expected " + next);
                    }
                    published.put(
                        snapshot.version(),
                        new long[] {
                          snapshot.publishedAtMicros(), ((String) doc.get("pad")).length()
                        });
                    publishes.incrementAndGet();
                  }
                } catch (Throwable e) {
                  writerFailure.set(e);
                }
              },
              "python-reader-test-publisher");
      publisher.start();
      Result result;
      try {
        // The writer is busy (and the file has grown) before the reader starts, and keeps
        // publishing until the reader has finished all its reads.
        await()
            .atMost(PROCESS_DEADLINE)
            .until(() -> publishes.get() >= 100 || writerFailure.get() != null);
        result = runPython(file.toString(), "--loop", Integer.toString(LOOP_READS));
      } finally {
        stop.set(true);
        publisher.join(PROCESS_DEADLINE.toMillis());
      }
      assertThat(publisher.isAlive()).isFalse();
      assertThat(writerFailure.get()).isNull();
      assertThat(size(file)).isGreaterThan(initialSize);

      assertThat(result.exit()).as(result.describe()).isZero();
      List<String> lines = result.stdout().lines().toList();
      assertThat(lines).isNotEmpty();
      JsonNode summary = JSON.readTree(lines.get(lines.size() - 1));
      List<String> reads = lines.subList(0, lines.size() - 1);
      assertThat(summary.get("reads").asLong()).isEqualTo(LOOP_READS);
      assertThat(summary.get("invalid").asLong()).isZero();
      assertThat(summary.get("versions").asLong()).isEqualTo(reads.size());
      // 20,000 reads against a writer that never pauses cannot all land on one version.
      assertThat(reads).hasSizeGreaterThan(1);

      long previous = 0;
      for (String line : reads) {
        JsonNode read = JSON.readTree(line);
        long version = read.get("version").asLong();
        assertThat(read.get("document").get("v").asLong()).as(line).isEqualTo(version);
        assertThat(version).as("versions never go back").isGreaterThan(previous);
        previous = version;
        long[] facts = published.get(version);
        if (facts != null) {
          assertThat(read.get("publishedAtMicros").asLong()).isEqualTo(facts[0]);
          assertThat(read.get("document").get("pad").asString()).hasSize((int) facts[1]);
        }
      }
      assertThat(previous).isLessThanOrEqualTo(writer.snapshot().version());
    }
  }

  @Test
  void flippedPayloadByteGivesAChecksumError() throws IOException {
    Path file = dir.resolve("flipped.json");
    try (JsonMmapFile writer = openWriter(file, 4096)) {
      writer.publish(document("greeting", "hello"));
    }
    try (FileChannel ch =
        FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      long current = readLong(ch, FileLayout.CURRENT_OFFSET);
      int slot = FileLayout.slotOffset(FileLayout.currentSlot(current));
      long offset = readLong(ch, slot + FileLayout.SLOT_DATA_OFFSET);
      long length = readLong(ch, slot + FileLayout.SLOT_DATA_LENGTH_OFFSET);
      long position = offset + length / 2;
      ByteBuffer one = ByteBuffer.allocate(1);
      ch.read(one, position);
      one.put(0, (byte) (one.get(0) ^ 0x01)).rewind();
      ch.write(one, position);
    }

    Result result = runPython(file.toString());

    assertThat(result.exit()).as(result.describe()).isNotZero();
    assertThat(result.stdout()).isEmpty();
    assertThat(result.stderr().strip()).contains(file.toString()).contains("checksum");
    assertThat(result.stderr().strip().lines()).hasSize(1);
  }

  @Test
  void committedSlotLeftOddByAWriterThatDiedBeforeReleasingItIsReadByEveryReader()
      throws IOException {
    Path file = dir.resolve("unreleased.json");
    Snapshot published;
    try (JsonMmapFile writer = openWriter(file, 4096)) {
      writer.publish(document("greeting", "hello"));
      published = writer.set("greeting", "world");
    }
    // A writer commits (flips current) before it releases the slot's sequence (FORMAT.md 5.2):
    // one that dies between the two leaves the current slot odd, its bytes complete.
    int slot = FileSurgery.currentSlot(file);
    long sequenceOffset = FileLayout.slotOffset(slot) + FileLayout.SLOT_SEQUENCE_OFFSET;
    long sequence = FileSurgery.readLong(file, sequenceOffset);
    FileSurgery.putLong(file, sequenceOffset, sequence + 1);

    Result result = runPython(file.toString(), "--timeout", "30");

    assertThat(result.exit()).as(result.describe()).isZero();
    assertMatches(JSON.readTree(result.stdout()), published);
    FileInfo info = JsonMmapFile.inspect(file);
    assertThat(info.slots().get(slot).state()).isEqualTo("current");
    assertThat(info.slots().get(slot).sequence()).isOdd();
    assertThat(info.slots().get(slot).valid()).isTrue();
    // The Java reader reads it too, after its 256 attempts (a generous timeout for a loaded CPU).
    try (JsonMmapFile reader =
        JsonMmapFile.open(
            JsonMmapOptions.builder(file)
                .role(Role.READER)
                .readTimeout(Duration.ofSeconds(30))
                .build())) {
      assertThat(reader.snapshot().version()).isEqualTo(published.version());
    }

    // An odd current slot whose bytes do not match its checksum is not taken for current.
    FileSurgery.flipByte(file, FileSurgery.slotDataOffset(file, slot));
    assertThat(JsonMmapFile.inspect(file).slots().get(slot).state()).startsWith("corrupt");
    Result corrupt = runPython(file.toString(), "--timeout", "30");
    assertThat(corrupt.exit()).as(corrupt.describe()).isNotZero();
    assertThat(corrupt.stderr()).contains("checksum");
  }

  @Test
  void unknownMajorVersionIsRefusedNamingBothVersions() throws IOException {
    Path file = dir.resolve("future.json");
    try (JsonMmapFile writer = openWriter(file, 4096)) {
      writer.publish(document("greeting", "hello"));
    }
    try (FileChannel ch =
        FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      ByteBuffer major = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(0, 2);
      ch.write(major, FileLayout.FORMAT_VERSION_OFFSET);
    }

    Result result = runPython(file.toString());

    assertThat(result.exit()).as(result.describe()).isNotZero();
    assertThat(result.stderr().strip())
        .contains(file.toString())
        .contains("version")
        .contains("fileVersion=2.1")
        .contains("supportedVersion=1.1");
    assertThat(result.stderr().strip().lines()).hasSize(1);
  }

  @Test
  void higherMinorVersionIsStillRead() throws IOException {
    Path file = dir.resolve("minor.json");
    Snapshot published;
    try (JsonMmapFile writer = openWriter(file, 4096)) {
      published = writer.publish(document("greeting", "hello"));
    }
    try (FileChannel ch =
        FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      ByteBuffer minor = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(0, 7);
      ch.write(minor, FileLayout.FORMAT_VERSION_OFFSET + 4);
    }

    Result result = runPython(file.toString());

    assertThat(result.exit()).as(result.describe()).isZero();
    assertMatches(JSON.readTree(result.stdout()), published);
  }

  @Test
  void fileWithoutTheMagicIsRefused() throws IOException {
    Path file = dir.resolve("garbage.json");
    Files.write(
        file, "{\"not\": \"a jsonmmap file\"}".repeat(200).getBytes(StandardCharsets.UTF_8));

    Result result = runPython(file.toString());

    assertThat(result.exit()).as(result.describe()).isNotZero();
    assertThat(result.stderr().strip()).contains(file.toString()).contains("bad magic");
  }

  @Test
  void zeroedFileIsReportedAsNotInitialised() throws IOException {
    Path file = dir.resolve("zeroed.json");
    Files.write(file, new byte[8192]);

    Result result = runPython(file.toString());

    assertThat(result.exit()).as(result.describe()).isNotZero();
    assertThat(result.stderr().strip()).contains(file.toString()).contains("not initialised");
  }

  @Test
  void pythonReaderSurvivesTheFileTruncatedAndRegrownUnderIt() throws Exception {
    Path file = dir.resolve("truncated.json");
    try (JsonMmapFile writer = openWriter(file, 4096)) {
      writer.publish(document("greeting", "hello", "pad", "x".repeat(6000)));
    }
    byte[] bytes = Files.readAllBytes(file);
    AtomicBoolean stop = new AtomicBoolean();
    AtomicLong cycles = new AtomicLong();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    // A third party that truncates the file to nothing and writes it back, again and again: a
    // reader that touches a mapped page past the end of the file would die of SIGBUS.
    Thread truncator =
        new Thread(
            () -> {
              try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
                while (!stop.get()) {
                  ch.truncate(0);
                  ByteBuffer all = ByteBuffer.wrap(bytes);
                  while (all.hasRemaining()) {
                    ch.write(all, all.position());
                  }
                  cycles.incrementAndGet();
                }
              } catch (Throwable e) {
                failure.set(e);
              }
            },
            "python-reader-test-truncator");
    truncator.start();
    Result result;
    try {
      await().atMost(PROCESS_DEADLINE).until(() -> cycles.get() >= 10 || failure.get() != null);
      result = runPython(file.toString(), "--loop", Integer.toString(LOOP_READS));
    } finally {
      stop.set(true);
      truncator.join(PROCESS_DEADLINE.toMillis());
    }
    assertThat(truncator.isAlive()).isFalse();
    assertThat(failure.get()).isNull();

    // Killed by a signal, the exit status would be 128 + 7 (SIGBUS) or another one above 128.
    assertThat(result.exit()).as(result.describe()).isIn(0, 1);
    assertThat(result.stderr().lines())
        .as("one clean line per reported error, never a traceback")
        .allMatch(line -> line.startsWith("jsonmmap_reader: "));
    List<String> lines = result.stdout().lines().toList();
    JsonNode summary = JSON.readTree(lines.get(lines.size() - 1));
    assertThat(summary.get("reads").asLong()).isEqualTo(LOOP_READS);
    for (String line : lines.subList(0, lines.size() - 1)) {
      assertThat(JSON.readTree(line).get("document").get("greeting").asString()).isEqualTo("hello");
    }
  }

  @Test
  void pythonReaderHonoursTheWritersMaximumDocumentSizeFromTheHeader() throws IOException {
    Path file = dir.resolve("large.json");
    Snapshot published;
    try (JsonMmapFile writer = openWriter(file, 4096)) {
      published = writer.publish(document("pad", "z".repeat(50_000)));
    }

    // As a 1.0 file (0 at offset 104): the reader's own limit applies and refuses the document.
    writeLong(file, FileLayout.MAX_DOCUMENT_SIZE_OFFSET, 0);
    Result own = runPython(file.toString(), "--max-length", "1000");
    assertThat(own.exit()).as(own.describe()).isEqualTo(1);
    assertThat(own.stderr().strip())
        .startsWith("jsonmmap_reader: slot out of range: path=" + file)
        .contains("maxLength=1000");

    // A 1.1 writer records its own maximum: the reader accepts what that writer may publish.
    writeLong(file, FileLayout.MAX_DOCUMENT_SIZE_OFFSET, 100_000);
    Result writers = runPython(file.toString(), "--max-length", "1000");
    assertThat(writers.exit()).as(writers.describe()).isZero();
    assertMatches(JSON.readTree(writers.stdout()), published);
  }

  @Test
  void pythonReaderRefusesAFifoWithoutBlocking() throws Exception {
    Path fifo = dir.resolve("fifo.json");
    Process mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start();
    assumeTrue(
        mkfifo.waitFor(30, TimeUnit.SECONDS) && mkfifo.exitValue() == 0, "mkfifo is not available");

    Result result = runPython(fifo.toString());

    assertThat(result.exit()).as(result.describe()).isEqualTo(1);
    assertThat(result.stderr().strip())
        .isEqualTo(
            "jsonmmap_reader: not a regular file: path="
                + fifo
                + " type=fifo (jsonmmap files are regular files)");
  }

  @Test
  void pythonReaderEscapesControlCharactersInItsErrors() {
    Path missing = dir.resolve("no\nforged \u001b[31mred");

    Result result = runPython(missing.toString());

    assertThat(result.exit()).as(result.describe()).isEqualTo(1);
    assertThat(result.stderr())
        .isEqualTo(
            "jsonmmap_reader: file does not exist: path=" + dir + "/no\\nforged \\x1b[31mred\n");
  }

  // ---------------------------------------------------------------- helpers

  private static JsonMmapFile openWriter(Path file, long initialCapacity) {
    return JsonMmapFile.open(
        JsonMmapOptions.builder(file).role(Role.WRITER).initialCapacity(initialCapacity).build());
  }

  private static Map<String, Object> document(Object... keysAndValues) {
    Map<String, Object> doc = new LinkedHashMap<>();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      doc.put((String) keysAndValues[i], keysAndValues[i + 1]);
    }
    return doc;
  }

  /** The Python line says exactly what the Java snapshot says. */
  private static void assertMatches(JsonNode pythonRead, Snapshot snapshot) {
    assertThat(pythonRead.get("version").asLong()).isEqualTo(snapshot.version());
    assertThat(pythonRead.get("publishedAtMicros").asLong())
        .isEqualTo(snapshot.publishedAtMicros());
    assertThat(pythonRead.get("document")).isEqualTo(JSON.readTree(snapshot.json()));
  }

  private static void writeLong(Path file, long position, long value) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
      ByteBuffer buffer = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, value);
      while (buffer.hasRemaining()) {
        ch.write(buffer, position + buffer.position());
      }
    }
  }

  private static long readLong(FileChannel ch, long position) throws IOException {
    ByteBuffer buffer = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
    while (buffer.hasRemaining()) {
      if (ch.read(buffer, position + buffer.position()) < 0) {
        throw new IOException("unexpected end of file at " + position);
      }
    }
    return buffer.getLong(0);
  }

  private static long size(Path file) {
    try {
      return Files.size(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static List<String> lines(Path file) throws IOException {
    return Files.exists(file) ? Files.readAllLines(file) : List.of();
  }

  private record Result(int exit, String stdout, String stderr) {
    String describe() {
      return "exit=" + exit + "\nstderr:\n" + stderr + "\nstdout (start):\n" + head(stdout);
    }

    private static String head(String text) {
      return text.length() <= 2000 ? text : text.substring(0, 2000) + "...";
    }
  }

  private Result runPython(String... args) {
    Path out = dir.resolve("python-" + System.nanoTime() + ".out");
    Path err = dir.resolve("python-" + System.nanoTime() + ".err");
    List<String> command = new ArrayList<>(List.of(script.toString()));
    command.addAll(List.of(args));
    // Output goes to files: no pipe can fill up and block the child while we wait for it.
    ProcessBuilder builder =
        python(command)
            .directory(repoRoot.toFile())
            .redirectOutput(out.toFile())
            .redirectError(err.toFile());
    try {
      return finish(builder.start(), out, err);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A python3 process that leaves no bytecode caches in the source tree. */
  private static ProcessBuilder python(List<String> args) {
    List<String> command = new ArrayList<>();
    command.add("python3");
    command.addAll(args);
    ProcessBuilder builder = new ProcessBuilder(command);
    builder.environment().put("PYTHONDONTWRITEBYTECODE", "1");
    return builder;
  }

  private static Result finish(Process process, Path out, Path err) {
    try {
      if (!process.waitFor(PROCESS_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
        fail("python did not finish within " + PROCESS_DEADLINE + ": " + Files.readString(err));
      }
      return new Result(process.exitValue(), Files.readString(out), Files.readString(err));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
      throw new AssertionError("interrupted while waiting for python", e);
    }
  }

  private static boolean pythonAvailable() {
    try {
      Process process =
          new ProcessBuilder("python3", "--version")
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .start();
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        return false;
      }
      return process.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /**
   * The repository root: the {@code jsonmmap.repo.root} property surefire sets, else the first
   * directory above the working directory that holds FORMAT.md.
   */
  private static Path findRepoRoot() {
    String property = System.getProperty("jsonmmap.repo.root");
    if (property != null && !property.isBlank()) {
      Path root = Path.of(property).toAbsolutePath().normalize();
      if (Files.isRegularFile(root.resolve("FORMAT.md"))) {
        return root;
      }
    }
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      if (Files.isRegularFile(p.resolve("FORMAT.md"))) {
        return p;
      }
    }
    throw new IllegalStateException(
        "cannot find the repository root (no FORMAT.md above "
            + Path.of("").toAbsolutePath()
            + ")");
  }
}
