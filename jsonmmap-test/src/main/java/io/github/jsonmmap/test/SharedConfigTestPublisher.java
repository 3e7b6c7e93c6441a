package io.github.jsonmmap.test;

import static java.util.Objects.requireNonNull;

import io.github.jsonmmap.JsonMmapFile;
import io.github.jsonmmap.Snapshot;
import io.github.jsonmmap.spring.SharedConfigRefresher;
import io.github.jsonmmap.spring.SharedConfigTemplate;
import java.time.Duration;
import java.util.function.Function;
import java.util.function.Supplier;
import org.awaitility.Awaitility;
import org.springframework.beans.factory.ObjectProvider;

/**
 * Publishes versions of the shared document from a test, through the application's own template
 * when the application is the writer, otherwise through the writer {@link AutoConfigureJsonMmap}
 * holds. The {@code ...AndAwait} methods return once the application has applied the version (its
 * {@code @ConfigurationProperties} rebound, {@code @RefreshScope} refreshed) or rejected it.
 *
 * <p>Safe to call from any thread.
 */
public class SharedConfigTestPublisher {

  /** How long the {@code ...AndAwait} methods wait at most. */
  public static final Duration DEADLINE = Duration.ofSeconds(30);

  private final SharedConfigTemplate template;
  private final ObjectProvider<SharedConfigRefresher> refresher;

  public SharedConfigTestPublisher(
      SharedConfigTemplate template, ObjectProvider<SharedConfigRefresher> refresher) {
    this.template = requireNonNull(template, "template");
    this.refresher = refresher;
  }

  /** Replaces the whole document. */
  public Snapshot publish(Object document) {
    return write(writer -> writer.publish(document), () -> template.publish(document));
  }

  /** Sets one key ({@code a.b[0].c}) to a value (a String, Number, Boolean, Map or List). */
  public Snapshot set(String key, Object value) {
    return write(writer -> writer.set(key, value), () -> template.set(key, value));
  }

  /** Applies an RFC 7386 merge patch. */
  public Snapshot merge(Object patch) {
    return write(writer -> writer.merge(patch), () -> template.merge(patch));
  }

  /** Removes one key. */
  public Snapshot remove(String key) {
    return write(writer -> writer.remove(key), () -> template.remove(key));
  }

  /** {@link #publish(Object)}, then waits until the application applied or rejected it. */
  public Snapshot publishAndAwait(Object document) {
    return awaitApplied(publish(document));
  }

  /** {@link #set(String, Object)}, then waits until the application applied or rejected it. */
  public Snapshot setAndAwait(String key, Object value) {
    return awaitApplied(set(key, value));
  }

  /** {@link #merge(Object)}, then waits until the application applied or rejected it. */
  public Snapshot mergeAndAwait(Object patch) {
    return awaitApplied(merge(patch));
  }

  /** {@link #remove(String)}, then waits until the application applied or rejected it. */
  public Snapshot removeAndAwait(String key) {
    return awaitApplied(remove(key));
  }

  /**
   * Waits until the application has applied {@code version} (or a later one), or rejected it; see
   * {@link SharedConfigRefresher#lastRejection()}.
   */
  public Snapshot awaitApplied(Snapshot version) {
    SharedConfigRefresher applier = refresher.getIfAvailable();
    if (applier == null) {
      return version;
    }
    Awaitility.await("jsonmmap version " + version.version() + " applied or rejected")
        .atMost(DEADLINE)
        .pollInterval(Duration.ofMillis(2))
        .until(
            () ->
                applier.appliedVersion() >= version.version()
                    || applier
                        .lastRejection()
                        .filter(r -> r.version() >= version.version())
                        .isPresent());
    return version;
  }

  private Snapshot write(
      Function<JsonMmapFile, Snapshot> throughTestWriter, Supplier<Snapshot> throughApp) {
    JsonMmapFile testWriter = TestWriters.get(template.file().path());
    return template.isWriter() || testWriter == null
        ? throughApp.get()
        : throughTestWriter.apply(testWriter);
  }
}
