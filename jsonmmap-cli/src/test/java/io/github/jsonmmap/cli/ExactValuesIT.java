package io.github.jsonmmap.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Numbers keep the exact value an operator wrote, through every write command and every later write
 * of another key (issue #11.4): no double that overflows, underflows or loses digits.
 */
class ExactValuesIT {

  @TempDir Path dir;

  @Test
  void putSetAndMergeKeepNumbersExactlyAndAnUnrelatedSetLeavesThemAlone() {
    Path file = dir.resolve("app.json");
    Fixture.create(file);

    Cli.run(dir, "put", "app.json", "{\"big\":1e400,\"tiny\":1e-400}").ok();
    Cli.run(dir, "set", "app.json", "third", "0.30000000000000000001").ok();
    Cli.run(dir, "merge", "app.json", "{\"scale\":1.10}").ok();
    Cli.run(dir, "set", "app.json", "unrelated", "true").ok();

    assertThat(Fixture.read(file).json())
        .isEqualTo(
            "{\"big\":1E+400,\"tiny\":1E-400,\"third\":0.30000000000000000001,"
                + "\"scale\":1.10,\"unrelated\":true}");
    assertThat(Cli.run(dir, "get", "app.json", "third").ok()).isEqualTo("0.30000000000000000001");
    assertThat(Cli.run(dir, "get", "app.json", "big").ok()).isEqualTo("1E+400");
  }

  @Test
  void nonFiniteValuesAreNotJsonAndAreRefused() {
    Path file = dir.resolve("app.json");
    Fixture.create(file);

    Cli.run(dir, "put", "app.json", "{\"x\":NaN}").fails(2);

    assertThat(Fixture.read(file).version()).isEqualTo(1);
  }
}
