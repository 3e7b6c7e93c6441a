package io.github.jsonmmap.spring.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.github.jsonmmap.JsonMmapFile;
import io.github.jsonmmap.Role;
import io.github.jsonmmap.spring.SharedConfigTemplate;
import io.github.jsonmmap.spring.env.JsonMmapPropertySource;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.context.config.ConfigDataResourceNotFoundException;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Issue 13, findings 1 and 2, through a real {@code SpringApplication}: with nothing declared the
 * starter does nothing and says so once; {@code spring.config.import=jsonmmap:} declares the file,
 * with Boot's {@code optional:} semantics, and the other {@code jsonmmap.*} properties apply.
 */
@ExtendWith(OutputCaptureExtension.class)
class JsonMmapConfigImportTest {

  private static final String NOTHING_DECLARED = "jsonmmap: no shared file declared";

  @TempDir Path dir;

  private static SpringApplicationBuilder app(String... properties) {
    return new SpringApplicationBuilder(App.class)
        .web(WebApplicationType.NONE)
        .properties("management.endpoints.access.default=none", "spring.main.banner-mode=off")
        .properties(properties);
  }

  @Test
  void withNothingDeclaredTheApplicationStartsAndTheStarterSaysSoOnce(CapturedOutput output) {
    try (ConfigurableApplicationContext context = app().run()) {
      assertThat(context.getBeansOfType(JsonMmapFile.class)).isEmpty();
      assertThat(
              context.getEnvironment().getPropertySources().contains(JsonMmapPropertySource.NAME))
          .isFalse();
    }
    assertThat(output.getAll().split(NOTHING_DECLARED, -1)).hasSize(2);
  }

  @Test
  void aMistypedFilePropertyNeverFallsBackToAnotherPath(CapturedOutput output) {
    try (ConfigurableApplicationContext context =
        app("jsonmmap.flie=" + dir.resolve("typo.json"), "jsonmmap.role=writer").run()) {
      assertThat(context.getBeansOfType(JsonMmapFile.class)).isEmpty();
    }
    assertThat(dir).isEmptyDirectory();
    assertThat(output.getAll()).contains(NOTHING_DECLARED);
  }

  @Test
  void configImportContributesTheLivePropertySourceAndJsonmmapPropertiesApply() {
    Path file = dir.resolve("imported.json");
    try (JsonMmapFile writer = JsonMmapFile.open(file, Role.WRITER)) {
      writer.publish(Map.of("greeting", Map.of("message", "imported")));
      try (ConfigurableApplicationContext context =
          app(
                  "spring.config.import=jsonmmap:" + file,
                  "jsonmmap.property-source.prefix=shared.",
                  "jsonmmap.poll-interval=50ms")
              .run()) {
        assertThat(context.getEnvironment().getProperty("shared.greeting.message"))
            .isEqualTo("imported");
        SharedConfigTemplate template = context.getBean(SharedConfigTemplate.class);
        assertThat(template.isWriter()).isFalse();
        assertThat(template.file().path()).isEqualTo(file);
        assertThat(template.get("greeting.message", String.class)).isEqualTo("imported");

        writer.set("greeting.message", "changed");
        await()
            .atMost(Duration.ofSeconds(60))
            .until(
                () ->
                    "changed"
                        .equals(context.getEnvironment().getProperty("shared.greeting.message")));
      }
    }
  }

  @Test
  void aMissingFileFailsTheStartLikeAnyMissingConfigLocation() {
    Path file = dir.resolve("missing.json");
    assertThatThrownBy(() -> app("spring.config.import=jsonmmap:" + file).run().close())
        .isInstanceOf(ConfigDataResourceNotFoundException.class)
        .hasMessageContaining(file.toString());
  }

  @Test
  void anOptionalImportOfAMissingFileStartsAndAttachesWhenTheFileAppears() {
    Path file = dir.resolve("later.json");
    try (ConfigurableApplicationContext context =
        app("spring.config.import=optional:jsonmmap:" + file, "jsonmmap.poll-interval=50ms")
            .run()) {
      assertThat(context.getEnvironment().getProperty("late")).isNull();
      try (JsonMmapFile writer = JsonMmapFile.open(file, Role.WRITER)) {
        writer.set("late", true);
        await()
            .atMost(Duration.ofSeconds(60))
            .until(() -> "true".equals(context.getEnvironment().getProperty("late")));
      }
    }
  }

  @SpringBootConfiguration(proxyBeanMethods = false)
  @EnableAutoConfiguration
  static class App {}
}
