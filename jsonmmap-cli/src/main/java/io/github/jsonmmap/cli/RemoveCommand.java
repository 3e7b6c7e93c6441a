package io.github.jsonmmap.cli;

import io.github.jsonmmap.JsonMmapInbox.Request;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(
    name = "remove",
    description = {
      "Remove one key.",
      "Remove the value at KEY. Prints the new version; when the key is absent nothing is"
          + " published and the current version is printed."
    })
final class RemoveCommand implements Callable<Integer>, FileCommand {

  @Spec CommandSpec spec;

  @Mixin WriteOptions write;

  @Mixin InboxOptions inbox;

  @Parameters(index = "0", paramLabel = "FILE", description = "The jsonmmap file.")
  Path file;

  @Parameters(index = "1", paramLabel = "KEY", description = "A key path such as a.b[0].c.")
  String key;

  @Override
  public Path file() {
    return file;
  }

  @Override
  public Integer call() {
    return InboxWrite.run(
        spec, write, inbox, file, Request.remove(key), writer -> writer.remove(key));
  }
}
