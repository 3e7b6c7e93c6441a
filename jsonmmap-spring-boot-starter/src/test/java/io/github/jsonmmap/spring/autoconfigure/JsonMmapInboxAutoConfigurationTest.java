package io.github.jsonmmap.spring.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.jsonmmap.JsonMmapInbox;
import io.github.jsonmmap.JsonMmapInbox.Reply;
import io.github.jsonmmap.JsonMmapInbox.Request;
import io.github.jsonmmap.spring.SharedConfigTemplate;
import io.github.jsonmmap.spring.SharedConfigValidator;
import io.github.jsonmmap.spring.autoconfigure.JsonMmapInboxAutoConfiguration.JsonMmapInboxLifecycle;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import tools.jackson.databind.node.JsonNodeFactory;

class JsonMmapInboxAutoConfigurationTest {

  private final ApplicationContextRunner runner =
      new ApplicationContextRunner()
          .withConfiguration(
              AutoConfigurations.of(
                  JsonMmapAutoConfiguration.class, JsonMmapInboxAutoConfiguration.class))
          .withUserConfiguration(Validators.class);

  @TempDir Path dir;

  private Path file() {
    return dir.resolve("shared.json");
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
  void writerServesTheInboxWithTheApplicationsValidators() {
    runner
        .withPropertyValues("jsonmmap.file=" + file(), "jsonmmap.role=writer")
        .run(
            context -> {
              JsonMmapInbox inbox = context.getBean(JsonMmapInboxLifecycle.class).inbox();
              await().atMost(Duration.ofSeconds(60)).until(inbox::isServing);
              SharedConfigTemplate template = context.getBean(SharedConfigTemplate.class);
              long before = template.snapshot().version();

              Reply ok =
                  JsonMmapInbox.send(
                      file(), Request.set("port", JsonNodeFactory.instance.numberNode(8080)));
              assertThat(ok.ok()).as("%s", ok).isTrue();
              assertThat(context.getEnvironment().getProperty("port")).isEqualTo("8080");

              Reply rejected =
                  JsonMmapInbox.send(
                      file(),
                      Request.merge(
                          JsonNodeFactory.instance
                              .objectNode()
                              .put("port", 70000)
                              .put("secret", "x")));
              assertThat(rejected.error()).isEqualTo("rejected");
              assertThat(rejected.reasons())
                  .containsExactlyInAnyOrder(
                      "port must be below 65536", "no secrets in shared config");
              assertThat(template.snapshot().version()).isEqualTo(before + 1);
            });
    assertThat(JsonMmapInbox.socketPath(file()))
        .as("removed when the context closes")
        .doesNotExist();
  }

  @Test
  void propertyDefaultsAreTheCoreDefaults() {
    JsonMmapProperties.Inbox inbox = new JsonMmapProperties().getInbox();
    assertThat(inbox.getRequestTimeout()).isEqualTo(JsonMmapInbox.DEFAULT_REQUEST_TIMEOUT);
    assertThat(inbox.getMaxConnections()).isEqualTo(JsonMmapInbox.DEFAULT_MAX_CONNECTIONS);
    assertThat(inbox.isEnabled()).isTrue();
    assertThat(inbox.isGroupWrite()).isFalse();
  }

  @Test
  void readerServesNothingAndTheSwitchTurnsTheInboxOff() {
    runner
        .withPropertyValues("jsonmmap.file=" + file(), "jsonmmap.role=writer")
        .run(context -> assertThat(context).hasSingleBean(JsonMmapInboxLifecycle.class));
    runner
        .withPropertyValues("jsonmmap.file=" + file(), "jsonmmap.role=reader")
        .run(
            context -> {
              assertThat(context.getBean(JsonMmapInboxLifecycle.class).inbox()).isNull();
              assertThat(JsonMmapInbox.socketPath(file())).doesNotExist();
            });
    runner
        .withPropertyValues(
            "jsonmmap.file=" + file(), "jsonmmap.role=writer", "jsonmmap.inbox.enabled=false")
        .run(
            context -> {
              assertThat(context).doesNotHaveBean(JsonMmapInboxLifecycle.class);
              assertThat(JsonMmapInbox.socketPath(file())).doesNotExist();
            });
  }
}
