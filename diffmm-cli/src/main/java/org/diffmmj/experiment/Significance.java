package org.diffmmj.experiment;

import java.util.Arrays;

import org.apache.commons.math3.stat.inference.WilcoxonSignedRankTest;

/**
 * A paired two-sided Wilcoxon signed-rank test between two models over the same test users,
 * computed by Apache Commons Math ({@link WilcoxonSignedRankTest}): a well-kept implementation,
 * and the signed-rank test rather than a paired t-test because per-user Recall@20 is bounded,
 * heavily tied at 0 and far from normal. Users with equal values in both models are dropped
 * first (Wilcoxon's own treatment of zero differences; Commons Math would rank them). With at
 * most 20 users left the p-value is exact (Commons Math enumerates all 2^n sign patterns),
 * otherwise it is Commons Math's normal approximation, z = (min(W+, W−) − n(n+1)/4 − 0.5)/σ
 * (its 0.5 term moves z away from zero, not towards it as a continuity correction would: p comes
 * out slightly small, by 0.5/σ in z, which is negligible at thousands of users; no tie correction).
 */
public record Significance(int users, int nonZero, double meanDifference, double statistic, double pValue,
                           boolean exact) {

    public static final String TEST_NAME = "Wilcoxon signed-rank test (two-sided, paired over test users; Apache Commons"
            + " Math 3.6.1)";

    /** {@code a[i]} and {@code b[i]} are the same user's values under the two models. */
    public static Significance wilcoxon(double[] a, double[] b) {
        if (a.length != b.length) {
            throw new IllegalArgumentException("paired samples differ in length: " + a.length + " and " + b.length);
        }
        double sum = 0;
        int n = 0;
        double[] x = new double[a.length];
        double[] y = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            sum += a[i] - b[i];
            if (a[i] != b[i]) {
                x[n] = a[i];
                y[n] = b[i];
                n++;
            }
        }
        double mean = a.length == 0 ? 0 : sum / a.length;
        if (n == 0) {
            return new Significance(a.length, 0, mean, 0, 1.0, true);
        }
        x = Arrays.copyOf(x, n);
        y = Arrays.copyOf(y, n);
        WilcoxonSignedRankTest test = new WilcoxonSignedRankTest();
        boolean exact = n <= 20;
        double w = test.wilcoxonSignedRank(x, y);
        double p = test.wilcoxonSignedRankTest(x, y, exact);
        return new Significance(a.length, n, mean, w, Math.min(1.0, p), exact);
    }
}
