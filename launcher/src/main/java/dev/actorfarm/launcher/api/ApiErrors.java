package dev.actorfarm.launcher.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.UUID;
import java.util.concurrent.CompletionException;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.ExceptionHandler;
import org.apache.pekko.http.javadsl.server.MalformedRequestContentRejection;
import org.apache.pekko.http.javadsl.server.RejectionHandler;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.scaladsl.model.EntityStreamSizeException;
import org.apache.pekko.stream.StreamLimitReachedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How the API answers what went wrong: every refusal is JSON {@code {"error": ..., "status": ...}}
 * with its 4xx status; a failure nobody expected is a 500 with a reference to the log line, never a
 * stack trace.
 */
final class ApiErrors extends AllDirectives {

  private static final Logger log = LoggerFactory.getLogger(FarmApi.class);
  private static final ObjectMapper JSON_MAPPER = new ObjectMapper();
  private static final org.apache.pekko.http.javadsl.model.ContentType.WithFixedCharset JSON =
      FarmApi.JSON;

  private final long maxPortraitBytes;

  ApiErrors(long maxPortraitBytes) {
    this.maxPortraitBytes = maxPortraitBytes;
  }

  static JobService.ApiException apiError(int status, String message) {
    return new JobService.ApiException(status, message);
  }

  ExceptionHandler exceptions() {
    return ExceptionHandler.newBuilder().matchAny(this::failure).build();
  }

  RejectionHandler rejections() {
    return RejectionHandler.newBuilder()
        // A body over its route's limit, seen by an unmarshaller before any stream failed.
        .handle(
            MalformedRequestContentRejection.class,
            r ->
                r.getCause() instanceof EntityStreamSizeException e
                    ? tooLarge(e)
                    : error(400, "the request content was malformed: " + r.message()))
        .build()
        .withFallback(RejectionHandler.defaultHandler())
        .mapRejectionResponse(
            response -> {
              if (response.entity().getContentType().equals(JSON)) {
                return response;
              }
              String text =
                  response.entity()
                          instanceof org.apache.pekko.http.javadsl.model.HttpEntity.Strict s
                      ? s.getData().utf8String()
                      : response.status().reason();
              return response.withEntity(
                  HttpEntities.create(JSON, errorJson(response.status().intValue(), text)));
            });
  }

  Route tooLarge(EntityStreamSizeException e) {
    return error(413, "the request is larger than its limit of " + e.limit() + " bytes");
  }

  /** The response for a failure: its status for refusals, 413 for too-large, else 500. */
  Route failure(Throwable error) {
    Throwable t = error;
    while ((t instanceof CompletionException
            || t instanceof java.util.concurrent.ExecutionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    if (t instanceof JobService.ApiException e) {
      return error(e.status(), e.getMessage());
    }
    // A limit hit while streaming an upload surfaces wrapped (in the file sink's failure).
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof StreamLimitReachedException) {
        return error(413, "the portrait is larger than " + maxPortraitBytes + " bytes");
      }
      if (c instanceof EntityStreamSizeException e) {
        return tooLarge(e);
      }
      if (c.getCause() == c) {
        break;
      }
    }
    if (t instanceof org.apache.pekko.http.scaladsl.model.IllegalRequestException
        || t instanceof org.apache.pekko.http.scaladsl.model.ParsingException) {
      return error(400, "malformed request: " + t.getMessage());
    }
    String ref = UUID.randomUUID().toString().substring(0, 8);
    log.error("API request failed (ref {})", ref, t);
    return error(500, "internal error (ref " + ref + "; see the farm's log)");
  }

  Route error(int status, String message) {
    return complete(StatusCodes.get(status), HttpEntities.create(JSON, errorJson(status, message)));
  }

  String errorJson(int status, String message) {
    ObjectNode o = JSON_MAPPER.createObjectNode();
    o.put("error", message);
    o.put("status", status);
    return o.toString();
  }

  Route completeJson(int status, JsonNode body) {
    return complete(StatusCodes.get(status), HttpEntities.create(JSON, body.toString()));
  }
}
