package io.github.jsonmmap;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;
import tools.jackson.databind.json.JsonMapper;

/**
 * How to open a jsonmmap file. Immutable and validated on {@link Builder#build()}; the defaults are
 * public constants so that other front ends (the Spring starter, the CLI) reuse them.
 *
 * <p>Safe to share between threads.
 */
public final class JsonMmapOptions {

  /** Default data area of a new file: 256 KiB. */
  public static final long DEFAULT_INITIAL_CAPACITY = 256 * 1024;

  /** Default largest size the file may grow to: 64 MiB. */
  public static final long DEFAULT_MAX_SIZE = 64L * 1024 * 1024;

  /** Default permissions of a new file: owner read-write, group read, never world-writable. */
  public static final Set<PosixFilePermission> DEFAULT_PERMISSIONS =
      Collections.unmodifiableSet(PosixFilePermissions.fromString("rw-r-----"));

  /** Default fallback poll interval of a reader. */
  public static final Duration DEFAULT_POLL_INTERVAL = Duration.ofSeconds(1);

  /**
   * Default interval of an events-mode reader's safety-net poll while inotify events for its
   * directory are heard and its last read was good.
   */
  public static final Duration DEFAULT_EVENTS_POLL_INTERVAL = Duration.ofSeconds(5);

  /** Default writer heartbeat interval, also how often a standby tries the lock. */
  public static final Duration DEFAULT_HEARTBEAT_INTERVAL = Duration.ofSeconds(1);

  /** Default age of the writer heartbeat past which the writer is reported stale. */
  public static final Duration DEFAULT_STALE_AFTER = Duration.ofSeconds(5);

  /** Default time a read keeps retrying a slot that does not settle before giving up. */
  public static final Duration DEFAULT_READ_TIMEOUT = Duration.ofSeconds(1);

  /** The longest interval or timeout any option takes: 365 days. */
  public static final Duration MAX_DURATION = Duration.ofDays(365);

  /** Default maximum nesting depth of a document. */
  public static final int DEFAULT_MAX_NESTING_DEPTH = 500;

  /** Smallest allowed maximum size: the header page plus three pages of data. */
  public static final long MIN_MAX_SIZE = FileLayout.HEADER_LENGTH + 3L * FileLayout.PAGE_SIZE;

  /** Largest allowed maximum size (one Java mapping). */
  public static final long MAX_MAX_SIZE = Integer.MAX_VALUE & ~(FileLayout.PAGE_SIZE - 1L);

  private final Path path;
  private final Role role;
  private final long initialCapacity;
  private final long maxSize;
  private final Set<PosixFilePermission> permissions;
  private final WatchMode watchMode;
  private final Duration pollInterval;
  private final Duration eventsPollInterval;
  private final Duration heartbeatInterval;
  private final Duration staleAfter;
  private final Duration readTimeout;
  private final String name;
  private final Object initialDocument;
  private final JsonMapper mapper;
  private final boolean requireFile;
  private final boolean forceOnPublish;
  private final int maxNestingDepth;
  private final boolean strictModes;
  private final Set<String> trustedUsers;

  private JsonMmapOptions(Builder b, long initialCapacity) {
    this.path = b.path.toAbsolutePath().normalize();
    this.role = b.role;
    this.initialCapacity = initialCapacity;
    this.maxSize = b.maxSize;
    this.permissions = Collections.unmodifiableSet(EnumSet.copyOf(b.permissions));
    this.watchMode = b.watchMode;
    this.pollInterval = b.pollInterval;
    this.eventsPollInterval = b.eventsPollInterval;
    this.heartbeatInterval = b.heartbeatInterval;
    this.staleAfter = b.staleAfter;
    this.readTimeout = b.readTimeout;
    this.strictModes = b.strictModes;
    this.trustedUsers = Set.copyOf(b.trustedUsers);
    this.name = b.name;
    this.initialDocument = b.initialDocument;
    this.mapper = b.mapper;
    this.requireFile = b.requireFile;
    this.forceOnPublish = b.forceOnPublish;
    this.maxNestingDepth = b.maxNestingDepth;
  }

