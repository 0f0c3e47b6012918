package dev.baton.tools.http;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;

/**
 * Resolves a host name to its addresses for {@link HttpRequestTool}, which checks every one of them
 * and then connects only to those, never asking DNS a second time. {@link #SYSTEM} is the JVM's
 * resolver; another one (a fixed table, say) lets tests and embedders decide what a name means.
 */
@FunctionalInterface
public interface HostResolver {

    /** The JVM's resolver: {@link InetAddress#getAllByName(String)} (hosts file, then DNS, as configured). */
    HostResolver SYSTEM = host -> List.of(InetAddress.getAllByName(host));

    /**
     * Every address of {@code host}, a name (never an IP literal).
     *
     * @throws UnknownHostException when the name has no address
     */
    List<InetAddress> resolve(String host) throws UnknownHostException;
}
