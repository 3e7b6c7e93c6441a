package io.github.jsonmmap.spring.autoconfigure;

import io.github.jsonmmap.JsonMmapException;
import io.github.jsonmmap.JsonMmapFile;
import io.github.jsonmmap.spring.env.JsonMmapPropertySource;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.commons.logging.Log;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.beans.factory.support.BeanDefinitionRegistry;
import org.springframework.beans.factory.support.BeanDefinitionRegistryPostProcessor;
import org.springframework.beans.factory.support.DefaultSingletonBeanRegistry;
import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.context.config.ConfigDataEnvironmentPostProcessor;
import org.springframework.boot.context.event.ApplicationFailedEvent;
import org.springframework.boot.logging.DeferredLogFactory;
import org.springframework.context.ApplicationEvent;
import org.springframework.context.ConfigurableApplicationContext;
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
    JsonMmapProperties properties = SharedFileOptions.bind(environment);
    Path path = SharedFileOptions.configuredFile(properties, environment);
    if (path == null) {
      if (properties.isEnabled()) {
        log.info(
            "jsonmmap: no shared file declared (spring.config.import=jsonmmap:<path> or"
                + " jsonmmap.file), nothing to do");
      }
      return;
    }
    JsonMmapFile file;
    try {
      file = SharedFiles.acquire(SharedFileOptions.from(properties, path, false));
    } catch (JsonMmapException e) {
      if (application == null) {
        throw e;
      }
      // A test's @DynamicPropertySource or a context customizer, applied after this, may name
      // another file: try again once they have, before any bean definition is read. The same
      // failure then fails the start.
      log.debug("jsonmmap: " + path + " not opened yet (" + e.getMessage() + "); trying again");
      application.addInitializers(
          context -> context.addBeanFactoryPostProcessor(new DeferredInstall(context)));
      return;
    }
    SharedFileOptions.install(environment, file, properties);
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

  /**
   * The second try, when the file could not be opened from the configuration files alone: with the
   * environment as the context's initializers and customizers left it, before the configuration
   * classes are read (so their conditions see shared values too). Fails the start as the first try
   * would have when it fails again; the context's end releases the file.
   */
  private static final class DeferredInstall implements BeanDefinitionRegistryPostProcessor {
    private final ConfigurableApplicationContext context;

    DeferredInstall(ConfigurableApplicationContext context) {
      this.context = context;
    }

    @Override
    public void postProcessBeanDefinitionRegistry(BeanDefinitionRegistry registry) {
      ConfigurableEnvironment environment = context.getEnvironment();
      if (environment.getPropertySources().contains(JsonMmapPropertySource.NAME)) {
        return;
      }
      JsonMmapProperties properties = SharedFileOptions.bind(environment);
      Path path = SharedFileOptions.configuredFile(properties, environment);
      if (path == null) {
        return;
      }
      JsonMmapFile file = SharedFiles.acquire(SharedFileOptions.from(properties, path, false));
      if (!(registry instanceof DefaultSingletonBeanRegistry singletons)) {
        SharedFiles.release(file);
        throw new IllegalStateException(
            "jsonmmap: cannot tie " + path + " to the context's life: " + registry);
      }
      singletons.registerDisposableBean(
          "jsonmmap.deferredSharedFile", () -> SharedFiles.release(file));
      SharedFileOptions.install(environment, file, properties);
    }

    @Override
    public void postProcessBeanFactory(ConfigurableListableBeanFactory beanFactory) {
      // Everything happens before the bean definitions are read.
    }
  }
}
