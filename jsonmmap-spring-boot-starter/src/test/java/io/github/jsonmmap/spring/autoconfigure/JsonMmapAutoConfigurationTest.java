package io.github.jsonmmap.spring.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.jsonmmap.CorruptFileException;
import io.github.jsonmmap.DocumentTooLargeException;
import io.github.jsonmmap.FileMissingException;
import io.github.jsonmmap.InvalidDocumentException;
import io.github.jsonmmap.JsonMmapFile;
import io.github.jsonmmap.JsonMmapOptions;
import io.github.jsonmmap.NotWriterException;
import io.github.jsonmmap.Role;
import io.github.jsonmmap.UntrustedFileException;
import io.github.jsonmmap.WriterLockedException;
import io.github.jsonmmap.spring.SharedConfigBindException;
import io.github.jsonmmap.spring.SharedConfigBinding;
import io.github.jsonmmap.spring.SharedConfigCloudRefresher;
import io.github.jsonmmap.spring.SharedConfigRefresher;
import io.github.jsonmmap.spring.SharedConfigTemplate;
import io.github.jsonmmap.spring.SharedConfigValidationException;
import io.github.jsonmmap.spring.SharedConfigValidator;
import io.github.jsonmmap.spring.env.JsonMmapPropertySource;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.support.DefaultListableBeanFactory;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.cloud.context.scope.refresh.RefreshScope;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.MutablePropertySources;
import org.springframework.core.env.StandardEnvironment;

class JsonMmapAutoConfigurationTest {

  private final ApplicationContextRunner runner =
      new ApplicationContextRunner()
          .withConfiguration(
              AutoConfigurations.of(
                  JsonMmapAutoConfiguration.class, JsonMmapRefreshAutoConfiguration.class));

  @TempDir Path dir;

  private String file() {
    return "jsonmmap.file=" + dir.resolve("shared.json");
  }

  /** A record, which @RefreshScope cannot refresh but a binding can. */
  record Limits(int rate, int burst) {}

  @Test
  void writerGetsATemplateAndTheLivePropertySource() {
    runner
        .withPropertyValues(file(), "jsonmmap.role=writer")
        .run(
            context -> {
              SharedConfigTemplate template = context.getBean(SharedConfigTemplate.class);
              assertThat(template.isWriter()).isTrue();
              template.set("greeting.message", "hi");
              assertThat(context.getEnvironment().getProperty("greeting.message")).isEqualTo("hi");
              assertThat(
                      context
                          .getEnvironment()
                          .getPropertySources()
                          .get(JsonMmapPropertySource.NAME))
                  .isInstanceOf(JsonMmapPropertySource.class);
              template.remove("greeting.message");
              assertThat(context.getEnvironment().containsProperty("greeting.message")).isFalse();
              assertThat(context).hasSingleBean(SharedConfigRefresher.class);
              assertThat(context).hasSingleBean(SharedConfigCloudRefresher.class);
            });
  }

  @Test
  void trustSettingsReachTheFileOptions() {
    runner
        .withPropertyValues(
            file(),
            "jsonmmap.role=writer",
            "jsonmmap.strict-modes=false",
            "jsonmmap.trusted-users=deploy,1001")
        .run(
            context -> {
              JsonMmapOptions options = context.getBean(JsonMmapFile.class).options();
              assertThat(options.strictModes()).isFalse();
              assertThat(options.trustedUsers()).containsExactlyInAnyOrder("deploy", "1001");
            });
  }

  @Test
  void worldWritablePermissionsAreAConfigurationErrorEvenWithoutStrictModes() {
    runner
        .withPropertyValues(file(), "jsonmmap.role=writer", "jsonmmap.permissions=rw-rw-rw-")
        .run(
            context ->
                assertThat(context)
                    .hasFailed()
                    .getFailure()
                    .rootCause()
                    .hasMessageContaining("world-writable"));
  }

  @Test
  void typedReadsDefaultsAndABindingThatStaysCurrent() {
    runner
        .withPropertyValues(
            file(),
            "jsonmmap.role=writer",
            "jsonmmap.initial-document=classpath:shared-initial.json")
        .run(
            context -> {
              SharedConfigTemplate template = context.getBean(SharedConfigTemplate.class);
              assertThat(template.version()).isEqualTo(1);
              assertThat(template.get("limits.rate")).isEqualTo(10);
              assertThat(template.get("limits.rate", Long.class)).isEqualTo(10L);
              assertThat(template.get("limits.missing", Integer.class, 7)).isEqualTo(7);
              assertThat(template.get("limits", Limits.class)).isEqualTo(new Limits(10, 20));
              SharedConfigBinding<Limits> limits = template.bind("limits", Limits.class);
              assertThat(limits.get()).isEqualTo(new Limits(10, 20));
              template.merge(Map.of("limits", Map.of("rate", 99)));
              assertThat(limits.get()).isEqualTo(new Limits(99, 20));
              template.set("limits.rate", "not a number");
              assertThat(limits.get())
                  .as("keeps the last good instance")
                  .isEqualTo(new Limits(99, 20));
              assertThat(limits.lastError()).isPresent();
            });
  }

