package io.github.jsonmmap;

import static io.github.jsonmmap.Libc.IN_ATTRIB;
import static io.github.jsonmmap.Libc.IN_CLOEXEC;
import static io.github.jsonmmap.Libc.IN_CLOSE_WRITE;
import static io.github.jsonmmap.Libc.IN_CREATE;
import static io.github.jsonmmap.Libc.IN_DELETE;
import static io.github.jsonmmap.Libc.IN_IGNORED;
import static io.github.jsonmmap.Libc.IN_MODIFY;
import static io.github.jsonmmap.Libc.IN_MOVED_FROM;
import static io.github.jsonmmap.Libc.IN_MOVED_TO;
import static io.github.jsonmmap.Libc.IN_NONBLOCK;
import static io.github.jsonmmap.Libc.IN_Q_OVERFLOW;
import static io.github.jsonmmap.Libc.POLLERR;
import static io.github.jsonmmap.Libc.POLLIN;
import static io.github.jsonmmap.Libc.POLLNVAL;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.Charset;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * Linux inotify read on the watcher thread itself, through JNA: the thread that waits is the one
 * that then reads the file, so a change costs one wake-up (the JDK {@code WatchService} adds its
 * own poller thread in between). The thread blocks in {@code poll(2)} on the inotify descriptor and
 * an {@code eventfd}, which {@link #wakeup} writes so that registrations and shutdown wake it;
 * neither {@code Thread.interrupt()} nor {@code close(2)} would.
 *
 * <p>Nothing is allocated per wait, nor per event naming a file seen recently: the {@code pollfd}
 * array, the read buffer and its heap copy are allocated once, and recent file names are kept
 * decoded.
 *
 * <p>Thread-safe as {@link DirectoryEvents} says.
 */
final class InotifyEvents implements DirectoryEvents {

  private static final System.Logger LOG = System.getLogger(InotifyEvents.class.getName());

  /** What a directory watch reports; IN_ATTRIB is the writer's time bump after each publish. */
  static final int MASK =
      IN_ATTRIB | IN_MODIFY | IN_CLOSE_WRITE | IN_CREATE | IN_DELETE | IN_MOVED_TO | IN_MOVED_FROM;

  /** {@code struct inotify_event} without its name: wd, mask, cookie, len. */
  private static final int EVENT_HEADER_BYTES = 16;

  /** Room for hundreds of events per read; the kernel returns whole events only. */
  private static final int BUFFER_BYTES = 64 * 1024;

  /**
   * Recently seen file names kept decoded: more than the files a JVM usually follows per directory.
   */
  private static final int NAME_CACHE_SIZE = 8;

  private final int inotifyFd;
  private final int wakeFd;
  private final Charset fileNames;
  private final Memory pollFds = new Memory(16);
  private final Memory buffer = new Memory(BUFFER_BYTES);
  private final byte[] bytes = new byte[BUFFER_BYTES];
  private final ByteBuffer view = ByteBuffer.wrap(bytes).order(ByteOrder.nativeOrder());
  private final Memory one = new Memory(8);
  private final Memory drained = new Memory(8);

  /** Watcher thread only: the names events carried recently, raw and decoded. */
  private final byte[][] cachedNameBytes = new byte[NAME_CACHE_SIZE][];

  private final String[] cachedNames = new String[NAME_CACHE_SIZE];
  private int nextCachedName;

  // Guarded by this.
  private final Map<Path, Integer> wdByDir = new HashMap<>();
  private final Map<Integer, Path> dirByWd = new HashMap<>();
  private boolean closed;

  private InotifyEvents(int inotifyFd, int wakeFd) {
    this.inotifyFd = inotifyFd;
    this.wakeFd = wakeFd;
    String jnu = System.getProperty("sun.jnu.encoding");
    this.fileNames =
        jnu != null && Charset.isSupported(jnu) ? Charset.forName(jnu) : Charset.defaultCharset();
    pollFds.setInt(0, inotifyFd);
    pollFds.setShort(4, POLLIN);
    pollFds.setInt(8, wakeFd);
    pollFds.setShort(12, POLLIN);
    one.setLong(0, 1);
  }

  /**
   * Opens an inotify instance and its wake-up eventfd.
   *
   * @throws LinkageError when JNA or libc cannot be loaded (not Linux, no writable and executable
   *     directory to unpack JNA's native library)
   * @throws IllegalStateException when the kernel refuses (inotify instance limit reached)
   */
  static InotifyEvents open() {
    int fd = Libc.inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd < 0) {
      throw new IllegalStateException("inotify_init1 failed: errno=" + Native.getLastError());
    }
    int efd = Libc.eventfd(0, Libc.EFD_NONBLOCK | Libc.EFD_CLOEXEC);
    if (efd < 0) {
      int errno = Native.getLastError();
      Libc.close(fd);
      throw new IllegalStateException("eventfd failed: errno=" + errno);
    }
    return new InotifyEvents(fd, efd);
  }

  @Override
  public String mechanism() {
    return "inotify";
  }

  @Override
  public boolean precise() {
    return true;
  }

  @Override
  public synchronized boolean watch(Path dir) {
    if (closed) {
      return false;
    }
    if (wdByDir.containsKey(dir)) {
      return true;
    }
    byte[] name = dir.toString().getBytes(fileNames);
    int wd = Libc.inotify_add_watch(inotifyFd, Arrays.copyOf(name, name.length + 1), MASK);
    if (wd < 0) {
      LOG.log(
          Level.DEBUG,
          "no file events for {0}, polling only: inotify_add_watch errno={1}",
          dir,
          Native.getLastError());
      return false;
    }
    wdByDir.put(dir, wd);
    dirByWd.put(wd, dir);
    return true;
  }

  @Override
  public synchronized void unwatch(Path dir) {
    Integer wd = wdByDir.remove(dir);
    if (wd != null && !closed) {
      dirByWd.remove(wd);
      // Queues an IN_IGNORED for a descriptor no longer known: readEvents drops it.
      Libc.inotify_rm_watch(inotifyFd, wd);
    }
  }

  @Override
  public void await(long timeoutNanos, Sink sink) {
    int millis =
        timeoutNanos < 0
            ? -1
            : (int) Math.min(Integer.MAX_VALUE, (timeoutNanos + 999_999) / 1_000_000);
    pollFds.setShort(6, (short) 0);
    pollFds.setShort(14, (short) 0);
    if (Libc.poll(pollFds, 2, millis) <= 0) {
      return; // the timeout, or a signal (EINTR): the caller loops either way
    }
    short events = pollFds.getShort(6);
    short wake = pollFds.getShort(14);
    if (((events | wake) & (POLLERR | POLLNVAL)) != 0) {
      throw new IllegalStateException(
          "inotify poll failed: inotifyRevents=" + events + " eventfdRevents=" + wake);
    }
    if ((wake & POLLIN) != 0) {
      Libc.read(wakeFd, drained, 8);
    }
    if ((events & POLLIN) != 0) {
      readEvents(sink);
    }
  }

  private void readEvents(DirectoryEvents.Sink sink) {
    while (true) {
      long n = Libc.read(inotifyFd, buffer, BUFFER_BYTES);
      if (n <= 0) {
        return; // EAGAIN: drained
      }
      buffer.read(0, bytes, 0, (int) n);
      int pos = 0;
      while (pos + EVENT_HEADER_BYTES <= n) {
        int wd = view.getInt(pos);
        int mask = view.getInt(pos + 4);
        int len = view.getInt(pos + 12);
        int nameStart = pos + EVENT_HEADER_BYTES;
        int nameLength = 0;
        while (nameLength < len && bytes[nameStart + nameLength] != 0) {
          nameLength++;
        }
        pos = nameStart + len;
        if ((mask & IN_Q_OVERFLOW) != 0) {
          sink.overflow();
          continue;
        }
        boolean ignored = (mask & IN_IGNORED) != 0;
        Path dir = directory(wd, ignored);
        if (dir == null) {
          continue;
        }
        if (ignored) {
          sink.lost(dir);
        } else if (nameLength > 0) {
          sink.changed(dir, name(nameStart, nameLength), (mask & MASK & ~IN_ATTRIB) == 0);
        }
      }
      if (n < BUFFER_BYTES / 2) {
        return; // the kernel had no more than this; poll reports anything newer
      }
    }
  }

  /**
   * The file name at {@code bytes[start, start + length)}: a name seen recently is returned as the
   * String decoded then, so that the change path (one event per publish, naming the same file each
   * time) neither decodes nor allocates.
   */
  private String name(int start, int length) {
    for (int i = 0; i < NAME_CACHE_SIZE; i++) {
      byte[] cached = cachedNameBytes[i];
      if (cached != null && Arrays.equals(cached, 0, cached.length, bytes, start, start + length)) {
        return cachedNames[i];
      }
    }
    String name = new String(bytes, start, length, fileNames);
    cachedNameBytes[nextCachedName] = Arrays.copyOfRange(bytes, start, start + length);
    cachedNames[nextCachedName] = name;
    nextCachedName = (nextCachedName + 1) % NAME_CACHE_SIZE;
    return name;
  }

  private synchronized Path directory(int wd, boolean forget) {
    Path dir = dirByWd.get(wd);
    if (forget && dir != null) {
      dirByWd.remove(wd);
      wdByDir.remove(dir, wd);
    }
    return dir;
  }

  @Override
  public synchronized void wakeup() {
    if (!closed) {
      Libc.write(wakeFd, one, 8);
    }
  }

  @Override
  public synchronized void close() {
    if (!closed) {
      closed = true;
      Libc.close(inotifyFd);
      Libc.close(wakeFd);
      wdByDir.clear();
      dirByWd.clear();
    }
  }
}
