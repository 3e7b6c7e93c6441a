package io.github.jsonmmap.agent;

import static java.util.Objects.requireNonNull;

import tools.jackson.databind.node.ObjectNode;

/**
 * One state of a source: the document it holds now.
 *
 * @param document the whole document (owned by the receiver from now on)
 * @param etcdRevision the etcd revision this state was read at, or -1 for a source without one
 * @param changedAtMicros when the source last changed, in epoch microseconds, or 0 when unknown
 *     (etcd does not report when it committed)
 * @param observedAtNanos {@link System#nanoTime()} when the agent received this state
 */
public record SourceDocument(
    ObjectNode document, long etcdRevision, long changedAtMicros, long observedAtNanos) {

  public SourceDocument {
    requireNonNull(document, "document");
  }
}
