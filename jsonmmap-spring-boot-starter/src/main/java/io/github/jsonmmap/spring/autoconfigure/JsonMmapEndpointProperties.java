package io.github.jsonmmap.spring.autoconfigure;

import java.util.LinkedHashSet;
import java.util.Set;
import org.springframework.boot.actuate.endpoint.Show;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Configuration of the {@code jsonmmap} actuator endpoint ({@code management.endpoint.jsonmmap.*}),
 * as {@code management.endpoint.env.*} configures Boot's {@code env} endpoint.
 */
@ConfigurationProperties("management.endpoint.jsonmmap")
public class JsonMmapEndpointProperties {

  /** When to show the shared document's values unmasked. */
  private Show showValues = Show.NEVER;

  /**
   * Roles used to determine whether a user is authorized to be shown unmasked values. When empty,
   * all authenticated users are authorized.
   */
  private final Set<String> roles = new LinkedHashSet<>();

  public Show getShowValues() {
    return showValues;
  }

  public void setShowValues(Show showValues) {
    this.showValues = showValues;
  }

  public Set<String> getRoles() {
    return roles;
  }
}
