package dev.baton.runtime.orchestrator;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.Future;

import java.time.Duration;

/**
 * Where a run lives when several nodes share the journal: which node owns it, and how a command
 * reaches that node. The orchestrator of a single node has none (every run is its own). The
 * cluster ({@code dev.baton.runtime.cluster.ClusterNode}) implements it: PostgreSQL decides who
 * owns what, the clustered event bus carries the commands.
 */
public interface RunPlacement {

    /** Where a run's commands go now. */
    sealed interface Place {
        /** This node owns the run. */
        record Here() implements Place {
        }

        /** Another live node owns it; {@code address} is its cluster member's. */
        record Elsewhere(long epoch, String nodeId, String address) implements Place {
        }

        /** Its owner stopped, or lost its lease: whoever acts on it first takes it over. */
        record Orphaned() implements Place {
        }

        /** No such run. */
        record Unknown() implements Place {
        }
    }

    /** Where the run is now: a blocking read of the journal's database. */
    Place locate(String runId);

    /** Takes an orphaned run over (blocking); true if this node owns it now. */
    boolean takeOver(String runId);

    /**
     * Sends a command to the node that owns its run; completes with that node's answer once it
     * made the command durable, or fails (a {@code BatonException} from the owner, or a failure to
     * reach it, after which the caller looks again: the owner may have died).
     */
    Future<ObjectNode> forward(Place.Elsewhere owner, RunCommand command);

    /** Whether this node may act on runs at all: false while it is fenced (its lease lapsed) and until it rejoined. */
    boolean writable();

    /** How long a command keeps looking for a run's owner (one that died is taken over once its lease lapses). */
    Duration patience();
}
