package io.github.jsonmmap;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import tools.jackson.databind.JsonNode;

/**
 * The writer inbox: lets any authorised local process hand a change to the process that holds the
 * writer role and get back the committed version, or the reasons it was rejected. The writer
 * listens on a Unix domain socket next to the file ({@code <file>.sock}); the wire protocol is in
 * {@code docs/inbox.md}.
 *
 * <pre>{@code
 * try (JsonMmapFile file = JsonMmapFile.open(JsonMmapOptions.of(path, Role.AUTO));
 *     JsonMmapInbox inbox = JsonMmapInbox.serve(file)) {
 *   // serves while this process is the writer, through the handle (its validator included)
 * }
 * JsonMmapInbox.Reply reply = JsonMmapInbox.send(path, JsonMmapInbox.Request.set("a.b", node));
 * }</pre>
 *
 * <p>Safe to call from any thread. A served inbox owns one thread; it serves only while the handle
 * is the writer (a standby that takes over starts serving, a writer that steps down stops) and a
 * failure in it never reaches the handle.
 */
public final class JsonMmapInbox implements AutoCloseable {

  /** The protocol version this library speaks (the {@code v} field of every message). */
  public static final int PROTOCOL_VERSION = 1;

  /** How long a client has to send its whole request, and the default reply timeout. */
  public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(5);

  /** How many connections the writer reads at once; more are refused with {@code busy}. */
  public static final int DEFAULT_MAX_CONNECTIONS = 16;

  /** How much a request may add to the document's own size limit (key, envelope). */
  static final int REQUEST_OVERHEAD = 64 * 1024;

  private final InboxServer server;

  private JsonMmapInbox(InboxServer server) {
    this.server = server;
  }

  /** The socket path of {@code file}'s inbox: {@code <file>.sock} in the same directory. */
  public static Path socketPath(Path file) {
    Path absolute = file.toAbsolutePath().normalize();
    return absolute.resolveSibling(absolute.getFileName() + ".sock");
  }

  /**
   * Serves {@code handle}'s inbox with default settings (see {@link #serve(JsonMmapFile,
   * Settings)}).
   */
  public static JsonMmapInbox serve(JsonMmapFile handle) {
    return serve(handle, Settings.defaults());
  }

  /**
   * Starts serving {@code handle}'s inbox on a thread of its own: whenever the handle is the
   * writer, requests are applied through it (serialised with every other write through the handle,
   * its validator included). Close the inbox before the handle.
   */
  public static JsonMmapInbox serve(JsonMmapFile handle, Settings settings) {
    requireNonNull(handle, "handle");
    requireNonNull(settings, "settings");
    return new JsonMmapInbox(InboxServer.start(handle, settings));
  }

  /** Whether the socket is bound and accepting now. */
  public boolean isServing() {
    return server.isServing();
  }

  /** The last failure of the inbox itself (cannot bind, I/O), or empty while it serves. */
  public Optional<JsonMmapException> lastError() {
    return Optional.ofNullable(server.lastError());
  }

  /** How many requests were answered, by reply ({@code ok} or the error tag). */
  public java.util.Map<String, Long> replies() {
    return server.replies();
  }

  /** Stops serving and removes the socket it created. Idempotent. */
  @Override
  public void close() {
    server.close();
  }

  /** Sends {@code request} to {@code file}'s writer and waits for the reply (default timeout). */
  public static Reply send(Path file, Request request) {
    return send(file, request, DEFAULT_REQUEST_TIMEOUT);
  }

  /**
   * Sends {@code request} to the writer of {@code file} and waits up to {@code timeout} for the
   * reply.
   *
   * @return the writer's reply: committed, or rejected with an error tag and reasons
   * @throws InboxUnavailableException when no writer took the request (nothing changed)
   * @throws InboxOutcomeUnknownException when the writer took the whole request and did not answer
   */
  public static Reply send(Path file, Request request, Duration timeout) {
    requireNonNull(file, "file");
    requireNonNull(request, "request");
    requireNonNull(timeout, "timeout");
    return InboxClient.send(file.toAbsolutePath().normalize(), request, timeout);
  }

