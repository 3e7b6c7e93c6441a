package io.github.jsonmmap.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.jsonmmap.JsonMmapFile;
import io.github.jsonmmap.Snapshot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Each command of the real jar, run in a child process, on its happy path. */
class CommandsIT {

  private static final JsonMapper JSON = JsonMapper.builder().build();

  @TempDir Path dir;

  private Path file;

  @BeforeEach
  void createFile() {
    file = dir.resolve("app.json");
  }

  private Snapshot read() {
    return Fixture.read(file);
  }

  @Test
  void initCreatesVersionOneWithTheRequestedCapacityAndMode() throws Exception {
    assertThat(Cli.run(dir, "init", "app.json", "--capacity", "64KiB", "--mode", "600").ok())
        .isEqualTo("1");

    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
        .isEqualTo("rw-------");
    assertThat(JsonMmapFile.inspect(file).capacity()).isEqualTo(64 * 1024);
    assertThat(read().json()).isEqualTo("{}");
  }

  @Test
  void setParsesValidJsonAndTakesAnythingElseAsAString() {
    Fixture.create(file);

    assertThat(Cli.run(dir, "set", "app.json", "limits.rps", "100").ok()).isEqualTo("2");
    assertThat(Cli.run(dir, "set", "app.json", "greeting", "hello world").ok()).isEqualTo("3");
    assertThat(Cli.run(dir, "set", "app.json", "servers[0].port", "{\"tls\": true}").ok())
        .isEqualTo("4");
    assertThat(Cli.run(dir, "set", "app.json", "--string", "flag", "true").ok()).isEqualTo("5");

    assertThat(read().json())
        .isEqualTo(
            "{\"limits\":{\"rps\":100},\"greeting\":\"hello world\","
                + "\"servers\":[{\"port\":{\"tls\":true}}],\"flag\":\"true\"}");
  }

  @Test
  void getPrintsPrettyJsonOneValueRawStringsAndFlatProperties() {
    Fixture.create(file, "{\"a\":{\"b\":[1,2]},\"s\":\"text\",\"n\":null}");

    assertThat(Cli.run(dir, "get", "app.json").ok())
        .isEqualTo(
            String.join(
                "\n",
                "{",
                "  \"a\": {",
                "    \"b\": [",
                "      1,",
                "      2",
                "    ]",
                "  },",
                "  \"s\": \"text\",",
                "  \"n\": null",
                "}"));
    assertThat(Cli.run(dir, "get", "app.json", "s").ok()).isEqualTo("\"text\"");
    assertThat(Cli.run(dir, "get", "app.json", "s", "--raw").ok()).isEqualTo("text");
    assertThat(Cli.run(dir, "get", "app.json", "a", "--compact").ok()).isEqualTo("{\"b\":[1,2]}");
    assertThat(Cli.run(dir, "get", "app.json", "--flat").ok())
        .isEqualTo("a.b[0]=1\na.b[1]=2\ns=text\nn=");
    assertThat(Cli.run(dir, "get", "app.json", "a", "--flat").ok()).isEqualTo("a.b[0]=1\na.b[1]=2");
  }

  @Test
  void putReadsTheDocumentFromAnArgumentAFileOrStandardInput() throws Exception {
    Fixture.create(file);
    Files.writeString(dir.resolve("doc.json"), "{\"from\": \"file\"}");

    assertThat(Cli.run(dir, "put", "app.json", "{\"from\":\"argument\"}").ok()).isEqualTo("2");
    assertThat(read().get("from")).isEqualTo("argument");
    assertThat(Cli.run(dir, "put", "app.json", "@doc.json").ok()).isEqualTo("3");
    assertThat(read().get("from")).isEqualTo("file");
    assertThat(Cli.runWithStdin(dir, "{\"from\": \"stdin\"}", "put", "app.json", "-").ok())
        .isEqualTo("4");
    assertThat(read().get("from")).isEqualTo("stdin");
  }

  @Test
  void mergeAppliesAMergePatchAndRemoveDeletesOneKey() {
    Fixture.create(file, "{\"a\":{\"x\":1,\"y\":2},\"b\":true,\"c\":3}");

    assertThat(Cli.run(dir, "merge", "app.json", "{\"a\":{\"y\":null,\"z\":9},\"b\":null}").ok())
        .isEqualTo("3");
    assertThat(read().json()).isEqualTo("{\"a\":{\"x\":1,\"z\":9},\"c\":3}");

    assertThat(Cli.run(dir, "remove", "app.json", "a.x").ok()).isEqualTo("4");
    assertThat(read().json()).isEqualTo("{\"a\":{\"z\":9},\"c\":3}");
    assertThat(Cli.run(dir, "remove", "app.json", "absent").ok())
        .as("nothing to remove: nothing published, the current version printed")
        .isEqualTo("4");
  }

  @Test
  void rollbackPublishesThePreviousDocumentAgain() {
    Fixture.create(file, "{\"mode\":\"safe\"}", "{\"mode\":\"fast\"}");

    assertThat(Cli.run(dir, "rollback", "app.json").ok()).isEqualTo("4");

    Snapshot snapshot = read();
    assertThat(snapshot.version()).isEqualTo(4);
    assertThat(snapshot.get("mode")).isEqualTo("safe");
  }

  @Test
  void inspectShowsHeaderSlotsAndWriterAsTextOrJson() throws Exception {
    Cli.run(dir, "init", "app.json", "--name", "orders").ok();
    Fixture.create(file, "{\"a\":1}");

    String text = Cli.run(dir, "inspect", "app.json").ok();
    assertThat(text)
        .contains("format     1.1")
        .contains("name       orders")
        .contains("version    2 (slot 1")
        .contains("previous   1 (slot 0")
        .contains("writer     none, closed cleanly at ")
        .contains(" by pid=")
        .containsPattern("slot 0 +previous +version=1")
        .containsPattern("slot 1 +current +version=2")
        .contains("checksums  ok");

    JsonNode json = JSON.readTree(Cli.run(dir, "inspect", "app.json", "--json").ok());
    assertThat(json.get("path").asString()).isEqualTo(file.toString());
    assertThat(json.get("formatVersion").asString()).isEqualTo("1.1");
    assertThat(json.get("currentVersion").asLong()).isEqualTo(2);
    assertThat(json.get("previousVersion").asLong()).isEqualTo(1);
    assertThat(json.get("checksumsOk").asBoolean()).isTrue();
    assertThat(json.get("fileSize").asLong()).isEqualTo(Files.size(file));
    assertThat(json.get("slots")).hasSize(2);
    assertThat(json.get("slots").get(1).get("state").asString()).isEqualTo("current");
  }

  @Test
  void verifyAcceptsAConsistentFile() {
    Fixture.create(file);
    assertThat(Cli.run(dir, "verify", "app.json").ok())
        .isEqualTo("ok: path=" + file + " version=1 size=2 previous=none");

    Fixture.create(file, "{\"a\":1}");
    assertThat(Cli.run(dir, "verify", "app.json").ok())
        .isEqualTo("ok: path=" + file + " version=2 size=7 previous=1");
  }

  @Test
  void helpListsTheCommandsAndTheExitCodes() {
    String help = Cli.run(dir, "--help").ok();
    assertThat(help)
        .contains("init", "get", "put", "set", "merge", "remove", "rollback")
        .contains("inspect", "verify", "watch")
        .contains("Exit codes:", "3   another process holds the writer lock");

    assertThat(Cli.run(dir, "set", "--help").ok())
        .contains("Usage: jsonmmap set", "--wait=DURATION", "Exit codes:");
  }
}
