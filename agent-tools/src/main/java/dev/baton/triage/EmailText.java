package dev.baton.triage;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The part of an email body that says what its sender wants, for the ticket classifier: a ticket
 * sent by email carries a greeting, quoted earlier messages, a signature and a legal disclaimer
 * around its one or two sentences of request, and an embedding of the whole mail is mostly an
 * embedding of that noise.
 *
 * <p>{@link #clean} drops, line by line:
 * <ul>
 *   <li>everything from a reply or forward header on: Gmail's and Apple Mail's
 *       "On ... wrote:" (also wrapped over two lines), "Am ... schrieb ...:", "Le ... a écrit :",
 *       "El ... escribió:", "Op ... schreef ...:", "Il ... ha scritto:", Outlook's
 *       "-----Original Message-----" and "From: / Sent:" blocks, its "____" rule,
 *       "---------- Forwarded message ---------" and "Begin forwarded message:";</li>
 *   <li>lines quoted with {@code >} (inline replies keep the sender's own lines between them);</li>
 *   <li>everything from a signature on: the {@code "-- "} separator, "Sent from my iPhone" and
 *       the like, a sign-off line ("Kind regards,", "Thanks,", "Cheers") with the name and title
 *       under it;</li>
 *   <li>paragraphs of disclaimer ("This email is confidential...", "If you received this
 *       message in error...", "CAUTION: This email originated from outside...");</li>
 *   <li>a greeting ("Hi team,", "Dear Sir or Madam,") and pleasantries that stand alone on a line
 *       ("I hope this email finds you well.", "Thanks in advance for your help.").</li>
 * </ul>
 * and collapses whitespace (lines of a paragraph joined by a space, paragraphs by a newline).
 *
 * <p>It never returns an empty text for a body with words in it: a body that is nothing but a
 * quote or a signature comes back unquoted and whitespace-collapsed instead. It reads at most
 * {@link #MAX_INPUT_CHARS} characters of the body (a request is at the top of a mail; what lies
 * beyond is quotes and attachments pasted inline), and runs in time linear in what it reads: every
 * pattern is anchored and matched against one line, cut to {@link #MAX_LINE_CHARS}.
 */
public final class EmailText {

    /** How much of a body {@link #clean} reads. */
    public static final int MAX_INPUT_CHARS = 32_768;

    /** Lines longer than this are matched against the patterns by their first this-many characters. */
    static final int MAX_LINE_CHARS = 400;

    private static final int FLAGS = Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE;

    /** A line from which on everything is an earlier message. */
    private static final Pattern REPLY_HEADER = Pattern.compile(String.join("|",
            "on\\s.{4,250}\\swrote\\s?:",                       // Gmail, Apple Mail, Thunderbird
            "am\\s.{4,250}\\sschrieb.{0,120}:",                  // German
            "le\\s.{4,250}\\sa\\s[ée]crit\\s?:",                 // French
            "el\\s.{4,250}\\sescribi[óo]\\s?:",                  // Spanish
            "op\\s.{4,250}\\sschreef.{0,120}:",                  // Dutch
            "il\\s.{4,250}\\sha\\sscritto\\s?:",                 // Italian
            "-{2,}\\s*(original message|ursprüngliche nachricht|message d'origine|mensaje original)\\s*-{2,}",
            "-{2,}\\s*(forwarded message|weitergeleitete nachricht|message transféré)\\s*-{2,}",
            "begin forwarded message\\s?:",
            "_{10,}",                                            // Outlook's rule above its header block
            "\\*?(from|von|de)\\s?:\\*?\\s.{1,250}\\s(sent|date|gesendet|datum|envoy[ée])\\s?:.*" // a header block on one line
    ), FLAGS);

    /** "On Mon, 3 Jun 2024 at 10:02, Ana &lt;ana@x.com&gt;" with "wrote:" on the next line (Gmail wraps long headers). */
    private static final Pattern REPLY_HEADER_START = Pattern.compile("(on|am|le|el|op|il)\\s.{4,250}", FLAGS);
    private static final Pattern REPLY_HEADER_END = Pattern.compile(
            ".{0,120}(wrote|schrieb|a\\s[ée]crit|escribi[óo]|schreef|ha\\sscritto)\\s?:", FLAGS);

    /** The first line of an Outlook header block; it counts when a {@link #HEADER_FIELD} date line follows. */
    private static final Pattern HEADER_FROM = Pattern.compile("\\*?(from|von|de|van)\\s?:\\*?\\s.{1,250}", FLAGS);
    private static final Pattern HEADER_FIELD = Pattern.compile(
            "\\*?(sent|date|gesendet|datum|envoy[ée]|verzonden|enviado|fecha)\\s?:\\*?.*", FLAGS);

    /** A line from which on everything is a signature. */
    private static final Pattern SIGNATURE = Pattern.compile(String.join("|",
            "--\\s*",
            "(sent|envoy[ée]|enviado)\\s(from|de|desde)\\s(my\\s|mon\\s|mi\\s)?(iphone|ipad|android|mobile|phone|smartphone"
                    + "|samsung|galaxy|blackberry|pixel|huawei|outlook|mail\\sfor|yahoo|gmail|aol|proton\\s?mail)\\b.{0,40}",
            "von meinem .{1,50} gesendet",
            "get outlook for .{1,30}"
    ), FLAGS);

    /** A sign-off alone on its line: the lines below it are a name, a title, a phone number. */
    private static final Pattern SIGN_OFF = Pattern.compile(
            "((kind|best|warm|warmest|many|with)\\s+)?(regards|wishes|thanks)[,.!]?"
                    + "|(best|cheers|thanks|thank\\s+you|many\\s+thanks|thanks\\s+again|thanks\\s+in\\s+advance|thank\\s+you\\s+in\\s+advance"
                    + "|sincerely|yours\\s+sincerely|yours\\s+truly|yours\\s+faithfully|faithfully|all\\s+the\\s+best|respectfully|take\\s+care"
                    + "|(thanks|thank\\s+you|many\\s+thanks)(\\s+in\\s+advance)?\\s+for\\s+(your|any)\\s+(help|time|assistance|support)"
                    + "|mit\\s+freundlichen\\s+gr(ü|ue)(ß|ss)en|viele\\s+gr(ü|ue)(ß|ss)e|liebe\\s+gr(ü|ue)(ß|ss)e|cordialement|bien\\s+(à\\s+vous|cordialement)"
                    + "|saludos|un\\s+saludo|atentamente|met\\s+vriendelijke\\s+groet(en)?|cordiali\\s+saluti)[,.!]*",
            FLAGS);

    /**
     * Phrases of legal or security boilerplate: a line that contains one takes its whole paragraph
     * with it. Searched with {@code find()}, none starting with a wildcard, so a long line costs
     * time linear in its length.
     */
    private static final Pattern DISCLAIMER_PHRASE = Pattern.compile(String.join("|",
            "\\bintended\\s(solely\\s|only\\s|exclusively\\s)?for\\sthe\\s(use\\sof\\s)?(the\\s)?(named\\s)?(addressee|recipient|individual|person)",
            "\\breceived\\sthis\\s(e-?mail|message|communication)\\sin\\serror",
            "\\bnotify\\sthe\\ssender\\simmediately",
            "\\bthis\\s(e-?mail|message)\\soriginated\\sfrom\\soutside",
            "\\b(consider|think\\sof)\\sthe\\senvironment\\sbefore\\sprinting",
            "\\b(registered\\sin\\sengland|registered\\soffice|company\\s(registration\\s)?(number|no\\.?))\\b"
    ), FLAGS);

    /** Boilerplate that announces itself at the start of its line. */
    private static final Pattern DISCLAIMER_START = Pattern.compile(String.join("|",
            "(disclaimer|confidentiality\\snotice|legal\\snotice|privileged\\s(and|&)\\sconfidential)\\b",
            "(caution|warning|attention)\\s?:\\s?(this\\s(e-?mail|message)|external)",
            "\\[external]"
    ), FLAGS);

    /** "This e-mail ... is confidential": both words on a long line. */
    private static final Pattern CONFIDENTIAL = Pattern.compile("\\b(confidential|privileged)\\b", FLAGS);
    private static final Pattern MESSAGE = Pattern.compile("\\b(e-?mail|message|communication|transmission|attachments?)\\b", FLAGS);

    /** A greeting alone on its line. */
    private static final Pattern GREETING = Pattern.compile(
            "(hi|hello|hey|hiya|dear|greetings|good\\s(morning|afternoon|evening|day)|to\\swhom\\sit\\smay\\sconcern"
                    + "|hallo|guten\\s(tag|morgen|abend)|sehr\\sgeehrte|liebe[rs]?|bonjour|bonsoir|hola|buenos\\sd[ií]as|ciao|buongiorno)"
                    // then a name and a comma ("Dear Sir or Madam,"), or without one a word or two ("Hi there", "Hello Ana")
                    + "((\\s[\\p{L}'.\\-]+){1,4}\\s?[,!:;]+|(\\s(there|all|team|everyone|support|folks|guys|again|sir|madam|(?-i:\\p{Lu}\\p{L}+))){0,2}\\s?[,.!:;]*)",
            FLAGS);

    /** A greeting that opens a line with more after it: "Hi team, my card ..." keeps "my card ...". */
    private static final Pattern GREETING_PREFIX = Pattern.compile(
            "(hi|hello|hey|hiya|dear|good\\s(morning|afternoon|evening))(\\s[\\p{L}'.\\- ]{1,30})?\\s?[,!]\\s+", FLAGS);

    /** Pleasantries alone on their line, which say nothing of the request. */
    private static final Pattern PLEASANTRY = Pattern.compile(
            "(i\\s)?hope\\s(this\\s(e-?mail|message|note)\\s(finds|reaches)\\syou\\swell|you('re|\\sare)\\s(well|doing\\swell|keeping\\swell|having\\sa\\sgood\\s(day|week))|all\\sis\\swell)[.!]*"
                    + "|(thanks|thank\\syou|many\\sthanks)(\\sin\\sadvance)?(\\sfor\\s(your|any|the)\\s(help|time|assistance|support|reply|response|quick\\sreply))?[.!]*"
                    + "|looking\\sforward\\sto\\s(hearing\\sfrom\\syou|your\\s(reply|response|answer))[.!]*"
                    + "|(any\\shelp\\s(would\\sbe|is)\\s(much\\s|greatly\\s)?appreciated|i\\slook\\sforward\\sto\\syour\\s(reply|response))[.!]*",
            FLAGS);

    private static final Pattern HAS_WORD = Pattern.compile("[\\p{L}\\p{N}]");
    private static final Pattern QUOTE_MARKS = Pattern.compile("(?m)^[ \\t]*(>[ \\t]?)+");
    private static final Pattern SPACES = Pattern.compile("\\s+");

    private EmailText() {
    }

    /**
     * The request in an email body: without greeting, quoted replies, signature, disclaimer and
     * pleasantries, whitespace collapsed; the whole body (unquoted, collapsed) when nothing
     * would be left; empty only for a body without a letter or digit.
     */
    public static String clean(String body) {
        if (body == null || body.isEmpty()) return "";
        String text = body.length() > MAX_INPUT_CHARS ? body.substring(0, MAX_INPUT_CHARS) : body;
        if (!HAS_WORD.matcher(text).find()) return "";
        List<String> lines = lines(text);
        int end = cutAt(lines);
        List<List<String>> paragraphs = paragraphs(lines.subList(0, end));
        StringBuilder out = new StringBuilder();
        boolean first = true;
        for (List<String> paragraph : paragraphs) {
            if (paragraph.stream().anyMatch(EmailText::isDisclaimer)) continue;
            StringBuilder p = new StringBuilder();
            for (String line : paragraph) {
                String l = line;
                if (first) {
                    if (matches(GREETING, l)) continue; // the greeting is the first line with words
                    var m = GREETING_PREFIX.matcher(head(l));
                    if (m.lookingAt()) l = l.substring(m.end());
                    first = false;
                }
                if (matches(PLEASANTRY, l)) continue;
                if (p.length() > 0) p.append(' ');
                p.append(l);
            }
            if (p.length() == 0) continue;
            if (out.length() > 0) out.append('\n');
            out.append(collapse(p));
        }
        if (HAS_WORD.matcher(out).find()) return out.toString();
        // nothing of its own: a forward with no comment, a quote, a bare signature; better the whole than nothing
        return collapse(QUOTE_MARKS.matcher(text).replaceAll(" "));
    }

    /** The body's lines, stripped, quoted ones ({@code >}) left out, blank ones kept as paragraph breaks. */
    private static List<String> lines(String text) {
        List<String> out = new ArrayList<>();
        int start = 0;
        int n = text.length();
        while (start <= n) {
            int nl = text.indexOf('\n', start);
            int stop = nl < 0 ? n : nl;
            String line = text.substring(start, stop).strip();
            if (!line.startsWith(">")) out.add(line);
            if (nl < 0) break;
            start = nl + 1;
        }
        return out;
    }

    /** The index of the first line of the first earlier message or signature, or the line count. */
    private static int cutAt(List<String> lines) {
        boolean seenWords = false;
        for (int i = 0; i < lines.size(); i++) {
            String l = lines.get(i);
            if (l.isEmpty()) continue;
            if (matches(REPLY_HEADER, l) || matches(SIGNATURE, l)) return i;
            if (matches(REPLY_HEADER_START, l) && i + 1 < lines.size() && matches(REPLY_HEADER_END, lines.get(i + 1))) {
                return i;
            }
            if (matches(HEADER_FROM, l) && headerFieldFollows(lines, i)) return i;
            // a sign-off ends the mail, but only once something was said: "Thanks," cannot open one
            if (seenWords && matches(SIGN_OFF, l)) return i;
            if (!matches(GREETING, l)) seenWords = true;
        }
        return lines.size();
    }

    private static boolean headerFieldFollows(List<String> lines, int from) {
        for (int j = from + 1; j < Math.min(lines.size(), from + 4); j++) {
            if (matches(HEADER_FIELD, lines.get(j))) return true;
        }
        return false;
    }

    private static List<List<String>> paragraphs(List<String> lines) {
        List<List<String>> out = new ArrayList<>();
        List<String> current = new ArrayList<>();
        for (String l : lines) {
            if (l.isEmpty()) {
                if (!current.isEmpty()) out.add(current);
                current = new ArrayList<>();
            } else {
                current.add(l);
            }
        }
        if (!current.isEmpty()) out.add(current);
        return out;
    }

    private static boolean isDisclaimer(String line) {
        String l = head(line);
        return DISCLAIMER_START.matcher(l).lookingAt() || DISCLAIMER_PHRASE.matcher(l).find()
                || (l.length() > 80 && CONFIDENTIAL.matcher(l).find() && MESSAGE.matcher(l).find());
    }

    private static boolean matches(Pattern p, String line) {
        return p.matcher(head(line)).matches();
    }

    /** The start of a line that the patterns see: bounded, so a megabyte on one line costs no more than a short one. */
    private static String head(String line) {
        return line.length() > MAX_LINE_CHARS ? line.substring(0, MAX_LINE_CHARS) : line;
    }

    /** A sentence ends at ".", "!" or "?" followed by white space, or at a line break. */
    private static final Pattern SENTENCE_END = Pattern.compile("(?<=[.!?])\\s+|\\n+");

    /** The sentences of a text (of {@link #clean}'s output: paragraphs are lines), in order, none empty. */
    public static List<String> sentences(String text) {
        List<String> out = new ArrayList<>();
        for (String s : SENTENCE_END.split(text)) {
            String t = s.strip();
            if (!t.isEmpty()) out.add(t);
        }
        return out;
    }

    /** Runs of whitespace as one space, ends stripped. */
    static String collapse(CharSequence s) {
        return SPACES.matcher(s).replaceAll(" ").strip();
    }
}
