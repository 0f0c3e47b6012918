package dev.baton.server.testing;

import dev.baton.runtime.trigger.FiringState;
import dev.baton.runtime.trigger.StoredTrigger;
import dev.baton.runtime.trigger.TriggerStore;
import dev.baton.server.BatonServer;
import dev.baton.server.Config;

import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A Baton server, started as {@code Main} starts one (run it with {@link ServerProcess#start(java.nio.file.Path,
 * String, java.nio.file.Path, List, List, Class)}), whose trigger store holds a save that claims a schedule
 * firing for {@value #HOLD_SECONDS} s <em>after</em> it has committed: the claim is durable and the
 * firing is not submitted yet. A test that kills the server meanwhile leaves a claimed firing with
 * no run, which the next server must fire exactly once. Each held claim is logged as {@link #HELD}
 * says, once it is durable.
 */
public final class ClaimHoldingServer {
    /** How long a save that claimed a firing is held: longer than any test waits to kill the server. */
    public static final int HOLD_SECONDS = 60;
    /** The line logged for each firing claimed durably and held; {@code String.format} with the trigger's name and the time. */
    public static final String HELD = "CLAIM HELD: the firing of trigger '%s' at %s is claimed (durably) and not submitted";

    private ClaimHoldingServer() {
    }

    public static void main(String[] args) throws InterruptedException {
        Config config = Config.load(args, System.getenv());
        BatonServer server = BatonServer.start(config, tools -> {
        }, HoldingStore::new);
        // ServerProcess reads the port from this line, as Main prints it; the child is killed, never stopped.
        System.out.println("Baton is running at http://" + config.host() + ":" + server.port() + "/");
        new CountDownLatch(1).await();
    }

    /** Delegates every call; a save that adds a pending (claimed) time is held once it has committed. */
    private static final class HoldingStore implements TriggerStore {
        private final TriggerStore store;
        private final Map<String, Set<Instant>> pending = new HashMap<>();

        HoldingStore(TriggerStore store) {
            this.store = store;
        }

        @Override
        public List<StoredTrigger> all() {
            return store.all();
        }

        @Override
        public boolean insert(StoredTrigger trigger) {
            return store.insert(trigger);
        }

        @Override
        public boolean setPaused(String name, boolean paused, FiringState state) {
            return store.setPaused(name, paused, state);
        }

        @Override
        public boolean delete(String name) {
            return store.delete(name);
        }

        @Override
        public void saveStates(Map<String, FiringState> states) {
            store.saveStates(states);
        }

        @Override
        public boolean shared() {
            return store.shared();
        }

        @Override
        public long changes() {
            return store.changes();
        }

        @Override
        public List<ClaimResult> claim(List<ClaimRequest> requests, String node, long untilMs) {
            List<ClaimResult> results = store.claim(requests, node, untilMs);
            boolean claimed = false;
            synchronized (pending) {
                for (int i = 0; i < requests.size(); i++) {
                    if (!results.get(i).won()) continue;
                    Set<Instant> known = pending.computeIfAbsent(requests.get(i).name(), k -> new HashSet<>());
                    for (Instant at : requests.get(i).times()) {
                        if (known.add(at)) {
                            System.out.println(String.format(HELD, requests.get(i).name(), at));
                            claimed = true;
                        }
                    }
                }
            }
            if (claimed) {
                System.out.flush();
                try {
                    // The triggers submit a claimed firing only once this claim returns.
                    new CountDownLatch(1).await(HOLD_SECONDS, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return results;
        }

        @Override
        public void progress(Map<String, Progress> progress) {
            store.progress(progress);
        }

        @Override
        public boolean pause(String name, boolean paused, Instant next, Collection<Instant> dropped) {
            return store.pause(name, paused, next, dropped);
        }

        @Override
        public Map<String, List<Instant>> renewAndTakeOver(String node, Map<String, Set<Instant>> held, long untilMs, long nowMs) {
            return store.renewAndTakeOver(node, held, untilMs, nowMs);
        }

        @Override
        public void release(String node) {
            store.release(node);
        }
    }
}
