package dev.actorfarm.launcher.api;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.function.Supplier;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * The API's bearer token: with {@code actorfarm.http.token} set, every {@code /jobs} route needs
 * {@code Authorization: Bearer TOKEN}, or {@code ?access_token=} on media URLs (a video element
 * cannot send headers). Compared in constant time.
 */
final class BearerAuth extends AllDirectives {

  private final ApiSettings settings;
  private final ApiErrors errors;

  BearerAuth(ApiSettings settings, ApiErrors errors) {
    this.settings = settings;
    this.errors = errors;
  }

  Route authorized(Supplier<Route> inner) {
    if (!settings.authRequired()) {
      return inner.get();
    }
    return optionalHeaderValueByName(
        "Authorization",
        header ->
            parameterOptional(
                "access_token",
                query -> {
                  String given =
                      header
                          .filter(h -> h.regionMatches(true, 0, "Bearer ", 0, 7))
                          .map(h -> h.substring(7).trim())
                          .orElse(query.orElse(null));
                  if (given == null) {
                    return unauthorized(
                        "this farm needs a bearer token (Authorization: Bearer ...)");
                  }
                  if (!MessageDigest.isEqual(
                      given.getBytes(StandardCharsets.UTF_8),
                      settings.token().getBytes(StandardCharsets.UTF_8))) {
                    return unauthorized("the bearer token is not valid");
                  }
                  return inner.get();
                }));
  }

  private Route unauthorized(String message) {
    return respondWithHeader(
        RawHeader.create("WWW-Authenticate", "Bearer realm=\"actorfarm\""),
        () -> errors.error(401, message));
  }
}
