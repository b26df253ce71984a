package dev.actorfarm.launcher.api;

import dev.actorfarm.protocol.JobState;
import dev.actorfarm.runtime.jobs.JobStates;
import dev.actorfarm.runtime.metrics.FarmMetrics;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ConsumerGroupListing;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gauges a node computes when it is scraped: jobs by state, and the lag of every farm consumer
 * group per topic (what KEDA scales the render workers on). One set per process; the node that
 * serves {@code /metrics} points them at its farm.
 */
public final class NodeMetrics {

  private static final Logger log = LoggerFactory.getLogger(NodeMetrics.class);
  private static final AtomicReference<NodeMetrics> current = new AtomicReference<>();
  private static boolean registered;

  private final JobStates jobs;
  private final String bootstrap;
  private Admin admin;
  private long lagReadMs;
  private Map<List<String>, Long> lag = Map.of();

  private NodeMetrics(JobStates jobs, String bootstrap) {
    this.jobs = jobs;
    this.bootstrap = bootstrap;
  }

  /** Points this process's gauges at a farm (registering them the first time). */
  public static synchronized void attach(JobStates jobs, String bootstrap) {
    NodeMetrics previous = current.getAndSet(new NodeMetrics(jobs, bootstrap));
    if (previous != null) {
      previous.close();
    }
    if (registered) {
      return;
    }
    registered = true;
    FarmMetrics.registerJvm();
    GaugeWithCallback.builder()
        .name("actorfarm_jobs")
        .help("Jobs the farm knows, by state")
        .labelNames("state")
        .callback(
            cb -> {
              NodeMetrics m = current.get();
              if (m == null) {
                return;
              }
              Map<JobState, Integer> counts = new EnumMap<>(JobState.class);
              for (JobState s : JobState.values()) {
                if (s != JobState.JOB_STATE_UNKNOWN && s != JobState.UNRECOGNIZED) {
                  counts.put(s, 0);
                }
              }
              m.jobs.all().values().forEach(s -> counts.merge(s.state(), 1, Integer::sum));
              counts.forEach((s, n) -> cb.call(n, s.name()));
            })
        .register();
    GaugeWithCallback.builder()
        .name("actorfarm_consumer_lag_records")
        .help("Records not yet consumed, per farm consumer group and topic")
        .labelNames("group", "topic")
        .callback(
            cb -> {
              NodeMetrics m = current.get();
              if (m != null) {
                m.lag().forEach((k, v) -> cb.call(v, k.get(0), k.get(1)));
              }
            })
        .register();
  }

  /** Detaches a farm that stops (its gauges report nothing until the next attach). */
  public static synchronized void detach(JobStates jobs) {
    NodeMetrics m = current.get();
    if (m != null && m.jobs == jobs) {
      current.set(null);
      m.close();
    }
  }

  /** The lag per (group, topic), read from the broker at most every 5 s. */
  private synchronized Map<List<String>, Long> lag() {
    long now = System.currentTimeMillis();
    if (now - lagReadMs < 5000) {
      return lag;
    }
    lagReadMs = now;
    try {
      if (admin == null) {
        admin =
            Admin.create(
                dev.actorfarm.runtime.kafka.KafkaClients.with(
                    Map.of(
                        AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                        AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 4000,
                        AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 3000)));
      }
      Map<List<String>, Long> out = new HashMap<>();
      List<String> groups =
          admin.listConsumerGroups().all().get(4, TimeUnit.SECONDS).stream()
              .map(ConsumerGroupListing::groupId)
              .toList();
      var described = admin.describeConsumerGroups(groups).all().get(4, TimeUnit.SECONDS);
      for (String group : groups) {
        Map<TopicPartition, OffsetAndMetadata> committed =
            admin
                .listConsumerGroupOffsets(group)
                .partitionsToOffsetAndMetadata()
                .get(4, TimeUnit.SECONDS);
        // The partitions the group reads: those it committed, and those assigned to its members
        // that have not committed yet (their lag is everything since the beginning).
        java.util.Set<TopicPartition> partitions = new java.util.HashSet<>(committed.keySet());
        var description = described.get(group);
        if (description != null) {
          description.members().forEach(m -> partitions.addAll(m.assignment().topicPartitions()));
        }
        if (partitions.isEmpty()) {
          continue;
        }
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        Map<TopicPartition, OffsetSpec> earliest = new HashMap<>();
        partitions.forEach(
            tp -> {
              latest.put(tp, OffsetSpec.latest());
              earliest.put(tp, OffsetSpec.earliest());
            });
        var ends = admin.listOffsets(latest).all().get(4, TimeUnit.SECONDS);
        var starts = admin.listOffsets(earliest).all().get(4, TimeUnit.SECONDS);
        for (TopicPartition tp : partitions) {
          var end = ends.get(tp);
          if (end == null) {
            continue;
          }
          OffsetAndMetadata off = committed.get(tp);
          long from = off != null ? off.offset() : starts.get(tp).offset();
          out.merge(List.of(group, tp.topic()), Math.max(0, end.offset() - from), Long::sum);
        }
      }
      lag = out;
    } catch (Exception e) {
      log.debug("Cannot read consumer lag: {}", e.toString());
    }
    return lag;
  }

  private synchronized void close() {
    if (admin != null) {
      admin.close(java.time.Duration.ofSeconds(2));
      admin = null;
    }
  }
}
