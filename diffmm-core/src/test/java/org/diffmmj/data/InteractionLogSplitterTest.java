package org.diffmmj.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** data split's logic against hand-made cases. */
class InteractionLogSplitterTest {

    @TempDir
    Path dir;

    private Path log(String name, String text) throws Exception {
        Path f = dir.resolve(name);
        Files.writeString(f, text);
        return f;
    }

    private static List<String> pairs(Dataset d, Interactions split) {
        List<String> out = new ArrayList<>();
        int[] us = split.pairUsers();
        int[] is = split.pairItems();
        for (int k = 0; k < us.length; k++) {
            out.add(d.userIds().externalId(us[k]) + ":" + d.itemIds().externalId(is[k]));
        }
        return out;
    }

    @Test
    void ratioCountsFollowRecBolesRule() {
        double[] r = {0.8, 0.1, 0.1};
        // By hand from _calcu_split_ids: parts 2.. rounded down, a share in (0,1) gets one while part 0 keeps > 1.
        assertThat(InteractionLogSplitter.splitCounts(10, r)).containsExactly(8, 1, 1);
        assertThat(InteractionLogSplitter.splitCounts(5, r)).containsExactly(3, 1, 1);
        assertThat(InteractionLogSplitter.splitCounts(3, r)).containsExactly(1, 1, 1);
        assertThat(InteractionLogSplitter.splitCounts(2, r)).containsExactly(1, 0, 1);
        assertThat(InteractionLogSplitter.splitCounts(1, r)).containsExactly(1, 0, 0);
        assertThat(InteractionLogSplitter.splitCounts(20, r)).containsExactly(16, 2, 2);
        assertThat(InteractionLogSplitter.leaveOneOutCounts(5)).containsExactly(3, 1, 1);
        assertThat(InteractionLogSplitter.leaveOneOutCounts(2)).containsExactly(1, 0, 1);
        assertThat(InteractionLogSplitter.leaveOneOutCounts(1)).containsExactly(1, 0, 0);
    }

    /**
     * 3-core by hand. Log: u1 a b c d, u2 a b c, u3 a b c, u4 a d, u5 b e. Round 1: u4 and u5 have 2
     * interactions, d and e have 2 and 1: all four go. Then c has u1 u2 u3 (3), a and b 3 each, u1
     * has a b c (3): stable. Core: u1 u2 u3 × a b c, 9 interactions in 1 round.
     * Then 4-core: round 1 drops every user (3 < 4) — nothing left.
     */
    @Test
    void kCoreIsTheIterativeFixedPoint() throws Exception {
        String text = "user,item\nu1,a\nu1,b\nu1,c\nu1,d\nu2,a\nu2,b\nu2,c\nu3,a\nu3,b\nu3,c\nu4,a\nu4,d\nu5,b\nu5,e\n";
        Path f = log("log.csv", text);
        InteractionLogSplitter.Result r = new InteractionLogSplitter().kCore(3)
                .strategy(InteractionLogSplitter.Strategy.LEAVE_ONE_OUT).split(f);
        assertThat(r.stats().users()).isEqualTo(3);
        assertThat(r.stats().items()).isEqualTo(3);
        assertThat(r.stats().interactions()).isEqualTo(9);
        assertThat(r.stats().kCoreRounds()).isEqualTo(1);
        assertThat(r.stats().usersBefore()).isEqualTo(5);
        assertThat(r.stats().itemsBefore()).isEqualTo(5);
        assertThat(r.dataset().userIds().index("u4")).isEqualTo(-1);
        assertThat(r.dataset().itemIds().index("d")).isEqualTo(-1);
        // Leave-one-out by file order: each user's last item is c (test), the one before b (validation).
        assertThat(pairs(r.dataset(), r.dataset().test())).containsExactly("u1:c", "u2:c", "u3:c");
        assertThat(pairs(r.dataset(), r.dataset().validation())).containsExactly("u1:b", "u2:b", "u3:b");
        assertThatThrownBy(() -> new InteractionLogSplitter().kCore(4).split(f)).isInstanceOf(DataFormatException.class)
                .hasMessageContaining("nothing is left after the 4-core filter");
    }

    /**
     * A cascade, 2-core: u1 a b c, u2 a b c, u3 a x, u4 y. Round 1 drops u4, x and y (one interaction
     * each); u3 is left with a alone, so round 2 drops u3; then a, b, c have two users each: stable.
     * Core: u1 u2 × a b c in 2 rounds.
     */
    @Test
    void kCoreCascadesOverRounds() throws Exception {
        Path f = log("log.csv", "u1,a\nu1,b\nu1,c\nu2,a\nu2,b\nu2,c\nu3,a\nu3,x\nu4,y\n");
        InteractionLogSplitter.Result r = new InteractionLogSplitter().kCore(2)
                .strategy(InteractionLogSplitter.Strategy.LEAVE_ONE_OUT).split(f);
        assertThat(r.stats().kCoreRounds()).isEqualTo(2);
        assertThat(r.stats().users()).isEqualTo(2);
        assertThat(r.stats().items()).isEqualTo(3);
        assertThat(r.stats().interactions()).isEqualTo(6);
        assertThat(r.stats().interactionsBefore()).isEqualTo(9);
        assertThat(r.dataset().userIds().index("u3")).isEqualTo(-1);
    }

