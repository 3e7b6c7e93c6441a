package io.github.jsonmmap.spring.health;

import static java.util.Objects.requireNonNull;

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
 *   <li><b>DOWN</b> with {@code reason} while the latest look at the file failed (unreadable,
 *       corrupt, unsupported format, deleted or replaced), although the process keeps serving the
 *       last good version;
 *   <li><b>UP</b> with {@code state: file missing, optional} when the file does not exist (or is
 *       still being created) and the application was configured to start without it;
 *   <li>the configured <b>stale status</b> (UP by default) with {@code writerStale: true} when this
 *       process reads and the writer's heartbeat is stale or absent: the document read is still
 *       valid, and taking a fleet out of its load balancer because the writer died would turn one
 *       fault into an outage;
 *   <li><b>UP</b> otherwise.
 * </ul>
 *
 * Details, shown only as {@code management.endpoint.health.show-details} allows: {@code role},
 * {@code version}, {@code publishedAt}, {@code age}, {@code size}, {@code reason} (a short tag such
 * as {@code checksum} or {@code invalid-document}), {@code writerStale} and {@code writer} ({@code
 * self}, {@code heartbeatAge}, {@code stale}). Never the path, the writer's id, process id or host,
 * nor an error message: messages may carry what a health probe need not see, and an operator finds
 * them in the {@code jsonmmap} endpoint and the logs.
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
    Snapshot snapshot;
    try {
      snapshot = file.snapshot();
    } catch (JsonMmapException e) {
      // Not Boot's down(exception): its detail would carry the message.
      builder.down().withDetail("reason", e.reason());
      return;
    }
    builder.withDetail("role", file.options().role().name().toLowerCase(Locale.ROOT));
    Optional<JsonMmapException> error = file.lastError();
    if (error.isPresent()) {
      JsonMmapException e = error.get();
      if (optional && ABSENT_REASONS.contains(e.reason())) {
        builder.up().withDetail("state", "file missing, optional").withDetail("reason", e.reason());
      } else {
        builder.down().withDetail("reason", e.reason());
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
    file.writerHeartbeatAge().ifPresent(age -> writer.put("heartbeatAge", age.toString()));
    writer.put("stale", stale);
    return writer;
  }

  private static Duration ageOf(Snapshot snapshot) {
    Duration age = Duration.between(snapshot.publishedAt(), Instant.now());
    return age.isNegative() ? Duration.ZERO : age;
  }
}
