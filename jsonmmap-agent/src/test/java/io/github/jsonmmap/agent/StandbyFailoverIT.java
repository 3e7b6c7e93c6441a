package io.github.jsonmmap.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.jsonmmap.JsonMmapFile;
import io.github.jsonmmap.JsonMmapOptions;
import io.github.jsonmmap.Role;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two agents on one host (the executable jar, each in its own JVM) with {@code role=auto}: one
 * writes, the other stands by and takes over when the writer is killed; a third with {@code
 * role=writer} fails fast with an explanation naming the property to change.
 */
class StandbyFailoverIT {

  private static final Duration DEADLINE = Duration.ofSeconds(120);

  @TempDir Path tmp;

  private final List<AutoCloseable> resources = new ArrayList<>();
  private final HttpClient http = HttpClient.newHttpClient();

  @AfterEach
  void stopEverything() throws Exception {
    for (int i = resources.size() - 1; i >= 0; i--) {
      resources.get(i).close();
    }
  }

  private Child agent(String name, Path dir, Path file, String role) {
    Child agent =
        Child.agent(
            name,
            List.of(),
            List.of(
                "--jsonmmap.agent.source=directory",
                "--jsonmmap.agent.directory.path=" + dir,
                "--jsonmmap.agent.file=" + file,
                "--jsonmmap.agent.role=" + role,
                "--server.port=0",
                "--server.address=127.0.0.1",
                "--logging.structured.format.console="));
    resources.add(agent);
    return agent;
  }

  private String status(int port) throws IOException, InterruptedException {
    return http.send(
            HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + port + "/actuator/jsonmmapagent"))
                .timeout(Duration.ofSeconds(30))
                .build(),
            HttpResponse.BodyHandlers.ofString())
        .body();
  }

  @Test
  void standbyAgentTakesOverWhenTheWriterIsKilled() throws Exception {
    Path dir = Files.createDirectory(tmp.resolve("config"));
    Files.writeString(dir.resolve("app.json"), "{\"v\":1}");
    Path shm = Files.createDirectory(tmp.resolve("shm"));
    Files.setPosixFilePermissions(shm, PosixFilePermissions.fromString("rwx------"));
    Path file = shm.resolve("app.json");
    Child a = agent("agentA", dir, file, "auto");
    int portA = a.awaitHttpPort(DEADLINE);
    await("agent A writes")
        .atMost(DEADLINE)
        .ignoreExceptions()
        .until(() -> status(portA).contains("\"writer\":true"));
    Child b = agent("agentB", dir, file, "auto");
    int portB = b.awaitHttpPort(DEADLINE);
    await("agent B stands by")
        .atMost(DEADLINE)
        .ignoreExceptions()
        .until(() -> status(portB).contains("\"sourceUp\":true"));
    assertThat(status(portB)).contains("\"writer\":false");

    JsonMmapFile reader = JsonMmapFile.open(JsonMmapOptions.of(file, Role.READER));
    resources.add(reader);
    await().atMost(DEADLINE).until(() -> Integer.valueOf(1).equals(reader.refresh().get("v")));

    Child c = agent("agentC", dir, file, "writer");
    await("a second writer fails fast").atMost(DEADLINE).until(() -> !c.isAlive());
    assertThat(String.join("\n", c.lines())).contains("--jsonmmap.agent.role=auto");

    a.kill();
    Files.writeString(dir.resolve("app.json"), "{\"v\":2}");
    await().atMost(DEADLINE).until(() -> Integer.valueOf(2).equals(reader.refresh().get("v")));
    assertThat(status(portB)).contains("\"writer\":true");
    assertThat(b.isAlive()).isTrue();
  }
}