    @Test
    void temporalSplitOrdersEachUserByTimestamp() throws Exception {
        Path f = log("log.tsv", "user\titem\trating\ttimestamp\n"
                + "u\ta\t5\t30\nu\tb\t5\t10\nu\tc\t5\t20\nu\td\t5\t40\nu\te\t5\t50\n"
                + "v\ta\t4\t7\nv\tb\t4\t5\nv\tc\t4\t6\nv\td\t4\t9\nv\te\t4\t8\n");
        InteractionLogSplitter.Result r = new InteractionLogSplitter().strategy(InteractionLogSplitter.Strategy.TEMPORAL)
                .ratios(0.6, 0.2, 0.2).split(f);
        Dataset d = r.dataset();
        // u by time: b10 c20 a30 | d40 | e50; v: b5 c6 a7 | e8 | d9.
        assertThat(pairs(d, d.train())).containsExactlyInAnyOrder("u:a", "u:b", "u:c", "v:a", "v:b", "v:c");
        assertThat(pairs(d, d.validation())).containsExactlyInAnyOrder("u:d", "v:e");
        assertThat(pairs(d, d.test())).containsExactlyInAnyOrder("u:e", "v:d");
    }

    @Test
    void leaveOneOutTakesTheLatestByTimestampAndMinRatingFilters() throws Exception {
        Path f = log("log.csv", "u,a,5,3\nu,b,2,1\nu,c,4,2\nu,d,5,0\nu,e,1,9\n");
        InteractionLogSplitter.Result r = new InteractionLogSplitter().minRating(4.0)
                .strategy(InteractionLogSplitter.Strategy.LEAVE_ONE_OUT).split(f);
        Dataset d = r.dataset();
        // Rated ≥ 4: a(t3) c(t2) d(t0); by time d c a: test a, validation c, train d.
        assertThat(pairs(d, d.test())).containsExactly("u:a");
        assertThat(pairs(d, d.validation())).containsExactly("u:c");
        assertThat(pairs(d, d.train())).containsExactly("u:d");
        assertThat(r.stats().belowMinRating()).isEqualTo(2);
        assertThat(r.stats().records()).isEqualTo(5);
    }

    @Test
    void repeatedPairsKeepTheEarliestAndAreCounted() throws Exception {
        Path f = log("log.csv", "user_id:token,item_id:token,timestamp:float\nu,a,5\nu,b,1\nu,a,0\nu,c,2\n");
        InteractionLogSplitter.Result r = new InteractionLogSplitter()
                .strategy(InteractionLogSplitter.Strategy.LEAVE_ONE_OUT).split(f);
        Dataset d = r.dataset();
        // a keeps time 0: order a0 b1 c2.
        assertThat(r.stats().duplicates()).isEqualTo(1);
        assertThat(pairs(d, d.test())).containsExactly("u:c");
        assertThat(pairs(d, d.validation())).containsExactly("u:b");
        assertThat(pairs(d, d.train())).containsExactly("u:a");
    }

    private Path randomLog() throws Exception {
        StringBuilder sb = new StringBuilder("user,item\n");
        java.util.Random rnd = new java.util.Random(3);
        for (int u = 0; u < 40; u++) {
            Set<Integer> items = new HashSet<>();
            while (items.size() < 10 + u % 7) {
                items.add(rnd.nextInt(60));
            }
            for (int i : items) {
                sb.append("user").append(u).append(",item").append(i).append('\n');
            }
        }
        return log("log.csv", sb.toString());
    }

    @Test
    void randomSplitIsDeterministicForASeedAndPartitionsEachUser() throws Exception {
        Path f = randomLog();
        Dataset a = new InteractionLogSplitter().seed(7).split(f).dataset();
        Dataset b = new InteractionLogSplitter().seed(7).split(f).dataset();
        Dataset c = new InteractionLogSplitter().seed(8).split(f).dataset();
        assertThat(b.fingerprint()).isEqualTo(a.fingerprint());
        assertThat(c.fingerprint()).isNotEqualTo(a.fingerprint());
        assertThat(a.train().disjointFrom(a.test())).isTrue();
        assertThat(a.train().disjointFrom(a.validation())).isTrue();
        assertThat(a.validation().disjointFrom(a.test())).isTrue();
        for (int u = 0; u < a.users(); u++) {
            int n = a.train().userDegree(u) + a.validation().userDegree(u) + a.test().userDegree(u);
            int[] expected = InteractionLogSplitter.splitCounts(n, new double[] {0.8, 0.1, 0.1});
            assertThat(new int[] {a.train().userDegree(u), a.validation().userDegree(u), a.test().userDegree(u)})
                    .containsExactly(expected);
        }
    }

