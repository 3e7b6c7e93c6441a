package io.github.jsonmmap.spring.autoconfigure;

import io.github.jsonmmap.JsonMmapFile;
import io.github.jsonmmap.JsonMmapOptions;
import io.github.jsonmmap.Role;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * The files this JVM has open for Spring, one handle per path and role, counted: the environment
 * post-processor (or the {@code jsonmmap:} config import) opens a file before the context exists,
 * the context's bean takes it over, and a second run (Spring Cloud's refresh re-runs them) reuses
 * it instead of competing with it for the writer lock. Two contexts asking for different roles on
 * one path get different handles, each acting in its own role: a reader context never writes
 * through a writer context's handle.
 *
 * <p>Thread-safe.
 */
final class SharedFiles {

  private record Key(Path path, Role role) {}

  private static final class Entry {
    final JsonMmapFile file;
    int users;

    Entry(JsonMmapFile file) {
      this.file = file;
    }
  }

  private static final Map<Key, Entry> OPEN = new HashMap<>();

  private SharedFiles() {}

  /** Opens the file, or returns this JVM's open handle for the same path and role. */
  static synchronized JsonMmapFile acquire(JsonMmapOptions options) {
    Key key = new Key(options.path(), options.role());
    Entry entry = OPEN.get(key);
    if (entry == null) {
      entry = new Entry(JsonMmapFile.open(options));
      OPEN.put(key, entry);
    }
    entry.users++;
    return entry.file;
  }

  /** Counts one more user of an open handle (one that was acquired before). */
  static synchronized void retain(JsonMmapFile file) {
    Entry entry = OPEN.get(keyOf(file));
    if (entry != null && entry.file == file) {
      entry.users++;
    }
  }

  /** Drops one user; the last one closes the file. */
  static synchronized void release(JsonMmapFile file) {
    Key key = keyOf(file);
    Entry entry = OPEN.get(key);
    if (entry == null || entry.file != file) {
      file.close();
      return;
    }
    if (--entry.users <= 0) {
      OPEN.remove(key);
      file.close();
    }
  }

  private static Key keyOf(JsonMmapFile file) {
    return new Key(file.path(), file.options().role());
  }
}
