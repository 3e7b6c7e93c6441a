package io.github.jsonmmap;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.awaitility.Awaitility;

/**
 * A child JVM running a main class from the test class path, with its stdout lines collected as
 * they arrive. Closing kills it (SIGKILL) if it is still running.
 */
final class ChildJvm implements AutoCloseable {

  private final Process process;
  private final List<String> lines = new CopyOnWriteArrayList<>();
  private final List<String> errors = new CopyOnWriteArrayList<>();
  private final Thread out;
  private final Thread err;

  private ChildJvm(Process process) {
    this.process = process;
    this.out = pump(process.getInputStream(), lines);
    this.err = pump(process.getErrorStream(), errors);
  }

  static ChildJvm start(Class<?> main, String... args) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx256m");
    command.add("-XX:+UseSerialGC");
    command.add("-cp");
    command.add(classPath());
    command.add(main.getName());
    command.addAll(List.of(args));
    try {
      return new ChildJvm(new ProcessBuilder(command).start());
    } catch (IOException e) {
      throw new IllegalStateException("cannot start child JVM " + command, e);
    }
  }

  private static String classPath() {
    String surefire = System.getProperty("surefire.test.class.path");
    return surefire != null && !surefire.isEmpty()
        ? surefire
        : System.getProperty("java.class.path");
  }

  private static Thread pump(java.io.InputStream stream, List<String> sink) {
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
                sink.add("<pump failed: " + e + ">");
              }
            },
            "child-pump");
    thread.setDaemon(true);
    thread.start();
    return thread;
  }

  long pid() {
    return process.pid();
  }

  List<String> lines() {
    return lines;
  }

  String stderr() {
    return String.join("\n", errors);
  }

  boolean isAlive() {
    return process.isAlive();
  }

  /** Waits until some stdout line matches, failing with the child's output after the timeout. */
  String awaitLine(Duration timeout, Predicate<String> match) {
    try {
      Awaitility.await()
          .atMost(timeout)
          .pollInterval(Duration.ofMillis(5))
          .failFast("child exited", () -> !process.isAlive() && lines.stream().noneMatch(match))
          .until(() -> lines.stream().anyMatch(match));
    } catch (RuntimeException e) {
      joinPumps();
      if (lines.stream().noneMatch(match)) {
        throw new AssertionError("expected line not printed (" + e.getMessage() + "): " + this, e);
      }
    }
    return lines.stream().filter(match).findFirst().orElseThrow();
  }

  /** Waits for a normal exit and returns the exit code; kills it on timeout. */
  int awaitExit(Duration timeout) {
    try {
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
        throw new AssertionError("child did not exit within " + timeout + ": " + this);
      }
      joinPumps();
      return process.exitValue();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  private void joinPumps() {
    if (process.isAlive()) {
      return;
    }
    try {
      out.join(30_000);
      err.join(30_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Sends a signal by name ({@code STOP}, {@code CONT}) to this child, and to no other process. */
  void signal(String name) {
    try {
      Process kill = new ProcessBuilder("kill", "-" + name, String.valueOf(process.pid())).start();
      if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
        throw new AssertionError("kill -" + name + " failed for " + this);
      }
    } catch (IOException e) {
      throw new AssertionError(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** SIGKILL, and wait until the process is gone (so its locks are released). */
  void kill() {
    process.destroyForcibly();
    try {
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        throw new AssertionError("child did not die after SIGKILL: " + process.pid());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  @Override
  public void close() {
    if (process.isAlive()) {
      kill();
    }
  }

  @Override
  public String toString() {
    // A copy first: a sublist of the live list fails when the child prints meanwhile.
    List<String> out = List.copyOf(lines);
    return "child pid="
        + process.pid()
        + " stdout(last 20)="
        + out.subList(Math.max(0, out.size() - 20), out.size())
        + " stderr="
        + stderr();
  }
}
