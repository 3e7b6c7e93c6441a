package io.github.jsonmmap.spring.autoconfigure;

import io.github.jsonmmap.JsonMmapFile;
import io.github.jsonmmap.spring.SharedConfigPropertiesRebinder;
import io.github.jsonmmap.spring.SharedConfigRefresher;
import io.github.jsonmmap.spring.SharedConfigScope;
import io.github.jsonmmap.spring.SharedConfigTemplate;
import io.github.jsonmmap.spring.SharedConfigValidator;
import io.github.jsonmmap.spring.env.JsonMmapPropertySource;
import io.github.jsonmmap.spring.env.PropertySourceFilter;
import java.nio.file.Path;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.PropertySource;

/**
 * The shared file, its live property source, {@link SharedConfigTemplate} and the refresher, when a
 * file is declared ({@code spring.config.import=jsonmmap:<path>} or {@code jsonmmap.file}); nothing
 * otherwise. {@code jsonmmap.enabled=false} turns everything off.
 */
@AutoConfiguration
@Conditional(OnSharedFileCondition.class)
@EnableConfigurationProperties(JsonMmapProperties.class)
public final class JsonMmapAutoConfiguration {

  /**
   * The starter's own handle and its lease, unless the application declares a {@link JsonMmapFile}
   * bean: a handle the application made is the application's to close, never the starter's.
   */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnMissingBean(JsonMmapFile.class)
  static class SharedFileConfiguration {

    /**
     * The handle opened by the environment post-processor (or opened here when it did not run, as
     * in a plain application context), with the {@code jsonmmap} property source in place.
     */
    @Bean(destroyMethod = "")
    JsonMmapFile jsonMmapFile(JsonMmapProperties properties, ConfigurableEnvironment environment) {
      PropertySource<?> existing =
          environment.getPropertySources().get(JsonMmapPropertySource.NAME);
      Path path = SharedFileOptions.configuredFile(properties, environment);
      if (existing instanceof JsonMmapPropertySource source) {
        JsonMmapFile opened = source.getSource();
        if (path == null) {
          path = opened.path();
        }
        if (opened.path().equals(path) && opened.options().role() == properties.getRole()) {
          SharedFiles.retain(opened);
          return opened;
        }
      }
      JsonMmapFile file = SharedFiles.acquire(SharedFileOptions.from(properties, path, false));
      if (existing != null) {
        environment.getPropertySources().remove(JsonMmapPropertySource.NAME);
      }
      SharedFileOptions.install(environment, file, properties);
      return file;
    }

    /** Releases this context's use of the file when the context closes. */
    @Bean
    SharedFileLease jsonMmapFileLease(JsonMmapFile file) {
      return new SharedFileLease(file);
    }
  }

  @Bean
  @ConditionalOnMissingBean
  SharedConfigTemplate sharedConfigTemplate(
      JsonMmapFile file,
      ObjectProvider<SharedConfigValidator> validators,
      JsonMmapProperties properties,
      ConfigurableEnvironment environment) {
    return new SharedConfigTemplate(
        file,
        validators.orderedStream().toList(),
        environment,
        properties.getPropertySource().getPrefix());
  }

  /** Opens a file declared after the environment post-processor ran, before any bean binds. */
  @Bean
  static SharedFileInstaller jsonMmapSharedFileInstaller() {
    return new SharedFileInstaller();
  }

  /** Makes constructor-bound {@code @ConfigurationProperties} beans replaceable on change. */
  @Bean
  static SharedConfigScope jsonMmapSharedConfigScope() {
    return new SharedConfigScope();
  }

  @Bean
  @ConditionalOnMissingBean
  SharedConfigPropertiesRebinder sharedConfigPropertiesRebinder(
      ConfigurableApplicationContext context) {
    return new SharedConfigPropertiesRebinder(context);
  }

  @Bean
  @ConditionalOnMissingBean
  SharedConfigRefresher sharedConfigRefresher(
      JsonMmapFile file,
      JsonMmapProperties properties,
      ApplicationEventPublisher publisher,
      SharedConfigPropertiesRebinder rebinder,
      ConfigurableEnvironment environment) {
    SharedConfigRefresher refresher =
        new SharedConfigRefresher(
            file,
            properties.getPropertySource().getPrefix(),
            properties.getRefresh().getCoalesce(),
            publisher);
    if (properties.getRefresh().isEnabled()) {
      refresher.setPreparer(rebinder::prepare);
    }
    JsonMmapProperties.PropertySource source = properties.getPropertySource();
    refresher.setExcluded(
        new PropertySourceFilter(source.getInclude(), source.getExclude())::excludes);
    for (PropertySource<?> candidate : environment.getPropertySources()) {
      if (candidate instanceof JsonMmapPropertySource shared && shared.getSource() == file) {
        refresher.setInitial(shared::takeFirstServed);
      }
    }
    return refresher;
  }

  /** Gives the file back to {@link SharedFiles} on shutdown (the last user closes it). */
  static final class SharedFileLease implements DisposableBean {
    private final JsonMmapFile file;

    SharedFileLease(JsonMmapFile file) {
      this.file = file;
    }

    @Override
    public void destroy() {
      SharedFiles.release(file);
    }
  }
}
