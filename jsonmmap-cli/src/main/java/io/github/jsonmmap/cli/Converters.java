package io.github.jsonmmap.cli;

import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Option value converters: sizes, durations and octal file modes. Stateless. */
final class Converters {

  private Converters() {}

  private static final Pattern SIZE =
      Pattern.compile("(\\d+)\\s*(b|k|kb|kib|m|mb|mib|g|gb|gib)?", Pattern.CASE_INSENSITIVE);

  private static final Pattern DURATION =
      Pattern.compile("(\\d+)\\s*(ms|s|m|h)?", Pattern.CASE_INSENSITIVE);

  /** A byte size: {@code 65536}, {@code 64KiB}, {@code 64k}, {@code 1MiB}; units are binary. */
  static final class Size implements ITypeConverter<Long> {
    @Override
    public Long convert(String value) {
      Matcher m = SIZE.matcher(value.trim());
      if (!m.matches()) {
        throw new TypeConversionException(
            "not a size: '" + value + "' (use bytes or a unit: 64KiB, 1MiB, 1GiB)");
      }
      String unit = m.group(2) == null ? "b" : m.group(2).toLowerCase(Locale.ROOT);
      int shift =
          switch (unit.charAt(0)) {
            case 'k' -> 10;
            case 'm' -> 20;
            case 'g' -> 30;
            default -> 0;
          };
      try {
        long number = Long.parseLong(m.group(1));
        if (number > (Long.MAX_VALUE >> shift)) {
          throw new TypeConversionException("size too large: '" + value + "'");
        }
        return number << shift;
      } catch (NumberFormatException e) {
        throw new TypeConversionException("size too large: '" + value + "'");
      }
    }
  }

  /** A duration: {@code 500ms}, {@code 5s}, {@code 2m}, {@code 1h}, a number of seconds, or ISO. */
  static final class Time implements ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
      String text = value.trim();
      if (text.regionMatches(true, 0, "PT", 0, 2)) {
        try {
          return nonNegative(Duration.parse(text), value);
        } catch (DateTimeParseException e) {
          throw invalid(value);
        }
      }
      Matcher m = DURATION.matcher(text);
      if (!m.matches()) {
        throw invalid(value);
      }
      try {
        long number = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "s" : m.group(2).toLowerCase(Locale.ROOT);
        return switch (unit) {
          case "ms" -> Duration.ofMillis(number);
          case "m" -> Duration.ofMinutes(number);
          case "h" -> Duration.ofHours(number);
          default -> Duration.ofSeconds(number);
        };
      } catch (NumberFormatException | ArithmeticException e) {
        throw invalid(value);
      }
    }

    private static Duration nonNegative(Duration d, String value) {
      if (d.isNegative()) {
        throw invalid(value);
      }
      return d;
    }

    private static TypeConversionException invalid(String value) {
      return new TypeConversionException(
          "not a duration: '" + value + "' (use 500ms, 5s, 2m, 1h or ISO-8601 such as PT5S)");
    }
  }

  /** An octal file mode of permission bits only: {@code 640}, {@code 0600}. */
  /** The permission bits of a file, as {@code --mode} gives them: one value, not a list. */
  record FileMode(Set<PosixFilePermission> permissions) {

    FileMode {
      permissions = Set.copyOf(permissions);
    }

    /** Three octal digits, as typed: {@code 640}. */
    String octal() {
      int bits = 0;
      for (PosixFilePermission p : permissions) {
        bits |= 1 << (8 - p.ordinal());
      }
      return String.format(Locale.ROOT, "%03o", bits);
    }
  }

  static final class Mode implements ITypeConverter<FileMode> {
    @Override
    public FileMode convert(String value) {
      String text = value.trim();
      if (!text.matches("0?[0-7]{3}")) {
        throw new TypeConversionException(
            "not an octal file mode: '" + value + "' (use three octal digits, such as 640)");
      }
      int bits = Integer.parseInt(text, 8);
      StringBuilder symbolic = new StringBuilder(9);
      String letters = "rwxrwxrwx";
      for (int i = 0; i < 9; i++) {
        symbolic.append((bits & (1 << (8 - i))) != 0 ? letters.charAt(i) : '-');
      }
      Set<PosixFilePermission> permissions = EnumSet.noneOf(PosixFilePermission.class);
      permissions.addAll(PosixFilePermissions.fromString(symbolic.toString()));
      if (!permissions.contains(PosixFilePermission.OWNER_READ)) {
        throw new TypeConversionException("file mode must let the owner read: '" + value + "'");
      }
      FileMode mode = new FileMode(permissions);
      if (permissions.contains(PosixFilePermission.OTHERS_WRITE)) {
        throw new TypeConversionException(
            "world-writable file mode refused: mode="
                + mode.octal()
                + " (any account could publish; a jsonmmap file is never world-writable)");
      }
      return mode;
    }
  }
}
