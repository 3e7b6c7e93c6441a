package io.github.jsonmmap.spring.actuate;

import static java.util.Objects.requireNonNull;

import io.github.jsonmmap.spring.actuate.JsonMmapWritableEndpoint.WriteDescriptor;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.boot.actuate.endpoint.web.WebEndpointResponse;
import org.springframework.web.HttpRequestHandler;
import org.springframework.web.servlet.handler.AbstractHandlerMapping;
import org.springframework.web.util.UriUtils;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Takes the {@code POST}s of the {@code jsonmmap} endpoint before Spring Boot's actuator handler
 * does, because that handler reads request bodies as maps of strings: here {@code {"value": ...}}
 * is any JSON value and {@code {"patch": {...}}} a JSON object. Every other request (the reads,
 * {@code DELETE}) goes on to the actuator, and so does every request when the endpoint's access is
 * not unrestricted. Registered only where the actuator shares the application's port; requests pass
 * the application's security filters like any actuator request.
 *
 * <p>Safe to call from any thread.
 */
public final class JsonMmapJsonWriteHandlerMapping extends AbstractHandlerMapping {

  /** Before the actuator's own handler mappings (order -100). */
  public static final int ORDER = -110;

  private final String endpointPath;
  private final JsonMmapWritableEndpoint endpoint;
  private final JsonMapper mapper;
  private final boolean writable;
  private final HttpRequestHandler handler = this::handle;

  /**
   * @param endpointPath the endpoint's path within the servlet, e.g. {@code /actuator/jsonmmap}
   * @param endpoint the endpoint that does the writes, null when this process cannot write
   * @param mapper reads request bodies and writes responses
   * @param writable whether the endpoint's access allows writes; when not, every request goes on to
   *     the actuator (which has no write operation to offer)
   */
  public JsonMmapJsonWriteHandlerMapping(
      String endpointPath, JsonMmapWritableEndpoint endpoint, JsonMapper mapper, boolean writable) {
    this.endpointPath = requireNonNull(endpointPath, "endpointPath");
    this.writable = writable && endpoint != null;
    this.endpoint = endpoint;
    this.mapper = requireNonNull(mapper, "mapper");
    setOrder(ORDER);
  }

  @Override
  protected Object getHandlerInternal(HttpServletRequest request) {
    if (!writable || !"POST".equals(request.getMethod())) {
      return null;
    }
    String path = pathWithinApplication(request);
    return path.equals(endpointPath) || path.startsWith(endpointPath + "/") ? handler : null;
  }

  private static String pathWithinApplication(HttpServletRequest request) {
    String uri = request.getRequestURI();
    String context = request.getContextPath();
    return context != null && !context.isEmpty() && uri.startsWith(context)
        ? uri.substring(context.length())
        : uri;
  }

  private void handle(HttpServletRequest request, HttpServletResponse response) throws IOException {
    String path = pathWithinApplication(request);
    JsonNode body;
    try {
      body = mapper.readTree(request.getInputStream());
    } catch (JacksonException | NumberFormatException e) {
      // A decimal mapper reports an exponent past what a BigDecimal holds as the latter.
      write(response, badRequest());
      return;
    }
    if (body == null || !body.isObject()) {
      write(response, badRequest());
      return;
    }
    if (path.equals(endpointPath)) {
      JsonNode patch = body.get("patch");
      write(response, patch == null ? badRequest() : endpoint.merge(patch));
      return;
    }
    String key = UriUtils.decode(path.substring(endpointPath.length() + 1), StandardCharsets.UTF_8);
    JsonNode value = body.get("value");
    write(response, value == null ? badRequest() : endpoint.set(key, value));
  }

  private WebEndpointResponse<Object> badRequest() {
    return JsonMmapWritableEndpoint.problem(
        WebEndpointResponse.STATUS_BAD_REQUEST, "invalid-request", List.of());
  }

  private void write(HttpServletResponse response, WebEndpointResponse<Object> result)
      throws IOException {
    response.setStatus(result.getStatus());
    response.setContentType(
        result.getContentType() != null ? result.getContentType().toString() : "application/json");
    Object body = result.getBody();
    if (body instanceof WriteDescriptor written) {
      Map<String, Object> map = new LinkedHashMap<>();
      map.put("version", written.version());
      map.put("previousVersion", written.previousVersion());
      map.put("changed", written.changed());
      body = map;
    }
    mapper.writeValue(response.getOutputStream(), body);
  }
}
