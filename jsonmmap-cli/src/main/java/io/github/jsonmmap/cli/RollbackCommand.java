package io.github.jsonmmap.cli;

import io.github.jsonmmap.JsonMmapFile;
import io.github.jsonmmap.JsonMmapInbox.Request;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(
    name = "rollback",
    description = {
      "Publish the previous version's document again.",
      "Publish the previous version's document again, as a new version. Prints the new version."
          + " Only one step back is kept: a second rollback undoes the first."
    })
final class RollbackCommand implements Callable<Integer>, FileCommand {

  @Spec CommandSpec spec;

  @Mixin WriteOptions write;

  @Mixin InboxOptions inbox;

  @Parameters(index = "0", paramLabel = "FILE", description = "The jsonmmap file.")
  Path file;

  @Override
  public Path file() {
    return file;
  }

  @Override
  public Integer call() {
    return InboxWrite.run(spec, write, inbox, file, Request.rollback(), JsonMmapFile::rollback);
  }
}
