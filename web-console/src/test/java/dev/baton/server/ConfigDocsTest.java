package dev.baton.server;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code --help} and the configuration tables agree with {@link Config.Setting}: every setting has
 * its row in docs/configuration.md, with its option and its default as {@code --help} prints it;
 * neither that table nor the README's short one ("Configuration at a glance") names an option the
 * server does not have or gives another option or default than the server's.
 */
class ConfigDocsTest {
    /** A row of the table: {@code | `BATON_X` | `--x` | default | meaning |}. */
    private static final Pattern ROW = Pattern.compile("^\\| `([A-Z][A-Z0-9_]*)` \\| `(--[a-z0-9-]+)` \\| ([^|]*) \\|");

    record Row(String option, String defaultCell) {
    }

    private static final Path FULL_TABLE = Path.of("..", "docs", "configuration.md");
    private static final Path README = Path.of("..", "README.md");

    private static Map<String, Row> rows(Path document) throws IOException {
        Map<String, Row> rows = new LinkedHashMap<>();
        for (String line : Files.readAllLines(document, StandardCharsets.UTF_8)) {
            Matcher m = ROW.matcher(line);
            if (m.find()) rows.put(m.group(1), new Row(m.group(2), m.group(3).strip()));
        }
        return rows;
    }

    /** "`baton-data` (under the working directory)" → "baton-data": the value, without backticks or a remark. */
    static String value(String cell) {
        String bare = cell.replaceAll("\\s*\\(.*\\)$", "");
        return bare.replace("`", "").strip();
    }

    @Test
    void everySettingHasItsRowWithItsOptionAndTheDefaultHelpPrints() throws IOException {
        Map<String, Row> rows = rows(FULL_TABLE);
        String help = Main.usage();
        List<String> wrong = new ArrayList<>();
        for (Config.Setting s : Config.Setting.values()) {
            Row row = rows.get(s.variable());
            if (row == null) {
                wrong.add(s.variable() + ": no row in docs/configuration.md's table");
                continue;
            }
            if (!row.option().equals(s.option())) wrong.add(s.variable() + ": docs/configuration.md says " + row.option() + ", the server " + s.option());
            if (!value(row.defaultCell()).equals(s.describedDefault())) {
                wrong.add(s.variable() + ": docs/configuration.md's default is '" + row.defaultCell() + "', --help's '" + s.describedDefault() + "'");
            }
            assertTrue(help.lines().anyMatch(l -> l.contains(s.option() + " VALUE") && l.contains(s.variable())
                    && l.endsWith("default: " + s.describedDefault())), s + " in --help:\n" + help);
        }
        assertEquals(List.of(), wrong);
    }

    @Test
    void theTablesNameNoOptionTheServerLacks() throws IOException {
        for (Path document : List.of(FULL_TABLE, README)) {
            List<String> unknown = new ArrayList<>();
            for (Map.Entry<String, Row> row : rows(document).entrySet()) {
                boolean known = false;
                for (Config.Setting s : Config.Setting.values()) known |= s.variable().equals(row.getKey()) && s.option().equals(row.getValue().option());
                if (!known) unknown.add(row.getKey() + " " + row.getValue().option());
            }
            assertEquals(List.of(), unknown, "rows of " + document + "'s configuration table that no setting has");
        }
    }

    @Test
    void theReadmesShortTableGivesTheServersDefaults() throws IOException {
        Map<String, Row> rows = rows(README);
        assertTrue(rows.size() >= 5, "the README's configuration table: " + rows.keySet());
        List<String> wrong = new ArrayList<>();
        for (Config.Setting s : Config.Setting.values()) {
            Row row = rows.get(s.variable());
            if (row != null && !value(row.defaultCell()).equals(s.describedDefault())) {
                wrong.add(s.variable() + ": the README's default is '" + row.defaultCell() + "', --help's '" + s.describedDefault() + "'");
            }
        }
        assertEquals(List.of(), wrong);
    }

    @Test
    void helpNoLongerSaysEmptyWhereAnEmptyValueStandsForSomething() {
        assertEquals("~/.cache/baton", Config.Setting.TRIAGE_CACHE_DIR.describedDefault());
        assertEquals("empty", Config.Setting.DB_URL.describedDefault());
        assertEquals("8080", Config.Setting.PORT.describedDefault());
        assertTrue(Main.usage().lines().noneMatch(l -> l.contains("(empty)")), Main.usage());
    }
}
