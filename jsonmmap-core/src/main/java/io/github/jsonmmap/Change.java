package io.github.jsonmmap;

import static java.util.Objects.requireNonNull;

/**
 * A new version seen by a process: the one it had before, the new one, the keys that differ, and
 * when this process received it. The changed keys are computed on first use (and once): a listener
 * that only needs the new snapshot never pays for a diff.
 *
 * <p>Safe to share between threads.
 */
public final class Change {

  private final Snapshot previous;
  private final Snapshot current;
  private final long receivedAtMicros;
  private volatile ChangedKeys keys;

  /**
   * @param previous the snapshot this process held before (version 0 when it had none)
   * @param current the new snapshot
   * @param receivedAtMicros when this process read the new version, microseconds since the epoch
   */
  public Change(Snapshot previous, Snapshot current, long receivedAtMicros) {
    this.previous = requireNonNull(previous, "previous");
    this.current = requireNonNull(current, "current");
    this.receivedAtMicros = receivedAtMicros;
  }

  /** The snapshot this process held before (version 0 when it had none). */
  public Snapshot previous() {
    return previous;
  }

  /** The new snapshot. */
  public Snapshot current() {
    return current;
  }

  /**
   * The flattened keys added, removed and changed; computed on the first call, once, however many
   * threads ask at the same time.
   */
  public ChangedKeys keys() {
    ChangedKeys result = keys;
    if (result == null) {
      synchronized (this) {
        result = keys;
        if (result == null) {
          result = ChangedKeys.between(previous, current);
          keys = result;
        }
      }
    }
    return result;
  }

  /** When this process read the new version, microseconds since the epoch. */
  public long receivedAtMicros() {
    return receivedAtMicros;
  }

  /** Receive time minus publish time, in microseconds: the propagation delay of this change. */
  public long delayMicros() {
    return receivedAtMicros - current.publishedAtMicros();
  }

  @Override
  public String toString() {
    return "Change[" + previous.version() + " -> " + current.version() + "]";
  }
}
