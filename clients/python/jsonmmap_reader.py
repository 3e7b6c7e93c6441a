#!/usr/bin/env python3
"""Reference reader for jsonmmap files, format v1, written from FORMAT.md.

Python 3 standard library only. Reads the current version of the shared JSON document with the
reader protocol of FORMAT.md section 8: seqlock, bounds checks, private copy, CRC-32, and only
then parsing. It reads with os.pread on a file descriptor, never through a mapping: a file that a
third party truncates while it reads is an error it reports, never a SIGBUS that kills it.

    python3 jsonmmap_reader.py FILE             # prints {"version":..,"publishedAtMicros":..,"document":{..}}
    python3 jsonmmap_reader.py FILE --loop N    # N reads; one line per new version, then a summary

As a module:

    version, published_at_micros, document = jsonmmap_reader.read("/dev/shm/app.json")

    with jsonmmap_reader.Reader("/dev/shm/app.json") as reader:   # keeps the file open
        version, published_at_micros, document = reader.read()
"""

import argparse
import decimal
import json
import os
import re
import stat
import struct
import sys
import time
import zlib

__all__ = ["JsonMmapError", "Reader", "read"]

# ---- layout (FORMAT.md section 3) -------------------------------------------------------------

MAGIC = b"JSONMMAP"
MAJOR_VERSION = 1
MINOR_VERSION = 1

MAGIC_OFFSET = 0
FORMAT_VERSION_OFFSET = 8
HEADER_LENGTH_OFFSET = 16
CURRENT_OFFSET = 48
HEARTBEAT_OFFSET = 56
NAME_LENGTH_OFFSET = 96
# Format 1.1: the largest document the writer may publish (u64); 0 in a 1.0 file.
MAX_DOCUMENT_SIZE_OFFSET = 104
NAME_OFFSET = 128
NAME_CAPACITY = 64
SLOT_OFFSETS = (256, 320)

SLOT_SEQUENCE = 0
SLOT_FIELDS = 8  # version, offset, length, published (u64 each), checksum (u32)

MIN_HEADER_LENGTH = 384
DATA_ALIGNMENT = 8

# The reader's own limit (the Java reader's default maxSize), used when the header does not
# record the writer's (a 1.0 file): a corrupt length never drives a huge copy.
DEFAULT_MAX_LENGTH = 64 * 1024 * 1024
DEFAULT_TIMEOUT = 1.0

# FORMAT.md section 8 step 5: the longest document any writer can publish (a third of the largest
# file less its header), whatever the header says.
MAX_DOCUMENT_LENGTH = 715825152

# FORMAT.md section 8 step 2: a writer commits before it releases the slot, so the current slot can
# stay odd (its writer is off the CPU or died between the two). After this many attempts the odd
# current slot is read, and kept only if its sequence and current did not change across the copy.
UNRELEASED_AFTER_ATTEMPTS = 256

# FORMAT.md section 4: bounds every reader enforces, so that taking in a version costs time and
# memory linear in its size, whatever its shape, and Java and Python agree on what is valid.
MAX_NUMBER_LENGTH = 1000
MAX_DECIMAL_SCALE = 100000
MAX_FLATTENED_KEYS = 2097152
FLAT_CHARS_PER_BYTE = 32
FLAT_CHARS_FLOOR = 1048576
MAX_FLAT_CHARS = 134217728

_WORD = struct.Struct("<Q")
_U32 = struct.Struct("<I")
_SLOT = struct.Struct("<QQQQI")  # version, offset, length, published, checksum

# Why the result is correct although Python has neither atomic loads nor fences:
#
# * Every load is its own pread(2): the sequence, the current word, the slot descriptor, the
#   document and the sequence again are five system calls, made in that order. On x86-64 (TSO)
#   loads are not reordered with earlier loads, and the kernel's copy of one call is finished
#   before the next call starts, so each step of the recipe really happens after the previous
#   one: the second load of the sequence happens after the copy.
# * Torn words. The kernel may copy the 8 bytes of a word in smaller pieces. A torn sequence is
#   either odd, or different from the other load of it: both are retries. A torn current word
#   names a slot or a version that the slot's checksum and version then contradict.
# * The seqlock. The writer makes the sequence odd before it touches the slot's bytes or
#   descriptor and even again (with release) only after it has finished. If the sequence is even
#   and equal before and after the copy, no write to that slot overlapped the copy, so the copy
#   and the descriptor fields describe one complete version. A concurrent write is seen as an odd
#   or a changed sequence and the read is retried; the data is never used.
# * The backstops. Whatever slipped through on a CPU with weaker ordering (aarch64, where the
#   argument above does not hold) would still have to match the CRC-32 of the descriptor loaded
#   before the copy and the version named by the current word; a torn copy fails one of them and
#   becomes a retry or an error, never a wrong document. The document is parsed only after both.
# * Truncation. A pread past the end of the file returns fewer bytes; it never faults. A short
#   read of a stable slot is an error naming the file (jsonmmap files never shrink, so only a third
#   party truncates one); the next read starts again from the header.


