package org.diffmmj.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.Map;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import org.diffmmj.data.Dataset;
import org.diffmmj.data.SyntheticGenerator;
import org.diffmmj.random.Rng;
import org.diffmmj.train.Trainer;
import org.diffmmj.train.TrainingConfig;
import org.diffmmj.train.TrainingHistory;

/**
 * The multi-modal baselines take any number of modalities: each trains on a dataset with a single
 * feature matrix (MMRec's one-file case) and on one with three, and refuses a dataset without
 * features by name.
 */
class MultiModalBaselinesTest {

    private static Dataset data(long seed, String... modalities) {
        Map<String, Integer> m = new LinkedHashMap<>();
        int width = 5;
        for (String name : modalities) {
            m.put(name, width++);
        }
        return new SyntheticGenerator(30, 24, m, seed).meanInteractions(8).generate("mm-" + modalities.length);
    }

    private static TrainingHistory train(String name, Dataset data) {
        ModelDefinition<?> d = ModelRegistry.get(name);
        try (Recommender model = d.create(d.config(null, Map.of("dim", 8)), data, new Rng(3))) {
            return new Trainer(TrainingConfig.builder().epochs(2).batchSize(32).learningRate(1e-2).seed(5).build())
                    .fit(model, data, Map.of(), null);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {Vbpr.NAME, LightGcnM.NAME, Freedom.NAME, Lattice.NAME, Mmgcn.NAME, Grcn.NAME})
    void trainsOnASingleModality(String name) {
        TrainingHistory h = train(name, data(11, "image"));
        assertThat(h.epochs()).hasSize(2);
        assertThat(h.epochs().get(1).losses().get("loss")).isFinite();
        assertThat(h.epochs().get(1).val()).isNotEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {Vbpr.NAME, LightGcnM.NAME, Freedom.NAME, Lattice.NAME, Mmgcn.NAME, Grcn.NAME})
    void trainsOnThreeModalities(String name) {
        TrainingHistory h = train(name, data(12, "audio", "image", "text"));
        assertThat(h.epochs().get(1).losses().get("loss")).isFinite();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {Vbpr.NAME, LightGcnM.NAME, Freedom.NAME, Lattice.NAME, Mmgcn.NAME, Grcn.NAME})
    void refusesADatasetWithoutFeatures(String name) {
        ModelDefinition<?> d = ModelRegistry.get(name);
        Dataset none = data(13);
        assertThatThrownBy(() -> d.create(d.config(null, Map.of()), none, new Rng(1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(name).hasMessageContaining("modality");
    }
}
