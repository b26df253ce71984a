package dev.actorfarm.k8s;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import io.fabric8.zjsonpatch.JsonPatch;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Builds a kustomization the way {@code kubectl kustomize} does, for the features the farm's
 * manifests use and nothing more: resources (files and directories), namespace, labels, images,
 * configMapGenerator (files), and JSON 6902 patches with kind/name targets (name as a regular
 * expression). Anything else in a kustomization.yaml is refused, so the manifests cannot drift into
 * features this check would silently skip.
 */
final class Kustomization {

  static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  static final ObjectMapper JSON = new ObjectMapper();
  private static final Set<String> KNOWN =
      Set.of(
          "apiVersion",
          "kind",
          "namespace",
          "labels",
          "resources",
          "images",
          "patches",
          "configMapGenerator");

  /** Kinds that live outside namespaces. */
  private static final Set<String> CLUSTER_SCOPED =
      Set.of("Namespace", "PersistentVolume", "ClusterRole", "ClusterRoleBinding", "StorageClass");

  private Kustomization() {}

  /** The documents of every YAML file under {@code dir}'s kustomization, transformed. */
  static List<ObjectNode> build(Path dir) throws IOException {
    Path file = dir.resolve("kustomization.yaml");
    JsonNode k = YAML.readTree(file.toFile());
    k.fieldNames()
        .forEachRemaining(
            f -> {
              if (!KNOWN.contains(f)) {
                throw new IllegalStateException(file + ": field '" + f + "' is not checked");
              }
            });
    List<ObjectNode> docs = new ArrayList<>();
    for (JsonNode r : k.path("resources")) {
      Path p = dir.resolve(r.asText()).normalize();
      if (Files.isDirectory(p)) {
        docs.addAll(build(p));
      } else if (Files.isRegularFile(p)) {
        docs.addAll(readAll(p));
      } else {
        throw new IllegalStateException(file + ": resource " + r.asText() + " does not exist");
      }
    }
    for (JsonNode g : k.path("configMapGenerator")) {
      ObjectNode cm = JSON.createObjectNode();
      cm.put("apiVersion", "v1");
      cm.put("kind", "ConfigMap");
      ObjectNode meta = cm.putObject("metadata");
      meta.put("name", g.get("name").asText());
      if (g.path("options").has("labels")) {
        meta.set("labels", g.path("options").get("labels").deepCopy());
      }
      ObjectNode data = cm.putObject("data");
      for (JsonNode f : g.path("files")) {
        String[] kv = f.asText().split("=", 2);
        String key = kv.length == 2 ? kv[0] : Path.of(kv[0]).getFileName().toString();
        Path src = dir.resolve(kv.length == 2 ? kv[1] : kv[0]);
        data.put(key, Files.readString(src));
      }
      docs.add(cm);
    }
    for (JsonNode patch : k.path("patches")) {
      JsonNode ops = YAML.readTree(dir.resolve(patch.get("path").asText()).toFile());
      if (!ops.isArray()) {
        throw new IllegalStateException(
            file + ": patch " + patch.get("path").asText() + " is not a JSON 6902 list");
      }
      JsonNode target = patch.get("target");
      String kind = target.path("kind").asText(null);
      Pattern name =
          target.has("name") ? Pattern.compile(target.get("name").asText()) : Pattern.compile(".*");
      int applied = 0;
      for (int i = 0; i < docs.size(); i++) {
        ObjectNode d = docs.get(i);
        if ((kind == null || kind.equals(d.path("kind").asText()))
            && name.matcher(d.path("metadata").path("name").asText()).matches()) {
          docs.set(i, (ObjectNode) JsonPatch.apply(ops, d));
          applied++;
        }
      }
      if (applied == 0) {
        throw new IllegalStateException(
            file + ": patch " + patch.get("path").asText() + " matches no resource");
      }
    }
    String namespace = k.path("namespace").asText(null);
    for (ObjectNode d : docs) {
      ObjectNode meta = (ObjectNode) d.get("metadata");
      if (namespace != null && !CLUSTER_SCOPED.contains(d.path("kind").asText())) {
        meta.put("namespace", namespace);
      }
      for (JsonNode l : k.path("labels")) {
        ObjectNode labels =
            meta.has("labels") ? (ObjectNode) meta.get("labels") : meta.putObject("labels");
        l.path("pairs").properties().forEach(e -> labels.set(e.getKey(), e.getValue()));
      }
      for (JsonNode image : k.path("images")) {
        setImages(d, image);
      }
    }
    return docs;
  }

  /** Every document of a multi-document YAML file. */
  static List<ObjectNode> readAll(Path file) throws IOException {
    List<ObjectNode> out = new ArrayList<>();
    try (YAMLParser parser = new YAMLFactory().createParser(file.toFile())) {
      var it = YAML.readValues(parser, JsonNode.class);
      while (it.hasNext()) {
        JsonNode n = it.next();
        if (n == null || n.isNull() || n.isMissingNode()) {
          continue;
        }
        if (!n.isObject()) {
          throw new IllegalStateException(file + ": a document is not a mapping");
        }
        out.add((ObjectNode) n);
      }
    }
    return out;
  }

  private static void setImages(ObjectNode doc, JsonNode image) {
    JsonNode containers = doc.path("spec").path("template").path("spec").path("containers");
    if (!(containers instanceof ArrayNode list)) {
      return;
    }
    for (JsonNode c : list) {
      String current = c.path("image").asText();
      String bare =
          current.contains(":") ? current.substring(0, current.lastIndexOf(':')) : current;
      if (bare.equals(image.get("name").asText())) {
        String name = image.path("newName").asText(bare);
        String tag = image.path("newTag").asText(null);
        ((ObjectNode) c).put("image", tag == null ? name : name + ":" + tag);
      }
    }
  }
}
