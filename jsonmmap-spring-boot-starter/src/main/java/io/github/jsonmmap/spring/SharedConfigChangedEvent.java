package io.github.jsonmmap.spring;

import io.github.jsonmmap.ChangedKeys;
import io.github.jsonmmap.Snapshot;
import java.util.Set;
import org.springframework.context.ApplicationEvent;

/**
 * Published once per applied change of the shared document (bursts are coalesced, so one event may
 * cover several versions), after the application is ready, off the watcher thread.
 */
public class SharedConfigChangedEvent extends ApplicationEvent {

  private static final long serialVersionUID = 1L;

  private final transient Snapshot previous;
  private final transient Snapshot current;
  private final transient ChangedKeys keys;
  private final transient Set<String> propertyNames;

  public SharedConfigChangedEvent(
      Object source,
      Snapshot previous,
      Snapshot current,
      ChangedKeys keys,
      Set<String> propertyNames) {
    super(source);
    this.previous = previous;
    this.current = current;
    this.keys = keys;
    this.propertyNames = Set.copyOf(propertyNames);
  }

  /** The version the application had before. */
  public long previousVersion() {
    return previous.version();
  }

  /** The version now applied. */
  public long version() {
    return current.version();
  }

  public Snapshot previous() {
    return previous;
  }

  public Snapshot current() {
    return current;
  }

  /** The document keys (without the property-source prefix) added, removed and changed. */
  public ChangedKeys keys() {
    return keys;
  }

  /** The changed keys as Spring property names (with the configured prefix). */
  public Set<String> propertyNames() {
    return propertyNames;
  }
}
