package io.github.jsonmmap.spring.autoconfigure;

import io.github.jsonmmap.Role;
import io.github.jsonmmap.spring.SharedConfigTemplate;
import io.github.jsonmmap.spring.actuate.JsonMmapEndpoint;
import io.github.jsonmmap.spring.actuate.JsonMmapWritableEndpoint;
import java.util.List;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint;
import org.springframework.boot.actuate.endpoint.SanitizingFunction;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;

/**
 * The {@code jsonmmap} actuator endpoint where the actuator is present and the endpoint is
 * available (exposed and not turned off): {@link JsonMmapWritableEndpoint} when this process may
 * write the file (role writer or auto), {@link JsonMmapEndpoint} for a reader. Its access is
 * read-only unless {@code management.endpoint.jsonmmap.access} says otherwise; values are masked
 * per {@code management.endpoint.jsonmmap.show-values}.
 */
@AutoConfiguration(after = JsonMmapAutoConfiguration.class)
@ConditionalOnClass({Endpoint.class, ConditionalOnAvailableEndpoint.class})
@ConditionalOnBean(SharedConfigTemplate.class)
@ConditionalOnAvailableEndpoint(JsonMmapEndpoint.class)
@EnableConfigurationProperties(JsonMmapEndpointProperties.class)
public final class JsonMmapEndpointAutoConfiguration {

  @Bean
  @ConditionalOnMissingBean
  JsonMmapEndpoint jsonMmapEndpoint(
      SharedConfigTemplate template,
      JsonMmapEndpointProperties properties,
      ObjectProvider<SanitizingFunction> sanitizingFunctions) {
    List<SanitizingFunction> functions = sanitizingFunctions.orderedStream().toList();
    if (template.file().options().role() == Role.READER) {
      return new JsonMmapEndpoint(
          template, properties.getShowValues(), properties.getRoles(), functions);
    }
    return new JsonMmapWritableEndpoint(
        template, properties.getShowValues(), properties.getRoles(), functions);
  }
}
