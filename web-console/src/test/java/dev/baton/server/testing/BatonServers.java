package dev.baton.server.testing;

import dev.baton.server.Config;
import dev.baton.tools.ToolRegistry;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.util.function.Consumer;

/**
 * The API and console tests' server: one in-process {@link TestServer} per test class, started
 * before the class's own {@code @BeforeAll} methods and closed after the class (also when it
 * failed); and, for the console tests, one Chromium shared by every test class of the run,
 * launched when a class first asks for it and closed when the run ends.
 * <pre>{@code
 * @RegisterExtension
 * static final BatonServers servers = BatonServers.withDefaults();
 * static final Api api = servers.api();          // usable once the class's tests run
 *
 * @RegisterExtension
 * static final BatonServers servers = BatonServers.with(Tokens::config, registry -> registry.register(...));
 * static final Api admin = servers.api().as(Tokens.ADMIN);
 * }</pre>
 * The config is made when the class starts, not when it is loaded: each class gets a fresh data
 * directory, and a stub the config names (a model, a webhook) can be started first.
 */
public final class BatonServers implements BeforeAllCallback, AfterAllCallback {
    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(BatonServers.class);

    /** Makes a test class's config when its server starts; it may prepare files or start a stub the config names. */
    @FunctionalInterface
    public interface ConfigSource {
        Config create() throws Exception;
    }

    private final ConfigSource config;
    private final Consumer<ToolRegistry> tools;
    private volatile TestServer server;
    private volatile ExtensionContext root;

    private BatonServers(ConfigSource config, Consumer<ToolRegistry> tools) {
        this.config = config;
        this.tools = tools;
    }

    /** The default test server ({@link TestServer#config()}, H2, no extra tools). */
    public static BatonServers withDefaults() {
        return with(TestServer::config);
    }

    /** A server with this configuration (e.g. {@code Tokens::config}) and no extra tools. */
    public static BatonServers with(ConfigSource config) {
        return with(config, registry -> {
        });
    }

    public static BatonServers with(ConfigSource config, Consumer<ToolRegistry> tools) {
        return new BatonServers(config, tools);
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        root = context.getRoot();
        server = TestServer.start(config.create(), tools);
    }

    @Override
    public void afterAll(ExtensionContext context) {
        TestServer started = server;
        server = null;
        if (started != null) started.close();
    }

    /**
     * The server's API without a token. It can be taken before the server starts (in a static
     * field's initializer): it finds the server's address when it first sends a request.
     */
    public Api api() {
        return new Api(() -> server().api().base(), null);
    }

    /** The running server; fails outside the test class's lifetime. */
    public TestServer server() {
        TestServer running = server;
        if (running == null) throw new IllegalStateException("the test class's server is not running (BatonServers must be a static @RegisterExtension field)");
        return running;
    }

    /** The run's shared Chromium, launched on first use and closed by JUnit when the run ends. */
    public Browser browser() {
        ExtensionContext context = root;
        if (context == null) throw new IllegalStateException("no test class has started yet");
        // The root store closes what it holds (Browser is AutoCloseable) after the last test class.
        return context.getStore(NAMESPACE).getOrComputeIfAbsent(Browser.class, key -> Browser.launch(), Browser.class);
    }
}
