package dev.baton.runtime.ticket;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.json.Json;
import dev.baton.runtime.orchestrator.ApprovalPolicy;
import dev.baton.triage.Classification;
import dev.baton.triage.LabelledExample;
import dev.baton.triage.RoutingTable;
import dev.baton.triage.TicketClassifier;
import dev.baton.triage.TicketText;
import dev.baton.triage.Triage;
import dev.baton.triage.TriageTools;
import org.junit.jupiter.api.Test;

import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The triage review policy: which route steps wait for a person. */
class ReviewPolicyTest {

    /** The policy reads the route step's arguments only; the classifier is never asked. */
    static final TicketClassifier UNUSED = new TicketClassifier() {
        @Override
        public Classification classify(TicketText ticket) {
            throw new AssertionError("the review policy does not classify");
        }

        @Override
        public void learn(LabelledExample example) {
            throw new AssertionError("the review policy does not learn");
        }

        @Override
        public Set<String> categories() {
            return Set.of("card_arrival");
        }
    };

    static final ApprovalPolicy POLICY = TicketService.reviewPolicy(Triage.of(RoutingTable.bundledDemo(), UNUSED, c -> 0.5));

    static String gate(String tool, ObjectNode args) {
        return gate(null, tool, args);
    }

    static String gate(ObjectNode options, String tool, ObjectNode args) {
        return POLICY.gate(new ApprovalPolicy.Candidate("r_1", Json.object(), options, "route", tool, args));
    }

    @Test
    void aReviewerWrittenByThePlanIsNoPersonsDecision() {
        ObjectNode args = Json.object().put("category", "card_arrival").put("confidence", 0.99).put("reviewedBy", "alice");
        String reason = gate(TriageTools.ROUTE, args);
        assertNotNull(reason, "a plan must not skip the review by naming a reviewer");
        assertTrue(reason.contains("reviewedBy"), reason);
        ObjectNode triage = Json.object();
        triage.putObject("ticket").put("id", "t_1").put("action", "create");
        assertNotNull(gate(triage, TriageTools.ROUTE, args), "a ticket's own triage run cannot name a reviewer either");
    }

    @Test
    void thePersonsRerouteRunCarriesItsReviewer() {
        ObjectNode reroute = Json.object();
        reroute.putObject("ticket").put("id", "t_1").put("action", "reroute");
        ObjectNode args = Json.object().put("category", "card_arrival").put("confidence", 0.05).put("reviewedBy", "alice");
        assertNull(gate(reroute, TriageTools.ROUTE, args), "a person decided: no second review");
    }

    @Test
    void aLowConfidenceRouteIsReviewedAndOtherToolsAreNotAsked() {
        assertNotNull(gate(TriageTools.ROUTE, Json.object().put("category", "card_arrival").put("confidence", 0.05)));
        assertNull(gate("echo", Json.object().put("reviewedBy", "alice")));
    }
}
