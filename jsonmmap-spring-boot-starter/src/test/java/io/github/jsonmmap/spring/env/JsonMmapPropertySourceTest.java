package io.github.jsonmmap.spring.env;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.jsonmmap.JsonMmapFile;
import io.github.jsonmmap.Role;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

@ExtendWith(OutputCaptureExtension.class)
class JsonMmapPropertySourceTest {

  @TempDir Path dir;

  private JsonMmapFile writer;

  @BeforeEach
  void open() {
    writer = JsonMmapFile.open(dir.resolve("app.json"), Role.WRITER);
  }

  @AfterEach
  void close() {
    writer.close();
  }

  @Test
  void excludedKeysAreInvisibleToEveryLookup() {
    writer.publish(hostileDocument("secret-1"));
    JsonMmapPropertySource source = new JsonMmapPropertySource(writer, "");

    assertThat(source.getPropertyNames()).containsExactly("greeting.message", "features.beta");
    assertThat(source.getProperty("greeting.message")).isEqualTo("hello");
    for (String key : excludedKeysOfTheHostileDocument()) {
      assertThat(source.getProperty(key)).as(key).isNull();
      assertThat(source.containsProperty(key)).as(key).isFalse();
    }
    assertThat(source.excludedKeys())
        .containsExactlyInAnyOrderElementsOf(excludedKeysOfTheHostileDocument());
  }

  @Test
  void includeAndExcludeChangeTheDefaultsButNeverJsonmmap() {
    writer.publish(hostileDocument("secret-1"));
    JsonMmapPropertySource source =
        new JsonMmapPropertySource(
            writer,
            "",
            new PropertySourceFilter(
                List.of("logging.level", "server", "jsonmmap"), List.of("features")));

    assertThat(source.getProperty("logging.level.root")).isEqualTo("trace");
    assertThat(source.getProperty("server.port")).isEqualTo(1234);
    assertThat(source.getProperty("logging.config")).isNull();
    assertThat(source.getProperty("features.beta")).isNull();
    assertThat(source.getProperty("jsonmmap.file")).isNull();
    assertThat(source.getProperty("jsonMmap.role")).isNull();
    assertThat(source.getPropertyNames())
        .containsExactlyInAnyOrder("greeting.message", "logging.level.root", "server.port");
  }

  @Test
  void thePrefixIsPartOfTheNameTheFilterSees() {
    writer.publish(hostileDocument("secret-1"));

    JsonMmapPropertySource shared = new JsonMmapPropertySource(writer, "shared.");
    JsonMmapPropertySource underJsonmmap = new JsonMmapPropertySource(writer, "jsonmmap.");

    assertThat(shared.getProperty("shared.management.endpoints.web.exposure.include"))
        .isEqualTo("*");
    assertThat(shared.getProperty("management.endpoints.web.exposure.include")).isNull();
    assertThat(shared.excludedKeys()).isEmpty();
    assertThat(underJsonmmap.getPropertyNames()).isEmpty();
    assertThat(underJsonmmap.getProperty("jsonmmap.greeting.message")).isNull();
  }

  @Test
  void anExcludedKeyIsLoggedOnceByNameNeverWithItsValue(CapturedOutput output) {
    writer.publish(hostileDocument("secret-1"));
    JsonMmapPropertySource source = new JsonMmapPropertySource(writer, "");
    source.getProperty("greeting.message");
    source.getPropertyNames();
    writer.set("greeting.message", "hi");
    source.getProperty("greeting.message");
    writer.set("management.endpoint.env.show-values", "secret-2");
    writer.set("server.ssl.enabled", false);
    source.getProperty("greeting.message");
    source.getProperty("greeting.message");

    List<String> warnings =
        output.getAll().lines().filter(line -> line.contains("ignoring shared keys")).toList();
    assertThat(warnings).hasSize(2);
    assertThat(warnings.get(0))
        .contains("WARN", "management.endpoints.web.exposure.include", "jsonmmap.file", "count=10");
    assertThat(warnings.get(1))
        .contains("management.endpoint.env.show-values", "server.ssl.enabled", "count=2")
        .doesNotContain("jsonmmap.file");
    assertThat(output.getAll()).doesNotContain("secret-1", "secret-2");
  }

  @Test
  void namesAreLoggedWithControlCharactersEscapedAndBounded() {
    assertThat(LogSafe.name("a\nb\u001b[31mc\u2028d")).isEqualTo("a\\u000ab\\u001b[31mc\\u2028d");
    assertThat(LogSafe.name("x".repeat(500))).hasSize(203).endsWith("...");
    assertThat(LogSafe.names(List.of("a", "b", "c"), 2)).isEqualTo("[a, b] (+1 more)");
  }

  private static Map<String, Object> hostileDocument(String secret) {
    Map<String, Object> document = new LinkedHashMap<>();
    document.put("greeting", Map.of("message", "hello"));
    document.put("jsonmmap", Map.of("file", "/tmp/elsewhere.json"));
    document.put("jsonMmap", Map.of("role", "writer"));
    document.put("json_mmap", Map.of("permissions", "rw-rw-rw-"));
    document.put(
        "management",
        Map.of("endpoints", Map.of("web", Map.of("exposure", Map.of("include", "*")))));
    document.put("server", Map.of("port", 1234));
    document.put("spring", Map.of("profiles", Map.of("active", "evil")));
    Map<String, Object> logging = new LinkedHashMap<>();
    logging.put("level", Map.of("root", "trace"));
    logging.put("config", "/tmp/evil.xml");
    document.put("logging", logging);
    document.put("info", Map.of("secret", secret));
    document.put("features", Map.of("beta", true));
    document.put("Debug", true);
    return document;
  }

  private static List<String> excludedKeysOfTheHostileDocument() {
    return List.of(
        "jsonmmap.file",
        "jsonMmap.role",
        "json_mmap.permissions",
        "management.endpoints.web.exposure.include",
        "server.port",
        "spring.profiles.active",
        "logging.level.root",
        "logging.config",
        "info.secret",
        "Debug");
  }
}
