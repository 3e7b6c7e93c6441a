package io.github.jsonmmap.sample;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.AccessMode;
import com.github.dockerjava.api.model.Bind;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.Volume;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.images.builder.ImageFromDockerfile;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.lifecycle.Startables;
import org.testcontainers.utility.DockerImageName;
import tools.jackson.databind.JsonNode;

/**
 * A fleet of three sample-app containers with role {@code auto} sharing one file, as processes of
 * one host share it: once through a host directory bind-mounted into each container, once through a
 * Docker named volume (as a pod's containers share an {@code emptyDir}). Each variant checks that
 * every container serves the initial document, that a change made through the writer container's
 * actuator reaches every container's {@code /api/greeting} within a deadline, and that after the
 * writer container is killed another takes over and its change reaches the rest.
 *
 * <p>The image is a setting: by default a local {@code FROM scratch} image, built here, that runs
 * the host's JDK from the host's {@code /usr}, {@code /lib}, {@code /lib64}, {@code /bin} and
 * {@code /etc} mounted read-only, so no registry is needed; {@code
 * -Djsonmmap.fleet.image=eclipse-temurin:21-jre} (or {@code JSONMMAP_FLEET_IMAGE}) runs a JRE image
 * instead. The jar is {@code -Djsonmmap.fleet.jar} (the build's repackaged jar). Container logs are
 * written to {@code target/fleet-logs/}.
 */
@Testcontainers(disabledWithoutDocker = true)
class FleetIT {

  private static final int PORT = 8080;
  private static final String SHARED_DIRECTORY = "/shared";
  private static final String JAR = "/app/sample-app.jar";
  private static final Duration STARTUP = Duration.ofSeconds(90);
  private static final Duration PROPAGATION_DEADLINE = Duration.ofSeconds(60);
  private static final Duration FAILOVER_DEADLINE = Duration.ofSeconds(60);
  private static final String INITIAL_GREETING = "Hello from the shared config";
  private static final List<String> HOST_SYSTEM_DIRECTORIES =
      List.of("/usr", "/lib", "/lib64", "/bin", "/etc");

  private static final Path JAR_ON_HOST =
      Path.of(System.getProperty("jsonmmap.fleet.jar", "target/sample-app.jar")).toAbsolutePath();
  private static final Path LOGS = Path.of("target", "fleet-logs");

  /** The registry image to run, or empty to build the local image around the host JDK. */
  private static final String REGISTRY_IMAGE = setting("jsonmmap.fleet.image", "");

  private static String localImage;

  @BeforeAll
  static void image() throws IOException {
    assertThat(JAR_ON_HOST)
        .as("the repackaged sample-app jar (run mvn package first)")
        .isRegularFile();
    Files.createDirectories(LOGS);
    if (REGISTRY_IMAGE.isEmpty()) {
      localImage = "jsonmmap-fleet-base:" + ProcessHandle.current().pid();
      String built =
          new ImageFromDockerfile(localImage, false)
              .withFileFromString(
                  "README", "The host's JDK and libraries are bind-mounted at run time.\n")
              .withFileFromString("Dockerfile", "FROM scratch\nCOPY README /README\n")
              .get();
      assertThat(built).isEqualTo(localImage);
    }
  }

  @AfterAll
  static void removeImage() {
    if (localImage != null) {
      DockerClientFactory.instance().client().removeImageCmd(localImage).withForce(true).exec();
    }
  }

  @Test
  void fleetSharingAHostDirectoryFollowsTheWriterAndFailsOver(@TempDir Path shared)
      throws IOException {
    // Run as the directory's owner, so the files the fleet creates are the test user's to delete.
    String owner =
        Files.getAttribute(shared, "unix:uid") + ":" + Files.getAttribute(shared, "unix:gid");
    runFleet("host-directory", new Bind(shared.toString(), new Volume(SHARED_DIRECTORY)), owner);
  }

