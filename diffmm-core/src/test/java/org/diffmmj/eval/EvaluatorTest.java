package org.diffmmj.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import org.diffmmj.data.Interactions;

class EvaluatorTest {

    /** Scores given as a dense matrix, for small hand-made cases. */
    private static ScoreSource dense(float[][] scores) {
        return new ScoreSource() {
            @Override
            public int items() {
                return scores[0].length;
            }

            @Override
            public void score(int[] users, float[] out) {
                for (int r = 0; r < users.length; r++) {
                    System.arraycopy(scores[users[r]], 0, out, r * items(), items());
                }
            }
        };
    }

    private static Interactions pairs(int users, int items, int... flat) {
        int[] u = new int[flat.length / 2];
        int[] i = new int[flat.length / 2];
        for (int k = 0; k < u.length; k++) {
            u[k] = flat[2 * k];
            i[k] = flat[2 * k + 1];
        }
        return Interactions.fromPairs(users, items, u, i);
    }

    private static double dcg(int... ranks) {
        double s = 0;
        for (int r : ranks) {
            s += 1 / (Math.log(r + 2) / Math.log(2));
        }
        return s;
    }

    /**
     * User 0: scores [5, 4, 3, 2, 1, 0], training item 0 excluded, held out {2, 5}. Ranking 1, 2, 3,
     * 4, 5: at K = 2 one hit (item 2 at rank 1): recall 1/2, precision 1/2, NDCG (1/log2 3)/(1 +
     * 1/log2 3). User 1 has no training items and three held-out items {0, 1, 2} with K = 2 < 3:
     * scores rank 0, 1 first, so recall 2/3, precision 1, NDCG 1. User 2 has nothing held out and
     * is skipped.
     */
    @Test
    void handComputedCaseWithExclusionsAndMoreHeldOutThanK() {
        float[][] scores = {{5, 4, 3, 2, 1, 0}, {9, 8, 7, 6, 5, 4}, {1, 2, 3, 4, 5, 6}};
        Interactions train = pairs(3, 6, 0, 0, 2, 1);
        Interactions test = pairs(3, 6, 0, 2, 0, 5, 1, 0, 1, 1, 1, 2);
        MetricReport r = new Evaluator(2).evaluate(dense(scores), train, test);
        assertThat(r.usersEvaluated()).isEqualTo(2);
        double ndcgUser0 = dcg(1) / dcg(0, 1);
        assertThat(r.get("recall@2")).isCloseTo((0.5 + 2.0 / 3) / 2, within(1e-12));
        assertThat(r.get("precision@2")).isCloseTo((0.5 + 1.0) / 2, within(1e-12));
        assertThat(r.get("ndcg@2")).isCloseTo((ndcgUser0 + 1.0) / 2, within(1e-12));
    }

