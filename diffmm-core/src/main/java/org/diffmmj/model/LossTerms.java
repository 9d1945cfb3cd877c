package org.diffmmj.model;

import java.util.LinkedHashMap;
import java.util.Map;

import org.diffmmj.autograd.Var;

/** The total loss of a batch (what is differentiated) and its named parts (what is logged). */
public record LossTerms(Var total, Map<String, Var> parts) {

    public LossTerms {
        parts = new LinkedHashMap<>(parts);
    }

    /** The total and its parts from alternating names and values, logged in that order. */
    public static LossTerms of(Var total, Object... namesAndParts) {
        Map<String, Var> parts = new LinkedHashMap<>();
        for (int i = 0; i < namesAndParts.length; i += 2) {
            parts.put((String) namesAndParts[i], (Var) namesAndParts[i + 1]);
        }
        return new LossTerms(total, parts);
    }

    public Map<String, Double> partValues() {
        Map<String, Double> values = new LinkedHashMap<>();
        parts.forEach((name, v) -> values.put(name, (double) v.value().get(0, 0)));
        return values;
    }
}
