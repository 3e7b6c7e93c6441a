package io.github.jsonmmap.cli;

import io.github.jsonmmap.FileInfo;
import io.github.jsonmmap.FileInfo.SlotInfo;
import io.github.jsonmmap.JsonMmapException;
import io.github.jsonmmap.JsonMmapFile;
import io.github.jsonmmap.Snapshot;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(
    name = "verify",
    description = {
      "Check that the file is consistent.",
      "Check that the file is consistent: the header, the current slot (checksum and JSON), the"
          + " previous slot (or none). Exits 0 and prints one ok line if so, else exits 1 with one"
          + " line saying what is wrong.",
      "A slot being written (or left half-written by a writer that died) is a warning on"
          + " standard error, not a failure: the committed version is intact."
    })
final class VerifyCommand implements Callable<Integer>, FileCommand {

  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "FILE", description = "The jsonmmap file.")
  Path file;

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
    Path path = info.path();
    List<String> warnings = new ArrayList<>();
    long recorded = (long) info.headerLength() + info.capacity();
    if (recorded > info.fileSize()) {
      throw inconsistent(
          "file shorter than its header says: path="
              + path
              + " fileSize="
              + info.fileSize()
              + " headerLength+capacity="
              + recorded);
    }
    if (recorded < info.fileSize()) {
      warnings.add(
          "file larger than its header says (a writer died while growing it; the next writer"
              + " records the new size): path="
              + path
              + " fileSize="
              + info.fileSize()
              + " headerLength+capacity="
              + recorded);
    }
    if (info.currentVersion() == 0) {
      throw inconsistent("no committed version: path=" + path);
    }
    SlotInfo current = info.slots().get(info.currentSlot());
    if (!current.state().equals("current")) {
      throw inconsistent(
          "current slot unreadable: path="
              + path
              + " slot="
              + current.index()
              + " version="
              + info.currentVersion()
              + " state="
              + current.state());
    }
    if ((current.sequence() & 1) != 0) {
      warnings.add(
          "current slot "
              + current.index()
              + " is committed but not released (odd sequence: its writer is between the two"
              + " steps or died there; the next writer releases it): path="
              + path
              + " version="
              + current.version());
    }
    SlotInfo other = info.slots().get(1 - info.currentSlot());
    switch (other.state()) {
      case "previous", "empty" -> {}
      case "writing", "uncommitted" ->
          warnings.add(
              "slot "
                  + other.index()
                  + " is "
                  + other.state()
                  + " (a publish in progress, or a writer that died in one): path="
                  + path
                  + " version="
                  + other.version());
      default ->
          throw inconsistent(
              "previous slot unreadable: path="
                  + path
                  + " slot="
                  + other.index()
                  + " version="
                  + other.version()
                  + " state="
                  + other.state());
    }
    for (String fault : info.faults()) {
      if (fault.startsWith("diverged")) {
        // One version number with two documents: two writers acknowledged it (FORMAT.md 7.1).
        throw inconsistent(fault + ": path=" + path);
      }
      if (!other.state().equals("uncommitted")) {
        // An uncommitted slot is warned about above already.
        warnings.add(fault + ": path=" + path);
      }
    }
    Snapshot snapshot;
    Optional<Snapshot> previous;
    try (JsonMmapFile reader = Open.reader(path, trust)) {
      snapshot = reader.snapshot();
      previous = other.state().equals("previous") ? reader.previous() : Optional.empty();
    } catch (JsonMmapException e) {
      throw inconsistent(e.getMessage());
    }
    PrintWriter err = spec.commandLine().getErr();
    for (String warning : warnings) {
      err.println("jsonmmap: warning: " + SafeText.of(warning));
    }
    err.flush();
    spec.commandLine()
        .getOut()
        .println(
            "ok: path="
                + SafeText.of(path)
                + " version="
                + snapshot.version()
                + " size="
                + snapshot.size()
                + " previous="
                + previous.map(p -> String.valueOf(p.version())).orElse("none")
                + (warnings.isEmpty() ? "" : " warnings=" + warnings.size()));
    return ExitCodes.OK;
  }

  private static CliException inconsistent(String message) {
    return new CliException(ExitCodes.FILE, message);
  }
}
