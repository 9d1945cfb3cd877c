package org.diffmmj.parity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.diffmmj.parity.Fixture.assertClose;
import static org.diffmmj.parity.Fixture.load;

import java.util.Map;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import org.diffmmj.autograd.Parameter;
import org.diffmmj.autograd.Tape;
import org.diffmmj.model.EmbeddingScorer;
import org.diffmmj.model.EpochContext;
import org.diffmmj.model.LossTerms;
import org.diffmmj.model.Ncl;
import org.diffmmj.model.PhaseTimer;
import org.diffmmj.nn.Tapes;
import org.diffmmj.random.Rng;
import org.diffmmj.sampling.TripleBatch;
import org.diffmmj.tensor.BufferPool;

/**
 * NCL against RecBole's (RUCAIBox/RecBole recbole/model/general_recommender/ncl.py, see
 * tools/parity/README.md) at the fixture's weights, d = 4, 7 users, 9 items (one without
 * interactions), 3 prototypes per side, in two configurations: (a) n_layers 3 with hyper_layers 1
 * (the defaults' shape: mean of layers 0..3, structural term on layer 2) and (b) n_layers 1 with
 * hyper_layers 2 (the structural term on layer 4, beyond the averaged ones). faiss is stubbed in
 * the generator: its k-means returns fixed raw centroids and assignments, which RecBole's
 * {@code run_kmeans} normalises and we feed to {@link Ncl#setPrototypes}. reg_weight, ssl_reg,
 * proto_reg, alpha and ssl_temp are moved off the defaults so that every term's share of the
 * gradients is far above the tolerance. Loss and gradients after warm-up (all three of {@code
 * calculate_loss}'s terms) and during it ({@code NCLTrainer._train_epoch} drops the proto term).
 * Tolerances as in {@link NgcfParityTest}.
 */
class NclParityTest {

    private static final double RTOL = 1e-5;
    private static final double ATOL = 1e-6;
    /** warm_up_step of the models built here: epoch 0 is in warm-up, epoch 1 past it. */
    private static final int WARM_UP = 1;

    private final Fixture fx = new Fixture("ncl");
    private final int users = fx.integer("users");
    private final int items = fx.integer("items");

    private Ncl model(String tag) {
        Ncl.Config c = new Ncl.Config(fx.integer("dim"), fx.integer(tag + "_n_layers"), (float) fx.scalar("reg_weight"),
                (float) fx.scalar("ssl_temp"), (float) fx.scalar("ssl_reg"), fx.integer(tag + "_hyper_layers"),
                (float) fx.scalar("alpha"), (float) fx.scalar("proto_reg"), fx.integer("num_clusters"), 1, WARM_UP, 25);
        Ncl m = new Ncl(fx.interactions(users, items), c, new Rng(3));
        assertThat(m.parameters()).extracting(Parameter::name).containsExactly("user_embedding", "item_embedding");
        load(m.parameters().get(0), fx.tensor(tag + "_user_embedding"));
        load(m.parameters().get(1), fx.tensor(tag + "_item_embedding"));
        m.setPrototypes(fx.array(tag + "_raw_user_centroids").floats(), fx.ints(tag + "_user_2cluster"),
                fx.array(tag + "_raw_item_centroids").floats(), fx.ints(tag + "_item_2cluster"));
        return m;
    }

    private TripleBatch batch() {
        return new TripleBatch(fx.ints("batch_users"), fx.ints("batch_positives"), fx.ints("batch_negatives"));
    }

    @Test
    void normalisedGraphMatchesRecBoles() {
        float[][] d = model("a").graph().toDense();
        float[] flat = new float[d.length * d.length];
        for (int r = 0; r < d.length; r++) {
            System.arraycopy(d[r], 0, flat, r * d.length, d.length);
        }
        assertClose("ncl D^-1/2 A D^-1/2", flat, fx.array("adjacency_dense").values(), RTOL, ATOL);
    }

