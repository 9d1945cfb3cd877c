package org.diffmmj.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import org.diffmmj.data.Dataset;
import org.diffmmj.data.FeatureMatrix;
import org.diffmmj.data.IdMapping;
import org.diffmmj.data.Interactions;
import org.diffmmj.nn.Tapes;
import org.diffmmj.random.Rng;
import org.diffmmj.sparse.CsrMatrix;

/**
 * FREEDOM's parts that the parity fixture cannot pin, by hand: the degree-sensitive draw (theirs
 * comes from torch's generator), the mixing weights of any number of modalities, and that
 * pruning is training-only and replayed from the epoch's stream.
 */
class FreedomTest {

    /** 3 users × 3 items, edges (0,0) (0,1) (0,2) (1,0) (2,0): weight 1/3 for (0,0), 1/√3 for the rest. */
    private static Dataset star() {
        int[] u = {0, 0, 0, 1, 2};
        int[] i = {0, 1, 2, 0, 0};
        Interactions train = Interactions.fromPairs(3, 3, u, i);
        Interactions one = Interactions.fromPairs(3, 3, new int[] {1}, new int[] {1});
        FeatureMatrix image = new FeatureMatrix("image", 3, 2, new float[] {1, 0, 0.9f, 0.1f, 0, 1});
        return new Dataset("star", train, one, one, Map.of("image", image), IdMapping.identity(3), IdMapping.identity(3));
    }

    private static Freedom freedom(Dataset data, double dropout) {
        return new Freedom(data, new Freedom.Config(4, 1, 1, 2, 0.1f, dropout, 0f), new Rng(1));
    }

    @Test
    void mixingWeightsGeneraliseMmImageWeight() {
        assertThat(Freedom.mixingWeights(List.of("image", "text"), 0.1f)).containsExactly(0.1f, 0.9f);
        assertThat(Freedom.mixingWeights(List.of("audio", "image"), 0.1f)).containsExactly(0.9f, 0.1f);
        assertThat(Freedom.mixingWeights(List.of("image"), 0.1f)).containsExactly(1f);
        assertThat(Freedom.mixingWeights(List.of("text"), 0.1f)).containsExactly(1f);
        assertThat(Freedom.mixingWeights(List.of("audio", "text"), 0.1f)).containsExactly(0.5f, 0.5f);
        assertThat(Freedom.mixingWeights(List.of("audio", "image", "text"), 0.1f)).containsExactly(0.45f, 0.1f, 0.45f);
    }

    @Test
    void edgeWeightsAreInverseRootDegrees() {
        double[] w = freedom(star(), 0.8).edgeWeights();
        double r = 1 / Math.sqrt(3);
        assertThat(w).containsExactly(new double[] {1.0 / 3, r, r, r, r}, within(1e-12));
    }

    /**
     * One kept edge (int(5·0.25) = 1): drawn with probability w_e/Σw. Two kept (int(5·0.45) = 2),
     * without replacement as torch.multinomial: edge (0,0) is in the pair with probability
     * p0 + Σ_{j≠0} p_j·p0/(1 − p_j).
     */
    @Test
    void degreeSensitiveDrawIsWeightedWithoutReplacement() {
        double r = 1 / Math.sqrt(3);
        double total = 1.0 / 3 + 4 * r;
        double p0 = (1.0 / 3) / total;
        double pj = r / total;
        int n = 40000;
        Freedom one = freedom(star(), 0.75);
        Freedom two = freedom(star(), 0.55);
        Rng rng = new Rng(9);
        int[] firstCounts = new int[5];
        int zeroInPair = 0;
        for (int t = 0; t < n; t++) {
            int[] k1 = one.keptEdges(rng);
            assertThat(k1).hasSize(1);
            firstCounts[k1[0]]++;
            int[] k2 = two.keptEdges(rng);
            assertThat(k2).hasSize(2);
            assertThat(k2[0]).isNotEqualTo(k2[1]);
            if (k2[0] == 0 || k2[1] == 0) {
                zeroInPair++;
            }
        }
        double sd = Math.sqrt(0.25 / n);
        assertThat(firstCounts[0] / (double) n).isCloseTo(p0, within(5 * sd));
        for (int e = 1; e < 5; e++) {
            assertThat(firstCounts[e] / (double) n).isCloseTo(pj, within(5 * sd));
        }
        double inPair = p0 + 4 * pj * p0 / (1 - pj);
        assertThat(zeroInPair / (double) n).isCloseTo(inPair, within(5 * sd));
    }

    /** Kept edges (0,1) and (1,0): every kept node has degree 1, so both edges weigh 1 both ways. */
    @Test
    void keptEdgesAreRenormalised() {
        Freedom m = freedom(star(), 0.8);
        float[][] g = m.graphOfEdges(new int[] {1, 3}).toDense();
        float[][] expected = new float[6][6];
        expected[0][3 + 1] = 1;
        expected[3 + 1][0] = 1;
        expected[1][3] = 1;
        expected[3][1] = 1;
        assertThat(g).isDeepEqualTo(expected);
    }

    @Test
    void pruningIsReplayedFromTheEpochStreamAndScoringUsesTheFullGraph() {
        Freedom a = freedom(star(), 0.6);
        Freedom b = freedom(star(), 0.6);
        float[] before;
        try (EmbeddingScorer s = a.scorer()) {
            before = s.itemEmbeddings().toArray();
        }
        a.beforeEpoch(new EpochContext(0, new Rng(7), 8, new Tapes(), new PhaseTimer()));
        b.beforeEpoch(new EpochContext(0, new Rng(7), 8, new Tapes(), new PhaseTimer()));
        assertThat(a.trainingGraph().toDense()).isDeepEqualTo(b.trainingGraph().toDense());
        assertThat(a.trainingGraph().nnz()).isEqualTo(2 * 2);
        try (EmbeddingScorer s = a.scorer()) {
            assertThat(s.itemEmbeddings().toArray()).containsExactly(before);
        }
        Freedom none = freedom(star(), 0);
        none.beforeEpoch(new EpochContext(0, new Rng(7), 8, new Tapes(), new PhaseTimer()));
        assertThat(none.trainingGraph()).isSameAs(none.normalizedGraph());
    }

    /** knn_k 1 on the star's features: each item's nearest is itself, so A_mm is the identity. */
    @Test
    void itemGraphKeepsEachItemsNearestNeighbours() {
        CsrMatrix g = freedom(star(), 0.8).itemGraph();
        assertThat(g.toDense()).isDeepEqualTo(new float[][] {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}});
        try (var f = ModalityFeatures.tensor(star().modalities().get("image"))) {
            // k = 2: item 0's neighbours are 0 and 1 (cos 0.994), item 2's are 2 and 1 (cos 0.110 > 0)
            float[][] d = Freedom.knnGraph(f, 2).toDense();
            assertThat(d[0]).containsExactly(0.5f, 0.5f, 0f);
            assertThat(d[2]).containsExactly(0f, 0.5f, 0.5f);
        }
    }
}
