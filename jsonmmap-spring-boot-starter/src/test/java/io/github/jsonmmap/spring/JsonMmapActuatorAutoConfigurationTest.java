package io.github.jsonmmap.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.jsonmmap.JsonMmapFile;
import io.github.jsonmmap.Role;
import io.github.jsonmmap.spring.actuate.JsonMmapEndpoint;
import io.github.jsonmmap.spring.actuate.JsonMmapWritableEndpoint;
import io.github.jsonmmap.spring.autoconfigure.JsonMmapAutoConfiguration;
import io.github.jsonmmap.spring.autoconfigure.JsonMmapEndpointAutoConfiguration;
import io.github.jsonmmap.spring.autoconfigure.JsonMmapHealthAutoConfiguration;
import io.github.jsonmmap.spring.autoconfigure.JsonMmapMetricsAutoConfiguration;
import io.github.jsonmmap.spring.health.JsonMmapHealthIndicator;
import io.github.jsonmmap.spring.metrics.JsonMmapMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.actuate.endpoint.SanitizableData;
import org.springframework.boot.actuate.endpoint.SanitizingFunction;
import org.springframework.boot.actuate.endpoint.SecurityContext;
import org.springframework.boot.actuate.endpoint.Show;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

class JsonMmapActuatorAutoConfigurationTest {

  private static final String MICROMETER = "io.micrometer.";

  @TempDir static Path dir;

  private final Path file = dir.resolve("app.json");

  private final ApplicationContextRunner runner =
      new ApplicationContextRunner()
          .withConfiguration(
              AutoConfigurations.of(
                  JsonMmapAutoConfiguration.class,
                  JsonMmapMetricsAutoConfiguration.class,
                  JsonMmapHealthAutoConfiguration.class,
                  JsonMmapEndpointAutoConfiguration.class,
                  MetricsAutoConfiguration.class,
                  CompositeMeterRegistryAutoConfiguration.class,
                  SimpleMetricsExportAutoConfiguration.class))
          .withPropertyValues(
              "jsonmmap.file=" + file,
              "jsonmmap.role=writer",
              "management.endpoints.web.exposure.include=jsonmmap");

  @Test
  void writerGetsMetersHealthAndTheWritableEndpoint() {
    runner.run(
        context -> {
          assertThat(context).hasSingleBean(JsonMmapMetrics.class);
          assertThat(context).hasSingleBean(JsonMmapHealthIndicator.class);
          assertThat(context).hasBean("jsonmmapHealthIndicator");
          assertThat(context.getBean(JsonMmapEndpoint.class))
              .isInstanceOf(JsonMmapWritableEndpoint.class);

          MeterRegistry registry = context.getBean(MeterRegistry.class);
          SharedConfigTemplate template = context.getBean(SharedConfigTemplate.class);
          long version = template.set("greeting", "hello").version();
          assertThat(
                  registry
                      .get("jsonmmap.version")
                      .tags("file", "app.json", "role", "writer")
                      .gauge()
                      .value())
              .isEqualTo(version);
          assertThat(context.getBean(JsonMmapHealthIndicator.class).health().getStatus())
              .isEqualTo(Status.UP);
          assertThat(
                  context.getBean(JsonMmapEndpoint.class).jsonmmap(SecurityContext.NONE).document())
              .containsEntry("greeting", SanitizableData.SANITIZED_VALUE);
        });
  }

  @Test
  void readerGetsTheReadOnlyEndpoint() {
    createFile();
    runner
        .withPropertyValues("jsonmmap.role=reader")
        .run(
            context ->
                assertThat(context.getBean(JsonMmapEndpoint.class))
                    .isNotInstanceOf(JsonMmapWritableEndpoint.class));
  }

  @Test
  void endpointShowsValuesPerPropertyThroughSanitizingFunctions() {
    SanitizingFunction hideUrls =
        data -> data.getKey().endsWith("url") ? data.withSanitizedValue() : data;
    runner
        .withPropertyValues("management.endpoint.jsonmmap.show-values=always")
        .withBean(SanitizingFunction.class, () -> hideUrls)
        .run(
            context -> {
              context
                  .getBean(SharedConfigTemplate.class)
                  .merge(Map.of("db", Map.of("url", "jdbc:x", "pool", 5)));
              assertThat(
                      context
                          .getBean(JsonMmapEndpoint.class)
                          .jsonmmap(SecurityContext.NONE)
                          .document())
                  .containsEntry("db.pool", 5)
                  .containsEntry("db.url", SanitizableData.SANITIZED_VALUE);
            });
  }

