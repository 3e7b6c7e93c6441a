package io.github.jsonmmap.spring.env;

import static java.util.Objects.requireNonNull;

import io.github.jsonmmap.JsonMmapException;
import io.github.jsonmmap.JsonMmapFile;
import io.github.jsonmmap.Snapshot;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.core.env.EnumerablePropertySource;

/**
 * The shared document as a live property source named {@value #NAME}: every lookup reads the latest
 * snapshot, so {@code @Value} and {@code @ConfigurationProperties} see shared values from startup,
 * and a removed key really disappears. Keys are flattened as Spring flattens JSON ({@code
 * a.b[0].c}), optionally behind a prefix; values are String, Number or Boolean.
 *
 * <p>The document cannot configure its consumers: a {@link PropertySourceFilter} decides which
 * names it may set ({@code jsonmmap.*} never; {@code management.*}, {@code server.*} and the other
 * {@link PropertySourceFilter#DEFAULT_EXCLUDES} unless included). An excluded key is invisible to
 * {@link #getProperty}, {@link #containsProperty} and {@link #getPropertyNames}, listed by {@link
 * #excludedKeys()}, and logged at WARN (its name only) the first time a version carries it: at the
 * first lookup once WARN is enabled, since Boot holds back every log line until its logging system
 * is initialised, after this property source is in place. The filter runs once per key per version;
 * a lookup costs a hash look-up.
 *
 * <p>One binding sees one version: while a thread holds a {@link #pin(Snapshot) pin}, every {@code
 * jsonmmap} property source of that file answers that thread from the pinned snapshot, so a
 * {@code @ConfigurationProperties} bean bound under a pin never mixes keys of two versions. The
 * refresher pins the version it applies; {@code SharedConfigTemplate} pins one per read and
 * binding.
 *
 * <p>Safe to call from any thread.
 */
public class JsonMmapPropertySource extends EnumerablePropertySource<JsonMmapFile> {

  /** The name of the property source. */
  public static final String NAME = "jsonmmap";

  private static final Log LOG = LogFactory.getLog(JsonMmapPropertySource.class);

  /** Excluded keys named in one log line at most; the endpoint lists them all. */
  private static final int LOGGED_KEYS = 20;

  private static final View NONE = new View(-1, new String[0], Set.of(), List.of(), Map.of());

  /** The snapshots this thread has pinned, by file; absent when none. */
  private static final ThreadLocal<Map<Path, Snapshot>> PINNED = new ThreadLocal<>();

  private final String prefix;
  private final PropertySourceFilter filter;
  private volatile View view = NONE;
  private volatile View olderView = NONE;
  private volatile Pending pending;
  private final AtomicReference<Snapshot> firstServed = new AtomicReference<>();
  private volatile boolean firstTaken;

  /**
   * What one version offers: the names it may set (with the prefix, in document order), the ones it
   * may not, its excluded document keys (without the prefix) in document order, and the values of
   * the names it may set, by name (exactly the names allowed).
   */
  private record View(
      long version,
      String[] names,
      Set<String> excluded,
      List<String> keys,
      Map<String, Object> values) {}

  /** Keys that newly became excluded and are still to be logged, with the version that has them. */
  private record Pending(long version, List<String> keys) {}

  /** A property source with the default filter ({@link PropertySourceFilter#DEFAULT}). */
  public JsonMmapPropertySource(JsonMmapFile file, String prefix) {
    this(file, prefix, PropertySourceFilter.DEFAULT);
  }

  /**
   * @param file the shared file
   * @param prefix put in front of every document key (null or empty for none)
   * @param filter which names the document may set
   */
  public JsonMmapPropertySource(JsonMmapFile file, String prefix, PropertySourceFilter filter) {
    super(NAME, file);
    this.prefix = prefix == null ? "" : prefix;
    this.filter = requireNonNull(filter, "filter");
    if (!filter.ignoredIncludes().isEmpty()) {
      LOG.warn(
          "jsonmmap: the document can never set jsonmmap.*; ignoring include="
              + LogSafe.names(filter.ignoredIncludes(), LOGGED_KEYS));
    }
  }

  /** The prefix in front of every document key (empty for none). */
  public String prefix() {
    return prefix;
  }

  /** Which names the document may set. */
  public PropertySourceFilter filter() {
    return filter;
  }

  @Override
  public Object getProperty(String name) {
    if (!name.startsWith(prefix)) {
      return null;
    }
    Snapshot snapshot = snapshot();
    return snapshot == null ? null : viewOf(snapshot).values().get(name);
  }

  @Override
  public boolean containsProperty(String name) {
    if (!name.startsWith(prefix)) {
      return false;
    }
    Snapshot snapshot = snapshot();
    return snapshot != null && viewOf(snapshot).values().containsKey(name);
  }

  @Override
  public String[] getPropertyNames() {
    Snapshot snapshot = snapshot();
    return snapshot == null ? new String[0] : viewOf(snapshot).names().clone();
  }

  /**
   * The keys of the current version (as the document spells them, without the prefix) that the
   * filter keeps out of the environment, in document order; empty once the file is closed.
   */
  public List<String> excludedKeys() {
    Snapshot snapshot = snapshot();
    return snapshot == null ? List.of() : viewOf(snapshot).keys();
  }

  private View viewOf(Snapshot snapshot) {
    View current = view;
    if (current.version() < snapshot.version()) {
      synchronized (this) {
        current = view;
        if (current.version() < snapshot.version()) {
          View next = viewFor(snapshot, current);
          pending = newlyExcluded(current, next);
          view = next;
          current = next;
        }
      }
    }
    if (pending != null) {
      logPending();
    }
    if (current.version() == snapshot.version()) {
      return current;
    }
    // An older version, pinned by a thread still binding it: the latest view stays in place.
    View older = olderView;
    if (older.version() != snapshot.version()) {
      older = viewFor(snapshot, current);
      olderView = older;
    }
    return older;
  }

