package io.github.jsonmmap.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.jsonmmap.JsonMmapFile;
import io.github.jsonmmap.JsonMmapOptions;
import io.github.jsonmmap.Role;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Keys, values, document names, writer info and paths that carry control characters, ANSI escape
 * sequences or bidirectional overrides never reach the terminal raw: text output shows them as
 * visible escapes, JSON output as JSON escapes of the same string (README "Security", issue #10.7).
 */
class SafeOutputIT {

  private static final JsonMapper JSON = JsonMapper.builder().build();

  /** What must never be printed raw: C0, DEL, C1, bidirectional and line-breaking controls. */
  private static final Pattern RAW_CONTROL =
      Pattern.compile(
          "[\\x00-\\x1f\\x7f-\\x9f\\u061c\\u200e\\u200f\\u2028-\\u202e\\u2066-\\u2069]");

  /** ESC [ 31 m: red. */
  private static final String RED = "\u001b[31m";

  /** U+202E RIGHT-TO-LEFT OVERRIDE. */
  private static final String RLO = "\u202e";

  /** FORMAT.md: the writer info length (u32) and its 64 bytes. */
  private static final int WRITER_INFO_LENGTH_OFFSET = 100;

  private static final int WRITER_INFO_OFFSET = 192;

  @TempDir Path dir;

  private Path file;

  @BeforeEach
  void paths() {
    file = dir.resolve("app.json");
  }

  /** A document whose keys and values try to forge lines, colour the terminal and reorder text. */
  private static ObjectNode hostileDocument() {
    ObjectNode doc = JSON.createObjectNode();
    doc.put("line\nforged=1", "v\nforged=2");
    doc.put(RED + "red", RED + "value");
    doc.put("cr\rkey", "cr\rvalue");
    doc.put("evil" + RLO + "txt.exe", "bidi" + RLO + "value");
    doc.put("tab\tdel\u007fc1\u009b", "back\\slash");
    return doc;
  }

  private void createHostile() {
    try (JsonMmapFile writer = JsonMmapFile.open(file, Role.WRITER)) {
      writer.publish(hostileDocument());
    }
  }

  @Test
  void flatEscapesKeysAndValues() {
    createHostile();

    List<String> lines = Cli.run(dir, "get", "app.json", "--flat").ok().lines().toList();

    assertThat(lines)
        .containsExactly(
            "line\\nforged=1=v\\nforged=2",
            "\\x1b[31mred=\\x1b[31mvalue",
            "cr\\rkey=cr\\rvalue",
            "evil\\u202etxt.exe=bidi\\u202evalue",
            "tab\\tdel\\x7fc1\\x9b=back\\\\slash");
  }

  @Test
  void jsonOutputIsExactJsonWithEveryControlEscaped() {
    createHostile();

    String pretty = Cli.run(dir, "get", "app.json").ok();
    String compact = Cli.run(dir, "get", "app.json", "--compact").ok();

    for (String output : List.of(pretty, compact)) {
      assertThat(output.replace("\n", "")).doesNotContainPattern(RAW_CONTROL);
      assertThat(JSON.readTree(output)).isEqualTo(hostileDocument());
    }
    assertThat(compact)
        .contains("\"line\\nforged=1\":\"v\\nforged=2\"")
        .contains("\"\\u001B[31mred\"")
        .contains("\"evil\\u202Etxt.exe\"")
        .contains("del\\u007Fc1\\u009B");
  }

  @Test
  void everyC0ControlIsEscapedInJsonOutput() {
    StringBuilder all = new StringBuilder();
    for (char c = 0; c < 0x20; c++) {
      all.append(c);
    }
    try (JsonMmapFile writer = JsonMmapFile.open(file, Role.WRITER)) {
      writer.set("c0", all.toString());
    }

    String value = Cli.run(dir, "get", "app.json", "c0").ok();

    assertThat(value).doesNotContainPattern(RAW_CONTROL);
    assertThat(JSON.readTree(value).asString()).isEqualTo(all.toString());
  }

  @Test
  void rawPrintsTheStringExactlyAsStored() {
    String stored = RED + "red" + RLO + "txt\u007f";
    try (JsonMmapFile writer = JsonMmapFile.open(file, Role.WRITER)) {
      writer.set("s", stored);
    }

    assertThat(Cli.run(dir, "get", "app.json", "s", "--raw").ok()).isEqualTo(stored);
  }

  @Test
  void inspectEscapesTheNameAndTheWriterInfo() throws IOException {
    String name = "orders\n" + RED + "x";
    JsonMmapFile.open(JsonMmapOptions.builder(file).role(Role.WRITER).name(name).build()).close();
    String writerInfo = "pid=1 host=h\r\u001b[2Jforged" + RLO;
    writeWriterInfo(writerInfo);

    String text = Cli.run(dir, "inspect", "app.json").ok();

    assertThat(text.lines())
        .allSatisfy(line -> assertThat(line).doesNotContainPattern(RAW_CONTROL));
    assertThat(text.lines())
        .contains("name       orders\\n\\x1b[31mx")
        .anyMatch(
            line ->
                line.startsWith("writer     none, closed cleanly at ")
                    && line.endsWith(" by pid=1 host=h\\r\\x1b[2Jforged\\u202e"));

    String json = Cli.run(dir, "inspect", "app.json", "--json").ok();
    assertThat(json.replace("\n", "")).doesNotContainPattern(RAW_CONTROL);
    JsonNode info = JSON.readTree(json);
    assertThat(info.get("name").asString()).isEqualTo(name);
    assertThat(info.get("writerInfo").asString()).isEqualTo(writerInfo);
  }

  @Test
  void watchEscapesChangedKeysInTextAndKeepsThemExactInJson() {
    Fixture.create(file);
    try (Cli text =
            Cli.start(dir, "watch", "app.json", "--mode", "poll", "--poll-interval", "20ms");
        Cli json =
            Cli.start(
                dir, "watch", "app.json", "--json", "--mode", "poll", "--poll-interval", "20ms")) {
      text.awaitErr("watching");
      json.awaitErr("watching");

      try (JsonMmapFile writer = JsonMmapFile.open(file, Role.WRITER)) {
        ObjectNode doc = JSON.createObjectNode();
        doc.put("k\nversion=99 publishedAt=forged", 1);
        writer.publish(doc);
        // One version at a time: watch coalesces versions published faster than it polls.
        awaitLines(text, 1);
        awaitLines(json, 1);
        doc.put(RED + "k" + RLO, 2);
        writer.publish(doc);
      }
      awaitLines(text, 2);
      awaitLines(json, 2);

      assertThat(text.out()).hasSize(2);
      assertThat(text.out().get(0)).endsWith(" added=k\\nversion=99 publishedAt=forged");
      assertThat(text.out().get(1)).endsWith(" added=\\x1b[31mk\\u202e");
      assertThat(String.join("", text.out())).doesNotContainPattern(RAW_CONTROL);

      assertThat(json.out()).hasSize(2);
      assertThat(String.join("", json.out())).doesNotContainPattern(RAW_CONTROL);
      assertThat(JSON.readTree(json.out().get(0)).get("added").get(0).asString())
          .isEqualTo("k\nversion=99 publishedAt=forged");
      assertThat(JSON.readTree(json.out().get(1)).get("added").get(0).asString())
          .isEqualTo(RED + "k" + RLO);
    }
  }

  @Test
  void errorsEscapePathsAndKeysOnOneLine() throws IOException {
    String hostile = "app\n" + RED + "x" + RLO + ".json";

    String missing = Cli.run(dir, "get", hostile).fails(1);
    assertThat(missing)
        .isEqualTo("jsonmmap: file does not exist: path=" + dir + "/app\\n\\x1b[31mx\\u202e.json");

    Fixture.create(file);
    assertThat(Cli.run(dir, "get", "app.json", "no\r\u001bckey").fails(4))
        .isEqualTo("jsonmmap: no such key: path=" + file + " key=no\\r\\x1bckey version=1");
  }

  @Test
  void verifyEscapesThePath() {
    Path odd = dir.resolve("a" + RLO + "b.json");
    Fixture.create(odd);

    assertThat(Cli.run(dir, "verify", odd.toString()).ok())
        .isEqualTo("ok: path=" + dir + "/a\\u202eb.json version=1 size=2 previous=none");
  }

  private void writeWriterInfo(String info) throws IOException {
    byte[] bytes = info.getBytes(StandardCharsets.UTF_8);
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
      ch.write(
          ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(0, bytes.length),
          WRITER_INFO_LENGTH_OFFSET);
      ch.write(ByteBuffer.wrap(bytes), WRITER_INFO_OFFSET);
    }
    assertThat(Files.size(file)).isPositive();
  }

  private static void awaitLines(Cli watch, int count) {
    Awaitility.await("watch printing " + count + " line(s)")
        .atMost(Cli.TIMEOUT)
        .pollInterval(Duration.ofMillis(10))
        .until(() -> watch.out().size() >= count || !watch.isAlive());
    assertThat(watch.out()).as("stdout; stderr=%s", watch.err()).hasSizeGreaterThanOrEqualTo(count);
  }
}
