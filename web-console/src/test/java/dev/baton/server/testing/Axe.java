package dev.baton.server.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.microsoft.playwright.BrowserContext;
import com.microsoft.playwright.Page;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.Set;

/**
 * axe-core (from the {@code org.webjars.npm:axe-core} WebJar on the test classpath) run in a
 * page: the accessibility violations it finds, and an assertion that none is serious or critical
 * whose message names the page, each rule and each element.
 * <pre>{@code
 * Axe.inject(tab.context);                  // before the first navigation
 * page.navigate("/runs");
 * Axe.assertNoSeriousViolations(page, "/runs (dark)");
 * }</pre>
 */
public final class Axe {
    /** The impacts that fail a check; "minor" and "moderate" are reported by axe but let through. */
    public static final Set<String> FAILING = Set.of("serious", "critical");

    private static final String SOURCE = load();

    private Axe() {
    }

    /** The WebJar's version, read from its Maven metadata so that it is named in the pom only. */
    public static String version() {
        Properties pom = new Properties();
        try (InputStream in = resource("META-INF/maven/org.webjars.npm/axe-core/pom.properties")) {
            pom.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return pom.getProperty("version");
    }

    private static String load() {
        try (InputStream in = resource("META-INF/resources/webjars/axe-core/" + version() + "/axe.min.js")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static InputStream resource(String name) {
        InputStream in = Axe.class.getClassLoader().getResourceAsStream(name);
        if (in == null) throw new IllegalStateException(name + " is not on the test classpath (the org.webjars.npm:axe-core test dependency)");
        return in;
    }

    /**
     * Makes axe available in every page of the context, before the page's own scripts. An init
     * script is added through the DevTools protocol, which the console's Content-Security-Policy
     * (script-src 'self': no inline script) does not govern, so the CSP stays on and a violation
     * of it is still reported as a console error. (page.addScriptTag with the source as content
     * would be an inline script, blocked by that CSP, and need setBypassCSP(true).)
     */
    public static void inject(BrowserContext context) {
        context.addInitScript(SOURCE);
    }

    /** One element a rule failed on: its CSS selector, its HTML (shortened) and axe's summary of what to fix. */
    public record Node(String target, String html, String summary) {
    }

    /** A rule that failed, with its impact ("minor" to "critical"), axe's one-line help and the elements. */
    public record Violation(String rule, String impact, String help, List<Node> nodes) {
    }

    /**
     * Runs axe on the page (WCAG 2.0/2.1 A and AA and axe's best practices, its default) and
     * returns every violation. {@code include} and {@code exclude} are CSS selectors that scope
     * the check (none: the whole document); {@code rulesOff} are axe rule ids not to run (for
     * markup that is not ours: say why where you pass one).
     */
    public static List<Violation> run(Page page, List<String> include, List<String> exclude, List<String> rulesOff) {
        Object result = page.evaluate("""
                async ([include, exclude, rulesOff]) => {
                  if (!window.axe) throw new Error('axe-core is not in this page: call Axe.inject(context) before navigating');
                  const context = { include: include.length ? include.map(s => [s]) : [['html']], exclude: exclude.map(s => [s]) };
                  const rules = Object.fromEntries(rulesOff.map(id => [id, { enabled: false }]));
                  const results = await window.axe.run(context, { resultTypes: ['violations'], rules });
                  return JSON.stringify(results.violations.map(v => ({ rule: v.id, impact: v.impact, help: v.help,
                    nodes: v.nodes.map(n => ({ target: n.target.join(' '), html: n.html, summary: n.failureSummary })) })));
                }""", List.of(include, exclude, rulesOff));
        JsonNode list = TestTools.json((String) result);
        List<Violation> violations = new ArrayList<>();
        for (JsonNode v : list) {
            List<Node> nodes = new ArrayList<>();
            for (JsonNode n : v.path("nodes")) {
                nodes.add(new Node(n.path("target").asText(), shorten(n.path("html").asText(), 160), n.path("summary").asText()));
            }
            violations.add(new Violation(v.path("rule").asText(), v.path("impact").asText(), v.path("help").asText(), nodes));
        }
        return violations;
    }

    /** The serious and critical violations in the page (scoped as {@link #run}). */
    public static List<Violation> serious(Page page, List<String> include, List<String> exclude, List<String> rulesOff) {
        return run(page, include, exclude, rulesOff).stream().filter(v -> FAILING.contains(v.impact())).toList();
    }

    /** The violations as a person fixing them wants to read them: where, which rule, which elements, why. */
    public static String report(String where, List<Violation> violations) {
        StringBuilder out = new StringBuilder();
        for (Violation v : violations) {
            out.append(where).append(": ").append(v.rule()).append(" (").append(v.impact()).append(") ").append(v.help()).append('\n');
            for (Node n : v.nodes()) {
                out.append("    at ").append(n.target()).append("  ").append(n.html()).append('\n');
                for (String line : n.summary().split("\n")) if (!line.isBlank()) out.append("      ").append(line.strip()).append('\n');
            }
        }
        return out.toString();
    }

    private static String shorten(String text, int max) {
        String flat = text.replaceAll("\\s+", " ");
        return flat.length() <= max ? flat : flat.substring(0, max) + "…";
    }
}
