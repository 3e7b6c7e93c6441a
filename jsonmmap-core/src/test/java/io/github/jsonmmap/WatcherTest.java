package io.github.jsonmmap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.WatchService;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The JVM's watcher thread: native inotify and the JDK WatchService fallback, across processes and
 * with watchers of their own driven by probe targets. No timing is asserted: with an hour-long poll
 * interval only an event (or a wake-up) can deliver within the test's deadlines.
 */
class WatcherTest {

  private static final long HOUR_NANOS = TimeUnit.HOURS.toNanos(1);
  private static final Duration DEADLINE = Duration.ofSeconds(60);

  @TempDir Path dir;

  private final List<Watcher> watchers = new ArrayList<>();

  @AfterEach
  void closeWatchers() throws InterruptedException {
    for (Watcher watcher : watchers) {
      assertThat(watcher.close(DEADLINE)).as("watcher thread stopped").isTrue();
    }
  }

  private Watcher watcher(String mechanism) {
    Watcher watcher = new Watcher(mechanism);
    watchers.add(watcher);
    if (!"jdk".equals(mechanism)) {
      assumeNativeExpected();
      assertThat(watcher.mechanism()).isEqualTo("inotify");
    } else {
      assertThat(watcher.mechanism()).isEqualTo("jdk");
    }
    return watcher;
  }

  /** Whether this JDK's default WatchService is the Linux one, which reads inotify. */
  private static boolean jdkServiceReadsInotify() throws IOException {
    try (WatchService service = FileSystems.getDefault().newWatchService()) {
      return service.getClass().getName().equals(JdkEvents.INOTIFY_SERVICE);
    }
  }

  private static void assumeNativeExpected() {
    Assumptions.assumeTrue(
        System.getProperty("os.name").toLowerCase(Locale.ROOT).contains("linux"),
        "native inotify is Linux only; the JDK WatchService fallback is tested everywhere");
  }

  @Test
  void nativeWatcherDeliversAChangeFromAnotherJvm() throws IOException {
    assumeNativeExpected();
    assertReaderInChildSeesChanges(List.of(), "inotify");
  }

  @Test
  void jdkFallbackIsUsedAndDeliversWhenNativeIsDisabledByTheSystemProperty() throws IOException {
    assertReaderInChildSeesChanges(List.of("-D" + Watcher.MECHANISM_PROPERTY + "=jdk"), "jdk");
  }

