package io.github.jsonmmap.cli;

import io.github.jsonmmap.JsonMmapException;
import io.github.jsonmmap.WriterLockedException;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
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

  private JsonMmapCli() {}

  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(), "missing command");
  }

  public static void main(String[] args) {
    PrintWriter out = utf8(FileDescriptor.out);
    PrintWriter err = utf8(FileDescriptor.err);
    int code = execute(out, err, args);
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
          configureLogging(root.verbose, err);
          return new CommandLine.RunLast().execute(parseResult);
        });
    cli.setParameterExceptionHandler(
        (e, arguments) -> {
          err.println("jsonmmap: " + oneLine(e.getMessage()));
          String command = e.getCommandLine().getCommandSpec().qualifiedName();
          err.println("Try '" + command + " --help' for more information.");
          return ExitCodes.USAGE;
        });
    cli.setExecutionExceptionHandler(
        (e, command, parseResult) -> reportError(e, root.verbose || verbose(parseResult), err));
    return cli.execute(args);
  }

  private static boolean verbose(ParseResult parseResult) {
    for (ParseResult r = parseResult; r != null; r = r.subcommand()) {
      if (r.hasMatchedOption("--verbose")) {
        return true;
      }
    }
    return false;
  }

  private static int reportError(Exception e, boolean verbose, PrintWriter err) {
    int code;
    String message;
    if (e instanceof WriterLockedException) {
      code = ExitCodes.LOCKED;
      message = e.getMessage();
    } else if (e instanceof JsonMmapException) {
      code = ExitCodes.FILE;
      message = e.getMessage();
    } else if (e instanceof CliException cli) {
      code = cli.exitCode();
      message = e.getMessage();
    } else if (e instanceof IllegalArgumentException) {
      code = ExitCodes.USAGE;
      message = e.getMessage();
    } else {
      code = ExitCodes.FILE;
      message = "unexpected error: " + e;
    }
    err.println("jsonmmap: " + oneLine(message));
    if (verbose) {
      e.printStackTrace(err);
    }
    err.flush();
    return code;
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

  /** The library logs through the platform logger: one line per message, on standard error. */
  private static void configureLogging(boolean verbose, PrintWriter err) {
    LogManager.getLogManager().reset();
    Logger root = Logger.getLogger("");
    root.setLevel(verbose ? Level.FINE : Level.WARNING);
    root.addHandler(new OneLineHandler(err, verbose));
  }

  static String oneLine(String message) {
    return message == null ? "" : message.replaceAll("\\s*\\R\\s*", " ").trim();
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
