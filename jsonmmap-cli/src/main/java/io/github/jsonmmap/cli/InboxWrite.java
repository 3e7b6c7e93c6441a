package io.github.jsonmmap.cli;

import io.github.jsonmmap.InboxOutcomeUnknownException;
import io.github.jsonmmap.InboxUnavailableException;
import io.github.jsonmmap.JsonMmapException;
import io.github.jsonmmap.JsonMmapFile;
import io.github.jsonmmap.JsonMmapInbox;
import io.github.jsonmmap.JsonMmapInbox.Reply;
import io.github.jsonmmap.JsonMmapInbox.Request;
import io.github.jsonmmap.JsonMmapOptions;
import io.github.jsonmmap.Role;
import io.github.jsonmmap.Snapshot;
import io.github.jsonmmap.UntrustedFileException;
import io.github.jsonmmap.WatchMode;
import io.github.jsonmmap.WriterLockedException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;
import picocli.CommandLine.Model.CommandSpec;

/**
 * A write command's one path to the file: through the live writer's inbox when a writer serves one
 * (its validators run, its lock stays where it is), else under the writer lock this command takes
 * itself. With {@code --wait}, both are tried again until one answers or the time is up. Stateless.
 */
final class InboxWrite {

  /** How often {@code --wait} tries the inbox and the lock again. */
  private static final Duration RETRY = Duration.ofMillis(50);

  private InboxWrite() {}

