package org.diffmmj.parity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.diffmmj.parity.Fixture.assertClose;
import static org.diffmmj.parity.Fixture.load;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import org.diffmmj.autograd.Parameter;
import org.diffmmj.autograd.Tape;
import org.diffmmj.autograd.Var;
import org.diffmmj.data.Interactions;
import org.diffmmj.model.EmbeddingScorer;
import org.diffmmj.model.EpochContext;
import org.diffmmj.model.LossTerms;
import org.diffmmj.model.PhaseTimer;
import org.diffmmj.model.Sgl;
import org.diffmmj.nn.GraphPropagation;
import org.diffmmj.nn.Tapes;
import org.diffmmj.random.Rng;
import org.diffmmj.sampling.TripleBatch;
import org.diffmmj.sparse.CsrMatrix;
import org.diffmmj.tensor.BufferPool;

/**
 * SGL against RecBole's (RUCAIBox/RecBole recbole/model/general_recommender/sgl.py, see
 * tools/parity/README.md) at the fixture's weights and with RecBole's own views: its
 * {@code train()} drew them (numpy, seeded) and the fixture recorded what {@code rand_sample}
 * returned, the kept edges (ED, and RW per layer) or the dropped users and items (ND); we build
 * our views from those draws with {@link Sgl#edgeGraph} and {@link Sgl#nodeDroppedGraph}. Checked
 * for each view type: the views' normalised graphs, the view embeddings, the BPR, InfoNCE and
 * reg terms, the total, and the gradients w.r.t. both embedding tables; once, the main graph and
 * its embeddings. 7 users, 9 items (item 8 without interactions), d = 4, two layers, reg_weight
 * 1e-2, ssl_weight 0.1, ssl_tau 0.5, drop_ratio 0.3. Tolerances as in {@link NgcfParityTest}.
 */
class SglParityTest {

    private static final double RTOL = 1e-5;
    private static final double ATOL = 1e-6;

    private final Fixture fx = new Fixture("sgl");
    private final int users = fx.integer("users");
    private final int items = fx.integer("items");
    private final Interactions train = fx.interactions(users, items);

    private Sgl model(String type) {
        Sgl m = new Sgl(train, new Sgl.Config(type, fx.integer("n_layers"), (float) fx.scalar("ssl_tau"),
                (float) fx.scalar("reg_weight"), (float) fx.scalar("ssl_weight"), fx.scalar("drop_ratio"),
                fx.integer("dim")), new Rng(3));
        assertThat(m.parameters()).extracting(Parameter::name).containsExactly("user_embedding", "item_embedding");
        load(m.parameters().get(0), fx.tensor("user_embedding"));
        load(m.parameters().get(1), fx.tensor("item_embedding"));
        m.setViews(view(type, 1), view(type, 2));
        return m;
    }

    /** A view built from RecBole's recorded draws. */
    private List<CsrMatrix> view(String type, int v) {
        String p = type.toLowerCase() + "_view" + v;
        return switch (type) {
            case "ED" -> List.of(keptEdges(p + "_kept_pairs"));
            case "ND" -> List.of(Sgl.nodeDroppedGraph(train, fx.ints(p + "_dropped_users"), fx.ints(p + "_dropped_items")));
            default -> {
                List<CsrMatrix> layers = new ArrayList<>();
                for (int l = 0; l < fx.integer("n_layers"); l++) {
                    layers.add(keptEdges(p + "_kept_pairs_layer" + l));
                }
                yield layers;
            }
        };
    }

    private CsrMatrix keptEdges(String name) {
        int[] pairs = fx.ints(name);
        int n = pairs.length / 2;
        int[] u = new int[n];
        int[] i = new int[n];
        for (int k = 0; k < n; k++) {
            u[k] = pairs[2 * k];
            i[k] = pairs[2 * k + 1];
        }
        return Sgl.edgeGraph(users, items, u, i);
    }

    private static float[] dense(CsrMatrix m) {
        float[][] d = m.toDense();
        float[] flat = new float[d.length * d.length];
        for (int r = 0; r < d.length; r++) {
            System.arraycopy(d[r], 0, flat, r * d.length, d.length);
        }
        return flat;
    }

