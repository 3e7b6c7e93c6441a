package io.github.jsonmmap.cli;

import io.github.jsonmmap.JsonMmapException;
import io.github.jsonmmap.JsonMmapFile;
import io.github.jsonmmap.JsonMmapOptions;
import io.github.jsonmmap.Role;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(
    name = "init",
    description = {
      "Create a file holding an empty document {} as version 1.",
      "Create a file holding an empty document {} as version 1, with the given mode set as it is"
          + " created. Fails if the file exists; with --force, an existing file that holds nothing"
          + " committed (empty, an all-zero header, or format version 0: a creation that never"
          + " finished) is initialised instead, keeping its owner and mode. A file with a format"
          + " version is never overwritten.",
      "The mode may not be world-writable; group-writable only with --no-strict-modes.",
      "Prints the version (1)."
    })
final class InitCommand implements Callable<Integer>, FileCommand {

  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "FILE", description = "The file to create.")
  Path file;

  @Option(
      names = "--capacity",
      paramLabel = "SIZE",
      converter = Converters.Size.class,
      description =
          "Initial data area, after the 4KiB header (default: 256KiB). The file grows as needed.")
  long capacity = JsonMmapOptions.DEFAULT_INITIAL_CAPACITY;

  @Option(
      names = "--max-size",
      paramLabel = "SIZE",
      converter = Converters.Size.class,
      description = "Largest size this command may create the file with (default: 64MiB).")
  long maxSize = JsonMmapOptions.DEFAULT_MAX_SIZE;

  @Option(
      names = "--mode",
      paramLabel = "OCTAL",
      converter = Converters.Mode.class,
      description =
          "Permissions of the file (default: 640); never world-writable, group-writable only with"
              + " --no-strict-modes. The .lock file is always owner-only.")
  Converters.FileMode mode = new Converters.FileMode(JsonMmapOptions.DEFAULT_PERMISSIONS);

  @Option(
      names = "--name",
      paramLabel = "NAME",
      description =
          "Document name to record in the header; writers that expect another name refuse the"
              + " file.")
  String name;

  @Option(
      names = "--force",
      description =
          "Initialise an existing file that holds nothing committed (empty, all-zero header, or"
              + " format version 0). Never overwrites a file with a format version.")
  boolean force;

  @Mixin TrustOptions trust;

  @Override
  public Path file() {
    return file;
  }

  @Override
  public Integer call() {
    Path path = file.toAbsolutePath().normalize();
    if (mode.permissions().contains(PosixFilePermission.GROUP_WRITE) && trust.strict()) {
      throw CliException.usage(
          "group-writable file mode refused: mode="
              + mode.octal()
              + " (any account in the file's group could publish, and strict modes refuse such a"
              + " file; allowed only with --no-strict-modes, for special deployments)");
    }
    refuseExisting(path);
    JsonMmapOptions options;
    try {
      options =
          trust
              .apply(
                  JsonMmapOptions.builder(path)
                      .role(Role.WRITER)
                      .initialCapacity(capacity)
                      .maxSize(maxSize)
                      .permissions(mode.permissions())
                      .name(name))
              .build();
    } catch (IllegalArgumentException e) {
      throw CliException.usage(
          e.getMessage() + " (initialCapacity is --capacity, maxSize is --max-size)");
    }
    try (JsonMmapFile created = JsonMmapFile.open(options)) {
      spec.commandLine().getOut().println(created.snapshot().version());
    }
    return ExitCodes.OK;
  }

  /**
   * Any existing file is refused, unless {@code --force} is given and it holds nothing committed:
   * then the writer initialises it, as it does a file whose creator died before finishing.
   */
  private void refuseExisting(Path path) {
    if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    long size = Open.requireRegularFile(path, false);
    String what;
    boolean unfinished = false;
    if (size == 0) {
      what = "size=0";
      unfinished = true;
    } else {
      try {
        what = "version=" + JsonMmapFile.inspect(path).currentVersion();
      } catch (JsonMmapException e) {
        unfinished = "not-ready".equals(e.reason());
        what =
            "size="
                + size
                + (unfinished ? "" : " (not a valid jsonmmap file: " + e.getMessage() + ")");
      }
    }
    if (force && unfinished) {
      return;
    }
    throw new JsonMmapException(
        "exists",
        path,
        "file already exists: path="
            + path
            + " "
            + what
            + (unfinished
                ? " (holds nothing committed: use --force to initialise it, or remove it first)"
                : " (remove it first to start over)"));
  }
}
