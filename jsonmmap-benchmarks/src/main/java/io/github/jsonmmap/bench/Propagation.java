package io.github.jsonmmap.bench;

import com.sun.jna.Native;
import io.github.jsonmmap.JsonMmapFile;
import io.github.jsonmmap.JsonMmapOptions;
import io.github.jsonmmap.Role;
import java.io.BufferedReader;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import redis.clients.jedis.Jedis;
import tools.jackson.databind.node.ObjectNode;

/**
 * Cross-process propagation: this JVM is the writer; it starts reader JVMs ({@link ReaderMain}),
 * publishes changes on a fixed schedule and collects, per change, the delay from the timestamp
 * taken just before the publish call to the moment a reader's code holds the parsed value.
 *
 * <p>Not thread-safe: one run at a time per instance.
 */
final class Propagation {

  private static final AtomicInteger RUNS = new AtomicInteger();

  /**
   * One run.
   *
   * @param peer what carries the changes
   * @param readers how many reader JVMs
   * @param warmup changes published first and not counted (JIT warm-up of both sides)
   * @param changes changes counted
   * @param interval pause between changes (between bursts when {@code burst > 1})
   * @param burst changes published back to back each time
   * @param docBytes approximate document size
   * @param readerHeap -Xmx of the reader JVMs
   */
  record Spec(
      Peer peer,
      int readers,
      int warmup,
      int changes,
      Duration interval,
      int burst,
      int docBytes,
      String readerHeap) {

    Spec {
      if (readers < 1 || changes < 1 || warmup < 0 || burst < 1) {
        throw new IllegalArgumentException("bad spec: " + this);
      }
    }

    static Spec steady(Peer peer, int readers, int warmup, int changes) {
      return new Spec(peer, readers, warmup, changes, Duration.ofMillis(2), 1, 1024, "64m");
    }

    Spec withInterval(Duration value) {
      return new Spec(peer, readers, warmup, changes, value, burst, docBytes, readerHeap);
    }

    Spec withBurst(int value) {
      return new Spec(peer, readers, warmup, changes, interval, value, docBytes, readerHeap);
    }

    Spec withDoc(int bytes, String heap) {
      return new Spec(peer, readers, warmup, changes, interval, burst, bytes, heap);
    }

    String describe() {
      return peer.label()
          + ", "
          + readers
          + (readers == 1 ? " reader" : " readers")
          + ", "
          + BenchDocs.size(docBytes)
          + (burst > 1 ? ", bursts of " + burst : "");
    }
  }

  /**
   * What a run measured, in nanoseconds.
   *
   * @param all every delay every reader recorded
   * @param lastReader per change seen by all readers, the delay until the last of them had it
   * @param delivered delays recorded (changes x readers when nothing was skipped)
   * @param publish time the writer spent in its publish call
   * @param docBytes the actual serialised size of the document
   */
  record Result(
      Spec spec,
      Histogram all,
      Histogram lastReader,
      long delivered,
      Histogram publish,
      int docBytes) {

    long expected() {
      return (long) spec.changes() * spec.readers();
    }
  }

  private final Path workDir;
  private final RedisServer redis;

  /**
   * @param workDir where the shared files go (a tmpfs such as /dev/shm is what a host would use)
   * @param redis the server for {@link Peer#REDIS} runs; may be null when none are made
   */
  Propagation(Path workDir, RedisServer redis) {
    this.workDir = workDir;
    this.redis = redis;
  }

