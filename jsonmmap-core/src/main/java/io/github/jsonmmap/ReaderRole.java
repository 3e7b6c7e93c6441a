package io.github.jsonmmap;

import static io.github.jsonmmap.FileLayout.*;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The reader side of a handle: maps the file read-only, follows its current word (events, poll or
 * spin), reads and applies each new version, remaps after growth and survives truncation and
 * replacement of the file. A standby uses it until it takes over as writer.
 *
 * <p>Methods take the handle's lock themselves where they say so; the others expect it held.
 */
final class ReaderRole {

  private static final System.Logger LOG = FileContext.LOG;

  private final FileContext ctx;

  ReaderRole(FileContext ctx) {
    this.ctx = ctx;
  }

  /** Maps the file read-only and reads its current version; throws or records the failure. */
  void attach(boolean rethrow) {
    try {
      attachOrThrow();
    } catch (JsonMmapException e) {
      if (rethrow) {
        throw e;
      }
      ctx.record(e);
    }
  }

  private void attachOrThrow() {
    FileChannel ch;
    try {
      ch = SafeFiles.openRead(ctx.path, ctx.options);
    } catch (NoSuchFileException e) {
      throw new FileMissingException(ctx.path, "file does not exist: path=" + ctx.path, e);
    } catch (AccessDeniedException e) {
      throw new JsonMmapException(
          "io", ctx.path, "permission denied reading file: path=" + ctx.path, e);
    } catch (IOException e) {
      throw ctx.ioError("cannot open file", e);
    }
    boolean attached = false;
    try {
      long size = ch.size();
      if (size > JsonMmapOptions.MAX_MAX_SIZE) {
        throw new CorruptFileException(
            ctx.path, "file too large to map: path=" + ctx.path + " size=" + size);
      }
      MappedRegion r = new MappedRegion(ch.map(FileChannel.MapMode.READ_ONLY, 0, size));
      Protocol.checkHeader(ctx.path, r);
      ctx.checkName(r);
      FileChannel old = ctx.channel;
      ctx.channel = ch;
      ctx.region = r;
      ctx.fileKey = ctx.fileKeyOrNull();
      ctx.acceptAnyVersion = true;
      attached = true;
      FileContext.closeQuietly(old);
      readAndApply(r.longAcquire(CURRENT_OFFSET), true);
    } catch (IOException e) {
      throw ctx.ioError("cannot map file", e);
    } finally {
      if (!attached) {
        FileContext.closeQuietly(ch);
      }
    }
  }

  /** The cheap check: one load of the current word, a full read only when it moved. Locks. */
  void checkForChange() {
    ctx.lock.lock();
    try {
      if (ctx.closed.get() || ctx.writer) {
        return;
      }
      MappedRegion r = ctx.region;
      if (r == null) {
        attach(false);
        return;
      }
      checkNotTruncated();
      long current = r.longAcquire(CURRENT_OFFSET);
      if (current != ctx.seenCurrent) {
        readAndApply(current, false);
      }
    } catch (JsonMmapException e) {
      ctx.record(e);
    } catch (InternalError e) {
      // The JVM's report of a fault on a mapped page: the file shrank between check and load.
      ctx.record(truncated(e));
    } finally {
      ctx.lock.unlock();
    }
  }

  /**
   * The poll of a handle that is not the writer: re-checks the header and that the path still names
   * the mapped file. Locks.
   */
  void tick() {
    ctx.lock.lock();
    try {
      if (ctx.closed.get()) {
        return;
      }
      if (ctx.region == null) {
        attach(false);
        return;
      }
      Object key = ctx.fileKeyOrNull();
      if (key == null) {
        ctx.record(
            new FileMissingException(
                ctx.path,
                "file was deleted: path="
                    + ctx.path
                    + " (serving the last good version "
                    + ctx.latest.version()
                    + ")"));
        return;
      }
      if (!key.equals(ctx.fileKey)) {
        LOG.log(Level.INFO, "{0} was replaced; mapping the new file", ctx.path);
        attach(false);
        return;
      }
      try {
        checkNotTruncated();
        Protocol.checkHeader(ctx.path, ctx.region);
      } catch (JsonMmapException e) {
        ctx.record(e);
        if (isTruncated() && ctx.fileSize() >= MIN_HEADER_LENGTH) {
          // Never touch the shrunk mapping again; map the file afresh once it has a header again
          // (until then the truncation stays the reported problem).
          attach(false);
        }
        return;
      } catch (InternalError e) {
        ctx.record(truncated(e));
        return;
      }
      if (ctx.lastError != null) {
        ctx.seenCurrent = -1;
      }
      checkForChange();
    } finally {
      ctx.lock.unlock();
    }
  }

