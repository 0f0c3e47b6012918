package dev.baton.tools.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import dev.baton.json.Json;
import dev.baton.tools.ToolContext;
import dev.baton.tools.ToolException;
import dev.baton.tools.ToolSettings;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The tool as the server builds it (from {@link ToolSettings}, with the JVM's own resolver), where
 * names are read from {@code src/test/dns/hosts}: this class runs in its own JVM, the pom's
 * "hosts-file" execution, started with {@code -Djdk.net.hosts.file}.
 */
class HttpRequestHostsFileTest {

    private static WireMockServer server;

    @BeforeAll
    static void start() {
        assumeTrue(System.getProperty("jdk.net.hosts.file") != null, "runs in the pom's hosts-file execution");
        server = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
        server.start();
    }

    @BeforeEach
    void reset() {
        server.resetAll();
        server.stubFor(get(anyUrl()).willReturn(okJson("{\"reached\": true}")));
    }

    @AfterAll
    static void stop() {
        if (server != null) server.stop();
    }

    @Test
    void anAllowedNameThatResolvesToLoopbackIsRefused() {
        HttpRequestTool tool = new HttpRequestTool(ToolSettings.allowingHosts("api.example.test"));

        ToolException failure = assertThrows(ToolException.class, () -> tool.call(
                Json.object().put("url", "http://api.example.test:" + server.port() + "/admin"), ToolContext.standalone("k")));

        assertEquals("address_not_allowed", failure.code(), failure.getMessage());
        server.verify(0, anyRequestedFor(anyUrl()));
    }

    @Test
    void anAllowedNameThatResolvesToTheMetadataAddressIsRefused() {
        HttpRequestTool tool = new HttpRequestTool(ToolSettings.allowingHosts("*.example.test"));

        ToolException failure = assertThrows(ToolException.class, () -> tool.call(
                Json.object().put("url", "http://metadata.example.test/latest/meta-data/"), ToolContext.standalone("k")));

        assertEquals("address_not_allowed", failure.code(), failure.getMessage());
    }

    @Test
    void listingTheAddressToo_theNameReachesIt() throws Exception {
        HttpRequestTool tool = new HttpRequestTool(ToolSettings.allowingHosts("api.example.test", "127.0.0.1"));

        JsonNode output = tool.call(Json.object().put("url", "http://api.example.test:" + server.port() + "/ok"), ToolContext.standalone("k"));

        assertTrue(output.path("body").path("reached").asBoolean(), output.toString());
        server.verify(1, getRequestedFor(urlEqualTo("/ok")).withHeader("Host", equalTo("api.example.test:" + server.port())));
    }
}
