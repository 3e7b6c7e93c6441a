package io.github.jsonmmap;

import io.github.jsonmmap.JsonMmapInbox.Op;
import io.github.jsonmmap.JsonMmapInbox.Reply;
import io.github.jsonmmap.JsonMmapInbox.Request;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import tools.jackson.core.JacksonException;
import tools.jackson.core.StreamReadConstraints;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.core.json.JsonFactory;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * The inbox wire format, version 1 ({@code docs/inbox.md}): each message is a 4-byte big-endian
 * length, then that many bytes of UTF-8 JSON (one object). One request per connection, one reply.
 *
 * <pre>
 * request: {"v":1,"op":"set","key":"a.b","value":5,"expectVersion":12}
 * reply:   {"v":1,"ok":true,"version":13,"changed":true}
 *          {"v":1,"ok":false,"error":"rejected","message":"...","reasons":["..."],"version":12}
 * </pre>
 *
 * <p>Stateless; safe to call from any thread.
 */
final class InboxCodec {

  /** Length of the frame header: one big-endian int. */
  static final int HEADER_LENGTH = 4;

  /** Largest reply a client accepts: replies carry no document, only reasons. */
  static final int MAX_REPLY_SIZE = 1024 * 1024;

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private InboxCodec() {}

  /**
   * A parser for untrusted requests: bounded depth and length, no duplicate keys, no trailing
   * tokens, decimals kept exactly as written.
   */
  static JsonMapper parser(int maxNestingDepth, long maxLength) {
    JsonFactory factory =
        JsonFactory.builder()
            .streamReadConstraints(
                StreamReadConstraints.builder()
                    .maxNestingDepth(maxNestingDepth)
                    .maxDocumentLength(maxLength)
                    .build())
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();
    return JsonMapper.builder(factory)
        .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
        .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
        .build();
  }

  /** A frame: the length, then the bytes. */
  static ByteBuffer frame(byte[] json) {
    ByteBuffer buffer = ByteBuffer.allocate(HEADER_LENGTH + json.length);
    buffer.putInt(json.length).put(json).flip();
    return buffer;
  }

  static byte[] encode(JsonMapper mapper, Request request) {
    ObjectNode node = NODES.objectNode();
    node.put("v", JsonMmapInbox.PROTOCOL_VERSION);
    node.put("op", request.op().name().toLowerCase(Locale.ROOT));
    if (request.key() != null) {
      node.put("key", request.key());
    }
    if (request.value() != null) {
      node.set("value", request.value());
    }
    if (request.expectVersion() != null) {
      node.put("expectVersion", request.expectVersion().longValue());
    }
    return mapper.writeValueAsBytes(node);
  }

