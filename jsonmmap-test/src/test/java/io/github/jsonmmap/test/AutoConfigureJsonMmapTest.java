package io.github.jsonmmap.test;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.jsonmmap.spring.SharedConfigTemplate;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.core.env.Environment;

/**
 * A reader application under {@link AutoConfigureJsonMmap}: it runs on a private temporary file,
 * not the one it configures, created by the test's writer; versions published from the test are
 * applied when the {@code ...AndAwait} call returns.
 */
@SpringBootTest(
    classes = AutoConfigureJsonMmapTest.App.class,
    webEnvironment = SpringBootTest.WebEnvironment.NONE,
    properties = {
      "jsonmmap.file=/nonexistent/configured-by-the-application.json",
      "jsonmmap.role=reader"
    })
@AutoConfigureJsonMmap
class AutoConfigureJsonMmapTest {

  @Autowired SharedConfigTemplate template;
  @Autowired SharedConfigTestPublisher shared;
  @Autowired Pricing pricing;
  @Autowired Environment environment;

  @Test
  void aReaderRunsOnAPrivateFileAndSeesWhatTheTestPublishes() throws Exception {
    Path privateFile = template.file().path();
    assertThat(privateFile.toString()).doesNotContain("configured-by-the-application");
    assertThat(
            PosixFilePermissions.toString(Files.getPosixFilePermissions(privateFile.getParent())))
        .isEqualTo("rwx------");
    assertThat(template.isWriter()).isFalse();

    shared.setAndAwait("pricing.discount", 40);
    assertThat(pricing.getDiscount()).isEqualTo(40);
    assertThat(environment.getProperty("pricing.discount")).isEqualTo("40");

    shared.mergeAndAwait(Map.of("pricing", Map.of("discount", 41)));
    assertThat(pricing.getDiscount()).isEqualTo(41);
  }

  @SpringBootConfiguration(proxyBeanMethods = false)
  @EnableAutoConfiguration
  @EnableConfigurationProperties(Pricing.class)
  static class App {}

  @ConfigurationProperties("pricing")
  static class Pricing {
    private int discount;

    public int getDiscount() {
      return discount;
    }

    public void setDiscount(int discount) {
      this.discount = discount;
    }
  }
}
