package io.github.jsonmmap;

import static io.github.jsonmmap.FileLayout.*;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

/**
 * Fuzzes the reader: valid files written by the real writer, then damaged in every way the format
 * allows (bit flips, truncation, extension, random header and slot descriptor values, bounds, wrong
 * versions, random garbage). For every damaged file a reader either returns a document the writer
 * committed or throws a {@link JsonMmapException} that names the file: never another exception,
 * never a hang, and never a heap allocation that an untrusted length could drive past the
 * configured maximum size.
 *
 * <p>Every test runs a number of cases, each made from its own {@link SplittableRandom} seeded from
 * the test's base seed and the case index. System properties: {@code jsonmmap.fuzz.tries} (default
 * {@value #DEFAULT_TRIES_PROPERTY_DEFAULT}) is the number of cases of the tests that reach the most
 * code, the others run half as many; {@code jsonmmap.fuzz.seed} fixes the base seed of every test
 * (otherwise each test draws a new one); {@code jsonmmap.fuzz.case} runs only the case of that
 * index. A failure names the test, the base seed, the case index and the damage done, so that
 * {@code -Djsonmmap.fuzz.seed=S -Djsonmmap.fuzz.case=I} reproduces it. {@code soak.sh} asks for
 * many more cases.
 */
class ReaderFuzzTest {

  private static final int DEFAULT_TRIES_PROPERTY_DEFAULT = 10_000;

  /** Cases of the tests that reach the most code; the others run half as many. */
  private static final int DEFAULT_TRIES =
      Integer.getInteger("jsonmmap.fuzz.tries", DEFAULT_TRIES_PROPERTY_DEFAULT);

  private static final int HALF_TRIES = Math.max(1, DEFAULT_TRIES / 2);

  /** The base seed of every test when set; each test draws its own otherwise. */
  private static final Long FIXED_SEED = Long.getLong("jsonmmap.fuzz.seed");

  /** The only case index to run when set: to reproduce one failure. */
  private static final Integer ONLY_CASE = Integer.getInteger("jsonmmap.fuzz.case");

  /** The reader's maximum, deliberately small so that an allocation past it stands out. */
  private static final long MAX_SIZE = 64 * 1024;

  /**
   * A hang guard for one open: far above the read timeout, so that only a reader that never gives
   * up trips it.
   */
  private static final Duration PER_TRY_TIMEOUT = Duration.ofSeconds(10);

  /**
   * A read that never settles (an odd sequence) gives up after this; kept short because random
   * sequence values make it common.
   */
  private static final Duration READ_TIMEOUT = Duration.ofMillis(20);

  /**
   * Allowed heap allocation for one open: copying, parsing and flattening a document of at most
   * {@link #MAX_SIZE} bytes, with slack for the fixed cost of opening. A length taken from the file
   * without a bound would show as an allocation of up to 2 GiB.
   */
  private static final long ALLOCATION_LIMIT = 4 * MAX_SIZE + 512 * 1024;

  private static final JsonMapper JSON = JsonMapper.builder().build();

