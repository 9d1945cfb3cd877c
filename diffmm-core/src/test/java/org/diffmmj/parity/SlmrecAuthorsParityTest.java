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

/**
 * SLMRec (FAC) against the authors' {@code models/SLMRec.py} with their three modalities (see
 * tools/parity/README.md): image (their v, 5 wide), audio (a, 4 wide), text (t, 3 wide), which the
 * dataset lists audio, image, text (by name) and ours must order as theirs, v, a, t; layer_num 2,
 * temp 0.2, ssl_temp 0.5, ssl_alpha 0.3, weight_decay 0 (theirs is Adam's, not in the loss).
 * This pins the audio stage (g_iv_iva against g_a_iva) that MMRec's copy comments out.
 */
class SlmrecAuthorsParityTest {

    private static final double RTOL = 1e-5;
    private static final double ATOL = 1e-6;
    private static final List<String> LINEARS = List.of("v_dense", "a_dense", "t_dense", "embedding_item_after_GCN",
            "embedding_user_after_GCN", "g_i_iv", "g_v_iv", "g_iv_iva", "g_a_iva", "g_iva_ivat", "g_t_ivat");
    /** The FAC candidates' biases: they cancel in the softmax, exact gradient 0 (theirs: rounding). */
    private static final List<String> CANCELLING = List.of("g_v_iv", "g_a_iva", "g_t_ivat");

    private final Fixture fx = new Fixture("slmrec_authors");
    private final Fixture fd = new Fixture("slmrec_authors_fd");

    private Slmrec model() {
        Slmrec m = new Slmrec(fx.multiModalDataset("audio", "image", "text"), new Slmrec.Config(fx.integer("dim"),
                fx.integer("layer_num"), (float) fx.scalar("temp"), (float) fx.scalar("ssl_temp"),
                (float) fx.scalar("ssl_alpha"), 0f, "FAC", 0.3f), new Rng(3));
        fx.loadTablesAndLinears(m.parameters(), List.of("embedding_user", "embedding_item"), LINEARS);
        assertThat(m.modalities()).containsExactly("image", "audio", "text");
        return m;
    }

    /** The FD task's model: no FAC maps (theirs builds them for FAC only). */
    private Slmrec fdModel() {
        Slmrec m = new Slmrec(fd.multiModalDataset("audio", "image", "text"), new Slmrec.Config(fd.integer("dim"),
                fd.integer("layer_num"), (float) fd.scalar("temp"), (float) fd.scalar("ssl_temp"),
                (float) fd.scalar("ssl_alpha"), 0f, "FD", (float) fd.scalar("dropout_rate")), new Rng(3));
        fd.loadTablesAndLinears(m.parameters(), List.of("embedding_user", "embedding_item"),
                LINEARS.stream().filter(t -> !t.startsWith("g_")).toList());
        return m;
    }

    /**
     * FD with their dropout masks (16: ID, v, a, t × 2 layers × 2 views, in their order): the
     * InfoNCE between the two views' users and items, and every gradient.
     */
    @Test
    void featureDropoutWithTheirMasksMatchesTheirs() {
        Slmrec model = fdModel();
        PositiveBatch b = new PositiveBatch(fd.ints("batch_users"), fd.ints("batch_positives"));
        int n = fd.integer("masks");
        assertThat(n).isEqualTo(16);
        int[] next = {0};
        try (Tape tape = new Tape(new BufferPool())) {
            LossTerms terms = model.batchLoss(tape, b, (t, x) -> t.mul(x, t.constant(fd.tensor("mask_" + next[0]++))));
            assertThat(next[0]).isEqualTo(n);
            Map<String, Double> parts = terms.partValues();
            assertClose("slmrec FD (authors) in-batch InfoNCE", parts.get("infonce"), fd.scalar("infonce"), RTOL);
            assertClose("slmrec FD (authors) ssl_alpha * views InfoNCE", parts.get("ssl"), fd.scalar("ssl"), RTOL);
            assertClose("slmrec FD (authors) loss", terms.total().value().get(0, 0), fd.scalar("loss"), RTOL);
            tape.backward(terms.total());
            Map<String, Parameter> p = Fixture.byName(model.parameters());
            for (String t : new String[] {"embedding_user", "embedding_item"}) {
                assertGrad(p.get(t), fd.tensor("grad_" + t));
            }
            for (String t : LINEARS.stream().filter(t -> !t.startsWith("g_")).toList()) {
                assertGrad(p.get(t + ".weight"), fd.transposed("grad_" + t + "_weight"));
                assertGrad(p.get(t + ".bias"), fd.tensor("grad_" + t + "_bias"));
            }
        }
    }

    @Test
    void fusedRepresentationsMatchTheirCompute() {
        try (EmbeddingScorer s = model().scorer()) {
            assertClose("slmrec (authors) compute() users", s.userEmbeddings(), fx.array("scoring_users"), RTOL, ATOL);
            assertClose("slmrec (authors) compute() items", s.itemEmbeddings(), fx.array("scoring_items"), RTOL, ATOL);
        }
    }

    @Test
    void lossTermsAndGradientsMatchTheirs() {
        Slmrec model = model();
        PositiveBatch b = new PositiveBatch(fx.ints("batch_users"), fx.ints("batch_positives"));
        try (Tape tape = new Tape(new BufferPool())) {
            LossTerms terms = model.batchLoss(tape, b, new EpochContext(0, new Rng(1), 2048, new Tapes(), new PhaseTimer()));
            Map<String, Double> parts = terms.partValues();
            assertClose("slmrec (authors) in-batch InfoNCE", parts.get("infonce"), fx.scalar("infonce"), RTOL);
            assertClose("slmrec (authors) ssl_alpha * FAC (v + a + t)", parts.get("ssl"), fx.scalar("ssl"), RTOL);
            assertClose("slmrec (authors) loss", terms.total().value().get(0, 0), fx.scalar("loss"), RTOL);
            tape.backward(terms.total());
            Map<String, Parameter> p = Fixture.byName(model.parameters());
            for (String t : new String[] {"embedding_user", "embedding_item"}) {
                assertGrad(p.get(t), fx.tensor("grad_" + t));
            }
            for (String t : LINEARS) {
                assertGrad(p.get(t + ".weight"), fx.transposed("grad_" + t + "_weight"));
                if (CANCELLING.contains(t)) {
                    assertClose("grad " + t + ".bias (exactly 0)", p.get(t + ".bias").grad().toArray(),
                            fx.array("grad_" + t + "_bias").values(), 0, 1e-6);
                } else {
                    assertGrad(p.get(t + ".bias"), fx.tensor("grad_" + t + "_bias"));
                }
            }
        }
    }
}
