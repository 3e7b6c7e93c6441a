package io.github.jsonmmap.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.jsonmmap.JsonMmapFile;
import io.github.jsonmmap.PlantedDocument;
import io.github.jsonmmap.Role;
import io.github.jsonmmap.spring.autoconfigure.JsonMmapProperties;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.env.Environment;

/**
 * Issue #10 on the Spring side, over HTTP against a real application: a hostile document cannot
 * configure the application or jsonmmap, and nothing the application serves leaks what it should
 * not (writer identity, document content in errors, shared {@code info.*}, which keys exist).
 */
@ExtendWith(OutputCaptureExtension.class)
class JsonMmapSecurityTest {

  private static final String MASK = "******";

  @TempDir Path dir;

  private Path file;
  private JsonMmapFile writer;
  private final HttpClient http = HttpClient.newHttpClient();

  @BeforeEach
  void publishAHostileDocument() {
    file = dir.resolve("app.json");
    writer = JsonMmapFile.open(file, Role.WRITER);
    Map<String, Object> document = new LinkedHashMap<>();
    document.put("greeting", Map.of("message", "hello"));
    document.put("db", Map.of("url", "jdbc:x", "pool", 5));
    document.put(
        "jsonmmap",
        Map.of(
            "file", dir.resolve("elsewhere.json").toString(),
            "role", "writer",
            "permissions", "rw-rw-rw-"));
    document.put("jsonMmap", Map.of("optional", true));
    Map<String, Object> management = new LinkedHashMap<>();
    management.put("endpoints", Map.of("web", Map.of("exposure", Map.of("include", "*"))));
    management.put(
        "endpoint",
        Map.of(
            "jsonmmap", Map.of("show-values", "always", "access", "unrestricted"),
            "env", Map.of("show-values", "always")));
    document.put("management", management);
    document.put("Management", Map.of("Endpoints", Map.of("Web", Map.of("Base-Path", "/x"))));
    document.put("server", Map.of("port", 1234, "error", Map.of("include-message", "always")));
    document.put("spring", Map.of("profiles", Map.of("active", "evil")));
    document.put("info", Map.of("secret", "hunter3"));
    writer.publish(document);
  }

  @AfterEach
  void closeWriter() {
    writer.close();
  }

  @Test
  void aHostileDocumentChangesNeitherTheApplicationNorJsonmmap() throws Exception {
    try (ConfigurableApplicationContext context =
        start("management.endpoint.health.show-details=never")) {
      Environment environment = context.getEnvironment();
      JsonMmapFile shared = context.getBean(JsonMmapFile.class);
      JsonMmapProperties properties = context.getBean(JsonMmapProperties.class);

      assertThat(environment.getProperty("greeting.message")).isEqualTo("hello");
      assertThat(environment.getProperty("jsonmmap.file")).isEqualTo(file.toString());
      assertThat(environment.getProperty("jsonmmap.role")).isEqualTo("reader");
      assertThat(environment.getProperty("jsonmmap.permissions")).isNull();
      assertThat(shared.path()).isEqualTo(file);
      assertThat(shared.options().role()).isEqualTo(Role.READER);
      assertThat(properties.getFile()).isEqualTo(file);
      assertThat(properties.getRole()).isEqualTo(Role.READER);
      assertThat(properties.getPermissions()).isEqualTo("rw-r-----");
      assertThat(properties.isOptional()).isFalse();
      assertThat(dir.resolve("elsewhere.json")).doesNotExist();
      assertThat(environment.getActiveProfiles()).isEmpty();
      assertThat(environment.getProperty("server.port")).isEqualTo("0");
      assertThat(environment.getProperty("local.server.port")).isNotEqualTo("1234");
      assertThat(environment.getProperty("management.endpoints.web.exposure.include"))
          .isEqualTo("health,info,jsonmmap");
      assertThat(environment.getProperty("management.endpoints.web.base-path")).isNull();

      assertThat(get(context, "/actuator/env").statusCode()).isEqualTo(404);
      assertThat(get(context, "/x/env").statusCode()).isEqualTo(404);
      assertThat(get(context, "/actuator/health").body())
          .contains("\"status\":\"UP\"")
          .doesNotContain("components", "details", "jsonmmap");
      String endpoint = get(context, "/actuator/jsonmmap").body();
      assertThat(endpoint)
          .contains("\"greeting.message\":\"" + MASK + "\"", "\"writer\":{\"self\":false")
          .doesNotContain(
              "hello", "hunter3", "pid=", writer.snapshot().writerId().orElseThrow().toString());
      HttpResponse<String> write =
          send(context, "POST", "/actuator/jsonmmap/greeting.message", "{\"value\":\"x\"}");
      assertThat(write.statusCode()).isIn(400, 404, 405);
      assertThat(writer.snapshot().flat()).containsEntry("greeting.message", "hello");
    }
  }

  @Test
  void excludedKeysAreListedByTheEndpointAndLoggedByNameOnly(CapturedOutput output)
      throws Exception {
    try (ConfigurableApplicationContext context =
        start(
            "jsonmmap.property-source.include=server.error",
            "jsonmmap.property-source.exclude=db.url")) {
      assertThat(context.getEnvironment().getProperty("server.error.include-message"))
          .isEqualTo("always");
      assertThat(context.getEnvironment().getProperty("db.url")).isNull();
      assertThat(context.getEnvironment().getProperty("db.pool")).isEqualTo("5");

      String endpoint = get(context, "/actuator/jsonmmap").body();

      assertThat(endpoint)
          .contains(
              "\"excluded\":[",
              "\"db.url\"",
              "\"jsonmmap.file\"",
              "\"jsonMmap.optional\"",
              "\"management.endpoints.web.exposure.include\"",
              "\"Management.Endpoints.Web.Base-Path\"",
              "\"server.port\"",
              "\"spring.profiles.active\"",
              "\"info.secret\"");
      assertThat(excludedList(endpoint)).doesNotContain("server.error", "greeting.message");
      List<String> warnings =
          output.getAll().lines().filter(line -> line.contains("ignoring shared keys")).toList();
      assertThat(warnings).hasSize(1);
      assertThat(warnings.get(0)).contains("WARN", "jsonmmap.file", "server.port", "count=13");
      assertThat(output.getAll()).doesNotContain("hunter3", "jdbc:x", "evil");
    }
  }