  @Test
  void fleetSharingANamedVolumeFollowsTheWriterAndFailsOver() {
    DockerClient docker = DockerClientFactory.instance().client();
    String volume = "jsonmmap-fleet-" + UUID.randomUUID();
    docker.createVolumeCmd().withName(volume).exec();
    try {
      runFleet("named-volume", new Bind(volume, new Volume(SHARED_DIRECTORY)), null);
    } finally {
      docker.removeVolumeCmd(volume).exec();
    }
  }

  private void runFleet(String variant, Bind shared, String user) {
    List<GenericContainer<?>> fleet = new ArrayList<>();
    try {
      for (int i = 1; i <= 3; i++) {
        fleet.add(instance(shared, user));
      }
      Startables.deepStart(fleet).join();
      List<Http> clients = fleet.stream().map(FleetIT::client).toList();

      // Every container serves the initial document.
      for (Http http : clients) {
        assertThat(http.get("/api/greeting").get("message").asString())
            .as("greeting of %s", http)
            .isEqualTo(INITIAL_GREETING);
        assertThat(http.get("/api/limits").get("requestsPerSecond").asInt()).isEqualTo(100);
        assertThat(http.get("/api/features").get("recommendations").asBoolean()).isTrue();
      }

      // Exactly one of them writes; a change made there reaches all three.
      int writer = awaitOneWriter(clients, List.of(0, 1, 2));
      long version = change(clients.get(writer), "changed in container " + (writer + 1));
      awaitGreeting(clients, "changed in container " + (writer + 1), version, variant);

      // Kill the writer: one of the others takes over and its change reaches the rest.
      GenericContainer<?> killed = fleet.get(writer);
      long killedAt = System.nanoTime();
      killed
          .getDockerClient()
          .killContainerCmd(killed.getContainerId())
          .withSignal("SIGKILL")
          .exec();
      List<Integer> survivors = new ArrayList<>(List.of(0, 1, 2));
      survivors.remove(Integer.valueOf(writer));
      int successor = awaitOneWriter(clients, survivors);
      System.out.printf(
          "FleetIT %s: container %d took over as writer %d ms after container %d was killed%n",
          variant, successor + 1, (System.nanoTime() - killedAt) / 1_000_000, writer + 1);

      String message = "changed in container " + (successor + 1) + " after failover";
      long next = change(clients.get(successor), message);
      assertThat(next).as("versions go on after the failover").isGreaterThan(version);
      awaitGreeting(
          survivors.stream().map(clients::get).toList(), message, next, variant + " failover");
    } finally {
      for (int i = 0; i < fleet.size(); i++) {
        saveLogsAndStop(variant + "-" + (i + 1), fleet.get(i));
      }
    }
  }

  private static GenericContainer<?> instance(Bind shared, String user) {
    List<Bind> binds = new ArrayList<>();
    binds.add(shared);
    binds.add(new Bind(JAR_ON_HOST.toString(), new Volume(JAR), AccessMode.ro));
    List<String> command = new ArrayList<>();
    GenericContainer<?> container;
    if (REGISTRY_IMAGE.isEmpty()) {
      Path javaHome = Path.of(setting("jsonmmap.fleet.javaHome", System.getProperty("java.home")));
      HOST_SYSTEM_DIRECTORIES.stream()
          .filter(directory -> Files.exists(Path.of(directory)))
          .forEach(directory -> binds.add(readOnly(directory)));
      if (HOST_SYSTEM_DIRECTORIES.stream().noneMatch(d -> javaHome.startsWith(d))) {
        binds.add(readOnly(javaHome.toString()));
      }
      container = new GenericContainer<>(DockerImageName.parse(localImage));
      command.add(javaHome.resolve("bin/java").toString());
    } else {
      container = new GenericContainer<>(DockerImageName.parse(REGISTRY_IMAGE));
      command.add("java");
    }
    command.addAll(
        List.of(
            "-XX:TieredStopAtLevel=1",
            "-XX:+UseSerialGC",
            "-Xmx256m",
            "-Djava.io.tmpdir=/tmp",
            "-jar",
            JAR,
            "--server.port=" + PORT,
            // The sample binds to loopback; in a container its port must answer on the network.
            "--server.address=0.0.0.0",
            "--jsonmmap.file=" + SHARED_DIRECTORY + "/sample-app.json",
            "--jsonmmap.heartbeat-interval=500ms",
            "--management.endpoint.jsonmmap.access=unrestricted"));
    return container
        .withCommand(command.toArray(String[]::new))
        .withExposedPorts(PORT)
        .withTmpFs(Map.of("/tmp", "rw,exec,mode=1777"))
        .withCreateContainerCmdModifier(
            cmd -> {
              HostConfig hostConfig = cmd.getHostConfig();
              List<Bind> all = new ArrayList<>();
              if (hostConfig.getBinds() != null) {
                all.addAll(Arrays.asList(hostConfig.getBinds()));
              }
              all.addAll(binds);
              hostConfig.withBinds(all);
              if (user != null) {
                cmd.withUser(user);
              }
            })
        .waitingFor(
            Wait.forHttp("/actuator/health")
                .forPort(PORT)
                .forStatusCode(200)
                .withStartupTimeout(STARTUP));
  }

