package io.github.jsonmmap.spring.autoconfigure;

import io.github.jsonmmap.JsonMmapOptions;
import io.github.jsonmmap.Role;
import io.github.jsonmmap.WatchMode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;

/**
 * Configuration of the shared JSON document ({@code jsonmmap.*}). Nothing happens until a file is
 * declared, with {@code spring.config.import=[optional:]jsonmmap:<path>} or {@code jsonmmap.file};
 * the other properties apply to either.
 */
@ConfigurationProperties("jsonmmap")
public class JsonMmapProperties {

  /**
   * Whether to share configuration through jsonmmap. Set to true without a file to use
   * ${jsonmmap.name}.json (else ${spring.application.name}.json) in the per-user private directory.
   */
  private boolean enabled = true;

  /**
   * The shared file (spring.config.import=jsonmmap:<path> declares it too). No default: without one
   * the starter does nothing.
   */
  private Path file;

  /**
   * What this process does with the file: reader (least privilege), writer, or auto (writes if no
   * other process does, otherwise reads and stands by).
   */
  private Role role = Role.READER;

  /** Document name recorded in the file; a file recording another name is refused. */
  private String name;

  /** Resource the writer publishes as version 1 when it creates the file. */
  private String initialDocument;

  /**
   * Whether the application may start without the file (it attaches when the file appears);
   * otherwise a missing or unreadable file fails the start and the health check.
   */
  private boolean optional = false;

  /** Data area of a new file. */
  private DataSize initialCapacity = DataSize.ofBytes(JsonMmapOptions.DEFAULT_INITIAL_CAPACITY);

  /** Largest size the file may grow to; documents up to a third of it always fit. */
  private DataSize maxSize = DataSize.ofBytes(JsonMmapOptions.DEFAULT_MAX_SIZE);

  /** Permissions of a new file, in ls -l form. */
  private String permissions = "rw-r-----";

  /** How a reader learns of a new version: events (with a fallback poll), poll, or spin. */
  private WatchMode watchMode = WatchMode.EVENTS;

  /**
   * How often a reader looks at the file unprompted: always in poll mode; in events mode while no
   * precise events are heard (no inotify, a directory that cannot be watched) or its last read
   * failed.
   */
  private Duration pollInterval = JsonMmapOptions.DEFAULT_POLL_INTERVAL;

  /**
   * Safety-net poll of an events-mode reader while inotify events are heard and its last read was
   * good (never shorter than poll-interval); anything but the writer's timestamp bump is looked at
   * at once from its event.
   */
  private Duration eventsPollInterval = JsonMmapOptions.DEFAULT_EVENTS_POLL_INTERVAL;

  /** Writer heartbeat interval; also how often a standby tries to become the writer. */
  private Duration heartbeatInterval = JsonMmapOptions.DEFAULT_HEARTBEAT_INTERVAL;

  /** Age of the writer heartbeat past which the writer is reported stale. */
  private Duration staleAfter = JsonMmapOptions.DEFAULT_STALE_AFTER;

  /**
   * Whether the file and its directories are checked before they are trusted (owner, mode, type, no
   * symlinks), as OpenSSH's StrictModes does. Turning it off skips the owner and mode checks only,
   * and is meant for special deployments.
   */
  private boolean strictModes = true;

  /**
   * Accounts (user names or numeric uids) trusted to own the file and its directories besides root
   * and the application's own user, for example the writer's account for a reader in another one.
   */
  private List<String> trustedUsers = new ArrayList<>();

  private final PropertySource propertySource = new PropertySource();

  private final Refresh refresh = new Refresh();

  private final Health health = new Health();

  public boolean isStrictModes() {
    return strictModes;
  }

  public void setStrictModes(boolean strictModes) {
    this.strictModes = strictModes;
  }

  public List<String> getTrustedUsers() {
    return trustedUsers;
  }

  public void setTrustedUsers(List<String> trustedUsers) {
    this.trustedUsers = trustedUsers;
  }

  public boolean isEnabled() {
    return enabled;
  }

