package io.github.jsonmmap.spring.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.jsonmmap.FileMissingException;
import io.github.jsonmmap.JsonMmapFile;
import io.github.jsonmmap.Role;
import io.github.jsonmmap.spring.env.JsonMmapPropertySource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.annotation.Bean;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * A test that names its shared file with {@code @DynamicPropertySource} while the application's own
 * configuration names another, which a reader cannot open (not there on a developer's machine): the
 * context starts on the file the test named, with its values visible to {@code @Value} and to the
 * conditions of configuration classes. Without such an override the same configuration still fails
 * the start, with the file's error.
 */
@SpringBootTest(
    classes = DynamicSharedFileTest.App.class,
    webEnvironment = SpringBootTest.WebEnvironment.NONE,
    properties = {
      "jsonmmap.file=/nonexistent-jsonmmap-dir/declared.json",
      "jsonmmap.role=reader",
      "management.endpoints.access.default=none"
    })
class DynamicSharedFileTest {

  @TempDir static Path dir;

  @DynamicPropertySource
  static void sharedFile(DynamicPropertyRegistry registry) {
    registry.add("jsonmmap.file", () -> dir.resolve("dynamic.json").toString());
  }

  @BeforeAll
  static void publish() {
    try (JsonMmapFile writer = JsonMmapFile.open(dir.resolve("dynamic.json"), Role.WRITER)) {
      writer.publish(Map.of("greeting", "from the test's file", "feature", Map.of("on", true)));
    }
  }

  @Autowired ConfigurableEnvironment environment;
  @Autowired App app;

  @Autowired(required = false)
  Feature feature;

  @Test
  void theFileTheTestNamesIsServedFromTheStart() {
    assertThat(app.greeting).isEqualTo("from the test's file");
    assertThat(environment.getPropertySources().get(JsonMmapPropertySource.NAME))
        .isInstanceOfSatisfying(
            JsonMmapPropertySource.class,
            source -> assertThat(source.getSource().path()).isEqualTo(dir.resolve("dynamic.json")));
    assertThat(feature).as("a bean conditional on a shared value").isNotNull();
  }

  @Test
  void withoutTheOverrideTheDeclaredFileStillFailsTheStart() {
    SpringApplicationBuilder builder =
        new SpringApplicationBuilder(App.class)
            .web(WebApplicationType.NONE)
            .properties(
                "jsonmmap.file=" + dir.resolve("absent.json"),
                "jsonmmap.role=reader",
                "management.endpoints.access.default=none");
    assertThatThrownBy(builder::run)
        .isInstanceOf(FileMissingException.class)
        .hasMessageContaining(dir.resolve("absent.json").toString());
    assertThat(Files.exists(dir.resolve("absent.json"))).isFalse();
  }

  @SpringBootConfiguration
  @EnableAutoConfiguration
  static class App {
    @Value("${greeting}")
    String greeting;

    @Bean
    @ConditionalOnProperty("feature.on")
    Feature feature() {
      return new Feature();
    }
  }

  static final class Feature {}
}
