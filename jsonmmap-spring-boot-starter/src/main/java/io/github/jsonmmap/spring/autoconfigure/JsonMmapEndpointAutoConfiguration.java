package io.github.jsonmmap.spring.autoconfigure;

import io.github.jsonmmap.JsonMmapFile;
import io.github.jsonmmap.Role;
import io.github.jsonmmap.spring.SharedConfigRefresher;
import io.github.jsonmmap.spring.SharedConfigTemplate;
import io.github.jsonmmap.spring.actuate.JsonMmapEndpoint;
import io.github.jsonmmap.spring.actuate.JsonMmapJsonWriteHandlerMapping;
import io.github.jsonmmap.spring.actuate.JsonMmapWritableEndpoint;
import java.util.List;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint;
import org.springframework.boot.actuate.autoconfigure.endpoint.expose.EndpointExposure;
import org.springframework.boot.actuate.autoconfigure.endpoint.web.WebEndpointProperties;
import org.springframework.boot.actuate.autoconfigure.web.server.ConditionalOnManagementPort;
import org.springframework.boot.actuate.autoconfigure.web.server.ManagementPortType;
import org.springframework.boot.actuate.endpoint.Access;
import org.springframework.boot.actuate.endpoint.EndpointAccessResolver;
import org.springframework.boot.actuate.endpoint.EndpointId;
import org.springframework.boot.actuate.endpoint.SanitizingFunction;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The {@code jsonmmap} actuator endpoint where the actuator is present and the endpoint is
 * available (exposed and not turned off): {@link JsonMmapWritableEndpoint} when this process may
 * write the file (role writer or auto), {@link JsonMmapEndpoint} for a reader. Its access is
 * read-only unless {@code management.endpoint.jsonmmap.access} says otherwise; values are masked
 * per {@code management.endpoint.jsonmmap.show-values}.
 */
@AutoConfiguration(
    after = JsonMmapAutoConfiguration.class,
    afterName = {
      "org.springframework.boot.actuate.autoconfigure.endpoint.EndpointAutoConfiguration",
      "org.springframework.boot.actuate.autoconfigure.endpoint.web.WebEndpointAutoConfiguration"
    })
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
      ObjectProvider<SanitizingFunction> sanitizingFunctions,
      ObjectProvider<SharedConfigRefresher> refresher) {
    List<SanitizingFunction> functions = sanitizingFunctions.orderedStream().toList();
    JsonMmapEndpoint endpoint =
        template.file().options().role() == Role.READER
            ? new JsonMmapEndpoint(
                template, properties.getShowValues(), properties.getRoles(), functions)
            : new JsonMmapWritableEndpoint(
                template, properties.getShowValues(), properties.getRoles(), functions);
    refresher.ifAvailable(endpoint::setRefresher);
    return endpoint;
  }

  /** Takes the endpoint's POSTs with JSON bodies (the actuator's handler reads strings only). */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
  @ConditionalOnClass(name = "org.springframework.web.servlet.handler.AbstractHandlerMapping")
  @ConditionalOnManagementPort(ManagementPortType.SAME)
  // Over HTTP only when the endpoint is exposed over HTTP (not when only JMX exposes it).
  @ConditionalOnAvailableEndpoint(
      endpoint = JsonMmapEndpoint.class,
      exposure = EndpointExposure.WEB)
  static class JsonWrites {

    @Bean
    @ConditionalOnMissingBean
    JsonMmapJsonWriteHandlerMapping jsonMmapJsonWriteHandlerMapping(
        JsonMmapEndpoint endpoint,
        ObjectProvider<WebEndpointProperties> web,
        ObjectProvider<EndpointAccessResolver> access) {
      EndpointId id = EndpointId.of("jsonmmap");
      WebEndpointProperties properties = web.getIfAvailable(WebEndpointProperties::new);
      String base = properties.getBasePath();
      String path =
          (base.endsWith("/") ? base : base + "/")
              + properties.getPathMapping().getOrDefault(id.toString(), id.toString());
      EndpointAccessResolver resolver = access.getIfAvailable();
      boolean writable =
          resolver != null && resolver.accessFor(id, Access.READ_ONLY) == Access.UNRESTRICTED;
      return new JsonMmapJsonWriteHandlerMapping(
          path,
          endpoint instanceof JsonMmapWritableEndpoint writes ? writes : null,
          // Not the application's mapper: request values keep their exact numbers.
          JsonMmapFile.exactMapper(),
          writable);
    }
  }
}
