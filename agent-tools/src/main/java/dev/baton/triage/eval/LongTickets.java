package dev.baton.triage.eval;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import dev.baton.triage.LabelledExample;
import dev.baton.triage.TicketText;

/**
 * Long tickets made from one-line labelled examples, to check that a classifier trained on
 * one-liners still finds the request in an email: each example's text is placed verbatim in a
 * body with a greeting, one to six paragraphs of account chatter that ask for nothing, a sign-off
 * and signature, often a legal disclaimer and often a quoted earlier message (Gmail, Apple Mail,
 * Outlook or German style) that quotes a support reply, another example of the same category or,
 * the hardest case, an example of another category. The request sits at the start, in the
 * middle or at the end of the body. Subjects are generic ("Help", "Re: your message") or the
 * first words of the request. Bodies are {@value #MIN_CHARS} to {@value #MAX_CHARS} characters.
 *
 * <p>The same examples and seed give the same tickets.
 */
public final class LongTickets {

    /** The shortest ticket ({@link TicketText#joined()}) made. */
    public static final int MIN_CHARS = 300;
    /** The longest ticket ({@link TicketText#joined()}) made. */
    public static final int MAX_CHARS = 4_000;

    /** Where the request is in the body. */
    public enum Position { START, MIDDLE, END }

    /** What the quoted earlier message is. */
    public enum Quote {
        /** No quoted message. */
        NONE,
        /** A reply from support that asks for nothing in particular. */
        SUPPORT_REPLY,
        /** Another example of the ticket's own category. */
        SAME_CATEGORY,
        /** An example of another category: a classifier that reads the quote answers wrong. */
        OTHER_CATEGORY
    }

    /**
     * One long ticket.
     *
     * @param ticket   subject and body
     * @param category the true category (the example's)
     * @param query    the example's text, verbatim in the body
     * @param position where the request is
     * @param quote    what the quoted message is
     */
    public record LongTicket(TicketText ticket, String category, String query, Position position, Quote quote) {
    }

    private LongTickets() {
    }

    /**
     * One long ticket per example, in the examples' order. The examples are also where the
     * quoted messages come from, so there must be at least two categories.
     */
    public static List<LongTicket> of(List<LabelledExample> examples, long seed) {
        if (examples.stream().map(LabelledExample::category).distinct().count() < 2) {
            throw new IllegalArgumentException("long tickets need examples of at least two categories");
        }
        Random rnd = new Random(seed);
        List<LongTicket> out = new ArrayList<>(examples.size());
        for (LabelledExample e : examples) out.add(make(e, examples, rnd));
        return out;
    }

    private static LongTicket make(LabelledExample example, List<LabelledExample> pool, Random rnd) {
        Position position = Position.values()[rnd.nextInt(3)];
        double q = rnd.nextDouble();
        Quote quote = q < 0.2 ? Quote.NONE : q < 0.4 ? Quote.SUPPORT_REPLY : q < 0.6 ? Quote.SAME_CATEGORY : Quote.OTHER_CATEGORY;
        String quoted = switch (quote) {
            case NONE -> null;
            case SUPPORT_REPLY -> pick(rnd, SUPPORT_REPLIES);
            case SAME_CATEGORY -> other(example, pool, rnd, true);
            case OTHER_CATEGORY -> other(example, pool, rnd, false);
        };
        Person sender = new Person(pick(rnd, FIRST_NAMES), pick(rnd, LAST_NAMES));
        String subject = subject(example.text(), rnd);
        int paragraphs = 1 + rnd.nextInt(6);
        String greeting = rnd.nextInt(6) == 0 ? null : pick(rnd, GREETINGS);
        String signature = signature(sender, rnd);
        String disclaimer = rnd.nextInt(5) < 2 ? pick(rnd, DISCLAIMERS) : null;
        String quoteBlock = quoted == null ? null : quoteBlock(quoted, subject, rnd);
        String body = null;
        // fewer filler paragraphs until it fits, then more until it is long enough
        for (int tries = 0; tries < 20; tries++) {
            body = body(example.text(), position, paragraphs, greeting, signature, disclaimer, quoteBlock, rnd);
            int length = new TicketText(subject, body).joined().length();
            if (length > MAX_CHARS && paragraphs > 1) paragraphs--;
            else if (length > MAX_CHARS) disclaimer = null;
            else if (length < MIN_CHARS) paragraphs++;
            else break;
        }
        return new LongTicket(new TicketText(subject, body), example.category(), example.text(), position, quote);
    }

    private record Person(String first, String last) {
        String email() {
            return (first + "." + last).toLowerCase(java.util.Locale.ROOT) + "@example.com";
        }
    }

