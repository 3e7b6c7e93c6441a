package io.github.jsonmmap.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;

/**
 * Runs the real executable jar ({@code java -jar target/jsonmmap-cli.jar ...}) in a child process,
 * as an operator would, and collects its output line by line as it arrives.
 */
final class Cli implements AutoCloseable {

  /** Generous: a child JVM starts in about half a second, slower on a loaded machine. */
  static final Duration TIMEOUT = Duration.ofSeconds(30);

  private final Process process;
  private final List<String> out = new CopyOnWriteArrayList<>();
  private final List<String> err = new CopyOnWriteArrayList<>();
  private final Thread outPump;
  private final Thread errPump;

  private Cli(Process process) {
    this.process = process;
    this.outPump = pump(process.getInputStream(), out);
    this.errPump = pump(process.getErrorStream(), err);
  }

  /** Starts the jar with {@code args} in {@code dir}; standard input is closed at once. */
  static Cli start(Path dir, String... args) {
    return startWithStdin(dir, null, args);
  }

  /** Starts the jar with {@code stdin} written to its standard input, then closed. */
  static Cli startWithStdin(Path dir, String stdin, String... args) {
    List<String> command = new ArrayList<>(javaCommand(List.of("-Xmx128m")));
    command.add("-jar");
    command.add(jar().toString());
    command.addAll(List.of(args));
    return launch(dir, stdin, command);
  }

  /**
   * Starts {@code mainClass} (the CLI's, or a test helper's) with the jar and the test classes on
   * the class path and {@code jvmOptions} (which replace the default heap size when they set one).
   */
  static Cli startJava(Path dir, List<String> jvmOptions, String mainClass, String... args) {
    List<String> options = new ArrayList<>(jvmOptions);
    if (options.stream().noneMatch(o -> o.startsWith("-Xmx"))) {
      options.add("-Xmx128m");
    }
    List<String> command = new ArrayList<>(javaCommand(options));
    command.add("-cp");
    command.add(jar() + File.pathSeparator + testClasses());
    command.add(mainClass);
    command.addAll(List.of(args));
    return launch(dir, null, command);
  }

  /** Runs the CLI's main class to its end with {@code jvmOptions}. */
  static Result runWithJvmOptions(Path dir, List<String> jvmOptions, String... args) {
    try (Cli cli = startJava(dir, jvmOptions, JsonMmapCli.class.getName(), args)) {
      return cli.await();
    }
  }

  private static List<String> javaCommand(List<String> jvmOptions) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(javaHome(), "bin", "java").toString());
    command.add("-XX:TieredStopAtLevel=1");
    command.add("-XX:+UseSerialGC");
    command.addAll(jvmOptions);
    return command;
  }

  private static Cli launch(Path dir, String stdin, List<String> command) {
    try {
      Process process = new ProcessBuilder(command).directory(dir.toFile()).start();
      try (OutputStream in = process.getOutputStream()) {
        if (stdin != null) {
          in.write(stdin.getBytes(StandardCharsets.UTF_8));
        }
      } catch (IOException e) {
        // The command stopped reading its input (it refused more than it takes): its output and
        // exit code say what it did.
      }
      return new Cli(process);
    } catch (IOException e) {
      throw new IllegalStateException("cannot start " + command, e);
    }
  }

  /** Runs a command to its end and returns what it printed and its exit code. */
  static Result run(Path dir, String... args) {
    return runWithStdin(dir, null, args);
  }

  static Result runWithStdin(Path dir, String stdin, String... args) {
    try (Cli cli = startWithStdin(dir, stdin, args)) {
      return cli.await();
    }
  }

  /** Waits for the process to exit (at most {@link #TIMEOUT}) and for its output to be read. */
  Result await() {
    try {
      if (!process.waitFor(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new AssertionError("command did not finish in " + TIMEOUT + "; stderr=" + err);
      }
      outPump.join(TIMEOUT.toMillis());
      errPump.join(TIMEOUT.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
    return new Result(process.exitValue(), List.copyOf(out), List.copyOf(err));
  }

  List<String> out() {
    return out;
  }

  List<String> err() {
    return err;
  }

  long pid() {
    return process.pid();
  }

  boolean isAlive() {
    return process.isAlive();
  }

  /** Waits until standard error has a line containing {@code text}. */
  void awaitErr(String text) {
    Awaitility.await("stderr line containing '" + text + "'")
        .atMost(TIMEOUT)
        .pollInterval(Duration.ofMillis(20))
        .until(() -> err.stream().anyMatch(line -> line.contains(text)) || !process.isAlive());
    assertThat(err).as("stderr of a process that exited with").anyMatch(l -> l.contains(text));
  }

  /** Kills the process if it still runs. */
  @Override
  public void close() {
    if (process.isAlive()) {
      process.destroyForcibly();
      try {
        process.waitFor(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private static String javaHome() {
    String home = System.getProperty("jsonmmap.test.javaHome");
    return home == null || home.isEmpty() ? System.getProperty("java.home") : home;
  }

  /** Where this class was loaded from: the test classes directory. */
  private static Path testClasses() {
    try {
      return Path.of(Cli.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  static Path jar() {
    String jar = System.getProperty("jsonmmap.cli.jar");
    return Path.of(jar == null ? "target/jsonmmap-cli.jar" : jar).toAbsolutePath();
  }

  private static Thread pump(InputStream stream, List<String> sink) {
    Thread thread =
        new Thread(
            () -> {
              try (BufferedReader reader =
                  new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
                String line;
                while ((line = reader.readLine()) != null) {
                  sink.add(line);
                }
              } catch (IOException e) {
                // The process was killed: nothing more to read.
              }
            },
            "cli-output");
    thread.setDaemon(true);
    thread.start();
    return thread;
  }

  /** What a finished command printed, and its exit code. */
  record Result(int exitCode, List<String> out, List<String> err) {

    String stdout() {
      return String.join("\n", out);
    }

    String stderr() {
      return String.join("\n", err);
    }

    /** Asserts exit 0 and no output on stderr, and returns stdout. */
    String ok() {
      assertThat(exitCode).as("exit code; stderr=%s", err).isZero();
      assertThat(err).as("stderr").isEmpty();
      return stdout();
    }

    /**
     * Like {@link #ok()} for a command run with {@code --no-strict-modes}: the library then warns,
     * once per file, that owners and modes are not checked, and nothing else may be on stderr.
     */
    String okWithoutStrictModes() {
      assertThat(exitCode).as("exit code; stderr=%s", err).isZero();
      assertThat(err)
          .as("stderr")
          .isNotEmpty()
          .allMatch(line -> line.startsWith("jsonmmap: warning: strict modes are off: "));
      return stdout();
    }

    /**
     * Asserts the exit code and the error contract: nothing on stdout, exactly one line on stderr,
     * starting {@code jsonmmap: }, no stack trace. Returns that line.
     */
    String fails(int expectedExitCode) {
      assertThat(exitCode).as("exit code; stderr=%s", err).isEqualTo(expectedExitCode);
      assertThat(out).as("stdout").isEmpty();
      assertThat(err).as("stderr").hasSize(1);
      assertThat(err.get(0)).startsWith("jsonmmap: ");
      return err.get(0);
    }
  }
}
