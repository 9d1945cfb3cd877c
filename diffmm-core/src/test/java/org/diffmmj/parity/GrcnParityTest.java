package org.diffmmj.parity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.diffmmj.parity.Fixture.assertClose;
import static org.diffmmj.parity.Fixture.assertGrad;
import static org.diffmmj.parity.Fixture.load;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import org.diffmmj.autograd.Parameter;
import org.diffmmj.autograd.Tape;
import org.diffmmj.model.EmbeddingScorer;
import org.diffmmj.model.EpochContext;
import org.diffmmj.model.Grcn;
import org.diffmmj.model.LossTerms;
import org.diffmmj.model.PhaseTimer;
import org.diffmmj.nn.Tapes;
import org.diffmmj.random.Rng;
import org.diffmmj.sampling.TripleBatch;
import org.diffmmj.tensor.BufferPool;

/**
 * GRCN against MMRec's {@code src/models/grcn.py} run as published (less {@code .cuda()}) with the
 * plain-torch PyTorch Geometric stand-in ({@code tools/parity/grcn_fixtures.py}) at the fixture's
 * weights: image (5 wide) and text (3 wide), d = 4, dim_C 3, 2 routing rounds, reg_weight 0.1,
 * confid weighting with pruning, concat fusion; {@code route_to_users = false}, the reference's
 * routing (a no-op for the users, which the generator asserts). The edge-value gradients reach the
 * MLPs, preferences and confidences only through the refined graph's values, so their match checks
 * the sparse edge-value backward and the composed group softmax.
 */
class GrcnParityTest {

    private static final double RTOL = 1e-5;
    private static final double ATOL = 1e-6;

    private final Fixture fx = new Fixture("grcn");

    /** Ours for MMRec's name (v_gcn is the image modality, t_gcn the text one). */
    private static String ours(String ref) {
        return ref.replace("v_gcn.", "image_gcn.").replace("t_gcn.", "text_gcn.");
    }

    private List<String> names() {
        List<String> out = new ArrayList<>();
        fx.meta().get("parameters").forEach(n -> out.add(n.asText()));
        return out;
    }

    private Grcn model() {
        Grcn.Config c = new Grcn.Config(fx.integer("dim"), fx.integer("dim_c"), fx.integer("routing"),
                (float) fx.scalar("reg_weight"), "add", "confid", "concat", false, true, false, "image");
        Grcn m = new Grcn(fx.multiModalDataset("image", "text"), c, new Rng(3));
        Map<String, Parameter> p = Fixture.byName(m.parameters());
        assertThat(p).hasSize(names().size());
        for (String n : names()) {
            assertThat(p).containsKey(ours(n));
            load(p.get(ours(n)), n.endsWith("MLP.weight") ? fx.transposed(n) : fx.tensor(n));
        }
        return m;
    }

    @Test
    void representationMatchesMmrecsForward() {
        try (EmbeddingScorer s = model().scorer()) {
            int users = fx.integer("users");
            double[] f = fx.array("forward").values();
            int split = users * s.userEmbeddings().cols();
            assertClose("grcn users [id ; image ; text]", s.userEmbeddings().toArray(), Arrays.copyOfRange(f, 0, split),
                    RTOL, ATOL);
            assertClose("grcn items [id ; image ; text]", s.itemEmbeddings().toArray(),
                    Arrays.copyOfRange(f, split, f.length), RTOL, ATOL);
        }
    }

    @Test
    void lossTermsAndGradientsMatchMmrecs() {
        Grcn model = model();
        TripleBatch b = new TripleBatch(fx.ints("batch_users"), fx.ints("batch_positives"), fx.ints("batch_negatives"));
        try (Tape tape = new Tape(new BufferPool())) {
            LossTerms terms = model.batchLoss(tape, b, new EpochContext(0, new Rng(1), 2048, new Tapes(), new PhaseTimer()));
            Map<String, Double> parts = terms.partValues();
            assertClose("grcn BPR", parts.get("bpr"), fx.scalar("mf_loss"), RTOL);
            assertClose("grcn reg", parts.get("reg"), fx.scalar("reg_term"), RTOL);
            assertClose("grcn loss", terms.total().value().get(0, 0), fx.scalar("loss"), RTOL);
            tape.backward(terms.total());
            Map<String, Parameter> p = Fixture.byName(model.parameters());
            for (String n : names()) {
                assertGrad(p.get(ours(n)), n.endsWith("MLP.weight") ? fx.transposed("grad_" + n) : fx.tensor("grad_" + n));
            }
        }
    }
}
