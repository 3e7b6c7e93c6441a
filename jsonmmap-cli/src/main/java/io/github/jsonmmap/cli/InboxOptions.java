package io.github.jsonmmap.cli;

import io.github.jsonmmap.JsonMmapInbox;
import java.time.Duration;
import picocli.CommandLine.Option;

/** The options of a write that may go through the live writer's inbox. */
final class InboxOptions {

  @Option(
      names = "--expect-version",
      paramLabel = "N",
      description =
          "Apply the change only if the document is at version N when the writer takes it"
              + " (compare-and-set); exit 7 with the current version otherwise.")
  Long expectVersion;

  @Option(
      names = "--inbox-timeout",
      paramLabel = "DURATION",
      converter = Converters.Time.class,
      description =
          "How long to wait for the live writer's answer (default: 5s). When it does not answer,"
              + " the command reads the file and says whether the change is committed; exit 8 when"
              + " it is not, or when it cannot tell.")
  Duration timeout = JsonMmapInbox.DEFAULT_REQUEST_TIMEOUT;
}
