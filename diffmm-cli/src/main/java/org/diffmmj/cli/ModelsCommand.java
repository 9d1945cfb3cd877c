package org.diffmmj.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import org.diffmmj.config.ConfigSchema;
import org.diffmmj.model.ModelDefinition;
import org.diffmmj.model.ModelRegistry;
import org.diffmmj.train.TrainingConfig;

@Command(name = "models", mixinStandardHelpOptions = true,
        description = {"List every registered model with its config keys, defaults and presets.",
                "Also the training loop's keys; any of them can be set in a --config file or with --set KEY=VALUE."})
public final class ModelsCommand implements Callable<Integer> {

    @Option(names = "--json", description = "Print JSON.")
    boolean json;

    @Override
    public Integer call() {
        Map<String, Object> out = new LinkedHashMap<>();
        List<Object> models = new ArrayList<>();
        for (ModelDefinition<?> d : ModelRegistry.all()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", d.name());
            m.put("description", d.description());
            m.put("keys", keys(d.schema()));
            m.put("presets", d.presets());
            m.put("preset_training", d.presetTraining());
            m.put("training_defaults", d.trainingDefaults());
            models.add(m);
        }
        out.put("models", models);
        out.put("training_keys", keys(TrainingConfig.SCHEMA));
        if (json) {
            System.out.println(Json.pretty(out));
            return 0;
        }
        for (ModelDefinition<?> d : ModelRegistry.all()) {
            System.out.println(d.name() + " - " + d.description());
            print(d.schema());
            if (!d.trainingDefaults().isEmpty()) {
                System.out.println("    trains with " + Text.map(d.trainingDefaults()) + " unless set");
            }
            if (!d.presets().isEmpty()) {
                d.presets().forEach((name, values) -> {
                    Map<String, Object> all = new java.util.TreeMap<>(values);
                    all.putAll(d.presetTrainingValues(name));
                    System.out.println("    preset " + name + ": " + Text.map(all));
                });
            }
            System.out.println();
        }
        System.out.println("training loop (every model)");
        print(TrainingConfig.SCHEMA);
        return 0;
    }

    private static List<Object> keys(ConfigSchema<?> schema) {
        List<Object> keys = new ArrayList<>();
        for (ConfigSchema.KeySpec k : schema.keys()) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("key", k.name());
            e.put("type", k.typeName());
            e.put("default", k.defaultForDisplay());
            if (!k.range().isEmpty()) {
                e.put("range", k.range());
            }
            e.put("description", k.meta().doc());
            keys.add(e);
        }
        return keys;
    }

    private static void print(ConfigSchema<?> schema) {
        for (ConfigSchema.KeySpec k : schema.keys()) {
            String range = k.range().isEmpty() ? "" : ", " + k.range();
            System.out.printf("    %-18s %-12s %s (%s%s)%n", k.name(), Text.number(k.defaultForDisplay()), k.meta().doc(),
                    k.typeName(), range);
        }
    }
}
