package io.github.jsonmmap;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.locks.LockSupport;

/**
 * A writer JVM serving its inbox: {@code file role heartbeatMillis}. Its validator rejects a
 * document holding {@code "forbidden"} (two reasons) and blocks forever on one holding {@code
 * "block"} (to be killed mid-request). Prints "serving PID" once the inbox listens.
 */
final class InboxWriterMain {

  private static final PrintStream OUT = new PrintStream(System.out, true, StandardCharsets.UTF_8);

  private InboxWriterMain() {}

  public static void main(String[] args) throws Exception {
    JsonMmapOptions options =
        JsonMmapOptions.builder(Path.of(args[0]))
            .role(Role.valueOf(args[1]))
            .heartbeatInterval(Duration.ofMillis(Long.parseLong(args[2])))
            .staleAfter(Duration.ofMillis(5 * Long.parseLong(args[2])))
            .pollInterval(Duration.ofMillis(50))
            .build();
    try (JsonMmapFile file = JsonMmapFile.open(options);
        JsonMmapInbox inbox =
            JsonMmapInbox.serve(
                file, JsonMmapInbox.Settings.defaults().requestTimeout(Duration.ofSeconds(2)))) {
      file.setValidator(
          doc -> {
            if (doc.has("forbidden")) {
              throw new IllegalArgumentException("forbidden is not allowed");
            }
            if (doc.has("block")) {
              OUT.println("blocking");
              while (true) {
                LockSupport.park();
              }
            }
          });
      OUT.println("ready " + ProcessHandle.current().pid());
      while (!inbox.isServing()) {
        Thread.sleep(5);
      }
      OUT.println("serving " + ProcessHandle.current().pid());
      Thread.sleep(Long.MAX_VALUE);
    }
  }
}