class JsonMmapError(Exception):
    """A file that cannot be read: one message naming the file and the problem."""

    def __init__(self, reason, path, message):
        super().__init__(message)
        self.reason = reason
        self.path = path


class _Retry(Exception):
    pass


class Reader:
    """Keeps one jsonmmap file open read-only and reads its current version. Not thread-safe."""

    def __init__(self, path, max_length=DEFAULT_MAX_LENGTH, name=None):
        self.path = os.path.abspath(path)
        self.max_length = max_length
        self.name = name or None
        self._fd = None
        try:
            # O_NONBLOCK: a FIFO at the path must not block the open; it is refused just below.
            self._fd = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
        except FileNotFoundError:
            raise JsonMmapError(
                "missing", self.path, "file does not exist: path=%s" % self.path
            ) from None
        except OSError as e:
            raise JsonMmapError(
                "io", self.path, "cannot open file: path=%s error=%s" % (self.path, e.strerror)
            ) from None
        mode = os.fstat(self._fd).st_mode
        if not stat.S_ISREG(mode):
            self.close()
            raise JsonMmapError(
                "untrusted",
                self.path,
                "not a regular file: path=%s type=%s (jsonmmap files are regular files)"
                % (self.path, _file_type(mode)),
            )

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def _file_size(self):
        return os.fstat(self._fd).st_size

    def _pread(self, length, offset):
        """The bytes asked for; fewer only when the file ends first (never a fault)."""
        data = os.pread(self._fd, length, offset)
        while len(data) < length:
            more = os.pread(self._fd, length - len(data), offset + len(data))
            if not more:
                break
            data += more
        return data

    def _word(self, offset):
        data = self._pread(8, offset)
        if len(data) < 8:
            raise self._truncated()
        return _WORD.unpack(data)[0]

    def _truncated(self):
        return JsonMmapError(
            "corrupt",
            self.path,
            "file was truncated under the reader: path=%s size=%d (jsonmmap files never shrink)"
            % (self.path, self._file_size()),
        )

    def _short_header(self, head):
        """A file shorter than a header: still being created, or not a jsonmmap file at all."""
        size = len(head)
        facts = "path=%s size=%d min=%d" % (self.path, size, MIN_HEADER_LENGTH)
        magic_prefix = head[: len(MAGIC)] == MAGIC[: min(size, len(MAGIC))]
        no_version = not any(head[FORMAT_VERSION_OFFSET : FORMAT_VERSION_OFFSET + 8])
        if not any(head) or (magic_prefix and no_version):
            return JsonMmapError(
                "not-ready",
                self.path,
                "file is not initialised (too short to hold a header): " + facts,
            )
        if not magic_prefix:
            return JsonMmapError(
                "corrupt", self.path, "not a jsonmmap file (bad magic, too short): " + facts
            )
        return JsonMmapError("corrupt", self.path, "header truncated: " + facts)

    # ---- header (FORMAT.md section 8, header check) ----------------------------------------

    def _check_header(self):
        """Checks the header and returns (header length, largest document length accepted)."""
        head = self._pread(MIN_HEADER_LENGTH, 0)
        if len(head) < MIN_HEADER_LENGTH:
            raise self._short_header(head)
        word = _WORD.unpack_from(head, FORMAT_VERSION_OFFSET)[0]
        magic = head[MAGIC_OFFSET : MAGIC_OFFSET + 8]
        if magic != MAGIC:
            if magic == b"\0" * 8 and word == 0:
                raise JsonMmapError(
                    "not-ready",
                    self.path,
                    "file is not initialised (zero header, no format version): path=%s"
                    % self.path,
                )
            raise JsonMmapError(
                "corrupt",
                self.path,
                "not a jsonmmap file (bad magic): path=%s magic=0x%s expected=0x%s"
                % (self.path, magic.hex(), MAGIC.hex()),
            )
        major = word & 0xFFFFFFFF
        minor = word >> 32
        if major == 0:
            raise JsonMmapError(
                "not-ready",
                self.path,
                "file is not initialised yet (format version 0): path=%s" % self.path,
            )
        if major != MAJOR_VERSION:
            raise JsonMmapError(
                "unsupported",
                self.path,
                "unsupported format version: path=%s fileVersion=%d.%d supportedVersion=%d.%d"
                " (only major %d is readable)"
                % (self.path, major, minor, MAJOR_VERSION, MINOR_VERSION, MAJOR_VERSION),
            )
        size = self._file_size()
        header_length = _U32.unpack_from(head, HEADER_LENGTH_OFFSET)[0]
        if (
            header_length < MIN_HEADER_LENGTH
            or header_length % DATA_ALIGNMENT != 0
            or header_length > size
        ):
            raise JsonMmapError(
                "corrupt",
                self.path,
                "header length out of range: path=%s headerLength=%d fileSize=%d"
                % (self.path, header_length, size),
            )
        if self.name is not None:
            actual = _name(head)
            if actual and actual != self.name:
                raise JsonMmapError(
                    "name-mismatch",
                    self.path,
                    'file belongs to another document: path=%s fileName="%s" expectedName="%s"'
                    % (self.path, actual, self.name),
                )
        # Format 1.1 records the writer's largest document: accept what it may publish. A 1.0
        # file has 0 there (a reserved field): the reader's own limit applies.
        writer_max = _WORD.unpack_from(head, MAX_DOCUMENT_SIZE_OFFSET)[0]
        limit = writer_max if writer_max > 0 else self.max_length
        return header_length, min(limit, MAX_DOCUMENT_LENGTH)

    def document_name(self):
        """The document name in the header, or "" for none."""
        return _name(self._pread(MIN_HEADER_LENGTH, 0))

    def heartbeat_micros(self):
        """The writer heartbeat, microseconds since the epoch (0: none); see FORMAT.md 9.1."""
        return self._word(HEARTBEAT_OFFSET)

    # ---- the read (FORMAT.md section 8) ----------------------------------------------------

    def read(self, timeout=DEFAULT_TIMEOUT):
        """Returns (version, published_at_micros, document) of the current version.

        Raises JsonMmapError for a file that cannot be read.
        """
        deadline = time.monotonic() + timeout
        attempt = 0
        while True:
            if attempt > 0:
                self._back_off(attempt, deadline, timeout)
            accept_unreleased = attempt >= UNRELEASED_AFTER_ATTEMPTS
            attempt += 1
            header_length, max_length = self._check_header()
            try:
                version, published, data = self._read_current(
                    header_length, max_length, accept_unreleased
                )
            except _Retry:
                continue
            return version, published, self._parse(data)

    def _read_current(self, header_length, max_length, accept_unreleased=False):
        current = self._word(CURRENT_OFFSET)
        if current >> 1 == 0:
            raise JsonMmapError(
                "corrupt",
                self.path,
                "no version committed (current names version 0): path=%s" % self.path,
            )
        slot = current & 1
        base = SLOT_OFFSETS[slot]
        sequence = self._word(base + SLOT_SEQUENCE)
        if sequence & 1 and not accept_unreleased:
            raise _Retry()
        fields = self._pread(_SLOT.size, base + SLOT_FIELDS)
        if len(fields) < _SLOT.size:
            raise self._truncated()
        version, offset, length, published, checksum = _SLOT.unpack(fields)
        if sequence == 0 and version == 0:
            if self._word(CURRENT_OFFSET) != current:
                raise _Retry()
            raise JsonMmapError(
                "corrupt",
                self.path,
                "current names an empty slot: path=%s slot=%d currentVersion=%d"
                % (self.path, slot, current >> 1),
            )
        if length > max_length or offset < header_length:
            self._require_stable(base, sequence)
            raise JsonMmapError(
                "corrupt",
                self.path,
                "slot out of range: path=%s slot=%d offset=%d length=%d maxLength=%d"
                " headerLength=%d" % (self.path, slot, offset, length, max_length, header_length),
            )
        size = self._file_size()
        if offset + length > size:
            self._require_stable(base, sequence)
            raise JsonMmapError(
                "corrupt",
                self.path,
                "slot points past the end of the file: path=%s slot=%d offset=%d length=%d"
                " fileSize=%d" % (self.path, slot, offset, length, size),
            )
        data = self._pread(length, offset)  # a private copy: never parse the file in place
        self._require_stable(base, sequence)
        if sequence & 1 and self._word(CURRENT_OFFSET) != current:
            # An unreleased slot is only read while current names it: no writer touches it then.
            raise _Retry()
        if len(data) < length:
            raise self._truncated()
        computed = zlib.crc32(data) & 0xFFFFFFFF
        if computed != checksum:
            raise JsonMmapError(
                "checksum",
                self.path,
                "checksum mismatch: path=%s slot=%d version=%d length=%d stored=0x%08x"
                " computed=0x%08x" % (self.path, slot, version, length, checksum, computed),
            )
        if version != current >> 1:
            if self._word(CURRENT_OFFSET) != current:
                raise _Retry()
            raise JsonMmapError(
                "corrupt",
                self.path,
                "slot version disagrees with current: path=%s slot=%d slotVersion=%d"
                " currentVersion=%d" % (self.path, slot, version, current >> 1),
            )
        return version, published, data

    def _require_stable(self, base, sequence):
        # The "acquire fence" and second load of the recipe: a later pread (see the comment at
        # the top). A changed sequence means the writer was in the slot: the read is retried.
        if self._word(base + SLOT_SEQUENCE) != sequence:
            raise _Retry()

    def _back_off(self, attempt, deadline, timeout):
        if time.monotonic() > deadline:
            raise JsonMmapError(
                "timeout",
                self.path,
                "read did not settle: path=%s attempts=%d timeout=%dms"
                " (a slot stayed odd or kept changing)" % (self.path, attempt, timeout * 1000),
            )
        if attempt < 64:
            return
        if attempt < 256:
            time.sleep(0)
        else:
            time.sleep(50e-6)

    def _parse(self, data):
        try:
            document = json.loads(
                data.decode("utf-8"),
                object_pairs_hook=_unique_keys,
                parse_constant=_no_constants,
                parse_float=_exact_decimal,
                parse_int=_exact_int,
            )
        except (UnicodeDecodeError, ValueError, RecursionError) as e:
            raise JsonMmapError(
                "invalid",
                self.path,
                "document is not valid JSON: path=%s size=%d error=%s"
                % (self.path, len(data), str(e).splitlines()[0] if str(e) else type(e).__name__),
            ) from None
        if not isinstance(document, dict):
            raise JsonMmapError(
                "invalid",
                self.path,
                "document root must be a JSON object: path=%s root=%s"
                % (self.path, _kind(document)),
            )
        problem = _flattened_size_problem(document, len(data))
        if problem:
            raise JsonMmapError(
                "invalid",
                self.path,
                "document too costly to flatten: path=%s size=%d %s" % (self.path, len(data), problem),
            )
        return document


