/** Auto-configuration of jsonmmap: wiring only; the components live in sibling packages. */
package io.github.jsonmmap.spring.autoconfigure;
