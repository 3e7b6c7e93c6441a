package io.github.jsonmmap.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.jsonmmap.JsonMmapFile;
import io.github.jsonmmap.Role;
import io.github.jsonmmap.spring.actuate.JsonMmapEndpoint;
import io.github.jsonmmap.spring.autoconfigure.JsonMmapAutoConfiguration;
import io.github.jsonmmap.spring.autoconfigure.JsonMmapHealthAutoConfiguration;
import io.github.jsonmmap.spring.env.JsonMmapPropertySource;
import io.github.jsonmmap.spring.health.JsonMmapHealthIndicator;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.config.BeanFactoryPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.actuate.endpoint.Show;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.ApplicationListener;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.validation.Errors;
import org.springframework.validation.Validator;

/**
 * What one rebind sees and what a rejected version leaves behind: a bean is bound from one version
 * even when another is published while it binds; a value that does not bind in a record rejects its
 * whole version, other beans included; a validator's message never reaches the rejection reason
 * that health and the endpoint show.
 */
class SharedConfigConsistencyTest {

  private static final Duration DEADLINE = Duration.ofSeconds(60);

  private final ApplicationContextRunner runner =
      new ApplicationContextRunner()
          .withConfiguration(
              AutoConfigurations.of(
                  JsonMmapAutoConfiguration.class, JsonMmapHealthAutoConfiguration.class))
          .withUserConfiguration(App.class);

  @TempDir Path dir;

  @AfterEach
  void disarm() {
    Pair.onLeft = null;
  }

  private ApplicationContextRunner writer() {
    return runner.withPropertyValues(
        "jsonmmap.file=" + dir.resolve("shared.json"),
        "jsonmmap.role=writer",
        "jsonmmap.inbox.enabled=false",
        "jsonmmap.refresh.coalesce=1ms");
  }

  private static SharedConfigRefresher ready(AssertableApplicationContext context) {
    ConfigurableApplicationContext source = context.getSourceApplicationContext();
    context.publishEvent(
        new ApplicationReadyEvent(new SpringApplication(), new String[0], source, Duration.ZERO));
    return context.getBean(SharedConfigRefresher.class);
  }

