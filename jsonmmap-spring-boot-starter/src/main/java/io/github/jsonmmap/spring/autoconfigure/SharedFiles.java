package io.github.jsonmmap.spring.autoconfigure;

import io.github.jsonmmap.JsonMmapFile;
import io.github.jsonmmap.JsonMmapOptions;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * The files this JVM has open for Spring, one handle per path, counted: the environment post
 * processor opens a file before the context exists, the context's bean takes it over, and a second
 * run of the post-processor (Spring Cloud's refresh re-runs it) reuses it instead of competing with
 * it for the writer lock.
 *
 * <p>Thread-safe.
 */
final class SharedFiles {

  private static final class Entry {
    final JsonMmapFile file;
    int users;

    Entry(JsonMmapFile file) {
      this.file = file;
    }
  }

  private static final Map<Path, Entry> OPEN = new HashMap<>();

  private SharedFiles() {}

  /** Opens the file, or returns this JVM's open handle for the same path. */
  static synchronized JsonMmapFile acquire(JsonMmapOptions options) {
    Entry entry = OPEN.get(options.path());
    if (entry == null) {
      entry = new Entry(JsonMmapFile.open(options));
      OPEN.put(options.path(), entry);
    }
    entry.users++;
    return entry.file;
  }

  /** Counts one more user of an open handle (one that was acquired before). */
  static synchronized void retain(JsonMmapFile file) {
    Entry entry = OPEN.get(file.path());
    if (entry != null && entry.file == file) {
      entry.users++;
    }
  }

  /** Drops one user; the last one closes the file. */
  static synchronized void release(JsonMmapFile file) {
    Entry entry = OPEN.get(file.path());
    if (entry == null || entry.file != file) {
      file.close();
      return;
    }
    if (--entry.users <= 0) {
      OPEN.remove(file.path());
      file.close();
    }
  }
}
