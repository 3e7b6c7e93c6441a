package io.github.jsonmmap.spring.autoconfigure;

import io.github.jsonmmap.JsonMmapFile;
import io.github.jsonmmap.spring.env.JsonMmapPropertySource;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.commons.logging.Log;
import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.context.config.ConfigDataEnvironmentPostProcessor;
import org.springframework.boot.context.event.ApplicationFailedEvent;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.logging.DeferredLogFactory;
import org.springframework.context.ApplicationEvent;
import org.springframework.context.event.ContextClosedEvent;
import org.springframework.core.Ordered;
import org.springframework.core.env.ConfigurableEnvironment;

/**
 * Opens the file declared by {@code jsonmmap.file} before the context exists and adds the live
 * {@code jsonmmap} property source, so that {@code @Value} and {@code @ConfigurationProperties} see
 * shared values from startup. Runs after the application's configuration files are loaded (they
 * configure {@code jsonmmap.*}) and does nothing when a {@code spring.config.import=jsonmmap:} has
 * already added the source. With no file declared it logs once, at INFO, that the starter is off.
 * Registered in {@code META-INF/spring.factories} under Boot 4's key, so Spring Cloud's refresh
 * re-runs it; the re-run reuses the open handle.
 */
public class JsonMmapEnvironmentPostProcessor implements EnvironmentPostProcessor, Ordered {

  /** Just after the configuration files are loaded. */
  public static final int ORDER = ConfigDataEnvironmentPostProcessor.ORDER + 10;

  private final Log log;

  public JsonMmapEnvironmentPostProcessor(DeferredLogFactory logFactory) {
    this.log = logFactory.getLog(JsonMmapEnvironmentPostProcessor.class);
  }

  @Override
  public int getOrder() {
    return ORDER;
  }

  @Override
  public void postProcessEnvironment(
      ConfigurableEnvironment environment, SpringApplication application) {
    if (environment.getPropertySources().contains(JsonMmapPropertySource.NAME)) {
      return;
    }
    JsonMmapProperties properties =
        Binder.get(environment)
            .bind("jsonmmap", JsonMmapProperties.class)
            .orElseGet(JsonMmapProperties::new);
    Path path = SharedFileOptions.configuredFile(properties, environment);
    if (path == null) {
      if (properties.isEnabled()) {
        log.info(
            "jsonmmap: no shared file declared (spring.config.import=jsonmmap:<path> or"
                + " jsonmmap.file), nothing to do");
      }
      return;
    }
    JsonMmapFile file = SharedFiles.acquire(SharedFileOptions.from(properties, path, false));
    SharedFileOptions.place(
        environment.getPropertySources(),
        SharedFileOptions.propertySource(file, properties),
        properties.getPropertySource().getPrecedence());
    if (application != null) {
      // This run's use of the file ends with its context, or with its failure to start.
      AtomicBoolean released = new AtomicBoolean();
      application.addListeners(
          (ApplicationEvent event) -> {
            boolean rootClosed =
                event instanceof ContextClosedEvent closed
                    && closed.getApplicationContext().getParent() == null;
            if ((rootClosed || event instanceof ApplicationFailedEvent)
                && released.compareAndSet(false, true)) {
              SharedFiles.release(file);
            }
          });
    }
  }
}
