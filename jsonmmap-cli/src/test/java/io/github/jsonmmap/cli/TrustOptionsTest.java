package io.github.jsonmmap.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.jsonmmap.JsonMmapOptions;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code --trust-user} and {@code --no-strict-modes} reach the library's options as given. */
class TrustOptionsTest {

  private static final Path FILE = Path.of("/nonexistent/app.json");

  @Test
  void defaultsAreStrictWithNoExtraAccounts() {
    JsonMmapOptions options = parse(new GetCommand(), "app.json").trust.apply(builder()).build();

    assertThat(options.strictModes()).isTrue();
    assertThat(options.trustedUsers()).isEmpty();
  }

  @Test
  void trustUserRepeatsAndNoStrictModesTurnsTheChecksOff() {
    GetCommand get =
        parse(
            new GetCommand(),
            "app.json",
            "--trust-user",
            "deploy",
            "--trust-user",
            "config",
            "--no-strict-modes");

    JsonMmapOptions options = get.trust.apply(builder()).build();

    assertThat(options.strictModes()).isFalse();
    assertThat(options.trustedUsers()).containsExactlyInAnyOrder("deploy", "config");
  }

  @Test
  void writeCommandsAndInitTakeTheSameOptions() {
    SetCommand set = parse(new SetCommand(), "app.json", "a", "1", "--trust-user", "deploy");
    InitCommand init = parse(new InitCommand(), "app.json", "--no-strict-modes");

    assertThat(set.write.trust.apply(builder()).build().trustedUsers()).containsExactly("deploy");
    assertThat(init.trust.apply(builder()).build().strictModes()).isFalse();
  }

  private static JsonMmapOptions.Builder builder() {
    return JsonMmapOptions.builder(FILE);
  }

  private static <T> T parse(T command, String... args) {
    new CommandLine(command).parseArgs(args);
    return command;
  }
}
