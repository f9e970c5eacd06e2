package org.legoos.node.dashboard;

import java.util.Map;

/** A minimal JSON writer for the dashboard's API: objects, arrays, strings, numbers, booleans, null. */
final class Json {
    private final StringBuilder out = new StringBuilder(256);
    private boolean needComma;

    Json beginObject() {
        comma();
        out.append('{');
        needComma = false;
        return this;
    }

    Json endObject() {
        out.append('}');
        needComma = true;
        return this;
    }

    Json beginArray() {
        comma();
        out.append('[');
        needComma = false;
        return this;
    }

    Json endArray() {
        out.append(']');
        needComma = true;
        return this;
    }

    /** The name of the next member of an object. */
    Json name(String name) {
        comma();
        string(name);
        out.append(':');
        needComma = false;
        return this;
    }

    Json value(String s) {
        comma();
        if (s == null) {
            out.append("null");
        } else {
            string(s);
        }
        needComma = true;
        return this;
    }

    Json value(long n) {
        comma();
        out.append(n);
        needComma = true;
        return this;
    }

    Json value(double d) {
        comma();
        out.append(Double.isFinite(d) ? Double.toString(d) : "null");
        needComma = true;
        return this;
    }

    Json value(boolean b) {
        comma();
        out.append(b);
        needComma = true;
        return this;
    }

    Json field(String name, String s) {
        return name(name).value(s);
    }

    Json field(String name, long n) {
        return name(name).value(n);
    }

    Json field(String name, boolean b) {
        return name(name).value(b);
    }

    /** An object of string members. */
    Json object(Map<String, String> members) {
        beginObject();
        members.forEach(this::field);
        return endObject();
    }

    private void comma() {
        if (needComma) {
            out.append(',');
        }
    }

    private void string(String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20 || c == '<' || c == '>' || c == '&' || c == 0x2028 || c == 0x2029) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }

    @Override
    public String toString() {
        return out.toString();
    }
}
