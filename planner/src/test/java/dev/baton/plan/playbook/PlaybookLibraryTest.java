package dev.baton.plan.playbook;

import dev.baton.plan.TaskAction;
import dev.baton.plan.TaskSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PlaybookLibraryTest {

    static final String GREETING = """
            {"description": "Say hello to someone.",
             "goals": ["greet Ada", "say hi"],
             "plan": {"tasks": [{"id": "hello", "tool": "echo", "args": {"greeting": "hello ${input.name}"}}]}}
            """;

    @TempDir
    Path folder;

    static List<String> names(PlaybookLibrary library) {
        return library.all().stream().map(Playbook::name).toList();
    }

    @Test
    void loadsTheBuiltInPlaybooksFromTheIndex() {
        PlaybookLibrary library = PlaybookLibrary.builtin();
        assertEquals(List.of("check-url-health", "delayed-reminder", "notify-webhook"), names(library));
        Playbook health = library.find("check-url-health").orElseThrow();
        assertTrue(health.builtin());
        assertEquals(Playbook.BUILTIN, health.source());
        assertFalse(health.goals().isEmpty());
        assertEquals("object", health.input().get("type").asText());
        assertEquals(List.of("check", "report"), health.plan().tasks().stream().map(TaskSpec::id).toList());
        assertTrue(library.find("no-such-playbook").isEmpty());
    }

    @Test
    void loadsEveryJsonFileOfTheUserFolderBesideTheBuiltIns() throws Exception {
        Files.writeString(folder.resolve("greeting.json"), GREETING);
        Files.writeString(folder.resolve("named.json"), GREETING.replace("{\"description\"", "{\"name\": \"say-hello\", \"description\""));
        Files.writeString(folder.resolve("notes.txt"), "not a playbook");
        Files.createDirectory(folder.resolve("sub.json"));

        PlaybookLibrary library = PlaybookLibrary.load(folder);

        assertEquals(List.of("check-url-health", "delayed-reminder", "greeting", "notify-webhook", "say-hello"), names(library));
        Playbook greeting = library.find("greeting").orElseThrow();
        assertFalse(greeting.builtin());
        assertEquals(folder.resolve("greeting.json").toString(), greeting.source());
        assertEquals("Say hello to someone.", greeting.description());
        assertEquals(List.of("greet Ada", "say hi"), greeting.goals());
        assertEquals(List.of("Say hello to someone.", "greet Ada", "say hi"), greeting.matchTexts());
        assertTrue(greeting.plan().task("hello").orElseThrow().action() instanceof TaskAction.ToolCall);
    }

    @Test
    void aUserPlaybookOverridesTheBuiltInOfTheSameName() throws Exception {
        Files.writeString(folder.resolve("check-url-health.json"), GREETING);

        PlaybookLibrary library = PlaybookLibrary.load(folder);

        Playbook overridden = library.find("check-url-health").orElseThrow();
        assertFalse(overridden.builtin());
        assertEquals("Say hello to someone.", overridden.description());
        assertEquals(3, library.size());
    }

    @Test
    void aBrokenFileIsReportedByNameWithEveryProblem() throws Exception {
        Files.writeString(folder.resolve("good.json"), GREETING);
        Files.writeString(folder.resolve("broken.json"), """
                {"descripton": "typo", "goals": ["ok", 3],
                 "plan": {"tasks": [{"id": "post", "tool": "http.request", "dependOn": ["x"]}]}}
                """);
        Files.writeString(folder.resolve("garbled.json"), "{\"description\": ");

        PlaybookException e = assertThrows(PlaybookException.class, () -> PlaybookLibrary.load(folder));

        String broken = "playbook " + folder.resolve("broken.json") + ": ";
        assertTrue(e.problems().contains(broken + "field 'description': missing; say in a sentence what the playbook does (it is matched to goals)"), e.getMessage());
        assertTrue(e.problems().stream().anyMatch(p -> p.startsWith(broken + "field 'descripton': unknown")), e.getMessage());
        assertTrue(e.problems().contains(broken + "field 'goals[1]': expected a non-blank string"), e.getMessage());
        assertTrue(e.problems().stream().anyMatch(p -> p.startsWith(broken + "plan: task 'post', field 'dependOn'")), e.getMessage());
        assertTrue(e.problems().stream().anyMatch(p -> p.startsWith("playbook " + folder.resolve("garbled.json") + ": malformed JSON")), e.getMessage());
        assertTrue(e.problems().stream().noneMatch(p -> p.contains("good.json")), e.getMessage());
    }

    @Test
    void anInputSchemaThatWouldCheckNothingIsRefused() throws Exception {
        Files.writeString(folder.resolve("typo.json"), """
                {"description": "Say hello.", "input": {"type": "object", "properties": {"name": {"type": "string", "maxLenght": 20}}},
                 "plan": {"tasks": [{"id": "hello", "tool": "echo", "args": {"greeting": "hello ${input.name}"}}]}}
                """);

        PlaybookException e = assertThrows(PlaybookException.class, () -> PlaybookLibrary.load(folder));

        String where = "playbook " + folder.resolve("typo.json") + ": ";
        assertTrue(e.problems().stream().anyMatch(p -> p.startsWith(where
                + "field 'input.properties.name.maxLenght': unknown keyword 'maxLenght'")), e.getMessage());
    }

    @Test
    void aPlaybookWithoutAPlanOrWithABadNameIsRefused() throws Exception {
        Files.writeString(folder.resolve("empty.json"), "{\"name\": \"has space\", \"description\": \"x\"}");

        PlaybookException e = assertThrows(PlaybookException.class, () -> PlaybookLibrary.load(folder));

        String where = "playbook " + folder.resolve("empty.json") + ": ";
        assertEquals(List.of(
                where + "field 'name': 'has space' is not a valid playbook name (1 to 64 letters, digits, '.', '_' or '-')",
                where + "field 'plan': missing; a playbook needs a plan ({\"tasks\": [...]})"), e.problems());
    }

    @Test
    void twoUserFilesWithOneNameAreAnError() throws Exception {
        Files.writeString(folder.resolve("a.json"), GREETING.replace("{\"description\"", "{\"name\": \"hello\", \"description\""));
        Files.writeString(folder.resolve("b.json"), GREETING.replace("{\"description\"", "{\"name\": \"hello\", \"description\""));

        PlaybookException e = assertThrows(PlaybookException.class, () -> PlaybookLibrary.load(folder));

        assertEquals("playbook " + folder.resolve("b.json") + ": name 'hello' is also the name of " + folder.resolve("a.json")
                + "; playbook names must be unique", e.getMessage());
    }

    @Test
    void aMissingFolderIsAnErrorThatSaysWhatToSet() throws IOException {
        Path missing = folder.resolve("nowhere");

        PlaybookException e = assertThrows(PlaybookException.class, () -> PlaybookLibrary.load(missing));

        assertEquals("playbook folder " + missing + ": does not exist (set BATON_PLAYBOOKS_DIR to a folder of *.json playbooks, or leave it unset)",
                e.getMessage());
    }

    @Test
    void theEnvironmentNamesTheFolder() throws Exception {
        Files.writeString(folder.resolve("greeting.json"), GREETING);

        assertTrue(PlaybookLibrary.fromEnvironment(Map.of("BATON_PLAYBOOKS_DIR", folder.toString())).find("greeting").isPresent());
        assertEquals(3, PlaybookLibrary.fromEnvironment(Map.of()).size());
        assertEquals(3, PlaybookLibrary.fromEnvironment(Map.of("BATON_PLAYBOOKS_DIR", " ")).size());
    }
}
