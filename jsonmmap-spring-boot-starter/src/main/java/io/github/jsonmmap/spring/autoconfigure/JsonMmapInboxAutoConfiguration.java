package io.github.jsonmmap.spring.autoconfigure;

import io.github.jsonmmap.JsonMmapFile;
import io.github.jsonmmap.JsonMmapInbox;
import io.github.jsonmmap.Role;
import io.github.jsonmmap.spring.SharedConfigTemplate;
import io.github.jsonmmap.spring.SharedConfigValidationException;
import java.util.List;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.annotation.Bean;

/**
 * The writer inbox: a writer (or a standby, from the moment it takes over) serves {@code
 * <file>.sock}, so that the CLI and other local processes that may write the file change the
 * document through this process, with the application's validators. {@code
 * jsonmmap.inbox.enabled=false} turns it off; a reader never serves.
 */
@AutoConfiguration(after = JsonMmapAutoConfiguration.class)
@ConditionalOnBean(JsonMmapFile.class)
@ConditionalOnProperty(prefix = "jsonmmap.inbox", name = "enabled", matchIfMissing = true)
public final class JsonMmapInboxAutoConfiguration {

  /**
   * Serves from the start of the context's lifecycle (every bean, validators included, is in place
   * by then) to its stop (before the file is released). Depends on the template so that the
   * validators are installed on the handle before the first request.
   */
  @Bean
  @ConditionalOnMissingBean
  JsonMmapInboxLifecycle jsonMmapInboxLifecycle(
      JsonMmapFile file, SharedConfigTemplate template, JsonMmapProperties properties) {
    JsonMmapProperties.Inbox inbox = properties.getInbox();
    JsonMmapInbox.Settings settings =
        JsonMmapInbox.Settings.defaults()
            .requestTimeout(inbox.getRequestTimeout())
            .maxConnections(inbox.getMaxConnections())
            .groupWrite(inbox.isGroupWrite())
            .rejectionReasons(
                e -> e instanceof SharedConfigValidationException v ? v.problems() : List.of());
    return new JsonMmapInboxLifecycle(file, settings);
  }

  /** Starts and stops the inbox with the application context. */
  public static final class JsonMmapInboxLifecycle implements SmartLifecycle {

    private final JsonMmapFile file;
    private final JsonMmapInbox.Settings settings;
    private volatile JsonMmapInbox inbox;

    JsonMmapInboxLifecycle(JsonMmapFile file, JsonMmapInbox.Settings settings) {
      this.file = file;
      this.settings = settings;
    }

    /** The served inbox, or null for a reader or when stopped. */
    public JsonMmapInbox inbox() {
      return inbox;
    }

    @Override
    public synchronized void start() {
      if (inbox == null && file.options().role() != Role.READER) {
        inbox = JsonMmapInbox.serve(file, settings);
      }
    }

    @Override
    public synchronized void stop() {
      if (inbox != null) {
        inbox.close();
        inbox = null;
      }
    }

    @Override
    public boolean isRunning() {
      return inbox != null;
    }
  }
}
