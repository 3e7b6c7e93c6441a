package io.github.jsonmmap.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** What the machine is, for the record (Linux files; "?" where absent). */
final class Machine {

  private Machine() {}

  static Map<String, String> describe() {
    Map<String, String> facts = new LinkedHashMap<>();
    facts.put("cores (nproc)", Integer.toString(Runtime.getRuntime().availableProcessors()));
    facts.put("CPU", cpuModel());
    facts.put("memory", memory());
    facts.put(
        "kernel", System.getProperty("os.name") + " " + read("/proc/sys/kernel/osrelease").trim());
    facts.put(
        "JDK",
        System.getProperty("java.vm.name")
            + " "
            + System.getProperty("java.runtime.version")
            + " ("
            + System.getProperty("java.vm.vendor")
            + ")");
    return facts;
  }

  static String loadAverage() {
    String load = read("/proc/loadavg").trim();
    String[] parts = load.split("\\s+");
    return parts.length >= 3 ? parts[0] + " " + parts[1] + " " + parts[2] : "?";
  }

  static double load1(String loadAverage) {
    try {
      return Double.parseDouble(loadAverage.split(" ")[0]);
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  private static String cpuModel() {
    for (String line : read("/proc/cpuinfo").split("\n")) {
      if (line.startsWith("model name")) {
        return line.substring(line.indexOf(':') + 1).trim();
      }
    }
    return "?";
  }

  private static String memory() {
    for (String line : read("/proc/meminfo").split("\n")) {
      if (line.startsWith("MemTotal:")) {
        long kib = Long.parseLong(line.replaceAll("\\D", ""));
        return String.format(Locale.ROOT, "%.1f GiB", kib / 1048576.0);
      }
    }
    return "?";
  }

  private static String read(String file) {
    try {
      return Files.readString(Path.of(file));
    } catch (IOException e) {
      return "?";
    }
  }
}