    @Test
    void mainGraphAndItsEmbeddingsMatchRecBoles() {
        Sgl m = model("ED");
        assertClose("sgl D^-1/2 A D^-1/2", dense(m.graph()), fx.array("adjacency_dense").values(), RTOL, ATOL);
        try (EmbeddingScorer s = m.scorer()) {
            assertClose("sgl propagated users", s.userEmbeddings(), fx.array("propagated_users"), RTOL, ATOL);
            assertClose("sgl propagated items", s.itemEmbeddings(), fx.array("propagated_items"), RTOL, ATOL);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"ED", "ND", "RW"})
    void viewsAndTheirEmbeddingsMatchRecBoles(String type) {
        Sgl m = model(type);
        String p = type.toLowerCase() + "_";
        List<List<CsrMatrix>> views = m.views();
        for (int v = 1; v <= 2; v++) {
            List<CsrMatrix> view = views.get(v - 1);
            assertThat(view).hasSize(fx.integer("n_layers"));
            // ED and ND: one graph for every layer (RecBole's single sub-graph); RW: one per layer.
            int distinct = type.equals("RW") ? view.size() : 1;
            for (int l = distinct; l < view.size(); l++) {
                assertThat(view.get(l)).isSameAs(view.get(0));
            }
            for (int l = 0; l < distinct; l++) {
                String name = p + "view" + v + "_adjacency_dense" + (type.equals("RW") ? "_layer" + l : "");
                assertClose("sgl " + name, dense(view.get(l)), fx.array(name).values(), RTOL, ATOL);
            }
            try (Tape tape = Tape.noGrad(new BufferPool())) {
                Var ego = tape.concatRows(tape.constant(m.parameters().get(0).value()),
                        tape.constant(m.parameters().get(1).value()));
                Var all = GraphPropagation.layerMean(tape, view, ego);
                assertClose("sgl " + p + "view" + v + " users", tape.sliceRows(all, 0, users).value(),
                        fx.array(p + "view" + v + "_users"), RTOL, ATOL);
                assertClose("sgl " + p + "view" + v + " items", tape.sliceRows(all, users, users + items).value(),
                        fx.array(p + "view" + v + "_items"), RTOL, ATOL);
            }
        }
        if (!type.equals("ND")) {
            // RecBole keeps exactly ⌊E·(1 − drop_ratio)⌋ edges, as our draw does.
            assertThat(fx.array(p + "view1_kept_pairs" + (type.equals("RW") ? "_layer0" : "")).rows())
                    .isEqualTo((int) (train.size() * (1 - fx.scalar("drop_ratio"))));
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"ED", "ND", "RW"})
    void lossTermsAndGradientsMatchRecBoles(String type) {
        Sgl model = model(type);
        String p = type.toLowerCase() + "_";
        TripleBatch b = new TripleBatch(fx.ints("batch_users"), fx.ints("batch_positives"), fx.ints("batch_negatives"));
        try (Tape tape = new Tape(new BufferPool())) {
            LossTerms terms = model.batchLoss(tape, b, new EpochContext(0, new Rng(1), b.size(), new Tapes(), new PhaseTimer()));
            Map<String, Double> parts = terms.partValues();
            assertClose("sgl " + p + "BPR (summed)", parts.get("bpr"), fx.scalar(p + "bpr_loss"), RTOL);
            assertClose("sgl " + p + "ssl (ssl_weight · Σ InfoNCE)", parts.get("ssl"), fx.scalar(p + "ssl_term"), RTOL);
            assertClose("sgl " + p + "reg (reg_weight · EmbLoss)", parts.get("reg"), fx.scalar(p + "reg_term"), RTOL);
            assertClose("sgl " + p + "total", terms.total().value().get(0, 0), fx.scalar(p + "loss"), RTOL);
            tape.backward(terms.total());
            for (Parameter param : model.parameters()) {
                Fixture.Array expected = fx.array(p + "grad_" + param.name());
                double scale = 0;
                for (double v : expected.values()) {
                    scale = Math.max(scale, Math.abs(v));
                }
                assertThat(scale).as("RecBole's gradient of %s is not all zero", param.name()).isGreaterThan(0);
                assertClose("sgl " + p + "grad " + param.name(), param.grad().toArray(), expected.values(), RTOL,
                        RTOL * scale);
            }
        }
    }

    /** EmbLoss's figure is the unsquared-norm formula on the batch's ego rows. */
    @Test
    void recbolesRegTermIsTheUnsquaredNormSumOfTheEgoRows() {
        int[] bu = fx.ints("batch_users");
        Fixture.Array u = fx.array("user_embedding");
        Fixture.Array i = fx.array("item_embedding");
        double norms = norm(u, bu) + norm(i, fx.ints("batch_positives")) + norm(i, fx.ints("batch_negatives"));
        assertClose("EmbLoss = Σ‖·‖_F / B", fx.scalar("reg_weight") * norms / bu.length, fx.scalar("ed_reg_term"), RTOL);
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
