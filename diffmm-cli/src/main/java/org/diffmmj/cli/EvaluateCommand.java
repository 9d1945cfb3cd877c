package org.diffmmj.cli;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import org.diffmmj.data.Dataset;
import org.diffmmj.eval.Evaluator;
import org.diffmmj.io.SavedModel;
import org.diffmmj.eval.ScoreSource;

@Command(name = "evaluate", mixinStandardHelpOptions = true,
        description = {"Recompute validation and test metrics of a saved model (full ranking, training items excluded).",
                "Without --data, the data the model was trained on is read again; either way it is checked by fingerprint."})
public final class EvaluateCommand implements Callable<Integer> {

    @Option(names = "--model", required = true, description = "A train --out directory or its model.ckpt.")
    Path model;

    @Mixin
    DataOptions data;

    @Option(names = "--ks", defaultValue = "10,20,50", split = ",", description = "Cut-offs K (default: ${DEFAULT-VALUE}).")
    int[] ks;

    @Option(names = "--json", description = "Print JSON.")
    boolean json;

    @Option(names = "--cold-items", description = {"Also report the metrics over the held-out interactions whose item has "
            + "no training interaction (cold items), still ranked among all items; users without such an interaction "
            + "are left out. A model that scores from interactions alone ranks those items near chance."})
    boolean coldItems;

    @Override
    public Integer call() throws Exception {
        try (SavedModel saved = SavedModel.load(model)) {
            Dataset dataset = data.loadOr(saved.dataDirectory());
            if (!dataset.fingerprint().equals(saved.datasetFingerprint())) {
                throw new IllegalArgumentException("the data (" + dataset.name() + ", fingerprint " + dataset.fingerprint()
                        + ") is not the dataset the model was trained on (fingerprint " + saved.datasetFingerprint() + ")");
            }
            Evaluator evaluator = new Evaluator(ks);
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("model", saved.modelName());
            out.put("epoch", saved.header().get("epoch"));
            ScoreSource scorer = saved.scorer(dataset);
            try {
                out.put("val", evaluator.evaluate(scorer, dataset.train(), dataset.validation()).values());
                out.put("test", evaluator.evaluate(scorer, dataset.train(), dataset.test()).values());
                if (coldItems) {
                    for (String split : new String[] {"val", "test"}) {
                        var heldOut = split.equals("val") ? dataset.validation() : dataset.test();
                        var cold = heldOut.onlyItemsAbsentFrom(dataset.train());
                        Map<String, Object> report = new LinkedHashMap<>();
                        report.put("interactions", cold.size());
                        report.put("items", java.util.Arrays.stream(cold.pairItems()).distinct().count());
                        report.put("users", cold.usersWithInteractions().length);
                        if (cold.size() > 0) {
                            report.putAll(evaluator.evaluate(scorer, dataset.train(), cold).values());
                        }
                        out.put(split + "_cold_items", report);
                    }
                }
            } finally {
                if (!saved.hasEmbeddings()) {
                    scorer.close();
                }
            }
            if (json) {
                System.out.println(Json.pretty(out));
            } else {
                System.out.println(saved.modelName() + " (epoch " + out.get("epoch") + ")");
                System.out.println("  val  " + Text.map((Map<?, ?>) out.get("val")));
                System.out.println("  test " + Text.map((Map<?, ?>) out.get("test")));
                if (coldItems) {
                    System.out.println("  val, cold items only  " + Text.map((Map<?, ?>) out.get("val_cold_items")));
                    System.out.println("  test, cold items only " + Text.map((Map<?, ?>) out.get("test_cold_items")));
                }
            }
        }
        return 0;
    }
}
