/**
 * The {@code jsonmmap} actuator endpoint: the file, its writer and the shared document with values
 * masked as Boot's {@code env} endpoint masks them, and, for the writer, write operations.
 */
package io.github.jsonmmap.spring.actuate;
