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
import org.diffmmj.model.LossTerms;
import org.diffmmj.model.Mmgcn;
import org.diffmmj.model.PhaseTimer;
import org.diffmmj.nn.Tapes;
import org.diffmmj.random.Rng;
import org.diffmmj.sampling.TripleBatch;
import org.diffmmj.tensor.BufferPool;

/**
 * MMGCN against MMRec's {@code src/models/mmgcn.py} run as published with the plain-torch
 * PyTorch Geometric stand-in ({@code tools/parity/mmgcn_fixtures.py}, {@code pyg_standin.py}) at
 * the fixture's weights: image (5 wide, MLP to dim_latent) and text (3 wide, raw), d = 4, reg_weight 0.1, dim_latent narrowed from MMRec's hard-coded 256 to the fixture's 6,
 * 7 users, 9 items (item 8 without training edges, so mean aggregation's empty row is covered).
 * Their id_embedding and preferences are plain tensors that backward() still fills, so their
 * gradients are compared too: ours are parameters (the paper's intent; see {@link Mmgcn}).
 */
class MmgcnParityTest {

    private static final double RTOL = 1e-5;
    private static final double ATOL = 1e-6;

    private final Fixture fx = new Fixture("mmgcn");

    private Mmgcn model() {
        Mmgcn.Config c = new Mmgcn.Config(fx.integer("dim"), 3, (float) fx.scalar("reg_weight"), fx.integer("dim_latent"),
                "image", "mean", true, true, true);
        Mmgcn m = new Mmgcn(fx.multiModalDataset("image", "text"), c, new Rng(3));
        Map<String, Parameter> p = Fixture.byName(m.parameters());
        List<String> names = names();
        assertThat(p).hasSize(names.size() + 3); // + id_embedding and the two preferences
        load(p.get("id_embedding"), fx.tensor("id_embedding"));
        for (String modality : new String[] {"image", "text"}) {
            String pref = modality + "_gcn.preference";
            load(p.get(pref), fx.tensor(pref));
        }
        for (String n : names) {
            assertThat(p).containsKey(n);
            // nn.Linear weights are (out × in), ours (in × out); BaseModel's conv weights are (in × out) in both.
            load(p.get(n), isLinearWeight(n) ? fx.transposed(n) : fx.tensor(n));
        }
        return m;
    }

    private List<String> names() {
        List<String> out = new ArrayList<>();
        fx.meta().get("parameters").forEach(n -> out.add(n.asText()));
        return out;
    }

    private static boolean isLinearWeight(String name) {
        return name.endsWith(".weight") && !name.contains("conv_embed");
    }

    @Test
    void representationMatchesMmrecsForward() {
        try (EmbeddingScorer s = model().scorer()) {
            int users = fx.integer("users");
            double[] f = fx.array("forward").values();
            int split = users * s.userEmbeddings().cols();
            assertClose("mmgcn users", s.userEmbeddings().toArray(), Arrays.copyOfRange(f, 0, split), RTOL, ATOL);
            assertClose("mmgcn items", s.itemEmbeddings().toArray(), Arrays.copyOfRange(f, split, f.length), RTOL, ATOL);
        }
    }

    @Test
    void lossTermsAndGradientsMatchMmrecs() {
        Mmgcn model = model();
        TripleBatch b = new TripleBatch(fx.ints("batch_users"), fx.ints("batch_positives"), fx.ints("batch_negatives"));
        try (Tape tape = new Tape(new BufferPool())) {
            LossTerms terms = model.batchLoss(tape, b, new EpochContext(0, new Rng(1), 2048, new Tapes(), new PhaseTimer()));
            Map<String, Double> parts = terms.partValues();
            assertClose("mmgcn BPR", parts.get("bpr"), fx.scalar("mf_loss"), RTOL);
            assertClose("mmgcn reg", parts.get("reg"), fx.scalar("reg_term"), RTOL);
            assertClose("mmgcn loss", terms.total().value().get(0, 0), fx.scalar("loss"), RTOL);
            tape.backward(terms.total());
            Map<String, Parameter> p = Fixture.byName(model.parameters());
            assertGrad(p.get("id_embedding"), fx.tensor("grad_id_embedding"));
            for (String modality : new String[] {"image", "text"}) {
                String pref = modality + "_gcn.preference";
                assertGrad(p.get(pref), fx.tensor("grad_" + pref));
            }
            for (String n : names()) {
                assertGrad(p.get(n), isLinearWeight(n) ? fx.transposed("grad_" + n) : fx.tensor("grad_" + n));
            }
        }
    }
}
