package dev.baton.tools.http;

import okhttp3.Dns;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;

/**
 * Where one request may go: a host, its port, and the addresses that were resolved and checked
 * for it. As OkHttp's {@link Dns} it answers with exactly those addresses, so the client connects
 * to what was checked and never resolves the name again (a second answer is how DNS rebinding
 * gets past a check). The name itself still goes in the {@code Host} header, the TLS server name
 * (SNI) and the certificate check.
 *
 * <p>Being a record, two destinations with the same host, port and addresses are equal, and OkHttp,
 * which keys its connection pool by (among others) the {@code Dns}, reuses a pooled connection
 * exactly when it leads to an address that was just checked again.
 */
record Destination(String host, int port, List<InetAddress> addresses) implements Dns {

    Destination {
        addresses = List.copyOf(addresses);
    }

    @Override
    public List<InetAddress> lookup(String hostname) throws UnknownHostException {
        // No redirect is followed and no proxy is used, so OkHttp only ever asks for the request's host.
        if (!hostname.equalsIgnoreCase(host)) {
            throw new UnknownHostException("http.request checked " + host + ", not " + hostname);
        }
        return addresses;
    }
}
