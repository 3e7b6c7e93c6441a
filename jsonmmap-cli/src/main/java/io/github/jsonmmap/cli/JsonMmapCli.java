package io.github.jsonmmap.cli;

import io.github.jsonmmap.JsonMmapException;
import io.github.jsonmmap.WriterLockedException;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.HelpCommand;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * The {@code jsonmmap} command. Errors are one line on standard error, {@code jsonmmap: <message>},
 * with the library's message (it names the file); {@code --verbose} adds the stack trace.
 *
 * <p>Not thread-safe: one command per JVM.
 */
@Command(
    name = "jsonmmap",
    scope = ScopeType.INHERIT,
    mixinStandardHelpOptions = true,
    versionProvider = JsonMmapCli.Version.class,
    usageHelpAutoWidth = true,
    synopsisSubcommandLabel = "COMMAND",
    description = {
      "Look at and change a jsonmmap file: one JSON document shared by every process on a host"
          + " through a memory-mapped file.",
      ""
    },
    subcommands = {
      InitCommand.class,
      GetCommand.class,
      PutCommand.class,
      SetCommand.class,
      MergeCommand.class,
      RemoveCommand.class,
      RollbackCommand.class,
      InspectCommand.class,
      VerifyCommand.class,
      WatchCommand.class,
      HelpCommand.class
    },
    footer = {
      "",
      "Write commands take the file's writer lock, as an application writer does, and print the"
          + " new version.",
      "Keys are paths such as a.b[0].c. Sizes: 65536, 64KiB, 1MiB. Durations: 500ms, 5s, 2m."
    })
public final class JsonMmapCli implements Runnable {

  @Spec CommandSpec spec;

  @Option(
      names = "--verbose",
      scope = ScopeType.INHERIT,
      description = "On error, print the stack trace too; show the library's log messages.")
  boolean verbose;

  /**
   * Released when an OutOfMemoryError is reported, so that the one line about it can be built even
   * when the heap was exhausted by something still reachable.
   */
  private static byte[] reserve = new byte[64 * 1024];

