package io.github.jsonmmap.spring.autoconfigure;

import java.nio.file.Path;
import java.util.List;
import org.springframework.boot.context.config.ConfigDataLocation;
import org.springframework.boot.context.config.ConfigDataLocationResolver;
import org.springframework.boot.context.config.ConfigDataLocationResolverContext;

/**
 * Resolves {@code spring.config.import=[optional:]jsonmmap:<path>} to the shared file, as Boot's
 * {@code configtree:} resolver resolves its directory. The {@code jsonmmap.*} properties bound at
 * the point of the import (role, name, prefix...) configure how the file is opened; {@code
 * jsonmmap.enabled=false} makes the import contribute nothing.
 */
public class JsonMmapConfigDataLocationResolver
    implements ConfigDataLocationResolver<JsonMmapConfigDataResource> {

  /** The location prefix. */
  public static final String PREFIX = "jsonmmap:";

  @Override
  public boolean isResolvable(
      ConfigDataLocationResolverContext context, ConfigDataLocation location) {
    return location.hasPrefix(PREFIX);
  }

  @Override
  public List<JsonMmapConfigDataResource> resolve(
      ConfigDataLocationResolverContext context, ConfigDataLocation location) {
    JsonMmapProperties properties =
        context
            .getBinder()
            .bind("jsonmmap", JsonMmapProperties.class)
            .orElseGet(JsonMmapProperties::new);
    if (!properties.isEnabled()) {
      return List.of();
    }
    String path = location.getNonPrefixedValue(PREFIX).trim();
    if (path.isEmpty()) {
      throw new IllegalArgumentException(
          "spring.config.import=" + location + " names no file: use jsonmmap:<path>");
    }
    return List.of(
        new JsonMmapConfigDataResource(
            Path.of(path).toAbsolutePath().normalize(), location.isOptional(), properties));
  }
}
