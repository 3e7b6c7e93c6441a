package io.github.jsonmmap.sample;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.jsonmmap.test.AutoConfigureJsonMmap;
import io.github.jsonmmap.test.SharedConfigTestPublisher;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;
import tools.jackson.databind.JsonNode;

/**
 * One instance of the sample on a private temporary file ({@link AutoConfigureJsonMmap}): the API
 * reads the initial document, a write through the actuator endpoint reaches all three ways of
 * reading it, and so does a version published from the test. The tests share one context and one
 * file, so the reads run before the writes.
 */
@SpringBootTest(
    webEnvironment = WebEnvironment.RANDOM_PORT,
    properties = {
      "server.address=127.0.0.1",
      "management.endpoint.jsonmmap.access=unrestricted",
      "management.endpoint.jsonmmap.show-values=always"
    })
@AutoConfigureJsonMmap
@DirtiesContext
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SampleApplicationTest {

  private static final Duration DEADLINE = Duration.ofSeconds(60);

  @LocalServerPort int port;

  @Autowired SharedConfigTestPublisher shared;

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
    http.post("/actuator/jsonmmap/features.newCheckout", Map.of("value", true));
    http.post(
        "/actuator/jsonmmap",
        Map.of(
            "patch",
            Map.of("limits", Map.of("burst", 50), "features", Map.of("regions", List.of("ap")))));

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

  @Test
  @Order(5)
  void aVersionPublishedFromTheTestIsAppliedWhenSetAndAwaitReturns() {
    shared.setAndAwait("greeting.message", "Hello from the test");
    shared.mergeAndAwait(Map.of("features", Map.of("recommendations", false)));

    assertThat(http.get("/api/greeting").get("message").asString())
        .isEqualTo("Hello from the test");
    assertThat(http.get("/api/features").get("recommendations").asBoolean()).isFalse();
  }
}
