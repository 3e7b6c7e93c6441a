package io.github.jsonmmap.sample;

import io.github.jsonmmap.spring.SharedConfigValidator;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.springframework.stereotype.Component;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Keeps nonsense rate limits out of the shared document, wherever the change comes from: this
 * process's own writes, the actuator, or the CLI through the writer inbox.
 */
@Component
class LimitsValidator implements SharedConfigValidator {

  @Override
  public Collection<String> validate(ObjectNode candidate) {
    JsonNode limits = candidate.path("limits");
    if (limits.isMissingNode()) {
      return List.of();
    }
    List<String> problems = new ArrayList<>();
    if (!limits.isObject()) {
      return List.of("limits must be an object");
    }
    JsonNode rate = limits.get("requestsPerSecond");
    if (rate != null
        && !(rate.canConvertToInt() && rate.isIntegralNumber() && rate.intValue() > 0)) {
      problems.add("limits.requestsPerSecond must be a whole number above 0");
    }
    JsonNode burst = limits.get("burst");
    if (burst != null
        && !(burst.canConvertToInt() && burst.isIntegralNumber() && burst.intValue() >= 0)) {
      problems.add("limits.burst must be a whole number, 0 or more");
    }
    return problems;
  }
}
