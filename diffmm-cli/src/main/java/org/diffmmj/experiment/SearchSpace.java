package org.diffmmj.experiment;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import org.diffmmj.config.ConfigException;
import org.diffmmj.config.YamlFiles;

/**
 * A hyperparameter search space in YAML, as MMRec writes its grids: each key (a model key or a
 * training key such as {@code lr}) maps to a list of values to try, or to a range
 * {@code {min: 1e-4, max: 1e-2, log: true}} ({@code int: true} draws whole numbers), or to a
 * single value that every trial uses. Grid search takes the product of the lists in file order,
 * the first key changing slowest (as MMRec and itertools.product do); random search draws each
 * key independently (uniformly from a list, uniformly or log-uniformly in a range) from a seeded
 * generator, so the same seed gives the same trials. Both are a few lines, so no search library
 * is pulled in for them.
 */
public final class SearchSpace {

    sealed interface Dimension permits Choices, Range {
        String key();
    }

    record Choices(String key, List<Object> values) implements Dimension {
    }

    record Range(String key, double min, double max, boolean log, boolean integer) implements Dimension {
        Object draw(SplittableRandom random) {
            double u = random.nextDouble();
            double v = log ? Math.exp(Math.log(min) + u * (Math.log(max) - Math.log(min))) : min + u * (max - min);
            return integer ? (Object) Math.round(v) : (Object) v;
        }
    }

    private final List<Dimension> dimensions;

    private SearchSpace(List<Dimension> dimensions) {
        this.dimensions = dimensions;
    }

    /**
     * The search space shipped for {@code model} (the project's docs/spaces/MODEL.yaml, packaged
     * with the command), as text, or null when there is none.
     */
    public static String builtIn(String model) throws IOException {
        try (java.io.InputStream in = SearchSpace.class.getResourceAsStream("spaces/" + model + ".yaml")) {
            return in == null ? null : new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
    }

    /** The registered models with a built-in search space. */
    public static List<String> builtInModels() {
        return org.diffmmj.model.ModelRegistry.names().stream()
                .filter(m -> SearchSpace.class.getResource("spaces/" + m + ".yaml") != null).toList();
    }

    public static SearchSpace read(Path file) throws IOException {
        return parse(YamlFiles.read(file), file.toString());
    }

    public static SearchSpace parse(Map<String, Object> yaml, String source) {
        List<Dimension> dims = new ArrayList<>();
        for (var e : yaml.entrySet()) {
            String key = e.getKey();
            Object v = e.getValue();
            if (v instanceof List<?> list) {
                if (list.isEmpty()) {
                    throw new ConfigException(source + ": key '" + key + "' lists no values");
                }
                dims.add(new Choices(key, new ArrayList<>(list)));
            } else if (v instanceof Map<?, ?> range) {
                for (Object k : range.keySet()) {
                    if (!List.of("min", "max", "log", "int").contains(String.valueOf(k))) {
                        throw new ConfigException(source + ": key '" + key + "' has '" + k
                                + "'; a range takes min, max, log and int");
                    }
                }
                if (!range.containsKey("min") || !range.containsKey("max")) {
                    throw new ConfigException(source + ": range '" + key + "' needs min and max");
                }
                double min = number(range.get("min"), source, key);
                double max = number(range.get("max"), source, key);
                boolean log = Boolean.parseBoolean(String.valueOf(range.get("log")));
                boolean integer = Boolean.parseBoolean(String.valueOf(range.get("int")));
                if (!(min <= max) || (log && min <= 0)) {
                    throw new ConfigException(source + ": range '" + key + "' needs min <= max" + (log ? " and min > 0 on"
                            + " a log scale" : "") + ", got [" + min + ", " + max + "]");
                }
                dims.add(new Range(key, min, max, log, integer));
            } else {
                dims.add(new Choices(key, List.of(v)));
            }
        }
        if (dims.isEmpty()) {
            throw new ConfigException(source + ": the search space names no key");
        }
        return new SearchSpace(dims);
    }

    private static double number(Object v, String source, String key) {
        try {
            return Double.parseDouble(String.valueOf(v));
        } catch (NumberFormatException e) {
            throw new ConfigException(source + ": range '" + key + "' expects numbers, got " + v);
        }
    }

    public List<String> keys() {
        return dimensions.stream().map(Dimension::key).toList();
    }

    public boolean hasRanges() {
        return dimensions.stream().anyMatch(d -> d instanceof Range);
    }

    /** Every combination of the lists, first key slowest; ranges cannot be gridded. */
    public List<Map<String, Object>> grid() {
        if (hasRanges()) {
            throw new ConfigException("grid search needs lists; the space has ranges ("
                    + dimensions.stream().filter(d -> d instanceof Range).map(Dimension::key).toList()
                    + "): use --search random");
        }
        List<Map<String, Object>> out = new ArrayList<>();
        out.add(new LinkedHashMap<>());
        for (Dimension d : dimensions) {
            List<Map<String, Object>> next = new ArrayList<>();
            for (Map<String, Object> partial : out) {
                for (Object v : ((Choices) d).values()) {
                    Map<String, Object> m = new LinkedHashMap<>(partial);
                    m.put(d.key(), v);
                    next.add(m);
                }
            }
            out = next;
        }
        return out;
    }

    /** {@code n} independent draws from a generator seeded with {@code seed}. */
    public List<Map<String, Object>> random(int n, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        List<Map<String, Object>> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Map<String, Object> m = new LinkedHashMap<>();
            for (Dimension d : dimensions) {
                if (d instanceof Choices c) {
                    m.put(d.key(), c.values().get(random.nextInt(c.values().size())));
                } else {
                    m.put(d.key(), ((Range) d).draw(random));
                }
            }
            out.add(m);
        }
        return out;
    }
}
