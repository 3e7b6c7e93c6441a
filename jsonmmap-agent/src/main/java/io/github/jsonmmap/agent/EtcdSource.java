package io.github.jsonmmap.agent;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.etcd.jetcd.watch.WatchResponse;
import io.github.jsonmmap.JsonMmapException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * Follows etcd: the value of {@code key} is the JSON document (an object), and every key under
 * {@code prefix} is laid over it as one property (the rest of the key after the prefix, {@code /}
 * read as {@code .}; a value that is a JSON object or array is taken as one, anything else as a
 * string).
 *
 * <p>It reads everything once ({@code get}, linearizable), then watches from the next revision (no
 * polling). When the watch fails (a member dies or loses the quorum, the connection drops, the
 * revision was compacted) it closes it and starts over with a fresh read, retrying with backoff
 * until a quorum answers: the read gives the whole state, so no change is missed, and the publisher
 * publishes only what really changed. Each state carries the highest etcd revision it reflects.
 *
 * <p>Callbacks run on jetcd's threads and one scheduler thread; state is guarded by this object.
 */
final class EtcdSource implements Source {

  private static final Logger LOG = LoggerFactory.getLogger(EtcdSource.class);

  private final List<String> endpoints;
  private final String key;
  private final String prefix;
  private final JsonMapper mapper;
  private final DocumentPublisher publisher;
  private final Duration initialBackoff;
  private final Duration maxBackoff;
  private final Path origin;
  private final ScheduledExecutorService scheduler;
  private Client client;

  /**
   * One key's value, parsed once when it arrives (an event changes one key: building the next
   * document parses nothing else), or why it cannot be.
   */
  private record Value(JsonNode node, SourceException error) {}

  // Guarded by this.
  private final Map<String, Value> values = new TreeMap<>();
  private final List<Watch.Watcher> watchers = new ArrayList<>();
  private long generation;
  private long revision;
  private Duration backoff;
  private boolean closed;

