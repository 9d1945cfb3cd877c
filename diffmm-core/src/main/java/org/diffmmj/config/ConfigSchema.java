package org.diffmmj.config;

import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The keys of a config record, read from its components and their {@link Key} annotations, with
 * the defaults of its {@code DEFAULTS} instance. Converts user input (YAML values or {@code --set}
 * strings) to the component types with range checks, and binds a map of values to the record.
 * One schema per record type; the record itself stays a plain typed value.
 */
public final class ConfigSchema<R extends Record> {

    /** One key: its name, Java type, default, and the annotation that documents and bounds it. */
    public record KeySpec(String name, Class<?> type, Object defaultValue, Key meta) {

        public String typeName() {
            if (meta.names().length > 0) return "name";
            if (type == int.class || type == long.class) return "integer";
            if (type == float.class || type == double.class) return "number";
            if (type == boolean.class) return "boolean";
            if (type == int[].class) return "list of integers";
            return "string";
        }

        /** The accepted values in words, e.g. "> 0", "in (0, 1]", "one of 0, 1"; empty when any. */
        public String range() {
            if (meta.names().length > 0) {
                List<String> named = new ArrayList<>();
                for (int i = 0; i < meta.names().length; i++) {
                    named.add(meta.names()[i] + " (" + meta.choices()[i] + ")");
                }
                return "one of " + String.join(", ", named);
            }
            if (meta.choices().length > 0) {
                return "one of " + String.join(", ", meta.choices());
            }
            boolean hasMin = meta.min() != Double.NEGATIVE_INFINITY;
            boolean hasMax = meta.max() != Double.POSITIVE_INFINITY;
            if (hasMin && hasMax) {
                return "in " + (meta.minExclusive() ? "(" : "[") + number(meta.min()) + ", " + number(meta.max())
                        + (meta.maxExclusive() ? ")" : "]");
            }
            if (hasMin) return (meta.minExclusive() ? "> " : ">= ") + number(meta.min());
            if (hasMax) return (meta.maxExclusive() ? "< " : "<= ") + number(meta.max());
            return "";
        }

        /** The default as it appears in YAML (lists as lists, named codes by name). */
        public Object defaultForDisplay() {
            return displayed(defaultValue);
        }

        /** A value as files and listings show it. */
        Object displayed(Object value) {
            if (meta.names().length > 0) {
                int at = Arrays.asList(meta.choices()).indexOf(String.valueOf(value));
                return at >= 0 ? meta.names()[at] : value;
            }
            return display(value);
        }

        private static String number(double v) {
            return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
        }
    }

    private final Class<R> type;
    private final R defaults;
    private final List<KeySpec> keys = new ArrayList<>();
    private final Constructor<R> constructor;

    private ConfigSchema(Class<R> type, R defaults) {
        this.type = type;
        this.defaults = defaults;
        RecordComponent[] components = type.getRecordComponents();
        Class<?>[] types = new Class<?>[components.length];
        for (int i = 0; i < components.length; i++) {
            RecordComponent c = components[i];
            types[i] = c.getType();
            Key meta = c.getAnnotation(Key.class);
            if (meta == null) {
                throw new IllegalStateException(type.getName() + "." + c.getName() + " has no @Key annotation");
            }
            if (!List.of(int.class, long.class, float.class, double.class, boolean.class, String.class, int[].class)
                    .contains(c.getType())) {
                throw new IllegalStateException(type.getName() + "." + c.getName() + " has unsupported type " + c.getType());
            }
            String name = meta.name().isEmpty() ? snakeCase(c.getName()) : meta.name();
            if (key(name).isPresent()) {
                throw new IllegalStateException(type.getName() + " declares key '" + name + "' twice");
            }
            if (meta.names().length > 0 && (meta.names().length != meta.choices().length || c.getType() != int.class)) {
                throw new IllegalStateException(type.getName() + "." + c.getName() + ": names need an int key and one per choice");
            }
            keys.add(new KeySpec(name, c.getType(), read(c, defaults), meta));
        }
        try {
            this.constructor = type.getDeclaredConstructor(types);
            constructor.setAccessible(true);
        } catch (NoSuchMethodException e) {
            throw new IllegalStateException("no canonical constructor on " + type.getName(), e);
        }
    }

