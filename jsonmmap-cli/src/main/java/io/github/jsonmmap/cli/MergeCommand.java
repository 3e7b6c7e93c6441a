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
    name = "merge",
    description = {
      "Apply an RFC 7386 JSON merge patch.",
      "Apply an RFC 7386 JSON merge patch: objects merge, other values replace, null removes."
          + " Prints the new version (the current one when the patch changes nothing)."
    })
final class MergeCommand implements Callable<Integer>, FileCommand {

  @Spec CommandSpec spec;

  @Mixin WriteOptions write;

  @Mixin InboxOptions inbox;

  @Parameters(index = "0", paramLabel = "FILE", description = "The jsonmmap file.")
  Path file;

  @Parameters(
      index = "1",
      paramLabel = "PATCH|@path|-",
      description = "The patch, a JSON object: JSON text, @path to read a file, or - for stdin.")
  String patch;

  @Override
  public Path file() {
    return file;
  }

  @Override
  public Integer call() {
    ObjectNode tree = Json.readObject(patch, "patch", write.inputLimit(file));
    return InboxWrite.run(
        spec, write, inbox, file, Request.merge(tree), writer -> writer.merge(tree));
  }
}