  /** The operations a request may ask for. */
  public enum Op {
    /** Set one key ({@code key}) to {@code value}. */
    SET,
    /** Remove one key ({@code key}). */
    REMOVE,
    /** Apply {@code value} as an RFC 7386 merge patch. */
    MERGE,
    /** Replace the whole document with {@code value}. */
    PUT,
    /** Publish the previous version's document again. */
    ROLLBACK
  }

  /**
   * One change to ask the writer for, with an optional expected current version (compare-and-set).
   *
   * @param op what to do
   * @param key the key path for {@code SET} and {@code REMOVE}, else null
   * @param value the value ({@code SET}), patch ({@code MERGE}) or document ({@code PUT}), else
   *     null
   * @param expectVersion the version the document must be at for the change to apply, or null
   */
  public record Request(Op op, String key, JsonNode value, Long expectVersion) {

    public Request {
      requireNonNull(op, "op");
      boolean needsKey = op == Op.SET || op == Op.REMOVE;
      if (needsKey != (key != null)) {
        throw new IllegalArgumentException(
            "key " + (needsKey ? "required" : "not allowed") + ": op=" + op);
      }
      boolean needsValue = op == Op.SET || op == Op.MERGE || op == Op.PUT;
      if (needsValue != (value != null)) {
        throw new IllegalArgumentException(
            "value " + (needsValue ? "required" : "not allowed") + ": op=" + op);
      }
      if (op == Op.PUT && !value.isObject()) {
        throw new IllegalArgumentException("document must be a JSON object: op=PUT");
      }
      if (expectVersion != null && expectVersion < 0) {
        throw new IllegalArgumentException("expectVersion must be >= 0: " + expectVersion);
      }
    }

    public static Request set(String key, JsonNode value) {
      return new Request(Op.SET, requireNonNull(key, "key"), requireNonNull(value, "value"), null);
    }

    public static Request remove(String key) {
      return new Request(Op.REMOVE, requireNonNull(key, "key"), null, null);
    }

    public static Request merge(JsonNode patch) {
      return new Request(Op.MERGE, null, requireNonNull(patch, "patch"), null);
    }

    public static Request put(JsonNode document) {
      return new Request(Op.PUT, null, requireNonNull(document, "document"), null);
    }

    public static Request rollback() {
      return new Request(Op.ROLLBACK, null, null, null);
    }

    /**
     * This request, applied only if the document is at {@code version} when the writer takes it.
     */
    public Request expectVersion(long version) {
      return new Request(op, key, value, version);
    }
  }

  /**
   * The writer's answer.
   *
   * @param ok whether the change is committed (or was already in place: {@code changed} false)
   * @param version the committed version when {@code ok}; the current version on a {@code
   *     conflict}; else the writer's current version when it knew it, or -1
   * @param changed whether a new version was published
   * @param error null when {@code ok}; else a short tag: {@code rejected} (validators), {@code
   *     conflict} (expected version), {@code bad-request}, {@code too-large}, {@code timeout},
   *     {@code forbidden}, {@code busy}, {@code unsupported-version}, {@code not-writer}, or the
   *     {@link JsonMmapException#reason()} of what failed
   * @param message one line for an operator, null when {@code ok}
   * @param reasons every reason the validators gave ({@code rejected}), else empty
   */
  public record Reply(
      boolean ok,
      long version,
      boolean changed,
      String error,
      String message,
      List<String> reasons) {

    public Reply {
      reasons = reasons == null ? List.of() : List.copyOf(reasons);
    }

    static Reply committed(long version, boolean changed) {
      return new Reply(true, version, changed, null, null, List.of());
    }

    static Reply rejected(String error, long version, String message, List<String> reasons) {
      return new Reply(false, version, false, error, message, reasons);
    }
  }

