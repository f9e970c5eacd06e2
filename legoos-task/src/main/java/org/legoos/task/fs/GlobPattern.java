package org.legoos.task.fs;

import java.util.regex.PatternSyntaxException;

/**
 * Translates the glob syntax of {@link java.nio.file.FileSystem#getPathMatcher} into a regular expression
 * for '/'-separated paths: {@code *} matches within one name, {@code **} across names, {@code ?} one
 * character of a name, {@code [abc]}, {@code [a-z]} and {@code [!a-z]} one character of a set, {@code {a,b}}
 * one of the alternatives (not nested), {@code \} escapes the next character. Stateless.
 */
final class GlobPattern {
    private GlobPattern() {}

    static String toRegex(String glob) {
        StringBuilder re = new StringBuilder("^");
        boolean inGroup = false;
        int i = 0;
        int n = glob.length();
        while (i < n) {
            char c = glob.charAt(i++);
            switch (c) {
                case '\\' -> {
                    if (i == n) {
                        throw new PatternSyntaxException("no character to escape", glob, i - 1);
                    }
                    literal(re, glob.charAt(i++));
                }
                case '*' -> {
                    if (i < n && glob.charAt(i) == '*') {
                        re.append(".*");
                        i++;
                    } else {
                        re.append("[^/]*");
                    }
                }
                case '?' -> re.append("[^/]");
                case '[' -> i = charClass(glob, i, re);
                case '{' -> {
                    if (inGroup) {
                        throw new PatternSyntaxException("groups cannot be nested", glob, i - 1);
                    }
                    re.append("(?:(?:");
                    inGroup = true;
                }
                case '}' -> {
                    if (inGroup) {
                        re.append("))");
                        inGroup = false;
                    } else {
                        literal(re, c);
                    }
                }
                case ',' -> {
                    if (inGroup) {
                        re.append(")|(?:");
                    } else {
                        literal(re, c);
                    }
                }
                default -> literal(re, c);
            }
        }
        if (inGroup) {
            throw new PatternSyntaxException("missing '}'", glob, n);
        }
        return re.append('$').toString();
    }

    /** Translates a bracket expression starting after '['; returns the index after its ']'. */
    private static int charClass(String glob, int i, StringBuilder re) {
        int start = i - 1;
        int n = glob.length();
        re.append("[[^/]&&[");
        if (i < n && glob.charAt(i) == '!') {
            re.append('^');
            i++;
        }
        boolean empty = true;
        while (i < n) {
            char c = glob.charAt(i++);
            switch (c) {
                case ']' -> {
                    if (empty) {
                        throw new PatternSyntaxException("empty character class", glob, i - 1);
                    }
                    re.append("]]");
                    return i;
                }
                case '/' -> throw new PatternSyntaxException("'/' cannot be in a character class", glob, i - 1);
                case '-' -> {
                    if (empty) {
                        literal(re, c); // a leading '-' is itself
                    } else {
                        re.append('-');
                    }
                }
                case '\\' -> {
                    if (i == n) {
                        throw new PatternSyntaxException("no character to escape", glob, i - 1);
                    }
                    literal(re, glob.charAt(i++));
                }
                default -> literal(re, c);
            }
            empty = false;
        }
        throw new PatternSyntaxException("missing ']'", glob, start);
    }

    /** Appends {@code c} so that the regex matches exactly it (escaping every non-alphanumeric). */
    private static void literal(StringBuilder re, char c) {
        if (Character.isLetterOrDigit(c) || Character.isSurrogate(c)) {
            re.append(c);
        } else {
            re.append('\\').append(c);
        }
    }
}
