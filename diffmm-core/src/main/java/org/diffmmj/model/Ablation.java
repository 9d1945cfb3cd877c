package org.diffmmj.model;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One variant of an ablation study: a directory-safe id (it names the variant's runs), the label
 * its table row carries (the paper's, where the paper names it), what it removes, and the model
 * keys that make it, applied over the preset like {@code --set}. The full model's overrides are empty.
 */
public record Ablation(String id, String label, String description, Map<String, Object> overrides) {

    public Ablation {
        if (!id.matches("[a-z0-9][a-z0-9-]*")) {
            throw new IllegalArgumentException("ablation id must be lower-case letters, digits and '-': " + id);
        }
        // Kept in the caller's order: the table's Keys column lists them (Map.copyOf's order changes
        // from one JVM to the next).
        overrides = Collections.unmodifiableMap(new LinkedHashMap<>(overrides));
    }
}