  Result run(Spec spec) throws IOException, InterruptedException {
    Path dir = workDir.resolve(spec.peer().name().toLowerCase() + "-" + RUNS.incrementAndGet());
    Files.createDirectories(dir);
    ObjectNode items = BenchDocs.items(spec.docBytes());
    int docBytes =
        BenchDocs.serialize(BenchDocs.root(Long.MAX_VALUE, Long.MAX_VALUE, items)).length;
    int lastSeq = spec.warmup() + spec.changes();
    List<Child> children = new ArrayList<>();
    Histogram publish = new Histogram(3);
    try (Publisher publisher = publisher(spec.peer(), dir, docBytes, items)) {
      publisher.publish(0, Clock.epochNanos(), items);
      for (int i = 0; i < spec.readers(); i++) {
        children.add(
            Child.start(
                spec.peer(),
                publisher.target(),
                lastSeq,
                dir.resolve("reader-" + i),
                pollMicros(spec.peer()),
                spec.readerHeap()));
      }
      for (Child child : children) {
        child.await("READY", Duration.ofSeconds(60));
      }
      long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(50);
      long intervalNanos = spec.interval().toNanos();
      for (int seq = 1; seq <= lastSeq; seq++) {
        if ((seq - 1) % spec.burst() == 0) {
          long due = start + ((seq - 1) / spec.burst()) * intervalNanos;
          long wait;
          while ((wait = due - System.nanoTime()) > 0) {
            LockSupport.parkNanos(wait);
          }
        }
        long ts = Clock.epochNanos();
        long t0 = System.nanoTime();
        publisher.publish(seq, ts, items);
        if (seq > spec.warmup()) {
          publish.recordValue(Math.max(0, System.nanoTime() - t0));
        }
      }
      Duration grace = Duration.ofSeconds(30).plus(spec.interval().multipliedBy(10));
      for (Child child : children) {
        child.await("LAST", grace);
      }
      for (Child child : children) {
        child.stop();
      }
    } finally {
      for (Child child : children) {
        child.close();
      }
    }
    Histogram all = new Histogram(3);
    Histogram last = new Histogram(3);
    long[] max = new long[lastSeq + 1];
    int[] seen = new int[lastSeq + 1];
    long delivered = 0;
    for (Child child : children) {
      long[] delays = child.delays();
      for (int seq = spec.warmup() + 1; seq <= lastSeq; seq++) {
        long d = delays[seq];
        if (d >= 0) {
          all.recordValue(d);
          delivered++;
          seen[seq]++;
          max[seq] = Math.max(max[seq], d);
        }
      }
    }
    for (int seq = spec.warmup() + 1; seq <= lastSeq; seq++) {
      if (seen[seq] == spec.readers()) {
        last.recordValue(max[seq]);
      }
    }
    deleteRecursively(dir);
    return new Result(spec, all, last, delivered, publish, docBytes);
  }

  private static long pollMicros(Peer peer) {
    return peer == Peer.POLL ? 1000 : 0;
  }

  private Publisher publisher(Peer peer, Path dir, int docBytes, ObjectNode items)
      throws IOException {
    return switch (peer) {
      case EVENTS, EVENTS_JDK, POLL, SPIN ->
          new MmapPublisher(dir.resolve("config.jsonmmap"), docBytes, null);
      case EVENTS_TEXT ->
          new MmapPublisher(dir.resolve("config.jsonmmap"), docBytes, new BenchDocs.Text(items));
      case REDIS -> new RedisPublisher(requireRedis().port());
      case FILE -> new FilePublisher(dir.resolve("config.json"));
      case FLOOR -> new FloorPublisher(dir.resolve("floor.shm"), false);
      case FLOOR_EVENTS -> new FloorPublisher(dir.resolve("floor.shm"), true);
      case BASELINE, BASELINE_LOADED ->
          throw new IllegalArgumentException(peer + " publishes nothing");
    };
  }

  private RedisServer requireRedis() {
    if (redis == null) {
      throw new IllegalStateException("a Redis run needs a redis-server");
    }
    return redis;
  }

  /** The writer side of a peer. */
  interface Publisher extends AutoCloseable {
    void publish(long seq, long ts, ObjectNode items) throws IOException;

    /** What a reader needs to follow: a path or a port. */
    String target();

    @Override
    void close() throws IOException;
  }

  static final class MmapPublisher implements Publisher {
    private final JsonMmapFile file;

    /** The entries' text when each version is published as its JSON text, else null (a tree). */
    private final BenchDocs.Text text;

