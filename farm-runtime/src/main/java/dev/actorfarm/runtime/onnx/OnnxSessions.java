package dev.actorfarm.runtime.onnx;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.OrtSession.SessionOptions;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens ONNX Runtime sessions the farm's way: one intra-op thread by default, the CUDA execution
 * provider when asked for, and a fall back to the CPU with one log line when CUDA is not available
 * in this build or on this node.
 */
public final class OnnxSessions {

  private static final AtomicBoolean cudaFallbackLogged = new AtomicBoolean();

  private OnnxSessions() {}

  /**
   * The process-wide ORT environment, logging errors only: the graph optimiser's notes (unused
   * initialisers removed, ...) are not the user's business.
   */
  public static OrtEnvironment environment() {
    return OrtEnvironment.getEnvironment(
        ai.onnxruntime.OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR, "actorfarm");
  }

  /** Opens {@code model} with {@code executionProvider} ("cpu" or "cuda"). */
  public static OrtSession open(Path model, String executionProvider, int intraOpThreads)
      throws OrtException {
    SessionOptions options = new SessionOptions();
    options.setIntraOpNumThreads(intraOpThreads);
    options.setInterOpNumThreads(1);
    options.setOptimizationLevel(SessionOptions.OptLevel.ALL_OPT);
    options.setSessionLogLevel(ai.onnxruntime.OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR);
    if ("cuda".equalsIgnoreCase(executionProvider)) {
      String refusal = cudaRefusal(environment().getVersion(), model);
      if (refusal != null) {
        throw new OrtException(refusal);
      }
      try {
        options.addCUDA(0);
        log().info("ONNX session {} uses the CUDA execution provider", model.getFileName());
      } catch (OrtException | UnsatisfiedLinkError | IllegalArgumentException e) {
        if (cudaFallbackLogged.compareAndSet(false, true)) {
          log()
              .warn("CUDA execution provider unavailable ({}); running on the CPU", e.getMessage());
        }
      }
    } else if (!"cpu".equalsIgnoreCase(executionProvider)) {
      throw new IllegalArgumentException(
          "unknown execution provider '" + executionProvider + "' (expected cpu or cuda)");
    }
    return environment().createSession(model.toString(), options);
  }

  /**
   * The logger, obtained when first used: the CLI checks its inputs (face detection included)
   * before it tells the logging where the job's log file goes, and a logger made when this class
   * loads would set the logging up too early.
   */
  private static Logger log() {
    return LoggerFactory.getLogger(OnnxSessions.class);
  }

  /** The first ONNX Runtime release whose CUDA provider runs 5-D GridSample (opset 20). */
  static final int[] CUDA_GRID_SAMPLE_5D = {1, 25};

  /**
   * Why ONNX Runtime {@code version}'s CUDA provider must not open {@code model}, or null. Releases
   * before {@link #CUDA_GRID_SAMPLE_5D} claim opset-20 GridSample nodes and then fail on 5-D input
   * (LivePortrait's warping_spade) at run time, with no fallback to the CPU.
   */
  static String cudaRefusal(String version, Path model) {
    if (!before(version, CUDA_GRID_SAMPLE_5D)) {
      return null;
    }
    long opset;
    try {
      opset = OnnxModel.opsets(model).getOrDefault("", 0L);
    } catch (java.io.IOException e) {
      return null; // the session's own load reports an unreadable file
    }
    return opset >= 20
        ? model.getFileName()
            + " (opset "
            + opset
            + ") may hold 5-D GridSample, which the CUDA provider of ONNX Runtime "
            + version
            + " cannot run (1.25 or later can); use a newer ONNX Runtime or the cpu provider"
        : null;
  }

  /** True when dotted {@code version} is before {@code major.minor}. */
  static boolean before(String version, int[] majorMinor) {
    String[] p = version.split("[.-]");
    try {
      int major = Integer.parseInt(p[0]);
      int minor = p.length > 1 ? Integer.parseInt(p[1]) : 0;
      return major < majorMinor[0] || (major == majorMinor[0] && minor < majorMinor[1]);
    } catch (NumberFormatException e) {
      return false;
    }
  }
}