    @Test
    void aUsersRandomSplitDependsOnlyOnTheSeedAndItsId() throws Exception {
        // The same users' records in another user order, with other users interleaved: each user's
        // training/validation/test items are unchanged (a distributed job splits users in any order).
        Path f = randomLog();
        List<String> lines = java.nio.file.Files.readAllLines(f);
        List<String> records = new java.util.ArrayList<>(lines.subList(1, lines.size()));
        java.util.Map<String, List<String>> byUser = new java.util.LinkedHashMap<>();
        for (String r : records) {
            byUser.computeIfAbsent(r.substring(0, r.indexOf(',')), u -> new java.util.ArrayList<>()).add(r);
        }
        List<String> users = new java.util.ArrayList<>(byUser.keySet());
        java.util.Collections.reverse(users);
        StringBuilder sb = new StringBuilder("user,item\n");
        for (String u : users) {
            for (String r : byUser.get(u)) {
                sb.append(r).append('\n');
            }
            sb.append("other").append(u).append(",item1\n");
        }
        Path g = log("reordered.csv", sb.toString());
        Dataset a = new InteractionLogSplitter().seed(7).split(f).dataset();
        Dataset b = new InteractionLogSplitter().seed(7).split(g).dataset();
        for (Interactions[] pair : new Interactions[][] {{a.train(), b.train()}, {a.validation(), b.validation()},
                {a.test(), b.test()}}) {
            List<String> pa = pairs(a, pair[0]);
            List<String> pb = new java.util.ArrayList<>(pairs(b, pair[1]));
            pb.removeIf(p -> p.startsWith("other"));
            assertThat(pb).containsExactlyInAnyOrderElementsOf(pa);
        }
    }

    @Test
    void splitUserShufflesWithTheUsersOwnStream() {
        // Fisher-Yates from the last position down with userRandom(seed, id), written out by hand.
        InteractionLogSplitter s = new InteractionLogSplitter().seed(11);
        java.util.SplittableRandom r = InteractionLogSplitter.userRandom(11, "alice");
        int[] order = {0, 1, 2, 3, 4};
        for (int k = 4; k > 0; k--) {
            int j = r.nextInt(k + 1);
            int t = order[k];
            order[k] = order[j];
            order[j] = t;
        }
        InteractionLogSplitter.UserSplit split = s.splitUser("alice", new double[5]);
        assertThat(split.order()).containsExactly(order);
        assertThat(split.counts()).containsExactly(InteractionLogSplitter.splitCounts(5, new double[] {0.8, 0.1, 0.1}));
        // Other ids and seeds give other streams; the same (seed, id) the same one.
        assertThat(InteractionLogSplitter.userRandom(11, "alice").nextLong())
                .isEqualTo(InteractionLogSplitter.userRandom(11, "alice").nextLong())
                .isNotEqualTo(InteractionLogSplitter.userRandom(11, "alicf").nextLong())
                .isNotEqualTo(InteractionLogSplitter.userRandom(12, "alice").nextLong());
        // Temporal: stable by time, ties in log order.
        InteractionLogSplitter t = new InteractionLogSplitter().strategy(InteractionLogSplitter.Strategy.TEMPORAL);
        assertThat(t.splitUser("x", new double[] {5, 1, 5, 0, 1}).order()).containsExactly(3, 1, 4, 0, 2);
    }

    @Test
    void badLogsNameFileAndLine() throws Exception {
        Path f = log("log.csv", "u,a\nu,b,3\n");
        assertThatThrownBy(() -> new InteractionLogSplitter().split(f)).hasMessageContaining("log.csv:2")
                .hasMessageContaining("3 fields, expected 2");
        Path g = log("log2.csv", "u,a,5,1\nu,b,5,NaN\n");
        assertThatThrownBy(() -> new InteractionLogSplitter().split(g)).hasMessageContaining("log2.csv:2")
                .hasMessageContaining("timestamp 'NaN' is not a finite decimal number");
        Path h = log("log3.csv", "u,a\n");
        assertThatThrownBy(() -> new InteractionLogSplitter().strategy(InteractionLogSplitter.Strategy.TEMPORAL).split(h))
                .hasMessageContaining("needs a timestamp column");
        assertThatThrownBy(() -> new InteractionLogSplitter().minRating(3.0).split(h))
                .hasMessageContaining("needs a rating column");
        assertThatThrownBy(() -> new InteractionLogSplitter().ratios(0.8, 0.2)).hasMessageContaining("three values");
        assertThatThrownBy(() -> InteractionLogSplitter.Strategy.parse("weird")).hasMessageContaining("random, temporal");
    }
}
