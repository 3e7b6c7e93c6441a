package io.github.jsonmmap.spring;

import java.beans.PropertyDescriptor;
import java.lang.reflect.Constructor;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.springframework.aop.scope.ScopedProxyUtils;
import org.springframework.aop.support.AopUtils;
import org.springframework.beans.BeanUtils;
import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.beans.factory.support.AbstractBeanDefinition;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.ConfigurationPropertiesBindingPostProcessor;
import org.springframework.boot.context.properties.source.ConfigurationPropertyName;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.CollectionFactory;
import org.springframework.objenesis.SpringObjenesis;
import org.springframework.util.ReflectionUtils;

/**
 * Rebinds the {@code @ConfigurationProperties} beans a change of the shared document touches, and
 * only those, with Boot's own binding (relaxed names, conversions, {@code @Validated}), without
 * Spring Cloud. Two steps, so that a bad value changes nothing: {@link #prepare(Set)} binds every
 * affected bean on a fresh copy and throws if any fails; the step it returns puts the copies in
 * place; nothing is bound while they are put in place. A JavaBean is updated in place from its copy
 * (properties the document no longer sets go back to their defaults; for a bean without a default
 * constructor the copy is a duplicate of the live bean, so they keep their values, as Spring
 * Cloud's rebinding keeps them); a constructor-bound bean (a record) is bound anew and replaced in
 * {@link SharedConfigScope}. Beans in another scope ({@code @RefreshScope}) are left to that scope.
 *
 * <p>Thread-safe; meant to be called from one refresher thread.
 */
public final class SharedConfigPropertiesRebinder {

  private record Target(
      String beanName, ConfigurationPropertyName prefix, Class<?> type, boolean valueObject) {}

  private static final SpringObjenesis OBJENESIS = new SpringObjenesis();

  private final ConfigurableApplicationContext context;
  private final Map<String, AtomicLong> rebinds = new ConcurrentHashMap<>();
  private volatile List<Target> targets;

  public SharedConfigPropertiesRebinder(ConfigurableApplicationContext context) {
    this.context = context;
  }

  /**
   * Binds copies of the beans whose prefix intersects {@code propertyNames} (Spring names) and
   * returns what puts them in place.
   *
   * @throws RuntimeException the binding failure of the first bean that cannot be bound; nothing
   *     has changed
   */
  public Runnable prepare(Set<String> propertyNames) {
    List<ConfigurationPropertyName> changed = new ArrayList<>();
    for (String name : propertyNames) {
      ConfigurationPropertyName adapted = ConfigurationPropertyName.adapt(name, '.');
      if (!adapted.isEmpty()) {
        changed.add(adapted);
      }
    }
    List<Runnable> commits = new ArrayList<>();
    for (Target target : targets()) {
      if (intersects(target.prefix(), changed)) {
        commits.add(prepare(target));
      }
    }
    return () -> commits.forEach(Runnable::run);
  }

  /** How many times the bean of this name was rebound (for tests and diagnostics). */
  public long rebindCount(String beanName) {
    AtomicLong count = rebinds.get(beanName);
    return count == null ? 0 : count.get();
  }

  private static boolean intersects(
      ConfigurationPropertyName prefix, List<ConfigurationPropertyName> changed) {
    if (prefix.isEmpty()) {
      return !changed.isEmpty();
    }
    for (ConfigurationPropertyName name : changed) {
      if (prefix.equals(name) || prefix.isAncestorOf(name) || name.isAncestorOf(prefix)) {
        return true;
      }
    }
    return false;
  }

  private Runnable prepare(Target target) {
    ConfigurableListableBeanFactory beanFactory = context.getBeanFactory();
    if (target.valueObject()) {
      Object fresh = instanceSupplier(target.beanName()).get();
      SharedConfigScope scope =
          (SharedConfigScope) beanFactory.getRegisteredScope(SharedConfigScope.NAME);
      return () -> {
        scope.replace(target.beanName(), fresh);
        counted(target);
      };
    }
    ConfigurationPropertiesBindingPostProcessor binding =
        beanFactory.getBean(
            ConfigurationPropertiesBindingPostProcessor.BEAN_NAME,
            ConfigurationPropertiesBindingPostProcessor.class);
    Object live = beanFactory.getBean(target.beanName());
    Constructor<?> constructor = defaultConstructor(target.type());
    // Without a default constructor the trial runs on a duplicate of the live bean: bound the way
    // Spring Cloud binds in place (what the document no longer sets keeps its value), but nothing
    // binds in the commit, so a value that does not bind rejects the version with nothing applied.
    Object copy =
        constructor != null
            ? BeanUtils.instantiateClass(constructor)
            : duplicate(live, new IdentityHashMap<>());
    binding.postProcessBeforeInitialization(copy, target.beanName());
    return () -> {
      copyInto(copy, live);
      counted(target);
    };
  }

  private void counted(Target target) {
    rebinds.computeIfAbsent(target.beanName(), n -> new AtomicLong()).incrementAndGet();
  }

