package io.github.jsonmmap.cli;

import java.util.logging.LogManager;

/**
 * Makes the CLI meet an unexpected RuntimeException in a real run: installed with {@code
 * -Djava.util.logging.manager}, it throws when the CLI resets the logging configuration before the
 * command runs. Every other reset (the JVM's own, at start and at exit) works.
 */
public final class ThrowingLogManager extends LogManager {

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
      throw new IllegalStateException("injected fault for a test");
    }
    super.reset();
  }
}
