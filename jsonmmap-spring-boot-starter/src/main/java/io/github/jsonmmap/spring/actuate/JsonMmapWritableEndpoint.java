package io.github.jsonmmap.spring.actuate;

import io.github.jsonmmap.DocumentTooLargeException;
import io.github.jsonmmap.InvalidDocumentException;
import io.github.jsonmmap.NotWriterException;
import io.github.jsonmmap.Snapshot;
import io.github.jsonmmap.spring.SharedConfigTemplate;
import io.github.jsonmmap.spring.SharedConfigValidationException;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import org.springframework.boot.actuate.endpoint.Access;
import org.springframework.boot.actuate.endpoint.InvalidEndpointRequestException;
import org.springframework.boot.actuate.endpoint.OperationResponseBody;
import org.springframework.boot.actuate.endpoint.SanitizingFunction;
import org.springframework.boot.actuate.endpoint.Show;
import org.springframework.boot.actuate.endpoint.annotation.DeleteOperation;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.Selector;
import org.springframework.boot.actuate.endpoint.annotation.WriteOperation;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.StringNode;

/**
 * The {@code jsonmmap} endpoint of a process that may write the file (role writer or auto): the
 * reads of {@link JsonMmapEndpoint} plus {@code POST /actuator/jsonmmap/{key}} with {@code
 * {"value": "..."}} to set one key, {@code POST /actuator/jsonmmap} with {@code {"patch": "{...}"}}
 * (the patch as JSON text: actuator request bodies carry strings only) to apply an RFC 7386 merge
 * patch, and {@code DELETE /actuator/jsonmmap/{key}} to remove one key. Each answers the version
 * the document has afterwards.
 *
 * <p>The endpoint's default access is read-only, so the writes exist only after an explicit {@code
 * management.endpoint.jsonmmap.access=unrestricted}. A write when this process is not (or no
 * longer) the writer, or one the validators reject, is a bad request (400 over HTTP) naming the
 * reason; nothing is written.
 *
 * <p>Safe to call from any thread.
 */
@Endpoint(id = "jsonmmap", defaultAccess = Access.READ_ONLY)
public class JsonMmapWritableEndpoint extends JsonMmapEndpoint {

  private static final JsonMapper MAPPER =
      JsonMapper.builder().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).build();

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

  /**
   * Sets one key ({@code a.b[0].c}). The value is taken as JSON when it is valid JSON ({@code 42},
   * {@code true}, {@code null}, {@code {"a":1}}, {@code "quoted"}) and as a string otherwise, as
   * {@code jsonmmap set} takes it: actuator request bodies carry strings only.
   */
  @WriteOperation
  public WriteDescriptor set(@Selector String key, String value) {
    JsonNode node = parseOrNull(value);
    return write(() -> template().set(key, node != null ? node : StringNode.valueOf(value)));
  }

  /**
   * Applies an RFC 7386 JSON merge patch, given as the text of a JSON object: its members are set,
   * and a null member removes a key.
   */
  @WriteOperation
  public WriteDescriptor merge(String patch) {
    JsonNode node = parseOrNull(patch);
    if (node == null || !node.isObject()) {
      throw new InvalidEndpointRequestException(
          "patch is not a JSON object: patch=" + patch, "patch must be the text of a JSON object");
    }
    return write(() -> template().merge(node));
  }

  /** Removes one key; the version stays the same when it was absent. */
  @DeleteOperation
  public WriteDescriptor remove(@Selector String key) {
    return write(() -> template().remove(key));
  }

  private static JsonNode parseOrNull(String text) {
    try {
      JsonNode node = MAPPER.readTree(text);
      return node == null || node.isMissingNode() ? null : node;
    } catch (JacksonException e) {
      return null;
    }
  }

  private WriteDescriptor write(Supplier<Snapshot> write) {
    long before = template().version();
    Snapshot after;
    try {
      after = write.get();
    } catch (NotWriterException e) {
      throw new InvalidEndpointRequestException(e.getMessage(), "this process is not the writer");
    } catch (SharedConfigValidationException e) {
      throw new InvalidEndpointRequestException(
          e.getMessage(), "rejected by validators: " + String.join("; ", e.problems()));
    } catch (InvalidDocumentException | DocumentTooLargeException e) {
      throw new InvalidEndpointRequestException(e.getMessage(), e.getMessage());
    } catch (IllegalArgumentException e) {
      throw new InvalidEndpointRequestException(e.getMessage(), "invalid key: " + e.getMessage());
    }
    return new WriteDescriptor(after.version(), before, after.version() != before);
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
