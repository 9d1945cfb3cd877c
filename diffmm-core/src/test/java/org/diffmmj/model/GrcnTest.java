package org.diffmmj.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import org.diffmmj.autograd.Parameter;
import org.diffmmj.data.Dataset;
import org.diffmmj.data.FeatureMatrix;
import org.diffmmj.data.IdMapping;
import org.diffmmj.data.Interactions;
import org.diffmmj.data.TestData;
import org.diffmmj.random.Rng;
import org.diffmmj.tensor.Tensor;

/**
 * GRCN's routing by hand (the parity fixture covers only the reference's no-op routing): one user
 * who interacted with items 0 and 1, one modality whose MLP is the identity on features
 * f₀ = (1, 0), f₁ = (0, 1), preference (1, 0), dim_C 2, one routing round; and the paper's
 * routing's gradients by finite differences (the contract test checks GRCN's defaults, which route
 * as the reference does).
 */
class GrcnTest {

    private static Tensor row(float... v) {
        return Tensor.fromArray(1, v.length, v);
    }

    /** The user's content part [P' + Σ α_i f_i], columns d..d+2 of the representation. */
    private static float[] userContent(boolean routeToUsers) {
        Interactions train = Interactions.fromPairs(1, 2, new int[] {0, 0}, new int[] {0, 1});
        Interactions one = Interactions.fromPairs(1, 2, new int[] {0}, new int[] {1});
        FeatureMatrix f = new FeatureMatrix("image", 2, 2, new float[] {1, 0, 0, 1});
        Dataset data = new Dataset("hand", train, one, one, Map.of("image", f), IdMapping.identity(1), IdMapping.identity(2));
        Grcn.Config c = new Grcn.Config(2, 2, 1, 0f, "add", "confid", "concat", false, true, routeToUsers, "image");
        try (Grcn m = new Grcn(data, c, new Rng(1))) {
            Map<String, Parameter> p = new java.util.HashMap<>();
            m.parameters().forEach(x -> p.put(x.name(), x));
            p.get("image_gcn.MLP.weight").value().copyFrom(Tensor.fromArray(2, 2, new float[] {1, 0, 0, 1}));
            p.get("image_gcn.MLP.bias").value().copyFrom(row(0, 0));
            p.get("image_gcn.preference").value().copyFrom(row(1, 0));
            try (EmbeddingScorer s = m.scorer()) {
                return new float[] {s.userEmbeddings().get(0, 2), s.userEmbeddings().get(0, 3)};
            }
        }
    }

    /** x_u + Σ_i softmax_i(⟨P, f_i⟩)·f_i for the user's row, P = (p0, p1) unit. */
    private static double[] gat(double p0, double p1) {
        double a0 = Math.exp(p0);
        double a1 = Math.exp(p1);
        return new double[] {p0 + a0 / (a0 + a1), p1 + a1 / (a0 + a1)};
    }

    @Test
    void routingRefinesThePreferenceFromTheUsersItems() {
        // ⟨P, f₀⟩ = 1, ⟨P, f₁⟩ = 0: α = (e, 1)/(e + 1); P' = normalize(P + α₀f₀ + α₁f₁).
        double e = Math.E;
        double q0 = 1 + e / (e + 1);
        double q1 = 1 / (e + 1);
        double norm = Math.hypot(q0, q1);
        double[] expected = gat(q0 / norm, q1 / norm);
        float[] got = userContent(true);
        assertThat((double) got[0]).isCloseTo(expected[0], within(1e-6));
        assertThat((double) got[1]).isCloseTo(expected[1], within(1e-6));
    }

    @Test
    void referenceRoutingLeavesThePreference() {
        double[] expected = gat(1, 0);
        float[] got = userContent(false);
        assertThat((double) got[0]).isCloseTo(expected[0], within(1e-6));
        assertThat((double) got[1]).isCloseTo(expected[1], within(1e-6));
        assertThat(List.of(got[0], got[1])).doesNotContainNull();
    }

    @Test
    void paperRoutingGradientsMatchFiniteDifferences() {
        Dataset data = TestData.synthetic(36, 28, 11);
        Grcn.Config c = new Grcn.Config(4, 4, 2, 0.1f, "add", "confid", "concat", false, true, true, "image");
        try (Grcn model = new Grcn(data, c, new Rng(3))) {
            BatchGradCheck.check(model, data);
        }
    }
}
