package io.github.jsonmmap.cli;

import io.github.jsonmmap.JsonMmapInbox.Request;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;

@Command(
    name = "set",
    description = {
      "Set one key to a value.",
      "Set the value at KEY, creating missing objects and arrays on the way. VALUE is parsed as"
          + " JSON when it is valid JSON (5, true, null, \"text\", [1,2], {\"a\":1}), else taken"
          + " as a string. Prints the new version (the current one when nothing changed)."
    })
final class SetCommand implements Callable<Integer>, FileCommand {

  @Spec CommandSpec spec;

  @Mixin WriteOptions write;

  @Mixin InboxOptions inbox;

  @Parameters(index = "0", paramLabel = "FILE", description = "The jsonmmap file.")
  Path file;

  @Parameters(index = "1", paramLabel = "KEY", description = "A key path such as a.b[0].c.")
  String key;

  @Parameters(index = "2", paramLabel = "VALUE", description = "JSON, or any other text.")
  String value;

  @Option(
      names = {"-s", "--string"},
      description = "Take VALUE as a string even when it is valid JSON (such as 42 or true).")
  boolean string;

  @Override
  public Path file() {
    return file;
  }

  @Override
  public Integer call() {
    JsonNode parsed = string ? null : Json.tryParse(value);
    JsonNode node = parsed != null ? parsed : JsonNodeFactory.instance.stringNode(value);
    return InboxWrite.run(
        spec, write, inbox, file, Request.set(key, node), writer -> writer.set(key, node));
  }
}
