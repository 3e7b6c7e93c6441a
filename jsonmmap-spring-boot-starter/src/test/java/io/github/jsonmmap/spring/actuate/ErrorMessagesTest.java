package io.github.jsonmmap.spring.actuate;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.jsonmmap.InvalidDocumentException;
import io.github.jsonmmap.JsonMmapException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The endpoint's error text keeps the facts and drops what could quote the document. */
class ErrorMessagesTest {

  private static final Path FILE = Path.of("/dev/shm/app.json");

  @Test
  void aParserErrorIsWithheldAndQuotedTextDropped() {
    String message =
        JsonMmapEndpoint.safeMessage(
            new InvalidDocumentException(
                FILE,
                "document is not valid JSON: path=/dev/shm/app.json size=20 error=Unrecognized"
                    + " token 'hunter2': was expecting"));

    assertThat(message)
        .startsWith("document is not valid JSON: path=/dev/shm/app.json size=20 error=")
        .doesNotContain("hunter2", "Unrecognized");
  }

  @Test
  void quotedTextAndControlCharactersAreDroppedFromAnyMessage() {
    String message =
        JsonMmapEndpoint.safeMessage(
            new JsonMmapException(
                "name-mismatch",
                FILE,
                "name mismatch: path=/dev/shm/app.json expected=\"orders\" found=\"x\n\u001b[2Jy\""));

    assertThat(message)
        .isEqualTo("name mismatch: path=/dev/shm/app.json expected=\"...\" found=\"...\"")
        .doesNotContain("\n", "\u001b");
  }
}
