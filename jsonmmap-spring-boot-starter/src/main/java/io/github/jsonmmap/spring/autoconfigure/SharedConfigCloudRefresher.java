package io.github.jsonmmap.spring.autoconfigure;

import io.github.jsonmmap.spring.SharedConfigChangedEvent;
import org.springframework.cloud.context.environment.EnvironmentChangeEvent;
import org.springframework.cloud.context.scope.refresh.RefreshScope;
import org.springframework.context.ApplicationContext;
import org.springframework.context.ApplicationListener;

/**
 * Hands each applied change to Spring Cloud: {@link EnvironmentChangeEvent} with the changed
 * property names (so {@code @ConfigurationProperties} beans rebind), then {@link
 * RefreshScope#refreshAll()} (so {@code @RefreshScope} beans are re-created). Never {@code
 * ContextRefresher.refresh()}: that reloads every configuration source and cannot see a change made
 * inside a live property source.
 */
final class SharedConfigCloudRefresher implements ApplicationListener<SharedConfigChangedEvent> {

  private final ApplicationContext context;
  private final RefreshScope refreshScope;

  SharedConfigCloudRefresher(ApplicationContext context, RefreshScope refreshScope) {
    this.context = context;
    this.refreshScope = refreshScope;
  }

  @Override
  public void onApplicationEvent(SharedConfigChangedEvent event) {
    context.publishEvent(new EnvironmentChangeEvent(context, event.propertyNames()));
    if (refreshScope != null) {
      refreshScope.refreshAll();
    }
  }
}
