package io.github.jsonmmap.bench;

import java.util.List;

/** What carries a change from the writer process to the readers. */
enum Peer {
  /** jsonmmap, readers in {@code WatchMode.EVENTS}: mtime bump, inotify read natively, 1 s poll. */
  EVENTS("jsonmmap events (inotify)", "#1f77b4", true),
  /**
   * The same readers; the writer publishes the version's JSON text (a {@code byte[]}), which it
   * stores without a tree when the text is as it would write it. Runs in the size part.
   */
  EVENTS_TEXT("jsonmmap events, text published", "#aec7e8", true),
  /** The same with {@code -Djsonmmap.watcher=jdk}: the JDK WatchService fallback. */
  EVENTS_JDK("jsonmmap events (JDK WatchService)", "#9edae5", true),
  /** jsonmmap, readers in {@code WatchMode.POLL} (1 ms poll interval in the propagation runs). */
  POLL("jsonmmap poll", "#17becf", true),
  /** jsonmmap, readers in {@code WatchMode.SPIN}: a thread spins on the header. */
  SPIN("jsonmmap spin", "#2ca02c", true),
  /** Redis pub/sub on loopback; the subscriber parses the JSON. */
  REDIS("Redis pub/sub", "#d62728", false),
  /** A JSON file replaced by atomic rename, watched with WatchService, re-read and parsed. */
  FILE("watched file (rename)", "#ff7f0e", false),
  /** Raw shared memory: the writer stores a timestamp and a sequence, the reader busy-spins. */
  FLOOR("raw shm spin (floor)", "#7f7f7f", false),
  /**
   * Raw shared memory woken by events: the writer stores a timestamp and a sequence and bumps the
   * file's modification time as the jsonmmap writer does; the reader blocks in {@code read} on
   * inotify and loads the sequence. The floor of events mode: the kernel's event and one wake-up.
   */
  FLOOR_EVENTS("raw shm + inotify (floor)", "#bcbd22", false),
  /** A JVM that does nothing: the idle-cost baseline. */
  BASELINE("idle JVM (baseline)", "#000000", false),
  /**
   * A JVM that loaded and used the libraries a reader uses (Jackson parsing the document, JNA),
   * then does nothing: the idle baseline of the same size as a reader JVM. On the development VM
   * every wake-up of the JVM's own housekeeping threads costs more in a bigger process (the
   * monitor-deflation thread's 4 wakes a second: 0.18 ms each in a bare JVM, 0.28 ms in one that
   * only parsed JSON with Jackson), which is no cost of the reader's.
   */
  BASELINE_LOADED("idle JVM, libraries loaded (baseline)", "#555555", false);

  private final String label;
  private final String color;
  private final boolean jsonmmap;

  Peer(String label, String color, boolean jsonmmap) {
    this.label = label;
    this.color = color;
    this.jsonmmap = jsonmmap;
  }

  String label() {
    return label;
  }

  String color() {
    return color;
  }

  boolean isJsonmmap() {
    return jsonmmap;
  }

  /** JVM options of this peer's reader processes. */
  List<String> jvmArgs() {
    return this == EVENTS_JDK ? List.of("-Djsonmmap.watcher=jdk") : List.of();
  }

  /** Whether each reader of this peer busy-spins a core (so only one reader runs on this box). */
  boolean spins() {
    return this == SPIN || this == FLOOR;
  }
}
