package io.github.jsonmmap.cli;

import io.github.jsonmmap.JsonMmapOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import picocli.CommandLine.Option;

/** Which owners and modes of the file and its directory the command trusts (README "Security"). */
final class TrustOptions {

  @Option(
      names = "--trust-user",
      paramLabel = "NAME",
      description =
          "Also trust the file and its directory when this account owns them (root and your own"
              + " account always are). Repeatable.")
  List<String> trustedUsers = new ArrayList<>();

  @Option(
      names = "--no-strict-modes",
      description =
          "Do not check the owner, mode and type of the file and its directory. For special"
              + " deployments only: any account that can write them can change what every process"
              + " reads. Also allows a group-writable init --mode.")
  boolean noStrictModes;

  /** Whether strict modes are on: the default. */
  boolean strict() {
    return !noStrictModes;
  }

  JsonMmapOptions.Builder apply(JsonMmapOptions.Builder builder) {
    for (String user : trustedUsers) {
      if (user.isBlank()) {
        throw CliException.usage("--trust-user needs an account name");
      }
    }
    return builder.strictModes(strict()).trustedUsers(Set.copyOf(trustedUsers));
  }
}
