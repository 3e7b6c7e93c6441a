package io.github.jsonmmap.agent;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.github.jsonmmap.JsonMmapFile;
import io.github.jsonmmap.JsonMmapOptions;
import io.github.jsonmmap.Role;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.CountDownLatch;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A reader process for {@link AgentBenchIT}: prints {@code seen <seq> <epochMicros>
 * <publishedMicros>} (within a quarter of a second) when it first has the document whose {@code
 * seq} is that number ({@code publishedMicros}: when the agent published that version, 0 for a
 * reader on etcd). {@code mmap <file>} reads the host's jsonmmap file; {@code etcd <endpoints>
 * <key>} watches etcd itself, as every process would without the agent.
 */
public final class BenchReader {

  private static final Pattern SEQ = Pattern.compile("\"seq\":(\\d+)");
  private static final long PRINT_EVERY_MS = 250;
  private static final StringBuilder unprinted = new StringBuilder();
  private static long last = -1;

  private BenchReader() {}

  public static void main(String[] args) throws Exception {
    startPrinter();
    if (args[0].equals("mmap")) {
      try (JsonMmapFile file =
          JsonMmapFile.open(
              JsonMmapOptions.builder(Path.of(args[1]))
                  .role(Role.READER)
                  .requireFile(true)
                  .build())) {
        file.addListener(
            change -> seen(change.current().json(), change.current().publishedAtMicros()));
        seen(file.snapshot().json(), file.snapshot().publishedAtMicros());
        System.out.println("ready");
        new CountDownLatch(1).await();
      }
    } else {
      try (Client client = Client.builder().endpoints(args[1].split(",")).build()) {
        ByteSequence key = ByteSequence.from(args[2], StandardCharsets.UTF_8);
        client
            .getWatchClient()
            .watch(
                key,
                response ->
                    response
                        .getEvents()
                        .forEach(
                            e ->
                                seen(
                                    e.getKeyValue().getValue().toString(StandardCharsets.UTF_8),
                                    0)));
        seen(
            client
                .getKVClient()
                .get(key)
                .get()
                .getKvs()
                .get(0)
                .getValue()
                .toString(StandardCharsets.UTF_8),
            0);
        System.out.println("ready");
        new CountDownLatch(1).await();
      }
    }
  }

  private static synchronized void seen(String json, long publishedMicros) {
    long now = ChronoUnit.MICROS.between(Instant.EPOCH, Instant.now());
    Matcher m = SEQ.matcher(json);
    if (m.find()) {
      long seq = Long.parseLong(m.group(1));
      if (seq > last) {
        last = seq;
        unprinted.append("seen ").append(seq).append(' ').append(now).append(' ');
        unprinted.append(publishedMicros).append('\n');
      }
    }
  }

  /**
   * Prints the lines gathered since the last call. Lines are printed every {@link #PRINT_EVERY_MS},
   * not as they come: a line per change woke the harness's pipe reader at the moment the next
   * readers of the same change needed the cores, for each of the readers.
   */
  private static void print() {
    String lines;
    // Taken under the lock, printed outside it: a change never waits for the pipe.
    synchronized (BenchReader.class) {
      lines = unprinted.toString();
      unprinted.setLength(0);
    }
    if (!lines.isEmpty()) {
      System.out.print(lines);
      System.out.flush();
    }
  }

  private static void startPrinter() {
    Thread printer =
        new Thread(
            () -> {
              while (true) {
                try {
                  Thread.sleep(PRINT_EVERY_MS);
                } catch (InterruptedException e) {
                  return;
                }
                print();
              }
            },
            "bench-printer");
    printer.setDaemon(true);
    printer.start();
  }
}
