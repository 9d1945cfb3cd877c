package org.diffmmj.parity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.diffmmj.parity.Fixture.assertClose;
import static org.diffmmj.parity.Fixture.assertGrad;
import static org.diffmmj.parity.Fixture.load;

import java.util.Map;

import org.junit.jupiter.api.Test;

import org.diffmmj.autograd.Parameter;
import org.diffmmj.autograd.Tape;
import org.diffmmj.data.Interactions;
import org.diffmmj.model.EmbeddingScorer;
import org.diffmmj.model.EpochContext;
import org.diffmmj.model.Freedom;
import org.diffmmj.model.LossTerms;
import org.diffmmj.model.PhaseTimer;
import org.diffmmj.nn.Tapes;
import org.diffmmj.random.Rng;
import org.diffmmj.sampling.TripleBatch;
import org.diffmmj.sparse.CsrMatrix;
import org.diffmmj.tensor.BufferPool;

/**
 * FREEDOM against MMRec's ({@code src/models/freedom.py}, identical to enoche/FREEDOM's; see
 * tools/parity/README.md): image (5 wide) and text (3 wide) features, knn_k 3, n_mm_layers 1,
 * n_ui_layers 2, mm_image_weight 0.1, reg_weight 0.1 (so the modality BPR terms and the
 * fine-tuned feature tables are in the gradients). Their {@code pre_epoch_processing} pruned the
 * graph once (dropout 0.5) with torch's generator; the kept edges are given to ours, which must
 * re-normalise them to their masked graph, and the batch loss is taken on that graph.
 */
class FreedomParityTest {

    private static final double RTOL = 1e-5;
    private static final double ATOL = 1e-6;

    private final Fixture fx = new Fixture("freedom");
    private final int users = fx.integer("users");
    private final int items = fx.integer("items");

    private Freedom model() {
        Freedom m = new Freedom(fx.multiModalDataset("image", "text"), new Freedom.Config(fx.integer("dim"),
                fx.integer("knn_k"), fx.integer("n_mm_layers"), fx.integer("n_ui_layers"),
                (float) fx.scalar("mm_image_weight"), fx.scalar("dropout"), (float) fx.scalar("reg_weight")), new Rng(3));
        Map<String, Parameter> p = Fixture.byName(m.parameters());
        assertThat(p.keySet()).containsExactlyInAnyOrder("user_embedding", "item_id_embedding", "image_embedding",
                "text_embedding", "image_trs.weight", "image_trs.bias", "text_trs.weight", "text_trs.bias");
        for (String t : new String[] {"user_embedding", "item_id_embedding"}) {
            load(p.get(t), fx.tensor(t));
        }
        // The feature tables start at the raw features, as theirs (from_pretrained).
        assertClose("freedom image table = raw features", p.get("image_embedding").value(), fx.array("image_embedding"), 0, 0);
        assertClose("freedom text table = raw features", p.get("text_embedding").value(), fx.array("text_embedding"), 0, 0);
        for (String t : new String[] {"image_trs", "text_trs"}) {
            load(p.get(t + ".weight"), fx.transposed(t + "_weight"));
            load(p.get(t + ".bias"), fx.tensor(t + "_bias"));
        }
        return m;
    }

    private static double[] flat(CsrMatrix g) {
        float[][] d = g.toDense();
        double[] out = new double[d.length * d[0].length];
        for (int r = 0; r < d.length; r++) {
            for (int c = 0; c < d[r].length; c++) {
                out[r * d[r].length + c] = d[r][c];
            }
        }
        return out;
    }

    private static float[] floats(double[] v) {
        float[] f = new float[v.length];
        for (int k = 0; k < v.length; k++) {
            f[k] = (float) v[k];
        }
        return f;
    }

    @Test
    void frozenItemGraphAndUserItemGraphMatchTheirs() {
        Freedom m = model();
        assertClose("freedom A_mm = 0.1 image kNN + 0.9 text kNN", floats(flat(m.itemGraph())),
                fx.array("mm_adj_dense").values(), RTOL, ATOL);
        assertClose("freedom norm_adj", floats(flat(m.normalizedGraph())), fx.array("norm_adj_dense").values(), RTOL, ATOL);
    }

