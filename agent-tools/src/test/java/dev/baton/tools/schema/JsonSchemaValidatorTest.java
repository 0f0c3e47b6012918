package dev.baton.tools.schema;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.json.Json;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What Baton adds to networknt's validator: the wording and paths of violations, the refusal of
 * schemas it cannot check, the plan-time reading of deferred values, and the cases issue 17
 * found. What a keyword means is the library's, covered by {@link JsonSchemaTestSuiteTest}.
 */
class JsonSchemaValidatorTest {

    /** JSON with single quotes for readability. */
    static JsonNode json(String text) {
        try {
            return Json.parse(text.replace('\'', '"'));
        } catch (Exception e) {
            throw new IllegalArgumentException(text, e);
        }
    }

    static List<SchemaViolation> check(String schema, String value) {
        return JsonSchemaValidator.validate(json(schema), json(value));
    }

    static void valid(String schema, String value) {
        List<SchemaViolation> violations = check(schema, value);
        assertEquals(List.of(), violations, () -> value + " should conform to " + schema);
    }

    static SchemaViolation onlyViolation(String schema, String value) {
        List<SchemaViolation> violations = check(schema, value);
        assertEquals(1, violations.size(), () -> "expected one violation, got " + violations);
        return violations.get(0);
    }

    static void invalid(String schema, String value, String path, String message) {
        SchemaViolation violation = onlyViolation(schema, value);
        assertEquals(path, violation.path());
        assertEquals(message, violation.message());
    }

    static List<SchemaViolation> problems(String schema) {
        return JsonSchemaValidator.schemaProblems(json(schema), "parameters");
    }

    static void refused(String schema, String path, String messageStart) {
        List<SchemaViolation> problems = problems(schema);
        assertEquals(1, problems.size(), () -> "expected one problem, got " + problems);
        assertEquals(path, problems.get(0).path());
        assertTrue(problems.get(0).message().startsWith(messageStart), problems.get(0).message());
    }

    /** The cases of issue 17, each accepted by the hand-written validator this replaced. */
    @Nested
    class Issue17 {
        @Test
        void dollarIsTheEndOfTheTextNotBeforeAFinalNewline() {
            invalid("{'type':'string','pattern':'^[a-z0-9-]+$'}", "'main\\n'", "args",
                    "expected a string matching /^[a-z0-9-]+$/, found \"main\\n\"");
            valid("{'type':'string','pattern':'^[a-z0-9-]+$'}", "'main'");
        }

        @Test
        void unicodePropertyNamesAreEcmaScripts() {
            invalid("{'pattern':'^\\\\p{Letter}+$'}", "'123'", "args", "expected a string matching /^\\p{Letter}+$/, found \"123\"");
            valid("{'pattern':'^\\\\p{Letter}+$'}", "'Grüße'");
        }

        @Test
        void aNumberBeyondADoubleIsAboveEveryMaximum() {
            invalid("{'type':'number','maximum':1000}", "1e400", "args", "expected a number <= 1000, found a number above 1.8e308");
            invalid("{'type':'number','minimum':-1000}", "-1e400", "args", "expected a number >= -1000, found a number below -1.8e308");
        }

        @Test
        void aTypeThatDoesNotExistIsRefusedNotIgnored() {
            refused("{'type':'int'}", "parameters.type", "unknown type \"int\"");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> check("{'type':'int'}", "'abc'"));
            assertTrue(e.getMessage().contains("unknown type \"int\""), e.getMessage());
        }

        @Test
        void not() {
            invalid("{'not':{'type':'string'}}", "'x'", "args", "expected a value that does not match {\"type\":\"string\"}, found string \"x\"");
            valid("{'not':{'type':'string'}}", "1");
        }

        @Test
        void uniqueItems() {
            invalid("{'type':'array','uniqueItems':true}", "[1,{'a':1},{'a':1}]", "args", "expected items that all differ, found a repeated one");
            valid("{'type':'array','uniqueItems':true}", "[1,'1',{'a':1}]");
        }

        @Test
        void prefixItems() {
            String schema = "{'type':'array','prefixItems':[{'type':'string'},{'type':'integer'}],'items':false}";
            valid(schema, "['a',1]");
            invalid(schema, "[1]", "args[0]", "expected string, found number 1");
            invalid(schema, "['a',1,true]", "args[2]", "no item is allowed at this position, found boolean true");
        }