  public void setEnabled(boolean enabled) {
    this.enabled = enabled;
  }

  public Path getFile() {
    return file;
  }

  public void setFile(Path file) {
    this.file = file;
  }

  public Role getRole() {
    return role;
  }

  public void setRole(Role role) {
    this.role = role;
  }

  public String getName() {
    return name;
  }

  public void setName(String name) {
    this.name = name;
  }

  public String getInitialDocument() {
    return initialDocument;
  }

  public void setInitialDocument(String initialDocument) {
    this.initialDocument = initialDocument;
  }

  public boolean isOptional() {
    return optional;
  }

  public void setOptional(boolean optional) {
    this.optional = optional;
  }

  public DataSize getInitialCapacity() {
    return initialCapacity;
  }

  public void setInitialCapacity(DataSize initialCapacity) {
    this.initialCapacity = initialCapacity;
  }

  public DataSize getMaxSize() {
    return maxSize;
  }

  public void setMaxSize(DataSize maxSize) {
    this.maxSize = maxSize;
  }

  public String getPermissions() {
    return permissions;
  }

  public void setPermissions(String permissions) {
    this.permissions = permissions;
  }

  public WatchMode getWatchMode() {
    return watchMode;
  }

  public void setWatchMode(WatchMode watchMode) {
    this.watchMode = watchMode;
  }

  public Duration getPollInterval() {
    return pollInterval;
  }

  public void setPollInterval(Duration pollInterval) {
    this.pollInterval = pollInterval;
  }

  public Duration getEventsPollInterval() {
    return eventsPollInterval;
  }

  public void setEventsPollInterval(Duration eventsPollInterval) {
    this.eventsPollInterval = eventsPollInterval;
  }

  public Duration getHeartbeatInterval() {
    return heartbeatInterval;
  }

  public void setHeartbeatInterval(Duration heartbeatInterval) {
    this.heartbeatInterval = heartbeatInterval;
  }

  public Duration getStaleAfter() {
    return staleAfter;
  }

  public void setStaleAfter(Duration staleAfter) {
    this.staleAfter = staleAfter;
  }

  public PropertySource getPropertySource() {
    return propertySource;
  }

  public Refresh getRefresh() {
    return refresh;
  }

  public Health getHealth() {
    return health;
  }

  /**
   * The file to use: the configured one; with none, the per-user default only when {@code
   * explicitlyEnabled} (jsonmmap.enabled=true was set); otherwise null, and the starter stays off.
   */
  public Path resolveFile(String applicationName, boolean explicitlyEnabled) {
    if (!enabled) {
      return null;
    }
    if (file != null) {
      return file;
    }
    if (!explicitlyEnabled) {
      return null;
    }
    String base = name != null && !name.isBlank() ? name : applicationName;
    if (base == null || base.isBlank()) {
      base = "application";
    }
    return JsonMmapOptions.defaultDirectory().resolve(base + ".json");
  }

  /** Where the live property source sits among the environment's property sources. */
  public enum Precedence {
    /** Above everything, command-line arguments included. */
    FIRST,
    /**
     * Below command-line arguments, system properties and environment variables, above the
     * application's own configuration files.
     */
    AFTER_SYSTEM_ENVIRONMENT,
    /** Below everything: shared values only fill gaps. */
    LAST
  }

  /** The live property source named "jsonmmap". */
  public static class PropertySource {

    /** Where the property source sits among the environment's property sources. */
    private Precedence precedence = Precedence.AFTER_SYSTEM_ENVIRONMENT;

    /** Prefix added to every shared key, for example "shared." (empty for none). */
    private String prefix = "";

    public Precedence getPrecedence() {
      return precedence;
    }

    public void setPrecedence(Precedence precedence) {
      this.precedence = precedence;
    }

    public String getPrefix() {
      return prefix;
    }

    public void setPrefix(String prefix) {
      this.prefix = prefix;
    }

    // The property-source filter (issue #10): which names the document may set.

