package io.github.jsonmmap.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.cloud.context.config.annotation.RefreshScope;
import org.springframework.context.annotation.Bean;
import org.springframework.context.event.EventListener;
import org.springframework.core.env.Environment;

/**
 * A Spring application reading the shared file while a writer in another JVM changes it: the
 * {@code @RefreshScope} bean, the {@code @ConfigurationProperties} bean and the environment follow,
 * removed keys disappear, and a burst of versions gives few refreshes ending on the last one.
 */
@SpringBootTest(
    classes = SharedConfigRefreshTest.App.class,
    webEnvironment = SpringBootTest.WebEnvironment.NONE,
    properties = {
      "jsonmmap.file=${java.io.tmpdir}/jsonmmap-starter-test/refresh.json",
      "jsonmmap.role=reader",
      "jsonmmap.refresh.coalesce=30ms",
      "spring.config.import=classpath:refresh-test.properties",
      "management.endpoints.access.default=none"
    })
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SharedConfigRefreshTest {

  private static final Path FILE =
      Path.of(System.getProperty("java.io.tmpdir"), "jsonmmap-starter-test", "refresh.json");

  private static WriterProcess writer;

  @BeforeAll
  static void startWriterInAnotherJvm() throws Exception {
    Files.deleteIfExists(FILE);
    Files.deleteIfExists(FILE.resolveSibling("refresh.json.lock"));
    writer =
        WriterProcess.start(
            FILE,
            "{\"greeting\":{\"message\":\"hello from the shared file\"},"
                + "\"features\":{\"beta\":true,\"regions\":[\"eu\",\"us\"]}}");
  }

  @AfterAll
  static void stopWriter() {
    writer.close();
  }

  @Autowired Greeter greeter;
  @Autowired Features features;
  @Autowired Environment environment;
  @Autowired Events events;
  @Autowired SharedConfigTemplate template;

  @Test
  @Order(1)
  void sharedValuesAreThereFromStartupAboveApplicationConfig() {
    assertThat(greeter.message()).isEqualTo("hello from the shared file");
    assertThat(features.isBeta()).isTrue();
    assertThat(features.getRegions()).containsExactly("eu", "us");
    assertThat(template.isWriter()).isFalse();
  }

  @Test
  @Order(2)
  void aChangeInAnotherJvmReachesRefreshScopeAndConfigurationProperties() {
    long version = writer.send("set greeting.message \"changed in another JVM\"");
    writer.send("set features.regions [\"eu\",\"us\",\"ap\"]");
    await()
        .atMost(Duration.ofSeconds(60))
        .untilAsserted(
            () -> {
              assertThat(greeter.message()).isEqualTo("changed in another JVM");
              assertThat(features.getRegions()).containsExactly("eu", "us", "ap");
            });
    assertThat(events.received)
        .anySatisfy(e -> assertThat(e.version()).isGreaterThanOrEqualTo(version));
    assertThat(events.received)
        .flatExtracting(e -> e.propertyNames())
        .contains("greeting.message", "features.regions[2]");
  }

  @Test
  @Order(3)
  void removedKeysDisappearFromTheEnvironment() {
    writer.send("remove features.beta");
    writer.send("remove greeting");
    await()
        .atMost(Duration.ofSeconds(60))
        .untilAsserted(
            () -> {
              assertThat(environment.getProperty("greeting.message"))
                  .isEqualTo("from application config");
              assertThat(greeter.message()).isEqualTo("from application config");
              assertThat(features.isBeta()).isFalse();
            });
  }

  @Test
  @Order(4)
  void aBurstOfVersionsIsCoalescedAndTheLastOneAppliesOnce() {
    int before = events.received.size();
    long last = writer.send("burst 200 counter");
    await()
        .atMost(Duration.ofSeconds(60))
        .until(() -> events.received.stream().anyMatch(e -> e.version() == last));
    List<SharedConfigChangedEvent> burst =
        new ArrayList<>(events.received.subList(before, events.received.size()));
    assertThat(burst.size()).as("refreshes for 200 versions").isLessThan(100);
    assertThat(burst.stream().filter(e -> e.version() == last)).hasSize(1);
    assertThat(environment.getProperty("counter")).isEqualTo("200");
    for (int i = 1; i < burst.size(); i++) {
      assertThat(burst.get(i).previousVersion()).isEqualTo(burst.get(i - 1).version());
    }
  }

  @SpringBootConfiguration(proxyBeanMethods = false)
  @EnableAutoConfiguration
  @EnableConfigurationProperties(Features.class)
  static class App {

    @Bean
    @RefreshScope
    Greeter greeter(@Value("${greeting.message:none}") String message) {
      return new Greeter(message);
    }

    @Bean
    Events events() {
      return new Events();
    }
  }

  /** A class, not a record: @RefreshScope proxies by subclassing. */
  static class Greeter {
    private final String message;

    Greeter(String message) {
      this.message = message;
    }

    String message() {
      return message;
    }
  }

  static class Events {
    final List<SharedConfigChangedEvent> received = new CopyOnWriteArrayList<>();

    @EventListener
    void on(SharedConfigChangedEvent event) {
      received.add(event);
    }
  }

  @ConfigurationProperties("features")
  static class Features {
    private boolean beta;
    private List<String> regions = new ArrayList<>();

    public boolean isBeta() {
      return beta;
    }

    public void setBeta(boolean beta) {
      this.beta = beta;
    }

    public List<String> getRegions() {
      return regions;
    }

    public void setRegions(List<String> regions) {
      this.regions = regions;
    }
  }
}
