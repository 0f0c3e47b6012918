package dev.baton.examples.tools;

import dev.baton.tools.ToolContext;
import dev.baton.tools.ToolException;
import dev.baton.tools.ToolOptions;
import dev.langchain4j.agent.tool.P;
import dev.langchain4j.agent.tool.Tool;

import java.util.HashMap;
import java.util.Map;

/**
 * Tools written as plain Java methods: annotate them with LangChain4j's {@code @Tool}, add
 * Baton's {@link ToolOptions} where the defaults do not fit, and register the object.
 *
 * <pre>{@code
 * ToolRegistry tools = new ToolRegistry();
 * tools.registerAnnotated(new InventoryTools(Map.of("SKU-1", 10)));
 * // -> inventory.stockLevel {sku}            idempotent
 * // -> inventory.reserve    {sku, quantity}  needs approval, 10 s timeout
 * }</pre>
 *
 * <p>Baton derives each tool's JSON schema from the parameters (names, types, {@code @P}
 * descriptions), converts the JSON arguments to them, and turns the returned record into
 * JSON. Throw a {@link ToolException} to say whether a failure is worth retrying.
 *
 * <p>A parameter of type {@link ToolContext} is filled in by Baton and hidden from the schema.
 * {@link #reserve} uses its idempotency key: the orchestrator may run a task again (a retry,
 * or a restart after a crash), always with the same key, so a repeat returns the reservation
 * already made instead of reserving twice.
 *
 * <p>Baton may call tools from several threads at once; the methods here are
 * {@code synchronized} because they share the stock table.
 */
public class InventoryTools {

    /** Units of a product that can still be reserved. */
    public record StockLevel(String sku, int available) {
    }

    /** Units set aside for an order. */
    public record Reservation(String reservationId, String sku, int quantity, int remaining) {
    }

    private final Map<String, Integer> stock;
    private final Map<String, Reservation> reservationsByKey = new HashMap<>();
    private int nextReservation = 1;

    /** An inventory holding {@code initialStock} (SKU to units). */
    public InventoryTools(Map<String, Integer> initialStock) {
        this.stock = new HashMap<>(initialStock);
    }

    @Tool(name = "inventory.stockLevel", value = "Tells how many units of a product can still be reserved")
    @ToolOptions(idempotent = true)
    public synchronized StockLevel stockLevel(@P("the product's SKU, e.g. SKU-1") String sku) throws ToolException {
        return new StockLevel(sku, available(sku));
    }

    @Tool(name = "inventory.reserve", value = "Reserves units of a product for an order")
    @ToolOptions(requiresApproval = true, timeout = "PT10S")
    public synchronized Reservation reserve(@P("the product's SKU, e.g. SKU-1") String sku,
                                            @P("how many units, at least 1") int quantity,
                                            ToolContext context) throws ToolException {
        Reservation earlier = reservationsByKey.get(context.idempotencyKey());
        if (earlier != null) {
            return earlier;
        }
        if (quantity < 1) {
            throw ToolException.permanent("invalid_quantity", "quantity must be at least 1, was " + quantity);
        }
        int available = available(sku);
        if (quantity > available) {
            // Permanent: retrying the same reservation will not make stock appear.
            throw ToolException.permanent("out_of_stock", "only " + available + " of " + sku + " left, " + quantity + " asked");
        }
        stock.put(sku, available - quantity);
        Reservation reservation = new Reservation("R-" + nextReservation++, sku, quantity, available - quantity);
        reservationsByKey.put(context.idempotencyKey(), reservation);
        return reservation;
    }

    private int available(String sku) throws ToolException {
        Integer units = stock.get(sku);
        if (units == null) {
            throw ToolException.permanent("unknown_sku", "no product with SKU '" + sku + "'; known: " + stock.keySet());
        }
        return units;
    }
}
