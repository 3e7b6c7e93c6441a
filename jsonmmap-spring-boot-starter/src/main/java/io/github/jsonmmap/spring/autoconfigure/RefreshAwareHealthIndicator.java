package io.github.jsonmmap.spring.autoconfigure;

import io.github.jsonmmap.JsonMmapFile;
import io.github.jsonmmap.spring.SharedConfigRefresher;
import io.github.jsonmmap.spring.health.JsonMmapHealthIndicator;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;

/**
 * The {@code jsonmmap} health of an application with a refresher: the file's health, plus {@code
 * appliedVersion} and, while a version is rejected, {@code rejectedVersion}, {@code
 * rejectionReason} (property and type, never the value) and {@code rejectedAt}. A rejection turns
 * an UP status into {@code jsonmmap.health.rejected-status} (UP by default: the application still
 * serves its last good configuration).
 */
final class RefreshAwareHealthIndicator extends JsonMmapHealthIndicator {

  private final SharedConfigRefresher refresher;
  private final Status rejectedStatus;

  RefreshAwareHealthIndicator(
      JsonMmapFile file,
      Status staleStatus,
      boolean optional,
      SharedConfigRefresher refresher,
      Status rejectedStatus) {
    super(file, staleStatus, optional);
    this.refresher = refresher;
    this.rejectedStatus = rejectedStatus;
  }

  @Override
  protected void doHealthCheck(Health.Builder builder) {
    super.doHealthCheck(builder);
    builder.withDetail("appliedVersion", refresher.appliedVersion());
    refresher
        .lastRejection()
        .ifPresent(
            rejection -> {
              builder
                  .withDetail("rejectedVersion", rejection.version())
                  .withDetail("rejectionReason", rejection.reason())
                  .withDetail("rejectedAt", rejection.at().toString());
              if (Status.UP.equals(builder.build().getStatus())) {
                builder.status(rejectedStatus);
              }
            });
  }
}