    MmapPublisher(Path path, int docBytes, BenchDocs.Text text) {
      this.text = text;
      this.file =
          JsonMmapFile.open(
              JsonMmapOptions.builder(path)
                  .role(Role.WRITER)
                  .maxSize(Math.max(JsonMmapOptions.DEFAULT_MAX_SIZE, 4L * docBytes + (1 << 20)))
                  .build());
    }

    @Override
    public void publish(long seq, long ts, ObjectNode items) {
      file.publish(text == null ? BenchDocs.root(seq, ts, items) : text.version(seq, ts));
    }

    @Override
    public String target() {
      return file.path().toString();
    }

    @Override
    public void close() {
      file.close();
    }
  }

  static final class RedisPublisher implements Publisher {
    private final Jedis jedis;
    private final String port;
    private final byte[] channel = ReaderMain.CHANNEL.getBytes(StandardCharsets.UTF_8);

    RedisPublisher(int port) {
      this.jedis = new Jedis("127.0.0.1", port);
      this.port = Integer.toString(port);
    }

    @Override
    public void publish(long seq, long ts, ObjectNode items) {
      jedis.publish(channel, BenchDocs.serialize(BenchDocs.root(seq, ts, items)));
    }

    @Override
    public String target() {
      return port;
    }

    @Override
    public void close() {
      jedis.close();
    }
  }

  static final class FilePublisher implements Publisher {
    private final Path path;
    private final Path temp;

    FilePublisher(Path path) throws IOException {
      this.path = path;
      // Written beside the watched directory (same file system, so the rename stays atomic): the
      // readers see one event per change, as with a config tool that stages elsewhere.
      Path staging = path.getParent().resolveSibling(path.getParent().getFileName() + "-staging");
      Files.createDirectories(staging);
      this.temp = staging.resolve(path.getFileName() + ".tmp");
    }

