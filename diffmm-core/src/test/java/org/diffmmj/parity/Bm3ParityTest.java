package org.diffmmj.parity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.diffmmj.parity.Fixture.assertClose;
import static org.diffmmj.parity.Fixture.assertGrad;
import static org.diffmmj.parity.Fixture.load;

import java.util.Map;

import org.junit.jupiter.api.Test;

import org.diffmmj.autograd.Parameter;
import org.diffmmj.autograd.Tape;
import org.diffmmj.model.Bm3;
import org.diffmmj.model.EmbeddingScorer;
import org.diffmmj.model.LossTerms;
import org.diffmmj.optim.Adam;
import org.diffmmj.random.Rng;
import org.diffmmj.sampling.PositiveBatch;
import org.diffmmj.tensor.BufferPool;
import org.diffmmj.tensor.Tensor;

/**
 * BM3 against MMRec's ({@code src/models/bm3.py}, identical to enoche/BM3's; see
 * tools/parity/README.md): image (5 wide) and text (3 wide) features, n_layers 2, dropout 0.3,
 * reg_weight 0.1, cl_weight 2.0. Their target views' dropout masks (users, items, text, image, in
 * their draw order) were recorded by the generator and are applied here in place of our draws;
 * the loss, its three parts and every parameter's gradient (the fine-tuned feature tables
 * included) must match theirs, and so must the scores of {@code full_sort_predict}. Over steps:
 * three Adam steps (torch.optim.Adam, lr 0.05) on three batches, each with its own recorded masks,
 * must give their loss at every step, their weights after the third and their scores from those.
 */
class Bm3ParityTest {

    private static final double RTOL = 1e-5;
    private static final double ATOL = 1e-6;
    /**
     * After Adam steps: m/√v divides each gradient element by its own size, so float32 rounding in
     * small gradient elements is not damped by lr as under SGD (measured: at most 1.6e-6 on the
     * weights, 1.9e-6 on the scores after three steps at lr 0.05); 1e-5 absolute.
     */
    private static final double ATOL_STEPS = 1e-5;

    private final Fixture fx = new Fixture("bm3");

    private Bm3 model() {
        Bm3 m = new Bm3(fx.multiModalDataset("image", "text"), new Bm3.Config(fx.integer("dim"), fx.integer("n_layers"),
                (float) fx.scalar("dropout"), (float) fx.scalar("reg_weight"), (float) fx.scalar("cl_weight")), new Rng(3));
        Map<String, Parameter> p = Fixture.byName(m.parameters());
        assertThat(p.keySet()).containsExactlyInAnyOrder("user_embedding", "item_id_embedding", "predictor.weight",
                "predictor.bias", "image_embedding", "text_embedding", "image_trs.weight", "image_trs.bias",
                "text_trs.weight", "text_trs.bias");
        for (String t : new String[] {"user_embedding", "item_id_embedding"}) {
            load(p.get(t), fx.tensor(t));
        }
        // The feature tables start at the raw features, as theirs (from_pretrained, freeze=False).
        assertClose("bm3 image table = raw features", p.get("image_embedding").value(), fx.array("image_embedding"), 0, 0);
        assertClose("bm3 text table = raw features", p.get("text_embedding").value(), fx.array("text_embedding"), 0, 0);
        for (String t : new String[] {"predictor", "image_trs", "text_trs"}) {
            load(p.get(t + ".weight"), fx.transposed(t + "_weight"));
            load(p.get(t + ".bias"), fx.tensor(t + "_bias"));
        }
        return m;
    }

    @Test
    void graphAndScoresMatchTheirs() {
        Bm3 m = model();
        float[][] g = m.normalizedGraph().toDense();
        float[] flat = new float[g.length * g.length];
        for (int r = 0; r < g.length; r++) {
            System.arraycopy(g[r], 0, flat, r * g.length, g.length);
        }
        assertClose("bm3 norm_adj", flat, fx.array("norm_adj_dense").values(), RTOL, ATOL);
        try (EmbeddingScorer s = m.scorer(); Tape tape = new Tape(new BufferPool())) {
            Tensor scores = tape.matmul(tape.constant(s.userEmbeddings()), tape.constant(s.itemEmbeddings()), false, true)
                    .value();
            assertClose("bm3 full_sort_predict: predictor(u) . predictor(i)", scores, fx.array("scores"), RTOL, ATOL);
        }
    }