  private static Bind readOnly(String directory) {
    return new Bind(directory, new Volume(directory), AccessMode.ro);
  }

  private static Http client(GenericContainer<?> container) {
    return new Http(container.getHost(), container.getMappedPort(PORT));
  }

  /** Waits until exactly one of the candidates says it is the writer; returns its index. */
  private static int awaitOneWriter(List<Http> clients, List<Integer> candidates) {
    int[] writer = new int[1];
    await()
        .atMost(FAILOVER_DEADLINE)
        .pollInterval(Duration.ofMillis(100))
        .ignoreExceptions()
        .untilAsserted(
            () -> {
              List<Integer> writers = new ArrayList<>();
              for (int i : candidates) {
                JsonNode endpoint = clients.get(i).get("/actuator/jsonmmap");
                assertThat(endpoint.get("role").asString()).isEqualTo("auto");
                if (endpoint.get("writer").get("self").asBoolean()) {
                  writers.add(i);
                }
              }
              assertThat(writers).as("writers among %s", candidates).hasSize(1);
              writer[0] = writers.get(0);
            });
    return writer[0];
  }

  /** Sets {@code greeting.message} through the writer's actuator; returns the new version. */
  private static long change(Http writer, String message) {
    JsonNode written = writer.post("/actuator/jsonmmap/greeting.message", Map.of("value", message));
    assertThat(written.get("changed").asBoolean()).isTrue();
    return written.get("version").asLong();
  }

  private static void awaitGreeting(
      List<Http> clients, String message, long version, String variant) {
    long started = System.nanoTime();
    await()
        .atMost(PROPAGATION_DEADLINE)
        .pollInterval(Duration.ofMillis(20))
        .ignoreExceptions()
        .untilAsserted(
            () -> {
              for (Http http : clients) {
                JsonNode greeting = http.get("/api/greeting");
                assertThat(greeting.get("message").asString())
                    .as("greeting of %s", http)
                    .isEqualTo(message);
                assertThat(greeting.get("version").asLong()).isGreaterThanOrEqualTo(version);
              }
            });
    System.out.printf(
        "FleetIT %s: version %d reached %d containers' /api/greeting within %d ms%n",
        variant, version, clients.size(), (System.nanoTime() - started) / 1_000_000);
  }

  private static void saveLogsAndStop(String name, GenericContainer<?> container) {
    try {
      if (container.getContainerId() != null) {
        Files.writeString(LOGS.resolve(name + ".log"), container.getLogs(), StandardCharsets.UTF_8);
      }
    } catch (IOException | RuntimeException e) {
      System.err.printf("FleetIT: could not save the logs of %s: %s%n", name, e);
    } finally {
      container.stop();
    }
  }

  private static String setting(String property, String defaultValue) {
    String value = System.getProperty(property);
    if (value == null || value.isBlank()) {
      String variable = property.toUpperCase(Locale.ROOT).replace('.', '_');
      value = System.getenv(variable);
    }
    return value == null || value.isBlank() ? defaultValue : value;
  }
}
