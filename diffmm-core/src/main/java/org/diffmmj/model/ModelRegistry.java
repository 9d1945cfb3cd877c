package org.diffmmj.model;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.diffmmj.model.diffmm.DiffMM;
import org.diffmmj.model.diffrec.DiffRec;

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
        register(Ngcf.DEFINITION);
        register(Sgl.DEFINITION);
        register(Ncl.DEFINITION);
        register(Hccf.DEFINITION);
        register(DiffMM.DEFINITION);
        register(DiffRec.DEFINITION);
        register(Vbpr.DEFINITION);
        register(LightGcnM.DEFINITION);
        register(Freedom.DEFINITION);
        register(Lattice.DEFINITION);
        register(Mmgcn.DEFINITION);
        register(Grcn.DEFINITION);
        register(Bm3.DEFINITION);
        register(Slmrec.DEFINITION);
        register(Clcrec.DEFINITION);
        register(Mmgcl.DEFINITION);
    }

    private ModelRegistry() {
    }

    /**
     * Adds a model defined outside this library (an application's own), before anything looks it
     * up; a name already taken is refused.
     */
    public static synchronized void register(ModelDefinition<?> definition) {
        if (MODELS.containsKey(definition.name())) {
            throw new IllegalStateException("a model named " + definition.name() + " is already registered");
        }
        MODELS.put(definition.name(), definition);
    }

    /** Whether a model of that name is registered. */
    public static synchronized boolean contains(String name) {
        return MODELS.containsKey(name);
    }

    public static synchronized List<ModelDefinition<?>> all() {
        return List.copyOf(MODELS.values());
    }

    public static synchronized List<String> names() {
        return List.copyOf(MODELS.keySet());
    }

    /** The model called {@code name}; an unknown name is refused with the list of known ones. */
    public static synchronized ModelDefinition<?> get(String name) {
        ModelDefinition<?> d = MODELS.get(name);
        if (d == null) {
            throw new IllegalArgumentException("unknown model '" + name + "'; choose one of " + names()
                    + " (./diffmm models lists them with their keys)");
        }
        return d;
    }
}
