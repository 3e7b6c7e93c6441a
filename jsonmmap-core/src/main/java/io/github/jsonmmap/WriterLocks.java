package io.github.jsonmmap;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * The writer locks this JVM holds, one per lock file. POSIX record locks (what {@link
 * FileChannel#tryLock()} takes on Linux) belong to the process, and closing <em>any</em> channel on
 * the file drops them: so only this class opens lock files, and it never opens a second channel on
 * one this JVM already locks. A second handle in the same JVM is refused like another process.
 *
 * <p>Thread-safe.
 */
final class WriterLocks {

  private record Held(FileChannel channel, FileLock lock, Object owner, Object fileKey) {}

  private static final Map<Path, Held> HELD = new HashMap<>();

  /** Lock files are the owner's alone: a reader that could open one could lock every writer out. */
  static final Set<PosixFilePermission> LOCK_PERMISSIONS =
      Collections.unmodifiableSet(PosixFilePermissions.fromString("rw-------"));

  private WriterLocks() {}

  /**
   * Takes the lock on an existing lock file for {@code owner}; false when another process or
   * another handle of this JVM holds it. True again for the owner that holds it.
   */
  static synchronized boolean tryAcquire(Path lockFile, Object owner, JsonMmapOptions options)
      throws IOException {
    Path key = keyOf(lockFile);
    Held held = HELD.get(key);
    if (held != null) {
      return held.owner() == owner;
    }
    FileChannel channel = SafeFiles.openReadWrite(key, LOCK_PERMISSIONS, options).channel();
    Object fileKey = SafeFiles.fileKey(key);
    FileLock lock;
    try {
      lock = channel.tryLock();
    } catch (OverlappingFileLockException | IOException e) {
      lock = null;
    }
    // The file at the path must still be the one opened and locked: the writer's fencing compares
    // the path with this identity before every publish, so a lock taken on a file that was just
    // deleted or replaced would fence the writer off at once.
    if (lock != null && (fileKey == null || !fileKey.equals(SafeFiles.fileKey(key)))) {
      lock.release();
      lock = null;
    }
    if (lock == null) {
      // Safe to close: this JVM holds no lock on the file (else it would be in HELD).
      channel.close();
      return false;
    }
    HELD.put(key, new Held(channel, lock, owner, fileKey));
    return true;
  }

  /**
   * The identity (device and inode) of the lock file {@code owner} locked, as seen at the path
   * right after locking; null when it holds no lock on {@code lockFile}.
   */
  static synchronized Object lockedFileKey(Path lockFile, Object owner) {
    for (Map.Entry<Path, Held> e : HELD.entrySet()) {
      if (e.getValue().owner() == owner && sameFile(e.getKey(), lockFile)) {
        return e.getValue().fileKey();
      }
    }
    return null;
  }

  /** Releases the lock if {@code owner} holds it. */
  static synchronized void release(Path lockFile, Object owner) {
    HELD.entrySet()
        .removeIf(
            e -> {
              Held held = e.getValue();
              if (held.owner() != owner || !sameFile(e.getKey(), lockFile)) {
                return false;
              }
              try {
                held.lock().release();
              } catch (IOException ignored) {
                // Closing the channel below releases it anyway.
              }
              try {
                held.channel().close();
              } catch (IOException ignored) {
                // Nothing more to release.
              }
              return true;
            });
  }

  private static boolean sameFile(Path key, Path lockFile) {
    try {
      return key.equals(keyOf(lockFile));
    } catch (IOException e) {
      // The directory went away: the owner check alone identifies the entry.
      return true;
    }
  }

  /** The lock file's name in its real directory: two spellings of one directory share a lock. */
  private static Path keyOf(Path lockFile) throws IOException {
    Path absolute = lockFile.toAbsolutePath().normalize();
    return absolute.getParent().toRealPath().resolve(absolute.getFileName());
  }
}