  EtcdSource(
      List<String> endpoints,
      String key,
      String prefix,
      JsonMapper mapper,
      DocumentPublisher publisher,
      Duration initialBackoff,
      Duration maxBackoff) {
    if ((key == null || key.isEmpty()) && (prefix == null || prefix.isEmpty())) {
      throw new IllegalArgumentException(
          "jsonmmap.agent.etcd.key or jsonmmap.agent.etcd.prefix must be set");
    }
    this.endpoints = List.copyOf(endpoints);
    this.key = key == null || key.isEmpty() ? null : key;
    this.prefix = prefix == null || prefix.isEmpty() ? null : prefix;
    this.mapper = mapper;
    this.publisher = publisher;
    this.initialBackoff = initialBackoff;
    this.maxBackoff = maxBackoff;
    this.backoff = initialBackoff;
    this.origin = Path.of("etcd:" + (this.key != null ? this.key : this.prefix));
    this.scheduler =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "jsonmmap-agent-etcd");
              t.setDaemon(true);
              return t;
            });
  }

  @Override
  public String describe() {
    return "etcd:"
        + String.join(",", endpoints)
        + (key != null ? " key=" + key : "")
        + (prefix != null ? " prefix=" + prefix : "");
  }

  @Override
  public synchronized void start() {
    client = Client.builder().endpoints(endpoints.toArray(String[]::new)).build();
    scheduler.execute(this::resync);
  }

  /** Reads the whole state and watches from the revision after it. */
  private void resync() {
    long gen;
    synchronized (this) {
      if (closed) {
        return;
      }
      closeWatchers();
      gen = ++generation;
    }
    try {
      Map<String, Value> fresh = new TreeMap<>();
      long readRevision;
      if (key != null) {
        GetResponse response = client.getKVClient().get(bytes(key)).get(10, TimeUnit.SECONDS);
        readRevision = response.getHeader().getRevision();
        for (KeyValue kv : response.getKvs()) {
          put(fresh, kv);
        }
      } else {
        readRevision = 0;
      }
      if (prefix != null) {
        GetOption option = GetOption.builder().isPrefix(true).withRevision(readRevision).build();
        GetResponse response =
            client.getKVClient().get(bytes(prefix), option).get(10, TimeUnit.SECONDS);
        if (key == null) {
          // Pinned to the key's revision otherwise: the header names the store's newest revision
          // even for a read at an older one, and watching from there would skip what lies between.
          readRevision = response.getHeader().getRevision();
        }
        for (KeyValue kv : response.getKvs()) {
          put(fresh, kv);
        }
      }
      long observed = System.nanoTime();
      synchronized (this) {
        if (closed || gen != generation) {
          return;
        }
        values.clear();
        values.putAll(fresh);
        revision = readRevision;
        // requireLeader: a member cut off from the quorum ends the watch instead of going quiet.
        WatchOption.Builder from =
            WatchOption.builder().withRevision(readRevision + 1).withRequireLeader(true);
        if (key != null) {
          watchers.add(client.getWatchClient().watch(bytes(key), from.build(), listener(gen)));
        }
        if (prefix != null) {
          watchers.add(
              client
                  .getWatchClient()
                  .watch(bytes(prefix), from.isPrefix(true).build(), listener(gen)));
        }
        backoff = initialBackoff;
        LOG.info(
            "etcd read: revision={} keys={} source=\"{}\"", readRevision, fresh.size(), describe());
        offerLocked(observed);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      failed(
          gen,
          new SourceException(
              "unreachable",
              origin,
              "cannot read etcd: source="
                  + origin
                  + " endpoints="
                  + String.join(",", endpoints)
                  + " error="
                  + oneLine(e),
              e));
    }
  }

  private Watch.Listener listener(long gen) {
    return Watch.listener(
        response -> onEvents(gen, response),
        error ->
            failed(
                gen,
                new SourceException(
                    "watch",
                    origin,
                    "etcd watch failed: source="
                        + origin
                        + " revision="
                        + appliedRevision()
                        + " error="
                        + oneLine(error),
                    error)),
        () ->
            failed(
                gen, new SourceException("watch", origin, "etcd watch ended: source=" + origin)));
  }

  private synchronized long appliedRevision() {
    return revision;
  }

  private void onEvents(long gen, WatchResponse response) {
    long observed = System.nanoTime();
    synchronized (this) {
      if (closed || gen != generation || response.getEvents().isEmpty()) {
        return;
      }
      for (WatchEvent event : response.getEvents()) {
        KeyValue kv = event.getKeyValue();
        String name = kv.getKey().toString(StandardCharsets.UTF_8);
        if (event.getEventType() == WatchEvent.EventType.DELETE) {
          values.remove(name);
        } else {
          put(values, kv);
        }
        revision = Math.max(revision, kv.getModRevision());
      }
      offerLocked(observed);
    }
  }

  private void offerLocked(long observed) {
    try {
      publisher.offer(new SourceDocument(document(), revision, 0, observed));
    } catch (JsonMmapException e) {
      publisher.failed(e);
    } catch (StackOverflowError e) {
      publisher.failed(
          new SourceException(
              "too-deep",
              origin,
              "etcd state nests too deep to build: source=" + origin + " revision=" + revision,
              e));
    } catch (RuntimeException e) {
      // Never let an unexpected failure escape into jetcd's callback: it would end the watch.
      publisher.failed(
          new SourceException(
              "error",
              origin,
              "cannot apply etcd state: source="
                  + origin
                  + " revision="
                  + revision
                  + " error="
                  + e.getClass().getName(),
              e));
    }
  }

  /** Parses a key's value as it arrives: the key's document, or a property under the prefix. */
  private void put(Map<String, Value> into, KeyValue kv) {
    String name = kv.getKey().toString(StandardCharsets.UTF_8);
    byte[] value = kv.getValue().getBytes();
    long at = kv.getModRevision();
    try {
      into.put(
          name,
          new Value(
              name.equals(key) ? parse(name, value, at) : propertyValue(name, value, at), null));
    } catch (SourceException e) {
      into.put(name, new Value(null, e));
    }
  }

  /**
   * Builds the document from the values held; throws for an invalid one. A new tree each time where
   * properties are laid over the key's document (the publisher owns what it is given); the key's
   * own parsed document otherwise, which nothing changes afterwards.
   */
  private ObjectNode document() {
    ObjectNode root;
    if (key != null) {
      Value value = values.get(key);
      if (value == null) {
        throw new SourceException(
            "missing", origin, "etcd key does not exist: key=" + key + " revision=" + revision);
      }
      if (!(valid(value) instanceof ObjectNode object)) {
        throw new SourceException(
            "invalid",
            origin,
            "etcd value is not a JSON object: key=" + key + " revision=" + revision);
      }
      root = prefix == null ? object : object.deepCopy();
    } else {
      root = JsonNodeFactory.instance.objectNode();
    }
    if (prefix != null) {
      for (Map.Entry<String, Value> e : values.entrySet()) {
        String name = e.getKey();
        if (!name.startsWith(prefix) || name.equals(key) || name.length() == prefix.length()) {
          continue;
        }
        String property = name.substring(prefix.length()).replace('/', '.');
        while (property.startsWith(".")) {
          property = property.substring(1);
        }
        PropertyPaths.set(origin, root, property, valid(e.getValue()).deepCopy());
      }
    }
    return root;
  }

  private JsonNode valid(Value value) {
    if (value.error() != null) {
      SourceException e = value.error();
      throw new SourceException(e.reason(), origin, e.getMessage(), e.getCause());
    }
    return value.node();
  }

  private JsonNode propertyValue(String name, byte[] value, long at) {
    String text = new String(value, StandardCharsets.UTF_8);
    String trimmed = text.strip();
    if (trimmed.startsWith("{") || trimmed.startsWith("[")) {
      return parse(name, value, at);
    }
    return JsonNodeFactory.instance.stringNode(text);
  }

  private JsonNode parse(String name, byte[] value, long at) {
    try {
      return mapper.readTree(value);
    } catch (JacksonException | NumberFormatException e) {
      // Decimals are BigDecimals: an exponent past what one holds is a NumberFormatException.
      throw new SourceException(
          "invalid",
          origin,
          "etcd value is not valid JSON: key="
              + name
              + " revision="
              + at
              + " size="
              + value.length
              + " error="
              + e.getClass().getSimpleName(),
          e);
    }
  }

  private void failed(long gen, JsonMmapException error) {
    Duration delay;
    synchronized (this) {
      if (closed || gen != generation) {
        return;
      }
      closeWatchers();
      generation++;
      delay = backoff;
      backoff =
          backoff.multipliedBy(2).compareTo(maxBackoff) > 0 ? maxBackoff : backoff.multipliedBy(2);
    }
    publisher.failed(error);
    LOG.info("etcd: starting over in {} ms source=\"{}\"", delay.toMillis(), describe());
    try {
      scheduler.schedule(this::resync, delay.toMillis(), TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      LOG.debug("etcd: closed while scheduling a retry");
    }
  }

  private void closeWatchers() {
    for (Watch.Watcher w : watchers) {
      try {
        w.close();
      } catch (RuntimeException e) {
        LOG.debug("closing an etcd watcher: error={}", e.toString());
      }
    }
    watchers.clear();
  }

  private static ByteSequence bytes(String text) {
    return ByteSequence.from(text, StandardCharsets.UTF_8);
  }

  private static String oneLine(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String message = root.getMessage() == null ? "" : root.getMessage().replaceAll("\\s+", " ");
    if (message.length() > 200) {
      message = message.substring(0, 200);
    }
    return root.getClass().getSimpleName() + ": " + message;
  }

  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      closeWatchers();
    }
    scheduler.shutdownNow();
    Client c;
    synchronized (this) {
      c = client;
    }
    if (c != null) {
      c.close();
    }
  }
}
