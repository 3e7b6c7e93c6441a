package io.github.jsonmmap.spring.health;

import static java.util.Objects.requireNonNull;

import io.github.jsonmmap.FileInfo;
import io.github.jsonmmap.JsonMmapException;
import io.github.jsonmmap.JsonMmapFile;
import io.github.jsonmmap.Snapshot;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;

/**
 * Health of a jsonmmap file:
 *
 * <ul>
 *   <li><b>DOWN</b> with {@code reason} and {@code error} while the latest look at the file failed
 *       (unreadable, corrupt, unsupported format, deleted or replaced), although the process keeps
 *       serving the last good version;
 *   <li><b>UP</b> with {@code state: file missing, optional} when the file does not exist (or is
 *       still being created) and the application was configured to start without it;
 *   <li>the configured <b>stale status</b> (UP by default) with {@code writerStale: true} when this
 *       process reads and the writer's heartbeat is stale or absent: the document read is still
 *       valid, and taking a fleet out of its load balancer because the writer died would turn one
 *       fault into an outage;
 *   <li><b>UP</b> otherwise.
 * </ul>
 *
 * Details: {@code file}, {@code role}, {@code version}, {@code publishedAt}, {@code age}, {@code
 * size}, {@code writerStale} and {@code writer} ({@code self}, {@code id}, {@code info}, {@code
 * heartbeatAge}, {@code stale}).
 *
 * <p>Safe to call from any thread.
 */
public class JsonMmapHealthIndicator extends AbstractHealthIndicator {

  /** Reasons meaning "no file yet", which an optional file is allowed. */
  private static final Set<String> ABSENT_REASONS = Set.of("missing", "not-ready");

  private final JsonMmapFile file;
  private final Status staleStatus;
  private final boolean optional;

  /**
   * @param file the file to check
   * @param staleStatus the status to report when this process reads and the writer is stale
   * @param optional whether a missing file is healthy (the application starts without it and
   *     attaches when it appears)
   */
  public JsonMmapHealthIndicator(JsonMmapFile file, Status staleStatus, boolean optional) {
    super("jsonmmap health check failed");
    this.file = requireNonNull(file, "file");
    this.staleStatus = requireNonNull(staleStatus, "staleStatus");
    this.optional = optional;
  }

  @Override
  protected void doHealthCheck(Health.Builder builder) {
    Snapshot snapshot = file.snapshot();
    builder
        .withDetail("file", file.path().toString())
        .withDetail("role", file.options().role().name().toLowerCase(Locale.ROOT));
    Optional<JsonMmapException> error = file.lastError();
    if (error.isPresent()) {
      JsonMmapException e = error.get();
      if (optional && ABSENT_REASONS.contains(e.reason())) {
        builder.up().withDetail("state", "file missing, optional").withDetail("reason", e.reason());
      } else {
        builder.down().withDetail("reason", e.reason()).withDetail("error", e.getMessage());
      }
      addVersionDetails(builder, snapshot);
      return;
    }
    addVersionDetails(builder, snapshot);
    boolean stale = !file.isWriter() && file.isWriterStale();
    builder.withDetail("writerStale", stale).withDetail("writer", writerDetails(stale));
    builder.status(stale ? staleStatus : Status.UP);
  }

  private static void addVersionDetails(Health.Builder builder, Snapshot snapshot) {
    builder.withDetail("version", snapshot.version());
    if (snapshot.version() > 0) {
      builder
          .withDetail("publishedAt", snapshot.publishedAt().toString())
          .withDetail("age", ageOf(snapshot).toString());
    }
    builder.withDetail("size", snapshot.size());
  }

  private Map<String, Object> writerDetails(boolean stale) {
    Map<String, Object> writer = new LinkedHashMap<>();
    writer.put("self", file.isWriter());
    try {
      FileInfo info = file.info();
      if (info.writerId() != null) {
        writer.put("id", info.writerId().toString());
      }
      if (!info.writerInfo().isEmpty()) {
        writer.put("info", info.writerInfo());
      }
    } catch (JsonMmapException e) {
      // The header became unreadable since the last read: the next check reports it.
    }
    file.writerHeartbeatAge().ifPresent(age -> writer.put("heartbeatAge", age.toString()));
    writer.put("stale", stale);
    return writer;
  }

  private static Duration ageOf(Snapshot snapshot) {
    Duration age = Duration.between(snapshot.publishedAt(), Instant.now());
    return age.isNegative() ? Duration.ZERO : age;
  }
}
