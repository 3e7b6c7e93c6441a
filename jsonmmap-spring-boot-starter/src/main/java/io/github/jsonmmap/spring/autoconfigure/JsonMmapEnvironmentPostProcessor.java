package io.github.jsonmmap.spring.autoconfigure;

import io.github.jsonmmap.JsonMmapFile;
import io.github.jsonmmap.spring.env.JsonMmapPropertySource;
import io.github.jsonmmap.spring.env.PropertySourceFilter;
import java.util.concurrent.atomic.AtomicBoolean;
import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.context.config.ConfigDataEnvironmentPostProcessor;
import org.springframework.boot.context.event.ApplicationFailedEvent;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.ApplicationEvent;
import org.springframework.context.event.ContextClosedEvent;
import org.springframework.core.Ordered;
import org.springframework.core.env.ConfigurableEnvironment;

/**
 * Opens the shared file before the context exists and adds the live {@code jsonmmap} property
 * source, so that {@code @Value} and {@code @ConfigurationProperties} see shared values from
 * startup. Runs after the application's configuration files are loaded (they configure {@code
 * jsonmmap.*}). Registered in {@code META-INF/spring.factories} under Boot 4's key, so Spring
 * Cloud's refresh re-runs it; the re-run reuses the open handle.
 */
public class JsonMmapEnvironmentPostProcessor implements EnvironmentPostProcessor, Ordered {

  /** Just after the configuration files are loaded. */
  public static final int ORDER = ConfigDataEnvironmentPostProcessor.ORDER + 10;

  @Override
  public int getOrder() {
    return ORDER;
  }

  @Override
  public void postProcessEnvironment(
      ConfigurableEnvironment environment, SpringApplication application) {
    JsonMmapProperties properties =
        Binder.get(environment)
            .bind("jsonmmap", JsonMmapProperties.class)
            .orElseGet(JsonMmapProperties::new);
    if (!properties.isEnabled()
        || environment.getPropertySources().contains(JsonMmapPropertySource.NAME)) {
      return;
    }
    JsonMmapFile file = SharedFiles.acquire(SharedFileOptions.from(properties, environment));
    SharedFileOptions.place(
        environment.getPropertySources(),
        new JsonMmapPropertySource(
            file,
            properties.getPropertySource().getPrefix(),
            new PropertySourceFilter(
                properties.getPropertySource().getInclude(),
                properties.getPropertySource().getExclude())),
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
