package org.diffmmj.parity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.diffmmj.parity.Fixture.assertClose;
import static org.diffmmj.parity.Fixture.load;

import java.util.Map;

import org.junit.jupiter.api.Test;

import org.diffmmj.autograd.Parameter;
import org.diffmmj.autograd.Tape;
import org.diffmmj.autograd.Var;
import org.diffmmj.model.EmbeddingScorer;
import org.diffmmj.model.Hccf;
import org.diffmmj.model.LossTerms;
import org.diffmmj.sampling.TripleBatch;
import org.diffmmj.sparse.CsrMatrix;
import org.diffmmj.tensor.BufferPool;

/**
 * HCCF against the authors' PyTorch code (akaxlh/HCCF torchVersion/Model.py, Main.py's loss
 * block, DataHandler.makeTorchAdj; see tools/parity/README.md) at the fixture's weights: 7 users,
 * 9 items (item 8 without interactions), latdim 4, hyperNum 5, two layers, reg 1e-2, ssl_reg 0.3,
 * temp 0.5, a batch with repeated users and a repeated positive (the contrastive terms run over
 * their unique ids).
 * <ul>
 * <li>keepRate 1: no edge dropout and no dropout on either side; forward views, loss terms,
 * gradients, and {@code predict}'s embeddings against our scorer's;</li>
 * <li>keepRate 0.5: the edges their {@code SpAdjDropEdge} kept (values ×2) and the masks their
 * {@code F.dropout} drew were recorded; ours are replayed through a {@link Hccf.Perturbation}
 * that applies those, so the test pins what is dropped and how it is scaled, not which draws.</li>
 * </ul>
 * Tolerances as in {@link NgcfParityTest}: |ours − theirs| ≤ 1e-6 + 1e-5·|theirs| per value,
 * relative 1e-5 on losses, gradients to 1e-5 of each array's largest magnitude.
 */
class HccfParityTest {

    private static final double RTOL = 1e-5;
    private static final double ATOL = 1e-6;

    private final Fixture fx = new Fixture("hccf");
    private final int users = fx.integer("users");
    private final int items = fx.integer("items");

    private Hccf model() {
        var args = fx.meta().get("args");
        Hccf.Config c = new Hccf.Config(args.get("latdim").asInt(), args.get("gnn_layer").asInt(), args.get("hyperNum").asInt(),
                (float) args.get("reg").asDouble(), (float) args.get("ssl_reg").asDouble(), (float) args.get("temp").asDouble(),
                (float) args.get("keepRate").asDouble(), 1f);
        Hccf m = new Hccf(fx.interactions(users, items), c, new org.diffmmj.random.Rng(3));
        assertThat(m.parameters()).extracting(Parameter::name).containsExactly("uEmbeds", "iEmbeds", "uHyper", "iHyper");
        for (Parameter p : m.parameters()) {
            load(p, fx.tensor(p.name()));
        }
        return m;
    }

    private TripleBatch batch() {
        return new TripleBatch(fx.ints("batch_users"), fx.ints("batch_positives"), fx.ints("batch_negatives"));
    }

    /** Replays the recorded keepRate-0.5 masks: their kept graphs and their dropout multipliers. */
    private Hccf.Perturbation recorded() {
        return new Hccf.Perturbation() {
            @Override
            public CsrMatrix graph(int layer, CsrMatrix graph) {
                return fx.sparse("keep_adjacency" + layer);
            }

            @Override
            public Var userIncidence(Tape tape, int layer, Var h) {
                return mask(tape, h, "keep_user_mask" + layer);
            }

            @Override
            public Var itemIncidence(Tape tape, int layer, Var h) {
                return mask(tape, h, "keep_item_mask" + layer);
            }

            private Var mask(Tape tape, Var h, String name) {
                Fixture.Array m = fx.array(name);
                assertThat(m.shape()).containsExactly(h.rows(), h.cols());
                return tape.mul(h, tape.constant(m.rows(), m.cols(), m.floats()));
            }
        };
    }

    @Test
    void normalisedGraphMatchesTheirs() {
        float[][] d = model().graph().toDense();
        float[] flat = new float[d.length * d.length];
        for (int r = 0; r < d.length; r++) {
            System.arraycopy(d[r], 0, flat, r * d.length, d.length);
        }
        assertClose("hccf D^-1/2 A D^-1/2", flat, fx.array("adjacency_dense").values(), RTOL, ATOL);
    }