  private JsonMmapCli() {}

  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(), "missing command");
  }

  public static void main(String[] args) {
    PrintWriter out = utf8(FileDescriptor.out);
    PrintWriter err = utf8(FileDescriptor.err);
    boolean verbose = Arrays.asList(args).contains("--verbose");
    // A failure that escapes any other thread ends the command too, with one line: a watch whose
    // reader died must not keep running and print nothing. halt, not exit: it may be a shutdown
    // hook's thread, where exit would wait for itself.
    Thread.setDefaultUncaughtExceptionHandler(
        (thread, e) -> {
          int code = reportError(e, null, verbose, err, "thread " + thread.getName());
          out.flush();
          Runtime.getRuntime().halt(code);
        });
    int code;
    try {
      code = execute(out, err, args);
    } catch (Throwable e) {
      code = reportError(e, null, verbose, err, null);
    }
    out.flush();
    err.flush();
    System.exit(code);
  }

  /** Runs one command line and returns its exit code. */
  static int execute(PrintWriter out, PrintWriter err, String... args) {
    JsonMmapCli root = new JsonMmapCli();
    CommandLine cli = new CommandLine(root);
    // "@path" is ours (put, merge), not picocli's argument files.
    cli.setExpandAtFiles(false);
    cli.setOut(out);
    cli.setErr(err);
    documentExitCodes(cli);
    cli.setExecutionStrategy(
        parseResult -> {
          boolean verbose = root.verbose || verbose(parseResult);
          try {
            configureLogging(verbose, err);
            return new CommandLine.RunLast().execute(parseResult);
          } catch (ParameterException e) {
            throw e;
          } catch (Throwable e) {
            // Errors too (OutOfMemoryError, StackOverflowError, InternalError): whatever is thrown,
            // the user gets one line naming the file, never a stack trace without --verbose.
            Throwable cause =
                e instanceof CommandLine.ExecutionException && e.getCause() != null
                    ? e.getCause()
                    : e;
            return reportError(cause, fileOf(parseResult), verbose, err, null);
          }
        });
    cli.setParameterExceptionHandler(
        (e, arguments) -> {
          err.println("jsonmmap: " + oneLine(e.getMessage()));
          String command = e.getCommandLine().getCommandSpec().qualifiedName();
          err.println("Try '" + command + " --help' for more information.");
          return ExitCodes.USAGE;
        });
    cli.setExecutionExceptionHandler(
        (e, command, parseResult) ->
            reportError(e, fileOf(parseResult), root.verbose || verbose(parseResult), err, null));
    return cli.execute(args);
  }

  /** The file the command was given, for errors that do not name one themselves. */
  private static Path fileOf(ParseResult parseResult) {
    Path file = null;
    for (ParseResult r = parseResult; r != null; r = r.subcommand()) {
      if (r.commandSpec().userObject() instanceof FileCommand command && command.file() != null) {
        file = command.file().toAbsolutePath().normalize();
      }
    }
    return file;
  }

  private static boolean verbose(ParseResult parseResult) {
    for (ParseResult r = parseResult; r != null; r = r.subcommand()) {
      if (r.hasMatchedOption("--verbose")) {
        return true;
      }
    }
    return false;
  }

  /**
   * Prints one line for {@code e} and returns its exit code. Safe to call after an
   * OutOfMemoryError: the reserve is released first, and nothing here needs much memory.
   *
   * @param file the command's file, named when the error does not come from the library
   * @param where the thread the error escaped from, or null for the command itself
   */
  static int reportError(Throwable e, Path file, boolean verbose, PrintWriter err, String where) {
    reserve = null;
    int code;
    String message;
    if (e instanceof WriterLockedException) {
      code = ExitCodes.LOCKED;
      message = e.getMessage();
    } else if (e instanceof JsonMmapException jm && "too-large-for-heap".equals(jm.reason())) {
      // The library caught the OutOfMemoryError itself: the same advice as for one caught here.
      code = ExitCodes.INTERNAL;
      message = outOfMemory(file);
    } else if (e instanceof JsonMmapException) {
      code = ExitCodes.FILE;
      message = e.getMessage();
    } else if (e instanceof CliException cli) {
      code = cli.exitCode();
      message = e.getMessage();
    } else if (e instanceof IllegalArgumentException && where == null) {
      code = ExitCodes.USAGE;
      message = e.getMessage();
    } else if (e instanceof UncheckedIOException io) {
      code = ExitCodes.FILE;
      message = "I/O error: " + at(file) + "error=" + describe(io.getCause());
    } else if (e instanceof OutOfMemoryError) {
      code = ExitCodes.INTERNAL;
      message = outOfMemory(file);
    } else if (e instanceof StackOverflowError) {
      code = ExitCodes.INTERNAL;
      message =
          "stack overflow: "
              + at(file)
              + "(the document is nested too deeply for this JVM's stack: give it more with"
              + " JSONMMAP_JAVA_OPTS=-Xss<size>)";
    } else {
      code = ExitCodes.INTERNAL;
      message = "internal error: " + at(file) + "error=" + describe(e);
    }
    if (where != null) {
      message = message + " in=" + where;
    }
    synchronized (err) {
      err.println("jsonmmap: " + oneLine(message));
      if (verbose) {
        e.printStackTrace(err);
      }
      err.flush();
    }
    return code;
  }

  private static String at(Path file) {
    return file == null ? "" : "path=" + file + " ";
  }

  private static String describe(Throwable e) {
    return e.getMessage() == null
        ? e.getClass().getName()
        : e.getClass().getName() + ": " + e.getMessage();
  }

  private static void documentExitCodes(CommandLine cli) {
    cli.getCommandSpec()
        .usageMessage()
        .exitCodeListHeading("%nExit codes:%n")
        .exitCodeList(ExitCodes.help());
    for (CommandLine sub : cli.getSubcommands().values()) {
      if (!(sub.getCommand() instanceof HelpCommand)) {
        documentExitCodes(sub);
      }
    }
  }

  private static String outOfMemory(Path file) {
    return "out of memory: "
        + at(file)
        + "maxHeap="
        + CliText.bytes(Runtime.getRuntime().maxMemory())
        + " (the document needs more heap than this JVM has: give it more with"
        + " JSONMMAP_JAVA_OPTS=-Xmx<size>)";
  }

  /** The library logs through the platform logger: one line per message, on standard error. */
  private static void configureLogging(boolean verbose, PrintWriter err) {
    LogManager.getLogManager().reset();
    Logger root = Logger.getLogger("");
    root.setLevel(verbose ? Level.FINE : Level.WARNING);
    root.addHandler(new OneLineHandler(err, verbose));
    // How JNA finds its native library is not the operator's business, even with --verbose.
    JNA_LOGGER.setLevel(Level.WARNING);
  }

  /** Held so that its level stays set (loggers are weakly referenced). */
  private static final Logger JNA_LOGGER = Logger.getLogger("com.sun.jna");

  /** A message as one line that is safe on a terminal: see {@link SafeText}. */
  static String oneLine(String message) {
    return message == null ? "" : SafeText.of(message.strip());
  }

  private static PrintWriter utf8(FileDescriptor fd) {
    return new PrintWriter(
        new OutputStreamWriter(new FileOutputStream(fd), StandardCharsets.UTF_8), true);
  }

  /** Prints {@code jsonmmap: warning: <message>}; the stack trace only when verbose. */
  private static final class OneLineHandler extends Handler {
    private final PrintWriter err;
    private final boolean verbose;
    private final SimpleFormatter formatter = new SimpleFormatter();

    OneLineHandler(PrintWriter err, boolean verbose) {
      this.err = err;
      this.verbose = verbose;
    }

    @Override
    public void publish(LogRecord record) {
      if (!isLoggable(record)) {
        return;
      }
      String message = oneLine(formatter.formatMessage(record));
      if (message.startsWith("jsonmmap: ")) {
        message = message.substring("jsonmmap: ".length());
      }
      String level = record.getLevel().intValue() >= Level.WARNING.intValue() ? "warning" : "info";
      synchronized (err) {
        err.println("jsonmmap: " + level + ": " + message);
        if (verbose && record.getThrown() != null) {
          record.getThrown().printStackTrace(err);
        }
        err.flush();
      }
    }

    @Override
    public void flush() {
      err.flush();
    }

    @Override
    public void close() {
      err.flush();
    }
  }

  /** The version from the jar manifest. */
  static final class Version implements IVersionProvider {
    @Override
    public String[] getVersion() {
      String version = JsonMmapCli.class.getPackage().getImplementationVersion();
      return new String[] {"jsonmmap " + (version == null ? "(development build)" : version)};
    }
  }
}
