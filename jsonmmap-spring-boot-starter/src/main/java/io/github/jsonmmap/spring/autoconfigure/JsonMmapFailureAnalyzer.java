package io.github.jsonmmap.spring.autoconfigure;

import io.github.jsonmmap.CorruptFileException;
import io.github.jsonmmap.DocumentTooLargeException;
import io.github.jsonmmap.FileMissingException;
import io.github.jsonmmap.InvalidDocumentException;
import io.github.jsonmmap.JsonMmapException;
import io.github.jsonmmap.NameMismatchException;
import io.github.jsonmmap.UnsupportedFormatException;
import io.github.jsonmmap.UntrustedFileException;
import io.github.jsonmmap.WriterLockedException;
import io.github.jsonmmap.spring.SharedConfigBindException;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * Explains the start-up failures a jsonmmap user meets, by their cause, and names what to change.
 */
public class JsonMmapFailureAnalyzer extends AbstractFailureAnalyzer<JsonMmapException> {

  @Override
  protected FailureAnalysis analyze(Throwable rootFailure, JsonMmapException cause) {
    String what =
        cause instanceof SharedConfigBindException
            ? "A value of the shared configuration could not be bound: "
            : "The shared configuration file could not be used: ";
    return new FailureAnalysis(what + cause.getMessage(), action(cause), cause);
  }

  static String action(JsonMmapException cause) {
    if (cause instanceof SharedConfigBindException) {
      return "The file is fine; one value in it does not convert to the type that binds it."
          + " Publish a corrected value for the property named above (for example with"
          + " 'jsonmmap set'), or change the bound type.";
    }
    if (cause instanceof WriterLockedException) {
      return "Another process is the writer of this file and there is one writer per file. Stop it,"
          + " or set jsonmmap.role=reader to follow it, or jsonmmap.role=auto to stand by and take"
          + " over when it stops.";
    }
    if (cause instanceof UntrustedFileException) {
      return "The file or a directory on its way is owned or writable by an account this process"
          + " does not trust (the message names the path, its owner and mode). Fix that owner or"
          + " mode, or point jsonmmap.file at a directory only this account and root can write.";
    }
    if (cause instanceof FileMissingException) {
      return "Start the writer first, point jsonmmap.file (or spring.config.import=jsonmmap:<path>)"
          + " at the file it writes, or make it optional (jsonmmap.optional=true, or"
          + " spring.config.import=optional:jsonmmap:<path>) to start without it; the application"
          + " attaches when the file appears.";
    }
    if (cause instanceof NameMismatchException) {
      return "Two applications point at the same file: give this one its own jsonmmap.file, or"
          + " correct jsonmmap.name.";
    }
    if (cause instanceof UnsupportedFormatException) {
      return "The file was written by a newer jsonmmap: upgrade this application, or point"
          + " jsonmmap.file at another file.";
    }
    if (cause instanceof DocumentTooLargeException
        && cause.getMessage() != null
        && cause.getMessage().contains("too costly to flatten")) {
      return "The document has too many keys, or keys too long for its size, to flatten into"
          + " properties (README: the bounds); a larger jsonmmap.max-size does not help. Shorten"
          + " the key paths or split the document.";
    }
    if (cause instanceof DocumentTooLargeException) {
      return "Raise jsonmmap.max-size (documents up to a third of it always fit), or shrink the"
          + " document.";
    }
    if (cause instanceof CorruptFileException) {
      return "The file is not a valid jsonmmap file; nothing was overwritten. Check it with"
          + " 'jsonmmap verify', then move it away or point jsonmmap.file elsewhere.";
    }
    if (cause instanceof InvalidDocumentException) {
      return "The file is a valid jsonmmap file but its document is not acceptable (the message"
          + " says why). Publish a corrected document from the writer, or roll back with"
          + " 'jsonmmap rollback'.";
    }
    if ("configuration".equals(cause.reason())) {
      return "Correct the jsonmmap.* property named in the message (jsonmmap.initial-capacity must"
          + " be at least 4KB and fit within jsonmmap.max-size).";
    }
    if ("io".equals(cause.reason())) {
      return "Check that the directory of jsonmmap.file exists and that this process may read it"
          + " (and write it, for jsonmmap.role=writer or auto); jsonmmap.permissions sets the"
          + " permissions of a new file.";
    }
    return "Check jsonmmap.file and jsonmmap.role.";
  }
}
