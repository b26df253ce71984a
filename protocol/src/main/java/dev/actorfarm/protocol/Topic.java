package dev.actorfarm.protocol;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.Parser;

/**
 * One Kafka topic of the farm: its name, what its keys and values are, how many partitions it has
 * and how it is cleaned up.
 *
 * @param name topic name, always {@code farm.<thing>}
 * @param key what the record key is
 * @param valueParser parser of the protobuf value
 * @param partitions partition count created by the farm (a cluster may have more)
 * @param compacted true for state topics (cleanup.policy=compact), false for event streams
 */
public record Topic<V extends Message>(
    String name, KeyKind key, Parser<V> valueParser, int partitions, boolean compacted) {

  /** What a topic's record key is. */
  public enum KeyKind {
    /** The job id: all of a job's records in one partition, in order. */
    JOB_ID,
    /** {@code jobId/windowIndex}: a job's windows spread over the partitions. */
    JOB_WINDOW,
    /** A fixed name per record kind (a farm-wide state record, such as the render schedule). */
    FIXED
  }

  /** Parses a record value; the caller dead-letters the record on failure. */
  public V parse(byte[] value) throws InvalidProtocolBufferException {
    if (value == null) {
      throw new InvalidProtocolBufferException("record has no value");
    }
    return valueParser.parseFrom(value);
  }

  /** The key of a job-keyed record. */
  public static String jobKey(String jobId) {
    return jobId;
  }

  /** The key of a window record: spreads a job's windows over the partitions. */
  public static String windowKey(String jobId, int windowIndex) {
    return jobId + "/" + windowIndex;
  }
}
