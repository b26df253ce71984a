package dev.actorfarm.protocol;

import java.util.UUID;

/** Builds the common {@link Header} of every event. */
public final class Headers {

  /** The wire schema version this build writes. */
  public static final int SCHEMA_VERSION = 1;

  private Headers() {}

  /** A fresh header for an event of {@code type} about {@code jobId}, caused by {@code cause}. */
  public static Header create(String type, String jobId, String source, String correlationId) {
    return Header.newBuilder()
        .setEventId(UUID.randomUUID().toString())
        .setType(type)
        .setTimestampMs(System.currentTimeMillis())
        .setSource(source)
        .setJobId(jobId)
        .setCorrelationId(correlationId == null ? "" : correlationId)
        .setSchemaVersion(SCHEMA_VERSION)
        .build();
  }
}
