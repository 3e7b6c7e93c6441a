/**
 * The {@code jsonmmap} command for operators: look at and change a shared jsonmmap file from a
 * shell, as {@code etcdctl} or {@code redis-cli} do for their stores. Entry point {@link
 * io.github.jsonmmap.cli.JsonMmapCli}; everything else is package-private.
 */
package io.github.jsonmmap.cli;
