package dev.actorfarm.launcher.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;

/** Jobs as the API shows them in JSON. */
final class JobViews {

  private static final ObjectMapper JSON = new ObjectMapper();

  private JobViews() {}

  /** A job as JSON. */
  static ObjectNode view(JobService.JobView j) {
    ObjectNode o = JSON.createObjectNode();
    o.put("id", j.id());
    o.put("state", j.state().name());
    o.put("progress", Math.round(j.progress() * 10000) / 10000.0);
    o.put("frames_done", j.framesDone());
    o.put("total_frames", j.totalFrames());
    if (j.etaSeconds() == null) {
      o.putNull("eta_seconds");
    } else {
      o.put("eta_seconds", Math.round(j.etaSeconds() * 10) / 10.0);
    }
    if (j.error() == null) {
      o.putNull("error");
    } else {
      o.put("error", j.error());
    }
    o.put("priority", j.priority());
    o.put("paused", j.paused());
    o.put("max_workers", j.maxWorkers());
    if (j.share() == null) {
      o.putNull("share");
    } else {
      o.put("share", Math.round(j.share() * 1000) / 1000.0);
    }
    o.put("windows_waiting", j.windowsWaiting());
    o.put("windows_in_render", j.windowsInRender());
    o.put("submitted_at", Instant.ofEpochMilli(j.submittedMs()).toString());
    o.put("updated_at", Instant.ofEpochMilli(j.updatedMs()).toString());
    o.put("preview_url", "/jobs/" + j.id() + "/preview/index.m3u8");
    if (j.outputReady()) {
      o.put("output_url", "/jobs/" + j.id() + "/output");
    } else {
      o.putNull("output_url");
    }
    return o;
  }
}
