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
import org.diffmmj.model.LightGcnM;
import org.diffmmj.model.LossTerms;
import org.diffmmj.model.PhaseTimer;
import org.diffmmj.nn.Tapes;
import org.diffmmj.random.Rng;
import org.diffmmj.sampling.TripleBatch;
import org.diffmmj.tensor.BufferPool;

/**
 * LightGCN-M against MMRec's LightGCN ({@code src/models/lightgcn.py}) run with our stated item ego
 * embedding, e_i + Linear([image ; text]) (tools/parity/lgcnm_fixtures.py subclasses their class;
 * no LGCN-M reference exists): two layers, reg_weight 0.1, the projection's bias off zero, item 8
 * without interactions. Propagated rows, BPR and EmbLoss terms, gradients of the total.
 */
class LightGcnMParityTest {

    private static final double RTOL = 1e-5;
    private static final double ATOL = 1e-6;

    private final Fixture fx = new Fixture("lgcnm");

    private LightGcnM model() {
        LightGcnM m = new LightGcnM(fx.multiModalDataset("image", "text"), new LightGcnM.Config(fx.integer("dim"),
                fx.integer("n_layers"), (float) fx.scalar("reg_weight")), new Rng(3));
        Map<String, Parameter> p = Fixture.byName(m.parameters());
        assertThat(p.keySet()).containsExactlyInAnyOrder("user_emb", "item_emb", "item_linear.weight", "item_linear.bias");
        load(p.get("user_emb"), fx.tensor("user_emb"));
        load(p.get("item_emb"), fx.tensor("item_emb"));
        load(p.get("item_linear.weight"), fx.transposed("item_linear_weight"));
        load(p.get("item_linear.bias"), fx.tensor("item_linear_bias"));
        return m;
    }

    @Test
    void propagatedEmbeddingsMatch() {
        try (EmbeddingScorer s = model().scorer()) {
            assertClose("lgcn-m propagated users", s.userEmbeddings(), fx.array("propagated_users"), RTOL, ATOL);
            assertClose("lgcn-m propagated items", s.itemEmbeddings(), fx.array("propagated_items"), RTOL, ATOL);
        }
    }

    @Test
    void lossTermsAndGradientsMatch() {
        LightGcnM model = model();
        TripleBatch b = new TripleBatch(fx.ints("batch_users"), fx.ints("batch_positives"), fx.ints("batch_negatives"));
        try (Tape tape = new Tape(new BufferPool())) {
            LossTerms terms = model.batchLoss(tape, b, new EpochContext(0, new Rng(1), 2048, new Tapes(), new PhaseTimer()));
            Map<String, Double> parts = terms.partValues();
            assertClose("lgcn-m BPR", parts.get("bpr"), fx.scalar("mf_loss"), RTOL);
            assertClose("lgcn-m reg_weight * EmbLoss(ego rows)", parts.get("reg"), fx.scalar("reg_term"), RTOL);
            assertClose("lgcn-m loss", terms.total().value().get(0, 0), fx.scalar("loss"), RTOL);
            tape.backward(terms.total());
            Map<String, Parameter> p = Fixture.byName(model.parameters());
            assertGrad(p.get("user_emb"), fx.tensor("grad_user_emb"));
            assertGrad(p.get("item_emb"), fx.tensor("grad_item_emb"));
            assertGrad(p.get("item_linear.weight"), fx.transposed("grad_item_linear_weight"));
            assertGrad(p.get("item_linear.bias"), fx.tensor("grad_item_linear_bias"));
        }
    }
}
