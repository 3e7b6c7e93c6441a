package io.github.jsonmmap.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.jsonmmap.JsonMmapFile;
import io.github.jsonmmap.Role;
import io.github.jsonmmap.spring.env.PropertySourceFilter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.support.GenericApplicationContext;

class SharedConfigRefresherTest {

  @TempDir Path dir;

  @Test
  void changesBeforeReadyWaitAndThenTheLatestAppliesOnceOffTheCallingThread() {
    List<SharedConfigChangedEvent> events = new CopyOnWriteArrayList<>();
    List<String> threads = new CopyOnWriteArrayList<>();
    List<Duration> timings = new CopyOnWriteArrayList<>();
    try (JsonMmapFile writer = JsonMmapFile.open(dir.resolve("r.json"), Role.WRITER)) {
      SharedConfigRefresher refresher =
          new SharedConfigRefresher(
              writer,
              "shared.",
              Duration.ofMillis(20),
              event -> {
                events.add((SharedConfigChangedEvent) event);
                threads.add(Thread.currentThread().getName());
              });
      refresher.setRefreshTimer(timings::add);
      refresher.afterPropertiesSet();
      try {
        writer.set("a", 1);
        writer.set("b", 2);
        writer.set("a", 3);
        assertThat(events).as("nothing before the application is ready").isEmpty();

        GenericApplicationContext context = new GenericApplicationContext();
        refresher.onApplicationEvent(
            new ApplicationReadyEvent(
                new SpringApplication(), new String[0], context, Duration.ZERO));
        await().atMost(Duration.ofSeconds(60)).until(() -> events.size() == 1);
        SharedConfigChangedEvent event = events.get(0);
        assertThat(event.previousVersion()).isEqualTo(1);
        assertThat(event.version()).isEqualTo(4);
        assertThat(event.keys().added()).containsExactly("a", "b");
        assertThat(event.propertyNames()).containsExactlyInAnyOrder("shared.a", "shared.b");
        assertThat(threads).containsExactly("jsonmmap-refresh");
        assertThat(timings).hasSize(1);

        writer.set("a", 3);
        writer.set("c", true);
        await().atMost(Duration.ofSeconds(60)).until(() -> events.size() == 2);
        assertThat(events.get(1).keys().all()).containsExactly("c");
        assertThat(refresher.appliedVersion()).isEqualTo(5);
      } finally {
        refresher.destroy();
      }
    }
  }

  @Test
  void keysThePropertySourceKeepsOutNeitherRefreshNorAppearInEvents() {
    List<SharedConfigChangedEvent> events = new CopyOnWriteArrayList<>();
    List<Set<String>> prepared = new CopyOnWriteArrayList<>();
    try (JsonMmapFile writer = JsonMmapFile.open(dir.resolve("x.json"), Role.WRITER)) {
      SharedConfigRefresher refresher =
          new SharedConfigRefresher(
              writer,
              "",
              Duration.ofMillis(20),
              event -> events.add((SharedConfigChangedEvent) event));
      refresher.setExcluded(PropertySourceFilter.DEFAULT::excludes);
      refresher.setPreparer(
          names -> {
            prepared.add(Set.copyOf(names));
            return () -> {};
          });
      refresher.afterPropertiesSet();
      try {
        refresher.onApplicationEvent(
            new ApplicationReadyEvent(
                new SpringApplication(),
                new String[0],
                new GenericApplicationContext(),
                Duration.ZERO));
        long excludedOnly = writer.set("management.endpoints.web.exposure.include", "*").version();
        await()
            .atMost(Duration.ofSeconds(60))
            .until(() -> refresher.appliedVersion() == excludedOnly);
        assertThat(events).as("only an excluded key changed").isEmpty();
        assertThat(prepared).isEmpty();

        writer.merge(java.util.Map.of("server", java.util.Map.of("port", 1), "greeting", "hi"));
        await().atMost(Duration.ofSeconds(60)).until(() -> events.size() == 1);
        assertThat(events.get(0).propertyNames()).containsExactly("greeting");
        assertThat(prepared).containsExactly(Set.of("greeting"));
      } finally {
        refresher.destroy();
      }
    }
  }

  @Test
  void theRefresherSurvivesAnErrorFromWhatItCallsAndAppliesTheNextVersion() {
    List<SharedConfigChangedEvent> events = new CopyOnWriteArrayList<>();
    try (JsonMmapFile writer = JsonMmapFile.open(dir.resolve("e.json"), Role.WRITER)) {
      writer.set("a", 0);
      SharedConfigRefresher refresher =
          new SharedConfigRefresher(
              writer,
              "",
              Duration.ofMillis(5),
              event -> events.add((SharedConfigChangedEvent) event));
      List<Set<String>> prepared = new CopyOnWriteArrayList<>();
      refresher.setPreparer(
          names -> {
            prepared.add(names);
            if (names.contains("boom")) {
              throw new StackOverflowError("from a bean being bound");
            }
            return () -> {};
          });
      refresher.afterPropertiesSet();
      try {
        refresher.onApplicationEvent(
            new ApplicationReadyEvent(
                new SpringApplication(),
                new String[0],
                new GenericApplicationContext(),
                Duration.ZERO));
        long failed = writer.set("boom", 1).version();
        await()
            .atMost(Duration.ofSeconds(60))
            .until(() -> prepared.stream().anyMatch(names -> names.contains("boom")));
        assertThat(refresher.appliedVersion()).isLessThan(failed);

        long next = writer.remove("boom").version();
        writer.set("b", 2);
        await().atMost(Duration.ofSeconds(60)).until(() -> refresher.appliedVersion() > next);
        assertThat(events).isNotEmpty();
        assertThat(events.get(events.size() - 1).keys().all()).containsExactly("b");
      } finally {
        refresher.destroy();
      }
    }
  }
}