  /**
   * Reads a request.
   *
   * @throws Rejection with {@code bad-request} or {@code unsupported-version}
   */
  static Request decodeRequest(JsonMapper mapper, byte[] bytes) {
    JsonNode root;
    try {
      root = mapper.readTree(bytes);
    } catch (JacksonException e) {
      throw new Rejection(
          "bad-request",
          "request is not valid JSON within limits: size="
              + bytes.length
              + " error="
              + Documents.describe(e));
    } catch (NumberFormatException e) {
      throw new Rejection(
          "bad-request",
          "request is not valid JSON within limits: size="
              + bytes.length
              + " error="
              + Documents.NUMBER_OUT_OF_RANGE);
    }
    if (root == null || !root.isObject()) {
      throw new Rejection("bad-request", "request is not a JSON object: size=" + bytes.length);
    }
    JsonNode v = root.get("v");
    if (v == null || !v.isIntegralNumber()) {
      throw new Rejection("bad-request", "request has no protocol version: field=v");
    }
    if (!v.canConvertToInt() || v.intValue() != JsonMmapInbox.PROTOCOL_VERSION) {
      throw new Rejection(
          "unsupported-version",
          "unsupported protocol version: v="
              + (v.canConvertToInt() ? v.intValue() : "?")
              + " supported="
              + JsonMmapInbox.PROTOCOL_VERSION);
    }
    for (var names = root.propertyNames().iterator(); names.hasNext(); ) {
      String name = names.next();
      if (!List.of("v", "op", "key", "value", "expectVersion").contains(name)) {
        throw new Rejection(
            "bad-request", "unknown request field: fields=v,op,key,value,expectVersion");
      }
    }
    JsonNode opNode = root.get("op");
    Op op = null;
    if (opNode != null && opNode.isString()) {
      for (Op candidate : Op.values()) {
        if (candidate.name().toLowerCase(Locale.ROOT).equals(opNode.stringValue())) {
          op = candidate;
        }
      }
    }
    if (op == null) {
      throw new Rejection(
          "bad-request", "request op is missing or unknown: ops=set,remove,merge,put,rollback");
    }
    JsonNode keyNode = root.get("key");
    if (keyNode != null && !keyNode.isString()) {
      throw new Rejection("bad-request", "request key is not a string: op=" + opNode.stringValue());
    }
    JsonNode expect = root.get("expectVersion");
    Long expectVersion = null;
    if (expect != null) {
      if (!expect.isIntegralNumber() || !expect.canConvertToLong() || expect.longValue() < 0) {
        throw new Rejection("bad-request", "expectVersion is not a version number (>= 0)");
      }
      expectVersion = expect.longValue();
    }
    try {
      return new Request(
          op, keyNode == null ? null : keyNode.stringValue(), root.get("value"), expectVersion);
    } catch (IllegalArgumentException e) {
      throw new Rejection("bad-request", "bad request: " + e.getMessage());
    }
  }

  static byte[] encode(JsonMapper mapper, Reply reply) {
    ObjectNode node = NODES.objectNode();
    node.put("v", JsonMmapInbox.PROTOCOL_VERSION);
    node.put("ok", reply.ok());
    node.put("version", reply.version());
    if (reply.ok()) {
      node.put("changed", reply.changed());
    } else {
      node.put("error", reply.error());
      node.put("message", reply.message());
      ArrayNode reasons = node.putArray("reasons");
      reply.reasons().forEach(reasons::add);
    }
    return mapper.writeValueAsBytes(node);
  }

  /** Reads a reply; throws {@link IllegalArgumentException} when it is not one. */
  static Reply decodeReply(JsonMapper mapper, byte[] bytes) {
    JsonNode root;
    try {
      root = mapper.readTree(bytes);
    } catch (JacksonException e) {
      throw new IllegalArgumentException("reply is not valid JSON: " + Documents.oneLine(e), e);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "reply is not valid JSON: " + Documents.NUMBER_OUT_OF_RANGE, e);
    }
    if (root == null
        || !root.isObject()
        || !root.path("ok").isBoolean()
        || !root.path("version").isIntegralNumber()) {
      throw new IllegalArgumentException("reply is not an inbox reply: size=" + bytes.length);
    }
    if (root.path("v").asInt(-1) != JsonMmapInbox.PROTOCOL_VERSION) {
      throw new IllegalArgumentException(
          "reply protocol version not supported: v=" + root.path("v").asString("?"));
    }
    long version = root.get("version").asLong();
    if (root.get("ok").booleanValue()) {
      return Reply.committed(version, root.path("changed").asBoolean(true));
    }
    List<String> reasons = new ArrayList<>();
    root.path("reasons").forEach(reason -> reasons.add(reason.asString()));
    return Reply.rejected(
        root.path("error").asString("unknown"),
        version,
        root.path("message").asString(""),
        reasons);
  }

  /** A request the writer refuses before applying anything. */
  static final class Rejection extends RuntimeException {
    private static final long serialVersionUID = 1L;

    final String error;

    Rejection(String error, String message) {
      super(message, null, false, false);
      this.error = error;
    }
  }
}
