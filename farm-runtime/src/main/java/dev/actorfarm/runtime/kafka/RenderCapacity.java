package dev.actorfarm.runtime.kafka;

import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;

/**
 * How many render workers the farm has: the members of the render consumer group, each counting the
 * workers its client id declares ({@link #clientId}). Kafka's group membership is the truth here,
 * so render nodes that join or leave (or die, after their session timeout) change the count without
 * any registry of the farm's own.
 */
public final class RenderCapacity implements AutoCloseable {

  private static final Pattern WORKERS = Pattern.compile("\\.w(\\d+)$");

  private final Admin admin;
  private final String group;

  public RenderCapacity(String bootstrapServers, String group) {
    this.admin =
        Admin.create(
            KafkaClients.with(
                Map.of(
                    AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                    bootstrapServers,
                    AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG,
                    10_000,
                    AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG,
                    15_000)));
    this.group = group;
  }

  /** The client id a render node's consumer carries: its name and its worker count. */
  public static String clientId(String group, String nodeName, int workers) {
    return group + "." + nodeName.replaceAll("[^A-Za-z0-9._-]", "_") + ".w" + workers;
  }

  /** The workers a client id declares (1 for a client id that declares none). */
  public static int workersOf(String clientId) {
    Matcher m = WORKERS.matcher(clientId == null ? "" : clientId);
    return m.find() ? Math.max(1, Integer.parseInt(m.group(1))) : 1;
  }

  /** The render workers of the group's current members (blocks up to ~15 s; 0 for no member). */
  public int workers() throws Exception {
    ConsumerGroupDescription d =
        admin
            .describeConsumerGroups(java.util.List.of(group))
            .all()
            .get(15, TimeUnit.SECONDS)
            .get(group);
    int n = 0;
    for (MemberDescription m : d.members()) {
      n += workersOf(m.clientId());
    }
    return n;
  }

  @Override
  public void close() {
    admin.close(java.time.Duration.ofSeconds(2));
  }
}
