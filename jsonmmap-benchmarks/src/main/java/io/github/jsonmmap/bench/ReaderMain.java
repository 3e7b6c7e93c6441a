package io.github.jsonmmap.bench;

import static java.nio.file.StandardWatchEventKinds.ENTRY_CREATE;
import static java.nio.file.StandardWatchEventKinds.ENTRY_MODIFY;
import static java.nio.file.StandardWatchEventKinds.OVERFLOW;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import io.github.jsonmmap.JsonMmapFile;
import io.github.jsonmmap.JsonMmapOptions;
import io.github.jsonmmap.Role;
import io.github.jsonmmap.WatchMode;
import java.io.BufferedReader;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLongArray;
import redis.clients.jedis.BinaryJedisPubSub;
import redis.clients.jedis.Jedis;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A reader process of the propagation harness. It follows one peer, records for every sequence
 * number it sees the delay from the writer's timestamp to the moment its code has the parsed value,
 * and talks to the harness over stdin/stdout: it prints {@code READY} once it follows, {@code LAST}
 * when it has seen the last sequence, and on {@code STOP} writes the delays (one long per sequence,
 * -1 for a sequence it never saw) to its output file, prints {@code DONE} and exits.
 *
 * <p>Arguments: {@code peer target lastSeq outFile pollMicros}. The target is a file path, or the
 * Redis port for {@link Peer#REDIS}.
 */
public final class ReaderMain {

  static final String CHANNEL = "jsonmmap-bench";

  /** Floor layout: the sequence (release/acquire) and the writer's timestamp. */
  static final int FLOOR_SEQ_OFFSET = 0;

  static final int FLOOR_TS_OFFSET = 8;

  static final int FLOOR_SIZE = 64;

  static final VarHandle LONGS =
      MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  private final AtomicLongArray delays;
  private final int lastSeq;
  private final OutputStream stdout = System.out;
  private volatile boolean stopping;

  private ReaderMain(int lastSeq) {
    this.lastSeq = lastSeq;
    this.delays = new AtomicLongArray(lastSeq + 1);
    for (int i = 0; i <= lastSeq; i++) {
      delays.set(i, -1);
    }
  }

  public static void main(String[] args) throws Exception {
    Peer peer = Peer.valueOf(args[0]);
    String target = args[1];
    int lastSeq = Integer.parseInt(args[2]);
    Path out = Path.of(args[3]);
    long pollMicros = Long.parseLong(args[4]);
    new ReaderMain(lastSeq).run(peer, target, out, pollMicros);
  }

  private void run(Peer peer, String target, Path out, long pollMicros) throws Exception {
    AutoCloseable follower =
        switch (peer) {
          case EVENTS, EVENTS_TEXT, EVENTS_JDK, POLL, SPIN ->
              followJsonmmap(peer, Path.of(target), pollMicros);
          case REDIS -> followRedis(Integer.parseInt(target));
          case FILE -> followFile(Path.of(target));
          case FLOOR -> followFloor(Path.of(target));
          case FLOOR_EVENTS -> followFloorEvents(Path.of(target));
          case BASELINE -> () -> {};
          case BASELINE_LOADED -> loadLibraries(Path.of(target));
        };
    say("READY");
    BufferedReader in =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    String line;
    while ((line = in.readLine()) != null && !line.equals("STOP")) {
      // Only STOP (or the harness going away) ends a reader.
    }
    stopping = true;
    try (DataOutputStream data = new DataOutputStream(Files.newOutputStream(out))) {
      data.writeInt(lastSeq);
      for (int i = 0; i <= lastSeq; i++) {
        data.writeLong(delays.get(i));
      }
    }
    say("DONE");
    try {
      follower.close();
    } finally {
      // A blocked subscriber or watch thread must not keep the process alive.
      System.exit(0);
    }
  }

  /**
   * Uses what a reader JVM uses, without a jsonmmap handle: parses the JSON document at {@code
   * json} into a tree with Jackson 2000 times, and calls into JNA; then nothing runs.
   */
  private static AutoCloseable loadLibraries(Path json) throws IOException {
    byte[] bytes = Files.readAllBytes(json);
    JsonMapper mapper = JsonMapper.builder().build();
    long fields = 0;
    for (int i = 0; i < 2000; i++) {
      fields += mapper.readTree(bytes).properties().size();
    }
    try (Memory memory = new Memory(4096)) {
      memory.setLong(0, fields);
      fields += memory.getLong(0) + Native.getLastError();
    }
    if (fields <= 0) {
      throw new IllegalStateException("parsed nothing from " + json);
    }
    return () -> {};
  }

  private void record(long seq, long publishedAtNanos) {
    long now = Clock.epochNanos();
    if (seq >= 1 && seq <= lastSeq && delays.compareAndSet((int) seq, -1, now - publishedAtNanos)) {
      if (seq == lastSeq) {
        say("LAST");
      }
    }
  }

  private void record(JsonNode doc) {
    record(doc.path("seq").asLong(-1), doc.path("ts").asLong());
  }

  private synchronized void say(String word) {
    try {
      stdout.write((word + "\n").getBytes(StandardCharsets.US_ASCII));
      stdout.flush();
    } catch (IOException e) {
      throw new IllegalStateException("harness went away", e);
    }
  }

  private AutoCloseable followJsonmmap(Peer peer, Path path, long pollMicros)
      throws InterruptedException {
    WatchMode mode =
        switch (peer) {
          case POLL -> WatchMode.POLL;
          case SPIN -> WatchMode.SPIN;
          default -> WatchMode.EVENTS;
        };
    JsonMmapOptions.Builder options =
        JsonMmapOptions.builder(path).role(Role.READER).watchMode(mode);
    if (pollMicros > 0) {
      options.pollInterval(Duration.ofNanos(pollMicros * 1000));
    }
    JsonMmapFile file = JsonMmapFile.open(options.build());
    file.addListener(
        change -> {
          Object seq = change.current().get("seq");
          Object ts = change.current().get("ts");
          if (seq instanceof Number s && ts instanceof Number t) {
            record(s.longValue(), t.longValue());
          }
        });
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (file.snapshot().version() == 0 && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    return file;
  }

  private AutoCloseable followRedis(int port) throws InterruptedException {
    Object subscribed = new Object();
    boolean[] ready = {false};
    BinaryJedisPubSub pubSub =
        new BinaryJedisPubSub() {
          @Override
          public void onMessage(byte[] channel, byte[] message) {
            record(BenchDocs.MAPPER.readTree(message));
          }

          @Override
          public void onSubscribe(byte[] channel, int subscribedChannels) {
            synchronized (subscribed) {
              ready[0] = true;
              subscribed.notifyAll();
            }
          }
        };
    Jedis jedis = new Jedis("127.0.0.1", port);
    Thread thread =
        new Thread(
            () -> {
              try {
                jedis.subscribe(pubSub, CHANNEL.getBytes(StandardCharsets.UTF_8));
              } catch (RuntimeException e) {
                if (!stopping) {
                  e.printStackTrace();
                }
              }
            },
            "redis-subscriber");
    thread.setDaemon(true);
    thread.start();
    synchronized (subscribed) {
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (!ready[0] && System.nanoTime() < deadline) {
        subscribed.wait(100);
      }
    }
    return () -> {
      pubSub.unsubscribe();
      jedis.close();
    };
  }

  private AutoCloseable followFile(Path path) throws IOException {
    WatchService watcher = path.getFileSystem().newWatchService();
    path.getParent().register(watcher, ENTRY_CREATE, ENTRY_MODIFY);
    Path name = path.getFileName();
    Thread thread =
        new Thread(
            () -> {
              try {
                while (true) {
                  WatchKey key = watcher.take();
                  boolean ours = false;
                  for (WatchEvent<?> event : key.pollEvents()) {
                    // An overflow may have swallowed our event: look anyway.
                    ours |= event.kind() == OVERFLOW || name.equals(event.context());
                  }
                  key.reset();
                  if (ours) {
                    record(BenchDocs.MAPPER.readTree(Files.readAllBytes(path)));
                  }
                }
              } catch (Exception e) {
                if (!stopping) {
                  e.printStackTrace();
                }
              }
            },
            "file-watcher");
    thread.setDaemon(true);
    thread.start();
    return watcher;
  }

  /**
   * Blocks in {@code read} on an inotify watch of the directory and loads the sequence after each
   * wake-up: no poll, no dispatch, no file read, no parse. Ends with the process.
   */
  private AutoCloseable followFloorEvents(Path path) throws IOException {
    MappedByteBuffer buffer;
    try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
      buffer = ch.map(FileChannel.MapMode.READ_ONLY, 0, FLOOR_SIZE);
    }
    int fd = RawInotify.inotify_init1(0);
    byte[] dir = path.toAbsolutePath().getParent().toString().getBytes(StandardCharsets.UTF_8);
    if (fd < 0
        || RawInotify.inotify_add_watch(
                fd, Arrays.copyOf(dir, dir.length + 1), RawInotify.IN_ATTRIB | RawInotify.IN_MODIFY)
            < 0) {
      throw new IOException("inotify failed: errno=" + Native.getLastError());
    }
    Memory events = new Memory(64 * 1024);
    Thread thread =
        new Thread(
            () -> {
              long seen = (long) LONGS.getAcquire(buffer, FLOOR_SEQ_OFFSET);
              while (!stopping && RawInotify.read(fd, events, events.size()) > 0) {
                long seq = (long) LONGS.getAcquire(buffer, FLOOR_SEQ_OFFSET);
                if (seq != seen) {
                  seen = seq;
                  record(seq, (long) LONGS.getAcquire(buffer, FLOOR_TS_OFFSET));
                }
              }
            },
            "floor-inotify");
    thread.setDaemon(true);
    thread.start();
    return () -> {};
  }

  private AutoCloseable followFloor(Path path) throws IOException {
    MappedByteBuffer buffer;
    try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
      buffer = ch.map(FileChannel.MapMode.READ_ONLY, 0, FLOOR_SIZE);
    }
    Thread thread =
        new Thread(
            () -> {
              long seen = (long) LONGS.getAcquire(buffer, FLOOR_SEQ_OFFSET);
              while (!stopping) {
                long seq = (long) LONGS.getAcquire(buffer, FLOOR_SEQ_OFFSET);
                if (seq != seen) {
                  seen = seq;
                  record(seq, (long) LONGS.getAcquire(buffer, FLOOR_TS_OFFSET));
                } else {
                  Thread.onSpinWait();
                }
              }
            },
            "floor-spin");
    thread.setDaemon(true);
    thread.start();
    return () -> {};
  }
}
