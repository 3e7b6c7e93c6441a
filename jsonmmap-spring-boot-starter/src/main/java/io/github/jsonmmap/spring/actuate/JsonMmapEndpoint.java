package io.github.jsonmmap.spring.actuate;

import static java.util.Objects.requireNonNull;

import io.github.jsonmmap.FileInfo;
import io.github.jsonmmap.JsonMmapException;
import io.github.jsonmmap.JsonMmapFile;
import io.github.jsonmmap.Snapshot;
import io.github.jsonmmap.spring.SharedConfigRefresher;
import io.github.jsonmmap.spring.SharedConfigTemplate;
import io.github.jsonmmap.spring.env.JsonMmapPropertySource;
import io.github.jsonmmap.spring.env.PropertySourceFilter;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.springframework.boot.actuate.endpoint.Access;
import org.springframework.boot.actuate.endpoint.OperationResponseBody;
import org.springframework.boot.actuate.endpoint.SanitizableData;
import org.springframework.boot.actuate.endpoint.Sanitizer;
import org.springframework.boot.actuate.endpoint.SanitizingFunction;
import org.springframework.boot.actuate.endpoint.SecurityContext;
import org.springframework.boot.actuate.endpoint.Show;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.annotation.Selector;
import org.springframework.context.EnvironmentAware;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.Environment;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.PropertySource;

/**
 * The {@code jsonmmap} actuator endpoint: the file, its writer, the version this process sees and
 * the document, flattened to property names ({@code a.b[0].c}). {@code GET /actuator/jsonmmap}
 * describes it all, {@code GET /actuator/jsonmmap/{key}} gives one key (or every key under it).
 *
 * <p>Values are masked ({@value SanitizableData#SANITIZED_VALUE}) unless {@code show-values} allows
 * them, as Boot's {@code env} endpoint masks them: {@code never}, {@code when-authorized} (an
 * authenticated user, with one of the roles when any are configured) or {@code always}; shown
 * values still pass through the {@link SanitizingFunction} beans. The functions see each key with a
 * property source named {@value #PROPERTY_SOURCE_NAME}. A caller who may not see values gets the
 * same answer for every key, present or absent, so a key lookup does not reveal which keys exist.
 *
 * <p>{@code excluded} lists the document's keys that the {@code jsonmmap} property source keeps out
 * of the environment ({@code jsonmmap.*} and the excluded namespaces, see {@link
 * PropertySourceFilter}); it is known when the endpoint runs in the application context that holds
 * that property source. Errors are shown without anything a message could quote from the document.
 *
 * <p>Read-only; {@link JsonMmapWritableEndpoint} adds the writes. Safe to call from any thread.
 */
@Endpoint(id = "jsonmmap", defaultAccess = Access.READ_ONLY)
public class JsonMmapEndpoint implements EnvironmentAware {

  /** The name of the property source the sanitizing functions see. */
  public static final String PROPERTY_SOURCE_NAME = "jsonmmap";

  private final SharedConfigTemplate template;
  private final Show showValues;
  private final Set<String> roles;
  private final Sanitizer sanitizer;
  private volatile Environment environment;
  private volatile SharedConfigRefresher refresher;

  /** An endpoint that shows values, when {@code showValues} allows, to any authenticated user. */
  public JsonMmapEndpoint(
      SharedConfigTemplate template,
      Show showValues,
      List<SanitizingFunction> sanitizingFunctions) {
    this(template, showValues, Set.of(), sanitizingFunctions);
  }

  /**
   * @param template the shared document
   * @param showValues when to show values unmasked
   * @param roles the roles allowed to see values when {@code showValues} is {@code
   *     WHEN_AUTHORIZED}; empty for every authenticated user
   * @param sanitizingFunctions applied to values that are shown
   */
  public JsonMmapEndpoint(
      SharedConfigTemplate template,
      Show showValues,
      Collection<String> roles,
      List<SanitizingFunction> sanitizingFunctions) {
    this.template = requireNonNull(template, "template");
    this.showValues = requireNonNull(showValues, "showValues");
    this.roles = Set.copyOf(roles);
    this.sanitizer = new Sanitizer(List.copyOf(sanitizingFunctions));
  }

  /** Describes the file, its writer and the current document. */
  @ReadOperation
  public JsonMmapDescriptor jsonmmap(SecurityContext securityContext) {
    return describe(isShown(securityContext));
  }

