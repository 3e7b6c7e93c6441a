package io.github.jsonmmap.spring.autoconfigure;

import io.github.jsonmmap.CorruptFileException;
import io.github.jsonmmap.DocumentTooLargeException;
import io.github.jsonmmap.FileMissingException;
import io.github.jsonmmap.InvalidDocumentException;
import io.github.jsonmmap.JsonMmapException;
import io.github.jsonmmap.NameMismatchException;
import io.github.jsonmmap.UnsupportedFormatException;
import io.github.jsonmmap.WriterLockedException;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/** Explains the start-up failures a jsonmmap user meets and names the property to change. */
public class JsonMmapFailureAnalyzer extends AbstractFailureAnalyzer<JsonMmapException> {

  @Override
  protected FailureAnalysis analyze(Throwable rootFailure, JsonMmapException cause) {
    String description = "The shared configuration file could not be used: " + cause.getMessage();
    return new FailureAnalysis(description, action(cause), cause);
  }

  static String action(JsonMmapException cause) {
    if (cause instanceof WriterLockedException) {
      return "Another process is the writer of this file and there is one writer per file. Stop it,"
          + " or set jsonmmap.role=reader to follow it, or jsonmmap.role=auto to stand by and take"
          + " over when it stops.";
    }
    if (cause instanceof FileMissingException) {
      return "Start the writer first, point jsonmmap.file at the file it writes, or set"
          + " jsonmmap.optional=true to start without it (the application attaches when the file"
          + " appears).";
    }
    if (cause instanceof NameMismatchException) {
      return "Two applications point at the same file: give this one its own jsonmmap.file, or"
          + " correct jsonmmap.name.";
    }
    if (cause instanceof UnsupportedFormatException) {
      return "The file was written by a newer jsonmmap: upgrade this application, or point"
          + " jsonmmap.file at another file.";
    }
    if (cause instanceof DocumentTooLargeException) {
      return "Raise jsonmmap.max-size (documents up to a third of it always fit), or shrink the"
          + " document.";
    }
    if (cause instanceof CorruptFileException || cause instanceof InvalidDocumentException) {
      return "The file is not a valid jsonmmap file; nothing was overwritten. Check it with"
          + " 'jsonmmap verify', then move it away or point jsonmmap.file elsewhere.";
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
