package io.github.jsonmmap;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Field;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;

/**
 * Unmaps a mapping now instead of when the garbage collector finds it, the way Agrona's {@code
 * IoUtil.unmap} does on Java 9+: {@code sun.misc.Unsafe.invokeCleaner} from the {@code
 * jdk.unsupported} module. Without it every closed handle keeps its mapping (and the file's pages)
 * until a GC.
 *
 * <p>Safe to call from any thread, but the caller must make sure no thread can touch the buffer
 * afterwards: a load or store through an unmapped buffer crashes the JVM.
 */
final class Unmapper {

  private static final System.Logger LOG = System.getLogger(Unmapper.class.getName());

  private static final MethodHandle INVOKE_CLEANER = findInvokeCleaner();

  private Unmapper() {}

  /** Unmaps {@code buffer}; a no-op when unmapping is not available. */
  static void unmap(MappedByteBuffer buffer) {
    if (INVOKE_CLEANER == null || buffer == null) {
      return;
    }
    try {
      INVOKE_CLEANER.invokeExact((ByteBuffer) buffer);
    } catch (RuntimeException | Error e) {
      throw e;
    } catch (Throwable e) {
      throw new IllegalStateException("invokeCleaner failed", e);
    }
  }

  private static MethodHandle findInvokeCleaner() {
    try {
      Class<?> unsafeClass = Class.forName("sun.misc.Unsafe");
      Field field = unsafeClass.getDeclaredField("theUnsafe");
      field.setAccessible(true);
      Object unsafe = field.get(null);
      return MethodHandles.lookup()
          .findVirtual(
              unsafeClass, "invokeCleaner", MethodType.methodType(void.class, ByteBuffer.class))
          .bindTo(unsafe);
    } catch (ReflectiveOperationException | RuntimeException e) {
      LOG.log(
          System.Logger.Level.INFO,
          "jsonmmap: cannot unmap explicitly ({0}); mappings are released by the garbage collector",
          e.toString());
      return null;
    }
  }
}
