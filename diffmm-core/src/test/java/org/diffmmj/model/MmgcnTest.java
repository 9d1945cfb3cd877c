package org.diffmmj.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.Map;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import org.diffmmj.autograd.Parameter;
import org.diffmmj.data.Dataset;
import org.diffmmj.data.SyntheticGenerator;
import org.diffmmj.random.Rng;
import org.diffmmj.train.Trainer;
import org.diffmmj.train.TrainingConfig;

/**
 * {@code train_embeddings}: the references' MMGCN never trains its ID embedding and preference
 * tables (plain tensors the optimiser does not see); ours does unless told not to.
 */
class MmgcnTest {

    @ParameterizedTest(name = "train_embeddings={0}")
    @ValueSource(booleans = {true, false})
    void tablesTrainOnlyWhenAsked(boolean trainEmbeddings) {
        Dataset data = new SyntheticGenerator(30, 24, new LinkedHashMap<>(Map.of("image", 5, "audio", 6)), 4)
                .meanInteractions(8).generate("mm");
        ModelDefinition<?> d = ModelRegistry.get(Mmgcn.NAME);
        try (Recommender model = d.create(d.config(null, Map.of("dim", 8, "dim_latent", 8, "train_embeddings", trainEmbeddings)),
                data, new Rng(3))) {
            Map<String, float[]> before = new LinkedHashMap<>();
            for (Parameter p : model.parameters()) {
                before.put(p.name(), p.value().toArray());
            }
            new Trainer(TrainingConfig.builder().epochs(1).batchSize(32).learningRate(1e-2).seed(5).build())
                    .fit(model, data, Map.of(), null);
            for (Parameter p : model.parameters()) {
                boolean table = p.name().equals("id_embedding") || p.name().endsWith(".preference");
                boolean changed = !java.util.Arrays.equals(before.get(p.name()), p.value().toArray());
                assertThat(changed).as(p.name()).isEqualTo(!table || trainEmbeddings);
            }
            assertThat(before).containsKeys("id_embedding", "image_gcn.preference", "audio_gcn.preference");
        }
    }
}
