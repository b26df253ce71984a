package dev.actorfarm.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.actorfarm.protocol.Topic;
import dev.actorfarm.protocol.Topics;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The manifests of {@code k8s/}, built per kustomization (base and every overlay), parsed into the
 * Kubernetes API model (fabric8) with no field the model does not know and no value of the wrong
 * type; the Strimzi and KEDA resources checked for their required fields; and the references
 * between them (selectors, ports, volumes, secrets, topics, consumer groups) checked to meet.
 */
class ManifestsTest {

  static final Path K8S = Path.of(".").toAbsolutePath().normalize();
  static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

  /** Secrets the manifests name that someone else creates: Strimzi, or the operator of the farm. */
  static final Set<String> EXTERNAL_SECRETS =
      Set.of(
          "actorfarm", // Strimzi's user operator, for KafkaUser actorfarm
          "actorfarm-cluster-ca-cert", // Strimzi's cluster CA
          "actorfarm-api-token", // optional; created by the operator of the farm
          "actorfarm-juicefs", // the s3-blobs overlay's bucket credentials
          "actorfarm-api-tls"); // cert-manager, for the Ingress

  /** The coordinated shutdown's drain phase (actorfarm.conf, service-requests-done). */
  static final int DRAIN_SECONDS = 120;

  /** The metrics the farm exports (see FarmMetrics and NodeMetrics). */
  static final Set<String> METRICS =
      Set.of(
          "actorfarm_stage_items_in_total",
          "actorfarm_stage_items_out_total",
          "actorfarm_stage_items_in_progress",
          "actorfarm_inference_duration_seconds",
          "actorfarm_encode_duration_seconds",
          "actorfarm_window_end_to_end_duration_seconds",
          "actorfarm_frames_rendered_total",
          "actorfarm_audio_processed_seconds_total",
          "actorfarm_retries_total",
          "actorfarm_dead_letters_total",
          "actorfarm_consumer_lag_records",
          "actorfarm_jobs");

  record Built(List<ObjectNode> raw, List<HasMetadata> typed) {
    <T extends HasMetadata> List<T> all(Class<T> type) {
      return typed.stream().filter(type::isInstance).map(type::cast).toList();
    }

    List<GenericKubernetesResource> custom(String kind) {
      return all(GenericKubernetesResource.class).stream()
          .filter(r -> r.getKind().equals(kind))
          .toList();
    }

    <T extends HasMetadata> T one(Class<T> type, String name) {
      return all(type).stream()
          .filter(r -> r.getMetadata().getName().equals(name))
          .findFirst()
          .orElseThrow(() -> new AssertionError("no " + type.getSimpleName() + " " + name));
    }

    GenericKubernetesResource one(String kind, String name) {
      return custom(kind).stream()
          .filter(r -> r.getMetadata().getName().equals(name))
          .findFirst()
          .orElseThrow(() -> new AssertionError("no " + kind + " " + name));
    }
  }

  static Built build(String dir) throws Exception {
    List<ObjectNode> raw = Kustomization.build(K8S.resolve(dir));
    List<HasMetadata> typed = new ArrayList<>();
    for (ObjectNode doc : raw) {
      String where =
          dir + ": " + doc.path("kind").asText() + " " + doc.path("metadata").path("name").asText();
      Object parsed = SERIALIZATION.unmarshal(Kustomization.JSON.writeValueAsString(doc));
      assertThat(parsed).as(where).isInstanceOf(HasMetadata.class);
      List<String> unknown = new ArrayList<>();
      unknownFields(parsed, "", unknown, new IdentityHashMap<>());
      assertThat(unknown).as(where + ": fields the Kubernetes model does not know").isEmpty();
      typed.add((HasMetadata) parsed);
    }
    return new Built(raw, typed);
  }

