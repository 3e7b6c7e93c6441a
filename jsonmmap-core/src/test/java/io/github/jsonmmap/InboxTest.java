package io.github.jsonmmap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.github.jsonmmap.JsonMmapInbox.Reply;
import io.github.jsonmmap.JsonMmapInbox.Request;
import java.io.IOException;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

class InboxTest {

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final Duration START = Duration.ofSeconds(30);

  @TempDir Path dir;

  private final ExecutorService pool = Executors.newCachedThreadPool();

  @AfterEach
  void stopPool() {
    pool.shutdownNow();
  }

  private Path newFile() {
    Path file = dir.resolve("app.json");
    try (JsonMmapFile writer = JsonMmapFile.open(file, Role.WRITER)) {
      writer.set("greeting", "hello");
    }
    return file;
  }

  private static ChildJvm writer(Path file, Role role) {
    return ChildJvm.start(InboxWriterMain.class, file.toString(), role.name(), "100");
  }

  @Test
  void setThroughTheInboxOfAWriterJvmIsCommittedAndReadersSeeIt() throws Exception {
    Path file = newFile();
    try (ChildJvm child = writer(file, Role.WRITER);
        JsonMmapFile reader = JsonMmapFile.open(file, Role.READER)) {
      child.awaitLine(START, l -> l.startsWith("serving"));
      long before = reader.refresh().version();

      Reply reply = JsonMmapInbox.send(file, Request.set("a.b[0]", NODES.numberNode(42)));

      assertThat(reply.ok()).as("%s", reply).isTrue();
      assertThat(reply.changed()).isTrue();
      assertThat(reply.version()).isEqualTo(before + 1);
      await()
          .atMost(Duration.ofSeconds(5))
          .until(() -> reader.refresh().version() == reply.version());
      assertThat(reader.snapshot().get("a.b[0]")).isEqualTo(42);
      assertThat(reader.snapshot().get("greeting")).isEqualTo("hello");

      Reply same = JsonMmapInbox.send(file, Request.set("a.b[0]", NODES.numberNode(42)));
      assertThat(same.ok()).isTrue();
      assertThat(same.changed()).isFalse();
      assertThat(same.version()).isEqualTo(reply.version());
    }
  }

