/**
 * Spring integration of jsonmmap: {@link io.github.jsonmmap.spring.SharedConfigTemplate} for typed
 * reads and validated writes, bindings that stay current, change events and validators.
 */
package io.github.jsonmmap.spring;
