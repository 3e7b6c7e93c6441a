package io.github.jsonmmap.cli;

import java.nio.file.Path;

/** A command about one file: errors that do not come from the library name it. */
interface FileCommand {

  /** The file as given on the command line, or null before parsing. */
  Path file();
}
