package io.github.jsonmmap.spring;

import io.github.jsonmmap.JsonMmapFile;
import io.github.jsonmmap.JsonMmapOptions;
import io.github.jsonmmap.Role;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import tools.jackson.databind.json.JsonMapper;

/**
 * A writer in another JVM, driven line by line over its stdin: {@code set KEY JSON}, {@code remove
 * KEY}, {@code put JSON}, {@code burst N KEY} (N versions as fast as it can). It answers {@code ok
 * VERSION} after each command. Closing kills it.
 */
final class WriterProcess implements AutoCloseable {

  private final Process process;
  private final Writer stdin;
  private final List<String> lines = new CopyOnWriteArrayList<>();
  private int answered;

  private WriterProcess(Process process) {
    this.process = process;
    this.stdin = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
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
                lines.add("pump failed: " + e);
              }
            });
    pump.setDaemon(true);
    pump.start();
  }

  /** Starts a writer of {@code file} whose first document (on creation) is {@code initialJson}. */
  static WriterProcess start(Path file, String initialJson) {
    String classPath =
        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    ProcessBuilder builder =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx128m",
                "-cp",
                classPath,
                Main.class.getName(),
                file.toString(),
                initialJson)
            .redirectError(ProcessBuilder.Redirect.INHERIT);
    try {
      WriterProcess writer = new WriterProcess(builder.start());
      writer.await(Duration.ofSeconds(30));
      return writer;
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  long pid() {
    return process.pid();
  }

  /** Sends one command and returns the version the writer answered with. */
  synchronized long send(String command) {
    try {
      stdin.write(command + "\n");
      stdin.flush();
    } catch (IOException e) {
      throw new IllegalStateException("writer process gone: " + lines, e);
    }
    return await(Duration.ofSeconds(30));
  }

  private long await(Duration timeout) {
    int index = answered;
    Awaitility.await()
        .atMost(timeout)
        .pollInterval(Duration.ofMillis(2))
        .until(() -> lines.size() > index || !process.isAlive());
    if (lines.size() <= index) {
      throw new AssertionError("writer process exited: " + lines);
    }
    answered = index + 1;
    String line = lines.get(index);
    if (!line.startsWith("ok ")) {
      throw new AssertionError("writer process answered: " + line);
    }
    return Long.parseLong(line.substring(3));
  }

  @Override
  public void close() {
    process.destroyForcibly();
    try {
      process.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The child's main. */
  static final class Main {
    public static void main(String[] args) throws IOException {
      PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
      JsonMapper json = JsonMapper.builder().build();
      JsonMmapOptions options =
          JsonMmapOptions.builder(Path.of(args[0]))
              .role(Role.WRITER)
              .initialDocument(json.readTree(args[1]))
              .heartbeatInterval(Duration.ofMillis(200))
              .build();
      try (JsonMmapFile writer = JsonMmapFile.open(options)) {
        out.println("ok " + writer.snapshot().version());
        BufferedReader in =
            new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
          String[] parts = line.split(" ", 3);
          try {
            long version =
                switch (parts[0]) {
                  case "set" -> writer.set(parts[1], json.readTree(parts[2])).version();
                  case "remove" -> writer.remove(parts[1]).version();
                  case "put" -> writer.publish(json.readTree(line.substring(4))).version();
                  case "burst" -> {
                    long v = 0;
                    for (int i = 1; i <= Integer.parseInt(parts[1]); i++) {
                      v = writer.set(parts[2], i).version();
                    }
                    yield v;
                  }
                  default -> throw new IllegalArgumentException("unknown command: " + line);
                };
            out.println("ok " + version);
          } catch (RuntimeException e) {
            out.println("error " + e.getMessage());
          }
        }
      }
    }
  }
}
