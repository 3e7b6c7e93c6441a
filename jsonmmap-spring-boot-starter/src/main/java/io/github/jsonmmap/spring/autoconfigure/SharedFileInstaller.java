package io.github.jsonmmap.spring.autoconfigure;

import io.github.jsonmmap.JsonMmapFile;
import io.github.jsonmmap.spring.env.JsonMmapPropertySource;
import java.nio.file.Path;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.config.BeanFactoryPostProcessor;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.context.EnvironmentAware;
import org.springframework.core.Ordered;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.Environment;

/**
 * Puts the {@code jsonmmap} property source in place before any bean is created, when the
 * environment post-processor could not: the file was declared after it ran
 * ({@code @DynamicPropertySource}, a context customizer) or it did not run at all (a plain
 * application context). So {@code @ConfigurationProperties} and {@code @Value} see shared values
 * from their first binding in every case. Releases its use of the file when the context closes.
 */
final class SharedFileInstaller
    implements BeanFactoryPostProcessor, EnvironmentAware, DisposableBean, Ordered {

  private ConfigurableEnvironment environment;
  private JsonMmapFile file;

  @Override
  public void setEnvironment(Environment environment) {
    this.environment =
        environment instanceof ConfigurableEnvironment configurable ? configurable : null;
  }

  @Override
  public int getOrder() {
    return Ordered.HIGHEST_PRECEDENCE;
  }

  @Override
  public void postProcessBeanFactory(ConfigurableListableBeanFactory beanFactory) {
    if (environment == null) {
      return;
    }
    JsonMmapProperties properties = SharedFileOptions.bind(environment);
    Path path = SharedFileOptions.configuredFile(properties, environment);
    if (path == null) {
      return;
    }
    if (environment.getPropertySources().get(JsonMmapPropertySource.NAME)
            instanceof JsonMmapPropertySource existing
        && existing.getSource().path().equals(path)
        && existing.getSource().options().role() == properties.getRole()) {
      return;
    }
    file = SharedFiles.acquire(SharedFileOptions.from(properties, path, false));
    environment.getPropertySources().remove(JsonMmapPropertySource.NAME);
    SharedFileOptions.install(environment, file, properties);
  }

  @Override
  public void destroy() {
    if (file != null) {
      SharedFiles.release(file);
      file = null;
    }
  }
}
