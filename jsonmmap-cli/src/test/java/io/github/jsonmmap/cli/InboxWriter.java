package io.github.jsonmmap.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.jsonmmap.JsonMmapFile;
import io.github.jsonmmap.JsonMmapInbox;
import io.github.jsonmmap.JsonMmapOptions;
import io.github.jsonmmap.Role;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.awaitility.Awaitility;

/**
 * A writer application in a child JVM that serves its inbox, as a Spring writer would: {@code file
 * role}. Its validator rejects a document holding {@code "forbidden"} and blocks forever on one
 * holding {@code "block"} (so the test can kill it mid-request). Prints "serving" once it listens.
 */
final class InboxWriter implements AutoCloseable {

  private final Process process;
  private final List<String> lines = new CopyOnWriteArrayList<>();

  private InboxWriter(Process process) {
    this.process = process;
    Thread pump =
        new Thread(
            () -> {
              try (BufferedReader reader =
                  new BufferedReader(
                      new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = reader.readLine()) != null) {
                  lines.add(line);
                }
              } catch (IOException e) {
                // Killed: nothing more to read.
              }
            },
            "inbox-writer-out");
    pump.setDaemon(true);
    pump.start();
  }

  static InboxWriter start(Path file, Role role) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx128m");
    command.add("-XX:+UseSerialGC");
    command.add("-cp");
    String cp = System.getProperty("surefire.test.class.path");
    command.add(cp == null || cp.isEmpty() ? System.getProperty("java.class.path") : cp);
    command.add(Main.class.getName());
    command.add(file.toString());
    command.add(role.name());
    try {
      return new InboxWriter(
          new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start());
    } catch (IOException e) {
      throw new IllegalStateException("cannot start " + command, e);
    }
  }

  /** Waits until the child prints a line starting with {@code prefix}. */
  InboxWriter await(String prefix) {
    Awaitility.await("writer line " + prefix)
        .atMost(Cli.TIMEOUT)
        .pollInterval(Duration.ofMillis(10))
        .failFast("writer exited", () -> !process.isAlive())
        .until(() -> lines.stream().anyMatch(l -> l.startsWith(prefix)));
    return this;
  }

  /** SIGKILL, and wait until it is gone (its lock released). */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
  }

  boolean isAlive() {
    return process.isAlive();
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      kill();
    }
  }

  /** The child's main. */
  static final class Main {
    private static final PrintStream OUT =
        new PrintStream(System.out, true, StandardCharsets.UTF_8);

    private Main() {}

    public static void main(String[] args) throws Exception {
      JsonMmapOptions options =
          JsonMmapOptions.builder(Path.of(args[0]))
              .role(Role.valueOf(args[1]))
              .heartbeatInterval(Duration.ofMillis(100))
              .staleAfter(Duration.ofMillis(500))
              .build();
      try (JsonMmapFile file = JsonMmapFile.open(options);
          JsonMmapInbox inbox = JsonMmapInbox.serve(file)) {
        file.setValidator(
            doc -> {
              if (doc.has("forbidden")) {
                throw new IllegalArgumentException("forbidden must not be set");
              }
              if (doc.has("block")) {
                OUT.println("blocking");
                while (true) {
                  LockSupport.park();
                }
              }
            });
        OUT.println("ready");
        while (!inbox.isServing()) {
          Thread.sleep(5);
        }
        OUT.println("serving");
        Thread.sleep(Long.MAX_VALUE);
      }
    }
  }
}
