package org.diffmmj.model;

import java.util.LinkedHashMap;
import java.util.Map;

import org.diffmmj.autograd.Var;

/** The total loss of a batch (what is differentiated) and its named parts (what is logged). */
public record LossTerms(Var total, Map<String, Var> parts) {

    public LossTerms {
        parts = new LinkedHashMap<>(parts);
    }

    public Map<String, Double> partValues() {
        Map<String, Double> values = new LinkedHashMap<>();
        parts.forEach((name, v) -> values.put(name, (double) v.value().get(0, 0)));
        return values;
    }
}
