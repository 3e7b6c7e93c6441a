package io.github.jsonmmap;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Every open, create and directory creation of the library goes through here, so that the rules for
 * trusting a path (FORMAT.md "Trust") live in one place.
 *
 * <p>Stateless; safe to call from any thread.
 */
final class SafeFiles {

  private SafeFiles() {}

  /** See {@link JsonMmapOptions#defaultDirectory()}. */
  static Path defaultDirectory() {
    String runtime = System.getenv("XDG_RUNTIME_DIR");
    if (runtime != null && !runtime.isEmpty()) {
      return Path.of(runtime, "jsonmmap");
    }
    Path shm = Path.of("/dev/shm");
    String user = System.getProperty("user.name", "user");
    if (Files.isDirectory(shm)) {
      return shm.resolve("jsonmmap-" + user);
    }
    return Path.of(System.getProperty("java.io.tmpdir"), "jsonmmap-" + user);
  }

  /** Makes sure the directory that holds {@code file} exists and may be trusted. */
  static void prepareParent(Path file, JsonMmapOptions options) throws IOException {
    Path parent = file.getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
  }

  /** Opens an existing file read-only. */
  static FileChannel openRead(Path file, JsonMmapOptions options) throws IOException {
    return FileChannel.open(file, StandardOpenOption.READ);
  }

  /** An open channel and whether this call created the file. */
  record Opened(FileChannel channel, boolean created) {}

  /** Opens a file read-write, creating it with {@code permissions} when it does not exist. */
  static Opened openReadWrite(
      Path file, Set<PosixFilePermission> permissions, JsonMmapOptions options) throws IOException {
    boolean created = createIfAbsent(file, permissions);
    return new Opened(
        FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE), created);
  }

  /** Opens a file read-only without options: for tools that inspect a file they were given. */
  static FileChannel openRead(Path file) throws IOException {
    return FileChannel.open(file, StandardOpenOption.READ);
  }

  /** The identity (device and inode) of the file at {@code file}, or null when there is none. */
  static Object fileKey(Path file) {
    try {
      return Files.readAttributes(file, BasicFileAttributes.class).fileKey();
    } catch (IOException e) {
      return null;
    }
  }

  /** Who holds an OS lock on {@code lockFile}, for error messages: "unknown" when not known. */
  static String lockHolder(Path lockFile) {
    return "unknown";
  }

  private static boolean createIfAbsent(Path file, Set<PosixFilePermission> permissions)
      throws IOException {
    try {
      Files.createFile(file, PosixFilePermissions.asFileAttribute(permissions));
      Files.setPosixFilePermissions(file, permissions);
      return true;
    } catch (FileAlreadyExistsException e) {
      return false;
    } catch (UnsupportedOperationException e) {
      Files.createFile(file);
      return true;
    }
  }
}
