package io.github.jsonmmap.spring.metrics;

import static java.util.Objects.requireNonNull;

import io.github.jsonmmap.Change;
import io.github.jsonmmap.JsonMmapException;
import io.github.jsonmmap.JsonMmapFile;
import io.github.jsonmmap.Role;
import io.github.jsonmmap.Snapshot;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.BaseUnits;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Micrometer meters of one jsonmmap file, tagged {@code file} (the file name) and {@code role} (the
 * configured role, lowercase):
 *
 * <ul>
 *   <li>gauges {@code jsonmmap.version}, {@code jsonmmap.document.size} and {@code
 *       jsonmmap.capacity} (bytes), {@code jsonmmap.age} and {@code jsonmmap.writer.heartbeat.age}
 *       (seconds; NaN when there is no version or no heartbeat);
 *   <li>function counters {@code jsonmmap.changes}, {@code jsonmmap.read.retries} and {@code
 *       jsonmmap.read.failures} (tagged {@code reason}; every reason the core reports is registered
 *       up front, any other is counted as {@value #OTHER_REASON});
 *   <li>timers {@code jsonmmap.propagation} (publish to seen, recorded by a change listener this
 *       binder adds to the file), {@code jsonmmap.publish} (writer and standby only) and {@code
 *       jsonmmap.refresh}, the last two recorded by whoever publishes and refreshes through {@link
 *       #recordPublish(Duration)} and {@link #recordRefresh(Duration)};
 *   <li>counter {@code jsonmmap.refresh.rejected}: versions not applied because a bean they affect
 *       could not be bound, recorded through {@link #recordRejection()}.
 * </ul>
 *
 * <p>Gauges hold a strong reference to the file, so they keep reporting however the file handle is
 * referenced elsewhere; after the handle is closed they report NaN.
 *
 * <p>Safe to call from any thread. May be bound to several registries; durations are recorded in
 * each.
 */
public class JsonMmapMetrics implements MeterBinder {

  /**
   * The read failure reasons the core reports ({@link JsonMmapException#reason()}), registered up
   * front so that a dashboard sees zero rather than no series.
   */
  public static final List<String> FAILURE_REASONS =
      List.of(
          "checksum",
          "corrupt",
          "format-version",
          "invalid-document",
          "io",
          "missing",
          "name-mismatch",
          "not-ready",
          "replaced",
          "timeout");

  /**
   * The {@code reason} tag of read failures whose reason is not one of {@link #FAILURE_REASONS}.
   */
  public static final String OTHER_REASON = "other";

  private final JsonMmapFile file;
  private final Tags tags;
  private final List<Timer> publishTimers = new CopyOnWriteArrayList<>();
  private final List<Timer> refreshTimers = new CopyOnWriteArrayList<>();
  private final List<Timer> propagationTimers = new CopyOnWriteArrayList<>();
  private final List<Counter> rejectionCounters = new CopyOnWriteArrayList<>();
  private final AtomicBoolean listening = new AtomicBoolean();

  public JsonMmapMetrics(JsonMmapFile file) {
    this(file, Tags.empty());
  }

  /** With tags added to every meter, for example to tell two files of the same name apart. */
  public JsonMmapMetrics(JsonMmapFile file, Iterable<Tag> extraTags) {
    this.file = requireNonNull(file, "file");
    Path name = file.path().getFileName();
    this.tags =
        Tags.of(
                "file",
                name == null ? file.path().toString() : name.toString(),
                "role",
                file.options().role().name().toLowerCase(Locale.ROOT))
            .and(requireNonNull(extraTags, "extraTags"));
  }

  @Override
  public void bindTo(MeterRegistry registry) {
    Gauge.builder("jsonmmap.version", file, JsonMmapMetrics::version)
        .tags(tags)
        .description("Version of the shared document this process sees (0 before any).")
        .strongReference(true)
        .register(registry);
    Gauge.builder("jsonmmap.document.size", file, JsonMmapMetrics::documentSize)
        .tags(tags)
        .baseUnit(BaseUnits.BYTES)
        .description("Size of the current version of the shared document as stored (UTF-8 JSON).")
        .strongReference(true)
        .register(registry);
    Gauge.builder("jsonmmap.capacity", file, JsonMmapMetrics::capacity)
        .tags(tags)
        .baseUnit(BaseUnits.BYTES)
        .description("Size of the file's data area, which grows with the documents it holds.")
        .strongReference(true)
        .register(registry);
    TimeGauge.builder("jsonmmap.age", file, TimeUnit.MICROSECONDS, JsonMmapMetrics::ageMicros)
        .tags(tags)
        .description("Time since the writer published the version this process sees.")
        .strongReference(true)
        .register(registry);
    TimeGauge.builder(
            "jsonmmap.writer.heartbeat.age",
            file,
            TimeUnit.NANOSECONDS,
            JsonMmapMetrics::heartbeatAgeNanos)
        .tags(tags)
        .description("Time since the writer's last heartbeat; NaN when no writer ever beat.")
        .strongReference(true)
        .register(registry);
    FunctionCounter.builder("jsonmmap.changes", file, JsonMmapFile::changesReceived)
        .tags(tags)
        .description("New versions of the shared document this process has applied.")
        .register(registry);
    FunctionCounter.builder("jsonmmap.read.retries", file, JsonMmapFile::readRetries)
        .tags(tags)
        .description("Reads that found a slot being written and tried again.")
        .register(registry);
    for (String reason : FAILURE_REASONS) {
      registerFailures(registry, reason);
    }
    registerFailures(registry, OTHER_REASON);
    propagationTimers.add(
        Timer.builder("jsonmmap.propagation")
            .tags(tags)
            .description(
                "Delay from the writer publishing a version to this process reading it"
                    + " (readers and standbys only).")
            .register(registry));
    refreshTimers.add(
        Timer.builder("jsonmmap.refresh")
            .tags(tags)
            .description(
                "Time to apply a new version to the application: property source, events and"
                    + " refresh.")
            .register(registry));
    rejectionCounters.add(
        Counter.builder("jsonmmap.refresh.rejected")
            .tags(tags)
            .description(
                "Versions of the shared document not applied because a bean they affect could not"
                    + " be bound; the last good version stays applied.")
            .register(registry));
    if (file.options().role() != Role.READER) {
      publishTimers.add(
          Timer.builder("jsonmmap.publish")
              .tags(tags)
              .description("Time to validate, write and commit a new version (writer only).")
              .register(registry));
    }
    if (listening.compareAndSet(false, true)) {
      file.addListener(this::onChange);
    }
  }

  /**
   * Records how long one publish through this process took (validation, serialisation, writing and
   * committing). Ignored for a reader, and until the binder is bound to a registry.
   */
  public void recordPublish(Duration duration) {
    requireNonNull(duration, "duration");
    for (Timer timer : publishTimers) {
      timer.record(duration);
    }
  }

  /**
   * Records how long applying one change to the application took (property source update, change
   * events, refresh scope). Ignored until the binder is bound to a registry.
   */
  public void recordRefresh(Duration duration) {
    requireNonNull(duration, "duration");
    for (Timer timer : refreshTimers) {
      timer.record(duration);
    }
  }

  /** Counts one rejected version. Ignored until the binder is bound to a registry. */
  public void recordRejection() {
    for (Counter counter : rejectionCounters) {
      counter.increment();
    }
  }

  private void registerFailures(MeterRegistry registry, String reason) {
    FunctionCounter.builder("jsonmmap.read.failures", file, f -> failures(f, reason))
        .tags(tags)
        .tag("reason", reason)
        .description("Failed reads of the file by reason, each distinct failure counted once.")
        .register(registry);
  }

  /**
   * Only a version written by another process and following one this process had measures
   * propagation: the writer's own publishes take no time to arrive, and the first version read
   * after attaching (or after the file was replaced) arrives whenever the process happened to look.
   */
  private void onChange(Change change) {
    if (file.isWriter()
        || change.previous().version() == 0
        || change.current().version() <= change.previous().version()) {
      return;
    }
    Duration delay = Duration.ofNanos(Math.max(0, change.delayMicros()) * 1000L);
    for (Timer timer : propagationTimers) {
      timer.record(delay);
    }
  }

  private static double version(JsonMmapFile file) {
    Snapshot snapshot = snapshotOrNull(file);
    return snapshot == null ? Double.NaN : snapshot.version();
  }

  private static double documentSize(JsonMmapFile file) {
    Snapshot snapshot = snapshotOrNull(file);
    return snapshot == null ? Double.NaN : snapshot.size();
  }

  private static double capacity(JsonMmapFile file) {
    try {
      return file.info().capacity();
    } catch (JsonMmapException e) {
      return Double.NaN;
    }
  }

  private static double ageMicros(JsonMmapFile file) {
    Snapshot snapshot = snapshotOrNull(file);
    if (snapshot == null || snapshot.version() == 0 || snapshot.publishedAtMicros() == 0) {
      return Double.NaN;
    }
    Instant now = Instant.now();
    long nowMicros = now.getEpochSecond() * 1_000_000L + now.getNano() / 1000;
    return Math.max(0, nowMicros - snapshot.publishedAtMicros());
  }

  private static double heartbeatAgeNanos(JsonMmapFile file) {
    return file.writerHeartbeatAge().map(age -> (double) age.toNanos()).orElse(Double.NaN);
  }

  private static double failures(JsonMmapFile file, String reason) {
    Map<String, Long> failures = file.readFailures();
    if (!OTHER_REASON.equals(reason)) {
      return failures.getOrDefault(reason, 0L);
    }
    long other = 0;
    for (Map.Entry<String, Long> entry : failures.entrySet()) {
      if (!FAILURE_REASONS.contains(entry.getKey())) {
        other += entry.getValue();
      }
    }
    return other;
  }

  private static Snapshot snapshotOrNull(JsonMmapFile file) {
    try {
      return file.snapshot();
    } catch (JsonMmapException e) {
      return null;
    }
  }
}
