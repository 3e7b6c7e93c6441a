package io.github.jsonmmap;

import java.io.PrintStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Main classes that tests run in child JVMs (see {@link ChildJvm}). Each prints what the parent
 * asserts on, one fact a line, flushed.
 */
final class Children {

  private Children() {}

  /** The stress writer publishes at least this many versions. */
  static final long MIN_PUBLISHES = 2_000;

  /** Each stress reader makes at least this many raw reads. */
  static final long MIN_READS = 20_000;

  /**
   * How long one raw read may keep retrying. The stress test is about torn reads, not latency: on a
   * loaded 2-core machine the reader or the writer (between its commit and its release) can be off
   * the CPU for longer than the library's 1 s default.
   */
  static final Duration RAW_READ_TIMEOUT = Duration.ofSeconds(15);

  private static final PrintStream OUT = new PrintStream(System.out, true, StandardCharsets.UTF_8);

  /**
   * A self-checking document: {@code {"v":N,"len":L,"pad":"ccc…"}} where the L pad characters all
   * equal {@link #padChar(long)} of N. A torn read cannot satisfy all three.
   */
  static Map<String, Object> document(long version, int padLength) {
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("v", version);
    doc.put("len", padLength);
    doc.put("pad", String.valueOf(padChar(version)).repeat(padLength));
    return doc;
  }

  static char padChar(long version) {
    return (char) ('a' + (version % 26));
  }

  /** Checks the raw bytes of a {@link #document} against the version they were read as. */
  static boolean valid(byte[] bytes, long version) {
    String prefix = "{\"v\":" + version + ",\"len\":";
    int n = bytes.length;
    if (n < prefix.length() + 10) {
      return false;
    }
    for (int i = 0; i < prefix.length(); i++) {
      if (bytes[i] != prefix.charAt(i)) {
        return false;
      }
    }
    int i = prefix.length();
    long len = 0;
    while (i < n && bytes[i] >= '0' && bytes[i] <= '9') {
      len = len * 10 + (bytes[i++] - '0');
    }
    String middle = ",\"pad\":\"";
    for (int k = 0; k < middle.length(); k++, i++) {
      if (i >= n || bytes[i] != middle.charAt(k)) {
        return false;
      }
    }
    if (n - i != len + 2 || bytes[n - 2] != '"' || bytes[n - 1] != '}') {
      return false;
    }
    byte c = (byte) padChar(version);
    for (int k = i; k < n - 2; k++) {
      if (bytes[k] != c) {
        return false;
      }
    }
    return true;
  }

  static boolean valid(Snapshot snapshot) {
    return snapshot.version() == 1 || valid(snapshot.bytes(), snapshot.version());
  }

  /** Publishes self-checking documents of random size for N seconds: {@code file seconds}. */
  static final class StressWriter {
    public static void main(String[] args) throws Exception {
      Path file = Path.of(args[0]);
      long seconds = Long.parseLong(args[1]);
      JsonMmapOptions options =
          JsonMmapOptions.builder(file)
              .role(Role.WRITER)
              .initialCapacity(4096)
              .maxSize(8L << 20)
              .build();
      try (JsonMmapFile writer = JsonMmapFile.open(options)) {
        OUT.println("ready");
        long end = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
        ThreadLocalRandom random = ThreadLocalRandom.current();
        long publishes = 0;
        long hardEnd = System.nanoTime() + Duration.ofSeconds(seconds * 4).toNanos();
        // At least MIN_PUBLISHES, however slow a loaded machine makes each one.
        while ((System.nanoTime() < end || publishes < MIN_PUBLISHES)
            && System.nanoTime() < hardEnd) {
          // Mostly small, sometimes large: sizes vary by three orders of magnitude and force
          // growth.
          int pad =
              random.nextInt(10) == 0 ? random.nextInt(512 * 1024) : random.nextInt(16 * 1024);
          writer.publish(document(writer.snapshot().version() + 1, pad));
          publishes++;
        }
        FileInfo info = writer.info();
        OUT.println(
            "result publishes="
                + publishes
                + " version="
                + writer.snapshot().version()
                + " generation="
                + info.generation()
                + " fileSize="
                + info.fileSize());
      }
    }
  }

