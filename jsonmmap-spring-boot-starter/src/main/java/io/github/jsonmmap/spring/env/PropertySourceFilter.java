package io.github.jsonmmap.spring.env;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import org.springframework.boot.context.properties.source.ConfigurationPropertyName;

/**
 * Which property names the shared document may set. The document is data written by another
 * process: it must not decide where this application reads its configuration, who may reach it,
 * what it exposes, which code or files it loads, or where jsonmmap itself points. So names under
 * {@value #JSONMMAP} are never taken from it, and names under {@link #DEFAULT_EXCLUDES} are not
 * unless an {@code include} prefix names them.
 *
 * <p>Prefixes match Spring's relaxed names: {@code management} excludes {@code
 * Management.Endpoints}, {@code manage ment.port} and {@code management[0]}, as the {@code Binder}
 * would read them, but not {@code managementx}. The most specific prefix decides: {@code include}
 * {@code logging.level} takes log levels while the rest of {@code logging} stays excluded, and an
 * {@code exclude} below an {@code include} excludes again; for the same prefix {@code exclude}
 * wins. A trailing {@code .*} or {@code *} on a prefix is ignored.
 *
 * <p>Immutable; safe to share between threads. Each check adapts the name and walks the prefixes (a
 * handful): callers check each key once per document version, not once per lookup.
 */
public final class PropertySourceFilter {

  /** Names that never come from the shared document, whatever {@code include} says. */
  public static final String JSONMMAP = "jsonmmap";

  /**
   * Prefixes excluded unless included. Each one lets the document change the application's security
   * or its configuration sources:
   *
   * <ul>
   *   <li>{@code management}: actuator exposure, access, {@code show-values}, health details, the
   *       management port and address;
   *   <li>{@code server}: ports, addresses, TLS, error pages that include messages and stack
   *       traces;
   *   <li>{@code spring.config}: imports and locations (other files, another document);
   *   <li>{@code spring.profiles}: which profiles, so which configuration, are active;
   *   <li>{@code spring.security}: users, passwords, OAuth2 issuers and clients;
   *   <li>{@code spring.main}: extra configuration sources, bean overriding, the web application
   *       type;
   *   <li>{@code spring.autoconfigure}: excluding auto-configurations (security among them);
   *   <li>{@code spring.application}: the application's name, which names its default jsonmmap
   *       file, its Spring Cloud config lookups and its service registration;
   *   <li>{@code spring.cloud}: config server locations, bootstrap, refresh and bus settings;
   *   <li>{@code spring.devtools}: the remote-update secret;
   *   <li>{@code spring.ssl}: key and trust stores;
   *   <li>{@code spring.datasource} and {@code spring.sql.init}: where the application sends its
   *       database credentials, and SQL scripts it runs at start-up;
   *   <li>{@code spring.web.resources}: directories served as static content;
   *   <li>{@code logging}: a logging configuration file to load, a log file to write, levels that
   *       silence or over-share;
   *   <li>{@code info}: served unauthenticated by {@code /actuator/info} when the {@code env} info
   *       contributor is on, unmasked;
   *   <li>{@code debug}, {@code trace}: Boot's switches for verbose core logging.
   * </ul>
   */
  public static final List<String> DEFAULT_EXCLUDES =
      List.of(
          "management",
          "server",
          "spring.config",
          "spring.profiles",
          "spring.security",
          "spring.main",
          "spring.autoconfigure",
          "spring.application",
          "spring.cloud",
          "spring.devtools",
          "spring.ssl",
          "spring.datasource",
          "spring.sql.init",
          "spring.r2dbc",
          "spring.flyway",
          "spring.liquibase",
          "spring.h2",
          "spring.web.resources",
          "logging",
          "info",
          "debug",
          "trace");

  private static final ConfigurationPropertyName JSONMMAP_NAME =
      ConfigurationPropertyName.of(JSONMMAP);

  /** The filter with the default excludes and nothing included. */
  public static final PropertySourceFilter DEFAULT = new PropertySourceFilter(List.of(), List.of());

  private final List<Rule> rules;
  private final List<String> ignoredIncludes;

  private record Rule(ConfigurationPropertyName prefix, boolean include, int rank) {}

  /**
   * @param include prefixes taken from the document although {@link #DEFAULT_EXCLUDES} names them
   *     (a prefix under {@value #JSONMMAP} has no effect)
   * @param exclude prefixes not taken from the document, in addition to {@link #DEFAULT_EXCLUDES}
   */
  public PropertySourceFilter(Collection<String> include, Collection<String> exclude) {
    List<Rule> all = new ArrayList<>();
    List<String> ignored = new ArrayList<>();
    for (String prefix : DEFAULT_EXCLUDES) {
      all.add(new Rule(ConfigurationPropertyName.of(prefix), false, 0));
    }
    for (String prefix : include) {
      ConfigurationPropertyName name = prefixName(prefix);
      if (covers(JSONMMAP_NAME, name)) {
        ignored.add(prefix);
      } else {
        all.add(new Rule(name, true, 1));
      }
    }
    for (String prefix : exclude) {
      all.add(new Rule(prefixName(prefix), false, 2));
    }
    this.rules = List.copyOf(all);
    this.ignoredIncludes = List.copyOf(ignored);
  }

  /**
   * Whether the document may not set {@code name} (a full property name, prefix included), read the
   * way Spring's relaxed binding reads it.
   */
  public boolean excludes(String name) {
    ConfigurationPropertyName adapted = ConfigurationPropertyName.adapt(name, '.');
    if (covers(JSONMMAP_NAME, adapted)) {
      return true;
    }
    Rule decisive = null;
    for (Rule rule : rules) {
      if (covers(rule.prefix(), adapted)
          && (decisive == null
              || rule.prefix().getNumberOfElements() > decisive.prefix().getNumberOfElements()
              || (rule.prefix().getNumberOfElements() == decisive.prefix().getNumberOfElements()
                  && rule.rank() > decisive.rank()))) {
        decisive = rule;
      }
    }
    return decisive != null && !decisive.include();
  }

  /** The {@code include} prefixes that have no effect because they are under {@value #JSONMMAP}. */
  public List<String> ignoredIncludes() {
    return ignoredIncludes;
  }

  private static boolean covers(ConfigurationPropertyName prefix, ConfigurationPropertyName name) {
    return prefix.equals(name) || prefix.isAncestorOf(name);
  }

  private static ConfigurationPropertyName prefixName(String prefix) {
    String trimmed = prefix == null ? "" : prefix.trim().toLowerCase(Locale.ROOT);
    if (trimmed.endsWith("*")) {
      trimmed = trimmed.substring(0, trimmed.length() - 1);
    }
    if (trimmed.endsWith(".")) {
      trimmed = trimmed.substring(0, trimmed.length() - 1);
    }
    return ConfigurationPropertyName.adapt(trimmed, '.');
  }
}
