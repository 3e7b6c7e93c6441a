package io.github.jsonmmap.spring;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.beans.factory.ObjectFactory;
import org.springframework.beans.factory.config.BeanFactoryPostProcessor;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.beans.factory.config.Scope;
import org.springframework.beans.factory.support.AbstractBeanDefinition;
import org.springframework.boot.context.properties.bind.BindMethod;

/**
 * The scope of constructor-bound {@code @ConfigurationProperties} beans (records, immutable
 * classes), named {@value #NAME}: one instance per bean, like a singleton, that {@link
 * SharedConfigPropertiesRebinder} replaces with a newly bound instance when the shared document
 * changes a key under the bean's prefix. A constructor-bound instance cannot change, and a record
 * cannot be proxied, so the bean is replaced instead: {@code getBean}, an {@code ObjectProvider} or
 * a {@code @RefreshScope} bean created after the change sees the new instance; a singleton that had
 * the old one injected keeps it.
 *
 * <p>As a {@link BeanFactoryPostProcessor} it registers itself and moves the application's
 * constructor-bound {@code @ConfigurationProperties} singletons into itself (Spring's own stay
 * singletons).
 *
 * <p>Thread-safe.
 */
public final class SharedConfigScope implements Scope, BeanFactoryPostProcessor {

  /** The name of the scope. */
  public static final String NAME = "jsonmmap";

  private static final String BIND_METHOD_ATTRIBUTE = BindMethod.class.getName();

  private final Map<String, Object> instances = new ConcurrentHashMap<>();

  @Override
  public void postProcessBeanFactory(ConfigurableListableBeanFactory beanFactory) {
    beanFactory.registerScope(NAME, this);
    for (String name : beanFactory.getBeanDefinitionNames()) {
      if (beanFactory.getBeanDefinition(name) instanceof AbstractBeanDefinition definition
          && definition.getAttribute(BIND_METHOD_ATTRIBUTE) == BindMethod.VALUE_OBJECT
          && definition.isSingleton()
          && definition.getInstanceSupplier() != null
          && !isSpringOwn(definition.getBeanClassName())) {
        definition.setScope(NAME);
      }
    }
  }

  private static boolean isSpringOwn(String className) {
    return className == null || className.startsWith("org.springframework.");
  }

  @Override
  public Object get(String name, ObjectFactory<?> objectFactory) {
    Object existing = instances.get(name);
    if (existing != null) {
      return existing;
    }
    // Not computeIfAbsent: creating the bean may create other beans of this scope.
    Object created = objectFactory.getObject();
    Object raced = instances.putIfAbsent(name, created);
    return raced != null ? raced : created;
  }

  /** Puts a newly bound instance in place of the current one. */
  void replace(String name, Object instance) {
    instances.put(name, instance);
  }

  @Override
  public Object remove(String name) {
    return instances.remove(name);
  }

  @Override
  public void registerDestructionCallback(String name, Runnable callback) {
    // Constructor-bound properties hold no resources; nothing to destroy.
  }

  @Override
  public Object resolveContextualObject(String key) {
    return null;
  }

  @Override
  public String getConversationId() {
    return NAME;
  }
}
