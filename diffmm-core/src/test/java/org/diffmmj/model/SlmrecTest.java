package org.diffmmj.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;

import org.diffmmj.autograd.GradCheck;
import org.diffmmj.autograd.Tape;
import org.diffmmj.data.Dataset;
import org.diffmmj.data.TestData;
import org.diffmmj.nn.Tapes;
import org.diffmmj.sampling.Batch;
import org.diffmmj.tensor.BufferPool;
import org.diffmmj.data.FeatureMatrix;
import org.diffmmj.data.IdMapping;
import org.diffmmj.data.Interactions;
import org.diffmmj.random.Rng;
import org.diffmmj.sampling.PositiveBatch;

/**
 * SLMRec's generalisation to any modalities, which the parity fixture (image + text, MMRec's
 * pair) cannot show: the authors' stage slots image (v), audio (a), text (t), others after; the
 * chain links up to the last present stage and one stage map per modality; positives-only batches.
 */
class SlmrecTest {

    private static Dataset data(String... modalities) {
        int[] u = {0, 0, 1, 2, 2};
        int[] i = {0, 1, 1, 2, 0};
        Interactions train = Interactions.fromPairs(3, 3, u, i);
        Interactions one = Interactions.fromPairs(3, 3, new int[] {1}, new int[] {2});
        Map<String, FeatureMatrix> m = new LinkedHashMap<>();
        for (String name : modalities) {
            m.put(name, new FeatureMatrix(name, 3, 2, new float[] {1, 0, 0.5f, 0.5f, 0, 2}));
        }
        return new Dataset("tiny", train, one, one, m, IdMapping.identity(3), IdMapping.identity(3));
    }

    private static Map<String, int[]> shapes(Slmrec m) {
        Map<String, int[]> out = new LinkedHashMap<>();
        m.parameters().forEach(p -> out.put(p.name(), new int[] {p.value().rows(), p.value().cols()}));
        return out;
    }

    private static Slmrec model(Dataset d) {
        return new Slmrec(d, Slmrec.Config.DEFAULTS, new Rng(1));
    }

    /** TikTok's (audio, image): the authors' v and a stages, both d wide; no text stage, no d/2 link. */
    @Test
    void tiktokModalitiesTakeTheAuthorsImageAndAudioStages() {
        Slmrec m = model(data("audio", "image"));
        assertThat(m.modalities()).containsExactly("image", "audio");
        Map<String, int[]> s = shapes(m);
        assertThat(s.keySet()).containsExactlyInAnyOrder("embedding_user", "embedding_item", "g_i_iv.weight",
                "g_i_iv.bias", "g_iv_iva.weight", "g_iv_iva.bias", "v_dense.weight", "v_dense.bias", "g_v_iv.weight",
                "g_v_iv.bias", "a_dense.weight", "a_dense.bias", "g_a_iva.weight", "g_a_iva.bias",
                "embedding_item_after_GCN.weight", "embedding_item_after_GCN.bias", "embedding_user_after_GCN.weight",
                "embedding_user_after_GCN.bias");
        assertThat(s.get("g_a_iva.weight")).containsExactly(64, 64);
        assertThat(s.get("embedding_user_after_GCN.weight")).containsExactly(3 * 64, 64);
    }

    /** MMRec's (image, text): the chain runs through g_iv_iva to the d/2-wide text stage. */
    @Test
    void imageAndTextIsMmrecsPath() {
        Map<String, int[]> s = shapes(model(data("image", "text")));
        assertThat(s).containsKeys("g_iv_iva.weight", "g_iva_ivat.weight", "g_t_ivat.weight").doesNotContainKey(
                "g_a_iva.weight");
        assertThat(s.get("g_iva_ivat.weight")).containsExactly(64, 32);
        assertThat(s.get("g_t_ivat.weight")).containsExactly(64, 32);
    }

    /** The authors' three, plus an unnamed fourth after them at d/2. */
    @Test
    void otherModalitiesFollowTheAuthorsThree() {
        Slmrec m = model(data("depth", "text", "audio", "image"));
        assertThat(m.modalities()).containsExactly("image", "audio", "text", "depth");
        Map<String, int[]> s = shapes(m);
        assertThat(s.get("g_chain_4.weight")).containsExactly(32, 32);
        assertThat(s.get("g_depth_4.weight")).containsExactly(64, 32);
        assertThat(s.get("embedding_item_after_GCN.weight")).containsExactly(5 * 64, 64);
    }

    /** FD: the masks replay from the context's stream, and the loss with them is differentiated correctly. */
    @Test
    void featureDropoutIsReplayedFromTheStreamAndDifferentiable() {
        Dataset d = TestData.synthetic(36, 28, 11);
        Slmrec m = new Slmrec(d, new Slmrec.Config(4, 2, 0.2f, 0.5f, 0.3f, 1e-4f, "FD", 0.3f), new Rng(1));
        assertThat(shapes(m).keySet()).noneMatch(k -> k.startsWith("g_"));
        Batch b = m.batchSource(d.train()).epoch(16, new Rng(2)).get(0);
        try (Tape tape = Tape.noGrad(new BufferPool())) {
            float a = m.batchLoss(tape, b, context(7)).total().value().get(0, 0);
            assertThat(m.batchLoss(tape, b, context(7)).total().value().get(0, 0)).isEqualTo(a);
            assertThat(m.batchLoss(tape, b, context(8)).total().value().get(0, 0)).isNotEqualTo(a);
        }
        GradCheck.check(m.parameters(), tape -> m.batchLoss(tape, b, context(7)).total(), 2e-3f, 3e-2);
    }

    private static EpochContext context(long seed) {
        return new EpochContext(0, new Rng(seed), 16, new Tapes(), new PhaseTimer());
    }

    @Test
    void trainsOnPositivesOnly() {
        Dataset d = data("image");
        assertThat(model(d).batchSource(d.train()).epoch(4, new Rng(2)).get(0)).isInstanceOf(PositiveBatch.class);
    }
}
