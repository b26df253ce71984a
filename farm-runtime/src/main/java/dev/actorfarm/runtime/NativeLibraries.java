package dev.actorfarm.runtime;

/**
 * How JavaCPP loads the farm's OpenCV and FFmpeg libraries, set at a process's start, before the
 * first of their classes loads.
 *
 * <p>The farm ships JavaCV's plain {@code linux-x86_64} builds only; its GPU work goes through ONNX
 * Runtime's CUDA provider, never through OpenCV's CUDA modules. With no platform extension named,
 * JavaCPP also tries each library's {@code -gpu} variant: for {@code opencv_core}, some 25 CUDA
 * libraries (cudart, cudnn, npp...) that are not there, each looked up in every jar of the class
 * path (about 140) under three file names. That was 0.6 s of CPU in every start: {@code
 * opencv_core} took 0.96 s to load, and takes 0.31 s with the extension named. An operator's own
 * {@code -Dorg.bytedeco.javacpp.platform.extension} wins (say, {@code -gpu} with OpenCV's {@code
 * -gpu} jars added).
 */
public final class NativeLibraries {

  /** JavaCPP's system property for the variant of the native builds to load. */
  public static final String EXTENSION_PROPERTY = "org.bytedeco.javacpp.platform.extension";

  /**
   * The farm's variant: a name no JavaCPP preset gives its extra builds, so that only the plain
   * builds match.
   */
  public static final String PLAIN_BUILDS = "-cpu";

  private NativeLibraries() {}

  /** Names the plain builds, unless the process was told otherwise. */
  public static void configure() {
    if (System.getProperty(EXTENSION_PROPERTY) == null) {
      System.setProperty(EXTENSION_PROPERTY, PLAIN_BUILDS);
    }
  }
}