  /**
   * Applies {@code request}, printing the committed version on standard output.
   *
   * @param local the same change through a writer handle this command opened itself
   * @return the exit code
   */
  static int run(
      CommandSpec spec,
      WriteOptions write,
      InboxOptions inbox,
      Path file,
      Request request,
      Function<JsonMmapFile, Snapshot> local) {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    Path absolute = file.toAbsolutePath().normalize();
    Request asked =
        inbox.expectVersion == null ? request : request.expectVersion(inbox.expectVersion);
    Duration wait = write.wait;
    // One attempt at the lock per round: between rounds the inbox may have appeared.
    write.wait = Duration.ZERO;
    long deadline = System.nanoTime() + wait.toNanos();
    boolean told = false;
    Path socket = JsonMmapInbox.socketPath(absolute);
    while (true) {
      if (Files.exists(socket, LinkOption.NOFOLLOW_LINKS)
          && isTrustedFile(absolute, write)
          && isWritersSocket(socket, absolute, err)) {
        Integer code = throughInbox(absolute, asked, inbox.timeout, out, err);
        if (code != null) {
          return code;
        }
      }
      JsonMmapFile writer;
      try {
        writer = write.open(file, err);
      } catch (WriterLockedException e) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          if (wait.isZero()) {
            throw e;
          }
          throw new WriterLockedException(
              absolute, e.getMessage() + " waited=" + CliText.duration(wait), e);
        }
        if (!told) {
          err.println(
              "jsonmmap: waiting for the writer lock: " + JsonMmapCli.oneLine(e.getMessage()));
          err.flush();
          told = true;
        }
        LockSupport.parkNanos(Math.min(left, RETRY.toNanos()));
        continue;
      }
      try (writer) {
        out.println(underLock(writer, absolute, inbox.expectVersion, local).version());
        return ExitCodes.OK;
      }
    }
  }

  /** The change through our own writer handle, compare-and-set included. */
  private static Snapshot underLock(
      JsonMmapFile writer, Path file, Long expect, Function<JsonMmapFile, Snapshot> local) {
    if (expect == null) {
      return local.apply(writer);
    }
    Snapshot[] result = new Snapshot[1];
    writer.update(
        current -> {
          // Inside update the handle's lock is held: the version compared is the one changed.
          long version = writer.snapshot().version();
          if (version != expect) {
            throw conflict(file, expect, version);
          }
          result[0] = local.apply(writer);
          return current;
        });
    return result[0];
  }

  private static CliException conflict(Path file, long expected, long current) {
    return new CliException(
        ExitCodes.CONFLICT,
        "version conflict, nothing written: path="
            + file
            + " expected="
            + expected
            + " current="
            + current);
  }

  /** The exit code, or null when no writer took the request (try the lock, or again). */
  private static Integer throughInbox(
      Path file, Request request, Duration timeout, PrintWriter out, PrintWriter err) {
    long before = currentVersion(file);
    Reply reply;
    try {
      reply = JsonMmapInbox.send(file, request, timeout);
    } catch (InboxUnavailableException e) {
      return null;
    } catch (InboxOutcomeUnknownException e) {
      return afterSilence(file, request, before, e, out, err);
    }
    if (reply.ok()) {
      out.println(reply.version());
      return ExitCodes.OK;
    }
    switch (reply.error()) {
      case "not-writer", "busy" -> {
        return null;
      }
      case "rejected" -> {
        err.println(
            "jsonmmap: rejected by the writer's validators, nothing written: path="
                + SafeText.of(file)
                + " version="
                + reply.version());
        for (String reason : reply.reasons()) {
          err.println("  - " + printable(reason));
        }
        return ExitCodes.REJECTED;
      }
      case "conflict" -> throw conflict(file, request.expectVersion(), reply.version());
      case "bad-request" -> throw new CliException(ExitCodes.USAGE, printable(reply.message()));
      default ->
          throw new CliException(
              ExitCodes.FILE, "the writer refused the change: " + printable(reply.message()));
    }
  }

  /**
   * The writer took the whole request and did not answer: read the file and say what it shows,
   * never more than it shows.
   */
  private static int afterSilence(
      Path file,
      Request request,
      long before,
      InboxOutcomeUnknownException e,
      PrintWriter out,
      PrintWriter err) {
    Optional<Snapshot> now = read(file);
    long version = now.map(Snapshot::version).orElse(-1L);
    if (now.isPresent() && version > before && before >= 0 && shows(now.get(), request)) {
      err.println(
          "jsonmmap: the writer did not answer, but the file shows the change committed: path="
              + SafeText.of(file)
              + " version="
              + version);
      out.println(version);
      return ExitCodes.OK;
    }
    if (!e.timedOut() && version == before && before >= 0) {
      throw new CliException(
          ExitCodes.NO_ANSWER,
          "not committed: the writer closed the connection without answering (did it stop?) and"
              + " the file is still at the version before the request: path="
              + file
              + " version="
              + version);
    }
    throw new CliException(
        ExitCodes.NO_ANSWER,
        "outcome unknown: "
            + e.getMessage()
            + " before="
            + before
            + " now="
            + version
            + (e.timedOut() ? " (the writer may still commit it)" : ""));
  }

  /** Whether the snapshot is what the request asked for (false when that cannot be told). */
  private static boolean shows(Snapshot snapshot, Request request) {
    return switch (request.op()) {
      case SET -> snapshot.node(request.key()).map(request.value()::equals).orElse(false);
      case REMOVE -> snapshot.node(request.key()).isEmpty();
      case PUT -> snapshot.tree().equals(request.value());
      case MERGE, ROLLBACK -> false;
    };
  }

  private static long currentVersion(Path file) {
    try {
      return JsonMmapFile.inspect(file).currentVersion();
    } catch (JsonMmapException e) {
      return -1;
    }
  }

  private static Optional<Snapshot> read(Path file) {
    JsonMmapOptions options =
        JsonMmapOptions.builder(file)
            .role(Role.READER)
            .maxSize(JsonMmapOptions.MAX_MAX_SIZE)
            .watchMode(WatchMode.POLL)
            .build();
    try (JsonMmapFile reader = JsonMmapFile.open(options)) {
      return Optional.of(reader.snapshot());
    } catch (JsonMmapException e) {
      return Optional.empty();
    }
  }

  /** Text from the writer (validator reasons), safe for a terminal (see {@link SafeText}). */
  private static String printable(String text) {
    return SafeText.of(text == null ? "" : text);
  }

  /**
   * Whether the inbox socket may be talked to: a socket (never a link), owned by root, by this user
   * or by the file's owner. Anything else at that path is not the writer's, and a request (values
   * included) must not reach it, nor its answer be taken as a commit.
   */
  private static boolean isWritersSocket(Path socket, Path file, PrintWriter err) {
    try {
      Map<String, Object> attributes =
          Files.readAttributes(socket, "unix:mode,uid", LinkOption.NOFOLLOW_LINKS);
      int mode = (Integer) attributes.get("mode");
      int uid = (Integer) attributes.get("uid");
      int fileOwner = (Integer) Files.getAttribute(file, "unix:uid", LinkOption.NOFOLLOW_LINKS);
      int self = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
      if ((mode & S_IFMT) == S_IFSOCK && (uid == 0 || uid == self || uid == fileOwner)) {
        return true;
      }
      err.println(
          "jsonmmap: warning: not the writer's inbox, not used: path="
              + SafeText.of(socket)
              + " uid="
              + uid
              + " (a socket owned by root, this user or the file's owner is)");
      return false;
    } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
      return false;
    }
  }

  /**
   * The same checks as any open of the file (a regular file, trusted directories and owner) before
   * a request is handed to whatever answers next to it: an untrusted file is an error; a file the
   * lock path will refuse for another reason (not initialised, corrupt) skips the inbox so that the
   * usual message says why.
   */
  private static boolean isTrustedFile(Path file, WriteOptions write) {
    Open.requireRegularFile(file, false);
    try {
      JsonMmapFile.inspect(Open.readerOptions(file, write.trust).build());
      return true;
    } catch (UntrustedFileException e) {
      throw e;
    } catch (JsonMmapException e) {
      return false;
    }
  }

  private static final int S_IFMT = 0170000;
  private static final int S_IFSOCK = 0140000;
}
