package dev.baton.runtime.model;

/**
 * Told about every finished {@link ModelGateway} call, on the calling thread. It must be quick and
 * must not throw (what it throws is logged and ignored).
 */
@FunctionalInterface
public interface ModelCallListener {

    void onCall(ModelCall call);
}
