package io.github.jsonmmap.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.jsonmmap.JsonMmapFile;
import io.github.jsonmmap.Role;
import io.github.jsonmmap.spring.actuate.JsonMmapWritableEndpoint;
import io.github.jsonmmap.spring.actuate.JsonMmapWritableEndpoint.WriteDescriptor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.actuate.endpoint.Show;
import org.springframework.boot.actuate.endpoint.web.WebEndpointResponse;
import tools.jackson.databind.json.JsonMapper;

/** The writes of the endpoint: JSON values in, versions or RFC 9457 problem details out. */
class JsonMmapWritableEndpointTest {

  @TempDir Path dir;

  private final List<JsonMmapFile> files = new ArrayList<>();
  private SharedConfigTemplate writer;

  @BeforeEach
  void createDocument() {
    writer = template(Role.WRITER, List.of());
    Map<String, Object> document = new LinkedHashMap<>();
    document.put("greeting", Map.of("message", "hello"));
    document.put("db", Map.of("url", "jdbc:h2:mem:x", "password", "secret"));
    document.put("limits", List.of(1, 2));
    writer.publish(document);
  }

  @AfterEach
  void close() {
    files.forEach(JsonMmapFile::close);
  }

  @Test
  void setMergeAndRemoveAnswerTheNewVersion() {
    JsonMmapWritableEndpoint endpoint = new JsonMmapWritableEndpoint(writer, Show.NEVER, List.of());
    long start = writer.version();

    Object set = ok(endpoint.set("greeting.message", "bonjour"));
    Object same = ok(endpoint.set("greeting.message", "bonjour"));
    Map<String, Object> patch = new LinkedHashMap<>();
    patch.put("db", Map.of("url", "jdbc:h2:mem:y"));
    patch.put("limits", null);
    WriteDescriptor merged = (WriteDescriptor) ok(endpoint.merge(patch));
    WriteDescriptor removed = (WriteDescriptor) ok(endpoint.remove("db.password"));
    WriteDescriptor absent = (WriteDescriptor) ok(endpoint.remove("db.password"));

    assertThat(set).isEqualTo(new WriteDescriptor(start + 1, start, true));
    assertThat(same).isEqualTo(new WriteDescriptor(start + 1, start + 1, false));
    assertThat(merged.version()).isEqualTo(start + 2);
    assertThat(removed.version()).isEqualTo(start + 3);
    assertThat(absent.changed()).isFalse();
    assertThat(writer.snapshot().flat())
        .containsOnlyKeys("greeting.message", "db.url")
        .containsEntry("greeting.message", "bonjour")
        .containsEntry("db.url", "jdbc:h2:mem:y");
  }

  @Test
  void setTakesAnyJsonValueAsItIs() {
    JsonMmapWritableEndpoint endpoint = new JsonMmapWritableEndpoint(writer, Show.NEVER, List.of());

    ok(endpoint.set("feature", Map.of("enabled", true, "ratio", 0.5)));
    ok(endpoint.set("limits", List.of(1, 2)));
    ok(endpoint.set("count", 95));
    ok(endpoint.set("quoted", "41"));
    ok(endpoint.set("text", "hello world"));
    ok(endpoint.set("empty", ""));

    assertThat(writer.snapshot().flat())
        .containsEntry("feature.enabled", true)
        .containsEntry("feature.ratio", new java.math.BigDecimal("0.5"))
        .containsEntry("limits[0]", 1)
        .containsEntry("limits[1]", 2)
        .containsEntry("count", 95)
        .containsEntry("quoted", "41")
        .containsEntry("text", "hello world")
        .containsEntry("empty", "");
  }

  @Test
  void aPatchThatIsNotAnObjectIsAProblemDetailThatDoesNotEchoIt() {
    JsonMmapWritableEndpoint endpoint = new JsonMmapWritableEndpoint(writer, Show.NEVER, List.of());
    long version = writer.version();

    for (Object patch : List.of("{\"secret-ish\":1}", List.of(1), 42)) {
      Map<String, Object> problem = problem(endpoint.merge(patch), 400, "invalid-request");
      assertThat(problem.get("detail").toString()).contains("JSON object").doesNotContain("secret");
    }
    assertThat(writer.version()).isEqualTo(version);
  }

  @Test
  void writeThroughAReaderIsAConflictWithAFixedDetailThatNamesNoPath() {
    SharedConfigTemplate reader = template(Role.READER, List.of());
    JsonMmapWritableEndpoint endpoint = new JsonMmapWritableEndpoint(reader, Show.NEVER, List.of());
    long version = writer.version();

    Map<String, Object> problem =
        problem(endpoint.set("greeting.message", "hi"), 409, "not-writer");
    assertThat(problem.get("detail").toString())
        .contains("writer role")
        .doesNotContain(dir.toString());
    problem(endpoint.merge(Map.of("a", 1)), 409, "not-writer");
    problem(endpoint.remove("greeting.message"), 409, "not-writer");
    assertThat(writer.version()).isEqualTo(version);
  }

  @Test
  void validatorRejectionsAndBadKeysAreProblemDetailsWithTheReasonAndWriteNothing() {
    files.remove(writer.file());
    writer.file().close();
    SharedConfigTemplate validated =
        template(
            Role.WRITER,
            List.of(
                candidate ->
                    candidate.path("greeting").path("message").asString().isEmpty()
                        ? List.of("greeting.message must not be empty")
                        : List.of()));
    JsonMmapWritableEndpoint endpoint =
        new JsonMmapWritableEndpoint(validated, Show.NEVER, List.of());
    long version = validated.version();

    Map<String, Object> rejected = problem(endpoint.set("greeting.message", ""), 422, "rejected");
    assertThat(rejected).containsEntry("problems", List.of("greeting.message must not be empty"));
    assertThat(rejected.get("type")).isEqualTo(JsonMmapWritableEndpoint.PROBLEM_TYPE);
    assertThat(rejected.get("title")).isNotNull();
    Map<String, Object> badKey = problem(endpoint.set("greeting[", "x"), 400, "invalid-request");
    assertThat(badKey.get("detail").toString())
        .contains("not valid")
        .doesNotContain("greeting[")
        .doesNotContain(dir.toString());
    assertThat(rejected.get("detail").toString()).doesNotContain(dir.toString());
    assertThat(validated.version()).isEqualTo(version);
  }

  private static Object ok(WebEndpointResponse<Object> response) {
    assertThat(response.getStatus()).isEqualTo(200);
    assertThat(response.getBody()).isInstanceOf(WriteDescriptor.class);
    return response.getBody();
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> problem(
      WebEndpointResponse<Object> response, int status, String reason) {
    assertThat(response.getStatus()).isEqualTo(status);
    assertThat(response.getContentType()).isEqualTo(JsonMmapWritableEndpoint.PROBLEM_JSON);
    Map<String, Object> body = (Map<String, Object>) response.getBody();
    assertThat(body).containsEntry("status", status).containsEntry("reason", reason);
    return body;
  }

  private SharedConfigTemplate template(Role role, List<SharedConfigValidator> validators) {
    JsonMmapFile file = JsonMmapFile.open(dir.resolve("app.json"), role);
    files.add(file);
    return new SharedConfigTemplate(file, validators, JsonMapper.builder().build());
  }
}