    @Override
    public void publish(long seq, long ts, ObjectNode items) throws IOException {
      Files.write(temp, BenchDocs.serialize(BenchDocs.root(seq, ts, items)));
      Files.move(temp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    @Override
    public String target() {
      return path.toString();
    }

    @Override
    public void close() throws IOException {
      deleteRecursively(temp.getParent());
    }
  }

  static final class FloorPublisher implements Publisher {
    private final Path path;
    private final FileChannel channel;
    private final MappedByteBuffer buffer;
    private final int touchFd;

    /**
     * @param touch whether to bump the modification time after each store as the jsonmmap writer
     *     does ({@code futimens} on a descriptor of the file), for readers woken by inotify
     */
    FloorPublisher(Path path, boolean touch) throws IOException {
      this.path = path;
      this.channel =
          FileChannel.open(
              path,
              StandardOpenOption.CREATE,
              StandardOpenOption.READ,
              StandardOpenOption.WRITE,
              StandardOpenOption.TRUNCATE_EXISTING);
      this.buffer = channel.map(FileChannel.MapMode.READ_WRITE, 0, ReaderMain.FLOOR_SIZE);
      byte[] name = path.toString().getBytes(StandardCharsets.UTF_8);
      this.touchFd = touch ? RawInotify.open(Arrays.copyOf(name, name.length + 1), 0) : -1;
      if (touch && touchFd < 0) {
        channel.close();
        throw new IOException("cannot open " + path + ": errno=" + Native.getLastError());
      }
    }

    @Override
    public void publish(long seq, long ts, ObjectNode items) throws IOException {
      ReaderMain.LONGS.setRelease(buffer, ReaderMain.FLOOR_TS_OFFSET, ts);
      ReaderMain.LONGS.setRelease(buffer, ReaderMain.FLOOR_SEQ_OFFSET, seq);
      if (touchFd >= 0 && RawInotify.futimens(touchFd, null) != 0) {
        throw new IOException("futimens failed: errno=" + Native.getLastError());
      }
    }

    @Override
    public String target() {
      return path.toString();
    }

    @Override
    public void close() throws IOException {
      if (touchFd >= 0) {
        RawInotify.close(touchFd);
      }
      channel.close();
    }
  }

  /** A reader JVM this run started; only these processes are ever stopped. */
  static final class Child implements AutoCloseable {
    private final Process process;
    private final Path out;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();

    private Child(Process process, Path out) {
      this.process = process;
      this.out = out;
      Thread pump =
          new Thread(
              () -> {
                try (BufferedReader r =
                    new BufferedReader(
                        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                  String line;
                  while ((line = r.readLine()) != null) {
                    lines.add(line.trim());
                  }
                } catch (IOException e) {
                  // The process ended; await() reports what is missing.
                }
                lines.add("EOF");
              },
              "child-" + process.pid());
      pump.setDaemon(true);
      pump.start();
    }

    static Child start(
        Peer peer, String target, int lastSeq, Path base, long pollMicros, String heap)
        throws IOException {
      Path out = base.resolveSibling(base.getFileName() + ".bin");
      List<String> command = new ArrayList<>(javaCommand(heap));
      command.addAll(peer.jvmArgs());
      command.addAll(extraReaderArgs());
      command.add(ReaderMain.class.getName());
      command.add(peer.name());
      command.add(target);
      command.add(Integer.toString(lastSeq));
      command.add(out.toString());
      command.add(Long.toString(pollMicros));
      Process process =
          new ProcessBuilder(command)
              .redirectError(base.resolveSibling(base.getFileName() + ".err").toFile())
              .start();
      return new Child(process, out);
    }

    long pid() {
      return process.pid();
    }

    void await(String word, Duration timeout) throws InterruptedException, IOException {
      long deadline = System.nanoTime() + timeout.toNanos();
      while (true) {
        String line = lines.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        if (word.equals(line)) {
          return;
        }
        if (line == null || line.equals("EOF")) {
          throw new IOException(
              "reader pid="
                  + process.pid()
                  + " did not say "
                  + word
                  + (line == null ? " within " + timeout : " before exiting")
                  + "; see "
                  + out.resolveSibling(out.getFileName().toString().replace(".bin", ".err")));
        }
      }
    }

    void stop() throws IOException, InterruptedException {
      OutputStream stdin = process.getOutputStream();
      stdin.write("STOP\n".getBytes(StandardCharsets.US_ASCII));
      stdin.flush();
      await("DONE", Duration.ofSeconds(30));
      process.waitFor(10, TimeUnit.SECONDS);
    }

    long[] delays() throws IOException {
      try (DataInputStream in =
          new DataInputStream(new java.io.BufferedInputStream(Files.newInputStream(out)))) {
        int last = in.readInt();
        long[] delays = new long[last + 1];
        for (int i = 0; i <= last; i++) {
          delays[i] = in.readLong();
        }
        return delays;
      }
    }

    @Override
    public void close() {
      if (process.isAlive()) {
        process.destroy();
        try {
          if (!process.waitFor(5, TimeUnit.SECONDS)) {
            process.destroyForcibly();
          }
        } catch (InterruptedException e) {
          process.destroyForcibly();
          Thread.currentThread().interrupt();
        }
      }
    }
  }

  /**
   * {@code -Djsonmmap.bench.readerJvmArgs="..."}: more options for every reader JVM, split on
   * spaces (a JFR recording when profiling, say).
   */
  static List<String> extraReaderArgs() {
    String extra = System.getProperty("jsonmmap.bench.readerJvmArgs", "").trim();
    return extra.isEmpty() ? List.of() : List.of(extra.split("\\s+"));
  }

  /** The command that starts a JVM like this one, on this class path. */
  static List<String> javaCommand(String heap) {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    return List.of(
        java.toString(),
        "-Xms" + (heap.equals("64m") ? "32m" : "64m"),
        "-Xmx" + heap,
        "-XX:+UseSerialGC",
        "-XX:-UsePerfData",
        "-Xss512k",
        "-cp",
        System.getProperty("java.class.path"));
  }

  static void deleteRecursively(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (var paths = Files.walk(dir)) {
      for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
