package io.github.jsonmmap.agent;

import static java.util.Objects.requireNonNull;

import io.github.jsonmmap.DocumentTooLargeException;
import io.github.jsonmmap.InvalidDocumentException;
import io.github.jsonmmap.JsonMmapException;
import io.github.jsonmmap.JsonMmapFile;
import io.github.jsonmmap.Snapshot;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongConsumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * Publishes the states a source reports into the jsonmmap file, only when the document really
 * changed, and keeps the agent's status for the health indicator, the meters and the endpoint.
 *
 * <p>Each published version carries an object under {@link #METADATA_KEY} saying where it came
 * from: {@code {"source":"etcd","etcdRevision":42}}. It is left out when comparing documents, so a
 * restart or a put of an unchanged value publishes nothing.
 *
 * <p>A state is compared with the document of the version in the file, kept from this agent's own
 * last publish (read back from the file only at start-up, or when someone else published since):
 * the path from a source's change to the publish parses nothing twice. A document that can never be
 * published (invalid, too large, rejected by the validator) is dropped and reported as the source's
 * failure; a failure of the publish itself (an I/O error, a full disk, the writer role lost for
 * now) keeps the state pending, turns the health DOWN, and {@link #sync()} tries again.
 *
 * <p>Each publish is logged at DEBUG; at INFO, a line {@code published: version=... versions=N} at
 * once for a publish after a quiet {@link #LOG_INTERVAL}, and during a burst at most one line per
 * interval for all versions since the last line, written by the next publish or {@link #sync()}
 * once the interval has passed (so the last version of a burst is logged within the interval plus
 * one sync). A line per version cost the agent as much CPU as the publish itself and flooded the
 * log of a busy source.
 *
 * <p>Safe to call from any thread: every method is serialised on this object.
 */
public final class DocumentPublisher {

  /** The top-level key of the metadata object that the agent adds to each version. */
  public static final String METADATA_KEY = "_jsonmmap";

  /** At most one INFO line about publishes per this interval. */
  static final Duration LOG_INTERVAL = Duration.ofSeconds(1);

  private static final Logger LOG = LoggerFactory.getLogger(DocumentPublisher.class);

  private final JsonMmapFile file;
  private final String sourceKind;
  private final JsonMapper mapper;
  private final LongAdder errors = new LongAdder();
  private final LongAdder publishes = new LongAdder();
  private volatile LongConsumer lagRecorder = nanos -> {};
  private final LongSupplier nanoClock;

  // Guarded by this.
  private SourceDocument pending;
  private long knownVersion = -1;
  private ObjectNode knownContent;
  private volatile boolean sourceUp;
  private volatile String sourceReason = "not read yet";
  private volatile String sourceReasonTag = "not-read-yet";
  private volatile JsonMmapException publishError;
  private volatile long appliedRevision = -1;
  private volatile Instant lastPublishAt;
  private volatile JsonMmapException lastError;

  // Guarded by this: the publishes not yet in an INFO line, the last of them, and when the last
  // INFO line was written (by nanoClock; valid once a line was written).
  private int unlogged;
  private Snapshot unloggedLast;
  private long unloggedRevision;
  private boolean logged;
  private long loggedAtNanos;

  /**
   * @param mapper reads the version in the file back to compare it with a new state when this agent
   *     did not publish it; sources build their documents with the same mapper, so that a number
   *     compares equal to itself
   */
  public DocumentPublisher(JsonMmapFile file, String sourceKind, JsonMapper mapper) {
    this(file, sourceKind, mapper, System::nanoTime);
  }

  /** With the clock that spaces the INFO lines about publishes (a test's). */
  DocumentPublisher(
      JsonMmapFile file, String sourceKind, JsonMapper mapper, LongSupplier nanoClock) {
    this.file = requireNonNull(file, "file");
    this.sourceKind = requireNonNull(sourceKind, "sourceKind");
    this.mapper = requireNonNull(mapper, "mapper");
    this.nanoClock = requireNonNull(nanoClock, "nanoClock");
  }

  /** Receives the lag of every publish, in nanoseconds, from the source's change to the publish. */
  public void setLagRecorder(LongConsumer lagRecorder) {
    this.lagRecorder = requireNonNull(lagRecorder, "lagRecorder");
  }

  /**
   * The source holds this state now: publish it when it differs and this process writes. The
   * document is the publisher's from now on: the source must not change it afterwards.
   */
  public synchronized void offer(SourceDocument state) {
    requireNonNull(state, "state");
    pending = state;
    sourceUp = true;
    sourceReason = "ok";
    sourceReasonTag = "ok";
    sync();
  }

  /** The source failed, or its document cannot be published; the last published version stays. */
  public synchronized void failed(JsonMmapException error) {
    errors.increment();
    lastError = error;
    sourceUp = false;
    sourceReason = error.getMessage();
    sourceReasonTag = error.reason();
    LOG.atWarn()
        .addKeyValue("source", sourceKind)
        .addKeyValue("reason", error.reason())
        .log(
            "source failed: source={} reason={} error=\"{}\"",
            sourceKind,
            error.reason(),
            error.getMessage());
  }

  /**
   * Publishes the latest state if it is still pending and this process is the writer (a standby
   * becomes one when the writer goes away); called after each state, and on a timer, which retries
   * a publish that failed.
   */
  public synchronized void sync() {
    logPublishes(false);
    SourceDocument state = pending;
    if (state == null || !file.isWriter()) {
      return;
    }
    try {
      ObjectNode content = withoutMetadata(state.document());
      Snapshot current = file.snapshot();
      if (current.version() > 0 && content.equals(contentOf(current))) {
        pending = null;
        publishError = null;
        appliedRevision = Math.max(appliedRevision, revisionOf(current, state));
        LOG.debug("no change: version={} etcdRevision={}", current.version(), state.etcdRevision());
        return;
      }
      ObjectNode document = JsonNodeFactory.instance.objectNode();
      document.setAll(content);
      ObjectNode metadata = document.putObject(METADATA_KEY);
      metadata.put("source", sourceKind);
      if (state.etcdRevision() >= 0) {
        metadata.put("etcdRevision", state.etcdRevision());
      }
      Snapshot published = file.publish(document);
      pending = null;
      publishError = null;
      knownVersion = published.version();
      knownContent = content;
      publishes.increment();
      appliedRevision = state.etcdRevision();
      lastPublishAt = published.publishedAt();
      long lag =
          state.changedAtMicros() > 0
              ? TimeUnit.MICROSECONDS.toNanos(
                  published.publishedAtMicros() - state.changedAtMicros())
              : System.nanoTime() - state.observedAtNanos();
      lagRecorder.accept(Math.max(0, lag));
      LOG.debug(
          "published: version={} etcdRevision={} size={} source={}",
          published.version(),
          state.etcdRevision(),
          published.size(),
          sourceKind);
      unlogged++;
      unloggedLast = published;
      unloggedRevision = state.etcdRevision();
      logPublishes(false);
    } catch (InvalidDocumentException | DocumentTooLargeException e) {
      // This document can never be published: the source must change first.
      pending = null;
      failed(e);
    } catch (JsonMmapException e) {
      publishFailed(e);
    } catch (JacksonException e) {
      publishFailed(
          new SourceException(
              "unreadable",
              file.path(),
              "cannot read the version in the file to compare: path="
                  + file.path()
                  + " error="
                  + e.getClass().getSimpleName(),
              e));
    } catch (RuntimeException e) {
      // A validator's rejection.
      pending = null;
      failed(
          new SourceException(
              "rejected",
              file.path(),
              "document rejected: path=" + file.path() + " error=" + e.getClass().getName(),
              e));
    }
  }

  /**
   * Writes the INFO line for the publishes not yet in one, if there are any and the last line is at
   * least {@link #LOG_INTERVAL} old, or at once when {@code now} (on close).
   */
  private void logPublishes(boolean now) {
    if (unlogged == 0) {
      return;
    }
    long at = nanoClock.getAsLong();
    if (!now && logged && at - loggedAtNanos < LOG_INTERVAL.toNanos()) {
      return;
    }
    Snapshot last = unloggedLast;
    LOG.atInfo()
        .addKeyValue("version", last.version())
        .addKeyValue("etcdRevision", unloggedRevision)
        .addKeyValue("size", last.size())
        .addKeyValue("source", sourceKind)
        .addKeyValue("versions", unlogged)
        .log(
            "published: version={} etcdRevision={} size={} source={} versions={}",
            last.version(),
            unloggedRevision,
            last.size(),
            sourceKind,
            unlogged);
    unlogged = 0;
    unloggedLast = null;
    logged = true;
    loggedAtNanos = at;
  }

  /** Logs the publishes not yet logged at INFO: the agent stops. */
  public synchronized void flushLog() {
    logPublishes(true);
  }

  /** The publish failed but may succeed later: the state stays pending for the next sync. */
  private void publishFailed(JsonMmapException e) {
    errors.increment();
    lastError = e;
    boolean first = publishError == null;
    publishError = e;
    if (first) {
      LOG.atWarn()
          .addKeyValue("source", sourceKind)
          .addKeyValue("reason", e.reason())
          .log(
              "publish failed, will retry: source={} reason={} error=\"{}\"",
              sourceKind,
              e.reason(),
              e.getMessage());
    } else {
      LOG.debug("publish failed again: reason={} error=\"{}\"", e.reason(), e.getMessage());
    }
  }

  private static ObjectNode withoutMetadata(ObjectNode document) {
    if (!document.has(METADATA_KEY)) {
      return document;
    }
    ObjectNode copy = JsonNodeFactory.instance.objectNode();
    copy.setAll(document);
    copy.remove(METADATA_KEY);
    return copy;
  }

  /** The document of the version in the file, less the metadata. */
  private ObjectNode contentOf(Snapshot current) {
    if (current.version() != knownVersion || knownContent == null) {
      ObjectNode content = (ObjectNode) mapper.readTree(current.bytes());
      content.remove(METADATA_KEY);
      knownContent = content;
      knownVersion = current.version();
    }
    return knownContent;
  }

  private static long revisionOf(Snapshot current, SourceDocument state) {
    JsonNode recorded = current.node(METADATA_KEY + ".etcdRevision").orElse(null);
    if (recorded == null) {
      return state.etcdRevision();
    }
    return recorded.isIntegralNumber() ? recorded.asLong() : state.etcdRevision();
  }

  /** Whether the source answered and its last state was valid. */
  public boolean sourceUp() {
    return sourceUp;
  }

  /** Why the source is down, or {@code ok}: a message naming the source, for the endpoint. */
  public String sourceReason() {
    return sourceReason;
  }

  /**
   * Whether the agent does its job: the source answers with a valid document and the last publish
   * did not fail.
   */
  public boolean up() {
    return sourceUp && publishError == null;
  }

  /**
   * A short tag saying why the agent is not {@link #up()} ({@code unreachable}, {@code invalid},
   * {@code publish-failed}...), or {@code ok}: for the health, which shows no messages.
   */
  public String reasonTag() {
    if (!sourceUp) {
      return sourceReasonTag;
    }
    return publishError != null ? "publish-failed" : "ok";
  }

  /** Why the last publish failed while a state waits to be retried, or null. */
  public String publishFailure() {
    JsonMmapException e = publishError;
    return e == null ? null : e.getMessage();
  }

  /** The etcd revision of the version in the file (-1 for none, or for another source). */
  public long appliedRevision() {
    return appliedRevision;
  }

  /** Source failures and rejected documents so far. */
  public long errors() {
    return errors.sum();
  }

  /** Versions this agent published. */
  public long publishes() {
    return publishes.sum();
  }

  /** When this agent last published, or null. */
  public Instant lastPublishAt() {
    return lastPublishAt;
  }

  /** The last failure, or null. */
  public JsonMmapException lastError() {
    return lastError;
  }

  /** The kind of source: {@code etcd} or {@code directory}. */
  public String sourceKind() {
    return sourceKind;
  }

  /** The file written. */
  public JsonMmapFile file() {
    return file;
  }
}
