package io.github.jsonmmap.sample;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;

/**
 * A small web service that a fleet of processes runs side by side, all sharing one jsonmmap file:
 * the first to start writes it (role {@code auto}), the others read it and stand by to take over.
 */
@SpringBootApplication
@EnableConfigurationProperties(FeaturesProperties.class)
public class SampleApplication {

  public static void main(String[] args) {
    SpringApplication.run(SampleApplication.class, args);
  }
}