def _name(head):
    length = min(_U32.unpack_from(head, NAME_LENGTH_OFFSET)[0], NAME_CAPACITY)
    return head[NAME_OFFSET : NAME_OFFSET + length].decode("utf-8", "replace")


def _file_type(mode):
    for test, name in (
        (stat.S_ISDIR, "directory"),
        (stat.S_ISFIFO, "fifo"),
        (stat.S_ISCHR, "character-device"),
        (stat.S_ISBLK, "block-device"),
        (stat.S_ISSOCK, "socket"),
    ):
        if test(mode):
            return name
    return "other"


def _unique_keys(pairs):
    result = {}
    for key, value in pairs:
        if key in result:
            raise ValueError("duplicate key %r" % key)
        result[key] = value
    return result


def _exact_decimal(text):
    # Numbers are exact decimal values (FORMAT.md section 4): never a float that rounds.
    if len(text) > MAX_NUMBER_LENGTH:
        raise ValueError("number longer than %d characters" % MAX_NUMBER_LENGTH)
    value = decimal.Decimal(text)
    if abs(value.as_tuple().exponent) > MAX_DECIMAL_SCALE:
        raise ValueError("decimal exponent beyond %d" % MAX_DECIMAL_SCALE)
    return value


def _exact_int(text):
    if len(text) > MAX_NUMBER_LENGTH:
        raise ValueError("number longer than %d characters" % MAX_NUMBER_LENGTH)
    return int(text)


