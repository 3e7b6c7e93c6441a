package io.github.jsonmmap;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One daemon thread that walks the first half of a large container of a tree being published while
 * the publishing thread walks the second ({@link Documents.Walk}): the walk of a multi-megabyte
 * tree is a chase of pointers through memory, half a million objects for 4 MiB, and two cores wait
 * for memory side by side. The thread is started when first needed and ends after a few idle
 * seconds; on a machine of one core there is none.
 *
 * <p>A task the thread cannot take at once (it is walking another handle's tree, or there is no
 * second core) is run by the publishing thread itself when it has walked its own half, and so is
 * one the thread was handed but has not started yet: a publish never waits for a thread to be free,
 * and is never slower than walking both halves itself by more than the hand-over.
 *
 * <p>Thread-safe.
 */
final class WalkHelper {

  /** The stack of the helper thread: the walk recurses once per nesting level. */
  static final long STACK_BYTES = 16L << 20;

  /** The deepest nesting a helper walks: what {@link #STACK_BYTES} holds with room to spare. */
  static final int MAX_DEPTH = 4096;

  private static final boolean SECOND_CORE = Runtime.getRuntime().availableProcessors() >= 2;

  private static final ThreadPoolExecutor THREAD =
      new ThreadPoolExecutor(
          0,
          1,
          5,
          TimeUnit.SECONDS,
          new SynchronousQueue<>(),
          work -> {
            Thread t = new Thread(null, work, "jsonmmap-walk", STACK_BYTES);
            t.setDaemon(true);
            return t;
          });

  private WalkHelper() {}

  /** Whether a second core may take half of a walk. */
  static boolean available() {
    return SECOND_CORE;
  }

  /** Hands {@code work} to the helper thread when it is free; see {@link Task#finish()}. */
  static Task start(Runnable work) {
    Task task = new Task(work);
    if (SECOND_CORE) {
      try {
        THREAD.execute(task);
      } catch (RejectedExecutionException busy) {
        // Walking another tree: the caller walks this half too.
      }
    }
    return task;
  }

  /** Half a walk, run once, by the helper thread or by the thread that started it. */
  static final class Task implements Runnable {
    private final Runnable work;
    private final AtomicBoolean claimed = new AtomicBoolean();
    private final CountDownLatch done = new CountDownLatch(1);
    private Throwable failure;

    private Task(Runnable work) {
      this.work = work;
    }

    @Override
    public void run() {
      if (!claimed.compareAndSet(false, true)) {
        return;
      }
      try {
        work.run();
      } catch (Throwable t) {
        failure = t;
      } finally {
        done.countDown();
      }
    }

    /**
     * Runs the work here if no thread has started it, else waits for it (not interruptibly: the
     * work is bounded, and a publish must not return while a thread still reads the caller's tree);
     * returns what it threw, or null.
     */
    Throwable finish() {
      run();
      boolean interrupted = false;
      while (true) {
        try {
          done.await();
          break;
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
      return failure;
    }
  }
}
