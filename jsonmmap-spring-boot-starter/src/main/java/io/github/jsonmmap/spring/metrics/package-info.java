/**
 * Micrometer meters of a jsonmmap file: {@link io.github.jsonmmap.spring.metrics.JsonMmapMetrics},
 * a plain {@code MeterBinder} usable without Spring Boot.
 */
package io.github.jsonmmap.spring.metrics;
