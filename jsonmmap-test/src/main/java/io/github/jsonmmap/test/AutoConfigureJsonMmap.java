package io.github.jsonmmap.test;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.springframework.test.context.TestPropertySource;

/**
 * Runs a {@code @SpringBootTest} on a private temporary shared file instead of the one the
 * application configures: a new owner-only directory per application context, deleted when the
 * context closes. The application keeps its own {@code jsonmmap.*} configuration otherwise (role,
 * {@code jsonmmap.initial-document}, prefix...). When its role is {@code reader}, the file is
 * created (with the initial document, else {@code {}}) by a writer the test holds. Inject {@link
 * SharedConfigTestPublisher} to publish versions from the test and wait until the application has
 * applied them.
 *
 * <pre>{@code
 * @SpringBootTest
 * @AutoConfigureJsonMmap
 * class PricingTest {
 *   @Autowired SharedConfigTestPublisher shared;
 *   @Autowired PricingProperties pricing;
 *
 *   @Test
 *   void followsTheSharedDiscount() {
 *     shared.setAndAwait("pricing.discount", 40);
 *     assertThat(pricing.getDiscount()).isEqualTo(40);
 *   }
 * }
 * }</pre>
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Inherited
@TestPropertySource(properties = JsonMmapTestEnvironmentPostProcessor.ENABLED_PROPERTY + "=true")
public @interface AutoConfigureJsonMmap {}
