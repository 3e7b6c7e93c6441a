package io.github.jsonmmap.cli;

import io.github.jsonmmap.Change;
import io.github.jsonmmap.ChangedKeys;
import io.github.jsonmmap.JsonMmapFile;
import io.github.jsonmmap.JsonMmapOptions;
import io.github.jsonmmap.WatchMode;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

@Command(
    name = "watch",
    description = {
      "Print one line per new version as it arrives.",
      "Stay running and print one line per new version as it arrives: version, publish time,"
          + " the changed keys and the propagation delay (receive time minus publish time) in"
          + " microseconds. Says on standard error when it starts watching. Stop with Ctrl-C.",
      "Text lines escape control and bidirectional characters in keys (\\n, \\x1b, \\u202e),"
          + " so that no key can print a forged line.",
      "--json prints one JSON object a line: version, publishedAtMicros, receivedAtMicros,"
          + " delayMicros, changedKeys (all, sorted), added, removed, changed."
    })
final class WatchCommand implements Callable<Integer>, FileCommand {

  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "FILE", description = "The jsonmmap file.")
  Path file;

  @Option(names = "--json", description = "Print one JSON object per line.")
  boolean json;

  @Option(
      names = "--mode",
      paramLabel = "MODE",
      converter = ModeConverter.class,
      description =
          "How to notice new versions: events (file events plus a fallback poll; default), poll"
              + " (only the poll), spin (a busy thread: microseconds, one core).")
  WatchMode mode = WatchMode.EVENTS;

  @Option(
      names = "--poll-interval",
      paramLabel = "DURATION",
      converter = Converters.Time.class,
      description =
          "Poll interval of the events and poll modes (default: 1s). In events mode, while"
              + " inotify events are heard and reads succeed, the poll is a safety net run every"
              + " 5s or this, whichever is longer.")
  Duration pollInterval = JsonMmapOptions.DEFAULT_POLL_INTERVAL;

  @Option(
      names = "--count",
      paramLabel = "N",
      description =
          "Print exactly N new versions, then exit 0 (default: run until stopped). Versions"
              + " published faster than they are read are coalesced: the lines are then not"
              + " consecutive versions, but always N of them.")
  int count;

  @Mixin TrustOptions trust;

  @Override
  public Path file() {
    return file;
  }

  @Override
  public Integer call() throws InterruptedException {
    if (count < 0) {
      throw CliException.usage("--count must not be negative: count=" + count);
    }
    if (pollInterval.isZero()) {
      throw CliException.usage("--poll-interval must be positive");
    }
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    CountDownLatch done = new CountDownLatch(1);
    int[] printed = {0};
    Path path = file.toAbsolutePath().normalize();
    Open.requireRegularFile(path, false);
    JsonMmapOptions options =
        Open.readerOptions(path, trust).watchMode(mode).pollInterval(pollInterval).build();
    try (JsonMmapFile reader = JsonMmapFile.open(options)) {
      reader.addListener(
          change -> {
            // Under one lock, so that a change delivered while the command closes the file can
            // never make it print more than N lines.
            synchronized (printed) {
              if (count > 0 && printed[0] >= count) {
                return;
              }
              out.println(json ? jsonLine(change) : textLine(change));
              out.flush();
              printed[0]++;
              if (count > 0 && printed[0] == count) {
                done.countDown();
              }
            }
          });
      // A version published between open and addListener was applied with no one listening.
      long from = reader.refresh().version();
      err.println(
          "jsonmmap: watching "
              + SafeText.of(reader.path())
              + " from version "
              + from
              + " (mode "
              + mode.name().toLowerCase(Locale.ROOT)
              + "); stop with Ctrl-C");
      err.flush();
      done.await();
    }
    return ExitCodes.OK;
  }

  private static String textLine(Change change) {
    StringBuilder line =
        new StringBuilder()
            .append("version=")
            .append(change.current().version())
            .append(" publishedAt=")
            .append(CliText.time(change.current().publishedAtMicros()))
            .append(" delayMicros=")
            .append(change.delayMicros());
    ChangedKeys keys = change.keys();
    if (keys.isEmpty()) {
      line.append(" keys=none");
    }
    appendKeys(line, "added", keys.added());
    appendKeys(line, "changed", keys.changed());
    appendKeys(line, "removed", keys.removed());
    return line.toString();
  }

  private static void appendKeys(StringBuilder line, String what, Collection<String> keys) {
    if (!keys.isEmpty()) {
      line.append(' ').append(what).append('=');
      boolean first = true;
      for (String key : keys) {
        line.append(first ? "" : ",").append(SafeText.of(key));
        first = false;
      }
    }
  }

  private static String jsonLine(Change change) {
    ObjectNode node = Json.object();
    node.put("version", change.current().version());
    node.put("publishedAtMicros", change.current().publishedAtMicros());
    node.put("receivedAtMicros", change.receivedAtMicros());
    node.put("delayMicros", change.delayMicros());
    ChangedKeys keys = change.keys();
    array(node.putArray("changedKeys"), keys.all());
    array(node.putArray("added"), keys.added());
    array(node.putArray("removed"), keys.removed());
    array(node.putArray("changed"), keys.changed());
    return Json.compact(node);
  }

  private static void array(ArrayNode array, Collection<String> values) {
    values.forEach(array::add);
  }

  /** events, poll or spin, in any case. */
  static final class ModeConverter implements ITypeConverter<WatchMode> {
    @Override
    public WatchMode convert(String value) {
      try {
        return WatchMode.valueOf(value.trim().toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new TypeConversionException(
            "not a watch mode: '" + value + "' (use events, poll or spin)");
      }
    }
  }
}
