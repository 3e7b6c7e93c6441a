package io.github.jsonmmap.spring.env;

import io.github.jsonmmap.JsonMmapException;
import io.github.jsonmmap.JsonMmapFile;
import io.github.jsonmmap.Snapshot;
import java.util.Map;
import org.springframework.core.env.EnumerablePropertySource;

/**
 * The shared document as a live property source named {@value #NAME}: every lookup reads the latest
 * snapshot, so {@code @Value} and {@code @ConfigurationProperties} see shared values from startup,
 * and a removed key really disappears. Keys are flattened as Spring flattens JSON ({@code
 * a.b[0].c}), optionally behind a prefix; values are String, Number or Boolean.
 *
 * <p>Safe to call from any thread.
 */
public class JsonMmapPropertySource extends EnumerablePropertySource<JsonMmapFile> {

  /** The name of the property source. */
  public static final String NAME = "jsonmmap";

  private final String prefix;
  private volatile Names names = new Names(-1, new String[0]);

  private record Names(long version, String[] names) {}

  public JsonMmapPropertySource(JsonMmapFile file, String prefix) {
    super(NAME, file);
    this.prefix = prefix == null ? "" : prefix;
  }

  /** The prefix in front of every document key (empty for none). */
  public String prefix() {
    return prefix;
  }

  @Override
  public Object getProperty(String name) {
    if (!name.startsWith(prefix)) {
      return null;
    }
    Snapshot snapshot = snapshot();
    return snapshot == null ? null : snapshot.get(name.substring(prefix.length()));
  }

  @Override
  public boolean containsProperty(String name) {
    if (!name.startsWith(prefix)) {
      return false;
    }
    Snapshot snapshot = snapshot();
    return snapshot != null && snapshot.contains(name.substring(prefix.length()));
  }

  @Override
  public String[] getPropertyNames() {
    Snapshot snapshot = snapshot();
    if (snapshot == null) {
      return new String[0];
    }
    Names current = names;
    if (current.version() != snapshot.version()) {
      Map<String, Object> flat = snapshot.flat();
      String[] all = new String[flat.size()];
      int i = 0;
      for (String key : flat.keySet()) {
        all[i++] = prefix + key;
      }
      current = new Names(snapshot.version(), all);
      names = current;
    }
    return current.names().clone();
  }

  /** The latest snapshot, or null once the file is closed (the context is shutting down). */
  private Snapshot snapshot() {
    try {
      return getSource().snapshot();
    } catch (JsonMmapException e) {
      return null;
    }
  }
}
