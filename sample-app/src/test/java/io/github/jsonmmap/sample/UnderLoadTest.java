package io.github.jsonmmap.sample;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.jsonmmap.JsonMmapFile;
import io.github.jsonmmap.JsonMmapOptions;
import io.github.jsonmmap.Role;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;

/**
 * A reader instance serving HTTP traffic while the writer publishes hundreds of versions a second:
 * no request fails, refreshes are coalesced, the last version is served, and the heap does not grow
 * over the run.
 *
 * <p>Nothing here depends on how fast the machine is: the writer publishes a fixed number of
 * versions (paced, never faster than {@value #PUBLISHES_PER_SECOND} a second), the clients run
 * until both the versions and a minimum of requests are done, and coalescing is checked against its
 * own rule (at most one refresh per {@value #COALESCE_MILLIS} ms window) over the time the run
 * took. The file lives in a private directory of this run, so builds running side by side never
 * meet.
 */
@SpringBootTest(
    webEnvironment = WebEnvironment.RANDOM_PORT,
    properties = {
      "server.address=127.0.0.1",
      "jsonmmap.role=reader",
      "jsonmmap.file=${" + UnderLoadTest.FILE_PROPERTY + "}",
      "jsonmmap.refresh.coalesce=" + UnderLoadTest.COALESCE_MILLIS + "ms"
    })
@DirtiesContext
class UnderLoadTest {

  static final long COALESCE_MILLIS = 50;

  /**
   * Where this run's file is, for the placeholder of {@code jsonmmap.file} above: a system property
   * set before the context starts, because the starter opens the file while the environment is
   * prepared, before a {@code @DynamicPropertySource} is added to it.
   */
  static final String FILE_PROPERTY = "jsonmmap.test.underLoad.file";

  private static final int PUBLISHES_PER_SECOND = 300;
  private static final int WARM_UP_VERSIONS = 900;
  private static final int VERSIONS = 3600;
  private static final long MIN_REQUESTS = 200;
  private static final int CLIENTS = 4;
  private static final Duration DEADLINE = Duration.ofSeconds(120);

  @TempDir static Path dir;

  private static JsonMmapFile writer;

  private static Path file() {
    return dir.resolve("load.json");
  }

  @BeforeAll
  static void writerCreatesTheFile() {
    writer =
        JsonMmapFile.open(
            JsonMmapOptions.builder(file())
                .role(Role.WRITER)
                .initialDocument(Map.of("greeting", Map.of("message", "v0")))
                .build());
    System.setProperty(FILE_PROPERTY, file().toString());
  }

  @AfterAll
  static void closeWriter() {
    System.clearProperty(FILE_PROPERTY);
    writer.close();
  }

  @LocalServerPort int port;

  @Test
  void readerServesEveryRequestWhileTheWriterPublishesHundredsOfVersionsASecond() throws Exception {
    Http http = new Http("127.0.0.1", port);
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();

    Load warmUp = Load.start(http, CLIENTS);
    long warmedUp;
    try {
      warmedUp = publish(WARM_UP_VERSIONS, 0);
    } finally {
      warmUp.stop();
    }
    long heapBefore = usedHeapAfterGc(memory);
    double refreshesBefore = refreshes(http);

    long started = System.nanoTime();
    Load load = Load.start(http, CLIENTS);
    long last;
    try {
      last = publish(VERSIONS, warmedUp);
      await("requests served under load")
          .atMost(DEADLINE)
          .until(() -> load.ok.get() + load.failed.get() >= MIN_REQUESTS);
    } finally {
      load.stop();
    }
    await("the last version served")
        .atMost(DEADLINE)
        .until(() -> http.get("/api/greeting").get("message").asString().equals("v" + last));
    double refreshCount = refreshes(http) - refreshesBefore;
    long elapsedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
    long heapAfter = usedHeapAfterGc(memory);
    long versions = last - warmedUp;
    // Applies start at least one window apart: those that started during the run, plus one that
    // started before it and was counted after the count was taken.
    long mostRefreshes = elapsedMillis / COALESCE_MILLIS + 2;

    System.out.printf(
        "under load: %d versions in %d ms, %d requests (%d failed), %.0f refreshes (at most %d),"
            + " heap %d -> %d KiB%n",
        versions,
        elapsedMillis,
        load.ok.get() + load.failed.get(),
        load.failed.get(),
        refreshCount,
        mostRefreshes,
        heapBefore / 1024,
        heapAfter / 1024);
    assertThat(load.failed.get()).as("failed requests").isZero();
    assertThat(load.ok.get()).as("requests served").isGreaterThanOrEqualTo(MIN_REQUESTS);
    assertThat(versions).isEqualTo(VERSIONS);
    assertThat(refreshCount)
        .as("refreshes, coalesced: at most one per %d ms window", COALESCE_MILLIS)
        .isLessThanOrEqualTo(mostRefreshes)
        .isLessThanOrEqualTo(versions);
    assertThat(heapAfter - heapBefore).as("heap growth over the run").isLessThan(32L << 20);
  }

  /**
   * Publishes {@code count} versions, at most {@value #PUBLISHES_PER_SECOND} a second; returns the
   * number of the last message.
   */
  private static long publish(int count, long from) {
    long interval = TimeUnit.SECONDS.toNanos(1) / PUBLISHES_PER_SECOND;
    long next = System.nanoTime();
    long n = from;
    for (int i = 0; i < count; i++) {
      writer.set("greeting.message", "v" + (++n));
      next += interval;
      long wait = next - System.nanoTime();
      if (wait > 0) {
        // Pacing the publish rate, not waiting for anything.
        LockSupport.parkNanos(wait);
      }
    }
    return n;
  }

  private static long usedHeapAfterGc(MemoryMXBean memory) {
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    return memory.getHeapMemoryUsage().getUsed();
  }

  private static double refreshes(Http http) {
    return http.get("/actuator/metrics/jsonmmap.refresh")
        .get("measurements")
        .get(0)
        .get("value")
        .asDouble();
  }

  /** Client threads calling GET /api/greeting as fast as they can. */
  private static final class Load {
    final AtomicLong ok = new AtomicLong();
    final AtomicLong failed = new AtomicLong();
    final List<Thread> threads = new ArrayList<>();
    volatile boolean running = true;

    static Load start(Http http, int clients) {
      Load load = new Load();
      for (int i = 0; i < clients; i++) {
        Thread thread =
            new Thread(
                () -> {
                  while (load.running) {
                    try {
                      if (http.get("/api/greeting").get("message").asString().startsWith("v")) {
                        load.ok.incrementAndGet();
                      } else {
                        load.failed.incrementAndGet();
                      }
                    } catch (RuntimeException e) {
                      load.failed.incrementAndGet();
                    }
                  }
                },
                "load-" + i);
        // A failing test must not leave clients hammering the server for the rest of the run.
        thread.setDaemon(true);
        thread.start();
        load.threads.add(thread);
      }
      return load;
    }

    void stop() throws InterruptedException {
      running = false;
      for (Thread thread : threads) {
        thread.join(TimeUnit.SECONDS.toMillis(30));
      }
    }
  }
}