  private void readAndApply(long current, boolean rethrow) {
    Snapshot snapshot;
    try {
      snapshot = ctx.snapshotOf(readCurrentContent());
    } catch (JsonMmapException e) {
      if (!"timeout".equals(e.reason())) {
        ctx.seenCurrent = current;
      }
      if (rethrow) {
        throw e;
      }
      ctx.record(e);
      return;
    }
    ctx.seenCurrent = current;
    ctx.lastError = null;
    if (!ctx.acceptAnyVersion && snapshot.version() <= ctx.latest.version()) {
      return;
    }
    ctx.acceptAnyVersion = false;
    ctx.apply(snapshot, Units.nowMicros());
  }

  private Protocol.SlotContent readCurrentContent() {
    checkNotTruncated();
    for (int remaps = 0; ; remaps++) {
      try {
        return Protocol.readCurrent(
            ctx.path,
            ctx.region,
            ctx.options.maxSize(),
            ctx::fileSize,
            ctx.options.readTimeout(),
            ctx.readRetries);
      } catch (Protocol.RemapNeeded e) {
        if (remaps >= 3) {
          throw new CorruptFileException(
              ctx.path, "file keeps changing size while read: path=" + ctx.path);
        }
        remap();
      }
    }
  }

  /**
   * The version before the current one, from the other slot, or null when there is none, it is
   * being overwritten or the file was truncated (lock held).
   */
  Protocol.SlotContent readPrevious() {
    MappedRegion r = ctx.region;
    if (r == null || isTruncated()) {
      return null;
    }
    Protocol.SlotContent content = null;
    for (int attempt = 0; attempt < 3 && content == null; attempt++) {
      try {
        content = Protocol.readPrevious(ctx.path, ctx.region, ctx.options.maxSize(), ctx::fileSize);
      } catch (Protocol.RemapNeeded e) {
        remap();
      }
    }
    return content;
  }

  /**
   * Touching a mapped page past the end of a shrunk file kills the JVM (SIGBUS). jsonmmap never
   * shrinks a file; this catches a third party that did, before any page is touched.
   */
  void checkNotTruncated() {
    if (isTruncated()) {
      throw truncated(null);
    }
  }

  boolean isTruncated() {
    MappedRegion r = ctx.region;
    return ctx.channel != null && r != null && ctx.fileSize() < r.size();
  }

  CorruptFileException truncated(Throwable cause) {
    MappedRegion r = ctx.region;
    return new CorruptFileException(
        ctx.path,
        "file was truncated under the reader: path="
            + ctx.path
            + " size="
            + ctx.fileSize()
            + " mapped="
            + (r == null ? 0 : r.size())
            + " (jsonmmap files never shrink; serving the last good version)",
        cause);
  }

  private void remap() {
    try {
      long size = ctx.channel.size();
      FileChannel.MapMode mode =
          ctx.writer ? FileChannel.MapMode.READ_WRITE : FileChannel.MapMode.READ_ONLY;
      ctx.region = new MappedRegion(ctx.channel.map(mode, 0, size));
    } catch (IOException e) {
      throw ctx.ioError("cannot map file again after it grew", e);
    }
  }

  /** The body of the busy-spin thread ({@link WatchMode#SPIN}): runs until the handle closes. */
  void spin() {
    for (long spins = 0; !ctx.closed.get(); spins++) {
      MappedRegion r = ctx.region;
      // Every few thousand spins (microseconds apart), make sure the file did not shrink.
      if (r == null || ctx.writer || ((spins & 4095) == 0 && isTruncated())) {
        // Nothing to follow: not attached yet or truncated (the watcher handles both), or this
        // standby now writes.
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        continue;
      }
      try {
        if (r.longAcquire(CURRENT_OFFSET) != ctx.seenCurrent) {
          checkForChange();
        } else {
          Thread.onSpinWait();
        }
      } catch (InternalError e) {
        ctx.record(truncated(e));
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
      }
    }
  }
}
