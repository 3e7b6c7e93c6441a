/**
 * The jsonmmap agent: a small Spring Boot application that runs as the writer of one jsonmmap file
 * per host (or pod) and publishes into it the document that a source holds, either an etcd key (or
 * prefix) or a directory of files such as a mounted Kubernetes ConfigMap. Readers on the host are
 * ordinary jsonmmap readers and need nothing new.
 */
package io.github.jsonmmap.agent;
