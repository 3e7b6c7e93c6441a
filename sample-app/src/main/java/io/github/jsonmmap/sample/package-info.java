/** A sample web service whose processes share one JSON config document through jsonmmap. */
package io.github.jsonmmap.sample;