def _flattened_size_problem(document, size):
    """The bound of FORMAT.md section 4 on the flattened document, without building it."""
    limit = min(MAX_FLAT_CHARS, FLAT_CHARS_FLOOR + FLAT_CHARS_PER_BYTE * size)
    keys = 0
    chars = 0
    stack = [(len(name), value) for name, value in document.items()]
    while stack:
        length, value = stack.pop()
        if isinstance(value, dict) and value:
            stack.extend((length + 1 + len(name), child) for name, child in value.items())
        elif isinstance(value, list) and value:
            stack.extend((length + 2 + len(str(i)), child) for i, child in enumerate(value))
        else:
            keys += 1
            chars += length
            if keys > MAX_FLATTENED_KEYS:
                return "flattenedKeys>%d limit=%d" % (MAX_FLATTENED_KEYS, MAX_FLATTENED_KEYS)
            if chars > limit:
                return "flattenedKeyChars>%d limit=%d" % (limit, limit)
    return None


def _json(value, out):
    """Compact JSON with numbers exactly as read (the json module cannot write a Decimal)."""
    if isinstance(value, dict):
        out.append("{")
        for i, (name, child) in enumerate(value.items()):
            if i:
                out.append(",")
            out.append(json.dumps(name))
            out.append(":")
            _json(child, out)
        out.append("}")
    elif isinstance(value, list):
        out.append("[")
        for i, child in enumerate(value):
            if i:
                out.append(",")
            _json(child, out)
        out.append("]")
    elif isinstance(value, decimal.Decimal):
        out.append(str(value))
    else:
        out.append(json.dumps(value))


