package dev.baton.server;

import java.util.Set;

/**
 * Who made a request, from their bearer token: {@code name} is what the journal records
 * (e.g. as the approver of a task), never a value taken from the request body.
 */
public record Caller(String name, Set<Role> roles) {

    /** The caller when no tokens are configured (allowed on loopback only). */
    public static final Caller LOCAL = new Caller("local", Set.of(Role.ADMIN));

    public Caller {
        roles = Set.copyOf(roles);
    }

    public boolean may(Role role) {
        return roles.contains(Role.ADMIN) || role == Role.VIEWER || roles.contains(role);
    }

    public boolean admin() {
        return roles.contains(Role.ADMIN);
    }
}
