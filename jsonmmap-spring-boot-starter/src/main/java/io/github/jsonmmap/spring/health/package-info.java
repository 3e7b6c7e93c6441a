/**
 * Health of a jsonmmap file: {@link io.github.jsonmmap.spring.health.JsonMmapHealthIndicator},
 * usable without auto-configuration.
 */
package io.github.jsonmmap.spring.health;