  /** A builder for the file at {@code path}, with every other option at its default. */
  public static Builder builder(Path path) {
    return new Builder(path);
  }

  /** Options for {@code path} and {@code role}, everything else default. */
  public static JsonMmapOptions of(Path path, Role role) {
    return builder(path).role(role).build();
  }

  public Path path() {
    return path;
  }

  public Role role() {
    return role;
  }

  /** Data area of a new file in bytes (the file is this plus the 4 KiB header page). */
  public long initialCapacity() {
    return initialCapacity;
  }

  /** The largest the file may grow to, header included. */
  public long maxSize() {
    return maxSize;
  }

  /**
   * The largest document that is guaranteed to fit: a third of the data area at the maximum size
   * (rounded down to 8 bytes), because the current document stays intact while the next one is
   * written beside it.
   */
  public long maxDocumentSize() {
    // Rounded down to the placement alignment, so that three aligned documents always fit.
    return (maxSize - FileLayout.HEADER_LENGTH)
        / 3
        / FileLayout.DATA_ALIGNMENT
        * FileLayout.DATA_ALIGNMENT;
  }

  public Set<PosixFilePermission> permissions() {
    return permissions;
  }

  public WatchMode watchMode() {
    return watchMode;
  }

  /**
   * How often a reader looks at the file without being told to: in {@link WatchMode#POLL}, always;
   * in {@link WatchMode#EVENTS}, while no inotify events are heard (a JDK WatchService that polls,
   * as on macOS; no event source at all; a directory that cannot be watched) or the last read
   * failed. On Linux the JDK WatchService fallback reads inotify too and counts as heard.
   */
  public Duration pollInterval() {
    return pollInterval;
  }

  /**
   * How often an events-mode reader looks at the file while inotify events for its directory are
   * heard and its last read was good: the safety net for what raises no event (a version written
   * through a mapping by a program that does not bump the file's time, a writer that died between
   * the two). Never shorter than {@link #pollInterval()}. Events that name the file for anything
   * but a timestamp change (it was written, truncated, created, deleted or renamed) make the reader
   * do the poll's full check at once.
   */
  public Duration eventsPollInterval() {
    return eventsPollInterval;
  }

  public Duration heartbeatInterval() {
    return heartbeatInterval;
  }

  public Duration staleAfter() {
    return staleAfter;
  }

  public Duration readTimeout() {
    return readTimeout;
  }

  /** The document name to record in (or expect from) the header, or null for none. */
  public String name() {
    return name;
  }

  /** The document a writer publishes as version 1 when it creates the file, or null for {}. */
  public Object initialDocument() {
    return initialDocument;
  }

  /** The mapper used to convert between objects and trees, or null for the library's own. */
  public JsonMapper mapper() {
    return mapper;
  }

  /**
   * Whether the owner and mode of the file and of every directory on its path are checked before
   * they are trusted, as OpenSSH's {@code StrictModes} does; on by default. Turning it off is for
   * special deployments only (a group of accounts sharing a group-writable file) and logs one
   * WARNING per path. Symbolic links, file types and hard links are checked either way; a
   * world-writable file is never created.
   */
  public boolean strictModes() {
    return strictModes;
  }

  /**
   * Accounts trusted to own the file and its directories besides root and this process's user: user
   * names, or numeric uids. A reader running as root that reads a file its writer's account owns
   * names that account here. A writer never opens a file it does not own, whatever this says.
   */
  public Set<String> trustedUsers() {
    return trustedUsers;
  }

  /**
   * The per-user private directory where files go when no path is configured: {@code
   * $XDG_RUNTIME_DIR/jsonmmap} when that variable names an existing directory owned by this user
   * with no group or other access, else {@code /dev/shm/jsonmmap-<uid>} (or {@code
   * <java.io.tmpdir>/jsonmmap-<uid>} where there is no {@code /dev/shm}). Created {@code rwx------}
   * by the first writer and checked like any other directory: another user who created it first
   * makes opening fail, never adopts the file.
   */
  public static Path defaultDirectory() {
    return SafeFiles.defaultDirectory();
  }