  /**
   * The value of one flattened key, or, for a key naming an object or an array, every key under it;
   * null (404 over HTTP) when there is none. A caller who may not see values gets the same masked
   * answer for every key.
   */
  @ReadOperation
  public KeyDescriptor key(SecurityContext securityContext, @Selector String key) {
    return describeKey(key, isShown(securityContext));
  }

  /**
   * The environment whose {@code jsonmmap} property source says which keys are excluded; set by the
   * application context.
   */
  @Override
  public void setEnvironment(Environment environment) {
    this.environment = environment;
  }

  /** The shared document this endpoint describes. */
  protected final SharedConfigTemplate template() {
    return template;
  }

  JsonMmapDescriptor describe(boolean showUnsanitized) {
    JsonMmapFile file = template.file();
    Snapshot snapshot = template.snapshot();
    FileInfo info = infoOrNull(file);
    return new JsonMmapDescriptor(
        file.path().toString(),
        file.options().role().name().toLowerCase(Locale.ROOT),
        describeWriter(file, info, showUnsanitized),
        snapshot.version(),
        snapshot.version() == 0 ? null : snapshot.publishedAt().toString(),
        snapshot.size(),
        info == null ? null : info.capacity(),
        info == null ? null : previousVersion(info),
        file.lastError().map(JsonMmapEndpoint::safeMessage).orElse(null),
        sanitize(snapshot.flat(), showUnsanitized),
        excludedKeys(),
        refresher == null ? null : refresher.appliedVersion(),
        refresher == null
            ? null
            : refresher
                .lastRejection()
                .map(
                    r ->
                        new RejectionDescriptor(
                            r.version(), r.appliedVersion(), r.reason(), r.at().toString()))
                .orElse(null));
  }

  /**
   * Lets the endpoint show the version the application has applied beside the file's, and a
   * rejected one (without it, both are null).
   */
  public void setRefresher(SharedConfigRefresher refresher) {
    this.refresher = refresher;
  }

  KeyDescriptor describeKey(String key, boolean showUnsanitized) {
    Snapshot snapshot = template.snapshot();
    if (!showUnsanitized) {
      // The same answer whether the key exists, names an object or is absent: no existence oracle.
      return new KeyDescriptor(
          key, snapshot.version(), SanitizableData.SANITIZED_VALUE, null, null);
    }
    Map<String, Object> flat = snapshot.flat();
    List<String> excluded = excludedKeys();
    if (flat.containsKey(key)) {
      Map<String, Object> one = new LinkedHashMap<>();
      one.put(key, flat.get(key));
      return new KeyDescriptor(
          key,
          snapshot.version(),
          sanitize(one, true).get(key),
          null,
          excluded.contains(key) ? List.of(key) : List.of());
    }
    Map<String, Object> under = new LinkedHashMap<>();
    flat.forEach(
        (name, value) -> {
          if (name.startsWith(key + ".") || name.startsWith(key + "[")) {
            under.put(name, value);
          }
        });
    if (under.isEmpty()) {
      return null;
    }
    return new KeyDescriptor(
        key,
        snapshot.version(),
        null,
        sanitize(under, true),
        excluded.stream().filter(under::containsKey).toList());
  }

  /** The document keys the property source of this file keeps out of the environment. */
  private List<String> excludedKeys() {
    if (environment instanceof ConfigurableEnvironment configurable) {
      for (PropertySource<?> source : configurable.getPropertySources()) {
        if (source instanceof JsonMmapPropertySource shared
            && shared.getSource() == template.file()) {
          return shared.excludedKeys();
        }
      }
    }
    return List.of();
  }

  /**
   * The message of an error, without what it could quote from the document: text in quotes, and for
   * a document that cannot be parsed, the parser's own words; control characters escaped.
   */
  static String safeMessage(JsonMmapException e) {
    String message = e.getMessage() == null ? e.reason() : e.getMessage();
    if ("invalid-document".equals(e.reason())) {
      int cause = message.indexOf(" error=");
      if (cause >= 0) {
        message = message.substring(0, cause) + " error=(withheld: it may quote the document)";
      }
    }
    StringBuilder out = new StringBuilder(message.length());
    char quote = 0;
    for (int i = 0; i < message.length(); i++) {
      char c = message.charAt(i);
      if (quote != 0) {
        if (c == quote) {
          out.append(c);
          quote = 0;
        }
      } else if (c == '\'' || c == '"') {
        out.append(c).append("...");
        quote = c;
      } else if (Character.isISOControl(c)) {
        out.append(' ');
      } else {
        out.append(c);
      }
    }
    if (quote != 0) {
      out.append(quote);
    }
    return out.toString();
  }

