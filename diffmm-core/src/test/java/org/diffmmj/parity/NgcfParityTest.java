package org.diffmmj.parity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.diffmmj.parity.Fixture.assertClose;
import static org.diffmmj.parity.Fixture.load;

import java.util.LinkedHashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;

import org.diffmmj.autograd.Parameter;
import org.diffmmj.autograd.Tape;
import org.diffmmj.model.EmbeddingScorer;
import org.diffmmj.model.EpochContext;
import org.diffmmj.model.LossTerms;
import org.diffmmj.model.Ngcf;
import org.diffmmj.model.PhaseTimer;
import org.diffmmj.nn.Tapes;
import org.diffmmj.random.Rng;
import org.diffmmj.sampling.TripleBatch;
import org.diffmmj.tensor.BufferPool;

/**
 * NGCF against RecBole's (RUCAIBox/RecBole recbole/model/general_recommender/ngcf.py, see
 * tools/parity/README.md) at the fixture's weights: two layers of widths 5 and 3 over d = 4, one
 * item without interactions, biases moved off zero, reg_weight 1e-2 (so that the reg term's share
 * of the gradients is above the tolerance). RecBole's model is in {@code eval()}, so message
 * dropout is off on both sides; ours runs with message_dropout 0 for the loss and its gradients
 * (the masks come from different generators) and with its default for scoring, which never drops.
 * Tolerances as in {@link DiffMMParityTest}: |ours − theirs| ≤ 1e-6 + 1e-5·|theirs| per value,
 * relative 1e-5 on losses, gradients to 1e-5 of each array's largest magnitude.
 */
class NgcfParityTest {

    private static final double RTOL = 1e-5;
    private static final double ATOL = 1e-6;

    private final Fixture fx = new Fixture("ngcf");
    private final int users = fx.integer("users");
    private final int items = fx.integer("items");

    private int[] hidden() {
        var list = fx.meta().get("hidden_size_list");
        int[] h = new int[list.size()];
        for (int k = 0; k < h.length; k++) {
            h[k] = list.get(k).asInt();
        }
        return h;
    }

    /** Our parameter name → the fixture's array, and whether it is a PyTorch (out × in) weight. */
    private Map<String, String> sources() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("user_embedding", "user_embedding");
        m.put("item_embedding", "item_embedding");
        for (int k = 0; k < hidden().length; k++) {
            m.put("gnn" + k + ".linear.weight", "gnn" + k + "_linear_weight");
            m.put("gnn" + k + ".linear.bias", "gnn" + k + "_linear_bias");
            m.put("gnn" + k + ".inter_act_transform.weight", "gnn" + k + "_inter_weight");
            m.put("gnn" + k + ".inter_act_transform.bias", "gnn" + k + "_inter_bias");
        }
        return m;
    }

    private static boolean isLinearWeight(String name) {
        return name.endsWith(".weight");
    }

    private Ngcf model(float messageDropout) {
        Ngcf m = new Ngcf(fx.interactions(users, items), new Ngcf.Config(fx.integer("dim"), hidden(), 0f, messageDropout,
                (float) fx.scalar("reg_weight")), new Rng(3));
        Map<String, String> sources = sources();
        assertThat(m.parameters()).extracting(Parameter::name).containsExactlyElementsOf(sources.keySet());
        for (Parameter p : m.parameters()) {
            String src = sources.get(p.name());
            load(p, isLinearWeight(p.name()) ? fx.transposed(src) : fx.tensor(src));
        }
        return m;
    }

    private TripleBatch batch() {
        return new TripleBatch(fx.ints("batch_users"), fx.ints("batch_positives"), fx.ints("batch_negatives"));
    }

    @Test
    void normalisedGraphMatchesRecBoles() {
        float[][] d = model(0f).graph().toDense();
        float[] flat = new float[d.length * d.length];
        for (int r = 0; r < d.length; r++) {
            System.arraycopy(d[r], 0, flat, r * d.length, d.length);
        }
        assertClose("ngcf D^-1/2 A D^-1/2", flat, fx.array("adjacency_dense").values(), RTOL, ATOL);
    }

    /** With the default message dropout: scoring must not drop (RecBole's eval()). */
    @Test
    void propagatedEmbeddingsMatchRecBolesInEvaluation() {
        try (EmbeddingScorer s = model(Ngcf.Config.DEFAULTS.messageDropout()).scorer()) {
            assertThat(s.userEmbeddings().cols()).isEqualTo(fx.integer("dim") + java.util.Arrays.stream(hidden()).sum());
            assertClose("ngcf propagated users", s.userEmbeddings(), fx.array("propagated_users"), RTOL, ATOL);
            assertClose("ngcf propagated items", s.itemEmbeddings(), fx.array("propagated_items"), RTOL, ATOL);
        }
    }

    @Test
    void lossTermsAndGradientsMatchRecBoles() {
        Ngcf model = model(0f);
        TripleBatch b = batch();
        try (Tape tape = new Tape(new BufferPool())) {
            LossTerms terms = model.batchLoss(tape, b,
                    new EpochContext(0, new Rng(1), b.size(), new Tapes(), new PhaseTimer()));
            Map<String, Double> parts = terms.partValues();
            // RecBole's BPRLoss is −mean log(1e-10 + σ(Δ)); the 1e-10 is far below the tolerance here.
            assertClose("ngcf BPR (RecBole's mf_loss)", parts.get("bpr"), fx.scalar("mf_loss"), RTOL);
            assertClose("ngcf reg (reg_weight · EmbLoss)", parts.get("reg"), fx.scalar("reg_term"), RTOL);
            assertClose("ngcf total", terms.total().value().get(0, 0), fx.scalar("loss"), RTOL);
            tape.backward(terms.total());
            Map<String, String> sources = sources();
            for (Parameter p : model.parameters()) {
                String src = sources.get(p.name());
                Fixture.Array expected = fx.array("grad_" + src);
                double[] want = isLinearWeight(p.name()) ? transpose(expected) : expected.values();
                double scale = 0;
                for (double v : want) {
                    scale = Math.max(scale, Math.abs(v));
                }
                assertThat(scale).as("RecBole's gradient of %s is not all zero", src).isGreaterThan(0);
                assertClose("ngcf grad " + p.name(), p.grad().toArray(), want, RTOL, RTOL * scale);
            }
        }
    }

    /** EmbLoss's figure is the unsquared-norm formula on the batch's final (propagated) rows. */
    @Test
    void recbolesRegTermIsTheUnsquaredNormSumOfTheFinalRows() {
        TripleBatch b = batch();
        Fixture.Array u = fx.array("propagated_users");
        Fixture.Array i = fx.array("propagated_items");
        double norms = norm(u, b.users()) + norm(i, b.positives()) + norm(i, b.negatives());
        assertClose("EmbLoss = Σ‖·‖_F / B", fx.scalar("reg_weight") * norms / b.size(), fx.scalar("reg_term"), RTOL);
    }

    private static double[] transpose(Fixture.Array a) {
        double[] t = new double[a.rows() * a.cols()];
        for (int r = 0; r < a.rows(); r++) {
            for (int c = 0; c < a.cols(); c++) {
                t[c * a.rows() + r] = a.get(r, c);
            }
        }
        return t;
    }

    private static double norm(Fixture.Array table, int[] rows) {
        double s = 0;
        for (int r : rows) {
            for (int c = 0; c < table.cols(); c++) {
                s += table.get(r, c) * table.get(r, c);
            }
        }
        return Math.sqrt(s);
    }
}
