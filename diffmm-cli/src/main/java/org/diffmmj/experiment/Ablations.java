package org.diffmmj.experiment;

import java.util.List;
import java.util.Map;

import org.diffmmj.model.Ablation;
import org.diffmmj.model.diffmm.DiffMM;
import org.diffmmj.model.diffmm.DiffMMConfig;

/** The ablation studies {@code reproduce --ablations MODEL} knows: each model's variants, the full model first. */
public final class Ablations {

    private static final Map<String, List<Ablation>> STUDIES = Map.of(DiffMM.NAME, DiffMMConfig.ABLATIONS);

    private Ablations() {
    }

    public static List<String> models() {
        return STUDIES.keySet().stream().sorted().toList();
    }

    public static List<Ablation> of(String model) {
        List<Ablation> variants = STUDIES.get(model);
        if (variants == null) {
            throw new IllegalArgumentException("no ablation study for model '" + model + "'; known: "
                    + String.join(", ", models()));
        }
        return variants;
    }
}
