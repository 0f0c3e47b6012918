package dev.baton.server.testing;

import dev.baton.server.BatonServer;
import dev.baton.server.Config;
import dev.baton.tools.ToolRegistry;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.function.Consumer;

/** A real Baton server on a free loopback port, with its own data directory. */
public final class TestServer implements AutoCloseable {
    private final BatonServer server;
    private final Api api;

    private TestServer(BatonServer server) {
        this.server = server;
        this.api = new Api(server.port());
    }

    /** A server with an H2 journal in a fresh temporary directory, allowed to call 127.0.0.1 and localhost. */
    public static TestServer start() {
        return start(config(), registry -> {
        });
    }

    public static TestServer start(Config config, Consumer<ToolRegistry> tools) {
        return new TestServer(BatonServer.start(config, tools));
    }

    /** The default test configuration: port 0, a temporary data dir, H2, loopback hosts allowed. */
    public static Config config() {
        try {
            Path dir = Files.createTempDirectory("baton-test-");
            Config defaults = Config.defaults();
            // No classifier warm-up: minutes of CPU per server on a cold cache; the ticket tests start it themselves.
            return defaults.withPort(0).withDataDir(dir).withAllowedHosts(Set.of("127.0.0.1", "localhost"))
                    .withTriage(defaults.triage().withWarmUp(false));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public Api api() {
        return api;
    }

    public BatonServer server() {
        return server;
    }

    public int port() {
        return server.port();
    }

    @Override
    public void close() {
        server.close();
    }
}
