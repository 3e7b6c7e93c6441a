package io.github.jsonmmap;

/**
 * Told of every new version a process sees, in version order and once each. Versions published
 * while a change is delivered are delivered after it; versions that came and went between two looks
 * at the file are skipped (the listener sees the latest).
 *
 * <p>Called on the thread that noticed the change: the JVM-wide watcher thread, a spin thread, or
 * the thread that published. Keep it short; hand slow work to an executor.
 */
@FunctionalInterface
public interface ChangeListener {

  void onChange(Change change);
}
