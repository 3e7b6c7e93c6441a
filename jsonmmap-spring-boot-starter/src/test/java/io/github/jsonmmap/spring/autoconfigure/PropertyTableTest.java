package io.github.jsonmmap.spring.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.jsonmmap.JsonMmapOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.springframework.boot.convert.DurationStyle;
import org.springframework.util.unit.DataSize;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Keeps the README's property table true to the generated configuration metadata, and the
 * metadata's defaults true to the core's constants.
 */
class PropertyTableTest {

  private static Map<String, String> metadataDefaults() throws Exception {
    Path classes =
        Path.of(
            JsonMmapProperties.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    JsonNode metadata =
        JsonMapper.builder()
            .build()
            .readTree(classes.resolve("META-INF/spring-configuration-metadata.json").toFile());
    Map<String, String> defaults = new LinkedHashMap<>();
    for (JsonNode property : metadata.get("properties")) {
      JsonNode value = property.get("defaultValue");
      defaults.put(
          property.get("name").asString(), value == null || value.isNull() ? "" : value.asString());
    }
    return defaults;
  }

  private static Map<String, String> readmeDefaults() throws Exception {
    Path root = Path.of(System.getProperty("jsonmmap.repo.root", "..")).toAbsolutePath();
    String all = Files.readString(root.resolve("README.md"));
    // The starter's table only: other sections (the agent's) have property tables of their own.
    int start = all.indexOf("### Configuration properties");
    int end = all.indexOf("\n## ", start);
    assertThat(start).as("README section ### Configuration properties").isNotNegative();
    String readme = end < 0 ? all.substring(start) : all.substring(start, end);
    Map<String, String> defaults = new LinkedHashMap<>();
    Matcher row = Pattern.compile("(?m)^\\| `([a-z.-]+)` \\| (?:`([^`]*)`)? *\\|").matcher(readme);
    while (row.find()) {
      defaults.put(row.group(1), row.group(2) == null ? "" : row.group(2));
    }
    return defaults;
  }

  @Test
  void readmeTableListsEveryPropertyWithItsDefault() throws Exception {
    assertThat(readmeDefaults()).containsExactlyInAnyOrderEntriesOf(metadataDefaults());
  }

  @Test
  void metadataDefaultsAreTheCoreDefaults() throws Exception {
    Map<String, String> defaults = metadataDefaults();
    assertThat(DataSize.parse(defaults.get("jsonmmap.initial-capacity")).toBytes())
        .isEqualTo(JsonMmapOptions.DEFAULT_INITIAL_CAPACITY);
    assertThat(DataSize.parse(defaults.get("jsonmmap.max-size")).toBytes())
        .isEqualTo(JsonMmapOptions.DEFAULT_MAX_SIZE);
    assertThat(duration(defaults.get("jsonmmap.poll-interval")))
        .isEqualTo(JsonMmapOptions.DEFAULT_POLL_INTERVAL);
    assertThat(duration(defaults.get("jsonmmap.events-poll-interval")))
        .isEqualTo(JsonMmapOptions.DEFAULT_EVENTS_POLL_INTERVAL);
    assertThat(duration(defaults.get("jsonmmap.heartbeat-interval")))
        .isEqualTo(JsonMmapOptions.DEFAULT_HEARTBEAT_INTERVAL);
    assertThat(duration(defaults.get("jsonmmap.stale-after")))
        .isEqualTo(JsonMmapOptions.DEFAULT_STALE_AFTER);
    JsonMmapProperties properties = new JsonMmapProperties();
    assertThat(properties.getInitialCapacity().toBytes())
        .isEqualTo(JsonMmapOptions.DEFAULT_INITIAL_CAPACITY);
    assertThat(properties.getPermissions()).isEqualTo(defaults.get("jsonmmap.permissions"));
  }

  private static Duration duration(String text) {
    return DurationStyle.detectAndParse(text);
  }
}