  /**
   * The JDK sends and receives heap buffers through a temporary native buffer of the call's size
   * and keeps it for the thread: a large request sent or read in one call left native memory of its
   * size in the client's thread and in the inbox's.
   */
  @Test
  void aLargeRequestLeavesNoNativeBufferOfItsSizeInTheClientOrTheInbox() throws Exception {
    Path file = newFile();
    ObjectNode doc = NODES.objectNode();
    String value = "v".repeat(1000);
    for (int i = 0; i < 6000; i++) {
      doc.put("k" + i, value);
    }
    BufferPoolMXBean direct =
        ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class).stream()
            .filter(p -> p.getName().equals("direct"))
            .findFirst()
            .orElseThrow();
    try (JsonMmapFile handle = writerHandle(file);
        JsonMmapInbox inbox = serve(handle, START)) {
      // A client thread of its own, measured before it ends (a thread's buffers go with it).
      Future<long[]> sent =
          pool.submit(
              () -> {
                long before = direct.getMemoryUsed();
                Reply reply = JsonMmapInbox.send(file, Request.put(doc));
                return new long[] {reply.ok() ? 1 : 0, direct.getMemoryUsed() - before};
              });
      long[] outcome = sent.get(60, TimeUnit.SECONDS);
      assertThat(outcome[0]).isEqualTo(1);
      assertThat(handle.snapshot().get("k5999")).isEqualTo(value);
      // About 6 MB went from the client to the inbox, through native buffers of 256 KiB.
      assertThat(outcome[1]).isLessThanOrEqualTo(1 << 20);
    }
  }

  @Test
  void everyOperationGoesThroughTheInbox() {
    Path file = newFile();
    try (ChildJvm child = writer(file, Role.WRITER)) {
      child.awaitLine(START, l -> l.startsWith("serving"));
      ObjectNode doc = NODES.objectNode().put("x", 1).put("y", 2);
      assertThat(JsonMmapInbox.send(file, Request.put(doc)).ok()).isTrue();
      assertThat(JsonMmapInbox.send(file, Request.merge(NODES.objectNode().putNull("x"))).ok())
          .isTrue();
      assertThat(JsonMmapInbox.send(file, Request.remove("y")).ok()).isTrue();
      Reply rolledBack = JsonMmapInbox.send(file, Request.rollback());
      assertThat(rolledBack.ok()).isTrue();
      try (JsonMmapFile reader = JsonMmapFile.open(file, Role.READER)) {
        assertThat(reader.snapshot().tree()).isEqualTo(NODES.objectNode().put("y", 2));
        assertThat(reader.snapshot().version()).isEqualTo(rolledBack.version());
      }
    }
  }

  @Test
  void validatorRejectionComesBackWithItsReasonsAndNothingIsWritten() {
    Path file = newFile();
    try (ChildJvm child = writer(file, Role.WRITER)) {
      child.awaitLine(START, l -> l.startsWith("serving"));
      long before = JsonMmapFile.inspect(file).currentVersion();

      Reply reply = JsonMmapInbox.send(file, Request.set("forbidden", NODES.booleanNode(true)));

      assertThat(reply.ok()).isFalse();
      assertThat(reply.error()).isEqualTo("rejected");
      assertThat(reply.reasons()).containsExactly("forbidden is not allowed");
      assertThat(JsonMmapFile.inspect(file).currentVersion()).isEqualTo(before);
    }
  }

  @Test
  void expectedVersionAppliesOnlyAtThatVersion() {
    Path file = newFile();
    try (ChildJvm child = writer(file, Role.WRITER)) {
      child.awaitLine(START, l -> l.startsWith("serving"));
      long current = JsonMmapFile.inspect(file).currentVersion();

      Reply stale =
          JsonMmapInbox.send(
              file, Request.set("k", NODES.stringNode("v")).expectVersion(current - 1));
      assertThat(stale.error()).isEqualTo("conflict");
      assertThat(stale.version()).isEqualTo(current);
      assertThat(JsonMmapFile.inspect(file).currentVersion()).isEqualTo(current);

      Reply ok =
          JsonMmapInbox.send(file, Request.set("k", NODES.stringNode("v")).expectVersion(current));
      assertThat(ok.ok()).isTrue();
      assertThat(ok.version()).isEqualTo(current + 1);
    }
  }

  @Test
  void writerKilledMidRequestIsReportedAsUnknownAndTheFileShowsNothingCommitted() throws Exception {
    Path file = newFile();
    try (ChildJvm child = writer(file, Role.WRITER)) {
      child.awaitLine(START, l -> l.startsWith("serving"));
      long before = JsonMmapFile.inspect(file).currentVersion();
      Future<Reply> sent =
          pool.submit(() -> JsonMmapInbox.send(file, Request.set("block", NODES.numberNode(1))));
      child.awaitLine(START, "blocking"::equals);

      child.kill();

      assertThatThrownBy(() -> sent.get(10, TimeUnit.SECONDS))
          .hasCauseInstanceOf(InboxOutcomeUnknownException.class)
          .cause()
          .hasMessageContaining("may or may not be committed");
      assertThat(JsonMmapFile.inspect(file).currentVersion()).isEqualTo(before);
      assertThatThrownBy(() -> JsonMmapInbox.send(file, Request.remove("x")))
          .isInstanceOf(InboxUnavailableException.class);
    }
  }

  @Test
  void standbyThatTakesOverServesTheInbox() {
    Path file = newFile();
    try (ChildJvm first = writer(file, Role.AUTO)) {
      first.awaitLine(START, l -> l.startsWith("serving"));
      try (ChildJvm second = writer(file, Role.AUTO)) {
        second.awaitLine(START, l -> l.startsWith("ready"));
        assertThat(JsonMmapInbox.send(file, Request.set("by", NODES.stringNode("first"))).ok())
            .isTrue();

        first.kill();
        second.awaitLine(START, l -> l.startsWith("serving"));

        Reply reply = JsonMmapInbox.send(file, Request.set("by", NODES.stringNode("second")));
        assertThat(reply.ok()).as("%s", reply).isTrue();
        try (JsonMmapFile reader = JsonMmapFile.open(file, Role.READER)) {
          assertThat(reader.snapshot().get("by")).isEqualTo("second");
        }
      }
    }
  }

  // ---------------------------------------------------------------- in-process server

  private JsonMmapFile writerHandle(Path file) {
    return JsonMmapFile.open(file, Role.WRITER);
  }

  private static JsonMmapInbox serve(JsonMmapFile handle, Duration timeout) {
    JsonMmapInbox inbox =
        JsonMmapInbox.serve(
            handle, JsonMmapInbox.Settings.defaults().requestTimeout(timeout).maxConnections(4));
    await().atMost(Duration.ofSeconds(10)).until(inbox::isServing);
    return inbox;
  }

  @Test
  void socketIsOwnerOnlyAndGoesAwayWithTheWriter() throws Exception {
    Path file = newFile();
    Path socket = JsonMmapInbox.socketPath(file);
    try (JsonMmapFile handle = writerHandle(file);
        JsonMmapInbox inbox = serve(handle, Duration.ofSeconds(2))) {
      assertThat(Files.getAttribute(socket, "unix:mode", LinkOption.NOFOLLOW_LINKS))
          .isEqualTo(0140600);
      assertThat(Files.list(dir).map(p -> p.getFileName().toString()))
          .containsExactlyInAnyOrder("app.json", "app.json.lock", "app.json.sock");
    }
    assertThat(socket).doesNotExist();
  }

  @Test
  void inboxStopsWhenItsHandleIsClosedFirst() {
    Path file = newFile();
    JsonMmapFile handle = writerHandle(file);
    try (JsonMmapInbox inbox = serve(handle, Duration.ofSeconds(2))) {
      handle.close();
      await().atMost(Duration.ofSeconds(10)).until(() -> !inbox.isServing());
      assertThat(JsonMmapInbox.socketPath(file)).doesNotExist();
    }
  }

  @Test
  void staleSocketOfThisUserIsReplacedButASymlinkOrFileIsNot() throws Exception {
    Path file = newFile();
    Path socket = JsonMmapInbox.socketPath(file);
    try (var stale =
        java.nio.channels.ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
      stale.bind(UnixDomainSocketAddress.of(socket));
    }
    try (JsonMmapFile handle = writerHandle(file);
        JsonMmapInbox inbox = serve(handle, Duration.ofSeconds(2))) {
      assertThat(JsonMmapInbox.send(file, Request.set("k", NODES.numberNode(1))).ok()).isTrue();
    }

    Path target = dir.resolve("elsewhere");
    Files.createSymbolicLink(socket, target);
    try (JsonMmapFile handle = writerHandle(file);
        JsonMmapInbox inbox = JsonMmapInbox.serve(handle, JsonMmapInbox.Settings.defaults())) {
      await().atMost(Duration.ofSeconds(10)).until(() -> inbox.lastError().isPresent());
      assertThat(inbox.isServing()).isFalse();
      assertThat(inbox.lastError().get()).hasMessageContaining("not a socket");
      assertThat(Files.isSymbolicLink(socket)).isTrue();
      assertThat(target).doesNotExist();
      assertThat(handle.set("still", "writing").version()).isPositive();
    }
  }

  @Test
  void hostileClientsGetRejectionsAndTheWriterKeepsServing() throws Exception {
    Path file = newFile();
    try (JsonMmapFile handle = writerHandle(file);
        JsonMmapInbox inbox = serve(handle, Duration.ofMillis(500))) {
      long before = handle.snapshot().version();
      Path socket = JsonMmapInbox.socketPath(file);

      // Connect and send nothing, and half a request: both time out, and meanwhile others are
      // served.
      try (SocketChannel silent = SocketChannel.open(UnixDomainSocketAddress.of(socket));
          SocketChannel half = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
        half.write(ByteBuffer.wrap(new byte[] {0, 0, 0, 100, '{', '"'}));
        assertThat(JsonMmapInbox.send(file, Request.set("during", NODES.numberNode(1))).ok())
            .isTrue();
        assertThat(readReply(silent).error()).isEqualTo("timeout");
        assertThat(readReply(half).error()).isEqualTo("timeout");
      }

      assertThat(raw(socket, "not json at all".getBytes(StandardCharsets.UTF_8)).error())
          .isEqualTo("bad-request");
      assertThat(raw(socket, "[1,2]".getBytes(StandardCharsets.UTF_8)).error())
          .isEqualTo("bad-request");
      assertThat(
              raw(
                      socket,
                      "{\"v\":1,\"op\":\"set\",\"key\":\"a\",\"value\":1e99999999999}"
                          .getBytes(StandardCharsets.UTF_8))
                  .error())
          .isEqualTo("bad-request");
      assertThat(raw(socket, "{\"v\":2,\"op\":\"set\"}".getBytes(StandardCharsets.UTF_8)).error())
          .isEqualTo("unsupported-version");
      assertThat(
              raw(
                      socket,
                      "{\"v\":1,\"op\":\"set\",\"key\":\"a..b\",\"value\":1}"
                          .getBytes(StandardCharsets.UTF_8))
                  .error())
          .isEqualTo("bad-request");
      assertThat(
              raw(
                      socket,
                      ("{\"v\":1,\"op\":\"put\",\"value\":"
                              + "[".repeat(5000)
                              + "]".repeat(5000)
                              + "}")
                          .getBytes(StandardCharsets.UTF_8))
                  .error())
          .isEqualTo("bad-request");

      // Announce more than the limit: refused before a byte of the body is buffered.
      try (SocketChannel big = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
        big.write(ByteBuffer.allocate(4).putInt(0, Integer.MAX_VALUE));
        Reply reply = readReply(big);
        assertThat(reply.error()).isEqualTo("too-large");
        assertThat(reply.message()).contains("limit=");
      }
      // The client sends a real oversized request: it gets the reason, not a broken pipe.
      ObjectNode huge =
          NODES
              .objectNode()
              .put("pad", "x".repeat((int) handle.options().maxDocumentSize() + 100_000));
      Reply tooLarge = JsonMmapInbox.send(file, Request.put(huge));
      assertThat(tooLarge.error()).isEqualTo("too-large");

      // More connections than allowed: the extra one is told the inbox is busy.
      List<SocketChannel> held = new java.util.ArrayList<>();
      try {
        for (int i = 0; i < 4; i++) {
          held.add(SocketChannel.open(UnixDomainSocketAddress.of(socket)));
        }
        try (SocketChannel extra = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
          assertThat(readReply(extra).error()).isEqualTo("busy");
        }
      } finally {
        for (SocketChannel ch : held) {
          ch.close();
        }
      }

      assertThat(handle.snapshot().version()).isEqualTo(before + 1);
      // The server notices the held connections closing on its next turn: until then a new one
      // may still be told "busy", which changes nothing.
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> JsonMmapInbox.send(file, Request.set("after", NODES.numberNode(2))).ok());
      assertThat(handle.set("own", "write").version()).isEqualTo(before + 3);
      assertThat(inbox.replies()).containsKeys("ok", "timeout", "bad-request", "too-large", "busy");
    }
  }

  /** A validator that blocks on documents holding {@code "slow"} until released. */
  private static final class SlowValidator implements java.util.function.Consumer<ObjectNode> {
    final java.util.concurrent.Semaphore entered = new java.util.concurrent.Semaphore(0);
    final java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);

    @Override
    public void accept(ObjectNode doc) {
      if (doc.has("slow") && release.getCount() > 0) {
        entered.release();
        try {
          release.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }
  }

  /** Sends {@code slow} in the background and returns once the validator is blocked on it. */
  private Future<Reply> blockTheWriter(Path file, SlowValidator validator) {
    return pool.submit(
        () -> JsonMmapInbox.send(file, Request.set("slow", NODES.booleanNode(true)), START));
  }

  private static void awaitBlocked(SlowValidator validator) throws InterruptedException {
    assertThat(validator.entered.tryAcquire(30, TimeUnit.SECONDS)).as("validator entered").isTrue();
  }

  private static SocketChannel halfRequest(Path socket) throws IOException {
    SocketChannel half = SocketChannel.open(UnixDomainSocketAddress.of(socket));
    half.write(ByteBuffer.wrap(new byte[] {0, 0, 0, 100, '{', '"'}));
    return half;
  }

  @Test
  void slowValidatorStallsOnlyTheRequestsQueuedBehindIt() throws Exception {
    Path file = newFile();
    Path socket = JsonMmapInbox.socketPath(file);
    SlowValidator validator = new SlowValidator();
    try (JsonMmapFile handle = writerHandle(file)) {
      handle.setValidator(validator);
      try (JsonMmapInbox inbox = serve(handle, Duration.ofSeconds(1))) {
        long before = handle.snapshot().version();
        Future<Reply> slow = blockTheWriter(file, validator);
        awaitBlocked(validator);
        try (SocketChannel queued = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
          // A whole request behind the blocked one waits for the writer thread...
          byte[] json =
              "{\"v\":1,\"op\":\"set\",\"key\":\"queued\",\"value\":1}"
                  .getBytes(StandardCharsets.UTF_8);
          queued.write(ByteBuffer.allocate(4 + json.length).putInt(json.length).put(json).flip());
          // ...while the selector keeps answering everyone else: half-sent requests time out
          // (twice over, so the queued request has waited longer than the timeout behind it)...
          for (int i = 0; i < 2; i++) {
            try (SocketChannel half = halfRequest(socket)) {
              Future<Reply> timedOut = pool.submit(() -> readReply(half));
              assertThat(timedOut.get(30, TimeUnit.SECONDS).error()).isEqualTo("timeout");
            }
          }
          // ...and refuses what it can refuse without the writer thread.
          try (SocketChannel big = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            big.write(ByteBuffer.allocate(4).putInt(0, Integer.MAX_VALUE));
            assertThat(pool.submit(() -> readReply(big)).get(30, TimeUnit.SECONDS).error())
                .isEqualTo("too-large");
          }
          assertThat(slow.isDone()).isFalse();

          validator.release.countDown();
          Reply slowReply = slow.get(30, TimeUnit.SECONDS);
          assertThat(slowReply.ok()).as("%s", slowReply).isTrue();
          assertThat(slowReply.version()).isEqualTo(before + 1);
          // The queued request waited behind it longer than a client waits: refused, unapplied.
          Reply queuedReply = pool.submit(() -> readReply(queued)).get(30, TimeUnit.SECONDS);
          assertThat(queuedReply.error()).isEqualTo("busy");
          assertThat(queuedReply.message()).contains("waited=");
        }
        assertThat(handle.snapshot().get("queued")).isNull();
        assertThat(handle.snapshot().version()).isEqualTo(before + 1);
        Reply after = JsonMmapInbox.send(file, Request.set("queued", NODES.numberNode(2)));
        assertThat(after.ok()).as("%s", after).isTrue();
        assertThat(inbox.replies()).containsKeys("ok", "timeout", "too-large", "busy");
      } finally {
        validator.release.countDown();
      }
    }
  }

  @Test
  void connectionsOverTheCapAreAnsweredBusyAndClosedAtOnce() throws Exception {
    Path file = newFile();
    Path socket = JsonMmapInbox.socketPath(file);
    try (JsonMmapFile handle = writerHandle(file);
        // A timeout far beyond the test's deadlines: nothing here may wait for it.
        JsonMmapInbox inbox = serve(handle, Duration.ofMinutes(5))) {
      long socketsBefore = openSockets();
      List<SocketChannel> held = new java.util.ArrayList<>();
      try {
        for (int i = 0; i < 4; i++) {
          held.add(SocketChannel.open(UnixDomainSocketAddress.of(socket)));
        }
        for (int i = 0; i < 50; i++) {
          SocketChannel extra = SocketChannel.open(UnixDomainSocketAddress.of(socket));
          held.add(extra);
          Future<Integer> closedByWriter =
              pool.submit(
                  () -> {
                    assertThat(readReply(extra).error()).isEqualTo("busy");
                    return extra.read(ByteBuffer.allocate(16));
                  });
          assertThat(closedByWriter.get(30, TimeUnit.SECONDS)).isEqualTo(-1);
        }
        // The writer holds nothing for them while their clients keep them open: only the 4
        // connections within the cap have a descriptor on its side (this JVM holds both ends).
        await()
            .atMost(START)
            .untilAsserted(
                () -> assertThat(openSockets()).isLessThanOrEqualTo(socketsBefore + 4 + 54 + 8));
        // A client that sends its request anyway still reads the reason.
        try (SocketChannel late = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
          byte[] json =
              "{\"v\":1,\"op\":\"set\",\"key\":\"late\",\"value\":1}"
                  .getBytes(StandardCharsets.UTF_8);
          try {
            late.write(ByteBuffer.allocate(4 + json.length).putInt(json.length).put(json).flip());
          } catch (IOException e) {
            // The writer may have closed first (broken pipe): the reply is still there to read.
          }
          assertThat(pool.submit(() -> readReply(late)).get(30, TimeUnit.SECONDS).error())
              .isEqualTo("busy");
        }
      } finally {
        for (SocketChannel ch : held) {
          ch.close();
        }
      }
      await()
          .atMost(START)
          .until(() -> JsonMmapInbox.send(file, Request.set("after", NODES.numberNode(1))).ok());
      assertThat(handle.snapshot().get("late")).isNull();
      assertThat(inbox.replies().get("busy")).isGreaterThanOrEqualTo(51L);
    }
  }

  /** Sockets this JVM has open, from {@code /proc/self/fd}. */
  private static long openSockets() throws IOException {
    try (var fds = Files.list(Path.of("/proc/self/fd"))) {
      return fds.filter(
              fd -> {
                try {
                  return Files.readSymbolicLink(fd).toString().startsWith("socket:");
                } catch (IOException e) {
                  return false; // closed meanwhile
                }
              })
          .count();
    }
  }

  @Test
  void interruptedSendThrowsAndLeavesTheThreadInterrupted() throws Exception {
    Path file = newFile();
    SlowValidator validator = new SlowValidator();
    try (JsonMmapFile handle = writerHandle(file)) {
      handle.setValidator(validator);
      try (JsonMmapInbox inbox = serve(handle, Duration.ofSeconds(5))) {
        CompletableFuture<Throwable> thrown = new CompletableFuture<>();
        CompletableFuture<Boolean> stillInterrupted = new CompletableFuture<>();
        Thread sender =
            new Thread(
                () -> {
                  try {
                    JsonMmapInbox.send(file, Request.set("slow", NODES.booleanNode(true)), START);
                    thrown.complete(null);
                  } catch (RuntimeException e) {
                    thrown.complete(e);
                  }
                  stillInterrupted.complete(Thread.currentThread().isInterrupted());
                });
        sender.start();
        awaitBlocked(validator);
        sender.interrupt();
        assertThat(thrown.get(30, TimeUnit.SECONDS))
            .isInstanceOf(InboxOutcomeUnknownException.class)
            .hasMessageContaining("interrupted");
        assertThat(stillInterrupted.get(30, TimeUnit.SECONDS)).isTrue();
        sender.join(TimeUnit.SECONDS.toMillis(30));
        validator.release.countDown();

        // Interrupted before it starts: nothing is sent, and the interrupt stays.
        Thread.currentThread().interrupt();
        try {
          assertThatThrownBy(() -> JsonMmapInbox.send(file, Request.set("x", NODES.numberNode(1))))
              .isInstanceOf(InboxUnavailableException.class)
              .hasMessageContaining("interrupted");
          assertThat(Thread.currentThread().isInterrupted()).isTrue();
        } finally {
          Thread.interrupted();
        }
        assertThat(handle.snapshot().get("x")).isNull();
      } finally {
        validator.release.countDown();
      }
    }
  }

  @Test
  void requestsAreSerialisedWithTheWritersOwnWrites() throws Exception {
    Path file = newFile();
    try (JsonMmapFile handle = writerHandle(file);
        JsonMmapInbox inbox = serve(handle, Duration.ofSeconds(5))) {
      handle.set("n", 0);
      int rounds = 200;
      CompletableFuture<Void> own =
          CompletableFuture.runAsync(
              () -> {
                for (int i = 0; i < rounds; i++) {
                  handle.update(doc -> doc.put("n", doc.get("n").asInt() + 1));
                }
              },
              pool);
      for (int i = 0; i < rounds; i++) {
        Reply reply;
        do {
          Snapshot seen = handle.snapshot();
          long v = seen.version();
          int n = ((Number) seen.get("n")).intValue();
          reply =
              JsonMmapInbox.send(file, Request.set("n", NODES.numberNode(n + 1)).expectVersion(v));
        } while ("conflict".equals(reply.error()));
        assertThat(reply.ok()).as("%s", reply).isTrue();
      }
      own.get(60, TimeUnit.SECONDS);
      assertThat(handle.snapshot().get("n")).isEqualTo(2 * rounds);
    }
  }

  @Test
  void peerThatMayNotWriteTheFileIsRefused() throws Exception {
    org.junit.jupiter.api.Assumptions.assumeTrue(
        "root".equals(System.getProperty("user.name")),
        "creating the unprivileged account jminbox needs root; skipped when not root");
    run("useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "jminbox");
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path file = newFile();
    Path socket = JsonMmapInbox.socketPath(file);
    try (JsonMmapFile handle = writerHandle(file);
        JsonMmapInbox inbox = serve(handle, Duration.ofSeconds(2))) {
      // The socket's mode keeps the account out...
      assertThat(runAsJminbox(socket)).contains("denied");
      // ...and were the mode opened up, the peer's credentials still do.
      Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-rw-rw-"));
      assertThat(runAsJminbox(socket)).contains("forbidden");
      assertThat(handle.snapshot().get("who")).isNull();
    }
  }

  @Test
  void socketPlantedByAnotherUserGetsNoRequestAndNoSay() throws Exception {
    org.junit.jupiter.api.Assumptions.assumeTrue(
        "root".equals(System.getProperty("user.name")),
        "creating the unprivileged account jminbox needs root; skipped when not root");
    run("useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "jminbox");
    Path file = newFile();
    Path socket = JsonMmapInbox.socketPath(file);
    // A sticky, world-writable directory, as /dev/shm is: anyone may create the socket's name
    // before the writer binds it (or after it went away).
    run("chmod", "1777", dir.toString());
    // The impostor answers "committed at version 999" to whoever connects (a client that already
    // left breaks its pipe: ignored), and counts the bytes it is sent.
    Path impostor = dir.resolve("Impostor.java");
    Files.writeString(
        impostor,
        "import java.net.*; import java.nio.*; import java.nio.channels.*;\n"
            + "public class Impostor { public static void main(String[] a) throws Exception {\n"
            + " try (ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {\n"
            + "  s.bind(UnixDomainSocketAddress.of(a[0]));\n"
            + "  System.out.println(\"listening\");\n"
            + "  try (SocketChannel c = s.accept()) {\n"
            + "   byte[] r = \"{\\\"v\\\":1,\\\"ok\\\":true,\\\"version\\\":999,\\\"changed\\\":true}\".getBytes();\n"
            + "   try { c.write(ByteBuffer.allocate(4 + r.length).putInt(r.length).put(r).flip()); }\n"
            + "   catch (java.io.IOException e) {}\n"
            + "   long n = 0; ByteBuffer b = ByteBuffer.allocate(65536); int k;\n"
            + "   try { while ((k = c.read(b.clear())) >= 0) { n += k; } } catch (java.io.IOException e) {}\n"
            + "   System.out.println(\"received \" + n);\n"
            + "  } } } }\n");
    Files.setPosixFilePermissions(impostor, PosixFilePermissions.fromString("rw-r--r--"));
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    // setpriv execs the JVM itself, so the process we end below is the listener.
    Process p =
        new ProcessBuilder(
                "setpriv",
                "--reuid=" + idOf("-u"),
                "--regid=" + idOf("-g"),
                "--clear-groups",
                java,
                "-XX:-UsePerfData",
                impostor.toString(),
                socket.toString())
            .redirectErrorStream(true)
            .start();
    try (var lines =
        new java.io.BufferedReader(
            new java.io.InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      assertThat(readLineWithin(lines, "listening")).isEqualTo("listening");

      assertThatThrownBy(
              () -> JsonMmapInbox.send(file, Request.set("secret", NODES.stringNode("s3cr3t"))))
          .isInstanceOf(InboxUnavailableException.class)
          .hasMessageContaining("not sending")
          .hasMessageContaining("server=jminbox");

      assertThat(readLineWithin(lines, "received")).isEqualTo("received 0");
    } finally {
      p.destroyForcibly();
      p.waitFor(30, TimeUnit.SECONDS);
      Files.deleteIfExists(socket);
    }
  }

  private static String idOf(String which) throws Exception {
    Process p = new ProcessBuilder("id", which, "jminbox").redirectErrorStream(true).start();
    String id = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    return id;
  }

  /** The next line starting with {@code prefix} (a JVM may warn first), or null at the end. */
  private String readLineWithin(java.io.BufferedReader lines, String prefix) throws Exception {
    return pool.submit(
            () -> {
              String line;
              while ((line = lines.readLine()) != null && !line.startsWith(prefix)) {
                // not ours
              }
              return line;
            })
        .get(60, TimeUnit.SECONDS);
  }

  private String runAsJminbox(Path socket) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Path script = dir.resolve("Peer.java");
    Files.writeString(
        script,
        "import java.net.*; import java.nio.*; import java.nio.channels.*;\n"
            + "public class Peer { public static void main(String[] a) throws Exception {\n"
            + " try (SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(a[0]))) {\n"
            + "  byte[] b = \"{\\\"v\\\":1,\\\"op\\\":\\\"set\\\",\\\"key\\\":\\\"who\\\",\\\"value\\\":1}\".getBytes();\n"
            + "  try { c.write(ByteBuffer.allocate(4 + b.length).putInt(b.length).put(b).flip()); }\n"
            + "  catch (java.io.IOException e) { System.out.println(\"write failed \" + e.getMessage()); }\n"
            + "  ByteBuffer r = ByteBuffer.allocate(4096); while (c.read(r) >= 0) {}\n"
            + "  System.out.println(new String(r.array(), 4, r.position() - 4));\n"
            + " } catch (java.io.IOException e) { System.out.println(\"denied \" + e.getMessage()); } } }\n");
    Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rw-r--r--"));
    Process p =
        new ProcessBuilder(
                "runuser", "-u", "jminbox", "--", java, script.toString(), socket.toString())
            .redirectErrorStream(true)
            .start();
    try {
      assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
      return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    } finally {
      p.destroyForcibly();
    }
  }

  private static void run(String... command) throws Exception {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    p.getInputStream().readAllBytes();
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    // 9: the account exists already (idempotent).
    assertThat(p.exitValue()).isIn(0, 9);
  }

  private static Reply raw(Path socket, byte[] json) throws IOException {
    try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
      ch.write(ByteBuffer.allocate(4 + json.length).putInt(json.length).put(json).flip());
      return readReply(ch);
    }
  }

  private static Reply readReply(SocketChannel ch) throws IOException {
    ByteBuffer header = ByteBuffer.allocate(4);
    while (header.hasRemaining()) {
      if (ch.read(header) < 0) {
        throw new IOException("closed before a reply");
      }
    }
    ByteBuffer body = ByteBuffer.allocate(header.getInt(0));
    while (body.hasRemaining()) {
      if (ch.read(body) < 0) {
        throw new IOException("closed mid-reply");
      }
    }
    return InboxCodec.decodeReply(InboxCodec.parser(100, InboxCodec.MAX_REPLY_SIZE), body.array());
  }
}
