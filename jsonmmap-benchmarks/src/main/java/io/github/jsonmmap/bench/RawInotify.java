package io.github.jsonmmap.bench;

import com.sun.jna.Native;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;

/**
 * The libc calls of the raw inotify floor ({@link Peer#FLOOR_EVENTS}): the writer's {@code
 * futimens} and the reader's blocking {@code read} on an inotify descriptor, nothing else, so that
 * the floor measures the kernel's event and one thread wake-up and none of jsonmmap's work. Bound
 * with JNA direct mapping, as jsonmmap-core binds its own.
 *
 * <p>Thread-safe: stateless.
 */
final class RawInotify {

  /** The events the jsonmmap writer's notification raises. */
  static final int IN_MODIFY = 0x2;

  static final int IN_ATTRIB = 0x4;

  static {
    Native.register(RawInotify.class, Platform.C_LIBRARY_NAME);
  }

  private RawInotify() {}

  static native int inotify_init1(int flags);

  /** {@code pathname} is NUL-terminated. */
  static native int inotify_add_watch(int fd, byte[] pathname, int mask);

  static native long read(int fd, Pointer buf, long count);

  /** {@code pathname} is NUL-terminated; never creates. */
  static native int open(byte[] pathname, int flags);

  /** {@code times} null: both times to now, as the jsonmmap writer bumps them. */
  static native int futimens(int fd, Pointer times);

  static native int close(int fd);
}
