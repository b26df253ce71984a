package dev.actorfarm.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The chaos farm's own network on this machine: a Linux bridge with one network namespace per
 * process, each joined to the bridge by a veth pair and given an address of its own (10.77.0.0/24;
 * the harness itself, in the machine's namespace, is 10.77.0.1). Cutting a process's link isolates
 * it from every other process of the farm and from the harness, the way a pulled cable or a failed
 * switch port does; restoring it heals the partition. Nothing outside the farm's own namespaces and
 * bridge is touched, and {@link #close} removes them all.
 *
 * <p>Needs root and iproute2 ({@code ip}); {@link #unavailable} says why the network cannot be
 * built. Delay would take {@code tc netem}, whose kernel module this machine lacks: the brokers'
 * relays ({@link DelayProxy}) delay the farm's Kafka traffic instead.
 */
final class ChaosNetwork implements AutoCloseable {

  private static final String BRIDGE = "afchaos0";
  private static final String SUBNET = "10.77.0.";

  private final Map<String, String> addresses = new LinkedHashMap<>();

  private ChaosNetwork() {}

  /** Null when the network can be built here, else why not. */
  static String unavailable() {
    if (!"root".equals(System.getProperty("user.name"))) {
      return "network namespaces need root";
    }
    try {
      run(List.of("ip", "netns", "list"));
      return null;
    } catch (IOException e) {
      return "iproute2 cannot manage network namespaces here: " + e.getMessage();
    }
  }

  /** Builds the bridge and a namespace for each of {@code names}. */
  static ChaosNetwork create(List<String> names) throws IOException {
    ChaosNetwork net = new ChaosNetwork();
    net.removeLeftovers(names);
    try {
      run(List.of("ip", "link", "add", BRIDGE, "type", "bridge"));
      run(List.of("ip", "addr", "add", SUBNET + "1/24", "dev", BRIDGE));
      run(List.of("ip", "link", "set", BRIDGE, "up"));
      int host = 10;
      for (String name : names) {
        String ns = namespace(name);
        String address = SUBNET + host++;
        run(List.of("ip", "netns", "add", ns));
        run(
            List.of(
                "ip",
                "link",
                "add",
                link(name),
                "type",
                "veth",
                "peer",
                "name",
                "eth0",
                "netns",
                ns));
        run(List.of("ip", "link", "set", link(name), "master", BRIDGE, "up"));
        run(List.of("ip", "-n", ns, "addr", "add", address + "/24", "dev", "eth0"));
        run(List.of("ip", "-n", ns, "link", "set", "eth0", "up"));
        run(List.of("ip", "-n", ns, "link", "set", "lo", "up"));
        net.addresses.put(name, address);
      }
      return net;
    } catch (IOException e) {
      net.close();
      throw e;
    }
  }

  /** The address of {@code name}'s process. */
  String address(String name) {
    return addresses.get(name);
  }

  /** The harness's own address on the bridge, which every namespace reaches. */
  String gateway() {
    return SUBNET + "1";
  }

  /** The process at {@code address}, or null for one outside the farm's namespaces. */
  String nameAt(java.net.InetAddress address) {
    String a = address.getHostAddress();
    return addresses.entrySet().stream()
        .filter(e -> e.getValue().equals(a))
        .map(Map.Entry::getKey)
        .findFirst()
        .orElse(null);
  }

  /** The command prefix that runs a process in {@code name}'s namespace. */
  List<String> enter(String name) {
    return List.of("ip", "netns", "exec", namespace(name));
  }

  /** Cuts {@code name} off the network. */
  void cut(String name) throws IOException {
    run(List.of("ip", "link", "set", link(name), "down"));
  }

  /** Joins {@code name} to the network again. */
  void heal(String name) throws IOException {
    run(List.of("ip", "link", "set", link(name), "up"));
  }

  @Override
  public void close() {
    removeLeftovers(new ArrayList<>(addresses.keySet()));
    addresses.clear();
  }

  /** Removes the bridge and the namespaces of {@code names}, left by this run or a killed one. */
  private void removeLeftovers(List<String> names) {
    for (String name : names) {
      quietly(List.of("ip", "link", "del", link(name)));
      quietly(List.of("ip", "netns", "del", namespace(name)));
    }
    quietly(List.of("ip", "link", "del", BRIDGE));
  }

  private static String namespace(String name) {
    return "afchaos-" + name;
  }

  /** The bridge's end of {@code name}'s veth pair (at most 15 characters). */
  private static String link(String name) {
    return "afc-" + name;
  }

  private static void quietly(List<String> cmd) {
    try {
      run(cmd);
    } catch (IOException e) {
      // nothing to remove
    }
  }

  private static void run(List<String> cmd) throws IOException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    try {
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException(String.join(" ", cmd) + ": no answer in 30 s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
    if (p.exitValue() != 0) {
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      throw new IOException(String.join(" ", cmd) + ": " + out);
    }
  }
}
