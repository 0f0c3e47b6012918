package dev.baton.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.json.Json;
import dev.baton.server.testing.Api;
import dev.baton.server.testing.ServerProcess;
import dev.baton.server.testing.ServerProcesses;
import dev.baton.server.testing.TestTools;
import dev.baton.server.testing.TriggerRuns;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A trigger's {@code runs} are counted from the journal (issue 16): a server killed and started again on the
 * same H2 journal still says that every run a trigger started failed, that the run a person asked for
 * succeeded, and that the run still going goes on. (They used to be counted in memory from the runs' ends:
 * after a restart every count was 0.)
 */
class TriggerRunCountsRestartTest {
    private static final Duration AWAIT = Duration.ofSeconds(40);
    /** The http.request tool reaches only 127.0.0.1 here (ServerProcess): a host outside that fails the task, offline. */
    private static final String FAILING_PLAN = "{\"tasks\": [{\"id\": \"call\", \"tool\": \"http.request\","
            + " \"args\": {\"method\": \"GET\", \"url\": \"http://192.0.2.1/\"}, \"retry\": {\"maxAttempts\": 1}}]}";
    private static final String ECHO_PLAN = "{\"tasks\": [{\"id\": \"say\", \"tool\": \"echo\", \"args\": {\"text\": \"hi\"}}]}";
    /** Long enough to outlive the kill and the restart. */
    private static final String SLOW_PLAN = "{\"tasks\": [{\"id\": \"hold\", \"wait\": \"PT60S\"}]}";

    @RegisterExtension
    final ServerProcesses servers = new ServerProcesses("trigger-run-counts");

    private static void create(Api api, String name, String plan, String every) {
        ObjectNode body = Json.object();
        body.put("name", name);
        body.put("goal", "runs of " + name);
        body.set("plan", TestTools.json(plan));
        if (every != null) body.putObject("schedule").put("every", every);
        else body.putObject("event");
        Api.Response r = api.post("/api/triggers", body);
        assertEquals(201, r.status(), r.body());
    }

    private static JsonNode runs(Api api, String name) {
        Api.Response r = api.get("/api/triggers/" + name);
        assertEquals(200, r.status(), r.body());
        return r.json().path("runs");
    }

    private static JsonNode listedRuns(Api api, String name) {
        for (JsonNode t : api.get("/api/triggers?view=summary").json()) if (t.path("name").asText().equals(name)) return t.path("runs");
        throw new AssertionError("no trigger " + name + " in the list");
    }

    private static void runNow(Api api, String name) {
        Api.Response r = api.post("/api/triggers/" + name + "/run", null);
        assertEquals(202, r.status(), r.body());
    }

    private static JsonNode counts(int started, int running, int succeeded, int failed, int cancelled) {
        ObjectNode c = Json.object();
        c.put("started", started).put("running", running).put("succeeded", succeeded).put("failed", failed).put("cancelled", cancelled);
        return c;
    }

    @Test
    @Timeout(value = 150, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aTriggersRunCountsSurviveARestart() {
        ServerProcess first = servers.start(null);
        Api api = first.api();
        create(api, "doomed", FAILING_PLAN, "PT1S");
        Api.await(() -> runs(api, "doomed"), r -> r.path("failed").asInt() >= 2, AWAIT, "two runs of 'doomed' to fail");
        assertEquals(200, api.post("/api/triggers/doomed/pause", null).status());
        JsonNode doomed = Api.await(() -> runs(api, "doomed"), r -> r.path("running").asInt() == 0, AWAIT, "the runs of 'doomed' to end");
        int n = doomed.path("started").asInt();
        List<JsonNode> journaled = TriggerRuns.of(api, "doomed");
        assertEquals(n, journaled.size(), "one count per run the journal holds: " + doomed);
        for (JsonNode run : journaled) assertEquals("FAILED", run.path("status").asText(), run.toString());
        assertEquals(counts(n, 0, 0, n, 0), doomed);

        // "Run now" of an event trigger, once to succeed and once to still be going at the kill.
        create(api, "fine", ECHO_PLAN, null);
        runNow(api, "fine");
        create(api, "slow", SLOW_PLAN, null);
        runNow(api, "slow");
        Api.await(() -> runs(api, "fine"), r -> r.path("succeeded").asInt() == 1, AWAIT, "the run of 'fine' to succeed");
        assertEquals(counts(1, 1, 0, 0, 0), runs(api, "slow"));
        first.kill();

        ServerProcess second = servers.start(null);
        Api again = second.api();
        // At once, without waiting for anything to happen: the journal says it.
        assertEquals(counts(n, 0, 0, n, 0), runs(again, "doomed"), "every run it started failed, before the restart as after");
        assertEquals(counts(n, 0, 0, n, 0), listedRuns(again, "doomed"), "the polled list says the same");
        assertEquals(counts(1, 0, 1, 0, 0), listedRuns(again, "fine"));
        assertEquals(counts(1, 1, 0, 0, 0), runs(again, "slow"), "the run cut off by the kill goes on after the restart");
        // The firings are still counted since the server started: none here.
        assertEquals(0, again.get("/api/triggers/doomed").json().path("firings").path("started").asInt());

        // A run the restarted server starts adds to the count the journal had.
        runNow(again, "doomed");
        JsonNode after = Api.await(() -> runs(again, "doomed"), r -> r.path("failed").asInt() == n + 1, AWAIT, "the new run to fail");
        assertEquals(counts(n + 1, 0, 0, n + 1, 0), after);
        assertTrue(n >= 2, "runs of 'doomed': " + n);
    }
}