    public static <R extends Record> ConfigSchema<R> of(Class<R> type, R defaults) {
        return new ConfigSchema<>(type, defaults);
    }

    public Class<R> type() {
        return type;
    }

    public R defaults() {
        return defaults;
    }

    public List<KeySpec> keys() {
        return List.copyOf(keys);
    }

    public Optional<KeySpec> key(String name) {
        return keys.stream().filter(k -> k.name().equals(name)).findFirst();
    }

    public List<String> keyNames() {
        return keys.stream().map(KeySpec::name).toList();
    }

    /** The config's values by key, in declaration order, lists as {@code List<Integer>}. */
    public Map<String, Object> toMap(R config) {
        Map<String, Object> m = new LinkedHashMap<>();
        RecordComponent[] components = type.getRecordComponents();
        for (int i = 0; i < components.length; i++) {
            m.put(keys.get(i).name(), keys.get(i).displayed(read(components[i], config)));
        }
        return m;
    }

    /**
     * The record for the given values (keys of this schema only, values already converted by
     * {@link #convert}); missing keys take their defaults. Cross-key rules the record's own
     * constructor enforces come back as a {@link ConfigException}.
     */
    public R bind(Map<String, Object> values) {
        Object[] args = new Object[keys.size()];
        for (int i = 0; i < keys.size(); i++) {
            KeySpec k = keys.get(i);
            Object v = values.containsKey(k.name()) ? values.get(k.name()) : k.defaultValue();
            args[i] = v instanceof int[] a ? a.clone() : v;
        }
        try {
            return constructor.newInstance(args);
        } catch (InvocationTargetException e) {
            Throwable cause = e.getCause();
            if (cause instanceof IllegalArgumentException) {
                throw new ConfigException(cause.getMessage());
            }
            throw new IllegalStateException(cause);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Converts one user-given value to the key's type and checks its range. {@code raw} is a
     * YAML value (number, boolean, string, list) or, from the command line, a string.
     * {@code source} names where it came from, for the message.
     */
    public Object convert(KeySpec key, Object raw, String source) {
        Object v = convertType(key, raw, source);
        checkRange(key, v, source);
        return v;
    }

    private Object convertType(KeySpec key, Object raw, String source) {
        Class<?> t = key.type();
        if (raw instanceof String name && key.meta().names().length > 0) {
            int at = Arrays.asList(key.meta().names()).indexOf(name.trim());
            if (at >= 0) {
                return Integer.parseInt(key.meta().choices()[at]);
            }
        }
        try {
            if (raw == null) {
                throw bad(key, raw, source);
            }
            if (t == int.class) return Math.toIntExact(integer(raw));
            if (t == long.class) return integer(raw);
            if (t == float.class) return finite(Float.parseFloat(decimal(raw)));
            if (t == double.class) return finite(Double.parseDouble(decimal(raw)));
            if (t == boolean.class) {
                if (raw instanceof Boolean b) return b;
                if (raw instanceof String s && (s.equals("true") || s.equals("false"))) return Boolean.parseBoolean(s);
                throw bad(key, raw, source);
            }
            if (t == String.class) {
                if (raw instanceof String s) return s;
                throw bad(key, raw, source);
            }
            if (t == int[].class) {
                List<?> items;
                if (raw instanceof List<?> l) {
                    items = l;
                } else if (raw instanceof String s) {
                    String body = s.trim();
                    if (body.startsWith("[") && body.endsWith("]")) {
                        body = body.substring(1, body.length() - 1);
                    }
                    items = body.isBlank() ? List.of() : Arrays.stream(body.split(",")).map(String::trim).toList();
                } else {
                    items = List.of(raw);
                }
                if (items.isEmpty()) {
                    throw new ConfigException("key '" + key.name() + "'" + from(source) + " needs at least one integer");
                }
                int[] out = new int[items.size()];
                for (int i = 0; i < out.length; i++) {
                    out[i] = Math.toIntExact(integer(items.get(i)));
                }
                return out;
            }
        } catch (NumberFormatException | ArithmeticException e) {
            throw bad(key, raw, source);
        }
        throw new IllegalStateException(t.toString());
    }

    private static long integer(Object raw) {
        if (raw instanceof Integer || raw instanceof Long || raw instanceof Short) {
            return ((Number) raw).longValue();
        }
        if (raw instanceof BigInteger b) {
            return b.longValueExact();
        }
        if (raw instanceof String s) {
            return Long.parseLong(s.trim());
        }
        throw new NumberFormatException();
    }

    /** The number's decimal text, so floats are parsed once from what the user wrote. */
    private static String decimal(Object raw) {
        if (raw instanceof BigDecimal b) return b.toString();
        if (raw instanceof Integer || raw instanceof Long || raw instanceof BigInteger || raw instanceof Short) {
            return raw.toString();
        }
        if (raw instanceof Double || raw instanceof Float) return raw.toString();
        if (raw instanceof String s) {
            String t = s.trim();
            // Java's parsers accept hex floats and a trailing 'f'/'d'; a config file should not.
            if (!t.matches("[-+]?(\\d+\\.?\\d*|\\.\\d+)([eE][-+]?\\d+)?")) throw new NumberFormatException();
            return t;
        }
        throw new NumberFormatException();
    }

    private static <N extends Number> N finite(N v) {
        if (!Double.isFinite(v.doubleValue())) throw new NumberFormatException();
        return v;
    }

    private void checkRange(KeySpec key, Object v, String source) {
        Key meta = key.meta();
        if (meta.choices().length > 0) {
            String text = String.valueOf(v);
            if (!Arrays.asList(meta.choices()).contains(text)) {
                throw new ConfigException("key '" + key.name() + "'" + from(source) + " must be " + key.range()
                        + ", got " + text);
            }
            return;
        }
        double[] numbers;
        if (v instanceof int[] a) {
            numbers = Arrays.stream(a).asDoubleStream().toArray();
        } else if (v instanceof Number n) {
            numbers = new double[] {n.doubleValue()};
        } else {
            return;
        }
        for (double x : numbers) {
            boolean low = meta.minExclusive() ? x <= meta.min() : x < meta.min();
            boolean high = meta.maxExclusive() ? x >= meta.max() : x > meta.max();
            if (low || high) {
                throw new ConfigException("key '" + key.name() + "'" + from(source) + " must be " + key.range()
                        + ", got " + display(v));
            }
        }
    }

    private static ConfigException bad(KeySpec key, Object raw, String source) {
        String shown = raw instanceof String s ? "'" + s + "'" : String.valueOf(raw);
        String accepted = key.meta().choices().length > 0 ? " (" + key.range() + ")" : "";
        return new ConfigException("key '" + key.name() + "'" + from(source) + " expects " + article(key.typeName())
                + accepted + ", got " + shown);
    }

    private static String article(String typeName) {
        return (typeName.startsWith("i") ? "an " : "a ") + typeName;
    }

    private static String from(String source) {
        return source == null ? "" : " (" + source + ")";
    }

    static Object display(Object v) {
        if (v instanceof int[] a) {
            return Arrays.stream(a).boxed().toList();
        }
        return v;
    }

    private static Object read(RecordComponent c, Object record) {
        try {
            c.getAccessor().setAccessible(true);
            return c.getAccessor().invoke(record);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    static String snakeCase(String camel) {
        return camel.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toLowerCase(Locale.ROOT);
    }
}
