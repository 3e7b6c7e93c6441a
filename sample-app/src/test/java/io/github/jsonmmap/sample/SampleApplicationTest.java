package io.github.jsonmmap.sample;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * One instance of the sample on a fresh file: the API reads the initial document, and a write
 * through the actuator endpoint reaches all three ways of reading it. The tests share one context
 * and one file, so the reads run before the writes.
 */
@SpringBootTest(
    webEnvironment = WebEnvironment.RANDOM_PORT,
    properties = {
      "server.address=127.0.0.1",
      "management.endpoint.jsonmmap.access=unrestricted",
      "management.endpoint.jsonmmap.show-values=always"
    })
@DirtiesContext
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SampleApplicationTest {

  private static final Duration DEADLINE = Duration.ofSeconds(10);

  @TempDir static Path directory;

  @DynamicPropertySource
  static void sharedFile(DynamicPropertyRegistry registry) {
    registry.add("jsonmmap.file", () -> directory.resolve("sample-app.json").toString());
  }

  @LocalServerPort int port;

  Http http;

  @BeforeEach
  void client() {
    http = new Http("127.0.0.1", port);
  }

  @Test
  @Order(1)
  void firstInstanceWritesTheInitialDocument() {
    JsonNode endpoint = http.get("/actuator/jsonmmap");

    assertThat(endpoint.get("role").asString()).isEqualTo("auto");
    assertThat(endpoint.get("writer").get("self").asBoolean()).isTrue();
    assertThat(endpoint.get("version").asLong()).isPositive();
    assertThat(endpoint.get("document").get("greeting.message").asString())
        .isEqualTo("Hello from the shared config");
    assertThat(http.get("/actuator/health").get("status").asString()).isEqualTo("UP");
  }

  @Test
  @Order(2)
  void apiReadsTheSharedDocumentThreeWays() {
    JsonNode greeting = http.get("/api/greeting");
    assertThat(greeting.get("message").asString()).isEqualTo("Hello from the shared config");
    assertThat(greeting.get("version").asLong()).isPositive();

    JsonNode features = http.get("/api/features");
    assertThat(features.get("recommendations").asBoolean()).isTrue();
    assertThat(features.get("regions").values())
        .extracting(JsonNode::asString)
        .containsExactly("eu-west", "us-east");

    JsonNode limits = http.get("/api/limits");
    assertThat(limits.get("requestsPerSecond").asInt()).isEqualTo(100);
    assertThat(limits.get("burst").asInt()).isEqualTo(20);
  }

  @Test
  @Order(3)
  void actuatorWritesReachTheGreetingTheFeaturesAndTheLimits() {
    long before = http.get("/api/greeting").get("version").asLong();

    JsonNode written =
        http.post("/actuator/jsonmmap/greeting.message", Map.of("value", "Hello, written"));
    assertThat(written.get("changed").asBoolean()).isTrue();
    assertThat(written.get("version").asLong()).isGreaterThan(before);
    http.post("/actuator/jsonmmap/features.newCheckout", Map.of("value", "true"));
    // Actuator request bodies carry strings only: the patch is the text of a JSON object.
    http.post(
        "/actuator/jsonmmap",
        Map.of("patch", "{\"limits\": {\"burst\": 50}, \"features\": {\"regions\": [\"ap\"]}}"));

    await()
        .atMost(DEADLINE)
        .untilAsserted(
            () -> {
              JsonNode greeting = http.get("/api/greeting");
              assertThat(greeting.get("message").asString()).isEqualTo("Hello, written");
              assertThat(greeting.get("version").asLong()).isEqualTo(before + 3);
              JsonNode features = http.get("/api/features");
              assertThat(features.get("newCheckout").asBoolean()).isTrue();
              assertThat(features.get("regions").values())
                  .extracting(JsonNode::asString)
                  .containsExactly("ap");
              assertThat(http.get("/api/limits").get("burst").asInt()).isEqualTo(50);
            });
    JsonNode document = http.get("/actuator/jsonmmap").get("document");
    assertThat(document.get("features.newCheckout").isBoolean()).isTrue();
    assertThat(document.get("limits.burst").isNumber()).isTrue();
  }

  @Test
  @Order(4)
  void writeToAnInvalidKeyIsABadRequest() {
    assertThat(http.postStatus("/actuator/jsonmmap/no..key", Map.of("value", 1))).isEqualTo(400);
  }
}
