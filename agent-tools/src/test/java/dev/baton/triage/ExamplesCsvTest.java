package dev.baton.triage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

class ExamplesCsvTest {

    @Test
    void readsQuotedFieldsWithCommasQuotesAndLineBreaks() {
        String csv = "text,category\r\n"
                + "plain text,card_arrival\r\n"
                + "\"with, a comma\",card_arrival\n"
                + "\"she said \"\"hi\"\"\",top_up_failed\n"
                + "\"two\nlines\",\"top_up_failed\"\n"
                + "\n"
                + "last without newline,card_arrival";
        List<LabelledExample> examples = ExamplesCsv.parse(csv, "t.csv");
        assertEquals(List.of(
                new LabelledExample("plain text", "card_arrival"),
                new LabelledExample("with, a comma", "card_arrival"),
                new LabelledExample("she said \"hi\"", "top_up_failed"),
                new LabelledExample("two\nlines", "top_up_failed"),
                new LabelledExample("last without newline", "card_arrival")), examples);
        assertEquals(examples, ExamplesCsv.parse(ExamplesCsv.format(examples), "round trip"));
    }

    @Test
    void readsTheBundledExamples() {
        List<LabelledExample> all = TriageFixtures.bundled();
        assertEquals(10_003, all.size());
        assertEquals(77, all.stream().map(LabelledExample::category).distinct().count());
    }

    @Test
    void errorsNameTheLineAndTheProblem() {
        assertError("text,category\nok,a\n\"never closed,a\nmore,b\n", "t.csv: line 3: quoted field is never closed");
        assertError("text,category\nok,a\none,two,three\n", "t.csv: line 3: expected 2 fields (text,category), found 3");
        assertError("text,category\nok,a\nno category\n", "t.csv: line 3: expected 2 fields (text,category), found 1");
        assertError("text,category\n\"two\nlines\",a\n,b\n", "t.csv: line 4: empty text");
        assertError("text,category\nok,\n", "t.csv: line 2: empty category");
        assertError("text,category\nsay \"hi\",a\n", "t.csv: line 2: quote inside an unquoted field");
        assertError("\"a\"b,category\n", "t.csv: line 1: unexpected text after a closing quote");
        assertError("question,label\nok,a\n", "t.csv: line 1: the header must be text,category");
        assertError("", "t.csv: empty file");
        assertError("text,category\n", "t.csv: no examples after the header");
    }

    @Test
    void rejectsTextThatIsNotUtf8() {
        byte[] latin1 = {'t', 'e', 'x', 't', ',', 'c', 'a', 't', 'e', 'g', 'o', 'r', 'y', '\n', (byte) 0xE9, ',', 'a'};
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ExamplesCsv.decode(latin1, "x.csv"));
        assertEquals("x.csv: not UTF-8 text", e.getMessage());
    }

    private static void assertError(String csv, String expectedStart) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ExamplesCsv.parse(csv, "t.csv"));
        assertTrue(e.getMessage().startsWith(expectedStart), () -> "message was: " + e.getMessage());
    }
}