    @Test
    void recordedMasksAreTheirKeepRateScaling() {
        // The kept graphs hold the normalised graph's entries ×1/keepRate; the masks are 0 or 1/keepRate.
        double keep = fx.scalar("keep_keepRate");
        Fixture.Array full = fx.array("adjacency_dense");
        for (int l = 0; l < 2; l++) {
            Fixture.Array kept = fx.array("keep_adjacency" + l);
            int dropped = 0;
            for (int k = 0; k < kept.values().length; k++) {
                double v = kept.values()[k];
                if (v == 0) {
                    dropped += full.values()[k] != 0 ? 1 : 0;
                } else {
                    assertThat(v).isCloseTo(full.values()[k] / keep, org.assertj.core.api.Assertions.within(1e-6));
                }
            }
            assertThat(dropped).as("layer %d drops some edges", l).isPositive();
            for (String side : new String[] {"user", "item"}) {
                double[] mask = fx.array("keep_" + side + "_mask" + l).values();
                assertThat(mask).contains(0.0, 1 / keep);
                assertThat(java.util.Arrays.stream(mask)).allMatch(v -> v == 0 || v == 1 / keep);
            }
        }
    }

    @Test
    void scoringEmbeddingsMatchTheirPredict() {
        try (EmbeddingScorer s = model().scorer()) {
            assertClose("hccf predict users", s.userEmbeddings(), fx.array("predict_users"), RTOL, ATOL);
            assertClose("hccf predict items", s.itemEmbeddings(), fx.array("predict_items"), RTOL, ATOL);
        }
    }

    @Test
    void keepRateOneMatchesTheirs() {
        check("", Hccf.NONE);
    }

    @Test
    void keepRateHalfWithTheirMasksMatchesTheirs() {
        check("keep_", recorded());
    }

    private void check(String prefix, Hccf.Perturbation drops) {
        Hccf model = model();
        try (Tape tape = Tape.noGrad(new BufferPool())) {
            Hccf.Forward f = model.forward(tape, drops);
            assertClose("hccf " + prefix + "embeds", f.embeds().value(), fx.array(prefix + "embeds"), RTOL, ATOL);
            for (int l = 0; l < f.gcn().size(); l++) {
                assertClose("hccf " + prefix + "gcn" + l, f.gcn().get(l).value(), fx.array(prefix + "gcn" + l), RTOL, ATOL);
                assertClose("hccf " + prefix + "hyper" + l, f.hyper().get(l).value(), fx.array(prefix + "hyper" + l), RTOL, ATOL);
            }
        }
        try (Tape tape = new Tape(new BufferPool())) {
            LossTerms terms = model.loss(tape, batch(), drops);
            Map<String, Double> parts = terms.partValues();
            assertClose("hccf " + prefix + "bpr", parts.get("bpr"), fx.scalar(prefix + "bpr"), RTOL);
            assertClose("hccf " + prefix + "reg · Σ‖θ‖²", parts.get("reg"), fx.scalar(prefix + "reg_term"), RTOL);
            assertClose("hccf " + prefix + "ssl_reg · InfoNCE", parts.get("ssl"), fx.scalar(prefix + "ssl_term"), RTOL);
            assertClose("hccf " + prefix + "loss", terms.total().value().get(0, 0), fx.scalar(prefix + "loss"), RTOL);
            tape.backward(terms.total());
            for (Parameter p : model.parameters()) {
                Fixture.Array want = fx.array(prefix + "grad_" + p.name());
                double scale = 0;
                for (double v : want.values()) {
                    scale = Math.max(scale, Math.abs(v));
                }
                assertThat(scale).as("their gradient of %s is not all zero", p.name()).isGreaterThan(0);
                assertClose("hccf " + prefix + "grad " + p.name(), p.grad().toArray(), want.values(), RTOL, RTOL * scale);
            }
        }
    }

    /** The reg term is reg · Σ‖θ‖² over all four parameters, whole (their calcRegLoss). */
    @Test
    void theirRegTermIsTheSquaredNormOfEveryParameter() {
        double s = 0;
        for (String n : new String[] {"uEmbeds", "iEmbeds", "uHyper", "iHyper"}) {
            for (double v : fx.array(n).values()) {
                s += v * v;
            }
        }
        assertClose("Σ‖θ‖²", s, fx.scalar("param_square_sum"), RTOL);
        assertClose("reg · Σ‖θ‖²", fx.meta().get("args").get("reg").asDouble() * s, fx.scalar("reg_term"), RTOL);
    }
}
