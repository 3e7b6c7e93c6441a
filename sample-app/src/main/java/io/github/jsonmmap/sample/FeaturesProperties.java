package io.github.jsonmmap.sample;

import java.util.ArrayList;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Feature flags from the shared document's {@code features} object. The starter rebinds this bean
 * in place when a change of the shared document touches a {@code features.*} key (with or without
 * Spring Cloud).
 */
@ConfigurationProperties(prefix = "features")
public class FeaturesProperties {

  /** Whether the new checkout flow is on. */
  private boolean newCheckout;

  /** Whether recommendations are shown. */
  private boolean recommendations;

  /** Whether the maintenance banner is shown. */
  private boolean maintenanceBanner;

  /** Regions where the service takes traffic. */
  private List<String> regions = new ArrayList<>();

  public boolean isNewCheckout() {
    return newCheckout;
  }

  public void setNewCheckout(boolean newCheckout) {
    this.newCheckout = newCheckout;
  }

  public boolean isRecommendations() {
    return recommendations;
  }

  public void setRecommendations(boolean recommendations) {
    this.recommendations = recommendations;
  }

  public boolean isMaintenanceBanner() {
    return maintenanceBanner;
  }

  public void setMaintenanceBanner(boolean maintenanceBanner) {
    this.maintenanceBanner = maintenanceBanner;
  }

  public List<String> getRegions() {
    return regions;
  }

  public void setRegions(List<String> regions) {
    this.regions = regions;
  }
}