  @Test
  void endpointBacksOffWhenNotExposedOrWithoutAccess() {
    new ApplicationContextRunner()
        .withConfiguration(
            AutoConfigurations.of(
                JsonMmapAutoConfiguration.class, JsonMmapEndpointAutoConfiguration.class))
        .withPropertyValues("jsonmmap.file=" + file, "jsonmmap.role=writer")
        .run(context -> assertThat(context).doesNotHaveBean(JsonMmapEndpoint.class));
    runner
        .withPropertyValues("management.endpoint.jsonmmap.access=NONE")
        .run(context -> assertThat(context).doesNotHaveBean(JsonMmapEndpoint.class));
  }

  @Test
  void staleWriterStatusAndOptionalFileComeFromJsonmmapProperties() {
    createFile();
    runner
        .withPropertyValues(
            "jsonmmap.role=reader",
            "jsonmmap.stale-after=50ms",
            "jsonmmap.health.stale-status=out_of_service")
        .run(
            context -> {
              JsonMmapHealthIndicator indicator = context.getBean(JsonMmapHealthIndicator.class);
              await()
                  .atMost(Duration.ofSeconds(60))
                  .until(() -> indicator.health().getStatus().equals(Status.OUT_OF_SERVICE));
              assertThat(indicator.health().getDetails()).containsEntry("writerStale", true);
            });
    runner
        .withPropertyValues(
            "jsonmmap.file=" + dir.resolve("absent.json"),
            "jsonmmap.role=reader",
            "jsonmmap.optional=true")
        .run(
            context -> {
              Health health = context.getBean(JsonMmapHealthIndicator.class).health();
              assertThat(health.getStatus()).isEqualTo(Status.UP);
              assertThat(health.getDetails()).containsEntry("state", "file missing, optional");
            });
  }

  @Test
  void healthIndicatorCanBeTurnedOff() {
    runner
        .withPropertyValues("management.health.jsonmmap.enabled=false")
        .run(context -> assertThat(context).doesNotHaveBean(JsonMmapHealthIndicator.class));
  }

  @Test
  void eachComponentBacksOffWithoutItsLibrary() {
    runner
        .withClassLoader(new FilteredClassLoader(MICROMETER))
        .run(
            context -> {
              assertThat(context).hasNotFailed().doesNotHaveBean(JsonMmapMetrics.class);
              assertThat(context).hasSingleBean(JsonMmapHealthIndicator.class);
            });
    runner
        .withClassLoader(new FilteredClassLoader(Health.class))
        .run(
            context -> {
              assertThat(context).hasNotFailed().doesNotHaveBean(JsonMmapHealthIndicator.class);
              assertThat(context).hasSingleBean(JsonMmapMetrics.class);
            });
    runner
        .withClassLoader(new FilteredClassLoader(Endpoint.class))
        .run(
            context -> {
              assertThat(context).hasNotFailed().doesNotHaveBean(JsonMmapEndpoint.class);
              assertThat(context).hasSingleBean(JsonMmapHealthIndicator.class);
            });
    runner
        .withClassLoader(
            new FilteredClassLoader(
                new FilteredClassLoader(MICROMETER), Health.class, Endpoint.class))
        .run(
            context -> {
              assertThat(context).hasNotFailed().hasSingleBean(SharedConfigTemplate.class);
              assertThat(context)
                  .doesNotHaveBean(JsonMmapMetrics.class)
                  .doesNotHaveBean(JsonMmapHealthIndicator.class)
                  .doesNotHaveBean(JsonMmapEndpoint.class);
            });
  }

  @Test
  void nothingWhenJsonmmapIsDisabled() {
    runner
        .withPropertyValues("jsonmmap.enabled=false")
        .run(
            context ->
                assertThat(context)
                    .hasNotFailed()
                    .doesNotHaveBean(JsonMmapMetrics.class)
                    .doesNotHaveBean(JsonMmapHealthIndicator.class)
                    .doesNotHaveBean(JsonMmapEndpoint.class));
  }

  @Test
  void userBeansReplaceTheAutoConfiguredOnes() {
    runner
        .withUserConfiguration(CustomBeans.class)
        .run(
            context -> {
              assertThat(context).hasSingleBean(JsonMmapMetrics.class).hasBean("customMetrics");
              assertThat(context).hasSingleBean(JsonMmapHealthIndicator.class);
              assertThat(context.getBean(JsonMmapHealthIndicator.class).health().getStatus())
                  .isEqualTo(Status.UP);
              assertThat(context).hasSingleBean(JsonMmapEndpoint.class).hasBean("customEndpoint");
              assertThat(context.getBean(JsonMmapEndpoint.class))
                  .isNotInstanceOf(JsonMmapWritableEndpoint.class);
            });
  }

