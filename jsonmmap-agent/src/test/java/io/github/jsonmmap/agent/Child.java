package io.github.jsonmmap.agent;

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

/**
 * A child process (a JVM, or etcd) with its output lines collected as they arrive. {@link #close()}
 * kills it (SIGKILL) if it still runs and waits for it to exit.
 */
final class Child implements AutoCloseable {

  private final String name;
  private final Process process;
  private final List<String> lines = new CopyOnWriteArrayList<>();

  private Child(String name, Process process) {
    this.name = name;
    this.process = process;
    pump(process.getInputStream());
  }

  static Child start(String name, List<String> command) {
    try {
      return new Child(name, new ProcessBuilder(command).redirectErrorStream(true).start());
    } catch (IOException e) {
      throw new IllegalStateException("cannot start " + name + ": " + command, e);
    }
  }

  /**
   * The JVM options the README's systemd unit and pod run the agent with: a small heap, the serial
   * collector, and C1 only (the optimising compiler took about as much CPU per change as the
   * agent's own work, still after hundreds of changes; AgentBenchIT).
   */
  static final List<String> AGENT_JVM_OPTIONS =
      List.of("-Xmx160m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1");

  /** The agent's executable jar, started as the README says, with these JVM options added. */
  static Child agent(String name, List<String> jvmOptions, List<String> args) {
    List<String> command = new ArrayList<>();
    command.add(java());
    command.addAll(AGENT_JVM_OPTIONS);
    command.addAll(jvmOptions);
    command.add("-jar");
    command.add(System.getProperty("jsonmmap.agent.jar"));
    command.addAll(args);
    return start(name, command);
  }

  /** A JVM running a main class of the test class path. */
  static Child jvm(String name, Class<?> main, String... args) {
    return jvm(name, List.of(), main, args);
  }

  /** A JVM running a main class of the test class path, with these JVM options added. */
  static Child jvm(String name, List<String> jvmOptions, Class<?> main, String... args) {
    List<String> command = new ArrayList<>();
    command.add(java());
    command.add("-Xmx96m");
    command.add("-XX:+UseSerialGC");
    command.add("-XX:TieredStopAtLevel=1");
    command.addAll(jvmOptions);
    command.add("-cp");
    String surefire = System.getProperty("surefire.test.class.path");
    command.add(
        surefire != null && !surefire.isEmpty() ? surefire : System.getProperty("java.class.path"));
    command.add(main.getName());
    command.addAll(List.of(args));
    return start(name, command);
  }

  static String java() {
    String home = System.getProperty("jsonmmap.test.javaHome", System.getProperty("java.home"));
    return Path.of(home, "bin", "java").toString();
  }

  private void pump(java.io.InputStream stream) {
    Thread thread =
        new Thread(
            () -> {
              try (BufferedReader reader =
                  new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
                String line;
                while ((line = reader.readLine()) != null) {
                  lines.add(line);
                }
              } catch (IOException e) {
                lines.add("<pump failed: " + e + ">");
              }
            },
            "pump-" + name);
    thread.setDaemon(true);
    thread.start();
  }

  List<String> lines() {
    return lines;
  }

  boolean hasLine(String fragment) {
    return lines.stream().anyMatch(l -> l.contains(fragment));
  }

  /** The lines that start with {@code prefix}. */
  List<String> linesStartingWith(String prefix) {
    return lines.stream().filter(l -> l.startsWith(prefix)).toList();
  }

  String lastLineStartingWith(String prefix) {
    List<String> found = linesStartingWith(prefix);
    return found.isEmpty() ? "" : found.get(found.size() - 1);
  }

  /**
   * The HTTP port of a Spring Boot child started with {@code --server.port=0}, from its start-up
   * line; waits for it. A port the child chose itself cannot have been taken by another process
   * between a test picking it and the child binding it.
   */
  int awaitHttpPort(Duration deadline) {
    java.util.regex.Pattern started =
        java.util.regex.Pattern.compile("Tomcat started on port (\\d+)");
    int[] port = {-1};
    org.awaitility.Awaitility.await(name + " listens")
        .atMost(deadline)
        .until(
            () -> {
              for (String line : lines) {
                java.util.regex.Matcher m = started.matcher(line);
                if (m.find()) {
                  port[0] = Integer.parseInt(m.group(1));
                  return true;
                }
              }
              if (!process.isAlive()) {
                throw new IllegalStateException(name + " exited:\n" + tail(40));
              }
              return false;
            });
    return port[0];
  }

  long pid() {
    return process.pid();
  }

  boolean isAlive() {
    return process.isAlive();
  }

  /** SIGKILL, then wait for the exit. */
  void kill() {
    process.destroyForcibly();
    waitFor(Duration.ofSeconds(30));
  }

  /** SIGTERM, then wait for the exit (SIGKILL after the deadline). */
  void stop(Duration deadline) {
    process.destroy();
    if (!waitFor(deadline)) {
      kill();
    }
  }

  private boolean waitFor(Duration deadline) {
    try {
      return process.waitFor(deadline.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  String tail(int n) {
    List<String> copy = List.copyOf(lines);
    return String.join("\n", copy.subList(Math.max(0, copy.size() - n), copy.size()));
  }

  @Override
  public void close() {
    if (process.isAlive()) {
      kill();
    }
  }

  @Override
  public String toString() {
    return name + "(pid " + process.pid() + ")";
  }
}
