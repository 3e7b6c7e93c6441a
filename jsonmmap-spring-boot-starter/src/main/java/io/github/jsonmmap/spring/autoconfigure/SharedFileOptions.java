package io.github.jsonmmap.spring.autoconfigure;

import io.github.jsonmmap.JsonMmapException;
import io.github.jsonmmap.JsonMmapFile;
import io.github.jsonmmap.JsonMmapOptions;
import io.github.jsonmmap.Role;
import io.github.jsonmmap.spring.env.JsonMmapPropertySource;
import io.github.jsonmmap.spring.env.PropertySourceFilter;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Set;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.Environment;
import org.springframework.core.env.MutablePropertySources;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.io.DefaultResourceLoader;
import org.springframework.core.io.Resource;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Turns {@link JsonMmapProperties} into core options, and places the property source. */
final class SharedFileOptions {

  private static final JsonMapper MAPPER = JsonMmapFile.exactMapper();

  private SharedFileOptions() {}

  /**
   * The file the configuration declares through {@code jsonmmap.*} (not an import), or null when it
   * declares none or turns jsonmmap off.
   */
  static Path configuredFile(JsonMmapProperties properties, Environment environment) {
    return properties.resolveFile(
        environment.getProperty("spring.application.name"),
        "true".equalsIgnoreCase(environment.getProperty("jsonmmap.enabled")));
  }

  static JsonMmapOptions from(JsonMmapProperties properties, Path file, boolean optional) {
    try {
      JsonMmapOptions.Builder builder =
          JsonMmapOptions.builder(file)
              .role(properties.getRole())
              .name(properties.getName())
              .initialCapacity(properties.getInitialCapacity().toBytes())
              .maxSize(properties.getMaxSize().toBytes())
              .permissions(properties.getPermissions())
              .watchMode(properties.getWatchMode())
              .pollInterval(properties.getPollInterval())
              .eventsPollInterval(properties.getEventsPollInterval())
              .heartbeatInterval(properties.getHeartbeatInterval())
              .staleAfter(properties.getStaleAfter())
              .strictModes(properties.isStrictModes())
              .trustedUsers(Set.copyOf(properties.getTrustedUsers()))
              .requireFile(
                  !optional && !properties.isOptional() && properties.getRole() == Role.READER);
      if (properties.getInitialDocument() != null && properties.getRole() != Role.READER) {
        builder.initialDocument(initialDocument(file, properties.getInitialDocument()));
      }
      return builder.build();
    } catch (IllegalArgumentException e) {
      throw new JsonMmapException(
          "configuration",
          file,
          "invalid jsonmmap configuration: path=" + file + " " + e.getMessage(),
          e);
    }
  }

  private static JsonNode initialDocument(Path file, String location) {
    Resource resource = new DefaultResourceLoader().getResource(location);
    try (InputStream in = resource.getInputStream()) {
      return MAPPER.readTree(in);
    } catch (IOException e) {
      throw new JsonMmapException(
          "configuration",
          file,
          "cannot read jsonmmap.initial-document: path="
              + file
              + " resource="
              + location
              + " error="
              + e.getMessage(),
          e);
    } catch (JacksonException e) {
      throw new JsonMmapException(
          "configuration",
          file,
          "jsonmmap.initial-document is not valid JSON: path="
              + file
              + " resource="
              + location
              + " error="
              + e.getOriginalMessage(),
          e);
    }
  }

  /**
   * The live property source of a file, configured by {@code jsonmmap.property-source.*}: every way
   * of declaring the file (environment post-processor, {@code jsonmmap:} import, installer, bean)
   * builds it here.
   */
  static JsonMmapPropertySource propertySource(JsonMmapFile file, JsonMmapProperties properties) {
    JsonMmapProperties.PropertySource source = properties.getPropertySource();
    return new JsonMmapPropertySource(
        file,
        source.getPrefix(),
        new PropertySourceFilter(source.getInclude(), source.getExclude()));
  }

  /** The {@code jsonmmap.*} properties the environment declares now, defaults where unset. */
  static JsonMmapProperties bind(Environment environment) {
    return Binder.get(environment)
        .bind("jsonmmap", JsonMmapProperties.class)
        .orElseGet(JsonMmapProperties::new);
  }

  /**
   * Adds the live property source of {@code file} to the environment where the configured
   * precedence says (a source of the same name placed before is replaced).
   */
  static void install(
      ConfigurableEnvironment environment, JsonMmapFile file, JsonMmapProperties properties) {
    place(
        environment.getPropertySources(),
        propertySource(file, properties),
        properties.getPropertySource().getPrecedence());
  }

  /** Adds the property source where the configured precedence says. */
  static void place(
      MutablePropertySources sources,
      JsonMmapPropertySource source,
      JsonMmapProperties.Precedence precedence) {
    switch (precedence) {
      case FIRST -> sources.addFirst(source);
      case LAST -> sources.addLast(source);
      case AFTER_SYSTEM_ENVIRONMENT -> {
        if (sources.contains(StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME)) {
          sources.addAfter(StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME, source);
        } else if (sources.contains(StandardEnvironment.SYSTEM_PROPERTIES_PROPERTY_SOURCE_NAME)) {
          sources.addAfter(StandardEnvironment.SYSTEM_PROPERTIES_PROPERTY_SOURCE_NAME, source);
        } else {
          sources.addFirst(source);
        }
      }
    }
  }
}