  /** Whether opening fails when the file is missing or unreadable, rather than waiting for it. */
  public boolean requireFile() {
    return requireFile;
  }

  /** Whether each publish flushes the mapping to the file before returning (msync). */
  public boolean forceOnPublish() {
    return forceOnPublish;
  }

  public int maxNestingDepth() {
    return maxNestingDepth;
  }

  @Override
  public String toString() {
    return "JsonMmapOptions[path="
        + path
        + ", role="
        + role
        + ", watchMode="
        + watchMode
        + ", name="
        + name
        + "]";
  }

  /** Builds {@link JsonMmapOptions}. Not thread-safe. */
  public static final class Builder {
    private final Path path;
    private Role role = Role.READER;
    private long initialCapacity = -1;
    private long maxSize = DEFAULT_MAX_SIZE;
    private Set<PosixFilePermission> permissions = DEFAULT_PERMISSIONS;
    private WatchMode watchMode = WatchMode.EVENTS;
    private Duration pollInterval = DEFAULT_POLL_INTERVAL;
    private Duration eventsPollInterval = DEFAULT_EVENTS_POLL_INTERVAL;
    private Duration heartbeatInterval = DEFAULT_HEARTBEAT_INTERVAL;
    private Duration staleAfter = DEFAULT_STALE_AFTER;
    private Duration readTimeout = DEFAULT_READ_TIMEOUT;
    private String name;
    private Object initialDocument;
    private JsonMapper mapper;
    private boolean requireFile = true;
    private boolean forceOnPublish;
    private int maxNestingDepth = DEFAULT_MAX_NESTING_DEPTH;
    private boolean strictModes = true;
    private Set<String> trustedUsers = Set.of();

    private Builder(Path path) {
      this.path = requireNonNull(path, "path");
    }

    public Builder role(Role role) {
      this.role = requireNonNull(role, "role");
      return this;
    }

    public Builder initialCapacity(long bytes) {
      this.initialCapacity = bytes;
      return this;
    }

    public Builder maxSize(long bytes) {
      this.maxSize = bytes;
      return this;
    }

    public Builder permissions(Set<PosixFilePermission> permissions) {
      this.permissions = requireNonNull(permissions, "permissions");
      return this;
    }

    /** Permissions in {@code ls -l} form, such as {@code rw-r--r--}. */
    public Builder permissions(String permissions) {
      return permissions(
          PosixFilePermissions.fromString(requireNonNull(permissions, "permissions")));
    }

    public Builder watchMode(WatchMode watchMode) {
      this.watchMode = requireNonNull(watchMode, "watchMode");
      return this;
    }

    public Builder pollInterval(Duration pollInterval) {
      this.pollInterval = requireNonNull(pollInterval, "pollInterval");
      return this;
    }

    /** See {@link JsonMmapOptions#eventsPollInterval()}. */
    public Builder eventsPollInterval(Duration eventsPollInterval) {
      this.eventsPollInterval = requireNonNull(eventsPollInterval, "eventsPollInterval");
      return this;
    }

    public Builder heartbeatInterval(Duration heartbeatInterval) {
      this.heartbeatInterval = requireNonNull(heartbeatInterval, "heartbeatInterval");
      return this;
    }

    public Builder staleAfter(Duration staleAfter) {
      this.staleAfter = requireNonNull(staleAfter, "staleAfter");
      return this;
    }

    public Builder readTimeout(Duration readTimeout) {
      this.readTimeout = requireNonNull(readTimeout, "readTimeout");
      return this;
    }

    public Builder name(String name) {
      this.name = name == null || name.isEmpty() ? null : name;
      return this;
    }

    /**
     * A Jackson-serialisable object, a tree, or JSON text (a {@code String} or UTF-8 {@code
     * byte[]}, as {@link JsonMmapFile#publish} takes it), published as version 1 of a new file.
     */
    public Builder initialDocument(Object initialDocument) {
      this.initialDocument = initialDocument;
      return this;
    }

    public Builder mapper(JsonMapper mapper) {
      this.mapper = mapper;
      return this;
    }

    public Builder requireFile(boolean requireFile) {
      this.requireFile = requireFile;
      return this;
    }