  @Test
  void aRebindReadsOneVersionAlthoughAnotherIsPublishedWhileItBinds() {
    writer()
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              SharedConfigTemplate template = context.getBean(SharedConfigTemplate.class);
              Pair pair = context.getBean(Pair.class);
              List<String> seen = context.getBean(Seen.class).pairs;
              SharedConfigRefresher refresher = ready(context);

              // Binding "left" publishes the next version before "right" is read.
              Pair.onLeft = () -> publishOnce(template, 3);
              long second =
                  template.publish(Map.of("pair", Map.of("left", 2, "right", 2))).version();
              await().atMost(DEADLINE).until(() -> refresher.appliedVersion() > second);

              assertThat(seen).as("every applied version, as the bean saw it").contains("3/3");
              assertThat(seen).allSatisfy(s -> assertThat(s).isIn("2/2", "3/3"));
              assertThat(pair.getLeft()).isEqualTo(3);
              assertThat(pair.getRight()).isEqualTo(3);
            });
  }

  @Test
  void aBeanBoundFromTwoVersionsAtStartUpIsRepairedByTheFirstRefresh() {
    try (JsonMmapFile before = JsonMmapFile.open(dir.resolve("shared.json"), Role.WRITER)) {
      before.publish(Map.of("pair", Map.of("left", 1, "right", 1)));
    }
    writer()
        .withUserConfiguration(StartUpHook.class)
        .run(
            context -> {
              Pair pair = context.getBean(Pair.class);
              SharedConfigRefresher refresher = ready(context);
              await()
                  .atMost(DEADLINE)
                  .untilAsserted(
                      () -> assertThat(pair.getLeft() + "/" + pair.getRight()).isEqualTo("7/7"));
              assertThat(refresher.appliedVersion())
                  .isEqualTo(context.getBean(SharedConfigTemplate.class).version());
            });
  }

  /**
   * Arms the pair so that binding "left" at start-up publishes the next version, through the
   * context's own handle (the property source's, in place before any bean binds), before "right" is
   * read.
   */
  @Configuration(proxyBeanMethods = false)
  static class StartUpHook {

    @Bean
    static BeanFactoryPostProcessor armPair(ConfigurableEnvironment environment) {
      return beanFactory -> {
        JsonMmapFile file =
            ((JsonMmapPropertySource)
                    environment.getPropertySources().get(JsonMmapPropertySource.NAME))
                .getSource();
        Pair.onLeft =
            () -> {
              Pair.onLeft = null;
              file.publish(Map.of("pair", Map.of("left", 7, "right", 7)));
            };
      };
    }
  }

  @Test
  void aBindingReadsOneVersionAlthoughAnotherIsPublishedWhileItBinds() {
    writer()
        .run(
            context -> {
              SharedConfigTemplate template = context.getBean(SharedConfigTemplate.class);
              template.publish(Map.of("pair", Map.of("left", 1, "right", 1)));
              SharedConfigBinding<Pair> binding = template.bind("pair", Pair.class);

              Pair.onLeft = () -> publishOnce(template, 5);
              template.publish(Map.of("pair", Map.of("left", 4, "right", 4)));
              Pair bound = binding.get();

              assertThat(bound.getLeft()).isEqualTo(bound.getRight()).isEqualTo(4);
              assertThat(binding.get().getRight()).isEqualTo(5);
              assertThat(binding.get().getLeft()).isEqualTo(5);
            });
  }

  @Test
  void aValueThatDoesNotBindInARecordAppliesNothingOfItsVersionToAnyBean() {
    writer()
        .run(
            context -> {
              SharedConfigTemplate template = context.getBean(SharedConfigTemplate.class);
              Pair pair = context.getBean(Pair.class);
              SharedConfigRefresher refresher = ready(context);
              long good =
                  template
                      .publish(
                          Map.of(
                              "pair", Map.of("left", 1, "right", 1), "limits", Map.of("rate", 5)))
                      .version();
              await().atMost(DEADLINE).until(() -> refresher.appliedVersion() >= good);
              assertThat(context.getBean(Limits.class)).isEqualTo(new Limits(5));

              long bad =
                  template
                      .publish(
                          Map.of(
                              "pair", Map.of("left", 2, "right", 2), "limits", Map.of("rate", "x")))
                      .version();
              await()
                  .atMost(DEADLINE)
                  .until(
                      () -> refresher.lastRejection().filter(r -> r.version() == bad).isPresent());

              assertThat(pair.getLeft()).as("nothing of it").isEqualTo(1);
              assertThat(context.getBean(Limits.class)).isEqualTo(new Limits(5));
              assertThat(refresher.appliedVersion()).isEqualTo(good);
              assertThat(refresher.lastRejection().orElseThrow().reason())
                  .contains("limits")
                  .doesNotContain("\"x\"");

              long fixed = template.set("limits.rate", 7).version();
              await().atMost(DEADLINE).until(() -> refresher.appliedVersion() >= fixed);
              assertThat(pair.getLeft()).isEqualTo(2);
              assertThat(context.getBean(Limits.class)).isEqualTo(new Limits(7));
            });
  }

  @Test
  void aValidatorsMessageNeverReachesTheRejectionReasonHealthOrEndpointShow() {
    writer()
        .run(
            context -> {
              SharedConfigTemplate template = context.getBean(SharedConfigTemplate.class);
              SharedConfigRefresher refresher = ready(context);
              long bad = template.set("pricing.discount", 77).version();
              await()
                  .atMost(DEADLINE)
                  .until(
                      () -> refresher.lastRejection().filter(r -> r.version() == bad).isPresent());

              String reason = refresher.lastRejection().orElseThrow().reason();
              assertThat(reason)
                  .contains("pricing")
                  .contains("field=discount")
                  .contains("rule=too-high")
                  .doesNotContain("77")
                  .doesNotContain("secret");
              Object healthReason =
                  context
                      .getBean(JsonMmapHealthIndicator.class)
                      .health(true)
                      .getDetails()
                      .get("rejectionReason");
              assertThat(healthReason).isEqualTo(reason);
              JsonMmapEndpoint endpoint = new JsonMmapEndpoint(template, Show.NEVER, List.of());
              endpoint.setRefresher(refresher);
              assertThat(endpoint.jsonmmap(null).rejection().reason()).isEqualTo(reason);
            });
  }

  private static void publishOnce(SharedConfigTemplate template, int value) {
    Pair.onLeft = null;
    template.publish(Map.of("pair", Map.of("left", value, "right", value)));
  }

  @Configuration(proxyBeanMethods = false)
  @EnableConfigurationProperties({Pair.class, Pricing.class, Limits.class})
  static class App {

    @Bean
    Seen seen(Pair pair) {
      return new Seen(pair);
    }
  }

  /** Records the pair as each applied version left it. */
  static final class Seen implements ApplicationListener<SharedConfigChangedEvent> {
    final List<String> pairs = new CopyOnWriteArrayList<>();
    private final Pair pair;

    Seen(Pair pair) {
      this.pair = pair;
    }

    @Override
    public void onApplicationEvent(SharedConfigChangedEvent event) {
      pairs.add(pair.getLeft() + "/" + pair.getRight());
    }
  }

  /** Two values published together, always equal in one version. */
  @ConfigurationProperties("pair")
  public static class Pair {
    static volatile Runnable onLeft;
    private int left;
    private int right;

    public int getLeft() {
      return left;
    }

    public void setLeft(int left) {
      this.left = left;
      Runnable hook = onLeft;
      if (hook != null) {
        hook.run();
      }
    }

    public int getRight() {
      return right;
    }

    public void setRight(int right) {
      this.right = right;
    }
  }

  /** A record, bound through its constructor and replaced on change. */
  @ConfigurationProperties("limits")
  public record Limits(int rate) {}

  /** Validates itself, with a message that quotes the value. */
  @ConfigurationProperties("pricing")
  public static class Pricing implements Validator {
    private int discount;

    public int getDiscount() {
      return discount;
    }

    public void setDiscount(int discount) {
      this.discount = discount;
    }

    @Override
    public boolean supports(Class<?> type) {
      return Pricing.class.isAssignableFrom(type);
    }

    @Override
    public void validate(Object target, Errors errors) {
      int value = ((Pricing) target).getDiscount();
      if (value > 50) {
        errors.rejectValue(
            "discount", "too-high", "discount " + value + " is above 50 (secret plan)");
      }
    }
  }
}
