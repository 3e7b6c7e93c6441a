package io.github.jsonmmap.test;

import io.github.jsonmmap.JsonMmapException;
import io.github.jsonmmap.JsonMmapFile;
import io.github.jsonmmap.JsonMmapOptions;
import io.github.jsonmmap.Role;
import io.github.jsonmmap.spring.autoconfigure.JsonMmapEnvironmentPostProcessor;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.context.event.ApplicationFailedEvent;
import org.springframework.context.ApplicationEvent;
import org.springframework.context.event.ContextClosedEvent;
import org.springframework.core.Ordered;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.io.DefaultResourceLoader;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The work of {@link AutoConfigureJsonMmap}: before the starter opens the shared file, points
 * {@code jsonmmap.file} at a new private temporary directory (above every other property source)
 * and, for a reader, creates the file with a writer that {@link SharedConfigTestPublisher} uses.
 * Everything is closed and deleted when the context closes or fails to start.
 */
public class JsonMmapTestEnvironmentPostProcessor implements EnvironmentPostProcessor, Ordered {

  /** The property {@link AutoConfigureJsonMmap} sets. */
  public static final String ENABLED_PROPERTY = "jsonmmap.test.private-file";

  /** The name of the property source that holds the private file's path. */
  public static final String PROPERTY_SOURCE_NAME = "jsonmmapTest";

  private static final JsonMapper MAPPER = JsonMmapFile.exactMapper();

  @Override
  public int getOrder() {
    return JsonMmapEnvironmentPostProcessor.ORDER - 1;
  }

  @Override
  public void postProcessEnvironment(
      ConfigurableEnvironment environment, SpringApplication application) {
    if (!"true".equals(environment.getProperty(ENABLED_PROPERTY))
        || environment.getPropertySources().contains(PROPERTY_SOURCE_NAME)) {
      return;
    }
    Path directory = privateDirectory();
    String name = environment.getProperty("spring.application.name", "application");
    Path file = directory.resolve(name + ".json");
    environment
        .getPropertySources()
        .addFirst(new MapPropertySource(PROPERTY_SOURCE_NAME, Map.of("jsonmmap.file", file)));
    JsonMmapFile writer = null;
    if ("reader".equalsIgnoreCase(environment.getProperty("jsonmmap.role", "reader"))) {
      writer = JsonMmapFile.open(writerOptions(file, environment));
      TestWriters.put(writer);
    }
    if (application != null) {
      JsonMmapFile held = writer;
      AtomicBoolean done = new AtomicBoolean();
      application.addListeners(
          (ApplicationEvent event) -> {
            boolean rootClosed =
                event instanceof ContextClosedEvent closed
                    && closed.getApplicationContext().getParent() == null;
            if ((rootClosed || event instanceof ApplicationFailedEvent)
                && done.compareAndSet(false, true)) {
              if (held != null) {
                TestWriters.remove(held);
                held.close();
              }
              delete(directory);
            }
          });
    }
  }

  private static JsonMmapOptions writerOptions(Path file, ConfigurableEnvironment environment) {
    JsonMmapOptions.Builder builder = JsonMmapOptions.builder(file).role(Role.WRITER);
    String name = environment.getProperty("jsonmmap.name");
    if (name != null) {
      builder.name(name);
    }
    String initial = environment.getProperty("jsonmmap.initial-document");
    builder.initialDocument(initial == null ? MAPPER.createObjectNode() : read(file, initial));
    return builder.build();
  }

  private static JsonNode read(Path file, String location) {
    try (InputStream in = new DefaultResourceLoader().getResource(location).getInputStream()) {
      return MAPPER.readTree(in);
    } catch (IOException e) {
      throw new JsonMmapException(
          "configuration",
          file,
          "cannot read jsonmmap.initial-document: path=" + file + " resource=" + location,
          e);
    }
  }

  private static Path privateDirectory() {
    try {
      return Files.createTempDirectory(
          "jsonmmap-test-",
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create a private directory for jsonmmap", e);
    }
  }

  /** Deletes the directory; a file still mapped by a closing handle is unlinked safely. */
  private static void delete(Path directory) {
    try (Stream<Path> paths = Files.walk(directory)) {
      paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
    } catch (IOException e) {
      // Best effort: the directory is owner-only, in the temporary directory.
    }
  }
}
