package io.github.jsonmmap;

/** What a process may do with a file. */
public enum Role {
  /** Holds the file's exclusive lock and publishes; fails fast if another writer holds it. */
  WRITER,
  /** Maps the file read-only and follows its changes; can never modify it. */
  READER,
  /**
   * A standby: writes if the lock is free, otherwise reads and keeps trying the lock every
   * heartbeat interval, so a fleet fails over on its own when its writer dies.
   */
  AUTO
}
