package io.github.jsonmmap.spring;

import java.util.Collection;
import tools.jackson.databind.node.ObjectNode;

/**
 * Checks a document before the writer publishes it. Every validator bean runs before every publish,
 * update, merge, set, remove and rollback through {@link SharedConfigTemplate}; if any returns a
 * problem, nothing is written and a {@link SharedConfigValidationException} lists them all.
 */
@FunctionalInterface
public interface SharedConfigValidator {

  /**
   * Returns what is wrong with {@code candidate}, one sentence each; empty when it may be
   * published. Must not modify the candidate.
   */
  Collection<String> validate(ObjectNode candidate);
}
