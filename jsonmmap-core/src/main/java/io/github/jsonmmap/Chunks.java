package io.github.jsonmmap;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;

/**
 * Channel reads and writes of heap buffers, at most {@link #SIZE} bytes at a time. The JDK moves a
 * heap buffer through a temporary native buffer of the call's size and keeps that buffer for the
 * thread: a 16 MiB document read or sent in one call left 16 MiB of native memory behind in every
 * thread that did it (a reader's watcher, a client's own thread, the inbox's thread), and the copy
 * out of it came from memory instead of cache (a 16 MiB copy out of a file on /dev/shm took 6.4–10
 * ms whole and 3.7–5.9 ms in 256 KiB reads, in a loop).
 */
final class Chunks {

  /** The most one call moves. */
  static final int SIZE = 256 * 1024;

  private Chunks() {}

  /** {@link ReadableByteChannel#read}, of at most {@link #SIZE} bytes. */
  static int read(ReadableByteChannel channel, ByteBuffer target) throws IOException {
    int limit = target.limit();
    target.limit(Math.min(limit, target.position() + SIZE));
    try {
      return channel.read(target);
    } finally {
      target.limit(limit);
    }
  }

  /** {@link FileChannel#read(ByteBuffer, long)}, of at most {@link #SIZE} bytes. */
  static int read(FileChannel channel, ByteBuffer target, long position) throws IOException {
    int limit = target.limit();
    target.limit(Math.min(limit, target.position() + SIZE));
    try {
      return channel.read(target, position);
    } finally {
      target.limit(limit);
    }
  }

  /** {@link WritableByteChannel#write}, of at most {@link #SIZE} bytes. */
  static int write(WritableByteChannel channel, ByteBuffer source) throws IOException {
    int limit = source.limit();
    source.limit(Math.min(limit, source.position() + SIZE));
    try {
      return channel.write(source);
    } finally {
      source.limit(limit);
    }
  }
}
