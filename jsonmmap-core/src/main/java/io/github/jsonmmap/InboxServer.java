package io.github.jsonmmap;

import io.github.jsonmmap.JsonMmapInbox.Reply;
import io.github.jsonmmap.JsonMmapInbox.Request;
import io.github.jsonmmap.JsonMmapInbox.Settings;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;
import tools.jackson.databind.json.JsonMapper;

/**
 * Serves one handle's inbox with two threads. The selector thread owns every connection:
 * non-blocking reads with a deadline per connection, at most {@link Settings#maxConnections()}
 * connections (more are answered {@code busy} and closed at once, so a flood holds no descriptor or
 * buffer) and a bounded amount of buffered request bytes. The writer thread decodes and applies
 * whole requests one at a time through the handle's public write methods, so they are serialised
 * with every other write through it and its validator runs; a slow validator or listener stalls
 * only the requests queued behind it, never the timeouts, refusals and reads of other clients.
 *
 * <p>The socket exists only while the handle is the writer: it is bound in a private directory,
 * given its mode there and renamed into place (never chmod by a shared path), and removed when the
 * handle stops being the writer, if it is still the one this server created.
 *
 * <p>Connections are confined to the selector thread, except what it hands to the writer thread
 * through {@link #pending} and gets back through {@link #done}; {@link #close()} and the read-only
 * accessors are safe from any thread.
 */
final class InboxServer implements Runnable {

  private static final System.Logger LOG = System.getLogger(JsonMmapInbox.class.getName());

  /** How often the thread looks whether the handle is (still) the writer. */
  private static final long ROLE_CHECK_MILLIS = 100;

  /** How long accepting pauses after accept failed (out of descriptors): no busy loop. */
  private static final long ACCEPT_PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

  /** How long after a failed bind the next attempt is. */
  private static final long BIND_RETRY_NANOS = TimeUnit.SECONDS.toNanos(1);

  /** First buffer for a request body; it grows as bytes arrive, never beyond the announced size. */
  private static final int INITIAL_BODY = 8 * 1024;

  private static final int S_IFMT = 0170000;
  private static final int S_IFSOCK = 0140000;

  private final JsonMmapFile handle;
  private final Settings settings;
  private final Path file;
  private final Path socket;
  private final JsonMapper mapper;
  private final long maxRequest;
  private final long bufferBudget;
  private final Thread thread;
  private final Thread writerThread;
  private final BlockingQueue<Conn> pending = new LinkedBlockingQueue<>();
  private final Queue<Conn> done = new ConcurrentLinkedQueue<>();
  private final Map<String, LongAdder> replies = new ConcurrentHashMap<>();
  private final Set<String> warnedPeers = ConcurrentHashMap.newKeySet();

  private volatile boolean closed;
  private volatile boolean serving;
  private volatile JsonMmapException lastError;

  /** Written once by the selector thread; read by the others to wake it. */
  private volatile Selector selector;

  // Confined to the selector thread.
  private ServerSocketChannel server;
  private Object socketKey;
  private PosixFileAttributes fileAttributes;
  private UserPrincipal self;
  private UserPrincipal root;
  private long nextBindNanos;
  private long acceptPausedUntil;
  private boolean acceptPaused;
  private String lastBindFailure;
  private long buffered;
  private final List<Conn> conns = new ArrayList<>();

  // Confined to the writer thread.
  private long lastFinishedNanos;
  private boolean finishedAny;
  private final ByteBuffer discard = ByteBuffer.allocate(8 * 1024);

  private InboxServer(JsonMmapFile handle, Settings settings) {
    this.handle = handle;
    this.settings = settings;
    this.file = handle.path().toAbsolutePath().normalize();
    this.socket = JsonMmapInbox.socketPath(file);
    JsonMmapOptions options = handle.options();
    this.maxRequest = settings.maxRequestSize(options);
    this.bufferBudget = Math.max(2 * maxRequest, 4L * 1024 * 1024);
    this.mapper = InboxCodec.parser(options.maxNestingDepth() + 2, maxRequest);
    this.thread = new Thread(this, "jsonmmap-inbox-" + file.getFileName());
    thread.setDaemon(true);
    this.writerThread = new Thread(this::applyLoop, "jsonmmap-inbox-writer-" + file.getFileName());
    writerThread.setDaemon(true);
  }

