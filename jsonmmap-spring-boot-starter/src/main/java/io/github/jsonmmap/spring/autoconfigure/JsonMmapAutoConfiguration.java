package io.github.jsonmmap.spring.autoconfigure;

import io.github.jsonmmap.JsonMmapFile;
import io.github.jsonmmap.JsonMmapOptions;
import io.github.jsonmmap.spring.SharedConfigRefresher;
import io.github.jsonmmap.spring.SharedConfigTemplate;
import io.github.jsonmmap.spring.SharedConfigValidator;
import io.github.jsonmmap.spring.env.JsonMmapPropertySource;
import io.github.jsonmmap.spring.env.PropertySourceFilter;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.annotation.Bean;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.PropertySource;
import tools.jackson.databind.json.JsonMapper;

/**
 * The shared file, its live property source, {@link SharedConfigTemplate} and the refresher. {@code
 * jsonmmap.enabled=false} turns everything off.
 */
@AutoConfiguration(
    afterName = "org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration")
@ConditionalOnProperty(prefix = "jsonmmap", name = "enabled", matchIfMissing = true)
@EnableConfigurationProperties(JsonMmapProperties.class)
public final class JsonMmapAutoConfiguration {

  /**
   * The handle opened by the environment post-processor (or opened here when it did not run, as in
   * a plain application context), with the {@code jsonmmap} property source in place.
   */
  @Bean(destroyMethod = "")
  @ConditionalOnMissingBean
  JsonMmapFile jsonMmapFile(JsonMmapProperties properties, ConfigurableEnvironment environment) {
    JsonMmapOptions options = SharedFileOptions.from(properties, environment);
    PropertySource<?> existing = environment.getPropertySources().get(JsonMmapPropertySource.NAME);
    if (existing instanceof JsonMmapPropertySource source
        && source.getSource().path().equals(options.path())) {
      SharedFiles.retain(source.getSource());
      return source.getSource();
    }
    JsonMmapFile file = SharedFiles.acquire(options);
    if (existing != null) {
      environment.getPropertySources().remove(JsonMmapPropertySource.NAME);
    }
    SharedFileOptions.place(
        environment.getPropertySources(),
        new JsonMmapPropertySource(
            file,
            properties.getPropertySource().getPrefix(),
            new PropertySourceFilter(
                properties.getPropertySource().getInclude(),
                properties.getPropertySource().getExclude())),
        properties.getPropertySource().getPrecedence());
    return file;
  }

  /** Releases this context's use of the file when the context closes. */
  @Bean
  SharedFileLease jsonMmapFileLease(JsonMmapFile file) {
    return new SharedFileLease(file);
  }

  @Bean
  @ConditionalOnMissingBean
  SharedConfigTemplate sharedConfigTemplate(
      JsonMmapFile file,
      ObjectProvider<SharedConfigValidator> validators,
      ObjectProvider<JsonMapper> mapper) {
    return new SharedConfigTemplate(
        file,
        validators.orderedStream().toList(),
        mapper.getIfAvailable(() -> JsonMapper.builder().build()));
  }

  @Bean
  @ConditionalOnMissingBean
  SharedConfigRefresher sharedConfigRefresher(
      JsonMmapFile file, JsonMmapProperties properties, ApplicationEventPublisher publisher) {
    return new SharedConfigRefresher(
        file,
        properties.getPropertySource().getPrefix(),
        properties.getRefresh().getCoalesce(),
        publisher);
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