  /**
   * A reader on the JDK fallback with hour-long polls still looks in full at once when the file is
   * written by something else: here it is truncated to its header page, which leaves the current
   * word as it was (the cheap look would see nothing) and only the full look reports.
   */
  @Test
  void aJdkFallbackReaderOnLinuxLooksInFullAtOnceWithoutWaitingForItsPoll() throws IOException {
    Assumptions.assumeTrue(jdkServiceReadsInotify(), "the JDK's WatchService reads inotify");
    Path file = dir.resolve("shared.json");
    long version;
    try (JsonMmapFile writer = JsonMmapFile.open(file, Role.WRITER)) {
      writer.set("greeting", "x".repeat(5000));
      version = writer.set("greeting", "hello").version();
    }
    assertThat(Files.size(file)).isGreaterThan(FileLayout.PAGE_SIZE);
    List<String> jdk = List.of("-D" + Watcher.MECHANISM_PROPERTY + "=jdk");
    try (Child reader = Child.start(jdk, EventsReader.class, file.toString())) {
      reader.awaitLine(l -> l.equals("mechanism jdk"));
      reader.awaitLine(l -> l.equals("ready " + version));
      try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
        ch.truncate(FileLayout.PAGE_SIZE);
      }
      reader.awaitLine(l -> l.startsWith("error corrupt ") && l.contains("truncated"));
    }
  }

  @Test
  void jdkFallbackIsUsedWhenJnaCannotLoadItsNativeLibrary() throws IOException {
    // As on a noexec temp directory: JNA may neither unpack nor find libjnidispatch.
    assertReaderInChildSeesChanges(
        List.of(
            "-Djna.nounpack=true",
            "-Djna.nosys=true",
            "-Djna.boot.library.path=" + dir.resolve("no-such-dir"),
            "-Djna.tmpdir=" + dir.resolve("no-such-dir")),
        "jdk");
  }

  @Test
  void withoutJnaOnTheClassPathAReaderFallsBackAndAWriterStillWakesReaders() throws IOException {
    // A user who excluded the dependency: no JNA classes at all, in the reader and in the writer.
    assertReaderInChildSeesChanges(List.of(), "jdk", true);
    Path file = dir.resolve("from-child.json");
    try (Child writer = Child.start(List.of(), true, SettingWriter.class, file.toString())) {
      writer.awaitLine(l -> l.startsWith("published "));
      JsonMmapOptions options =
          JsonMmapOptions.builder(file)
              .role(Role.READER)
              .watchMode(WatchMode.EVENTS)
              .pollInterval(Duration.ofHours(1))
              .build();
      try (JsonMmapFile reader = JsonMmapFile.open(options)) {
        List<Object> seen = new CopyOnWriteArrayList<>();
        reader.addListener(change -> seen.add(change.current().get("n")));
        for (int i = 2; i <= 4; i++) {
          writer.send("set " + i);
          int n = i;
          // With an hour's poll only the writer's wake-up can deliver these.
          await().atMost(DEADLINE).until(() -> seen.contains(n));
          assertThat(reader.snapshot().get("n")).isEqualTo(n);
        }
      }
    }
  }

  private void assertReaderInChildSeesChanges(List<String> jvmArgs, String expected)
      throws IOException {
    assertReaderInChildSeesChanges(jvmArgs, expected, false);
  }

  private void assertReaderInChildSeesChanges(
      List<String> jvmArgs, String expected, boolean withoutJna) throws IOException {
    Path file = dir.resolve("shared.json");
    try (JsonMmapFile writer = JsonMmapFile.open(file, Role.WRITER)) {
      writer.set("greeting", "hello 0");
      try (Child reader = Child.start(jvmArgs, withoutJna, EventsReader.class, file.toString())) {
        reader.awaitLine(l -> l.equals("mechanism " + expected));
        reader.awaitLine(l -> l.startsWith("ready "));
        for (int i = 1; i <= 5; i++) {
          long version = writer.set("greeting", "hello " + i).version();
          reader.awaitLine(l -> l.equals("seen " + version));
        }
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"auto", "jdk"})
  void watchesSeveralFilesInOneAndInDifferentDirectories(String mechanism) throws IOException {
    Watcher watcher = watcher(mechanism);
    Path one = Files.createDirectory(dir.resolve("one"));
    Path two = Files.createDirectory(dir.resolve("two"));
    Probe a = new Probe(Files.createFile(one.resolve("a.json")), HOUR_NANOS);
    Probe b = new Probe(Files.createFile(one.resolve("b.json")), HOUR_NANOS);
    Probe c = new Probe(Files.createFile(two.resolve("c.json")), HOUR_NANOS);
    watcher.register(a);
    watcher.register(b);
    watcher.register(c);

    touch(a.path);
    await().atMost(DEADLINE).until(() -> a.looks.get() >= 1);
    touch(c.path);
    await().atMost(DEADLINE).until(() -> c.looks.get() >= 1);
    touch(b.path);
    await().atMost(DEADLINE).until(() -> b.looks.get() >= 1);
    for (Probe probe : List.of(a, b, c)) {
      assertThat(probe.looksOfTheOtherKind(mechanism)).isZero();
    }

    // Unregistering one file of a directory keeps the other watched; the removed one hears nothing.
    watcher.unregister(a);
    int aBefore = a.looks.get();
    int bBefore = b.looks.get();
    touch(a.path);
    touch(b.path);
    await().atMost(DEADLINE).until(() -> b.looks.get() > bBefore);
    assertThat(a.looks.get()).isEqualTo(aBefore);
  }

  @ParameterizedTest
  @ValueSource(strings = {"auto", "jdk"})
  void watchesADirectoryAgainAfterItIsDeletedAndRecreated(String mechanism) throws IOException {
    Watcher watcher = watcher(mechanism);
    boolean precise = !mechanism.equals("jdk") || jdkServiceReadsInotify();
    Path sub = Files.createDirectory(dir.resolve("sub"));
    Probe probe =
        new Probe(Files.createFile(sub.resolve("f.json")), TimeUnit.MILLISECONDS.toNanos(50));
    probe.heardIntervalNanos = HOUR_NANOS;
    probe.readsTime = true;
    watcher.register(probe);
    touch(probe.path);
    await().atMost(DEADLINE).until(() -> probe.looks.get() >= 1);
    await().atMost(DEADLINE).until(() -> !precise || probe.heardAgain.get() >= 1);

    Files.delete(probe.path);
    Files.delete(sub);
    Files.createDirectory(sub);
    Files.createFile(probe.path);
    // A time no look before the deletion could have read marks the event.
    FileTime marker = FileTime.from(Instant.now().plus(Duration.ofDays(1)));
    if (precise) {
      // The directory is lost, then watched again on one of the 50 ms ticks; heard again, the
      // target is next polled in an hour, so only an event can bring the look that sees the mark.
      await().atMost(DEADLINE).until(() -> probe.heardAgain.get() >= 2);
      int looks = probe.looks.get();
      Files.setLastModifiedTime(probe.path, marker);
      await()
          .atMost(DEADLINE)
          .until(() -> probe.looks.get() > looks && marker.equals(probe.timeSeenOnLook));
    } else {
      // A polling WatchService: re-watched on a tick, and only its events take the cheap look.
      await()
          .atMost(DEADLINE)
          .pollInterval(Duration.ofMillis(20))
          .until(
              () -> {
                Files.setLastModifiedTime(probe.path, marker);
                return marker.equals(probe.timeSeenOnEvent);
              });
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"auto", "jdk"})
  void anErrorThrownByATargetDoesNotStopTheWatcher(String mechanism) throws IOException {
    Watcher watcher = watcher(mechanism);
    Probe bad = new Probe(Files.createFile(dir.resolve("bad.json")), HOUR_NANOS);
    bad.failure = new Error("thrown by a test target");
    Probe good = new Probe(Files.createFile(dir.resolve("good.json")), HOUR_NANOS);
    watcher.register(bad);
    watcher.register(good);
    for (int i = 1; i <= 3; i++) {
      int round = i;
      touch(bad.path);
      await().atMost(DEADLINE).until(() -> bad.looks.get() >= round);
      touch(good.path);
      await().atMost(DEADLINE).until(() -> good.looks.get() >= round);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"auto", "jdk"})
  void aTargetThatStopsWantingEventsHearsNoneUntilItWantsThemAgainAndIsThenLookedAt(
      String mechanism) throws IOException {
    Watcher watcher = watcher(mechanism);
    Probe writer = new Probe(Files.createFile(dir.resolve("writer.json")), HOUR_NANOS);
    watcher.register(writer);
    touch(writer.path);
    await().atMost(DEADLINE).until(() -> writer.looks.get() >= 1);

    // Alone in its directory, a target that wants no events leaves the directory unwatched.
    writer.wants = false;
    watcher.refresh(writer);
    assertThat(watcher.watches(dir)).isFalse();
    int before = writer.looks.get();

    // Another file of the directory is heard; the target that wants none is not, though its
    // event came first.
    Probe reader = new Probe(Files.createFile(dir.resolve("reader.json")), HOUR_NANOS);
    watcher.register(reader);
    assertThat(watcher.watches(dir)).isTrue();
    touch(writer.path);
    touch(reader.path);
    await().atMost(DEADLINE).until(() -> reader.looks.get() >= 1);
    assertThat(writer.looks.get()).isEqualTo(before);
    watcher.unregister(reader);
    assertThat(watcher.watches(dir)).isFalse();

    // Wanting events again: looked at once, for whatever changed meanwhile, then at each event.
    writer.wants = true;
    watcher.refresh(writer);
    assertThat(watcher.watches(dir)).isTrue();
    await().atMost(DEADLINE).until(() -> writer.looks.get() >= before + 1);
    int looked = writer.looks.get();
    touch(writer.path);
    await().atMost(DEADLINE).until(() -> writer.looks.get() > looked);
    if (!mechanism.equals("jdk") || !jdkServiceReadsInotify()) {
      // Timestamp changes only: cheap looks (from the JDK's inotify-reading service, full ones).
      assertThat(writer.ticks.get() + reader.ticks.get()).isZero();
    }

    // Refreshing a target that is not registered changes nothing.
    watcher.refresh(reader);
    assertThat(watcher.watches(dir)).isTrue();
  }

  /**
   * A timestamp change is the writer's bump after a publish: the cheap look. Anything else that
   * names the file (written, renamed over, deleted) gets the full look at once, whatever the poll.
   * The JDK reports a write and a timestamp change alike as ENTRY_MODIFY: read from inotify (Linux)
   * it gets the full look, so that a write does not wait for the poll; from a polling service
   * (macOS) the cheap one, and the short poll stays.
   */
  @ParameterizedTest
  @ValueSource(strings = {"auto", "jdk"})
  void aTimestampChangeIsLookedAtCheaplyAndAnythingElseInFull(String mechanism) throws IOException {
    Watcher watcher = watcher(mechanism);
    boolean everyEventInFull = mechanism.equals("jdk") && jdkServiceReadsInotify();
    Probe probe = new Probe(Files.createFile(dir.resolve("f.json")), HOUR_NANOS);
    watcher.register(probe);
    touch(probe.path);
    if (everyEventInFull) {
      await().atMost(DEADLINE).until(() -> probe.ticks.get() >= 1);
      assertThat(probe.events.get()).isZero();
    } else {
      await().atMost(DEADLINE).until(() -> probe.events.get() >= 1);
      assertThat(probe.ticks.get()).isZero();
    }
    int touched = probe.ticks.get();

    Files.writeString(probe.path, "written", StandardOpenOption.APPEND);
    if (mechanism.equals("jdk") && !everyEventInFull) {
      await().atMost(DEADLINE).until(() -> probe.events.get() >= 2);
    } else {
      await().atMost(DEADLINE).until(() -> probe.ticks.get() > touched);
    }
    int ticks = probe.ticks.get();

    Path other = Files.writeString(dir.resolve("other.tmp"), "renamed over");
    Files.move(other, probe.path, StandardCopyOption.REPLACE_EXISTING);
    await().atMost(DEADLINE).until(() -> probe.ticks.get() > ticks);
    int renamed = probe.ticks.get();

    Files.delete(probe.path);
    await().atMost(DEADLINE).until(() -> probe.ticks.get() > renamed);
  }

  /**
   * The interval is asked after every tick knowing whether precise events (inotify, read natively
   * or by the JDK's WatchService on Linux) are heard: a target that hears them may wait long; one
   * that wants none, or that waits on a WatchService that polls (macOS), is told they are not
   * heard.
   */
  @ParameterizedTest
  @ValueSource(strings = {"auto", "jdk"})
  void theIntervalIsAskedKnowingWhetherPreciseEventsAreHeard(String mechanism) throws IOException {
    Watcher watcher = watcher(mechanism);
    long fast = TimeUnit.MILLISECONDS.toNanos(5);
    Probe hearing = new Probe(Files.createFile(dir.resolve("hearing.json")), fast);
    hearing.heardIntervalNanos = HOUR_NANOS;
    Probe deaf = new Probe(Files.createFile(dir.resolve("deaf.json")), fast);
    deaf.heardIntervalNanos = HOUR_NANOS;
    deaf.wants = false;
    watcher.register(hearing);
    watcher.register(deaf);

    await().atMost(DEADLINE).until(() -> deaf.ticks.get() >= 20);
    assertThat(deaf.askedHeard.get()).isZero();
    if (mechanism.equals("jdk") && !jdkServiceReadsInotify()) {
      assertThat(hearing.askedHeard.get()).isZero();
      await().atMost(DEADLINE).until(() -> hearing.ticks.get() >= 20);
    } else {
      // The first tick came at the registration's interval; the next is an hour away.
      assertThat(hearing.askedHeard.get()).isPositive();
      assertThat(hearing.ticks.get()).isEqualTo(1);
    }
  }

  /**
   * What an event shows can call for an earlier tick (a reader whose read failed polls at its short
   * interval again): the interval is asked after the event and a nearer tick is kept.
   */
  @Test
  void anEventThatShortensTheIntervalBringsTheNextTickForward() throws IOException {
    Watcher watcher = watcher("auto");
    Probe probe = new Probe(Files.createFile(dir.resolve("f.json")), HOUR_NANOS);
    watcher.register(probe);
    touch(probe.path);
    await().atMost(DEADLINE).until(() -> probe.events.get() >= 1);
    assertThat(probe.ticks.get()).isZero();

    probe.heardIntervalNanos = TimeUnit.MILLISECONDS.toNanos(5);
    touch(probe.path);
    await().atMost(DEADLINE).until(() -> probe.ticks.get() >= 3);
  }

  @Test
  void registrationWakesTheThreadForAnEarlierTick() throws IOException {
    Watcher watcher = watcher("auto");
    Probe slow = new Probe(Files.createFile(dir.resolve("slow.json")), HOUR_NANOS);
    watcher.register(slow);
    // The thread now waits an hour for slow's tick; registering fast must cut that short.
    Probe fast =
        new Probe(Files.createFile(dir.resolve("fast.json")), TimeUnit.MILLISECONDS.toNanos(10));
    watcher.register(fast);
    await().atMost(DEADLINE).until(() -> fast.ticks.get() >= 3);
    watcher.unregister(fast);
    assertThat(slow.ticks.get()).isZero();
  }

  @Test
  void idleTicksAllocateNothingOnTheWatcherThread() throws IOException {
    Watcher watcher = watcher("auto");
    Probe probe =
        new Probe(Files.createFile(dir.resolve("tick.json")), TimeUnit.MILLISECONDS.toNanos(1));
    watcher.register(probe);
    await().atMost(DEADLINE).until(() -> probe.ticks.get() >= 200);
    Assumptions.assumeTrue(
        ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean,
        "this JVM does not count allocated bytes per thread");
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long id = watcher.thread().getId();
    long before = threads.getThreadAllocatedBytes(id);
    int ticksBefore = probe.ticks.get();
    await().atMost(DEADLINE).until(() -> probe.ticks.get() >= ticksBefore + 500);
    long allocated = threads.getThreadAllocatedBytes(id) - before;
    // 500 ticks (waits included) with even one small object each would be 8 KiB or more.
    assertThat(allocated).as("bytes allocated by the watcher over 500 idle ticks").isLessThan(1024);
  }

  @Test
  void eventsNamingAWatchedFileAllocateNothingOnTheNativeWatcherThread() throws IOException {
    Watcher watcher = watcher("auto");
    Counter counter = new Counter(Files.createFile(dir.resolve("events.json")));
    watcher.register(counter);
    // Warm-up: the first events load classes and fill the name cache.
    touchAndAwaitEvents(counter, 50);
    Assumptions.assumeTrue(
        ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean,
        "this JVM does not count allocated bytes per thread");
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long id = watcher.thread().getId();
    long before = threads.getThreadAllocatedBytes(id);
    touchAndAwaitEvents(counter, 200);
    long allocated = threads.getThreadAllocatedBytes(id) - before;
    // 200 events with even one file name String each would be 8 KiB or more.
    assertThat(allocated).as("bytes allocated by the watcher over 200 events").isLessThan(1024);
  }

  /** Touches the counter's file {@code times} times, each after the previous event arrived. */
  private static void touchAndAwaitEvents(Counter counter, int times) throws IOException {
    for (int i = 0; i < times; i++) {
      int seen = counter.events.get();
      touch(counter.path);
      await()
          .atMost(DEADLINE)
          .pollInterval(Duration.ofMillis(1))
          .until(() -> counter.events.get() > seen);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"auto", "jdk"})
  void closeWakesTheWaitingThreadPromptly(String mechanism)
      throws IOException, InterruptedException {
    Watcher watcher = new Watcher(mechanism);
    if (!"jdk".equals(mechanism)) {
      assumeNativeExpected();
    }
    Probe probe = new Probe(Files.createFile(dir.resolve("idle.json")), HOUR_NANOS);
    watcher.register(probe);
    touch(probe.path);
    await().atMost(DEADLINE).until(() -> probe.looks.get() >= 1);
    // Waiting for an hour-long tick, it must still stop within the bound.
    assertThat(watcher.close(DEADLINE)).isTrue();
  }

  private static void touch(Path path) throws IOException {
    Files.setLastModifiedTime(path, FileTime.from(Instant.now()));
  }

  /** A target that only counts events, allocating nothing. */
  private static final class Counter implements Watcher.Target {
    final Path path;
    final AtomicInteger events = new AtomicInteger();

    Counter(Path path) {
      this.path = path;
    }

    @Override
    public Path path() {
      return path;
    }

    @Override
    public long pollIntervalNanos(boolean eventsHeard) {
      return HOUR_NANOS;
    }

    @Override
    public boolean wantsEvents() {
      return true;
    }

    @Override
    public void onEvent() {
      events.incrementAndGet();
    }

    @Override
    public void onTick() {
      // An hour-long interval: only the first registration's bookkeeping, never a real tick.
    }
  }

  /** A target that counts what the watcher calls, and may throw. */
  private static final class Probe implements Watcher.Target {
    final Path path;
    final long intervalNanos;
    final AtomicInteger events = new AtomicInteger();
    final AtomicInteger ticks = new AtomicInteger();

    /** Events and ticks: every look the watcher had the target take. */
    final AtomicInteger looks = new AtomicInteger();

    volatile Error failure;
    volatile FileTime timeSeenOnLook;
    volatile FileTime timeSeenOnEvent;
    volatile boolean wants = true;
    final AtomicInteger askedHeard = new AtomicInteger();
    final AtomicInteger askedUnheard = new AtomicInteger();

    /** How often the interval was asked with events heard right after an ask without. */
    final AtomicInteger heardAgain = new AtomicInteger();

    private boolean lastAskHeard;

    /** Whether a look reads the file's time (allocates: not for the allocation tests). */
    volatile boolean readsTime;

    /** The interval while precise events are heard; the same as the other unless set. */
    volatile long heardIntervalNanos;

    Probe(Path path, long intervalNanos) {
      this.path = path;
      this.intervalNanos = intervalNanos;
      this.heardIntervalNanos = intervalNanos;
    }

    @Override
    public Path path() {
      return path;
    }

    @Override
    public long pollIntervalNanos(boolean eventsHeard) {
      (eventsHeard ? askedHeard : askedUnheard).incrementAndGet();
      if (eventsHeard && !lastAskHeard) {
        heardAgain.incrementAndGet();
      }
      lastAskHeard = eventsHeard;
      return eventsHeard ? heardIntervalNanos : intervalNanos;
    }

    @Override
    public boolean wantsEvents() {
      return wants;
    }

    /**
     * With hour-long intervals and only timestamp changes made: the looks that are not of the kind
     * a timestamp change gets from {@code mechanism} (cheap ones, but full ones from the JDK's
     * WatchService when it reads inotify).
     */
    int looksOfTheOtherKind(String mechanism) throws IOException {
      return mechanism.equals("jdk") && jdkServiceReadsInotify() ? events.get() : ticks.get();
    }

    @Override
    public void onEvent() {
      events.incrementAndGet();
      look();
      timeSeenOnEvent = timeSeenOnLook;
    }

    @Override
    public void onTick() {
      ticks.incrementAndGet();
      look();
    }

    private void look() {
      if (readsTime) {
        try {
          timeSeenOnLook = Files.getLastModifiedTime(path);
        } catch (IOException e) {
          timeSeenOnLook = null;
        }
      }
      looks.incrementAndGet();
      if (failure != null) {
        throw failure;
      }
    }
  }

  /**
   * Child main: follows a file in events mode with hour-long polls, printing {@code mechanism M},
   * {@code ready V}, then {@code seen V} per change and {@code error REASON MESSAGE} per problem
   * reported.
   */
  static final class EventsReader {
    public static void main(String[] args) throws Exception {
      PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
      JsonMmapOptions options =
          JsonMmapOptions.builder(Path.of(args[0]))
              .watchMode(WatchMode.EVENTS)
              .pollInterval(Duration.ofHours(1))
              .eventsPollInterval(Duration.ofHours(1))
              .build();
      try (JsonMmapFile reader = JsonMmapFile.open(options)) {
        reader.addListener(change -> out.println("seen " + change.current().version()));
        out.println("mechanism " + Watcher.instance().mechanism());
        out.println("ready " + reader.snapshot().version());
        JsonMmapException reported = null;
        while (true) {
          JsonMmapException error = reader.lastError().orElse(null);
          if (error != null && error != reported) {
            out.println("error " + error.reason() + " " + error.getMessage());
          }
          reported = error;
          Thread.sleep(5);
        }
      }
    }
  }

  /**
   * A writer in a child JVM: publishes {@code {"n":1}}, then {@code {"n":N}} for each line {@code
   * set N} read from its input, printing {@code published V} after each.
   */
  static final class SettingWriter {
    public static void main(String[] args) throws Exception {
      PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
      try (JsonMmapFile writer = JsonMmapFile.open(Path.of(args[0]), Role.WRITER)) {
        out.println("published " + writer.set("n", 1).version());
        BufferedReader in =
            new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
          if (line.startsWith("set ")) {
            int n = Integer.parseInt(line.substring(4));
            out.println("published " + writer.set("n", n).version());
          }
        }
      }
    }
  }

  /** A child JVM with JVM options of the test's choosing, killed and reaped on close. */
  private static final class Child implements AutoCloseable {
    private final Process process;
    private final List<String> lines = new CopyOnWriteArrayList<>();

    private Child(Process process) {
      this.process = process;
      Thread pump =
          new Thread(
              () -> {
                try (BufferedReader in =
                    new BufferedReader(
                        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                  String line;
                  while ((line = in.readLine()) != null) {
                    lines.add(line);
                  }
                } catch (IOException e) {
                  lines.add("<pump failed: " + e + ">");
                }
              },
              "watcher-test-pump");
      pump.setDaemon(true);
      pump.start();
    }

    static Child start(List<String> jvmArgs, Class<?> main, String... args) {
      return start(jvmArgs, false, main, args);
    }

    /** With {@code withoutJna}, the JNA jar is left off the child's class path. */
    static Child start(List<String> jvmArgs, boolean withoutJna, Class<?> main, String... args) {
      List<String> command = new ArrayList<>();
      command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      command.add("-Xmx128m");
      command.add("-XX:+UseSerialGC");
      command.addAll(jvmArgs);
      command.add("-cp");
      String surefire = System.getProperty("surefire.test.class.path");
      String classPath =
          surefire != null && !surefire.isEmpty()
              ? surefire
              : System.getProperty("java.class.path");
      if (withoutJna) {
        List<String> entries = new ArrayList<>();
        for (String entry : classPath.split(java.io.File.pathSeparator)) {
          if (!Path.of(entry).getFileName().toString().startsWith("jna-")) {
            entries.add(entry);
          }
        }
        assertThat(entries).hasSizeLessThan(classPath.split(java.io.File.pathSeparator).length);
        classPath = String.join(java.io.File.pathSeparator, entries);
      }
      command.add(classPath);
      command.add(main.getName());
      command.addAll(List.of(args));
      try {
        return new Child(new ProcessBuilder(command).redirectErrorStream(true).start());
      } catch (IOException e) {
        throw new UncheckedIOException("cannot start child JVM " + command, e);
      }
    }

    /** Writes {@code line} to the child's input. */
    void send(String line) {
      try {
        process.getOutputStream().write((line + "\n").getBytes(StandardCharsets.UTF_8));
        process.getOutputStream().flush();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot write to child: " + lines, e);
      }
    }

    void awaitLine(java.util.function.Predicate<String> match) {
      await()
          .atMost(DEADLINE)
          .pollInterval(Duration.ofMillis(5))
          .failFast("child exited: " + lines, () -> !process.isAlive())
          .until(() -> lines.stream().anyMatch(match));
    }

    @Override
    public void close() {
      process.destroyForcibly();
      try {
        process.waitFor(60, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
