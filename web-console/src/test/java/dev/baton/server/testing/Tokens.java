package dev.baton.server.testing;

import dev.baton.server.Caller;
import dev.baton.server.Config;

import java.util.Map;

/** Bearer tokens for tests, one per role, named after who holds them. */
public final class Tokens {
    public static final String VIEWER = "viewer-token-0000000001";
    public static final String OPERATOR = "operator-token-000000002";
    public static final String APPROVER = "approver-token-000000003";
    public static final String ADMIN = "admin-token-0000000000004";

    /** {@code vera} views, {@code otto} operates, {@code alice} approves, {@code root} administers. */
    public static final String SPEC = "vera:viewer:" + VIEWER + ",otto:operator:" + OPERATOR
            + ",alice:approver:" + APPROVER + ",root:admin:" + ADMIN;

    private Tokens() {
    }

    /** The token map as the server reads it from {@code --tokens}. */
    public static Map<String, Caller> all() {
        return Config.load(new String[]{"--tokens", SPEC}, Map.of()).tokens();
    }

    /** The default test configuration with these tokens. */
    public static Config config() {
        return TestServer.config().withTokens(all());
    }
}
