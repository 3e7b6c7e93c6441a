package io.github.jsonmmap.bench;

import io.github.jsonmmap.JsonMmapFile;
import io.github.jsonmmap.JsonMmapOptions;
import io.github.jsonmmap.Role;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import redis.clients.jedis.Jedis;

/**
 * One read of one config value, three ways, in the same fork: jsonmmap's snapshot lookup, a Redis
 * GET round trip on loopback (a real {@code redis-server} started for the trial), and reading and
 * parsing the 1 KiB JSON file.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Benchmark)
public class PeerReadBenchmark {

  private static final byte[] REDIS_KEY = BenchDocs.KEY.getBytes(StandardCharsets.UTF_8);
  private static final String POINTER = "/" + BenchDocs.KEY.replace('.', '/');

  private Path dir;
  private Path json;
  private JsonMmapFile writer;
  private JsonMmapFile reader;
  private RedisServer redis;
  private Jedis jedis;

  @Setup
  public void setup() throws IOException, InterruptedException {
    dir = WorkDir.create("jsonmmap-jmh-peers");
    Path path = dir.resolve("config.jsonmmap");
    byte[] doc = BenchDocs.serialize(BenchDocs.root(1, 0, BenchDocs.items(1024)));
    json = dir.resolve("config.json");
    Files.write(json, doc);
    writer = JsonMmapFile.open(JsonMmapOptions.of(path, Role.WRITER));
    writer.publish(BenchDocs.MAPPER.readTree(doc));
    reader = JsonMmapFile.open(JsonMmapOptions.of(path, Role.READER));
    reader.refresh();
    redis = RedisServer.start(dir.resolve("redis"));
    jedis = new Jedis("127.0.0.1", redis.port());
    jedis.set(REDIS_KEY, Integer.toString(BenchDocs.KEY_VALUE).getBytes(StandardCharsets.UTF_8));
    if (!Integer.valueOf(BenchDocs.KEY_VALUE).equals(jsonmmapGet())
        || fileReadAndParse() != BenchDocs.KEY_VALUE
        || redisGet() == null) {
      throw new IllegalStateException("a peer does not hold the value");
    }
  }

  @TearDown
  public void tearDown() throws IOException {
    jedis.close();
    redis.close();
    reader.close();
    writer.close();
    Propagation.deleteRecursively(dir);
  }

  @Benchmark
  public Object jsonmmapGet() {
    return reader.snapshot().get(BenchDocs.KEY);
  }

  @Benchmark
  public byte[] redisGet() {
    return jedis.get(REDIS_KEY);
  }

  @Benchmark
  public int fileReadAndParse() throws IOException {
    return BenchDocs.MAPPER.readTree(Files.readAllBytes(json)).at(POINTER).asInt();
  }
}
