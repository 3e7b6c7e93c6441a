package io.github.jsonmmap.cli;

import io.github.jsonmmap.JsonMmapInbox.Request;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import tools.jackson.databind.node.ObjectNode;

@Command(
    name = "put",
    description = {
      "Publish a whole document as a new version.",
      "Publish a whole document (a JSON object) as a new version, even when it equals the current"
          + " one. Prints the new version."
    })
final class PutCommand implements Callable<Integer>, FileCommand {

  @Spec CommandSpec spec;

  @Mixin WriteOptions write;

  @Mixin InboxOptions inbox;

  @Parameters(index = "0", paramLabel = "FILE", description = "The jsonmmap file.")
  Path file;

  @Parameters(
      index = "1",
      paramLabel = "JSON|@path|-",
      description = "The document: JSON text, @path to read a file, or - to read standard input.")
  String document;

  @Override
  public Path file() {
    return file;
  }

  @Override
  public Integer call() {
    ObjectNode tree = Json.readObject(document, "document", write.inputLimit(file));
    return InboxWrite.run(
        spec, write, inbox, file, Request.put(tree), writer -> writer.publish(tree));
  }
}
