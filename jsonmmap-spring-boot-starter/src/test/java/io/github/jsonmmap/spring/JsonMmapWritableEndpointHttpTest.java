package io.github.jsonmmap.spring;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;

/**
 * Issue 13, finding 7, over HTTP: {@code POST /actuator/jsonmmap/{key}} takes any JSON value,
 * {@code POST /actuator/jsonmmap} a JSON object patch, and a write that cannot be done answers an
 * RFC 9457 problem detail naming the reason (validator messages included, content never echoed);
 * with the default read-only access there is no write at all.
 */
class JsonMmapWritableEndpointHttpTest {

  @TempDir Path dir;

  private ConfigurableApplicationContext start(String access) {
    return new SpringApplicationBuilder(App.class)
        .properties(
            "server.port=0",
            "server.address=127.0.0.1",
            "spring.main.banner-mode=off",
            "jsonmmap.file=" + dir.resolve("http.json"),
            "jsonmmap.role=writer",
            "management.endpoints.web.exposure.include=jsonmmap",
            "management.endpoint.jsonmmap.access=" + access,
            "management.endpoint.jsonmmap.show-values=always")
        .run();
  }

  @Test
  void bodiesAreJsonValuesAndRejectionsAreProblemDetails() throws Exception {
    try (ConfigurableApplicationContext context = start("unrestricted")) {
      String base = base(context);
      SharedConfigTemplate template = context.getBean(SharedConfigTemplate.class);

      assertThat(post(base + "/count", "{\"value\": 95}").statusCode()).isEqualTo(200);
      assertThat(post(base + "/code", "{\"value\": \"41\"}").statusCode()).isEqualTo(200);
      assertThat(post(base + "/list", "{\"value\": [1, 2]}").statusCode()).isEqualTo(200);
      HttpResponse<String> object = post(base + "/feature", "{\"value\": {\"on\": true}}");
      HttpResponse<String> patch = post(base, "{\"patch\": {\"a\": {\"b\": 1}, \"count\": null}}");

      assertThat(object.body()).contains("\"changed\":true");
      assertThat(patch.statusCode()).as(patch.body()).isEqualTo(200);
      assertThat(template.snapshot().flat())
          .containsEntry("code", "41")
          .containsEntry("list[0]", 1)
          .containsEntry("list[1]", 2)
          .containsEntry("feature.on", true)
          .containsEntry("a.b", 1)
          .doesNotContainKey("count");

      HttpResponse<String> rejected = post(base + "/secret", "{\"value\": \"hunter2\"}");
      assertThat(rejected.statusCode()).isEqualTo(422);
      assertThat(rejected.headers().firstValue("Content-Type"))
          .hasValueSatisfying(type -> assertThat(type).startsWith("application/problem+json"));
      assertThat(rejected.body())
          .contains("\"reason\":\"rejected\"", "no secrets in shared config", "\"status\":422")
          .doesNotContain("hunter2");

      HttpResponse<String> badKey = post(base + "/no..key", "{\"value\": 1}");
      assertThat(badKey.statusCode()).isEqualTo(400);
      assertThat(badKey.body())
          .contains("\"reason\":\"invalid-request\"", "not valid")
          .doesNotContain("no..key", "/tmp", "path=");
      HttpResponse<String> notObject = post(base, "{\"patch\": [1]}");
      assertThat(notObject.statusCode()).isEqualTo(400);
      assertThat(notObject.body()).contains("JSON object");
      assertThat(template.snapshot().flat()).doesNotContainKey("secret");

      HttpResponse<String> read = get(base + "/code");
      assertThat(read.statusCode()).isEqualTo(200);
      assertThat(read.body()).contains("\"value\":\"41\"");
    }
  }

  @Test
  void readOnlyAccessWritesNothing() throws Exception {
    try (ConfigurableApplicationContext context = start("read-only")) {
      String base = base(context);
      long version = context.getBean(SharedConfigTemplate.class).version();

      assertThat(post(base + "/count", "{\"value\": 95}").statusCode()).isBetween(400, 499);
      assertThat(context.getBean(SharedConfigTemplate.class).version()).isEqualTo(version);
      assertThat(get(base).statusCode()).isEqualTo(200);
    }
  }

  private static String base(ConfigurableApplicationContext context) {
    return "http://127.0.0.1:"
        + context.getEnvironment().getProperty("local.server.port")
        + "/actuator/jsonmmap";
  }

  private static HttpResponse<String> post(String uri, String body) throws Exception {
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(URI.create(uri))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build(),
            HttpResponse.BodyHandlers.ofString());
  }

  private static HttpResponse<String> get(String uri) throws Exception {
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(URI.create(uri)).build(), HttpResponse.BodyHandlers.ofString());
  }

  @SpringBootConfiguration(proxyBeanMethods = false)
  @EnableAutoConfiguration
  static class App {

    @Bean
    SharedConfigValidator noSecrets() {
      return doc -> doc.has("secret") ? List.of("no secrets in shared config") : List.of();
    }
  }
}