  @ParameterizedTest
  @ValueSource(strings = {"base", "overlays/dev", "overlays/gpu", "overlays/s3-blobs"})
  void everyManifestIsValidAgainstTheKubernetesModel(String dir) throws Exception {
    Built b = build(dir);
    Set<String> core =
        Set.of(
            "Namespace",
            "ServiceAccount",
            "Role",
            "RoleBinding",
            "ConfigMap",
            "Secret",
            "PersistentVolumeClaim",
            "PersistentVolume",
            "Deployment",
            "Service",
            "PodDisruptionBudget",
            "Ingress");
    for (HasMetadata r : b.typed()) {
      assertThat(r.getMetadata().getName()).as("a name").isNotBlank();
      if (core.contains(r.getKind())) {
        assertThat(r)
            .as(r.getKind() + " is parsed into its model class")
            .isNotInstanceOf(GenericKubernetesResource.class);
      }
      if (!r.getKind().equals("Namespace") && !r.getKind().equals("PersistentVolume")) {
        assertThat(r.getMetadata().getNamespace())
            .as(r.getKind() + " namespace")
            .isEqualTo("actorfarm");
      }
    }
    Set<String> kinds = new HashSet<>();
    b.typed().forEach(r -> kinds.add(r.getKind()));
    assertThat(kinds)
        .contains(
            "Kafka",
            "KafkaNodePool",
            "KafkaTopic",
            "KafkaUser",
            "Deployment",
            "ScaledObject",
            "PodDisruptionBudget",
            "PodMonitor",
            "Role",
            "RoleBinding",
            "ServiceAccount",
            "PersistentVolumeClaim");
    checkDeployments(b, dir);
    checkStrimzi(b);
    checkKeda(b);
    checkDisruptionBudgetsAndServices(b);
    checkReferences(b);
  }