  static InboxServer start(JsonMmapFile handle, Settings settings) {
    InboxServer server = new InboxServer(handle, settings);
    server.writerThread.start();
    server.thread.start();
    return server;
  }

  boolean isServing() {
    return serving;
  }

  JsonMmapException lastError() {
    return lastError;
  }

  Map<String, Long> replies() {
    Map<String, Long> result = new TreeMap<>();
    replies.forEach((tag, count) -> result.put(tag, count.sum()));
    return result;
  }

  /**
   * Stops both threads. The writer thread is never interrupted (an interrupt would close the
   * handle's channel under it): it ends after the request it is applying, if any.
   */
  void close() {
    if (closed) {
      return;
    }
    closed = true;
    Selector s = selector;
    if (s != null) {
      s.wakeup();
    }
    if (Thread.currentThread() != thread) {
      try {
        thread.join(TimeUnit.SECONDS.toMillis(5));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  @Override
  public void run() {
    try {
      selector = Selector.open();
    } catch (IOException e) {
      lastError = new JsonMmapException("io", file, "inbox cannot start: path=" + file, e);
      return;
    }
    while (!closed) {
      try {
        step();
      } catch (RuntimeException | Error e) {
        // The inbox must never take the writer down: record, drop what we hold, carry on.
        lastError =
            e instanceof JsonMmapException j
                ? j
                : new JsonMmapException(
                    "inbox", file, "inbox failed: path=" + file + " error=" + e, e);
        LOG.log(Level.WARNING, lastError.getMessage());
        dropConnections();
        if (e instanceof VirtualMachineError && !(e instanceof StackOverflowError)) {
          unbind();
          nextBindNanos = System.nanoTime() + BIND_RETRY_NANOS;
        }
        sleepQuietly();
      }
    }
    unbind();
    try {
      selector.close();
    } catch (IOException e) {
      LOG.log(Level.DEBUG, "inbox selector close failed: path=" + file, e);
    }
  }

  private void step() {
    boolean writer = handle.isWriter();
    if (!writer && handleClosed()) {
      // The handle went away without closing its inbox first: nothing left to serve.
      closed = true;
      return;
    }
    if (writer && server == null && System.nanoTime() - nextBindNanos >= 0) {
      bind();
    } else if (!writer && server != null) {
      LOG.log(Level.INFO, "inbox stops: this process is no longer the writer: path=" + socket);
      unbind();
    }
    long now = System.nanoTime();
    if (acceptPaused && server != null && now - acceptPausedUntil >= 0) {
      server.keyFor(selector).interestOps(SelectionKey.OP_ACCEPT);
      acceptPaused = false;
    }
    long timeout = ROLE_CHECK_MILLIS;
    if (acceptPaused) {
      timeout = Math.max(1, TimeUnit.NANOSECONDS.toMillis(acceptPausedUntil - now) + 1);
    }
    for (Conn c : conns) {
      if (c.state.get() == Conn.READING) {
        timeout =
            Math.min(timeout, Math.max(1, TimeUnit.NANOSECONDS.toMillis(c.deadline - now) + 1));
      }
    }
    try {
      selector.select(timeout);
    } catch (IOException e) {
      throw new JsonMmapException("io", file, "inbox select failed: path=" + socket, e);
    }
    for (SelectionKey key : selector.selectedKeys()) {
      if (!key.isValid()) {
        continue;
      }
      if (key.attachment() == null) {
        accept();
      } else {
        Conn c = (Conn) key.attachment();
        try {
          if (key.isReadable() && c.draining) {
            drain(c);
          } else if (key.isReadable()) {
            read(c);
          } else if (key.isWritable()) {
            write(c);
          }
        } catch (IOException e) {
          LOG.log(Level.DEBUG, "inbox connection failed: path=" + socket + " error=" + e);
          count("io");
          closeConn(c);
        }
      }
    }
    selector.selectedKeys().clear();
    answerApplied();
    expire();
  }

  private boolean handleClosed() {
    try {
      handle.snapshot();
      return false;
    } catch (JsonMmapException e) {
      return "closed".equals(e.reason());
    }
  }

  // ---------------------------------------------------------------- socket lifecycle

  private void bind() {
    Path tmpDir = null;
    Path tmpSocket = null;
    ServerSocketChannel channel = null;
    try {
      fileAttributes =
          Files.readAttributes(file, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      tmpDir =
          Files.createTempDirectory(
              socket.getParent(),
              ".jsonmmap-inbox-",
              PosixFilePermissions.asFileAttribute(
                  EnumSet.of(
                      PosixFilePermission.OWNER_READ,
                      PosixFilePermission.OWNER_WRITE,
                      PosixFilePermission.OWNER_EXECUTE)));
      self = Files.getOwner(tmpDir, LinkOption.NOFOLLOW_LINKS);
      root = lookupRoot();
      tmpSocket = tmpDir.resolve("s");
      channel = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
      channel.bind(UnixDomainSocketAddress.of(tmpSocket), settings.maxConnections());
      // In a directory only we can enter, so setting the mode by path cannot be raced.
      Files.setPosixFilePermissions(tmpSocket, socketMode());
      refuseForeignEntry();
      Files.move(tmpSocket, socket, StandardCopyOption.ATOMIC_MOVE);
      socketKey = Files.readAttributes(socket, "unix:ino", LinkOption.NOFOLLOW_LINKS).get("ino");
      channel.configureBlocking(false);
      channel.register(selector, SelectionKey.OP_ACCEPT);
      server = channel;
      channel = null;
      serving = true;
      lastError = null;
      lastBindFailure = null;
      LOG.log(Level.INFO, "inbox serving: path=" + socket);
    } catch (IOException | RuntimeException e) {
      lastError =
          e instanceof JsonMmapException j
              ? j
              : new JsonMmapException(
                  "io", file, "inbox cannot listen: path=" + socket + " error=" + e, e);
      // Retried every second: say it once, not every second, while the cause stays the same.
      String message = lastError.getMessage();
      LOG.log(
          message.equals(lastBindFailure) ? Level.DEBUG : Level.WARNING,
          message + " (retrying every second)");
      lastBindFailure = message;
      nextBindNanos = System.nanoTime() + BIND_RETRY_NANOS;
    } finally {
      closeQuietly(channel);
      deleteQuietly(tmpSocket);
      deleteQuietly(tmpDir);
    }
  }

  /**
   * A stale socket left by a dead writer of this user is replaced; anything else at the path (a
   * symlink, a regular file, another user's socket) is left alone and the inbox does not serve.
   */
  private void refuseForeignEntry() throws IOException {
    Map<String, Object> stat;
    try {
      stat = Files.readAttributes(socket, "unix:mode,uid", LinkOption.NOFOLLOW_LINKS);
    } catch (NoSuchFileException e) {
      return;
    }
    int mode = (Integer) stat.get("mode");
    if ((mode & S_IFMT) != S_IFSOCK) {
      throw new UntrustedFileException(
          socket,
          "inbox path is taken by something that is not a socket, not replacing it: path="
              + socket
              + " mode="
              + Integer.toOctalString(mode));
    }
    UserPrincipal owner = Files.getOwner(socket, LinkOption.NOFOLLOW_LINKS);
    if (!owner.equals(self)) {
      throw new UntrustedFileException(
          socket,
          "inbox socket belongs to another user, not replacing it: path="
              + socket
              + " owner="
              + owner.getName()
              + " user="
              + self.getName());
    }
  }

  private Set<PosixFilePermission> socketMode() {
    Set<PosixFilePermission> mode =
        EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
    if (settings.groupWrite()
        && fileAttributes.permissions().contains(PosixFilePermission.GROUP_WRITE)) {
      mode.add(PosixFilePermission.GROUP_READ);
      mode.add(PosixFilePermission.GROUP_WRITE);
    }
    return mode;
  }

  private static UserPrincipal lookupRoot() {
    try {
      return Path.of("/")
          .getFileSystem()
          .getUserPrincipalLookupService()
          .lookupPrincipalByName("root");
    } catch (IOException | UnsupportedOperationException e) {
      return null;
    }
  }

  private void unbind() {
    serving = false;
    dropConnections();
    if (server == null) {
      return;
    }
    closeQuietly(server);
    server = null;
    acceptPaused = false;
    try {
      Object key = Files.readAttributes(socket, "unix:ino", LinkOption.NOFOLLOW_LINKS).get("ino");
      if (key.equals(socketKey)) {
        Files.deleteIfExists(socket);
      }
    } catch (IOException e) {
      LOG.log(Level.DEBUG, "inbox socket not removed: path=" + socket + " error=" + e);
    }
    socketKey = null;
  }

  // ---------------------------------------------------------------- connections

  private void accept() {
    SocketChannel ch;
    try {
      ch = server.accept();
      if (ch == null) {
        return;
      }
    } catch (IOException e) {
      // Out of descriptors, typically: the listening socket stays readable, so retrying at once
      // would spin. Pause accepting for a moment; the backlog holds the clients meanwhile.
      LOG.log(Level.DEBUG, "inbox accept failed: path=" + socket + " error=" + e);
      count("accept-failed");
      server.keyFor(selector).interestOps(0);
      acceptPaused = true;
      acceptPausedUntil = System.nanoTime() + ACCEPT_PAUSE_NANOS;
      return;
    }
    if (conns.size() >= settings.maxConnections()) {
      refuseNow(
          ch,
          Reply.rejected(
              "busy",
              -1,
              "inbox busy: path=" + socket + " connections=" + settings.maxConnections(),
              List.of()));
      return;
    }
    Conn c = new Conn(ch, System.nanoTime() + settings.requestTimeout().toNanos());
    conns.add(c);
    try {
      ch.configureBlocking(false);
    } catch (IOException e) {
      closeConn(c);
      return;
    }
    String refusal = refusePeer(ch);
    if (refusal != null) {
      // Within the cap, like any refused request: the reply, then its request drained unread.
      reply(c, Reply.rejected("forbidden", -1, refusal, List.of()));
      return;
    }
    try {
      c.key = ch.register(selector, SelectionKey.OP_READ, c);
    } catch (IOException e) {
      closeConn(c);
    }
  }

  /**
   * Answers a connection over the cap and closes it at once, holding nothing for it. The reply is a
   * few hundred bytes into an empty socket buffer, so one non-blocking write sends it whole; a Unix
   * socket keeps it readable for the client after the close, ahead of the reset its own later write
   * or read may get.
   */
  private void refuseNow(SocketChannel ch, Reply reply) {
    count(reply.error());
    try {
      ch.configureBlocking(false);
      ch.write(InboxCodec.frame(InboxCodec.encode(mapper, reply)));
      // What the client already sent is dropped, so that the close does not reset the connection
      // (a Unix socket closed with unread data does); at most one buffer, never a wait.
      discard.clear();
      ch.read(discard);
    } catch (IOException e) {
      LOG.log(Level.DEBUG, "inbox refusal not sent: path=" + socket + " error=" + e);
    } finally {
      closeQuietly(ch);
    }
  }

  /** Why this peer may not write, or null when it may: only users who may write the file. */
  private String refusePeer(SocketChannel ch) {
    UnixDomainPrincipal peer;
    try {
      peer = ch.getOption(ExtendedSocketOptions.SO_PEERCRED);
    } catch (IOException | UnsupportedOperationException e) {
      return "inbox cannot identify the peer: path=" + socket;
    }
    UserPrincipal user = peer.user();
    if (user.equals(self) || user.equals(root) || user.equals(fileAttributes.owner())) {
      return null;
    }
    if (settings.groupWrite()
        && fileAttributes.permissions().contains(PosixFilePermission.GROUP_WRITE)
        && peer.group().equals(fileAttributes.group())) {
      return null;
    }
    if (warnedPeers.size() < 64 && warnedPeers.add(user.getName())) {
      LOG.log(
          Level.WARNING,
          "inbox refused a user who may not write the file: path="
              + socket
              + " user="
              + user.getName()
              + " owner="
              + fileAttributes.owner().getName());
    }
    return "user may not write this file: path=" + file + " user=" + user.getName();
  }

  private void read(Conn c) throws IOException {
    if (c.header.hasRemaining()) {
      if (c.ch.read(c.header) < 0) {
        closeIncomplete(c);
        return;
      }
      if (c.header.hasRemaining()) {
        return;
      }
      long length = Integer.toUnsignedLong(c.header.getInt(0));
      if (length == 0) {
        reply(c, Reply.rejected("bad-request", -1, "empty request: path=" + socket, List.of()));
        return;
      }
      if (length > maxRequest) {
        reply(
            c,
            Reply.rejected(
                "too-large",
                -1,
                "request too large: path=" + socket + " size=" + length + " limit=" + maxRequest,
                List.of()));
        return;
      }
      c.length = (int) length;
      c.body = ByteBuffer.allocate((int) Math.min(length, INITIAL_BODY));
      buffered += c.body.capacity();
    }
    while (true) {
      if (!c.body.hasRemaining()) {
        if (c.body.capacity() == c.length) {
          break;
        }
        int grown = (int) Math.min(c.length, 2L * c.body.capacity());
        if (buffered + grown - c.body.capacity() > bufferBudget) {
          reply(
              c,
              Reply.rejected(
                  "busy",
                  -1,
                  "inbox busy: path=" + socket + " buffered=" + buffered + " limit=" + bufferBudget,
                  List.of()));
          return;
        }
        ByteBuffer bigger = ByteBuffer.allocate(grown);
        c.body.flip();
        bigger.put(c.body);
        buffered += grown - c.body.capacity();
        c.body = bigger;
      }
      int n = Chunks.read(c.ch, c.body);
      if (n < 0) {
        closeIncomplete(c);
        return;
      }
      if (n == 0) {
        return;
      }
    }
    // The whole request is here: the writer thread decodes and applies it. Its bytes stay
    // counted in the buffer budget until the reply goes out.
    c.unread = false;
    c.request = c.body.array();
    c.queuedNanos = System.nanoTime();
    c.key.interestOps(0);
    c.state.set(Conn.QUEUED);
    pending.add(c);
  }

  /** Sends the replies the writer thread has finished, to connections still open. */
  private void answerApplied() {
    Conn c;
    while ((c = done.poll()) != null) {
      if (conns.contains(c)) {
        reply(c, c.result);
      }
    }
  }

  private void write(Conn c) throws IOException {
    c.ch.write(c.out);
    if (!c.out.hasRemaining()) {
      sent(c);
    }
  }

  /**
   * The reply is out. A client whose request was refused before it was read whole may still be
   * sending: closing now would reset the connection and lose the reply on its side, so the rest is
   * read and dropped until it closes or the deadline passes.
   */
  private void sent(Conn c) throws IOException {
    if (!c.unread) {
      closeConn(c);
      return;
    }
    c.draining = true;
    c.ch.shutdownOutput();
    c.deadline = System.nanoTime() + settings.requestTimeout().toNanos();
    if (c.key == null) {
      c.key = c.ch.register(selector, SelectionKey.OP_READ, c);
    } else {
      c.key.interestOps(SelectionKey.OP_READ);
    }
  }

  private void drain(Conn c) throws IOException {
    int n;
    do {
      discard.clear();
      n = c.ch.read(discard);
    } while (n > 0);
    if (n < 0) {
      closeConn(c);
    }
  }

  private void reply(Conn c, Reply reply) {
    count(reply.ok() ? "ok" : reply.error());
    c.state.set(Conn.REPLYING);
    c.request = null;
    c.result = null;
    releaseBody(c);
    c.out = InboxCodec.frame(InboxCodec.encode(mapper, reply));
    c.deadline = System.nanoTime() + settings.requestTimeout().toNanos();
    try {
      c.ch.write(c.out);
      if (!c.out.hasRemaining()) {
        sent(c);
        return;
      }
      if (c.key == null) {
        c.key = c.ch.register(selector, SelectionKey.OP_WRITE, c);
      } else {
        c.key.interestOps(SelectionKey.OP_WRITE);
      }
    } catch (IOException e) {
      LOG.log(Level.DEBUG, "inbox reply not sent: path=" + socket + " error=" + e);
      closeConn(c);
    }
  }

  private void expire() {
    long now = System.nanoTime();
    for (Conn c : List.copyOf(conns)) {
      int state = c.state.get();
      if (state == Conn.QUEUED
          || state == Conn.APPLYING
          || state == Conn.APPLIED
          || now - c.deadline < 0) {
        // A whole request is with the writer thread: the client's own timeout governs it.
        continue;
      }
      if (c.draining) {
        closeConn(c);
      } else if (c.out == null) {
        reply(
            c,
            Reply.rejected(
                "timeout",
                -1,
                "request not received in time: path="
                    + socket
                    + " timeout="
                    + settings.requestTimeout().toMillis()
                    + "ms",
                List.of()));
      } else {
        count("reply-timeout");
        closeConn(c);
      }
    }
  }

  private void closeIncomplete(Conn c) {
    count("incomplete");
    closeConn(c);
  }

  private void closeConn(Conn c) {
    // A request not yet taken by the writer thread is never applied once its connection is gone
    // (its client then sees a closed connection and finds the outcome in the file).
    c.state.compareAndSet(Conn.QUEUED, Conn.CANCELLED);
    releaseBody(c);
    conns.remove(c);
    if (c.key != null) {
      c.key.cancel();
    }
    closeQuietly(c.ch);
  }

  private void releaseBody(Conn c) {
    if (c.body != null) {
      buffered -= c.body.capacity();
      c.body = null;
    }
  }

  private void dropConnections() {
    for (Conn c : List.copyOf(conns)) {
      closeConn(c);
    }
  }

  // ---------------------------------------------------------------- applying a request

  /**
   * The writer thread: takes whole requests in arrival order and applies them one at a time. It
   * survives anything a request can throw, and is never interrupted (see {@link #close()}).
   */
  private void applyLoop() {
    while (!closed) {
      Conn c;
      try {
        c = pending.poll(ROLE_CHECK_MILLIS, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        closed = true;
        break;
      }
      if (c == null || !c.state.compareAndSet(Conn.QUEUED, Conn.APPLYING)) {
        continue;
      }
      Reply reply;
      try {
        reply = applyOrRefuse(c);
      } catch (RuntimeException | Error e) {
        reply =
            Reply.rejected(
                "internal",
                -1,
                "request failed: path=" + file + " error=" + e.getClass().getSimpleName(),
                List.of());
      }
      c.result = reply;
      c.state.set(Conn.APPLIED);
      done.add(c);
      Selector s = selector;
      if (s != null) {
        s.wakeup();
      }
    }
    // Whatever is still queued was never applied: its connection is closed with the selector's.
    pending.clear();
  }

  /**
   * Applies a request, unless earlier requests (a slow validator) kept the writer thread busy for
   * {@code requestTimeout} after it arrived: a client waits that long by default, so it is refused
   * unapplied and its client gets a definite "not written" instead of an unknown outcome. Only time
   * spent behind earlier requests counts, never the thread's own scheduling.
   */
  private Reply applyOrRefuse(Conn c) {
    long behind = lastFinishedNanos - c.queuedNanos;
    if (finishedAny && behind >= settings.requestTimeout().toNanos()) {
      return Reply.rejected(
          "busy",
          -1,
          "inbox busy: earlier requests kept the writer busy: path="
              + socket
              + " waited="
              + TimeUnit.NANOSECONDS.toMillis(behind)
              + "ms timeout="
              + settings.requestTimeout().toMillis()
              + "ms",
          List.of());
    }
    try {
      return handle(c.request);
    } finally {
      lastFinishedNanos = System.nanoTime();
      finishedAny = true;
    }
  }

  private Reply handle(byte[] bytes) {
    Request request;
    try {
      request = InboxCodec.decodeRequest(mapper, bytes);
      if (request.key() != null) {
        Documents.parsePath(request.key());
      }
    } catch (InboxCodec.Rejection e) {
      return Reply.rejected(e.error, -1, e.getMessage() + " path=" + socket, List.of());
    } catch (IllegalArgumentException e) {
      return Reply.rejected("bad-request", -1, "bad key: " + e.getMessage(), List.of());
    }
    return apply(request);
  }

  private Reply apply(Request request) {
    long[] before = {-1};
    Snapshot[] after = new Snapshot[1];
    try {
      handle.update(
          current -> {
            // The handle's lock is held here: the version we compare is the one we change.
            before[0] = handle.snapshot().version();
            if (request.expectVersion() != null && request.expectVersion() != before[0]) {
              throw new Conflict(before[0]);
            }
            after[0] = perform(request);
            return current;
          });
      return Reply.committed(after[0].version(), after[0].version() != before[0]);
    } catch (Conflict e) {
      return Reply.rejected(
          "conflict",
          e.current,
          "version conflict: path="
              + file
              + " expected="
              + request.expectVersion()
              + " current="
              + e.current,
          List.of());
    } catch (NotWriterException e) {
      return Reply.rejected("not-writer", before[0], e.getMessage(), List.of());
    } catch (RuntimeException e) {
      List<String> reasons = settings.reasonsOf(e);
      if (!reasons.isEmpty()) {
        return Reply.rejected(
            "rejected",
            before[0],
            "document rejected by validators: path=" + file + " problems=" + reasons.size(),
            reasons);
      }
      JsonMmapException j = (JsonMmapException) e;
      return Reply.rejected(j.reason(), before[0], j.getMessage(), List.of());
    } catch (StackOverflowError | OutOfMemoryError e) {
      return Reply.rejected(
          "internal", before[0], "request failed: path=" + file + " error=" + e, List.of());
    }
  }

  private Snapshot perform(Request request) {
    return switch (request.op()) {
      case SET -> handle.set(request.key(), request.value());
      case REMOVE -> handle.remove(request.key());
      case MERGE -> handle.merge(request.value());
      case PUT -> handle.publish(request.value());
      case ROLLBACK -> handle.rollback();
    };
  }

  // ---------------------------------------------------------------- small things

  private void count(String tag) {
    replies.computeIfAbsent(tag, t -> new LongAdder()).increment();
  }

  private void sleepQuietly() {
    try {
      Thread.sleep(ROLE_CHECK_MILLIS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      closed = true;
    }
  }

  private static void closeQuietly(java.io.Closeable c) {
    if (c == null) {
      return;
    }
    try {
      c.close();
    } catch (IOException e) {
      LOG.log(Level.DEBUG, "close failed: " + e);
    }
  }

  private static void deleteQuietly(Path p) {
    if (p == null) {
      return;
    }
    try {
      Files.deleteIfExists(p);
    } catch (IOException e) {
      LOG.log(Level.DEBUG, "delete failed: path=" + p + " error=" + e);
    }
  }

  /**
   * One client connection: reading its request, queued for the writer thread, applied, then writing
   * the reply. Confined to the selector thread except {@link #state}, {@link #request} and {@link
   * #result}, which the writer thread reads and sets between taking a queued connection and handing
   * it back through {@link #done}.
   */
  private static final class Conn {
    static final int READING = 0;
    static final int QUEUED = 1;
    static final int APPLYING = 2;
    static final int APPLIED = 3;
    static final int REPLYING = 4;
    static final int CANCELLED = 5;

    final SocketChannel ch;
    final ByteBuffer header = ByteBuffer.allocate(InboxCodec.HEADER_LENGTH);
    final AtomicInteger state = new AtomicInteger(READING);
    volatile long queuedNanos;
    volatile byte[] request;
    volatile Reply result;
    long deadline;
    int length;
    ByteBuffer body;
    ByteBuffer out;
    SelectionKey key;
    boolean unread = true;
    boolean draining;

    Conn(SocketChannel ch, long deadline) {
      this.ch = ch;
      this.deadline = deadline;
    }
  }

  /** The document is not at the version the request expects. */
  private static final class Conflict extends RuntimeException {
    private static final long serialVersionUID = 1L;

    final long current;

    Conflict(long current) {
      super(null, null, false, false);
      this.current = current;
    }
  }
}
