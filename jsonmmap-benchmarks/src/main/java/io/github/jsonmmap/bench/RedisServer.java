package io.github.jsonmmap.bench;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import redis.clients.jedis.Jedis;

/**
 * A real {@code redis-server} from the host's packages, started on a free loopback port with no
 * persistence and stopped by {@link #close()}. Only the process this class started is stopped.
 *
 * <p>Not thread-safe: one owner starts and stops it.
 */
final class RedisServer implements AutoCloseable {

  private final Process process;
  private final int port;

  private RedisServer(Process process, int port) {
    this.process = process;
    this.port = port;
  }

  /** Starts a server and waits until it answers PING. */
  static RedisServer start(Path logDir) throws IOException, InterruptedException {
    String binary = System.getProperty("jsonmmap.bench.redisServer", "redis-server");
    int port = freePort();
    Files.createDirectories(logDir);
    ProcessBuilder pb =
        new ProcessBuilder(
                List.of(
                    binary,
                    "--port",
                    Integer.toString(port),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--protected-mode",
                    "no",
                    "--daemonize",
                    "no",
                    "--loglevel",
                    "warning",
                    // A 16 MiB message must not get the subscriber disconnected.
                    "--client-output-buffer-limit",
                    "pubsub 0 0 0",
                    "--dir",
                    logDir.toString()))
            .redirectErrorStream(true)
            .redirectOutput(logDir.resolve("redis-server.log").toFile());
    Process process;
    try {
      process = pb.start();
    } catch (IOException e) {
      throw new IOException(
          "cannot start " + binary + " (install the distribution's redis-server package)", e);
    }
    RedisServer server = new RedisServer(process, port);
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (true) {
      try (Jedis jedis = new Jedis("127.0.0.1", port)) {
        if ("PONG".equals(jedis.ping())) {
          return server;
        }
      } catch (RuntimeException e) {
        if (!process.isAlive() || System.nanoTime() > deadline) {
          server.close();
          throw new IOException("redis-server did not answer on port " + port, e);
        }
        TimeUnit.MILLISECONDS.sleep(50);
      }
    }
  }

  int port() {
    return port;
  }

  String version() {
    try (Jedis jedis = new Jedis("127.0.0.1", port)) {
      for (String line : jedis.info("server").split("\r?\n")) {
        if (line.startsWith("redis_version:")) {
          return line.substring("redis_version:".length()).trim();
        }
      }
    } catch (RuntimeException e) {
      return "unknown";
    }
    return "unknown";
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
