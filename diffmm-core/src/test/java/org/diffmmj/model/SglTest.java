package org.diffmmj.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

import org.diffmmj.autograd.Tape;
import org.diffmmj.data.Dataset;
import org.diffmmj.data.Interactions;
import org.diffmmj.data.TestData;
import org.diffmmj.nn.Tapes;
import org.diffmmj.random.Rng;
import org.diffmmj.sampling.Batch;
import org.diffmmj.sparse.CsrMatrix;
import org.diffmmj.tensor.BufferPool;

/**
 * SGL's views, which the parity test takes from RecBole's draws and so does not draw itself:
 * hand-computed graphs for given kept edges and dropped nodes, exact counts and frequencies of
 * what the ED, ND and RW draws keep, and where the draws come from (the epoch's stream only).
 */
class SglTest {

    private static final Dataset DATA = TestData.synthetic(36, 28, 11);
    private static final Interactions TRAIN = DATA.train();
    private static final float R2 = (float) (1 / Math.sqrt(2));

    private static Sgl model(String type, double dropRatio) {
        return new Sgl(TRAIN, new Sgl.Config(type, 3, 0.5f, 1e-5f, 0.05f, dropRatio, 4), new Rng(5));
    }

    private static EpochContext context(long seed) {
        return new EpochContext(0, new Rng(seed), 16, new Tapes(), new PhaseTimer());
    }

    /** Users 0, 1; items 0, 1 (nodes 2, 3); edges (0,0), (0,1), (1,1). */
    private static final Interactions TINY = Interactions.fromPairs(2, 2, new int[] {0, 0, 1}, new int[] {0, 1, 1});

    @Test
    void keptEdgesAreRenormalisedByTheirOwnDegreesByHand() {
        // Kept (0,1), (1,1): degrees u0 1, u1 1, i0 0, i1 2; no rescaling by 1/keep.
        float[][] want = {
                {0, 0, 0, R2},
                {0, 0, 0, R2},
                {0, 0, 0, 0},
                {R2, R2, 0, 0}};
        assertThat(Sgl.edgeGraph(2, 2, new int[] {0, 1}, new int[] {1, 1}).toDense()).isDeepEqualTo(want);
    }

    @Test
    void droppedNodesLoseAllTheirEdgesByHand() {
        // User 1 dropped: (0,0), (0,1) kept; degrees u0 2, u1 0, i0 1, i1 1.
        float[][] want = {
                {0, 0, R2, R2},
                {0, 0, 0, 0},
                {R2, 0, 0, 0},
                {R2, 0, 0, 0}};
        assertThat(Sgl.nodeDroppedGraph(TINY, new int[] {1}, new int[0]).toDense()).isDeepEqualTo(want);
        // Item 0 dropped as well: only (0,1) is left, and u0 now has degree 1.
        float[][] both = {
                {0, 0, 0, 1},
                {0, 0, 0, 0},
                {0, 0, 0, 0},
                {1, 0, 0, 0}};
        assertThat(Sgl.nodeDroppedGraph(TINY, new int[] {1}, new int[] {0}).toDense()).isDeepEqualTo(both);
    }

    @Test
    void samplingWithoutReplacementIsDistinctAndUniform() {
        Rng rng = new Rng(1);
        int n = 10;
        int k = 3;
        int draws = 20000;
        int[] counts = new int[n];
        for (int d = 0; d < draws; d++) {
            int[] s = Sgl.sampleWithoutReplacement(n, k, rng);
            assertThat(s).hasSize(k).doesNotHaveDuplicates();
            for (int v : s) {
                counts[v]++;
            }
        }
        double p = (double) k / n;
        double sigma = Math.sqrt(p * (1 - p) / draws);
        for (int c : counts) {
            assertThat((double) c / draws).isCloseTo(p, within(4.5 * sigma));
        }
        assertThat(Sgl.sampleWithoutReplacement(5, 5, rng)).containsExactlyInAnyOrder(0, 1, 2, 3, 4);
        assertThatThrownBy(() -> Sgl.sampleWithoutReplacement(5, 6, rng)).isInstanceOf(IllegalArgumentException.class);
    }

    /** Kept (user, item) pairs of a view graph, checking that it is symmetric and D^-½AD^-½ of them. */
    private static Set<Long> keptEdges(CsrMatrix g) {
        float[][] d = g.toDense();
        int users = TRAIN.users();
        int n = d.length;
        int[] degree = new int[n];
        Set<Long> edges = new HashSet<>();
        for (int r = 0; r < n; r++) {
            for (int c = 0; c < n; c++) {
                if (d[r][c] != 0) {
                    degree[r]++;
                    assertThat(d[c][r]).isEqualTo(d[r][c]);
                    if (r < users) {
                        assertThat(c).isGreaterThanOrEqualTo(users);
                        assertThat(TRAIN.contains(r, c - users)).as("(%d, %d) is a training edge", r, c - users).isTrue();
                        edges.add((long) r * n + c);
                    } else {
                        assertThat(c).isLessThan(users);
                    }
                }
            }
        }
        for (int r = 0; r < n; r++) {
            for (int c = 0; c < n; c++) {
                if (d[r][c] != 0) {
                    assertThat(d[r][c]).isCloseTo((float) (1 / Math.sqrt((double) degree[r] * degree[c])), within(1e-7f));
                }
            }
        }
        return edges;
    }

