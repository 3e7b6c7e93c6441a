package io.github.jsonmmap.cli;

import io.github.jsonmmap.FileInfo;
import io.github.jsonmmap.FileInfo.SlotInfo;
import io.github.jsonmmap.JsonMmapException;
import io.github.jsonmmap.JsonMmapFile;
import io.github.jsonmmap.JsonMmapOptions;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

@Command(
    name = "inspect",
    description = {
      "Show the header, both slots and the writer.",
      "Print what the header says, without taking any lock: format version, sizes, generation,"
          + " current and previous version with publish times, both slots' state, the last"
          + " writer and its heartbeat age, checksum status.",
      "Text output escapes control and bidirectional characters in names, paths and writer info"
          + " (\\n, \\x1b, \\u202e); --json escapes them as JSON does.",
      "Slot states: current (an odd sequence there: committed, not yet released), previous,"
          + " empty, writing (odd sequence: a publish in progress or a writer that died in one),"
          + " uncommitted (written, never made current), corrupt: why."
    })
final class InspectCommand implements Callable<Integer>, FileCommand {

  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "FILE", description = "The jsonmmap file.")
  Path file;

  @Option(names = "--json", description = "Print one JSON object.")
  boolean json;

  @Mixin TrustOptions trust;

  @Override
  public Path file() {
    return file;
  }

  @Override
  public Integer call() {
    Open.requireRegularFile(file.toAbsolutePath().normalize(), false);
    FileInfo info =
        JsonMmapFile.inspect(Open.readerOptions(file.toAbsolutePath().normalize(), trust).build());
    Optional<JsonNode> source = source(info);
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      ObjectNode n = toJson(info);
      source.ifPresent(node -> n.set("source", node));
      out.println(Json.pretty(n));
    } else {
      String text = text(info);
      out.println(
          source
              .map(
                  node ->
                      text
                          + String.format(
                              Locale.ROOT, "%n%-10s %s", "source", SafeText.of(Json.compact(node))))
              .orElse(text));
    }
    return ExitCodes.OK;
  }

  static Optional<SlotInfo> previous(FileInfo info) {
    return info.slots().stream().filter(s -> s.state().equals("previous")).findFirst();
  }

  static boolean checksumsOk(FileInfo info) {
    return info.slots().stream().noneMatch(s -> s.state().startsWith("corrupt"));
  }

  static Optional<Duration> heartbeatAge(FileInfo info) {
    if (info.heartbeatMicros() == 0) {
      return Optional.empty();
    }
    long now = TimeUnit.MILLISECONDS.toMicros(System.currentTimeMillis());
    return Optional.of(Duration.ofNanos(Math.max(0, now - info.heartbeatMicros()) * 1000));
  }

  private static String text(FileInfo info) {
    StringBuilder b = new StringBuilder();
    row(b, "path", info.path().toString());
    row(b, "format", info.formatMajor() + "." + info.formatMinor());
    row(b, "name", info.name().isEmpty() ? "-" : info.name());
    row(
        b,
        "size",
        CliText.bytes(info.fileSize())
            + " ("
            + info.fileSize()
            + " bytes): header "
            + info.headerLength()
            + " bytes, capacity "
            + CliText.bytes(info.capacity())
            + ", generation "
            + info.generation());
    row(b, "created", CliText.time(info.createdMicros()));
    SlotInfo current = info.slots().get(info.currentSlot());
    row(
        b,
        "version",
        info.currentVersion()
            + " (slot "
            + info.currentSlot()
            + ", "
            + CliText.bytes(current.length())
            + ", published "
            + CliText.time(current.publishedAtMicros())
            + ")");
    row(
        b,
        "previous",
        previous(info)
            .map(
                p ->
                    p.version()
                        + " (slot "
                        + p.index()
                        + ", "
                        + CliText.bytes(p.length())
                        + ", published "
                        + CliText.time(p.publishedAtMicros())
                        + ")")
            .orElse("none"));
    row(b, "writer", writer(info));
    for (SlotInfo slot : info.slots()) {
      row(
          b,
          "slot " + slot.index(),
          String.format(
              Locale.ROOT,
              "%-9s version=%d sequence=%d offset=%d length=%d checksum=%08x published=%s",
              slot.state(),
              slot.version(),
              slot.sequence(),
              slot.offset(),
              slot.length(),
              slot.checksum(),
              CliText.time(slot.publishedAtMicros())));
    }
    row(b, "checksums", checksumsOk(info) ? "ok" : "FAILED (see the slot states)");
    for (String fault : info.faults()) {
      row(b, "FAULT", fault);
    }
    b.setLength(b.length() - 1);
    return b.toString();
  }

  /**
   * What the writer says the current version came from: the document's {@code _jsonmmap} object,
   * which jsonmmap-agent writes (the etcd revision, for one). Empty when there is none or the
   * current version cannot be read (the slot states say why).
   */
  private Optional<JsonNode> source(FileInfo info) {
    if (!info.slots().get(info.currentSlot()).state().equals("current")) {
      return Optional.empty();
    }
    try (JsonMmapFile reader = Open.reader(info.path(), trust)) {
      return reader.snapshot().node("_jsonmmap").filter(JsonNode::isObject);
    } catch (JsonMmapException e) {
      return Optional.empty();
    }
  }

  private static String writer(FileInfo info) {
    if (info.closedCleanlyAt().isPresent()) {
      return "none, closed cleanly at "
          + info.closedCleanlyAt().get()
          + (info.writerInfo().isEmpty() ? "" : " by " + info.writerInfo());
    }
    if (info.writerId() == null) {
      return "none";
    }
    String age =
        heartbeatAge(info)
            .map(
                a ->
                    "heartbeat "
                        + CliText.age(a)
                        + " ago"
                        + (a.compareTo(JsonMmapOptions.DEFAULT_STALE_AFTER) > 0
                            ? " (stale: no live writer, or a CLI write that ended)"
                            : " (alive)"))
            .orElse("no heartbeat");
    return info.writerInfo()
        + ", id "
        + info.writerId()
        + ", since "
        + CliText.time(info.writerSinceMicros())
        + ", "
        + age;
  }

  private static void row(StringBuilder b, String name, String value) {
    b.append(String.format(Locale.ROOT, "%-10s %s%n", name, SafeText.of(value)));
  }

  private static ObjectNode toJson(FileInfo info) {
    ObjectNode n = Json.object();
    n.put("path", info.path().toString());
    n.put("formatVersion", info.formatMajor() + "." + info.formatMinor());
    n.put("formatMajor", info.formatMajor());
    n.put("formatMinor", info.formatMinor());
    n.put("name", info.name());
    n.put("headerLength", info.headerLength());
    n.put("fileSize", info.fileSize());
    n.put("capacity", info.capacity());
    n.put("generation", info.generation());
    n.put("createdMicros", info.createdMicros());
    n.put("currentVersion", info.currentVersion());
    n.put("currentSlot", info.currentSlot());
    Optional<SlotInfo> previous = previous(info);
    if (previous.isPresent()) {
      n.put("previousVersion", previous.get().version());
    } else {
      n.putNull("previousVersion");
    }
    n.put("writerId", info.writerId() == null ? null : info.writerId().toString());
    n.put("writerInfo", info.writerInfo());
    n.put("writerSinceMicros", info.writerSinceMicros());
    n.put("heartbeatMicros", info.heartbeatMicros());
    Optional<Duration> age = heartbeatAge(info);
    if (age.isPresent()) {
      n.put("heartbeatAgeMicros", TimeUnit.NANOSECONDS.toMicros(age.get().toNanos()));
    } else {
      n.putNull("heartbeatAgeMicros");
    }
    n.put("checksumsOk", checksumsOk(info));
    n.put("maxDocumentSize", info.maxDocumentSize());
    n.put("writerEpoch", info.writerEpoch());
    if (info.closedCleanlyAt().isPresent()) {
      n.put("closedCleanlyMicros", info.closedMicros());
    } else {
      n.putNull("closedCleanlyMicros");
    }
    info.faults().forEach(n.withArray("faults")::add);
    for (SlotInfo slot : info.slots()) {
      ObjectNode s = n.withArray("slots").addObject();
      s.put("index", slot.index());
      s.put("state", slot.state());
      s.put("sequence", slot.sequence());
      s.put("version", slot.version());
      s.put("offset", slot.offset());
      s.put("length", slot.length());
      s.put("checksum", String.format(Locale.ROOT, "%08x", slot.checksum()));
      s.put("publishedAtMicros", slot.publishedAtMicros());
    }
    return n;
  }
}
