package io.github.jsonmmap;

/** How a reader learns that a new version was published. */
public enum WatchMode {
  /**
   * File-system events (the writer bumps the file's modification time after each publish), with a
   * fallback poll of the header every poll interval for file systems and platforms without events.
   * Near-zero idle cost.
   */
  EVENTS,
  /** Only the poll of the header every poll interval. */
  POLL,
  /** A dedicated thread spins on the header: microsecond latency for the price of one busy core. */
  SPIN
}
