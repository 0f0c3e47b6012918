package dev.baton.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a viewer does not see: values that look like credentials, masked as {@value #MASK} in the
 * JSON the API sends (runs, events, approvals, tickets, triggers). The journal keeps them as they
 * are; only what goes out over HTTP is masked, and only for callers who hold no role but
 * {@link Role#VIEWER}. Operators, approvers and admins see the values (they write and approve
 * them: an approver who edits a task's arguments must not send {@value #MASK} back as the secret);
 * so does everyone without tokens, where every caller is the local admin.
 *
 * <p>Masked, at any depth:
 * <ul>
 *   <li>the value of a key that names a credential: once lower-cased and stripped of {@code -_. },
 *       it contains {@code password}, {@code passwd}, {@code passphrase}, {@code secret},
 *       {@code apikey}, {@code accesskey}, {@code privatekey}, {@code authorization},
 *       {@code cookie} or {@code credential}, or is {@code pwd} or {@code auth}, or contains
 *       {@code token} and its value is not a number (so {@code access_token} is masked, a token
 *       count such as {@code promptTokens} is not). The whole value goes, whatever its type;
 *       {@code null} stays {@code null};</li>
 *   <li>in any string, the user and password of a URL ({@code https://u:p@host} becomes
 *       {@code https://***@host}) and the values of query parameters named like a credential
 *       ({@code ?api_key=...}).</li>
 * </ul>
 */
final class Redaction {
    static final String MASK = "***";

    private static final List<String> CONTAINS = List.of("password", "passwd", "passphrase", "secret", "apikey", "accesskey",
            "privatekey", "authorization", "cookie", "credential");
    private static final Pattern URL_USER = Pattern.compile("([a-zA-Z][a-zA-Z0-9+.-]*://)([^/?#@\\s]+)@");
    private static final Pattern QUERY_PARAM = Pattern.compile("([?&;])([^=&#?;\\s]+)=([^&#;\\s\"']*)");

    private Redaction() {
    }

    /** Whether this caller sees credentials masked: one who may only read. */
    static boolean masks(Caller caller) {
        return caller != null && !caller.may(Role.OPERATOR) && !caller.may(Role.APPROVER);
    }

    /** {@code node} for a caller who sees everything; else a copy with credentials masked (the node itself when nothing is). */
    static JsonNode forCaller(Caller caller, JsonNode node) {
        if (!masks(caller) || node == null || !node.isContainerNode()) return node;
        JsonNode copy = node.deepCopy();
        return maskInPlace(copy) ? copy : node;
    }

    /** Masks credentials in {@code node} itself (a node nobody else holds); true if anything was masked. */
    static boolean maskInPlace(JsonNode node) {
        boolean changed = false;
        if (node instanceof ObjectNode object) {
            for (Map.Entry<String, JsonNode> field : object.properties()) {
                JsonNode value = field.getValue();
                if (value.isNull()) continue;
                if (secretKey(field.getKey(), value)) {
                    if (!(value.isTextual() && MASK.equals(value.textValue()))) {
                        field.setValue(TextNode.valueOf(MASK));
                        changed = true;
                    }
                } else if (value.isTextual()) {
                    String masked = maskText(value.textValue());
                    if (masked != null) {
                        field.setValue(TextNode.valueOf(masked));
                        changed = true;
                    }
                } else if (value.isContainerNode()) {
                    changed |= maskInPlace(value);
                }
            }
        } else if (node instanceof ArrayNode array) {
            for (int i = 0; i < array.size(); i++) {
                JsonNode value = array.get(i);
                if (value.isTextual()) {
                    String masked = maskText(value.textValue());
                    if (masked != null) {
                        array.set(i, TextNode.valueOf(masked));
                        changed = true;
                    }
                } else if (value.isContainerNode()) {
                    changed |= maskInPlace(value);
                }
            }
        }
        return changed;
    }

    /** Whether a key names a credential (see the class comment); a number under a {@code token} key is a count, not a token. */
    static boolean secretKey(String key, JsonNode value) {
        String k = normalize(key);
        if (k.equals("pwd") || k.equals("auth")) return true;
        for (String word : CONTAINS) if (k.contains(word)) return true;
        return k.contains("token") && (value == null || !value.isNumber());
    }

    private static String normalize(String key) {
        StringBuilder out = new StringBuilder(key.length());
        for (int i = 0; i < key.length(); i++) {
            char c = key.charAt(i);
            if (c != '-' && c != '_' && c != '.' && c != ' ') out.append(Character.toLowerCase(c));
            // (Character.toLowerCase is locale-free: no Turkish dotless i)
        }
        return out.toString();
    }

    /** The text with URL credentials and credential-named query values masked; null if there was nothing to mask. */
    static String maskText(String text) {
        if (text.indexOf("://") < 0 && text.indexOf('=') < 0) return null;
        String out = text;
        out = URL_USER.matcher(out).replaceAll("$1" + Matcher.quoteReplacement(MASK) + "@");
        Matcher param = QUERY_PARAM.matcher(out);
        StringBuilder sb = new StringBuilder();
        boolean any = false;
        while (param.find()) {
            if (secretKey(param.group(2), null) && !param.group(3).isEmpty() && !param.group(3).equals(MASK)) {
                param.appendReplacement(sb, Matcher.quoteReplacement(param.group(1) + param.group(2) + "=" + MASK));
                any = true;
            }
        }
        if (any) {
            param.appendTail(sb);
            out = sb.toString();
        }
        return out.equals(text) ? null : out;
    }

    /**
     * A URL as it may be shown to anyone: scheme, host, port and path, without the user, the
     * password, the query and the fragment ({@code https://u:p@host/v1?key=k} becomes
     * {@code https://host/v1}).
     */
    static String url(String url) {
        if (url == null) return null;
        try {
            URI uri = new URI(url.trim());
            if (uri.getScheme() != null && uri.getHost() != null) {
                return new URI(uri.getScheme(), null, uri.getHost(), uri.getPort(), uri.getRawPath() == null ? null : uri.getPath(), null, null)
                        .toASCIIString();
            }
        } catch (URISyntaxException e) {
            // not a URI Java reads: cut it by hand below
        }
        String out = url.trim();
        int cut = indexOfAny(out, '?', '#');
        if (cut >= 0) out = out.substring(0, cut);
        int scheme = out.indexOf("://");
        int at = out.lastIndexOf('@');
        if (scheme >= 0 && at > scheme) out = out.substring(0, scheme + 3) + out.substring(at + 1);
        return out;
    }

    private static int indexOfAny(String text, char a, char b) {
        int i = text.indexOf(a);
        int j = text.indexOf(b);
        if (i < 0) return j;
        if (j < 0) return i;
        return Math.min(i, j);
    }
}
