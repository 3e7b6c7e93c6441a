/**
 * Test support for applications using the jsonmmap starter: {@link
 * io.github.jsonmmap.test.AutoConfigureJsonMmap} and {@link
 * io.github.jsonmmap.test.SharedConfigTestPublisher}.
 */
package io.github.jsonmmap.test;
