package io.github.jsonmmap.spring;

import io.github.jsonmmap.Change;
import io.github.jsonmmap.ChangeListener;
import io.github.jsonmmap.ChangedKeys;
import io.github.jsonmmap.JsonMmapFile;
import io.github.jsonmmap.Snapshot;
import io.github.jsonmmap.spring.env.JsonMmapPropertySource;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.InitializingBean;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.boot.context.properties.bind.BindException;
import org.springframework.boot.context.properties.bind.validation.BindValidationException;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.ApplicationListener;
import org.springframework.validation.FieldError;
import org.springframework.validation.ObjectError;

/**
 * Applies new versions of the shared document to the application, guarded and targeted:
 *
 * <ol>
 *   <li>changes are ignored until the application is ready, after which the latest version applies;
 *       the first change after a quiet period applies at once, and further changes within the
 *       coalescing window are applied together at its end (one refresh per burst);
 *   <li>the changed keys are computed between the version last applied and the latest, so a key
 *       changed and changed back within a burst is no change, and a version without changed keys
 *       refreshes nothing;
 *   <li>the preparer (by default {@link SharedConfigPropertiesRebinder}) binds the affected beans
 *       on copies; if that fails the version is <em>rejected</em>: nothing of it is applied, the
 *       last good version stays applied, and {@link #lastRejection()} says which version and why
 *       (never quoting the document) until a later version applies;
 *   <li>otherwise the copies are put in place and one {@link SharedConfigChangedEvent} is published
 *       (Spring Cloud's {@code @RefreshScope} refresh listens to it).
 * </ol>
 *
 * <p>Runs on its own thread (never the watcher's), one change at a time; the thread survives any
 * failure. Thread-safe.
 */
