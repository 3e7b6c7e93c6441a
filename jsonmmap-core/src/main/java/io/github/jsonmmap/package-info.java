/**
 * jsonmmap core: one JSON document shared by every process on a host through a memory-mapped file.
 * Open a file with {@link io.github.jsonmmap.JsonMmapFile#open(JsonMmapOptions)}; read the latest
 * {@link io.github.jsonmmap.Snapshot}; publish as the writer; follow changes with a {@link
 * io.github.jsonmmap.ChangeListener}. The binary layout is in FORMAT.md at the repository root.
 */
package io.github.jsonmmap;
