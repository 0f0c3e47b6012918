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
 * {@code --help} and the README's configuration table agree with {@link Config.Setting}: every
 * setting has its row, with its option and its default as {@code --help} prints it, and the table
 * names no option the server does not have.
 */
class ConfigDocsTest {
    /** A row of the table: {@code | `BATON_X` | `--x` | default | meaning |}. */
    private static final Pattern ROW = Pattern.compile("^\\| `([A-Z][A-Z0-9_]*)` \\| `(--[a-z0-9-]+)` \\| ([^|]*) \\|");

    record Row(String option, String defaultCell) {
    }

    /**
     * Settings whose README row is not written yet: their text is in /work/wt/docs-answers.md for the
     * lead, who is restructuring the README. Remove a name here once its row is in; --help is checked
     * for them all the same.
     */
    private static final java.util.Set<String> ROWS_TO_PLACE = java.util.Set.of("BATON_ANSWER_CHAT_GOALS");

    private static Map<String, Row> readmeRows() throws IOException {
        Map<String, Row> rows = new LinkedHashMap<>();
        for (String line : Files.readAllLines(Path.of("..", "README.md"), StandardCharsets.UTF_8)) {
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
        Map<String, Row> rows = readmeRows();
        String help = Main.usage();
        List<String> wrong = new ArrayList<>();
        for (Config.Setting s : Config.Setting.values()) {
            Row row = rows.get(s.variable());
            if (row == null && !ROWS_TO_PLACE.contains(s.variable())) {
                wrong.add(s.variable() + ": no row in the README's configuration table");
                continue;
            }
            if (row != null) {
                if (!row.option().equals(s.option())) wrong.add(s.variable() + ": README says " + row.option() + ", the server " + s.option());
                if (!value(row.defaultCell()).equals(s.describedDefault())) {
                    wrong.add(s.variable() + ": README's default is '" + row.defaultCell() + "', --help's '" + s.describedDefault() + "'");
                }
            }
            assertTrue(help.lines().anyMatch(l -> l.contains(s.option() + " VALUE") && l.contains(s.variable())
                    && l.endsWith("default: " + s.describedDefault())), s + " in --help:\n" + help);
        }
        assertEquals(List.of(), wrong);
    }

    @Test
    void theTableNamesNoOptionTheServerLacks() throws IOException {
        List<String> unknown = new ArrayList<>();
        for (Map.Entry<String, Row> row : readmeRows().entrySet()) {
            boolean known = false;
            for (Config.Setting s : Config.Setting.values()) known |= s.variable().equals(row.getKey()) && s.option().equals(row.getValue().option());
            if (!known) unknown.add(row.getKey() + " " + row.getValue().option());
        }
        assertEquals(List.of(), unknown, "rows of the README's configuration table that no setting has");
    }

    @Test
    void helpNoLongerSaysEmptyWhereAnEmptyValueStandsForSomething() {
        assertEquals("~/.cache/baton", Config.Setting.TRIAGE_CACHE_DIR.describedDefault());
        assertEquals("empty", Config.Setting.DB_URL.describedDefault());
        assertEquals("8080", Config.Setting.PORT.describedDefault());
        assertTrue(Main.usage().lines().noneMatch(l -> l.contains("(empty)")), Main.usage());
    }
}
