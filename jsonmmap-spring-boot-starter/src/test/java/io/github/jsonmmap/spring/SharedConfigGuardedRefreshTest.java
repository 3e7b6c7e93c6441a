package io.github.jsonmmap.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.jsonmmap.spring.actuate.JsonMmapEndpoint;
import io.github.jsonmmap.spring.health.JsonMmapHealthIndicator;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.actuate.endpoint.Show;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.cloud.context.scope.refresh.RefreshScope;
import org.springframework.context.ApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Issue 13, findings 3, 4 and 5, with the writer in another JVM and Spring Cloud's refresh turned
 * off (no {@code RefreshScope}, no {@code ConfigurationPropertiesRebinder}): a JavaBean and a
 * record {@code @ConfigurationProperties} follow changes; a change under one prefix rebinds only
 * the bean of that prefix; a bad value is rejected as a whole version (a good change in the same
 * version does not apply either), is visible (rejection, meter, health details), and a later good
 * version applies.
 */
@SpringBootTest(
    classes = SharedConfigGuardedRefreshTest.App.class,
    webEnvironment = SpringBootTest.WebEnvironment.NONE,
    properties = {
      "jsonmmap.role=reader",
      "jsonmmap.refresh.coalesce=20ms",
      "spring.cloud.refresh.enabled=false",
      "management.endpoints.access.default=none"
    })
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SharedConfigGuardedRefreshTest {

  private static final Duration DEADLINE = Duration.ofSeconds(60);

  private static Path directory;
  private static WriterProcess writer;

  @DynamicPropertySource
  static void sharedFile(DynamicPropertyRegistry registry) {
    registry.add("jsonmmap.file", () -> directory.resolve("guarded.json").toString());
  }

  @BeforeAll
  static void startWriterInAnotherJvm() throws Exception {
    directory = Files.createTempDirectory("jsonmmap-guarded-");
    writer =
        WriterProcess.start(
            directory.resolve("guarded.json"),
            "{\"pricing\":{\"discount\":10,\"banner\":\"spring\"},"
                + "\"orders\":{\"maxItems\":5,\"timeout\":\"2s\"}}");
  }

  @AfterAll
  static void stopWriter() throws Exception {
    writer.close();
    try (Stream<Path> paths = Files.walk(directory)) {
      paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
    }
  }

  @Autowired ApplicationContext context;
  @Autowired Pricing pricing;
  @Autowired SharedConfigRefresher refresher;
  @Autowired SharedConfigPropertiesRebinder rebinder;
  @Autowired MeterRegistry meters;
  @Autowired JsonMmapHealthIndicator health;
  @Autowired SharedConfigTemplate template;

  private Orders orders() {
    return context.getBean(Orders.class);
  }

  private String pricingBean() {
    return context.getBeanNamesForType(Pricing.class)[0];
  }

  private String ordersBean() {
    return context.getBeanNamesForType(Orders.class)[0];
  }

  @Test
  @Order(1)
  void sharedValuesAreBoundAtStartupWithoutSpringCloud() {
    assertThat(context.getBeanNamesForType(RefreshScope.class)).isEmpty();
    assertThat(pricing.getDiscount()).isEqualTo(10);
    assertThat(orders()).isEqualTo(new Orders(5, Duration.ofSeconds(2)));
  }

  @Test
  @Order(2)
  void aRecordFollowsChangesAndOnlyTheBeanUnderTheChangedPrefixIsRebound() {
    long pricingRebinds = rebinder.rebindCount(pricingBean());
    long ordersRebinds = rebinder.rebindCount(ordersBean());

    long version = writer.send("set orders.timeout \"3s\"");
    await().atMost(DEADLINE).until(() -> refresher.appliedVersion() >= version);

    assertThat(orders()).isEqualTo(new Orders(5, Duration.ofSeconds(3)));
    assertThat(rebinder.rebindCount(ordersBean())).isEqualTo(ordersRebinds + 1);
    assertThat(rebinder.rebindCount(pricingBean())).isEqualTo(pricingRebinds);
  }

  @Test
  @Order(3)
  void aJavaBeanFollowsChangesInPlace() {
    long version = writer.send("set pricing.banner \"summer\"");
    await().atMost(DEADLINE).until(() -> refresher.appliedVersion() >= version);

    assertThat(pricing.getBanner()).isEqualTo("summer");
    assertThat(context.getBean(Pricing.class)).isSameAs(pricing);
  }

  @Test
  @Order(4)
  void aBadValueRejectsItsWholeVersionVisiblyAndALaterGoodOneApplies() {
    long applied = refresher.appliedVersion();
    double rejectedBefore = rejected();

    writer.send("set pricing.discount \"forty\"");
    long bad = writer.send("set pricing.banner \"autumn\"");
    await()
        .atMost(DEADLINE)
        .until(() -> refresher.lastRejection().filter(r -> r.version() == bad).isPresent());

    SharedConfigRefresher.Rejection rejection = refresher.lastRejection().orElseThrow();
    assertThat(rejection.appliedVersion()).isEqualTo(applied);
    assertThat(rejection.reason()).contains("pricing.discount").doesNotContain("forty");
    assertThat(refresher.appliedVersion()).isEqualTo(applied);
    assertThat(pricing.getDiscount()).isEqualTo(10);
    assertThat(pricing.getBanner()).as("nothing of a rejected version").isEqualTo("summer");
    assertThat(rejected()).isGreaterThan(rejectedBefore);
    Health whileRejected = health.health(true);
    assertThat(whileRejected.getStatus()).isEqualTo(Status.UP);
    assertThat(whileRejected.getDetails())
        .containsEntry("rejectedVersion", bad)
        .containsEntry("appliedVersion", applied)
        .containsKey("rejectionReason");
    assertThat(whileRejected.getDetails().get("rejectionReason").toString())
        .doesNotContain("forty");
    JsonMmapEndpoint endpoint = new JsonMmapEndpoint(template, Show.NEVER, List.of());
    endpoint.setRefresher(refresher);
    JsonMmapEndpoint.JsonMmapDescriptor described = endpoint.jsonmmap(null);
    assertThat(described.version()).as("the file's version").isEqualTo(bad);
    assertThat(described.appliedVersion()).isEqualTo(applied);
    assertThat(described.rejection().version()).isEqualTo(bad);
    assertThat(described.rejection().reason()).doesNotContain("forty");

    long good = writer.send("set pricing.discount 40");
    await().atMost(DEADLINE).until(() -> refresher.appliedVersion() >= good);

    assertThat(refresher.lastRejection()).isEmpty();
    assertThat(health.health(true).getDetails()).doesNotContainKey("rejectedVersion");
    assertThat(endpoint.jsonmmap(null).rejection()).isNull();
    assertThat(endpoint.jsonmmap(null).appliedVersion()).isEqualTo(refresher.appliedVersion());
    assertThat(pricing.getDiscount()).isEqualTo(40);
    assertThat(pricing.getBanner()).isEqualTo("autumn");
  }

  private double rejected() {
    return meters.get("jsonmmap.refresh.rejected").counter().count();
  }

  @SpringBootConfiguration(proxyBeanMethods = false)
  @EnableAutoConfiguration
  @EnableConfigurationProperties({Pricing.class, Orders.class})
  static class App {

    @Bean
    SimpleMeterRegistry meterRegistry() {
      return new SimpleMeterRegistry();
    }
  }

  /** A JavaBean, rebound in place. */
  @ConfigurationProperties("pricing")
  static class Pricing {
    private int discount;
    private String banner = "none";

    public int getDiscount() {
      return discount;
    }

    public void setDiscount(int discount) {
      this.discount = discount;
    }

    public String getBanner() {
      return banner;
    }

    public void setBanner(String banner) {
      this.banner = banner;
    }
  }

  /** A record, replaced by a newly bound instance. */
  @ConfigurationProperties("orders")
  record Orders(int maxItems, Duration timeout) {}
}
