package io.github.jsonmmap.spring;

import static java.util.Objects.requireNonNull;

import io.github.jsonmmap.ChangeListener;
import io.github.jsonmmap.JsonMmapFile;
import io.github.jsonmmap.Snapshot;
import io.github.jsonmmap.spring.env.JsonMmapPropertySource;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import org.springframework.boot.context.properties.bind.BindException;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.ConfigurationPropertyName;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.boot.convert.ApplicationConversionService;
import org.springframework.core.env.Environment;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * The shared configuration document of this application: typed reads of the latest version,
 * bindings that stay current, and, when this process is the writer, validated writes.
 *
 * <p>Typed reads and bindings go through Spring Boot's {@link Binder}, as
 * {@code @ConfigurationProperties} do: relaxed names ({@code max-items} finds {@code maxItems}),
 * Boot's conversions ({@code 3s} for a {@code Duration}, {@code 10MB} for a {@code DataSize}) and,
 * when the template is built on the application's {@link Environment}, the application's own
 * configuration where the shared document has no value. Keys are document keys; a property-source
 * prefix is added for the lookup.
 *
 * <p>Safe to call from any thread. {@link #get(String)} of a key the document has costs one
 * volatile load plus a map lookup; typed reads cost a binder lookup.
 */
public class SharedConfigTemplate {

  private final JsonMmapFile file;
  private final List<SharedConfigValidator> validators;
  private final Binder binder;
  private final String propertyPrefix;
  private volatile Consumer<Duration> publishTimer = duration -> {};

  /**
   * A template that binds against the shared document alone (no application configuration behind
   * it), for use outside a Spring Boot application.
   *
   * @param mapper unused since binding moved to Boot's {@link Binder}; kept so that existing
   *     callers compile
   */
  public SharedConfigTemplate(
      JsonMmapFile file, List<SharedConfigValidator> validators, JsonMapper mapper) {
    this(file, validators, documentOnlyBinder(file), "");
    requireNonNull(mapper, "mapper");
  }

  /**
   * A template that binds against the application's environment, in which the shared document is
   * the property source whose keys carry {@code propertyPrefix}.
   */
  public SharedConfigTemplate(
      JsonMmapFile file,
      List<SharedConfigValidator> validators,
      Environment environment,
      String propertyPrefix) {
    this(file, validators, Binder.get(requireNonNull(environment, "environment")), propertyPrefix);
  }

  private SharedConfigTemplate(
      JsonMmapFile file, List<SharedConfigValidator> validators, Binder binder, String prefix) {
    this.file = requireNonNull(file, "file");
    this.validators = List.copyOf(validators);
    this.binder = binder;
    this.propertyPrefix = prefix == null ? "" : prefix;
    if (!this.validators.isEmpty()) {
      file.setValidator(this::validate);
    }
  }

  private static Binder documentOnlyBinder(JsonMmapFile file) {
    return new Binder(
        ConfigurationPropertySources.from(new JsonMmapPropertySource(file, "")),
        null,
        ApplicationConversionService.getSharedInstance());
  }

  /** The underlying file handle. */
  public JsonMmapFile file() {
    return file;
  }

  /**
   * The latest version this process has seen; on a thread that has pinned a version (the refresher
   * while it applies one, see {@link JsonMmapPropertySource#pin}), that version.
   */
  public Snapshot snapshot() {
    Snapshot pinned = JsonMmapPropertySource.pinned(file.path());
    return pinned != null ? pinned : file.snapshot();
  }

  /** The latest version number (0 before any version exists). */
  public long version() {
    return snapshot().version();
  }

  /** Whether this process holds the writer role now. */
  public boolean isWriter() {
    return file.isWriter();
  }

  // ---------------------------------------------------------------- reads

  /**
   * The value of a key ({@code a.b[0].c}): the document's own value (a String, Number or Boolean)
   * when it has the key as written, otherwise what the binder finds for it (relaxed name, or the
   * application's configuration), or null.
   */
  public Object get(String key) {
    try (JsonMmapPropertySource.Pin pin = JsonMmapPropertySource.pin(snapshot())) {
      Object value = pin.snapshot().get(key);
      return value != null ? value : find(key, Object.class).orElse(null);
    }
  }

  /** The value at a key converted by Boot's binder to {@code type}, or null when absent. */
  public <T> T get(String key, Class<T> type) {
    return find(key, type).orElse(null);
  }

  /** The value at a key converted to {@code type}, or {@code defaultValue} when absent. */
  public <T> T get(String key, Class<T> type, T defaultValue) {
    return find(key, type).orElse(defaultValue);
  }

  /**
   * The value at a key converted to {@code type}, empty when absent.
   *
   * @throws SharedConfigBindException when the value cannot be converted to {@code type}
   */
  public <T> Optional<T> find(String key, Class<T> type) {
    requireNonNull(key, "key");
    requireNonNull(type, "type");
    String name = propertyName(key);
    try (JsonMmapPropertySource.Pin pin = JsonMmapPropertySource.pin(snapshot())) {
      return Optional.ofNullable(
          binder.bind(ConfigurationPropertyName.adapt(name, '.'), Bindable.of(type)).orElse(null));
    } catch (BindException e) {
      throw bindFailure(name, type, e);
    }
  }

  /**
   * Binds the object at {@code prefix} (empty for the whole document) to {@code type} as Boot binds
   * a {@code @ConfigurationProperties} class: a record or constructor-bound class through its
   * constructor, a JavaBean through its setters. The binding's {@code get()} returns an instance
   * for the latest version. Where neither the document nor the application's configuration has a
   * value, a component or property keeps its default: null for an object type, zero or false for a
   * primitive, the field initialiser of a JavaBean, or {@code @DefaultValue}. A value that does not
   * convert is reported by {@link SharedConfigBinding#lastError()} (and thrown by this method when
   * it is already there at the start) as a {@link SharedConfigBindException}.
   */
  public <T> SharedConfigBinding<T> bind(String prefix, Class<T> type) {
    return new SharedConfigBinding<>(
        this, requireNonNull(prefix, "prefix"), requireNonNull(type, "type"));
  }

  /** Binds {@code prefix} to {@code type} from {@code snapshot} alone (one version, never two). */
  <T> T convert(String prefix, Class<T> type, Snapshot snapshot) {
    String name = propertyName(prefix);
    try (JsonMmapPropertySource.Pin pin = JsonMmapPropertySource.pin(snapshot)) {
      return binder.bindOrCreate(
          ConfigurationPropertyName.adapt(name, '.'), Bindable.of(type), null);
    } catch (BindException e) {
      throw bindFailure(name, type, e);
    }
  }

  private String propertyName(String key) {
    if (propertyPrefix.isEmpty()) {
      return key;
    }
    if (key.isEmpty()) {
      return propertyPrefix.endsWith(".")
          ? propertyPrefix.substring(0, propertyPrefix.length() - 1)
          : propertyPrefix;
    }
    return propertyPrefix + key;
  }

  private SharedConfigBindException bindFailure(String name, Class<?> type, BindException e) {
    String property = e.getName() == null ? name : e.getName().toString();
    Throwable cause = e.getCause() == null ? e : e.getCause();
    return new SharedConfigBindException(
        file.path(),
        property,
        "cannot bind shared config: path="
            + file.path()
            + " property="
            + property
            + " type="
            + type.getName()
            + " error="
            + cause.getClass().getSimpleName(),
        e);
  }

  // ---------------------------------------------------------------- writes
  // Validation runs inside the core's publish, on the exact document about to be written.

  /**
   * Publishes a whole document (any Jackson-serialisable object, a tree, or JSON text as a {@code
   * String} or UTF-8 {@code byte[]}).
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

  /** Applies an RFC 7386 merge patch (a tree, an object, or JSON text). */
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
}