    /** run_kmeans' F.normalize of the centroids; the assignments kept as given. */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"a", "b"})
    void prototypesAreRunKmeansOutput(String tag) {
        Map<String, Parameter> aux = Fixture.byName(model(tag).auxiliaryParameters());
        assertClose("ncl " + tag + " user centroids", aux.get("user_centroids").value(), fx.array(tag + "_user_centroids"), RTOL, ATOL);
        assertClose("ncl " + tag + " item centroids", aux.get("item_centroids").value(), fx.array(tag + "_item_centroids"), RTOL, ATOL);
        assertClose("ncl " + tag + " user clusters", aux.get("user_2cluster").value(), fx.array(tag + "_user_2cluster"), 0, 0);
        assertClose("ncl " + tag + " item clusters", aux.get("item_2cluster").value(), fx.array(tag + "_item_2cluster"), 0, 0);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"a", "b"})
    void propagatedEmbeddingsMatchRecBoles(String tag) {
        try (EmbeddingScorer s = model(tag).scorer()) {
            assertClose("ncl " + tag + " propagated users", s.userEmbeddings(), fx.array(tag + "_propagated_users"), RTOL, ATOL);
            assertClose("ncl " + tag + " propagated items", s.itemEmbeddings(), fx.array(tag + "_propagated_items"), RTOL, ATOL);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"a", "b"})
    void lossTermsAndGradientsMatchRecBolesAfterWarmUp(String tag) {
        Ncl model = model(tag);
        TripleBatch b = batch();
        try (Tape tape = new Tape(new BufferPool())) {
            LossTerms terms = model.batchLoss(tape, b, context(WARM_UP, b));
            Map<String, Double> parts = terms.partValues();
            assertThat(parts).containsOnlyKeys("bpr", "reg", "ssl", "proto");
            // RecBole's BPRLoss is −mean log(1e-10 + σ(Δ)); the 1e-10 is far below the tolerance here.
            assertClose("ncl " + tag + " BPR (mf_loss)", parts.get("bpr"), fx.scalar(tag + "_mf_loss"), RTOL);
            assertClose("ncl " + tag + " reg (reg_weight · EmbLoss)", parts.get("reg"), fx.scalar(tag + "_reg_term"), RTOL);
            assertClose("ncl " + tag + " ssl_layer_loss", parts.get("ssl"), fx.scalar(tag + "_ssl_loss"), RTOL);
            assertClose("ncl " + tag + " ProtoNCE_loss", parts.get("proto"), fx.scalar(tag + "_proto_loss"), RTOL);
            assertClose("ncl " + tag + " total", terms.total().value().get(0, 0), fx.scalar(tag + "_loss"), RTOL);
            tape.backward(terms.total());
            assertGradients(model, tag + "_grad_");
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"a", "b"})
    void warmUpLeavesTheProtoTermOut(String tag) {
        Ncl model = model(tag);
        TripleBatch b = batch();
        try (Tape tape = new Tape(new BufferPool())) {
            LossTerms terms = model.batchLoss(tape, b, context(WARM_UP - 1, b));
            assertThat(terms.partValues()).containsOnlyKeys("bpr", "reg", "ssl");
            assertClose("ncl " + tag + " warm-up total", terms.total().value().get(0, 0), fx.scalar(tag + "_warm_up_loss"), RTOL);
            tape.backward(terms.total());
            assertGradients(model, tag + "_warm_up_grad_");
        }
    }

    private static EpochContext context(int epoch, TripleBatch b) {
        return new EpochContext(epoch, new Rng(1), b.size(), new Tapes(), new PhaseTimer());
    }

    private void assertGradients(Ncl model, String prefix) {
        Map<String, Parameter> p = Fixture.byName(model.parameters());
        for (String name : new String[] {"user_embedding", "item_embedding"}) {
            Fixture.Array expected = fx.array(prefix + name);
            double scale = 0;
            for (double v : expected.values()) {
                scale = Math.max(scale, Math.abs(v));
            }
            assertThat(scale).as("RecBole's gradient of %s is not all zero", name).isGreaterThan(0);
            assertClose("ncl grad " + prefix + name, p.get(name).grad().toArray(), expected.values(), RTOL, RTOL * scale);
        }
    }
}
