package org.diffmmj.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import org.diffmmj.model.MfBpr;
import org.diffmmj.model.ModelDefinition;
import org.diffmmj.model.ModelRegistry;

class RunConfigTest {

    /** MF-BPR under another name, trained by its "reference" with lr 0.01 and batch 100. */
    private static final ModelDefinition<MfBpr.Config> WITH_TRAINING_DEFAULTS = new ModelDefinition<>(
            "test-mf-reference-lr", "test", MfBpr.DEFINITION.schema(), Map.of(), Map.of(),
            MfBpr.DEFINITION.factory()).withTrainingDefaults(Map.of("lr", "0.01", "batch", 100));

    private static RunConfig resolve(Map<String, ?>... layers) {
        synchronized (RunConfigTest.class) {
            if (!ModelRegistry.contains(WITH_TRAINING_DEFAULTS.name())) {
                ModelRegistry.register(WITH_TRAINING_DEFAULTS);
            }
        }
        return RunConfig.resolve(java.util.Arrays.stream(layers).map(l -> new RunConfig.Layer(l, "test")).toList());
    }

    @Test
    void aModelsTrainingDefaultsSitBetweenTheLoopsDefaultsAndTheUsersLayers() {
        RunConfig plain = resolve(Map.of("model", "test-mf-reference-lr"));
        assertThat(plain.training().learningRate()).isEqualTo(0.01);
        assertThat(plain.training().batchSize()).isEqualTo(100);
        assertThat(plain.training().epochs()).isEqualTo(TrainingConfig.DEFAULTS.epochs());
        RunConfig set = resolve(Map.of("model", "test-mf-reference-lr"), Map.of("lr", "0.002"));
        assertThat(set.training().learningRate()).isEqualTo(0.002);
        assertThat(set.training().batchSize()).isEqualTo(100);
        // The written config holds the resolved values, so a rerun does not depend on the defaults.
        assertThat(set.toMap()).containsEntry("lr", 0.002).containsEntry("batch", 100);
        assertThat(resolve(Map.of("model", "mf-bpr")).training().learningRate()).isEqualTo(1e-3);
    }

    @Test
    void anyReportedMetricCanSelectTheModel() {
        for (String m : List.of("recall@20", "ndcg@10", "precision@50", "hit@20", "mrr@20", "map@20", "coverage@10")) {
            assertThat(resolve(Map.of("model", "mf-bpr", "metric", m)).training().selectionMetric()).isEqualTo(m);
        }
        assertThatThrownBy(() -> resolve(Map.of("model", "mf-bpr", "metric", "auc@20")))
                .hasMessageContaining("[recall, ndcg, precision, hit, mrr, map, coverage]");
        assertThatThrownBy(() -> resolve(Map.of("model", "mf-bpr", "metric", "mrr@30")))
                .hasMessageContaining("K=30 is not among the evaluated ks");
    }

    @Test
    void laterLayersWinAndPresetsSitUnderFiles() {
        RunConfig r = resolve(Map.of("model", "diffmm", "preset", "tiktok", "ssl_reg", "0.05"), Map.of("dim", 32),
                Map.of("dim", 16));
        var c = (org.diffmmj.model.diffmm.DiffMMConfig) r.modelConfig();
        assertThat(c.sslReg()).isEqualTo(0.05f);
        assertThat(c.reg()).isEqualTo(1e-4f);
        assertThat(c.dim()).isEqualTo(16);
        assertThatThrownBy(() -> resolve(Map.of("model", "diffmm", "preset", "movielens")))
                .hasMessageContaining("no preset 'movielens'").hasMessageContaining("baby, sports, tiktok");
    }

    @Test
    void aPresetsTrainingKeysSitOverTheTrainingDefaultsAndUnderFilesAndSet() {
        // SLMRec trains at lr 1e-4 by default (MMRec's grid); its tiktok preset is the authors' lr 0.01
        assertThat(resolve(Map.of("model", "slmrec")).training().learningRate()).isEqualTo(1e-4);
        RunConfig tiktok = resolve(Map.of("model", "slmrec", "preset", "tiktok"));
        assertThat(tiktok.training().learningRate()).isEqualTo(0.01);
        assertThat(tiktok.training().batchSize()).isEqualTo(2048);
        assertThat(resolve(Map.of("model", "slmrec", "preset", "tiktok"), Map.of("lr", "0.003")).training().learningRate())
                .isEqualTo(0.003);
        assertThat(resolve(Map.of("model", "slmrec", "preset", "none")).training().learningRate()).isEqualTo(1e-4);
    }

    @Test
    void trainingKeysOfAPresetTheModelDoesNotHaveAreRefusedWhenDefined() {
        assertThatThrownBy(() -> MfBpr.DEFINITION.withPresetTraining("tiktok", Map.of("lr", 0.1)))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("preset tiktok");
    }
}