  private static final com.sun.management.ThreadMXBean THREADS =
      (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

  private static Path dir;
  private static List<Base> bases;
  private static ExecutorService opener;
  private static long maxAllocated;
  private static long opens;
  private static long returned;
  private static long returnedPlanted;
  private static final Map<String, Long> REASONS = new TreeMap<>();

  /** A valid file as the writer left it, and the bytes of every version it committed. */
  private record Base(String label, byte[] image, Set<ByteBuffer> committed) {
    @Override
    public String toString() {
      return label + "(" + image.length + " bytes)";
    }
  }

  /** A field of the header or of a slot descriptor: where and how wide. */
  private record Field(String name, int offset, int width) {
    @Override
    public String toString() {
      return name + "@" + offset;
    }
  }

  private static final List<Field> FIELDS = fields();

  private static List<Field> fields() {
    List<Field> fields = new ArrayList<>();
    fields.add(new Field("magic", MAGIC_OFFSET, 8));
    fields.add(new Field("major", FORMAT_VERSION_OFFSET, 4));
    fields.add(new Field("minor", FORMAT_VERSION_OFFSET + 4, 4));
    fields.add(new Field("formatVersionWord", FORMAT_VERSION_OFFSET, 8));
    fields.add(new Field("headerLength", HEADER_LENGTH_OFFSET, 4));
    fields.add(new Field("flags", FLAGS_OFFSET, 4));
    fields.add(new Field("fileLength", FILE_LENGTH_OFFSET, 8));
    fields.add(new Field("capacity", CAPACITY_OFFSET, 8));
    fields.add(new Field("generation", GENERATION_OFFSET, 8));
    fields.add(new Field("current", CURRENT_OFFSET, 8));
    fields.add(new Field("heartbeat", HEARTBEAT_OFFSET, 8));
    fields.add(new Field("writerId", WRITER_ID_OFFSET, 8));
    fields.add(new Field("writerSince", WRITER_SINCE_OFFSET, 8));
    fields.add(new Field("created", CREATED_OFFSET, 8));
    fields.add(new Field("nameLength", NAME_LENGTH_OFFSET, 4));
    fields.add(new Field("writerInfoLength", WRITER_INFO_LENGTH_OFFSET, 4));
    fields.add(new Field("maxDocumentSize", MAX_DOCUMENT_SIZE_OFFSET, 8));
    fields.add(new Field("writerEpoch", WRITER_EPOCH_OFFSET, 8));
    fields.add(new Field("closed", CLOSED_OFFSET, 8));
    fields.add(new Field("name", NAME_OFFSET, 8));
    fields.add(new Field("writerInfo", WRITER_INFO_OFFSET, 8));
    for (int slot = 0; slot < 2; slot++) {
      int base = slotOffset(slot);
      fields.add(new Field("slot" + slot + ".sequence", base + SLOT_SEQUENCE_OFFSET, 8));
      fields.add(new Field("slot" + slot + ".version", base + SLOT_VERSION_OFFSET, 8));
      fields.add(new Field("slot" + slot + ".offset", base + SLOT_DATA_OFFSET, 8));
      fields.add(new Field("slot" + slot + ".length", base + SLOT_DATA_LENGTH_OFFSET, 8));
      fields.add(new Field("slot" + slot + ".published", base + SLOT_PUBLISHED_OFFSET, 8));
      fields.add(new Field("slot" + slot + ".checksum", base + SLOT_CHECKSUM_OFFSET, 4));
    }
    return List.copyOf(fields);
  }

  // ---------------------------------------------------------------- the valid files

  @BeforeAll
  static void writeValidFiles() throws IOException {
    assertThat(DEFAULT_TRIES).as("-Djsonmmap.fuzz.tries").isPositive();
    // In memory where there is a /dev/shm: tens of thousands of small files are written.
    Path shm = Path.of("/dev/shm");
    dir =
        Files.isDirectory(shm) && Files.isWritable(shm)
            ? Files.createTempDirectory(shm, "jsonmmap-fuzz")
            : Files.createTempDirectory("jsonmmap-fuzz");
    opener =
        Executors.newSingleThreadExecutor(
            runnable -> {
              Thread thread = new Thread(runnable, "fuzz-opener");
              thread.setDaemon(true);
              return thread;
            });
    bases =
        List.of(
            // Versions 1 and 2 only: slot 1 current, slot 0 holds the empty object.
            write("two-versions", "two", 10),
            // Several documents, growth from 8 KiB, both slots filled, a name in the header.
            write("grown", "grown", 10, 300, 3000, 7000, 150, 9000, 40),
            // Documents near the largest one maxSize allows, the file at maxSize.
            write("at-max-size", null, 100, 20_000, 20_000, 20_480),
            // After big documents a small one fits before the current one: placement wraps.
            write("wrapped", "wrapped", 12_000, 12_000, 100, 120));
    // The undamaged files read back as written, so that the properties are not vacuous.
    for (Base base : bases) {
      assertThat(open(base.image()).document()).as("%s reads back", base).isNotNull();
    }
    assertThat(bases.get(1).image().length).as("grown").isGreaterThan(2 * PAGE_SIZE);
    assertThat(bases.get(2).image().length).as("at max size").isEqualTo(MAX_SIZE);
  }

  @AfterAll
  static void cleanUp() throws IOException {
    if (opener != null) {
      opener.shutdownNow();
    }
    System.out.println(
        "reader fuzz: opens="
            + opens
            + " returned="
            + returned
            + " committed="
            + (returned - returnedPlanted)
            + " planted="
            + returnedPlanted
            + " errors="
            + (opens - returned)
            + " maxAllocatedPerOpen="
            + maxAllocated
            + " allocationLimit="
            + ALLOCATION_LIMIT
            + " failures="
            + REASONS);
    if (dir == null) {
      return;
    }
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  /**
   * Writes a file with the real writer (initial capacity one page, so that it grows), publishing a
   * document of each size, and records every committed version's bytes.
   */
  private static Base write(String label, String name, int... sizes) throws IOException {
    Path file = dir.resolve(label + ".json");
    Set<ByteBuffer> committed = new HashSet<>();
    JsonMmapOptions options =
        JsonMmapOptions.builder(file)
            .role(Role.WRITER)
            .maxSize(MAX_SIZE)
            .initialCapacity(PAGE_SIZE)
            .name(name)
            .watchMode(WatchMode.POLL)
            .build();
    try (JsonMmapFile writer = JsonMmapFile.open(options)) {
      committed.add(ByteBuffer.wrap(writer.snapshot().bytes()));
      int i = 0;
      for (int size : sizes) {
        committed.add(ByteBuffer.wrap(writer.publish(JSON.readTree(document(++i, size))).bytes()));
      }
    }
    byte[] image = Files.readAllBytes(file);
    Files.delete(file);
    Files.deleteIfExists(file.resolveSibling(file.getFileName() + ".lock"));
    return new Base(label, image, Set.copyOf(committed));
  }

  /** A document of about {@code size} bytes with nested values, arrays and escapes. */
  private static String document(int version, int size) {
    String head = "{\"v\":" + version + ",\"a\":{\"b\":[1,2.5,true,null,\"\\u00e9\"]},\"pad\":\"";
    return head + "x".repeat(Math.max(0, size - head.length() - 2)) + "\"}";
  }

  // ---------------------------------------------------------------- the cases

  @Test
  void bitFlipsAnywhere() {
    fuzz(
        "bitFlipsAnywhere",
        DEFAULT_TRIES,
        random -> {
          Base base = base(random);
          int[] bits = ints(random, 1, 8, 0, Integer.MAX_VALUE);
          byte[] image = base.image().clone();
          int[] flipped = new int[bits.length];
          for (int i = 0; i < bits.length; i++) {
            int at = bits[i] % (image.length * 8);
            image[at / 8] ^= (byte) (1 << (at % 8));
            flipped[i] = at;
          }
          return damaged(base, image, "bits flipped at " + Arrays.toString(flipped));
        });
  }

  /** Flips bits only in the header page and the descriptors, where one flip matters most. */
  @Test
  void bitFlipsInTheHeader() {
    fuzz(
        "bitFlipsInTheHeader",
        HALF_TRIES,
        random -> {
          Base base = base(random);
          int[] bits = ints(random, 1, 4, 0, MIN_HEADER_LENGTH * 8 - 1);
          byte[] image = base.image().clone();
          for (int bit : bits) {
            image[bit / 8] ^= (byte) (1 << (bit % 8));
          }
          return damaged(base, image, "header bits flipped at " + Arrays.toString(bits));
        });
  }

  @Test
  void truncatedToAnyLengthOrExtendedWithGarbage() {
    fuzz(
        "truncatedToAnyLengthOrExtendedWithGarbage",
        HALF_TRIES,
        random -> {
          Base base = base(random);
          int cutPercent = intBetween(random, 0, 100);
          boolean cutAtAnyByte = random.nextBoolean();
          int extension = intBetween(random, 0, 4 * PAGE_SIZE);
          int length = base.image().length;
          int keep = cutAtAnyByte ? random.nextInt(length + 1) : length * cutPercent / 100;
          byte[] image = Arrays.copyOf(base.image(), keep + extension);
          byte[] garbage = new byte[extension];
          random.nextBytes(garbage);
          System.arraycopy(garbage, 0, image, keep, extension);
          return damaged(
              base,
              image,
              "kept "
                  + keep
                  + " of "
                  + length
                  + " bytes ("
                  + (cutAtAnyByte ? "any byte" : cutPercent + "%")
                  + "), then "
                  + extension
                  + " bytes of garbage");
        });
  }

  @Test
  void randomValuesInHeaderAndSlotFields() {
    fuzz(
        "randomValuesInHeaderAndSlotFields",
        DEFAULT_TRIES,
        random -> {
          Base base = base(random);
          int[] fieldChoices = ints(random, 1, 3, 0, 1000);
          int[] valueChoices = ints(random, 3, 3, 0, 1000);
          long[] randoms = {anyLong(random), anyLong(random), anyLong(random)};
          byte[] image = base.image().clone();
          ByteBuffer buffer = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
          List<String> writes = new ArrayList<>();
          for (int i = 0; i < fieldChoices.length; i++) {
            Field field = FIELDS.get(fieldChoices[i] % FIELDS.size());
            long value = interestingValue(buffer, field, valueChoices[i], randoms[i]);
            if (field.width() == 8) {
              buffer.putLong(field.offset(), value);
            } else {
              buffer.putInt(field.offset(), (int) value);
            }
            writes.add(field + "=" + value);
          }
          return damaged(base, image, "fields set " + writes);
        });
  }

  /**
   * A slot pointed at every bound: offsets and lengths just inside, at and past the header, the end
   * of the file, the maximum length and the overflow limit.
   */
  @Test
  void slotOffsetsAndLengthsAtAndPastEveryBound() {
    fuzz(
        "slotOffsetsAndLengthsAtAndPastEveryBound",
        DEFAULT_TRIES,
        random -> {
          Base base = base(random);
          int slot = random.nextInt(2);
          int offsetBound = random.nextInt(BOUNDS.length);
          int offsetDelta = intBetween(random, -9, 9);
          int lengthBound = random.nextInt(BOUNDS.length);
          int lengthDelta = intBetween(random, -9, 9);
          boolean fixChecksum = random.nextBoolean();
          byte[] image = base.image().clone();
          ByteBuffer buffer = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
          long size = image.length;
          long offset = resolve(offsetBound, size) + offsetDelta;
          long length = resolve(lengthBound, size) + lengthDelta;
          int base0 = slotOffset(slot);
          buffer.putLong(base0 + SLOT_DATA_OFFSET, offset);
          buffer.putLong(base0 + SLOT_DATA_LENGTH_OFFSET, length);
          String description =
              String.format(
                  "slot %d offset=%s%+d=%d length=%s%+d=%d",
                  slot,
                  BOUNDS[offsetBound],
                  offsetDelta,
                  offset,
                  BOUNDS[lengthBound],
                  lengthDelta,
                  length);
          if (fixChecksum
              && offset >= 0
              && length >= 0
              && offset <= size
              && length <= size - offset) {
            // A correct checksum over the bytes it now names: only the bounds and the parser stand
            // between them and the caller, and the bytes are not a committed document unless the
            // slot still names the one it held.
            byte[] named = Arrays.copyOfRange(image, (int) offset, (int) (offset + length));
            buffer.putInt(base0 + SLOT_CHECKSUM_OFFSET, Protocol.crc32(named));
            return new Damaged(base, image, named, description + " with a fixed checksum");
          }
          return damaged(base, image, description);
        });
  }

  /**
   * The current document replaced by arbitrary bytes with a correct checksum: the reader returns
   * exactly those bytes when they are a valid document and refuses them cleanly otherwise.
   */
  @Test
  void arbitraryDocumentBytesWithAValidChecksum() {
    fuzz(
        "arbitraryDocumentBytesWithAValidChecksum",
        HALF_TRIES,
        random -> {
          Base base = base(random);
          StringBuilder made = new StringBuilder();
          byte[] document = documentBytes(random, made);
          byte[] image = base.image().clone();
          ByteBuffer buffer = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
          int slot = currentSlot(buffer.getLong(CURRENT_OFFSET));
          int descriptor = slotOffset(slot);
          int offset = (int) buffer.getLong(descriptor + SLOT_DATA_OFFSET);
          int length = Math.min(document.length, image.length - offset);
          byte[] placed = Arrays.copyOf(document, length);
          System.arraycopy(placed, 0, image, offset, length);
          buffer.putLong(descriptor + SLOT_DATA_LENGTH_OFFSET, length);
          buffer.putInt(descriptor + SLOT_CHECKSUM_OFFSET, Protocol.crc32(placed));
          return new Damaged(
              base,
              image,
              placed,
              "slot " + slot + " given " + length + " bytes with a valid checksum: " + made);
        });
  }

  @Test
  void randomGarbageOfAnySize() {
    fuzz(
        "randomGarbageOfAnySize",
        HALF_TRIES,
        random -> {
          Base base = base(random);
          int size = intBetween(random, 0, 64 * 1024);
          int kind = random.nextInt(4);
          byte[] image = new byte[size];
          String description;
          switch (kind) {
            case 0 -> {
              random.nextBytes(image);
              description = "random bytes";
            }
            case 1 -> {
              // The magic, then garbage: past the first check.
              random.nextBytes(image);
              System.arraycopy(MAGIC, 0, image, 0, Math.min(size, MAGIC.length));
              description = "the magic, then random bytes";
            }
            case 2 -> {
              // A valid header page, then garbage where the documents were.
              random.nextBytes(image);
              System.arraycopy(base.image(), 0, image, 0, Math.min(size, HEADER_LENGTH));
              description = "the header page, then random bytes";
            }
            default -> {
              // Mostly zeros with a few random bytes.
              for (int i = 0; i < 8 && size > 0; i++) {
                image[random.nextInt(size)] = (byte) random.nextInt();
              }
              description = "zeros with a few random bytes";
            }
          }
          return damaged(base, image, "garbage kind " + kind + " (" + description + ")");
        });
  }

  // ---------------------------------------------------------------- running the cases

  /**
   * A damaged file: the valid file it was made from, its bytes, bytes deliberately planted in a
   * slot with a correct checksum (or null), and what was done to it.
   */
  private record Damaged(Base base, byte[] image, byte[] planted, String description) {}

  private static Damaged damaged(Base base, byte[] image, String description) {
    return new Damaged(base, image, null, description);
  }

  /** Makes one damaged file from the random numbers of one case. */
  @FunctionalInterface
  private interface Damage {
    Damaged make(SplittableRandom random);
  }

  /**
   * Runs {@code tries} cases of {@code test}, each from its own random numbers, and checks every
   * damaged file; a failure names the base seed, the case index and the damage.
   */
  private static void fuzz(String test, int tries, Damage damage) {
    long seed = FIXED_SEED != null ? FIXED_SEED : new SplittableRandom().nextLong();
    int first = ONLY_CASE != null ? ONLY_CASE : 0;
    int end = ONLY_CASE != null ? ONLY_CASE + 1 : tries;
    long started = System.nanoTime();
    for (int index = first; index < end; index++) {
      Damaged damaged = null;
      try {
        damaged = damage.make(new SplittableRandom(caseSeed(seed, index)));
        if (damaged.planted() == null) {
          check(damaged.base(), damaged.image());
        } else {
          checkOrDocument(damaged.base(), damaged.image(), damaged.planted());
        }
      } catch (AssertionError | RuntimeException e) {
        throw new AssertionError(
            String.format(
                "%s failed at case %d of %d with base seed %d"
                    + " (reproduce with -Djsonmmap.fuzz.seed=%d -Djsonmmap.fuzz.case=%d): %s: %s",
                test,
                index,
                tries,
                seed,
                seed,
                index,
                damaged == null
                    ? "while making the damaged file"
                    : damaged.base() + ", " + damaged.description(),
                e.getMessage()),
            e);
      }
    }
    System.out.printf(
        "reader fuzz test: %s seed=%d cases=%d ms=%d%n",
        test, seed, end - first, (System.nanoTime() - started) / 1_000_000);
  }

  /** The seed of case {@code index}: well mixed, so that neighbouring cases are unrelated. */
  private static long caseSeed(long seed, int index) {
    return new SplittableRandom(seed + index).nextLong();
  }

  // ---------------------------------------------------------------- generators

  private static Base base(SplittableRandom random) {
    return bases.get(random.nextInt(bases.size()));
  }

  /**
   * An int from {@code min} to {@code max} inclusive; one time in sixteen one of the two ends,
   * which uniform numbers over a wide range would almost never hit.
   */
  private static int intBetween(SplittableRandom random, int min, int max) {
    if (random.nextInt(16) == 0) {
      return random.nextBoolean() ? min : max;
    }
    return (int) random.nextLong(min, max + 1L);
  }

  /** From {@code minSize} to {@code maxSize} ints of {@link #intBetween}. */
  private static int[] ints(SplittableRandom random, int minSize, int maxSize, int min, int max) {
    int[] values = new int[minSize + random.nextInt(maxSize - minSize + 1)];
    for (int i = 0; i < values.length; i++) {
      values[i] = intBetween(random, min, max);
    }
    return values;
  }

  private static final long[] LONG_EDGES = {0, 1, -1, Long.MAX_VALUE, Long.MIN_VALUE};

  /** Any long; one time in sixteen an edge case. */
  private static long anyLong(SplittableRandom random) {
    return random.nextInt(16) == 0
        ? LONG_EDGES[random.nextInt(LONG_EDGES.length)]
        : random.nextLong();
  }

  private static final String[] BOUNDS = {
    "0", "header", "minHeader", "size", "size/2", "max", "maxLength", "int", "uint", "long", "neg"
  };

  private static long resolve(int bound, long size) {
    return switch (BOUNDS[bound]) {
      case "0" -> 0;
      case "header" -> HEADER_LENGTH;
      case "minHeader" -> MIN_HEADER_LENGTH;
      case "size" -> size;
      case "size/2" -> size / 2;
      case "max" -> MAX_SIZE;
      case "maxLength" -> JsonMmapOptions.MAX_MAX_SIZE;
      case "int" -> Integer.MAX_VALUE;
      case "uint" -> 0xFFFF_FFFFL;
      case "long" -> Long.MAX_VALUE - 4;
      default -> Long.MIN_VALUE + 4;
    };
  }

  /** JSON texts and near-JSON texts that test the parser's limits. */
  private static final List<String> JSON_TEMPLATES =
      List.of(
          "{}",
          "[]",
          "1",
          "\"s\"",
          "null",
          "{\"a\":1}",
          "{\"a\":1,\"a\":2}",
          "{\"a\":1} {}",
          "{\"a\":NaN}",
          "{\"a\":1e99999}",
          "{\"a\":" + "9".repeat(2000) + "}",
          "{\"a\":\"\\ud800\"}",
          "{\"a\":" + "[".repeat(600) + "]".repeat(600) + "}",
          "{\"a\":" + "{\"b\":".repeat(600) + "1" + "}".repeat(601),
          "\uFEFF{}",
          "{\"a\":\"" + "x".repeat(30_000) + "\"}",
          "{\"" + "k".repeat(20_000) + "\":1}");

  /**
   * Bytes that are sometimes JSON, sometimes almost (cut short or with one byte changed), sometimes
   * garbage of up to 4 KiB; how they were made is appended to {@code made}.
   */
  private static byte[] documentBytes(SplittableRandom random, StringBuilder made) {
    if (random.nextBoolean()) {
      int template = random.nextInt(JSON_TEMPLATES.size());
      byte[] bytes = JSON_TEMPLATES.get(template).getBytes(StandardCharsets.UTF_8);
      made.append("JSON template ").append(template).append(" (").append(bytes.length);
      switch (random.nextInt(3)) {
        case 0 -> made.append(" bytes, whole)");
        case 1 -> {
          int keep = random.nextInt(bytes.length + 1);
          made.append(" bytes, cut to ").append(keep).append(')');
          bytes = Arrays.copyOf(bytes, keep);
        }
        default -> {
          int at = random.nextInt(bytes.length);
          byte value = (byte) random.nextInt();
          made.append(" bytes, byte ").append(at).append(" set to ").append(value).append(')');
          bytes[at] = value;
        }
      }
      return bytes;
    }
    byte[] bytes = new byte[intBetween(random, 0, 4096)];
    random.nextBytes(bytes);
    made.append(bytes.length).append(" random bytes");
    return bytes;
  }

  /** A value for {@code field}: an edge case, a bound of the file, or a random one. */
  private static long interestingValue(ByteBuffer image, Field field, int choice, long random) {
    long size = image.capacity();
    long[] values = {
      0,
      1,
      -1,
      2,
      7,
      8,
      Integer.MAX_VALUE,
      Integer.MIN_VALUE,
      0xFFFF_FFFFL,
      Long.MAX_VALUE,
      Long.MIN_VALUE,
      size,
      size - 1,
      size + 1,
      size - 8,
      HEADER_LENGTH,
      HEADER_LENGTH - 8,
      HEADER_LENGTH + 8,
      MIN_HEADER_LENGTH,
      MIN_HEADER_LENGTH - 1,
      MAX_SIZE,
      MAX_SIZE + 1,
      JsonMmapOptions.MAX_MAX_SIZE,
      JsonMmapOptions.MAX_MAX_SIZE + 1L,
      // Versions: a major of 2 and 0 with any minor; a current naming each slot at odd versions.
      formatVersionWord(2, 0),
      formatVersionWord(0, 1),
      formatVersionWord(1, 0xFFFF),
      FileLayout.current(1, 0),
      FileLayout.current(1, 1),
      image.getLong(CURRENT_OFFSET) + 2,
      image.getLong(CURRENT_OFFSET) - 2,
      image.getLong(CURRENT_OFFSET) ^ 1,
      (field.width() == 8 ? image.getLong(field.offset()) : image.getInt(field.offset())) + 1,
      (field.width() == 8 ? image.getLong(field.offset()) : image.getInt(field.offset())) - 1,
      random
    };
    return values[choice % values.length];
  }

  // ---------------------------------------------------------------- the check

  /** Asserts the outcome of opening {@code image} is a committed document or a clean failure. */
  private static void check(Base base, byte[] image) {
    Outcome outcome = open(image);
    if (outcome.document() != null) {
      assertThat(base.committed())
          .as("the reader returned a document the writer never committed")
          .contains(ByteBuffer.wrap(outcome.document()));
    }
  }

  /**
   * Like {@link #check}, for a file whose slot was deliberately given {@code planted} bytes with a
   * correct checksum: those bytes are a legitimate answer too.
   */
  private static void checkOrDocument(Base base, byte[] image, byte[] planted) {
    Outcome outcome = open(image);
    if (outcome.document() == null
        || base.committed().contains(ByteBuffer.wrap(outcome.document()))) {
      return;
    }
    assertThat(outcome.document())
        .as("the reader returned neither a committed document nor the planted bytes")
        .isEqualTo(planted);
    returnedPlanted++;
  }

  /** What opening a reader gave: the document bytes, or null after a clean failure. */
  private record Outcome(byte[] document) {}

  private static Outcome open(byte[] image) {
    Path file = dir.resolve("fuzzed.json");
    try {
      // A new file each time, renamed into place: truncating the old one would cost more with
      // every mapping of it that the garbage collector has not released yet.
      Path next = dir.resolve("fuzzed.json.next");
      Files.write(next, image);
      Files.move(next, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    JsonMmapOptions options =
        JsonMmapOptions.builder(file)
            .role(Role.READER)
            .requireFile(true)
            .maxSize(MAX_SIZE)
            .readTimeout(READ_TIMEOUT)
            .watchMode(WatchMode.POLL)
            .pollInterval(Duration.ofHours(1))
            .build();
    Future<Object> attempt =
        opener.submit(
            () -> {
              long before = THREADS.getCurrentThreadAllocatedBytes();
              Object result;
              try (JsonMmapFile reader = JsonMmapFile.open(options)) {
                result = reader.snapshot().bytes();
              } catch (Throwable t) {
                result = t;
              }
              long allocated = THREADS.getCurrentThreadAllocatedBytes() - before;
              return new Object[] {result, allocated};
            });
    Object[] result;
    try {
      result = (Object[]) attempt.get(PER_TRY_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      attempt.cancel(true);
      throw new AssertionError("reader hung for " + PER_TRY_TIMEOUT + " opening a fuzzed file", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    } catch (ExecutionException e) {
      throw new AssertionError(e.getCause());
    }
    long allocated = (long) result[1];
    opens++;
    maxAllocated = Math.max(maxAllocated, allocated);
    assertThat(allocated)
        .as("heap allocated by one open (maxSize=%d)", MAX_SIZE)
        .isLessThanOrEqualTo(ALLOCATION_LIMIT);
    if (result[0] instanceof Throwable thrown) {
      assertThat(thrown).as("what the reader threw").isInstanceOf(JsonMmapException.class);
      assertThat(thrown.getMessage())
          .as("message of %s", thrown)
          .isNotBlank()
          .contains(file.toString());
      assertThat(((JsonMmapException) thrown).file()).isEqualTo(file);
      REASONS.merge(((JsonMmapException) thrown).reason(), 1L, Long::sum);
      return new Outcome(null);
    }
    returned++;
    return new Outcome((byte[]) result[0]);
  }
}
