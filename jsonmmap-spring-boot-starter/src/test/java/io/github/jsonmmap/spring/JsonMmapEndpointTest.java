package io.github.jsonmmap.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.jsonmmap.JsonMmapFile;
import io.github.jsonmmap.Role;
import io.github.jsonmmap.spring.actuate.JsonMmapEndpoint;
import io.github.jsonmmap.spring.actuate.JsonMmapEndpoint.JsonMmapDescriptor;
import io.github.jsonmmap.spring.actuate.JsonMmapEndpoint.KeyDescriptor;
import io.github.jsonmmap.spring.actuate.JsonMmapWritableEndpoint;
import java.nio.file.Path;
import java.security.Principal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.actuate.endpoint.Access;
import org.springframework.boot.actuate.endpoint.SanitizableData;
import org.springframework.boot.actuate.endpoint.SanitizingFunction;
import org.springframework.boot.actuate.endpoint.SecurityContext;
import org.springframework.boot.actuate.endpoint.Show;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import tools.jackson.databind.json.JsonMapper;

class JsonMmapEndpointTest {

  private static final String MASK = SanitizableData.SANITIZED_VALUE;

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
  void isReadOnlyByDefault() {
    for (Class<?> type : List.of(JsonMmapEndpoint.class, JsonMmapWritableEndpoint.class)) {
      Endpoint endpoint = type.getAnnotation(Endpoint.class);
      assertThat(endpoint.id()).isEqualTo("jsonmmap");
      assertThat(endpoint.defaultAccess()).isEqualTo(Access.READ_ONLY);
    }
  }

  @Test
  void describesTheFileTheWriterAndTheDocumentWithValuesMasked() {
    JsonMmapDescriptor descriptor =
        new JsonMmapEndpoint(writer, Show.NEVER, List.of()).jsonmmap(SecurityContext.NONE);

    assertThat(descriptor.file()).isEqualTo(writer.file().path().toString());
    assertThat(descriptor.role()).isEqualTo("writer");
    assertThat(descriptor.version()).isEqualTo(writer.version());
    assertThat(descriptor.previousVersion()).isEqualTo(writer.version() - 1);
    assertThat(descriptor.publishedAt()).isEqualTo(writer.snapshot().publishedAt().toString());
    assertThat(descriptor.size()).isEqualTo(writer.snapshot().size());
    assertThat(descriptor.capacity()).isPositive();
    assertThat(descriptor.error()).isNull();
    assertThat(descriptor.writer().self()).isTrue();
    assertThat(descriptor.writer().stale()).isFalse();
    assertThat(descriptor.writer().id()).isNull();
    assertThat(descriptor.writer().info()).isNull();
    assertThat(descriptor.writer().heartbeatAge()).startsWith("PT");
    assertThat(descriptor.document())
        .containsOnlyKeys("greeting.message", "db.url", "db.password", "limits[0]", "limits[1]")
        .allSatisfy((key, value) -> assertThat(value).isEqualTo(MASK));
  }

  @Test
  void showsValuesWhenAlwaysThroughTheSanitizingFunctions() {
    SanitizingFunction passwords =
        data -> data.getLowerCaseKey().endsWith("password") ? data.withSanitizedValue() : data;
    JsonMmapDescriptor descriptor =
        new JsonMmapEndpoint(writer, Show.ALWAYS, List.of(passwords))
            .jsonmmap(SecurityContext.NONE);

    assertThat(descriptor.document())
        .containsEntry("greeting.message", "hello")
        .containsEntry("db.url", "jdbc:h2:mem:x")
        .containsEntry("db.password", MASK)
        .containsEntry("limits[1]", 2);
    assertThat(descriptor.writer().id()).isNotBlank();
    assertThat(descriptor.writer().info()).contains("pid=");
  }

