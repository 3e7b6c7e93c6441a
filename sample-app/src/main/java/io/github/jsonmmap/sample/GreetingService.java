package io.github.jsonmmap.sample;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.cloud.context.config.annotation.RefreshScope;
import org.springframework.stereotype.Component;

/**
 * The greeting, read from the shared key {@code greeting.message} through {@code @Value}. Being
 * {@code @RefreshScope}, the bean is rebuilt after a change of the shared document, so the next
 * call sees the new message.
 */
@Component
@RefreshScope
public class GreetingService {

  /** The message when the shared document has none. */
  public static final String DEFAULT_MESSAGE = "Hello (no greeting.message in the shared config)";

  private final String message;

  public GreetingService(@Value("${greeting.message:" + DEFAULT_MESSAGE + "}") String message) {
    this.message = message;
  }

  public String message() {
    return message;
  }
}