  @Test
  void endpointHealthAndMetersOverHttp() throws Exception {
    try (ConfigurableApplicationContext context =
        new SpringApplicationBuilder(WebApplication.class)
            .properties(
                "server.port=0",
                "jsonmmap.file=" + dir.resolve("web.json"),
                "jsonmmap.role=writer",
                "management.endpoints.web.exposure.include=jsonmmap,health,metrics",
                "management.endpoint.jsonmmap.access=unrestricted",
                "management.endpoint.jsonmmap.show-values=always",
                "management.endpoint.health.show-details=always",
                "server.error.include-message=always")
            .run()) {
      String base = "http://localhost:" + context.getEnvironment().getProperty("local.server.port");
      HttpClient http = HttpClient.newHttpClient();

      HttpResponse<String> set =
          send(http, "POST", base + "/actuator/jsonmmap/greeting.message", "{\"value\":\"hi\"}");
      HttpResponse<String> merge =
          send(http, "POST", base + "/actuator/jsonmmap", "{\"patch\":{\"a\":{\"b\":1}}}");
      HttpResponse<String> number =
          send(http, "POST", base + "/actuator/jsonmmap/limits.max", "{\"value\":42}");
      HttpResponse<String> describe = send(http, "GET", base + "/actuator/jsonmmap", null);
      HttpResponse<String> key =
          send(http, "GET", base + "/actuator/jsonmmap/greeting.message", null);
      HttpResponse<String> absent = send(http, "GET", base + "/actuator/jsonmmap/absent", null);
      HttpResponse<String> delete = send(http, "DELETE", base + "/actuator/jsonmmap/a.b", null);
      HttpResponse<String> missingBody =
          send(http, "POST", base + "/actuator/jsonmmap/greeting.message", "{}");
      HttpResponse<String> health = send(http, "GET", base + "/actuator/health/jsonmmap", null);
      HttpResponse<String> meter =
          send(http, "GET", base + "/actuator/metrics/jsonmmap.version", null);
      HttpResponse<String> publishes =
          send(http, "GET", base + "/actuator/metrics/jsonmmap.publish", null);

      assertThat(set.statusCode()).as(set.body()).isEqualTo(200);
      assertThat(set.body()).contains("\"changed\":true");
      assertThat(merge.statusCode()).as(merge.body()).isEqualTo(200);
      assertThat(number.statusCode()).as(number.body()).isEqualTo(200);
      assertThat(describe.body())
          .contains(
              "\"greeting.message\":\"hi\"",
              "\"a.b\":1",
              "\"limits.max\":42",
              "\"role\":\"writer\"");
      assertThat(key.body()).contains("\"value\":\"hi\"");
      assertThat(absent.statusCode()).isEqualTo(404);
      assertThat(delete.statusCode()).as(delete.body()).isEqualTo(200);
      assertThat(context.getBean(SharedConfigTemplate.class).snapshot().flat())
          .doesNotContainKey("a.b");
      assertThat(missingBody.statusCode()).isEqualTo(400);
      assertThat(health.body()).contains("\"status\":\"UP\"", "\"writerStale\":false");
      assertThat(meter.statusCode()).as(meter.body()).isEqualTo(200);
      // Four writes went through the template: set, merge, set, remove.
      assertThat(publishes.body())
          .as(publishes.body())
          .contains("{\"statistic\":\"COUNT\",\"value\":4.0}");
    }
  }

  private static HttpResponse<String> send(HttpClient http, String method, String uri, String body)
      throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(uri));
    if (body == null) {
      request.method(method, HttpRequest.BodyPublishers.noBody());
    } else {
      request
          .header("Content-Type", "application/json")
          .method(method, HttpRequest.BodyPublishers.ofString(body));
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private void createFile() {
    try (JsonMmapFile writer = JsonMmapFile.open(file, Role.WRITER)) {
      writer.set("greeting", "hello");
    }
  }

  @Configuration(proxyBeanMethods = false)
  static class CustomBeans {

    @Bean
    JsonMmapMetrics customMetrics(JsonMmapFile file) {
      return new JsonMmapMetrics(file, Tags.of("app", "custom"));
    }

    @Bean
    JsonMmapHealthIndicator jsonmmapHealthIndicator(JsonMmapFile file) {
      return new JsonMmapHealthIndicator(file, Status.UP, true);
    }

    @Bean
    JsonMmapEndpoint customEndpoint(SharedConfigTemplate template) {
      return new JsonMmapEndpoint(template, Show.NEVER, List.of());
    }
  }

  @SpringBootConfiguration(proxyBeanMethods = false)
  @EnableAutoConfiguration
  static class WebApplication {}
}
