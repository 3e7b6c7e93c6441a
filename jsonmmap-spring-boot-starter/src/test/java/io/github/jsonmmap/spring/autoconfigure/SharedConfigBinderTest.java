package io.github.jsonmmap.spring.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

import io.github.jsonmmap.spring.SharedConfigBindException;
import io.github.jsonmmap.spring.SharedConfigBinding;
import io.github.jsonmmap.spring.SharedConfigTemplate;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/**
 * Issue 13, finding 3: the template binds with Boot's binder, as {@code @ConfigurationProperties}
 * do: relaxed names, Boot conversions, the application's own configuration where the document has
 * no value, and defaults instead of failures for missing primitives.
 */
class SharedConfigBinderTest {

  private final ApplicationContextRunner runner =
      new ApplicationContextRunner()
          .withConfiguration(AutoConfigurations.of(JsonMmapAutoConfiguration.class));

  @TempDir Path dir;

  /** Bound like a constructor-bound {@code @ConfigurationProperties} record. */
  record Orders(
      int maxItems, Duration timeout, int pageSize, int missing, @DefaultValue("7") int retries) {}

  private ApplicationContextRunner writer() {
    return runner.withPropertyValues(
        "jsonmmap.file=" + dir.resolve("shared.json"),
        "jsonmmap.role=writer",
        // The application's own configuration, below the shared document.
        "orders.page-size=25");
  }

  @Test
  void relaxedNamesAndBootConversions() {
    writer()
        .run(
            context -> {
              SharedConfigTemplate template = context.getBean(SharedConfigTemplate.class);
              template.publish(Map.of("orders", Map.of("maxItems", 5, "timeout", "3s")));

              assertThat(template.get("orders.max-items", Integer.class)).isEqualTo(5);
              assertThat(template.get("orders.maxItems", Integer.class)).isEqualTo(5);
              assertThat(template.get("orders.timeout", Duration.class))
                  .isEqualTo(Duration.ofSeconds(3));
              assertThat(template.get("orders.max-items"))
                  .isEqualTo(
                      context.getEnvironment().getProperty("orders.max-items", Integer.class));
            });
  }

  @Test
  void theApplicationsOwnConfigurationFillsWhatTheDocumentLacks() {
    writer()
        .run(
            context -> {
              SharedConfigTemplate template = context.getBean(SharedConfigTemplate.class);
              template.publish(Map.of("orders", Map.of("maxItems", 5)));

              assertThat(template.get("orders.page-size", Integer.class)).isEqualTo(25);
              assertThat(template.get("orders.page-size")).isEqualTo("25");
              assertThat(template.get("orders.absent", Integer.class, 3)).isEqualTo(3);
              assertThat(template.find("orders.absent", Integer.class)).isEmpty();
            });
  }

  @Test
  void aRecordBindsWithDefaultsForMissingPrimitivesAndFollowsNewVersions() {
    writer()
        .run(
            context -> {
              SharedConfigTemplate template = context.getBean(SharedConfigTemplate.class);
              template.publish(Map.of("orders", Map.of("max-items", 5, "timeout", "PT2S")));
              SharedConfigBinding<Orders> orders = template.bind("orders", Orders.class);

              assertThat(orders.get()).isEqualTo(new Orders(5, Duration.ofSeconds(2), 25, 0, 7));
              template.set("orders.timeout", "3s");
              assertThat(orders.get().timeout()).isEqualTo(Duration.ofSeconds(3));
              assertThat(template.bind("nothing.here", Orders.class).get())
                  .isEqualTo(new Orders(0, null, 0, 0, 7));
            });
  }

  @Test
  void aValueThatDoesNotConvertIsABindFailureNamingThePropertyButNotTheValue() {
    writer()
        .run(
            context -> {
              SharedConfigTemplate template = context.getBean(SharedConfigTemplate.class);
              template.publish(Map.of("orders", Map.of("maxItems", 5)));
              SharedConfigBinding<Orders> orders = template.bind("orders", Orders.class);

              template.set("orders.maxItems", "forty");

              assertThatExceptionOfType(SharedConfigBindException.class)
                  .isThrownBy(() -> template.get("orders.max-items", Integer.class))
                  .satisfies(e -> assertThat(e.reason()).isEqualTo("bind"))
                  .satisfies(e -> assertThat(e.property()).isEqualTo("orders.max-items"))
                  .withMessageContaining("path=" + dir.resolve("shared.json"))
                  .withMessageNotContaining("forty");
              assertThat(orders.get().maxItems()).as("last good instance").isEqualTo(5);
              assertThat(orders.lastError())
                  .get()
                  .satisfies(e -> assertThat(e.getMessage()).doesNotContain("forty"));
              assertThat(
                      new JsonMmapFailureAnalyzer()
                          .analyze(orders.lastError().orElseThrow())
                          .getAction())
                  .contains("does not convert")
                  .doesNotContain("not a valid jsonmmap file");
            });
  }
}
