package io.github.jsonmmap.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.DoubleFunction;

/**
 * A line chart written as SVG, with log or linear axes: enough for percentile plots and scaling
 * charts without a plotting library.
 *
 * <p>Not thread-safe: build, then {@link #write}.
 */
final class SvgChart {

  private static final int WIDTH = 900;
  private static final int HEIGHT = 540;
  private static final int LEFT = 80;
  private static final int RIGHT = 30;
  private static final int TOP = 50;
  private static final int BOTTOM = 70;

  /** A named line; {@code dashed} for a second measure of the same peer. */
  record Series(String name, String color, boolean dashed, double[] xs, double[] ys) {}

  /** Where an axis puts its ticks and how it labels them. */
  record Axis(String title, boolean log, double[] ticks, DoubleFunction<String> label) {}

  private final String title;
  private final Axis x;
  private final Axis y;
  private final List<Series> series = new ArrayList<>();
  private String note = "";

  SvgChart(String title, Axis x, Axis y) {
    this.title = title;
    this.x = x;
    this.y = y;
  }

  SvgChart add(Series s) {
    if (s.xs().length > 0) {
      series.add(s);
    }
    return this;
  }

  SvgChart note(String text) {
    this.note = text;
    return this;
  }

  boolean isEmpty() {
    return series.isEmpty();
  }

  void write(Path file) throws IOException {
    double[] xr = range(x, true);
    double[] yr = range(y, false);
    StringBuilder svg = new StringBuilder();
    svg.append(
        String.format(
            Locale.ROOT,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d"
                + " %d\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"12\">%n",
            WIDTH,
            HEIGHT,
            WIDTH,
            HEIGHT));
    svg.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
    text(svg, WIDTH / 2.0, 26, escape(title), "middle", 16, "bold");
    double plotRight = WIDTH - RIGHT;
    double plotBottom = HEIGHT - BOTTOM;
    for (double t : ticks(x, xr)) {
      double px = px(t, xr);
      line(svg, px, TOP, px, plotBottom, "#e0e0e0", false);
      text(svg, px, plotBottom + 18, escape(x.label().apply(t)), "middle", 12, "normal");
    }
    for (double t : ticks(y, yr)) {
      double py = py(t, yr);
      line(svg, LEFT, py, plotRight, py, "#e0e0e0", false);
      text(svg, LEFT - 8, py + 4, escape(y.label().apply(t)), "end", 12, "normal");
    }
    svg.append(
        String.format(
            Locale.ROOT,
            "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%.1f\" fill=\"none\""
                + " stroke=\"#444\"/>%n",
            LEFT,
            TOP,
            plotRight - LEFT,
            plotBottom - TOP));
    text(svg, (LEFT + plotRight) / 2, HEIGHT - 30, escape(x.title()), "middle", 13, "normal");
    svg.append(
        String.format(
            Locale.ROOT,
            "<text transform=\"translate(18,%.1f) rotate(-90)\" text-anchor=\"middle\""
                + " font-size=\"13\">%s</text>%n",
            (TOP + plotBottom) / 2,
            escape(y.title())));
    if (!note.isEmpty()) {
      text(svg, LEFT, HEIGHT - 10, escape(note), "start", 11, "normal");
    }
    for (Series s : series) {
      StringBuilder points = new StringBuilder();
      for (int i = 0; i < s.xs().length; i++) {
        if (y.log() && s.ys()[i] <= 0 || x.log() && s.xs()[i] <= 0) {
          continue;
        }
        points.append(
            String.format(
                Locale.ROOT, "%.1f,%.1f ", px(s.xs()[i], xr), py(clamp(s.ys()[i], yr), yr)));
      }
      svg.append(
          String.format(
              Locale.ROOT,
              "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s points=\"%s\"/>%n",
              s.color(),
              s.dashed() ? " stroke-dasharray=\"6,4\"" : "",
              points.toString().trim()));
      for (String p : points.toString().trim().split(" ")) {
        if (!p.isEmpty()) {
          String[] xy = p.split(",");
          svg.append(
              String.format(
                  Locale.ROOT,
                  "<circle cx=\"%s\" cy=\"%s\" r=\"2.5\" fill=\"%s\"/>%n",
                  xy[0],
                  xy[1],
                  s.color()));
        }
      }
    }
    double ly = TOP + 12;
    double legendWidth =
        12 + 7.0 * series.stream().mapToInt(s -> s.name().length()).max().orElse(0);
    svg.append(
        String.format(
            Locale.ROOT,
            "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"white\""
                + " fill-opacity=\"0.85\" stroke=\"#bbb\"/>%n",
            LEFT + 8,
            TOP + 2,
            legendWidth + 30,
            series.size() * 18 + 6));
    for (Series s : series) {
      line(svg, LEFT + 14, ly, LEFT + 36, ly, s.color(), s.dashed());
      text(svg, LEFT + 42, ly + 4, escape(s.name()), "start", 12, "normal");
      ly += 18;
    }
    svg.append("</svg>\n");
    Files.createDirectories(file.toAbsolutePath().getParent());
    Files.writeString(file, svg);
  }

