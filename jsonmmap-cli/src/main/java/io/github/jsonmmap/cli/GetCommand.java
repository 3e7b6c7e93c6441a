package io.github.jsonmmap.cli;

import io.github.jsonmmap.JsonMmapFile;
import io.github.jsonmmap.Snapshot;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import tools.jackson.databind.JsonNode;

@Command(
    name = "get",
    description = {
      "Print the document, one value, or the flattened properties.",
      "Print the document as pretty JSON, or the value at KEY as JSON (strings quoted; --raw"
          + " prints them bare), or with --flat the flattened key=value properties (Spring's"
          + " names, as applications see them).",
      "JSON output escapes control and bidirectional characters as \\uXXXX (the same JSON);"
          + " --flat escapes them as \\n, \\x1b, \\u202e and a backslash as \\\\; --raw"
          + " prints a string exactly as stored."
    })
final class GetCommand implements Callable<Integer>, FileCommand {

  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "FILE", description = "The jsonmmap file.")
  Path file;

  @Parameters(
      index = "1",
      arity = "0..1",
      paramLabel = "KEY",
      description = "A key path such as a.b[0].c; the whole document when absent.")
  String key;

  @Option(
      names = "--flat",
      description = "Print key=value lines, one per leaf (under KEY when given).")
  boolean flat;

  @Option(
      names = {"-r", "--raw"},
      description =
          "Print a string value without quotes and exactly as stored, as jq -r does (control"
              + " characters included: do not use it on untrusted documents in a terminal).")
  boolean raw;

  @Option(names = "--compact", description = "Print JSON on one line.")
  boolean compact;

  @Mixin TrustOptions trust;

  @Override
  public Path file() {
    return file;
  }

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    Snapshot snapshot;
    try (JsonMmapFile reader = Open.reader(file, trust)) {
      snapshot = reader.snapshot();
    }
    if (flat) {
      return printFlat(snapshot, out);
    }
    JsonNode node = snapshot.tree();
    if (key != null) {
      node = snapshot.node(key).orElseThrow(() -> noKey(snapshot));
    }
    if (raw && node.isString()) {
      out.println(node.asString());
    } else {
      out.println(compact ? Json.compact(node) : Json.pretty(node));
    }
    return ExitCodes.OK;
  }

  private int printFlat(Snapshot snapshot, PrintWriter out) {
    boolean any = false;
    for (Map.Entry<String, Object> e : snapshot.flat().entrySet()) {
      String k = e.getKey();
      if (key == null || k.equals(key) || k.startsWith(key + ".") || k.startsWith(key + "[")) {
        out.println(SafeText.of(k) + "=" + (e.getValue() == null ? "" : SafeText.of(e.getValue())));
        any = true;
      }
    }
    if (key != null && !any) {
      throw noKey(snapshot);
    }
    return ExitCodes.OK;
  }

  private CliException noKey(Snapshot snapshot) {
    return new CliException(
        ExitCodes.NO_KEY,
        "no such key: path=" + snapshot.file() + " key=" + key + " version=" + snapshot.version());
  }
}
