package io.github.jsonmmap;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Every open, create and directory creation of the library goes through here, so that the rules for
 * trusting a path (FORMAT.md "Trust") live in one place.
 *
 * <p>The rules, in the spirit of OpenSSH's {@code StrictModes}:
 *
 * <ul>
 *   <li>An account is <em>trusted</em> when it is root, this process's user, or one of {@link
 *       JsonMmapOptions#trustedUsers()}.
 *   <li>The path is walked from {@code /} down with {@code lstat}. Every directory on it is owned
 *       by a trusted account (another owner could replace what lies below it after the walk). The
 *       file, or a link, is trusted when a trusted account owns it, or when it sits in a directory
 *       that only trusted accounts can write (a trusted owner, no group or other write): that
 *       directory's owner chose who placed it. In a world- or group-writable sticky directory
 *       ({@code /tmp}, {@code /dev/shm}) only the first rule applies, which stops another user from
 *       pre-creating {@code /tmp/jsonmmap}.
 *   <li>A directory writable by group or others is refused unless it is sticky.
 *   <li>A symbolic link in a directory is followed only when the link itself is trusted, at most
 *       {@value #MAX_SYMLINKS} of them; the file itself (data file, lock file) is never a link.
 *   <li>The file must be a regular file, checked before it is opened (a FIFO can never block an
 *       open), not writable by others, not by its group either, and, for a writer, owned by this
 *       user with exactly one hard link (a root writer never adopts a file another user planted).
 *       After the open, the path must still name the file that was checked.
 *   <li>Files are created with {@code O_CREAT|O_EXCL|O_NOFOLLOW} and their mode in one call;
 *       directories with {@code mkdir(mode)}; bits the umask removed are put back through a
 *       no-follow view of the entry just created, never by a following path.
 * </ul>
 *
 * <p>{@link JsonMmapOptions#strictModes() strictModes(false)} skips the owner and mode checks (the
 * symlink, file type and hard link checks stay), with one WARNING per path.
 *
 * <p>Stateless apart from the set of paths already warned about; safe to call from any thread.
 */
final class SafeFiles {

  private static final System.Logger LOG = System.getLogger(SafeFiles.class.getName());

  /** The most symbolic links followed on one path, as the Linux kernel does. */
  static final int MAX_SYMLINKS = 40;

  private static final int S_IFMT = 0170000;
  private static final int S_IFSOCK = 0140000;
  private static final int S_IFLNK = 0120000;
  private static final int S_IFREG = 0100000;
  private static final int S_IFBLK = 0060000;
  private static final int S_IFDIR = 0040000;
  private static final int S_IFCHR = 0020000;
  private static final int S_IFIFO = 0010000;
  private static final int S_ISVTX = 01000;
  private static final int GROUP_OTHER_WRITE = 0022;
  private static final int OTHER_WRITE = 0002;
  private static final int GROUP_WRITE = 0020;

  private static final Set<Path> WARNED = ConcurrentHashMap.newKeySet();

  /** The trust settings of one call: from the options, or the strict defaults for tools. */
  private record Trust(boolean strict, Set<String> users) {
    static final Trust DEFAULT = new Trust(true, Set.of());

    static Trust of(JsonMmapOptions options) {
      return options == null ? DEFAULT : new Trust(options.strictModes(), options.trustedUsers());
    }
  }

  /** What {@code lstat} says about one entry. */
  private record Stat(Path path, int uid, int mode, long nlink, Object fileKey) {
    int type() {
      return mode & S_IFMT;
    }

    boolean isDirectory() {
      return type() == S_IFDIR;
    }

    boolean isSymlink() {
      return type() == S_IFLNK;
    }

    boolean isRegular() {
      return type() == S_IFREG;
    }

    boolean sticky() {
      return (mode & S_ISVTX) != 0;
    }

    Set<PosixFilePermission> permissions() {
      return fromMode(mode);
    }
  }

  /** A directory walked and trusted, under its real name (no symlinks left in it). */
  private record Dir(Path path, Stat stat) {}

  private SafeFiles() {}

  // ---------------------------------------------------------------- default location

  /** See {@link JsonMmapOptions#defaultDirectory()}. */
  static Path defaultDirectory() {
    long uid = Self.UID;
    String runtime = System.getenv("XDG_RUNTIME_DIR");
    if (runtime != null && !runtime.isEmpty() && Self.UNIX) {
      Path dir = Path.of(runtime);
      try {
        Stat stat = lstat(dir.toAbsolutePath().normalize());
        // Only a private runtime directory of our own, as systemd-logind makes it (0700).
        if (dir.isAbsolute()
            && stat.isDirectory()
            && stat.uid() == uid
            && (stat.mode() & 0077) == 0) {
          return dir.resolve("jsonmmap");
        }
      } catch (IOException | RuntimeException e) {
        // Not usable: fall through to the next candidate.
      }
    }
    String name = "jsonmmap-" + (uid >= 0 ? Long.toString(uid) : safeUserName());
    Path shm = Path.of("/dev/shm");
    if (Files.isDirectory(shm, LinkOption.NOFOLLOW_LINKS)) {
      return shm.resolve(name);
    }
    return Path.of(System.getProperty("java.io.tmpdir")).toAbsolutePath().resolve(name);
  }

  private static String safeUserName() {
    return System.getProperty("user.name", "user").replaceAll("[^A-Za-z0-9._-]", "_");
  }

  // ---------------------------------------------------------------- directories

  /**
   * Makes sure the directory that holds {@code file} exists and may be trusted, creating missing
   * directories one by one: owner {@code rwx}, plus group {@code r-x} when the file's permissions
   * let the group read (the default directory: owner only), never anything for others.
   */
  static void prepareParent(Path file, JsonMmapOptions options) throws IOException {
    Path requested = file.toAbsolutePath().normalize();
    Path parent = requested.getParent();
    if (parent == null) {
      return;
    }
    if (!Self.UNIX) {
      Files.createDirectories(parent);
      return;
    }
    Set<PosixFilePermission> mode = PosixFilePermissions.fromString("rwx------");
    if (options != null
        && options.permissions().contains(PosixFilePermission.GROUP_READ)
        && !parent.equals(defaultDirectory())) {
      mode.add(PosixFilePermission.GROUP_READ);
      mode.add(PosixFilePermission.GROUP_EXECUTE);
    }
    trustedDirectory(requested, parent, Trust.of(options), mode);
  }

  /**
   * Walks {@code dir} from {@code /} down, following only trusted symlinks, and checks every
   * directory; creates missing ones with {@code createMode} when it is not null, else a missing one
   * is a {@link NoSuchFileException}.
   */
  private static Dir trustedDirectory(
      Path file, Path dir, Trust trust, Set<PosixFilePermission> createMode) throws IOException {
    Path root = dir.getRoot();
    Deque<Dir> walked = new ArrayDeque<>();
    Dir current = new Dir(root, lstat(root));
    checkDirectory(file, current.stat(), null, trust);
    walked.push(current);
    Deque<String> remaining = new ArrayDeque<>();
    for (Path name : dir) {
      remaining.addLast(name.toString());
    }
    int links = 0;
    while (!remaining.isEmpty()) {
      String name = remaining.removeFirst();
      if (name.isEmpty() || name.equals(".")) {
        continue;
      }
      if (name.equals("..")) {
        // The walked prefix is physical (links already replaced), so ".." is its parent.
        if (walked.size() > 1) {
          walked.pop();
        }
        current = walked.peek();
        continue;
      }
      Path next = current.path().resolve(name);
      Stat stat;
      try {
        stat = lstat(next);
      } catch (NoSuchFileException e) {
        if (createMode == null) {
          throw e;
        }
        stat = createDirectory(next, createMode);
      }
      if (stat.isSymlink()) {
        checkPlacement(file, stat, current.stat(), trust, "symlink");
        if (++links > MAX_SYMLINKS) {
          throw untrusted(
              file,
              "symlink",
              stat,
              "at most " + MAX_SYMLINKS + " symbolic links are followed on a path");
        }
        Path target = Files.readSymbolicLink(next);
        List<String> names = new ArrayList<>();
        for (Path part : target) {
          names.add(part.toString());
        }
        for (int i = names.size() - 1; i >= 0; i--) {
          remaining.addFirst(names.get(i));
        }
        if (target.isAbsolute()) {
          while (walked.size() > 1) {
            walked.pop();
          }
          current = walked.peek();
        }
        continue;
      }
      if (!stat.isDirectory()) {
        throw new NotDirectoryException(next.toString());
      }
      checkPlacement(file, stat, current.stat(), trust, "directory");
      checkDirectory(file, stat, current.stat(), trust);
      current = new Dir(next, stat);
      walked.push(current);
    }
    return current;
  }

  /**
   * {@code mkdir(mode)}: the umask can only remove bits, and the ones it removed are put back on
   * the new directory itself, never through a path that could follow a link.
   */
  private static Stat createDirectory(Path dir, Set<PosixFilePermission> mode) throws IOException {
    try {
      Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(mode));
    } catch (FileAlreadyExistsException e) {
      // Someone made it first: it is checked like any existing entry.
      return lstat(dir);
    }
    Stat stat = lstat(dir);
    if (stat.isDirectory() && stat.uid() == Self.UID && !stat.permissions().equals(mode)) {
      restoreMode(dir, stat, mode);
      stat = lstat(dir);
    }
    return stat;
  }

  /**
   * Sets the mode of an entry this process has just created and checked ({@code stat}).
   *
   * <p>The no-follow view of JDK 17 opens the entry with {@code O_NOFOLLOW} and calls {@code
   * fchmod}. Some later JDKs (seen on 25) pass {@code O_NOFOLLOW} as the mode argument of {@code
   * open} and so follow a link there: what makes this safe on every JDK is that the entry sits in a
   * directory checked to be writable by trusted accounts only, so nobody else can swap it between
   * the check and the chmod; and the entry is checked again afterwards.
   */
  private static void restoreMode(Path entry, Stat stat, Set<PosixFilePermission> mode)
      throws IOException {
    Files.getFileAttributeView(entry, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
        .setPermissions(mode);
    Stat after = lstat(entry);
    if (!same(stat, after) || !after.permissions().equals(mode)) {
      throw untrusted(
          entry,
          stat.isDirectory() ? "directory" : "file",
          after,
          "an entry the library creates must keep its identity and get mode="
              + PosixFilePermissions.toString(mode));
    }
  }

  // ---------------------------------------------------------------- files

  /** Opens an existing file read-only, after checking it and its directories. */
  static FileChannel openRead(Path file, JsonMmapOptions options) throws IOException {
    return openRead(file, Trust.of(options));
  }

  /** Opens a file read-only with the strict default rules: for tools given a path. */
  static FileChannel openRead(Path file) throws IOException {
    return openRead(file, Trust.DEFAULT);
  }

  private static FileChannel openRead(Path file, Trust trust) throws IOException {
    Path requested = file.toAbsolutePath().normalize();
    if (!Self.UNIX) {
      return FileChannel.open(requested, StandardOpenOption.READ);
    }
    Dir dir = trustedDirectory(requested, parentOf(requested), trust, null);
    Path target = dir.path().resolve(requested.getFileName());
    Stat stat = lstat(target);
    checkFile(requested, stat, dir.stat(), trust, false);
    return openChecked(requested, stat, Set.of(StandardOpenOption.READ));
  }

  /** An open channel and whether this call created the file. */
  record Opened(FileChannel channel, boolean created) {}

  /**
   * Opens a file read-write, creating it with exactly {@code permissions} when it does not exist.
   * The directory must exist (see {@link #prepareParent}). An existing file must pass the writer's
   * rules; an owner-only {@code permissions} (the lock file) is restored on an existing file that
   * grants more.
   */
  static Opened openReadWrite(
      Path file, Set<PosixFilePermission> permissions, JsonMmapOptions options) throws IOException {
    Path requested = file.toAbsolutePath().normalize();
    if (!Self.UNIX) {
      boolean created = false;
      try {
        Files.createFile(requested);
        created = true;
      } catch (FileAlreadyExistsException e) {
        // Opened below.
      }
      return new Opened(
          FileChannel.open(requested, StandardOpenOption.READ, StandardOpenOption.WRITE), created);
    }
    Trust trust = Trust.of(options);
    Set<PosixFilePermission> mode = EnumSet.copyOf(permissions);
    Set<OpenOption> readWrite = Set.of(StandardOpenOption.READ, StandardOpenOption.WRITE);
    // A file that appears or vanishes between the lstat and the open is looked at again.
    for (int attempt = 0; ; attempt++) {
      Dir dir = trustedDirectory(requested, parentOf(requested), trust, null);
      Path target = dir.path().resolve(requested.getFileName());
      Stat stat;
      try {
        stat = lstat(target);
      } catch (NoSuchFileException absent) {
        try {
          return new Opened(create(requested, target, mode), true);
        } catch (FileAlreadyExistsException raced) {
          if (attempt >= 2) {
            throw raced;
          }
          continue;
        }
      }
      checkFile(requested, stat, dir.stat(), trust, true);
      boolean ownerOnly = (toMode(mode) & 0077) == 0;
      if (ownerOnly && (stat.mode() & 0077) != 0 && stat.uid() == Self.UID) {
        restoreMode(target, stat, mode);
        stat = lstat(target);
      }
      try {
        return new Opened(openChecked(requested, stat, readWrite), false);
      } catch (NoSuchFileException vanished) {
        if (attempt >= 2) {
          throw vanished;
        }
      }
    }
  }

  /**
   * {@code open(O_CREAT|O_EXCL|O_NOFOLLOW, mode)}: atomic, never through a link; the umask's bits
   * are put back on the new file.
   */
  private static FileChannel create(Path requested, Path target, Set<PosixFilePermission> mode)
      throws IOException {
    FileChannel channel =
        FileChannel.open(
            target,
            Set.of(
                StandardOpenOption.READ,
                StandardOpenOption.WRITE,
                StandardOpenOption.CREATE_NEW,
                LinkOption.NOFOLLOW_LINKS),
            PosixFilePermissions.asFileAttribute(mode));
    try {
      Stat stat = lstat(target);
      if (!stat.isRegular() || stat.uid() != Self.UID || stat.nlink() != 1) {
        throw untrusted(requested, "file", stat, "a file the library creates must stay its own");
      }
      if (!stat.permissions().equals(mode)) {
        restoreMode(target, stat, mode);
      }
      return channel;
    } catch (IOException | RuntimeException e) {
      closeQuietly(channel);
      throw e;
    }
  }

  /**
   * Opens a checked file without following a link, then makes sure the path still names the file
   * that was checked. The remaining window (the entry swapped after this second look) is not
   * exploitable: the directory was checked to be writable only by trusted accounts, or sticky with
   * the file owned by a trusted account, so nobody else can rename, unlink or replace the entry.
   */
  private static FileChannel openChecked(Path requested, Stat stat, Set<OpenOption> options)
      throws IOException {
    Set<OpenOption> noFollow = new HashSet<>(options);
    noFollow.add(LinkOption.NOFOLLOW_LINKS);
    FileChannel channel = FileChannel.open(stat.path(), noFollow);
    try {
      Stat after = lstat(stat.path());
      if (!same(stat, after)) {
        throw untrusted(
            requested, "file", after, "the file opened must be the file that was checked");
      }
      return channel;
    } catch (IOException | RuntimeException e) {
      closeQuietly(channel);
      throw e;
    }
  }

  /** The rules for the file itself: type always; owner and mode when strict; writer extras. */
  private static void checkFile(Path requested, Stat stat, Stat parent, Trust trust, boolean writer)
      throws UntrustedFileException {
    if (stat.isSymlink()) {
      throw untrusted(requested, "file", stat, "the file must not be a symbolic link");
    }
    if (!stat.isRegular()) {
      throw untrusted(
          requested, "file", stat, "the file must be a regular file, not a " + typeName(stat));
    }
    if (writer && stat.nlink() != 1) {
      throw untrusted(
          requested,
          "file",
          stat,
          "a writer opens only a file with one hard link (nlink=" + stat.nlink() + ")");
    }
    if (!strict(trust, requested)) {
      return;
    }
    checkPlacement(requested, stat, parent, trust, "file");
    if ((stat.mode() & OTHER_WRITE) != 0) {
      throw untrusted(requested, "file", stat, "the file must not be writable by others");
    }
    if ((stat.mode() & GROUP_WRITE) != 0) {
      throw untrusted(
          requested, "file", stat, "the file must not be writable by its group (strict modes)");
    }
    if (writer && stat.uid() != Self.UID) {
      throw untrusted(
          requested,
          "file",
          stat,
          "a writer opens only a file owned by this user (uid=" + Self.UID + ")");
    }
  }

  /** Whether {@code stat}'s owner may have put it where it is (see the class comment). */
  private static void checkPlacement(
      Path requested, Stat stat, Stat parent, Trust trust, String kind)
      throws UntrustedFileException {
    if (!strict(trust, requested) || trusted(stat, trust)) {
      return;
    }
    // A file (or a link) another account owns may have been placed by the owner of a private
    // parent. A directory may not: its owner could replace anything below it after the walk.
    boolean parentPrivate =
        !kind.equals("directory")
            && parent != null
            && trusted(parent, trust)
            && (parent.mode() & GROUP_OTHER_WRITE) == 0;
    if (parentPrivate) {
      return;
    }
    if (parent != null && parent.sticky() && (parent.mode() & GROUP_OTHER_WRITE) != 0) {
      throw untrusted(
          requested,
          kind,
          stat,
          "a "
              + kind
              + ((parent.mode() & OTHER_WRITE) != 0
                  ? " in a world-writable"
                  : " in a group-writable")
              + " sticky directory must be owned by root or by this user (uid="
              + Self.UID
              + ")"
              + trustedUsersText(trust));
    }
    throw untrusted(
        requested,
        kind,
        stat,
        "a "
            + kind
            + " must be owned by root or by this user (uid="
            + Self.UID
            + ")"
            + trustedUsersText(trust)
            + (kind.equals("directory")
                ? " (its owner could replace what lies below it after the check)"
                : ", or sit in a directory only they can write"));
  }

  /**
   * A directory on the path: never writable by others unless sticky (its owner is checked by {@link
   * #checkPlacement}).
   */
  private static void checkDirectory(Path requested, Stat stat, Stat parent, Trust trust)
      throws UntrustedFileException {
    if (!strict(trust, requested)) {
      return;
    }
    if (parent == null && !trusted(stat, trust)) {
      throw untrusted(
          requested, "directory", stat, "the root directory must be owned by a trusted account");
    }
    if ((stat.mode() & GROUP_OTHER_WRITE) != 0 && !stat.sticky()) {
      throw untrusted(
          requested,
          "directory",
          stat,
          "a directory on the path must not be writable by group or others unless it is sticky");
    }
  }

  private static String trustedUsersText(Trust trust) {
    return trust.users().isEmpty() ? "" : " or by a trusted user " + trust.users();
  }

  private static boolean trusted(Stat stat, Trust trust) {
    if (stat.uid() == 0 || stat.uid() == Self.UID) {
      return true;
    }
    if (trust.users().isEmpty()) {
      return false;
    }
    return trust.users().contains(Integer.toString(stat.uid()))
        || trust.users().contains(ownerName(stat.path()));
  }

  /** Whether the owner and mode checks apply; warns once per path when they do not. */
  private static boolean strict(Trust trust, Path path) {
    if (trust.strict()) {
      return true;
    }
    if (WARNED.add(path)) {
      LOG.log(
          System.Logger.Level.WARNING,
          "strict modes are off: owner and mode of {0} are not checked (symlinks, file types and"
              + " hard links still are)",
          path);
    }
    return false;
  }

  // ---------------------------------------------------------------- identity and locks

  /**
   * The identity (device and inode) of the entry at {@code file}, not following a link, or null
   * when there is none.
   */
  static Object fileKey(Path file) {
    try {
      return Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS)
          .fileKey();
    } catch (IOException e) {
      return null;
    }
  }

  /**
   * Who holds an OS lock on {@code lockFile}, for error messages: {@code pid=<pid> comm=<name>}
   * (the name when {@code /proc/<pid>/comm} is readable, control characters replaced), or {@code
   * unknown} when not known (not Linux, no lock found, or the holder is gone).
   */
  static String lockHolder(Path lockFile) {
    OptionalLong pid = lockHolderPid(lockFile);
    if (pid.isEmpty()) {
      return "unknown";
    }
    String holder = "pid=" + pid.getAsLong();
    try {
      String comm =
          new String(
                  Files.readAllBytes(Path.of("/proc", Long.toString(pid.getAsLong()), "comm")),
                  StandardCharsets.UTF_8)
              .strip();
      if (!comm.isEmpty()) {
        holder += " comm=" + printable(comm);
      }
    } catch (IOException | RuntimeException e) {
      // The name is a nicety: the pid says who it is.
    }
    return holder;
  }

  /**
   * The pid that holds a POSIX or flock lock on {@code lockFile}, from {@code /proc/locks}: its
   * lines read {@code N: POSIX ADVISORY WRITE <pid> <maj>:<min>:<inode> <start> <end>}, the device
   * in hex; waiters ({@code ->}) and OFD locks (pid -1) are skipped.
   */
  static OptionalLong lockHolderPid(Path lockFile) {
    Path locks = Path.of("/proc/locks");
    if (!Self.UNIX || !Files.isReadable(locks)) {
      return OptionalLong.empty();
    }
    try {
      Map<String, Object> a =
          Files.readAttributes(lockFile, "unix:ino,dev", LinkOption.NOFOLLOW_LINKS);
      long ino = (Long) a.get("ino");
      long dev = (Long) a.get("dev");
      long major = ((dev >>> 8) & 0xfffL) | ((dev >>> 32) & ~0xfffL);
      long minor = (dev & 0xffL) | ((dev >>> 12) & ~0xffL);
      long byInode = -1;
      int inodeMatches = 0;
      for (String line : Files.readAllLines(locks, StandardCharsets.US_ASCII)) {
        String[] f = line.trim().split("\\s+");
        if (f.length < 6 || f[1].equals("->")) {
          continue;
        }
        String[] id = f[5].split(":");
        if (id.length != 3 || !id[2].equals(Long.toString(ino))) {
          continue;
        }
        long pid = Long.parseLong(f[4]);
        if (pid <= 0) {
          continue;
        }
        if (Long.parseLong(id[0], 16) == major && Long.parseLong(id[1], 16) == minor) {
          return OptionalLong.of(pid);
        }
        byInode = pid;
        inodeMatches++;
      }
      // Some file systems (overlayfs) report another device in stat than in /proc/locks.
      return inodeMatches == 1 ? OptionalLong.of(byInode) : OptionalLong.empty();
    } catch (IOException | RuntimeException e) {
      return OptionalLong.empty();
    }
  }

  // ---------------------------------------------------------------- helpers

  private static Path parentOf(Path file) {
    Path parent = file.getParent();
    return parent == null ? file.getRoot() : parent;
  }

  private static Stat lstat(Path path) throws IOException {
    Map<String, Object> a =
        Files.readAttributes(path, "unix:uid,mode,nlink,fileKey", LinkOption.NOFOLLOW_LINKS);
    return new Stat(
        path,
        (Integer) a.get("uid"),
        (Integer) a.get("mode"),
        ((Number) a.get("nlink")).longValue(),
        a.get("fileKey"));
  }

  private static boolean same(Stat before, Stat after) {
    return before.fileKey() != null
        && before.fileKey().equals(after.fileKey())
        && before.type() == after.type();
  }

  private static UntrustedFileException untrusted(
      Path requested, String kind, Stat stat, String rule) {
    StringBuilder message =
        new StringBuilder("untrusted ")
            .append(kind)
            .append(": path=")
            .append(stat.path())
            .append(" owner=")
            .append(printable(ownerName(stat.path())))
            .append('(')
            .append(stat.uid())
            .append(") mode=")
            .append(modeString(stat.mode()))
            .append(" rule=")
            .append(rule);
    if (!requested.equals(stat.path())) {
      message.append(" file=").append(requested);
    }
    return new UntrustedFileException(requested, message.toString());
  }

  private static String ownerName(Path path) {
    try {
      UserPrincipal owner = Files.getOwner(path, LinkOption.NOFOLLOW_LINKS);
      return owner.getName();
    } catch (IOException | RuntimeException e) {
      return "?";
    }
  }

  /** {@code ls -l} form of the permission bits, with {@code s}/{@code t} for the special ones. */
  static String modeString(int mode) {
    char[] c = PosixFilePermissions.toString(fromMode(mode)).toCharArray();
    if ((mode & 04000) != 0) {
      c[2] = c[2] == 'x' ? 's' : 'S';
    }
    if ((mode & 02000) != 0) {
      c[5] = c[5] == 'x' ? 's' : 'S';
    }
    if ((mode & S_ISVTX) != 0) {
      c[8] = c[8] == 'x' ? 't' : 'T';
    }
    return new String(c);
  }

  private static String typeName(Stat stat) {
    switch (stat.type()) {
      case S_IFDIR:
        return "directory";
      case S_IFIFO:
        return "fifo";
      case S_IFSOCK:
        return "socket";
      case S_IFCHR:
        return "character device";
      case S_IFBLK:
        return "block device";
      default:
        return "special file";
    }
  }

  private static Set<PosixFilePermission> fromMode(int mode) {
    Set<PosixFilePermission> set = EnumSet.noneOf(PosixFilePermission.class);
    PosixFilePermission[] all = PosixFilePermission.values();
    // OWNER_READ .. OTHERS_EXECUTE are declared in the order of the bits 0400 .. 0001.
    for (int i = 0; i < all.length; i++) {
      if ((mode & (0400 >> i)) != 0) {
        set.add(all[i]);
      }
    }
    return set;
  }

  private static int toMode(Set<PosixFilePermission> permissions) {
    int mode = 0;
    for (PosixFilePermission p : permissions) {
      mode |= 0400 >> p.ordinal();
    }
    return mode;
  }

  private static String printable(String s) {
    StringBuilder b = new StringBuilder(s.length());
    s.codePoints()
        .forEach(cp -> b.appendCodePoint(Character.isISOControl(cp) || cp == ' ' ? '?' : cp));
    return b.toString();
  }

  private static void closeQuietly(FileChannel channel) {
    try {
      channel.close();
    } catch (IOException ignored) {
      // Nothing was handed out.
    }
  }

  /** This process's user, looked up once. */
  private static final class Self {
    /** Whether the file system has the "unix" attribute view (uid, mode): Linux, macOS. */
    static final boolean UNIX =
        FileSystems.getDefault().supportedFileAttributeViews().contains("unix");

    /** The effective uid, or -1 where it cannot be known. */
    static final long UID = lookupUid();

    private static long lookupUid() {
      if (!UNIX) {
        return -1;
      }
      // /proc/self belongs to the effective uid of the process (Linux).
      try {
        return ((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid")).longValue();
      } catch (IOException | RuntimeException e) {
        // No procfs (macOS): the owner of a file this process creates is its effective uid.
      }
      try {
        Path probe = Files.createTempFile("jsonmmap-uid", ".tmp");
        try {
          return ((Integer) Files.getAttribute(probe, "unix:uid", LinkOption.NOFOLLOW_LINKS))
              .longValue();
        } finally {
          Files.deleteIfExists(probe);
        }
      } catch (IOException | RuntimeException e) {
        return -1;
      }
    }
  }
}
