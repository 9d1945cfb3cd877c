package org.diffmmj.parity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.diffmmj.parity.Fixture.assertClose;
import static org.diffmmj.parity.Fixture.assertGrad;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import org.diffmmj.autograd.Parameter;
import org.diffmmj.autograd.Tape;
import org.diffmmj.model.EmbeddingScorer;
import org.diffmmj.model.LossTerms;
import org.diffmmj.model.Mmgcl;
import org.diffmmj.model.Sgl;
import org.diffmmj.random.Rng;
import org.diffmmj.sampling.TripleBatch;
import org.diffmmj.sparse.CsrMatrix;
import org.diffmmj.tensor.BufferPool;

/**
 * MMGCL against the authors' zxy-ml84/MMGCL@c867f4a {@code models/mmgcl.py} (see tools/parity/README.md):
 * image (5 wide) and text (3 wide), their runnable amazon branch, layer_num 2, ssl_temp 0.5, ssl_alpha 0.3,
 * dropout_rate 0.3, a batch with repeated users and items and the edgeless item as a negative.
 *
 * <ul>
 * <li>{@code released}: their calculate_loss run as published (ssl_task ED+MM+CN, then ED), their edge
 * dropout views' kept edges recorded and handed to ours: BPR, the SSL term, the loss and every gradient.</li>
 * <li>{@code paper}: what their code leaves unused (the masking view, the modality negatives, the contrast
 * between views), composed in torch from their own functions (sgl_encoder, read_user/read_item, their
 * graph normalisation) at the same fixed views, a fixed masked modality (text) with a fixed replacement
 * table, and image as the negatives' modality: our reading of the paper, computed independently of ours.</li>
 * </ul>
 * Their weight decay is Adam's; it is 0 here (its loss term, shared with SLMRec, is pinned by SlmrecParityTest).
 */
class MmgclParityTest {

    private static final double RTOL = 1e-5;
    private static final double ATOL = 1e-6;
    private static final List<String> LINEARS = List.of("v_dense", "t_dense", "read_user", "read_item");

    private final Fixture fx = new Fixture("mmgcl");

    private Mmgcl model(String task, String variant) {
        Mmgcl m = new Mmgcl(fx.multiModalDataset("image", "text"), new Mmgcl.Config(fx.integer("dim"),
                fx.integer("layer_num"), (float) fx.scalar("ssl_alpha"), (float) fx.scalar("ssl_temp"),
                fx.scalar("dropout_rate"), "image=0.5,text=0.5", 0f, task, variant), new Rng(3));
        fx.loadTablesAndLinears(m.parameters(), List.of("embedding_user", "embedding_item"), LINEARS);
        assertThat(m.modalities()).containsExactly("image", "text");
        return m;
    }

    private CsrMatrix edges(String name) {
        int[] flat = fx.ints(name);
        int[] u = new int[flat.length / 2];
        int[] i = new int[flat.length / 2];
        for (int k = 0; k < u.length; k++) {
            u[k] = flat[2 * k];
            i[k] = flat[2 * k + 1];
        }
        return Sgl.edgeGraph(fx.integer("users"), fx.integer("items"), u, i);
    }

    private TripleBatch batch() {
        return new TripleBatch(fx.ints("batch_users"), fx.ints("batch_positives"), fx.ints("batch_negatives"));
    }

    @Test
    void graphAndFusedRepresentationsMatchTheirCompute() {
        Mmgcl m = model("ED+MM+CN", "paper");
        assertClose("mmgcl norm_adj", m.normalizedGraph(), fx.array("norm_adj_dense"), RTOL, ATOL);
        try (EmbeddingScorer s = m.scorer()) {
            assertClose("mmgcl compute() users", s.userEmbeddings(), fx.array("scoring_users"), RTOL, ATOL);
            assertClose("mmgcl compute() items", s.itemEmbeddings(), fx.array("scoring_items"), RTOL, ATOL);
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
            "released_edmmcn, ED+MM+CN, released",
            "released_ed,     ED,       released",
            "paper_edmmcn,    ED+MM+CN, paper",
            "paper_edmm,      ED+MM,    paper",
            "paper_ed,        ED,       paper"})
    void lossTermsAndGradientsMatch(String fixtureCase, String task, String variant) {
        Mmgcl model = model(task, variant);
        Mmgcl.Views views;
        if (variant.equals("released")) {
            int n = fx.integer("edge_views_" + fixtureCase);
            views = new Mmgcl.Views(edges("edges_" + fixtureCase + "_0"),
                    n > 1 ? edges("edges_" + fixtureCase + "_1") : null, -1, null, -1);
        } else {
            boolean twoEdgeViews = task.equals("ED");
            views = new Mmgcl.Views(edges("edges_released_ed_0"), twoEdgeViews ? edges("edges_released_ed_1") : null,
                    twoEdgeViews ? -1 : fx.integer("masked"), twoEdgeViews ? null : fx.array("mask_rows").floats(),
                    task.equals("ED+MM+CN") ? fx.integer("negative") : -1);
        }
        Map<String, Parameter> p = Fixture.byName(model.parameters());
        try (Tape tape = new Tape(new BufferPool())) {
            LossTerms terms = model.batchLoss(tape, batch(), views);
            Map<String, Double> parts = terms.partValues();
            assertThat(parts).containsOnlyKeys("bpr", "ssl");
            assertClose(fixtureCase + " bpr", parts.get("bpr"), fx.scalar(fixtureCase + "_bpr"), RTOL);
            assertClose(fixtureCase + " ssl_alpha * ssl", parts.get("ssl"), fx.scalar(fixtureCase + "_ssl"), RTOL);
            assertClose(fixtureCase + " loss", terms.total().value().get(0, 0), fx.scalar(fixtureCase + "_loss"), RTOL);
            tape.backward(terms.total());
            for (String t : new String[] {"embedding_user", "embedding_item"}) {
                assertGrad(p.get(t), fx.tensor(fixtureCase + "_grad_" + t));
            }
            for (String t : LINEARS) {
                assertGrad(p.get(t + ".weight"), fx.transposed(fixtureCase + "_grad_" + t + "_weight"));
                assertGrad(p.get(t + ".bias"), fx.tensor(fixtureCase + "_grad_" + t + "_bias"));
            }
        }
    }
}
