package io.github.jsonmmap.spring.autoconfigure;

import io.github.jsonmmap.spring.env.JsonMmapPropertySource;
import java.nio.file.Path;
import org.springframework.boot.autoconfigure.condition.ConditionOutcome;
import org.springframework.boot.autoconfigure.condition.SpringBootCondition;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.Environment;
import org.springframework.core.type.AnnotatedTypeMetadata;

/**
 * Matches when a shared file is declared: by a {@code jsonmmap:} import (its property source is in
 * the environment), by {@code jsonmmap.file}, or by an explicit {@code jsonmmap.enabled=true}; and
 * {@code jsonmmap.enabled} is not false.
 */
final class OnSharedFileCondition extends SpringBootCondition {

  @Override
  public ConditionOutcome getMatchOutcome(
      ConditionContext context, AnnotatedTypeMetadata metadata) {
    Environment environment = context.getEnvironment();
    JsonMmapProperties properties = SharedFileOptions.bind(environment);
    if (!properties.isEnabled()) {
      return ConditionOutcome.noMatch("jsonmmap.enabled=false");
    }
    if (environment instanceof ConfigurableEnvironment configurable
        && configurable.getPropertySources().contains(JsonMmapPropertySource.NAME)) {
      return ConditionOutcome.match("the jsonmmap property source is in the environment");
    }
    Path file = SharedFileOptions.configuredFile(properties, environment);
    return file != null
        ? ConditionOutcome.match("shared file " + file)
        : ConditionOutcome.noMatch(
            "no shared file declared (spring.config.import=jsonmmap:<path> or jsonmmap.file)");
  }
}
