package org.diffmmj.train;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.diffmmj.config.ConfigException;
import org.diffmmj.config.YamlFiles;
import org.diffmmj.model.ModelDefinition;
import org.diffmmj.model.ModelRegistry;

/**
 * Everything one training run is configured by, resolved from layers the way MMRec and RecBole
 * users work: the model's defaults (and the training settings its reference uses, where they differ
 * from the loop's), then its preset, then config files, then {@code --set} and explicit options. Flat keys: the run keys ({@code model}, {@code preset}, {@code data},
 * {@code format}), the training loop's keys ({@link TrainingConfig}) and the model's own keys.
 * {@link #toMap()} is what {@code config.yaml} holds; resolving that map alone gives this run back.
 */
public record RunConfig(String model, String preset, String data, String format, TrainingConfig training,
                        Record modelConfig) {

    public static final String FILE_NAME = "config.yaml";
    public static final String DEFAULT_MODEL = "diffmm";
    private static final List<String> RUN_KEYS = List.of("model", "preset", "data", "format");

    /** One source of values, named for error messages (a file path, "--set", "--dim"). */
    public record Layer(Map<String, ?> values, String source) {
    }

    public ModelDefinition<?> definition() {
        return ModelRegistry.get(model);
    }

    /** The data directory, or null for the embedded default. */
    public Path dataPath() {
        return data == null ? null : Path.of(data);
    }

    /** Flat map in a fixed order: run keys, training keys, model keys. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("model", model);
        if (preset != null) m.put("preset", preset);
        if (data != null) m.put("data", data);
        if (format != null) m.put("format", format);
        m.putAll(TrainingConfig.SCHEMA.toMap(training));
        m.putAll(definition().toMap(modelConfig));
        return m;
    }

    public String toYaml() {
        return YamlFiles.write(toMap());
    }

    /** Reads a config file as one layer (the source is its path). */
    public static Layer file(Path path) throws IOException {
        return new Layer(YamlFiles.read(path), path.toString());
    }

    /** {@code key=value} strings of {@code --set}, as one layer. */
    public static Layer assignments(List<String> assignments) {
        Map<String, Object> values = new LinkedHashMap<>();
        for (String a : assignments) {
            int eq = a.indexOf('=');
            if (eq <= 0) {
                throw new ConfigException("--set expects key=value, got '" + a + "'");
            }
            values.put(a.substring(0, eq).trim(), a.substring(eq + 1));
        }
        return new Layer(values, "--set");
    }

    /** The run the layers describe, later layers winning; every key and value is checked. */
    public static RunConfig resolve(List<Layer> layers) {
        String model = DEFAULT_MODEL;
        String preset = null;
        String data = null;
        String format = null;
        for (Layer layer : layers) {
            model = runKey(layer, "model", model);
            preset = runKey(layer, "preset", preset);
            data = runKey(layer, "data", data);
            format = runKey(layer, "format", format);
        }
        ModelDefinition<?> definition = ModelRegistry.get(model);
        if ("none".equals(preset)) {
            preset = null;
        }
        Map<String, Object> modelValues = new LinkedHashMap<>();
        String presetSource = "preset " + preset + " of " + model;
        definition.presetValues(preset).forEach((k, v) -> modelValues.put(k, definition.convert(k, v, presetSource)));
        Map<String, Object> trainingValues = new LinkedHashMap<>();
        String modelSource = "training defaults of " + model;
        definition.trainingDefaults().forEach((k, v) -> trainingValues.put(k, TrainingConfig.SCHEMA.convert(
                TrainingConfig.SCHEMA.key(k).orElseThrow(() -> new IllegalStateException(modelSource + " name " + k)),
                v, modelSource)));
        definition.presetTrainingValues(preset).forEach((k, v) -> trainingValues.put(k, TrainingConfig.SCHEMA.convert(
                TrainingConfig.SCHEMA.key(k).orElseThrow(() -> new IllegalStateException(presetSource + " sets " + k
                        + ", which is not a training key")), v, presetSource)));
        for (Layer layer : layers) {
            for (var e : layer.values().entrySet()) {
                String key = e.getKey();
                if (RUN_KEYS.contains(key)) {
                    continue;
                }
                var trainingKey = TrainingConfig.SCHEMA.key(key);
                if (trainingKey.isPresent()) {
                    trainingValues.put(key, TrainingConfig.SCHEMA.convert(trainingKey.get(), e.getValue(), layer.source()));
                } else if (definition.schema().key(key).isPresent()) {
                    modelValues.put(key, definition.convert(key, e.getValue(), layer.source()));
                } else {
                    throw unknownKey(key, layer.source(), definition);
                }
            }
        }
        TrainingConfig training = TrainingConfig.SCHEMA.bind(trainingValues);
        Record modelConfig = definition.schema().bind(modelValues);
        return new RunConfig(model, preset, data, format, training, modelConfig);
    }

    /** The run a config.yaml (or a checkpoint's copy of it) describes. */
    public static RunConfig fromMap(Map<String, ?> values, String source) {
        return resolve(List.of(new Layer(values, source)));
    }

    private static String runKey(Layer layer, String key, String current) {
        if (!layer.values().containsKey(key)) {
            return current;
        }
        Object v = layer.values().get(key);
        if (!(v instanceof String s) || s.isBlank()) {
            throw new ConfigException("key '" + key + "' (" + layer.source() + ") expects a string, got " + v);
        }
        return s;
    }

    private static ConfigException unknownKey(String key, String source, ModelDefinition<?> definition) {
        List<String> known = new ArrayList<>(definition.schema().keyNames());
        return new ConfigException("unknown key '" + key + "' (" + source + "); model " + definition.name()
                + " takes " + String.join(", ", known) + "; the training loop takes "
                + String.join(", ", TrainingConfig.SCHEMA.keyNames()) + "; and every run takes "
                + String.join(", ", RUN_KEYS) + " (./diffmm models lists them with defaults)");
    }
}
