package io.github.jsonmmap.spring.env;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class PropertySourceFilterTest {

  private final PropertySourceFilter defaults = PropertySourceFilter.DEFAULT;

  @Test
  void defaultsExcludeTheSecurityNamespacesInEveryRelaxedSpelling() {
    assertThat(
            List.of(
                "management.endpoints.web.exposure.include",
                "Management.Endpoints.Web.Exposure.Include",
                "manage ment.server.port",
                "management[0]",
                "management",
                "server.port",
                "SERVER.ADDRESS",
                "spring.config.import",
                "spring.profiles.active",
                "spring.Profiles.include[0]",
                "spring.security.user.password",
                "spring.main.sources",
                "spring.autoconfigure.exclude",
                "spring.application.name",
                "spring.cloud.config.uri",
                "spring.datasource.url",
                "logging.config",
                "logging.level.root",
                "info.app.version",
                "debug",
                "trace"))
        .allSatisfy(name -> assertThat(defaults.excludes(name)).as(name).isTrue());
  }

  @Test
  void jsonmmapIsNeverTakenFromTheDocumentWhateverIncludeSays() {
    PropertySourceFilter including =
        new PropertySourceFilter(List.of("jsonmmap", "jsonmmap.file", ""), List.of());

    assertThat(
            List.of(
                "jsonmmap.file",
                "jsonMmap.role",
                "JSONMMAP.PERMISSIONS",
                "json_mmap.file",
                "json-mmap.file",
                "jsonmmap"))
        .allSatisfy(
            name -> {
              assertThat(defaults.excludes(name)).as(name).isTrue();
              assertThat(including.excludes(name)).as(name).isTrue();
            });
    assertThat(including.ignoredIncludes()).containsExactly("jsonmmap", "jsonmmap.file");
  }

  @Test
  void applicationKeysAndLookAlikesPass() {
    assertThat(
            List.of(
                "greeting.message",
                "features.regions[0]",
                "managementx.port",
                "serverless.region",
                "spring.jpa.open-in-view",
                "spring.configuration.x",
                "debugging",
                "information.x",
                ""))
        .allSatisfy(name -> assertThat(defaults.excludes(name)).as(name).isFalse());
  }

  @Test
  void theMostSpecificPrefixDecidesAndExcludeWinsATie() {
    PropertySourceFilter filter =
        new PropertySourceFilter(
            List.of("logging.level", "management.*", "features.beta"),
            List.of("logging.level.org.hibernate", "features", "management"));

    assertThat(filter.excludes("logging.level.com.example")).isFalse();
    assertThat(filter.excludes("Logging.Level.root")).isFalse();
    assertThat(filter.excludes("logging.level.org.hibernate.SQL")).isTrue();
    assertThat(filter.excludes("logging.file.name")).isTrue();
    assertThat(filter.excludes("features.beta.enabled")).isFalse();
    assertThat(filter.excludes("features.alpha")).isTrue();
    assertThat(filter.excludes("management.endpoints.web.exposure.include")).isTrue();
    assertThat(new PropertySourceFilter(List.of("server"), List.of()).excludes("server.port"))
        .isFalse();
  }
}
