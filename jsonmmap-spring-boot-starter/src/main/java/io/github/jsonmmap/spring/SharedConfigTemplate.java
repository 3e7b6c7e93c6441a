package io.github.jsonmmap.spring;

import static java.util.Objects.requireNonNull;

import io.github.jsonmmap.ChangeListener;
import io.github.jsonmmap.InvalidDocumentException;
import io.github.jsonmmap.JsonMmapFile;
import io.github.jsonmmap.Snapshot;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * The shared configuration document of this application: typed reads of the latest version,
 * bindings that stay current, and, when this process is the writer, validated writes.
 *
 * <p>Safe to call from any thread. Reads cost one volatile load plus a map lookup.
 */
public class SharedConfigTemplate {

  private final JsonMmapFile file;
  private final List<SharedConfigValidator> validators;
  private final JsonMapper mapper;
  private volatile Consumer<Duration> publishTimer = duration -> {};

  public SharedConfigTemplate(
      JsonMmapFile file, List<SharedConfigValidator> validators, JsonMapper mapper) {
    this.file = requireNonNull(file, "file");
    this.validators = List.copyOf(validators);
    this.mapper = requireNonNull(mapper, "mapper");
    if (!this.validators.isEmpty()) {
      file.setValidator(this::validate);
    }
  }

  /** The underlying file handle. */
  public JsonMmapFile file() {
    return file;
  }

  /** The latest version this process has seen. */
  public Snapshot snapshot() {
    return file.snapshot();
  }

  /** The latest version number (0 before any version exists). */
  public long version() {
    return file.snapshot().version();
  }

  /** Whether this process holds the writer role now. */
  public boolean isWriter() {
    return file.isWriter();
  }

  // ---------------------------------------------------------------- reads

  /**
   * The flattened value of a key ({@code a.b[0].c}): a String, Number or Boolean, or null when
   * absent.
   */
  public Object get(String key) {
    return file.snapshot().get(key);
  }

  /** The value at a key path converted to {@code type}, or null when absent. */
  public <T> T get(String key, Class<T> type) {
    return find(key, type).orElse(null);
  }

  /** The value at a key path converted to {@code type}, or {@code defaultValue} when absent. */
  public <T> T get(String key, Class<T> type, T defaultValue) {
    return find(key, type).orElse(defaultValue);
  }

  /** The value at a key path converted to {@code type}, empty when absent or null. */
  public <T> Optional<T> find(String key, Class<T> type) {
    return file.snapshot().node(key).filter(n -> !n.isNull()).map(n -> convert(n, key, type));
  }

  /**
   * Binds the object at {@code prefix} (empty for the whole document) to {@code type}; the
   * binding's {@code get()} always returns an instance for the latest version. A missing prefix
   * binds an empty object, so a record gets nulls and a class its field defaults.
   */
  public <T> SharedConfigBinding<T> bind(String prefix, Class<T> type) {
    return new SharedConfigBinding<>(
        this, requireNonNull(prefix, "prefix"), requireNonNull(type, "type"));
  }

  <T> T convert(Snapshot snapshot, String prefix, Class<T> type) {
    JsonNode node =
        prefix.isEmpty()
            ? snapshot.tree()
            : snapshot.node(prefix).orElse(JsonNodeFactory.instance.objectNode());
    return convert(node, prefix.isEmpty() ? "(root)" : prefix, type);
  }

  private <T> T convert(JsonNode node, String key, Class<T> type) {
    try {
      return mapper.treeToValue(node, type);
    } catch (JacksonException e) {
      throw new InvalidDocumentException(
          file.path(),
          "cannot convert shared config: path="
              + file.path()
              + " key="
              + key
              + " type="
              + type.getName()
              + " error="
              + firstLine(e.getMessage()),
          e);
    }
  }

  // ---------------------------------------------------------------- writes
  // Validation runs inside the core's publish, on the exact document about to be written.

  /**
   * Publishes a whole document (any Jackson-serialisable object or a tree).
   *
   * @throws io.github.jsonmmap.NotWriterException when this process is not the writer
   * @throws SharedConfigValidationException when a validator rejects it; nothing is written
   */
  public Snapshot publish(Object document) {
    requireNonNull(document, "document");
    return timed(() -> file.publish(document));
  }

  /** Read-modify-write of the whole document; no new version when nothing changed. */
  public Snapshot update(UnaryOperator<ObjectNode> change) {
    return timed(() -> file.update(change));
  }

  /** Applies an RFC 7386 merge patch (a tree or an object). */
  public Snapshot merge(Object patch) {
    return timed(() -> file.merge(patch));
  }

  /** Sets one key by path ({@code a.b[0].c}). */
  public Snapshot set(String key, Object value) {
    return timed(() -> file.set(key, value));
  }

  /** Removes one key by path; no new version when it was absent. */
  public Snapshot remove(String key) {
    return timed(() -> file.remove(key));
  }

  /** Publishes the previous version's document again as a new version. */
  public Snapshot rollback() {
    return timed(file::rollback);
  }

  /** Sets what is told how long each write through this template took. */
  public void setPublishTimer(Consumer<Duration> publishTimer) {
    this.publishTimer = requireNonNull(publishTimer, "publishTimer");
  }

  private Snapshot timed(Supplier<Snapshot> write) {
    long started = System.nanoTime();
    Snapshot result = write.get();
    publishTimer.accept(Duration.ofNanos(System.nanoTime() - started));
    return result;
  }

  public void addListener(ChangeListener listener) {
    file.addListener(listener);
  }

  public void removeListener(ChangeListener listener) {
    file.removeListener(listener);
  }

  private void validate(ObjectNode candidate) {
    List<String> problems = new ArrayList<>();
    for (SharedConfigValidator validator : validators) {
      problems.addAll(validator.validate(candidate));
    }
    if (!problems.isEmpty()) {
      throw new SharedConfigValidationException(file.path(), problems);
    }
  }

  private static String firstLine(String message) {
    if (message == null) {
      return "";
    }
    int newline = message.indexOf('\n');
    return newline < 0 ? message : message.substring(0, newline);
  }
}