    private static String other(LabelledExample example, List<LabelledExample> pool, Random rnd, boolean sameCategory) {
        for (int tries = 0; tries < 1000; tries++) {
            LabelledExample o = pool.get(rnd.nextInt(pool.size()));
            if (o.category().equals(example.category()) == sameCategory && !o.text().equals(example.text())) return o.text();
        }
        return pick(rnd, SUPPORT_REPLIES); // a category with a single example: no other one to quote
    }

    private static String subject(String query, Random rnd) {
        int kind = rnd.nextInt(10);
        if (kind < 5) return pick(rnd, SUBJECTS);
        if (kind == 5) return "";
        String[] words = query.split("\\s+");
        int n = Math.min(words.length, 3 + rnd.nextInt(3));
        String head = String.join(" ", java.util.Arrays.copyOf(words, n)).replaceAll("[?.!,]+$", "");
        return (kind == 6 ? "Re: " : "") + head;
    }

    private static String body(String query, Position position, int paragraphs, String greeting, String signature,
                               String disclaimer, String quoteBlock, Random rnd) {
        List<String> filler = new ArrayList<>();
        for (int i = 0; i < paragraphs; i++) filler.add(paragraph(rnd));
        int at = switch (position) {
            case START -> 0;
            case END -> filler.size();
            case MIDDLE -> filler.size() == 1 ? rnd.nextInt(2) : 1 + rnd.nextInt(filler.size() - 1);
        };
        // the request is a paragraph of its own or a sentence of a filler paragraph
        List<String> parts = new ArrayList<>(filler);
        if (rnd.nextBoolean() || filler.isEmpty()) {
            parts.add(at, (rnd.nextInt(3) == 0 ? pick(rnd, LEAD_INS) + " " : "") + query);
        } else if (position == Position.START) {
            parts.set(0, query + " " + parts.get(0));
        } else {
            int p = Math.max(0, at - 1);
            parts.set(p, parts.get(p) + " " + query);
        }
        StringBuilder b = new StringBuilder();
        if (greeting != null) b.append(greeting).append("\n\n");
        // filler paragraphs may come hard-wrapped; the one with the request keeps it verbatim
        b.append(String.join("\n\n", parts.stream().map(p -> p.contains(query) ? p : wrap(p, rnd)).toList()));
        if (rnd.nextInt(3) == 0) b.append("\n\n").append(pick(rnd, CLOSERS));
        b.append("\n\n").append(signature);
        if (disclaimer != null) b.append("\n\n").append(disclaimer);
        if (quoteBlock != null) b.append("\n\n").append(quoteBlock);
        return b.toString();
    }

    /** Hard line breaks at about 72 characters, as some mail clients send (a third of the time). */
    private static String wrap(String paragraph, Random rnd) {
        if (rnd.nextInt(3) != 0) return paragraph;
        StringBuilder out = new StringBuilder();
        int col = 0;
        for (String w : paragraph.split(" ")) {
            if (col > 0 && col + w.length() > 72) {
                out.append('\n');
                col = 0;
            } else if (col > 0) {
                out.append(' ');
                col++;
            }
            out.append(w);
            col += w.length();
        }
        return out.toString();
    }

    private static String paragraph(Random rnd) {
        int sentences = 2 + rnd.nextInt(6);
        List<String> chosen = new ArrayList<>();
        while (chosen.size() < sentences) {
            String template = pick(rnd, FILLER);
            if (!chosen.contains(template)) chosen.add(template);
        }
        return String.join(" ", chosen.stream().map(t -> fill(t, rnd)).toList());
    }

    private static String fill(String template, Random rnd) {
        return template
                .replace("{years}", String.valueOf(2 + rnd.nextInt(14)))
                .replace("{city}", pick(rnd, CITIES))
                .replace("{month}", pick(rnd, MONTHS))
                .replace("{relative}", pick(rnd, RELATIVES))
                .replace("{job}", pick(rnd, JOBS))
                .replace("{weekday}", pick(rnd, WEEKDAYS));
    }

    private static String signature(Person p, Random rnd) {
        String name = p.first() + " " + p.last();
        return switch (rnd.nextInt(6)) {
            case 0 -> "Kind regards,\n" + name + "\n" + pick(rnd, TITLES) + " | " + pick(rnd, COMPANIES)
                    + "\nT: +44 20 7946 0" + (100 + rnd.nextInt(900)) + "\n" + p.email();
            case 1 -> "-- \n" + name + "\n" + pick(rnd, TITLES) + "\n" + pick(rnd, COMPANIES) + "\nMobile: +1 415 555 0"
                    + (100 + rnd.nextInt(900));
            case 2 -> "Thanks,\n" + p.first();
            case 3 -> "Best,\n" + name + "\n\nSent from my iPhone";
            case 4 -> "Cheers\n" + p.first();
            default -> "Regards,\n" + name + "\n" + pick(rnd, COMPANIES);
        };
    }

