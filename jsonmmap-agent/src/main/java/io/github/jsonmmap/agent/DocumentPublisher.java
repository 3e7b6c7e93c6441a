package io.github.jsonmmap.agent;

import static java.util.Objects.requireNonNull;

import io.github.jsonmmap.JsonMmapException;
import io.github.jsonmmap.JsonMmapFile;
import io.github.jsonmmap.Snapshot;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Publishes the states a source reports into the jsonmmap file, only when the document really
 * changed, and keeps the agent's status for the health indicator, the meters and the endpoint.
 *
 * <p>Each published version carries an object under {@link #METADATA_KEY} saying where it came
 * from: {@code {"source":"etcd","etcdRevision":42}}. It is left out when comparing documents, so a
 * restart or a put of an unchanged value publishes nothing.
 *
 * <p>Safe to call from any thread: every method is serialised on this object.
 */
public final class DocumentPublisher {

  /** The top-level key of the metadata object that the agent adds to each version. */
  public static final String METADATA_KEY = "_jsonmmap";

  private static final Logger LOG = LoggerFactory.getLogger(DocumentPublisher.class);

  private final JsonMmapFile file;
  private final String sourceKind;
  private final JsonMapper mapper;
  private final LongAdder errors = new LongAdder();
  private final LongAdder publishes = new LongAdder();
  private volatile LongConsumer lagRecorder = nanos -> {};

  // Guarded by this.
  private SourceDocument pending;
  private volatile boolean sourceUp;
  private volatile String sourceReason = "not read yet";
  private volatile long appliedRevision = -1;
  private volatile Instant lastPublishAt;
  private volatile JsonMmapException lastError;

  /**
   * @param mapper reads the current version back to compare it with a new state; both go through it
   *     as JSON text, so that a number compares equal to itself however the source built it
   */
  public DocumentPublisher(JsonMmapFile file, String sourceKind, JsonMapper mapper) {
    this.file = requireNonNull(file, "file");
    this.sourceKind = requireNonNull(sourceKind, "sourceKind");
    this.mapper = requireNonNull(mapper, "mapper");
  }

  /** Receives the lag of every publish, in nanoseconds, from the source's change to the publish. */
  public void setLagRecorder(LongConsumer lagRecorder) {
    this.lagRecorder = requireNonNull(lagRecorder, "lagRecorder");
  }

  /** The source holds this state now: publish it when it differs and this process writes. */
  public synchronized void offer(SourceDocument state) {
    requireNonNull(state, "state");
    pending = state;
    sourceUp = true;
    sourceReason = "ok";
    sync();
  }

  /** The source failed; the last published version stays. */
  public synchronized void failed(JsonMmapException error) {
    errors.increment();
    lastError = error;
    sourceUp = false;
    sourceReason = error.getMessage();
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
   * becomes one when the writer goes away); called after each state and on a timer.
   */
  public synchronized void sync() {
    SourceDocument state = pending;
    if (state == null || !file.isWriter()) {
      return;
    }
    try {
      Snapshot current = file.snapshot();
      ObjectNode currentContent = (ObjectNode) mapper.readTree(current.bytes());
      currentContent.remove(METADATA_KEY);
      ObjectNode content = (ObjectNode) mapper.readTree(mapper.writeValueAsBytes(state.document()));
      content.remove(METADATA_KEY);
      if (current.version() > 0 && currentContent.equals(content)) {
        pending = null;
        appliedRevision = Math.max(appliedRevision, revisionOf(current, state));
        LOG.debug("no change: version={} etcdRevision={}", current.version(), state.etcdRevision());
        return;
      }
      ObjectNode metadata = content.putObject(METADATA_KEY);
      metadata.put("source", sourceKind);
      if (state.etcdRevision() >= 0) {
        metadata.put("etcdRevision", state.etcdRevision());
      }
      Snapshot published = file.publish(content);
      pending = null;
      publishes.increment();
      appliedRevision = state.etcdRevision();
      lastPublishAt = published.publishedAt();
      long lag =
          state.changedAtMicros() > 0
              ? TimeUnit.MICROSECONDS.toNanos(
                  published.publishedAtMicros() - state.changedAtMicros())
              : System.nanoTime() - state.observedAtNanos();
      lagRecorder.accept(Math.max(0, lag));
      LOG.atInfo()
          .addKeyValue("version", published.version())
          .addKeyValue("etcdRevision", state.etcdRevision())
          .addKeyValue("size", published.size())
          .addKeyValue("source", sourceKind)
          .log(
              "published: version={} etcdRevision={} size={} source={}",
              published.version(),
              state.etcdRevision(),
              published.size(),
              sourceKind);
    } catch (JsonMmapException e) {
      pending = null;
      failed(e);
    } catch (JacksonException e) {
      pending = null;
      failed(
          new SourceException(
              "invalid",
              file.path(),
              "cannot compare documents: path="
                  + file.path()
                  + " error="
                  + e.getClass().getSimpleName(),
              e));
    }
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

  /** Why the source is down, or {@code ok}. */
  public String sourceReason() {
    return sourceReason;
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