    public Builder forceOnPublish(boolean forceOnPublish) {
      this.forceOnPublish = forceOnPublish;
      return this;
    }

    /** See {@link JsonMmapOptions#strictModes()}. */
    public Builder strictModes(boolean strictModes) {
      this.strictModes = strictModes;
      return this;
    }

    /** See {@link JsonMmapOptions#trustedUsers()}. */
    public Builder trustedUsers(Set<String> trustedUsers) {
      this.trustedUsers = Set.copyOf(requireNonNull(trustedUsers, "trustedUsers"));
      return this;
    }

    public Builder maxNestingDepth(int maxNestingDepth) {
      this.maxNestingDepth = maxNestingDepth;
      return this;
    }

    /**
     * Validates and builds.
     *
     * @throws IllegalArgumentException naming the option that is out of range
     */
    public JsonMmapOptions build() {
      // Unset: the default, but never more than a smaller maximum allows.
      long capacity =
          initialCapacity == -1
              ? Math.min(DEFAULT_INITIAL_CAPACITY, maxSize - FileLayout.HEADER_LENGTH)
              : initialCapacity;
      if (maxSize < MIN_MAX_SIZE || maxSize > MAX_MAX_SIZE) {
        throw new IllegalArgumentException(
            "maxSize out of range: maxSize="
                + maxSize
                + " min="
                + MIN_MAX_SIZE
                + " max="
                + MAX_MAX_SIZE);
      }
      if (capacity < FileLayout.PAGE_SIZE || capacity > maxSize - FileLayout.HEADER_LENGTH) {
        throw new IllegalArgumentException(
            "initialCapacity out of range: initialCapacity="
                + capacity
                + " min="
                + FileLayout.PAGE_SIZE
                + " max="
                + (maxSize - FileLayout.HEADER_LENGTH)
                + " (maxSize minus the header page)");
      }
      requireInRange("pollInterval", pollInterval);
      requireInRange("eventsPollInterval", eventsPollInterval);
      requireInRange("heartbeatInterval", heartbeatInterval);
      requireInRange("staleAfter", staleAfter);
      requireInRange("readTimeout", readTimeout);
      if (permissions.isEmpty() || !permissions.contains(PosixFilePermission.OWNER_READ)) {
        throw new IllegalArgumentException(
            "permissions must let the owner read: permissions="
                + PosixFilePermissions.toString(EnumSet.copyOf(permissions)));
      }
      if (permissions.contains(PosixFilePermission.OTHERS_WRITE)) {
        throw new IllegalArgumentException(
            "permissions must never be world-writable: permissions="
                + PosixFilePermissions.toString(EnumSet.copyOf(permissions))
                + " rule=no write permission for others");
      }
      if (strictModes && permissions.contains(PosixFilePermission.GROUP_WRITE)) {
        throw new IllegalArgumentException(
            "permissions must not be group-writable with strict modes on: permissions="
                + PosixFilePermissions.toString(EnumSet.copyOf(permissions))
                + " rule=group write only with strictModes=false");
      }
      if (name != null
          && name.getBytes(java.nio.charset.StandardCharsets.UTF_8).length
              > FileLayout.NAME_CAPACITY) {
        throw new IllegalArgumentException(
            "name longer than " + FileLayout.NAME_CAPACITY + " UTF-8 bytes: name=" + name);
      }
      if (maxNestingDepth < 1) {
        throw new IllegalArgumentException("maxNestingDepth must be positive: " + maxNestingDepth);
      }
      return new JsonMmapOptions(this, capacity);
    }

    /**
     * Positive, and short enough to count in nanoseconds from any {@code System.nanoTime()}: a
     * longer one would overflow where the watcher, a read or the heartbeat schedules with it.
     */
    private static void requireInRange(String option, Duration value) {
      if (value.isZero() || value.isNegative()) {
        throw new IllegalArgumentException(option + " must be positive: " + option + "=" + value);
      }
      if (value.compareTo(MAX_DURATION) > 0) {
        throw new IllegalArgumentException(
            option + " must be at most " + MAX_DURATION + ": " + option + "=" + value);
      }
    }
  }
}