  private double[] range(Axis axis, boolean isX) {
    double min = Double.MAX_VALUE;
    double max = -Double.MAX_VALUE;
    for (Series s : series) {
      for (double v : isX ? s.xs() : s.ys()) {
        if (axis.log() && v <= 0) {
          continue;
        }
        min = Math.min(min, v);
        max = Math.max(max, v);
      }
    }
    if (min == Double.MAX_VALUE) {
      min = 1;
      max = 10;
    }
    if (axis.log()) {
      double lo = Math.pow(10, Math.floor(Math.log10(min)));
      double hi = Math.pow(10, Math.ceil(Math.log10(max)));
      return new double[] {lo, hi == lo ? lo * 10 : hi};
    }
    if (isX) {
      return new double[] {Math.min(0, min), max == min ? max + 1 : max};
    }
    return new double[] {0, max <= 0 ? 1 : max * 1.1};
  }

  private static double[] ticks(Axis axis, double[] range) {
    if (axis.ticks() != null) {
      return java.util.Arrays.stream(axis.ticks())
          .filter(t -> t >= range[0] * 0.9999 && t <= range[1] * 1.0001)
          .toArray();
    }
    List<Double> ticks = new ArrayList<>();
    if (axis.log()) {
      for (double t = range[0]; t <= range[1] * 1.0001; t *= 10) {
        ticks.add(t);
      }
    } else {
      double step = niceStep((range[1] - range[0]) / 6);
      for (double t = Math.ceil(range[0] / step) * step; t <= range[1]; t += step) {
        ticks.add(t);
      }
    }
    return ticks.stream().mapToDouble(Double::doubleValue).toArray();
  }

  private static double niceStep(double raw) {
    double magnitude = Math.pow(10, Math.floor(Math.log10(raw)));
    for (double m : new double[] {1, 2, 5, 10}) {
      if (m * magnitude >= raw) {
        return m * magnitude;
      }
    }
    return 10 * magnitude;
  }

  private static double clamp(double v, double[] range) {
    return Math.max(range[0], Math.min(range[1], v));
  }

  private double px(double v, double[] r) {
    double f =
        x.log()
            ? (Math.log10(v) - Math.log10(r[0])) / (Math.log10(r[1]) - Math.log10(r[0]))
            : (v - r[0]) / (r[1] - r[0]);
    return LEFT + f * (WIDTH - RIGHT - LEFT);
  }

  private double py(double v, double[] r) {
    double f =
        y.log()
            ? (Math.log10(v) - Math.log10(r[0])) / (Math.log10(r[1]) - Math.log10(r[0]))
            : (v - r[0]) / (r[1] - r[0]);
    return HEIGHT - BOTTOM - f * (HEIGHT - BOTTOM - TOP);
  }

  private static void line(
      StringBuilder svg, double x1, double y1, double x2, double y2, String color, boolean dash) {
    svg.append(
        String.format(
            Locale.ROOT,
            "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\""
                + " stroke-width=\"%s\"%s/>%n",
            x1,
            y1,
            x2,
            y2,
            color,
            color.equals("#e0e0e0") ? "1" : "2",
            dash ? " stroke-dasharray=\"6,4\"" : ""));
  }

  private static void text(
      StringBuilder svg, double x, double y, String s, String anchor, int size, String weight) {
    svg.append(
        String.format(
            Locale.ROOT,
            "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" font-size=\"%d\""
                + " font-weight=\"%s\">%s</text>%n",
            x,
            y,
            anchor,
            size,
            weight,
            s));
  }

  private static String escape(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }

  /** Labels for a log time axis in microseconds: 0.1 µs, 1 µs, ... 1 s. */
  static String micros(double us) {
    if (us >= 1_000_000) {
      return fmt(us / 1_000_000) + " s";
    }
    if (us >= 1000) {
      return fmt(us / 1000) + " ms";
    }
    return fmt(us) + " µs";
  }

  static String fmt(double v) {
    if (v == Math.rint(v)) {
      return Long.toString((long) v);
    }
    return String.format(Locale.ROOT, v < 1 ? "%.2g" : "%.1f", v);
  }
}