  /** One image for every role; the role in the arguments; probes, resources, drain. */
  void checkDeployments(Built b, String dir) {
    List<Deployment> deployments = b.all(Deployment.class);
    assertThat(deployments)
        .extracting(d -> d.getMetadata().getName())
        .containsExactlyInAnyOrder(
            "actorfarm-api", "actorfarm-audio", "actorfarm-cluster", "actorfarm-render");
    Set<String> images = new HashSet<>();
    for (Deployment d : deployments) {
      String name = d.getMetadata().getName();
      var selector = d.getSpec().getSelector().getMatchLabels();
      assertThat(d.getSpec().getTemplate().getMetadata().getLabels())
          .as(name + ": the selector matches the pod labels")
          .containsAllEntriesOf(selector);
      PodSpec pod = d.getSpec().getTemplate().getSpec();
      assertThat(pod.getServiceAccountName()).isEqualTo("actorfarm");
      assertThat(pod.getContainers()).hasSize(1);
      Container c = pod.getContainers().get(0);
      images.add(c.getImage());
      assertThat(c.getArgs()).as(name + " args").isNotEmpty();
      assertThat(c.getArgs().get(0)).isIn("serve", "node");
      assertThat(c.getResources().getRequests())
          .as(name + " requests")
          .containsKeys("cpu", "memory");
      assertThat(c.getResources().getLimits()).as(name + " limits").containsKey("memory");
      Set<String> ports = new HashSet<>();
      for (ContainerPort p : c.getPorts()) {
        ports.add(p.getName());
      }
      for (Probe probe :
          Stream.of(c.getReadinessProbe(), c.getLivenessProbe(), c.getStartupProbe()).toList()) {
        assertThat(probe).as(name + ": readiness, liveness and startup probes").isNotNull();
        assertThat(ports)
            .as(name + ": a probe's port")
            .contains(probe.getHttpGet().getPort().getStrVal());
      }
      Set<String> volumes = new HashSet<>();
      for (Volume v : pod.getVolumes()) {
        volumes.add(v.getName());
      }
      c.getVolumeMounts()
          .forEach(m -> assertThat(volumes).as(name + ": mounted volume").contains(m.getName()));
      assertThat(c.getVolumeMounts())
          .as(name + ": the shared blob store")
          .anyMatch(m -> m.getMountPath().equals("/blobs"));
      if (!c.getArgs().get(0).equals("serve")) {
        // preStop drains the node over its management port, within the grace period.
        assertThat(c.getLifecycle().getPreStop().getHttpGet().getPath()).isEqualTo("/drain");
        assertThat(ports)
            .contains(c.getLifecycle().getPreStop().getHttpGet().getPort().getStrVal());
        assertThat(pod.getTerminationGracePeriodSeconds()).isGreaterThanOrEqualTo(DRAIN_SECONDS);
        assertThat(c.getArgs()).contains("--management-port", "8558");
      }
    }
    assertThat(images).as("one image for every role").hasSize(1);

    Deployment render = b.one(Deployment.class, "actorfarm-render");
    PodSpec pod = render.getSpec().getTemplate().getSpec();
    Container c = pod.getContainers().get(0);
    assertThat(c.getArgs()).containsSequence("--roles", "render");
    assertThat(pod.getTerminationGracePeriodSeconds())
        .as("a window plus the drain fit in the grace period")
        .isGreaterThan(DRAIN_SECONDS + 60);
    if (!dir.equals("overlays/dev")) {
      assertThat(c.getResources().getLimits()).containsEntry("nvidia.com/gpu", new Quantity("1"));
      assertThat(c.getResources().getRequests()).containsEntry("nvidia.com/gpu", new Quantity("1"));
      assertThat(pod.getTolerations()).anyMatch(t -> "nvidia.com/gpu".equals(t.getKey()));
      assertThat(pod.getNodeSelector()).containsKey("nvidia.com/gpu.present");
      assertThat(env(c, "ACTORFARM_EXECUTION_PROVIDER")).isEqualTo("cuda");
      assertThat(env(c, "ACTORFARM_VIDEO_CODEC")).isEqualTo("h264_nvenc");
    } else {
      assertThat(c.getResources().getLimits()).doesNotContainKey("nvidia.com/gpu");
      assertThat(pod.getNodeSelector()).isNullOrEmpty();
      assertThat(env(c, "ACTORFARM_EXECUTION_PROVIDER")).isEqualTo("cpu");
      assertThat(env(c, "ACTORFARM_VIDEO_CODEC")).isEqualTo("libopenh264");
    }
    assertThat(env(c, "ACTORFARM_POD_DELETION_COST")).isEqualTo("true");

    // Motion and mux: the Pekko cluster found through the Kubernetes API (kubernetes.conf looks
    // for pods labelled component=cluster), with the RBAC to list pods.
    Deployment cluster = b.one(Deployment.class, "actorfarm-cluster");
    assertThat(cluster.getSpec().getTemplate().getMetadata().getLabels())
        .containsEntry("app.kubernetes.io/component", "cluster")
        .containsEntry("app.kubernetes.io/part-of", "actorfarm");
    Container cc = cluster.getSpec().getTemplate().getSpec().getContainers().get(0);
    assertThat(cc.getArgs()).containsSequence("--roles", "motion,mux");
    assertThat(cc.getPorts()).extracting(ContainerPort::getContainerPort).contains(25520, 7626);
    assertThat(cc.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/ready");
    Role role = b.one(Role.class, "actorfarm-pods");
    assertThat(role.getRules())
        .anyMatch(
            r ->
                r.getResources().contains("pods")
                    && r.getVerbs().containsAll(List.of("get", "watch", "list", "patch")));
    b.one(ServiceAccount.class, "actorfarm");
    ConfigMap config = b.one(ConfigMap.class, "actorfarm-config");
    assertThat(config.getData()).containsEntry("ACTORFARM_PROFILE", "kubernetes");
    int contactPoints = Integer.parseInt(config.getData().get("ACTORFARM_REQUIRED_CONTACT_POINTS"));
    assertThat(contactPoints)
        .as("Cluster Bootstrap can gather its contact points")
        .isBetween(1, cluster.getSpec().getReplicas());
    assertThat(cluster.getSpec().getReplicas() % 2).as("an odd number for keep-majority").isOne();
  }

  /** Kafka in KRaft mode with node pools; topics equal to the farm's; the user and its ACLs. */
  void checkStrimzi(Built b) {
    GenericKubernetesResource kafka = b.one("Kafka", "actorfarm");
    assertThat(kafka.getApiVersion()).isEqualTo("kafka.strimzi.io/v1beta2");
    assertThat(kafka.getMetadata().getAnnotations())
        .containsEntry("strimzi.io/kraft", "enabled")
        .containsEntry("strimzi.io/node-pools", "enabled");
    JsonNode spec = node(kafka).get("spec");
    assertThat(spec.has("zookeeper")).as("no ZooKeeper in KRaft mode").isFalse();
    JsonNode listeners = spec.path("kafka").path("listeners");
    assertThat(listeners.size()).isPositive();
    for (JsonNode l : listeners) {
      assertThat(
              l.hasNonNull("name") && l.hasNonNull("port") && l.hasNonNull("type") && l.has("tls"))
          .as("listener name, port, type and tls")
          .isTrue();
    }
    JsonNode tls = listeners.get(0);
    assertThat(tls.path("authentication").path("type").asText()).isEqualTo("scram-sha-512");
    assertThat(spec.path("entityOperator").has("topicOperator")).isTrue();
    assertThat(spec.path("entityOperator").has("userOperator")).isTrue();
    int minIsr = spec.path("kafka").path("config").path("min.insync.replicas").asInt();

    List<GenericKubernetesResource> pools = b.custom("KafkaNodePool");
    assertThat(pools).isNotEmpty();
    Set<String> roles = new HashSet<>();
    int brokers = 0;
    for (GenericKubernetesResource p : pools) {
      assertThat(p.getMetadata().getLabels()).containsEntry("strimzi.io/cluster", "actorfarm");
      JsonNode ps = node(p).get("spec");
      assertThat(ps.path("replicas").asInt()).isPositive();
      assertThat(ps.path("storage").path("type").asText())
          .isIn("jbod", "persistent-claim", "ephemeral");
      ps.path("roles").forEach(r -> roles.add(r.asText()));
      if (ps.path("roles").toString().contains("broker")) {
        brokers += ps.path("replicas").asInt();
      }
    }
    assertThat(roles).containsExactlyInAnyOrder("controller", "broker");
    assertThat(minIsr).isBetween(1, brokers);

    Map<String, JsonNode> topics = new HashMap<>();
    for (GenericKubernetesResource t : b.custom("KafkaTopic")) {
      assertThat(t.getMetadata().getLabels()).containsEntry("strimzi.io/cluster", "actorfarm");
      JsonNode ts = node(t).get("spec");
      topics.put(ts.path("topicName").asText(t.getMetadata().getName()), ts);
      assertThat(ts.path("replicas").asInt()).isBetween(1, brokers);
      assertThat(ts.path("config").path("min.insync.replicas").asInt())
          .isBetween(1, ts.path("replicas").asInt());
    }
    assertThat(topics.keySet())
        .as("a KafkaTopic per farm topic")
        .containsExactlyInAnyOrderElementsOf(Topics.ALL.stream().map(Topic::name).toList());
    int work = topics.get(Topics.MOTION_WINDOWS.name()).path("partitions").asInt();
    for (Topic<?> t : Topics.ALL) {
      JsonNode ts = topics.get(t.name());
      assertThat(ts.path("partitions").asInt())
          .as(t.name() + " partitions")
          .isEqualTo(t.partitions() == 1 ? 1 : work);
      assertThat(ts.path("config").path("cleanup.policy").asText())
          .as(t.name() + " cleanup policy")
          .isEqualTo(t.compacted() ? "compact" : "delete");
    }

    GenericKubernetesResource user = b.one("KafkaUser", "actorfarm");
    assertThat(user.getMetadata().getLabels()).containsEntry("strimzi.io/cluster", "actorfarm");
    JsonNode us = node(user).get("spec");
    assertThat(us.path("authentication").path("type").asText()).isEqualTo("scram-sha-512");
    assertThat(us.path("authorization").path("acls").toString())
        .contains("\"name\":\"farm.\"")
        .contains("\"patternType\":\"prefix\"");
  }

  /** The render ScaledObject: from zero to one pod per partition, on the render backlog. */
  void checkKeda(Built b) {
    GenericKubernetesResource so = b.one("ScaledObject", "actorfarm-render");
    assertThat(so.getApiVersion()).isEqualTo("keda.sh/v1alpha1");
    JsonNode spec = node(so).get("spec");
    String target = spec.path("scaleTargetRef").path("name").asText();
    Deployment render = b.one(Deployment.class, target);
    assertThat(spec.path("minReplicaCount").asInt(-1)).isZero();
    JsonNode trigger = spec.path("triggers").get(0);
    // The backlog, not the render topic's lag: admission keeps that topic to a few windows per
    // worker, so its lag would never ask for more pods.
    assertThat(trigger.path("type").asText()).isEqualTo("prometheus");
    JsonNode meta = trigger.path("metadata");
    for (String required : List.of("serverAddress", "query", "threshold")) {
      assertThat(meta.hasNonNull(required)).as("prometheus trigger " + required).isTrue();
    }
    // FarmMetrics.BACKLOG_WINDOWS, which ApiTest finds in /metrics
    assertThat(meta.path("query").asText()).contains("actorfarm_render_backlog_windows");
    assertThat(meta.path("query").asText()).matches(".*actorfarm_[a-z_]+_windows.*");
    assertThat(Integer.parseInt(meta.path("threshold").asText())).isPositive();
    assertThat(spec.path("triggers").size()).as("one trigger").isEqualTo(1);
    int partitions =
        b.custom("KafkaTopic").stream()
            .map(t -> node(t).get("spec"))
            .filter(t -> t.path("topicName").asText().equals(Topics.MOTION_WINDOWS.name()))
            .findFirst()
            .orElseThrow()
            .path("partitions")
            .asInt();
    assertThat(spec.path("maxReplicaCount").asInt())
        .as("no more render pods than partitions to read")
        .isBetween(1, partitions);
    int stabilization =
        spec.path("advanced")
            .path("horizontalPodAutoscalerConfig")
            .path("behavior")
            .path("scaleDown")
            .path("stabilizationWindowSeconds")
            .asInt();
    assertThat(stabilization)
        .as("scale-down waits longer than a pod may take to drain")
        .isGreaterThanOrEqualTo(
            render.getSpec().getTemplate().getSpec().getTerminationGracePeriodSeconds().intValue());
  }

  void checkDisruptionBudgetsAndServices(Built b) {
    for (PodDisruptionBudget pdb : b.all(PodDisruptionBudget.class)) {
      var labels = pdb.getSpec().getSelector().getMatchLabels();
      assertThat(b.all(Deployment.class))
          .as(pdb.getMetadata().getName() + " selects a Deployment's pods")
          .anyMatch(
              d ->
                  d.getSpec()
                      .getTemplate()
                      .getMetadata()
                      .getLabels()
                      .entrySet()
                      .containsAll(labels.entrySet()));
      assertThat(
              pdb.getSpec().getMinAvailable() != null || pdb.getSpec().getMaxUnavailable() != null)
          .isTrue();
    }
    assertThat(b.all(PodDisruptionBudget.class))
        .extracting(p -> p.getMetadata().getName())
        .contains("actorfarm-cluster", "actorfarm-render", "actorfarm-api");
    for (Service s : b.all(Service.class)) {
      Deployment d =
          b.all(Deployment.class).stream()
              .filter(
                  x ->
                      x.getSpec()
                          .getTemplate()
                          .getMetadata()
                          .getLabels()
                          .entrySet()
                          .containsAll(s.getSpec().getSelector().entrySet()))
              .findFirst()
              .orElseThrow(
                  () -> new AssertionError(s.getMetadata().getName() + " selects no pods"));
      Set<String> ports = new HashSet<>();
      d.getSpec()
          .getTemplate()
          .getSpec()
          .getContainers()
          .get(0)
          .getPorts()
          .forEach(p -> ports.add(p.getName()));
      s.getSpec()
          .getPorts()
          .forEach(p -> assertThat(ports).contains(p.getTargetPort().getStrVal()));
    }
    GenericKubernetesResource monitor = b.one("PodMonitor", "actorfarm");
    for (JsonNode e : node(monitor).path("spec").path("podMetricsEndpoints")) {
      assertThat(e.path("path").asText()).isEqualTo("/metrics");
    }
  }

  /** Secrets and config maps the pods use exist in the manifests or are created by others. */
  void checkReferences(Built b) throws Exception {
    for (Deployment d : b.all(Deployment.class)) {
      PodSpec pod = d.getSpec().getTemplate().getSpec();
      for (Volume v : pod.getVolumes()) {
        if (v.getSecret() != null) {
          assertSecretExists(b, v.getSecret().getSecretName());
        }
        if (v.getPersistentVolumeClaim() != null) {
          assertThat(b.typed())
              .anyMatch(
                  r ->
                      r.getKind().equals("PersistentVolumeClaim")
                          && r.getMetadata()
                              .getName()
                              .equals(v.getPersistentVolumeClaim().getClaimName()));
        }
      }
      for (var e : pod.getContainers().get(0).getEnv()) {
        if (e.getValueFrom() != null && e.getValueFrom().getSecretKeyRef() != null) {
          assertSecretExists(b, e.getValueFrom().getSecretKeyRef().getName());
        }
      }
      pod.getContainers()
          .get(0)
          .getEnvFrom()
          .forEach(ef -> b.one(ConfigMap.class, ef.getConfigMapRef().getName()));
    }
    ConfigMap dashboard = b.one(ConfigMap.class, "actorfarm-grafana-dashboard");
    assertThat(dashboard.getMetadata().getLabels()).containsEntry("grafana_dashboard", "1");
    JsonNode json = Kustomization.JSON.readTree(dashboard.getData().get("actorfarm.json"));
    assertThat(json.path("panels").size()).isPositive();
    Set<String> used = new HashSet<>();
    Matcher m = Pattern.compile("actorfarm_[a-z_]+").matcher(json.toString());
    while (m.find()) {
      used.add(m.group().replaceAll("_(bucket|count|sum)$", ""));
    }
    assertThat(METRICS).as("the dashboard charts only metrics the farm exports").containsAll(used);
    assertThat(used).as("the dashboard charts every farm metric").containsAll(METRICS);
  }

  private static void assertSecretExists(Built b, String name) {
    boolean inManifests =
        b.all(Secret.class).stream().anyMatch(s -> s.getMetadata().getName().equals(name));
    assertThat(inManifests || EXTERNAL_SECRETS.contains(name))
        .as("secret " + name + " is in the manifests or made by Strimzi/the operator")
        .isTrue();
  }

  private static String env(Container c, String name) {
    return c.getEnv().stream()
        .filter(e -> e.getName().equals(name))
        .map(e -> e.getValue())
        .findFirst()
        .orElse(null);
  }

  private static JsonNode node(GenericKubernetesResource r) {
    return Kustomization.JSON.valueToTree(r);
  }

  /**
   * Collects the paths of fields the model put into an {@code additionalProperties} map: a field
   * the Kubernetes API does not have, or a value of the wrong type. Custom resources (generic by
   * nature) are skipped.
   */
  static void unknownFields(Object o, String path, List<String> out, Map<Object, Boolean> seen)
      throws Exception {
    if (o == null || seen.put(o, true) != null || o instanceof GenericKubernetesResource) {
      return;
    }
    if (o instanceof Collection<?> c) {
      int i = 0;
      for (Object e : c) {
        unknownFields(e, path + "[" + i++ + "]", out, seen);
      }
      return;
    }
    if (o instanceof Map<?, ?> map) {
      for (var e : map.entrySet()) {
        unknownFields(e.getValue(), path + "." + e.getKey(), out, seen);
      }
      return;
    }
    if (!o.getClass().getName().startsWith("io.fabric8.kubernetes.api.model")) {
      return;
    }
    for (Method g : o.getClass().getMethods()) {
      if (g.getParameterCount() != 0
          || Modifier.isStatic(g.getModifiers())
          || !g.getName().startsWith("get")
          || g.getDeclaringClass() == Object.class) {
        continue;
      }
      Object v = g.invoke(o);
      if (g.getName().equals("getAdditionalProperties")) {
        if (v instanceof Map<?, ?> extra && !extra.isEmpty()) {
          out.add(path + " " + extra.keySet());
        }
        continue;
      }
      if (v != null
          && !(v instanceof String)
          && !v.getClass().isPrimitive()
          && !(v instanceof Number)
          && !(v instanceof Boolean)
          && !v.getClass().isEnum()) {
        unknownFields(v, path + "." + g.getName().substring(3), out, seen);
      }
    }
  }

  @org.junit.jupiter.api.Test
  void everyYamlFileIsUsedByAKustomization() throws Exception {
    Set<Path> referenced = new HashSet<>();
    try (Stream<Path> files = Files.walk(K8S)) {
      for (Path k :
          files.filter(p -> p.getFileName().toString().equals("kustomization.yaml")).toList()) {
        JsonNode n = Kustomization.YAML.readTree(k.toFile());
        n.path("resources")
            .forEach(r -> referenced.add(k.getParent().resolve(r.asText()).normalize()));
        n.path("patches")
            .forEach(
                p -> referenced.add(k.getParent().resolve(p.get("path").asText()).normalize()));
      }
    }
    try (Stream<Path> files = Files.walk(K8S)) {
      List<Path> yaml =
          files
              .filter(
                  p ->
                      p.toString().endsWith(".yaml")
                          && !p.getFileName().toString().equals("kustomization.yaml"))
              .filter(p -> !p.startsWith(K8S.resolve("target")))
              .toList();
      assertThat(yaml).isNotEmpty();
      assertThat(referenced).as("every manifest is part of a kustomization").containsAll(yaml);
    }
  }
}
