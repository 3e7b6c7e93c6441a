package io.github.jsonmmap.spring.actuate;

import io.github.jsonmmap.DocumentTooLargeException;
import io.github.jsonmmap.InvalidDocumentException;
import io.github.jsonmmap.JsonMmapException;
import io.github.jsonmmap.NotWriterException;
import io.github.jsonmmap.Snapshot;
import io.github.jsonmmap.spring.SharedConfigTemplate;
import io.github.jsonmmap.spring.SharedConfigValidationException;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import org.springframework.boot.actuate.endpoint.Access;
import org.springframework.boot.actuate.endpoint.OperationResponseBody;
import org.springframework.boot.actuate.endpoint.SanitizingFunction;
import org.springframework.boot.actuate.endpoint.Show;
import org.springframework.boot.actuate.endpoint.annotation.DeleteOperation;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.Selector;
import org.springframework.boot.actuate.endpoint.annotation.WriteOperation;
import org.springframework.boot.actuate.endpoint.web.WebEndpointResponse;
import org.springframework.util.MimeType;
import tools.jackson.databind.JsonNode;

/**
 * The {@code jsonmmap} endpoint of a process that may write the file (role writer or auto): the
 * reads of {@link JsonMmapEndpoint} plus
 *
 * <ul>
 *   <li>{@code POST /actuator/jsonmmap/{key}} with {@code {"value": <any JSON value>}} to set one
 *       key: {@code {"value": 95}} sets a number, {@code {"value": "41"}} a string, {@code
 *       {"value": [1, 2]}} an array, {@code {"value": {"a": 1}}} an object;
 *   <li>{@code POST /actuator/jsonmmap} with {@code {"patch": {...}}} to apply an RFC 7386 merge
 *       patch (its members are set, a null member removes a key);
 *   <li>{@code DELETE /actuator/jsonmmap/{key}} to remove one key.
 * </ul>
 *
 * Each answers the version the document has afterwards. A write that cannot be done answers an RFC
 * 9457 problem detail ({@code application/problem+json}) whose {@code reason} says why: {@code
 * invalid-request} (400: a bad key, a patch that is not an object), {@code not-writer} (409: this
 * process is not, or no longer, the writer), {@code rejected} (422: the validators' messages are in
 * {@code problems}, as the validators wrote them), {@code invalid-document} (422) or {@code
 * too-large} (413), and a fixed {@code detail} per reason: never an exception's message, so neither
 * the file's path nor the document's or the request's content is echoed. Nothing is written.
 *
 * <p>Over HTTP (Spring MVC, actuator on the application's port) the {@code POST}s are served by
 * {@link JsonMmapJsonWriteHandlerMapping}, since the actuator's own handler reads bodies as
 * strings.
 *
 * <p>The endpoint's default access is read-only, so the writes exist only after an explicit {@code
 * management.endpoint.jsonmmap.access=unrestricted}.
 *
 * <p>Safe to call from any thread.
 */
@Endpoint(id = "jsonmmap", defaultAccess = Access.READ_ONLY)
public class JsonMmapWritableEndpoint extends JsonMmapEndpoint {

  /** The media type of the problem details. */
  public static final MimeType PROBLEM_JSON = MimeType.valueOf("application/problem+json");

  /** The {@code type} of every problem detail; {@code reason} tells them apart. */
  public static final String PROBLEM_TYPE = "urn:jsonmmap:problem";

  public JsonMmapWritableEndpoint(
      SharedConfigTemplate template,
      Show showValues,
      List<SanitizingFunction> sanitizingFunctions) {
    this(template, showValues, Set.of(), sanitizingFunctions);
  }

  public JsonMmapWritableEndpoint(
      SharedConfigTemplate template,
      Show showValues,
      Collection<String> roles,
      List<SanitizingFunction> sanitizingFunctions) {
    super(template, showValues, roles, sanitizingFunctions);
  }