  @Test
  void validatorsRejectWithEveryReasonAndNothingIsWritten() {
    runner
        .withPropertyValues(file(), "jsonmmap.role=writer")
        .withUserConfiguration(Validators.class)
        .run(
            context -> {
              SharedConfigTemplate template = context.getBean(SharedConfigTemplate.class);
              template.set("port", 8080);
              long version = template.version();
              assertThatThrownBy(() -> template.merge(Map.of("port", 70000, "secret", "x")))
                  .isInstanceOf(SharedConfigValidationException.class)
                  .hasMessageContaining("port must be below 65536")
                  .hasMessageContaining("no secrets in shared config")
                  .satisfies(
                      e -> assertThat(((SharedConfigValidationException) e).problems()).hasSize(2));
              assertThat(template.version()).isEqualTo(version);
              assertThat(template.get("port")).isEqualTo(8080);
            });
  }

  @Configuration(proxyBeanMethods = false)
  static class Validators {
    @Bean
    SharedConfigValidator portRange() {
      return doc ->
          doc.path("port").asInt(0) >= 65536 ? List.of("port must be below 65536") : List.of();
    }

    @Bean
    SharedConfigValidator noSecrets() {
      return doc -> doc.has("secret") ? List.of("no secrets in shared config") : List.of();
    }
  }

  @Test
  void readerFailsToStartWithoutTheFileAndTheAnalyzerNamesTheProperty() {
    runner
        .withPropertyValues(file())
        .run(
            context -> {
              assertThat(context).hasFailed();
              Throwable failure = context.getStartupFailure();
              FailureAnalysis analysis = new JsonMmapFailureAnalyzer().analyze(failure);
              assertThat(analysis.getCause()).isInstanceOf(FileMissingException.class);
              assertThat(analysis.getDescription())
                  .contains("file does not exist")
                  .contains("shared.json");
              assertThat(analysis.getAction()).contains("jsonmmap.optional=true");
            });
  }

