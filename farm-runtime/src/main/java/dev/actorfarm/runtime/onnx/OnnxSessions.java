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

  private static final Logger log = LoggerFactory.getLogger(OnnxSessions.class);
  private static final AtomicBoolean cudaFallbackLogged = new AtomicBoolean();

  private OnnxSessions() {}

  /** The process-wide ORT environment. */
  public static OrtEnvironment environment() {
    return OrtEnvironment.getEnvironment();
  }

  /** Opens {@code model} with {@code executionProvider} ("cpu" or "cuda"). */
  public static OrtSession open(Path model, String executionProvider, int intraOpThreads)
      throws OrtException {
    SessionOptions options = new SessionOptions();
    options.setIntraOpNumThreads(intraOpThreads);
    options.setInterOpNumThreads(1);
    options.setOptimizationLevel(SessionOptions.OptLevel.ALL_OPT);
    if ("cuda".equalsIgnoreCase(executionProvider)) {
      try {
        options.addCUDA(0);
        log.info("ONNX session {} uses the CUDA execution provider", model.getFileName());
      } catch (OrtException | UnsatisfiedLinkError | IllegalArgumentException e) {
        if (cudaFallbackLogged.compareAndSet(false, true)) {
          log.warn("CUDA execution provider unavailable ({}); running on the CPU", e.getMessage());
        }
      }
    } else if (!"cpu".equalsIgnoreCase(executionProvider)) {
      throw new IllegalArgumentException(
          "unknown execution provider '" + executionProvider + "' (expected cpu or cuda)");
    }
    return environment().createSession(model.toString(), options);
  }
}