    /**
     * Prefixes (relaxed names, such as logging.level) the shared document may set although they are
     * excluded by default: management, server, spring.config, spring.profiles, spring.security,
     * spring.main, spring.autoconfigure, spring.application, spring.cloud, spring.devtools,
     * spring.ssl, spring.datasource, spring.sql.init, spring.web.resources, logging, info, debug
     * and trace. The most specific prefix decides. jsonmmap.* can never be included.
     */
    private List<String> include = new ArrayList<>();

    /**
     * Prefixes (relaxed names) the shared document may not set, in addition to the default
     * excludes; for the same prefix, exclude wins over include.
     */
    private List<String> exclude = new ArrayList<>();

    public List<String> getInclude() {
      return include;
    }

    public void setInclude(List<String> include) {
      this.include = include;
    }

    public List<String> getExclude() {
      return exclude;
    }

    public void setExclude(List<String> exclude) {
      this.exclude = exclude;
    }
  }

  /** Refreshing the application when the document changes. */
  public static class Refresh {

    /**
     * Whether a change rebinds the @ConfigurationProperties beans under the changed keys and
     * refreshes @RefreshScope beans (with spring-cloud-context); SharedConfigChangedEvent is
     * published regardless.
     */
    private boolean enabled = true;

    /**
     * Shortest time between two refreshes: a change after a quiet period applies at once, the
     * changes of a burst within this window apply together at its end.
     */
    private Duration coalesce = Duration.ofMillis(50);

    public boolean isEnabled() {
      return enabled;
    }

    public void setEnabled(boolean enabled) {
      this.enabled = enabled;
    }

    public Duration getCoalesce() {
      return coalesce;
    }

    public void setCoalesce(Duration coalesce) {
      this.coalesce = coalesce;
    }
  }

  /** The jsonmmap health indicator. */
  public static class Health {

    /**
     * Status reported when the writer heartbeat is stale or absent. UP by default: the readers'
     * configuration is still valid, and taking a fleet out of its load balancer because the writer
     * died would turn one fault into an outage.
     */
    private String staleStatus = "UP";

    /**
     * Status reported while a version of the document is rejected (a bean could not be bound to
     * it). UP by default: the application still serves its last good configuration; the details
     * show rejectedVersion and the reason.
     */
    private String rejectedStatus = "UP";

    public String getStaleStatus() {
      return staleStatus;
    }

    public void setStaleStatus(String staleStatus) {
      this.staleStatus = staleStatus;
    }

    public String getRejectedStatus() {
      return rejectedStatus;
    }

    public void setRejectedStatus(String rejectedStatus) {
      this.rejectedStatus = rejectedStatus;
    }
  }

  private final Inbox inbox = new Inbox();

  public Inbox getInbox() {
    return inbox;
  }

  /**
   * The writer inbox ({@code <file>.sock}): while this process is the writer, other local processes
   * that may write the file (the CLI) change the document through it, and the validators run.
   */
  public static class Inbox {

    /** Whether the writer (or a standby once it takes over) serves the inbox. */
    private boolean enabled = true;

    // Literals so the generated metadata shows them; a test keeps them equal to the core's.

    /** How long a client has from connecting to having sent its whole request. */
    private Duration requestTimeout = Duration.ofSeconds(5);

    /** How many connections are read at once; more are refused as busy. */
    private int maxConnections = 16;

    /**
     * Whether members of the file's group may write through the inbox too (when the file is
     * group-writable). By default only the file's owner, this process's user and root.
     */
    private boolean groupWrite = false;

    public boolean isEnabled() {
      return enabled;
    }

    public void setEnabled(boolean enabled) {
      this.enabled = enabled;
    }

    public Duration getRequestTimeout() {
      return requestTimeout;
    }

    public void setRequestTimeout(Duration requestTimeout) {
      this.requestTimeout = requestTimeout;
    }

    public int getMaxConnections() {
      return maxConnections;
    }

    public void setMaxConnections(int maxConnections) {
      this.maxConnections = maxConnections;
    }

    public boolean isGroupWrite() {
      return groupWrite;
    }

    public void setGroupWrite(boolean groupWrite) {
      this.groupWrite = groupWrite;
    }
  }
}