  /** Sets one key ({@code a.b[0].c}) to a JSON value. */
  @WriteOperation
  public WebEndpointResponse<Object> set(@Selector String key, Object value) {
    return write(() -> template().set(key, value));
  }

  /** Applies an RFC 7386 JSON merge patch, a JSON object. */
  @WriteOperation
  public WebEndpointResponse<Object> merge(Object patch) {
    if (!(patch instanceof Map || (patch instanceof JsonNode node && node.isObject()))) {
      return problem(WebEndpointResponse.STATUS_BAD_REQUEST, "invalid-request", List.of());
    }
    return write(() -> template().merge(patch));
  }

  /** Removes one key; the version stays the same when it was absent. */
  @DeleteOperation
  public WebEndpointResponse<Object> remove(@Selector String key) {
    return write(() -> template().remove(key));
  }

  private WebEndpointResponse<Object> write(Supplier<Snapshot> write) {
    long before = template().version();
    Snapshot after;
    try {
      after = write.get();
    } catch (NotWriterException e) {
      return problem(409, "not-writer", List.of());
    } catch (SharedConfigValidationException e) {
      return problem(422, "rejected", e.problems());
    } catch (DocumentTooLargeException e) {
      return problem(413, "too-large", List.of());
    } catch (InvalidDocumentException e) {
      return problem(422, "invalid-document", List.of());
    } catch (IllegalArgumentException e) {
      return problem(WebEndpointResponse.STATUS_BAD_REQUEST, "invalid-request", List.of());
    } catch (JsonMmapException e) {
      // The message names the path and may quote the document: the reason code says enough.
      return problem(WebEndpointResponse.STATUS_BAD_REQUEST, e.reason(), List.of());
    }
    return new WebEndpointResponse<>(
        new WriteDescriptor(after.version(), before, after.version() != before),
        WebEndpointResponse.STATUS_OK);
  }

  /** A problem detail whose {@code detail} is the fixed sentence of its reason. */
  static WebEndpointResponse<Object> problem(int status, String reason, List<String> problems) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("type", PROBLEM_TYPE);
    body.put("title", title(reason));
    body.put("status", status);
    body.put("detail", detail(reason));
    body.put("reason", reason);
    if (!problems.isEmpty()) {
      body.put("problems", List.copyOf(problems));
    }
    return new WebEndpointResponse<>(body, status, PROBLEM_JSON);
  }

  private static String title(String reason) {
    return switch (reason) {
      case "not-writer" -> "This process is not the writer of the shared file";
      case "rejected" -> "The validators rejected the new document";
      case "too-large" -> "The new document is too large";
      case "invalid-document" -> "The new document is not acceptable";
      case "invalid-request" -> "Invalid request";
      default -> "The write failed";
    };
  }

  /**
   * One fixed sentence per reason: never an exception's message, which names the file and may quote
   * the document or the request.
   */
  private static String detail(String reason) {
    return switch (reason) {
      case "not-writer" ->
          "Nothing was written: write through the process that holds the writer role.";
      case "rejected" -> "Nothing was written: see problems for what the validators reported.";
      case "too-large" ->
          "Nothing was written: the document would exceed the file's size limit"
              + " (jsonmmap.max-size).";
      case "invalid-document" ->
          "Nothing was written: the document breaks the rules every reader applies (depth,"
              + " size, encoding).";
      case "invalid-request" ->
          "Nothing was written: the key or the body is not valid (a key is a.b[0].c, a patch is"
              + " a JSON object, a value is any JSON value).";
      default -> "Nothing was written; the application log says why.";
    };
  }

  /**
   * The outcome of a write.
   *
   * @param version the version of the document after the write
   * @param previousVersion the version before it
   * @param changed whether the write made a new version (setting a key to its current value, or
   *     removing an absent one, does not)
   */
  public record WriteDescriptor(long version, long previousVersion, boolean changed)
      implements OperationResponseBody {}
}