  /**
   * Filters the keys of a version. A key the previous version had keeps its decision, so only new
   * keys pay for the filter (a few microseconds each). The values the environment may see are kept
   * by their property names: a lookup is one hash look-up of the name asked, with no key cut out of
   * it (without a prefix and with nothing excluded, the snapshot's own flattened map serves).
   */
  private View viewFor(Snapshot snapshot, View previous) {
    Map<String, Object> flat = snapshot.flat();
    List<String> names = new ArrayList<>(flat.size());
    Set<String> excluded = new LinkedHashSet<>();
    List<String> keys = new ArrayList<>();
    // Without a prefix the names are the keys: the snapshot's map serves, less what is excluded.
    Map<String, Object> values =
        prefix.isEmpty() ? null : new HashMap<>(Math.max(16, flat.size() * 4 / 3 + 1));
    for (Map.Entry<String, Object> entry : flat.entrySet()) {
      String key = entry.getKey();
      String name = prefix + key;
      boolean exclude =
          !previous.values().containsKey(name)
              && (previous.excluded().contains(name) || filter.excludes(name));
      if (exclude) {
        excluded.add(name);
        keys.add(key);
      } else {
        names.add(name);
        if (values != null) {
          values.put(name, entry.getValue());
        }
      }
    }
    if (values == null && !excluded.isEmpty()) {
      values = new HashMap<>(flat);
      values.keySet().removeAll(excluded);
    }
    return new View(
        snapshot.version(),
        names.toArray(String[]::new),
        Set.copyOf(excluded),
        List.copyOf(keys),
        values == null ? flat : Collections.unmodifiableMap(values));
  }

  /**
   * The excluded keys of {@code next} that {@code previous} did not have, with those still to be
   * logged from before that {@code next} still excludes; null for none. Called under the lock.
   */
  private Pending newlyExcluded(View previous, View next) {
    Set<String> unlogged = pending == null ? Set.of() : Set.copyOf(pending.keys());
    List<String> fresh = new ArrayList<>();
    for (String key : next.keys()) {
      if (!previous.excluded().contains(prefix + key) || unlogged.contains(key)) {
        fresh.add(key);
      }
    }
    return fresh.isEmpty() ? null : new Pending(next.version(), List.copyOf(fresh));
  }

  /** One WARN line per version that brings excluded keys, once WARN is enabled. */
  private void logPending() {
    if (!LOG.isWarnEnabled()) {
      return;
    }
    Pending logged;
    synchronized (this) {
      logged = pending;
      pending = null;
    }
    if (logged != null) {
      LOG.warn(
          "jsonmmap: ignoring shared keys the document may not set (jsonmmap.property-source"
              + ".include and .exclude decide): path="
              + getSource().path()
              + " version="
              + logged.version()
              + " count="
              + logged.keys().size()
              + " keys="
              + LogSafe.names(logged.keys(), LOGGED_KEYS));
    }
  }

  /**
   * The first version this property source answered from, once: beans bound at start-up may hold
   * values of any version from it on, so the refresher diffs from it. Null when it answered nothing
   * yet or was asked already.
   */
  public Snapshot takeFirstServed() {
    firstTaken = true;
    return firstServed.getAndSet(null);
  }

  /**
   * Pins {@code snapshot} for the calling thread until the returned pin is closed: every {@code
   * jsonmmap} property source of the snapshot's file answers this thread from it. A pin taken while
   * the thread already pins a snapshot of that file keeps the outer one ({@link Pin#snapshot()}
   * says which) and its close does nothing, so nested callers agree on one version.
   */
  public static Pin pin(Snapshot snapshot) {
    requireNonNull(snapshot, "snapshot");
    Map<Path, Snapshot> pinned = PINNED.get();
    if (pinned == null) {
      pinned = new HashMap<>(2);
      PINNED.set(pinned);
    }
    Snapshot outer = pinned.putIfAbsent(snapshot.file(), snapshot);
    if (outer != null) {
      return new Pin(outer, false);
    }
    return new Pin(snapshot, true);
  }

  /** The snapshot of {@code file} the calling thread has pinned, or null. */
  public static Snapshot pinned(Path file) {
    Map<Path, Snapshot> pinned = PINNED.get();
    return pinned == null ? null : pinned.get(file);
  }

  /** A snapshot pinned for one thread; close it on that thread. */
  public static final class Pin implements AutoCloseable {
    private final Snapshot snapshot;
    private boolean owner;

    private Pin(Snapshot snapshot, boolean owner) {
      this.snapshot = snapshot;
      this.owner = owner;
    }

    /** The snapshot the thread answers from while this pin is open. */
    public Snapshot snapshot() {
      return snapshot;
    }

    /** Unpins (idempotent; a nested pin leaves the outer one in place). */
    @Override
    public void close() {
      if (!owner) {
        return;
      }
      owner = false;
      Map<Path, Snapshot> pinned = PINNED.get();
      if (pinned != null) {
        pinned.remove(snapshot.file());
        if (pinned.isEmpty()) {
          PINNED.remove();
        }
      }
    }
  }

  /**
   * The snapshot this thread has pinned for the file, else the latest, or null once the file is
   * closed (the context is shutting down).
   */
  private Snapshot snapshot() {
    Snapshot pinned = pinned(getSource().path());
    if (pinned != null) {
      return pinned;
    }
    try {
      Snapshot latest = getSource().snapshot();
      if (!firstTaken && firstServed.get() == null) {
        firstServed.compareAndSet(null, latest);
      }
      return latest;
    } catch (JsonMmapException e) {
      return null;
    }
  }
}
