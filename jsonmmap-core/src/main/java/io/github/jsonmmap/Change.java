package io.github.jsonmmap;

/**
 * A new version seen by a process: the one it had before, the new one, the keys that differ, and
 * when this process received it.
 *
 * @param previous the snapshot this process held before (version 0 when it had none)
 * @param current the new snapshot
 * @param keys the flattened keys added, removed and changed
 * @param receivedAtMicros when this process read the new version, microseconds since the epoch
 */
public record Change(Snapshot previous, Snapshot current, ChangedKeys keys, long receivedAtMicros) {

  /** Receive time minus publish time, in microseconds: the propagation delay of this change. */
  public long delayMicros() {
    return receivedAtMicros - current.publishedAtMicros();
  }
}