def _no_constants(name):
    raise ValueError("%s is not JSON" % name)


def _kind(value):
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return type(value).__name__


def read(path, timeout=DEFAULT_TIMEOUT, max_length=DEFAULT_MAX_LENGTH, name=None):
    """Reads the current version of the file at path: (version, published_at_micros, document)."""
    with Reader(path, max_length=max_length, name=name) as reader:
        return reader.read(timeout)


# ---- command line ---------------------------------------------------------------------------

# What a terminal would act on instead of showing: C0, DEL, C1, the bidirectional and
# line-breaking format characters; and the backslash, so that an escape is never ambiguous.
_CONTROL = re.compile("[\\\\\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")
_NAMED = {"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match):
    c = match.group()
    if c in _NAMED:
        return _NAMED[c]
    return "\\x%02x" % ord(c) if ord(c) < 0x100 else "\\u%04x" % ord(c)


def _safe(text):
    """Text for a terminal: a path or a name can never print a forged line or a raw escape."""
    return _CONTROL.sub(_escape, text)


def _line(version, published, document):
    # ensure_ascii escapes C0 and everything beyond ASCII; DEL is ASCII, so escape it here (it
    # can only occur inside a string, where \u007f is the same character).
    out = []
    _json({"version": version, "publishedAtMicros": published, "document": document}, out)
    return "".join(out).replace("\x7f", "\\u007f")


def _loop(reader, count, timeout, out, err):
    reads = 0
    invalid = 0
    versions = 0
    last = None
    reported = 0
    for _ in range(count):
        reads += 1
        try:
            version, published, document = reader.read(timeout)
        except JsonMmapError as e:
            invalid += 1
            if reported < 10:
                reported += 1
                err.write("jsonmmap_reader: %s\n" % _safe(str(e)))
            continue
        if version == last:
            continue
        if last is not None and version < last:
            invalid += 1
            if reported < 10:
                reported += 1
                err.write(
                    "jsonmmap_reader: version went backwards: path=%s version=%d previous=%d\n"
                    % (_safe(reader.path), version, last)
                )
            continue
        last = version
        versions += 1
        out.write(_line(version, published, document) + "\n")
        out.flush()
    out.write(json.dumps({"reads": reads, "invalid": invalid, "versions": versions}) + "\n")
    out.flush()
    return invalid


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="jsonmmap_reader.py",
        description="Read the current version of a jsonmmap file (format v1) and print it as JSON.",
    )
    parser.add_argument("file", help="the jsonmmap file")
    parser.add_argument(
        "--loop",
        type=int,
        metavar="N",
        help="read N times as fast as possible; print each new version and a summary line",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT,
        help="seconds a read keeps retrying a slot that is being written (default 1.0)",
    )
    parser.add_argument(
        "--max-length",
        type=int,
        default=DEFAULT_MAX_LENGTH,
        help="largest document length accepted, in bytes (default 64 MiB)",
    )
    parser.add_argument("--name", help="expected document name; refuse a file with another one")
    args = parser.parse_args(argv)
    if args.loop is not None and args.loop < 1:
        parser.error("--loop must be at least 1")
    try:
        with Reader(args.file, max_length=args.max_length, name=args.name) as reader:
            if args.loop is None:
                version, published, document = reader.read(args.timeout)
                sys.stdout.write(_line(version, published, document) + "\n")
                return 0
            invalid = _loop(reader, args.loop, args.timeout, sys.stdout, sys.stderr)
            return 1 if invalid else 0
    except JsonMmapError as e:
        sys.stderr.write("jsonmmap_reader: %s\n" % _safe(str(e)))
        return 1
    except OSError as e:
        sys.stderr.write(
            "jsonmmap_reader: cannot read file: path=%s error=%s\n"
            % (_safe(os.path.abspath(args.file)), _safe(str(e.strerror or e)))
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
