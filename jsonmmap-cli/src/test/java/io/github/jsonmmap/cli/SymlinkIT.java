package io.github.jsonmmap.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A symlink at the path, which the library did not create: with strict modes (the default) every
 * command refuses it with one line naming the path and exit 1, and the file it points to is never
 * changed (issue #10.2).
 */
class SymlinkIT {

  @TempDir Path dir;

  @Test
  void everyCommandRefusesASymlinkedFileAndLeavesItsTargetAlone() throws IOException {
    Path target = dir.resolve("real.json");
    long version = Fixture.create(target, "{\"a\":1}");
    byte[] before = Files.readAllBytes(target);
    Path link = dir.resolve("app.json");
    Files.createSymbolicLink(link, target);

    for (List<String> command :
        List.of(
            List.of("get", "app.json"),
            List.of("inspect", "app.json"),
            List.of("verify", "app.json"),
            List.of("watch", "app.json", "--count", "1"),
            List.of("set", "app.json", "a", "2"),
            List.of("rollback", "app.json"))) {
      String line = Cli.run(dir, command.toArray(String[]::new)).fails(1);

      assertThat(line).as("%s", command).contains(link.toString());
    }
    assertThat(Files.readAllBytes(target)).isEqualTo(before);
    assertThat(Fixture.read(target).version()).isEqualTo(version);
  }

  @Test
  void setThroughASymlinkToAnAllZeroFileNeverInitialisesIt() throws IOException {
    Path victim = dir.resolve("victim.bin");
    Files.write(victim, new byte[8192]);
    Path link = dir.resolve("app.json");
    Files.createSymbolicLink(link, victim);

    Cli.run(dir, "set", "app.json", "a", "2").fails(1);
    Cli.run(dir, "init", "app.json", "--force").fails(1);

    assertThat(Files.readAllBytes(victim)).isEqualTo(new byte[8192]);
  }
}
