package io.github.jsonmmap.cli;

import java.util.LinkedHashMap;
import java.util.Map;

/** The exit codes of every command, documented in each command's {@code --help}. */
final class ExitCodes {

  /** The command did what was asked. */
  static final int OK = 0;

  /**
   * A problem with the file: missing, not a regular file, not initialised (write commands), already
   * there ({@code init}), untrusted, corrupt, unsupported format, inconsistent ({@code verify}), a
   * document that is invalid or too large, an I/O error.
   */
  static final int FILE = 1;

  /** Bad arguments: unknown option, malformed size, duration, key or JSON input. */
  static final int USAGE = 2;

  /** Another process holds the writer lock (after {@code --wait}, if given). */
  static final int LOCKED = 3;

  /** {@code get}: the key is not in the document. */
  static final int NO_KEY = 4;

  /**
   * The command could not finish for a reason that says nothing about the file: the JVM ran out of
   * memory or stack (a document too large or too deep for its settings), or a bug.
   */
  static final int INTERNAL = 5;

  /**
   * The live writer's validators rejected the change (their reasons are printed); nothing written.
   */
  static final int REJECTED = 6;

  /** {@code --expect-version}: the document is at another version; nothing written. */
  static final int CONFLICT = 7;

  /**
   * The live writer took the change and did not answer, and the file does not show it committed:
   * not committed (the writer stopped), or unknown (the message says which).
   */
  static final int NO_ANSWER = 8;

  private ExitCodes() {}

  /** The list shown under "Exit codes:" in the help. */
  static Map<String, String> help() {
    Map<String, String> codes = new LinkedHashMap<>();
    codes.put("0", "ok");
    codes.put(
        "1",
        "file problem: missing, not a regular file, not initialised, untrusted, corrupt,"
            + " inconsistent, document invalid or too large, I/O");
    codes.put("2", "usage error: bad option, size, duration, key or JSON input");
    codes.put("3", "another process holds the writer lock");
    codes.put("4", "get: no such key");
    codes.put("5", "internal error: out of memory or stack (see the message), or a bug");
    codes.put("6", "write: the live writer's validators rejected the change (reasons printed)");
    codes.put("7", "write: --expect-version does not match the current version");
    codes.put(
        "8", "write: the live writer did not answer; not committed, or unknown (see message)");
    return codes;
  }
}