    @Test
    void lossTermsAndGradientsWithTheirDropoutMasksMatchTheirs() {
        Bm3 model = model();
        Map<String, Tensor> masks = Map.of("users", fx.tensor("mask_users"), "items", fx.tensor("mask_items"),
                "image", fx.tensor("mask_image"), "text", fx.tensor("mask_text"));
        PositiveBatch b = new PositiveBatch(fx.ints("batch_users"), fx.ints("batch_positives"));
        try (Tape tape = new Tape(new BufferPool())) {
            LossTerms terms = model.batchLoss(tape, b, (t, view, detached) -> t.mul(detached, t.constant(masks.get(view))));
            Map<String, Double> parts = terms.partValues();
            assertClose("bm3 1-cos(p(u), i~) + 1-cos(p(i), u~)", parts.get("ui"), fx.scalar("ui"), RTOL);
            assertClose("bm3 reg_weight * EmbLoss(all users, all items)", parts.get("reg"), fx.scalar("reg"), RTOL);
            assertClose("bm3 cl_weight * modality terms", parts.get("cl"), fx.scalar("cl"), RTOL);
            assertClose("bm3 loss", terms.total().value().get(0, 0), fx.scalar("loss"), RTOL);
            tape.backward(terms.total());
            Map<String, Parameter> p = Fixture.byName(model.parameters());
            for (String t : new String[] {"user_embedding", "item_id_embedding", "image_embedding", "text_embedding"}) {
                assertGrad(p.get(t), fx.tensor("grad_" + t));
            }
            for (String t : new String[] {"predictor", "image_trs", "text_trs"}) {
                assertGrad(p.get(t + ".weight"), fx.transposed("grad_" + t + "_weight"));
                assertGrad(p.get(t + ".bias"), fx.tensor("grad_" + t + "_bias"));
            }
        }
    }

    @Test
    void threeAdamStepsWithTheirBatchesAndMasksEndAtTheirWeights() {
        Bm3 model = model();
        Adam adam = new Adam(model.parameters(), fx.scalar("step_lr"));
        for (int s = 0; s < fx.integer("steps"); s++) {
            String at = "step" + s + "_";
            Map<String, Tensor> masks = Map.of("users", fx.tensor(at + "mask_users"), "items", fx.tensor(at + "mask_items"),
                    "image", fx.tensor(at + "mask_image"), "text", fx.tensor(at + "mask_text"));
            PositiveBatch b = new PositiveBatch(fx.ints(at + "users"), fx.ints(at + "positives"));
            adam.zeroGrad();
            try (Tape tape = new Tape(new BufferPool())) {
                LossTerms terms = model.batchLoss(tape, b, (t, view, detached) -> t.mul(detached, t.constant(masks.get(view))));
                assertClose("bm3 loss at step " + s, terms.total().value().get(0, 0), fx.scalar(at + "loss"), RTOL);
                tape.backward(terms.total());
            }
            adam.step();
        }
        Map<String, Parameter> p = Fixture.byName(model.parameters());
        for (String t : new String[] {"user_embedding", "item_id_embedding", "image_embedding", "text_embedding"}) {
            assertClose("bm3 " + t + " after 3 steps", p.get(t).value(), fx.array("after_" + t), RTOL, ATOL_STEPS);
        }
        for (String t : new String[] {"predictor", "image_trs", "text_trs"}) {
            float[] expected = fx.transposed("after_" + t + "_weight").toArray();
            double[] wide = new double[expected.length];
            for (int k = 0; k < wide.length; k++) {
                wide[k] = expected[k];
            }
            assertClose("bm3 " + t + ".weight after 3 steps", p.get(t + ".weight").value().toArray(), wide, RTOL, ATOL_STEPS);
            assertClose("bm3 " + t + ".bias after 3 steps", p.get(t + ".bias").value(), fx.array("after_" + t + "_bias"),
                    RTOL, ATOL_STEPS);
        }
        try (EmbeddingScorer sc = model.scorer(); Tape tape = new Tape(new BufferPool())) {
            Tensor scores = tape.matmul(tape.constant(sc.userEmbeddings()), tape.constant(sc.itemEmbeddings()), false, true)
                    .value();
            assertClose("bm3 full_sort_predict after 3 steps", scores, fx.array("after_scores"), RTOL, ATOL_STEPS);
        }
    }
}
