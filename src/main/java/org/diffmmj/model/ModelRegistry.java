package org.diffmmj.model;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.diffmmj.model.diffmm.DiffMM;

/**
 * Every model the toolkit can train, found by name. Adding a model is one line here plus its
 * own file (see docs/adding-a-model.md); training, evaluation, checkpoints, serving, the
 * {@code models} command and the contract tests pick it up from this list.
 */
public final class ModelRegistry {

    private static final Map<String, ModelDefinition<?>> MODELS = new LinkedHashMap<>();

    static {
        register(MfBpr.DEFINITION);
        register(LightGcn.DEFINITION);
        register(DiffMM.DEFINITION);
    }

    private ModelRegistry() {
    }

    private static void register(ModelDefinition<?> definition) {
        if (MODELS.put(definition.name(), definition) != null) {
            throw new IllegalStateException("two models are named " + definition.name());
        }
    }

    public static List<ModelDefinition<?>> all() {
        return List.copyOf(MODELS.values());
    }

    public static List<String> names() {
        return List.copyOf(MODELS.keySet());
    }

    /** The model called {@code name}; an unknown name is refused with the list of known ones. */
    public static ModelDefinition<?> get(String name) {
        ModelDefinition<?> d = MODELS.get(name);
        if (d == null) {
            throw new IllegalArgumentException("unknown model '" + name + "'; choose one of " + names()
                    + " (./diffmm models lists them with their keys)");
        }
        return d;
    }
}
