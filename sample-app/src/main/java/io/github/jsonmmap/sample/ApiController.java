package io.github.jsonmmap.sample;

import io.github.jsonmmap.spring.SharedConfigBinding;
import io.github.jsonmmap.spring.SharedConfigTemplate;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/** The sample's API: each endpoint reads the shared document a different way. */
@RestController
@RequestMapping("/api")
public class ApiController {

  private final GreetingService greeting;
  private final FeaturesProperties features;
  private final SharedConfigTemplate sharedConfig;
  private final SharedConfigBinding<Limits> limits;

  public ApiController(
      GreetingService greeting, FeaturesProperties features, SharedConfigTemplate sharedConfig) {
    this.greeting = greeting;
    this.features = features;
    this.sharedConfig = sharedConfig;
    this.limits = sharedConfig.bind("limits", Limits.class);
  }

  /**
   * The greeting from a {@code @RefreshScope} bean, with the version of the shared document this
   * process has seen.
   */
  @GetMapping("/greeting")
  public Greeting greeting() {
    return new Greeting(greeting.message(), sharedConfig.version());
  }

  /** The feature flags, a {@code @ConfigurationProperties} bean rebound on change. */
  @GetMapping("/features")
  public FeaturesProperties features() {
    return features;
  }

  /** The limits, a record bound through {@link SharedConfigTemplate#bind}. */
  @GetMapping("/limits")
  public Limits limits() {
    return limits.get();
  }

  /**
   * A greeting.
   *
   * @param message the message
   * @param version the version of the shared document this process has seen
   */
  public record Greeting(String message, long version) {}
}
