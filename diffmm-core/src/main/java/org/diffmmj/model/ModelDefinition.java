package org.diffmmj.model;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.diffmmj.config.ConfigSchema;
import org.diffmmj.data.Dataset;
import org.diffmmj.random.Rng;

/**
 * What the registry knows of one model: its name, one line of description, the schema of its
 * config record (keys, defaults, ranges), the per-dataset presets its paper or reference code
 * gives, and how to build it. Declared once, in the model's own file, as {@code DEFINITION}.
 */
public record ModelDefinition<C extends Record>(String name, String description, ConfigSchema<C> schema,
                                                 Map<String, Map<String, Object>> presets,
                                                 Map<String, Object> trainingDefaults,
                                                 Map<String, Map<String, Object>> presetTraining, Factory<C> factory) {

    /** Builds the model for a dataset from a resolved config; draws its initial weights from {@code rng}. */
    @FunctionalInterface
    public interface Factory<C> {
        Recommender create(C config, Dataset data, Rng rng);
    }

    public ModelDefinition {
        Map<String, Map<String, Object>> sorted = new TreeMap<>();
        presets.forEach((k, v) -> sorted.put(k, java.util.Collections.unmodifiableMap(new TreeMap<>(v))));
        presets = java.util.Collections.unmodifiableMap(sorted);
        trainingDefaults = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(trainingDefaults));
        Map<String, Map<String, Object>> training = new TreeMap<>();
        for (var e : presetTraining.entrySet()) {
            if (!presets.containsKey(e.getKey())) {
                throw new IllegalStateException(name + " sets training keys for preset " + e.getKey() + ", which it does not have");
            }
            training.put(e.getKey(), java.util.Collections.unmodifiableMap(new TreeMap<>(e.getValue())));
        }
        presetTraining = java.util.Collections.unmodifiableMap(training);
        for (var preset : presets.entrySet()) {
            for (String key : preset.getValue().keySet()) {
                if (schema.key(key).isEmpty()) {
                    throw new IllegalStateException(name + " preset " + preset.getKey() + " sets unknown key " + key);
                }
            }
        }
    }

    /** A definition whose presets set model keys only. */
    public ModelDefinition(String name, String description, ConfigSchema<C> schema, Map<String, Map<String, Object>> presets,
                           Map<String, Object> trainingDefaults, Factory<C> factory) {
        this(name, description, schema, presets, trainingDefaults, Map.of(), factory);
    }

    public static <C extends Record> ModelDefinition<C> of(String name, String description, Class<C> type,
                                                           C defaults, Map<String, Map<String, Object>> presets,
                                                           Factory<C> factory) {
        return new ModelDefinition<>(name, description, ConfigSchema.of(type, defaults), presets, Map.of(), Map.of(), factory);
    }

    /**
     * A definition whose reference implementation trains with other loop settings than the
     * toolkit's defaults (e.g. DiffRec's lr 1e-4 and batch 400): {@code trainingDefaults} holds
     * those training keys; a run's files and options still override them.
     */
    public ModelDefinition<C> withTrainingDefaults(Map<String, Object> trainingDefaults) {
        return new ModelDefinition<>(name, description, schema, presets, trainingDefaults, presetTraining, factory);
    }

    /**
     * A preset that also sets training-loop keys (e.g. the learning rate the reference runs that
     * data set with): applied over the training defaults, under config files, {@code --set} and
     * options. The keys are checked where runs are resolved ({@code train.RunConfig}), the layer
     * that knows the loop's keys.
     */
    public ModelDefinition<C> withPresetTraining(String preset, Map<String, Object> trainingKeys) {
        Map<String, Map<String, Object>> training = new TreeMap<>(presetTraining);
        training.put(preset, trainingKeys);
        return new ModelDefinition<>(name, description, schema, presets, trainingDefaults, training, factory);
    }

    /** The training-loop keys a preset sets (none for null, "none" or a preset without any). */
    public Map<String, Object> presetTrainingValues(String preset) {
        return preset == null ? Map.of() : presetTraining.getOrDefault(preset, Map.of());
    }

    public List<String> presetNames() {
        return List.copyOf(presets.keySet());
    }

    /** Builds the model; {@code config} must be this model's config record. */
    public Recommender create(Record config, Dataset data, Rng rng) {
        return factory.create(schema.type().cast(config), data, rng);
    }

    /**
     * The config with this model's defaults, then {@code preset}'s values (null or "none" for
     * none), then {@code values} (YAML values or strings; checked and converted like a file's).
     */
    public C config(String preset, Map<String, ?> values) {
        Map<String, Object> resolved = new java.util.LinkedHashMap<>();
        presetValues(preset).forEach((k, v) -> resolved.put(k, convert(k, v, "preset " + preset + " of " + name)));
        values.forEach((k, v) -> resolved.put(k, convert(k, v, null)));
        return schema.bind(resolved);
    }

    /** {@link #config(String, Map)} without a preset, from alternating keys and values. */
    public C config(Object... keysAndValues) {
        if (keysAndValues.length % 2 != 0) {
            throw new IllegalArgumentException("keys and values must alternate");
        }
        Map<String, Object> values = new java.util.LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            values.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return config(null, values);
    }

    /** The overrides of a preset; null or "none" has none; an unknown name is refused with the known ones. */
    public Map<String, Object> presetValues(String preset) {
        if (preset == null || preset.equals("none")) {
            return Map.of();
        }
        Map<String, Object> values = presets.get(preset);
        if (values == null) {
            throw new org.diffmmj.config.ConfigException("model " + name + " has no preset '" + preset + "'"
                    + (presets.isEmpty() ? " (it has none)" : "; choose one of " + presetNames()));
        }
        return values;
    }

    /** Converts one value for one of this model's keys; an unknown key is refused with the model's keys. */
    public Object convert(String key, Object raw, String source) {
        var spec = schema.key(key).orElseThrow(() -> new org.diffmmj.config.ConfigException("unknown key '" + key + "'"
                + (source == null ? "" : " (" + source + ")") + " for model " + name + "; its keys are "
                + String.join(", ", schema.keyNames())));
        return schema.convert(spec, raw, source);
    }

    /** The config's values by key (for config.yaml, checkpoints and {@code models}). */
    public Map<String, Object> toMap(Record config) {
        return schema.toMap(schema.type().cast(config));
    }
}
