package org.diffmmj.train;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import org.diffmmj.util.AtomicFiles;

/**
 * The epochs of a run and the two ways of picking one: the honest validation-selected epoch,
 * and the paper's protocol (best test epoch, which selects on the test set).
 */
public final class TrainingHistory {

    private final String model;
    private final String selectionMetric;
    private final Map<String, Object> runInfo;
    private final List<EpochRecord> epochs = new ArrayList<>();

    public TrainingHistory(String model, String selectionMetric, Map<String, Object> runInfo) {
        this.model = model;
        this.selectionMetric = selectionMetric;
        this.runInfo = new LinkedHashMap<>(runInfo);
    }

    /** Rebuilds the epochs written by {@link #toJson()} (for a resumed run). */
    @SuppressWarnings("unchecked")
    public void restoreEpochs(Map<String, Object> json) {
        epochs.clear();
        for (Object o : (List<Object>) json.get("epochs")) {
            Map<String, Object> e = (Map<String, Object>) o;
            epochs.add(new EpochRecord(((Number) e.get("epoch")).intValue(), doubles(e.get("losses")),
                    doubles(e.get("val")), doubles(e.get("test")), doubles(e.get("seconds")),
                    e.get("memory_mb") == null ? Map.of() : doubles(e.get("memory_mb"))));
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Double> doubles(Object o) {
        if (o == null) {
            return null;
        }
        Map<String, Double> out = new LinkedHashMap<>();
        ((Map<String, Object>) o).forEach((k, v) -> out.put(k, ((Number) v).doubleValue()));
        return out;
    }

    public void add(EpochRecord record) {
        epochs.add(record);
    }

    public List<EpochRecord> epochs() {
        return List.copyOf(epochs);
    }

    public String selectionMetric() {
        return selectionMetric;
    }

    /** The evaluated epoch with the highest validation metric (earliest on ties), or null. */
    public EpochRecord bestValidationEpoch() {
        return best(true);
    }

    /** The paper's protocol: the evaluated epoch with the highest test metric, or null. */
    public EpochRecord bestTestEpoch() {
        return best(false);
    }

    private EpochRecord best(boolean onValidation) {
        EpochRecord best = null;
        for (EpochRecord r : epochs) {
            if (!r.evaluated()) {
                continue;
            }
            double v = (onValidation ? r.val() : r.test()).get(selectionMetric);
            if (best == null || v > (onValidation ? best.val() : best.test()).get(selectionMetric)) {
                best = r;
            }
        }
        return best;
    }

    /** One epoch as {@code metrics.json} lists it (and {@code metrics.jsonl} has it, one per line). */
    public static Map<String, Object> epochJson(EpochRecord r) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("epoch", r.epoch());
        e.put("losses", r.losses());
        e.put("val", r.val());
        e.put("test", r.test());
        e.put("seconds", r.seconds());
        if (!r.memoryMb().isEmpty()) {
            e.put("memory_mb", r.memoryMb());
        }
        return e;
    }

    public Map<String, Object> toJson() {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("model", model);
        root.putAll(runInfo);
        root.put("selection_metric", selectionMetric);
        List<Map<String, Object>> list = new ArrayList<>();
        for (EpochRecord r : epochs) {
            list.add(epochJson(r));
        }
        root.put("epochs", list);
        EpochRecord bestVal = bestValidationEpoch();
        EpochRecord bestTest = bestTestEpoch();
        root.put("best_val_epoch", bestVal == null ? null : bestVal.epoch());
        root.put("val_at_best_val", bestVal == null ? null : bestVal.val());
        root.put("test_at_best_val", bestVal == null ? null : bestVal.test());
        root.put("best_test_epoch", bestTest == null ? null : bestTest.epoch());
        root.put("best_test", bestTest == null ? null : bestTest.test());
        Map<String, Object> protocols = new LinkedHashMap<>();
        protocols.put("test_at_best_val", "honest: epoch chosen by validation " + selectionMetric + ", test reported there");
        protocols.put("best_test", "the paper's protocol: best test " + selectionMetric
                + " over all epochs (selects on the test set, optimistic)");
        root.put("protocols", protocols);
        return root;
    }

    public void writeJson(Path file) throws IOException {
        ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        AtomicFiles.write(file, mapper.writeValueAsBytes(toJson()));
    }
}
