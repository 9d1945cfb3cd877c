package org.diffmmj.eval;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/** Mean metrics over the evaluated users, keyed like "recall@20", "ndcg@20", "precision@20". */
public final class MetricReport {

    private final Map<String, Double> values;
    private final int usersEvaluated;

    public MetricReport(Map<String, Double> values, int usersEvaluated) {
        this.values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
        this.usersEvaluated = usersEvaluated;
    }

    public Map<String, Double> values() {
        return values;
    }

    public int usersEvaluated() {
        return usersEvaluated;
    }

    public double get(String key) {
        Double v = values.get(key);
        if (v == null) {
            throw new IllegalArgumentException("no metric '" + key + "'; have " + values.keySet());
        }
        return v;
    }

    @Override
    public String toString() {
        return values + " over " + usersEvaluated + " users";
    }
}