  @Test
  void optionalReaderStartsWithoutTheFileAndAttachesWhenItAppears() {
    runner
        .withPropertyValues(file(), "jsonmmap.optional=true", "jsonmmap.poll-interval=50ms")
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              SharedConfigTemplate template = context.getBean(SharedConfigTemplate.class);
              assertThat(template.version()).isZero();
              try (JsonMmapFile writer =
                  JsonMmapFile.open(dir.resolve("shared.json"), Role.WRITER)) {
                writer.set("late", true);
                org.awaitility.Awaitility.await()
                    .atMost(java.time.Duration.ofSeconds(60))
                    .until(
                        () ->
                            Boolean.TRUE.equals(
                                context.getEnvironment().getProperty("late", Boolean.class)));
              }
            });
  }

  @Test
  void secondWriterFailsWithTheHolderAndAnActionNamingTheRole() {
    try (JsonMmapFile holder = JsonMmapFile.open(dir.resolve("shared.json"), Role.WRITER)) {
      runner
          .withPropertyValues(file(), "jsonmmap.role=writer")
          .run(
              context -> {
                assertThat(context).hasFailed();
                FailureAnalysis analysis =
                    new JsonMmapFailureAnalyzer().analyze(context.getStartupFailure());
                assertThat(analysis.getCause()).isInstanceOf(WriterLockedException.class);
                assertThat(analysis.getDescription())
                    .contains("another process holds the writer lock");
                assertThat(analysis.getAction()).contains("jsonmmap.role=auto");
              });
      assertThat(holder.isWriter()).isTrue();
    }
  }

  @Test
  void capacityOverTheMaximumIsAConfigurationErrorNamingTheProperties() {
    runner
        .withPropertyValues(
            file(),
            "jsonmmap.role=writer",
            "jsonmmap.initial-capacity=2MB",
            "jsonmmap.max-size=1MB")
        .run(
            context -> {
              assertThat(context).hasFailed();
              FailureAnalysis analysis =
                  new JsonMmapFailureAnalyzer().analyze(context.getStartupFailure());
              assertThat(analysis.getDescription()).contains("initialCapacity out of range");
              assertThat(analysis.getAction()).contains("jsonmmap.initial-capacity");
            });
  }

  @Test
  void disabledTurnsEverythingOff() {
    runner
        .withPropertyValues(file(), "jsonmmap.enabled=false")
        .run(
            context -> {
              assertThat(context).doesNotHaveBean(JsonMmapFile.class);
              assertThat(context).doesNotHaveBean(SharedConfigTemplate.class);
              assertThat(
                      context
                          .getEnvironment()
                          .getPropertySources()
                          .contains(JsonMmapPropertySource.NAME))
                  .isFalse();
            });
  }

  @Test
  void userTemplateReplacesOurs() {
    runner
        .withPropertyValues(file(), "jsonmmap.role=writer")
        .withBean("custom", SharedConfigTemplate.class, () -> null)
        .run(
            context ->
                assertThat(context)
                    .getBeanNames(SharedConfigTemplate.class)
                    .containsExactly("custom"));
  }

  @Test
  void withoutSpringCloudTheCloudRefreshBacksOff() {
    runner
        .withPropertyValues(file(), "jsonmmap.role=writer")
        .withClassLoader(new FilteredClassLoader(RefreshScope.class))
        .run(
            context -> {
              assertThat(context).hasSingleBean(SharedConfigRefresher.class);
              assertThat(context).doesNotHaveBean(SharedConfigCloudRefresher.class);
            });
  }

  @Test
  void refreshCanBeTurnedOff() {
    runner
        .withPropertyValues(file(), "jsonmmap.role=writer", "jsonmmap.refresh.enabled=false")
        .run(context -> assertThat(context).doesNotHaveBean(SharedConfigCloudRefresher.class));
  }

  @Test
  void precedenceDefaultsToBelowSystemSettingsAndAboveApplicationConfig() {
    MutablePropertySources sources = new MutablePropertySources();
    sources.addLast(new MapPropertySource("commandLineArgs", Map.of()));
    sources.addLast(
        new MapPropertySource(
            StandardEnvironment.SYSTEM_PROPERTIES_PROPERTY_SOURCE_NAME, Map.of()));
    sources.addLast(
        new MapPropertySource(
            StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME, Map.of()));
    sources.addLast(new MapPropertySource("Config resource 'application.properties'", Map.of()));
    try (JsonMmapFile file = JsonMmapFile.open(dir.resolve("p.json"), Role.WRITER)) {
      JsonMmapPropertySource source = new JsonMmapPropertySource(file, "");
      SharedFileOptions.place(
          sources, source, JsonMmapProperties.Precedence.AFTER_SYSTEM_ENVIRONMENT);
      assertThat(sources.stream().map(s -> s.getName()).toList())
          .containsExactly(
              "commandLineArgs",
              "systemProperties",
              "systemEnvironment",
              "jsonmmap",
              "Config resource 'application.properties'");
      sources.remove("jsonmmap");
      SharedFileOptions.place(sources, source, JsonMmapProperties.Precedence.FIRST);
      assertThat(sources.iterator().next().getName()).isEqualTo("jsonmmap");
      sources.remove("jsonmmap");
      SharedFileOptions.place(sources, source, JsonMmapProperties.Precedence.LAST);
      assertThat(sources.stream().reduce((a, b) -> b).orElseThrow().getName())
          .isEqualTo("jsonmmap");
    }
  }

  @Test
  void prefixPutsSharedKeysUnderANamespace() {
    runner
        .withPropertyValues(
            file(), "jsonmmap.role=writer", "jsonmmap.property-source.prefix=shared.")
        .run(
            context -> {
              context.getBean(SharedConfigTemplate.class).set("a.b", "c");
              assertThat(context.getEnvironment().getProperty("shared.a.b")).isEqualTo("c");
              assertThat(context.getEnvironment().getProperty("a.b")).isNull();
            });
  }

  @Test
  void nothingDeclaredMeansNoFileNoBeansAndNoFailure() {
    runner
        .withPropertyValues("jsonmmap.role=writer", "jsonmmap.flie=" + dir.resolve("typo.json"))
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              assertThat(context).doesNotHaveBean(JsonMmapFile.class);
              assertThat(context).doesNotHaveBean(SharedConfigTemplate.class);
              assertThat(dir).isEmptyDirectory();
            });
  }

  @Test
  void explicitlyEnabledWithoutAFileUsesThePerUserDirectoryNotASharedOne() {
    String name = "spring-integration-test-" + ProcessHandle.current().pid();
    Path expected = JsonMmapOptions.defaultDirectory().resolve(name + ".json");
    try {
      runner
          .withPropertyValues(
              "jsonmmap.enabled=true", "jsonmmap.name=" + name, "jsonmmap.role=writer")
          .run(
              context -> {
                assertThat(context).hasNotFailed();
                assertThat(context.getBean(JsonMmapFile.class).path()).isEqualTo(expected);
              });
    } finally {
      deleteQuietly(expected);
      deleteQuietly(expected.resolveSibling(name + ".json.lock"));
    }
  }

  @Test
  void twoContextsWithDifferentRolesOnOneFileEachActInTheirRole() {
    runner
        .withPropertyValues(file(), "jsonmmap.role=writer")
        .run(
            writerContext ->
                runner
                    .withPropertyValues(file(), "jsonmmap.role=reader")
                    .run(
                        readerContext -> {
                          SharedConfigTemplate writer =
                              writerContext.getBean(SharedConfigTemplate.class);
                          SharedConfigTemplate reader =
                              readerContext.getBean(SharedConfigTemplate.class);
                          assertThat(reader.file()).isNotSameAs(writer.file());
                          assertThat(writer.isWriter()).isTrue();
                          assertThat(reader.isWriter()).isFalse();
                          assertThatThrownBy(() -> reader.set("a", 1))
                              .isInstanceOf(NotWriterException.class);
                          long version = writer.set("a", 2).version();
                          org.awaitility.Awaitility.await()
                              .atMost(java.time.Duration.ofSeconds(60))
                              .until(() -> reader.snapshot().version() == version);
                          assertThat(readerContext.getEnvironment().getProperty("a"))
                              .isEqualTo("2");
                        }));
  }

  @Test
  void anApplicationsOwnFileBeanIsUsedAndNeverClosedByTheStarter() {
    try (JsonMmapFile own = JsonMmapFile.open(dir.resolve("own.json"), Role.WRITER)) {
      runner
          .withBean(
              JsonMmapFile.class, () -> own, definition -> definition.setDestroyMethodName(""))
          .withPropertyValues(file(), "jsonmmap.role=writer", "jsonmmap.inbox.enabled=false")
          .run(
              context -> {
                assertThat(context).hasSingleBean(JsonMmapFile.class);
                assertThat(context.getBean(SharedConfigTemplate.class).file()).isSameAs(own);
              });
      assertThat(own.set("still", "open").version())
          .as("the starter did not close the application's handle")
          .isPositive();
    }
  }

  @Test
  void anApplicationsCloudRefresherReplacesTheStarters() {
    runner
        .withBean(
            "ownCloudRefresher",
            SharedConfigCloudRefresher.class,
            () -> new SharedConfigCloudRefresher(new DefaultListableBeanFactory(), null))
        .withPropertyValues(file(), "jsonmmap.role=writer", "jsonmmap.inbox.enabled=false")
        .run(
            context -> {
              assertThat(context).hasSingleBean(SharedConfigCloudRefresher.class);
              assertThat(context).hasBean("ownCloudRefresher");
            });
  }

  @Test
  void failureAdviceFollowsTheCause() {
    Path path = dir.resolve("shared.json");
    assertThat(
            JsonMmapFailureAnalyzer.action(
                new SharedConfigBindException(path, "orders.max-items", "cannot bind", null)))
        .contains("does not convert")
        .doesNotContain("not a valid jsonmmap file");
    assertThat(JsonMmapFailureAnalyzer.action(new CorruptFileException(path, "bad magic")))
        .contains("not a valid jsonmmap file");
    assertThat(JsonMmapFailureAnalyzer.action(new UntrustedFileException(path, "world-writable")))
        .contains("does not trust")
        .doesNotContain("not a valid jsonmmap file");
    assertThat(JsonMmapFailureAnalyzer.action(new InvalidDocumentException(path, "too deep")))
        .contains("document is not acceptable")
        .doesNotContain("move it away");
    assertThat(
            JsonMmapFailureAnalyzer.action(
                new DocumentTooLargeException(path, "document too large: size=3MiB limit=1MiB")))
        .contains("jsonmmap.max-size");
    assertThat(
            JsonMmapFailureAnalyzer.action(
                new DocumentTooLargeException(
                    path, "document too costly to flatten: flattenedKeyChars>100 limit=100")))
        .contains("does not help")
        .doesNotContain("Raise jsonmmap.max-size");
  }

  private static void deleteQuietly(Path path) {
    try {
      java.nio.file.Files.deleteIfExists(path);
    } catch (java.io.IOException e) {
      // Best effort: the file is in this user's private directory.
    }
  }
}
