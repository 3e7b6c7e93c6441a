package io.github.jsonmmap.agent;

import io.github.jsonmmap.JsonMmapFile;
import io.github.jsonmmap.JsonMmapOptions;
import io.github.jsonmmap.Role;
import io.github.jsonmmap.Snapshot;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * A plain jsonmmap reader in a child JVM, as any process on the host would be: prints {@code
 * version=<v> json=<document>} for the version it finds and for every new one, until killed.
 */
public final class ReaderMain {

  private ReaderMain() {}

  public static void main(String[] args) throws InterruptedException {
    Path path = Path.of(args[0]);
    try (JsonMmapFile file =
        JsonMmapFile.open(
            JsonMmapOptions.builder(path).role(Role.READER).requireFile(true).build())) {
      file.addListener(change -> print(change.current()));
      print(file.snapshot());
      System.out.println("ready");
      new CountDownLatch(1).await();
    }
  }

  private static synchronized void print(Snapshot snapshot) {
    System.out.println("version=" + snapshot.version() + " json=" + snapshot.json());
  }
}
