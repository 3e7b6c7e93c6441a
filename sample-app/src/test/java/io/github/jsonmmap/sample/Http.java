package io.github.jsonmmap.sample;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** A minimal JSON-over-HTTP client for one instance of the sample, reachable at a base URI. */
final class Http {

  /**
   * Generous on purpose: on a loaded 2-core machine a request can wait seconds for a CPU, and a
   * test that counts failed requests must not count a slow answer as a failure.
   */
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();
  private static final JsonMapper MAPPER = JsonMapper.builder().build();

  private final String base;

  Http(String host, int port) {
    this.base = "http://" + host + ":" + port;
  }

  /** GETs a path and returns its JSON body; fails unless the status is 200. */
  JsonNode get(String path) {
    return send(HttpRequest.newBuilder(URI.create(base + path)).GET());
  }

  /** POSTs a JSON body to a path and returns the JSON answer; fails unless the status is 200. */
  JsonNode post(String path, Object body) {
    return send(
        HttpRequest.newBuilder(URI.create(base + path))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(MAPPER.writeValueAsString(body))));
  }

  /** The status code of a POST of a JSON body to a path. */
  int postStatus(String path, Object body) {
    HttpRequest request =
        HttpRequest.newBuilder(URI.create(base + path))
            .timeout(TIMEOUT)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(MAPPER.writeValueAsString(body)))
            .build();
    return exchange(request).statusCode();
  }

  @Override
  public String toString() {
    return base;
  }

  private JsonNode send(HttpRequest.Builder builder) {
    HttpRequest request = builder.timeout(TIMEOUT).build();
    HttpResponse<String> response = exchange(request);
    if (response.statusCode() != 200) {
      throw new IllegalStateException(
          request.method()
              + " "
              + request.uri()
              + " answered "
              + response.statusCode()
              + ": "
              + response.body());
    }
    return MAPPER.readTree(response.body());
  }

  private static HttpResponse<String> exchange(HttpRequest request) {
    try {
      return CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new UncheckedIOException(request.method() + " " + request.uri() + " failed", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted: " + request.uri(), e);
    }
  }
}