  private boolean isShown(SecurityContext securityContext) {
    return showValues.isShown(
        securityContext == null ? SecurityContext.NONE : securityContext, roles);
  }

  private Map<String, Object> sanitize(Map<String, Object> flat, boolean showUnsanitized) {
    PropertySource<?> source = new MapPropertySource(PROPERTY_SOURCE_NAME, flat);
    Map<String, Object> result = new LinkedHashMap<>();
    flat.forEach(
        (name, value) ->
            result.put(
                name,
                sanitizer.sanitize(new SanitizableData(source, name, value), showUnsanitized)));
    return result;
  }

  /** The writer; its id and who it is (process id, host) only to a caller who may see values. */
  private static WriterDescriptor describeWriter(
      JsonMmapFile file, FileInfo info, boolean showUnsanitized) {
    boolean known = showUnsanitized && info != null;
    return new WriterDescriptor(
        file.isWriter(),
        !known || info.writerId() == null ? null : info.writerId().toString(),
        !known || info.writerInfo().isEmpty() ? null : info.writerInfo(),
        file.writerHeartbeatAge().map(Object::toString).orElse(null),
        file.isWriterStale());
  }

  private static Long previousVersion(FileInfo info) {
    for (FileInfo.SlotInfo slot : info.slots()) {
      if ("previous".equals(slot.state())) {
        return slot.version();
      }
    }
    return null;
  }

  private static FileInfo infoOrNull(JsonMmapFile file) {
    try {
      return file.info();
    } catch (JsonMmapException e) {
      return null;
    }
  }

  /**
   * The file and the document.
   *
   * @param file the path of the file
   * @param role the configured role: reader, writer or auto
   * @param writer who writes the file
   * @param version the version this process sees (0 before any)
   * @param publishedAt when it was published (ISO-8601), null before any
   * @param size its size in bytes
   * @param capacity bytes in the file's data area, null when the file cannot be read
   * @param previousVersion the version a rollback would restore, null when none
   * @param error why the latest look at the file failed (without document content), null when it
   *     did not
   * @param document the flattened document, values masked unless shown
   * @param excluded the document's keys that the property source keeps out of the environment
   */
  public record JsonMmapDescriptor(
      String file,
      String role,
      WriterDescriptor writer,
      long version,
      String publishedAt,
      int size,
      Long capacity,
      Long previousVersion,
      String error,
      Map<String, Object> document,
      List<String> excluded,
      Long appliedVersion,
      RejectionDescriptor rejection)
      implements OperationResponseBody {}

  /**
   * A version the application refused to apply (a bean could not be bound to it): which, the
   * version still applied, why (never quoting a value), and when.
   */
  public record RejectionDescriptor(long version, long appliedVersion, String reason, String at) {}

  /**
   * The writer of the file, as its header records it.
   *
   * @param self whether this process is the writer now
   * @param id the writer's instance id, null when none or when the caller may not see values
   * @param info who the writer is, for humans (process id and host), null when none or when the
   *     caller may not see values
   * @param heartbeatAge the age of its last heartbeat (ISO-8601), null when none
   * @param stale whether its heartbeat is stale or absent (never for the writer itself)
   */
  public record WriterDescriptor(
      boolean self, String id, String info, String heartbeatAge, boolean stale) {}

  /**
   * One key of the document. A caller who may not see values gets {@code value} masked and {@code
   * values} and {@code excluded} null for every key, present or not.
   *
   * @param key the key asked for
   * @param version the version it was read from
   * @param value its value, masked unless shown; null when the key names an object or an array
   * @param values for a key naming an object or an array, the flattened keys under it with their
   *     values; null otherwise
   * @param excluded the keys among these that the property source keeps out of the environment
   */
  public record KeyDescriptor(
      String key, long version, Object value, Map<String, Object> values, List<String> excluded)
      implements OperationResponseBody {}
}
