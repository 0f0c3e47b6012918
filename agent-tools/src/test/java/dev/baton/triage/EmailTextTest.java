package dev.baton.triage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Real-world email shapes in, the request out. */
class EmailTextTest {

    static Stream<Arguments> emails() {
        return Stream.of(
                Arguments.of("a one-liner stays as it is",
                        "My card has not arrived yet.",
                        "My card has not arrived yet."),
                Arguments.of("Gmail: greeting, request, sign-off, quoted reply",
                        """
                        Hi team,

                        I ordered a new card two weeks ago and it still hasn't arrived.
                        Can you check where it is?

                        Thanks,
                        Ana

                        On Mon, 3 Jun 2024 at 10:02, Support <support@bank.example> wrote:
                        > Thank you for contacting us. How can we help?
                        >
                        > On Sun, 2 Jun 2024 at 09:00, Ana <ana@x.com> wrote:
                        >> I want to close my account.
                        """,
                        "I ordered a new card two weeks ago and it still hasn't arrived. Can you check where it is?"),
                Arguments.of("Gmail wraps a long reply header over two lines",
                        """
                        Why was I charged a fee for my transfer?

                        On Mon, 3 Jun 2024 at 10:02, Ana Pereira Rodrigues da Silva <
                        ana.pereira.rodrigues@example.com> wrote:
                        > How do I top up by card?
                        """,
                        "Why was I charged a fee for my transfer?"),
                Arguments.of("Apple Mail's header and a bare quote",
                        """
                        The exchange rate you gave me was wrong.

                        Sent from my iPhone

                        > On 3 Jun 2024, at 10:02, Ana <ana@x.com> wrote:
                        >
                        > I lost my card
                        """,
                        "The exchange rate you gave me was wrong."),
                Arguments.of("Outlook's Original Message block, not quoted with >",
                        """
                        Hello,
                        I still cannot see the money I transferred on Monday.
                        Regards,
                        Tom Smith
                        Senior Accountant | Northwind Traders

                        -----Original Message-----
                        From: Support <support@bank.example>
                        Sent: Monday, June 3, 2024 10:02 AM
                        To: Tom Smith <tom@example.com>
                        Subject: RE: Transfer

                        Please tell us more about the card you lost.
                        """,
                        "I still cannot see the money I transferred on Monday."),
                Arguments.of("Outlook's rule and From/Sent header block",
                        """
                        Is there a limit on how much I can top up?

                        ________________________________
                        From: Support <support@bank.example>
                        Sent: 03 June 2024 10:02
                        To: Priya Patel
                        Subject: Your card

                        Your new card is on its way.
                        """,
                        "Is there a limit on how much I can top up?"),
                Arguments.of("a From/Date block without the rule (a forward as Apple Mail writes it)",
                        """
                        Can you explain this direct debit?

                        From: Utility Co <billing@utility.example>
                        Subject: Your bill
                        Date: 3 June 2024 at 10:02:11 BST
                        To: me@example.com

                        Your payment of 40.00 is due.
                        """,
                        "Can you explain this direct debit?"),
                Arguments.of("a forward with a comment",
                        """
                        FYI, I never made this payment, please block my card.

                        ---------- Forwarded message ---------
                        From: Shop <orders@shop.example>
                        Date: Mon, Jun 3, 2024 at 10:02 AM
                        Subject: Your order
                        Thank you for your order of 250.00 EUR.
                        """,
                        "FYI, I never made this payment, please block my card."),
                Arguments.of("German client: Am ... schrieb ...:",
                        """
                        Hallo,

                        meine Karte wurde gestohlen, bitte sperren.

                        Viele Grüße
                        Lukas

                        Am 03.06.2024 um 10:02 schrieb Support <support@bank.example>:
                        > Wie können wir helfen?
                        """,
                        "meine Karte wurde gestohlen, bitte sperren."),
                Arguments.of("French client: Le ... a écrit :",
                        """
                        Bonjour,
                        Pourquoi mon virement est-il bloqué ?
                        Cordialement,
                        Camille

                        Le lun. 3 juin 2024 à 10:02, Support <support@bank.example> a écrit :
                        > Bonjour, comment pouvons-nous vous aider ?
                        """,
                        "Pourquoi mon virement est-il bloqué ?"),
                Arguments.of("the '-- ' signature separator and what follows it",
                        """
                        How long does a transfer from abroad take?
                        --\s
                        James Brown
                        Head of Marketing
                        +44 20 7946 0000
                        """,
                        "How long does a transfer from abroad take?"),
                Arguments.of("a confidentiality disclaimer paragraph",
                        """
                        My top-up failed twice today.

                        This email and any attachments are confidential and may be privileged. If you have
                        received this email in error, please notify the sender immediately.
                        """,
                        "My top-up failed twice today."),
                Arguments.of("a security banner at the top, before the request",
                        """
                        CAUTION: This email originated from outside of the organization. Do not click links.

                        Hi,

                        I'd like to change my PIN.
                        """,
                        "I'd like to change my PIN."),
                Arguments.of("greeting on the request's own line, pleasantries around it",
                        """
                        Dear Sir or Madam,
                        I hope this email finds you well.
                        Hi team, my virtual card is not working online.
                        Thanks in advance for your help.
                        Maria
                        """,
                        "Hi team, my virtual card is not working online."),
                Arguments.of("inline replies: the sender's own lines between quoted ones stay",
                        """
                        > Did you receive the card?
                        No, and it's been three weeks.
                        > Did you check the address?
                        Yes, the address is right.
                        """,
                        "No, and it's been three weeks. Yes, the address is right."),
                Arguments.of("a body that is only a quote falls back to the quote, unquoted",
                        """
                        > Why is my balance not updated after the cheque deposit?
                        > It has been two days.
                        """,
                        "Why is my balance not updated after the cheque deposit? It has been two days."),
                Arguments.of("a body that is only a signature falls back to the raw text",
                        "Kind regards,\nAna",
                        "Kind regards, Ana"),
                Arguments.of("'Thanks' before anything was said is no sign-off",
                        "Thanks for the quick reply.\nThe card still does not work in shops.\n\nThanks,\nTom",
                        "The card still does not work in shops."),
                Arguments.of("a request that starts like a header is kept",
                        "On Monday I sent money to my brother and it hasn't arrived.",
                        "On Monday I sent money to my brother and it hasn't arrived."),
                Arguments.of("'From:' in a request without a date line under it is kept",
                        "From: my savings account\nTo: my current account\nThe transfer is stuck.",
                        "From: my savings account To: my current account The transfer is stuck."),
                Arguments.of("Windows line ends and runs of white space collapse",
                        "Hello,\r\n\r\nI   need\ta   refund.\r\n\r\nRegards,\r\nAna\r\n",
                        "I need a refund."),
                Arguments.of("empty", "", ""),
                Arguments.of("no words at all", " \n> \n-- \n", ""));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("emails")
    void cleans(String name, String body, String expected) {
        assertEquals(expected, EmailText.clean(body).replace('\n', ' '));
    }

    @Test
    void paragraphsAreLines() {
        assertEquals("First paragraph.\nSecond paragraph, wrapped over two lines.",
                EmailText.clean("Hi,\n\nFirst paragraph.\n\nSecond paragraph,\nwrapped over two lines.\n\nThanks,\nAna"));
    }

    @Test
    void aHostileMegabyteIsBoundedInTime() {
        String line = "a".repeat(1_000_000);
        String lines = "On Monday I wrote: > -- \n".repeat(40_000);
        String headers = ("On " + "x ".repeat(120) + "\n").repeat(10_000);
        assertTimeoutPreemptively(Duration.ofSeconds(5), () -> {
            for (String body : List.of(line, lines, headers)) {
                String out = EmailText.clean(body);
                assertTrue(out.length() <= EmailText.MAX_INPUT_CHARS, "reads at most MAX_INPUT_CHARS");
                assertTrue(!out.isEmpty());
            }
        });
    }

    @Test
    void sentencesSplitAtStopsAndLines() {
        assertEquals(List.of("My card is lost.", "Can you block it?", "Also: thanks!", "Next line"),
                EmailText.sentences("My card is lost. Can you block it? Also: thanks!\nNext line"));
    }
}