    private static String quoteBlock(String quoted, String subject, Random rnd) {
        String who = pick(rnd, FIRST_NAMES) + " " + pick(rnd, LAST_NAMES);
        String email = who.toLowerCase(java.util.Locale.ROOT).replace(' ', '.') + "@example.org";
        int day = 1 + rnd.nextInt(28);
        String month = pick(rnd, MONTHS);
        String time = (8 + rnd.nextInt(10)) + ":" + (10 + rnd.nextInt(50));
        String earlier = quoted + (rnd.nextBoolean() ? "\n\n" + fill(pick(rnd, FILLER), rnd) : "");
        String subj = subject.isEmpty() ? "Your enquiry" : subject;
        return switch (rnd.nextInt(5)) {
            case 0 -> "On Mon, " + day + " " + month + " 2024 at " + time + ", " + who + " <" + email + "> wrote:\n"
                    + quoteLines(earlier);
            case 1 -> "On " + day + " " + month + " 2024, at " + time + ", " + who + " <" + email + "> wrote:\n\n"
                    + quoteLines(earlier);
            case 2 -> "-----Original Message-----\nFrom: " + who + " <" + email + ">\nSent: Monday, " + month + " " + day
                    + ", 2024 " + time + " AM\nTo: Support <support@example.com>\nSubject: " + subj + "\n\n" + earlier;
            case 3 -> "________________________________\nFrom: " + who + " <" + email + ">\nSent: " + day + " " + month
                    + " 2024 " + time + "\nTo: support@example.com\nSubject: RE: " + subj + "\n\n" + earlier;
            default -> "Am " + day + ". " + month + " 2024 um " + time + " schrieb " + who + " <" + email + ">:\n\n"
                    + quoteLines(earlier);
        };
    }

    private static String quoteLines(String text) {
        return "> " + text.replace("\n", "\n> ");
    }

    private static <T> T pick(Random rnd, List<T> list) {
        return list.get(rnd.nextInt(list.size()));
    }

    // ---- the template bank: chatter that asks for nothing ---------------------------------------

    private static final List<String> SUBJECTS = List.of("Help", "Question about my account", "Re: your message",
            "Urgent", "Query", "Support request", "Hello", "Account issue", "Fwd: question", "Quick question",
            "Re: Re: follow up", "Need assistance", "Problem", "Customer enquiry", "Following up",
            "RE: [Ticket #48213] Update", "Please help", "My account", "Issue", "Re: Your recent request");

    private static final List<String> GREETINGS = List.of("Hi,", "Hello,", "Hi there,", "Dear Sir or Madam,",
            "Good morning,", "Hello team,", "Dear Customer Support,", "Hey,", "Hi team,", "Good afternoon,",
            "To whom it may concern,", "Dear support team,");

    private static final List<String> LEAD_INS = List.of("So, my question:", "Anyway, here is the thing.",
            "The reason I am writing:", "To get to the point:", "In short:", "My question is this.");

    private static final List<String> CLOSERS = List.of("Thanks in advance for your help.",
            "I look forward to your reply.", "Any help would be appreciated.", "Thank you for your time.",
            "Looking forward to hearing from you.");

