package dev.baton.runtime.journal;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * Who may write the journal, when several nodes share it: checked by the journal's writer in
 * every transaction, before it writes anything, so that a node that lost its lease (it was paused
 * past it: a long GC, SIGSTOP, a network partition) cannot write when it wakes up. The check takes
 * a lock that a takeover of the node's runs must wait for, so a takeover never reads a run's
 * events while its old owner is still committing some.
 */
public interface WriteFence {

    /** The epoch this node writes as: the owner of the runs it creates. */
    long epoch();

    /**
     * Runs first in the writer's transaction on {@code c}.
     *
     * @throws Fenced if this node no longer holds its lease: nothing of the transaction is written
     */
    void check(Connection c) throws SQLException;

    /** This node lost its lease: the journal refuses its writes. */
    final class Fenced extends SQLException {
        public Fenced(String message) {
            super(message, "BATON");
        }
    }
}
