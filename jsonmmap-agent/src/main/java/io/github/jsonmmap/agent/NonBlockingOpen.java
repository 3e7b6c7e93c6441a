package io.github.jsonmmap.agent;

import com.sun.jna.Native;
import com.sun.jna.Platform;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Locale;

/**
 * Opens a source file for reading so that a FIFO put at its path cannot block the agent, and proves
 * that what was opened is the file that was checked.
 *
 * <p>On 64-bit Linux it calls {@code open(2)} with {@code O_NONBLOCK | O_NOFOLLOW} (a FIFO opens at
 * once, a link fails), compares the opened file's attributes, read through {@code /proc/self/fd/N},
 * with the checked file's key, and reads it through that path: a verified regular file opens
 * without blocking. Elsewhere, or where JNA cannot load, it opens the path without following links,
 * as {@link Files#newByteChannel} does, after the caller's check.
 *
 * <p>Thread-safe: stateless.
 */
final class NonBlockingOpen {

  private static final String ARCH = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
  private static final int O_RDONLY = 0;
  private static final int O_NONBLOCK = 0x800;
  private static final int O_CLOEXEC = 0x80000;

  /** Of the flags used, the only one that differs between x86-64 and aarch64. */
  private static final int O_NOFOLLOW = ARCH.equals("aarch64") ? 0x8000 : 0x20000;

  private static final boolean NATIVE = loadNative();

  private NonBlockingOpen() {}

  private static boolean loadNative() {
    boolean platform =
        System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("linux")
            && (ARCH.equals("amd64") || ARCH.equals("x86_64") || ARCH.equals("aarch64"));
    if (!platform) {
      return false;
    }
    try {
      Native.register(NonBlockingOpen.class, Platform.C_LIBRARY_NAME);
      return true;
    } catch (LinkageError | RuntimeException e) {
      return false;
    }
  }

  private static native int open(byte[] pathname, int flags);

  private static native int close(int fd);

  /** Whether opening goes through {@code open(2)} with {@code O_NONBLOCK} (tests). */
  static boolean isNative() {
    return NATIVE;
  }

  /**
   * Opens {@code file}, a path with no link left in it, for reading; fails when the file opened is
   * not the regular file whose key is {@code checkedKey} (null: any regular file).
   *
   * @throws IOException when it cannot be opened or is not the file checked
   */
  static FileChannel openChecked(Path file, Object checkedKey) throws IOException {
    if (!NATIVE) {
      return FileChannel.open(
          file, StandardOpenOption.READ, java.nio.file.LinkOption.NOFOLLOW_LINKS);
    }
    byte[] name = file.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
    byte[] terminated = java.util.Arrays.copyOf(name, name.length + 1);
    int fd = open(terminated, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
      throw new IOException("cannot open " + file + " (errno " + Native.getLastError() + ")");
    }
    try {
      Path opened = Path.of("/proc/self/fd/" + fd);
      BasicFileAttributes attributes = Files.readAttributes(opened, BasicFileAttributes.class);
      if (!attributes.isRegularFile()) {
        throw new IOException("not a regular file once opened: " + file);
      }
      if (checkedKey != null && !checkedKey.equals(attributes.fileKey())) {
        throw new IOException("replaced between its check and its open: " + file);
      }
      // The descriptor names a regular file now: opening it again does not block.
      return FileChannel.open(opened, StandardOpenOption.READ);
    } finally {
      close(fd);
    }
  }
}
