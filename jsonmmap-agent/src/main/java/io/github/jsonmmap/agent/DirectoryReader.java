package io.github.jsonmmap.agent;

import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * Reads a directory into one document: {@code *.json} (an object), {@code *.yaml}/{@code *.yml},
 * {@code *.properties} merged at the root, and every other file as one string value named after the
 * file (its content less one trailing newline, as Boot's {@code configtree:} reads a mounted
 * ConfigMap); a sub-directory becomes an object of the same name. Files are read in name order, a
 * later one overriding an earlier one. Names starting with {@code .} are skipped, which leaves out
 * Kubernetes' {@code ..data} and {@code ..2024_...} entries: their content is reached through the
 * visible symlinks.
 *
 * <p>What is read is confined to the directory, whoever put it there: a symlink is followed only
 * when its target, resolved, lies inside the directory (a mounted ConfigMap is made of such links
 * into its own {@code ..data}); one pointing elsewhere, at {@code /etc/shadow} say, would publish
 * that file to every process that can read the shared file, and fails the read naming the link
 * ({@code outside}). A directory reached again through a link (a loop) fails it too ({@code loop}).
 * Only regular files and directories are read: a FIFO, socket or device is skipped, and a file is
 * opened without following links at the path its check resolved, without blocking, and read only
 * when it is the file checked ({@link NonBlockingOpen}): a link or a FIFO put there in between
 * fails the read instead of being followed or blocking it. A directory or file that any user may
 * write ({@code o+w}) on a writable file system fails the read ({@code untrusted}): anyone could
 * put configuration into every process on the host; so does one owned by an account other than
 * root, the agent's own, or one of {@code trustedUsers} (as OpenSSH's {@code StrictModes}). Every
 * cost is bounded by the limits below: a file of more than {@link #MAX_FILE_SIZE} bytes (read up to
 * one byte past the limit, so a file that grows while it is read is caught too), more than {@link
 * #MAX_TOTAL_SIZE} bytes in all, more than {@link #MAX_ENTRIES} entries, or directories nested
 * deeper than {@link #MAX_DEPTH} fail the read ({@code too-large}, {@code too-many}, {@code
 * too-deep}). A failed read changes nothing: the source reports it and the last good version stays.
 *
 * <p>Stateless and safe to call from any thread.
 */
final class DirectoryReader {

  /** Largest file read, so that a huge file cannot exhaust the agent's memory. */
  static final long MAX_FILE_SIZE = 16L * 1024 * 1024;

  /** Most bytes read from all files of one directory together. */
  static final long MAX_TOTAL_SIZE = 64L * 1024 * 1024;

  /** Most entries (files, directories and anything else) listed in one read. */
  static final int MAX_ENTRIES = 10_000;

  /** Deepest directory nesting read below the source directory. */
  static final int MAX_DEPTH = 8;

  private final JsonMapper mapper;
  private final Set<String> trustedUsers;
  private final long maxFileSize;
  private final long maxTotalSize;
  private final int maxEntries;

  DirectoryReader(JsonMapper mapper) {
    this(mapper, Set.of());
  }

  /**
   * @param trustedUsers accounts trusted to own what is read besides root and this process's user:
   *     user names or numeric uids
   */
  DirectoryReader(JsonMapper mapper, Set<String> trustedUsers) {
    this(mapper, trustedUsers, MAX_FILE_SIZE, MAX_TOTAL_SIZE, MAX_ENTRIES);
  }

  /** With other limits (tests). */
  DirectoryReader(
      JsonMapper mapper,
      Set<String> trustedUsers,
      long maxFileSize,
      long maxTotalSize,
      int maxEntries) {
    this.mapper = mapper;
    Set<String> trusted = new HashSet<>(trustedUsers);
    trusted.add("0");
    trusted.add("root");
    trusted.add(ownUid());
    trusted.add(System.getProperty("user.name", "root"));
    this.trustedUsers = Set.copyOf(trusted);
    this.maxFileSize = maxFileSize;
    this.maxTotalSize = maxTotalSize;
    this.maxEntries = maxEntries;
  }