  /**
   * Reads as fast as it can for N seconds, through the public API and through the raw protocol,
   * validating every read: {@code file seconds}.
   */
  static final class StressReader {
    public static void main(String[] args) throws Exception {
      Path file = Path.of(args[0]);
      long seconds = Long.parseLong(args[1]);
      LongAdder invalid = new LongAdder();
      LongAdder nonMonotonic = new LongAdder();
      AtomicLong maxVersion = new AtomicLong();
      long end = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
      long hardEnd = System.nanoTime() + Duration.ofSeconds(seconds * 4).toNanos();
      JsonMmapOptions options = JsonMmapOptions.builder(file).maxSize(8L << 20).build();
      try (JsonMmapFile reader = JsonMmapFile.open(options)) {
        long[] apiReads = new long[1];
        Thread api =
            new Thread(
                () -> {
                  long last = 0;
                  while (System.nanoTime() < end) {
                    Snapshot s = reader.refresh();
                    if (s.version() != last) {
                      apiReads[0]++;
                      if (s.version() < last) {
                        nonMonotonic.increment();
                      }
                      if (!valid(s)) {
                        invalid.increment();
                        OUT.println(
                            "invalid api read version=" + s.version() + " size=" + s.size());
                      }
                      last = s.version();
                    }
                  }
                });
        api.start();
        long rawReads = 0;
        long last = 0;
        LongAdder retries = new LongAdder();
        OUT.println("reading");
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
          MappedRegion region =
              new MappedRegion(ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size()));
          while ((System.nanoTime() < end || rawReads < MIN_READS) && System.nanoTime() < hardEnd) {
            Protocol.SlotContent content;
            try {
              content =
                  Protocol.readCurrent(
                      file, region, 8L << 20, () -> sizeOf(ch), RAW_READ_TIMEOUT, retries);
            } catch (Protocol.RemapNeeded e) {
              region = new MappedRegion(ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size()));
              continue;
            }
            rawReads++;
            if (content.version() < last) {
              nonMonotonic.increment();
            }
            last = content.version();
            if (content.version() > 1 && !valid(content.bytes(), content.version())) {
              invalid.increment();
              OUT.println("invalid raw read version=" + content.version());
            }
          }
        }
        api.join();
        maxVersion.set(Math.max(last, reader.snapshot().version()));
        OUT.println(
            "result reads="
                + rawReads
                + " apiReads="
                + apiReads[0]
                + " invalid="
                + invalid.sum()
                + " nonMonotonic="
                + nonMonotonic.sum()
                + " retries="
                + (retries.sum() + reader.readRetries())
                + " failures="
                + reader.readFailures()
                + " maxVersion="
                + maxVersion.get());
      }
    }
  }

  static long sizeOf(FileChannel ch) {
    try {
      return ch.size();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** Publishes large self-checking documents until killed, printing each acknowledged version. */
  static final class CrashWriter {
    public static void main(String[] args) throws Exception {
      Path file = Path.of(args[0]);
      JsonMmapOptions options =
          JsonMmapOptions.builder(file).role(Role.WRITER).maxSize(16L << 20).build();
      JsonMmapFile writer = JsonMmapFile.open(options);
      OUT.println("ready " + writer.snapshot().version());
      ThreadLocalRandom random = ThreadLocalRandom.current();
      while (true) {
        long version = writer.snapshot().version() + 1;
        writer.publish(document(version, 256 * 1024 + random.nextInt(768 * 1024)));
        OUT.println("acked " + version);
      }
    }
  }

  /**
   * A standby: {@code file heartbeatMillis}. Prints "writer" once it holds the role, then publishes
   * {"writer": pid, "n": i} every 20 ms.
   */
  static final class AutoMember {
    public static void main(String[] args) throws Exception {
      Path file = Path.of(args[0]);
      Duration heartbeat = Duration.ofMillis(Long.parseLong(args[1]));
      JsonMmapOptions options =
          JsonMmapOptions.builder(file)
              .role(Role.AUTO)
              .heartbeatInterval(heartbeat)
              .pollInterval(Duration.ofMillis(100))
              .build();
      try (JsonMmapFile member = JsonMmapFile.open(options)) {
        OUT.println("ready");
        long pid = ProcessHandle.current().pid();
        boolean announced = false;
        for (long n = 0; ; n++) {
          if (member.isWriter()) {
            Snapshot s = member.publish(Map.of("writer", pid, "n", n));
            if (!announced) {
              OUT.println("writer " + pid + " version=" + s.version());
              announced = true;
            }
          }
          Thread.sleep(20);
        }
      }
    }
  }

  /**
   * Follows a file and prints each change as "seen VERSION DELAY_MICROS": {@code file
   * events|poll|spin pollMillis}.
   */
  static final class Follower {
    public static void main(String[] args) throws Exception {
      Path file = Path.of(args[0]);
      JsonMmapOptions options =
          JsonMmapOptions.builder(file)
              .watchMode(WatchMode.valueOf(args[1].toUpperCase(java.util.Locale.ROOT)))
              .pollInterval(Duration.ofMillis(Long.parseLong(args[2])))
              .build();
      try (JsonMmapFile reader = JsonMmapFile.open(options)) {
        reader.addListener(
            change ->
                OUT.println(
                    "seen "
                        + change.current().version()
                        + " "
                        + change.delayMicros()
                        + " "
                        + change.keys().all()));
        OUT.println("ready " + reader.snapshot().version());
        Thread.sleep(Long.MAX_VALUE);
      }
    }
  }

  /** Holds the writer role until killed: {@code file heartbeatMillis}. */
  static final class HoldWriter {
    public static void main(String[] args) throws Exception {
      JsonMmapOptions options =
          JsonMmapOptions.builder(Path.of(args[0]))
              .role(Role.WRITER)
              .heartbeatInterval(Duration.ofMillis(Long.parseLong(args[1])))
              .build();
      try (JsonMmapFile writer = JsonMmapFile.open(options)) {
        writer.set("holder", ProcessHandle.current().pid());
        OUT.println("holding " + writer.snapshot().version());
        Thread.sleep(Long.MAX_VALUE);
      }
    }
  }

  /** Tries once to become the writer: prints "acquired" or "locked". */
  static final class TryWriter {
    public static void main(String[] args) {
      try (JsonMmapFile writer = JsonMmapFile.open(Path.of(args[0]), Role.WRITER)) {
        OUT.println("acquired " + writer.snapshot().version());
      } catch (WriterLockedException e) {
        OUT.println("locked " + e.getMessage());
      }
    }
  }

  /**
   * Publishes as fast as it can while it is the writer, logging every acknowledged version with the
   * CRC-32 of its bytes until the stop file exists: {@code file role stopFile heartbeatMillis tag}.
   * Prints "writer" each time it becomes the writer, "fenced REASON" each time a publish finds it
   * is not any more, and "done acked=N fenced=M" at the end.
   */
  static final class FencedPublisher {
    public static void main(String[] args) throws Exception {
      Path file = Path.of(args[0]);
      Role role = Role.valueOf(args[1]);
      Path stop = Path.of(args[2]);
      Duration heartbeat = Duration.ofMillis(Long.parseLong(args[3]));
      String tag = args[4];
      JsonMmapOptions options =
          JsonMmapOptions.builder(file)
              .role(role)
              .heartbeatInterval(heartbeat)
              .pollInterval(Duration.ofMillis(20))
              .maxSize(8L << 20)
              .build();
      try (JsonMmapFile member = JsonMmapFile.open(options)) {
        OUT.println("ready");
        ThreadLocalRandom random = ThreadLocalRandom.current();
        long end = System.nanoTime() + Duration.ofMinutes(3).toNanos();
        long acked = 0;
        long fenced = 0;
        boolean writing = false;
        for (long n = 0; !java.nio.file.Files.exists(stop) && System.nanoTime() < end; n++) {
          if (!member.isWriter()) {
            if (writing) {
              // Fenced off by the heartbeat's check, before a publish found out. A standby that
              // has since read the new writer's version reports no error any more: a publish
              // then says why it is not the writer (fenced="...").
              fenced++;
              String why = member.lastError().map(Throwable::getMessage).orElse(null);
              if (why == null) {
                try {
                  Snapshot s = member.publish(Map.of("by", tag, "n", n));
                  OUT.println("fenced (no error, and the writer again)");
                  OUT.println("writer");
                  OUT.println("acked " + s.version() + " " + crc(s.bytes()));
                  acked++;
                  continue;
                } catch (NotWriterException e) {
                  why = e.getMessage();
                }
              }
              OUT.println("fenced " + why);
            }
            writing = false;
            Thread.onSpinWait();
            java.util.concurrent.locks.LockSupport.parkNanos(200_000);
            continue;
          }
          if (!writing) {
            OUT.println("writer");
            writing = true;
          }
          Map<String, Object> doc = new LinkedHashMap<>();
          doc.put("by", tag);
          doc.put("n", n);
          doc.put("pad", "x".repeat(random.nextInt(2048)));
          try {
            Snapshot s = member.publish(doc);
            OUT.println("acked " + s.version() + " " + crc(s.bytes()));
            acked++;
          } catch (NotWriterException e) {
            fenced++;
            writing = false;
            OUT.println("fenced " + e.getMessage());
          }
        }
        OUT.println("done acked=" + acked + " fenced=" + fenced);
      }
    }
  }

  /**
   * Follows a file through the public API as fast as it can, remembering the CRC-32 of every
   * version it takes in, until the stop file exists: {@code file stopFile}. Prints "result reads=N
   * checksum=C diverged=D nonMonotonic=M version=V crc=X" where checksum counts checksum failures
   * the reader recorded and diverged counts versions seen twice with different bytes.
   */
  static final class ChecksumWatcher {
    public static void main(String[] args) throws Exception {
      Path file = Path.of(args[0]);
      Path stop = Path.of(args[1]);
      JsonMmapOptions options =
          JsonMmapOptions.builder(file)
              .pollInterval(Duration.ofMillis(20))
              .maxSize(8L << 20)
              .build();
      Map<Long, Long> crcs = new java.util.HashMap<>();
      long reads = 0;
      long diverged = 0;
      long nonMonotonic = 0;
      try (JsonMmapFile reader = JsonMmapFile.open(options)) {
        OUT.println("reading");
        long end = System.nanoTime() + Duration.ofMinutes(3).toNanos();
        long last = 0;
        Snapshot s = reader.snapshot();
        boolean stopping = false;
        while (!stopping && System.nanoTime() < end) {
          // One more read after the stop file appears: the last version the writers left.
          stopping = java.nio.file.Files.exists(stop);
          s = reader.refresh();
          reads++;
          if (s.version() == last) {
            continue;
          }
          if (s.version() < last) {
            nonMonotonic++;
          }
          last = s.version();
          Long previous = crcs.putIfAbsent(s.version(), crc(s.bytes()));
          if (previous != null && previous != crc(s.bytes())) {
            diverged++;
          }
        }
        OUT.println(
            "result reads="
                + reads
                + " checksum="
                + reader.readFailures().getOrDefault("checksum", 0L)
                + " diverged="
                + diverged
                + " nonMonotonic="
                + nonMonotonic
                + " failures="
                + reader.readFailures().size()
                + " version="
                + s.version()
                + " crc="
                + crc(s.bytes()));
      }
    }
  }

  static long crc(byte[] bytes) {
    java.util.zip.CRC32 crc = new java.util.zip.CRC32();
    crc.update(bytes);
    return crc.getValue();
  }
}
