package io.github.jsonmmap.sample;

/**
 * Rate limits from the shared document's {@code limits} object, bound through {@code
 * SharedConfigTemplate.bind}: an immutable record, which {@code @RefreshScope} could not refresh. A
 * component is null when the document does not set it.
 *
 * @param requestsPerSecond requests a client may make per second
 * @param burst requests a client may make at once above the rate
 */
public record Limits(Integer requestsPerSecond, Integer burst) {}
