package io.github.jsonmmap.spring;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.source.ConfigurationPropertyName;
import org.springframework.cloud.context.scope.refresh.RefreshScope;
import org.springframework.context.ApplicationListener;

/**
 * Refreshes {@link RefreshScope} beans after each applied change, bean by bean: a refresh-scoped
 * {@code @ConfigurationProperties} bean only when a changed key is under its prefix, any other
 * (whose {@code @Value}s cannot be told) on every change with changed keys. Never {@code
 * EnvironmentChangeEvent} (Spring Cloud rebinds every {@code @ConfigurationProperties} bean of the
 * context on it; {@code SharedConfigPropertiesRebinder} rebinds the affected ones) nor {@code
 * ContextRefresher.refresh()} (it reloads every configuration source and cannot see a change made
 * inside a live property source).
 *
 * <p>Declared by the starter where spring-cloud-context is present; a bean of this type declared by
 * the application replaces it. Thread-safe.
 */
public class SharedConfigCloudRefresher implements ApplicationListener<SharedConfigChangedEvent> {

  private record Scoped(String name, ConfigurationPropertyName prefix) {}

  private final ConfigurableListableBeanFactory beanFactory;
  private final RefreshScope refreshScope;
  private volatile List<Scoped> scoped;

  /**
   * @param beanFactory where the refresh-scoped beans are defined
   * @param refreshScope the scope to refresh them in; null to refresh nothing
   */
  public SharedConfigCloudRefresher(
      ConfigurableListableBeanFactory beanFactory, RefreshScope refreshScope) {
    this.beanFactory = beanFactory;
    this.refreshScope = refreshScope;
  }

  @Override
  public void onApplicationEvent(SharedConfigChangedEvent event) {
    if (refreshScope == null || event.propertyNames().isEmpty()) {
      return;
    }
    List<ConfigurationPropertyName> changed = adapt(event.propertyNames());
    for (Scoped bean : scoped()) {
      if (bean.prefix() == null || intersects(bean.prefix(), changed)) {
        refreshScope.refresh(bean.name());
      }
    }
  }

  private static List<ConfigurationPropertyName> adapt(Set<String> names) {
    List<ConfigurationPropertyName> adapted = new ArrayList<>();
    for (String name : names) {
      adapted.add(ConfigurationPropertyName.adapt(name, '.'));
    }
    return adapted;
  }

  private static boolean intersects(
      ConfigurationPropertyName prefix, List<ConfigurationPropertyName> changed) {
    for (ConfigurationPropertyName name : changed) {
      if (prefix.isEmpty()
          || prefix.equals(name)
          || prefix.isAncestorOf(name)
          || name.isAncestorOf(prefix)) {
        return true;
      }
    }
    return false;
  }

  private List<Scoped> scoped() {
    List<Scoped> current = scoped;
    if (current == null) {
      List<Scoped> found = new ArrayList<>();
      for (String name : beanFactory.getBeanDefinitionNames()) {
        BeanDefinition definition = beanFactory.getMergedBeanDefinition(name);
        if (!"refresh".equals(definition.getScope())) {
          continue;
        }
        ConfigurationProperties annotation =
            beanFactory.findAnnotationOnBean(name, ConfigurationProperties.class, false);
        ConfigurationPropertyName prefix = null;
        if (annotation != null) {
          String value = annotation.prefix().isEmpty() ? annotation.value() : annotation.prefix();
          prefix = ConfigurationPropertyName.of(value);
        }
        found.add(new Scoped(name, prefix));
      }
      current = List.copyOf(found);
      scoped = current;
    }
    return current;
  }
}