  /** How the writer serves its inbox. Immutable; start from {@link #defaults()}. */
  public static final class Settings {

    private final Duration requestTimeout;
    private final int maxConnections;
    private final long maxRequestSize;
    private final boolean groupWrite;
    private final Function<RuntimeException, List<String>> reasons;

    private Settings(
        Duration requestTimeout,
        int maxConnections,
        long maxRequestSize,
        boolean groupWrite,
        Function<RuntimeException, List<String>> reasons) {
      if (requestTimeout.isNegative() || requestTimeout.isZero()) {
        throw new IllegalArgumentException("requestTimeout must be positive: " + requestTimeout);
      }
      if (maxConnections < 1) {
        throw new IllegalArgumentException("maxConnections must be >= 1: " + maxConnections);
      }
      if (maxRequestSize < 0 || maxRequestSize > Integer.MAX_VALUE) {
        throw new IllegalArgumentException("maxRequestSize out of range: " + maxRequestSize);
      }
      this.requestTimeout = requestTimeout;
      this.maxConnections = maxConnections;
      this.maxRequestSize = maxRequestSize;
      this.groupWrite = groupWrite;
      this.reasons = reasons;
    }

    /**
     * Requests within {@link #DEFAULT_REQUEST_TIMEOUT}, {@link #DEFAULT_MAX_CONNECTIONS} at once,
     * up to the file's largest document plus a small envelope, the socket for the file's owner
     * only, and a validator's rejection reported as its message.
     */
    public static Settings defaults() {
      return new Settings(DEFAULT_REQUEST_TIMEOUT, DEFAULT_MAX_CONNECTIONS, 0, false, null);
    }

    /** How long a client has from connecting to having sent its whole request. */
    public Settings requestTimeout(Duration timeout) {
      return new Settings(
          requireNonNull(timeout, "timeout"), maxConnections, maxRequestSize, groupWrite, reasons);
    }

    public Settings maxConnections(int max) {
      return new Settings(requestTimeout, max, maxRequestSize, groupWrite, reasons);
    }

    /** Largest request in bytes; 0 (the default) for the file's largest document plus 64 KiB. */
    public Settings maxRequestSize(long bytes) {
      return new Settings(requestTimeout, maxConnections, bytes, groupWrite, reasons);
    }

    /**
     * Whether members of the data file's group may write through the inbox too (socket mode {@code
     * rw-rw----}, and peers whose primary group is the file's group, when the file is
     * group-writable). Off by default: only the file's owner, this process's user and root.
     */
    public Settings groupWrite(boolean groupWrite) {
      return new Settings(requestTimeout, maxConnections, maxRequestSize, groupWrite, reasons);
    }

    /**
     * How to turn what a validator threw into the reasons sent back; an empty list means "not a
     * validator's rejection" and the failure is reported by its {@link JsonMmapException#reason()}.
     * By default any exception that is not a {@link JsonMmapException} is a rejection with its
     * message as the one reason.
     */
    public Settings rejectionReasons(Function<RuntimeException, List<String>> reasons) {
      return new Settings(
          requestTimeout, maxConnections, maxRequestSize, groupWrite, requireNonNull(reasons));
    }

    Duration requestTimeout() {
      return requestTimeout;
    }

    int maxConnections() {
      return maxConnections;
    }

    long maxRequestSize(JsonMmapOptions options) {
      return maxRequestSize > 0
          ? maxRequestSize
          : Math.min(Integer.MAX_VALUE - 8L, options.maxDocumentSize() + REQUEST_OVERHEAD);
    }

    boolean groupWrite() {
      return groupWrite;
    }

    List<String> reasonsOf(RuntimeException e) {
      if (reasons != null) {
        List<String> given = reasons.apply(e);
        if (given != null && !given.isEmpty()) {
          return given;
        }
      }
      if (e instanceof JsonMmapException) {
        return List.of();
      }
      return List.of(e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
    }
  }
}