  @Test
  void healthDetailsNameNoPathProcessHostOrWriter() throws Exception {
    String writerId = writer.snapshot().writerId().orElseThrow().toString();
    String host = InetAddress.getLocalHost().getHostName();
    try (ConfigurableApplicationContext context = start()) {
      String health = get(context, "/actuator/health").body();

      assertThat(health)
          .contains("\"jsonmmap\"", "\"role\":\"reader\"", "\"version\":", "\"writerStale\":false")
          .doesNotContain(writerId, "pid", "host", ProcessHandle.current().pid() + "")
          .doesNotContain(file.toString(), dir.toString(), "\"" + host + "\"");
    }
  }

  @Test
  void sharedInfoIsNotServedByTheInfoEndpoint() throws Exception {
    try (ConfigurableApplicationContext context = start()) {
      String info = get(context, "/actuator/info").body();

      assertThat(info).contains("\"name\":\"mine\"").doesNotContain("hunter3", "secret");
    }
  }

  @Test
  void aKeyLookupAnswersAlikeForPresentAbsentAndObjectKeysWhenValuesAreHidden() throws Exception {
    try (ConfigurableApplicationContext context = start()) {
      List<String> keys = List.of("greeting.message", "absent.key", "db", "jsonmmap.file", "gree");
      List<HttpResponse<String>> answers = keys.stream().map(key -> lookup(context, key)).toList();

      for (int i = 0; i < keys.size(); i++) {
        assertThat(answers.get(i).statusCode()).as(keys.get(i)).isEqualTo(200);
        assertThat(answers.get(i).body().replace(keys.get(i), "KEY"))
            .as(keys.get(i))
            .isEqualTo(answers.get(0).body().replace(keys.get(0), "KEY"));
      }
      assertThat(answers.get(0).body()).contains(MASK).doesNotContain("hello");
    }
    try (ConfigurableApplicationContext context =
        start("management.endpoint.jsonmmap.show-values=always")) {
      assertThat(lookup(context, "greeting.message").body()).contains("\"value\":\"hello\"");
      assertThat(lookup(context, "absent.key").statusCode()).isEqualTo(404);
      assertThat(lookup(context, "jsonmmap").body())
          .contains("\"excluded\":[", "\"jsonmmap.file\"");
    }
  }

  @Test
  void anInvalidDocumentsTokenAppearsInNoAnswer(CapturedOutput output) throws Exception {
    try (ConfigurableApplicationContext context =
        start("jsonmmap.poll-interval=100ms", "management.endpoint.jsonmmap.show-values=always")) {
      writer.close();
      PlantedDocument.commitNext(file, "{\"password\":hunter2}".getBytes(StandardCharsets.UTF_8));

      await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> get(context, "/actuator/health").body().contains("invalid-document"));
      String health = get(context, "/actuator/health").body();
      String endpoint = get(context, "/actuator/jsonmmap").body();

      assertThat(health).contains("\"status\":\"DOWN\"").doesNotContain("hunter2");
      assertThat(endpoint)
          .contains("\"error\":\"")
          .contains("\"greeting.message\":\"hello\"")
          .doesNotContain("hunter2");
      // Not in any log line either, the core's own WARN included.
      assertThat(output.getAll().lines()).noneMatch(line -> line.contains("hunter2"));
    }
  }

  private ConfigurableApplicationContext start(String... extra) {
    return new SpringApplicationBuilder(WebApplication.class)
        .properties(
            "server.port=0",
            "jsonmmap.file=" + file,
            "jsonmmap.role=reader",
            "jsonmmap.property-source.precedence=first",
            "management.endpoints.web.exposure.include=health,info,jsonmmap",
            "management.endpoint.health.show-details=always",
            "management.info.env.enabled=true",
            "info.app.name=mine")
        .properties(extra)
        .run();
  }

  private static String excludedList(String endpoint) {
    int start = endpoint.indexOf("\"excluded\":[");
    return endpoint.substring(start, endpoint.indexOf(']', start) + 1);
  }

  private HttpResponse<String> lookup(ConfigurableApplicationContext context, String key) {
    try {
      return get(context, "/actuator/jsonmmap/" + key);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private HttpResponse<String> get(ConfigurableApplicationContext context, String path)
      throws Exception {
    return send(context, "GET", path, null);
  }

  private HttpResponse<String> send(
      ConfigurableApplicationContext context, String method, String path, String body)
      throws Exception {
    String base = "http://127.0.0.1:" + context.getEnvironment().getProperty("local.server.port");
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path));
    if (body == null) {
      request.method(method, HttpRequest.BodyPublishers.noBody());
    } else {
      request
          .header("Content-Type", "application/json")
          .method(method, HttpRequest.BodyPublishers.ofString(body));
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  @SpringBootConfiguration(proxyBeanMethods = false)
  @EnableAutoConfiguration
  static class WebApplication {}
}
