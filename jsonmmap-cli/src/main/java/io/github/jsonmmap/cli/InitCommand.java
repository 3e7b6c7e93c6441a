package io.github.jsonmmap.cli;

import io.github.jsonmmap.JsonMmapException;
import io.github.jsonmmap.JsonMmapFile;
import io.github.jsonmmap.JsonMmapOptions;
import io.github.jsonmmap.Role;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(
    name = "init",
    description = {
      "Create a file holding an empty document {} as version 1.",
      "Create a file holding an empty document {} as version 1. Fails if the file exists.",
      "Prints the version (1)."
    })
final class InitCommand implements Callable<Integer> {

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
      description = "Permissions of the file and its .lock file (default: 640).")
  Set<PosixFilePermission> mode = JsonMmapOptions.DEFAULT_PERMISSIONS;

  @Option(
      names = "--name",
      paramLabel = "NAME",
      description =
          "Document name to record in the header; writers that expect another name refuse the"
              + " file.")
  String name;

  @Override
  public Integer call() {
    Path path = file.toAbsolutePath().normalize();
    refuseExisting(path);
    JsonMmapOptions options;
    try {
      options =
          JsonMmapOptions.builder(path)
              .role(Role.WRITER)
              .initialCapacity(capacity)
              .maxSize(maxSize)
              .permissions(mode)
              .name(name)
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
   * An empty file is fine (the writer initialises it, as it does one whose creator died before
   * finishing); any other existing file is someone's data.
   */
  private static void refuseExisting(Path path) {
    long size;
    try {
      if (!Files.exists(path)) {
        return;
      }
      size = Files.size(path);
    } catch (IOException e) {
      throw new JsonMmapException(
          "io", path, "cannot read file: path=" + path + " error=" + e.getMessage(), e);
    }
    if (size == 0) {
      return;
    }
    String what;
    try {
      what = "version=" + JsonMmapFile.inspect(path).currentVersion();
    } catch (JsonMmapException e) {
      what = "size=" + size + " (not a valid jsonmmap file: " + e.getMessage() + ")";
    }
    throw new JsonMmapException(
        "exists",
        path,
        "file already exists: path=" + path + " " + what + " (remove it first to start over)");
  }
}
