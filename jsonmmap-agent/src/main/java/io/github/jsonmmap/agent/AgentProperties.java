package io.github.jsonmmap.agent;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;

/** Settings of the agent, under {@code jsonmmap.agent}. */
@ConfigurationProperties("jsonmmap.agent")
public class AgentProperties {

  /** Where the document comes from. */
  public enum SourceType {
    /** An etcd key holding the JSON document, and/or every key under a prefix as a property. */
    ETCD,
    /** A directory of json, yaml, properties and plain files, such as a mounted ConfigMap. */
    DIRECTORY
  }

  /** How the agent holds the file. */
  public enum AgentRole {
    /** The only writer: start-up fails when another process writes the file. */
    WRITER,
    /** A standby: writes when the lock is free, else waits for the writer to go away. */
    AUTO
  }

  /** Where the document comes from: etcd or directory. */
  private SourceType source;

  /** The jsonmmap file that the agent writes and the host's readers read. */
  private Path file;

  /** Whether the agent must be the writer (writer) or may wait as a standby (auto). */
  private AgentRole role = AgentRole.WRITER;

  /** First delay before retrying a source that failed; doubles up to max-backoff. */
  private Duration initialBackoff = Duration.ofMillis(200);

  /** Longest delay between two retries of a source that keeps failing. */
  private Duration maxBackoff = Duration.ofSeconds(10);

  /**
   * How often a standby checks whether it became the writer and has something to publish, and how
   * often a publish that failed is retried.
   */
  private Duration syncInterval = Duration.ofMillis(500);

  private final Etcd etcd = new Etcd();

  private final Directory directory = new Directory();

  public SourceType getSource() {
    return source;
  }

  public void setSource(SourceType source) {
    this.source = source;
  }

  public Path getFile() {
    return file;
  }

  public void setFile(Path file) {
    this.file = file;
  }

  public AgentRole getRole() {
    return role;
  }

  public void setRole(AgentRole role) {
    this.role = role;
  }

  public Duration getInitialBackoff() {
    return initialBackoff;
  }

  public void setInitialBackoff(Duration initialBackoff) {
    this.initialBackoff = initialBackoff;
  }

  public Duration getMaxBackoff() {
    return maxBackoff;
  }

  public void setMaxBackoff(Duration maxBackoff) {
    this.maxBackoff = maxBackoff;
  }

  public Duration getSyncInterval() {
    return syncInterval;
  }

  public void setSyncInterval(Duration syncInterval) {
    this.syncInterval = syncInterval;
  }

  public Etcd getEtcd() {
    return etcd;
  }

  public Directory getDirectory() {
    return directory;
  }

  /** The etcd source. */
  public static class Etcd {

    /** Client URLs of the etcd members, comma separated. */
    private List<String> endpoints = new ArrayList<>(List.of("http://127.0.0.1:2379"));

    /** The key whose value is the JSON document (an object). */
    private String key;

    /**
     * A key prefix: every key under it becomes a property, its rest after the prefix the property
     * name ('/' read as '.'), laid over the document of the key.
     */
    private String prefix;

    public List<String> getEndpoints() {
      return endpoints;
    }

    public void setEndpoints(List<String> endpoints) {
      this.endpoints = endpoints;
    }

    public String getKey() {
      return key;
    }

    public void setKey(String key) {
      this.key = key;
    }

    public String getPrefix() {
      return prefix;
    }

    public void setPrefix(String prefix) {
      this.prefix = prefix;
    }
  }

  /** The directory source. */
  public static class Directory {

    /** The directory to read, for example a mounted ConfigMap. */
    private Path path;

    /** How long to wait for a burst of file events to end before reading the directory. */
    private Duration settle = Duration.ofMillis(20);

    /**
     * Longest that a stream of file events may hold a read back: while events keep coming (faster
     * than settle), the directory is still read this often, so it converges on the latest state.
     */
    private Duration maxDelay = Duration.ofMillis(250);

    /** How often to read the directory even without a file event (a safety net). */
    private Duration pollInterval = Duration.ofSeconds(5);

    /**
     * Accounts trusted to own the directory's files and sub-directories besides root and the
     * agent's own user: user names, or numeric uids (a deploy account, a ConfigMap's fsGroup
     * owner).
     */
    private List<String> trustedUsers = new ArrayList<>();

    public List<String> getTrustedUsers() {
      return trustedUsers;
    }

    public void setTrustedUsers(List<String> trustedUsers) {
      this.trustedUsers = trustedUsers;
    }

    public Path getPath() {
      return path;
    }

    public void setPath(Path path) {
      this.path = path;
    }

    public Duration getSettle() {
      return settle;
    }

    public void setSettle(Duration settle) {
      this.settle = settle;
    }

    public Duration getMaxDelay() {
      return maxDelay;
    }

    public void setMaxDelay(Duration maxDelay) {
      this.maxDelay = maxDelay;
    }

    public Duration getPollInterval() {
      return pollInterval;
    }

    public void setPollInterval(Duration pollInterval) {
      this.pollInterval = pollInterval;
    }
  }
}
