package io.github.jsonmmap.agent;

import io.github.jsonmmap.JsonMmapFile;
import io.github.jsonmmap.Snapshot;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;

/**
 * The actuator endpoint {@code jsonmmapagent}: the source, the file, the version and the etcd
 * revision it came from, and the source's state. Never the document's values.
 */
@Endpoint(id = "jsonmmapagent")
public final class AgentEndpoint {

  private final DocumentPublisher publisher;
  private final Source source;

  public AgentEndpoint(DocumentPublisher publisher, Source source) {
    this.publisher = publisher;
    this.source = source;
  }

  @ReadOperation
  public Map<String, Object> status() {
    JsonMmapFile file = publisher.file();
    Snapshot snapshot = file.snapshot();
    Map<String, Object> result = new LinkedHashMap<>();
    result.put("source", source.describe());
    result.put("sourceUp", publisher.sourceUp());
    result.put("sourceReason", publisher.sourceReason());
    result.put("publishFailure", publisher.publishFailure());
    result.put("file", file.path().toString());
    result.put("writer", file.isWriter());
    result.put("version", snapshot.version());
    result.put("publishedAt", snapshot.version() > 0 ? snapshot.publishedAt().toString() : null);
    result.put("etcdRevision", publisher.appliedRevision());
    result.put("publishes", publisher.publishes());
    result.put("errors", publisher.errors());
    return result;
  }
}