    /** The same hand case, user by user: what a paired test between two models compares. */
    @Test
    void perUserValuesAreTheHandCaseUsersInOrderAndAverageToTheReport() {
        float[][] scores = {{5, 4, 3, 2, 1, 0}, {9, 8, 7, 6, 5, 4}, {1, 2, 3, 4, 5, 6}};
        Interactions train = pairs(3, 6, 0, 0, 2, 1);
        Interactions test = pairs(3, 6, 0, 2, 0, 5, 1, 0, 1, 1, 1, 2);
        Evaluator evaluator = new Evaluator(1, 2);
        assertThat(evaluator.perUser(dense(scores), train, test, "recall@2")).containsExactly(0.5, 2.0 / 3);
        assertThat(evaluator.perUser(dense(scores), train, test, "precision@2")).containsExactly(0.5, 1.0);
        assertThat(evaluator.perUser(dense(scores), train, test, "ndcg@2"))
                .containsExactly(new double[] {dcg(1) / dcg(0, 1), 1.0}, within(1e-12));
        // At K = 1 user 0's top item (1) is not held out; user 1's (0) is.
        assertThat(evaluator.perUser(dense(scores), train, test, "recall@1")).containsExactly(0.0, 1.0 / 3);
        assertThat(org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> evaluator.perUser(dense(scores), train, test, "recall@20")).getMessage()).contains("recall@20");
    }

    /**
     * Hit, MRR, MAP and coverage by hand. User 0: scores [1, 9, 8, 7, 6, 5, 4], item 1 trained
     * (excluded), held out {3, 5, 6}; ranking 2, 3, 4, 5, 6, 0. At K = 3 (top 2, 3, 4): hit 1,
     * first hit item 3 at rank 1 → MRR 1/2, MAP (1/2) / min(3, 3) = 1/6. At K = 5 (2, 3, 4, 5, 6):
     * hits at ranks 1, 3, 4 → precisions 1/2, 2/4, 3/5 → MAP (1/2 + 1/2 + 3/5) / 3 = 8/15.
     * User 1: scores [7, 6, 5, 4, 3, 2, 1], nothing trained, held out {6}, ranked last: hit 0, MRR
     * 0, MAP 0 at both K. Coverage at K = 3: items {2, 3, 4} ∪ {0, 1, 2} = 5 of 7; at K = 5:
     * {2..6} ∪ {0..4} = all 7.
     */
    @Test
    void hitMrrMapAndCoverageByHand() {
        float[][] scores = {{1, 9, 8, 7, 6, 5, 4}, {7, 6, 5, 4, 3, 2, 1}};
        Interactions train = pairs(2, 7, 0, 1);
        Interactions test = pairs(2, 7, 0, 3, 0, 5, 0, 6, 1, 6);
        MetricReport r = new Evaluator(3, 5).evaluate(dense(scores), train, test);
        assertThat(r.get("hit@3")).isCloseTo(0.5, within(1e-12));
        assertThat(r.get("mrr@3")).isCloseTo(0.25, within(1e-12));
        assertThat(r.get("map@3")).isCloseTo((1.0 / 6) / 2, within(1e-12));
        assertThat(r.get("map@5")).isCloseTo((8.0 / 15) / 2, within(1e-12));
        assertThat(r.get("hit@5")).isCloseTo(0.5, within(1e-12));
        assertThat(r.get("coverage@3")).isCloseTo(5.0 / 7, within(1e-12));
        assertThat(r.get("coverage@5")).isCloseTo(1.0, within(1e-12));
    }

    /**
     * Equal scores rank the lower item index first: with all scores equal (item 3 excluded as
     * training), items 0, 1 are the top 2, so held-out item 1 is a hit at rank 1: NDCG 1/log2(3).
     */
    @Test
    void tiesGoToTheLowerItemIndex() {
        float[][] scores = {{1, 1, 1, 1}};
        Interactions train = pairs(1, 4, 0, 3);
        MetricReport hit = new Evaluator(2).evaluate(dense(scores), train, pairs(1, 4, 0, 1));
        MetricReport miss = new Evaluator(2).evaluate(dense(scores), train, pairs(1, 4, 0, 2));
        assertThat(hit.get("recall@2")).isEqualTo(1.0);
        assertThat(hit.get("ndcg@2")).isCloseTo(1 / (Math.log(3) / Math.log(2)), within(1e-12));
        assertThat(miss.get("recall@2")).isEqualTo(0.0);
    }

    @Test
    void reproducesTheIndependentFixtureTo1e9() throws Exception {
        Path fixture = org.diffmmj.data.TestData.SHARED_DATA.resolve("fixtures/metrics_case.json");
        if (!Files.exists(fixture)) {
            System.out.println("SKIPPED reproducesTheIndependentFixture: " + fixture.toAbsolutePath() + " is absent");
        }
        Assumptions.assumeTrue(Files.exists(fixture), "needs " + fixture);
        JsonNode root = new ObjectMapper().readTree(fixture.toFile());
        FixtureCase c = FixtureCase.parse(root);
        int[] ks = c.ks.stream().mapToInt(Integer::intValue).toArray();
        MetricReport r = new Evaluator(ks).evaluate(dense(c.scores), c.train, c.heldOut, 7);
        for (Map.Entry<String, Double> e : c.expected.entrySet()) {
            assertThat(r.get(e.getKey())).as(e.getKey()).isCloseTo(e.getValue(), within(1e-9));
        }
        assertThat(c.expected).isNotEmpty();
        assertThat(r.usersEvaluated()).isEqualTo(c.users);
    }

    /** The fixture's layout, read defensively (field names as documented in the data README). */
    static final class FixtureCase {
        float[][] scores;
        Interactions train;
        Interactions heldOut;
        List<Integer> ks = new ArrayList<>();
        Map<String, Double> expected = new java.util.LinkedHashMap<>();
        int users;

        static FixtureCase parse(JsonNode root) {
            FixtureCase c = new FixtureCase();
            JsonNode s = root.get("scores");
            int users = s.size();
            int items = s.get(0).size();
            c.scores = new float[users][items];
            for (int u = 0; u < users; u++) {
                for (int i = 0; i < items; i++) {
                    c.scores[u][i] = (float) s.get(u).get(i).asDouble();
                }
            }
            c.train = lists(root.get(first(root, "train", "train_items")), users, items);
            c.heldOut = lists(root.get(first(root, "test", "heldout", "held_out", "test_items", "holdout")), users, items);
            // expected: { "K": { "recall": r, "ndcg": n, "precision": p, "users": count }, ... }
            JsonNode exp = root.get("expected");
            for (Iterator<Map.Entry<String, JsonNode>> it = exp.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                int k = Integer.parseInt(e.getKey());
                c.ks.add(k);
                for (String metric : new String[] {"recall", "ndcg", "precision"}) {
                    c.expected.put(metric + "@" + k, e.getValue().get(metric).asDouble());
                }
                c.users = e.getValue().get("users").asInt();
            }
            return c;
        }

        private static String first(JsonNode root, String... names) {
            for (String n : names) {
                if (root.has(n)) {
                    return n;
                }
            }
            throw new IllegalArgumentException("fixture lacks any of " + List.of(names) + "; has " + root.fieldNames());
        }

        private static Interactions lists(JsonNode perUser, int users, int items) {
            List<int[]> pairs = new ArrayList<>();
            for (int u = 0; u < users; u++) {
                for (JsonNode i : perUser.get(u)) {
                    pairs.add(new int[] {u, i.asInt()});
                }
            }
            return Interactions.fromPairs(users, items, pairs.stream().mapToInt(p -> p[0]).toArray(),
                    pairs.stream().mapToInt(p -> p[1]).toArray());
        }
    }

    /**
     * Cold items: items 3 and 4 have no training interaction. Held out: user 0 {1, 3}, user 1 {3},
     * user 2 {2} (warm only, so left out), user 3 {4}. Scores rank item 3 first for user 0 and last
     * for user 1, item 4 second for user 3 behind its warm item 0. At K = 1, over the cold pairs
     * (0,3), (1,3), (3,4) only: recall (1 + 0 + 0) / 3 over three users; at K = 2: (1 + 0 + 1) / 3.
     */
    @Test
    void coldItemInteractionsAreEvaluatedAloneAmongAllItems() {
        Interactions train = pairs(4, 5, 0, 0, 1, 1, 2, 0, 3, 2);
        Interactions test = pairs(4, 5, 0, 1, 0, 3, 1, 3, 2, 2, 3, 4);
        Interactions cold = test.onlyItemsAbsentFrom(train);
        assertThat(cold.pairUsers()).containsExactly(0, 1, 3);
        assertThat(cold.pairItems()).containsExactly(3, 3, 4);
        float[][] scores = {
                {0, 1, 2, 9, 3},
                {4, 0, 3, -9, 2},
                {0, 0, 0, 0, 0},
                {9, 1, 0, 0, 5}};
        MetricReport r = new Evaluator(1, 2).evaluate(dense(scores), train, cold);
        assertThat(r.values().get("recall@1")).isCloseTo(1.0 / 3, within(1e-12));
        assertThat(r.values().get("recall@2")).isCloseTo(2.0 / 3, within(1e-12));
        assertThatThrownBy(() -> test.onlyItemsAbsentFrom(pairs(4, 6, 0, 0)))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
