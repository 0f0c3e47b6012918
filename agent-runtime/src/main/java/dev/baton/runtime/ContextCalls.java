package dev.baton.runtime;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;

import java.util.concurrent.Callable;

/** Running a piece of code on a Vert.x context that owns some state, from any thread. */
public final class ContextCalls {

    private ContextCalls() {
    }

    /** Runs {@code body} on {@code context}; its result completes the future, its exceptions fail it. */
    public static <T> Future<T> call(Context context, Callable<T> body) {
        Promise<T> promise = Promise.promise();
        context.runOnContext(v -> {
            try {
                promise.complete(body.call());
            } catch (Throwable e) {
                promise.fail(e);
            }
        });
        return promise.future();
    }
}
