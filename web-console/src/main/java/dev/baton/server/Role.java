package dev.baton.server;

/** What a bearer token allows. Every role may read; {@link #ADMIN} may do everything. */
public enum Role {
    /** Read runs, tasks, events, approvals and the catalogue. */
    VIEWER,
    /** Also submit runs, send messages, cancel runs and retry tasks. */
    OPERATOR,
    /** Also decide approvals. */
    APPROVER,
    /** Everything, including escalated approvals. */
    ADMIN
}
