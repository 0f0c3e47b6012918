package dev.baton.tools.schema;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.json.Json;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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

    @Nested
    class Type {
        @Test
        void eachTypeNameAcceptsItsOwnValues() {
            valid("{'type':'string'}", "'x'");
            valid("{'type':'number'}", "2.5");
            valid("{'type':'number'}", "2");
            valid("{'type':'integer'}", "7");
            valid("{'type':'integer'}", "2.0");
            valid("{'type':'boolean'}", "false");
            valid("{'type':'object'}", "{}");
            valid("{'type':'array'}", "[]");
            valid("{'type':'null'}", "null");
        }

        @Test
        void wrongTypeSaysWhatWasExpectedAndFound() {
            invalid("{'type':'integer'}", "'abc'", "args", "expected integer, found string \"abc\"");
            invalid("{'type':'integer'}", "2.5", "args", "expected integer, found number 2.5");
            invalid("{'type':'string'}", "true", "args", "expected string, found boolean true");
            invalid("{'type':'object'}", "[1]", "args", "expected object, found array");
            invalid("{'type':'array'}", "{}", "args", "expected array, found object");
            invalid("{'type':'boolean'}", "null", "args", "expected boolean, found null");
            invalid("{'type':'null'}", "0", "args", "expected null, found number 0");
        }

        @Test
        void arrayOfTypesAcceptsAnyOfThem() {
            valid("{'type':['string','null']}", "null");
            valid("{'type':['string','null']}", "'a'");
            invalid("{'type':['string','null']}", "3", "args", "expected string or null, found number 3");
        }

        @Test
        void wrongTypeStopsFurtherChecksOfThatValue() {
            invalid("{'type':'string','enum':['a'],'minLength':3}", "5", "args", "expected string, found number 5");
        }

        @Test
        void unknownTypeNamesAndKeywordsAreIgnored() {
            valid("{'type':'date'}", "5");
            valid("{'type':'string','format':'email','description':'d','title':'t','default':'x','$ref':'#/x'}", "'x'");
        }

        @Test
        void longStringsAreCutShortInMessages() {
            String message = onlyViolation("{'type':'number'}", "'" + "x".repeat(200) + "'").message();
            assertTrue(message.endsWith("..."), message);
            assertTrue(message.length() < 100, message);
        }
    }

    @Nested
    class ObjectValues {
        static final String REQUEST = "{'type':'object','properties':{'method':{'type':'string'},'url':{'type':'string'},"
                + "'headers':{'type':'object'},'body':{},'timeout':{'type':'integer'}},"
                + "'required':['url'],'additionalProperties':false}";

        @Test
        void missingRequiredProperty() {
            invalid(REQUEST, "{'method':'GET'}", "args", "missing required property 'url'");
        }

        @Test
        void unknownPropertyListsTheAllowedOnes() {
            List<SchemaViolation> violations = check(REQUEST, "{'urll':'http://x'}");
            assertEquals(List.of(
                    new SchemaViolation("args", "missing required property 'url'"),
                    new SchemaViolation("args.urll", "unknown property 'urll' (allowed: method, url, headers, body, timeout)")),
                    violations);
        }

        @Test
        void additionalPropertiesFalseWithoutProperties() {
            invalid("{'type':'object','additionalProperties':false}", "{'a':1}", "args.a", "unknown property 'a' (no properties are allowed)");
        }

        @Test
        void additionalPropertiesSchemaChecksTheExtraOnes() {
            String schema = "{'type':'object','properties':{'name':{'type':'string'}},'additionalProperties':{'type':'integer'}}";
            valid(schema, "{'name':'n','x':1,'y':2}");
            invalid(schema, "{'name':'n','x':'one'}", "args.x", "expected integer, found string \"one\"");
        }

        @Test
        void additionalPropertiesAllowedByDefault() {
            valid("{'type':'object','properties':{'a':{'type':'string'}}}", "{'a':'x','b':1}");
        }

        @Test
        void nestedPathsUseDotsAndIndexes() {
            String schema = "{'type':'object','properties':{'customer':{'type':'object','properties':{'email':{'type':'string'}}},"
                    + "'items':{'type':'array','items':{'type':'integer'}}}}";
            List<SchemaViolation> violations = check(schema, "{'customer':{'email':5},'items':[1,2,'x']}");
            assertEquals(List.of(
                    new SchemaViolation("args.customer.email", "expected string, found number 5"),
                    new SchemaViolation("args.items[2]", "expected integer, found string \"x\"")), violations);
        }

        @Test
        void oddPropertyNamesAreQuotedInPaths() {
            invalid("{'properties':{'content type':{'type':'string'}}}", "{'content type':1}",
                    "args[\"content type\"]", "expected string, found number 1");
        }

        @Test
        void keywordsOfOtherTypesDoNotApply() {
            valid("{'required':['a'],'minItems':3,'minLength':9,'minimum':5}", "true");
        }
    }

    @Nested
    class EnumAndConst {
        @Test
        void enumListsTheAllowedValues() {
            valid("{'enum':['GET','POST']}", "'GET'");
            invalid("{'enum':['GET','POST']}", "'FETCH'", "args", "expected one of \"GET\", \"POST\", found string \"FETCH\"");
        }

        @Test
        void enumComparesNumbersByValueAndObjectsDeeply() {
            valid("{'enum':[1,2]}", "1.0");
            valid("{'enum':[{'a':[1,{'b':null}]}]}", "{'a':[1,{'b':null}]}");
            invalid("{'enum':[{'a':1}]}", "{'a':2}", "args", "expected one of {\"a\":1}, found object");
        }

        @Test
        void longEnumsAreShortenedInMessages() {
            String message = onlyViolation("{'enum':[1,2,3,4,5,6,7,8,9,10,11,12]}", "13").message();
            assertTrue(message.contains("... (12 in all)"), message);
        }

        @Test
        void constRequiresExactlyThatValue() {
            valid("{'const':'v1'}", "'v1'");
            invalid("{'const':'v1'}", "'v2'", "args", "expected \"v1\", found string \"v2\"");
            invalid("{'const':false}", "0", "args", "expected false, found number 0");
        }
    }

    @Nested
    class ArrayValues {
        @Test
        void itemsSchemaAppliesToEveryElement() {
            List<SchemaViolation> violations = check("{'items':{'type':'string'}}", "['a',1,'b',true]");
            assertEquals(List.of("args[1]", "args[3]"), violations.stream().map(SchemaViolation::path).toList());
        }

        @Test
        void itemsArrayAppliesByPosition() {
            valid("{'items':[{'type':'string'},{'type':'integer'}]}", "['a',1,null]");
            invalid("{'items':[{'type':'string'},{'type':'integer'}]}", "[1,1]", "args[0]", "expected string, found number 1");
        }

        @Test
        void minItems() {
            valid("{'minItems':2}", "[1,2]");
            invalid("{'minItems':2}", "[1]", "args", "expected at least 2 items, found 1");
        }

        @Test
        void maxItems() {
            valid("{'maxItems':2}", "[1,2]");
            invalid("{'maxItems':2}", "[1,2,3]", "args", "expected at most 2 items, found 3");
        }
    }

    @Nested
    class Strings {
        @Test
        void minLengthCountsCodePoints() {
            valid("{'minLength':2}", "'\uD83D\uDE00\uD83D\uDE00'");
            invalid("{'minLength':3}", "'\uD83D\uDE00\uD83D\uDE00'", "args", "expected at least 3 characters, found 2 in \"\uD83D\uDE00\uD83D\uDE00\"");
        }

        @Test
        void maxLength() {
            valid("{'maxLength':3}", "'abc'");
            invalid("{'maxLength':3}", "'abcd'", "args", "expected at most 3 characters, found 4 in \"abcd\"");
        }

        @Test
        void patternIsUnanchoredAsInJsonSchema() {
            valid("{'pattern':'b'}", "'abc'");
            valid("{'pattern':'^[a-z]+$'}", "'abc'");
            invalid("{'pattern':'^[a-z]+$'}", "'ABC'", "args", "expected a string matching /^[a-z]+$/, found \"ABC\"");
        }

        @Test
        void invalidPatternInTheSchemaIsIgnored() {
            valid("{'pattern':'(['}", "'anything'");
        }
    }

    @Nested
    class Numbers {
        @Test
        void minimumAndMaximumAreInclusive() {
            valid("{'minimum':1,'maximum':10}", "1");
            valid("{'minimum':1,'maximum':10}", "10");
            invalid("{'minimum':1}", "0", "args", "expected a number >= 1, found 0");
            invalid("{'maximum':10}", "10.5", "args", "expected a number <= 10, found 10.5");
        }

        @Test
        void exclusiveBoundsAsNumbers() {
            valid("{'exclusiveMinimum':0,'exclusiveMaximum':1}", "0.5");
            invalid("{'exclusiveMinimum':0}", "0", "args", "expected a number > 0, found 0");
            invalid("{'exclusiveMaximum':1}", "1.0", "args", "expected a number < 1, found 1.0");
        }

        @Test
        void exclusiveBoundsAsDraft4Booleans() {
            invalid("{'minimum':0,'exclusiveMinimum':true}", "0", "args", "expected a number > 0, found 0");
            invalid("{'maximum':5,'exclusiveMaximum':true}", "5", "args", "expected a number < 5, found 5");
            valid("{'minimum':0,'exclusiveMinimum':false}", "0");
        }

        @Test
        void boundsCompareExactly() {
            invalid("{'maximum':9007199254740992}", "9007199254740993", "args",
                    "expected a number <= 9007199254740992, found 9007199254740993");
        }
    }

    @Nested
    class Combinators {
        static final String STRING_OR_NULL = "{'anyOf':[{'type':'string'},{'type':'null'}]}";

        @Test
        void anyOfPassesWhenOneAlternativeDoes() {
            valid(STRING_OR_NULL, "null");
            valid(STRING_OR_NULL, "'x'");
        }

        @Test
        void anyOfFailureGivesEachAlternativesReason() {
            invalid(STRING_OR_NULL, "3", "args",
                    "matches none of the 2 alternatives (anyOf): #1 expected string, found number 3; #2 expected null, found number 3");
        }

        @Test
        void alternativeReasonsNameDeeperPaths() {
            String message = onlyViolation("{'anyOf':[{'properties':{'a':{'type':'string'}}},{'type':'array'}]}", "{'a':1}").message();
            assertTrue(message.contains("#1 at args.a expected string, found number 1"), message);
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
            String schema = "{'allOf':[{'type':'string'},{'minLength':3},{'pattern':'^a'}]}";
            valid(schema, "'abc'");
            List<SchemaViolation> violations = check(schema, "'b'");
            assertEquals(2, violations.size(), violations::toString);
            assertTrue(violations.get(0).message().startsWith("expected at least 3 characters"));
            assertTrue(violations.get(1).message().startsWith("expected a string matching /^a/"));
        }

        @Test
        void booleanSchemas() {
            valid("{'properties':{'a':true}}", "{'a':[1]}");
            invalid("{'properties':{'a':false}}", "{'a':1}", "args.a", "no value is allowed here, found number 1");
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
            List<SchemaViolation> violations = checkDeferred(schema, "{'n':'${a.output.n}','s':4,'x':1}");
            assertEquals(List.of(
                    new SchemaViolation("args", "missing required property 't'"),
                    new SchemaViolation("args.s", "expected string, found number 4"),
                    new SchemaViolation("args.x", "unknown property 'x' (allowed: n, s)")), violations);
        }

        @Test
        void templateStringIsAStringOfUnknownText() {
            String schema = "{'type':'string','pattern':'^[0-9]+$','maxLength':3,'enum':['1','2']}";
            assertEquals(List.of(), checkDeferred(schema, "'${input.digits}${input.more}'"));
            assertEquals(1, checkDeferred("{'type':'integer'}", "'n=${input.n}'").size(), "a template is still a string");
        }

        @Test
        void oneOfWithAReferenceIsNotReportedAsMatchingTwice() {
            String schema = "{'oneOf':[{'type':'string'},{'type':'integer'}]}";
            assertEquals(List.of(), checkDeferred(schema, "'${a.output}'"));
            String parentOneOf = "{'oneOf':[{'properties':{'k':{'type':'string'}}},{'properties':{'k':{'type':'integer'}}}]}";
            assertEquals(List.of(), checkDeferred(parentOneOf, "{'k':'${a.output}'}"));
            assertEquals(1, checkDeferred(parentOneOf, "{'k':true}").size());
        }

        @Test
        void oneOfStillFailsWhenTwoAlternativesMatchForCertain() {
            String schema = "{'oneOf':[{'type':'object'},{'required':['a']},{'properties':{'b':{'type':'string'}}}]}";
            List<SchemaViolation> violations = checkDeferred(schema, "{'a':1,'b':'${x.output}'}");
            assertEquals(1, violations.size(), violations::toString);
            assertTrue(violations.get(0).message().startsWith("matches 2 alternatives"), violations.toString());
        }

        @Test
        void enumOverAnObjectHoldingAReferenceIsNotJudged() {
            assertEquals(List.of(), checkDeferred("{'enum':[{'a':1}]}", "{'a':'${x.output}'}"));
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