  private Supplier<?> instanceSupplier(String beanName) {
    BeanDefinition definition = context.getBeanFactory().getMergedBeanDefinition(beanName);
    return ((AbstractBeanDefinition) definition).getInstanceSupplier();
  }

  private static Constructor<?> defaultConstructor(Class<?> type) {
    try {
      return type.getDeclaredConstructor();
    } catch (NoSuchMethodException e) {
      return null;
    }
  }

  /**
   * A duplicate of a bean made without its constructor: its fields copied, and the values the
   * binder changes in place (collections, maps, nested beans it reaches through a getter)
   * duplicated too, so that binding the duplicate leaves the live bean untouched.
   */
  private static Object duplicate(Object live, Map<Object, Object> seen) {
    Object known = seen.get(live);
    if (known != null) {
      return known;
    }
    Object copy = OBJENESIS.newInstance(live.getClass(), false);
    seen.put(live, copy);
    Set<String> properties = new HashSet<>();
    for (PropertyDescriptor property : BeanUtils.getPropertyDescriptors(live.getClass())) {
      if (property.getReadMethod() != null) {
        properties.add(property.getName());
      }
    }
    ReflectionUtils.doWithFields(
        live.getClass(),
        field -> {
          ReflectionUtils.makeAccessible(field);
          Object value = field.get(live);
          field.set(
              copy, properties.contains(field.getName()) ? duplicateValue(value, seen) : value);
        },
        field -> !Modifier.isStatic(field.getModifiers()));
    return copy;
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static Object duplicateValue(Object value, Map<Object, Object> seen) {
    if (value == null || value.getClass().isEnum() || value.getClass().isArray()) {
      return value;
    }
    try {
      if (value instanceof Collection collection) {
        Collection copy =
            CollectionFactory.createCollection(collection.getClass(), collection.size());
        copy.addAll(collection);
        return copy;
      }
      if (value instanceof Map map) {
        Map copy = CollectionFactory.createMap(map.getClass(), map.size());
        copy.putAll(map);
        return copy;
      }
    } catch (IllegalArgumentException | UnsupportedOperationException e) {
      // An unmodifiable collection or map: the binder replaces it, never changes it.
      return value;
    }
    String type = value.getClass().getName();
    if (type.startsWith("java.") || type.startsWith("javax.") || type.startsWith("jdk.")) {
      return value;
    }
    return duplicate(value, seen);
  }

  /**
   * Copies every property of a freshly bound copy onto the live bean: writable ones by their
   * setter, read-only collections, maps and nested beans by content, as Boot bound them.
   */
  @SuppressWarnings({"unchecked", "rawtypes"})
  private static void copyInto(Object copy, Object live) {
    Object target = live;
    for (PropertyDescriptor property : BeanUtils.getPropertyDescriptors(copy.getClass())) {
      if (property.getReadMethod() == null || "class".equals(property.getName())) {
        continue;
      }
      try {
        ReflectionUtils.makeAccessible(property.getReadMethod());
        Object value = property.getReadMethod().invoke(copy);
        if (property.getWriteMethod() != null) {
          ReflectionUtils.makeAccessible(property.getWriteMethod());
          property.getWriteMethod().invoke(target, value);
          continue;
        }
        Object current = property.getReadMethod().invoke(target);
        if (current instanceof Collection collection && value instanceof Collection values) {
          collection.clear();
          collection.addAll(values);
        } else if (current instanceof Map map && value instanceof Map values) {
          map.clear();
          map.putAll(values);
        } else if (current != null
            && value != null
            && current.getClass() == value.getClass()
            && !current.getClass().getName().startsWith("java.")) {
          copyInto(value, current);
        }
      } catch (ReflectiveOperationException e) {
        throw new IllegalStateException(
            "cannot copy rebound property: bean="
                + live.getClass().getName()
                + " property="
                + property.getName(),
            e);
      }
    }
  }

  private List<Target> targets() {
    List<Target> current = targets;
    if (current == null) {
      current = findTargets();
      targets = current;
    }
    return current;
  }

  private List<Target> findTargets() {
    ConfigurableListableBeanFactory beanFactory = context.getBeanFactory();
    List<Target> found = new ArrayList<>();
    for (String name : beanFactory.getBeanDefinitionNames()) {
      BeanDefinition definition = beanFactory.getMergedBeanDefinition(name);
      String scope = definition.getScope();
      boolean singleton = definition.isSingleton();
      boolean ours = SharedConfigScope.NAME.equals(scope);
      if ((!singleton && !ours)
          || definition.isAbstract()
          || ScopedProxyUtils.isScopedTarget(name)) {
        continue;
      }
      ConfigurationProperties annotation =
          beanFactory.findAnnotationOnBean(name, ConfigurationProperties.class, false);
      Class<?> type = beanFactory.getType(name, false);
      if (annotation == null || type == null || AopUtils.isAopProxy(beanFactory.getBean(name))) {
        continue;
      }
      String prefix = annotation.prefix().isEmpty() ? annotation.value() : annotation.prefix();
      found.add(new Target(name, ConfigurationPropertyName.of(prefix), type, ours));
    }
    return List.copyOf(found);
  }
}
