package io.github.jsonmmap;

import java.nio.file.Path;

/**
 * A slot's document bytes do not match the CRC-32 recorded for them, although its sequence was
 * stable: the bytes were changed outside the protocol.
 */
public final class ChecksumMismatchException extends CorruptFileException {

  private static final long serialVersionUID = 1L;

  public ChecksumMismatchException(Path file, String message) {
    super(file, message);
  }

  @Override
  public String reason() {
    return "checksum";
  }
}
