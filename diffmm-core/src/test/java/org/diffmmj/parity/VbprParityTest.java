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
import org.diffmmj.model.LossTerms;
import org.diffmmj.model.PhaseTimer;
import org.diffmmj.model.Vbpr;
import org.diffmmj.nn.Tapes;
import org.diffmmj.random.Rng;
import org.diffmmj.sampling.TripleBatch;
import org.diffmmj.tensor.BufferPool;

/**
 * VBPR against MMRec's ({@code src/models/vbpr.py}, see tools/parity/README.md) at the fixture's
 * weights: two modalities (image 5 wide, text 3), d = 4, reg_weight 0.1, the projection's bias off
 * zero. MMRec concatenates (text, image); the dataset here lists text first, so our concatenation
 * in the dataset's order is theirs column for column. Tolerances as {@link LightGcnParityTest}.
 */
class VbprParityTest {

    private static final double RTOL = 1e-5;
    private static final double ATOL = 1e-6;

    private final Fixture fx = new Fixture("vbpr");

    private Vbpr model() {
        Vbpr m = new Vbpr(fx.multiModalDataset("text", "image"),
                new Vbpr.Config(fx.integer("dim"), (float) fx.scalar("reg_weight")), new Rng(3));
        Map<String, Parameter> p = Fixture.byName(m.parameters());
        assertThat(p.keySet()).containsExactlyInAnyOrder("u_embedding", "i_embedding", "item_linear.weight",
                "item_linear.bias");
        load(p.get("u_embedding"), fx.tensor("u_embedding"));
        load(p.get("i_embedding"), fx.tensor("i_embedding"));
        load(p.get("item_linear.weight"), fx.transposed("item_linear_weight"));
        load(p.get("item_linear.bias"), fx.tensor("item_linear_bias"));
        return m;
    }

    @Test
    void itemRepresentationsMatchMmrecsForward() {
        try (EmbeddingScorer s = model().scorer()) {
            assertClose("vbpr users", s.userEmbeddings(), fx.array("u_embedding"), RTOL, ATOL);
            assertClose("vbpr items [id ; Linear(t, v)]", s.itemEmbeddings(), fx.array("forward_items"), RTOL, ATOL);
        }
    }

    @Test
    void lossTermsAndGradientsMatchMmrecs() {
        Vbpr model = model();
        TripleBatch b = new TripleBatch(fx.ints("batch_users"), fx.ints("batch_positives"), fx.ints("batch_negatives"));
        try (Tape tape = new Tape(new BufferPool())) {
            LossTerms terms = model.batchLoss(tape, b, new EpochContext(0, new Rng(1), 2048, new Tapes(), new PhaseTimer()));
            Map<String, Double> parts = terms.partValues();
            assertClose("vbpr BPR (mf_loss)", parts.get("bpr"), fx.scalar("mf_loss"), RTOL);
            assertClose("vbpr reg_weight * EmbLoss", parts.get("reg"), fx.scalar("reg_term"), RTOL);
            assertClose("vbpr loss", terms.total().value().get(0, 0), fx.scalar("loss"), RTOL);
            tape.backward(terms.total());
            Map<String, Parameter> p = Fixture.byName(model.parameters());
            assertGrad(p.get("u_embedding"), fx.tensor("grad_u_embedding"));
            assertGrad(p.get("i_embedding"), fx.tensor("grad_i_embedding"));
            assertGrad(p.get("item_linear.weight"), fx.transposed("grad_item_linear_weight"));
            assertGrad(p.get("item_linear.bias"), fx.tensor("grad_item_linear_bias"));
        }
    }
}
