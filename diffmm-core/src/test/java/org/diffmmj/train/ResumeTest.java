package org.diffmmj.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.diffmmj.autograd.Parameter;
import org.diffmmj.data.Dataset;
import org.diffmmj.data.TestData;
import org.diffmmj.io.TrainingState;
import org.diffmmj.model.Recommender;
import org.diffmmj.model.diffmm.DiffMM;
import org.diffmmj.random.Rng;

/** An interrupted run, resumed from its state file, ends exactly where an uninterrupted one does. */
class ResumeTest {

    @TempDir
    Path dir;

    private static final Dataset DATA = TestData.synthetic(40, 30, 6);

    private static Recommender model() {
        // DiffMM exercises every kind of state: embeddings, transforms, denoisers and their optimisers.
        return new DiffMM(DiffMM.DEFINITION.config("dim", 8, "dims", "12", "diffusion_batch", 16), DATA, new Rng(4));
    }

    private static TrainingConfig config() {
        return TrainingConfig.builder().epochs(4).batchSize(64).learningRate(5e-3).seed(9).build();
    }

    @Test
    void resumingAfterACrashReachesTheSameFinalState() throws Exception {
        TrainingHistory straight;
        float[][] straightParams;
        try (Recommender m = model()) {
            straight = new Trainer(config()).withState(dir.resolve("a.ckpt"), false).fit(m, DATA, Map.of(), null);
            straightParams = values(m);
        }
        Path state = dir.resolve("b.ckpt");
        try (Recommender m = model()) {
            Trainer.EpochListener crashAfterEpoch1 = (record, h, model) -> {
                if (record.epoch() == 1) {
                    throw new IllegalStateException("simulated crash");
                }
            };
            assertThatThrownBy(() -> new Trainer(config()).withState(state, false).fit(m, DATA, Map.of(), crashAfterEpoch1))
                    .hasMessageContaining("simulated crash");
        }
        TrainingHistory resumed;
        float[][] resumedParams;
        try (Recommender m = model()) {
            resumed = new Trainer(config()).withState(state, true).fit(m, DATA, Map.of(), null);
            resumedParams = values(m);
        }
        assertThat(resumed.epochs()).hasSize(4);
        for (int e = 0; e < 4; e++) {
            assertThat(resumed.epochs().get(e).losses()).isEqualTo(straight.epochs().get(e).losses());
            assertThat(resumed.epochs().get(e).test()).isEqualTo(straight.epochs().get(e).test());
        }
        for (int p = 0; p < straightParams.length; p++) {
            assertThat(resumedParams[p]).containsExactly(straightParams[p]);
        }
    }

    @Test
    void aStateFromAnotherModelIsRefusedWithoutTouchingTheModel() throws Exception {
        Path state = dir.resolve("s.ckpt");
        try (Recommender m = model()) {
            new Trainer(TrainingConfig.builder().epochs(1).batchSize(64).build())
                    .withState(state, false).fit(m, DATA, Map.of(), null);
        }
        Dataset other = TestData.synthetic(41, 30, 6);
        try (Recommender m = new DiffMM(DiffMM.DEFINITION.config("dim", 8, "dims", "12"), other, new Rng(4))) {
            float[] before = m.parameters().get(1).value().toArray();
            assertThatThrownBy(() -> TrainingState.load(state, m.parameters(), List.of()))
                    .hasMessageContaining("user_embeddings");
            assertThat(m.parameters().get(1).value().toArray()).containsExactly(before);
        }
    }

    @Test
    void theSelectedModelIsCommittedWithTheStateAndAResumeEndsWithTheSameModel() throws Exception {
        Trainer.BestModelWriter writer = (file, m, record) -> org.diffmmj.io.SavedModel.save(file, m,
                DiffMM.DEFINITION.config("dim", 8, "dims", "12", "diffusion_batch", 16), DATA, null, record.epoch(),
                record.val());
        Path a = java.nio.file.Files.createDirectories(dir.resolve("a"));
        try (Recommender m = model()) {
            new Trainer(config()).withState(a.resolve("state.ckpt"), false).withBestModel(a.resolve("model.ckpt"), writer)
                    .fit(m, DATA, Map.of(), null);
        }
        Path b = java.nio.file.Files.createDirectories(dir.resolve("b"));
        try (Recommender m = model()) {
            Trainer.EpochListener crashAfterEpoch1 = (record, h, model) -> {
                if (record.epoch() == 1) {
                    throw new IllegalStateException("simulated crash");
                }
            };
            assertThatThrownBy(() -> new Trainer(config()).withState(b.resolve("state.ckpt"), false)
                    .withBestModel(b.resolve("model.ckpt"), writer).fit(m, DATA, Map.of(), crashAfterEpoch1))
                    .hasMessageContaining("simulated crash");
        }
        try (Recommender m = model()) {
            new Trainer(config()).withState(b.resolve("state.ckpt"), true).withBestModel(b.resolve("model.ckpt"), writer)
                    .fit(m, DATA, Map.of(), null);
        }
        for (Path run : List.of(a, b)) {
            assertThat(TrainingState.model(run.resolve("state.ckpt")).get("sha256"))
                    .isEqualTo(org.diffmmj.io.Checkpoint.storedDigest(run.resolve("model.ckpt")));
        }
        assertThat(java.nio.file.Files.readAllBytes(b.resolve("model.ckpt")))
                .isEqualTo(java.nio.file.Files.readAllBytes(a.resolve("model.ckpt")));
    }

    private static float[][] values(Recommender m) {
        List<Parameter> ps = new java.util.ArrayList<>(m.parameters());
        ps.addAll(m.auxiliaryParameters());
        float[][] out = new float[ps.size()][];
        for (int k = 0; k < ps.size(); k++) {
            out[k] = ps.get(k).value().toArray();
        }
        return out;
    }
}
