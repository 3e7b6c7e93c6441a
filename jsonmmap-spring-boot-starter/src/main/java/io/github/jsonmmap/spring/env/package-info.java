/** The shared document as a Spring property source. */
package io.github.jsonmmap.spring.env;
