package org.diffmmj.parity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.diffmmj.parity.Fixture.assertClose;
import static org.diffmmj.parity.Fixture.assertGrad;
import static org.diffmmj.parity.Fixture.load;

import java.util.Map;

import org.junit.jupiter.api.Test;

import org.diffmmj.autograd.Parameter;
import org.diffmmj.autograd.Tape;
import org.diffmmj.model.EmbeddingScorer;
import org.diffmmj.model.EpochContext;
import org.diffmmj.model.Lattice;
import org.diffmmj.model.LossTerms;
import org.diffmmj.model.PhaseTimer;
import org.diffmmj.nn.Tapes;
import org.diffmmj.random.Rng;
import org.diffmmj.sampling.TripleBatch;
import org.diffmmj.sparse.CsrMatrix;
import org.diffmmj.tensor.BufferPool;
import org.diffmmj.tensor.Tensor;

/**
 * LATTICE against MMRec's ({@code src/models/lattice.py}; see tools/parity/README.md): image (5
 * wide) and text (3 wide), knn_k 3, λ 0.9, one item-graph layer, two LightGCN layers,
 * reg_weight 0.1, train_batch_size 6, modal_weight moved to [0.3, 0.8]. The first batch of an
 * epoch builds the learned item graph with gradients (to the feature tables, projections and
 * modal weights); the graph, the loss terms and every gradient are matched, then a second batch of
 * the same epoch reuses the detached graph, and scoring rebuilds it.
 */
class LatticeParityTest {

    private static final double RTOL = 1e-5;
    private static final double ATOL = 1e-6;

    private final Fixture fx = new Fixture("lattice");

    private Lattice model() {
        int layers = fx.integer("n_ui_layers");
        int[] widths = new int[layers];
        java.util.Arrays.fill(widths, fx.integer("dim"));
        Lattice m = new Lattice(fx.multiModalDataset("image", "text"), new Lattice.Config(fx.integer("dim"), widths,
                fx.integer("knn_k"), (float) fx.scalar("lambda_coeff"), fx.integer("n_layers"), "lightgcn",
                (float) fx.scalar("reg_weight")), new Rng(3));
        Map<String, Parameter> p = Fixture.byName(m.parameters());
        assertThat(p.keySet()).containsExactlyInAnyOrder("user_embedding", "item_id_embedding", "image_embedding",
                "text_embedding", "image_trs.weight", "image_trs.bias", "text_trs.weight", "text_trs.bias", "modal_weight");
        for (String t : new String[] {"user_embedding", "item_id_embedding", "image_embedding", "text_embedding",
                "modal_weight"}) {
            load(p.get(t), fx.tensor(t));
        }
        for (String t : new String[] {"image_trs", "text_trs"}) {
            load(p.get(t + ".weight"), fx.transposed(t + "_weight"));
            load(p.get(t + ".bias"), fx.tensor(t + "_bias"));
        }
        return m;
    }

    private static float[] flat(CsrMatrix g) {
        float[][] d = g.toDense();
        float[] out = new float[d.length * d[0].length];
        for (int r = 0; r < d.length; r++) {
            System.arraycopy(d[r], 0, out, r * d[r].length, d[r].length);
        }
        return out;
    }

    private EpochContext context() {
        return new EpochContext(0, new Rng(1), fx.integer("train_batch_size"), new Tapes(), new PhaseTimer());
    }

    private TripleBatch batch() {
        return new TripleBatch(fx.ints("batch_users"), fx.ints("batch_positives"), fx.ints("batch_negatives"));
    }

    @Test
    void frozenGraphsAndUserItemGraphMatchTheirs() {
        for (String m : new String[] {"image", "text"}) {
            try (Tensor f = fx.tensor(m + "_feat")) {
                assertClose("lattice frozen " + m + " kNN graph", flat(Lattice.frozenGraph(f, fx.integer("knn_k"))),
                        fx.array(m + "_original_adj").values(), RTOL, ATOL);
            }
        }
        assertClose("lattice D^-1 (A + I)", flat(model().normalizedGraph()), fx.array("norm_adj_dense").values(), RTOL, ATOL);
    }

    @Test
    void firstBatchBuildsTheirItemGraphWithTheirGradients() {
        Lattice model = model();
        EpochContext epoch = context();
        double first;
        try (Tape tape = new Tape(new BufferPool())) {
            LossTerms terms = model.batchLoss(tape, batch(), epoch);
            Map<String, Double> parts = terms.partValues();
            assertClose("lattice item graph (1-λ) L + λ Σ w A_orig", flat(model.currentItemGraph()),
                    fx.array("item_adj").values(), RTOL, ATOL);
            assertClose("lattice BPR", parts.get("bpr"), fx.scalar("mf_loss"), RTOL);
            assertClose("lattice reg", parts.get("reg"), fx.scalar("emb_loss"), RTOL);
            first = terms.total().value().get(0, 0);
            assertClose("lattice loss", first, fx.scalar("loss"), RTOL);
            tape.backward(terms.total());
            Map<String, Parameter> p = Fixture.byName(model.parameters());
            for (String t : new String[] {"user_embedding", "item_id_embedding", "image_embedding", "text_embedding",
                    "modal_weight"}) {
                assertGrad(p.get(t), fx.tensor("grad_" + t));
            }
            for (String t : new String[] {"image_trs", "text_trs"}) {
                assertGrad(p.get(t + ".weight"), fx.transposed("grad_" + t + "_weight"));
                assertGrad(p.get(t + ".bias"), fx.tensor("grad_" + t + "_bias"));
            }
        }
        // A second batch of the same epoch: the detached graph, so no gradient reaches the features.
        model.parameters().forEach(Parameter::zeroGrad);
        try (Tape tape = new Tape(new BufferPool())) {
            LossTerms terms = model.batchLoss(tape, batch(), epoch);
            assertThat((double) terms.total().value().get(0, 0)).isEqualTo(first);
            tape.backward(terms.total());
            Map<String, Parameter> p = Fixture.byName(model.parameters());
            for (String t : new String[] {"image_embedding", "image_trs.weight", "modal_weight"}) {
                assertThat(p.get(t).grad().toArray()).as(t).containsOnly(0f);
            }
            assertThat(p.get("item_id_embedding").grad().toArray()).as("item ids still trained").isNotEqualTo(
                    new float[p.get("item_id_embedding").grad().toArray().length]);
        }
    }

    @Test
    void scoringRebuildsTheirGraph() {
        try (EmbeddingScorer s = model().scorer()) {
            assertClose("lattice scoring users", s.userEmbeddings(), fx.array("scoring_users"), RTOL, ATOL);
            assertClose("lattice scoring items", s.itemEmbeddings(), fx.array("scoring_items"), RTOL, ATOL);
        }
    }
}