    @Test
    void edgeDropoutKeepsExactlyTheFloorOfTheEdgesEachWithTheSameFrequency() {
        Sgl m = model("ED", 0.1);
        int e = TRAIN.size();
        int keep = (int) (e * 0.9);
        int draws = 1000;
        java.util.Map<Long, Integer> counts = new java.util.HashMap<>();
        for (int d = 0; d < draws; d++) {
            m.beforeEpoch(context(d));
            List<List<CsrMatrix>> views = m.views();
            assertThat(views).hasSize(2);
            for (List<CsrMatrix> view : views) {
                assertThat(view).hasSize(3).allSatisfy(g -> assertThat(g).isSameAs(view.get(0)));
                Set<Long> kept = keptEdges(view.get(0));
                assertThat(kept).hasSize(keep);
                for (long k : kept) {
                    counts.merge(k, 1, Integer::sum);
                }
            }
        }
        assertThat(counts).hasSize(e);
        double p = (double) keep / e;
        double sigma = Math.sqrt(p * (1 - p) / (2 * draws));
        for (int c : counts.values()) {
            assertThat((double) c / (2 * draws)).isCloseTo(p, within(4.5 * sigma));
        }
    }

    @Test
    void nodeDropoutRemovesWholeNodesAtTheExpectedRate() {
        double ratio = 0.25;
        Sgl m = model("ND", ratio);
        int du = (int) (TRAIN.users() * ratio);
        int di = (int) (TRAIN.items() * ratio);
        int draws = 500;
        double keptTotal = 0;
        for (int d = 0; d < draws; d++) {
            m.beforeEpoch(context(d));
            for (List<CsrMatrix> view : m.views()) {
                assertThat(view).hasSize(3).allSatisfy(g -> assertThat(g).isSameAs(view.get(0)));
                Set<Long> kept = keptEdges(view.get(0));
                keptTotal += kept.size();
                // A node that keeps an edge was not dropped, so every training edge between two
                // such nodes is kept: nodes are dropped, never single edges.
                int n = TRAIN.users() + TRAIN.items();
                Set<Integer> alive = new HashSet<>();
                for (long k : kept) {
                    alive.add((int) (k / n));
                    alive.add((int) (k % n));
                }
                int[] pu = TRAIN.pairUsers();
                int[] pi = TRAIN.pairItems();
                // At least ⌊U·r⌋ users and ⌊I·r⌋ items are gone, less those that had no edge anyway.
                int missingUsers = 0;
                int edgelessUsers = 0;
                for (int u = 0; u < TRAIN.users(); u++) {
                    if (TRAIN.userDegree(u) == 0) {
                        edgelessUsers++;
                    } else if (!alive.contains(u)) {
                        missingUsers++;
                    }
                }
                int missingItems = 0;
                int edgelessItems = 0;
                for (int i = 0; i < TRAIN.items(); i++) {
                    if (TRAIN.itemDegree(i) == 0) {
                        edgelessItems++;
                    } else if (!alive.contains(TRAIN.users() + i)) {
                        missingItems++;
                    }
                }
                assertThat(missingUsers).isGreaterThanOrEqualTo(du - edgelessUsers);
                assertThat(missingItems).isGreaterThanOrEqualTo(di - edgelessItems);
                for (int k = 0; k < pu.length; k++) {
                    if (alive.contains(pu[k]) && alive.contains(TRAIN.users() + pi[k])) {
                        assertThat(kept).contains((long) pu[k] * n + TRAIN.users() + pi[k]);
                    }
                }
            }
        }
        // Each edge survives when its user and its item both do: (1 − du/U)(1 − di/I).
        double p = (1 - (double) du / TRAIN.users()) * (1 - (double) di / TRAIN.items());
        double mean = keptTotal / (2 * draws);
        assertThat(mean).isCloseTo(p * TRAIN.size(), within(0.03 * p * TRAIN.size()));
    }

    @Test
    void randomWalkDrawsAnEdgeDroppedGraphPerLayer() {
        Sgl m = model("RW", 0.1);
        m.beforeEpoch(context(3));
        int keep = (int) (TRAIN.size() * 0.9);
        Set<Set<Long>> distinct = new HashSet<>();
        for (List<CsrMatrix> view : m.views()) {
            assertThat(view).hasSize(3);
            for (CsrMatrix g : view) {
                Set<Long> kept = keptEdges(g);
                assertThat(kept).hasSize(keep);
                distinct.add(kept);
            }
        }
        assertThat(distinct).as("six independent draws").hasSize(6);
    }

    @Test
    void viewsComeFromTheEpochsStreamOnly() {
        Sgl a = model("ED", 0.1);
        Sgl b = model("ED", 0.1);
        a.beforeEpoch(context(9));
        b.beforeEpoch(context(9));
        for (int v = 0; v < 2; v++) {
            assertThat(a.views().get(v).get(0).toDense()).isDeepEqualTo(b.views().get(v).get(0).toDense());
        }
        assertThat(a.views().get(0).get(0).toDense()).isNotEqualTo(a.views().get(1).get(0).toDense());
        b.beforeEpoch(context(10));
        assertThat(a.views().get(0).get(0).toDense()).isNotEqualTo(b.views().get(0).get(0).toDense());
    }

    @Test
    void lossNeedsViewsAndScoringIgnoresThem() {
        Sgl m = model("ED", 0.5);
        Batch batch = m.batchSource(TRAIN).epoch(16, new Rng(2)).get(0);
        try (Tape tape = new Tape(new BufferPool())) {
            assertThatThrownBy(() -> m.batchLoss(tape, batch, context(1))).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("beforeEpoch");
        }
        float[] before;
        try (EmbeddingScorer s = m.scorer()) {
            before = s.userEmbeddings().toArray();
        }
        m.beforeEpoch(context(1));
        try (EmbeddingScorer s = m.scorer()) {
            assertThat(s.userEmbeddings().toArray()).containsExactly(before);
        }
    }
}
