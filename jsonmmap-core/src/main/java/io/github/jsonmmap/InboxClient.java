package io.github.jsonmmap;

import io.github.jsonmmap.JsonMmapInbox.Reply;
import io.github.jsonmmap.JsonMmapInbox.Request;
import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipal;
import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import jdk.net.ExtendedSocketOptions;
import tools.jackson.databind.json.JsonMapper;

/**
 * The client side of the inbox: one connection, one request, one reply. Stateless; safe to call
 * from any thread.
 *
 * <p>Interruptible: an interrupt of the calling thread ends the exchange with an exception that
 * says so (nothing sent yet: {@link InboxUnavailableException}; sent: {@link
 * InboxOutcomeUnknownException}) and leaves the thread's interrupt status set.
 */
final class InboxClient {

  private static final JsonMapper MAPPER =
      InboxCodec.parser(JsonMmapOptions.DEFAULT_MAX_NESTING_DEPTH, InboxCodec.MAX_REPLY_SIZE);

  private InboxClient() {}

  static Reply send(Path file, Request request, Duration timeout) {
    Path socket = JsonMmapInbox.socketPath(file);
    ByteBuffer frame = InboxCodec.frame(InboxCodec.encode(MAPPER, request));
    SocketChannel ch;
    try {
      ch = SocketChannel.open(UnixDomainSocketAddress.of(socket));
    } catch (ClosedByInterruptException e) {
      throw new InboxUnavailableException(
          file, "interrupted before the request was sent: path=" + socket, e);
    } catch (IOException | RuntimeException e) {
      throw new InboxUnavailableException(
          file, "no writer inbox: path=" + socket + " error=" + Documents.oneLine(e), e);
    }
    String impostor = refuseServer(ch, file, socket);
    if (impostor != null) {
      closeQuietly(ch);
      throw new InboxUnavailableException(file, impostor, null);
    }
    Thread watchdog = watchdog(ch, timeout);
    try {
      try {
        while (frame.hasRemaining()) {
          Chunks.write(ch, frame);
        }
      } catch (ClosedByInterruptException e) {
        if (!frame.hasRemaining()) {
          // The last write went out whole before the interrupt was noticed.
          throw interruptedAfterSending(file, socket, e);
        }
        // Part of the request is out, never all of it: the writer applies only whole ones.
        throw new InboxUnavailableException(
            file, "interrupted before the request was sent: path=" + socket, e);
      } catch (IOException e) {
        // The writer refused before reading everything (too large, forbidden, busy): the reason
        // is in its reply when it sent one; either way it never applied a partial request.
        Reply reply = readReply(ch, file, socket, true);
        if (reply != null) {
          return reply;
        }
        throw new InboxUnavailableException(
            file,
            "writer closed the inbox connection before the request was sent: path="
                + socket
                + " error="
                + Documents.oneLine(e),
            e);
      }
      return readReply(ch, file, socket, false);
    } finally {
      // Only the watchdog is interrupted here; the caller's own interrupt status is left alone.
      watchdog.interrupt();
      closeQuietly(ch);
    }
  }

  /**
   * Why the process listening on the socket is not the file's writer, or null when it may be. A
   * writer opens only a file its own user owns, so the listener must run as the file's owner, root
   * or this process's own user: anyone else (a socket planted in a sticky directory such as
   * /dev/shm before the writer bound its own, or after it went away) would get the request and
   * could answer a false "committed". Nothing is sent to it.
   */
  private static String refuseServer(SocketChannel ch, Path file, Path socket) {
    UserPrincipal server;
    UserPrincipal owner;
    try {
      server = ch.getOption(ExtendedSocketOptions.SO_PEERCRED).user();
      owner = Files.getOwner(file, LinkOption.NOFOLLOW_LINKS);
    } catch (IOException | UnsupportedOperationException e) {
      return "cannot tell who serves the inbox, not sending: path="
          + socket
          + " error="
          + Documents.oneLine(e);
    }
    if (server.equals(owner) || server.getName().equals("root") || server.equals(self())) {
      return null;
    }
    return "inbox served by a user other than the file's owner, not sending: path="
        + socket
        + " server="
        + server.getName()
        + " owner="
        + owner.getName();
  }

  /** This process's user (the owner of /proc/self on Linux), or null where it cannot be told. */
  private static UserPrincipal self() {
    try {
      return Files.getOwner(Path.of("/proc/self"));
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  private static void closeQuietly(SocketChannel ch) {
    try {
      ch.close();
    } catch (IOException e) {
      // Nothing left to tell the caller.
    }
  }

  /** Closes the channel when the timeout passes, which ends any blocked read or write. */
  private static Thread watchdog(SocketChannel ch, Duration timeout) {
    Thread thread =
        new Thread(
            () -> {
              long deadline = System.nanoTime() + timeout.toNanos();
              long left;
              while ((left = deadline - System.nanoTime()) > 0) {
                LockSupport.parkNanos(left);
                if (Thread.currentThread().isInterrupted()) {
                  return;
                }
              }
              try {
                ch.close();
              } catch (IOException e) {
                // The caller sees the closed channel.
              }
            },
            "jsonmmap-inbox-client");
    thread.setDaemon(true);
    thread.start();
    return thread;
  }

  private static Reply readReply(SocketChannel ch, Path file, Path socket, boolean quiet) {
    try {
      ByteBuffer header = ByteBuffer.allocate(InboxCodec.HEADER_LENGTH);
      readFully(ch, header);
      long length = Integer.toUnsignedLong(header.getInt(0));
      if (length == 0 || length > InboxCodec.MAX_REPLY_SIZE) {
        throw new IOException("reply length out of range: size=" + length);
      }
      ByteBuffer body = ByteBuffer.allocate((int) length);
      readFully(ch, body);
      return InboxCodec.decodeReply(MAPPER, body.array());
    } catch (IOException | IllegalArgumentException e) {
      if (quiet) {
        return null;
      }
      if (e instanceof ClosedByInterruptException interrupted) {
        throw interruptedAfterSending(file, socket, interrupted);
      }
      boolean timedOut = !ch.isOpen();
      throw new InboxOutcomeUnknownException(
          file,
          "no reply from the writer, the change may or may not be committed: path="
              + socket
              + " error="
              + (timedOut ? "timeout" : Documents.oneLine(e)),
          timedOut,
          e);
    }
  }

  private static InboxOutcomeUnknownException interruptedAfterSending(
      Path file, Path socket, IOException e) {
    // The client gave up, as on a timeout: the writer may still commit the request.
    return new InboxOutcomeUnknownException(
        file,
        "interrupted while waiting for the reply, the change may or may not be committed: path="
            + socket,
        true,
        e);
  }

  private static void readFully(SocketChannel ch, ByteBuffer buffer) throws IOException {
    while (buffer.hasRemaining()) {
      if (Chunks.read(ch, buffer) < 0) {
        throw new IOException("connection closed after " + buffer.position() + " bytes");
      }
    }
  }
}
