package io.github.jsonmmap.spring;

import io.github.jsonmmap.Change;
import io.github.jsonmmap.ChangeListener;
import io.github.jsonmmap.ChangedKeys;
import io.github.jsonmmap.JsonMmapFile;
import io.github.jsonmmap.Snapshot;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.InitializingBean;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.ApplicationListener;

/**
 * Turns new versions of the shared document into one {@link SharedConfigChangedEvent} per burst:
 * changes are coalesced for a short window, applied on its own thread (never the watcher's), one at
 * a time, and ignored until the application is ready, after which the latest version applies. The
 * changed keys are computed between the version last applied and the latest, so a key changed and
 * changed back within a burst is no change.
 *
 * <p>Thread-safe.
 */
public class SharedConfigRefresher
    implements ChangeListener,
        ApplicationListener<ApplicationReadyEvent>,
        InitializingBean,
        DisposableBean {

  private static final System.Logger LOG = System.getLogger(SharedConfigRefresher.class.getName());

  private final JsonMmapFile file;
  private final String prefix;
  private final Duration coalesce;
  private final ApplicationEventPublisher publisher;
  private volatile Consumer<Duration> refreshTimer = duration -> {};
  private final ScheduledExecutorService executor;
  private final AtomicBoolean scheduled = new AtomicBoolean();
  private volatile boolean ready;
  private volatile Snapshot applied;

  public SharedConfigRefresher(
      JsonMmapFile file, String prefix, Duration coalesce, ApplicationEventPublisher publisher) {
    this.file = file;
    this.prefix = prefix == null ? "" : prefix;
    this.coalesce = coalesce;
    this.publisher = publisher;
    ScheduledThreadPoolExecutor pool =
        new ScheduledThreadPoolExecutor(
            1,
            runnable -> {
              Thread thread = new Thread(runnable, "jsonmmap-refresh");
              thread.setDaemon(true);
              return thread;
            });
    pool.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    this.executor = pool;
  }

  @Override
  public void afterPropertiesSet() {
    applied = file.snapshot();
    file.addListener(this);
  }

  @Override
  public void onApplicationEvent(ApplicationReadyEvent event) {
    ready = true;
    schedule();
  }

  @Override
  public void onChange(Change change) {
    if (ready) {
      schedule();
    }
  }

  /** Sets what is told how long each applied change took (its events and refreshes included). */
  public void setRefreshTimer(Consumer<Duration> refreshTimer) {
    this.refreshTimer = refreshTimer;
  }

  /** The version the application has applied. */
  public long appliedVersion() {
    return applied.version();
  }

  private void schedule() {
    if (scheduled.compareAndSet(false, true)) {
      executor.schedule(this::apply, coalesce.toNanos(), TimeUnit.NANOSECONDS);
    }
  }

  private void apply() {
    scheduled.set(false);
    try {
      Snapshot current = file.snapshot();
      Snapshot previous = applied;
      if (current.version() == previous.version()) {
        return;
      }
      applied = current;
      ChangedKeys keys = ChangedKeys.between(previous, current);
      if (keys.isEmpty()) {
        return;
      }
      Set<String> names = new LinkedHashSet<>();
      keys.all().forEach(key -> names.add(prefix + key));
      long started = System.nanoTime();
      publisher.publishEvent(new SharedConfigChangedEvent(this, previous, current, keys, names));
      refreshTimer.accept(Duration.ofNanos(System.nanoTime() - started));
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, "jsonmmap: applying a shared config change failed", e);
    }
  }

  @Override
  public void destroy() {
    file.removeListener(this);
    executor.shutdownNow();
  }
}
