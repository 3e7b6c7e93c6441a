package io.github.jsonmmap.sample;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.jsonmmap.JsonMmapFile;
import io.github.jsonmmap.JsonMmapOptions;
import io.github.jsonmmap.Role;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Files;
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
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;

/**
 * A reader instance serving HTTP traffic while the writer publishes hundreds of versions a second:
 * no request fails, refreshes are coalesced, the last version is served, and the heap does not grow
 * over the run.
 */
@SpringBootTest(
    webEnvironment = WebEnvironment.RANDOM_PORT,
    properties = {
      "server.address=127.0.0.1",
      "jsonmmap.file=${java.io.tmpdir}/jsonmmap-sample-load/load.json",
      "jsonmmap.role=reader"
    })
@DirtiesContext
class UnderLoadTest {

  private static final Path FILE =
      Path.of(System.getProperty("java.io.tmpdir"), "jsonmmap-sample-load", "load.json");
  private static final int PUBLISHES_PER_SECOND = 300;
  private static final Duration WARM_UP = Duration.ofSeconds(3);
  private static final Duration RUN = Duration.ofSeconds(12);
  private static final int CLIENTS = 4;

  private static JsonMmapFile writer;

  @BeforeAll
  static void writerCreatesTheFile() throws Exception {
    Files.deleteIfExists(FILE);
    Files.deleteIfExists(FILE.resolveSibling("load.json.lock"));
    writer =
        JsonMmapFile.open(
            JsonMmapOptions.builder(FILE)
                .role(Role.WRITER)
                .initialDocument(Map.of("greeting", Map.of("message", "v0")))
                .build());
  }

  @AfterAll
  static void closeWriter() {
    writer.close();
  }

  @LocalServerPort int port;

  @Test
  void readerServesEveryRequestWhileTheWriterPublishesHundredsOfVersionsASecond() throws Exception {
    Http http = new Http("127.0.0.1", port);
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();

    Load warmUp = Load.start(http, CLIENTS);
    long warmedUp = publishFor(WARM_UP, 0);
    warmUp.stop();
    long heapBefore = usedHeapAfterGc(memory);
    double refreshesBefore = refreshes(http);

    Load load = Load.start(http, CLIENTS);
    long last = publishFor(RUN, warmedUp);
    load.stop();
    await()
        .atMost(Duration.ofSeconds(60))
        .until(() -> http.get("/api/greeting").get("message").asString().equals("v" + last));
    long heapAfter = usedHeapAfterGc(memory);
    double refreshCount = refreshes(http) - refreshesBefore;
    long versions = last - warmedUp;

    System.out.printf(
        "under load: %d versions in %ds, %d requests (%d failed), %.0f refreshes, heap %d -> %d"
            + " KiB%n",
        versions,
        RUN.toSeconds(),
        load.ok.get() + load.failed.get(),
        load.failed.get(),
        refreshCount,
        heapBefore / 1024,
        heapAfter / 1024);
    assertThat(load.failed.get()).as("failed requests").isZero();
    assertThat(load.ok.get()).as("requests served").isGreaterThan(100);
    assertThat(versions).isGreaterThan(RUN.toSeconds() * PUBLISHES_PER_SECOND / 2);
    assertThat(refreshCount).as("refreshes, coalesced").isLessThan(versions / 3.0);
    assertThat(heapAfter - heapBefore).as("heap growth over the run").isLessThan(32L << 20);
  }

  /** Publishes at a steady rate for a while; returns the number of the last message. */
  private static long publishFor(Duration duration, long from) {
    long interval = TimeUnit.SECONDS.toNanos(1) / PUBLISHES_PER_SECOND;
    long start = System.nanoTime();
    long end = start + duration.toNanos();
    long n = from;
    for (long next = start; next < end; next += interval) {
      writer.set("greeting.message", "v" + (++n));
      long wait = next + interval - System.nanoTime();
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
