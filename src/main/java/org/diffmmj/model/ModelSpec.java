package org.diffmmj.model;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.diffmmj.data.Dataset;
import org.diffmmj.model.diffmm.DiffMM;
import org.diffmmj.model.diffmm.DiffMMConfig;
import org.diffmmj.random.Rng;

/**
 * Which model to build and with what settings: the estimator half of "fit returns a model".
 * Kept as plain data so a checkpoint can record it and rebuild the same model.
 */
public record ModelSpec(String name, int dim, int layers, float reg, DiffMMConfig diffmm) {

    public static final List<String> NAMES = List.of(MfBpr.NAME, LightGcn.NAME, DiffMM.NAME);

    public ModelSpec {
        if (!NAMES.contains(name)) {
            throw new IllegalArgumentException("unknown model '" + name + "'; choose one of " + NAMES);
        }
    }

    public Recommender create(Dataset data, Rng rng) {
        return switch (name) {
            case MfBpr.NAME -> new MfBpr(data.users(), data.items(), dim, reg, rng);
            case LightGcn.NAME -> new LightGcn(data.train(), dim, layers, reg, rng);
            case DiffMM.NAME -> new DiffMM(data, diffmm, rng);
            default -> throw new IllegalStateException(name);
        };
    }

    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", name);
        if (name.equals(DiffMM.NAME)) {
            m.putAll(diffmm.toMap());
        } else {
            m.put("dim", dim);
            if (name.equals(LightGcn.NAME)) {
                m.put("layers", layers);
            }
            m.put("reg", reg);
        }
        return m;
    }
}
