package io.github.jsonmmap;

import com.sun.jna.Native;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;
import java.nio.charset.Charset;

/**
 * The few Linux libc calls {@link InotifyEvents} and {@link ReaderNotifier} make, bound with JNA
 * direct mapping (no proxy, no per-call allocation for primitive and pointer arguments). Loading
 * this class fails with a {@link LinkageError} where JNA or libc cannot be loaded; callers catch
 * that and fall back.
 *
 * <p>Thread-safe: stateless.
 */
final class Libc {

  static final int IN_NONBLOCK = 0x800;
  static final int IN_CLOEXEC = 0x80000;
  static final int EFD_NONBLOCK = 0x800;
  static final int EFD_CLOEXEC = 0x80000;

  static final int IN_MODIFY = 0x2;
  static final int IN_ATTRIB = 0x4;
  static final int IN_CLOSE_WRITE = 0x8;
  static final int IN_MOVED_FROM = 0x40;
  static final int IN_MOVED_TO = 0x80;
  static final int IN_CREATE = 0x100;
  static final int IN_DELETE = 0x200;
  static final int IN_Q_OVERFLOW = 0x4000;
  static final int IN_IGNORED = 0x8000;

  static final short POLLIN = 0x1;
  static final short POLLERR = 0x8;
  static final short POLLNVAL = 0x20;

  static {
    if (!Platform.isLinux() || Native.POINTER_SIZE != 8) {
      throw new UnsupportedOperationException(
          "inotify is read natively on 64-bit Linux only: os=" + System.getProperty("os.name"));
    }
    Native.register(Libc.class, Platform.C_LIBRARY_NAME);
  }

  private Libc() {}

  static native int inotify_init1(int flags);

  /** {@code pathname} is NUL-terminated, in the platform's file name encoding. */
  static native int inotify_add_watch(int fd, byte[] pathname, int mask);

  static native int inotify_rm_watch(int fd, int wd);

  static native int eventfd(int initval, int flags);

  /** {@code fds} points to {@code nfds} {@code struct pollfd} of 8 bytes each. */
  static native int poll(Pointer fds, long nfds, int timeoutMillis);

  static native long read(int fd, Pointer buf, long count);

  static native long write(int fd, Pointer buf, long count);

  static native int close(int fd);

  /** {@code pathname} is NUL-terminated, in {@link #fileNames()}; no mode (never creates). */
  static native int open(byte[] pathname, int flags);

  /** {@code times} null sets both times to now. */
  static native int futimens(int fd, Pointer times);

  /** The encoding of file names in system calls: the JVM's {@code sun.jnu.encoding}. */
  static Charset fileNames() {
    String jnu = System.getProperty("sun.jnu.encoding");
    return jnu != null && Charset.isSupported(jnu)
        ? Charset.forName(jnu)
        : Charset.defaultCharset();
  }
}
