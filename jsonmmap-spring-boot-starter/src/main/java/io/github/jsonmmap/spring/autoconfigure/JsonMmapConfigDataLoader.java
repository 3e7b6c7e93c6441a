package io.github.jsonmmap.spring.autoconfigure;

import io.github.jsonmmap.JsonMmapFile;
import io.github.jsonmmap.Role;
import io.github.jsonmmap.spring.env.JsonMmapPropertySource;
import java.nio.file.Files;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.springframework.boot.context.config.ConfigData;
import org.springframework.boot.context.config.ConfigDataLoader;
import org.springframework.boot.context.config.ConfigDataLoaderContext;
import org.springframework.boot.context.config.ConfigDataResourceNotFoundException;
import org.springframework.context.ApplicationListener;
import org.springframework.context.event.ContextClosedEvent;

/**
 * Opens the shared file of a {@code jsonmmap:} import and contributes its live property source,
 * named {@value JsonMmapPropertySource#NAME}; Boot places it above the file that declares the
 * import. A reader whose file is missing fails the start as any missing config location does,
 * unless the import is {@code optional:} (or {@code jsonmmap.optional=true}): then the application
 * starts without shared values and attaches when the file appears. The handle is released when the
 * application context closes.
 */
public class JsonMmapConfigDataLoader implements ConfigDataLoader<JsonMmapConfigDataResource> {

  @Override
  public ConfigData load(ConfigDataLoaderContext context, JsonMmapConfigDataResource resource) {
    JsonMmapProperties properties = resource.properties();
    boolean optional = resource.optional() || properties.isOptional();
    if (!optional && properties.getRole() == Role.READER && !Files.exists(resource.path())) {
      throw new ConfigDataResourceNotFoundException(resource);
    }
    JsonMmapFile file =
        SharedFiles.acquire(SharedFileOptions.from(properties, resource.path(), optional));
    AtomicBoolean released = new AtomicBoolean();
    context
        .getBootstrapContext()
        .addCloseListener(
            event ->
                event
                    .getApplicationContext()
                    .addApplicationListener(
                        (ApplicationListener<ContextClosedEvent>)
                            closed -> {
                              if (released.compareAndSet(false, true)) {
                                SharedFiles.release(file);
                              }
                            }));
    return new ConfigData(List.of(SharedFileOptions.propertySource(file, properties)));
  }
}