        @Test
        void dependentRequired() {
            String schema = "{'type':'object','dependentRequired':{'card':['expiry']}}";
            valid(schema, "{'expiry':'12/30'}");
            invalid(schema, "{'card':'4111'}", "args", "missing property 'expiry', required when 'card' is present");
        }

        @Test
        void ifThenElse() {
            String schema = "{'type':'object','properties':{'kind':{'enum':['refund','note']},'amount':{'type':'number'}},"
                    + "'if':{'properties':{'kind':{'const':'refund'}}},'then':{'required':['amount']},'else':{'properties':{'amount':false}}}";
            valid(schema, "{'kind':'refund','amount':5}");
            valid(schema, "{'kind':'note'}");
            invalid(schema, "{'kind':'refund'}", "args", "missing required property 'amount'");
            invalid(schema, "{'kind':'note','amount':5}", "args.amount", "no value is allowed here, found number 5");
        }

        @Test
        void multipleOf() {
            valid("{'multipleOf':0.01}", "19.99");
            invalid("{'multipleOf':0.5}", "0.3", "args", "expected a multiple of 0.5, found 0.3");
        }

        @Test
        void refsToDefinitionsAreFollowedAllTheWayDown() {
            String unit = "{'type':'object','properties':{'unit':{'$ref':'#/$defs/Unit'}},'required':['unit'],"
                    + "'$defs':{'Unit':{'type':'object','properties':{'name':{'type':'string'},"
                    + "'children':{'type':'array','items':{'$ref':'#/$defs/Unit'}}},'required':['name']}}}";
            valid(unit, "{'unit':{'name':'a','children':[{'name':'b','children':[]}]}}");
            invalid(unit, "{'unit':{'name':'a','children':[{'name':5}]}}", "args.unit.children[0].name", "expected string, found number 5");
        }
    }

    @Nested
    class Messages {
        @Test
        void wrongTypeSaysWhatWasExpectedAndFound() {
            invalid("{'type':'integer'}", "'abc'", "args", "expected integer, found string \"abc\"");
            invalid("{'type':'integer'}", "2.5", "args", "expected integer, found number 2.5");
            invalid("{'type':'string'}", "true", "args", "expected string, found boolean true");
            invalid("{'type':'object'}", "[1]", "args", "expected object, found array");
            invalid("{'type':'array'}", "{}", "args", "expected array, found object");
            invalid("{'type':'null'}", "0", "args", "expected null, found number 0");
            invalid("{'type':['string','null']}", "3", "args", "expected string or null, found number 3");
        }

        @Test
        void wrongTypeStopsFurtherMessagesAboutThatValue() {
            invalid("{'type':'string','enum':['a'],'minLength':3}", "5", "args", "expected string, found number 5");
        }

        @Test
        void longStringsAreCutShort() {
            String message = onlyViolation("{'type':'number'}", "'" + "x".repeat(200) + "'").message();
            assertTrue(message.endsWith("..."), message);
            assertTrue(message.length() < 100, message);
        }

        static final String REQUEST = "{'type':'object','properties':{'method':{'type':'string'},'url':{'type':'string'},"
                + "'headers':{'type':'object'},'body':{},'timeout':{'type':'integer'}},"
                + "'required':['url'],'additionalProperties':false}";

        @Test
        void missingRequiredPropertyAndUnknownOnesListingTheAllowed() {
            invalid(REQUEST, "{'method':'GET'}", "args", "missing required property 'url'");
            assertEquals(List.of(
                    new SchemaViolation("args", "missing required property 'url'"),
                    new SchemaViolation("args.urll", "unknown property 'urll' (allowed: method, url, headers, body, timeout)")),
                    check(REQUEST, "{'urll':'http://x'}"));
            invalid("{'type':'object','additionalProperties':false}", "{'a':1}", "args.a", "unknown property 'a' (no properties are allowed)");
        }

        @Test
        void allowedPropertiesOfANestedDefinition() {
            String schema = "{'properties':{'line':{'$ref':'#/$defs/Line'}},"
                    + "'$defs':{'Line':{'type':'object','properties':{'sku':{},'qty':{}},'additionalProperties':false}}}";
            invalid(schema, "{'line':{'sku':'a','qtty':1}}", "args.line.qtty", "unknown property 'qtty' (allowed: sku, qty)");
        }

        @Test
        void pathsUseDotsIndexesAndQuotesForOddNames() {
            String schema = "{'type':'object','properties':{'customer':{'type':'object','properties':{'email':{'type':'string'}}},"
                    + "'items':{'type':'array','items':{'type':'integer'}},'content type':{'type':'string'}}}";
            assertEquals(List.of(
                    new SchemaViolation("args.customer.email", "expected string, found number 5"),
                    new SchemaViolation("args.items[2]", "expected integer, found string \"x\""),
                    new SchemaViolation("args[\"content type\"]", "expected string, found number 1")),
                    check(schema, "{'customer':{'email':5},'items':[1,2,'x'],'content type':1}"));
        }

        @Test
        void enumAndConst() {
            invalid("{'enum':['GET','POST']}", "'FETCH'", "args", "expected one of \"GET\", \"POST\", found string \"FETCH\"");
            invalid("{'enum':[{'a':1}]}", "{'a':2}", "args", "expected one of {\"a\":1}, found object");
            assertTrue(onlyViolation("{'enum':[1,2,3,4,5,6,7,8,9,10,11,12]}", "13").message().contains("... (12 in all)"));
            invalid("{'const':'v1'}", "'v2'", "args", "expected \"v1\", found string \"v2\"");
            invalid("{'const':false}", "0", "args", "expected false, found number 0");
        }

        @Test
        void sizesAndLengths() {
            invalid("{'minItems':2}", "[1]", "args", "expected at least 2 items, found 1");
            invalid("{'maxItems':2}", "[1,2,3]", "args", "expected at most 2 items, found 3");
            invalid("{'minProperties':1}", "{}", "args", "expected at least 1 properties, found 0");
            invalid("{'minLength':3}", "'\uD83D\uDE00\uD83D\uDE00'", "args", "expected at least 3 characters, found 2 in \"\uD83D\uDE00\uD83D\uDE00\"");
            invalid("{'maxLength':3}", "'abcd'", "args", "expected at most 3 characters, found 4 in \"abcd\"");
            invalid("{'pattern':'^[a-z]+$'}", "'ABC'", "args", "expected a string matching /^[a-z]+$/, found \"ABC\"");
        }

        @Test
        void numericBounds() {
            invalid("{'minimum':1}", "0", "args", "expected a number >= 1, found 0");
            invalid("{'maximum':10}", "10.5", "args", "expected a number <= 10, found 10.5");
            invalid("{'exclusiveMinimum':0}", "0", "args", "expected a number > 0, found 0");
            invalid("{'exclusiveMaximum':1}", "1.0", "args", "expected a number < 1, found 1.0");
            invalid("{'maximum':9007199254740992}", "9007199254740993", "args",
                    "expected a number <= 9007199254740992, found 9007199254740993");
        }

        @Test
        void anyOfGivesEachAlternativesFirstReason() {
            String stringOrNull = "{'anyOf':[{'type':'string'},{'type':'null'}]}";
            valid(stringOrNull, "null");
            invalid(stringOrNull, "3", "args",
                    "matches none of the 2 alternatives (anyOf): #1 expected string, found number 3; #2 expected null, found number 3");
            String message = onlyViolation("{'anyOf':[{'properties':{'a':{'type':'string'}}},{'type':'array'}]}", "{'a':1}").message();
            assertTrue(message.contains("#1 at args.a expected string, found number 1"), message);
        }

        @Test
        void anyOfInsideItemsIsReportedPerItem() {
            String schema = "{'items':{'anyOf':[{'type':'string'},{'type':'integer'}]}}";
            List<SchemaViolation> violations = check(schema, "['a',true,1,null]");
            assertEquals(List.of("args[1]", "args[3]"), violations.stream().map(SchemaViolation::path).toList(), violations::toString);
        }

        @Test
        void oneOfNeedsExactlyOne() {
            String schema = "{'oneOf':[{'type':'integer'},{'type':'number'}]}";
            valid(schema, "2.5");
            invalid(schema, "2", "args", "matches 2 alternatives (oneOf #1, #2), expected exactly one");
            invalid(schema, "'x'", "args",
                    "matches none of the 2 alternatives (oneOf): #1 expected integer, found string \"x\"; #2 expected number, found string \"x\"");
        }

        @Test
        void allOfReportsEveryBrokenPart() {
            List<SchemaViolation> violations = check("{'allOf':[{'type':'string'},{'minLength':3},{'pattern':'^a'}]}", "'b'");
            assertEquals(2, violations.size(), violations::toString);
            assertTrue(violations.get(0).message().startsWith("expected at least 3 characters"));
            assertTrue(violations.get(1).message().startsWith("expected a string matching /^a/"));
        }

        @Test
        void contains() {
            invalid("{'contains':{'type':'string'}}", "[1]", "args", "expected at least 1 items matching {\"type\":\"string\"}");
            invalid("{'contains':{'type':'string'},'maxContains':1}", "['a','b']", "args", "expected at most 1 items matching {\"type\":\"string\"}");
        }

        @Test
        void falseSchema() {
            invalid("{'properties':{'a':false}}", "{'a':1}", "args.a", "no value is allowed here, found number 1");
        }
    }

    @Nested
    class RefusedSchemas {
        @Test
        void unknownKeywordIsNamedWithItsPathAndTheLikelyMeant() {
            List<SchemaViolation> found = problems("{'type':'object','properties':{'branch':{'type':'string','maxLenght':3}}}");
            assertEquals(1, found.size(), found::toString);
            assertEquals("parameters.properties.branch.maxLenght", found.get(0).path());
            assertTrue(found.get(0).message().startsWith("unknown keyword 'maxLenght'"), found.get(0).message());
            assertTrue(found.get(0).message().endsWith("(did you mean 'maxLength'?)"), found.get(0).message());
        }

        @Test
        void keywordsOfOtherDialectsAreUnknownHere() {
            refused("{'type':'string','nullable':true}", "parameters.nullable", "unknown keyword 'nullable'");
            refused("{'items':[{'type':'string'}]}", "parameters.items", "a schema must be an object, true or false, found array");
            refused("{'minimum':0,'exclusiveMinimum':true}", "parameters.exclusiveMinimum", "expected number, found boolean true");
            refused("{'$schema':'http://json-schema.org/draft-07/schema#'}", "parameters[\"$schema\"]", "Baton checks by JSON Schema draft 2020-12");
        }

        @Test
        void unknownTypesAnywhere() {
            refused("{'properties':{'a':{'type':['string','int']}}}", "parameters.properties.a.type", "unknown type \"int\"");
            refused("{'$defs':{'U':{'type':'strin'}}}", "parameters[\"$defs\"].U.type", "unknown type \"strin\"");
        }

        @Test
        void patternsThatAreNotEcmaScriptRegularExpressions() {
            refused("{'pattern':'(['}", "parameters.pattern", "pattern \"([\" is not an ECMA-262 regular expression");
            refused("{'patternProperties':{'^(x':{}}}", "parameters.patternProperties[\"^(x\"]", "pattern \"^(x\" is not an ECMA-262");
        }

        @Test
        void valuesOfTheWrongKindForTheirKeyword() {
            refused("{'required':'url'}", "parameters.required", "expected array, found string \"url\"");
            refused("{'minLength':-1}", "parameters.minLength", "expected a number >= 0, found -1");
        }

        @Test
        void refsThatLeadNowhereOrOutside() {
            refused("{'$ref':'#/$defs/Missing'}", "parameters", "cannot be compiled");
            refused("{'properties':{'a':{'$ref':'http://169.254.169.254/latest/meta-data'}}}", "parameters", "cannot be compiled");
        }

        @Test
        void annotationsAndExtensionsAreFine() {
            assertEquals(List.of(), problems("{'$schema':'https://json-schema.org/draft/2020-12/schema','$id':'urn:baton:t',"
                    + "'title':'t','description':'d','$comment':'c','type':'object','x-ui':{'widget':'text'},"
                    + "'properties':{'a':{'type':'string','format':'email','default':'x','examples':['y'],'deprecated':true,"
                    + "'readOnly':false,'writeOnly':false,'contentMediaType':'text/plain'}},"
                    + "'$defs':{'D':{'type':'integer'}},'definitions':{'E':{'type':'integer'}}}"));
        }

        @Test
        void aSchemaIsCompiledOnceAndKept() {
            JsonNode schema = json("{'type':'object','properties':{'n':{'type':'integer'}}}");
            assertEquals(List.of(), JsonSchemaValidator.schemaProblems(schema, "parameters"));
            List<SchemaViolation> first = JsonSchemaValidator.validate(schema, json("{'n':'x'}"));
            assertEquals(1, first.size());
            assertSame(JsonSchemaValidator.compiled(schema), JsonSchemaValidator.compiled(schema));
        }
    }

    @Nested
    class DeferredValues {
        static final Deferred REFERENCES = new Deferred(
                node -> node.isTextual() && node.textValue().matches("\\$\\{[^}]*}"),
                node -> node.isTextual() && node.textValue().contains("${"));

        static List<SchemaViolation> checkDeferred(String schema, String value) {
            return JsonSchemaValidator.validate(json(schema), json(value), REFERENCES);
        }

        @Test
        void wholeReferencePassesAnyTypeButSiblingsAreStillChecked() {
            String schema = "{'type':'object','properties':{'n':{'type':'integer','minimum':1},'s':{'type':'string'}},"
                    + "'required':['n','s','t'],'additionalProperties':false}";
            assertEquals(List.of(
                    new SchemaViolation("args.s", "expected string, found number 4"),
                    new SchemaViolation("args", "missing required property 't'"),
                    new SchemaViolation("args.x", "unknown property 'x' (allowed: n, s)")),
                    checkDeferred(schema, "{'n':'${a.output.n}','s':4,'x':1}"));
        }

        @Test
        void templateStringIsAStringOfUnknownText() {
            String schema = "{'type':'string','pattern':'^[0-9]+$','maxLength':3,'enum':['1','2']}";
            assertEquals(List.of(), checkDeferred(schema, "'${input.digits}${input.more}'"));
            assertEquals(List.of(new SchemaViolation("args", "expected integer, found string \"n=${input.n}\"")),
                    checkDeferred("{'type':'integer'}", "'n=${input.n}'"), "a template is still a string");
        }

        @Test
        void alternativesOverAReferenceAreNotJudged() {
            assertEquals(List.of(), checkDeferred("{'oneOf':[{'type':'string'},{'type':'integer'}]}", "'${a.output}'"));
            String parentOneOf = "{'oneOf':[{'properties':{'k':{'type':'string'}}},{'properties':{'k':{'type':'integer'}}}]}";
            assertEquals(List.of(), checkDeferred(parentOneOf, "{'k':'${a.output}'}"));
            assertEquals(1, checkDeferred(parentOneOf, "{'k':true}").size());
            assertEquals(List.of(), checkDeferred("{'enum':[{'a':1}]}", "{'a':'${x.output}'}"));
            assertEquals(List.of(), checkDeferred("{'not':{'properties':{'a':{'type':'string'}}}}", "{'a':'${x.output}'}"));
        }

        @Test
        void aConditionOnAReferenceDoesNotCondemnItsLiteralSiblings() {
            // With mode = "${...}" the condition holds now (a string), but may not once the value is known.
            String schema = "{'properties':{'mode':{},'count':{}},"
                    + "'if':{'properties':{'mode':{'type':'string'}}},'then':{'properties':{'count':{'type':'integer'}}}}";
            assertEquals(List.of(), checkDeferred(schema, "{'mode':'${a.output}','count':'many'}"));
            assertEquals(1, checkDeferred(schema, "{'mode':'fast','count':'many'}").size(), "all literal: judged as at run time");
        }

        @Test
        void alternativesAwayFromTheReferenceAreJudged() {
            String schema = "{'properties':{'ref':{},'name':{'anyOf':[{'type':'string'},{'type':'null'}]}}}";
            List<SchemaViolation> violations = checkDeferred(schema, "{'ref':'${a.output}','name':3}");
            assertEquals(List.of("args.name"), violations.stream().map(SchemaViolation::path).toList(), violations::toString);
        }

        @Test
        void aForbiddenPropertyIsForbiddenWhateverItsValue() {
            assertEquals(List.of(new SchemaViolation("args.a", "no value is allowed here, found string \"${x.output}\"")),
                    checkDeferred("{'properties':{'a':false}}", "{'a':'${x.output}'}"));
        }

        @Test
        void withoutDeferredAReferenceIsJustAString() {
            assertEquals(1, check("{'type':'integer'}", "'${a.output}'").size());
        }
    }

    @Test
    void jsonPathsQuoteOnlyOddNames() {
        assertEquals("args.a-b_1", JsonPaths.property("args", "a-b_1"));
        assertEquals("args[\"a.b\"]", JsonPaths.property("args", "a.b"));
        assertEquals("args[\"\"]", JsonPaths.property("args", ""));
        assertEquals("args.x[3]", JsonPaths.index("args.x", 3));
    }
}
