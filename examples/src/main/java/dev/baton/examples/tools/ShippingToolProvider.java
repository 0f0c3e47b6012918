package dev.baton.examples.tools;

import dev.baton.tools.BatonTool;
import dev.baton.tools.ToolException;
import dev.baton.tools.ToolOptions;
import dev.baton.tools.ToolProvider;
import dev.baton.tools.ToolSettings;
import dev.baton.tools.annotated.MethodTool;
import dev.langchain4j.agent.tool.P;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.List;
import java.util.Map;

/**
 * Tools shipped in a jar: Baton finds them through {@link java.util.ServiceLoader} when the jar
 * is on the classpath, with no code in the host application. Two steps:
 * <ol>
 *   <li>implement {@link ToolProvider} (a public class with a no-argument constructor);</li>
 *   <li>list it in {@code src/main/resources/META-INF/services/dev.baton.tools.ToolProvider}:
 *       <pre>dev.baton.examples.tools.ShippingToolProvider</pre></li>
 * </ol>
 * The host then calls:
 * <pre>{@code
 * tools.discover(Thread.currentThread().getContextClassLoader(), settings);
 * // -> shipping.quote {country, weightKg}   source "service-loader"
 * }</pre>
 *
 * <p>A provider may return any {@link BatonTool}s: hand-written ones, or, as here, the
 * {@code @Tool} methods of an object through {@link MethodTool#allOf(Object)}. It receives the
 * host's {@link ToolSettings}, e.g. to respect its host allowlist.
 */
public final class ShippingToolProvider implements ToolProvider {

    @Override
    public List<BatonTool> tools(ToolSettings settings) {
        return List.copyOf(MethodTool.allOf(new ShippingRates()));
    }

    /** A parcel's shipping price, in euros, and how many days it takes. */
    public record Quote(String country, double weightKg, BigDecimal price, String currency, int days) {
    }

    /** Fixed rates by destination: a base price plus a price per kilogram. */
    public static final class ShippingRates {

        private record Zone(BigDecimal base, BigDecimal perKg, int days) {
        }

        private static final Map<String, Zone> ZONES = Map.of(
                "FR", new Zone(new BigDecimal("4.90"), new BigDecimal("1.20"), 2),
                "DE", new Zone(new BigDecimal("6.50"), new BigDecimal("1.50"), 3),
                "US", new Zone(new BigDecimal("19.00"), new BigDecimal("4.00"), 7));

        @dev.langchain4j.agent.tool.Tool(name = "shipping.quote", value = "Quotes the price of shipping a parcel")
        @ToolOptions(idempotent = true, timeout = "PT2S")
        public Quote quote(@P("destination, ISO 3166 country code such as FR") String country,
                           @P("parcel weight in kilograms") double weightKg) throws ToolException {
            Zone zone = ZONES.get(country);
            if (zone == null) {
                throw ToolException.permanent("no_route", "no shipping to '" + country + "'; we ship to " + ZONES.keySet());
            }
            BigDecimal price = zone.base().add(zone.perKg().multiply(BigDecimal.valueOf(weightKg)))
                    .setScale(2, RoundingMode.HALF_UP);
            return new Quote(country, weightKg, price, "EUR", zone.days());
        }
    }
}
