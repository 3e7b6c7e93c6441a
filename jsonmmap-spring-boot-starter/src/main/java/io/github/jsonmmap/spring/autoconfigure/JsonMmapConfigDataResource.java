package io.github.jsonmmap.spring.autoconfigure;

import java.nio.file.Path;
import java.util.Objects;
import org.springframework.boot.context.config.ConfigDataResource;

/**
 * A shared file named by {@code spring.config.import=[optional:]jsonmmap:<path>}, with the {@code
 * jsonmmap.*} configuration in force where the import is declared.
 */
public final class JsonMmapConfigDataResource extends ConfigDataResource {

  private final Path path;
  private final boolean optional;
  private final JsonMmapProperties properties;

  JsonMmapConfigDataResource(Path path, boolean optional, JsonMmapProperties properties) {
    super(optional);
    this.path = path;
    this.optional = optional;
    this.properties = properties;
  }

  /** The shared file. */
  public Path path() {
    return path;
  }

  /** Whether the import is {@code optional:}. */
  boolean optional() {
    return optional;
  }

  JsonMmapProperties properties() {
    return properties;
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof JsonMmapConfigDataResource that && path.equals(that.path);
  }

  @Override
  public int hashCode() {
    return Objects.hash(path);
  }

  @Override
  public String toString() {
    return JsonMmapConfigDataLocationResolver.PREFIX + path;
  }
}