    private static final List<String> FILLER = List.of(
            "I have been a customer of yours for about {years} years now and have generally been happy with the service.",
            "I am writing from my work computer, so please excuse the formatting of this email.",
            "We moved to {city} in {month} and things have been a bit hectic since then.",
            "My {relative} recommended you to me when I first opened my account, and I have recommended you to friends since.",
            "I work as {job}, so I am usually only able to check my emails in the evening.",
            "I tried to call earlier on {weekday} but the line was busy and I could not wait on hold for long.",
            "Sorry for the long email, I wanted to give you the full picture.",
            "I have read through the pages on your website but could not find an answer that fits my situation.",
            "Last {month} I was travelling for work for a couple of weeks, which is partly why this has taken me a while.",
            "I also spoke to one of your colleagues in the chat a while ago, who was very friendly.",
            "I am not very good with apps, to be honest, so my {relative} usually helps me with these things.",
            "Things have been busy at home with the kids starting a new school in {city}.",
            "Your app has been really good overall and I like the new design.",
            "I would appreciate it if someone could get back to me when they have a moment.",
            "I am copying in my {relative}, who helps me with my finances.",
            "I usually manage everything online and rarely need to get in touch, so this is new for me.",
            "The weather here in {city} has been awful this week, so I have had plenty of time to sort out my paperwork.",
            "I have a few things going on this month, including a house move and a new job as {job}.",
            "Please let me know if you need any more details from me, I am happy to provide them.",
            "I hope this makes sense, English is not my first language.",
            "I first noticed this on {weekday} but did not have time to write until now.",
            "I have tried restarting my phone and logging out and back in again, which did not change anything.",
            "I have attached nothing to this email, but I can send screenshots if that helps.",
            "My previous bank was not great at answering emails, so I am hoping for better here.",
            "For context, I mostly use the account for day-to-day things and the occasional bigger purchase.",
            "I am currently staying with my {relative} in {city} for a few weeks.",
            "It is not a huge deal but I would like to understand what is going on.",
            "I have been meaning to write to you since {month}, but kept forgetting.",
            "My colleague, who is also a customer, suggested I contact you directly by email.",
            "I do not want to make a formal complaint, I just want to get this sorted.",
            "I checked the frequently asked questions and the community forum before writing.",
            "I am available most days after five if a call is easier.",
            "We are also planning a trip to {city} later in the year, so I want everything in order before then.",
            "I know you must get a lot of emails, so thank you for taking the time to read this.",
            "I had a look through my settings but I am not sure what I am looking for.",
            "This is the first time I have had to contact support in {years} years.",
            "I am a bit worried, as I do not usually have to deal with this kind of thing.",
            "Sorry if this is the wrong address for this, I could not find a better one on your website.",
            "My {relative} had something similar a while ago, but I do not remember how it was resolved.",
            "I have kept all the emails I received from you in case you need them.");

    private static final List<String> SUPPORT_REPLIES = List.of(
            "Thank you for contacting us. We have received your message and one of our team will be in touch within two working days.",
            "Thanks for getting in touch. Could you tell us a little more about what happened so we can look into it?",
            "We are sorry to hear you are having trouble. Please reply to this email with the details and we will help as soon as we can.",
            "Thank you for your patience. Your case has been passed to the relevant team, who will contact you shortly.",
            "Hello, thanks for your message. To keep your account secure, please do not share your full card number or PIN by email.");

    private static final List<String> DISCLAIMERS = List.of(
            "This email and any attachments are confidential and may be privileged. If you have received this email in error, "
                    + "please notify the sender immediately and delete it from your system. Any unauthorised copying, "
                    + "disclosure or distribution of the material in this email is strictly forbidden.",
            "CONFIDENTIALITY NOTICE: The information contained in this message is intended solely for the use of the "
                    + "addressee and may contain privileged information. If you are not the intended recipient, you are "
                    + "hereby notified that any review, dissemination or copying of this message is prohibited.",
            "DISCLAIMER: The views expressed in this email are those of the author and do not necessarily represent "
                    + "those of the company. Please consider the environment before printing this email.",
            "CAUTION: This email originated from outside of the organization. Do not click links or open attachments "
                    + "unless you recognize the sender and know the content is safe.",
            "Acme Widgets Ltd is registered in England and Wales, company number 01234567. Registered office: 1 High "
                    + "Street, London. This message may contain confidential information and is intended only for the "
                    + "named recipient.");

    private static final List<String> FIRST_NAMES = List.of("Ana", "James", "Priya", "Tom", "Maria", "Chen", "Fatima",
            "Lukas", "Olivia", "Kwame", "Sofia", "Daniel", "Aisha", "Mateo", "Hannah", "Yuki");
    private static final List<String> LAST_NAMES = List.of("Pereira", "Smith", "Patel", "Nguyen", "Garcia", "Müller",
            "Okafor", "Johnson", "Rossi", "Kowalski", "Silva", "Brown", "Tanaka", "Haddad");
    private static final List<String> TITLES = List.of("Operations Manager", "Senior Accountant", "Head of Marketing",
            "Project Coordinator", "Software Engineer", "Office Administrator", "Sales Director");
    private static final List<String> COMPANIES = List.of("Acme Widgets Ltd", "Northwind Traders", "Blue Harbour Consulting",
            "Greenfield Logistics", "Brightside Studio");
    private static final List<String> CITIES = List.of("Manchester", "Lisbon", "Berlin", "Leeds", "Dublin", "Valencia",
            "Glasgow", "Lyon", "Bristol", "Krakow");
    private static final List<String> MONTHS = List.of("January", "February", "March", "April", "May", "June", "July",
            "August", "September", "October", "November", "December");
    private static final List<String> RELATIVES = List.of("daughter", "son", "partner", "sister", "brother", "husband",
            "wife", "mother", "father", "flatmate");
    private static final List<String> JOBS = List.of("a nurse", "a teacher", "a software developer", "an electrician",
            "a student", "a chef", "an accountant", "a delivery driver");
    private static final List<String> WEEKDAYS = List.of("Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
            "Saturday", "Sunday");
}
