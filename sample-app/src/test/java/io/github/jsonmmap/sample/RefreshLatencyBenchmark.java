package io.github.jsonmmap.sample;

import io.github.jsonmmap.JsonMmapFile;
import io.github.jsonmmap.JsonMmapOptions;
import io.github.jsonmmap.Role;
import io.github.jsonmmap.spring.SharedConfigRefresher;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.springframework.boot.SpringApplication;
import org.springframework.context.ConfigurableApplicationContext;
import tools.jackson.databind.json.JsonMapper;

/**
 * Benchmark, not a test: the time from a {@code publish} to the sample application's
 * {@code @RefreshScope} bean ({@link GreetingService}) and {@code @ConfigurationProperties} bean
 * ({@link FeaturesProperties}) both returning the new value, with the actuator on the class path.
 * The writer is a handle in this JVM (the reader application learns of the change through its
 * watcher, as from another process). One change every {@code gapMillis}, longer than the coalescing
 * window, as configuration changes come.
 *
 * <p>Run: {@code java -cp <sample-app test class path>
 * io.github.jsonmmap.sample.RefreshLatencyBenchmark [changes=300] [gapMillis=100]
 * [watchMode=events]}.
 */
public final class RefreshLatencyBenchmark {

  private RefreshLatencyBenchmark() {}

  public static void main(String[] args) throws Exception {
    int changes = args.length > 0 ? Integer.parseInt(args[0]) : 300;
    long gapMillis = args.length > 1 ? Long.parseLong(args[1]) : 100;
    String watchMode = args.length > 2 ? args[2] : "events";
    Path directory = Files.createTempDirectory("jsonmmap-bench-");
    Path file = directory.resolve("sample-app.json");
    JsonMapper json = JsonMapper.builder().build();
    try (InputStream initial =
            RefreshLatencyBenchmark.class.getResourceAsStream("/shared-config.json");
        JsonMmapFile writer =
            JsonMmapFile.open(
                JsonMmapOptions.builder(file)
                    .role(Role.WRITER)
                    .initialDocument(json.readTree(initial))
                    .build());
        ConfigurableApplicationContext context =
            SpringApplication.run(
                SampleApplication.class,
                "--jsonmmap.file=" + file,
                "--jsonmmap.role=reader",
                "--jsonmmap.watch-mode=" + watchMode,
                "--server.port=0",
                "--server.address=127.0.0.1",
                "--spring.main.banner-mode=off",
                "--logging.level.root=WARN")) {
      GreetingService greeting = context.getBean(GreetingService.class);
      FeaturesProperties features = context.getBean(FeaturesProperties.class);
      SharedConfigRefresher refresher = context.getBean(SharedConfigRefresher.class);
      long[] micros = new long[changes];
      int warmup = Math.min(50, changes / 5);
      for (int i = -warmup; i < changes; i++) {
        String message = "m" + i;
        String region = "r" + i;
        long started = System.nanoTime();
        writer.merge(
            Map.of(
                "greeting", Map.of("message", message),
                "features", Map.of("regions", List.of(region))));
        long deadline = started + TimeUnit.SECONDS.toNanos(5);
        while (!(message.equals(greeting.message())
            && region.equals(
                features.getRegions().isEmpty() ? null : features.getRegions().get(0)))) {
          if (System.nanoTime() > deadline) {
            throw new IllegalStateException(
                "change " + i + " not seen in 5s, applied=" + refresher.appliedVersion());
          }
          Thread.onSpinWait();
        }
        long elapsed = System.nanoTime() - started;
        if (i >= 0) {
          micros[i] = TimeUnit.NANOSECONDS.toMicros(elapsed);
        }
        Thread.sleep(gapMillis);
      }
      Arrays.sort(micros);
      System.out.printf(
          Locale.ROOT,
          "publish -> @RefreshScope + @ConfigurationProperties see it: changes=%d gap=%dms"
              + " watchMode=%s p50=%.2fms p90=%.2fms p99=%.2fms max=%.2fms%n",
          changes,
          gapMillis,
          watchMode,
          micros[changes / 2] / 1000.0,
          micros[changes * 9 / 10] / 1000.0,
          micros[Math.min(changes - 1, changes * 99 / 100)] / 1000.0,
          micros[changes - 1] / 1000.0);
    } finally {
      try (Stream<Path> paths = Files.walk(directory)) {
        paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
      }
    }
  }
}
