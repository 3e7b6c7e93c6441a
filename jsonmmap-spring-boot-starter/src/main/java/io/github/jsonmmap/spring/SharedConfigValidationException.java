package io.github.jsonmmap.spring;

import io.github.jsonmmap.JsonMmapException;
import java.nio.file.Path;
import java.util.List;

/** Validators rejected a document; nothing was written. */
public final class SharedConfigValidationException extends JsonMmapException {

  private static final long serialVersionUID = 1L;

  private final List<String> problems;

  public SharedConfigValidationException(Path file, List<String> problems) {
    super(
        "invalid-document",
        file,
        "document rejected by validators: path="
            + file
            + " problems="
            + String.join("; ", problems));
    this.problems = List.copyOf(problems);
  }

  /** Every problem the validators reported. */
  public List<String> problems() {
    return problems;
  }
}
