package org.legoos.net;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.util.List;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import net.jqwik.api.lifecycle.AddLifecycleHook;
import net.jqwik.api.lifecycle.AroundPropertyHook;
import net.jqwik.api.lifecycle.AroundTryHook;
import net.jqwik.api.lifecycle.PropertyExecutionResult;
import net.jqwik.api.lifecycle.PropertyExecutor;
import net.jqwik.api.lifecycle.PropertyLifecycleContext;
import net.jqwik.api.lifecycle.TryExecutionResult;
import net.jqwik.api.lifecycle.TryExecutor;
import net.jqwik.api.lifecycle.TryLifecycleContext;

/**
 * The jqwik counterpart of JUnit's {@code @Timeout} (which jqwik ignores): the whole property, all tries
 * together, must finish within {@link #seconds()}. Each try runs on its own virtual thread, so a try that
 * hangs (an endless decode loop, a lost reply) fails the property at the deadline instead of hanging the
 * build; the stuck thread is abandoned.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.METHOD, ElementType.ANNOTATION_TYPE})
@AddLifecycleHook(PropertyTimeout.Hook.class)
public @interface PropertyTimeout {
    int seconds();

    /** Enforces {@link PropertyTimeout}. Properties run one at a time on the engine thread. */
    final class Hook implements AroundPropertyHook, AroundTryHook {
        private static final ThreadLocal<long[]> DEADLINE = new ThreadLocal<>();

        @Override
        public PropertyExecutionResult aroundProperty(PropertyLifecycleContext context, PropertyExecutor property) {
            int seconds = context.findAnnotation(PropertyTimeout.class).map(PropertyTimeout::seconds).orElse(60);
            DEADLINE.set(new long[] {System.nanoTime() + seconds * 1_000_000_000L, seconds});
            try {
                return property.execute();
            } finally {
                DEADLINE.remove();
            }
        }

        @Override
        public TryExecutionResult aroundTry(TryLifecycleContext context, TryExecutor aTry, List<Object> parameters)
                throws Throwable {
            long[] deadline = DEADLINE.get();
            if (deadline == null) {
                return aTry.execute(parameters);
            }
            long left = deadline[0] - System.nanoTime();
            TimeoutException late = new TimeoutException("property exceeded its timeout of " + deadline[1] + " s");
            if (left <= 0) {
                return TryExecutionResult.falsified(late);
            }
            AtomicReference<TryExecutionResult> result = new AtomicReference<>();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread t = Thread.ofVirtual().name("try-" + context.label()).start(() -> {
                try {
                    result.set(aTry.execute(parameters));
                } catch (Throwable e) {
                    failure.set(e);
                }
            });
            if (!t.join(java.time.Duration.ofNanos(left))) {
                t.interrupt();
                return TryExecutionResult.falsified(late);
            }
            if (failure.get() != null) {
                throw failure.get();
            }
            return result.get();
        }

        /** Innermost: only the property method itself runs on the try thread. */
        @Override
        public int aroundTryProximity() {
            return 1000;
        }
    }
}