  /** This process's uid, as a string: the owner of its own {@code /proc} entry ("0" if unknown). */
  private static String ownUid() {
    try {
      return String.valueOf(Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
    } catch (IOException | RuntimeException e) {
      return "0";
    }
  }

  /**
   * The document, the latest modification time of the files read (epoch microseconds), and the
   * directories read (resolved paths, the source directory first), for the source to watch.
   */
  record Result(ObjectNode document, long newestMicros, List<Path> directories) {}

  /** What one read has used of its limits, and where it is. */
  private static final class Budget {
    final Path base;
    final List<Path> open = new ArrayList<>();
    final List<Path> read = new ArrayList<>();
    long bytes;
    int entries;
    long newestMicros;

    Budget(Path base) {
      this.base = base;
    }
  }

  Result read(Path directory) {
    if (!Files.isDirectory(directory)) {
      throw new SourceException(
          "missing", directory, "source directory does not exist: path=" + directory);
    }
    Path base;
    try {
      base = directory.toRealPath();
    } catch (IOException e) {
      throw new SourceException(
          "io", directory, "cannot resolve source directory: path=" + directory + " error=" + e, e);
    }
    ObjectNode root = JsonNodeFactory.instance.objectNode();
    Budget budget = new Budget(base);
    checkWriters(directory, base, attributes(directory, base));
    readInto(directory, base, root, 0, budget);
    return new Result(root, budget.newestMicros, List.copyOf(budget.read));
  }

  /**
   * Reads the directory {@code shown} (the path as the operator and the links name it), whose
   * resolved path is {@code real}, into {@code target}.
   */
  private void readInto(Path shown, Path real, ObjectNode target, int depth, Budget budget) {
    if (depth > MAX_DEPTH) {
      throw new SourceException(
          "too-deep", shown, "directory nesting too deep: path=" + shown + " limit=" + MAX_DEPTH);
    }
    if (budget.open.contains(real)) {
      throw new SourceException(
          "loop",
          shown,
          "source directory reached again through a symlink (a loop): path="
              + shown
              + " target="
              + real);
    }
    budget.open.add(real);
    budget.read.add(real);
    for (Path entry : list(shown, budget)) {
      String name = entry.getFileName().toString();
      Path resolved = resolve(entry, budget);
      if (resolved == null) {
        continue;
      }
      PosixFileAttributes attributes = attributes(entry, resolved);
      if (attributes.isDirectory()) {
        checkWriters(entry, resolved, attributes);
        ObjectNode child =
            target.get(name) instanceof ObjectNode existing ? existing : target.putObject(name);
        readInto(entry, resolved, child, depth + 1, budget);
        continue;
      }
      if (!attributes.isRegularFile()) {
        continue;
      }
      checkWriters(entry, resolved, attributes);
      byte[] bytes = readBytes(entry, resolved, attributes, budget);
      String lower = name.toLowerCase(java.util.Locale.ROOT);
      if (lower.endsWith(".json")) {
        merge(target, parseJson(entry, bytes));
      } else if (lower.endsWith(".yaml") || lower.endsWith(".yml")) {
        merge(target, parseYaml(entry, bytes));
      } else if (lower.endsWith(".properties")) {
        merge(target, parseProperties(entry, bytes));
      } else {
        String text = decode(entry, bytes);
        if (text.endsWith("\n")) {
          text = text.substring(0, text.length() - (text.endsWith("\r\n") ? 2 : 1));
        }
        target.put(name, text);
      }
    }
    budget.open.remove(budget.open.size() - 1);
  }

  /** The visible entries of a directory in name order, counted against {@link #MAX_ENTRIES}. */
  private List<Path> list(Path directory, Budget budget) {
    List<Path> entries = new ArrayList<>();
    try (DirectoryStream<Path> list = Files.newDirectoryStream(directory)) {
      for (Path p : list) {
        if (++budget.entries > maxEntries) {
          throw new SourceException(
              "too-many",
              directory,
              "too many entries in the source directory: path="
                  + directory
                  + " limit="
                  + maxEntries);
        }
        if (!p.getFileName().toString().startsWith(".")) {
          entries.add(p);
        }
      }
    } catch (IOException e) {
      throw new SourceException(
          "io", directory, "cannot list source directory: path=" + directory + " error=" + e, e);
    }
    entries.sort(null);
    return entries;
  }

  /**
   * Where {@code entry} leads with every link followed, which must be inside the source directory;
   * null for an entry gone meanwhile or a dangling link (skipped, as a missing file).
   */
  private static Path resolve(Path entry, Budget budget) {
    Path resolved;
    try {
      resolved = entry.toRealPath();
    } catch (NoSuchFileException e) {
      return null;
    } catch (IOException e) {
      throw new SourceException(
          "io", entry, "cannot resolve source entry: path=" + entry + " error=" + e, e);
    }
    if (!resolved.startsWith(budget.base)) {
      throw new SourceException(
          "outside",
          entry,
          "source entry leads outside the source directory (a symlink?): path="
              + entry
              + " target="
              + resolved
              + " directory="
              + budget.base
              + " (not read; links are followed only within the directory)");
    }
    return resolved;
  }

  /** The attributes of {@code resolved} itself (no link left to follow there). */
  private static PosixFileAttributes attributes(Path entry, Path resolved) {
    try {
      return Files.readAttributes(resolved, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    } catch (IOException e) {
      throw new SourceException(
          "io", entry, "cannot read attributes of source entry: path=" + entry + " error=" + e, e);
    }
  }

  /**
   * Refuses what an untrusted account owns, and what any user may write on a file system that lets
   * them.
   */
  private void checkWriters(Path entry, Path resolved, PosixFileAttributes attributes) {
    String owner = attributes.owner().getName();
    if (!trustedUsers.contains(owner) && !trustedUsers.contains(uidOf(resolved))) {
      throw new SourceException(
          "untrusted",
          entry,
          "source "
              + (attributes.isDirectory() ? "directory" : "file")
              + " is owned by an untrusted account: path="
              + entry
              + " owner="
              + owner
              + " (trusted: root, this process's user and"
              + " jsonmmap.agent.directory.trusted-users)");
    }
    if (!attributes.permissions().contains(PosixFilePermission.OTHERS_WRITE)) {
      return;
    }
    try {
      if (Files.getFileStore(resolved).isReadOnly()) {
        // A read-only mount (Kubernetes mounts ConfigMap volumes so): nobody writes there.
        return;
      }
    } catch (IOException e) {
      // Unknown: treated as writable.
    }
    throw new SourceException(
        "untrusted",
        entry,
        "source "
            + (attributes.isDirectory() ? "directory" : "file")
            + " may be written by any user: path="
            + entry
            + " mode="
            + PosixFilePermissions.toString(attributes.permissions())
            + " (anyone could put configuration into every process on the host; remove o+w)");
  }

  /** The numeric owner of {@code resolved}, as a string (empty when unknown). */
  private static String uidOf(Path resolved) {
    try {
      return String.valueOf(Files.getAttribute(resolved, "unix:uid", LinkOption.NOFOLLOW_LINKS));
    } catch (IOException | RuntimeException e) {
      return "";
    }
  }

  /**
   * Reads a regular file at its resolved path without following links, at most one byte past the
   * per-file and the total limit.
   */
  private byte[] readBytes(
      Path entry, Path resolved, PosixFileAttributes attributes, Budget budget) {
    long room = Math.min(maxFileSize, maxTotalSize - budget.bytes);
    if (attributes.size() > room) {
      throw tooLarge(entry, attributes.size(), budget);
    }
    budget.newestMicros =
        Math.max(
            budget.newestMicros,
            attributes.lastModifiedTime().to(java.util.concurrent.TimeUnit.MICROSECONDS));
    try (SeekableByteChannel ch = NonBlockingOpen.openChecked(resolved, attributes.fileKey());
        InputStream in = Channels.newInputStream(ch)) {
      byte[] bytes = in.readNBytes((int) room + 1);
      if (bytes.length > room) {
        throw tooLarge(entry, bytes.length, budget);
      }
      budget.bytes += bytes.length;
      return bytes;
    } catch (IOException e) {
      throw new SourceException(
          "io",
          entry,
          "cannot read source file: path=" + entry + " error=" + e.getClass().getSimpleName(),
          e);
    }
  }

  private SourceException tooLarge(Path entry, long size, Budget budget) {
    if (size <= maxFileSize) {
      return new SourceException(
          "too-large",
          entry,
          "source directory too large: path="
              + entry
              + " read="
              + budget.bytes
              + " size="
              + size
              + " limit="
              + maxTotalSize
              + " (all files together)");
    }
    return new SourceException(
        "too-large",
        entry,
        "source file too large: path=" + entry + " size=" + size + " limit=" + maxFileSize);
  }

  private static String decode(Path file, byte[] bytes) {
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes))
          .toString();
    } catch (CharacterCodingException e) {
      throw new SourceException("invalid", file, "source file is not UTF-8 text: path=" + file, e);
    }
  }

  private ObjectNode parseJson(Path file, byte[] bytes) {
    JsonNode node;
    try {
      node = mapper.readTree(bytes);
    } catch (JacksonException e) {
      throw new SourceException(
          "invalid",
          file,
          "source file is not valid JSON (half-written?): path="
              + file
              + " line="
              + (e.getLocation() == null ? "?" : e.getLocation().getLineNr())
              + " size="
              + bytes.length,
          e);
    } catch (NumberFormatException e) {
      // Decimals are BigDecimals: an exponent past what one holds is not a JacksonException.
      throw new SourceException(
          "invalid",
          file,
          "source file holds a number out of range (an exponent past what a decimal holds): path="
              + file
              + " size="
              + bytes.length,
          e);
    }
    if (!(node instanceof ObjectNode object)) {
      throw new SourceException(
          "invalid", file, "source file's root is not a JSON object: path=" + file);
    }
    return object;
  }

  private ObjectNode parseYaml(Path file, byte[] bytes) {
    String text = decode(file, bytes);
    LoaderOptions options = new LoaderOptions();
    options.setAllowDuplicateKeys(false);
    options.setMaxAliasesForCollections(50);
    options.setNestingDepthLimit(100);
    ObjectNode result = JsonNodeFactory.instance.objectNode();
    try {
      for (Object doc : new Yaml(new SafeConstructor(options)).loadAll(text)) {
        if (doc == null) {
          continue;
        }
        if (!(doc instanceof Map<?, ?>)) {
          throw new SourceException(
              "invalid", file, "source file's root is not a YAML mapping: path=" + file);
        }
        // Through JSON text, so that numbers are the nodes the JSON parser makes (1.5 a decimal,
        // not a double): the publisher compares documents node by node.
        merge(result, (ObjectNode) mapper.readTree(mapper.writeValueAsBytes(stringKeys(doc))));
      }
    } catch (SourceException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new SourceException(
          "invalid",
          file,
          "source file is not valid YAML (half-written?): path="
              + file
              + " error="
              + e.getClass().getSimpleName(),
          e);
    }
    return result;
  }

  private static Object stringKeys(Object value) {
    if (value instanceof Map<?, ?> map) {
      Map<String, Object> copy = new TreeMap<>();
      map.forEach((k, v) -> copy.put(String.valueOf(k), stringKeys(v)));
      return copy;
    }
    if (value instanceof List<?> list) {
      return list.stream().map(DirectoryReader::stringKeys).toList();
    }
    if (value instanceof java.util.Date date) {
      return date.toInstant().toString();
    }
    return value;
  }

  private ObjectNode parseProperties(Path file, byte[] bytes) {
    Properties properties = new Properties();
    try {
      properties.load(new StringReader(decode(file, bytes)));
    } catch (IOException | IllegalArgumentException e) {
      throw new SourceException(
          "invalid", file, "source file is not a valid properties file: path=" + file, e);
    }
    ObjectNode result = JsonNodeFactory.instance.objectNode();
    new TreeMap<>(properties)
        .forEach((k, v) -> PropertyPaths.set(file, result, String.valueOf(k), String.valueOf(v)));
    return result;
  }

  /** Deep merge: objects merge key by key, anything else replaces. */
  static void merge(ObjectNode target, ObjectNode source) {
    for (Map.Entry<String, JsonNode> e : source.properties()) {
      JsonNode existing = target.get(e.getKey());
      if (existing instanceof ObjectNode a && e.getValue() instanceof ObjectNode b) {
        merge(a, b);
      } else {
        target.set(e.getKey(), e.getValue());
      }
    }
  }
}
