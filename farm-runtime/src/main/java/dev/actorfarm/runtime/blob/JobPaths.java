package dev.actorfarm.runtime.blob;

/**
 * Where a job's files live in the blob store: every path is a pure function of the job id (and the
 * window index), so a redelivered record finds the effect of its first delivery, and cancelling a
 * job removes one folder.
 */
public final class JobPaths {

  private JobPaths() {}

  /** The folder of everything the farm made for the job. */
  public static String folder(String jobId) {
    return "jobs/" + jobId;
  }

  /** The folder of the job's rendered segments. */
  public static String segments(String jobId) {
    return folder(jobId) + "/segments";
  }

  /** The rendered segment of a window. */
  public static String segment(String jobId, int windowIndex) {
    return String.format("%s/%06d.mp4", segments(jobId), windowIndex);
  }

  /** The generated motion of a window, parked until it is admitted to render. */
  public static String motion(String jobId, int windowIndex) {
    return String.format("%s/motion/%06d.pb", folder(jobId), windowIndex);
  }

  /** The final video. */
  public static String output(String jobId) {
    return folder(jobId) + "/output.mp4";
  }
}
