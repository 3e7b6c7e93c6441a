package io.github.jsonmmap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The positional reads a reader copies documents with: in chunks, whole, or not at all. */
class FileRegionTest {

  @TempDir Path dir;

  @Test
  void aCopyOfManyChunksHoldsExactlyTheFilesBytes() throws IOException {
    byte[] content = new byte[3 * Chunks.SIZE + 4096 + 17];
    new Random(7).nextBytes(content);
    Path file = dir.resolve("big");
    Files.write(file, content);
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      FileRegion region = new FileRegion(file, channel);
      for (int[] range :
          new int[][] {
            {0, content.length},
            {13, 3 * Chunks.SIZE + 1},
            {Chunks.SIZE - 1, 2},
            {Chunks.SIZE, Chunks.SIZE},
            {content.length, 0}
          }) {
        assertThat(region.copyOut(range[0], range[1]))
            .as("offset %d length %d", range[0], range[1])
            .isEqualTo(Arrays.copyOfRange(content, range[0], range[0] + range[1]));
      }
    }
  }

  @Test
  void aFileShorterThanTheCopyNeedsIsReportedAsTruncatedWhicheverChunkRunsShort()
      throws IOException {
    Path file = dir.resolve("short");
    Files.write(file, new byte[2 * Chunks.SIZE + 100]);
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      FileRegion region = new FileRegion(file, channel);
      for (long offset : new long[] {0, 50, Chunks.SIZE + 7}) {
        int length = 3 * Chunks.SIZE;
        assertThatThrownBy(() -> region.copyOut(offset, length))
            .isInstanceOf(CorruptFileException.class)
            .hasMessageContaining("file was truncated under the reader")
            .hasMessageContaining("path=" + file)
            .hasMessageContaining("needed=" + (offset + length));
      }
    }
  }

  /**
   * The JDK reads into a heap array through a temporary native buffer of the read's size and keeps
   * it for the thread: a reader that copied a large document whole kept a native buffer of the
   * document's size in every thread that read it.
   */
  @Test
  void readingALargeDocumentLeavesNoNativeBufferOfItsSizeBehind() throws Exception {
    int size = 8 << 20;
    Path file = dir.resolve("large");
    Files.write(file, new byte[size]);
    BufferPoolMXBean direct =
        ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class).stream()
            .filter(pool -> pool.getName().equals("direct"))
            .findFirst()
            .orElseThrow();
    AtomicLong grown = new AtomicLong();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      FileRegion region = new FileRegion(file, channel);
      // A thread of its own: no buffer cached by an earlier read, and measured before it ends (a
      // thread's cached buffers are freed when it ends).
      Thread reader =
          new Thread(
              () -> {
                try {
                  long before = direct.getMemoryUsed();
                  assertThat(region.copyOut(0, size)).hasSize(size);
                  grown.set(direct.getMemoryUsed() - before);
                } catch (Throwable e) {
                  failure.set(e);
                }
              });
      reader.start();
      reader.join();
    }
    assertThat(failure.get()).isNull();
    assertThat(grown.get()).isLessThanOrEqualTo(size / 8);
  }

  @Test
  void anInterruptedThreadReadsAndStaysInterrupted() throws IOException {
    byte[] content = new byte[Chunks.SIZE + 1];
    new Random(3).nextBytes(content);
    Path file = dir.resolve("interrupted");
    Files.write(file, content);
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      FileRegion region = new FileRegion(file, channel);
      Thread.currentThread().interrupt();
      try {
        assertThat(region.copyOut(0, content.length)).isEqualTo(content);
        assertThat(Thread.currentThread().isInterrupted()).isTrue();
        assertThat(channel.isOpen()).isTrue();
      } finally {
        Thread.interrupted();
      }
    }
  }
}
