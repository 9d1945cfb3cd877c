package org.diffmmj.parity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.diffmmj.parity.Fixture.assertClose;
import static org.diffmmj.parity.Fixture.assertGrad;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import org.diffmmj.autograd.Parameter;
import org.diffmmj.autograd.Tape;
import org.diffmmj.model.EmbeddingScorer;
import org.diffmmj.model.EpochContext;
import org.diffmmj.model.LossTerms;
import org.diffmmj.model.PhaseTimer;
import org.diffmmj.model.Slmrec;
import org.diffmmj.nn.Tapes;
import org.diffmmj.random.Rng;
import org.diffmmj.sampling.PositiveBatch;
import org.diffmmj.tensor.BufferPool;
import org.diffmmj.tensor.Tensor;

/**
 * SLMRec (FAC) against MMRec's ({@code src/models/slmrec.py}; see tools/parity/README.md): image
 * (5 wide) and text (3 wide) features, layer_num 2, temp 0.2, ssl_temp 0.5, ssl_alpha 0.3, a
 * batch with a repeated user and a repeated item. Their per-input LightGCN and fusion
 * ({@code compute}), the in-batch InfoNCE, the FAC term (v stage, then t through g_iv_iva as
 * theirs) and every gradient must match. Their weight_decay 1e-4 is Adam's, so it is not in
 * their gradients: ours carry it in the loss, and must equal theirs + wd·θ (what torch's Adam
 * steps on).
 */
class SlmrecParityTest {

    private static final double RTOL = 1e-5;
    private static final double ATOL = 1e-6;
    private static final List<String> LINEARS = List.of("v_dense", "t_dense", "embedding_item_after_GCN",
            "embedding_user_after_GCN", "g_i_iv", "g_v_iv", "g_iv_iva", "g_iva_ivat", "g_t_ivat");

    private final Fixture fx = new Fixture("slmrec");

    private Slmrec model() {
        Slmrec m = new Slmrec(fx.multiModalDataset("image", "text"), new Slmrec.Config(fx.integer("dim"),
                fx.integer("layer_num"), (float) fx.scalar("temp"), (float) fx.scalar("ssl_temp"),
                (float) fx.scalar("ssl_alpha"), (float) fx.scalar("weight_decay"), "FAC", 0.3f), new Rng(3));
        fx.loadTablesAndLinears(m.parameters(), List.of("embedding_user", "embedding_item"), LINEARS);
        assertThat(m.modalities()).containsExactly("image", "text");
        return m;
    }

    @Test
    void graphAndFusedRepresentationsMatchTheirCompute() {
        Slmrec m = model();
        assertClose("slmrec norm_adj (adj_type pre)", m.normalizedGraph(), fx.array("norm_adj_dense"), RTOL, ATOL);
        try (EmbeddingScorer s = m.scorer()) {
            assertClose("slmrec compute() users", s.userEmbeddings(), fx.array("scoring_users"), RTOL, ATOL);
            assertClose("slmrec compute() items", s.itemEmbeddings(), fx.array("scoring_items"), RTOL, ATOL);
        }
    }

    /** Their gradient plus weight_decay·θ: the step torch's Adam(weight_decay) takes. */
    private Tensor decayed(String grad, Parameter p) {
        Tensor g = grad.endsWith("_weight") ? fx.transposed(grad) : fx.tensor(grad);
        float wd = (float) fx.scalar("weight_decay");
        float[] v = p.value().toArray();
        float[] out = g.toArray();
        for (int k = 0; k < out.length; k++) {
            out[k] += wd * v[k];
        }
        Tensor t = Tensor.fromArray(g.rows(), g.cols(), out);
        g.close();
        return t;
    }

    private static double[] toDoubles(float[] v) {
        double[] d = new double[v.length];
        for (int k = 0; k < v.length; k++) {
            d[k] = v[k];
        }
        return d;
    }

    @Test
    void lossTermsAndGradientsMatchTheirs() {
        Slmrec model = model();
        PositiveBatch b = new PositiveBatch(fx.ints("batch_users"), fx.ints("batch_positives"));
        Map<String, Parameter> p = Fixture.byName(model.parameters());
        double squares = 0;
        for (Parameter q : model.parameters()) {
            for (float v : q.value().toArray()) {
                squares += (double) v * v;
            }
        }
        try (Tape tape = new Tape(new BufferPool())) {
            LossTerms terms = model.batchLoss(tape, b, new EpochContext(0, new Rng(1), 2048, new Tapes(), new PhaseTimer()));
            Map<String, Double> parts = terms.partValues();
            assertClose("slmrec in-batch InfoNCE", parts.get("infonce"), fx.scalar("infonce"), RTOL);
            assertClose("slmrec ssl_alpha * FAC", parts.get("ssl"), fx.scalar("ssl"), RTOL);
            assertClose("slmrec (wd/2) sum theta^2", parts.get("weight_decay"), fx.scalar("weight_decay") / 2 * squares, RTOL);
            assertClose("slmrec loss = theirs + decay", terms.total().value().get(0, 0),
                    fx.scalar("loss") + parts.get("weight_decay"), RTOL);
            tape.backward(terms.total());
            for (String t : new String[] {"embedding_user", "embedding_item"}) {
                assertGrad(p.get(t), decayed("grad_" + t, p.get(t)));
            }
            for (String t : LINEARS) {
                assertGrad(p.get(t + ".weight"), decayed("grad_" + t + "_weight", p.get(t + ".weight")));
                if (t.equals("g_v_iv") || t.equals("g_t_ivat")) {
                    // The candidate side's bias adds x_r·b to every logit of row r, which the softmax
                    // cancels: its exact gradient is 0 (+ wd·b here); theirs is that up to rounding.
                    Tensor expected = decayed("grad_" + t + "_bias", p.get(t + ".bias"));
                    assertClose("grad " + t + ".bias (0 + wd b)", p.get(t + ".bias").grad().toArray(),
                            toDoubles(expected.toArray()), 0, 1e-7);
                    expected.close();
                } else {
                    assertGrad(p.get(t + ".bias"), decayed("grad_" + t + "_bias", p.get(t + ".bias")));
                }
            }
        }
    }
}