  @Test
  void sanitizingFunctionsSeeTheJsonmmapPropertySource() {
    List<String> sources = new ArrayList<>();
    SanitizingFunction recording =
        data -> {
          sources.add(data.getPropertySource().getName());
          return data;
        };
    new JsonMmapEndpoint(writer, Show.ALWAYS, List.of(recording)).jsonmmap(SecurityContext.NONE);

    assertThat(sources).isNotEmpty().containsOnly(JsonMmapEndpoint.PROPERTY_SOURCE_NAME);
  }

  @Test
  void whenAuthorizedShowsValuesToAuthenticatedUsersWithARequiredRole() {
    JsonMmapEndpoint anyUser = new JsonMmapEndpoint(writer, Show.WHEN_AUTHORIZED, List.of());
    JsonMmapEndpoint admins =
        new JsonMmapEndpoint(writer, Show.WHEN_AUTHORIZED, Set.of("ADMIN"), List.of());

    assertThat(anyUser.jsonmmap(SecurityContext.NONE).document())
        .containsEntry("greeting.message", MASK);
    assertThat(anyUser.jsonmmap(user("alice")).document())
        .containsEntry("greeting.message", "hello");
    assertThat(admins.jsonmmap(user("alice")).document()).containsEntry("greeting.message", MASK);
    assertThat(admins.jsonmmap(user("bob", "ADMIN")).document())
        .containsEntry("greeting.message", "hello");
    assertThat(admins.key(user("bob", "ADMIN"), "greeting.message").value()).isEqualTo("hello");
    assertThat(admins.key(user("alice"), "greeting.message").value()).isEqualTo(MASK);
  }

  @Test
  void keyGivesOneValueEveryValueUnderAnObjectOrNothing() {
    JsonMmapEndpoint endpoint = new JsonMmapEndpoint(writer, Show.ALWAYS, List.of());

    KeyDescriptor leaf = endpoint.key(SecurityContext.NONE, "greeting.message");
    KeyDescriptor object = endpoint.key(SecurityContext.NONE, "db");
    KeyDescriptor array = endpoint.key(SecurityContext.NONE, "limits");

    assertThat(leaf.key()).isEqualTo("greeting.message");
    assertThat(leaf.value()).isEqualTo("hello");
    assertThat(leaf.version()).isEqualTo(writer.version());
    assertThat(leaf.values()).isNull();
    assertThat(object.value()).isNull();
    assertThat(object.values())
        .containsOnlyKeys("db.url", "db.password")
        .containsEntry("db.url", "jdbc:h2:mem:x");
    assertThat(array.values()).containsOnlyKeys("limits[0]", "limits[1]");
    assertThat(endpoint.key(SecurityContext.NONE, "absent")).isNull();
    assertThat(endpoint.key(SecurityContext.NONE, "greet")).isNull();
    assertThat(new JsonMmapEndpoint(writer, Show.NEVER, List.of()).key(null, "db").values())
        .isNull();
  }

  @Test
  void readerDescribesItselfAsReaderOfALiveWriter() {
    SharedConfigTemplate reader = template(Role.READER, List.of());

    JsonMmapDescriptor descriptor =
        new JsonMmapEndpoint(reader, Show.ALWAYS, List.of()).jsonmmap(SecurityContext.NONE);

    assertThat(descriptor.role()).isEqualTo("reader");
    assertThat(descriptor.version()).isEqualTo(writer.version());
    assertThat(descriptor.writer().self()).isFalse();
    assertThat(descriptor.writer().stale()).isFalse();
    assertThat(descriptor.writer().id())
        .isEqualTo(writer.snapshot().writerId().orElseThrow().toString());
  }

  private SharedConfigTemplate template(Role role, List<SharedConfigValidator> validators) {
    JsonMmapFile file = JsonMmapFile.open(dir.resolve("app.json"), role);
    files.add(file);
    return new SharedConfigTemplate(file, validators, JsonMapper.builder().build());
  }

  private static SecurityContext user(String name, String... roles) {
    Principal principal = () -> name;
    Set<String> granted = Set.of(roles);
    return new SecurityContext() {
      @Override
      public Principal getPrincipal() {
        return principal;
      }

      @Override
      public boolean isUserInRole(String role) {
        return granted.contains(role);
      }
    };
  }
}