public class SharedConfigRefresher
    implements ChangeListener,
        ApplicationListener<ApplicationReadyEvent>,
        InitializingBean,
        DisposableBean {

  private static final System.Logger LOG = System.getLogger(SharedConfigRefresher.class.getName());

  /**
   * A version that was not applied.
   *
   * @param version the rejected version
   * @param appliedVersion the version still applied
   * @param reason why: the property, the target type and, for a validation failure, each field and
   *     the code of the rule it broke; never a value nor a validator's message (which may quote
   *     one)
   * @param at when it was rejected
   */
  public record Rejection(long version, long appliedVersion, String reason, Instant at) {}

  private final JsonMmapFile file;
  private final String prefix;
  private final long coalesceNanos;
  private final ApplicationEventPublisher publisher;
  private volatile Consumer<Duration> refreshTimer = duration -> {};
  private volatile Consumer<Rejection> rejectionListener = rejection -> {};
  private volatile Function<Set<String>, Runnable> preparer = names -> () -> {};
  private volatile Predicate<String> excluded = name -> false;
  private volatile Supplier<Snapshot> initial = () -> null;
  private final ScheduledExecutorService executor;
  private final AtomicBoolean scheduled = new AtomicBoolean();
  private volatile boolean ready;
  private volatile Snapshot applied;
  private volatile Rejection rejection;
  private volatile long lastApplyStarted = System.nanoTime() - TimeUnit.DAYS.toNanos(1);

  /**
   * Which property names the application never sees from the document (the property source's
   * filter): they are left out of the changed names, and a version that changes only them refreshes
   * nothing.
   */
  public void setExcluded(Predicate<String> excluded) {
    this.excluded = Objects.requireNonNull(excluded, "excluded");
  }

  public SharedConfigRefresher(
      JsonMmapFile file, String prefix, Duration coalesce, ApplicationEventPublisher publisher) {
    this.file = file;
    this.prefix = prefix == null ? "" : prefix;
    this.coalesceNanos = coalesce.toNanos();
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
    Snapshot latest = file.snapshot();
    Snapshot first = initial.get();
    // Beans bound before this point may hold any version since the first one served: diff from it.
    applied = first != null && first.version() < latest.version() ? first : latest;
    file.addListener(this);
  }

  /**
   * Sets what gives the oldest version the application's beans may have been bound from at start-up
   * (the property source's first), so that the first refresh rebinds every bean a later version
   * changed; by default the version current when the refresher starts.
   */
  public void setInitial(Supplier<Snapshot> initial) {
    this.initial = Objects.requireNonNull(initial, "initial");
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

  /** Sets what is told of each rejected version. */
  public void setRejectionListener(Consumer<Rejection> rejectionListener) {
    this.rejectionListener = rejectionListener;
  }

  /**
   * Sets what binds the beans a change affects: given the changed Spring property names, it binds
   * copies (throwing when any fails) and returns what puts them in place.
   */
  public void setPreparer(Function<Set<String>, Runnable> preparer) {
    this.preparer = preparer;
  }

  /** The version the application has applied. */
  public long appliedVersion() {
    return applied.version();
  }

  /** The latest version rejected since the last one applied, if any. */
  public Optional<Rejection> lastRejection() {
    return Optional.ofNullable(rejection);
  }

  private void schedule() {
    if (scheduled.compareAndSet(false, true)) {
      long wait = lastApplyStarted + coalesceNanos - System.nanoTime();
      executor.schedule(this::apply, Math.max(0, wait), TimeUnit.NANOSECONDS);
    }
  }

  private void apply() {
    lastApplyStarted = System.nanoTime();
    scheduled.set(false);
    try {
      applyLatest();
    } catch (Throwable e) { // NOPMD: the refresher must outlive any failure of what it calls
      LOG.log(Level.WARNING, "jsonmmap: applying a shared config change failed", e);
    }
  }

  private void applyLatest() {
    Snapshot current = file.snapshot();
    Snapshot previous = applied;
    if (current.version() == previous.version()) {
      return;
    }
    ChangedKeys keys = ChangedKeys.between(previous, current);
    if (keys.isEmpty()) {
      applied = current;
      rejection = null;
      return;
    }
    Set<String> names = new LinkedHashSet<>();
    Predicate<String> hidden = excluded;
    keys.all().stream()
        .map(key -> prefix + key)
        .filter(name -> !hidden.test(name))
        .forEach(names::add);
    if (names.isEmpty()) {
      // Only keys the property source keeps out changed: nothing the application sees moved.
      applied = current;
      rejection = null;
      return;
    }
    long started = System.nanoTime();
    // Everything bound for this version reads this version, whatever is published meanwhile.
    try (JsonMmapPropertySource.Pin pin = JsonMmapPropertySource.pin(current)) {
      Runnable commit;
      try {
        commit = preparer.apply(names);
      } catch (RuntimeException e) {
        reject(current, previous, e);
        return;
      }
      try {
        commit.run();
      } catch (RuntimeException e) {
        // Only what cannot be tried on a copy fails here (a setter that refuses a value).
        reject(current, previous, e);
        return;
      }
      applied = current;
      rejection = null;
      publisher.publishEvent(new SharedConfigChangedEvent(this, previous, current, keys, names));
    }
    refreshTimer.accept(Duration.ofNanos(System.nanoTime() - started));
  }

  private void reject(Snapshot current, Snapshot previous, RuntimeException e) {
    Rejection rejected =
        new Rejection(current.version(), previous.version(), reasonOf(e), Instant.now());
    boolean repeated = rejection != null && rejection.reason().equals(rejected.reason());
    rejection = rejected;
    rejectionListener.accept(rejected);
    LOG.log(
        repeated ? Level.DEBUG : Level.WARNING,
        "jsonmmap: shared config version rejected, keeping the last good one: path="
            + file.path()
            + " version="
            + rejected.version()
            + " applied="
            + rejected.appliedVersion()
            + " reason="
            + rejected.reason());
  }

  /** The failure's property and target type, never the value (a bind message may quote it). */
  static String reasonOf(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof BindException bind) {
        Throwable cause = bind.getCause();
        StringBuilder reason =
            new StringBuilder("cannot bind property=")
                .append(bind.getName())
                .append(" type=")
                .append(bind.getTarget().getType());
        if (cause instanceof BindValidationException invalid) {
          List<String> problems = new ArrayList<>();
          // The rule's code, never its message: a default message may quote the rejected value.
          for (ObjectError error : invalid.getValidationErrors().getAllErrors()) {
            String field =
                error instanceof FieldError fieldError
                    ? "field=" + fieldError.getField() + " "
                    : "";
            problems.add(field + "rule=" + (error.getCode() == null ? "invalid" : error.getCode()));
          }
          reason.append(" problems=").append(problems);
        } else if (cause != null) {
          reason.append(" error=").append(cause.getClass().getSimpleName());
        }
        return reason.toString();
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return "cannot bind error=" + failure.getClass().getSimpleName();
  }

  @Override
  public void destroy() {
    file.removeListener(this);
    executor.shutdownNow();
  }
}
