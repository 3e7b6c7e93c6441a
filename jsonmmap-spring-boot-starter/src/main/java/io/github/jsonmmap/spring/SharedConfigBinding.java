package io.github.jsonmmap.spring;

import io.github.jsonmmap.JsonMmapException;
import io.github.jsonmmap.Snapshot;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * A part of the shared document bound to a type by Boot's binder, always current: {@link #get()}
 * returns an instance for the latest version (bound once per version). Works for records and
 * immutable classes, which {@code @RefreshScope} cannot refresh. When a new version cannot be
 * bound, {@link #get()} keeps returning the last instance that could, and {@link #lastError()} says
 * why.
 *
 * <p>Safe to call from any thread.
 *
 * @param <T> the bound type
 */
public final class SharedConfigBinding<T> implements Supplier<T> {

  private record Bound<T>(long version, T value, JsonMmapException error) {}

  private final SharedConfigTemplate template;
  private final String prefix;
  private final Class<T> type;
  private volatile Bound<T> bound;

  SharedConfigBinding(SharedConfigTemplate template, String prefix, Class<T> type) {
    this.template = template;
    this.prefix = prefix;
    this.type = type;
    Snapshot snapshot = template.snapshot();
    this.bound = new Bound<>(snapshot.version(), template.convert(prefix, type, snapshot), null);
  }

  /** The instance for the latest version. */
  @Override
  public T get() {
    Snapshot snapshot = template.snapshot();
    Bound<T> current = bound;
    if (current.version() == snapshot.version()) {
      return current.value();
    }
    try {
      current = new Bound<>(snapshot.version(), template.convert(prefix, type, snapshot), null);
    } catch (JsonMmapException e) {
      current = new Bound<>(snapshot.version(), current.value(), e);
    }
    bound = current;
    return current.value();
  }

  /** Why the latest version could not be converted, if it could not. */
  public Optional<JsonMmapException> lastError() {
    get();
    return Optional.ofNullable(bound.error());
  }

  public String prefix() {
    return prefix;
  }

  public Class<T> type() {
    return type;
  }
}