    /** Our edge index of each (user, item) pair (user-major, as Interactions.pairUsers/pairItems). */
    private int edgeIndex(Interactions train, int u, int i) {
        int[] pu = train.pairUsers();
        int[] pi = train.pairItems();
        for (int e = 0; e < pu.length; e++) {
            if (pu[e] == u && pi[e] == i) {
                return e;
            }
        }
        throw new AssertionError("no edge " + u + "-" + i);
    }

    @Test
    void edgeSamplingWeightsMatchTheirs() {
        Freedom m = model();
        Interactions train = fx.interactions(users, items);
        Fixture.Array edges = fx.array("edges");
        double[] theirs = fx.array("edge_values").values();
        double[] ours = m.edgeWeights();
        float[] aligned = new float[theirs.length];
        for (int k = 0; k < theirs.length; k++) {
            aligned[k] = (float) ours[edgeIndex(train, (int) edges.get(k, 0), (int) edges.get(k, 1))];
        }
        assertClose("freedom edge weights 1/sqrt(du di)", aligned, theirs, RTOL, ATOL);
    }

    private CsrMatrix theirKeptEdges(Freedom m) {
        Interactions train = fx.interactions(users, items);
        Fixture.Array kept = fx.array("kept_pairs");
        int[] idx = new int[kept.rows()];
        for (int k = 0; k < idx.length; k++) {
            idx[k] = edgeIndex(train, (int) kept.get(k, 0), (int) kept.get(k, 1));
        }
        assertThat(idx.length).isEqualTo((int) (train.size() * (1. - fx.scalar("dropout"))));
        return m.graphOfEdges(idx);
    }

    @Test
    void prunedGraphIsTheirRenormalisation() {
        Freedom m = model();
        assertClose("freedom masked_adj from the kept edges", floats(flat(theirKeptEdges(m))),
                fx.array("masked_adj_dense").values(), RTOL, ATOL);
    }

    @Test
    void scoringRepresentationsMatchTheirs() {
        try (EmbeddingScorer s = model().scorer()) {
            assertClose("freedom scoring users", s.userEmbeddings(), fx.array("scoring_users"), RTOL, ATOL);
            assertClose("freedom scoring items (LightGCN + A_mm e)", s.itemEmbeddings(), fx.array("scoring_items"), RTOL,
                    ATOL);
        }
    }

    @Test
    void lossTermsAndGradientsOnThePrunedGraphMatchTheirs() {
        Freedom model = model();
        model.useTrainingGraph(theirKeptEdges(model));
        TripleBatch b = new TripleBatch(fx.ints("batch_users"), fx.ints("batch_positives"), fx.ints("batch_negatives"));
        try (Tape tape = new Tape(new BufferPool())) {
            LossTerms terms = model.batchLoss(tape, b, new EpochContext(0, new Rng(1), 2048, new Tapes(), new PhaseTimer()));
            Map<String, Double> parts = terms.partValues();
            assertClose("freedom BPR", parts.get("bpr"), fx.scalar("mf_loss"), RTOL);
            assertClose("freedom reg_weight * (text + image BPR)", parts.get("mm"), fx.scalar("mm_term"), RTOL);
            assertClose("freedom loss", terms.total().value().get(0, 0), fx.scalar("loss"), RTOL);
            tape.backward(terms.total());
            Map<String, Parameter> p = Fixture.byName(model.parameters());
            for (String t : new String[] {"user_embedding", "item_id_embedding", "image_embedding", "text_embedding"}) {
                assertGrad(p.get(t), fx.tensor("grad_" + t));
            }
            for (String t : new String[] {"image_trs", "text_trs"}) {
                assertGrad(p.get(t + ".weight"), fx.transposed("grad_" + t + "_weight"));
                // The bias cancels in <u, p> - <u, n>: its exact gradient is 0, theirs is rounding (~1e-10).
                assertClose("grad " + t + ".bias (exactly 0)", p.get(t + ".bias").grad().toArray(),
                        fx.array("grad_" + t + "_bias").values(), 0, 1e-6);
            }
        }
    }
}
