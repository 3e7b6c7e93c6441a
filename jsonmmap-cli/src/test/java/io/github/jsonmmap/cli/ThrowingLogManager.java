package io.github.jsonmmap.cli;

import java.util.logging.LogManager;

/**
 * Makes the CLI meet an unexpected RuntimeException in a real run: installed with {@code
 * -Djava.util.logging.manager}, it fails when the CLI resets the logging configuration before the
 * command runs. With {@code -Djsonmmap.test.fault=thread} the failure escapes another thread
 * instead, and the command goes on. Every other reset (the JVM's own, at start and at exit) works.
 */
public final class ThrowingLogManager extends LogManager {

  static final String MESSAGE = "injected fault for a test";

  public ThrowingLogManager() {
    super();
  }

  @Override
  public void reset() {
    boolean calledByTheCli =
        StackWalker.getInstance()
            .walk(
                frames ->
                    frames
                        .skip(1)
                        .findFirst()
                        .map(f -> f.getClassName().equals(JsonMmapCli.class.getName()))
                        .orElse(false));
    if (calledByTheCli) {
      if ("thread".equals(System.getProperty("jsonmmap.test.fault"))) {
        Thread failing =
            new Thread(
                () -> {
                  throw new IllegalStateException(MESSAGE);
                },
                "failing-worker");
        failing.setDaemon(true);
        failing.start();
      } else {
        throw new IllegalStateException(MESSAGE);
      }
    }
    super.reset();
  }
}
